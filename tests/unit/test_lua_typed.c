/* test_lua_typed.c - upstream Wippy's typed Lua erased to plain Lua
 * (src/lua/typed.c): each annotation of upstream's grammar becomes spaces
 * in place (lines and columns kept), plain Lua is never changed, malformed
 * annotations are errors naming the line and what was expected; and
 * through wf_lua_add, typed functions and imported libraries run as their
 * untyped forms and keep Lua's line numbers in their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "lua/typed.h"
#include "lua/wflua.h"
#include "lua_call.h"

/* src erased, or "ERR: message". The caller frees it. */
static char *erased(const char *src)
{
    char *s = wf_xstrdup(src);
    wf_error *e = wf_lua_typed_erase(s, strlen(s), "t");
    if (!e) return s;
    free(s);
    s = wf_xasprintf("ERR: %s", e->message);
    wf_error_free(e);
    return s;
}

static void expect_erased(const char *src, const char *want)
{
    char *got = erased(src);
    if (strcmp(got, want) != 0) fail_msg("\n  src:  %s\n  got:  %s\n  want: %s", src, got, want);
    free(got);
}

/* Each typed line and what Lua gets: the same columns. */
static void test_annotations_erased(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"local amount: number = tonumber(x) or 1",
         "local amount         = tonumber(x) or 1"},
        {"local a: {number}, b: {[string]: Box<T>} = 1, 2",
         "local a          , b                     = 1, 2"},
        {"local function first<T>(arr: {T}): T? return arr[1] end",
         "local function first   (arr     )     return arr[1] end"},
        {"local f = function<T>(...: T): (T, string?) end",
         "local f = function   (...   )               end"},
        {"function M.obj:m(self: M, x: number?): () end",
         "function M.obj:m(self   , x         )     end"},
        {"local function g(a: number, b): number, string end",
         "local function g(a        , b)                 end"},
        {"type Point = {x: number, y: number}; local p = 1",
         "                                   ; local p = 1"},
        {"return v :: {string}, w as number, x!",
         "return v            , w          , x "},
        {"local t = { kind = kind :: string, n = (x as any).n, f(y)!.z }",
         "local t = { kind = kind          , n = (x       ).n, f(y) .z }"},
        {"local h: {type: string, name?: string @min(1) @max(2, \"x\")} = {}",
         "local h                                                     = {}"},
        {"local fn: ((a: number, ...string) -> (number, boolean)) | nil",
         "local fn                                                     "},
        {"local k: keyof(Point), o: typeof(x.y), z: T[K], arr: string[]",
         "local k              , o             , z      , arr          "},
        {"local function is_s(v: any): asserts v is string end",
         "local function is_s(v     )                      end"},
        {"local c: A extends B ? C : D = 1",
         "local c                      = 1"},
        {"local g: fun(x: number): string, n: interface {f: (self) -> ()}, r: readonly {[string]: number}",
         "local g                        , n                             , r                             "},
        {"local lit: \"exit\" | 1 | true | false | nil",
         "local lit                                 "},
        {"local x: Box<Box<T>>= 1",
         "local x             = 1"},
        {"local q: protocol.Source<T>, u: Channel<{a: T}> & {b: U}",
         "local q                    , u                          "},
        {"interface Reader: A, B function read(self, n: number): string?, number end local x = 1",
         "                                                                           local x = 1"},
        {"type Box<T: {}, U> = {value: T, map: {[string]: U}?}",
         "                                                    "},
        {"local x <const>: number = 5",
         "local x <const>         = 5"},
        {"local e: {[string]: (any, any) -> any} = {}",
         "local e                                = {}"},
        {"local u: (\n  number |\n  string\n) = 1",
         "local u   \n          \n        \n  = 1"},
        {"local s: [[long\ntype]] = [[x]]",
         "local s        \n       = [[x]]"},
        {"local c: number -- a comment: string\n= 1",
         "local c         -- a comment: string\n= 1"},
        {"if a then local b: T = c :: U elseif d! then repeat local e: V until f as W end",
         "if a then local b    = c      elseif d  then repeat local e    until f      end"},
        {"x = 1 ::top:: goto top",
         "x = 1 ::top:: goto top"},
        {"x = 1 ::top:: ::again:: goto top",
         "x = 1 ::top:: ::again:: goto top"},
        {"for _, r in ipairs(t) do\n  if r.e then goto continue end\n  out = r :: Result\n  ::continue::\nend",
         "for _, r in ipairs(t) do\n  if r.e then goto continue end\n  out = r          \n  ::continue::\nend"},
        {"local y = (f :: (number) -> ())(1)",
         "local y = (f                  )(1)"},
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) expect_erased(cases[i][0], cases[i][1]);
}

