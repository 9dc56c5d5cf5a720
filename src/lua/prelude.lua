-- The top of the phoneauth function library (redis_store.c loads it with
-- FUNCTION LOAD: this file, limits.lua, then each script of src/lua/ as one
-- function): the protocol with redis_store.c, the key layout and the clock.
-- It runs once, when the library is loaded; begin() runs at the start of
-- every call. Everything named here is named once; a unit test
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
local PURPOSE = { REGISTER = 'register', LOGIN = 'login', RESET = 'reset', CHANGE = 'change' }

-- What step.lua takes before a judgement, and what advance.lua gives back
-- after one. C: enum rs_take, enum rs_give_back.
local TAKE = { LOOK = '0', TRY = '1', CODE_TRY = '2' }
local GIVE_BACK = { KEEP = '0', TRIES = '1', CLEAR_NUMBER = '2' }

-- The configuration every call passes first (C: enum common_arg), then the
-- call's own arguments from ARGV[OWN] on. Set by begin().
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
local OWN = 17

-- Time is Redis's own clock, so every worker on every host agrees on it.
local HOUR = 3600000
local now

local function begin(ARGV)
  P = ARGV[1]
  MAX_FAILED = tonumber(ARGV[2])
  WINDOW, DURATION = tonumber(ARGV[3]), tonumber(ARGV[4])
  SESSION_TTL = tonumber(ARGV[5])
  CODE_TTL, COOLDOWN = tonumber(ARGV[6]), tonumber(ARGV[7])
  MAX_PER_HOUR, MAX_PER_CLIENT_HOUR = tonumber(ARGV[8]), tonumber(ARGV[9])
  MAX_TRIES = tonumber(ARGV[10])
  CACHE_TTL = tonumber(ARGV[11])
  OUTBOX, OUTBOX_DEAD, OUTBOX_STATS = ARGV[12], ARGV[13], ARGV[14]
  OUTBOX_MAXLEN, OUTBOX_GROUP = ARGV[15], ARGV[16]
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Keys, built here and nowhere else (the outbox's come from C, above).
-- They are built from the number a session holds, which is why the scripts
-- need a whole Redis of their own, not a cluster.
local KEY = {
  -- hash: ph phone, st step, pu purpose, uid user id (0: no account yet),
  -- cd code digest, ce code expiry (ms), ct code tries, gh 1 for a ghost
  -- (a reset or a login by code for a number without an account: judged
  -- like a code, nothing is sent, and its digest is of no code at all),
  -- lc 1 for a login by code (its right code answers tokens)
  session = function(sid) return P .. 's:' .. sid end,
  -- failures (and tries being judged) within the window; kind 'ip' or 'ph'
  failures = function(kind, id) return P .. 'f:' .. kind .. ':' .. id end,
  -- blocked until (ms), expiring with the block
  block = function(kind, id) return P .. 'b:' .. kind .. ':' .. id end,
  block_prefix = function() return P .. 'b:' end,
  cooldown = function(phone) return P .. 'cd:' .. phone end,
  -- codes sent in the last hour (sorted sets)
  sent_to_number = function(phone) return P .. 'oh:' .. phone end,
  sent_from_client = function(client) return P .. 'oi:' .. client end,
  -- "id|has_password|is_verified|is_banned", cached for register.lua
  account = function(phone) return P .. 'u:' .. phone end,
  -- the index of numbers that have an account (accounts.lua): sets of the
  -- last five digits, one set per the digits before them
  accounts = function(bucket) return P .. 'a:' .. bucket end,
  accounts_ready = function() return P .. 'a:ready' end,    -- the index is whole
  accounts_rebuild = function() return P .. 'a:rebuild' end, -- whoever rebuilds it
}

-- Puts a code in the outbox for the sender.
local function outbox_add(phone, code, purpose, lang)
  redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*',
    'phone', phone, 'code', code, 'purpose', purpose,
    'created_at', math.floor(now / 1000), 'language', lang)
end
