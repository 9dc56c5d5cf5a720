-- Shared by every phoneauth script (prepended to each, with limits.lua, when
-- it is loaded): the protocol with redis_store.c, the key layout and the
-- clock. Everything named here is named once; a unit test
-- (tests/unit/test_redis_protocol.c) checks that the C side agrees.

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

-- Steps and purposes, as stored in a session and named by the API. C: step.c.
local STEP = { OTP = 'otp', SET_PASSWORD = 'set_password', USER_INFO = 'user_info',
  PASSWORD = 'password' }
local PURPOSE = { REGISTER = 'register', LOGIN = 'login', RESET = 'reset' }

-- What step.lua takes before a judgement, and what advance.lua gives back
-- after one. C: enum rs_take, enum rs_give_back.
local TAKE = { LOOK = '0', TRY = '1', CODE_TRY = '2' }
local GIVE_BACK = { KEEP = '0', TRIES = '1', CLEAR_NUMBER = '2' }

-- The configuration every call passes first (C: enum common_arg), then the
-- script's own arguments from ARGV[OWN] on.
local P = ARGV[1]                       -- the key prefix
local MAX_FAILED = tonumber(ARGV[2])    -- max_failed_attempts
local WINDOW = tonumber(ARGV[3])        -- block_window (ms)
local DURATION = tonumber(ARGV[4])      -- block_duration (ms)
local SESSION_TTL = tonumber(ARGV[5])   -- session_ttl (ms)
local CODE_TTL = tonumber(ARGV[6])      -- otp_ttl (ms)
local COOLDOWN = tonumber(ARGV[7])      -- otp_cooldown (ms)
local MAX_PER_HOUR = tonumber(ARGV[8])  -- otp_max_per_hour
local MAX_PER_CLIENT_HOUR = tonumber(ARGV[9]) -- otp_max_per_ip_hour
local MAX_TRIES = tonumber(ARGV[10])    -- otp_max_tries
local CACHE_TTL = tonumber(ARGV[11])    -- how long register trusts a cached account state (ms)
local OUTBOX = ARGV[12]                 -- the SMS outbox stream
local OUTBOX_DEAD = ARGV[13]            -- its dead letters
local OUTBOX_STATS = ARGV[14]           -- its counts (hash)
local OUTBOX_MAXLEN = ARGV[15]          -- its approximate length cap
local OUTBOX_GROUP = ARGV[16]           -- the senders' consumer group
local OWN = 17

-- Keys, built here and nowhere else (the outbox's come from C, above).
-- They are built from the number a session holds, which is why the scripts
-- need a whole Redis of their own, not a cluster.
local KEY = {
  -- hash: ph phone, st step, pu purpose, uid user id (0: no account yet),
  -- cd code digest, ce code expiry (ms), ct code tries, gh 1 for a ghost
  -- (a reset for a number without an account: judged like a code, nothing
  -- is sent, and its digest is of no code at all)
  session = function(sid) return P .. 's:' .. sid end,
  -- failures (and tries being judged) within the window; kind 'ip' or 'ph'
  failures = function(kind, id) return P .. 'f:' .. kind .. ':' .. id end,
  -- blocked until (ms), expiring with the block
  block = function(kind, id) return P .. 'b:' .. kind .. ':' .. id end,
  block_prefix = P .. 'b:',
  cooldown = function(phone) return P .. 'cd:' .. phone end,
  -- codes sent in the last hour (sorted sets)
  sent_to_number = function(phone) return P .. 'oh:' .. phone end,
  sent_from_client = function(client) return P .. 'oi:' .. client end,
  -- "id|has_password|is_verified|is_banned", cached for register.lua
  account = function(phone) return P .. 'u:' .. phone end,
}

-- Time is Redis's own clock, so every worker on every host agrees on it.
local HOUR = 3600000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- Puts a code in the outbox for the sender.
local function outbox_add(phone, code, purpose, lang)
  redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*',
    'phone', phone, 'code', code, 'purpose', purpose,
    'created_at', math.floor(now / 1000), 'language', lang)
end
