-- A counter of each account's credentials: every statement that changes its
-- password (set, reset) or its number (phone change) adds one (src/pg_store.c,
-- BUMP_IF_CHANGED); upgrading a hash of the same password does not. A session
-- that proved the phone of the account (a reset, a login by code, a phone
-- change) records it when it opens, and the statement that completes it runs
-- only while it is still the same: a password or number changed by another
-- way meanwhile voids the session.
ALTER TABLE users ADD COLUMN credentials_version bigint NOT NULL DEFAULT 0;
