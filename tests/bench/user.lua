-- wrk script: GET / with a new user id per request (x-user-id) from Germany (x-country,
-- read by the targeted variants).
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/", { ["x-user-id"] = "bench-user-" .. counter, ["x-country"] = "DE" })
end
