/* test_lua_wippy.c - Lua code written for upstream Wippy (SPEC §8): the
 * `errors` global and error values (err.c), channels and select (chan.c),
 * the time module (time.c), futures, payloads and executors (funcs.c), env
 * and logger, with the kinds, methods and messages upstream documents; and
 * 1,000 sleeping Lua calls on 2 workers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "base/file.h"
#include "component/component.h"
#include "component/wit/wit.h"
#include "lua/lua_int.h"
#include "lua/wflua.h"
#include "runtime/rt_int.h"
#include "lua_call.h"

static const char *TRAP_WAT =
    "(module (func (export \"boom\") unreachable)"
    " (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))";

static const char *const ALL_MODS[] = {"funcs", "json", "time", "env", "logger", "ctx"};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct fixture {
    wf_runtime *rt;
    wf_module *mod;
    wf_component *relay;    /* tests/fixtures/components/relay.wasm */
    wf_module *core_relay;  /* its core module: the core-module form of funcs */
    wf_wit *core_wit;
} fixture;

static int setup(void **state)
{
    fixture *fx = wf_xcalloc(1, sizeof *fx);
    fx->rt = wf_runtime_new();
    assert_null(wf_module_from_wat(TRAP_WAT, strlen(TRAP_WAT), &fx->mod));
    wf_wasm_config boom = {.method = "boom"}, add = {.method = "add"};
    assert_null(wf_runtime_add_wasm(fx->rt, "t:boom", fx->mod, &boom));
    assert_null(wf_runtime_add_wasm(fx->rt, "t:add", fx->mod, &add));
    /* Lua callees: a sleeper on a pool of 2 workers, a failing one. */
    const char *sleeper = "local time = require('time')\n"
                          "return { main = function(ms) time.sleep(ms * time.MILLISECOND) return ms end }";
    wf_lua_fn_config cfg = {.source = sleeper, .method = "main", .modules = ALL_MODS,
                            .nmodules = WF_COUNT(ALL_MODS),
                            .pool = {.type = WF_RT_POOL_STATIC, .workers = 2, .size = 2, .buffer = 2000}};
    assert_null(wf_lua_add(fx->rt, "t:sleep", &cfg));
    cfg.source = "return function(msg) return nil, errors.new{message = msg, kind = errors.CONFLICT} end";
    cfg.pool = (wf_pool_config){.type = WF_RT_POOL_LAZY, .max_size = 4};
    assert_null(wf_lua_add(fx->rt, "t:fail", &cfg));
    cfg.source = "return function(name) return 'hello ' .. name end";
    assert_null(wf_lua_add(fx->rt, "t:hello", &cfg));
    /* ctx readers: one reads, one sets a value and calls the first (its
     * calls pass the context on, with what it set). */
    cfg.source = "local ctx = require('ctx')\n"
                 "return function(key) local v, err = ctx.get(key) if err then return err:kind() .. ': ' .. err:message() end return v end";
    assert_null(wf_lua_add(fx->rt, "t:ctx", &cfg));
    cfg.pool = (wf_pool_config){0};   /* inline */
    cfg.source = "local ctx = require('ctx')\n"
                 "return function() ctx.set('step', 'two') return {require('funcs').call('t:ctx', 'tenant'),\n"
                 "  require('funcs').call('t:ctx', 'step')} end";
    assert_null(wf_lua_add(fx->rt, "t:ctx2", &cfg));
    /* A component importing wippy:runtime/funcs, with `funcs` enabled and not. */
    uint8_t *bin;
    size_t len;
    assert_null(wf_file_read(WF_FIXTURES "/components/relay.wasm", &bin, &len));
    assert_null(wf_component_new(bin, len, &fx->relay));
    free(bin);
    const char *funcs_word[] = {"funcs"};
    const char *methods[] = {"relay", "relay-bytes"};
    for (int enabled = 0; enabled < 2; enabled++)
        for (int m = 0; m < 2; m++) {
            char id[64];
            snprintf(id, sizeof id, "t:%s%s", methods[m], enabled ? "" : "-off");
            wf_component_config cc = {.method = methods[m], .pool = {.type = WF_RT_POOL_LAZY, .max_size = 4},
                                      .imports = enabled ? funcs_word : NULL, .nimports = (size_t)enabled};
            assert_null(wf_runtime_add_component(fx->rt, id, fx->relay, &cc));
        }
    /* The same core module as a function.wasm with `wit`, funcs enabled and not. */
    assert_null(wf_file_read(WF_FIXTURES "/components/relay.wat", &bin, &len));
    assert_null(wf_module_from_wat((const char *)bin, len, &fx->core_relay));
    free(bin);
    const char *wit = "relay: func(target: string, input: string) -> result<string, string>;\n"
                      "relay-bytes: func(target: string, input: list<u8>) -> result<list<u8>, string>;";
    assert_null(wf_wit_parse(wit, strlen(wit), &fx->core_wit));
    for (int enabled = 0; enabled < 2; enabled++)
        for (int m = 0; m < 2; m++) {
            char id[64];
            snprintf(id, sizeof id, "t:core-%s%s", methods[m], enabled ? "" : "-off");
            wf_wasm_config wc = {.method = methods[m], .funcs = enabled,
                                 .wit = wf_wit_find_func(fx->core_wit, methods[m])};
            assert_null(wf_runtime_add_wasm(fx->rt, id, fx->core_relay, &wc));
        }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    wf_runtime_free(fx->rt);
    wf_module_free(fx->mod);
    wf_component_free(fx->relay);
    wf_module_free(fx->core_relay);
    wf_wit_free(fx->core_wit);
    free(fx);
    return 0;
}

