-- Moves a session from one step to the next, or ends it (`to` ''), records
-- its account id, and gives back the tries its step took (`back`: one of
-- GIVE_BACK) against the client and the number, or the device `dev` (its
-- hash; step.lua said the tries were its); a code verified counts for its
-- prefix's conversion (and a test number's gives back its day's try). With
-- changed '1' the step changed the account (or made it): the state
-- register.lua cached for the number is dropped, and the number is in the
-- account index. A session moved on is renewed, never past its end.
-- Returns { R.OK } or { R.WRONG_STEP, step } when it no longer waits for `from`.
-- ARGV: client sid phone uid from to back changed dev
-- REPLY OK: verdict
local client, sid, phone, uid, from, to, back, changed, dev = unpack(ARGV, OWN, OWN + 8)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'st', 'pu', 'tn', 'ex')
local verified = from == STEP.OTP and back ~= GIVE_BACK.KEEP   -- a code was right
if back ~= GIVE_BACK.KEEP then
  local clear = back == GIVE_BACK.CLEAR_NUMBER
  give_back('ip', client, false)
  if dev ~= '' then device_give_back(dev, clear) end
  -- a right code proved the phone: the number's failures go, whatever
  -- the try was taken from
  if dev == '' or (clear and verified) then give_back('ph', phone, clear) end
end
if verified and s[3] then test_try_give_back(phone) end
if changed == '1' then
  redis.call('DEL', KEY.account(phone))
  account_add(phone)
end
local st = s[1]
if st ~= from then return { R.WRONG_STEP, st or '' } end
if verified then
  economics_verified(phone)
  count('codes_verified:' .. s[2])
end
if to == '' then
  redis.call('DEL', k)
else
  redis.call('HSET', k, 'st', to, 'uid', uid)
  redis.call('HDEL', k, 'cd', 'ce', 'ct', 'pd', 'pe')
  session_expire(k, s[4])
end
return { R.OK }
