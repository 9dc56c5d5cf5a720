-- Outbox entries are finished: acknowledged, and counted under `how` in
-- OUTBOX_STATS (the sender acknowledges what one read gave it in one call).
-- With an error (one entry) it is a dead letter, first copied to OUTBOX_DEAD
-- with the error, its deliveries and the entry's own fields (the pairs
-- after the ids).
-- Returns { R.OK, entries acknowledged }.
-- ARGV: how err deliveries n ids... fields...
-- REPLY OK: verdict acked
local how, err, deliveries, n = unpack(ARGV, OWN, OWN + 3)
n = tonumber(n)
local ids = { unpack(ARGV, OWN + 4, OWN + 3 + n) }
if err ~= '' then
  local fields = { 'error', err, 'attempts', deliveries, 'failed_at', math.floor(now / 1000),
    'original_id', ids[1] }
  for i = OWN + 4 + n, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('XADD', OUTBOX_DEAD, 'MAXLEN', '~', OUTBOX_MAXLEN, '*', unpack(fields))
end
local acked = redis.call('XACK', OUTBOX, OUTBOX_GROUP, unpack(ids))
if acked > 0 then redis.call('HINCRBY', OUTBOX_STATS, how, acked) end
return { R.OK, acked }
