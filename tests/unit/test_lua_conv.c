/* test_lua_conv.c - Lua <-> wf_val (src/lua/conv.c), every SPEC §3 rule and
 * error: arguments are Lua expressions converted by a real WIT signature
 * (the component's parser), then pushed back to Lua and shown with json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "lua_call.h"

static const char *WIT =
    "record user { id: u32, name: string, tags: list<string>, active: bool, display-name: option<string> }\n"
    "variant shape { circle(f64), square(u32), none }\n"
    "enum color { red, dark-green }\n"
    "flags perms { read, write, exec-all }\n"
    "type bytes = list<u8>;\n"
    "ints: func(a: s8, b: s16, c: s32, d: s64, e: u8, f: u16, g: u32, h: u64);\n"
    "floats: func(a: f32, b: f64);\n"
    "text: func(s: string, c: char, b: bytes);\n"
    "lists: func(l: list<u32>, t: tuple<string, bool>, e: list<list<u8>>);\n"
    "users: func(u: list<user>) -> list<user>;\n"
    "cases: func(s: shape, c: color, p: perms, o: option<u32>, r: result<u32, string>, r2: result);\n"
    "nothing: func();\n"
    "flag: func(b: bool) -> bool;\n"
    "maps: func(m: map<string, u32>, n: map<u8, list<string>>, v: list<u16, 3>);\n";

static wf_wit *wit;

static int setup(void **state)
{
    (void)state;
    wf_error *e = wf_wit_parse(WIT, strlen(WIT), &wit);
    if (e) fail_msg("wit: %s", e->message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wf_wit_free(wit);
    return 0;
}

/* Convert the Lua expression list `args` for function fname. On success
 * returns the values pushed back to Lua as a JSON array (caller frees);
 * on error returns "error: message". vals_out, if set, receives the values. */
static char *convert(const char *fname, const char *args, wf_val **vals_out, size_t *n_out)
{
    const wf_wit_func *f = wf_wit_find_func(wit, fname);
    if (!f) fail_msg("no function %s", fname);
    wf_fn_sig sig = {.wit = f};
    lua_State *L = lua_json_state();
    char code[2048];
    snprintf(code, sizeof code, "return %s", args);
    if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, LUA_MULTRET, 0) != LUA_OK)
        fail_msg("lua: %s", lua_tostring(L, -1));
    int n = lua_gettop(L);
    wf_val *vals;
    wf_error *e = wf_lua_args(L, 1, n, &sig, NULL, 0, &vals);
    char *out;
    if (e) {
        assert_int_equal(e->kind, WF_ERR_INVALID);
        out = wf_xasprintf("error: %s", e->message);
        wf_error_free(e);
        assert_int_equal(lua_gettop(L), n);   /* the stack is left as it was */
    } else {
        lua_settop(L, 0);
        lua_getglobal(L, "json");
        lua_getfield(L, 1, "encode");
        lua_createtable(L, n, 0);
        for (int i = 0; i < n; i++) {
            wf_lua_push_val(L, &vals[i], f->params[i].type);
            if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_pushlightuserdata(L, NULL); }
            lua_rawseti(L, -2, i + 1);
        }
        lua_call(L, 1, 2);
        if (!lua_isstring(L, -2) && !vals_out) fail_msg("encode failed: %s", luaL_tolstring(L, -1, NULL));
        out = wf_xstrdup(lua_isstring(L, -2) ? lua_tostring(L, -2) : "");
        if (vals_out) {
            *vals_out = vals;
            *n_out = (size_t)n;
        } else {
            for (int i = 0; i < n; i++) wf_val_free(&vals[i]);
            free(vals);
        }
    }
    lua_close(L);
    return out;
}

static void expect(const char *fname, const char *args, const char *want)
{
    char *got = convert(fname, args, NULL, NULL);
    if (strcmp(got, want) != 0) fail_msg("%s(%s)\n  got:  %s\n  want: %s", fname, args, got, want);
    free(got);
}

