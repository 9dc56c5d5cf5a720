-- Logins: one row per refresh-token family (the family column of
-- refresh_tokens, which access tokens name in their `sid` claim), so that a
-- user can see the devices signed in and end any of them. Written by the
-- statement that starts the family (a login, a sign-up, a reset), its
-- last_used_at moved by every rotation. Whether a login is still live is its
-- tokens' business (refresh_tokens): revoking never touches this table, so
-- no statement locks a login row before a token row. Rows go with their
-- account (cascade), and with their family's last token when the sweep
-- deletes it.
CREATE TABLE logins (
    family        text        PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),   -- the last rotation
    ip            inet,                                 -- the client of the login
    user_agent    text                                  -- its User-Agent (printable ASCII, cut short)
);
CREATE INDEX logins_user_id ON logins (user_id, created_at);

-- The families that existed before this table: their dates from their
-- tokens; where they came from is not known.
INSERT INTO logins (family, user_id, created_at, last_used_at)
SELECT family, min(user_id), min(created_at), max(created_at)
FROM refresh_tokens GROUP BY family;

-- The sweep also takes tokens revoked a day ago (a revoked family never
-- comes back), not only expired ones.
CREATE INDEX refresh_tokens_revoked_at ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
