-- An event output's lease (redis_events.c): one sender at a time delivers
-- to an output, so that it gets each event once and in order. Taken when
-- free, renewed by its holder, dropped by its holder (op 'drop'); another
-- holder's lease is never touched.
-- Returns { R.OK, held } (1: `holder` has it now).
-- ARGV: key holder ttl op
-- REPLY OK: verdict held
local key, holder, ttl, op = unpack(ARGV, OWN, OWN + 3)
local current = redis.call('GET', key)
if op == 'drop' then
  if current == holder then redis.call('DEL', key) end
  return { R.OK, 0 }
end
if current and current ~= holder then return { R.OK, 0 } end
redis.call('SET', key, holder, 'PX', tonumber(ttl))
return { R.OK, 1 }