static void test_integers(void **state)
{
    (void)state;
    expect("ints", "-128, -32768, -2147483648, math.mininteger, 255, 65535, 4294967295, 3",
           "[-128,-32768,-2147483648,-9223372036854775808,255,65535,4294967295,3]");
    /* Integral floats are accepted for integer types. */
    expect("ints", "1.0, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 2^63",
           "[1,2,-3,4,5,6,7,9.223372036854776e+18]");
    expect("ints", "128, 0, 0, 0, 0, 0, 0, 0", "error: parameter `a`: 128 is out of range for s8");
    expect("ints", "0, 32768, 0, 0, 0, 0, 0, 0", "error: parameter `b`: 32768 is out of range for s16");
    expect("ints", "0, 0, 2147483648, 0, 0, 0, 0, 0", "error: parameter `c`: 2147483648 is out of range for s32");
    expect("ints", "0, 0, 0, 2^63, 0, 0, 0, 0",
           "error: parameter `d`: 9.223372036854776e+18 is out of range for s64");
    expect("ints", "0, 0, 0, 0, 256, 0, 0, 0", "error: parameter `e`: 256 is out of range for u8");
    expect("ints", "0, 0, 0, 0, -1, 0, 0, 0", "error: parameter `e`: -1 is out of range for u8");
    expect("ints", "0, 0, 0, 0, 0, 65536, 0, 0", "error: parameter `f`: 65536 is out of range for u16");
    expect("ints", "0, 0, 0, 0, 0, 0, -1, 0", "error: parameter `g`: -1 is out of range for u32");
    expect("ints", "0, 0, 0, 0, 0, 0, 0, 2^64", "error: parameter `h`: 1.8446744073709552e+19 is out of range for u64");
    expect("ints", "1.5, 0, 0, 0, 0, 0, 0, 0", "error: parameter `a`: 1.5 is not an integer, expected s8");
    expect("ints", "0/0, 0, 0, 0, 0, 0, 0, 0", "error: parameter `a`: -nan is not an integer, expected s8");
    expect("ints", "'1', 0, 0, 0, 0, 0, 0, 0", "error: parameter `a`: expected s8, got a string");
    expect("ints", "0, 0, 0, 0, 0, 0, 0", "error: expected 8 arguments, got 7");
    expect("ints", "0, 0, 0, 0, 0, 0, 0, 0, 0", "error: expected 8 arguments, got 9");

    /* Kinds and the u64 top range. */
    wf_val *v;
    size_t n;
    char *s = convert("ints", "1, 2, 3, 4, 5, 6, 7, 2^63 + 2^62", &v, &n);
    assert_int_equal(v[0].kind, WF_VAL_S8);
    assert_int_equal(v[4].kind, WF_VAL_U8);
    assert_int_equal(v[7].kind, WF_VAL_U64);
    assert_true(v[7].of.u == 13835058055282163712ull);
    for (size_t i = 0; i < n; i++) wf_val_free(&v[i]);
    free(v);
    free(s);
}

static void test_u64_to_lua(void **state)
{
    (void)state;
    lua_State *L = lua_json_state();
    wf_val v = wf_val_uint(WF_VAL_U64, UINT64_MAX);
    wf_lua_push_val(L, &v, NULL);
    assert_false(lua_isinteger(L, -1));
    assert_true(lua_tonumber(L, -1) == 18446744073709551616.0);
    v = wf_val_uint(WF_VAL_U64, (uint64_t)INT64_MAX);
    wf_lua_push_val(L, &v, NULL);
    assert_true(lua_isinteger(L, -1));
    assert_true(lua_tointeger(L, -1) == INT64_MAX);
    lua_close(L);
}

static void test_floats(void **state)
{
    (void)state;
    expect("floats", "1, 0.5", "[1.0,0.5]");
    expect("floats", "1e39, 0", "error: parameter `a`: 1e+39 is out of range for f32");
    expect("floats", "0, 'x'", "error: parameter `b`: expected f64, got a string");
    expect("floats", "0, true", "error: parameter `b`: expected f64, got a boolean");
}

