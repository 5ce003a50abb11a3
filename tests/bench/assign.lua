-- wrk script: POST /assign with a new user id per request.
-- Usage: EXPERIMENT=<id> [TOKEN=<admin or snapshot token>] wrk -s tests/bench/assign.lua http://127.0.0.1:PORT
-- With TOKEN the requests are exempt from the per-client rate limit (as a backend's would be).
local experiment = os.getenv("EXPERIMENT")
local token = os.getenv("TOKEN")
local prefix = os.getenv("USER_PREFIX") or "bench-user-"
local counter = 0
-- Each wrk thread numbers its own requests, so the thread's number goes into the id too
-- (without it the threads would send the same ids and half the units would not be new).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
function init(args)
  prefix = prefix .. (thread_number or 0) .. "-"
end
local headers = { ["Content-Type"] = "application/json" }
if token then headers["Authorization"] = "Bearer " .. token end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/experiments/" .. experiment .. "/assign",
    headers, '{"user_id":"' .. prefix .. counter .. '"}')
end
