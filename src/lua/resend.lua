-- A new code for a session waiting for one, subject to the send limits; the
-- earlier code stays good until its own expiry, and the tries are the
-- session's, not the code's. A ghost sends nothing and keeps its digest of
-- no code; a test number's session keeps its fixed code. An owner session
-- (see open.lua) is not stopped by a block of its number, nor is one opened
-- with a device token that is still live, whose caps its codes count
-- against; a test number's session is. Like step.lua, it renews only a
-- session waiting for a code, and never past its end.
-- Returns { R.OK, phone, purpose, ghost (0 or 1) }, { R.BLOCKED, ms },
-- { R.RATE_LIMITED, ms, why }, { R.NO_SESSION } or { R.WRONG_STEP, step }.
-- ARGV: code_block client sid
-- REPLY OK: verdict phone purpose ghost
local c = code_block(ARGV)
local client, sid = unpack(ARGV, OWN + CODE_ARGS, OWN + CODE_ARGS + 1)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'gh', 'cd', 'ow', 'tn', 'uid', 'dv', 'ex')
if not s[1] then return no_session(client) end
local dh = not s[7] and device_of(s[9], s[8]) or nil
local ms = gate(client, (s[7] or not (s[6] or dh)) and s[1] or nil)
if ms then return { R.BLOCKED, ms } end
if s[2] ~= STEP.OTP then return { R.WRONG_STEP, s[2] } end
session_expire(k, s[10])
-- a ghost, and a test number's session, keep the code they have
if s[4] then c.digest, c.code, c.kind = s[5] or c.digest, '', 'ghost' end
if s[7] then c.digest, c.code, c.kind = s[5] or c.digest, '', 'test' end
local refused = send_code(k, client, s[1], sid, s[3], c, true, dh)
if refused then return refused end
return { R.OK, s[1], s[3], s[4] and 1 or 0 }
