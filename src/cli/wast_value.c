/*
 * wast_value.c - constants in spec scripts (number literals through the
 * text-format lexer's helpers): argument values, expected results (nan:canonical/arithmetic,
 * reference patterns, `either`), matching results against them, and
 * printing both for failure lines.
 */
#include "cli/wast.h"

#include <stdio.h>

#include "base/buf.h"
#include "wasm/gc.h"
#include "wasm/types.h"
#include "wasm/wat_lex.h"

/* ---- Number literals ------------------------------------------------------ */

bool wf_wast_parse_int(const char *s, size_t len, unsigned bits, uint64_t *out)
{
    if (bits == 64) return wf_wat_num_i64(s, len, out);
    uint32_t v;
    if (!wf_wat_num_i32(s, len, &v)) return false;
    *out = v;
    return true;
}

bool wf_wast_parse_f32(const char *s, size_t len, uint32_t *bits)
{
    return wf_wat_num_f32(s, len, bits);
}

bool wf_wast_parse_f64(const char *s, size_t len, uint64_t *bits)
{
    return wf_wat_num_f64(s, len, bits);
}

/* ---- Values and expectations ----------------------------------------------- */

static wf_error *bad_at(const wast_node *n, const char *what)
{
    return wf_error_at_line(WF_ERR_MALFORMED, n->line, n->col, "%s: %.*s", what,
                            (int)WF_MIN(n->len, 80), n->start);
}

static bool head_eq(const char *h, size_t hl, const char *word)
{
    return strlen(word) == hl && !memcmp(h, word, hl);
}

/* Heap types by name; returns false for unknown names. */
static bool heap_by_name(const wast_node *a, wf_heaptype *out)
{
    static const struct {
        const char *name;
        wf_heaptype heap;
    } names[] = {
        { "func", WF_HEAP_FUNC },     { "extern", WF_HEAP_EXTERN },
        { "nofunc", WF_HEAP_NOFUNC }, { "noextern", WF_HEAP_NOEXTERN },
        { "any", WF_HEAP_ANY },       { "eq", WF_HEAP_EQ },
        { "i31", WF_HEAP_I31 },       { "struct", WF_HEAP_STRUCT },
        { "array", WF_HEAP_ARRAY },   { "none", WF_HEAP_NONE },
        { "exn", WF_HEAP_EXN },       { "noexn", WF_HEAP_NOEXN },
        { "funcref", WF_HEAP_FUNC },  { "externref", WF_HEAP_EXTERN },
    };
    for (size_t i = 0; i < WF_COUNT(names); i++)
        if (wf_wast_is_atom(a, names[i].name)) {
            *out = names[i].heap;
            return true;
        }
    return false;
}

/* The top of a heap type's hierarchy: func, extern, any or exn. */
static wf_heaptype heap_top(wf_heaptype h)
{
    switch (h) {
    case WF_HEAP_FUNC: case WF_HEAP_NOFUNC: case WF_HEAP_TYPE: return WF_HEAP_FUNC;
    case WF_HEAP_EXTERN: case WF_HEAP_NOEXTERN: return WF_HEAP_EXTERN;
    case WF_HEAP_EXN: case WF_HEAP_NOEXN: return WF_HEAP_EXN;
    default: return WF_HEAP_ANY;
    }
}

static bool is_heap_in_scope(wf_heaptype h)
{
    return heap_top(h) != WF_HEAP_EXN;
}

/* The non-null reference patterns of the any hierarchy. */
static bool kind_by_head(const char *h, size_t hl, wf_heaptype *out)
{
    static const struct { const char *name; wf_heaptype heap; } kinds[] = {
        { "ref.any", WF_HEAP_ANY }, { "ref.eq", WF_HEAP_EQ }, { "ref.i31", WF_HEAP_I31 },
        { "ref.struct", WF_HEAP_STRUCT }, { "ref.array", WF_HEAP_ARRAY },
    };
    for (size_t i = 0; i < WF_COUNT(kinds); i++)
        if (head_eq(h, hl, kinds[i].name)) {
            *out = kinds[i].heap;
            return true;
        }
    return false;
}

