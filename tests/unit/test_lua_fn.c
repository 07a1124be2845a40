/* test_lua_fn.c - function.lua through the runtime (src/lua/fn.c, state.c,
 * funcs.c): the sandbox, fresh state per call, modules and imports, error
 * mapping, deadlines, and `funcs` calling WAT functions and Lua functions
 * (call, async/wait/result/cancel, with_options timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "lua/lua_int.h"
#include "lua/wflua.h"
#include "lua_call.h"
#include "component/cabi/cabi.h"

static const char *ADD_WAT =
    "(module (func (export \"add\") (param i32 i32) (result i32)"
    "  local.get 0 local.get 1 i32.add)"
    " (func (export \"spin\") (loop (br 0)))"
    " (func (export \"boom\") unreachable))";

typedef struct fixture {
    wf_runtime *rt;
    wf_module *mod;
} fixture;

static int setup(void **state)
{
    fixture *fx = wf_xcalloc(1, sizeof *fx);
    fx->rt = wf_runtime_new();
    wf_error *e = wf_module_from_wat(ADD_WAT, strlen(ADD_WAT), &fx->mod);
    if (e) fail_msg("wat: %s", e->message);
    const char *methods[] = {"add", "spin", "boom"};
    for (size_t i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "t:%s", methods[i]);
        wf_wasm_config cfg = {.method = methods[i]};
        if (i == 1) cfg.limits.max_execution_ms = 5000;
        e = wf_runtime_add_wasm(fx->rt, id, fx->mod, &cfg);
        if (e) fail_msg("add: %s", e->message);
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    wf_runtime_free(fx->rt);
    wf_module_free(fx->mod);
    free(fx);
    return 0;
}

/* Every built-in module, for functions that use them. */
static const char *const ALL_MODS[] = {"funcs", "json"};

/* Add a Lua function `id` whose source defines `main`. */
static void add_lua(fixture *fx, const char *id, const char *source)
{
    wf_lua_fn_config cfg = {.source = source, .method = "main", .modules = ALL_MODS,
                            .nmodules = WF_COUNT(ALL_MODS)};
    wf_error *e = wf_lua_add(fx->rt, id, &cfg);
    if (e) fail_msg("%s: %s", id, e->message);
}

static void expect_call(fixture *fx, const char *id, const char *want)
{
    char *got = lua_call_json(fx->rt, id, NULL, 0);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", id, got, want);
    free(got);
}

/* A Lua function whose main returns the value of expr. */
static void expect_lua(fixture *fx, const char *expr, const char *want)
{
    static int n;
    char id[32], src[4096];
    snprintf(id, sizeof id, "l:e%d", ++n);
    snprintf(src, sizeof src, "function main() %s end", expr);
    add_lua(fx, id, src);
    expect_call(fx, id, want);
}

static void test_sandbox(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "return {type(io), type(debug), type(package), type(dofile), type(loadfile), "
                   "type(os.execute), type(os.getenv), type(os.exit), type(string.dump), type(os.time)}",
               "[\"nil\",\"nil\",\"nil\",\"nil\",\"nil\",\"nil\",\"nil\",\"nil\",\"nil\",\"function\"]");
    expect_lua(fx, "return load('return 1 + 1')()", "2");
    expect_lua(fx, "local f, err = load(string.char(27) .. 'Lua') return err",
               "\"attempt to load a binary chunk (mode is 't')\"");
    expect_lua(fx, "local f, err = load('return 1', 'x', 'b') return err", "\"binary chunks are not allowed\"");
    expect_lua(fx, "return require('string') == string and require('math') == math", "true");
    /* Lua's io library is not there; upstream's `io` module neither */
    expect_lua(fx, "local ok, err = pcall(require, 'io') return err",
               "\"module 'io' is not provided by wasmfn (an upstream Wippy module; wasmfn provides: "
               "funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)\"");
    expect_lua(fx, "local ok, err = pcall(require, 'debug') return err",
               "\"module 'debug' not found (available: funcs, json)\"");
    expect_lua(fx, "return require('json').encode({1})", "\"[1]\"");
}

