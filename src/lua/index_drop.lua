-- The account index is no longer whole (accounts were added behind its back:
-- an import, SQL by hand): register asks PostgreSQL until it is rebuilt.
-- Returns { R.OK }.
-- ARGV:
-- REPLY OK: verdict
redis.call('DEL', KEY.accounts_ready())
return { R.OK }
