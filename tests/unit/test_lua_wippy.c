/* test_lua_wippy.c - Lua code written for upstream Wippy (SPEC §8): the
 * `errors` global and error values (err.c), with the kinds, methods and
 * messages upstream documents, and how they cross the runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "lua/lua_int.h"
#include "lua/wflua.h"

static const char *TRAP_WAT =
    "(module (func (export \"boom\") unreachable)"
    " (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))";

static const char *const ALL_MODS[] = {"funcs", "json"};

typedef struct fixture {
    wf_runtime *rt;
    wf_module *mod;
} fixture;

static int setup(void **state)
{
    fixture *fx = wf_xcalloc(1, sizeof *fx);
    fx->rt = wf_runtime_new();
    assert_null(wf_module_from_wat(TRAP_WAT, strlen(TRAP_WAT), &fx->mod));
    wf_wasm_config boom = {.method = "boom"}, add = {.method = "add"};
    assert_null(wf_runtime_add_wasm(fx->rt, "t:boom", fx->mod, &boom));
    assert_null(wf_runtime_add_wasm(fx->rt, "t:add", fx->mod, &add));
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

static void add_lua(fixture *fx, const char *id, const char *source)
{
    wf_lua_fn_config cfg = {.source = source, .method = "main", .modules = ALL_MODS,
                            .nmodules = WF_COUNT(ALL_MODS)};
    wf_error *e = wf_lua_add(fx->rt, id, &cfg);
    if (e) fail_msg("%s: %s", id, e->message);
}

/* Call id; its result as JSON (Lua's json.encode), or "error: KIND: message". */
static char *call_json(fixture *fx, const char *id)
{
    wf_val r = {0};
    wf_error *e = wf_runtime_call(fx->rt, id, NULL, 0, &r, NULL);
    if (e) {
        char *s = wf_xasprintf("error: %s: %s", wf_error_kind_name(e->kind), e->message);
        wf_error_free(e);
        return s;
    }
    lua_State *L = luaL_newstate();
    wf_lua_open_json(L);
    lua_getfield(L, -1, "encode");
    wf_lua_push_val(L, &r, NULL);
    lua_call(L, 1, 2);
    char *s = wf_xstrdup(lua_isstring(L, -2) ? lua_tostring(L, -2) : "(unencodable)");
    lua_close(L);
    wf_val_free(&r);
    return s;
}

/* A Lua function whose main's body is `body`; its outcome must be want. */
static void expect_lua(fixture *fx, const char *body, const char *want)
{
    static int n;
    char id[32], src[8192];
    snprintf(id, sizeof id, "w:e%d", ++n);
    snprintf(src, sizeof src, "local function main()\n%s\nend\nreturn { main = main }", body);
    add_lua(fx, id, src);
    char *got = call_json(fx, id);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_kinds),
        cmocka_unit_test(test_error_values),
        cmocka_unit_test(test_runtime_errors),
        cmocka_unit_test(test_errors_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
