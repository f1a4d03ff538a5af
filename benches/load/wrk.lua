-- wrk script for benches/load/run.sh: POSTs one chat-completion request
-- (BENCH_BODY_FILE) with a staff key (BENCH_KEY) and prints one
-- machine-readable RESULT line at the end. Latencies are in microseconds.

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = read_file(os.getenv("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "")

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d mean_us=%.1f max_us=%d requests=%d sock_errors=%d non2xx=%d\n",
    summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
