-- The reload test (http_reload.sh) rewrites the version string.
local http = require("http")
local time = require("time")

function handle()
    local ms = tonumber(http.request():query("sleep") or "0")
    if ms > 0 then time.sleep(ms * 1000000) end
    http.response():write("v1")
end
