-- An outbox entry is finished: acknowledged and counted. With a dead
-- letter, it is first copied to <p>sms:dead with the error.
-- ARGV[5] entry id, [6] outcome: 'delivered', 'expired' or 'dead';
-- dead only: [7] error, [8] deliveries, then the entry's field/value pairs.
local stream, id, how = P .. 'sms', ARGV[5], ARGV[6]
if how == 'dead' then
  local fields = { 'error', ARGV[7], 'attempts', ARGV[8], 'failed_at', math.floor(now / 1000),
    'original_id', id }
  for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('XADD', stream .. ':dead', 'MAXLEN', '~', 100000, '*', unpack(fields))
end
local acked = redis.call('XACK', stream, 'senders', id)
if acked == 1 then redis.call('HINCRBY', stream .. ':stats', how, 1) end
return { 0, acked }
