-- Passkeys (docs/api.md, "Passkeys"): the WebAuthn credentials an account
-- registered, each with what a login needs to verify it (its public key as
-- DER SubjectPublicKeyInfo, its COSE algorithm, the last signature counter
-- accepted) and what its owner sees (a name, when it was made and last
-- used). The credential id is the browser's, base64url without padding, and
-- is what the API calls the passkey's `id`. Rows go with their account;
-- nothing here names the number, so a phone change keeps them.
CREATE TABLE passkeys (
    credential_id  text        PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key     bytea       NOT NULL,
    alg            integer     NOT NULL,        -- -7 ES256, -8 EdDSA, -257 RS256
    sign_count     bigint      NOT NULL DEFAULT 0,
    aaguid         uuid        NOT NULL,
    transports     text[]      NOT NULL DEFAULT '{}',
    name           text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz
);
CREATE INDEX passkeys_user_id ON passkeys (user_id, created_at);

-- WebAuthn's user handle (user.id) of an account: 32 random bytes,
-- base64url, made when the account first asks to register a passkey. It
-- is neither the account's id nor its number, so an authenticator that
-- stores it learns nothing about either; a login's userHandle names the
-- account through it.
CREATE TABLE passkey_handles (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle   text   NOT NULL UNIQUE
);