/* Number constants and the reference forms common to arguments and results.
 * *special gets 1 for nan:canonical, 2 for nan:arithmetic when allow_nan_pat. */
static wf_error *parse_number_const(const wast_node *n, const char *h, size_t hl,
                                    bool allow_nan_pat, int *special, wf_value *out)
{
    memset(out, 0, sizeof *out);
    if (n->nitems != 2 || n->items[1]->kind != WAST_ATOM) return bad_at(n, "bad constant");
    const wast_node *a = n->items[1];
    *special = 0;
    if (head_eq(h, hl, "i32.const")) {
        uint64_t v;
        if (!wf_wast_parse_int(a->start, a->len, 32, &v)) return bad_at(a, "bad i32 literal");
        out->type = WF_TYPE_I32;
        out->of.i32 = (int32_t)(uint32_t)v;
        return NULL;
    }
    if (head_eq(h, hl, "i64.const")) {
        uint64_t v;
        if (!wf_wast_parse_int(a->start, a->len, 64, &v)) return bad_at(a, "bad i64 literal");
        out->type = WF_TYPE_I64;
        out->of.i64 = (int64_t)v;
        return NULL;
    }
    bool f32 = head_eq(h, hl, "f32.const");
    out->type = f32 ? WF_TYPE_F32 : WF_TYPE_F64;
    if (allow_nan_pat && (wf_wast_is_atom(a, "nan:canonical") || wf_wast_is_atom(a, "nan:arithmetic"))) {
        *special = wf_wast_is_atom(a, "nan:canonical") ? 1 : 2;
        return NULL;
    }
    bool ok = f32 ? wf_wast_parse_f32(a->start, a->len, &out->of.f32_bits)
                  : wf_wast_parse_f64(a->start, a->len, &out->of.f64_bits);
    return ok ? NULL : bad_at(a, f32 ? "bad f32 literal" : "bad f64 literal");
}

static bool is_number_head(const char *h, size_t hl)
{
    return head_eq(h, hl, "i32.const") || head_eq(h, hl, "i64.const") ||
           head_eq(h, hl, "f32.const") || head_eq(h, hl, "f64.const");
}

static wf_error *unsupported_at(const wast_node *n, const char *h, size_t hl)
{
    return wf_error_at_line(WF_ERR_UNSUPPORTED, n->line, n->col,
                            "%.*s values are not supported", (int)hl, h);
}

/* Values of proposals wasmfn does not implement (shared GC references,
 * exception values as arguments): skipped, while any other unknown form
 * is a broken script. */
static bool is_out_of_scope(const char *h, size_t hl)
{
    return (hl > 5 && !memcmp(h, "v128.", 5)) || head_eq(h, hl, "ref.i31") ||
           head_eq(h, hl, "ref.struct") || head_eq(h, hl, "ref.array") ||
           head_eq(h, hl, "ref.eq") || head_eq(h, hl, "ref.any") ||
           head_eq(h, hl, "ref.exn") || head_eq(h, hl, "ref.i31_shared") ||
           head_eq(h, hl, "ref") || head_eq(h, hl, "ref.none");
}

/* (v128.const SHAPE lane...): the 16 bytes in out; with pat (expected
 * results), float lanes may be nan:canonical / nan:arithmetic, noted in
 * pat[lane] (1 / 2) and *lane_bits. */
