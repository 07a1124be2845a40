local env = require("env")
local logger = require("logger")

local function handler(name)
    local greeting, err = env.get("GREETING")
    if err then return nil, err end
    logger:with({ who = name }):info("greeting")
    return greeting .. ", " .. name .. "!"
end

return { handler = handler }
