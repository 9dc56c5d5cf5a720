-- Checks the blocks of a client (and a number); with take '1' also counts a
-- failure, or takes a try about to be judged, against both.
-- Returns { R.OK } or { R.BLOCKED, ms }.
local client, phone, take_one = unpack(ARGV, OWN, OWN + 2)
local ms = gate(client, phone)
if ms then return { R.BLOCKED, ms } end
if take_one == '1' then take_both(client, phone) end
return { R.OK }
