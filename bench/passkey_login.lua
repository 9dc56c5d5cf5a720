-- passkeys/login: each request is a sign-in prepared beforehand
-- (bench/passkey.py), since a challenge is good once: $BODIES.warm for the
-- warm-up ($WARMUP set), $BODIES.run for the run, one JSON body a line;
-- thread N takes every $THREADS-th line from line N and sends each once.
-- A thread that runs out sends an empty body (answered 400, counted in
-- Non-2xx: make more with BENCH_PASSKEY_LOGINS).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  bodies, n = {}, 0
  local i, every = 0, tonumber(os.getenv("THREADS")) or 1
  local file = os.getenv("BODIES") .. (os.getenv("WARMUP") and ".warm" or ".run")
  for line in io.lines(file) do
    if i % every == id - 1 then bodies[#bodies + 1] = line end
    i = i + 1
  end
end

function request()
  n = n + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[n] or "")
end
