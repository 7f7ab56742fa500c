-- dqlite-demo: GET /<key> reads one row (through the go-dqlite driver, served by the leader).
function is_error(status, body)
  return status ~= 200 or string.sub(body, 1, 6) == "Error:"
end
