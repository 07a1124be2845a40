-- sleepers.lua - n concurrent calls of p2:sleep (a component sleeping ms
-- through wasi:clocks subscribe-duration and pollable.block) started as
-- futures and waited for: {ms = wall time, bad = calls that failed or slept
-- short}. With the pool's 2 workers the batch takes about one sleep when
-- the sleeps suspend, n/2 sleeps when they held their workers.
local funcs = require("funcs")
local time = require("time")

function run(n, ms)
    local t0 = time.now()
    local fs, bad = {}, 0
    for i = 1, n do
        local f, err = funcs.async("p2:sleep", ms)
        if err then bad = bad + 1 else fs[#fs + 1] = f end
    end
    for _, f in ipairs(fs) do
        local v, err = f:wait()
        if err or type(v) ~= "number" or v < ms * 1000000 then bad = bad + 1 end
    end
    return { ms = time.now():sub(t0):milliseconds(), bad = bad }
end

-- A 5 s sleep cancelled after 50 ms: the suspended call ends at once with
-- the cancel (ms = how long until the future was done).
function cancel()
    local t0 = time.now()
    local f, err = funcs.async("p2:sleep", 5000)
    if err then return { err = err:kind() } end
    time.sleep("50ms")
    f:cancel()
    local v, werr = f:wait()
    return { ms = time.now():sub(t0):milliseconds(), canceled = f:is_canceled(), value = v,
             err = werr and werr:kind() or nil }
end
