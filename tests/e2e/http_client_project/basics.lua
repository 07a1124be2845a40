-- get/post/put/delete/patch/head/request with headers, body, form, query,
-- cookies, auth, redirects; response fields.
local http_client = require("http_client")
local json = require("json")

local function echo(r, err)
    if err then error(tostring(err)) end
    return json.decode(r.body)
end

function run(base)
    local out = {}
    local r, err = http_client.get(base .. "/echo?x=1", {
        headers = { ["X-Custom"] = "abc", ["User-Agent"] = "wasmfn-test" },
        query = { name = "a b&c", n = "2" },
    })
    local e = echo(r, err)
    out.get_status = r.status_code
    out.get_query = e.query.name .. "|" .. e.query.n .. "|" .. tostring(e.query.x)
    out.get_header = e.headers["x-custom"] .. "|" .. e.headers["user-agent"]
    out.resp_header = r.headers["X-Echo"] .. "|" .. r.headers["Content-Type"]
    out.body_size = r.body_size == #r.body

    e = echo(http_client.post(base .. "/echo", { body = '{"k":1}',
        headers = { ["Content-Type"] = "application/json" } }))
    out.post = e.method .. " " .. e.body .. " " .. e.headers["content-type"] .. " " .. e.headers["content-length"]

    e = echo(http_client.put(base .. "/echo", { form = { a = "1", b = "x y" } }))
    out.put_form = e.method .. " " .. e.body .. " " .. e.headers["content-type"]

    e = echo(http_client.delete(base .. "/echo"))
    out.delete = e.method
    e = echo(http_client.patch(base .. "/echo", { body = "p" }))
    out.patch = e.method .. " " .. e.body
    e = echo(http_client.request("options", base .. "/echo", { cookies = { s = "1" },
        auth = { user = "user", pass = "pw" } }))
    out.request = e.method .. " " .. e.headers["cookie"] .. " " .. e.headers["authorization"]

    r, err = http_client.head(base .. "/echo")
    out.head = r.status_code .. " " .. #r.body .. " " .. r.headers["Content-Type"]

    r, err = http_client.get(base .. "/status/404")
    out.not_found = r.status_code .. " " .. r.body

    r, err = http_client.get(base .. "/redirect/3")
    out.redirect = r.status_code .. " " .. r.url:gsub("^http://[^/]+", "")

    r, err = http_client.get(base .. "/cookie")
    out.cookies = r.cookies.session .. " " .. r.cookies.theme

    local rs, errs = http_client.request_batch({
        { "GET", base .. "/status/201" },
        { "POST", base .. "/echo", { body = "b" } },
    })
    out.batch = rs[1].status_code .. " " .. json.decode(rs[2].body).body .. " " .. tostring(errs)

    r, err = http_client.post(base .. "/upload", {
        form = { title = "report" },
        files = { { name = "doc", filename = "a.txt", content_type = "text/plain", content = "line1\nline2" },
                  { name = "bin", filename = "b.bin", content = "\0\1\2" } },
    })
    local up = json.decode(r.body)
    out.upload = up.title.data .. "|" .. up.doc.filename .. "|" .. up.doc.type .. "|" .. up.doc.data ..
        "|" .. up.bin.type .. "|" .. #up.bin.data

    out.encode = http_client.encode_uri("a b/c?d=é")
    out.decode = http_client.decode_uri("a+b%2Fc")
    local _, derr = http_client.decode_uri("%zz")
    out.decode_err = derr:kind()
    return out
end
