-- Second factors (C: redis_mfa.c), one operation a call: `op`, then its
-- arguments.
--   setup_put uid sealed ms  a TOTP setup waits for its confirmation (the
--                            secret sealed by C); the steps an earlier
--                            secret accepted are forgotten with it
--   setup_get uid            { R.OK, sealed or '' }
--   setup_drop uid
--   accept uid step ms       a TOTP code of `step` is accepted once per
--                            account: { R.OK }, or { R.CODE_VOID } when a
--                            code of that step or a later one was (a replay,
--                            on any worker or host); remembered `ms`
--   hold sid encoded         a reset's new password waits for the factor
--                            (held before the session moves to mfa)
--   held sid                 { R.OK, encoded or '' }
--   miss sid                 a wrong code at the mfa step: { R.OK, 1 } when
--                            it was the session's last try (it is gone),
--                            else { R.OK, 0 }
local op, a1, a2, a3 = unpack(ARGV, OWN, OWN + 3)
if op == 'setup_put' then
  redis.call('SET', KEY.totp_setup(a1), a2, 'PX', a3)
  redis.call('DEL', KEY.totp_last(a1))
  return { R.OK }
elseif op == 'setup_get' then
  return { R.OK, redis.call('GET', KEY.totp_setup(a1)) or '' }
elseif op == 'setup_drop' then
  redis.call('DEL', KEY.totp_setup(a1))
  return { R.OK }
elseif op == 'accept' then
  local k = KEY.totp_last(a1)
  local last = redis.call('GET', k)
  if last and tonumber(last) >= tonumber(a2) then return { R.CODE_VOID } end
  redis.call('SET', k, a2, 'PX', a3)
  return { R.OK }
elseif op == 'hold' then
  local k = KEY.session(a1)
  local st = redis.call('HGET', k, 'st')
  if st ~= STEP.SET_PASSWORD and st ~= STEP.MFA then return { R.NO_SESSION } end
  redis.call('HSET', k, 'np', a2)
  return { R.OK }
elseif op == 'held' then
  return { R.OK, redis.call('HGET', KEY.session(a1), 'np') or '' }
elseif op == 'miss' then
  local k = KEY.session(a1)
  if redis.call('HGET', k, 'st') ~= STEP.MFA then return { R.OK, 1 } end
  if redis.call('HINCRBY', k, 'ct', 1) >= MAX_TRIES then
    redis.call('DEL', k)
    return { R.OK, 1 }
  end
  return { R.OK, 0 }
end
error('phoneauth: mfa: no operation ' .. tostring(op))
