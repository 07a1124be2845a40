local http = require("http")
local metrics = require("metrics")

-- GET /api/stats: sets a gauge, closes an order, and reports what the
-- module refuses (each call's error message) and what require("store") says.
local function handler()
    local res = http.response()
    metrics.gauge_set("shop.queue.depth", 42, { queue = "emails" })
    metrics.gauge_dec("shop.orders.open")
    local function msg(ok, err) return ok and "ok" or err:message() end
    local _, rerr = pcall(require, "store")
    res:write_json({
        negative = msg(metrics.counter_add("shop.revenue", -1)),
        reserved = msg(metrics.counter_inc("wasmfn_function_calls_total")),
        retyped = msg(metrics.gauge_set("shop.orders.total", 1)),
        bad_label = msg(metrics.counter_inc("shop.orders.total", { ["bad-label"] = "x" })),
        quoted = msg(metrics.counter_inc("shop.notes", { note = "say \"hi\"\\n" })),
        store = tostring(rerr),
    })
end

return { handler = handler }
