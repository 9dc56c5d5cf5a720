-- Sends a new code for a session waiting for one; the old code is void.
-- ARGV[5] ip, [6] session id, [7] session ttl (ms), [8] digest, [9] code ttl
-- (ms), [10] cooldown (ms), [11] per-number hourly cap, [12] per-ip hourly
-- cap, [13] code, [14] language, [15] outbox max length.
-- Returns {0, phone, purpose, ghost}, {1, ms} blocked, {2, ms} send limit,
-- {3} no such session (a failure), {4, step} waiting for another step.
local ip, sid = ARGV[5], ARGV[6]
local k = P .. 's:' .. sid
local s = redis.call('HMGET', k, 'ph', 'st', 'pu', 'gh')
if not s[1] then return no_session(ip) end
local ms = gate(ip, s[1])
if ms then return { 1, ms } end
redis.call('PEXPIRE', k, tonumber(ARGV[7]))
if s[2] ~= 'otp' then return { 4, s[2] } end
ms = sms_wait(ip, s[1], tonumber(ARGV[11]), tonumber(ARGV[12]))
if ms then return { 2, ms } end
sms_count(ip, s[1], sid, tonumber(ARGV[10]))
if s[4] then
  -- a ghost: nothing to send, and it keeps its digest of no code
  redis.call('HSET', k, 'ce', now + tonumber(ARGV[9]), 'ct', 0)
  return { 0, s[1], s[3], 1 }
end
outbox_add(s[1], ARGV[13], s[3], ARGV[14], ARGV[15])
redis.call('HSET', k, 'cd', ARGV[8], 'ce', now + tonumber(ARGV[9]), 'ct', 0)
return { 0, s[1], s[3], 0 }
