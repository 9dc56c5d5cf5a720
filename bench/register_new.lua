-- register with a number never seen before on every request, and keep the
-- session ids the service answers in $SIDS_DIR/<thread>.txt for the
-- verify-otp scenario (wrong codes on fresh sessions).
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  counter = 0
  prefix = string.format("%02d", (id + (tonumber(os.getenv("RUN")) or 0) * 8) % 100)
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
