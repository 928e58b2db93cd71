-- wrk script of the benchmarks: method, key and body come from the environment (BENCH_METHOD,
-- BENCH_KEY, BENCH_BODY; the key goes in BENCH_AUTH_HEADER, a bearer token in Authorization
-- by default, and the body is BENCH_CONTENT_TYPE, JSON by default); "__REF__" in the body
-- becomes a unique reference per request (BENCH_REF-<thread>-<n>). BENCH_MAX > 0 stops each thread after that many responses.
-- The summary is printed as one line of JSON for bench/common.py.
local method = os.getenv("BENCH_METHOD") or "GET"
local key = os.getenv("BENCH_KEY") or ""
local body = os.getenv("BENCH_BODY") or ""
local max = tonumber(os.getenv("BENCH_MAX") or "0")
local ref = os.getenv("BENCH_REF") or "BENCH"
local auth = os.getenv("BENCH_AUTH_HEADER") or "Authorization"
local headers = { ["Accept"] = "application/json" }
headers[auth] = (auth == "Authorization") and ("Bearer " .. key) or key
if body ~= "" then headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json" end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local fixed = nil
request = function()
  if body == "" then
    if fixed == nil then fixed = wrk.format(method, nil, headers, nil) end
    return fixed
  end
  counter = counter + 1
  local b = body:gsub("__REF__", ref .. "-" .. tostring(tid or 0) .. "-" .. tostring(counter))
  return wrk.format(method, nil, headers, b)
end

if max > 0 then
  local seen = 0
  response = function(status, hdrs, b)
    seen = seen + 1
    if seen == max then
      -- wrk runs for its whole -d even when a thread stops: tell bench/common.py, which
      -- interrupts wrk (SIGINT makes it print its summary at once).
      io.stderr:write("BENCHDONE\n")
      io.stderr:flush()
      wrk.thread:stop()
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
