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

-- ms to wait before a code may be sent to phone for client, or nil
local function sms_wait(client, phone)
  local wait = redis.call('PTTL', KEY.cooldown(phone))
  if wait <= 0 then wait = nil end
  for _, cap in ipairs({ { KEY.sent_to_number(phone), MAX_PER_HOUR },
                         { KEY.sent_from_client(client), MAX_PER_CLIENT_HOUR } }) do
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
local function sms_count(client, phone, sid)
  if COOLDOWN > 0 then
    redis.call('SET', KEY.cooldown(phone), 1, 'PX', COOLDOWN)
  end
  for _, key in ipairs({ KEY.sent_to_number(phone), KEY.sent_from_client(client) }) do
    -- members must differ even for two codes of one session in one ms
    redis.call('ZADD', key, now, sid .. ':' .. now .. ':' .. redis.call('ZCARD', key))
    redis.call('PEXPIRE', key, HOUR)
  end
end

-- A code for session k, subject to the send limits: queued in the outbox,
-- or for a ghost (code '') only counted. Returns nil, or the script's answer
-- when a limit refuses it.
local function send_code(k, client, phone, sid, purpose, digest, code, lang)
  local ms = sms_wait(client, phone)
  if ms then return { R.RATE_LIMITED, ms } end
  sms_count(client, phone, sid)
  if code == '' then
    redis.call('HSET', k, 'gh', 1)
  else
    outbox_add(phone, code, purpose, lang)
  end
  redis.call('HSET', k, 'cd', digest, 'ce', now + CODE_TTL, 'ct', 0)
  return nil
end
