-- One step of a walk over the blocks in force, from `cursor` (SCAN's).
-- Returns { R.OK, next cursor, then kind, id, until (ms), ms left for each }.
-- ARGV: cursor
-- REPLY OK: verdict cursor, each: kind id until left
local cursor = ARGV[OWN]
local pattern = KEY.block_prefix():gsub('[%*%?%[%]\\]', '\\%0') .. '*'
local r = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
local out = { R.OK, r[1] }
local skip = #KEY.block_prefix()
for _, key in ipairs(r[2]) do
  local kind, id = string.match(string.sub(key, skip + 1), '^(%a+):(.+)$')
  local left = redis.call('PTTL', key)
  if kind and left > 0 then
    for _, v in ipairs({ kind, id, redis.call('GET', key) or '0', left }) do out[#out + 1] = v end
  end
end
return out
