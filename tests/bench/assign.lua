-- wrk script: POST /assign with a new user id per request.
-- Usage: EXPERIMENT=<id> [TOKEN=<admin or snapshot token>] wrk -s tests/bench/assign.lua http://127.0.0.1:PORT
-- With TOKEN the requests are exempt from the per-client rate limit (as a backend's would be).
local experiment = os.getenv("EXPERIMENT")
local token = os.getenv("TOKEN")
local prefix = os.getenv("USER_PREFIX") or "bench-user-"
local counter = 0
local headers = { ["Content-Type"] = "application/json" }
if token then headers["Authorization"] = "Bearer " .. token end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/experiments/" .. experiment .. "/assign",
    headers, '{"user_id":"' .. prefix .. counter .. '"}')
end
