-- wrk script: 100-row INSERT batches, one request = one JSON array of 100 parameterised statements.
local parts = {}
for i = 1, 100 do
  parts[#parts + 1] = string.format('["INSERT INTO bench(k, v) VALUES(?, ?)", "b%d", %d]', i, i)
end
local body = "[" .. table.concat(parts, ",") .. "]"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body
function response(status, headers, b)
  if status ~= 200 or string.find(b, '"error"', 1, true) then
    wrk.thread:stop()
  end
end
