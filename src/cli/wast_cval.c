/*
 * wast_cval.c - typed component values of component scripts: parsing the
 * script forms into wf_val (component/val.h), the exact comparison of an
 * expected value with a lifted result, and printing in the script's syntax
 * for failure lines.
 *
 * The forms are those of the wast crate (what the reference suite is written
 * for): `(bool.const true)`, `(u8.const 7)` .. `(s64.const -1)`,
 * `(f32.const 1.5)`, `(char.const "x")`, `(str.const "abc")`,
 * `(list.const V*)`, `(tuple.const V*)`, `(record.const (field "n" V)*)`
 * where a field's value is written without its own parentheses
 * (`(field "k" str.const "a")`), `(variant.const "case" V?)`,
 * `(enum.const "case")`, `(flags.const "f"*)`, `(option.none)`,
 * `(option.some V)`, `(result.ok V?)`, `(result.err V?)`.
 *
 * Parsing and printing recurse; nesting is capped (WAST_CVAL_DEPTH) so a
 * hostile script or result cannot exhaust the C stack.
 */
#include "cli/wast.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "component/val_conv.h"
#include "wasm/wat_lex.h"

#define WAST_CVAL_DEPTH 200

static wf_error *bad(const wast_node *n, const char *what)
{
    return wf_error_at_line(WF_ERR_MALFORMED, n->line, n->col, "%s: %.*s", what,
                            (int)WF_MIN(n->len, 80), n->start);
}

static bool atom_eq(const wast_node *n, const char *word, size_t wl)
{
    return n->kind == WAST_ATOM && n->len == wl && !memcmp(n->start, word, wl);
}

/* The integer kinds by their script names. */
static const struct {
    const char *name;
    wf_wit_kind kind;
} int_kinds[] = {
    { "s8", WF_WIT_S8 }, { "s16", WF_WIT_S16 }, { "s32", WF_WIT_S32 }, { "s64", WF_WIT_S64 },
    { "u8", WF_WIT_U8 }, { "u16", WF_WIT_U16 }, { "u32", WF_WIT_U32 }, { "u64", WF_WIT_U64 },
};

/* An integer literal of kind int_kinds[k]: optional sign, then what the
 * text format allows for a magnitude (decimal or 0x hex, underscores). Its
 * range is the one number rule's (val_conv.h); -0 is 0 for every kind. */
static wf_error *parse_int(const wast_node *a, size_t k, wf_val *out)
{
    if (!a || a->kind != WAST_ATOM) return bad(a, "expected an integer");
    const char *s = a->start;
    size_t len = a->len;
    bool neg = false;
    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++, len--;
    }
    uint64_t mag;
    if (!len || s[0] == '-' || s[0] == '+' || !wf_wat_num_u64(s, len, &mag))
        return bad(a, "malformed integer");
    if (neg && mag > (uint64_t)1 << 63) return bad(a, "integer out of range (beyond 64 bits)");
    *out = neg && mag ? wf_val_sint(WF_VAL_S64, -(int64_t)(mag - 1) - 1) : wf_val_uint(WF_VAL_U64, mag);
    wf_wit_type t = { .kind = int_kinds[k].kind };
    wf_error *e = wf_val_coerce(&t, out, NULL);
    if (!e) return NULL;
    wf_error *r = wf_error_at_line(WF_ERR_MALFORMED, a->line, a->col, "%s", e->message);
    wf_error_free(e);
    *out = wf_val_bool(false);   /* a number owns nothing */
    return r;
}

/* A float literal. In an expected result the NaN patterns nan:canonical and
 * nan:arithmetic read as the canonical NaN: lifting canonicalises every NaN
 * to exactly that bit pattern (CanonicalABI.md, canonicalize_nan32/64), so
 * it is the only NaN a result can hold. */
