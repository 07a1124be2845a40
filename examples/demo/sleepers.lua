-- The original document's async sleep: n calls of demo:sleep (a component
-- whose test-sleep#sleep-ms sleeps through wasi:clocks subscribe-duration
-- and pollable.block) started at once on its pool of 2 workers. A sleeping
-- call suspends and frees its worker, so the batch takes about one sleep;
-- if each held its worker it would take n / 2 sleeps.
local funcs = require("funcs")
local time = require("time")

local function sleepers(n, ms)
    local t0 = time.now()
    local futures = {}
    for i = 1, n do
        local f, err = funcs.async("demo:sleep", ms)
        if err then error(errors.wrap(err, "demo sleepers")) end
        futures[i] = f
    end
    local slept = 0
    for _, f in ipairs(futures) do
        local ns, err = f:wait()
        if not err and ns >= ms * 1000000 then slept = slept + 1 end
    end
    local took = time.now():sub(t0):milliseconds()
    return {
        calls = n,
        each_slept_ms = slept == n and ms or false,
        -- holding 2 workers, n = 40 calls would take 20 sleeps
        within_10_sleeps = took < 10 * ms,
    }
end

return { sleepers = sleepers }
