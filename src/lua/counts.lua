-- The counts the scripts keep for the metrics. Returns { R.OK, name, n, ... }.
-- ARGV:
-- REPLY OK: verdict, each: name n
local out = { R.OK }
for _, v in ipairs(redis.call('HGETALL', KEY.counts())) do out[#out + 1] = v end
return out