static void add_lua(fixture *fx, const char *id, const char *source)
{
    wf_lua_fn_config cfg = {.source = source, .method = "main", .modules = ALL_MODS,
                            .nmodules = WF_COUNT(ALL_MODS)};
    wf_error *e = wf_lua_add(fx->rt, id, &cfg);
    if (e) fail_msg("%s: %s", id, e->message);
}

/* A Lua function whose main's body is `body`; its outcome must be want. */
static void expect_lua(fixture *fx, const char *body, const char *want)
{
    static int n;
    char id[32], src[8192];
    snprintf(id, sizeof id, "w:e%d", ++n);
    snprintf(src, sizeof src, "local function main()\n%s\nend\nreturn { main = main }", body);
    add_lua(fx, id, src);
    char *got = lua_call_json(fx->rt, id, NULL, 0);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", body, got, want);
    free(got);
}

static void test_error_kinds(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "return {errors.NOT_FOUND, errors.ALREADY_EXISTS, errors.INVALID, errors.PERMISSION_DENIED,"
                   " errors.UNAVAILABLE, errors.INTERNAL, errors.CANCELED, errors.CONFLICT, errors.TIMEOUT,"
                   " errors.RATE_LIMITED, errors.UNKNOWN}",
               "[\"NotFound\",\"AlreadyExists\",\"Invalid\",\"PermissionDenied\",\"Unavailable\","
               "\"Internal\",\"Canceled\",\"Conflict\",\"Timeout\",\"RateLimited\",\"\"]");
}

static void test_error_values(void **state)
{
    fixture *fx = *state;
    /* errors.new with a message: unknown kind, unknown retryable, empty details. */
    expect_lua(fx, "local e = errors.new('file not found')\n"
                   "return {e:message(), e:kind(), e:retryable() == nil, next(e:details()) == nil, tostring(e)}",
               "[\"file not found\",\"\",true,true,\"file not found\"]");
    /* errors.new with a table. */
    expect_lua(fx, "local e = errors.new{message = 'user not found', kind = errors.NOT_FOUND,\n"
                   "  retryable = false, details = {user_id = '12345'}}\n"
                   "return {e:message(), e:kind(), e:retryable(), e:details().user_id, tostring(e),\n"
                   "        errors.is(e, errors.NOT_FOUND), errors.is(e, errors.INVALID)}",
               "[\"user not found\",\"NotFound\",false,\"12345\",\"NotFound: user not found\",true,false]");
    /* The builder form of errors.md: setters return a new error. */
    expect_lua(fx, "local a = errors.new('x')\n"
                   "local b = a:kind(errors.INVALID):retryable(true):details({field = 'name'})\n"
                   "return {a:kind(), b:kind(), b:retryable(), b:details().field, b:message()}",
               "[\"\",\"Invalid\",true,\"name\",\"x\"]");
    /* Wrapping keeps kind, retryable and details; with an error, its kind wins. */
    expect_lua(fx, "local e1 = errors.new{message = 'database connection failed', kind = errors.UNAVAILABLE,\n"
                   "  retryable = true, details = {host = 'db'}}\n"
                   "local e2 = errors.wrap(e1, 'failed to load user')\n"
                   "local e3 = errors.wrap(e2, 'authentication failed')\n"
                   "local e4 = errors.wrap(e1, errors.new{message = 'gave up', kind = errors.INTERNAL})\n"
                   "return {e3:message(), e3:kind(), e3:retryable(), e3:details().host,\n"
                   "        e4:message(), e4:kind(), e4:retryable(), e4:details().host}",
               "[\"authentication failed: failed to load user: database connection failed\",\"Unavailable\","
               "true,\"db\",\"gave up: database connection failed\",\"Internal\",true,\"db\"]");
    expect_lua(fx, "local ok, err = pcall(errors.new, {message = 'm', kind = 'Nope'}) return err",
               "\"unknown error kind 'Nope' (use the errors.* constants: errors.INVALID, "
               "errors.NOT_FOUND, ...)\"");
    expect_lua(fx, "local ok, err = pcall(errors.new, 42) return err",
               "\"errors.new: expected a message or a table {message = ..., kind = ...}, got number\"");
    expect_lua(fx, "local s = errors.call_stack(errors.new('x')) return type(s) == 'table' and #s > 0",
               "true");
    expect_lua(fx, "return type(errors.new('x'):stack())", "\"string\"");
}

/* Errors from the runtime, as upstream's kinds; a trap is Internal with the
 * trap in its details. */
static void test_runtime_errors(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.call('t:boom')\n"
                   "return {r == nil, err:kind(), err:retryable(), err:details().trap, err:message()}",
               "[true,\"Internal\",false,\"t:boom: unreachable\",\"t:boom: unreachable\"]");
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.call('t:nope')\n"
                   "return {err:kind(), err:retryable(), err:message(), errors.is(err, errors.NOT_FOUND)}",
               "[\"NotFound\",false,\"no function t:nope\",true]");
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.call('t:add', 1)\n"
                   "return {err:kind(), err:message()}",
               "[\"Invalid\",\"t:add: expected 2 arguments, got 1\"]");
}

/* A Lua function's error value reaches the runtime (and the CLI's
 * `error: KIND: message`) with the matching wasmfn kind. */
