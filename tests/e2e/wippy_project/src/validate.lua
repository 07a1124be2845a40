-- errors is a global, no require needed.
local function handler(user)
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
