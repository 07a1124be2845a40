-- Every read of the registry module, answered as one table.
local registry = require("registry")

local function ids(list)
    local t = {}
    for _, e in ipairs(list or {}) do t[#t + 1] = e.id end
    return table.concat(t, ",")
end

local function run()
    local r = {}
    local dune, err = registry.get("shelf:book.dune")
    r.get = err and tostring(err) or string.format("%s %s %s isbn=%s pages=%s(%s) price=%s in_print=%s tags=%s",
        dune.id, dune.kind, dune.meta.title, dune.data.isbn, dune.data.pages, math.type(dune.data.pages),
        dune.data.price, tostring(dune.data.in_print), table.concat(dune.meta.tags, "+"))
    local none, nerr = registry.get("shelf:nope")
    r.missing = tostring(none) .. " " .. nerr:kind() .. " " .. nerr:message()
    r.books = ids(registry.find({ ["meta.type"] = "book" }))
    r.by_kind = ids(registry.find({ [".kind"] = "function.lua" }))
    r.kind_and_meta = ids(registry.find({ [".kind"] = "registry.entry", ["meta.title"] = "Desk lamp" }))
    r.dotted_meta_key = ids(registry.find({ ["meta.shelf.row"] = 3 }))
    r.tag = ids(registry.find({ ["meta.tags"] = "desert" }))
    r.prefix = ids(registry.find({ ["^meta.title"] = "So" }))
    r.regex = ids(registry.find({ ["~.name"] = "^book\\.(d|s)" }))
    r.skipped_kind = ids(registry.find({ [".kind"] = "process.lua" }))
    local _, bad = registry.find({ ["~meta.title"] = "(" })
    r.bad_regex = bad and bad:kind() or "no error"
    local p = registry.parse_id("app.lib:assert")
    local q = registry.parse_id("plain")
    r.parse = p.ns .. "|" .. p.name .. "|" .. q.ns .. "|" .. q.name
    local snap = registry.snapshot()
    local all = snap:entries()
    r.snapshot = #all .. " " .. #snap:namespace("shelf") .. " " .. #snap:namespace("other") .. " "
        .. ids(snap:find({ ["meta.type"] = "furniture" }))
    local lamp = snap:get("shelf:lamp").data
    r.data_map = string.format("%s %s %s %s", lamp.price, lamp.watts, lamp.colour, tostring(lamp.data))
    local _, cerr = snap:changes()
    r.changes = cerr:kind()
    return r
end

return { run = run }
