-- An account was deleted: the state register.lua cached for its number goes,
-- and the number leaves the account index, so that it can sign up afresh.
-- Returns { R.OK }.
-- ARGV: phone
-- REPLY OK: verdict
local phone = ARGV[OWN]
redis.call('DEL', KEY.account(phone))
account_remove(phone)
return { R.OK }
