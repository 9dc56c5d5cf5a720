-- Moves a session from one step to the next, or ends it; gives back the
-- tries its step took.
-- ARGV[5] ip, [6] session id, [7] phone, [8] from step, [9] to step ('' ends
-- the session), [10] give back: '0' nothing, '1' the tries, '2' the tries and
-- every failure of the number; [11] session ttl (ms); [12] '1' when the
-- step changed the account (the cached state of register.lua is dropped);
-- [13] the session's account id (a verified new number has one from now on).
-- Returns {0} or {4, step} when the session no longer waits for `from`.
local ip, sid, phone, from, to, back = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if back ~= '0' then
  give_back('ip', ip, false)
  give_back('ph', phone, back == '2')
end
if ARGV[12] == '1' then redis.call('DEL', P .. 'u:' .. phone) end
local k = P .. 's:' .. sid
local st = redis.call('HGET', k, 'st')
if st ~= from then return { 4, st or '' } end
if to == '' then
  redis.call('DEL', k)
else
  redis.call('HSET', k, 'st', to, 'uid', ARGV[13])
  redis.call('HDEL', k, 'cd', 'ce', 'ct')
  redis.call('PEXPIRE', k, tonumber(ARGV[11]))
end
return { 0 }