static wf_error *parse_float(const wast_node *a, bool f64, bool expect, wf_val *out)
{
    if (!a || a->kind != WAST_ATOM) return bad(a, "expected a float");
    bool pattern = atom_eq(a, "nan:canonical", 13) || atom_eq(a, "nan:arithmetic", 14);
    if (pattern && !expect) return bad(a, "a NaN pattern is only valid in a result");
    if (f64) {
        uint64_t b = 0x7ff8000000000000ull;
        if (!pattern && !wf_wast_parse_f64(a->start, a->len, &b)) return bad(a, "malformed float");
        out->kind = WF_VAL_F64;
        memcpy(&out->of.f64, &b, 8);
    } else {
        uint32_t b = 0x7fc00000u;
        if (!pattern && !wf_wast_parse_f32(a->start, a->len, &b)) return bad(a, "malformed float");
        out->kind = WF_VAL_F32;
        memcpy(&out->of.f32, &b, 4);
    }
    return NULL;
}

static wf_error *parse_list(const wast_node *n, bool expect, int depth, wf_val *out);

/* A value written as items[0] (its keyword) and its operands items[1..n);
 * at is the node to blame for a missing operand. */
static wf_error *parse_form(const wast_node *const *items, size_t n, const wast_node *at,
                            bool expect, int depth, wf_val *out)
{
    *out = wf_val_bool(false);
    if (depth > WAST_CVAL_DEPTH) return bad(at, "value nested too deeply");
    if (!n || items[0]->kind != WAST_ATOM) return bad(at, "expected a value keyword");
    const wast_node *kw = items[0];
    const wast_node *a1 = n > 1 ? items[1] : NULL;
    size_t kl = kw->len;
    const char *k = kw->start;
#define IS(word) atom_eq(kw, word, sizeof(word) - 1)
#define ARITY(lo, hi)                                                                       \
    do {                                                                                    \
        if (n < (size_t)(lo) + 1 || n > (size_t)(hi) + 1) return bad(at, "wrong number of operands");      \
    } while (0)

    if (IS("bool.const")) {
        ARITY(1, 1);
        if (wf_wast_is_atom(a1, "true")) *out = wf_val_bool(true);
        else if (!wf_wast_is_atom(a1, "false")) return bad(a1, "expected true or false");
        return NULL;
    }
    for (size_t i = 0; i < WF_COUNT(int_kinds); i++) {
        size_t nl = strlen(int_kinds[i].name);
        if (kl == nl + 6 && !memcmp(k, int_kinds[i].name, nl) && !memcmp(k + nl, ".const", 6)) {
            ARITY(1, 1);
            return parse_int(a1, i, out);
        }
    }
    if (IS("f32.const") || IS("f64.const")) {
        ARITY(1, 1);
        return parse_float(a1, k[1] == '6', expect, out);
    }
    if (IS("char.const")) {
        ARITY(1, 1);
        uint32_t cp;
        if (a1->kind != WAST_STRING || !a1->str_len ||
            wf_utf8_decode((const uint8_t *)a1->str, a1->str_len, &cp) != a1->str_len)
            return bad(a1, "expected a string of one character");
        *out = wf_val_char(cp);
        return NULL;
    }
    if (IS("str.const")) {
        ARITY(1, 1);
        if (a1->kind != WAST_STRING) return bad(a1, "expected a string");
        *out = wf_val_string(a1->str, a1->str_len);
        return NULL;
    }
    if (IS("list.const") || IS("tuple.const")) {
        wf_val v = wf_val_agg(IS("list.const") ? WF_VAL_LIST : WF_VAL_TUPLE, n - 1);
        for (size_t i = 1; i < n; i++) {
            wf_error *e = parse_list(items[i], expect, depth + 1, &v.of.agg.items[i - 1]);
            if (e) {
                wf_val_free(&v);
                return e;
            }
        }
        *out = v;
        return NULL;
    }
    if (IS("record.const")) {
        wf_val v = wf_val_agg(WF_VAL_RECORD, n - 1);
        for (size_t i = 1; i < n; i++) {
            const wast_node *f = items[i];
            wf_error *e = NULL;
            if (!wf_wast_head_is(f, "field") || f->nitems < 3 || f->items[1]->kind != WAST_STRING)
                e = bad(f, "expected (field \"name\" VALUE)");
            else if (memchr(f->items[1]->str, 0, f->items[1]->str_len))
                e = bad(f->items[1], "a field name cannot hold NUL");
            if (!e) {
                wf_val_set_name(&v, i - 1, f->items[1]->str);
                e = parse_form((const wast_node *const *)f->items + 2, f->nitems - 2, f, expect,
                               depth + 1, &v.of.agg.items[i - 1]);
            }
            if (e) {
                wf_val_free(&v);
                return e;
            }
        }
        *out = v;
        return NULL;
    }
    if (IS("flags.const")) {
        wf_val v = wf_val_agg(WF_VAL_FLAGS, n - 1);
        for (size_t i = 1; i < n; i++) {
            if (items[i]->kind != WAST_STRING || memchr(items[i]->str, 0, items[i]->str_len)) {
                wf_val_free(&v);
                return bad(items[i], "expected a flag name");
            }
            wf_val_set_name(&v, i - 1, items[i]->str);
        }
        *out = v;
        return NULL;
    }
    if (IS("enum.const")) {
        ARITY(1, 1);
        if (a1->kind != WAST_STRING || memchr(a1->str, 0, a1->str_len))
            return bad(a1, "expected a case name");
        *out = wf_val_case(WF_VAL_ENUM, 0, a1->str, NULL);
        return NULL;
    }
    /* The cases: the payload (if any) is a parenthesised value. */
    wf_val_kind ck;
    uint32_t index = 0;
    const char *name = NULL;
    size_t first = 1;
    if (IS("variant.const")) {
        ARITY(1, 2);
        if (a1->kind != WAST_STRING || memchr(a1->str, 0, a1->str_len))
            return bad(a1, "expected a case name");
        ck = WF_VAL_VARIANT, name = a1->str, first = 2;
    } else if (IS("option.none")) {
        ARITY(0, 0);
        ck = WF_VAL_OPTION, name = "none";
    } else if (IS("option.some")) {
        ARITY(1, 1);
        ck = WF_VAL_OPTION, index = 1, name = "some";
    } else if (IS("result.ok")) {
        ARITY(0, 1);
        ck = WF_VAL_RESULT, name = "ok";
    } else if (IS("result.err")) {
        ARITY(0, 1);
        ck = WF_VAL_RESULT, index = 1, name = "err";
    } else {
        return bad(kw, "unknown component value");
    }
#undef IS
#undef ARITY
    wf_val payload;
    bool has = first < n;
    if (has) {
        wf_error *e = parse_list(items[first], expect, depth + 1, &payload);
        if (e) return e;
    }
    *out = wf_val_case(ck, index, name, has ? &payload : NULL);
    return NULL;
}

