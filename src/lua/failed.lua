-- A judged try failed (src/event_record.c): its event (login.failed or
-- mfa.failed; '' for none) goes to the stream, then a block.started for the
-- client and one for the number if the try, counted before it was judged
-- (gate.lua, step.lua), began their block: the failure is final now, and so
-- is the block. The blocks' events come rendered with `until` at the epoch.
-- Returns { R.OK, events added }.
-- ARGV: client phone lang event block_ip block_number
-- REPLY OK: verdict added
local client, phone, lang, event, block_ip, block_number = unpack(ARGV, OWN, OWN + 5)
local added = 0
if event ~= '' then added = added + event_add(event, lang) end
added = added + block_started('ip', client, block_ip, lang)
added = added + block_started('ph', phone, block_number, lang)
return { R.OK, added }
