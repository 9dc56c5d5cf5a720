-- Logins: one row per refresh-token family (the family column of
-- refresh_tokens, which access tokens name in their `sid` claim), so that a
-- user can see the devices signed in and end any of them. Written by the
-- statement that starts the family (a login, a sign-up, a reset) and never
-- again: whether a login is still live, and when it was last used (its
-- newest token's created_at: every rotation adds one), is its tokens'
-- business, so a rotation writes nothing here and revoking never touches
-- this table. Rows go with their account (cascade), and with their
-- family's last token when the sweep deletes it.
CREATE TABLE logins (
    family      text        PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    ip          inet,       -- the client of the login
    user_agent  text        -- its User-Agent (printable ASCII, cut short)
);
CREATE INDEX logins_user_id ON logins (user_id, created_at);

-- The families that existed before this table: their dates from their
-- tokens; where they came from is not known.
INSERT INTO logins (family, user_id, created_at)
SELECT family, min(user_id), min(created_at) FROM refresh_tokens GROUP BY family;

-- The sweep also takes tokens revoked a day ago (a revoked family never
-- comes back), not only expired ones.
CREATE INDEX refresh_tokens_revoked_at ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
