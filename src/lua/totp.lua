-- An account's TOTP state in Redis (C: redis_mfa.c), one operation a call,
-- `op`:
--   setup_put  a setup waits `ms` for its confirmation: `value`, the secret
--              sealed by C (never in the clear here); the steps an earlier
--              secret accepted are forgotten with it
--   setup_get  { R.OK, the sealed secret or '' }
--   setup_drop the setup is over
--   accept     a TOTP code of step `value` is accepted once per account:
--              { R.OK, '' }, remembered `ms`, or { R.CODE_VOID } when a code
--              of that step or a later one was (a replay, on any worker or
--              host: every one asks here)
-- ARGV: op uid value ms
-- REPLY OK: verdict value
local op, uid, value, ms = unpack(ARGV, OWN, OWN + 3)
if op == 'setup_put' then
  redis.call('SET', KEY.totp_setup(uid), value, 'PX', ms)
  redis.call('DEL', KEY.totp_last(uid))
  return { R.OK, '' }
elseif op == 'setup_get' then
  return { R.OK, redis.call('GET', KEY.totp_setup(uid)) or '' }
elseif op == 'setup_drop' then
  redis.call('DEL', KEY.totp_setup(uid))
  return { R.OK, '' }
elseif op == 'accept' then
  local k = KEY.totp_last(uid)
  local last = redis.call('GET', k)
  if last and tonumber(last) >= tonumber(value) then return { R.CODE_VOID } end
  redis.call('SET', k, value, 'PX', ms)
  return { R.OK, '' }
end
error('phoneauth: totp: no operation ' .. tostring(op))
