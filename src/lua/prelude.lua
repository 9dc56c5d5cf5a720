-- Shared by every phoneauth script (prepended to each when it is loaded).
--
-- ARGV[1] key prefix, ARGV[2] max_failed_attempts, ARGV[3] block_window (ms),
-- ARGV[4] block_duration (ms); each script's own arguments follow from ARGV[5].
-- Keys are built here from the prefix and the phone number a session holds,
-- which is why the scripts need a whole Redis of their own (not a cluster).
--
--   <p>s:<session id>   hash: ph phone, st step, pu purpose, uid user id,
--                       cd code digest, ce code expiry (ms), ct code tries,
--                       gh 1 for a ghost (a reset for a number without an
--                       account: limits apply, nothing is sent, no code fits)
--   <p>f:ip:<ip>, <p>f:ph:<phone>   failures (and tries being judged) in the window
--   <p>b:ip:<ip>, <p>b:ph:<phone>   blocked until (ms), expires with the block
--   <p>cd:<phone>                   code cooldown
--   <p>oh:<phone>, <p>oi:<ip>       codes sent in the last hour (sorted sets)
--   <p>u:<phone>                    cached account state for register.lua
--   <p>sms                          the SMS outbox stream
--
-- Time is Redis's own clock, so every worker on every host agrees on it.
local P = ARGV[1]
local MAX_FAILED = tonumber(ARGV[2])
local WINDOW = tonumber(ARGV[3])
local DURATION = tonumber(ARGV[4])
local HOUR = 3600000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- ms left on a block of the address or the number, or nil
local function gate(ip, phone)
  local ms = redis.call('PTTL', P .. 'b:ip:' .. ip)
  if phone and phone ~= '' then
    local p = redis.call('PTTL', P .. 'b:ph:' .. phone)
    if p > ms then ms = p end
  end
  if ms > 0 then return ms end
  return nil
end

-- One failure, or one try about to be judged, against kind:id. The try is
-- counted before the password or code is checked, so parallel requests can
-- never get more than MAX_FAILED tries judged; a success gives it back.
local function take(kind, id)
  local f = P .. 'f:' .. kind .. ':' .. id
  local n = tonumber(redis.call('GET', f) or '0')
  if n >= MAX_FAILED then
    redis.call('DEL', f)  -- left over from a block that has been served
  end
  n = redis.call('INCR', f)
  if n == 1 then redis.call('PEXPIRE', f, WINDOW) end
  if n >= MAX_FAILED then
    redis.call('SET', P .. 'b:' .. kind .. ':' .. id, now + DURATION, 'PX', DURATION)
  end
end

-- A session id that names no session: a failure of the address (unless it
-- is blocked already). Returns the script's answer.
local function no_session(ip)
  local ms = gate(ip, nil)
  if ms then return { 1, ms } end
  take('ip', ip)
  return { 3 }
end

-- A judged try succeeded: give it back (and lift the block it may have
-- started), or with clear forget every failure of kind:id.
local function give_back(kind, id, clear)
  local f = P .. 'f:' .. kind .. ':' .. id
  local b = P .. 'b:' .. kind .. ':' .. id
  if clear then
    redis.call('DEL', f, b)
    return
  end
  local n = tonumber(redis.call('GET', f) or '0')
  if n > 0 then
    n = redis.call('DECR', f)
    if n < MAX_FAILED then redis.call('DEL', b) end
  end
end

-- ms to wait before a code may be sent to phone from ip, or nil
local function sms_wait(ip, phone, max_hour, max_ip_hour)
  local wait = redis.call('PTTL', P .. 'cd:' .. phone)
  if wait <= 0 then wait = nil end
  for _, cap in ipairs({ { P .. 'oh:' .. phone, max_hour }, { P .. 'oi:' .. ip, max_ip_hour } }) do
    redis.call('ZREMRANGEBYSCORE', cap[1], '-inf', now - HOUR)
    if redis.call('ZCARD', cap[1]) >= cap[2] then
      local oldest = redis.call('ZRANGE', cap[1], 0, 0, 'WITHSCORES')
      local w = tonumber(oldest[2]) + HOUR - now
      if w < 1 then w = 1 end
      if not wait or w > wait then wait = w end
    end
  end
  return wait
end

-- Counts a code against the cooldown and the hourly caps.
local function sms_count(ip, phone, sid, cooldown)
  if cooldown > 0 then
    redis.call('SET', P .. 'cd:' .. phone, 1, 'PX', cooldown)
  end
  for _, key in ipairs({ P .. 'oh:' .. phone, P .. 'oi:' .. ip }) do
    -- members must differ even for two codes of one session in one ms
    redis.call('ZADD', key, now, sid .. ':' .. now .. ':' .. redis.call('ZCARD', key))
    redis.call('PEXPIRE', key, HOUR)
  end
end

-- Puts a code in the outbox for the sender.
local function outbox_add(phone, code, purpose, lang, maxlen)
  redis.call('XADD', P .. 'sms', 'MAXLEN', '~', maxlen, '*',
    'phone', phone, 'code', code, 'purpose', purpose,
    'created_at', math.floor(now / 1000), 'language', lang)
end
