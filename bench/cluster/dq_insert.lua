-- dqlite-demo: PUT /<key> with the value as body runs one INSERT OR REPLACE; keys unique per
-- run/thread so every request inserts a row. Errors come back as HTTP 200 "Error: ...".
local counter = 0
local run = "r"
function init(args)
  counter = 0
  run = args[1] or "r"
end
function request()
  counter = counter + 1
  return wrk.format("PUT", string.format("/%s-%d-%d", run, tid or 0, counter), nil,
                    tostring(counter))
end
function is_error(status, body)
  return status ~= 200 or string.sub(body, 1, 6) == "Error:"
end
