-- One step of a walk over the paused prefixes, from `cursor` (SCAN's).
-- Returns { R.OK, next cursor, then prefix, paused at (ms), ms left for each }.
-- ARGV: cursor
-- REPLY OK: verdict cursor, each: prefix since left
local cursor = ARGV[OWN]
local base = KEY.pause_prefix()
local r = redis.call('SCAN', cursor, 'MATCH', base:gsub('[%*%?%[%]\\]', '\\%0') .. '*',
  'COUNT', 1000)
local out = { R.OK, r[1] }
for _, key in ipairs(r[2]) do
  local left = redis.call('PTTL', key)
  if left > 0 then
    for _, v in ipairs({ string.sub(key, #base + 1), redis.call('GET', key) or '0', left }) do
      out[#out + 1] = v
    end
  end
end
return out