static wf_error *parse_list(const wast_node *n, bool expect, int depth, wf_val *out)
{
    if (n->kind != WAST_LIST) {
        *out = wf_val_bool(false);
        return bad(n, "expected a parenthesised value");
    }
    return parse_form((const wast_node *const *)n->items, n->nitems, n, expect, depth, out);
}

wf_error *wf_wast_cval_parse(const wast_node *n, bool expect, wf_val *out)
{
    return parse_list(n, expect, 0, out);
}

/* ---- Comparison -------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static bool has_name(const wf_val *flags, const char *name)
{
    for (size_t i = 0; i < flags->of.agg.len; i++)
        if (str_eq(flags->of.agg.names[i], name)) return true;
    return false;
}

static bool equal(const wf_val *w, const wf_val *g, int depth)
{
    if (w->kind != g->kind || depth > WAST_CVAL_DEPTH) return false;
    switch ((wf_val_kind)w->kind) {
    case WF_VAL_BOOL: return w->of.b == g->of.b;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64: return w->of.s == g->of.s;
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64:
    case WF_VAL_CHAR: case WF_VAL_HANDLE:
        return w->of.u == g->of.u;
    case WF_VAL_F32: return !memcmp(&w->of.f32, &g->of.f32, 4);
    case WF_VAL_F64: return !memcmp(&w->of.f64, &g->of.f64, 8);
    case WF_VAL_STRING:
        return w->of.str.len == g->of.str.len && !memcmp(w->of.str.data, g->of.str.data, w->of.str.len);
    case WF_VAL_LIST: case WF_VAL_TUPLE: case WF_VAL_RECORD:
        if (w->of.agg.len != g->of.agg.len) return false;
        for (size_t i = 0; i < w->of.agg.len; i++) {
            if (w->kind == WF_VAL_RECORD && !str_eq(w->of.agg.names[i], g->of.agg.names[i]))
                return false;
            if (!equal(&w->of.agg.items[i], &g->of.agg.items[i], depth + 1)) return false;
        }
        return true;
    case WF_VAL_FLAGS:
        /* A set: the same names, whatever the order. */
        if (w->of.agg.len != g->of.agg.len) return false;
        for (size_t i = 0; i < w->of.agg.len; i++)
            if (!has_name(g, w->of.agg.names[i]) || !has_name(w, g->of.agg.names[i])) return false;
        return true;
    case WF_VAL_VARIANT: case WF_VAL_ENUM: case WF_VAL_OPTION: case WF_VAL_RESULT:
        /* Scripts name variant and enum cases (the index is the type's). */
        if (w->kind == WF_VAL_VARIANT || w->kind == WF_VAL_ENUM) {
            if (!str_eq(w->of.cas.name, g->of.cas.name)) return false;
        } else if (w->of.cas.index != g->of.cas.index) {
            return false;
        }
        if (!w->of.cas.payload || !g->of.cas.payload) return !w->of.cas.payload && !g->of.cas.payload;
        return equal(w->of.cas.payload, g->of.cas.payload, depth + 1);
    }
    return false;
}

