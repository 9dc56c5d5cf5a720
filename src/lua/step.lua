-- Loads a session for the step it must be waiting for, renewing it. With
-- take TAKE.TRY a try is taken (a password will be judged), with
-- TAKE.CODE_TRY a code try and a try (a code will be judged: the session's
-- codes that have not expired, the current one and the earlier one, and
-- its tries are the session's). An owner session (see open.lua) is not
-- stopped by a block of its number; its wrong codes count all the same.
-- Returns { R.OK, phone, step, purpose, user id, digest, earlier digest,
-- owner, login by code (each 0 or 1) }, { R.BLOCKED, ms }, { R.NO_SESSION },
-- { R.WRONG_STEP, step } or { R.CODE_VOID }.
local client, sid, expect, take_mode = unpack(ARGV, OWN, OWN + 3)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'uid', 'cd', 'ce', 'ct', 'pd', 'pe', 'ow', 'lc')
if not s[1] then return no_session(client) end
local ms = gate(client, not s[10] and s[1] or nil)
if ms then return { R.BLOCKED, ms } end
redis.call('PEXPIRE', k, SESSION_TTL)
if s[2] ~= expect then return { R.WRONG_STEP, s[2] } end
local current = s[5] and now < tonumber(s[6]) and s[5] or ''
local earlier = s[8] and now < tonumber(s[9]) and s[8] or ''
if take_mode == TAKE.CODE_TRY then
  if (current == '' and earlier == '') or tonumber(s[7] or '0') >= MAX_TRIES then
    return { R.CODE_VOID }
  end
  redis.call('HINCRBY', k, 'ct', 1)
end
if take_mode ~= TAKE.LOOK then take_both(client, s[1]) end
return { R.OK, s[1], s[2], s[3], s[4], current, earlier, s[10] and 1 or 0, s[11] and 1 or 0 }