static void test_errors_out(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "return nil, errors.new{message = 'no user 7', kind = errors.NOT_FOUND}",
               "error: NOT_FOUND: no user 7");
    expect_lua(fx, "return nil, errors.new{message = 'bad name', kind = errors.INVALID}",
               "error: INVALID: bad name");
    expect_lua(fx, "return nil, errors.new{message = 'slow', kind = errors.TIMEOUT}", "error: TIMEOUT: slow");
    expect_lua(fx, "return nil, errors.new('plain')", "error: INTERNAL: plain");
    expect_lua(fx, "error(errors.new{message = 'raised', kind = errors.CONFLICT})", "error: INVALID: raised");
    /* An error from a call passed on keeps its wasmfn kind. */
    expect_lua(fx, "local r, err = require('funcs').call('t:boom') return nil, err",
               "error: TRAP: t:boom: unreachable");
    /* Between Lua functions: the callee's error value, as its kind. */
    add_lua(fx, "w:callee", "return function() return nil, errors.new{message = 'gone', kind = errors.NOT_FOUND} end");
    expect_lua(fx, "local r, err = require('funcs').call('w:callee')\n"
                   "return {err:kind(), err:message()}",
               "[\"NotFound\",\"gone\"]");
}

static void test_channels(void **state)
{
    fixture *fx = *state;
    /* Buffered: values in order; close keeps buffered values, then nil, false. */
    expect_lua(fx, "local ch = channel.new(2)\n"
                   "local s1 = ch:send('a') ch:send('b') ch:close()\n"
                   "local v1, ok1 = ch:receive() local v2, ok2 = ch:receive() local v3, ok3 = ch:receive()\n"
                   "return {s1, v1, ok1, v2, ok2, v3 == nil, ok3}",
               "[true,\"a\",true,\"b\",true,true,false]");
    expect_lua(fx, "local ch = channel.new(1) ch:close() local ok, err = pcall(ch.send, ch, 1) return err",
               "\"send on a closed channel\"");
    expect_lua(fx, "local ch = channel.new(1) ch:close() local ok, err = pcall(ch.close, ch) return err",
               "\"close of a closed channel\"");
    /* Nothing else runs in the function to receive: an error, not a hang. */
    expect_lua(fx, "local ch = channel.new() local ok, err = pcall(ch.send, ch, 1) return err",
               "\"channel: this wait could never end (no timer or future behind its channels, and no "
               "spawned coroutine left to send or receive)\"");
    /* select: the ready case; default when none is; a send case. */
    expect_lua(fx, "local a, b = channel.new(1), channel.new(1)\n"
                   "b:send('hello')\n"
                   "local r = channel.select{a:case_receive(), b:case_receive()}\n"
                   "local d = channel.select{a:case_receive(), default = true}\n"
                   "local s = channel.select{a:case_send(7)}\n"
                   "return {r.channel == b, r.value, r.ok, d.default, d.ok, d.channel == nil,\n"
                   "        s.channel == a, s.value, s.ok, (a:receive())}",
               "[true,\"hello\",true,true,true,true,true,7,true,7]");
    expect_lua(fx, "local ok, err = pcall(channel.select, {42}) return err",
               "\"channel.select: case 1 is not a case (use ch:case_receive() or ch:case_send(v))\"");
    expect_lua(fx, "return tostring(channel.new(3))", "\"channel (0 of 3 buffered)\"");
}

/* select with a timeout: nothing else is ready, time.after fires. */
/* coroutine.spawn as upstream's engine spec: managed coroutines that run
 * while the function waits, unbuffered channels as rendezvous, the spec's
 * producer-consumer example, sleeps and futures inside coroutines, errors,
 * and waits nothing could end. */
static void test_spawn(void **state)
{
    fixture *fx = *state;
    /* the spec's first example: an unbuffered channel, the receiver spawned */
    expect_lua(fx, "local ch = channel.new(0) local got\n"
                   "local co = coroutine.spawn(function() got = ch:receive() end)\n"
                   "local sent = ch:send('hello')\n"
                   "require('time').sleep(1000)\n"   /* a wait: the receiver runs on */
                   "return {sent, got, type(co)}",
               "[true,\"hello\",\"thread\"]");
    /* producer-consumer (the spec's example): 55 */
    expect_lua(fx, "local ch, done = channel.new(5), channel.new(1)\n"
                   "coroutine.spawn(function() for i = 1, 10 do ch:send(i) end ch:close() end)\n"
                   "coroutine.spawn(function() local sum = 0\n"
                   "  while true do local v, ok = ch:receive() if not ok then break end sum = sum + v end\n"
                   "  done:send(sum) end)\n"
                   "return (done:receive())",
               "55");
    /* select over two spawned senders; unbuffered ping-pong between flows */
    expect_lua(fx, "local fast, slow = channel.new(1), channel.new(1)\n"
                   "local time = require('time')\n"
                   "coroutine.spawn(function() time.sleep('30ms') slow:send('slow result') end)\n"
                   "coroutine.spawn(function() fast:send('fast result') end)\n"
                   "local r = channel.select{fast:case_receive(), slow:case_receive()}\n"
                   "local ping, pong = channel.new(), channel.new() local trace = {}\n"
                   "coroutine.spawn(function() for i = 1, 3 do local v = ping:receive() pong:send(v * 10) end end)\n"
                   "for i = 1, 3 do ping:send(i) trace[i] = pong:receive() end\n"
                   "return {r.value, slow:receive(), trace}",
               "[\"fast result\",\"slow result\",[10,20,30]]");
    /* sleeping coroutines overlap: 20 of them sleeping 50 ms end in about 50 ms, well before 20 x 50 */
    expect_lua(fx, "local time = require('time') local done = channel.new(20) local t0 = time.now()\n"
                   "for i = 1, 20 do coroutine.spawn(function() time.sleep('50ms') done:send(i) end) end\n"
                   "local sum = 0 for i = 1, 20 do sum = sum + done:receive() end\n"
                   "local ms = time.now():sub(t0):milliseconds()\n"
                   "return {sum, ms >= 50 and ms < 900}",
               "[210,true]");
    /* a future waited on inside a coroutine; the function's own sleep runs them */
    expect_lua(fx, "local funcs, time = require('funcs'), require('time') local out = {}\n"
                   "coroutine.spawn(function() out.a = funcs.async('t:sleep', 20):wait() end)\n"
                   "coroutine.spawn(function() local p = funcs.async('t:sleep', 10):response():receive() out.b = p:data() end)\n"
                   "time.sleep('200ms')\n"
                   "return out",
               "{\"a\":20,\"b\":10}");
    /* the function returns: coroutines that can run to their end do; an
     * error in one fails the call */
    expect_lua(fx, "local n = 0 coroutine.spawn(function() n = n + 1 end) return n", "0");
    expect_lua(fx, "coroutine.spawn(function() error('boom in a coroutine') end)\n"
                   "local ok, err = pcall(function() require('time').sleep('1ms') end)\n"
                   "return {ok, tostring(err):match('boom in a coroutine') ~= nil}",
               "[false,true]");
    /* an error in a coroutine while the function waits on a channel: the
     * waiting receiver is no longer counted (a later unbuffered send with
     * nobody receiving cannot go on) */
    expect_lua(fx, "local ch = channel.new()\n"
                   "coroutine.spawn(function() error('bad') end)\n"
                   "local ok = pcall(ch.receive, ch)\n"
                   "local ok2, err = pcall(ch.send, ch, 1)\n"
                   "return {ok, ok2, err:match('could never end') ~= nil}",
               "[false,false,true]");
    /* all flows waiting on each other: an error naming it, not a hang */
    expect_lua(fx, "local a, b = channel.new(), channel.new()\n"
                   "coroutine.spawn(function() a:receive() end)\n"
                   "local ok, err = pcall(b.receive, b) return {ok, err}",
               "[false,\"channel: this wait could never end (no timer or future behind its channels, and no "
               "spawned coroutine left to send or receive)\"]");
    /* the code's own coroutines still work, and spawn needs a function */
    expect_lua(fx, "local co = coroutine.wrap(function() coroutine.yield(1) return 2 end)\n"
                   "local ok, err = pcall(coroutine.spawn, 42)\n"
                   "return {co(), co(), ok}",
               "[1,2,false]");
}

