-- A process (not served by wasmfn: the entry is skipped with a warning).
local time = require("time")
local function main()
    while true do time.sleep("1s") end
end
return { main = main }
