-- The limits, on the Redis side (prepended to every script after
-- prelude.lua, economics.lua and devices.lua; src/limits.c is their owner on
-- the C side): blocks, the tries a judgement takes and gives back, and the
-- send limits of codes. Each script applies them in the same atomic run as
-- the step they guard.

-- ms left on a block of the client or the number, or nil
local function gate(client, phone)
  local ms = redis.call('PTTL', KEY.block('ip', client))
  if phone and phone ~= '' then
    local p = redis.call('PTTL', KEY.block('ph', phone))
    if p > ms then ms = p end
  end
  if ms > 0 then return ms end
  return nil
end

-- One failure, or one try about to be judged, against kind:id. The try is
-- counted before the password or code is checked, so parallel requests can
-- never get more than MAX_FAILED tries judged; a success gives it back.
local function take(kind, id)
  local f = KEY.failures(kind, id)
  local n = tonumber(redis.call('GET', f) or '0')
  if n >= MAX_FAILED then
    redis.call('DEL', f)  -- left over from a block that has been served
  end
  n = redis.call('INCR', f)
  if n == 1 then redis.call('PEXPIRE', f, WINDOW) end
  if n >= MAX_FAILED then
    redis.call('SET', KEY.block(kind, id), now + DURATION, 'PX', DURATION)
    count(kind == 'ip' and 'blocks:ip' or 'blocks:phone')
  end
end

-- A failure of the client and, when the request names one, of the number;
-- or with a live device token of its account (dh, devices.lua), of the
-- device instead of the number.
local function take_both(client, phone, dh)
  take('ip', client)
  if dh then
    device_take(dh)
  elseif phone and phone ~= '' then
    take('ph', phone)
  end
end

-- A session id that names no session: a failure of the client (unless it
-- is blocked already). Returns the script's answer.
local function no_session(client)
  local ms = gate(client, nil)
  if ms then return { R.BLOCKED, ms } end
  take('ip', client)
  return { R.NO_SESSION }
end

-- A judged try succeeded: give it back (and lift the block it may have
-- started), or with clear forget every failure of kind:id.
local function give_back(kind, id, clear)
  local f = KEY.failures(kind, id)
  local b = KEY.block(kind, id)
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

-- Counts a session at the password step that `client` is about to open
-- (register of a number that has a password): nil when it may, or the ms
-- until its hour is over. No code is sent, so no send limit bounds these
-- sessions, and without this one client could fill Redis with them (it
-- refuses writes when full: every client would get 503s). One counter per
-- client and hour, whatever the cap; a refused one counts too, which
-- changes nothing but spares a GET.
local function login_session_refusal(client)
  if LOGIN_SESSIONS_HOUR <= 0 then return nil end
  local k = KEY.login_sessions(client)
  local n = redis.call('INCR', k)
  if n == 1 then redis.call('PEXPIRE', k, HOUR) end
  if n > LOGIN_SESSIONS_HOUR then return redis.call('PTTL', k) end
  return nil
end

