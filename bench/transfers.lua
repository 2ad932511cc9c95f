-- wrk script: POST /v1/wallets/transfers, round robin over the bench users (tokens and emails come from the
-- environment), each request with an Idempotency-Key of its own.
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do tokens[#tokens + 1] = token end
local emails = {}
for email in string.gmatch(os.getenv("BENCH_EMAILS"), "[^,]+") do emails[#emails + 1] = email end
local n = 0

request = function()
  n = n + 1
  local from = n % #tokens + 1
  local to = from % #emails + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[from],
    ["Idempotency-Key"] = string.format("bench-%d-%d", os.time(), n),
  }
  local body = string.format('{"to": "%s", "asset": "USD", "amount": "0.01"}', emails[to])
  return wrk.format("POST", "/v1/wallets/transfers", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("answers other than 2xx/3xx: %d\n", summary.errors.status))
end
