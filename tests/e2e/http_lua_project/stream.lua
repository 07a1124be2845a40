local http = require("http")
local time = require("time")

function handle()
    local req = http.request()
    local res = http.response()
    if req:path() == "/api/events" then
        res:set_transfer(http.TRANSFER.SSE)
        res:write_event({ name = "start", data = { message = "Starting event stream" } })
        for i = 1, 3 do
            time.sleep("30ms")
            res:write_event({ name = "progress", data = { percent = i * 33 } })
        end
        res:write_event({ name = "end", data = "done" })
        return
    end
    res:set_content_type(http.CONTENT.TEXT)
    res:set_transfer(http.TRANSFER.CHUNKED)
    for i = 1, 3 do
        res:write("chunk " .. i .. "\n")
        time.sleep("30ms")
    end
end
