-- error values: kinds, messages, retryable, details.
local http_client = require("http_client")

local function describe(r, err)
    if not err then return "no error, status " .. tostring(r and r.status_code) end
    local d = err:details() or {}
    return err:kind() .. "|" .. tostring(err:retryable()) .. "|" .. tostring(d.method) .. "|" .. err:message()
end

function run(base, dead)
    local out = {}
    out.refused = describe(http_client.get(dead .. "/x"))
    out.timeout = describe(http_client.get(base .. "/slow/2000", { timeout = 0.2 }))
    out.timeout_str = describe(http_client.get(base .. "/slow/2000", { timeout = "150ms" }))
    out.scheme = describe(http_client.get("ftp://127.0.0.1/x"))
    out.bad_url = describe(http_client.get("http://exa mple.com/"))
    out.too_big = describe(http_client.get(base .. "/big/5000", { max_response_body = 1000 }))
    out.no_host = describe(http_client.get("http://no-such-host.invalid/"))
    local ok, msg = pcall(http_client.get, "")
    out.empty_url = tostring(ok) .. " " .. tostring(msg)
    return out
end
