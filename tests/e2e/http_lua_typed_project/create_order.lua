local http = require("http")
local json = require("json")
local pricing = require("pricing")

type OrderRequest = {items: {{item: string, amount: number?}}, currency: ("USD" | "EUR")?}

--- POST /api/orders: the order's lines priced, 201; an unknown item is 422.
local function handler()
    local req = http.request()
    local res = http.response()

    local body: OrderRequest?, err = req:body_json()
    if err or not body then
        res:set_status(400)
        res:write_json({error = "bad JSON"})
        return
    end

    local cart = pricing.cart()
    for _, line in ipairs(body.items) do
        local amount: number = tonumber(line.amount) or 1
        local ok: boolean, why: string? = cart:add(line.item, amount)
        if not ok then
            res:set_status(422)
            res:write_json({error = why})
            return
        end
    end

    local order = pricing.total(cart.lines, body.currency as "USD" | "EUR")
    res:set_status(201)
    res:set_header("X-Lines", tostring(#order.lines))
    res:write_json({total = order.total, currency = order.currency, type = type(order)})
end

return { handler = handler }
