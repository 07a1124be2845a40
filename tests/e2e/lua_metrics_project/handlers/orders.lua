local http = require("http")
local metrics = require("metrics")

-- POST /api/orders {"product": "...", "amount": N, "seconds": S}
local function handler()
    local req = http.request()
    local res = http.response()
    local order, err = req:body_json()
    if err or type(order) ~= "table" or type(order.product) ~= "string" then
        metrics.counter_inc("shop.orders.rejected")
        res:set_status(400)
        res:write_json({ error = "expected {product, amount}" })
        return
    end
    local labels = { product = order.product, ignored = 7 }   -- 7: not a string, ignored (as upstream)
    local ok, merr = metrics.counter_inc("shop.orders.total", labels)
    if not ok then error(merr) end
    metrics.counter_add("shop.revenue", order.amount or 0, { product = order.product })
    metrics.gauge_inc("shop.orders.open")
    metrics.histogram("shop.order.seconds", order.seconds or 0.02, { product = order.product })
    res:set_status(201)
    res:write_json({ ok = ok, product = order.product })
end

return { handler = handler }
