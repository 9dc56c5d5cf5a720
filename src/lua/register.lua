-- register in one round trip for a number whose account state is cached.
-- The state "id|has_password|is_verified|is_banned" ("0|0|0|0": no account
-- yet; it is made when the number proves its phone) is cached under
-- KEY.account for CACHE_TTL; every change phoneauth makes to those columns
-- deletes it (advance.lua, forget.lua). `state` '' means: use the cache, or
-- the account index (accounts.lua) for a number without an account. A live
-- device token of the account (`dev`, its hash; devices.lua) is not stopped
-- by the number's block and its code counts against the device; a test
-- number's session (c.kind 'test') is stopped by it whatever.
-- Returns { R.OK, step, purpose }, { R.BLOCKED, ms[, why] }, { R.RATE_LIMITED, ms, why },
-- { R.NOT_CACHED, index whole (1) or not (0) } (ask PostgreSQL, then call
-- again) or { R.BANNED }.
-- ARGV: code_block client phone sid state dev
-- REPLY OK: verdict step purpose
-- REPLY NOT_CACHED: verdict index_whole
local c = code_block(ARGV)
local client, phone, sid, state, dev = unpack(ARGV, OWN + CODE_ARGS, OWN + CODE_ARGS + 4)
local test = c.kind == 'test'
-- Without a device token, the number's block is checked at once, before
-- anything is looked up; with one, once the account is known.
local ms = gate(client, dev == '' and phone or nil)
if ms then return { R.BLOCKED, ms } end
local ck = KEY.account(phone)
if state == '' then
  state = redis.call('GET', ck)
  if not state then
    local known = account_known(phone)
    if known ~= false then return { R.NOT_CACHED, known == nil and 0 or 1 } end
    state = '0|0|0|0'
  end
else
  redis.call('SET', ck, state, 'PX', CACHE_TTL)
end
local id, pw, verified, banned = string.match(state, '^(%d+)|([01])|([01])|([01])$')
if not id then
  redis.call('DEL', ck)
  return { R.NOT_CACHED }
end
local dh = not test and device_of(dev, id) or nil
if dev ~= '' and not dh then
  ms = gate(client, phone)
  if ms then return { R.BLOCKED, ms } end
end
if banned == '1' then return { R.BANNED } end
local k = KEY.session(sid)
if pw == '1' then
  local wait = login_session_refusal(client)
  if wait then return { R.BLOCKED, wait, 'login_sessions' } end
  local ends = session_end()
  redis.call('HSET', k, 'ph', phone, 'st', STEP.PASSWORD, 'pu', PURPOSE.LOGIN, 'uid', id, 'ex', ends)
  if test then redis.call('HSET', k, 'tn', 1) end
  session_expire(k, ends)
  return { R.OK, STEP.PASSWORD, PURPOSE.LOGIN }
end
-- Only a number with a password skips the code.
local purpose = verified == '1' and PURPOSE.LOGIN or PURPOSE.REGISTER
local refused = send_code(k, client, phone, sid, purpose, c, false, dh)
if refused then return refused end
local ends = session_end()
redis.call('HSET', k, 'ph', phone, 'st', STEP.OTP, 'pu', purpose, 'uid', id, 'ct', 0, 'ex', ends)
if dh then redis.call('HSET', k, 'dv', dh) end
session_expire(k, ends)
return { R.OK, STEP.OTP, purpose }