/* Plain Lua that looks near a type: never changed. */
static void test_plain_lua_unchanged(void **state)
{
    (void)state;
    static const char *const plain[] = {
        "obj:method(a.b:c(), 'a:b') a.b.c:d{1} s:sub(1, 2):upper()",
        "::top:: do goto top end ::done:: x = 1 ::again::",
        "local t = type(x) local type = 1 type = 2 t.type = type; x = {type = 3}",
        "type(x) type 'x' type {1} type.field = 1",
        "local interface = 1 interface = interface + 1",
        "local as = 1 local is = as x = y\nas = 2 t.as = as t:as() as.b = 1",
        "local t <const> = 5 local f <close> = nil local a, b <const> = 1, 2",
        "local s = \"a: b\" .. 'c :: d' .. [[ e: f ]] .. [==[ g ]] ]==] -- h: i\n--[[ j: k ]] x = 1",
        "local s = \"esc \\\" : \\\\\" .. 'x\\z\n   y' .. \"line\\\ncont\"",
        "x = a < b and c > d or e <= f or g >= h or i << 2 >> 1 or j // 2 or k ~= l",
        "x = 0x1p-4 + 1e+10 + .5 + 3. + 0xff - -1 x = #t ~ ~1",
        "for i = 1, 10, 2 do end for k, v in pairs(t) do end while x do break end",
        "repeat local x = 1 until x > 0 if a then elseif b then else end",
        "local function f(a, b, ...) return ... end f = function(...) return select('#', ...) end",
        "return",
        "local x = f\n(g)(1)",
    };
    for (size_t i = 0; i < WF_COUNT(plain); i++) expect_erased(plain[i], plain[i]);
}

/* Malformed annotations: what was expected, where, near what. */
static void test_annotation_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"local x: = 1", "ERR: t:1: type expected near '='"},
        {"local x: {number = 1", "ERR: t:1: '}' expected near '='"},
        {"local function f<T(x) end", "ERR: t:1: '>' expected near '('"},
        {"type P = ", "ERR: t:1: type expected near <eof>"},
        {"type P {x: number}", "ERR: t:1: '=' expected near '{'"},
        {"local m: {[string] number}", "ERR: t:1: ':' expected near 'number'"},
        {"local x: Box<number = 1", "ERR: t:1: '>' expected near '='"},
        {"interface R function f() local x = 1", "ERR: t:1: 'end' expected near 'local'"},
        {"local a = 1\nlocal b: number\r\nlocal c: (number -> x", "ERR: t:3: ')' expected near '-'"},
        {"local x: {a: number, 5}", "ERR: t:1: field name expected near '5'"},
        {"return x :: ", "ERR: t:1: type expected near <eof>"},
        {"local s: \"a very long literal type that goes on and on\" | ", "ERR: t:1: type expected near <eof>"},
        {"local u: A | )", "ERR: t:1: type expected near ')'"},
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) expect_erased(cases[i][0], cases[i][1]);
}

/* Plain Lua that does not parse is left as it is, annotations before it
 * erased, for Lua to report; nesting deeper than Lua allows as well. */
static void test_plain_errors_left_to_lua(void **state)
{
    (void)state;
    expect_erased("local x: number = = 1", "local x         = = 1");
    expect_erased("local y = x as = 1", "local y = x as = 1");
    expect_erased("local s = 'open", "local s = 'open");
    expect_erased("x = 1 end local y: T", "x = 1 end local y: T");
    char deep[2000] = "return ";
    for (int i = 0; i < 300; i++) strcat(deep, "(");
    expect_erased(deep, deep);
}

/* ---- through the runtime -------------------------------------------------- */

