-- calls.lua - the component fixtures (tests/fixtures/components) called from
-- Lua through the registry, once per pool type: every value kind both ways,
-- interface methods, and the error values (wrong argument, trap, disabled
-- import). run(ns) calls the entries of namespace ns: "comp" (components.sh:
-- the .wasm components) or "core" (fixtures_core.sh: their core modules as
-- function.wat with the world as `wit`, which have no interface exports and
-- no imports, so those cases are left out). It returns
-- {passed = n, failed = {"what: got ..., want ..."}}.
local funcs = require("funcs")
local json = require("json")

local passed, failed = 0, {}

-- Deep equality; numbers compare as numbers (3 == 3.0).
local function same(a, b)
    if type(a) ~= type(b) then return false end
    if type(a) ~= "table" then return a == b end
    for k, v in pairs(a) do if not same(v, b[k]) then return false end end
    for k in pairs(b) do if a[k] == nil then return false end end
    return true
end

local function show(v)
    local ok, s = pcall(json.encode, v)
    return ok and s or tostring(v)
end

local function expect(what, got, want)
    if same(got, want) then passed = passed + 1
    else failed[#failed + 1] = what .. ": got " .. show(got) .. ", want " .. show(want) end
end

-- A call that must succeed with `want`.
local function ok(what, id, want, ...)
    local v, err = funcs.call(id, ...)
    if err then
        failed[#failed + 1] = what .. ": unexpected error " .. err:kind() .. ": " .. err:message()
        return
    end
    expect(what, v, want)
end

-- A call that must fail with error kind `kind` and a message containing `text`.
local function fails(what, id, kind, text, ...)
    local v, err = funcs.call(id, ...)
    if not err then
        failed[#failed + 1] = what .. ": no error, got " .. show(v)
        return
    end
    local msg = err:message()
    if err:kind() == kind and msg:find(text, 1, true) then passed = passed + 1
    else failed[#failed + 1] = what .. ": got " .. err:kind() .. ": " .. msg .. "; want " .. kind .. " with `" .. text .. "`" end
end

local function pool_cases(ns, pool)
    local core = ns == "core"
    local function id(name) return ns .. ":" .. name .. "-" .. pool end
    local function w(s) return pool .. " " .. s end

    -- users: a list of records in, a list of records out
    ok(w "transform-users", id "users-transform",
       { { id = 1, name = "ADA LOVELACE", age = 37, active = true },
         { id = 2, name = "BOB", age = 255, active = false } },
       { { id = 1, name = "ada lovelace", age = 36, active = true },
         { id = 2, name = "bob", age = 255, active = false } })
    ok(w "transform-users empty", id "users-transform", {}, {})
    ok(w "filter-active", id "users-filter",
       { { id = 1, name = "ada", age = 36, active = true } },
       { { id = 1, name = "ada", age = 36, active = true },
         { id = 2, name = "bob", age = 50, active = false },
         { id = 3, name = "cy", age = 17, active = true } }, 18)

    -- calc: strings, result<f64, string>, interface methods
    ok(w "eval precedence", id "calc-eval", { ok = 7 }, "1 + 2 * 3")
    ok(w "eval parentheses", id "calc-eval", { ok = 9 }, "(1+2)*3")
    ok(w "eval fraction", id "calc-eval", { ok = -8 }, "-4 / 0.5")
    ok(w "eval division by zero", id "calc-eval", { err = "division by zero" }, "7/0")
    ok(w "eval end of input", id "calc-eval", { err = "unexpected end of input" }, "1 +")
    ok(w "eval missing paren", id "calc-eval", { err = "missing )" }, "(1+2")
    if not core then
        ok(w "ops#greet", id "calc-greet", "Hello, wörld!", "wörld")
        ok(w "wasmfn:calc/ops#add", id "calc-add", 2.5, 0.5, 2)
        fails(w "trap", id "calc-crash", "Internal", "unreachable", "why")
        fails(w "wrong argument count", id "calc-add", "Invalid", "argument", 1)
    end
    fails(w "wrong argument type", id "calc-eval", "Invalid", "expr", 42)
    fails(w "record field type", id "users-transform", "Invalid", "age",
          { { id = 1, name = "x", age = "old", active = true } })
    fails(w "u8 out of range", id "users-filter", "Invalid", "min-age", {}, 256)

    -- kinds: every kind of type
    ok(w "bump-scalars", id "kinds-bump-scalars",
       { false, -128, 0, -1, 0, 0, 42, -4, 8, 2.5, -1.0, "b" },
       true, 127, 255, -2, 65535, -1, 41, -5, 7, 1.25, -0.5, "a")
    -- a u64 above 2^63-1 both ways (a Lua float; 2^64-2048 + 1 rounds back)
    ok(w "bump-scalars big u64", id "kinds-bump-scalars",
       { true, 1, 1, 1, 1, 1, 1, 1, 2 ^ 64 - 2048, 0, 0, "\u{10FFFF}" },
       false, 0, 0, 0, 0, 0, 0, 0, 2 ^ 64 - 2048, 0, 0, "\u{10FFFE}")
    fails(w "invalid char result traps", id "kinds-bump-scalars", "Internal", "char",
          false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "\u{D7FF}")
    ok(w "next-color", id "kinds-next-color", "red", "blue")
    ok(w "toggle", id "kinds-toggle", { write = true, exec = true }, { "read" })
    ok(w "area circle", id "kinds-area", 12, { circle = 2 })
    ok(w "area rect", id "kinds-area", 7, { rect = { 2, 3.5 } })
    ok(w "area point", id "kinds-area", 0, "point")
    ok(w "maybe-double some", id "kinds-maybe-double", 42, 21)
    ok(w "maybe-double none", id "kinds-maybe-double", nil, nil)
    ok(w "checked-div ok", id "kinds-checked-div", { ok = 3 }, 7, 2)
    ok(w "checked-div by zero", id "kinds-checked-div", { err = "division by zero" }, 1, 0)
    ok(w "checked-div overflow", id "kinds-checked-div", { err = "overflow" }, math.mininteger, -1)
    ok(w "swap", id "kinds-swap", { "héllo", 7 }, { 7, "héllo" })
    ok(w "check-even ok", id "kinds-check-even", { ok = true }, 4)
    ok(w "check-even err", id "kinds-check-even", { err = true }, 3)
    ok(w "sum-some", id "kinds-sum-some", 65540, { 1, json.null, 65535, 4 })
    ok(w "reverse-path", id "kinds-reverse-path",
       { name = "trip", at = { x = -1, y = 2, label = "λ" },
         path = { { x = 3, y = -3, label = "😀" }, { x = 2, y = 2, label = "b" }, { x = 1, y = 1, label = "a" } },
         color = "green", perms = { read = true, exec = true }, tags = { "zzz", "yy", "x" } },
       { name = "trip", at = { x = -1, y = 2, label = "λ" },
         path = { { x = 1, y = 1, label = "a" }, { x = 2, y = 2, label = "b" }, { x = 3, y = -3, label = "😀" } },
         color = "green", perms = { "read", "exec" }, tags = { "x", "yy", "zzz" } })
    ok(w "shapes", id "kinds-shapes", { { circle = 1.5 }, { rect = { 2, 3 } }, { point = true } })
    fails(w "unknown enum case", id "kinds-next-color", "Invalid", "purple", "purple")

    if core then return end
    -- dice: an import nobody provides links to a stub that traps when called
    ok(w "import unused", id "dice-fair", 4)
    fails(w "import not enabled", id "dice-roll", "Internal",
          "import `wasi:random/random@0.2.0` function `get-random-u64` is not enabled: add `wasi:random` to the entry's `imports`", 6)
end

function run(ns)
    for _, pool in ipairs({ "inline", "lazy", "static", "adaptive" }) do pool_cases(ns, pool) end
    if ns == "comp" then
        -- the import enabled in `imports`: the WASI 0.2 host serves
        -- wasi:random@0.2.0 (any 0.2.x), so 1000 rolls of a d6 stay in 1..6
        -- and show every face
        local seen, bad = {}, nil
        for _ = 1, 1000 do
            local v, err = funcs.call("comp:dice-roll-enabled", 6)
            if err then bad = err:kind() .. ": " .. err:message() break end
            if type(v) ~= "number" or v < 1 or v > 6 then bad = "out of range: " .. show(v) break end
            seen[v] = true
        end
        expect("enabled wasi:random: rolls in 1..6", bad, nil)
        expect("enabled wasi:random: every face", #seen, 6)
    end
    return { passed = passed, failed = failed }
end