static void test_select_timeout(void **state)
{
    fixture *fx = *state;
    uint64_t t0 = now_ms();
    expect_lua(fx, "local time = require('time')\n"
                   "local ch = channel.new()\n"
                   "local timeout = time.after('60ms')\n"
                   "local r = channel.select{ch:case_receive(), timeout:case_receive()}\n"
                   "local again, ok = timeout:receive()\n"
                   "return {r.channel == timeout, r.ok, type(r.value:unix()), again == nil, ok}",
               "[true,true,\"number\",true,false]");
    uint64_t took = now_ms() - t0;
    assert_true(took >= 60);
    assert_true(took < 2000);
}

static void test_time(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local time = require('time')\n"
                   "return {time.NANOSECOND, time.MICROSECOND, time.MILLISECOND, time.SECOND, time.MINUTE, time.HOUR}",
               "[1,1000,1000000,1000000000,60000000000,3600000000000]");
    expect_lua(fx, "local time = require('time')\n"
                   "local d = time.parse_duration('1h30m')\n"
                   "return {d:minutes(), d:hours(), d:seconds(), d:nanoseconds(), tostring(d),\n"
                   "        tostring(time.parse_duration('1.5s')), tostring(time.parse_duration('500ms')),\n"
                   "        tostring(time.parse_duration(1500)), tostring(time.parse_duration('0'))}",
               "[90.0,1.5,5400.0,5400000000000,\"1h30m0s\",\"1.5s\",\"500ms\",\"1.5\u00b5s\",\"0s\"]");
    expect_lua(fx, "local time = require('time')\n"
                   "local d, err = time.parse_duration('soon') return {d == nil, err:kind(), err:message()}",
               "[true,\"Invalid\",\"time.parse_duration: expected a duration such as \\\"1s\\\", "
               "\\\"1h30m\\\" or \\\"500ms\\\"\"]");
    expect_lua(fx, "local time = require('time')\n"
                   "local t = time.date(2024, 1, 15, 14, 30, 5, 0, time.utc)\n"
                   "return {t:format('2006-01-02 15:04:05'), t:format_rfc3339(), t:format(time.KITCHEN),\n"
                   "        t:format('Mon Jan _2 2006'), t:year(), t:month(), t:day(), t:hour(), t:minute(),\n"
                   "        t:second(), t:weekday(), t:year_day(), t:unix(),\n"
                   "        time.unix(0, 0):utc():format(time.RFC3339),\n"
                   "        t:add('1h'):sub(t):seconds(), t:add(time.HOUR):after(t), t:before(t), t:equal(t),\n"
                   "        t:add_date(0, 1, 1):format(time.DATE_ONLY)}",
               "[\"2024-01-15 14:30:05\",\"2024-01-15T14:30:05Z\",\"2:30PM\",\"Mon Jan 15 2024\",2024,1,15,"
               "14,30,5,1,15,1705329005,\"1970-01-01T00:00:00Z\",3600.0,true,false,true,\"2024-02-16\"]");
    /* time.parse: Go's layouts, zones and messages. */
    expect_lua(fx, "local time = require('time')\n"
                   "local a = time.parse(time.RFC3339, '2024-03-10T07:30:00-05:00')\n"
                   "local b = time.parse('2006-01-02 15:04:05', '2024-01-15 14:30:00')\n"
                   "local c = time.parse('Jan _2 2006 3:04PM', 'Feb  5 2024 9:07PM')\n"
                   "local d = time.parse(time.RFC3339NANO, '2024-01-15T14:30:00.123456789Z')\n"
                   "local e = time.parse(time.DATE_TIME, '2024-01-15 14:30:00.5')\n"
                   "local f = time.parse(time.RFC1123, 'Mon, 02 Jan 2006 15:04:05 PST')\n"
                   "return {a:unix(), a:format(time.RFC3339), a:utc():format(time.RFC3339), a:location():string(),\n"
                   "        b:unix(), b:location():string(), c:format(time.DATE_TIME), d:nanosecond(),\n"
                   "        d:format(time.RFC3339NANO), e:nanosecond(), f:unix(), f:format(time.RFC1123),\n"
                   "        tostring(a)}",
               "[1710073800,\"2024-03-10T07:30:00-05:00\",\"2024-03-10T12:30:00Z\",\"\",1705329000,\"UTC\","
               "\"2024-02-05 21:07:00\",123456789,\"2024-01-15T14:30:00.123456789Z\",500000000,1136214245,"
               "\"Mon, 02 Jan 2006 15:04:05 PST\",\"2024-03-10 07:30:00 -0500 -0500\"]");
    expect_lua(fx, "local time = require('time')\n"
                   "local out = {}\n"
                   "for _, v in ipairs({'2024-13-01', '2024/01/02', '2024-02-30', '2024-01-02x', '24-01-02'}) do\n"
                   "  local t, err = time.parse(time.DATE_ONLY, v)\n"
                   "  out[#out + 1] = err:kind() .. ': ' .. err:message()\n"
                   "end\n"
                   "local t, err = time.parse('15:04', '24:00') out[#out + 1] = err:message()\n"
                   "return out",
               "[\"Invalid: parsing time \\\"2024-13-01\\\": month out of range\","
               "\"Invalid: parsing time \\\"2024/01/02\\\" as \\\"2006-01-02\\\": cannot parse \\\"/01/02\\\" as \\\"-\\\"\","
               "\"Invalid: parsing time \\\"2024-02-30\\\": day out of range\","
               "\"Invalid: parsing time \\\"2024-01-02x\\\": extra text: \\\"x\\\"\","
               "\"Invalid: parsing time \\\"24-01-02\\\" as \\\"2006-01-02\\\": cannot parse \\\"24-01-02\\\" as \\\"2006\\\"\","
               "\"parsing time \\\"24:00\\\": hour out of range\"]");
    /* locations: zoneinfo names (daylight saving from the file), fixed zones */
    expect_lua(fx, "local time = require('time')\n"
                   "local ny, err = time.load_location('America/New_York')\n"
                   "local summer = time.date(2024, 7, 4, 12, 0, 0, 0, ny)\n"
                   "local winter = time.date(2024, 1, 15, 12, 0, 0, 0, ny)\n"
                   "local gap = time.date(2024, 3, 10, 2, 30, 0, 0, ny)\n"
                   "local none, nerr = time.load_location('Mars/Base')\n"
                   "local ist = time.fixed_zone('IST', 19800)\n"
                   "local e = time.unix(0, 0):in_location(ist)\n"
                   "return {err == nil, ny:string(), tostring(ny), summer:unix(), summer:format(time.RFC3339 .. ' MST'),\n"
                   "        winter:unix(), winter:format('15:04 MST -07:00'), gap:format('15:04 MST'),\n"
                   "        summer:utc():format(time.KITCHEN), none == nil, nerr:kind(), nerr:message(),\n"
                   "        e:format(time.RFC3339), e:format('MST'), e:location():string(), e:hour(),\n"
                   "        time.load_location('UTC'):string(), time.load_location('Local'):string()}",
               "[true,\"America/New_York\",\"America/New_York\",1720108800,\"2024-07-04T12:00:00-04:00 EDT\","
               "1705338000,\"12:00 EST -05:00\",\"03:30 EDT\",\"4:00PM\",true,\"NotFound\","
               "\"unknown time zone Mars/Base\",\"1970-01-01T05:30:00+05:30\",\"IST\",\"IST\",5,\"UTC\",\"Local\"]");
    /* round and truncate: multiples since Go's zero time (a week starts on Monday) */
    expect_lua(fx, "local time = require('time')\n"
                   "local t = time.date(2024, 1, 18, 14, 37, 29, 600000000, time.utc)\n"
                   "local f = function(x) return x:format('2006-01-02 15:04:05.999') end\n"
                   "return {f(t:truncate(time.HOUR)), f(t:round(time.HOUR)), f(t:round(time.SECOND)),\n"
                   "        f(t:truncate('15m')), f(t:round(0)), f(t:truncate(24 * time.HOUR)),\n"
                   "        f(t:truncate(7 * 24 * time.HOUR)), f(t:round('500ms')), f(t:truncate(-1))}",
               "[\"2024-01-18 14:00:00\",\"2024-01-18 15:00:00\",\"2024-01-18 14:37:30\",\"2024-01-18 14:30:00\","
               "\"2024-01-18 14:37:29.6\",\"2024-01-18 00:00:00\",\"2024-01-15 00:00:00\",\"2024-01-18 14:37:29.5\","
               "\"2024-01-18 14:37:29.6\"]");
    /* sleep: integers are nanoseconds, strings Go's form. */
    uint64_t t0 = now_ms();
    expect_lua(fx, "local time = require('time')\n"
                   "local a = time.now() time.sleep(30 * time.MILLISECOND) time.sleep('30ms')\n"
                   "return time.now():sub(a):milliseconds() >= 60",
               "true");
    assert_true(now_ms() - t0 >= 60);
    expect_lua(fx, "local time = require('time') local ok, err = pcall(time.sleep, 'soon') return err",
               "\"time.sleep: expected a duration such as \\\"1s\\\", \\\"1h30m\\\" or \\\"500ms\\\", got soon\"");
    /* timers and tickers */
    expect_lua(fx, "local time = require('time')\n"
                   "local t = time.timer('20ms')\n"
                   "local v, ok = t:channel():receive()\n"
                   "local stopped = t:stop()\n"
                   "local t2 = time.timer('1h') local s2 = t2:stop()\n"
                   "local tk = time.ticker('10ms') local n = 0\n"
                   "for i = 1, 3 do local tick = tk:response():receive() if tick then n = n + 1 end end\n"
                   "tk:stop()\n"
                   "return {ok, type(v:unix_nano()), stopped, s2, n}",
               "[true,\"number\",false,true,3]");
    expect_lua(fx, "local time = require('time') local ok, err = pcall(time.after, 0) return err",
               "\"time.after: duration must be > 0\"");
}

