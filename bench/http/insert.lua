-- wrk script: one single-row INSERT per request (POST /db/execute), unique values per thread.
local counter = 0
local thread_id = 0
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  counter = 0
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local body = string.format('[["INSERT INTO bench(k, v) VALUES(?, ?)", "t%d-%d", %d]]',
                             tid or 0, counter, counter)
  return wrk.format("POST", "/db/execute", nil, body)
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"error"', 1, true) then
    wrk.thread:stop()
  end
end
