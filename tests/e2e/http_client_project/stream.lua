-- a streamed response read in chunks, checked byte by byte
local http_client = require("http_client")

function run(base, n)
    local r, err = http_client.get(base .. "/big/" .. n, { stream = { buffer_size = 4096 } })
    if err then return tostring(err) end
    local total, chunks, bad, biggest = 0, 0, 0, 0
    for chunk in r.stream() do
        for i = 1, #chunk do
            if chunk:byte(i) ~= ((total + i - 1) * 7) % 251 then bad = bad + 1 end
        end
        total = total + #chunk
        if #chunk > biggest then biggest = #chunk end
        chunks = chunks + 1
    end
    r.stream:close()
    return { body = tostring(r.body), body_size = r.body_size, total = total, bad = bad,
             many = chunks > 1, biggest = biggest }
end