static void test_fresh_state(void **state)
{
    fixture *fx = *state;
    add_lua(fx, "l:counter", "count = (count or 0) + 1\n"
                             "string.leak = (string.leak or 0) + 1\n"
                             "function main() return {count, string.leak} end");
    for (int i = 0; i < 3; i++) expect_call(fx, "l:counter", "[1,1]");

    /* A state is reused by copying its snapshot back (fn.c, arena.c): a
     * module opened before the snapshot (json), one opened by the call
     * (funcs), a big allocation, and a state closed instead (a finalizer)
     * leave nothing for the next call either. */
    add_lua(fx, "l:modleak", "local json = require('json')\n"
                             "json.leak = (json.leak or 0) + 1\n"
                             "local funcs = require('funcs')\n"
                             "funcs.leak = (funcs.leak or 0) + 1\n"
                             "big = string.rep('x', 3 << 20) .. tostring(json.leak)\n"
                             "function main() return {json.leak, funcs.leak, #big} end");
    add_lua(fx, "l:finalizer", "seen = (seen or 0) + 1\n"
                               "local t = setmetatable({}, {__gc = function() end})\n"
                               "function main() return seen end");
    for (int i = 0; i < 3; i++) {
        expect_call(fx, "l:modleak", "[1,1,3145729]");
        expect_call(fx, "l:finalizer", "1");
    }
    /* Out of memory, then served again from the same slot. */
    add_lua(fx, "l:oom_then", "n = (n or 0) + 1\n"
                              "function main(grow) if grow then local t = {} while true do "
                              "t[#t + 1] = string.rep('x', 1000) .. #t end end return n end");
    for (int i = 0; i < 2; i++) {
        wf_val yes = wf_val_bool(true);
        char *got = lua_call_json(fx->rt, "l:oom_then", &yes, 1);
        assert_string_equal(got, "error: LIMIT: l:oom_then: lua: out of memory (the state's limit)");
        free(got);
        expect_call(fx, "l:oom_then", "1");
    }
}

