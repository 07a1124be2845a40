-- Median cost in microseconds of one funcs.call of transform-users with a
-- list of N user records (inline pool: a fresh instance per call, on this
-- thread), over 21 batches; os.clock is CPU time. The same core code is
-- called as a component (users.wasm) and as a core module with a `wit`
-- field (users.wat), so the difference is the component layer.
local funcs = require("funcs")

local function users(n)
    local list = {}
    for i = 1, n do list[i] = { id = i, name = "user number " .. i, age = i % 90, active = i % 2 == 0 } end
    return list
end

local function median_us(id, n)
    local arg = users(n)
    local per = n >= 100 and 200 or 1000
    local batches = {}
    for b = 1, 21 do
        local t0 = os.clock()
        for _ = 1, per do
            local v, err = funcs.call(id, arg)
            if err then error(err:kind() .. ": " .. err:message()) end
            if #v ~= n or (n > 0 and v[n].name ~= string.upper(arg[n].name)) then error("wrong answer") end
        end
        batches[b] = (os.clock() - t0) / per * 1e6
    end
    table.sort(batches)
    return math.floor(batches[11] * 100 + 0.5) / 100
end

function run()
    local r = {}
    for _, n in ipairs({ 1, 10, 100 }) do
        r["component, " .. n .. " records (us)"] = median_us("bench:component", n)
        r["core + wit, " .. n .. " records (us)"] = median_us("bench:core_wit", n)
    end
    return r
end
