-- Upstream-style error values, returned and raised, with every field set:
-- the caller (orchestrate) must get them back whole through funcs.call and
-- futures.
local attempts = 0

local function handler(seat, how)
    if how == "raise" then
        error(errors.new("slow down"):kind(errors.RATE_LIMITED):retryable(true)
            :details({ retry_after_ms = 250 }))
    end
    if seat == "12A" then
        return nil, errors.new({
            message = "seat 12A is taken",
            kind = errors.CONFLICT,
            retryable = false,
            details = { seat = seat, holder = { id = 7, name = "ann" }, ratio = 0.5, rows = { 1, 2 } },
        })
    end
    return "reserved " .. seat
end

return { handler = handler }
