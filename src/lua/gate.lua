-- Checks the blocks of an address (and a number), and with mode '1' counts
-- a failure or takes a try against both.
-- ARGV[5] ip, [6] phone or '', [7] mode '0' look, '1' take.
-- Returns {0} or {1, ms} blocked.
local ip, phone = ARGV[5], ARGV[6]
local ms = gate(ip, phone)
if ms then return { 1, ms } end
if ARGV[7] == '1' then
  take('ip', ip)
  if phone ~= '' then take('ph', phone) end
end
return { 0 }
