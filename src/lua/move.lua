-- The account of a phone-change session has moved from `old` to `new`, the
-- session's number (PostgreSQL says so already): the cached state of both
-- numbers goes, the account index follows (old '' when the move had been
-- made before: nothing to take out), the tries of the code are given back
-- and the session ends. The code was verified: it counts for its prefix's
-- conversion and among the codes verified, once (not for a session that
-- ended meanwhile: the first run counted it).
-- Returns { R.OK } or { R.WRONG_STEP, step } when it no longer waits for a code.
-- ARGV: client sid old new
-- REPLY OK: verdict
local client, sid, old, new = unpack(ARGV, OWN, OWN + 3)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'st', 'tn')
give_back('ip', client, false)
give_back('ph', new, false)
if s[2] then test_try_give_back(new) end
redis.call('DEL', KEY.account(new))
account_add(new)
if old ~= '' then
  redis.call('DEL', KEY.account(old))
  account_remove(old)
end
if s[1] ~= STEP.OTP then return { R.WRONG_STEP, s[1] or '' } end
economics_verified(new)
count('codes_verified:' .. PURPOSE.CHANGE)
redis.call('DEL', k)
return { R.OK }