static void test_args_results(void **state)
{
    fixture *fx = *state;
    add_lua(fx, "l:echo", "function main(...) return {...} end");
    wf_val args[4];
    args[0] = wf_val_sint(WF_VAL_S32, -5);
    args[1] = wf_val_agg(WF_VAL_RECORD, 2);
    wf_val_set_name(&args[1], 0, "name");
    wf_val_set_name(&args[1], 1, "tags");
    args[1].of.agg.items[0] = wf_val_string("Al", 2);
    args[1].of.agg.items[1] = wf_val_agg(WF_VAL_LIST, 1);
    args[1].of.agg.items[1].of.agg.items[0] = wf_val_string("x", 1);
    args[2] = wf_val_case(WF_VAL_ENUM, 1, "green", NULL);
    wf_val p = wf_val_f64(0.5);
    args[3] = wf_val_ok(&p);
    char *got = lua_call_json(fx->rt, "l:echo", args, 4);
    assert_string_equal(got, "[-5,{\"name\":\"Al\",\"tags\":[\"x\"]},\"green\",{\"ok\":0.5}]");
    free(got);
    for (int i = 0; i < 4; i++) wf_val_free(&args[i]);

    /* Results: nil -> none, integers s64, floats f64, tables. */
    wf_val r;
    add_lua(fx, "l:nil", "function main() end");
    assert_null(wf_runtime_call(fx->rt, "l:nil", NULL, 0, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_OPTION);
    assert_null(r.of.cas.payload);
    wf_val_free(&r);
    add_lua(fx, "l:int", "function main() return 7 end");
    assert_null(wf_runtime_call(fx->rt, "l:int", NULL, 0, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_S64);
    assert_int_equal(r.of.s, 7);
    expect_lua(fx, "return {b = {}, a = 1.5}", "{\"a\":1.5,\"b\":[]}");
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    add_lua(fx, "l:raise", "function main() error('bad thing') end");
    expect_call(fx, "l:raise", "error: TRAP: lua: l:raise:1: bad thing");
    expect_lua(fx, "return nil, 'plain'", "error: INTERNAL: plain");
    expect_lua(fx, "local _, e = require('json').decode('[') return nil, e",
               "error: INVALID: json.decode: invalid JSON at offset 1: unexpected end of input");
    add_lua(fx, "l:retfunc", "function main() return print end");
    expect_call(fx, "l:retfunc", "error: INVALID: l:retfunc: result: cannot pass a function");
    add_lua(fx, "l:oom", "function main() local t = {} while true do t[#t + 1] = string.rep('x', 1000) .. #t end end");
    expect_call(fx, "l:oom", "error: LIMIT: l:oom: lua: out of memory (the state's limit)");

    add_lua(fx, "l:nomain", "x = 1");
    expect_call(fx, "l:nomain", "error: NOT_FOUND: l:nomain: method `main` is not a function the source "
                                "returns (`return main` or `return { main = main }`) or defines as a global");
    /* The method as upstream finds it: the chunk's return value first. */
    add_lua(fx, "l:rettable", "local function main() return 'table' end\nreturn { main = main }");
    expect_call(fx, "l:rettable", "\"table\"");
    add_lua(fx, "l:chunkfn", "return function(a) return 'function' end");
    expect_call(fx, "l:chunkfn", "\"function\"");
    add_lua(fx, "l:shadow", "function main() return 'global' end\nreturn { main = function() return 'returned' end }");
    expect_call(fx, "l:shadow", "\"returned\"");
    add_lua(fx, "l:fallback", "function main() return 'global' end\nreturn { other = 1 }");
    expect_call(fx, "l:fallback", "\"global\"");
    add_lua(fx, "l:notfn", "return { main = 42 }");
    expect_call(fx, "l:notfn", "error: NOT_FOUND: l:notfn: method `main` is not a function the source "
                               "returns (`return main` or `return { main = main }`) or defines as a global");
    add_lua(fx, "l:toperr", "error('at load')");
    expect_call(fx, "l:toperr", "error: TRAP: lua: l:toperr:1: at load");

    wf_lua_fn_config cfg = {.source = "function main(\n  return 1 end", .method = "main"};
    wf_error *e = wf_lua_add(fx->rt, "l:syntax", &cfg);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_string_equal(e->message, "l:syntax:2: <name> or '...' expected near 'return'");
    wf_error_free(e);
    assert_false(wf_runtime_has(fx->rt, "l:syntax"));

    const char *mods[] = {"json", "sockets"};
    cfg = (wf_lua_fn_config){.source = "function main() end", .method = "main",
                             .modules = mods, .nmodules = 2};
    e = wf_lua_add(fx->rt, "l:badmod", &cfg);
    assert_non_null(e);
    assert_string_equal(e->message, "unknown module `sockets` in `modules` (did you mean `process`? built-ins: funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)");
    wf_error_free(e);
}

static void test_modules_imports(void **state)
{
    fixture *fx = *state;
    const char *only_json[] = {"json"};
    wf_lua_import imps[] = {
        {"mathx", "lib:mathx", "local M = {} function M.double(x) return x * 2 end return M"},
        {"counter", "lib:counter", "loads = (loads or 0) + 1 return {n = loads}"},
    };
    wf_lua_fn_config cfg = {
        .source = "function main()\n"
                  "  local ok, err = pcall(require, 'funcs')\n"
                  "  local c1, c2 = require('counter'), require('counter')\n"
                  "  return {require('mathx').double(21), err, c1 == c2, c1.n,\n"
                  "          require('json').encode({})}\n"
                  "end",
        .method = "main", .modules = only_json, .nmodules = 1,
        .imports = imps, .nimports = 2,
    };
    assert_null(wf_lua_add(fx->rt, "l:mods", &cfg));
    expect_call(fx, "l:mods", "[42,\"module 'funcs' is not allowed: add it to the entry's `modules` "
                              "(allowed: json, mathx, counter)\",true,1,\"[]\"]");
    /* No `modules`: no built-ins at all (as upstream), the error names the module. */
    cfg = (wf_lua_fn_config){.source = "function main() return require('json') end", .method = "main",
                             };
    assert_null(wf_lua_add(fx->rt, "l:nomods", &cfg));
    expect_call(fx, "l:nomods", "error: TRAP: lua: l:nomods:1: module 'json' is not allowed: add it to the entry's `modules` (allowed: none)");
    /* A library with a syntax error is a load error of the function. */
    wf_lua_import bad[] = {{"b", "lib:bad", "return {"}};
    cfg = (wf_lua_fn_config){.source = "function main() end", .method = "main", .imports = bad, .nimports = 1};
    wf_error *e = wf_lua_add(fx->rt, "l:badlib", &cfg);
    assert_non_null(e);
    assert_string_equal(e->message, "import `b`: lib:bad:1: unexpected symbol near <eof>");
    wf_error_free(e);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_deadline(void **state)
{
    fixture *fx = *state;
    wf_lua_fn_config cfg = {.source = "function main() while true do end end", .method = "main",
                            .max_execution_ms = 50};
    assert_null(wf_lua_add(fx->rt, "l:spin", &cfg));
    uint64_t t0 = now_ms();
    expect_call(fx, "l:spin", "error: TIMEOUT: l:spin: execution exceeded max_execution_ms (50 ms)");
    assert_true(now_ms() - t0 < 2000);
    /* pcall cannot swallow the stop. */
    cfg.source = "function main() while true do pcall(function() while true do end end) end end";
    assert_null(wf_lua_add(fx->rt, "l:pcallspin", &cfg));
    expect_call(fx, "l:pcallspin", "error: TIMEOUT: l:pcallspin: execution exceeded max_execution_ms (50 ms)");
    /* A caller timeout applies to a running Lua function too. */
    wf_val r;
    wf_call_opts opts = {.timeout_ms = 30};
    add_lua(fx, "l:spin2", "function main() while true do end end");
    wf_error *e = wf_runtime_call(fx->rt, "l:spin2", NULL, 0, &r, &opts);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    wf_error_free(e);
}

static void test_funcs_call(void **state)
{
    fixture *fx = *state;
    add_lua(fx, "l:double", "function main(x) return x * 2 end");
    expect_lua(fx, "local funcs = require('funcs') local r, err = funcs.call('t:add', 6, 7) "
                   "return {r, err == nil, math.type(r)}", "[13,true,\"integer\"]");
    expect_lua(fx, "local r, err = require('funcs').call('l:double', 21) return r", "42");
    expect_lua(fx, "local r, err = require('funcs').call('t:nope') "
                   "return {r == nil, err:kind(), err:message(), tostring(err)}",
               "[true,\"NotFound\",\"no function t:nope\",\"NotFound: no function t:nope\"]");
    expect_lua(fx, "local r, err = require('funcs').call('t:add', 1) return {err:kind(), err:message()}",
               "[\"Invalid\",\"t:add: expected 2 arguments, got 1\"]");
    expect_lua(fx, "local r, err = require('funcs').call('t:add', 1, 2^40) return err:message()",
               "\"t:add: parameter 2: 1099511627776 is out of range for i32\"");
    expect_lua(fx, "local r, err = require('funcs').call('t:add', 1, 'x') return err:message()",
               "\"t:add: parameter 2: expected a number (i32), got a string\"");
    expect_lua(fx, "local r, err = require('funcs').call('t:boom') return {err:kind(), err:message()}",
               "[\"Internal\",\"t:boom: unreachable\"]");
    expect_lua(fx, "local r, err = require('funcs').new():with_options{timeout = 30}:call('t:spin') "
                   "return err:kind()", "\"Timeout\"");
    expect_lua(fx, "local ok, err = pcall(function() return require('funcs').new():with_options{speed = 1} end) "
                   "return err:match('with_options.*')",
               "\"with_options: unknown option `speed` (known: timeout, retries, retry_delay)\"");
    expect_lua(fx, "return require('funcs').new():call('t:add', 40, 2)", "42");
}

/* Values between Lua functions keep their shape: mixed tables, sparse
 * arrays, nested tables, integer and float keys; only functions, threads
 * and userdata are refused. */
static void test_lua_shapes(void **state)
{
    fixture *fx = *state;
    add_lua(fx, "l:shape-echo", "function main(...) return ... end");
    expect_lua(fx, "local t = {1, 2, x = 3, [10] = 'ten', [2.5] = 'half', [true] = 'yes',"
                   " nested = {a = {1, nil, 3}, b = {}, c = {{}, {y = {z = 'deep'}}}}}"
                   " local r, err = require('funcs').call('l:shape-echo', t)"
                   " return {err == nil, r[1], r[2], r.x, r[10], r[2.5], r[true], math.type(r[1]),"
                   " r.nested.a[1], r.nested.a[2] == nil, r.nested.a[3], next(r.nested.b) == nil,"
                   " r.nested.c[2].y.z, #r.nested.c}",
               "[true,1,2,3,\"ten\",\"half\",\"yes\",\"integer\",1,true,3,true,\"deep\",2]");
    expect_lua(fx, "local r = require('funcs').call('l:shape-echo', {[-1] = 'neg', [0] = 'zero', [1] = 'one'})"
                   " return {r[-1], r[0], r[1]}", "[\"neg\",\"zero\",\"one\"]");
    expect_lua(fx, "local r = require('funcs').call('l:shape-echo', 1.0) return math.type(r)", "\"float\"");
    expect_lua(fx, "local r, err = require('funcs').call('l:shape-echo', {f = print}) return err:message()",
               "\"l:shape-echo: argument 1.f: cannot pass a function\"");
    expect_lua(fx, "local r, err = require('funcs').call('l:shape-echo', {coroutine.create(print)}) return err:message()",
               "\"l:shape-echo: argument 1[1]: cannot pass a thread\"");
    expect_lua(fx, "local r, err = require('funcs').call('l:shape-echo', {[{}] = 1}) return err:message()",
               "\"l:shape-echo: argument 1: a table key cannot be a table\"");
}

static void test_funcs_async(void **state)
{
    fixture *fx = *state;
    wf_lua_fn_config cfg = {.source = "function main(ms) local t = os.clock() while os.clock() - t < ms / 1000 do end return ms end",
                            .method = "main", .pool = {.type = WF_RT_POOL_LAZY, .max_size = 4}};
    assert_null(wf_lua_add(fx->rt, "l:busy", &cfg));
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f, err = funcs.async('l:busy', 200)\n"
                   "local early = f:result()\n"
                   "local r, e = f:wait()\n"
                   "local r2 = f:result():data()\n"
                   "return {early == nil, r, e == nil, r2}",
               "[true,200,true,200]");
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f = funcs.async('t:add', 1, 2)\n"
                   "return {f:wait()}", "[3]");
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f = funcs.async('l:busy', 5000)\n"
                   "f:cancel()\n"
                   "local r, e = f:wait()\n"
                   "return {r == nil, e:kind()}", "[true,\"Canceled\"]");
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f = funcs.new():with_options{timeout = 50}:async('l:busy', 5000)\n"
                   "local r, e = f:wait()\n"
                   "return e:kind()", "\"Timeout\"");
    expect_lua(fx, "local f, err = require('funcs').async('t:add', 'x', 1) return {f == nil, err:kind()}",
               "[true,\"Invalid\"]");
    /* Several futures at once, then all waited. */
    expect_lua(fx, "local funcs = require('funcs') local fs = {}\n"
                   "for i = 1, 4 do fs[i] = funcs.async('l:busy', 50 + i) end\n"
                   "local out = {} for i = 1, 4 do out[i] = fs[i]:wait() end return out",
               "[51,52,53,54]");
}

