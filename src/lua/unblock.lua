-- Lifts the block of a client ('ip') or a number ('ph') and forgets its
-- failures (and a client's count of sessions at the password step).
-- Returns { R.OK, keys removed }.
-- ARGV: kind id
-- REPLY OK: verdict removed
local kind, id = unpack(ARGV, OWN, OWN + 1)
local keys = { KEY.block(kind, id), KEY.failures(kind, id) }
if kind == 'ip' then keys[3] = KEY.login_sessions(id) end
return { R.OK, redis.call('DEL', unpack(keys)) }
