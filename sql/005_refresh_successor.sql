-- What a refresh token was rotated into: the successor's jti, iat and exp,
-- which are all its claims but user_id and token_type (the row has the one,
-- the other is "refresh"). Presented again within refresh_grace, a spent
-- token gets that same token, signed again, instead of a fresh one: a
-- replay can never fork a login into live branches, and a second tab ends
-- up on the first one's branch. Written by the rotation that spends the
-- token, in the same statement; NULL for a token not spent (or spent before
-- this migration).
ALTER TABLE refresh_tokens
    ADD COLUMN successor     text,
    ADD COLUMN successor_iat bigint,
    ADD COLUMN successor_exp bigint;
