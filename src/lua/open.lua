-- Opens a session at a step, and with a code (a kind) sends one,
-- subject to the send limits. With owner '1' (password-reset, login by
-- code) a block of the number does not stop it: the owner of a number can
-- always prove the phone, and the right code lifts the block; a blocked
-- client is stopped all the same. Nor does it stop a request with a live
-- device token (`dev`, its hash) of account `uid` (devices.lua), whose caps
-- its codes count against (not a phone change's: its number is not the
-- account's yet). A test number's code is stopped by its number's block
-- whatever. by_code '1' marks a login by code; `cv` is the account's
-- credentials version, which completes an owner session only while it is
-- unchanged (C's business: the session keeps it).
-- Returns { R.OK }, { R.BLOCKED, ms } or { R.RATE_LIMITED, ms, why }.
-- ARGV: code_block client phone sid step purpose uid owner by_code dev cv
-- REPLY OK: verdict
local c = code_block(ARGV)
local client, phone, sid, step, purpose, uid, owner, by_code, dev, cv =
  unpack(ARGV, OWN + CODE_ARGS, OWN + CODE_ARGS + 9)
local test = c.kind == 'test'
local dh = not test and purpose ~= PURPOSE.CHANGE and device_of(dev, uid) or nil
local ms = gate(client, (test or not (owner == '1' or dh)) and phone or nil)
if ms then return { R.BLOCKED, ms } end
local k = KEY.session(sid)
if c.kind ~= '' then
  local refused = send_code(k, client, phone, sid, purpose, c, false, dh)
  if refused then return refused end
end
local ends = session_end()
redis.call('HSET', k, 'ph', phone, 'st', step, 'pu', purpose, 'uid', uid, 'ct', 0, 'cv', cv,
  'ex', ends)
if owner == '1' then redis.call('HSET', k, 'ow', 1) end
if by_code == '1' then redis.call('HSET', k, 'lc', 1) end
if dh then redis.call('HSET', k, 'dv', dh) end
session_expire(k, ends)
return { R.OK }
