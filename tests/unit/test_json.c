/* test_json.c - JSON <-> wf_val: typed input along WIT types with range
 * checks and path-naming errors, untyped input, output formatting, and the
 * nesting bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "component/json.h"

static const char wit_text[] =
    "record user { id: u32, name: string, tags: list<string>, active: bool, nick: option<string> }\n"
    "variant shape { circle(f32), none }\n"
    "enum color { red, dark-blue }\n"
    "flags perms { read, write }\n"
    "f: func(u: user, s: shape, c: color, p: perms, r: result<u8, string>, t: tuple<s8, char>,\n"
    "        b: list<u8>, x: u64, y: f64, z: s16, o: option<u32>, e: result,\n"
    "        m: map<string, u32>, n: map<u8, bool>, v: list<u8, 2>, w: s64, f: f32);\n";

static wf_wit *W;

static const wf_wit_type *ptype(const char *name)
{
    const wf_wit_func *f = wf_wit_find_func(W, "f");
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0) return f->params[i].type;
    fail_msg("no param %s", name);
    return NULL;
}

/* Parse text as param `name`, print it back and compare. */
static void roundtrip(const char *name, const char *in, const char *want)
{
    wf_val v;
    wf_error *e = wf_json_to_val(in, strlen(in), ptype(name), name, &v);
    if (e) fail_msg("%s: %s", in, e->message);
    char *s = wf_json_from_val(&v);
    if (strcmp(s, want) != 0) fail_msg("%s -> %s, want %s", in, s, want);
    free(s);
    wf_val_free(&v);
}

static void bad(const char *name, const char *in, const char *msg)
{
    wf_val v;
    wf_error *e = wf_json_to_val(in, strlen(in), ptype(name), name, &v);
    if (!e) fail_msg("%s: expected error %s", in, msg);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    if (strcmp(e->message, msg) != 0) fail_msg("%s: got `%s`, want `%s`", in, e->message, msg);
    wf_error_free(e);
}

static int setup(void **state)
{
    wf_error *e = wf_wit_parse(wit_text, strlen(wit_text), &W);
    if (e) fail_msg("%s", e->message);
    return 0;
}

static int teardown(void **state) { wf_wit_free(W); return 0; }

static void test_typed(void **state)
{
    roundtrip("u", " {\"id\": 1, \"name\": \"ann\\u00e9\\ud83d\\ude00\", \"tags\": [\"a\", \"b\"], \"active\": true} ",
              "{\"id\":1,\"name\":\"anné😀\",\"tags\":[\"a\",\"b\"],\"active\":true,\"nick\":null}");
    roundtrip("u", "{\"id\": 2, \"name\": \"\", \"tags\": [], \"active\": false, \"nick\": \"q\"}",
              "{\"id\":2,\"name\":\"\",\"tags\":[],\"active\":false,\"nick\":\"q\"}");
    roundtrip("s", "{\"circle\": 1.5}", "{\"circle\":1.5}");
    roundtrip("s", "{\"none\": true}", "{\"none\":true}");
    roundtrip("s", "\"none\"", "{\"none\":true}");
    roundtrip("s", "{\"none\": 5}", "{\"none\":true}");   /* a case without payload ignores the value */
    roundtrip("c", "\"dark_blue\"", "\"dark-blue\"");
    roundtrip("p", "{\"write\": true, \"read\": false}", "{\"write\":true}");
    roundtrip("p", "[\"read\", \"write\"]", "{\"read\":true,\"write\":true}");
    roundtrip("r", "{\"ok\": 255}", "{\"ok\":255}");
    roundtrip("r", "{\"err\": \"no\"}", "{\"err\":\"no\"}");
    roundtrip("e", "{\"ok\": null}", "{\"ok\":null}");
    roundtrip("t", "[-128, \"é\"]", "[-128,\"é\"]");
    roundtrip("b", "\"AB\"", "[65,66]");
    roundtrip("b", "[0, 255]", "[0,255]");
    roundtrip("x", "18446744073709551615", "18446744073709551615");
    roundtrip("x", "1e3", "1000");
    roundtrip("y", "0.1", "0.1");
    roundtrip("y", "1e300", "1e+300");
    roundtrip("y", "\"nan\"", "\"nan\"");
    roundtrip("y", "\"-inf\"", "\"-inf\"");
    roundtrip("y", "3", "3");
    roundtrip("o", "null", "null");
    roundtrip("o", "7", "7");
    roundtrip("z", "-32768", "-32768");
    /* maps: [key, value] pairs, or an object for string keys; list<T, N> */
    roundtrip("m", "{\"a\": 1, \"b\": 2}", "[[\"a\",1],[\"b\",2]]");
    roundtrip("m", "[[\"a\", 1], [\"a\", 2]]", "[[\"a\",1],[\"a\",2]]");
    roundtrip("m", "{}", "[]");
    roundtrip("n", "[[255, true]]", "[[255,true]]");
    roundtrip("v", "[1, 2]", "[1,2]");
    roundtrip("v", "\"AB\"", "[65,66]");
    /* upstream Wippy's forms: enum by case index, flags as a bit mask or a
     * list, char as a code point; keys the record lacks are ignored */
    roundtrip("c", "1", "\"dark-blue\"");
    roundtrip("c", "0", "\"red\"");
    roundtrip("p", "2", "{\"write\":true}");
    roundtrip("p", "3", "{\"read\":true,\"write\":true}");
    roundtrip("p", "0", "{}");
    roundtrip("p", "[\"write\"]", "{\"write\":true}");
    roundtrip("t", "[1, 128512]", "[1,\"😀\"]");
    roundtrip("u", "{\"id\": 3, \"name\": \"a\", \"tags\": [], \"active\": true, \"extra\": [1, {}]}",
              "{\"id\":3,\"name\":\"a\",\"tags\":[],\"active\":true,\"nick\":null}");
    /* numbers: exact integers, the sign of -0 kept */
    roundtrip("w", "9223372036854775807.0", "9223372036854775807");
    roundtrip("w", "-9223372036854775808", "-9223372036854775808");
    roundtrip("y", "-0", "-0");
    roundtrip("y", "-0.0", "-0");
    roundtrip("f", "-0", "-0");
    roundtrip("f", "3.4028234663852886e38", "3.4028235e+38");
}

