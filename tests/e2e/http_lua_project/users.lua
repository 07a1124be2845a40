local http = require("http")

function handle()
    local req = http.request()
    local res = http.response()
    if not req:is_content_type(http.CONTENT.JSON) then
        res:set_status(415)
        res:write_json({ error = "expected JSON" })
        return
    end
    local data, err = req:body_json()
    if err then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({ error = http.ERROR.PARSE_FAILED, message = err:message() })
        return
    end
    res:set_status(http.STATUS.CREATED)
    res:write_json({ id = req:param("id"), name = data.name, method = req:method(),
                     path = req:path(), agent = req:header("User-Agent") })
end