static void test_futures(void **state)
{
    fixture *fx = *state;
    /* response(): the channel receives a payload; result() is the same one. */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f, err = funcs.async('t:sleep', 30)\n"
                   "local before = f:is_complete()\n"
                   "local ch = f:response()\n"
                   "local p, ok = ch:receive()\n"
                   "local again, ok2 = ch:receive()\n"
                   "local r, rerr = f:result()\n"
                   "local e, failed = f:error()\n"
                   "return {err == nil, before, ok, p:data(), p:get_format(), again == nil, ok2, r == p,\n"
                   "        rerr == nil, e == nil, failed, f:is_complete(), f:is_canceled(), ch == f:channel()}",
               "[true,false,true,30,\"lua\",true,false,true,true,true,false,true,false,true]");
    /* A failed call: the channel closes empty, error() has it, of the
     * callee's own kind (upstream's Conflict, not the Invalid it maps to). */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f = funcs.async('t:fail', 'taken')\n"
                   "local p, ok = f:response():receive()\n"
                   "local e, failed = f:error()\n"
                   "local r, rerr = f:result()\n"
                   "return {p == nil, ok, failed, e:kind(), e:message(), r == nil, rerr:kind()}",
               "[true,false,true,\"Conflict\",\"taken\",true,\"Conflict\"]");
    /* cancel(): is_canceled, result is a Canceled error. */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local f = funcs.async('t:sleep', 5000)\n"
                   "local r0, e0 = f:result()\n"
                   "local c = f:cancel()\n"
                   "local p, ok = f:response():receive()\n"
                   "local r, err = f:result()\n"
                   "return {r0 == nil, e0 == nil, c == nil, f:is_canceled(), ok, r == nil, err:kind(),\n"
                   "        errors.is(err, errors.CANCELED)}",
               "[true,true,true,true,false,true,\"Canceled\",true]");
    /* select on two futures: the faster one first. */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local slow, fast = funcs.async('t:sleep', 400), funcs.async('t:sleep', 20)\n"
                   "local r = channel.select{slow:channel():case_receive(), fast:channel():case_receive()}\n"
                   "return {r.channel == fast:channel(), r.value:data()}",
               "[true,20]");
    /* wait(): ours, the plain value. */
    expect_lua(fx, "local funcs = require('funcs') return {funcs.async('t:sleep', 1):wait()}", "[1]");

    /* wait() parks until the call ends, and a waiting caller's deadline ends
     * the wait at that deadline (inline: its thread parked; lazy: its task
     * parked), the inner call cancelled with it. */
    const char *waiter = "return { main = function(ms) local t0 = require('time').now()\n"
                         "  local v, err = require('funcs').async('t:sleep', ms):wait()\n"
                         "  return {v, math.floor((require('time').now():sub(t0)):milliseconds())} end }";
    wf_pool_config pools[] = {{0}, {.type = WF_RT_POOL_LAZY, .max_size = 2}};
    for (int p = 0; p < 2; p++) {
        char id[32];
        snprintf(id, sizeof id, "w:waiter%d", p);
        wf_lua_fn_config cfg = {.source = waiter, .method = "main", .modules = ALL_MODS,
                                .nmodules = WF_COUNT(ALL_MODS), .pool = pools[p], .max_execution_ms = 300};
        assert_null(wf_lua_add(fx->rt, id, &cfg));
        wf_val ms = wf_val_sint(WF_VAL_S64, 40);
        wf_val r = {0};
        assert_null(wf_runtime_call(fx->rt, id, &ms, 1, &r, NULL));
        assert_int_equal(r.of.agg.items[0].of.s, 40);
        assert_in_range(r.of.agg.items[1].of.s, 40, 250);
        wf_val_free(&r);
        ms = wf_val_sint(WF_VAL_S64, 5000);
        uint64_t t0 = now_ms();
        wf_error *e = wf_runtime_call(fx->rt, id, &ms, 1, &r, NULL);
        uint64_t took = now_ms() - t0;
        assert_non_null(e);
        assert_int_equal(e->kind, WF_ERR_TIMEOUT);
        assert_in_range(took, 290, 1500);
        wf_error_free(e);
    }
}

