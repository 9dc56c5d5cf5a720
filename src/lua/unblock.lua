-- Lifts the block of a client ('ip') or a number ('ph') and forgets its
-- failures. Returns { R.OK, keys removed }.
local kind, id = unpack(ARGV, OWN, OWN + 1)
return { R.OK, redis.call('DEL', KEY.block(kind, id), KEY.failures(kind, id)) }