/* ---- WIT-typed functions (Canonical ABI) through funcs.call ---------------- */

static const char *WIT_WAT =
    "(module (memory (export \"memory\") 1)"
    " (data (i32.const 64) \"division by zero\")"
    " (global $bump (mut i32) (i32.const 1024))"
    " (func (export \"cabi_realloc\") (param i32 i32 i32 i32) (result i32) (local $p i32)"
    "   global.get $bump local.get 2 i32.add i32.const 1 i32.sub"
    "   i32.const 0 local.get 2 i32.sub i32.and local.tee $p"
    "   local.get 3 i32.add global.set $bump local.get $p)"
    " (func (export \"strlen\") (param i32 i32) (result i32) local.get 1)"
    " (func (export \"swap\") (param i32 i32) (result i32)"
    "   i32.const 16 local.get 1 i32.store i32.const 20 local.get 0 i32.store i32.const 16)"
    " (func (export \"safe-div\") (param i32 i32) (result i32)"
    "   local.get 1 i32.eqz if"
    "     i32.const 32 i32.const 1 i32.store8 i32.const 36 i32.const 64 i32.store"
    "     i32.const 40 i32.const 16 i32.store"
    "   else"
    "     i32.const 32 i32.const 0 i32.store8 i32.const 36 local.get 0 local.get 1 i32.div_u i32.store"
    "   end i32.const 32)"
    " (func (export \"sum6\") (param i32 i32 i32 i32 i32 i32) (result i32)"
    "   local.get 0 local.get 1 i32.add local.get 2 i32.add local.get 3 i32.add"
    "   local.get 4 i32.add local.get 5 i32.add))";

