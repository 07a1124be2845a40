local pricing = require("pricing")

type Quote = {item: string, each: number, total: number}

-- Called as `wasmfn call DIR app:quote '"pear"' 4`.
function quote(item: string, amount: integer): Quote | {error: string}
    local each = pricing.price(item)
    if each == nil then
        return {error = "unknown item: " .. item}
    end
    local q: Quote = {item = item, each = each :: number, total = each * amount}
    return q
end
