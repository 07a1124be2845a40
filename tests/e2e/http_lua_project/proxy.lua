local http = require("http")
local http_client = require("http_client")
local env = require("env")

function handle()
    local req = http.request()
    local res = http.response()
    local addr = env.get("WF_TEST_ADDR")
    local r, err = http_client.get("http://" .. addr .. "/api/hello", { query = { name = req:param("name") } })
    if err then
        res:set_status(502)
        res:write(tostring(err))
        return
    end
    res:write("proxied " .. r.status_code .. ": " .. r.body)
end
