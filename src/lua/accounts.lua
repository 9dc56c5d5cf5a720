-- The index of the numbers that have an account (prepended to every script
-- after limits.lua; src/store_account_index.c builds it). It lets register tell a
-- number without an account in the same round trip that opens its session,
-- instead of asking PostgreSQL: sign-ups cost one round trip, like logins.
-- It is only trusted when whole (KEY.accounts_ready, set by a rebuild that
-- ran from start to end against this very Redis); a Redis that restarted
-- has none, and register asks PostgreSQL until a worker has rebuilt it.
-- A number is kept as the set <p>a:<its digits but the last five> holding
-- the last five as an integer, which Redis stores in 4 bytes (intset).

local function account_slot(phone)
  local digits = string.gsub(phone, '^%+', '')
  return KEY.accounts(string.sub(digits, 1, -6)), tostring(tonumber(string.sub(digits, -5)))
end

-- true: the number has an account; false: it has none; nil: the index is
-- not whole, ask PostgreSQL.
local function account_known(phone)
  if redis.call('EXISTS', KEY.accounts_ready()) == 0 then return nil end
  local k, m = account_slot(phone)
  return redis.call('SISMEMBER', k, m) == 1
end

local function account_add(phone)
  local k, m = account_slot(phone)
  redis.call('SADD', k, m)
end

-- The number has no account any more (deleted, or moved to another number).
local function account_remove(phone)
  local k, m = account_slot(phone)
  redis.call('SREM', k, m)
end
