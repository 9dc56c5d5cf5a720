-- register with a number never seen before on every request, and keep the
-- session ids the service answers in $SIDS_DIR/<thread>.txt for the
-- verify-otp scenario (wrong codes on fresh sessions). The numbers are
-- 09<prefix><7 digits>, a prefix of 0940-0989 for each thread, other ones
-- for each $RUN and for the warm-up ($WARMUP set) before it, so that no
-- number is asked twice (its cooldown would refuse it) and none is one of
-- the accounts bench/load.py loads.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  counter = 0
  local slot = (tonumber(os.getenv("RUN")) or 0) * 2 + (os.getenv("WARMUP") and 1 or 0)
  prefix = string.format("%02d", 40 + (slot * 8 + id - 1) % 50)
  local dir = os.getenv("SIDS_DIR")
  out = dir and io.open(dir .. "/" .. id .. ".txt", "a") or nil
end

function request()
  counter = counter + 1
  local phone = string.format("09%s%07d", prefix, counter)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"mobile_number":"' .. phone .. '"}')
end

function response(status, headers, body)
  if out and status == 200 then
    local sid = body:match('"session_id":"([0-9a-f%-]+)"')
    if sid then out:write(sid, "\n") end
  end
end
