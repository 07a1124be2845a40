-- POST /v1/jobs: 202 at once, the work goes on in a spawned coroutine.
local http = require("http")
local time = require("time")
local logger = require("logger")

local function handler()
    local res = http.response()
    coroutine.spawn(function()
        for step = 1, 3 do
            time.sleep("150ms")
            logger:info("job step", { step = step })
        end
    end)
    res:set_status(202)
    res:write_json({ status = "accepted" })
end

return { handler = handler }
