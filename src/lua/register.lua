-- register in one round trip for a number whose account state is cached.
-- The state "id|has_password|is_verified|is_banned" ("0|0|0|0": no account
-- yet; it is made when the number proves its phone) is cached under
-- <p>u:<phone> for a few minutes; every change phoneauth makes to those
-- columns deletes it (advance.lua, the ban command).
-- ARGV[5] ip, [6] phone, [7] session id, [8] session ttl (ms), [9] cache ttl
-- (ms), [10] state from PostgreSQL ('' = use the cache), [11] digest,
-- [12] code ttl (ms), [13] cooldown (ms), [14] per-number hourly cap,
-- [15] per-ip hourly cap, [16] code, [17] language, [18] outbox max length.
-- Returns {0, step} opened, {1, ms} blocked, {2, ms} code refused by a send
-- limit, {6} state not cached (ask PostgreSQL, then call again), {7} banned.
local ip, phone, sid = ARGV[5], ARGV[6], ARGV[7]
local ms = gate(ip, phone)
if ms then return { 1, ms } end
local ck = P .. 'u:' .. phone
local state = ARGV[10]
if state == '' then
  state = redis.call('GET', ck)
  if not state then return { 6 } end
else
  redis.call('SET', ck, state, 'PX', tonumber(ARGV[9]))
end
local id, pw, verified, banned = string.match(state, '^(%d+)|([01])|([01])|([01])$')
if not id then
  redis.call('DEL', ck)
  return { 6 }
end
if banned == '1' then return { 7 } end
local k = P .. 's:' .. sid
if pw == '1' then
  redis.call('HSET', k, 'ph', phone, 'st', 'password', 'pu', 'login', 'uid', id)
  redis.call('PEXPIRE', k, tonumber(ARGV[8]))
  return { 0, 'password' }
end
-- Only a number with a password skips the code.
ms = sms_wait(ip, phone, tonumber(ARGV[14]), tonumber(ARGV[15]))
if ms then return { 2, ms } end
local purpose = verified == '1' and 'login' or 'register'
sms_count(ip, phone, sid, tonumber(ARGV[13]))
outbox_add(phone, ARGV[16], purpose, ARGV[17], ARGV[18])
redis.call('HSET', k, 'ph', phone, 'st', 'otp', 'pu', purpose, 'uid', id,
  'cd', ARGV[11], 'ce', now + tonumber(ARGV[12]), 'ct', 0)
redis.call('PEXPIRE', k, tonumber(ARGV[8]))
return { 0, 'otp', purpose }
