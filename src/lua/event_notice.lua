-- An event's SMS notice (API.md, "Events and notices"): the notices'
-- output acknowledges the event and queues its notice in the one call, so
-- that a sender that dies mid-way sends it once or not at all. A notice is
-- outside the per-number code caps but inside the owners' SMS budget
-- (sms_owner_max_per_hour, _per_day), which it spends; over the budget it
-- is dropped and counted (sms_refused:notice_budget_hour, _day).
-- Returns { R.OK, result }: 0 queued, 1 acknowledged before (nothing
-- done), 2 refused by the budget.
-- ARGV: stream group id phone lang event text
-- REPLY OK: verdict result
local stream, group, id, phone, lang, event, text = unpack(ARGV, OWN, OWN + 6)
if redis.call('XACK', stream, group, id) == 0 then return { R.OK, 1 } end
local whose, budget_hour, budget_day = budget_of('notice')
if budget_hour > 0 and window_count(KEY.budget(whose, 'h'), HOUR) >= budget_hour then
  count('sms_refused:notice_budget_hour')
  return { R.OK, 2 }
end
if budget_day > 0 and window_count(KEY.budget(whose, 'd'), DAY) >= budget_day then
  count('sms_refused:notice_budget_day')
  return { R.OK, 2 }
end
if budget_hour > 0 then window_add(KEY.budget(whose, 'h'), HOUR) end
if budget_day > 0 then window_add(KEY.budget(whose, 'd'), DAY) end
redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*',
  'phone', phone, 'code', '', 'purpose', 'notice', 'event', event,
  'created_at', math.floor(now / 1000), 'language', lang, 'text', text)
count('sms_sent:notice')
return { R.OK, 0 }