static wf_error *parse_v128(const wast_node *n, wf_value *out, uint8_t *pat, uint8_t *lane_bits)
{
    static const struct { const char *name; unsigned lanes, bits; bool fl; } shapes[] = {
        { "i8x16", 16, 8, false }, { "i16x8", 8, 16, false }, { "i32x4", 4, 32, false },
        { "i64x2", 2, 64, false }, { "f32x4", 4, 32, true },  { "f64x2", 2, 64, true },
    };
    memset(out, 0, sizeof *out);
    out->type = (wf_valtype){ WF_V128, 0, 0, 0 };
    int s = -1;
    for (int k = 0; k < 6 && n->nitems >= 2; k++)
        if (wf_wast_is_atom(n->items[1], shapes[k].name)) s = k;
    if (s < 0 || n->nitems != 2 + shapes[s].lanes) return bad_at(n, "bad v128 constant");
    unsigned bits = shapes[s].bits;
    if (lane_bits) *lane_bits = shapes[s].fl ? (uint8_t)bits : 0;
    for (unsigned k = 0; k < shapes[s].lanes; k++) {
        const wast_node *a = n->items[2 + k];
        uint64_t v = 0;
        if (a->kind != WAST_ATOM) return bad_at(a, "bad v128 lane");
        if (shapes[s].fl && pat &&
            (wf_wast_is_atom(a, "nan:canonical") || wf_wast_is_atom(a, "nan:arithmetic"))) {
            pat[k] = wf_wast_is_atom(a, "nan:canonical") ? 1 : 2;
            continue;
        }
        bool ok;
        if (shapes[s].fl && bits == 32) {
            uint32_t f;
            ok = wf_wast_parse_f32(a->start, a->len, &f);
            v = f;
        } else if (shapes[s].fl) {
            ok = wf_wast_parse_f64(a->start, a->len, &v);
        } else {
            ok = wf_wat_num_i64(a->start, a->len, &v);
            if (ok && bits < 64)
                ok = a->start[0] == '-' ? (int64_t)v >= -((int64_t)1 << (bits - 1))
                                        : v < ((uint64_t)1 << bits);
        }
        if (!ok) return bad_at(a, "bad v128 lane");
        for (unsigned b = 0; b < bits / 8; b++) out->of.v128[k * bits / 8 + b] = (uint8_t)(v >> (8 * b));
    }
    return NULL;
}