bool wf_wast_cval_equal(const wf_val *want, const wf_val *got)
{
    return equal(want, got, 0);
}

/* ---- Printing ------------------------------------------------------------------ */

static void bprintf(wf_buf *b, const char *fmt, ...) WF_PRINTF(2, 3);
static void bprintf(wf_buf *b, const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    wf_buf_bytes(b, s, (size_t)n);
    free(s);
}

static void put_string(wf_buf *b, const char *s, size_t len)
{
    wf_buf_byte(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') bprintf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) bprintf(b, "\\%02x", c);
        else wf_buf_byte(b, c);
    }
    wf_buf_byte(b, '"');
}

static void put_val(wf_buf *b, const wf_val *v, int depth);

static void put_items(wf_buf *b, const wf_val *v, int depth)
{
    for (size_t i = 0; i < v->of.agg.len; i++) {
        wf_buf_byte(b, ' ');
        if (v->kind == WF_VAL_RECORD) {
            /* (field "n" KIND.const ...): the value without its parentheses */
            bprintf(b, "(field ");
            put_string(b, v->of.agg.names[i] ? v->of.agg.names[i] : "", v->of.agg.names[i] ? strlen(v->of.agg.names[i]) : 0);
            wf_buf_byte(b, ' ');
            wf_buf item = {0};
            put_val(&item, &v->of.agg.items[i], depth + 1);
            wf_buf_bytes(b, item.data + 1, item.len - 2);
            wf_buf_free(&item);
            wf_buf_byte(b, ')');
        } else {
            put_val(b, &v->of.agg.items[i], depth + 1);
        }
    }
}

