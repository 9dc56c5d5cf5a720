-- What a session waiting for the second factor keeps beyond its step (C:
-- redis_mfa.c), one operation a call, `op`:
--   hold  a reset's new password hash (`value`) waits for verify-mfa; held
--         before the session moves on to mfa, so it is held at set_password
--         or mfa only ({ R.NO_SESSION } otherwise)
--   held  { R.OK, the hash or '' }
--   miss  a wrong code at the mfa step: { R.OK, 1 } when it spent the
--         session's last try (MAX_TRIES, otp_max_tries: the session is gone)
--         or the session waits no more, else { R.OK, 0 }
-- ARGV: op sid value
-- REPLY OK: verdict value
local op, sid, value = unpack(ARGV, OWN, OWN + 2)
local k = KEY.session(sid)
if op == 'hold' then
  local st = redis.call('HGET', k, 'st')
  if st ~= STEP.SET_PASSWORD and st ~= STEP.MFA then return { R.NO_SESSION } end
  redis.call('HSET', k, 'np', value)
  return { R.OK, '' }
elseif op == 'held' then
  return { R.OK, redis.call('HGET', k, 'np') or '' }
elseif op == 'miss' then
  if redis.call('HGET', k, 'st') ~= STEP.MFA then return { R.OK, 1 } end
  if redis.call('HINCRBY', k, 'ct', 1) >= MAX_TRIES then
    redis.call('DEL', k)
    return { R.OK, 1 }
  end
  return { R.OK, 0 }
end
error('phoneauth: mfa_session: no operation ' .. tostring(op))
