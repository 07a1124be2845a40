-- Calls every demo function and returns a summary of what they answered,
-- written as for upstream Wippy: the chunk returns its handler, calls go
-- through funcs (futures carry payloads on their response channel), and a
-- failure is an error value (errors.new, err:kind()).
local funcs = require("funcs")

local users = {
    {id = 1, name = "Alice", tags = {"admin", "dev"}, active = true},
    {id = 2, name = "Bob", tags = {"user"}, active = false},
    {id = 3, name = "Carol", tags = {"dev"}, active = true},
}

local function must(value, err)
    if err then error(errors.wrap(err, "demo summary")) end
    return value
end

-- A call started now, its result read later from the future's channel.
local function await(future, err)
    must(nil, err)
    local payload, ok = future:response():receive()
    if not ok then must(nil, future:error()) end
    return payload:data()
end

local function summary()
    local compute = funcs.async("demo:compute", 6, 7)
    local answer = must(funcs.call("demo:answer"))
    local answer_file = must(funcs.call("demo:answer_file"))
    local product = await(compute)
    local transformed = must(funcs.call("demo:transform_users", users))
    local active = must(funcs.call("demo:filter_active", users))
    local calc = must(funcs.call("demo:calc_eval", "6 * 7"))   -- a result: {ok = 42} or {err = "..."}
    local greeting = must(funcs.call("demo:greet", "Lua"))

    local displays, active_names = {}, {}
    for i, view in ipairs(transformed) do displays[i] = view.display end
    for i, user in ipairs(active) do active_names[i] = user.name end
    return {
        answer = answer,
        answer_file = answer_file,
        compute = product,
        calc = calc.ok,
        greeting = greeting,
        displays = displays,
        active = active_names,
        tag_counts = transformed[1]["tag-count"] + transformed[2]["tag-count"] + transformed[3]["tag-count"],
    }
end

return { summary = summary }
