-- Prices and totals, typed as upstream's examples are.
type Currency = "USD" | "EUR"

type Line = {
    item: string,
    amount: number,
    price: number,
    note?: string,
}

type Total<T> = {lines: {T}, total: number, currency: Currency}

interface Priced
    function price(self, item: string): number?
end

local pricing = {}

local PRICES: {[string]: number} = {apple = 0.5, pear = 0.75, melon = 3}

function pricing.price(item: string): number?
    return PRICES[item]
end

local function sum<T: {amount: number, price: number}>(lines: {T}): number
    local total: number = 0
    for _, l in ipairs(lines) do
        total = total + l.amount * l.price
    end
    return total
end

function pricing.total(lines: {Line}, currency: Currency?): Total<Line>
    return {lines = lines, total = sum(lines), currency = currency or "USD"}
end

-- A table with a typed method: obj:method() calls stay plain Lua.
local Cart = {}
Cart.__index = Cart

function pricing.cart(): table
    return setmetatable({lines = {} :: {Line}}, Cart)
end

function Cart:add(item: string, amount: number?): (boolean, string?)
    local price = pricing.price(item)
    if not price then
        return false, "unknown item: " .. item
    end
    table.insert(self.lines, {item = item, amount = amount or 1, price = price!})
    return true
end

function Cart:total(): number
    return pricing.total(self.lines).total
end

return pricing
