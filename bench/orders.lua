-- wrk script: orders on BTCUSD, round robin over the bench users (tokens come from the environment), every POST
-- with an Idempotency-Key of its own. BENCH_MIX=cross alternates buys and sells at one price, so every second
-- order trades with a resting one; BENCH_MIX=rest places orders away from each other and cancels each placed
-- order with the next request (a place + cancel mix). Prints p50/p99/p99.9 and the non-2xx answers.
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do tokens[#tokens + 1] = token end
local mix = os.getenv("BENCH_MIX") or "cross"
local n = 0
local placed = {}

local function headers(token)
  n = n + 1
  return {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), math.random(1, 1e9), n),
  }
end

request = function()
  if mix == "rest" and #placed > 0 then
    local order = table.remove(placed, 1)
    return wrk.format("DELETE", "/v1/orders/" .. order.id, { ["Authorization"] = "Bearer " .. order.token })
  end
  -- The place + cancel mix is one user's, so each cancel names an order of the caller.
  local user = (mix == "rest") and 1 or (n % #tokens + 1)
  local side, price
  if mix == "cross" then
    side = (n % 2 == 0) and "BUY" or "SELL"
    price = 60000
  else
    side = (n % 2 == 0) and "BUY" or "SELL"
    price = (side == "BUY") and (50000 + n % 500) or (70000 + n % 500)
  end
  local body = string.format(
    '{"symbol": "BTCUSD", "side": "%s", "type": "LIMIT", "price": "%d", "quantity": "0.01"}', side, price)
  return wrk.format("POST", "/v1/orders", headers(tokens[user]), body)
end

response = function(status, headers, body)
  if mix == "rest" and status == 201 then
    local id = string.match(body, '"id":"([0-9a-f-]+)"')
    if id then placed[#placed + 1] = { id = id, token = tokens[1] } end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms\n", latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
  io.write(string.format("answers other than 2xx/3xx: %d\n", summary.errors.status))
end
