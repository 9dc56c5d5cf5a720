-- A judged try succeeded outside a session (login by number): gives back
-- the tries, the client's and the number's or, when the try was taken from
-- the request's device (`dev`, its hash: gate.lua said so), the device's;
-- with clear '1' also forgets every failure of the number (or the device).
-- Returns { R.OK }.
-- ARGV: client phone clear dev
-- REPLY OK: verdict
local client, phone, clear, dev = unpack(ARGV, OWN, OWN + 3)
give_back('ip', client, false)
if dev ~= '' then
  device_give_back(dev, clear == '1')
else
  give_back('ph', phone, clear == '1')
end
return { R.OK }
