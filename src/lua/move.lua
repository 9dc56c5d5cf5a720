-- The account of a phone-change session has moved from `old` to `new`, the
-- session's number (PostgreSQL says so already): the cached state of both
-- numbers goes, the account index follows (old '' when the move had been
-- made before: nothing to take out), the tries of the code are given back
-- and the session ends. The code was verified: it counts for its prefix's
-- conversion and among the codes verified, once (not for a session that
-- ended meanwhile: the first run counted it).
-- Returns { R.OK } or { R.WRONG_STEP, step } when it no longer waits for a code.
local client, sid, old, new = unpack(ARGV, OWN, OWN + 3)
give_back('ip', client, false)
give_back('ph', new, false)
redis.call('DEL', KEY.account(new))
account_add(new)
if old ~= '' then
  redis.call('DEL', KEY.account(old))
  account_remove(old)
end
local k = KEY.session(sid)
local st = redis.call('HGET', k, 'st')
if st ~= STEP.OTP then return { R.WRONG_STEP, st or '' } end
economics_verified(new)
count('codes_verified:' .. PURPOSE.CHANGE)
redis.call('DEL', k)
return { R.OK }