static void test_text(void **state)
{
    (void)state;
    expect("text", "'hi', 'x', 'ab'", "[\"hi\",\"x\",\"ab\"]");
    expect("text", "'', '\\u{e9}', {1, 2}", "[\"\",\"\u00e9\",\"\\u0001\\u0002\"]");
    expect("text", "'a', 'xy', ''", "error: parameter `c`: expected char (a string of one character), got a string of 2 bytes");
    expect("text", "'a', '', ''", "error: parameter `c`: expected char (a string of one character), got a string of 0 bytes");
    expect("text", "'\\255', 'x', ''", "error: parameter `s`: string is not valid UTF-8");
    expect("text", "1, 'x', ''", "error: parameter `s`: expected string, got an integer");
    expect("text", "'a', 'x', {256}", "error: parameter `b`[1]: 256 is out of range for u8");
    /* upstream's form: a char as its code point */
    expect("text", "'a', 0x1F600, ''", "[\"a\",\"\U0001F600\",\"\"]");
    expect("text", "'a', 0xD800, ''", "error: parameter `c`: 55296 is not a Unicode scalar value");
    expect("text", "'a', -1, ''", "error: parameter `c`: -1 is not a Unicode scalar value");
    /* list<u8> comes back as a string, even empty. */
    wf_val *v;
    size_t n;
    char *s = convert("text", "'a', 'x', '\\0\\255'", &v, &n);
    assert_int_equal(v[2].kind, WF_VAL_LIST);
    assert_int_equal(v[2].of.agg.len, 2);
    assert_int_equal(v[2].of.agg.items[1].of.u, 255);
    lua_State *L = lua_json_state();
    wf_lua_push_val(L, &v[2], wf_wit_find_func(wit, "text")->params[2].type);
    size_t len;
    const char *str = lua_tolstring(L, -1, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(str, "\0\xff", 2);
    wf_val empty = wf_val_agg(WF_VAL_LIST, 0);
    wf_lua_push_val(L, &empty, wf_wit_find_func(wit, "text")->params[2].type);
    assert_int_equal(lua_type(L, -1), LUA_TSTRING);
    wf_lua_push_val(L, &empty, NULL);   /* untyped: an empty list is a table */
    assert_int_equal(lua_type(L, -1), LUA_TTABLE);
    lua_close(L);
    for (size_t i = 0; i < n; i++) wf_val_free(&v[i]);
    free(v);
    free(s);
}

static void test_lists_tuples(void **state)
{
    (void)state;
    expect("lists", "{1, 2, 3}, {'a', true}, {'xy', {}}", "[[1,2,3],[\"a\",true],[\"xy\",\"\"]]");
    expect("lists", "{}, {'a', false}, {}", "[[],[\"a\",false],[]]");
    expect("lists", "{1, nil, 3}, {'a', true}, {}",
           "error: parameter `l`: expected a list (a table with keys 1..n)");
    expect("lists", "{x = 1}, {'a', true}, {}", "error: parameter `l`: expected a list (a table with keys 1..n)");
    expect("lists", "{1, -2}, {'a', true}, {}", "error: parameter `l`[2]: -2 is out of range for u32");
    expect("lists", "'abc', {'a', true}, {}", "error: parameter `l`: expected list<u32>, got a string");
    expect("lists", "{}, {'a'}, {}", "error: parameter `t`: expected a tuple of 2 values, got 1");
    expect("lists", "{}, {'a', 1}, {}", "error: parameter `t`[2]: expected bool, got an integer");
    expect("lists", "{}, {'a', true}, {'x', 5}", "error: parameter `e`[2]: expected list<u8>, got an integer");
}

/* map<K, V>: a Lua table {[key] = value}, entries sorted by key in the
 * wf_val (a list of (key, value) tuples); list<T, N>: exactly N values. */
static void test_maps_fixed_lists(void **state)
{
    (void)state;
    wf_val *vals;
    size_t n;
    char *got = convert("maps", "{b = 2, a = 1, c = 3}, {[9] = {'x'}, [3] = {}}, {1, 2, 3}", &vals, &n);
    assert_string_equal(got, "[{\"a\":1,\"b\":2,\"c\":3},{\"3\":[],\"9\":[\"x\"]},[1,2,3]]");
    free(got);
    const wf_val *m = &vals[0];
    assert_int_equal(m->kind, WF_VAL_LIST);
    assert_int_equal(m->of.agg.len, 3);
    for (size_t i = 0; i < 3; i++) {
        const wf_val *kv = &m->of.agg.items[i];
        assert_int_equal(kv->kind, WF_VAL_TUPLE);
        assert_int_equal(kv->of.agg.len, 2);
        assert_int_equal(kv->of.agg.items[0].of.str.data[0], "abc"[i]);
        assert_int_equal(kv->of.agg.items[1].of.u, i + 1);
    }
    assert_int_equal(vals[1].of.agg.items[0].of.agg.items[0].of.u, 3);
    for (size_t i = 0; i < n; i++) wf_val_free(&vals[i]);
    free(vals);
    expect("maps", "{}, {}, {0, 0, 65535}", "[[],[],[0,0,65535]]");
    expect("maps", "{a = -1}, {}, {1, 2, 3}", "error: parameter `m`[a]: -1 is out of range for u32");
    expect("maps", "{[1] = 1}, {}, {1, 2, 3}", "error: parameter `m`[key 1]: expected string, got an integer");
    expect("maps", "{}, {[300] = {}}, {1, 2, 3}", "error: parameter `n`[key 1]: 300 is out of range for u8");
    expect("maps", "{}, {}, {1, 2}", "error: parameter `v`: expected a list of exactly 3 values, got 2");
    expect("maps", "{}, {}, 'abc'", "error: parameter `v`: expected list<u16, 3>, got a string");
}

static void test_records(void **state)
{
    (void)state;
    expect("users",
           "{{id = 1, name = 'Alice', tags = {'admin', 'dev'}, active = true},"
           " {id = 2, name = 'Bob', tags = {}, active = false, display_name = 'B'},"
           " {id = 3, name = 'C', tags = {'x'}, active = true, ['display-name'] = 'Cee'}}",
           "[[{\"active\":true,\"id\":1,\"name\":\"Alice\",\"tags\":[\"admin\",\"dev\"]},"
           "{\"active\":false,\"display-name\":\"B\",\"id\":2,\"name\":\"Bob\",\"tags\":[]},"
           "{\"active\":true,\"display-name\":\"Cee\",\"id\":3,\"name\":\"C\",\"tags\":[\"x\"]}]]");
    expect("users", "{{id = 1, name = 'A', tags = {}}}", "error: parameter `u`[1].active: missing field");
    /* keys the record lacks are ignored (upstream's form) */
    expect("users", "{{id = 1, name = 'A', tags = {}, active = true, nmae = 'x', [5] = 0}}",
           "[[{\"active\":true,\"id\":1,\"name\":\"A\",\"tags\":[]}]]");
    expect("users", "{{id = 1, nmae = 'A', tags = {}, active = true}}", "error: parameter `u`[1].name: missing field");
    expect("users", "{{id = 1, name = 2, tags = {}, active = true}}",
           "error: parameter `u`[1].name: expected string, got an integer");
    expect("users", "{{id = -1, name = 'x', tags = {}, active = true}}",
           "error: parameter `u`[1].id: -1 is out of range for u32");
    expect("users", "{{id = 1, name = 'x', tags = {3}, active = true}}",
           "error: parameter `u`[1].tags[1]: expected string, got an integer");
    expect("users", "{{1, 2}}", "error: parameter `u`[1]: expected user, got a table");
    expect("users", "{'x'}", "error: parameter `u`[1]: expected user, got a string");
    /* Record field names come back kebab-case, as WIT spells them. */
    wf_val *v;
    size_t n;
    char *s = convert("users", "{{id = 1, name = 'A', tags = {}, active = true, display_name = 'D'}}", &v, &n);
    const wf_val *rec = &v[0].of.agg.items[0];
    assert_int_equal(rec->kind, WF_VAL_RECORD);
    assert_non_null(wf_val_field(rec, "display-name"));
    assert_int_equal(wf_val_field(rec, "id")->kind, WF_VAL_U32);
    for (size_t i = 0; i < n; i++) wf_val_free(&v[i]);
    free(v);
    free(s);
}

static void test_cases(void **state)
{
    (void)state;
    expect("cases", "{circle = 1.5}, 'red', {'read', 'exec-all'}, nil, {ok = 7}, {ok = true}",
           "[{\"circle\":1.5},\"red\",{\"exec-all\":true,\"read\":true},null,{\"ok\":7},{\"ok\":true}]");
    expect("cases", "{none = true}, 'dark_green', {write = true, read = false}, 5, {err = 'bad'}, {err = 1}",
           "[{\"none\":true},\"dark-green\",{\"write\":true},5,{\"err\":\"bad\"},{\"err\":true}]");
    expect("cases", "'none', 'dark-green', {exec_all = true}, json.null, {ok = 1}, {ok = 0}",
           "[{\"none\":true},\"dark-green\",{\"exec-all\":true},null,{\"ok\":1},{\"ok\":true}]");
    expect("cases", "{}, 'red', {}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `s`: expected a variant {case = payload}, got a table with no keys");
    expect("cases", "{circle = 1, square = 2}, 'red', {}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `s`: expected a variant {case = payload}, got a table with several keys");
    expect("cases", "{triangle = 1}, 'red', {}, nil, {ok = 1}, {ok = 1}", "error: parameter `s`: unknown case `triangle` of shape");
    expect("cases", "'circle', 'red', {}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `s`: case `circle` needs a payload: {circle = value}");
    expect("cases", "{square = -1}, 'red', {}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `s`.square: -1 is out of range for u32");
    expect("cases", "'none', 'blue', {}, nil, {ok = 1}, {ok = 1}", "error: parameter `c`: unknown case `blue` of color");
    expect("cases", "'none', true, {}, nil, {ok = 1}, {ok = 1}", "error: parameter `c`: expected color, got a boolean");
    /* upstream's forms: an enum by case index, flags as a bit mask or a list */
    expect("cases", "'none', 1, 5, nil, {ok = 1}, {ok = 1}",
           "[{\"none\":true},\"dark-green\",{\"exec-all\":true,\"read\":true},null,{\"ok\":1},{\"ok\":true}]");
    expect("cases", "'none', 0, 0, nil, {ok = 1}, {ok = 1}",
           "[{\"none\":true},\"red\",[],null,{\"ok\":1},{\"ok\":true}]");
    expect("cases", "'none', 2, {}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `c`: case index 2 out of range for color (2 cases)");
    expect("cases", "'none', 1.5, {}, nil, {ok = 1}, {ok = 1}", "error: parameter `c`: expected color, got a float");
    expect("cases", "'none', 0, 8, nil, {ok = 1}, {ok = 1}",
           "error: parameter `p`: bit mask 8 has bits beyond the 3 flags of perms");
    expect("cases", "'none', 'red', {'delete'}, nil, {ok = 1}, {ok = 1}", "error: parameter `p`: unknown flag `delete` of perms");
    expect("cases", "'none', 'red', {read = 1}, nil, {ok = 1}, {ok = 1}",
           "error: parameter `p`: a flags set takes booleans, got an integer for `read`");
    expect("cases", "'none', 'red', {}, 'x', {ok = 1}, {ok = 1}", "error: parameter `o`: expected u32, got a string");
    expect("cases", "'none', 'red', {}, nil, {value = 1}, {ok = 1}",
           "error: parameter `r`: expected a result {ok = v} or {err = e}, got key `value`");
    expect("cases", "'none', 'red', {}, nil, {err = 1}, {ok = 1}", "error: parameter `r`.err: expected string, got an integer");
    expect("cases", "'none', 'red', {}, nil, {ok = 1, err = 'x'}, {ok = 1}",
           "error: parameter `r`: expected a result {ok = v} or {err = e}, got a table with several keys");
}

static void test_bool_and_depth(void **state)
{
    (void)state;
    expect("flag", "true", "[true]");
    expect("flag", "1", "error: parameter `b`: expected bool, got an integer");
    expect("flag", "nil", "error: parameter `b`: expected bool, got nil");
    expect("nothing", "", "[]");
    expect("nothing", "1", "error: expected 0 arguments, got 1");
}

static void test_untyped(void **state)
{
    (void)state;
    lua_State *L = lua_json_state();
    assert_int_equal(luaL_dostring(L, "return {n = 1, f = 2.5, s = 'x', b = true, l = {1, {}}, z = json.null}"), LUA_OK);
    wf_val v;
    wf_error *e = wf_lua_to_val_untyped(L, -1, "result", &v);
    assert_null(e);
    assert_int_equal(v.kind, WF_VAL_RECORD);
    assert_int_equal(v.of.agg.len, 6);
    assert_string_equal(v.of.agg.names[0], "b");      /* sorted */
    assert_int_equal(wf_val_field(&v, "n")->kind, WF_VAL_S64);
    assert_int_equal(wf_val_field(&v, "f")->kind, WF_VAL_F64);
    assert_int_equal(wf_val_field(&v, "l")->kind, WF_VAL_LIST);
    assert_int_equal(wf_val_field(&v, "z")->kind, WF_VAL_OPTION);
    wf_val_free(&v);
    assert_int_equal(luaL_dostring(L, "return {f = print}"), LUA_OK);
    e = wf_lua_to_val_untyped(L, -1, "result", &v);
    assert_non_null(e);
    assert_string_equal(e->message, "result.f: cannot pass a function");
    wf_error_free(e);
    assert_int_equal(luaL_dostring(L, "return {[{}] = 1}"), LUA_OK);
    e = wf_lua_to_val_untyped(L, -1, "result", &v);
    assert_non_null(e);
    assert_string_equal(e->message, "result: a table key cannot be a table");
    wf_error_free(e);
    assert_int_equal(luaL_dostring(L, "return {co = coroutine.create(print)}"), LUA_OK);
    e = wf_lua_to_val_untyped(L, -1, "result", &v);
    assert_non_null(e);
    assert_string_equal(e->message, "result.co: cannot pass a thread");
    wf_error_free(e);
    assert_int_equal(luaL_dostring(L, "local t = {} t[1] = t return t"), LUA_OK);
    e = wf_lua_to_val_untyped(L, -1, "result", &v);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "nesting deeper than 128"));
    wf_error_free(e);

    /* wf_val -> Lua without a type: variants, enums, results, flags, chars. */
    wf_val p = wf_val_uint(WF_VAL_U32, 3);
    wf_val items = wf_val_agg(WF_VAL_TUPLE, 5);
    items.of.agg.items[0] = wf_val_case(WF_VAL_VARIANT, 1, "square", &p);
    items.of.agg.items[1] = wf_val_case(WF_VAL_VARIANT, 2, "none", NULL);
    items.of.agg.items[2] = wf_val_case(WF_VAL_ENUM, 0, "red", NULL);
    items.of.agg.items[3] = wf_val_err(NULL);
    items.of.agg.items[4] = wf_val_char(0x1F600);
    lua_settop(L, 0);
    lua_getglobal(L, "json");
    lua_getfield(L, 1, "encode");
    wf_lua_push_val(L, &items, NULL);
    lua_call(L, 1, 1);
    assert_string_equal(lua_tostring(L, -1), "[{\"square\":3},{\"none\":true},\"red\",{\"err\":true},\"\U0001F600\"]");
    wf_val_free(&items);
    lua_close(L);
}

