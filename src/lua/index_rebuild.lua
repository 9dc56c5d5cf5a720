-- One step of rebuilding the account index (src/store_account_index.c), by the
-- holder of `token`: 'begin' takes the rebuild (nobody else may hold it),
-- 'add' puts the comma-separated numbers in, 'end' declares the index
-- whole, 'abandon' gives the rebuild up (PostgreSQL went away) so that the
-- next worker may take it at once. 'add', 'end' and 'abandon' do nothing unless `token` still holds the rebuild:
-- a Redis that restarted meanwhile lost it, and with it the numbers added
-- before, so that rebuild must not end.
-- Returns { R.OK, 1 } done, or { R.OK, 0 } not this rebuild's to do.
-- ARGV: step token numbers
-- REPLY OK: verdict done
local step, token, numbers = unpack(ARGV, OWN, OWN + 2)
local lock = KEY.accounts_rebuild()
local LEASE = 60000
if step == 'begin' then
  if redis.call('EXISTS', KEY.accounts_ready()) == 1 then return { R.OK, 0 } end
  return { R.OK, redis.call('SET', lock, token, 'NX', 'PX', LEASE) and 1 or 0 }
end
if redis.call('GET', lock) ~= token then return { R.OK, 0 } end
if step == 'abandon' then
  redis.call('DEL', lock)
  return { R.OK, 1 }
end
if step == 'add' then
  for phone in string.gmatch(numbers, '[^,]+') do account_add(phone) end
  redis.call('PEXPIRE', lock, LEASE)
  return { R.OK, 1 }
end
redis.call('SET', KEY.accounts_ready(), 1)
redis.call('DEL', lock)
return { R.OK, 1 }
