-- The limits, on the Redis side (prepended to every script after
-- prelude.lua; src/limits.c is their owner on the C side): blocks, the tries
-- a judgement takes and gives back, and the send limits of codes. Each
-- script applies them in the same atomic run as the step they guard.

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

-- A failure of the client and, when the request names one, of the number.
local function take_both(client, phone)
  take('ip', client)
  if phone and phone ~= '' then take('ph', phone) end
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

-- ms to wait and why, before a code may be sent to `phone` for `client`;
-- nil when it may go. The per-number cooldown and hourly cap and the
-- per-client hourly cap first, then the SMS economics (economics.lua).
local function sms_refusal(client, phone)
  local wait = redis.call('PTTL', KEY.cooldown(phone))
  if wait > 0 then return wait, 'cooldown' end
  for _, cap in ipairs({ { KEY.sent_to_number(phone), MAX_PER_HOUR, 'number_hour' },
                         { KEY.sent_from_client(client), MAX_PER_CLIENT_HOUR, 'client_hour' } }) do
    redis.call('ZREMRANGEBYSCORE', cap[1], '-inf', now - HOUR)
    if redis.call('ZCARD', cap[1]) >= cap[2] then
      local oldest = redis.call('ZRANGE', cap[1], 0, 0, 'WITHSCORES')
      local w = tonumber(oldest[2]) + HOUR - now
      return w < 1 and 1 or w, cap[3]
    end
  end
  return economics_refusal(phone)
end

-- Counts a code against the cooldown, the hourly caps and the economics.
local function sms_count(client, phone, sid)
  if COOLDOWN > 0 then
    redis.call('SET', KEY.cooldown(phone), 1, 'PX', COOLDOWN)
  end
  for _, key in ipairs({ KEY.sent_to_number(phone), KEY.sent_from_client(client) }) do
    -- members must differ even for two codes of one session at once
    redis.call('ZADD', key, now, sid .. ':' .. now_us())
    redis.call('PEXPIRE', key, HOUR)
  end
  economics_count(phone)
end

-- The code `c` (a code block, prelude.lua) for session k. Its kind: 'send'
-- queues it with its text for `purpose`; 'ghost' counts it like one and
-- sends nothing; 'test', a test number's fixed code, is neither limited nor
-- sent. With `again` (a resend) the earlier code of the session stays good
-- next to it until its own expiry (an SMS may arrive late). The caller sets
-- the session's tries (ct) when it makes the session. Returns nil, or the
-- script's answer when a limit refuses it.
local function send_code(k, client, phone, sid, purpose, c, again)
  if c.kind ~= 'test' then
    local ms, why = sms_refusal(client, phone)
    if ms then
      count('sms_refused:' .. why)
      return { R.RATE_LIMITED, ms, why }
    end
    sms_count(client, phone, sid)
  end
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
