-- SMS economics (prepended after prelude.lua; src/limits.c is their owner
-- on the C side): what a code may cost beyond the per-number and per-client
-- caps of limits.lua. Per prefix of numbers (their first PREFIX_DIGITS
-- digits): an hourly cap and the conversion breaker, which pauses a prefix
-- whose codes are sent but not verified (SMS pumping: bots asking codes for
-- ranges of premium numbers); for the whole service: an hourly and a daily
-- budget. Each is off at 0 and then costs nothing.
--
-- Counts over a sliding span are estimated from two fixed windows, the
-- current one and the one before, weighted by how much of the span each
-- covers (a few integers per prefix, whatever the volume).

local function prefix_of(phone)
  return string.sub(string.gsub(phone, '^%+', ''), 1, PREFIX_DIGITS)
end

-- The events of the last `span` ms under `base`, estimated; and the ms left
-- in the current window (when the estimate next falls).
local function window_count(base, span)
  local w = math.floor(now / span)
  local cur = tonumber(redis.call('GET', base .. ':' .. w) or '0')
  local prev = tonumber(redis.call('GET', base .. ':' .. (w - 1)) or '0')
  local into = (now - w * span) / span
  return prev * (1 - into) + cur, (w + 1) * span - now
end

local function window_add(base, span)
  local key = base .. ':' .. math.floor(now / span)
  redis.call('INCR', key)
  redis.call('PEXPIRE', key, 2 * span)
end

-- ms to wait and why, when a code to `phone` would break an SMS-economics
-- rule; nil when none. The breaker trips here, on the code that would have
-- been one too many of an unverified prefix.
local function economics_refusal(phone)
  local prefix = prefix_of(phone)
  if MIN_CONVERSION > 0 then     -- only the breaker pauses a prefix
    local paused = redis.call('PTTL', KEY.pause(prefix))
    if paused > 0 then return paused, 'prefix_paused' end
  end
  if PREFIX_HOUR > 0 then
    local n, left = window_count(KEY.prefix_sent(prefix), HOUR)
    if n >= PREFIX_HOUR then return left, 'prefix_hour' end
  end
  if BUDGET_HOUR > 0 then
    local n, left = window_count(KEY.budget('h'), HOUR)
    if n >= BUDGET_HOUR then return left, 'budget_hour' end
  end
  if BUDGET_DAY > 0 then
    local n, left = window_count(KEY.budget('d'), 24 * HOUR)
    if n >= BUDGET_DAY then return left, 'budget_day' end
  end
  if MIN_CONVERSION > 0 then
    local sent = window_count(KEY.conversion_sent(prefix), CONVERSION_WINDOW)
    if sent >= CONVERSION_MIN_SENT then
      local verified = window_count(KEY.conversion_verified(prefix), CONVERSION_WINDOW)
      if verified < MIN_CONVERSION * sent then
        redis.call('SET', KEY.pause(prefix), now, 'PX', PAUSE)
        count('sms_paused:conversion')
        return PAUSE, 'conversion'
      end
    end
  end
  return nil
end

-- A code went out to `phone`: counted by every rule that is on.
local function economics_count(phone)
  local prefix = prefix_of(phone)
  if PREFIX_HOUR > 0 then window_add(KEY.prefix_sent(prefix), HOUR) end
  if BUDGET_HOUR > 0 then window_add(KEY.budget('h'), HOUR) end
  if BUDGET_DAY > 0 then window_add(KEY.budget('d'), 24 * HOUR) end
  if MIN_CONVERSION > 0 then window_add(KEY.conversion_sent(prefix), CONVERSION_WINDOW) end
end

-- A code of `phone` was verified: its prefix converts.
local function economics_verified(phone)
  if MIN_CONVERSION > 0 then
    window_add(KEY.conversion_verified(prefix_of(phone)), CONVERSION_WINDOW)
  end
end
