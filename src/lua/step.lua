-- Loads a session for the step it must be waiting for, and renews it: not
-- when it waits for another step (a request for the wrong step neither
-- consumes nor renews it), and never past its end (session_max_age after it
-- opened). With take TAKE.TRY a try is taken (a password will be judged),
-- with TAKE.CODE_TRY a code try and a try (a code will be judged: the
-- session's codes that have not expired, the current one and the earlier
-- one, and its tries are the session's). An owner session (see open.lua)
-- is not stopped by a block of its number, nor is a request with a live
-- device token (`dev`, its hash) of the session's account, whose tries
-- count against the device instead (not for a phone change: the session's
-- number is not the account's yet). A test number's session is stopped by
-- its number's block whatever, and once its number's TEST_MAX_TRIES codes
-- of the day were judged, none of its codes is judged (none fits).
-- Returns { R.OK, phone, step, purpose, user id, digest, earlier digest,
-- owner, login by code, on device (each 0 or 1), credentials version },
-- { R.BLOCKED, ms }, { R.NO_SESSION }, { R.WRONG_STEP, step } or { R.CODE_VOID }.
-- ARGV: client sid expect take_mode dev
-- REPLY OK: verdict phone step purpose uid digest earlier owner by_code on_device cv
local client, sid, expect, take_mode, dev = unpack(ARGV, OWN, OWN + 4)
local k = KEY.session(sid)
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'uid', 'cd', 'ce', 'ct', 'pd', 'pe', 'ow', 'lc',
  'tn', 'ex', 'cv')
if not s[1] then return no_session(client) end
local test = s[12]
local dh = not test and s[3] ~= PURPOSE.CHANGE and device_of(dev, s[4]) or nil
local ms = gate(client, (test or not (s[10] or dh)) and s[1] or nil)
if ms then return { R.BLOCKED, ms } end
if s[2] ~= expect then return { R.WRONG_STEP, s[2] } end
session_expire(k, s[13])
local current = s[5] and now < tonumber(s[6]) and s[5] or ''
local earlier = s[8] and now < tonumber(s[9]) and s[8] or ''
if take_mode == TAKE.CODE_TRY then
  if (current == '' and earlier == '') or tonumber(s[7] or '0') >= MAX_TRIES then
    return { R.CODE_VOID }
  end
  redis.call('HINCRBY', k, 'ct', 1)
  if test and not test_try(s[1]) then current, earlier = '', '' end
end
if take_mode ~= TAKE.LOOK then take_both(client, s[1], dh) end
return { R.OK, s[1], s[2], s[3], s[4], current, earlier, s[10] and 1 or 0, s[11] and 1 or 0,
  dh and 1 or 0, s[14] or '0' }
