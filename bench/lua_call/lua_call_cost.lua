-- Median cost in microseconds of one funcs.call, over 21 batches of 2000
-- calls each (os.clock is CPU time; the inline pool runs on this thread).
local funcs = require("funcs")

local function median_us(id)
    local batches, per = {}, 2000
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

function run()
    return {
        ["no memory (us)"] = median_us("bench:add"),
        ["1-page memory (us)"] = median_us("bench:add_with_memory"),
    }
end
