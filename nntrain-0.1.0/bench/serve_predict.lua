-- wrk script for bench/serve_load.sh: POSTs one digit to /api/predict and
-- counts the replies that are not 200 with the expected prediction.
-- Environment: BODY (file with the request), WANT (the expected class).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(os.getenv("BODY"), "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
  want = '{"prediction":' .. os.getenv("WANT") .. ','
  wrong, answered = 0, 0
end
function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 or body:sub(1, #want) ~= want then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local w, a = 0, 0
  for _, t in ipairs(threads) do w = w + t:get("wrong"); a = a + t:get("answered") end
  io.write(string.format("replies checked: %d, wrong: %d, socket errors: %d\n", a, w,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("requests/s: %.0f, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
