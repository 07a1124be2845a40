-- The cost of one funcs.call from Lua: run(spec), spec mapping a label to
-- {function ID, calls per batch}, answers each label with the median cost
-- in microseconds of one call of add(i, 1) over 21 batches (os.clock is
-- CPU time; the inline pool runs on this thread, a fresh instance per
-- call). bench/run calls it on this project, bench/instance/run on its own.
local funcs = require("funcs")

local function median_us(id, per)
    local batches = {}
    for b = 1, 21 do
        local t0 = os.clock()
        for i = 1, per do
            local v, err = funcs.call(id, i, 1)
            if err or v ~= i + 1 then error("wrong answer: " .. tostring(err or v)) end
        end
        batches[b] = (os.clock() - t0) / per * 1e6
    end
    table.sort(batches)
    return math.floor(batches[11] * 100 + 0.5) / 100
end

function run(spec)
    local r = {}
    for label, s in pairs(spec) do r[label] = median_us(s[1], s[2]) end
    return r
end
