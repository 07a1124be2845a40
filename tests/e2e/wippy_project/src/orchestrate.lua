local funcs = require("funcs")
local time = require("time")
local json = require("json")

local function handler()
    local r = {}
    -- Futures, as upstream: response() is a channel of payloads.
    local tasks = {}
    for i = 1, 5 do
        tasks[i] = funcs.async("app:slow_square", i, 20)
    end
    local squares = {}
    for i, task in ipairs(tasks) do
        local payload, ok = task:response():receive()
        if ok then squares[i] = payload:data() else squares[i] = tostring(task:error()) end
    end
    r.squares = squares

    -- An executor, a WASM function and a WAT function.
    local exec = funcs.new():with_context({ tenant = "t1" }):with_options({ timeout = 5000 })
    r.compute = exec:call("app:compute", 6, 7)
    r.answer = funcs.call("app:answer")
    r.tenant = exec:call("app:tenant")           -- with_context values reach the callee

    -- select with a timeout: the slow call loses against time.after.
    local slow = funcs.async("app:slow_square", 9, 2000)
    local result = channel.select({
        slow:response():case_receive(),
        time.after("50ms"):case_receive(),
    })
    if result.channel == slow:response() then
        r.select = "call"
    else
        slow:cancel()
        r.select = "timeout"
    end
    r.canceled = slow:is_canceled()

    -- Error values from other functions keep their kind and message.
    local _, err = funcs.call("app:validate", { tags = { "x" } })
    r.error = { kind = err:kind(), message = err:message(), retryable = err:retryable(),
                invalid = errors.is(err, errors.INVALID) }
    local user = funcs.call("app:validate", { name = "ann", tags = { "a", "b" } })
    r.user = json.encode(user)
    -- ... and everything else they carry: upstream's own kinds,
    -- retryable and details, returned or raised, through calls and futures.
    local function whole(e)
        return { kind = e:kind(), message = e:message(), retryable = e:retryable(),
                 details = e:details(), text = tostring(e) }
    end
    local _, conflict = funcs.call("app:reserve", "12A")
    r.conflict = whole(conflict)
    local task = funcs.async("app:reserve", "1B", "raise")
    local value, ok = task:response():receive()
    local ferr, failed = task:error()
    local _, rerr = task:result()
    r.raised = { received = value == nil and not ok, failed = failed, same = ferr == rerr,
                 err = whole(ferr), limited = errors.is(rerr, errors.RATE_LIMITED) }
    local waited, werr = funcs.async("app:reserve", "12A"):wait()
    r.waited = { value = waited, kind = werr:kind(), holder = werr:details().holder.name }
    r.reserved = funcs.call("app:reserve", "3C")

    -- time as upstream's (Go's): parse a layout, zones from the zoneinfo.
    local due = time.parse(time.RFC3339, "2024-11-03T01:30:00-04:00")
    local ny = time.load_location("America/New_York")
    r.time = { due:in_location(ny):add("1h"):format("2006-01-02 15:04 MST"),
               due:truncate(time.HOUR):utc():format(time.KITCHEN),
               tostring(time.fixed_zone("CET", 3600)) }

    -- coroutine.spawn: a producer and a consumer over channels, as in
    -- upstream's engine spec; they run while this function waits.
    local jobs, total = channel.new(2), channel.new(1)
    coroutine.spawn(function()
        for i = 1, 4 do jobs:send(i * i) end
        jobs:close()
    end)
    coroutine.spawn(function()
        local sum = 0
        while true do
            local v, ok = jobs:receive()
            if not ok then break end
            sum = sum + v
        end
        total:send(sum)
    end)
    r.spawned = total:receive()

    local _, bad = funcs.call("compute", 1, 2)
    r.bad_target = bad:kind()
    return r
end

return { handler = handler }
