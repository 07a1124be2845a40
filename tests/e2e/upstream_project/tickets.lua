-- Five calls of shelf:ticket on one slot: each draws anew.
local funcs = require("funcs")

local function run()
    local seen, distinct = {}, 0
    for _ = 1, 5 do
        local n, err = funcs.call("shelf:ticket")
        if err then return nil, err end
        if not seen[n] then distinct = distinct + 1 end
        seen[n] = true
    end
    return distinct
end

return { run = run }
