-- Opens a session at a step, and with a code (digest not '') sends one,
-- subject to the send limits; by_code '1' marks a login by code.
-- Returns { R.OK }, { R.BLOCKED, ms } or { R.RATE_LIMITED, ms }.
local digest, code, lang, client, phone, sid, step, purpose, uid, by_code = unpack(ARGV, OWN, OWN + 9)
local ms = gate(client, phone)
if ms then return { R.BLOCKED, ms } end
local k = KEY.session(sid)
if digest ~= '' then
  local refused = send_code(k, client, phone, sid, purpose, digest, code, lang)
  if refused then return refused end
end
redis.call('HSET', k, 'ph', phone, 'st', step, 'pu', purpose, 'uid', uid)
if by_code == '1' then redis.call('HSET', k, 'lc', 1) end
redis.call('PEXPIRE', k, SESSION_TTL)
return { R.OK }
