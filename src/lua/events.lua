-- Events (prepended to every script after accounts.lua; src/event_record.c
-- renders them, API.md "Events and notices"): the stream <prefix>events
-- that every event ends in, one entry each with its id, type, JSON and the
-- language of the request that made it. Scripts only add to it; the
-- delivery side owns its consumer groups and its trimming.

-- Adds an event as event_render() wrote it, and counts it
-- (phoneauth_events_total{type}).
local function event_add(json, lang)
  local id, etype = string.match(json, '^{"id":"([^"]+)","type":"([^"]+)"')
  if not id then return 0 end
  redis.call('XADD', P .. 'events', '*', 'id', id, 'type', etype, 'event', json, 'lang', lang)
  count('events:' .. etype)
  return 1
end

-- `ms` as event.c's event_time() writes it: 2026-12-07T10:00:00.123Z (the
-- civil date from the days since 1970, as H. Hinnant's days_from_civil
-- inverse).
local function event_time(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600),
    math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

-- The block.started of kind:id (limits.lua's block), once per block: `tmpl`
-- is its event rendered with `until` at the epoch, which its end replaces.
-- Returns how many events it added (0 when there is no block, or it was
-- told already: a marker that lives as long as the block says so).
local EPOCH_UNTIL = '"until":"1970-01-01T00:00:00.000Z"'
local function block_started(kind, id, tmpl, lang)
  if tmpl == '' or id == '' then return 0 end
  local b = KEY.block(kind, id)
  local ttl = redis.call('PTTL', b)
  if ttl <= 0 then return 0 end
  if not redis.call('SET', P .. 'events:told:' .. kind .. ':' .. id, 1, 'NX', 'PX', ttl) then
    return 0
  end
  local at = string.find(tmpl, EPOCH_UNTIL, 1, true)
  if not at then return 0 end
  local ends = tonumber(redis.call('GET', b)) or (now + ttl)
  return event_add(string.sub(tmpl, 1, at - 1) .. '"until":"' .. event_time(ends) .. '"'
    .. string.sub(tmpl, at + #EPOCH_UNTIL), lang)
end
