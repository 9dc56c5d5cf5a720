-- Loads a session for the step it must be waiting for, renewing it.
-- ARGV[5] ip, [6] session id, [7] expected step, [8] mode: '0' only look,
-- '1' take a try (a password will be judged), '2' take a code try and a try;
-- [9] session ttl (ms), [10] otp_max_tries.
-- Returns {0, phone, step, purpose, user id, digest}, {1, ms} blocked,
-- {3} no such session (a failure), {4, step} waiting for another step,
-- {5} the code is expired or used up.
local ip, sid, expect, mode = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local k = P .. 's:' .. sid
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'uid', 'cd', 'ce', 'ct')
if not s[1] then return no_session(ip) end
local ms = gate(ip, s[1])
if ms then return { 1, ms } end
redis.call('PEXPIRE', k, tonumber(ARGV[9]))
if s[2] ~= expect then return { 4, s[2] } end
if mode == '2' then
  if not s[5] or now >= tonumber(s[6]) or tonumber(s[7]) >= tonumber(ARGV[10]) then
    return { 5 }
  end
  redis.call('HINCRBY', k, 'ct', 1)
end
if mode ~= '0' then
  take('ip', ip)
  take('ph', s[1])
end
return { 0, s[1], s[2], s[3], s[4], s[5] or '' }
