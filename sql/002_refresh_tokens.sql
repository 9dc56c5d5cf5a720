-- Refresh tokens, one row per token issued. A login starts a family (its
-- first token's jti); every rotation spends a token and adds the next one to
-- the family. Presenting a spent token again revokes the whole family: the
-- legitimate client and a thief cannot both keep using one login.
CREATE TABLE refresh_tokens (
    jti         text        PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family      text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    spent_at    timestamptz,            -- rotated: exchanged for a new pair
    revoked_at  timestamptz             -- logout, reuse, password reset, ban
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_live ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
