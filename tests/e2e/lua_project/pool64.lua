-- 64 concurrent callers on a lazy pool of at most 4 workers: every call
-- completes with the right answer, none is dropped.
local funcs = require("funcs")

function run()
    local futures = {}
    for i = 1, 64 do
        local f, err = funcs.async("app.lua:work", 20000 + i)
        if not f then error(tostring(err)) end
        futures[i] = f
    end
    local right = 0
    for i = 1, 64 do
        local n = 20000 + i
        local v, err = futures[i]:wait()
        if err then error(tostring(err)) end
        if v == (n * (n - 1) // 2) % 4294967296 then right = right + 1 end
    end
    return right
end
