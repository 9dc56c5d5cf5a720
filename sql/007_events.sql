-- Events (docs/api.md, "Events and notices"): what PostgreSQL holds changes
-- in one statement that also inserts its event here, so that an event is
-- committed with its change or not at all. The sender's relay
-- (src/event_relay.c) moves the rows, oldest first, to the Redis stream
-- <redis_prefix>events and deletes them; `id` (the event's UUID) makes a
-- second insert of one event (a statement run again) a no-op, and lets the
-- relay add each to the stream once.
CREATE TABLE event_outbox (
    seq         bigserial   PRIMARY KEY,
    id          uuid        NOT NULL UNIQUE,
    type        text        NOT NULL,
    lang        text        NOT NULL,
    event       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- An event as src/event.c rendered it, completed with what only the
-- statement knows: the account (uid, phone) when the caller had none, and
-- for one of several events of a change (a session.revoked per login
-- ended) its login (sid) in place of the "-" it was rendered with as
-- data.sid (or data.old: the number a phone.changed moved from), under an
-- id derived from the rendered one and that value (the same on a second run).
-- The strings replaced are found by their unescaped quotes, which only
-- event_render's own keys have: every value's quotes are escaped.
CREATE FUNCTION event_fill(tmpl text, uid bigint, phone text, sid text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN sid IS NULL THEN e ELSE
        '{"id":"' || substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3)
        || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12) || '"'
        || substr(replace(replace(e, '"data":{"sid":"-"', '"data":{"sid":' || to_json(sid)::text),
               '"data":{"old":"-"', '"data":{"old":' || to_json(sid)::text), 45)
    END
    FROM (SELECT CASE WHEN uid IS NULL THEN tmpl ELSE
              replace(tmpl, '"user_id":null,"mobile_number":null',
                  '"user_id":' || uid || ',"mobile_number":' || to_json(phone)::text)
          END AS e,
          md5(substr(tmpl, 8, 36) || ':' || coalesce(sid, '')) AS h) s
$$;
