-- Drops the account state register.lua cached for a number (after a change
-- made elsewhere: a ban). Returns { R.OK }.
local phone = ARGV[OWN]
redis.call('DEL', KEY.account(phone))
return { R.OK }
