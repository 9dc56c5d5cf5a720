-- SMS economics (prepended after prelude.lua; src/limits.c is their owner
-- on the C side): what a code may cost beyond the per-number and per-client
-- caps of limits.lua. Per prefix of numbers (their first PREFIX_DIGITS
-- digits): an hourly cap and the conversion breaker, which pauses a prefix
-- whose codes are sent but not verified (SMS pumping: bots asking codes for
-- ranges of premium numbers); for the whole service: an hourly and a daily
-- budget for sign-ups' codes, and another for codes to existing accounts
-- (reset, login, change), so that a flood of sign-ups never stops owners
-- from getting in. Each is off at 0 and then costs nothing. Only codes that
-- are queued count (economics_count); a ghost's (nothing sent) is refused
-- by a budget or a pause in force, as a real account's would be, but
-- never counted.
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

-- The budget a code of `purpose` spends: sign-ups' or owners'. Returns
-- whose keys, the hourly and the daily cap, and the reasons' prefix.
local function budget_of(purpose)
  if purpose == PURPOSE.REGISTER then return 'sb', BUDGET_HOUR, BUDGET_DAY, 'budget' end
  return 'so', OWNER_BUDGET_HOUR, OWNER_BUDGET_DAY, 'owner_budget'
end

-- ms to wait and why, when a code of `purpose` to `phone` would break an
-- SMS-economics rule; nil when none. The breaker trips here, on the code
-- that would have been one too many of an unverified prefix.
local function economics_refusal(phone, purpose)
  local prefix = prefix_of(phone)
  local whose, budget_hour, budget_day, reason = budget_of(purpose)
  if MIN_CONVERSION > 0 then     -- only the breaker pauses a prefix
    local paused = redis.call('PTTL', KEY.pause(prefix))
    if paused > 0 then return paused, 'prefix_paused' end
  end
  if PREFIX_HOUR > 0 then
    local n, left = window_count(KEY.prefix_sent(prefix), HOUR)
    if n >= PREFIX_HOUR then return left, 'prefix_hour' end
  end
  if budget_hour > 0 then
    local n, left = window_count(KEY.budget(whose, 'h'), HOUR)
    if n >= budget_hour then return left, reason .. '_hour' end
  end
  if budget_day > 0 then
    local n, left = window_count(KEY.budget(whose, 'd'), DAY)
    if n >= budget_day then return left, reason .. '_day' end
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

-- A code of `purpose` went out to `phone`: counted by every rule that is on.
local function economics_count(phone, purpose)
  local prefix = prefix_of(phone)
  local whose, budget_hour, budget_day = budget_of(purpose)
  if PREFIX_HOUR > 0 then window_add(KEY.prefix_sent(prefix), HOUR) end
  if budget_hour > 0 then window_add(KEY.budget(whose, 'h'), HOUR) end
  if budget_day > 0 then window_add(KEY.budget(whose, 'd'), DAY) end
  if MIN_CONVERSION > 0 then window_add(KEY.conversion_sent(prefix), CONVERSION_WINDOW) end
end

-- A code of `phone` was verified: its prefix converts.
local function economics_verified(phone)
  if MIN_CONVERSION > 0 then
    window_add(KEY.conversion_verified(prefix_of(phone)), CONVERSION_WINDOW)
  end
end
