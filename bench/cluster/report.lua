-- Shared wrk tail (appended to every script here): counts application-level errors per thread
-- (the script's is_error(status, body) decides) and prints one JSON line with req/s, goodput,
-- error count and p50/p99 in microseconds. wrk's own errors (connect/read/write/timeout/non-2xx
-- status) are added to the count. Nothing stops on an error: every request is counted.
local threads = {}
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end
errors = 0
function response(status, headers, body)
  if is_error(status, body) then
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local app_errors = 0
  for _, t in ipairs(threads) do
    app_errors = app_errors + (t:get("errors") or 0)
  end
  local e = summary.errors
  local wrk_errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  local total_errors = app_errors + wrk_errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.0f,"ok_rps":%.0f,"errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, secs, summary.requests / secs,
    math.max(0, summary.requests - total_errors) / secs, total_errors,
    latency:percentile(50), latency:percentile(99)))
end