static void test_executors(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.new():with_options({timeout = 50}):call('t:sleep', 2000)\n"
                   "local r2, err2 = funcs.new():with_options({timeout = '5s'}):call('t:sleep', 1)\n"
                   "return {r == nil, err:kind(), err:retryable(), r2, err2 == nil}",
               "[true,\"Timeout\",true,1,true]");
    /* Retries repeat a retryable failure: two attempts of 40 ms each. */
    uint64_t t0 = now_ms();
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.new():with_options({timeout = 40, retries = 1}):call('t:sleep', 2000)\n"
                   "return err:kind()",
               "\"Timeout\"");
    assert_true(now_ms() - t0 >= 80);
    /* with_context: a new executor each time, the original unchanged; the
     * values reach the callee (ctx.get) and the calls it makes in turn. */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local base = funcs.new():with_context({tenant = '123'})\n"
                   "local e1 = base:with_context({user = 'john'})\n"
                   "local f = e1:async('t:ctx', 'user')\n"
                   "return {base ~= e1, e1:call('t:ctx', 'tenant'), f:wait(), base:call('t:ctx', 'user'),\n"
                   "        funcs.call('t:ctx', 'tenant'), base:call('t:ctx2')}",
               "[true,\"123\",\"john\",\"NotFound: no value found for key: user\","
               "\"NotFound: no value found for key: tenant\",[\"123\",\"two\"]]");
    expect_lua(fx, "local ctx = require('ctx')\n"
                   "local v, err = ctx.get('') local ok, err2 = ctx.set('', 1) local ok3 = ctx.set('k', {1, 2})\n"
                   "return {err:kind(), err:message(), ok, err2:message(), ok3, ctx.get('k')}",
               "[\"Invalid\",\"empty key provided\",false,\"empty key provided\",true,[1,2]]");
    expect_lua(fx, "local funcs = require('funcs') local ok, err = pcall(funcs.new().with_context, funcs.new(), {1})\n"
                   "return err",
               "\"with_context: context: keys must be strings\"");
    expect_lua(fx, "local funcs = require('funcs') local ok, err = pcall(funcs.new().with_options, funcs.new(), {speed = 1})\n"
                   "return err",
               "\"with_options: unknown option `speed` (known: timeout, retries, retry_delay)\"");
    /* A target that is not namespace:name is Invalid, nothing runs. */
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local r, err = funcs.call('add') local f, ferr = funcs.new():async(':x')\n"
                   "return {err:kind(), err:message(), f == nil, ferr:message()}",
               "[\"Invalid\",\"invalid registry ID: namespace is required, got `add` (expected namespace:name)\","
               "true,\"invalid registry ID: namespace is required, got `:x` (expected namespace:name)\"]");
}