static const char *WIT_TEXT =
    "record point { x: s32, y: s32 }\n"
    "strlen: func(s: string) -> u32;\n"
    "swap: func(p: point) -> point;\n"
    "safe-div: func(a: u32, b: u32) -> result<u32, string>;\n"
    "sum6: func(a: s32, b: s32, c: s32, d: s32, e: s32, f: u8) -> s32;\n";

/* wasm_fn.c references the Canonical ABI weakly, which does not pull it out
 * of the static library: a strong reference here links it in. */
void *const test_lua_fn_cabi_link = (void *)&wf_cabi_call;

static void test_funcs_wit(void **state)
{
    (void)state;
    fixture fx = {.rt = wf_runtime_new()};
    wf_wit *wit;
    wf_error *e = wf_wit_parse(WIT_TEXT, strlen(WIT_TEXT), &wit);
    if (e) fail_msg("wit: %s", e->message);
    e = wf_module_from_wat(WIT_WAT, strlen(WIT_WAT), &fx.mod);
    if (e) fail_msg("wat: %s", e->message);
    const char *names[] = {"strlen", "swap", "safe-div", "sum6"};
    for (size_t i = 0; i < WF_COUNT(names); i++) {
        char id[32];
        snprintf(id, sizeof id, "w:%s", names[i]);
        wf_wasm_config cfg = {.method = names[i], .wit = wf_wit_find_func(wit, names[i])};
        e = wf_runtime_add_wasm(fx.rt, id, fx.mod, &cfg);
        if (e) fail_msg("add %s: %s", id, e->message);
    }
    const char *pre = "local funcs = require('funcs') ";
    static const struct { const char *code, *want; } cases[] = {
        {"return funcs.call('w:strlen', 'h\\u{e9}llo')", "6"},
        {"return funcs.call('w:swap', {x = 1, y = -2})", "{\"x\":-2,\"y\":1}"},
        {"local r, err = funcs.call('w:safe-div', 84, 2) return {r, err == nil}", "[{\"ok\":42},true]"},
        /* A WIT result's err case is a value, not an err. */
        {"local r, err = funcs.call('w:safe-div', 1, 0) return {r, err == nil}",
         "[{\"err\":\"division by zero\"},true]"},
        {"local r, err = funcs.call('w:safe-div', -1, 2) return {r == nil, err:kind(), err:message()}",
         "[true,\"Invalid\",\"w:safe-div: parameter `a`: -1 is out of range for u32\"]"},
        {"local r, err = funcs.call('w:safe-div', 1.5, 2) return err:message()",
         "\"w:safe-div: parameter `a`: 1.5 is not an integer, expected u32\""},
        {"local r, err = funcs.call('w:swap', {x = 1}) return err:message()",
         "\"w:swap: parameter `p`.y: missing field\""},
        {"local r, err = funcs.call('w:strlen') return err:message()",
         "\"w:strlen: expected 1 argument, got 0\""},
        {"local r, err = funcs.call('w:strlen', 1) return err:message()",
         "\"w:strlen: parameter `s`: expected string, got an integer\""},
        {"local f = funcs.async('w:swap', {x = 5, y = 6}) return f:wait()", "{\"x\":6,\"y\":5}"},
        /* more arguments than a call converts without allocating */
        {"return funcs.call('w:sum6', 1, 2, 3, 4, -5, 255)", "260"},
        {"local r, err = funcs.call('w:sum6', 1, 2, 3, 4, 5, 256) return err:message()",
         "\"w:sum6: parameter `f`: 256 is out of range for u8\""},
        {"local r, err = funcs.call('w:sum6', 1, 2, 3, 'x', 5, 6) return err:message()",
         "\"w:sum6: parameter `d`: expected s32, got a string\""},
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) {
        char id[32], src[1024];
        snprintf(id, sizeof id, "l:wit%zu", i);
        snprintf(src, sizeof src, "function main() %s%s end", pre, cases[i].code);
        add_lua(&fx, id, src);
        expect_call(&fx, id, cases[i].want);
    }
    wf_runtime_free(fx.rt);
    wf_module_free(fx.mod);
    wf_wit_free(wit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox),
        cmocka_unit_test(test_fresh_state),
        cmocka_unit_test(test_args_results),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_modules_imports),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_funcs_call),
        cmocka_unit_test(test_lua_shapes),
        cmocka_unit_test(test_funcs_async),
        cmocka_unit_test(test_funcs_wit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