static wf_error *add(wf_runtime *rt, const char *id, const char *source, const wf_lua_import *imports,
                     size_t nimports)
{
    wf_lua_fn_config cfg = {.source = source, .method = "main", .imports = imports, .nimports = nimports};
    return wf_lua_add(rt, id, &cfg);
}

static void expect_call(wf_runtime *rt, const char *id, const char *want)
{
    char *got = lua_call_json(rt, id, NULL, 0);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", id, got, want);
    free(got);
}

static const char TYPED_LIB[] =
    "type Shape = {kind: \"circle\", r: number} | {kind: \"square\", side: number}\n"
    "local M = {}\n"
    "function M.area(s: Shape): number\n"
    "    if s.kind == \"circle\" then return 3 * s.r * s.r end\n"
    "    return (s :: {side: number}).side ^ 2\n"
    "end\n"
    "function M.first<T>(xs: {T}): T?\n"
    "    return xs[1]\n"
    "end\n"
    "return M\n";

static const char TYPED_FN[] =
    "local shapes = require(\"shapes\")\n"
    "type Acc<T> = {total: T, n: integer}\n"
    "local function sum(xs: {number}, ...: number): Acc<number>\n"
    "    local acc: Acc<number> = {total = 0, n = 0}\n"
    "    for _, x in ipairs(xs) do acc.total = acc.total + x; acc.n = acc.n + 1 end\n"
    "    for i = 1, select(\"#\", ...) do acc.total = acc.total + (select(i, ...) as number) end\n"
    "    return acc\n"
    "end\n"
    "local Obj = {}\n"
    "function Obj:name(prefix: string?): string return (prefix or \"\") .. self.n! end\n"
    "function main(): {[string]: any}\n"
    "    local acc = sum({1, 2}, 3)\n"
    "    local o = setmetatable({n = \"obj\"}, {__index = Obj})\n"
    "    return {sum = acc.total, n = acc.n, area = shapes.area({kind = \"square\", side = 3}),\n"
    "            first = shapes.first({\"a\"}), name = o:name(\"my \"), t = type(acc)}\n"
    "end\n";

static void test_typed_function_runs(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    wf_lua_import imp = {.alias = "shapes", .id = "app:shapes", .source = TYPED_LIB};
    wf_error *e = add(rt, "app:typed", TYPED_FN, &imp, 1);
    if (e) fail_msg("%s", e->message);
    expect_call(rt, "app:typed", "{\"area\":9.0,\"first\":\"a\",\"n\":2,\"name\":\"my obj\",\"sum\":6,\"t\":\"table\"}");

    /* Lua's own errors keep the author's line. */
    e = add(rt, "app:boom", "local a: number = 1\ntype T = {\n  x: number\n}\nfunction main(): nil\n"
                            "  local v: T? = nil\n  return v.x\nend\n", NULL, 0);
    if (e) fail_msg("%s", e->message);
    char *got = lua_call_json(rt, "app:boom", NULL, 0);
    assert_non_null(strstr(got, "app:boom:7: attempt to index a nil value (local 'v')"));
    free(got);
    wf_runtime_free(rt);
}

static void test_load_errors(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    wf_error *e = add(rt, "app:bad", "local ok: number = 1\nlocal x: {number = 2\nfunction main() end", NULL, 0);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_string_equal(e->message, "app:bad:2: '}' expected near '='");
    wf_error_free(e);

    wf_lua_import imp = {.alias = "lib", .id = "app:lib", .source = "local M = {}\ntype = 1\ntype X ="};
    e = add(rt, "app:uses", "function main() end", &imp, 1);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "import `lib`"));
    assert_non_null(strstr(e->message, "app:lib:3: type expected near <eof>"));
    wf_error_free(e);

    /* A plain syntax error after annotations: Lua's message, its line. */
    e = add(rt, "app:plain", "local a: number = 1\nlocal b: string = = 2\nfunction main() end", NULL, 0);
    assert_non_null(e);
    assert_string_equal(e->message, "app:plain:2: unexpected symbol near '='");
    wf_error_free(e);
    wf_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annotations_erased),
        cmocka_unit_test(test_plain_lua_unchanged),
        cmocka_unit_test(test_annotation_errors),
        cmocka_unit_test(test_plain_errors_left_to_lua),
        cmocka_unit_test(test_typed_function_runs),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