static void test_core(void **state)
{
    (void)state;
    wf_valtype params[] = {WF_TYPE_I32, WF_TYPE_I64, WF_TYPE_F32, WF_TYPE_F64};
    const wf_functype *ft = wf_functype_get(params, 4, NULL, 0);
    wf_fn_sig sig = {.core = ft};
    lua_State *L = lua_json_state();
    wf_val *v;
    assert_int_equal(luaL_dostring(L, "return 4294967295, -1, 1.5, 2"), LUA_OK);
    assert_null(wf_lua_args(L, 1, 4, &sig, NULL, 0, &v));
    assert_int_equal(v[0].kind, WF_VAL_S32);
    assert_int_equal(v[0].of.s, -1);
    assert_int_equal(v[1].kind, WF_VAL_S64);
    assert_int_equal(v[2].kind, WF_VAL_F32);
    assert_int_equal(v[3].kind, WF_VAL_F64);
    assert_true(v[3].of.f64 == 2.0);
    free(v);
    /* the caller's small array when the arguments fit it, else a fresh one */
    wf_val small[4];
    assert_null(wf_lua_args(L, 1, 4, &sig, small, 4, &v));
    assert_ptr_equal(v, small);
    assert_int_equal(v[0].of.s, -1);
    assert_true(v[3].of.f64 == 2.0);
    assert_null(wf_lua_args(L, 1, 4, &sig, small, 3, &v));
    assert_ptr_not_equal(v, small);
    assert_int_equal(v[0].of.s, -1);
    free(v);
    lua_settop(L, 0);
    static const struct { const char *args, *msg; } bad[] = {
        {"return 4294967296, 0, 0, 0", "parameter 1: 4294967296 is out of range for i32"},
        {"return -2147483649, 0, 0, 0", "parameter 1: -2147483649 is out of range for i32"},
        {"return 0.5, 0, 0, 0", "parameter 1: 0.5 is not an integer, expected i32"},
        {"return 0, 'x', 0, 0", "parameter 2: expected a number (i64), got a string"},
        {"return 0, 0, 0, {}", "parameter 4: expected a number (f64), got a table"},
    };
    for (size_t i = 0; i < WF_COUNT(bad); i++) {
        assert_int_equal(luaL_dostring(L, bad[i].args), LUA_OK);
        wf_error *e = wf_lua_args(L, 1, 4, &sig, small, 4, &v);
        assert_non_null(e);
        assert_string_equal(e->message, bad[i].msg);
        wf_error_free(e);
        lua_settop(L, 0);
    }
    assert_int_equal(luaL_dostring(L, "return 1"), LUA_OK);
    wf_error *e = wf_lua_args(L, 1, 1, &sig, small, 4, &v);
    assert_string_equal(e->message, "expected 4 arguments, got 1");
    wf_error_free(e);
    lua_close(L);
}

