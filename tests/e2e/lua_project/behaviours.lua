-- funcs.call / async / with_options, error values, json and imports, each
-- reported as one line of a result table.
local funcs = require("funcs")
local json = require("json")
local util = require("util")

local function describe(v, err)
    if err then return err:kind() .. ": " .. err:message() end
    return json.encode(v)
end

function run()
    local r = {}
    r.call = describe(funcs.call("app.lua:divide", 84, 2))
    r.trap = describe(funcs.call("app.lua:divide", 1, 0))
    r.arity = describe(funcs.call("app.lua:divide", 1))
    r.range = describe(funcs.call("app.lua:divide", 1, 2 ^ 40))
    r.unknown = describe(funcs.call("app.lua:nope"))
    r.timeout = describe(funcs.new():with_options({ timeout = 100 }):call("app.lua:spin"))

    local f = funcs.async("app.lua:spin")
    r.running = f:result() == nil and "nil while running" or "finished?"
    f:cancel()
    local _, cerr = f:wait()
    r.cancel = cerr and cerr:kind() or "no error"

    r.library = util.twice(21)
    r.json = json.encode(json.decode('{"c":"x","a":[1,2,{"b":"y"}]}'))
    return r
end
