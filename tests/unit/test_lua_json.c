/* test_lua_json.c - the `json` Lua module (src/lua/json.c) and the error
 * value (src/lua/err.c): round trips, the array/object rules, and every
 * error as (nil, err) with kind INVALID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lua_call.h"

/* Run code (a chunk that returns one string) and return a copy of it. */
static char *run(const char *code)
{
    lua_State *L = lua_json_state();
    if (luaL_dostring(L, code) != LUA_OK) fail_msg("lua error: %s", lua_tostring(L, -1));
    const char *s = lua_tostring(L, -1);
    if (!s) fail_msg("chunk returned %s", luaL_typename(L, -1));
    char *copy = wf_xstrdup(s);
    lua_close(L);
    return copy;
}

static void expect(const char *code, const char *want)
{
    char *got = run(code);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", code, got, want);
    free(got);
}

static void test_encode_scalars(void **state)
{
    (void)state;
    expect("return json.encode(nil)", "null");
    expect("return json.encode(json.null)", "null");
    expect("return json.encode(true) .. json.encode(false)", "truefalse");
    expect("return json.encode(42)", "42");
    expect("return json.encode(-9223372036854775807 - 1)", "-9223372036854775808");
    expect("return json.encode(0.1)", "0.1");
    expect("return json.encode(1.0)", "1.0");
    expect("return json.encode(1e300)", "1e+300");
    expect("return json.encode('a\"b\\\\c\\n\\t\\1')", "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    expect("return json.encode('h\\u{e9}llo \\u{1F600}')", "\"h\u00e9llo \U0001F600\"");
}

static void test_encode_tables(void **state)
{
    (void)state;
    expect("return json.encode({})", "[]");
    expect("return json.encode({1, 'two', {3}})", "[1,\"two\",[3]]");
    expect("return json.encode({b = 1, a = {x = true}, c = {}})", "{\"a\":{\"x\":true},\"b\":1,\"c\":[]}");
    /* A hole makes it an object with integer keys as text. */
    expect("return json.encode({[1] = 'a', [3] = 'c'})", "{\"1\":\"a\",\"3\":\"c\"}");
    expect("return json.encode({1, 2, n = 3})", "{\"1\":1,\"2\":2,\"n\":3}");
    expect("return json.encode({1, json.null, 3})", "[1,null,3]");
}

static void test_encode_errors(void **state)
{
    (void)state;
    expect("local v, e = json.encode(0/0) return tostring(v) .. ' ' .. tostring(e)",
           "nil Invalid: json.encode: NaN has no JSON form");
    expect("local v, e = json.encode(1/0) return e:message()", "json.encode: infinity has no JSON form");
    expect("local v, e = json.encode({f = print}) return e:kind() .. ' ' .. e:message()",
           "Invalid json.encode.f: cannot pass a function");
    expect("local v, e = json.encode({[true] = 1}) return e:message()",
           "json.encode: object key must be a string, not a boolean");
    expect("local v, e = json.encode('\\255') return e:message()",
           "json.encode: string is not valid UTF-8 (byte 1)");
    expect("local t = {} t.self = t local v, e = json.encode(t) return e:message():match('nesting.*')",
           "nesting deeper than 128 (or a cyclic table)");
}

static void test_decode_values(void **state)
{
    (void)state;
    expect("return math.type(json.decode('12'))", "integer");
    expect("return math.type(json.decode('12.0'))", "float");
    expect("return math.type(json.decode('1e2'))", "float");
    expect("return tostring(json.decode('-9223372036854775808'))", "-9223372036854775808");
    expect("return math.type(json.decode('9223372036854775808'))", "float");
    /* the one parser's numbers: -0 keeps its sign, N.0 past 2^53 is exact */
    expect("return tostring(1 / json.decode('-0'))", "-inf");
    expect("return math.type(json.decode('9223372036854775807.0'))", "integer");
    expect("return json.decode('\"a\\\\u00e9\\\\ud83d\\\\ude00\\\\n\"')", "a\u00e9\U0001F600\n");
    expect("local t = json.decode(' {\"a\": [1, null, {\"b\": false}], \"n\": null} ') "
           "return tostring(#t.a) .. tostring(t.a[2] == json.null) .. tostring(t.a[3].b) .. tostring(t.n)",
           "3truefalsenil");
    expect("return tostring(json.decode('null') == json.null)", "true");
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *docs[] = {
        "[]", "{}", "[1,2.5,\"x\",true,false,null]",
        "{\"a\":{\"b\":[{\"c\":\"d\"}]},\"e\":-0.125}",
        "\"\\u0000\\\"\\\\/\"",
    };
    const char *want[] = {
        "[]", "[]", "[1,2.5,\"x\",true,false,null]",
        "{\"a\":{\"b\":[{\"c\":\"d\"}]},\"e\":-0.125}",
        "\"\\u0000\\\"\\\\/\"",
    };
    for (size_t i = 0; i < WF_COUNT(docs); i++) {
        char code[512];
        snprintf(code, sizeof code, "return json.encode(json.decode([==[%s]==]))", docs[i]);
        expect(code, want[i]);
    }
    expect("local t = {name = 'x', tags = {'a', 'b'}, n = 3, f = 1.5} "
           "local u = json.decode(json.encode(t)) "
           "return u.name .. u.tags[2] .. u.n .. u.f .. math.type(u.n)", "xb31.5integer");
}