static void put_val(wf_buf *b, const wf_val *v, int depth)
{
    if (depth > WAST_CVAL_DEPTH) {
        bprintf(b, "(...)");
        return;
    }
    char *s;
    switch ((wf_val_kind)v->kind) {
    case WF_VAL_BOOL: bprintf(b, "(bool.const %s)", v->of.b ? "true" : "false"); return;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64:
        bprintf(b, "(%s.const %lld)", wf_val_kind_name((wf_val_kind)v->kind), (long long)v->of.s);
        return;
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64:
        bprintf(b, "(%s.const %llu)", wf_val_kind_name((wf_val_kind)v->kind),
                      (unsigned long long)v->of.u);
        return;
    case WF_VAL_F32: {
        uint32_t bits;
        memcpy(&bits, &v->of.f32, 4);
        /* the canonical NaN, the only one a lift makes, reads as `nan` */
        s = bits == 0x7fc00000u ? wf_xstrdup("nan") : wf_wast_f32_str(bits);
        bprintf(b, "(f32.const %s)", s);
        free(s);
        return;
    }
    case WF_VAL_F64: {
        uint64_t bits;
        memcpy(&bits, &v->of.f64, 8);
        s = bits == 0x7ff8000000000000ull ? wf_xstrdup("nan") : wf_wast_f64_str(bits);
        bprintf(b, "(f64.const %s)", s);
        free(s);
        return;
    }
    case WF_VAL_CHAR: {
        uint32_t c = (uint32_t)v->of.u;
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            bprintf(b, "(char.const \"\\u{%x}\")", c);
        } else {
            uint8_t u[4];
            size_t n = wf_utf8_encode(c, u);
            bprintf(b, "(char.const \"");
            wf_buf_bytes(b, u, n);
            bprintf(b, "\")");
        }
        return;
    }
    case WF_VAL_STRING:
        bprintf(b, "(str.const ");
        put_string(b, v->of.str.data, v->of.str.len);
        wf_buf_byte(b, ')');
        return;
    case WF_VAL_LIST: case WF_VAL_TUPLE: case WF_VAL_RECORD:
        bprintf(b, "(%s.const", v->kind == WF_VAL_LIST ? "list" : v->kind == WF_VAL_TUPLE ? "tuple" : "record");
        put_items(b, v, depth);
        wf_buf_byte(b, ')');
        return;
    case WF_VAL_FLAGS:
        bprintf(b, "(flags.const");
        for (size_t i = 0; i < v->of.agg.len; i++) {
            const char *n = v->of.agg.names[i] ? v->of.agg.names[i] : "";
            wf_buf_byte(b, ' ');
            put_string(b, n, strlen(n));
        }
        wf_buf_byte(b, ')');
        return;
    case WF_VAL_VARIANT: case WF_VAL_ENUM: case WF_VAL_OPTION: case WF_VAL_RESULT: {
        const char *n = v->of.cas.name ? v->of.cas.name : "?";
        if (v->kind == WF_VAL_VARIANT || v->kind == WF_VAL_ENUM) {
            bprintf(b, "(%s.const ", v->kind == WF_VAL_ENUM ? "enum" : "variant");
            put_string(b, n, strlen(n));
        } else if (v->kind == WF_VAL_OPTION) {
            bprintf(b, "(option.%s", v->of.cas.index ? "some" : "none");
        } else {
            bprintf(b, "(result.%s", v->of.cas.index ? "err" : "ok");
        }
        if (v->of.cas.payload) {
            wf_buf_byte(b, ' ');
            put_val(b, v->of.cas.payload, depth + 1);
        }
        wf_buf_byte(b, ')');
        return;
    }
    case WF_VAL_HANDLE:
        bprintf(b, "(handle %llu)", (unsigned long long)v->of.u);
        return;
    }
    bprintf(b, "(?)");
}

char *wf_wast_cval_str(const wf_val *v)
{
    wf_buf b = {0};
    put_val(&b, v, 0);
    wf_buf_byte(&b, 0);
    return (char *)wf_buf_take(&b, &(size_t){ 0 });
}
