-- verify-otp with a wrong code, cycling over the sessions register_new.lua
-- saved ($SIDS_DIR/*.txt; each thread reads the file of its own number).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  sids = {}
  local dir = os.getenv("SIDS_DIR")
  for i = 1, 64 do
    local f = io.open(dir .. "/" .. ((id + i - 2) % 64 + 1) .. ".txt", "r")
    if f then
      for line in f:lines() do sids[#sids + 1] = line end
      f:close()
    end
  end
  n = 0
end

function request()
  n = n % #sids + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"session_id":"' .. sids[n] .. '","code":"000000"}')
end