static void test_results(void **state)
{
    (void)state;
    lua_State *L = lua_json_state();
    wf_fn_sig none = {.wit = wf_wit_find_func(wit, "nothing")};
    wf_val empty = wf_val_agg(WF_VAL_TUPLE, 0);
    wf_lua_push_result(L, &empty, &none);
    assert_true(lua_isnil(L, -1));
    wf_lua_push_result(L, &empty, NULL);
    assert_true(lua_isnil(L, -1));
    wf_fn_sig one = {.wit = wf_wit_find_func(wit, "flag")};
    wf_val b = wf_val_bool(true);
    wf_lua_push_result(L, &b, &one);
    assert_true(lua_toboolean(L, -1));
    /* Several results (untyped tuple) -> an array. */
    wf_val t = wf_val_agg(WF_VAL_TUPLE, 2);
    t.of.agg.items[0] = wf_val_sint(WF_VAL_S32, 6);
    t.of.agg.items[1] = wf_val_string("x", 1);
    wf_lua_push_result(L, &t, NULL);
    lua_rawgeti(L, -1, 1);
    assert_int_equal(lua_tointeger(L, -1), 6);
    lua_rawgeti(L, -2, 2);
    assert_string_equal(lua_tostring(L, -1), "x");
    wf_val_free(&t);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_u64_to_lua),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_lists_tuples),
        cmocka_unit_test(test_maps_fixed_lists),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_bool_and_depth),
        cmocka_unit_test(test_untyped),
        cmocka_unit_test(test_core),
        cmocka_unit_test(test_results),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
