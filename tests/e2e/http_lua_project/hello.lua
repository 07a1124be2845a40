local http = require("http")

function handle()
    local req = http.request()
    local res = http.response()
    local name = req:query("name")
    if not name then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write("Missing 'name' parameter")
        return
    end
    res:set_header("X-Handler", "lua")
    res:set_content_type(http.CONTENT.TEXT)
    res:write("Hello, " .. name .. "!")
end
