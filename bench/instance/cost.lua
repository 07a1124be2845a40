-- Median CPU cost in microseconds of one funcs.call of add(i, 1), over 21
-- batches (os.clock is CPU time; the inline pool runs on this thread, a
-- pristine instance per call).
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

function run()
    return {
        ["js add (us)"] = median_us("bench:js", 20),
        ["js add, preinit (us)"] = median_us("bench:js_preinit", 20),
        ["wat add (us)"] = median_us("bench:wat", 2000),
        ["wat add, preinit (us)"] = median_us("bench:wat_preinit", 2000),
    }
end
