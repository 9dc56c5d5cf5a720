-- The device token of an answer with tokens for account `uid`, once the
-- change they stand for is made: `sent` (the hash of the token the request
-- sent, '' for none) when it names a live device of the account, its
-- lifetime renewed; else `made` (a fresh token's hash, '' for none) becomes
-- one. A voided token of the account that was sent is dropped. The account
-- keeps its DEVICES_PER_ACCOUNT most recently used devices.
-- Returns { R.OK, 1 } (sent is kept) or { R.OK, 0 }.
-- ARGV: uid sent made
-- REPLY OK: verdict kept
local uid, sent, made = unpack(ARGV, OWN, OWN + 2)
local list = KEY.devices(uid)
redis.call('ZREMRANGEBYSCORE', list, '-inf', now - DEVICE_TTL)
local h = device_of(sent, uid)
if not h and sent ~= '' and redis.call('HGET', KEY.device(sent), 'uid') == uid then
  redis.call('DEL', KEY.device(sent))
  redis.call('ZREM', list, sent)
end
if not h then
  if made == '' then return { R.OK, 0 } end
  h = made
  redis.call('HSET', KEY.device(h), 'uid', uid, 'f', 0)
end
redis.call('PEXPIRE', KEY.device(h), DEVICE_TTL)
redis.call('ZADD', list, now, h)
local extra = redis.call('ZCARD', list) - DEVICES_PER_ACCOUNT
if extra > 0 then
  local gone = redis.call('ZPOPMIN', list, extra)
  for i = 1, #gone, 2 do redis.call('DEL', KEY.device(gone[i])) end
end
redis.call('PEXPIRE', list, DEVICE_TTL)
return { R.OK, h == sent and 1 or 0 }
