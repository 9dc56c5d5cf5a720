-- register with the numbers of the loaded accounts (bench/load.py's
-- account_number: keep the two in step), each number once, from $FIRST on
-- (the ones before have a live session and a cached state already), so
-- that every request misses the account cache and asks PostgreSQL, among
-- $USERS rows. The warm-up ($WARMUP set) takes them from the top down, so
-- the measured run after it finds them cold too.
local PREFIXES = { "01", "02", "03", "05", "11", "13", "14", "15", "16", "19", "20", "21",
  "22", "30", "33", "35", "36", "37", "38", "39", "90", "91", "92", "93" }
local STRIDE = 7919
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  first = tonumber(os.getenv("FIRST")) or 0
  users = tonumber(os.getenv("USERS")) or 1
  nthreads = tonumber(os.getenv("THREADS")) or 1
  -- each thread its own numbers: id, id + threads, id + 2 threads, ...
  down = os.getenv("WARMUP") ~= nil
  i = down and users - id + nthreads or first + id - 1 - nthreads
end

local function number(n)
  local q = math.floor(n / #PREFIXES)
  return string.format("09%s%07d", PREFIXES[n % #PREFIXES + 1], (q * STRIDE) % 10000000)
end

function request()
  i = down and i - nthreads or i + nthreads
  if i >= users or i < first then i = first + id - 1 end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"mobile_number":"' .. number(i) .. '"}')
end
