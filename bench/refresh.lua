-- token/refresh: each request spends a refresh token and the answer's new
-- one goes to the next request of the thread, so every rotation is a real
-- one (no token is presented twice). The tokens to begin with are in
-- $TOKENS.warm for the warm-up ($WARMUP set) and $TOKENS.run for the run,
-- one a line, from logins made beforehand; thread N takes every
-- $THREADS-th line from line N, and needs one more than it has
-- connections (wrk builds a request as the thread starts that it never
-- sends). A thread whose queue is empty (an answer without a token)
-- sends an empty token, which is answered 401 and counted in Non-2xx.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")

function init(args)
  queue, head, tail = {}, 1, 0
  local n, every = 0, tonumber(os.getenv("THREADS")) or 1
  local file = os.getenv("TOKENS") .. (os.getenv("WARMUP") and ".warm" or ".run")
  for line in io.lines(file) do
    if n % every == id - 1 then
      tail = tail + 1
      queue[tail] = line
    end
    n = n + 1
  end
end

function request()
  local token = ""
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"refresh":"' .. token .. '"}')
end

function response(status, headers, body)
  local token = status == 200 and body:match('"refresh":"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