static void test_env_logger(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local env = require('env')\n"
                   "local v, err = env.get('') local v2, err2 = env.get('NOPE') local all = env.get_all()\n"
                   "return {v == nil, err:kind(), err:message(), err2:kind(), err2:message(), next(all) == nil}",
               "[true,\"Invalid\",\"empty key provided\",\"NotFound\","
               "\"environment variable not found: NOPE\",true]");
    expect_lua(fx, "local logger = require('logger')\n"
                   "logger:info('started') logger:debug('req', {id = 'r-1', n = 2})\n"
                   "local l = logger:with({request_id = 'r-2'}):named('auth'):named('db')\n"
                   "l:warn('slow', {ms = 250}) l:error('failed', {error = 'boom'})\n"
                   "local ok, err = pcall(logger.named, logger, '')\n"
                   "local ok2, err2 = pcall(logger.info, logger, 42, 'x')\n"
                   "return {err, ok2}",
               "[\"logger:named: the name must not be empty\",false]");
}

/* The gate the 1,000 sleepers of test_thousand_sleeps wait at, a function
 * of its own kind (inline: it runs on the calling Lua task's thread).
 * gate(true) is a call's arrival; gate(false) is its look: the number of
 * arrivals once all N came (0 before), or -1 once the give-up time passed
 * (a sleep that held its worker would keep the others from arriving). It
 * notes every thread the calls ran on. */
enum { SLEEPERS = 1000, MAX_GATE_TIDS = 16 };

typedef struct sleep_gate {
    pthread_mutex_t mu;
    int arrivals;
    uint64_t give_up_ms;    /* now_ms() after which a look answers -1 */
    pthread_t tids[MAX_GATE_TIDS];
    int ntids;
} sleep_gate;

static wf_error *gate_prepare(void *fn, void **inst)
{
    *inst = fn;
    return NULL;
}

static void gate_release(void *fn, void *inst) { (void)fn; (void)inst; }

static wf_error *gate_call(void *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                           const wf_fn_ctx *ctx)
{
    (void)inst; (void)ctx;
    sleep_gate *g = fn;
    if (nargs != 1 || args[0].kind != WF_VAL_BOOL) return wf_error_new(WF_ERR_INVALID, "gate: takes one boolean");
    pthread_mutex_lock(&g->mu);
    pthread_t self = pthread_self();
    bool seen = false;
    for (int i = 0; i < g->ntids; i++) seen |= pthread_equal(g->tids[i], self);
    if (!seen && g->ntids < MAX_GATE_TIDS) g->tids[g->ntids++] = self;
    int64_t answer;
    if (args[0].of.b) answer = ++g->arrivals;
    else if (g->arrivals >= SLEEPERS) answer = g->arrivals;
    else answer = now_ms() > g->give_up_ms ? -1 : 0;
    pthread_mutex_unlock(&g->mu);
    *result = wf_val_sint(WF_VAL_S64, answer);
    return NULL;
}

