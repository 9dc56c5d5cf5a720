-- The top of the phoneauth function library (redis_library.c assembles it
-- and redis_store.c loads it with FUNCTION LOAD: this file, the other
-- libraries, then each script of src/lua/ as one function): the protocol
-- with the C side, the key layout and the clock. It runs once, when the
-- library is loaded; begin() runs at the start of every call. Everything
-- named here is named once; unit tests (tests/unit/test_redis_protocol.c,
-- test_redis_scripts.c) check that the C side agrees.

-- What a script answers, as its first element. C: enum rs_verdict.
local R = {
  OK = 0,
  BLOCKED = 1,        -- { R.BLOCKED, ms }: the client or the number is blocked
  RATE_LIMITED = 2,   -- { R.RATE_LIMITED, ms }: no code may be sent yet
  NO_SESSION = 3,     -- the session id names no session (a failure)
  WRONG_STEP = 4,     -- { R.WRONG_STEP, step }: the session waits for another step
  CODE_VOID = 5,      -- the session's code is expired or out of tries
  NOT_CACHED = 6,     -- register: the account state must come from PostgreSQL
  BANNED = 7,         -- register: the account is banned
}
-- The refusals' replies, whatever the script (C: redis_scripts.h).
-- REPLY BLOCKED: verdict ms why
-- REPLY RATE_LIMITED: verdict ms why
-- REPLY WRONG_STEP: verdict step

-- Steps and purposes, as stored in a session and named by the API. C: step.c.
local STEP = { OTP = 'otp', SET_PASSWORD = 'set_password', USER_INFO = 'user_info',
  PASSWORD = 'password', MFA = 'mfa' }
local PURPOSE = { REGISTER = 'register', LOGIN = 'login', RESET = 'reset', CHANGE = 'change' }
-- The purposes in the order of C's enum purpose: the order of the texts in
-- a code block (below).
local PURPOSES = { PURPOSE.REGISTER, PURPOSE.LOGIN, PURPOSE.RESET, PURPOSE.CHANGE }

-- What step.lua takes before a judgement, and what advance.lua gives back
-- after one. C: enum rs_take, enum rs_give_back.
local TAKE = { LOOK = '0', TRY = '1', CODE_TRY = '2' }
-- CLEAR_NUMBER: a success that forgets the failures of what its try was
-- taken from (the number, or the request's device); after a code (the
-- phone proved) the number's always.
local GIVE_BACK = { KEEP = '0', TRIES = '1', CLEAR_NUMBER = '2' }

-- The configuration every call passes first, as one argument: its values
-- joined by newlines (C: enum common_arg), parsed by configure(); then the
-- call's own arguments, from ARGV[OWN] on.
local P                    -- the key prefix
local MAX_FAILED           -- max_failed_attempts
local WINDOW, DURATION     -- block_window, block_duration (ms)
local SESSION_TTL          -- session_ttl (ms)
local CODE_TTL, COOLDOWN   -- otp_ttl, otp_cooldown (ms)
local MAX_PER_HOUR, MAX_PER_CLIENT_HOUR  -- otp_max_per_hour, otp_max_per_ip_hour
local MAX_TRIES            -- otp_max_tries
local CACHE_TTL            -- how long register trusts a cached account state (ms)
local OUTBOX, OUTBOX_DEAD, OUTBOX_STATS  -- the SMS outbox stream, its dead letters, its counts
local OUTBOX_MAXLEN        -- their approximate length cap
local OUTBOX_GROUP         -- the senders' consumer group
local PREFIX_DIGITS        -- sms_prefix_digits
local PREFIX_HOUR          -- sms_max_per_prefix_hour (0: off)
local BUDGET_HOUR, BUDGET_DAY           -- sms_max_per_hour, sms_max_per_day: sign-ups (0: off)
local MIN_CONVERSION       -- sms_min_conversion (0: off)
local CONVERSION_MIN_SENT  -- sms_conversion_min_sent
local CONVERSION_WINDOW    -- sms_conversion_window (ms)
local PAUSE                -- sms_pause (ms)
local LOGIN_SESSIONS_HOUR  -- login_sessions_per_ip_hour (0: off)
local SESSION_MAX_AGE      -- session_max_age (ms)
local DEVICE_TTL           -- device_ttl (ms)
local OWNER_PER_HOUR       -- otp_owner_max_per_hour
local OWNER_BUDGET_HOUR, OWNER_BUDGET_DAY  -- sms_owner_max_per_hour, _per_day (0: off)
local TEST_MAX_TRIES       -- test_number_max_tries
local OWN = 2
local CONFIG_FIELDS = 31

