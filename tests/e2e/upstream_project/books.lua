-- GET /v1/books: the catalogue's books, from the registry
local http = require("http")
local registry = require("registry")

local function handler()
    local res = http.response()
    local found, err = registry.find({ ["meta.type"] = "book" })
    if err then
        res:set_status(500)
        return res:write_json({ error = tostring(err) })
    end
    local out = {}
    for _, e in ipairs(found) do
        out[#out + 1] = { id = e.id, title = e.meta.title, pages = e.data.pages, price = e.data.price }
    end
    res:set_status(200)
    res:write_json({ books = out })
end

return { handler = handler }
