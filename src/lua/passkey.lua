-- A passkey ceremony's challenge (C: redis_passkey.c), kept in a session of
-- its own: no number and no step of the sign-up flow (step.lua finds none
-- in it), alive SESSION_TTL and used once. One operation a call, `op`:
--   open  session sid keeps the challenge `value` (base64url), its
--         ceremony `purpose` ('register' or 'login') and account `uid`
--         (0 for a login); a blocked client gets { R.BLOCKED, ms }
--   take  the challenge, ceremony and account of session sid, which ends
--         in the same call: { R.OK, value, purpose, uid }; a blocked client
--         { R.BLOCKED, ms }; a session that is not there (never was, spent,
--         expired): { R.NO_SESSION }, which C counts as a failure
-- ARGV: op client sid purpose uid value
-- REPLY OK: verdict value purpose uid
local op, client, sid, purpose, uid, value = unpack(ARGV, OWN, OWN + 5)
local ms = gate(client, nil)
if ms then return { R.BLOCKED, ms } end
local k = KEY.session(sid)
if op == 'open' then
  redis.call('HSET', k, 'pk', purpose, 'ch', value, 'uid', uid)
  redis.call('PEXPIRE', k, SESSION_TTL)
  return { R.OK, '', purpose, uid }
elseif op == 'take' then
  local s = redis.call('HMGET', k, 'pk', 'ch', 'uid')
  if not s[1] or not s[2] then return { R.NO_SESSION } end
  redis.call('DEL', k)
  return { R.OK, s[2], s[1], s[3] or '0' }
end
error('phoneauth: passkey: no operation ' .. tostring(op))
