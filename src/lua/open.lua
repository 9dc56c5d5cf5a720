-- Opens a session, and with a code sends one.
-- ARGV[5] ip, [6] phone, [7] session id, [8] step, [9] purpose, [10] user id,
-- [11] session ttl (ms); with a code: [12] digest, [13] code ttl (ms),
-- [14] cooldown (ms), [15] per-number hourly cap, [16] per-ip hourly cap,
-- [17] code ('' for a ghost: nothing is sent), [18] language, [19] outbox
-- max length.
-- Returns {0} opened, {1, ms} blocked, {2, ms} code refused by a send limit.
local ip, phone, sid = ARGV[5], ARGV[6], ARGV[7]
local ms = gate(ip, phone)
if ms then return { 1, ms } end
local k = P .. 's:' .. sid
if ARGV[12] then
  ms = sms_wait(ip, phone, tonumber(ARGV[15]), tonumber(ARGV[16]))
  if ms then return { 2, ms } end
  sms_count(ip, phone, sid, tonumber(ARGV[14]))
  if ARGV[17] == '' then
    redis.call('HSET', k, 'gh', 1)
  else
    outbox_add(phone, ARGV[17], ARGV[9], ARGV[18], ARGV[19])
  end
  redis.call('HSET', k, 'cd', ARGV[12], 'ce', now + tonumber(ARGV[13]), 'ct', 0)
end
redis.call('HSET', k, 'ph', phone, 'st', ARGV[8], 'pu', ARGV[9], 'uid', ARGV[10])
redis.call('PEXPIRE', k, tonumber(ARGV[11]))
return { 0 }
