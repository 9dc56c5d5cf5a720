-- A judged try succeeded outside a session (login by number): gives back the
-- tries; with clear '1' also forgets every failure of the number.
-- Returns { R.OK }.
local client, phone, clear = unpack(ARGV, OWN, OWN + 2)
give_back('ip', client, false)
give_back('ph', phone, clear == '1')
return { R.OK }