static void test_typed_errors(void **state)
{
    bad("z", "32768", "parameter `z`: 32768 is out of range for s16");
    bad("z", "-32769", "parameter `z`: -32769 is out of range for s16");
    bad("x", "-1", "parameter `x`: -1 is out of range for u64");
    bad("x", "18446744073709551616", "parameter `x`: 18446744073709551616 is out of range (integers are 64-bit)");
    bad("x", "1.5", "parameter `x`: 1.5 is not an integer, expected u64");
    bad("x", "\"1\"", "parameter `x`: expected u64, got a string");
    bad("u", "{\"id\": 1, \"name\": 5, \"tags\": [], \"active\": true}",
        "parameter `u`.name: expected string, got a number");
    bad("u", "{\"id\": 1, \"name\": \"a\", \"tags\": [1], \"active\": true}",
        "parameter `u`.tags[0]: expected string, got a number");
    bad("u", "{\"id\": 1, \"name\": \"a\", \"tags\": []}", "parameter `u`.active: missing field");
    /* a key the record lacks is ignored (upstream's form): the typo leaves `name` missing */
    bad("u", "{\"id\": 1, \"nam\": \"a\"}", "parameter `u`.name: missing field");
    bad("s", "{\"square\": 1}", "parameter `s`: unknown case `square` of shape");
    bad("s", "\"circle\"", "parameter `s`: case `circle` needs a payload: {\"circle\": value}");
    bad("c", "\"green\"", "parameter `c`: unknown case `green` of color");
    bad("p", "{\"exec\": true}", "parameter `p`: unknown flag `exec` of perms");
    bad("r", "{\"maybe\": 1}", "parameter `r`: expected a result {\"ok\": v} or {\"err\": e}, got key `maybe`");
    bad("t", "[1]", "parameter `t`: expected a tuple of 2 values, got 1");
    bad("t", "[1, \"ab\"]", "parameter `t`[1]: expected char (a string of one character), got a string of 2 bytes");
    bad("b", "[256]", "parameter `b`[0]: 256 is out of range for u8");
    bad("n", "{\"1\": true}", "parameter `n`: expected a map (a list of [key, value] pairs), got an object");
    bad("n", "[[1]]", "parameter `n`[0]: expected a [key, value] pair, got an array");
    bad("m", "{\"a\": -1}", "parameter `m`[a]: -1 is out of range for u32");
    bad("v", "[1, 2, 3]", "parameter `v`: expected a list of exactly 2 values, got 3");
    bad("v", "\"ABC\"", "parameter `v`: expected 2 bytes, got a string of 3");
    bad("c", "2", "parameter `c`: case index 2 out of range for color (2 cases)");
    bad("c", "-1", "parameter `c`: case index -1 out of range for color (2 cases)");
    bad("p", "4", "parameter `p`: bit mask 4 has bits beyond the 2 flags of perms");
    bad("t", "[1, 55296]", "parameter `t`[1]: 55296 is not a Unicode scalar value");
    bad("t", "[1, 1114112]", "parameter `t`[1]: 1114112 is not a Unicode scalar value");
    /* out of range is an error naming the parameter, never silent */
    bad("w", "-9223372036854775809", "parameter `w`: -9223372036854775809 is out of range (integers are 64-bit)");
    bad("w", "9223372036854775808", "parameter `w`: 9223372036854775808 is out of range for s64");
    bad("w", "9223372036854775808.0", "parameter `w`: 9223372036854775808 is out of range for s64");
    bad("w", "1e19", "parameter `w`: 1e+19 is out of range for s64");
    bad("w", "true", "parameter `w`: expected s64, got a boolean");
    bad("f", "1e39", "parameter `f`: 1e+39 is out of range for f32");
    bad("y", "1e400", "parameter `y`: 1e400 is out of range for f64");
    bad("y", "-1e400", "parameter `y`: -1e400 is out of range for f64");
    bad("z", "1 2", "parameter `z`: invalid JSON at offset 2: unexpected text after the value");
    bad("z", "", "parameter `z`: invalid JSON at offset 0: unexpected end of input");
    bad("u", "{\"id\": 1, \"id\": 2}", "parameter `u`: invalid JSON at offset 14: duplicate key \"id\"");
    bad("y", "[1,]", "parameter `y`: invalid JSON at offset 3: unexpected character `]`");
    bad("y", "\"\\ud800\"", "parameter `y`: invalid JSON at offset 7: unpaired surrogate in \\u escape");
    bad("y", "\"\xff\"", "parameter `y`: invalid JSON at offset 1: invalid UTF-8 in string");
    bad("y", "nul", "parameter `y`: invalid JSON at offset 0: unexpected character `n`");
    /* deep nesting is an error, not a stack overflow */
    static char deep[100002];
    memset(deep, '[', 100000);
    deep[100000] = 0;
    wf_val v;
    wf_error *e = wf_json_to_val_untyped(deep, strlen(deep), "arg", &v);
    assert_non_null(e);
    assert_string_equal(e->message, "arg: invalid JSON at offset 201: nested more than 200 levels deep");
    wf_error_free(e);
}

