-- errors is a global, no require needed.
local json = require("json")

local schema = {
    type = "object",
    properties = {
        name = { type = "string", minLength = 1 },
        tags = { type = "array", items = { type = "string" } },
    },
}

local function handler(user)
    local valid, verr = json.validate(schema, user)
    if not valid then
        return nil, verr
    end
    if type(user) ~= "table" or not user.name then
        return nil, errors.new({
            message = "user needs a name",
            kind = errors.INVALID,
            retryable = false,
            details = { field = "name" },
        })
    end
    return { name = user.name, tags = user.tags or {} }
end

return { handler = handler }
