-- What upstream's system module tells a function about its process.
local system = require("system")

local function run()
    local mem, err = system.memory.stats()
    if err then return nil, err end
    local keys = {}
    for k in pairs(mem) do keys[#keys + 1] = k end
    table.sort(keys)
    local threads = system.runtime.goroutines()
    local _, exit_err = system.exit(0)
    local _, procs_err = system.runtime.max_procs(4)
    local sup, sup_err = system.supervisor.state("shelf:nothing")
    return {
        keys = table.concat(keys, ","),
        in_use = mem.alloc > 0 and mem.heap_in_use == mem.alloc and mem.sys >= mem.heap_sys,
        threads = math.type(threads) == "integer" and threads >= 1,
        cpus = system.runtime.cpu_count() >= 1 and system.runtime.max_procs() == system.runtime.cpu_count(),
        pid = system.process.pid() > 1,
        exit = exit_err:kind() .. ": " .. exit_err:message(),
        max_procs = procs_err:kind(),
        supervisor = tostring(sup) .. " " .. sup_err:kind() .. " " .. #system.supervisor.states(),
        gc = system.gc.collect(),
    }
end

return { run = run }