static void gate_destroy(void *fn)
{
    sleep_gate *g = fn;
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static const wf_fn_kind gate_kind = {
    .name = "test gate", .prepare = gate_prepare, .call = gate_call, .release = gate_release,
    .destroy = gate_destroy,
};

/* The figure: time.sleep in 1,000 concurrent Lua calls on a pool of
 * 2 workers, as a sleeping call holds no worker. Each call arrives at the
 * gate, then sleeps until all 1,000 arrived, looking again after 20, 40,
 * ... ms, at most every 500 ms (few looks, however slow the start): that can
 * only happen when all 1,000 are asleep at once on the 2 workers (held
 * workers would keep 998 calls queued: every look then answers -1 at the
 * give-up time and the call returns it). Counts, not wall time, make the
 * figure: a loaded machine only makes it slower. */
static void test_thousand_sleeps(void **state)
{
    fixture *fx = *state;
    sleep_gate *gate = wf_xcalloc(1, sizeof *gate);
    pthread_mutex_init(&gate->mu, NULL);
    /* Only a failure waits that long: all 1,000 arrive in 0.4 s, or
     * 7-15 s under ASan at a load average of 8 on 2 cores (measured). */
    gate->give_up_ms = now_ms() + 300 * 1000;
    wf_fn_options inline_opts = {0};
    assert_null(wf_runtime_add(fx->rt, "t:gate", &gate_kind, gate, &inline_opts));
    const char *sleeper = "local time, funcs = require('time'), require('funcs')\n"
                          "return { main = function()\n"
                          "  funcs.call('t:gate', true)\n"
                          "  local seen, step = funcs.call('t:gate', false), 20\n"
                          "  while seen == 0 do\n"
                          "    time.sleep(step * time.MILLISECOND) seen = funcs.call('t:gate', false)\n"
                          "    if step < 500 then step = step * 2 end\n"
                          "  end\n"
                          "  return seen end }";
    wf_lua_fn_config cfg = {.source = sleeper, .method = "main", .modules = ALL_MODS,
                            .nmodules = WF_COUNT(ALL_MODS),
                            .pool = {.type = WF_RT_POOL_STATIC, .workers = 2, .size = 2, .buffer = 2000}};
    assert_null(wf_lua_add(fx->rt, "t:sleep-at-gate", &cfg));

    wf_call_future **fs = wf_xcalloc(SLEEPERS, sizeof *fs);
    uint64_t t0 = now_ms();
    for (int i = 0; i < SLEEPERS; i++)
        assert_null(wf_call_future_start(fx->rt, "t:sleep-at-gate", NULL, 0, NULL, &fs[i]));
    for (int i = 0; i < SLEEPERS; i++) {
        assert_true(wf_call_future_wait(fs[i], -1));
        wf_val r = {0};
        wf_error *e = wf_call_future_take(fs[i], &r);
        if (e) fail_msg("call %d: %s", i, e->message);
        assert_int_equal(r.kind, WF_VAL_S64);
        if (r.of.s != SLEEPERS) fail_msg("call %d saw %lld of %d calls asleep at once", i, (long long)r.of.s, SLEEPERS);
        wf_val_free(&r);
        wf_call_future_free(fs[i]);
    }
    free(fs);
    wf_rt_pool_gauges gauges;
    wf_rt_pool_gauges_of(fx->rt, "t:sleep-at-gate", &gauges);
    print_message("1000 Lua calls asleep at once on %u workers, %d threads: %llu ms\n", gauges.workers,
                  gate->ntids, (unsigned long long)(now_ms() - t0));
    assert_int_equal(gate->arrivals, SLEEPERS);
    /* Every call ran on the pool's 2 workers, none on a thread of its own. */
    assert_true(gauges.workers <= 2);
    assert_in_range(gate->ntids, 1, 2);
}

/* A component calls registry functions through wippy:runtime/funcs@0.1.0
 * (call-string, call-bytes): a Lua function, a core WASM function with JSON
 * arguments, errors as "KIND: message"; without `funcs` the import traps. */
static void test_funcs_host(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "local a = funcs.call('t:relay', 't:hello', 'Ann')\n"
                   "local b = funcs.call('t:relay', 't:add', '[2, 3]')\n"
                   "local c = funcs.call('t:relay', 't:nope', '')\n"
                   "local d = funcs.call('t:relay', 't:add', '[1]')\n"
                   "local e = funcs.call('t:relay-bytes', 't:hello', 'Bo')\n"
                   "local f = funcs.call('t:relay', 't:fail', 'no')\n"
                   "return {a, b, c, d, e, f}",
               "[{\"ok\":\"hello Ann\"},{\"ok\":\"5\"},{\"err\":\"NOT_FOUND: no function t:nope\"},"
               "{\"err\":\"INVALID: funcs: the target takes 2 arguments, the input has 1\"},"
               "{\"ok\":\"hello Bo\"},{\"err\":\"INVALID: no\"}]");
    expect_lua(fx, "local r, err = require('funcs').call('t:relay-off', 't:hello', 'x')\n"
                   "return {err:kind(), err:message()}",
               "[\"Internal\",\"t:relay-off: t:relay-off: import `wippy:runtime/funcs@0.1.0` function `call-string` "
               "is not enabled: add `funcs` to the entry's `imports`\"]");
}

/* The core-module form: the same imports lowered by the Canonical ABI. */
static void test_funcs_host_core(void **state)
{
    fixture *fx = *state;
    expect_lua(fx, "local funcs = require('funcs')\n"
                   "return {funcs.call('t:core-relay', 't:hello', 'Ann'), funcs.call('t:core-relay', 't:add', '[2, 3]'),\n"
                   "        funcs.call('t:core-relay', 't:nope', ''), funcs.call('t:core-relay-bytes', 't:hello', 'Bo')}",
               "[{\"ok\":\"hello Ann\"},{\"ok\":\"5\"},{\"err\":\"NOT_FOUND: no function t:nope\"},"
               "{\"ok\":\"hello Bo\"}]");
    expect_lua(fx, "local r, err = require('funcs').call('t:core-relay-off', 't:hello', 'x') return err:message()",
               "\"t:core-relay-off: import wippy:runtime/funcs@0.1.0::call-string is not enabled: add `funcs` "
               "to the entry's `imports`\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_spawn),
        cmocka_unit_test(test_select_timeout),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_futures),
        cmocka_unit_test(test_executors),
        cmocka_unit_test(test_env_logger),
        cmocka_unit_test(test_thousand_sleeps),
        cmocka_unit_test(test_funcs_host),
        cmocka_unit_test(test_funcs_host_core),
        cmocka_unit_test(test_error_kinds),
        cmocka_unit_test(test_error_values),
        cmocka_unit_test(test_runtime_errors),
        cmocka_unit_test(test_errors_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