static void test_decode_errors(void **state)
{
    (void)state;
    static const struct { const char *in, *msg; } cases[] = {
        {"", "json.decode: invalid JSON at offset 0: unexpected end of input"},
        {"[1,]", "json.decode: invalid JSON at offset 3: unexpected character `]`"},
        {"[1 2]", "json.decode: invalid JSON at offset 3: expected `,` or `]`"},
        {"{\"a\" 1}", "json.decode: invalid JSON at offset 5: expected `:`"},
        {"{a:1}", "json.decode: invalid JSON at offset 1: expected a string key"},
        {"{\"a\":1,}", "json.decode: invalid JSON at offset 7: expected a string key"},
        {"{\"a\":1,\"a\":2}", "json.decode: invalid JSON at offset 10: duplicate key \"a\""},
        {"\"abc", "json.decode: invalid JSON at offset 4: unterminated string"},
        {"\"a\\x\"", "json.decode: invalid JSON at offset 2: invalid escape `\\x`"},
        {"\"\\ud800\"", "json.decode: invalid JSON at offset 7: unpaired surrogate in \\u escape"},
        {"\"\\udc00\"", "json.decode: invalid JSON at offset 7: unpaired surrogate in \\u escape"},
        {"\"\\u12g4\"", "json.decode: invalid JSON at offset 3: invalid \\u escape"},
        {"01", "json.decode: invalid JSON at offset 1: unexpected text after the value"},
        {"1.", "json.decode: invalid JSON at offset 2: invalid number"},
        {"-", "json.decode: invalid JSON at offset 1: invalid number"},
        {"tru", "json.decode: invalid JSON at offset 0: unexpected character `t`"},
        {"[1] x", "json.decode: invalid JSON at offset 4: unexpected text after the value"},
        {"\"\t\"", "json.decode: invalid JSON at offset 1: control character in string"},
        {"\"\xff\"", "json.decode: invalid JSON at offset 1: invalid UTF-8 in string"},
        {"NaN", "json.decode: invalid JSON at offset 0: unexpected character `N`"},
        {"1e400", "json.decode: 1e400 is out of range for f64"},
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) {
        lua_State *L = lua_json_state();
        lua_getglobal(L, "json");
        lua_getfield(L, -1, "decode");
        lua_pushstring(L, cases[i].in);
        lua_call(L, 1, 2);
        assert_true(lua_isnil(L, -2));
        wf_error_kind kind;
        const char *msg;
        assert_true(wf_lua_to_error(L, -1, &kind, &msg));
        assert_int_equal(kind, WF_ERR_INVALID);
        if (strcmp(msg, cases[i].msg) != 0) fail_msg("input %s: got '%s', want '%s'", cases[i].in, msg, cases[i].msg);
        lua_close(L);
    }
}

static void test_decode_depth(void **state)
{
    (void)state;
    expect("local v, e = json.decode(string.rep('[', 202) .. string.rep(']', 202)) return e:message()",
           "json.decode: invalid JSON at offset 201: nested more than 200 levels deep");
    expect("local v = json.decode(string.rep('[', 201) .. string.rep(']', 201)) return type(v)", "table");
    expect("local v, e = json.decode(string.rep('[', 100000)) return e:message()",
           "json.decode: invalid JSON at offset 201: nested more than 200 levels deep");
}

