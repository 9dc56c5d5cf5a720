-- Login with TOTP: each sign-in is two requests on one connection, a login
-- by number with the right password (answered next_step "mfa" and a
-- session) and verify-mfa with the account's TOTP code for that session.
-- Run it with one connection a thread (-t N -c N): a thread's requests and
-- answers then alternate, and the code reserved for a login is the one its
-- session gets.
--
-- The accounts are bench/load.py's totp-users: $TOTP_USERS of them, the
-- I-th numbered 0999 followed by I in seven digits, all with one secret
-- whose codes are in $CODES ("STEP CODE" a line, from bench/load.py
-- totp-codes). The service takes a code once per account and a step either
-- side of the current one, so each account gives a sign-in per step it has
-- not spent: thread N takes every $THREADS-th account from N and the
-- earliest step it may still use. A thread that finds none free (more
-- sign-ins than accounts × steps) sends a wrong code, which shows in the
-- run's non-2xx instead of hiding.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  codes = {}
  for line in io.lines(os.getenv("CODES")) do
    local step, code = line:match("^(%d+) (%d+)$")
    codes[tonumber(step)] = code
  end
  mine, spent, next_one = {}, {}, 1
  local every = tonumber(os.getenv("THREADS")) or 1
  -- the warm-up signs in with the second half of the accounts, the run
  -- with the first: a code the warm-up spent is not offered again
  local half = math.floor(tonumber(os.getenv("TOTP_USERS")) / 2)
  local first = os.getenv("WARMUP") and half or 0
  for i = first + id - 1, first + half - 1, every do
    mine[#mine + 1] = string.format("0999%07d", i)
    spent[#mine] = 0
  end
  password = os.getenv("PASSWORD")
  session, code = nil, nil
end

-- The next account with a step it has not spent, and that step's code.
local function reserve()
  local now = math.floor(os.time() / 30)
  for _ = 1, #mine do
    local i = next_one
    next_one = next_one % #mine + 1
    local step = math.max(now - 1, spent[i] + 1)
    if step <= now + 1 and codes[step] then
      spent[i] = step
      return mine[i], codes[step]
    end
  end
  return mine[1], "000000"
end

function request()
  if session then
    local body = '{"session_id":"' .. session .. '","code":"' .. code .. '"}'
    session = nil
    return wrk.format("POST", "/api/verify-mfa", { ["Content-Type"] = "application/json" }, body)
  end
  local phone
  phone, code = reserve()
  return wrk.format("POST", "/api/login", { ["Content-Type"] = "application/json" },
    '{"mobile_number":"' .. phone .. '","password":"' .. password .. '"}')
end

function response(status, headers, body)
  session = status == 200 and body:find('"next_step":"mfa"', 1, true) and
    body:match('"session_id":"([^"]+)"') or nil
end
