-- Second factors (docs/api.md, "Second factors"): an account's TOTP secret,
-- sealed (AES-256-GCM under data_key_file, bound to "totp:<user id>": see
-- src/seal.c), so that a dump of the database alone does not give it; and
-- its recovery codes, only as hashes (HMAC-SHA256 under a key derived from
-- the same data key: src/recovery.c), 64 hex digits each, each removed from
-- the array when it is used. A row is a TOTP that is on; the setup that
-- precedes it lives in Redis, as does the last step accepted (a replay is
-- refused on every worker and host). The row goes with its account.
CREATE TABLE user_mfa (
    user_id         bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret     text        NOT NULL,
    recovery_codes  text[]      NOT NULL DEFAULT '{}',
    enabled_at      timestamptz NOT NULL DEFAULT now()
);
