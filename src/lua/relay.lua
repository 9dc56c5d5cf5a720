-- The events PostgreSQL recorded (event_outbox), moved to the stream by the
-- relay (src/event_relay.c) in the order given: pairs of the language and
-- the event. Each is added only if its id was not seen before (a marker
-- kept for RELAY_SEEN_TTL), so that rows a relay added and then died before
-- deleting, which another relay takes again, are not added twice.
-- Returns { R.OK, events added }.
-- ARGV: events...
-- REPLY OK: verdict added
local RELAY_SEEN_TTL = 7 * 24 * 3600
local added = 0
for i = OWN, #ARGV - 1, 2 do
  local lang, json = ARGV[i], ARGV[i + 1]
  local id = string.match(json, '^{"id":"([^"]+)"')
  if id and redis.call('SET', P .. 'events:seen:' .. id, 1, 'NX', 'EX', RELAY_SEEN_TTL) then
    added = added + event_add(json, lang)
  end
end
return { R.OK, added }