static void test_error_value(void **state)
{
    (void)state;
    lua_State *L = lua_json_state();
    wf_lua_push_error(L, WF_ERR_TIMEOUT, "too slow");
    lua_setglobal(L, "e");
    assert_int_equal(luaL_dostring(L, "return e:kind() .. '|' .. e:message() .. '|' .. tostring(e) "
                                      ".. '|' .. getmetatable(e)"), LUA_OK);
    assert_string_equal(lua_tostring(L, -1), "Timeout|too slow|Timeout: too slow|error");
    wf_error_kind k;
    assert_true(wf_lua_kind_from_name("NOT_FOUND", &k));
    assert_int_equal(k, WF_ERR_NOT_FOUND);
    assert_false(wf_lua_kind_from_name("nope", &k));
    /* Methods check their receiver. */
    assert_int_not_equal(luaL_dostring(L, "return e.kind({})"), LUA_OK);
    lua_close(L);
}

/* json.validate / validate_string: JSON Schema keywords, every failure
 * listed in details, the first in the message; schema errors. */
static void test_validate(void **state)
{
    (void)state;
    const char *schema =
        "local schema = {type = 'object', required = {'name'}, additionalProperties = false,\n"
        "  properties = {name = {type = 'string', minLength = 2}, age = {type = 'integer', minimum = 0},\n"
        "    tags = {type = 'array', items = {type = 'string', pattern = '^\\\\w+$'}, uniqueItems = true},\n"
        "    role = {enum = {'admin', 'user'}}, email = {['$ref'] = '#/$defs/email'}},\n"
        "  ['$defs'] = {email = {type = 'string', pattern = '^[^@]+@[^@]+$'}}}\n";
    char code[4096];
    snprintf(code, sizeof code, "%s"
             "local ok, err = json.validate(schema, {name = 'Ann', age = 30, tags = {'a', 'b'}, role = 'user',\n"
             "  email = 'ann@example.com'})\n"
             "local ok2 = json.validate(schema, {name = 'Bo', tags = {}})\n"
             "return json.encode({ok, err == nil, ok2})", schema);
    expect(code, "[true,true,true]");
    snprintf(code, sizeof code, "%s"
             "local ok, err = json.validate(schema, {name = 'A', age = -1.5, tags = {'a', 'a', 'b c'},\n"
             "  role = 'root', email = 'nope', extra = 1})\n"
             "local lines = {}\n"
             "for i, e in ipairs(err:details().errors) do lines[i] = e.path .. ' ' .. e.message end\n"
             "return json.encode({ok, err:kind(), err:message(), lines})", schema);
    expect(code, "[false,\"Invalid\",\"json.validate: /age: expected integer, got number (and 6 more)\","
                 "[\"/age expected integer, got number\",\"/email \\\"nope\\\" does not match the pattern `^[^@]+@[^@]+$`\","
                 "\"/ property `extra` is not allowed (additionalProperties)\","
                 "\"/name a string of 1 characters is shorter than the minimum length 2\","
                 "\"/role the value is not one of the `enum` values\","
                 "\"/tags/2 \\\"b c\\\" does not match the pattern `^\\\\w+$`\","
                 "\"/tags items 0 and 1 are equal (uniqueItems)\"]]");
    snprintf(code, sizeof code, "%s"
             "local ok, err = json.validate(schema, {age = 3})\n"
             "return err:message()", schema);
    expect(code, "json.validate: /: missing required property `name`");
    /* JSON text both ways; combinators; nil is null */
    expect("local s = '{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"number\", \"maximum\": 2}]}'\n"
           "local a = json.validate_string(s, '7')\n"
           "local b, e = json.validate_string(s, '1')\n"
           "local c, e2 = json.validate_string(s, '[1')\n"
           "local d = json.validate({type = {'string', 'null'}}, nil)\n"
           "local f, e3 = json.validate({type = 'object'}, nil)\n"
           "return json.encode({a, b, e:message(), c, e2:message(), d, f, e3:message()})",
           "[true,false,\"json.validate_string: /: the value matches 2 of `oneOf` (exactly one wanted)\",false,"
           "\"json.validate_string: text: invalid JSON at offset 2: expected `,` or `]`\",true,false,"
           "\"json.validate: /: expected object, got null\"]");
    /* a schema that is not one */
    expect("local a, e1 = json.validate(nil, {})\n"
           "local b, e2 = json.validate({minimum = 'x'}, 1)\n"
           "local c, e3 = json.validate({['$ref'] = '#/nope'}, 1)\n"
           "local d, e4 = json.validate('{bad', 1)\n"
           "return json.encode({e1:message(), e2:message(), e3:message(), e4:kind()})",
           "[\"json.validate: no schema given\",\"json.validate: invalid schema: `minimum` must be a number\","
           "\"json.validate: invalid schema: $ref `#/nope` points at nothing\",\"Invalid\"]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_scalars),
        cmocka_unit_test(test_encode_tables),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_decode_values),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_depth),
        cmocka_unit_test(test_error_value),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
