-- Device tokens (prepended after economics.lua; src/device.c makes them and
-- is their owner on the C side). A device its owner signed in from before is
-- named by the SHA-256 of its token (KEY.device: the account's id, and the
-- failures made with it). For a request with a live device token of the
-- account it names, the number's block and the number's code caps do not
-- apply: failures made with it count against the device (and the client),
-- and MAX_FAILED of them void it; codes it asks count against the device.
-- A wrong, expired, voided or another account's token is ignored.

-- Each account keeps at most this many devices (the least recently used go
-- first): however often it logs in, an account cannot fill Redis with them.
local DEVICES_PER_ACCOUNT = 20

-- `h` (a token's hash, '' or nil for none) when it names a live device of
-- account `uid`; else nil.
local function device_of(h, uid)
  if not h or h == '' or not uid or uid == '' or uid == '0' then return nil end
  local d = redis.call('HMGET', KEY.device(h), 'uid', 'f')
  if d[1] ~= uid or tonumber(d[2] or '0') >= MAX_FAILED then return nil end
  return h
end

-- One failure, or one try about to be judged, against live device h: its
-- MAX_FAILED-th voids it (device_of refuses it from then on), unless the
-- try is given back.
local function device_take(h)
  redis.call('HINCRBY', KEY.device(h), 'f', 1)
end

-- A judged try with device h succeeded: given back, or with clear every
-- failure of the device forgotten.
local function device_give_back(h, clear)
  local k = KEY.device(h)
  local f = tonumber(redis.call('HGET', k, 'f') or '0')
  if f > 0 then redis.call('HSET', k, 'f', clear and 0 or f - 1) end
end
