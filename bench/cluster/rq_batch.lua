-- rqlited: 100-row INSERT batches; one request = one JSON array of 100 parameterised statements
-- (one Raft log entry, one SQLite transaction).
local parts = {}
for i = 1, 100 do
  parts[#parts + 1] = string.format('["INSERT INTO bench(k, v) VALUES(?, ?)", "b%d", %d]', i, i)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
function is_error(status, body)
  return status ~= 200 or string.find(body, '"error"', 1, true) ~= nil
end
