local time = require("time")

local function handler(n, delay_ms)
    time.sleep((delay_ms or 10) * time.MILLISECOND)
    return n * n
end

return { handler = handler }