static void test_untyped_and_output(void **state)
{
    const char *in = "[1, -2, 3.5, 18446744073709551615, \"s\", true, null, {\"a\": [ ]}]";
    wf_val v;
    wf_error *e = wf_json_to_val_untyped(in, strlen(in), "arg", &v);
    assert_null(e);
    assert_int_equal(v.of.agg.items[0].kind, WF_VAL_S64);
    assert_int_equal(v.of.agg.items[2].kind, WF_VAL_F64);
    assert_int_equal(v.of.agg.items[3].kind, WF_VAL_U64);
    char *s = wf_json_from_val(&v);
    assert_string_equal(s, "[1,-2,3.5,18446744073709551615,\"s\",true,null,{\"a\":[]}]");
    free(s);
    wf_val_free(&v);

    wf_val x = wf_val_f32(0.1f);
    s = wf_json_from_val(&x);
    assert_string_equal(s, "0.1");
    free(s);
    x = wf_val_string("q\"\\\n\x01", 5);
    s = wf_json_from_val(&x);
    assert_string_equal(s, "\"q\\\"\\\\\\n\\u0001\"");
    free(s);
    wf_val_free(&x);
    x = wf_val_char(0x1F600);
    s = wf_json_from_val(&x);
    assert_string_equal(s, "\"😀\"");
    free(s);
    x = wf_val_err(NULL);
    s = wf_json_from_val(&x);
    assert_string_equal(s, "{\"err\":null}");
    free(s);
    wf_val_free(&x);
    x = wf_val_agg(WF_VAL_TUPLE, 0);
    s = wf_json_from_val(&x);
    assert_string_equal(s, "[]");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed),
        cmocka_unit_test(test_typed_errors),
        cmocka_unit_test(test_untyped_and_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
