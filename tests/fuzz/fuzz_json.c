/*
 * fuzz_json.c - libFuzzer target for JSON arguments (`wasmfn call`): the
 * first byte picks a type (or none: untyped, as for a core module), the
 * rest is the JSON text. What parses must print, and what it prints must
 * parse back to a value that prints the same (typed values exactly; untyped
 * ones after one round, since e.g. 1.0 prints as 1 and reads back as an
 * integer).
 */
#include "fuzz.h"
#include <string.h>

#include "component/json.h"
#include "component/wit/wit.h"

/* One function per type to fuzz; its single parameter's type is used. */
static const char *TYPES =
    "record point { x: s32, y: f64 }\n"
    "variant shape { circle(f32), square(u16), empty }\n"
    "enum color { red, green, blue }\n"
    "flags perms { read, write, exec }\n"
    "t-bool: func(a: bool);\n"
    "t-s8: func(a: s8);\n"
    "t-u8: func(a: u8);\n"
    "t-s16: func(a: s16);\n"
    "t-u16: func(a: u16);\n"
    "t-s32: func(a: s32);\n"
    "t-u32: func(a: u32);\n"
    "t-s64: func(a: s64);\n"
    "t-u64: func(a: u64);\n"
    "t-f32: func(a: f32);\n"
    "t-f64: func(a: f64);\n"
    "t-char: func(a: char);\n"
    "t-string: func(a: string);\n"
    "t-bytes: func(a: list<u8>);\n"
    "t-list: func(a: list<list<string>>);\n"
    "t-fixed: func(a: list<s16, 3>);\n"
    "t-tuple: func(a: tuple<u8, string, f64>);\n"
    "t-option: func(a: option<option<s64>>);\n"
    "t-result: func(a: result<string, u32>);\n"
    "t-result-empty: func(a: result);\n"
    "t-record: func(a: point);\n"
    "t-variant: func(a: list<shape>);\n"
    "t-enum: func(a: color);\n"
    "t-flags: func(a: perms);\n"
    "t-map: func(a: map<string, u32>);\n"
    "t-map-int: func(a: map<u8, list<bool>>);\n";

static wf_wit *wit;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wf_error *e = wf_wit_parse(TYPES, strlen(TYPES), &wit);
    if (e) {
        fprintf(stderr, "fuzz_json: the types do not parse: %s\n", e->message);
        abort();
    }
    return 0;
}

/* parse (typed when t) -> print, or NULL when it does not parse. */
static char *round_once(const char *text, size_t len, const wf_wit_type *t)
{
    wf_val v;
    wf_error *e = t ? wf_json_to_val(text, len, t, "a", &v) : wf_json_to_val_untyped(text, len, "a", &v);
    if (e) {
        wf_error_free(e);
        return NULL;
    }
    char *s = wf_json_from_val(&v);
    wf_val_free(&v);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t pick = data[0] % (wit->nfuncs + 1);
    const wf_wit_type *t = pick < wit->nfuncs ? wit->funcs[pick].params[0].type : NULL;
    const char *text = (const char *)data + 1;
    char *p1 = round_once(text, size - 1, t);
    if (!p1) return 0;
    char *p2 = round_once(p1, strlen(p1), t);
    FUZZ_CHECK(p2, "printed JSON does not parse back (%s): %s", t ? wit->funcs[pick].name : "untyped",
               p1);
    if (!t) {
        /* untyped: one more round reaches the fixed point */
        char *p3 = round_once(p2, strlen(p2), NULL);
        FUZZ_CHECK(p3 && !strcmp(p2, p3), "untyped: %s -> %s -> %s", p1, p2, p3 ? p3 : "(error)");
        free(p3);
    } else {
        FUZZ_CHECK(!strcmp(p1, p2), "%s: %s reads back as %s", wit->funcs[pick].name, p1, p2);
    }
    free(p1);
    free(p2);
    return 0;
}
