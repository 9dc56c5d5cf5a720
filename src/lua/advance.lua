-- Moves a session from one step to the next, or ends it (`to` ''), records
-- its account id, and gives back the tries its step took (`back`: one of
-- GIVE_BACK; a code verified counts for its prefix's conversion). With
-- changed '1' the step changed the account (or made it): the
-- state register.lua cached for the number is dropped, and the number is in
-- the account index.
-- Returns { R.OK } or { R.WRONG_STEP, step } when it no longer waits for `from`.
local client, sid, phone, uid, from, to, back, changed = unpack(ARGV, OWN, OWN + 7)
if back ~= GIVE_BACK.KEEP then
  give_back('ip', client, false)
  give_back('ph', phone, back == GIVE_BACK.CLEAR_NUMBER)
end
if changed == '1' then
  redis.call('DEL', KEY.account(phone))
  account_add(phone)
end
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'st', 'pu')
local st = s[1]
if st ~= from then return { R.WRONG_STEP, st or '' } end
if from == STEP.OTP and back ~= GIVE_BACK.KEEP then   -- a code was verified
  economics_verified(phone)
  count('codes_verified:' .. s[2])
end
if to == '' then
  redis.call('DEL', k)
else
  redis.call('HSET', k, 'st', to, 'uid', uid)
  redis.call('HDEL', k, 'cd', 'ce', 'ct', 'pd', 'pe')
  redis.call('PEXPIRE', k, SESSION_TTL)
end
return { R.OK }
