-- Puts up to 100 dead letters back in the outbox, as entries of now (a late
-- code is only of use while its session's code is valid: the sender drops
-- one older than otp_ttl), and removes them from the dead letters.
-- Returns { R.OK, moved } (0: none left).
-- ARGV:
-- REPLY OK: verdict moved
local moved = 0
for _, e in ipairs(redis.call('XRANGE', OUTBOX_DEAD, '-', '+', 'COUNT', 100)) do
  local f, keep = e[2], {}
  for i = 1, #f, 2 do
    if f[i] == 'phone' or f[i] == 'code' or f[i] == 'purpose' or f[i] == 'language' or
       f[i] == 'text' or f[i] == 'event' then
      keep[#keep + 1] = f[i]
      keep[#keep + 1] = f[i + 1]
    end
  end
  keep[#keep + 1] = 'created_at'
  keep[#keep + 1] = math.floor(now / 1000)
  redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*', unpack(keep))
  redis.call('XDEL', OUTBOX_DEAD, e[1])
  moved = moved + 1
end
return { R.OK, moved }
