-- servers.lua - two calls of sk:serve1 (tcp-serve on a static pool of ONE
-- worker) at once: both must be listening together, which they only can
-- when a call blocked in accept suspends and frees the worker.
local funcs = require("funcs")

function two(pa, pb)
    local fa, ea = funcs.async("sk:serve1", pa)
    local fb, eb = funcs.async("sk:serve1", pb)
    if ea or eb then return { err = "async failed" } end
    local va, wa = fa:wait()
    local vb, wb = fb:wait()
    return { a = va, b = vb, erra = wa and wa:kind() or nil, errb = wb and wb:kind() or nil }
end
