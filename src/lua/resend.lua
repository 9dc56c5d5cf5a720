-- A new code for a session waiting for one, subject to the send limits. A
-- ghost sends nothing and keeps its digest of no code.
-- Returns { R.OK, phone, purpose, ghost (0 or 1) }, { R.BLOCKED, ms },
-- { R.RATE_LIMITED, ms }, { R.NO_SESSION } or { R.WRONG_STEP, step }.
local digest, code, lang, client, sid = unpack(ARGV, OWN, OWN + 4)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'gh', 'cd')
if not s[1] then return no_session(client) end
local ms = gate(client, s[1])
if ms then return { R.BLOCKED, ms } end
redis.call('PEXPIRE', k, SESSION_TTL)
if s[2] ~= STEP.OTP then return { R.WRONG_STEP, s[2] } end
if s[4] then digest, code = s[5] or digest, '' end
local refused = send_code(k, client, s[1], sid, s[3], digest, code, lang)
if refused then return refused end
return { R.OK, s[1], s[3], s[4] and 1 or 0 }
