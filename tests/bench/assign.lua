-- wrk script: POST /assign with a new user id per request.
-- Usage: EXPERIMENT=<id> wrk -s tests/bench/assign.lua http://127.0.0.1:PORT
local experiment = os.getenv("EXPERIMENT")
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/experiments/" .. experiment .. "/assign",
    { ["Content-Type"] = "application/json" }, '{"user_id":"bench-user-' .. counter .. '"}')
end
