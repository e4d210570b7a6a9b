-- wrk script for POST /api/v1/evaluate (bench/api_load.py runs it):
--   wrk -t2 -c50 -d20s --latency -s bench/api_wrk.lua 'http://127.0.0.1:8000/api/v1/evaluate?detail=full'
-- The body is the example profile on 2024-10-01 (EVALUATE_PROFILE names another profile file);
-- EVALUATE_GZIP=1 asks for a compressed answer, as a browser or httpx does.
local path = os.getenv("EVALUATE_PROFILE") or "examples/industrial-small-to-scale.json"
local f = assert(io.open(path, "rb"))
local profile = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = '{"profile": ' .. profile .. ', "as_of": "2024-10-01"}'
wrk.headers["Content-Type"] = "application/json"
if os.getenv("EVALUATE_GZIP") == "1" then
  wrk.headers["Accept-Encoding"] = "gzip"
end
