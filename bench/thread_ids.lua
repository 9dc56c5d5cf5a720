-- Numbers wrk's threads 1, 2, ... in the order wrk sets them up: each
-- thread's script finds its own in the global `id` (wrk calls setup() for
-- every thread before that thread's init()). A script takes it with
--   dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "thread_ids.lua")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
