-- Shared done() that prints one JSON line wrk's summary lacks: p50/p99 in microseconds.
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.0f,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
