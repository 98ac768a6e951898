-- wrk's script for bench/api.py: every request POSTs one JSON body with a bearer token, and the
-- run ends with one line of figures for bench/api.py to read.
--
--   WRK_BODY=body.json WRK_TOKEN=<jwt> wrk -t2 -c16 -d5s -s bench/wrk_post.lua http://host/path
--
-- WRK_BODY names a file holding the body (a GraphQL request); WRK_TOKEN, when set, is sent as
-- `Authorization: Bearer <token>`.

local file = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Latencies in microseconds; errors.status counts answers other than 2xx and 3xx.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "@@wrk {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"status_errors\": %d, " ..
    "\"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
