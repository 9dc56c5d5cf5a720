-- Drops the account state register.lua cached for a number, after a change
-- made elsewhere (a ban, or an account found where the index had none), and
-- notes the number in the account index: it has an account. Returns { R.OK }.
-- ARGV: phone
-- REPLY OK: verdict
local phone = ARGV[OWN]
redis.call('DEL', KEY.account(phone))
account_add(phone)
return { R.OK }
