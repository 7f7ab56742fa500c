-- rqlited: one single-row INSERT per request (POST /db/execute), unique values per run/thread.
-- wrk ... -- <run-id>
local counter = 0
local run = "r"
function init(args)
  counter = 0
  run = args[1] or "r"
end
function request()
  counter = counter + 1
  local body = string.format('[["INSERT INTO bench(k, v) VALUES(?, ?)", "%s-%d-%d", %d]]',
                             run, tid or 0, counter, counter)
  return wrk.format("POST", "/db/execute", {["Content-Type"] = "application/json"}, body)
end
function is_error(status, body)
  return status ~= 200 or string.find(body, '"error"', 1, true) ~= nil
end
