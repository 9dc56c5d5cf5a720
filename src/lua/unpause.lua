-- Lifts the pause of a prefix and forgets its conversion counts (the
-- breaker would trip again at once on the same figures).
-- Returns { R.OK, 1 } when it was paused, { R.OK, 0 } when not.
-- ARGV: prefix
-- REPLY OK: verdict was
local prefix = ARGV[OWN]
local was = redis.call('DEL', KEY.pause(prefix))
local w = math.floor(now / CONVERSION_WINDOW)
for _, base in ipairs({ KEY.conversion_sent(prefix), KEY.conversion_verified(prefix) }) do
  redis.call('DEL', base .. ':' .. w, base .. ':' .. (w - 1))
end
return { R.OK, was }
