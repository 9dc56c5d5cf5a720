-- Opens a session at a step, and with a code (a kind) sends one,
-- subject to the send limits. With owner '1' (password-reset, login by
-- code) a block of the number does not stop it: the owner of a number can
-- always prove the phone, and the right code lifts the block; a blocked
-- client is stopped all the same. by_code '1' marks a login by code.
-- Returns { R.OK }, { R.BLOCKED, ms } or { R.RATE_LIMITED, ms, why }.
local c = code_block(ARGV)
local client, phone, sid, step, purpose, uid, owner, by_code =
  unpack(ARGV, OWN + CODE_ARGS, OWN + CODE_ARGS + 7)
local ms = gate(client, owner ~= '1' and phone or nil)
if ms then return { R.BLOCKED, ms } end
local k = KEY.session(sid)
if c.kind ~= '' then
  local refused = send_code(k, client, phone, sid, purpose, c)
  if refused then return refused end
end
redis.call('HSET', k, 'ph', phone, 'st', step, 'pu', purpose, 'uid', uid, 'ct', 0)
if owner == '1' then redis.call('HSET', k, 'ow', 1) end
if by_code == '1' then redis.call('HSET', k, 'lc', 1) end
redis.call('PEXPIRE', k, SESSION_TTL)
return { R.OK }
