-- A judged try succeeded outside a session (login by number): give back the
-- tries; ARGV[7] '1' also forgets every failure of the number.
-- ARGV[5] ip, [6] phone.
give_back('ip', ARGV[5], false)
give_back('ph', ARGV[6], ARGV[7] == '1')
return { 0 }
