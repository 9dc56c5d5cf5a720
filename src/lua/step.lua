-- Loads a session for the step it must be waiting for, renewing it. With
-- take TAKE.TRY a try is taken (a password will be judged), with
-- TAKE.CODE_TRY a code try and a try (a code will be judged).
-- Returns { R.OK, phone, step, purpose, user id, digest, login by code (0 or 1) },
-- { R.BLOCKED, ms }, { R.NO_SESSION }, { R.WRONG_STEP, step } or { R.CODE_VOID }.
local client, sid, expect, take_mode = unpack(ARGV, OWN, OWN + 3)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'uid', 'cd', 'ce', 'ct', 'lc')
if not s[1] then return no_session(client) end
local ms = gate(client, s[1])
if ms then return { R.BLOCKED, ms } end
redis.call('PEXPIRE', k, SESSION_TTL)
if s[2] ~= expect then return { R.WRONG_STEP, s[2] } end
if take_mode == TAKE.CODE_TRY then
  if not s[5] or now >= tonumber(s[6]) or tonumber(s[7]) >= MAX_TRIES then
    return { R.CODE_VOID }
  end
  redis.call('HINCRBY', k, 'ct', 1)
end
if take_mode ~= TAKE.LOOK then take_both(client, s[1]) end
return { R.OK, s[1], s[2], s[3], s[4], s[5] or '', s[8] and 1 or 0 }