-- The purposes of codes to an existing account that its owner asks for
-- (register's for a verified number without a password included): without
-- a device token they are capped per number and client network together,
-- so that no client can use up the owner's hour, and at OWNER_PER_HOUR per
-- number from all of them, so that no botnet can flood the owner's phone.
-- The others (sign-ups, the new number of a phone change) per number.
local OWNER_CAPPED = { [PURPOSE.LOGIN] = true, [PURPOSE.RESET] = true }

-- The hourly caps a code of `purpose` to `phone` for `client` counts
-- against, as { key, cap, reason }: the device's when the request has a
-- live one (dh), else the number's as above; and the client's own.
local function code_caps(client, phone, purpose, dh)
  local caps
  if dh then
    caps = { { KEY.sent_for_device(dh), MAX_PER_HOUR, 'device_hour' } }
  elseif OWNER_CAPPED[purpose] then
    caps = { { KEY.sent_to_owner_from(phone, client), MAX_PER_HOUR, 'pair_hour' },
             { KEY.sent_to_owner(phone), OWNER_PER_HOUR, 'owner_hour' } }
  else
    caps = { { KEY.sent_to_number(phone), MAX_PER_HOUR, 'number_hour' } }
  end
  caps[#caps + 1] = { KEY.sent_from_client(client), MAX_PER_CLIENT_HOUR, 'client_hour' }
  return caps
end

-- ms to wait and why, before a code of kind `kind` may be sent to `phone`;
-- nil when it may go. The number's cooldown (a test number's too), then
-- the hourly caps `caps` (code_caps) and the SMS economics (economics.lua),
-- which a test number's fixed code is spared.
local function sms_refusal(phone, purpose, kind, caps)
  local wait = redis.call('PTTL', KEY.cooldown(phone))
  if wait > 0 then return wait, 'cooldown' end
  if kind == 'test' then return nil end
  for _, cap in ipairs(caps) do
    redis.call('ZREMRANGEBYSCORE', cap[1], '-inf', now - HOUR)
    if redis.call('ZCARD', cap[1]) >= cap[2] then
      local oldest = redis.call('ZRANGE', cap[1], 0, 0, 'WITHSCORES')
      local w = tonumber(oldest[2]) + HOUR - now
      return w < 1 and 1 or w, cap[3]
    end
  end
  return economics_refusal(phone, purpose)
end

-- Counts a code against the cooldown and, but a test number's, the hourly
-- caps; only a code that is queued (kind 'send') against the economics: a
-- ghost spends no budget and is no send for a prefix's cap or conversion.
local function sms_count(phone, sid, purpose, kind, caps)
  if COOLDOWN > 0 then
    redis.call('SET', KEY.cooldown(phone), 1, 'PX', COOLDOWN)
  end
  if kind == 'test' then return end
  for _, cap in ipairs(caps) do
    -- members must differ even for two codes of one session at once
    redis.call('ZADD', cap[1], now, sid .. ':' .. now_us())
    redis.call('PEXPIRE', cap[1], HOUR)
  end
  if kind == 'send' then economics_count(phone, purpose) end
end

-- A code of test number `phone` about to be judged: taken from its day's
-- TEST_MAX_TRIES (a right one gives it back, test_try_give_back); false
-- when they are spent, and then no code of it is judged until midnight UTC.
local function test_try(phone)
  local k = KEY.test_tries(phone)
  local n = redis.call('INCR', k)
  if n == 1 then redis.call('PEXPIREAT', k, (math.floor(now / DAY) + 1) * DAY) end
  return n <= TEST_MAX_TRIES
end

local function test_try_give_back(phone)
  local k = KEY.test_tries(phone)
  if tonumber(redis.call('GET', k) or '0') > 0 then redis.call('DECR', k) end
end

-- The code `c` (a code block, prelude.lua) for session k. Its kind: 'send'
-- queues it with its text for `purpose`; 'ghost' counts it like one for the
-- cooldown and the hourly caps and sends nothing; 'test', a test number's
-- fixed code, keeps the cooldown and is neither capped nor sent. dh: the
-- live device token of the request (devices.lua), whose caps it counts
-- against. With `again` (a resend) the earlier code of the session stays
-- good next to it until its own expiry (an SMS may arrive late). The caller
-- sets the session's tries (ct) when it makes the session. Returns nil, or
-- the script's answer when a limit refuses it.
local function send_code(k, client, phone, sid, purpose, c, again, dh)
  local caps = code_caps(client, phone, purpose, dh)
  local ms, why = sms_refusal(phone, purpose, c.kind, caps)
  if ms then
    count('sms_refused:' .. why)
    return { R.RATE_LIMITED, ms, why }
  end
  sms_count(phone, sid, purpose, c.kind, caps)
  if c.kind == 'send' then
    outbox_add(phone, c.code, purpose, c.lang, c.texts[purpose])
    count('sms_sent:' .. purpose)
  elseif c.kind == 'ghost' then
    redis.call('HSET', k, 'gh', 1)
  else
    redis.call('HSET', k, 'tn', 1)  -- a test number's: so are its resends
  end
  if again then
    local earlier = redis.call('HMGET', k, 'cd', 'ce')
    if earlier[1] and tonumber(earlier[2]) > now then
      redis.call('HSET', k, 'pd', earlier[1], 'pe', earlier[2])
    end
  end
  redis.call('HSET', k, 'cd', c.digest, 'ce', now + CODE_TTL)
  return nil
end
