-- An outbox entry is finished: acknowledged, and counted under `how` in
-- OUTBOX_STATS. With an error it is a dead letter, first copied to
-- OUTBOX_DEAD with the error, its deliveries and the entry's own fields
-- (the pairs after `deliveries`).
-- Returns { R.OK, acknowledged (0 or 1) }.
local id, how, err, deliveries = unpack(ARGV, OWN, OWN + 3)
if err ~= '' then
  local fields = { 'error', err, 'attempts', deliveries, 'failed_at', math.floor(now / 1000),
    'original_id', id }
  for i = OWN + 4, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('XADD', OUTBOX_DEAD, 'MAXLEN', '~', OUTBOX_MAXLEN, '*', unpack(fields))
end
local acked = redis.call('XACK', OUTBOX, OUTBOX_GROUP, id)
if acked == 1 then redis.call('HINCRBY', OUTBOX_STATS, how, 1) end
return { R.OK, acked }