static bool parse_u32(const wast_node *a, uint32_t *out)
{
    uint64_t v;
    if (!a || a->kind != WAST_ATOM || a->start[0] == '-' ||
        !wf_wast_parse_int(a->start, a->len, 32, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

wf_error *wf_wast_parse_const(const wast_node *n, wast_extern_ref_fn ext, void *ctx,
                           wf_value *out)
{
    size_t hl;
    const char *h = wf_wast_head(n, &hl);
    memset(out, 0, sizeof *out);
    if (is_number_head(h, hl)) {
        int special;
        return parse_number_const(n, h, hl, false, &special, out);
    }
    if (head_eq(h, hl, "v128.const")) return parse_v128(n, out, NULL, NULL);
    if (head_eq(h, hl, "ref.null")) {
        wf_heaptype heap;
        if (n->nitems != 2 || !heap_by_name(n->items[1], &heap))
            return bad_at(n, "bad ref.null");
        if (!is_heap_in_scope(heap)) return unsupported_at(n, h, hl);
        out->type = (wf_valtype){ WF_REF, heap, 1, 0 };
        return NULL;
    }
    if (head_eq(h, hl, "ref.extern") || head_eq(h, hl, "ref.host")) {
        uint32_t k;
        if (n->nitems != 2 || !parse_u32(n->items[1], &k)) return bad_at(n, "bad reference");
        out->type = (wf_valtype){ WF_REF, WF_HEAP_EXTERN, 0, 0 };
        out->of.ref = ext(ctx, k);
        return NULL;
    }
    if (is_out_of_scope(h, hl)) return unsupported_at(n, h, hl);
    return bad_at(n, "bad constant");
}

wf_error *wf_wast_parse_expect(const wast_node *n, wast_extern_ref_fn ext, void *ctx,
                            wast_expect *out)
{
    size_t hl;
    const char *h = wf_wast_head(n, &hl);
    memset(out, 0, sizeof *out);
    if (head_eq(h, hl, "either")) {
        out->kind = WAST_EXP_EITHER;
        out->nalts = n->nitems - 1;
        out->alts = wf_xcalloc(out->nalts ? out->nalts : 1, sizeof *out->alts);
        for (size_t i = 0; i < out->nalts; i++) {
            wf_error *e = wf_wast_parse_expect(n->items[i + 1], ext, ctx, &out->alts[i]);
            if (e) {
                out->nalts = i;
                wf_wast_expect_fini(out);
                return e;
            }
        }
        return NULL;
    }
    if (is_number_head(h, hl)) {
        int special;
        wf_error *e = parse_number_const(n, h, hl, true, &special, &out->value);
        if (e) return e;
        out->kind = special == 1 ? WAST_EXP_NAN_CANON
                    : special == 2 ? WAST_EXP_NAN_ARITH : WAST_EXP_VALUE;
        return NULL;
    }
    if (head_eq(h, hl, "v128.const")) {
        wf_error *e = parse_v128(n, &out->value, out->lane_pat, &out->lane_bits);
        if (e) return e;
        out->kind = WAST_EXP_VALUE;
        for (int k = 0; k < 4; k++)
            if (out->lane_pat[k]) out->kind = WAST_EXP_V128_LANES;
        return NULL;
    }
    if (head_eq(h, hl, "ref.null")) {
        out->kind = WAST_EXP_REF_NULL;
        if (n->nitems == 1) {
            out->any_heap = true;
            return NULL;
        }
        wf_heaptype heap;
        if (n->nitems != 2) return bad_at(n, "bad ref.null");
        if (!heap_by_name(n->items[1], &heap)) {
            if (!wf_wast_is_id(n->items[1])) return bad_at(n, "bad ref.null");
            heap = WF_HEAP_TYPE;
        }
        out->value.type = (wf_valtype){ WF_REF, heap, 1, 0 };
        return NULL;
    }
    if (head_eq(h, hl, "ref.extern") || head_eq(h, hl, "ref.host")) {
        out->kind = WAST_EXP_REF_EXTERN;
        out->value.type = (wf_valtype){ WF_REF, WF_HEAP_EXTERN, 0, 0 };
        if (n->nitems == 1) return NULL;
        uint32_t k;
        if (n->nitems != 2 || !parse_u32(n->items[1], &k)) return bad_at(n, "bad reference");
        out->has_ref = true;
        out->value.of.ref = ext(ctx, k);
        return NULL;
    }
    if (head_eq(h, hl, "ref.func") && n->nitems == 1) {
        out->kind = WAST_EXP_REF_FUNC;
        out->value.type = WF_TYPE_FUNCREF;
        return NULL;
    }
    wf_heaptype kind;
    if (n->nitems == 1 && kind_by_head(h, hl, &kind)) {
        out->kind = WAST_EXP_REF_KIND;
        out->value.type = (wf_valtype){ WF_REF, kind, 0, 0 };
        return NULL;
    }
    if (is_out_of_scope(h, hl)) return unsupported_at(n, h, hl);
    return bad_at(n, "bad expected result");
}

void wf_wast_expect_fini(wast_expect *e)
{
    for (size_t i = 0; i < e->nalts; i++) wf_wast_expect_fini(&e->alts[i]);
    free(e->alts);
    e->alts = NULL;
    e->nalts = 0;
}

static bool is_nan32(uint32_t b) { return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu); }
static bool is_nan64(uint64_t b)
{
    return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0xfffffffffffffull);
}

bool wf_wast_expect_match(const wast_expect *e, const wf_value *v)
{
    const wf_valtype *t = &e->value.type;
    switch (e->kind) {
    case WAST_EXP_EITHER:
        for (size_t i = 0; i < e->nalts; i++)
            if (wf_wast_expect_match(&e->alts[i], v)) return true;
        return false;
    case WAST_EXP_VALUE:
        if (v->type.kind != t->kind) return false;
        switch (t->kind) {
        case WF_I32: return v->of.i32 == e->value.of.i32;
        case WF_I64: return v->of.i64 == e->value.of.i64;
        case WF_F32: return v->of.f32_bits == e->value.of.f32_bits;
        case WF_F64: return v->of.f64_bits == e->value.of.f64_bits;
        case WF_V128: return !memcmp(v->of.v128, e->value.of.v128, 16);
        default: return false;
        }
    case WAST_EXP_V128_LANES:
        if (v->type.kind != WF_V128) return false;
        for (unsigned k = 0, w = e->lane_bits / 8; k < 16 / w; k++) {
            const uint8_t *got = v->of.v128 + k * w, *want = e->value.of.v128 + k * w;
            uint64_t b = 0;
            memcpy(&b, got, w);
            if (e->lane_pat[k] == 0 && memcmp(got, want, w)) return false;
            if (w == 4 && e->lane_pat[k] == 1 && ((uint32_t)b & 0x7fffffffu) != 0x7fc00000u) return false;
            if (w == 4 && e->lane_pat[k] == 2 && !(is_nan32((uint32_t)b) && (b & 0x00400000u))) return false;
            if (w == 8 && e->lane_pat[k] == 1 && (b & 0x7fffffffffffffffull) != 0x7ff8000000000000ull)
                return false;
            if (w == 8 && e->lane_pat[k] == 2 && !(is_nan64(b) && (b & 0x0008000000000000ull)))
                return false;
        }
        return true;
    case WAST_EXP_NAN_CANON:
        if (v->type.kind != t->kind) return false;
        if (t->kind == WF_F32) return (v->of.f32_bits & 0x7fffffffu) == 0x7fc00000u;
        return (v->of.f64_bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    case WAST_EXP_NAN_ARITH:
        if (v->type.kind != t->kind) return false;
        if (t->kind == WF_F32)
            return is_nan32(v->of.f32_bits) && (v->of.f32_bits & 0x00400000u);
        return is_nan64(v->of.f64_bits) && (v->of.f64_bits & 0x0008000000000000ull);
    case WAST_EXP_REF_NULL:
        if (v->type.kind != WF_REF || v->of.ref) return false;
        return e->any_heap || wf_heaptype_top(v->type) == heap_top(t->heap);
    case WAST_EXP_REF_EXTERN:
        /* (ref.host N) of an anyref result: the host's pointer internalized */
        if (v->type.kind == WF_REF && v->of.ref && wf_heaptype_top(v->type) == WF_HEAP_ANY)
            return e->has_ref && wf_gc_convert(v->of.ref) == e->value.of.ref;
        if (v->type.kind != WF_REF || !v->of.ref || wf_heaptype_top(v->type) != WF_HEAP_EXTERN)
            return false;
        return !e->has_ref || v->of.ref == e->value.of.ref;
    case WAST_EXP_REF_KIND:
        return v->type.kind == WF_REF && v->of.ref && wf_heaptype_top(v->type) == WF_HEAP_ANY &&
               wf_gc_ref_test(v->of.ref, wf_gc_cast_pack(e->value.type));
    case WAST_EXP_REF_FUNC:
        return v->type.kind == WF_REF && v->of.ref && wf_heaptype_top(v->type) == WF_HEAP_FUNC;
    }
    return false;
}

/* ---- Printing ---------------------------------------------------------------- */

static const char *heap_name(wf_heaptype h)
{
    static const char *const names[] = {
        [WF_HEAP_FUNC] = "func",     [WF_HEAP_EXTERN] = "extern", [WF_HEAP_TYPE] = "$type",
        [WF_HEAP_NOFUNC] = "nofunc", [WF_HEAP_NOEXTERN] = "noextern",
        [WF_HEAP_ANY] = "any",       [WF_HEAP_EQ] = "eq",         [WF_HEAP_I31] = "i31",
        [WF_HEAP_STRUCT] = "struct", [WF_HEAP_ARRAY] = "array",   [WF_HEAP_NONE] = "none",
        [WF_HEAP_EXN] = "exn",       [WF_HEAP_NOEXN] = "noexn",
    };
    return h < WF_COUNT(names) && names[h] ? names[h] : "?";
}

char *wf_wast_f32_str(uint32_t b)
{
    if (is_nan32(b))
        return wf_xasprintf("%snan:0x%x", b >> 31 ? "-" : "", b & 0x7fffffu);
    float f;
    memcpy(&f, &b, 4);
    return wf_xasprintf("%.9g", (double)f);
}

char *wf_wast_f64_str(uint64_t b)
{
    if (is_nan64(b))
        return wf_xasprintf("%snan:0x%llx", b >> 63 ? "-" : "",
                            (unsigned long long)(b & 0xfffffffffffffull));
    double d;
    memcpy(&d, &b, 8);
    return wf_xasprintf("%.17g", d);
}

char *wf_wast_value_str(const wf_value *v)
{
    char *s, *r;
    switch (v->type.kind) {
    case WF_I32: return wf_xasprintf("(i32.const %d)", v->of.i32);
    case WF_I64: return wf_xasprintf("(i64.const %lld)", (long long)v->of.i64);
    case WF_F32:
        s = wf_wast_f32_str(v->of.f32_bits);
        r = wf_xasprintf("(f32.const %s)", s);
        free(s);
        return r;
    case WF_F64:
        s = wf_wast_f64_str(v->of.f64_bits);
        r = wf_xasprintf("(f64.const %s)", s);
        free(s);
        return r;
    case WF_REF:
        if (!v->of.ref) return wf_xasprintf("(ref.null %s)", heap_name(v->type.heap));
        if (wf_heaptype_top(v->type) == WF_HEAP_EXTERN) return wf_xstrdup("(ref.extern)");
        if (wf_heaptype_top(v->type) == WF_HEAP_FUNC) return wf_xstrdup("(ref.func)");
        if (wf_gc_is_i31(v->of.ref)) return wf_xasprintf("(ref.i31 %u)", wf_gc_i31_get_u(v->of.ref));
        if (!wf_gc_ref_test(v->of.ref, wf_gc_cast_pack((wf_valtype){ WF_REF, WF_HEAP_EQ, 0, 0 })))
            return wf_xstrdup("(ref.host)");
        return wf_xasprintf("(ref %s)", heap_name(v->type.heap));
    default: {
        uint32_t l[4];
        memcpy(l, v->of.v128, 16);
        return wf_xasprintf("(v128.const i32x4 0x%08x 0x%08x 0x%08x 0x%08x)", l[0], l[1], l[2], l[3]);
    }
    }
}

/* " word" added to an s-expression being written; the word is freed. */
static void word_add(wf_buf *b, char *word)
{
    wf_buf_byte(b, ' ');
    wf_buf_str(b, word);
    free(word);
}

/* The s-expression closed: its text, the caller's to free. */
static char *words_close(wf_buf *b)
{
    wf_buf_bytes(b, ")", 2);   /* the parenthesis and the terminator */
    return (char *)wf_buf_take(b, NULL);
}

char *wf_wast_expect_str(const wast_expect *e)
{
    const char *ty = e->value.type.kind == WF_F32 ? "f32" : "f64";
    switch (e->kind) {
    case WAST_EXP_VALUE: return wf_wast_value_str(&e->value);
    case WAST_EXP_NAN_CANON: return wf_xasprintf("(%s.const nan:canonical)", ty);
    case WAST_EXP_NAN_ARITH: return wf_xasprintf("(%s.const nan:arithmetic)", ty);
    case WAST_EXP_REF_NULL:
        if (e->any_heap) return wf_xstrdup("(ref.null)");
        return wf_xasprintf("(ref.null %s)", heap_name(e->value.type.heap));
    case WAST_EXP_REF_EXTERN: return wf_xstrdup("(ref.extern)");
    case WAST_EXP_REF_FUNC: return wf_xstrdup("(ref.func)");
    case WAST_EXP_REF_KIND: return wf_xasprintf("(ref.%s)", heap_name(e->value.type.heap));
    case WAST_EXP_V128_LANES: {
        wf_buf b = {0};
        wf_buf_str(&b, e->lane_bits == 32 ? "(v128.const f32x4" : "(v128.const f64x2");
        for (unsigned k = 0, w = e->lane_bits / 8; k < 16 / w; k++) {
            uint64_t bits = 0;
            memcpy(&bits, e->value.of.v128 + k * w, w);
            word_add(&b, e->lane_pat[k] == 1 ? wf_xstrdup("nan:canonical")
                         : e->lane_pat[k] == 2 ? wf_xstrdup("nan:arithmetic")
                         : w == 4 ? wf_wast_f32_str((uint32_t)bits) : wf_wast_f64_str(bits));
        }
        return words_close(&b);
    }
    case WAST_EXP_EITHER: {
        wf_buf b = {0};
        wf_buf_str(&b, "(either");
        for (size_t i = 0; i < e->nalts; i++) word_add(&b, wf_wast_expect_str(&e->alts[i]));
        return words_close(&b);
    }
    }
    return wf_xstrdup("?");
}
