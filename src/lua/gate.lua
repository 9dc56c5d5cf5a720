-- Checks the blocks of a client (and a number); with take '1' also counts a
-- failure, or takes a try about to be judged, against both. A live device
-- token (`dev`, its hash) of account `uid` (devices.lua) is not stopped by
-- the number's block, and takes the number's place in the count.
-- Returns { R.OK, on device (0 or 1) } or { R.BLOCKED, ms }.
-- ARGV: client phone take_one dev uid
-- REPLY OK: verdict on_device
local client, phone, take_one, dev, uid = unpack(ARGV, OWN, OWN + 4)
local dh = device_of(dev, uid)
local ms = gate(client, not dh and phone or nil)
if ms then return { R.BLOCKED, ms } end
if take_one == '1' then take_both(client, phone, dh) end
return { R.OK, dh and 1 or 0 }
