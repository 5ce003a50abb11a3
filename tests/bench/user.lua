-- wrk script: GET / with a new user id per request (x-user-id).
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/", { ["x-user-id"] = "bench-user-" .. counter })
end