-- Time is Redis's own clock, so every worker on every host agrees on it.
local HOUR = 3600000
local DAY = 24 * HOUR
local now, time_reply

-- The time of the call in microseconds, as a string (only for members of
-- sorted sets that must be unique).
local function now_us()
  return time_reply[1] .. string.format('%06d', tonumber(time_reply[2]))
end

-- The code block the code-sending scripts take first, at ARGV[OWN]: digest,
-- code, language, kind ('' for no code; limits.lua's send_code says the
-- rest), then the SMS text for each purpose that may be needed ('' for the
-- others), in PURPOSES order. A script's own arguments follow it.
-- ARGV code_block: digest code lang kind text_register text_login text_reset text_change
local CODE_ARGS = 4 + #PURPOSES

local function code_block(ARGV)
  local c = { digest = ARGV[OWN], code = ARGV[OWN + 1], lang = ARGV[OWN + 2],
    kind = ARGV[OWN + 3], texts = {} }
  for i, purpose in ipairs(PURPOSES) do c.texts[purpose] = ARGV[OWN + 3 + i] end
  return c
end

local function configure(config)
  local f = {}
  for v in string.gmatch(config .. '\n', '([^\n]*)\n') do f[#f + 1] = v end
  if #f ~= CONFIG_FIELDS then error('phoneauth: a configuration of ' .. #f .. ' values') end
  P = f[1]
  MAX_FAILED = tonumber(f[2])
  WINDOW, DURATION = tonumber(f[3]), tonumber(f[4])
  SESSION_TTL = tonumber(f[5])
  CODE_TTL, COOLDOWN = tonumber(f[6]), tonumber(f[7])
  MAX_PER_HOUR, MAX_PER_CLIENT_HOUR = tonumber(f[8]), tonumber(f[9])
  MAX_TRIES = tonumber(f[10])
  CACHE_TTL = tonumber(f[11])
  OUTBOX, OUTBOX_DEAD, OUTBOX_STATS = f[12], f[13], f[14]
  OUTBOX_MAXLEN, OUTBOX_GROUP = f[15], f[16]
  PREFIX_DIGITS, PREFIX_HOUR = tonumber(f[17]), tonumber(f[18])
  BUDGET_HOUR, BUDGET_DAY = tonumber(f[19]), tonumber(f[20])
  MIN_CONVERSION, CONVERSION_MIN_SENT = tonumber(f[21]), tonumber(f[22])
  CONVERSION_WINDOW, PAUSE = tonumber(f[23]), tonumber(f[24])
  LOGIN_SESSIONS_HOUR = tonumber(f[25])
  SESSION_MAX_AGE, DEVICE_TTL = tonumber(f[26]), tonumber(f[27])
  OWNER_PER_HOUR = tonumber(f[28])
  OWNER_BUDGET_HOUR, OWNER_BUDGET_DAY = tonumber(f[29]), tonumber(f[30])
  TEST_MAX_TRIES = tonumber(f[31])
end

-- The configuration of the last call: Lua keeps one copy of equal strings,
-- so telling whether this call's is the same costs a pointer comparison,
-- and a pool's calls find theirs parsed (a call with another one, another
-- pool's, parses that).
local configured

local function begin(ARGV)
  if ARGV[1] ~= configured then
    configure(ARGV[1])
    configured = ARGV[1]
  end
  time_reply = redis.call('TIME')
  now = tonumber(time_reply[1]) * 1000 + math.floor(tonumber(time_reply[2]) / 1000)
end

-- Keys, built here and nowhere else (the outbox's come from C, above).
-- They are built from the number a session holds, which is why the scripts
-- need a whole Redis of their own, not a cluster.
local KEY = {
  -- hash: ph phone, st step, pu purpose, uid user id (0: no account yet),
  -- ex its end (ms: session_max_age after it opened; no renewal goes past),
  -- cd code digest, ce code expiry (ms), ct code tries, pd pe the code
  -- before (after a resend), gh 1 for a ghost (a reset or a login by code
  -- for a number without an account: judged like a code, nothing is sent,
  -- and its digest is of no code at all), lc 1 for a login by code (its
  -- right code answers tokens), ow 1 for an owner session (not stopped by
  -- its number's block), tn 1 for a test number's, cv the account's
  -- credentials version when it opened (C completes it only while
  -- unchanged), dv the device it was opened with (devices.lua); at the
  -- mfa step ct counts its wrong codes and np holds a reset's new password
  -- hash until the second factor is proved (mfa_session.lua)
  session = function(sid) return P .. 's:' .. sid end,
  -- failures (and tries being judged) within the window; kind 'ip' or 'ph'
  failures = function(kind, id) return P .. 'f:' .. kind .. ':' .. id end,
  -- blocked until (ms), expiring with the block
  block = function(kind, id) return P .. 'b:' .. kind .. ':' .. id end,
  block_prefix = function() return P .. 'b:' end,
  cooldown = function(phone) return P .. 'cd:' .. phone end,
  -- codes sent in the last hour (sorted sets): to a number (sign-ups, a
  -- phone change's new number), from a client; to an account's number
  -- from clients without its device, all of them and each client's
  sent_to_number = function(phone) return P .. 'oh:' .. phone end,
  sent_from_client = function(client) return P .. 'oi:' .. client end,
  sent_to_owner = function(phone) return P .. 'oo:' .. phone end,
  sent_to_owner_from = function(phone, client) return P .. 'op:' .. phone .. ':' .. client end,
  -- device tokens (devices.lua), by the hex SHA-256 of the token: a hash
  -- (uid, f failures), the codes it asked in the last hour (a sorted set),
  -- and each account's devices (a sorted set of hashes, by last use)
  device = function(h) return P .. 'dv:' .. h end,
  sent_for_device = function(h) return P .. 'dc:' .. h end,
  devices = function(uid) return P .. 'du:' .. uid end,
  -- a test number's codes judged today (a counter, gone at midnight UTC)
  test_tries = function(phone) return P .. 'tt:' .. phone end,
  -- sessions at the password step a client opened this hour (a counter)
  login_sessions = function(client) return P .. 'ls:' .. client end,
  -- "id|has_password|is_verified|is_banned", cached for register.lua
  account = function(phone) return P .. 'u:' .. phone end,
  -- SMS economics (economics.lua): counters of windows, "<base>:<window>"
  prefix_sent = function(prefix) return P .. 'sp:' .. prefix end,
  -- the budgets, sign-ups' ('sb') and owners' ('so'), spans 'h' and 'd'
  budget = function(whose, span) return P .. whose .. ':' .. span end,
  conversion_sent = function(prefix) return P .. 'cs:' .. prefix end,
  conversion_verified = function(prefix) return P .. 'cv:' .. prefix end,
  pause = function(prefix) return P .. 'pause:' .. prefix end,
  pause_prefix = function() return P .. 'pause:' end,
  -- counts the metrics read: a hash, "<name>:<label>" -> count
  counts = function() return P .. 'm' end,
  -- the index of numbers that have an account (accounts.lua): sets of the
  -- last five digits, one set per the digits before them
  accounts = function(bucket) return P .. 'a:' .. bucket end,
  accounts_ready = function() return P .. 'a:ready' end,    -- the index is whole
  accounts_rebuild = function() return P .. 'a:rebuild' end, -- whoever rebuilds it
  -- second factors (totp.lua): an account's TOTP setup waiting for its
  -- confirmation (the sealed secret), and the last TOTP step it accepted
  totp_setup = function(uid) return P .. 'ts:' .. uid end,
  totp_last = function(uid) return P .. 'tl:' .. uid end,
}

-- Puts a code in the outbox for the sender, with its rendered text.
local function outbox_add(phone, code, purpose, lang, text)
  redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*',
    'phone', phone, 'code', code, 'purpose', purpose,
    'created_at', math.floor(now / 1000), 'language', lang, 'text', text)
end

-- One more of something the metrics count ("sms_refused:budget_day").
local function count(what)
  redis.call('HINCRBY', KEY.counts(), what, 1)
end

-- Renews session k: SESSION_TTL from now, but never past `ends` (its ex;
-- nil for a session of an older version, which had none).
local function session_expire(k, ends)
  local ttl = SESSION_TTL
  if ends then ttl = math.min(ttl, tonumber(ends) - now) end
  redis.call('PEXPIRE', k, ttl < 1 and 1 or ttl)
end

-- The end (ms) of a session opened now: SESSION_MAX_AGE from now, whatever
-- renews it. Its opener stores it as ex and calls session_expire.
local function session_end()
  return now + SESSION_MAX_AGE
end
