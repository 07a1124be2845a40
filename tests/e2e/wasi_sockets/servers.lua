-- servers.lua - two calls of sk:serve1 (tcp-serve on a static pool of ONE
-- worker) at once: both must be listening together, which they only can
-- when a call blocked in accept suspends and frees the worker.
local funcs = require("funcs")
local time = require("time")

function two(pa, pb)
    local fa, ea = funcs.async("sk:serve1", pa)
    local fb, eb = funcs.async("sk:serve1", pb)
    if ea or eb then return { err = "async failed" } end
    local va, wa = fa:wait()
    local vb, wb = fb:wait()
    return { a = va, b = vb, erra = wa and wa:kind() or nil, errb = wb and wb:kind() or nil }
end

-- sk:serve on port cancelled after 200 ms, while suspended in accept: the
-- call ends at once with the cancel (ms = how long until it was done), and
-- its listener goes with it: sk:serve_short on the same port then gets to
-- accept (and its 300 ms deadline) instead of address-in-use (again =
-- its error kind, or its value when it returned one).
function cancel(port)
    local t0 = time.now()
    local f, err = funcs.async("sk:serve", port)
    if err then return { err = err:kind() } end
    time.sleep("200ms")
    f:cancel()
    local v, werr = f:wait()
    local ms = time.now():sub(t0):milliseconds()
    local again, aerr = funcs.call("sk:serve_short", port)
    return { ms = ms, canceled = f:is_canceled(), err = werr and werr:kind() or nil,
             again = aerr and aerr:kind() or again }
end
