/*
 * wit.c - the WIT parser for registry `wit` fields, name resolution and the
 * Canonical ABI layout of every type (wit.h).
 *
 * Parsing builds type nodes; a use of a name becomes a REF node and
 * `type x = T` an ALIAS node. Resolution then rewrites every type pointer to
 * its final structural node, so consumers never see REF or ALIAS. Layout
 * (size, alignment, flattening) is computed once per node, depth first,
 * which also finds recursive definitions (not allowed in WIT).
 */
#include "component/wit.h"
#include "component/wit_lex.h"
#include "base/buf.h"
#include "base/vec.h"
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

#define WIT_K_REF ((wf_wit_kind)100)    /* internal: a use of a name */
#define WIT_K_ALIAS ((wf_wit_kind)101)  /* internal: `type x = T` */
#define MAX_TYPE_NESTING 100   /* list<list<...>> in one expression */
#define MAX_LAYOUT_DEPTH 1000  /* chains of named types */

typedef struct parser {
    wit_lexer lx;
    wit_tok tok;
    wf_wit *w;
    WF_VEC(wf_wit_type *) types;
    WF_VEC(wf_wit_func) funcs;
    int depth;
} parser;

/* ---- Built-in primitive nodes ------------------------------------------ */

static wf_flat flat_i32[1] = { WF_FLAT_I32 }, flat_i64[1] = { WF_FLAT_I64 };
static wf_flat flat_f32[1] = { WF_FLAT_F32 }, flat_f64[1] = { WF_FLAT_F64 };
static wf_flat flat_ptr_len[2] = { WF_FLAT_I32, WF_FLAT_I32 };

#define PRIM(k, sz, fl, n) [k] = { .kind = k, .size = sz, .align = sz, .flat = fl, .nflat = n }
static wf_wit_type prims[WF_WIT_STRING + 1] = {
    PRIM(WF_WIT_BOOL, 1, flat_i32, 1),
    PRIM(WF_WIT_S8, 1, flat_i32, 1), PRIM(WF_WIT_U8, 1, flat_i32, 1),
    PRIM(WF_WIT_S16, 2, flat_i32, 1), PRIM(WF_WIT_U16, 2, flat_i32, 1),
    PRIM(WF_WIT_S32, 4, flat_i32, 1), PRIM(WF_WIT_U32, 4, flat_i32, 1),
    PRIM(WF_WIT_S64, 8, flat_i64, 1), PRIM(WF_WIT_U64, 8, flat_i64, 1),
    PRIM(WF_WIT_F32, 4, flat_f32, 1), PRIM(WF_WIT_F64, 8, flat_f64, 1),
    PRIM(WF_WIT_CHAR, 4, flat_i32, 1),
    [WF_WIT_STRING] = { .kind = WF_WIT_STRING, .size = 8, .align = 4, .flat = flat_ptr_len, .nflat = 2 },
};

const wf_wit_type *wf_wit_prim(wf_wit_kind k)
{
    return (size_t)k < WF_COUNT(prims) ? &prims[k] : NULL;
}

static bool is_prim(const wf_wit_type *t)
{
    return t >= prims && t < prims + WF_COUNT(prims);
}

/* ---- Tokens ------------------------------------------------------------ */

static wf_error *next(parser *p) { return wit_lex_next(&p->lx, &p->tok); }

static wf_error *err_at(const wit_tok *t, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *err_at(const wit_tok *t, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "%s", msg);
}

static wf_error *unexpected(parser *p, const char *want)
{
    if (p->tok.kind == WIT_T_ID || p->tok.kind == WIT_T_EXPLICIT_ID || p->tok.kind == WIT_T_INT)
        return err_at(&p->tok, "expected %s, found `%.*s`", want, (int)p->tok.len, p->tok.text);
    return err_at(&p->tok, "expected %s, found %s", want, wit_tok_name(p->tok.kind));
}

static wf_error *expect(parser *p, wit_tok_kind k)
{
    if (p->tok.kind != k) return unexpected(p, wit_tok_name(k));
    return next(p);
}

static bool is_name(const wit_tok *t) { return t->kind == WIT_T_ID || t->kind == WIT_T_EXPLICIT_ID; }

/* An identifier (keywords allowed only as %-escaped). */
static wf_error *name(parser *p, char **out, wit_tok *at)
{
    if (!is_name(&p->tok)) return unexpected(p, "a name");
    *at = p->tok;
    *out = wf_xstrndup(p->tok.text, p->tok.len);
    return next(p);
}

static wf_wit_type *new_type(parser *p, wf_wit_kind kind, const wit_tok *at)
{
    wf_wit_type *t = wf_xcalloc(1, sizeof *t);
    t->kind = (wf_wit_kind)kind;
    t->line = at->line;
    t->col = at->col;
    wf_vec_push(&p->types, t);
    return t;
}

/* ---- Types ------------------------------------------------------------- */

static wf_error *parse_type(parser *p, const wf_wit_type **out);

static wf_error *type_args(parser *p, const wf_wit_type **a, size_t n, const char *what)
{
    wf_error *e = expect(p, WIT_T_LT);
    for (size_t i = 0; !e && i < n; i++) {
        if (i && (e = expect(p, WIT_T_COMMA))) break;
        e = parse_type(p, &a[i]);
    }
    if (!e && p->tok.kind != WIT_T_GT)
        e = unexpected(p, n == 1 ? "`>`" : "`,` or `>`");
    (void)what;
    return e ? e : next(p);
}

static const struct { const char *name; wf_wit_kind kind; } prim_names[] = {
    { "bool", WF_WIT_BOOL }, { "s8", WF_WIT_S8 }, { "s16", WF_WIT_S16 }, { "s32", WF_WIT_S32 },
    { "s64", WF_WIT_S64 }, { "u8", WF_WIT_U8 }, { "u16", WF_WIT_U16 }, { "u32", WF_WIT_U32 },
    { "u64", WF_WIT_U64 }, { "f32", WF_WIT_F32 }, { "f64", WF_WIT_F64 },
    { "float32", WF_WIT_F32 }, { "float64", WF_WIT_F64 }, { "char", WF_WIT_CHAR },
    { "string", WF_WIT_STRING },
};

static wf_error *parse_type_inner(parser *p, const wf_wit_type **out)
{
    wit_tok at = p->tok;
    wf_error *e;
    if (at.kind == WIT_T_EXPLICIT_ID) {
        wf_wit_type *t = new_type(p, WIT_K_REF, &at);
        t->name = wf_xstrndup(at.text, at.len);
        *out = t;
        return next(p);
    }
    if (at.kind != WIT_T_ID) return unexpected(p, "a type");
    for (size_t i = 0; i < WF_COUNT(prim_names); i++)
        if (wit_tok_is(&at, prim_names[i].name)) {
            *out = &prims[prim_names[i].kind];
            return next(p);
        }
    if ((e = next(p))) return e;
    if (wit_tok_is(&at, "list") || wit_tok_is(&at, "option")) {
        wf_wit_type *t = new_type(p, wit_tok_is(&at, "list") ? WF_WIT_LIST : WF_WIT_OPTION, &at);
        *out = t;
        return type_args(p, &t->elem, 1, "");
    }
    if (wit_tok_is(&at, "result")) {
        wf_wit_type *t = new_type(p, WF_WIT_RESULT, &at);
        *out = t;
        if (p->tok.kind != WIT_T_LT) return NULL;          /* bare `result` */
        if ((e = next(p))) return e;
        if (p->tok.kind == WIT_T_UNDERSCORE) {              /* result<_, E> */
            if ((e = next(p)) || (e = expect(p, WIT_T_COMMA)) || (e = parse_type(p, &t->err)))
                return e;
        } else {
            if ((e = parse_type(p, &t->elem))) return e;
            if (p->tok.kind == WIT_T_COMMA) {
                if ((e = next(p)) || (e = parse_type(p, &t->err))) return e;
            }
        }
        if (p->tok.kind != WIT_T_GT) return unexpected(p, "`,` or `>`");
        return next(p);
    }
    if (wit_tok_is(&at, "tuple")) {
        wf_wit_type *t = new_type(p, WF_WIT_TUPLE, &at);
        *out = t;
        if ((e = expect(p, WIT_T_LT))) return e;
        WF_VEC(wf_wit_field) fs = {0};
        for (;;) {
            if (p->tok.kind == WIT_T_GT && fs.len) break;
            wf_wit_field f = {0};
            if ((e = parse_type(p, &f.type))) break;
            wf_vec_push(&fs, f);
            if (p->tok.kind == WIT_T_COMMA) { if ((e = next(p))) break; continue; }
            if (p->tok.kind != WIT_T_GT) { e = unexpected(p, "`,` or `>`"); break; }
        }
        t->fields = fs.data;
        t->nfields = fs.len;
        return e ? e : next(p);
    }
    if (wit_tok_is(&at, "borrow") || wit_tok_is(&at, "own") || wit_tok_is(&at, "future") ||
        wit_tok_is(&at, "stream"))
        return err_at(&at, "`%.*s` types are not supported in a `wit` field", (int)at.len, at.text);
    wf_wit_type *t = new_type(p, WIT_K_REF, &at);
    t->name = wf_xstrndup(at.text, at.len);
    *out = t;
    return NULL;
}

static wf_error *parse_type(parser *p, const wf_wit_type **out)
{
    if (++p->depth > MAX_TYPE_NESTING) {
        p->depth--;
        return err_at(&p->tok, "type nested too deeply (more than %d levels)", MAX_TYPE_NESTING);
    }
    wf_error *e = parse_type_inner(p, out);
    p->depth--;
    return e;
}

/* ---- Items --------------------------------------------------------------- */

static wf_error *dup_check(const wf_wit_field *fs, size_t n, const char *nm, const wit_tok *at,
                           const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (fs[i].name && strcmp(fs[i].name, nm) == 0)
            return err_at(at, "duplicate %s `%s`", what, nm);
    return NULL;
}

/* `{ a: T, b: U }` (record), `{ a, b(T) }` (variant), `{ a, b }` (enum/flags). */
static wf_error *parse_body(parser *p, wf_wit_type *t, const char *what)
{
    wf_error *e = expect(p, WIT_T_LBRACE);
    WF_VEC(wf_wit_field) fs = {0};
    while (!e && p->tok.kind != WIT_T_RBRACE) {
        wf_wit_field f = {0};
        wit_tok at;
        if ((e = name(p, &f.name, &at))) break;
        if ((e = dup_check(fs.data, fs.len, f.name, &at, what))) { free(f.name); break; }
        wf_vec_push(&fs, f);
        if (t->kind == WF_WIT_RECORD) {
            if ((e = expect(p, WIT_T_COLON)) || (e = parse_type(p, &fs.data[fs.len - 1].type))) break;
        } else if (t->kind == WF_WIT_VARIANT && p->tok.kind == WIT_T_LPAREN) {
            if ((e = next(p)) || (e = parse_type(p, &fs.data[fs.len - 1].type)) ||
                (e = expect(p, WIT_T_RPAREN)))
                break;
        }
        if (p->tok.kind == WIT_T_COMMA) { e = next(p); continue; }
        if (p->tok.kind != WIT_T_RBRACE) e = unexpected(p, "`,` or `}`");
    }
    t->fields = fs.data;
    t->nfields = fs.len;
    if (e) return e;
    wit_tok at = { .line = t->line, .col = t->col };   /* errors point at the type's name */
    if (!fs.len)
        return err_at(&at, "%s `%s` must have at least one %s",
                      t->kind == WF_WIT_RECORD ? "record" : t->kind == WF_WIT_VARIANT ? "variant"
                      : t->kind == WF_WIT_ENUM ? "enum" : "flags", t->name, what);
    if (t->kind == WF_WIT_FLAGS && fs.len > 32)
        return err_at(&at, "flags `%s` has %zu flags; at most 32 are allowed", t->name, fs.len);
    return next(p);
}

static wf_error *parse_params(parser *p, wf_wit_field **out, size_t *n, const char *what)
{
    wf_error *e = expect(p, WIT_T_LPAREN);
    WF_VEC(wf_wit_field) fs = {0};
    while (!e && p->tok.kind != WIT_T_RPAREN) {
        wf_wit_field f = {0};
        wit_tok at;
        if ((e = name(p, &f.name, &at))) break;
        if ((e = dup_check(fs.data, fs.len, f.name, &at, what))) { free(f.name); break; }
        wf_vec_push(&fs, f);
        if ((e = expect(p, WIT_T_COLON)) || (e = parse_type(p, &fs.data[fs.len - 1].type))) break;
        if (p->tok.kind == WIT_T_COMMA) { e = next(p); continue; }
        if (p->tok.kind != WIT_T_RPAREN) e = unexpected(p, "`,` or `)`");
    }
    *out = fs.data;
    *n = fs.len;
    return e ? e : next(p);
}

static const char *item_name(parser *p, const char *nm, bool *is_func)
{
    for (size_t i = 0; i < p->funcs.len; i++)
        if (strcmp(p->funcs.data[i].name, nm) == 0) { *is_func = true; return nm; }
    for (size_t i = 0; i < p->types.len; i++) {
        wf_wit_type *t = p->types.data[i];
        if (t->kind != WIT_K_REF && t->name && strcmp(t->name, nm) == 0) { *is_func = false; return nm; }
    }
    return NULL;
}

static wf_error *defined_twice(parser *p, const char *nm, const wit_tok *at, bool func)
{
    bool was_func;
    if (!item_name(p, nm, &was_func)) return NULL;
    if (func && was_func) return err_at(at, "duplicate function `%s`", nm);
    if (!func && !was_func) return err_at(at, "duplicate type `%s`", nm);
    return err_at(at, "`%s` is defined twice (as a type and a function)", nm);
}

static wf_error *parse_func(parser *p, char *nm, const wit_tok *at)
{
    wf_error *e = defined_twice(p, nm, at, true);
    if (e) { free(nm); return e; }
    wf_wit_func f = { .name = nm, .line = at->line, .col = at->col };
    if ((e = next(p)) || (e = next(p))) goto out;            /* `:` `func` */
    if ((e = parse_params(p, &f.params, &f.nparams, "parameter"))) goto out;
    if (p->tok.kind == WIT_T_ARROW) {
        if ((e = next(p))) goto out;
        if (p->tok.kind == WIT_T_LPAREN) {
            f.named_results = true;
            if ((e = parse_params(p, &f.results, &f.nresults, "result"))) goto out;
        } else {
            f.results = wf_xcalloc(1, sizeof *f.results);
            f.nresults = 1;
            if ((e = parse_type(p, &f.results[0].type))) goto out;
        }
    }
    e = expect(p, WIT_T_SEMI);
out:
    wf_vec_push(&p->funcs, f);   /* owned by the parser either way */
    return e;
}

static wf_error *parse_item(parser *p)
{
    wit_tok at = p->tok;
    wf_error *e;
    if (!is_name(&at)) return unexpected(p, "a function or type definition");
    /* `name: func(...)` */
    wit_lexer save = p->lx;
    wit_tok after;
    if ((e = wit_lex_next(&save, &after))) return e;
    if (after.kind == WIT_T_COLON) {
        wit_tok kw;
        if ((e = wit_lex_next(&save, &kw))) return e;
        if (!wit_tok_is(&kw, "func")) {
            if (wit_tok_is(&kw, "async") || wit_tok_is(&kw, "static") || wit_tok_is(&kw, "constructor"))
                return err_at(&kw, "`%.*s` functions are not supported in a `wit` field",
                              (int)kw.len, kw.text);
            return err_at(&kw, "expected `func`, found %s%.*s%s", is_name(&kw) ? "`" : "",
                          is_name(&kw) ? (int)kw.len : 0, kw.text, is_name(&kw) ? "`" : wit_tok_name(kw.kind));
        }
        if ((e = next(p))) return e;   /* now at `:` */
        return parse_func(p, wf_xstrndup(at.text, at.len), &at);
    }
    wf_wit_kind kind = wit_tok_is(&at, "record") ? WF_WIT_RECORD : wit_tok_is(&at, "variant") ? WF_WIT_VARIANT
             : wit_tok_is(&at, "enum") ? WF_WIT_ENUM : wit_tok_is(&at, "flags") ? WF_WIT_FLAGS
             : wit_tok_is(&at, "type") ? WIT_K_ALIAS : WIT_K_REF;
    if (kind == WIT_K_REF) {
        if (wit_tok_is(&at, "resource") || wit_tok_is(&at, "interface") || wit_tok_is(&at, "world") ||
            wit_tok_is(&at, "package") || wit_tok_is(&at, "use") || wit_tok_is(&at, "include"))
            return err_at(&at, "`%.*s` is not supported in a `wit` field (functions and type "
                          "definitions only)", (int)at.len, at.text);
        return err_at(&at, "expected a function (`name: func(...)`) or a type definition, found `%.*s`",
                      (int)at.len, at.text);
    }
    if ((e = next(p))) return e;
    char *nm = NULL;
    wit_tok nat;
    if ((e = name(p, &nm, &nat))) return e;
    if ((e = defined_twice(p, nm, &nat, false))) { free(nm); return e; }
    wf_wit_type *t = new_type(p, kind, &nat);
    t->name = nm;
    if (kind == WIT_K_ALIAS) {
        if ((e = expect(p, WIT_T_EQ)) || (e = parse_type(p, &t->elem))) return e;
        return expect(p, WIT_T_SEMI);
    }
    return parse_body(p, t, kind == WF_WIT_RECORD ? "field" : kind == WF_WIT_FLAGS ? "flag" : "case");
}

/* ---- Resolution and layout -------------------------------------------- */

static wf_wit_type *find_def(parser *p, const char *nm)
{
    for (size_t i = 0; i < p->types.len; i++) {
        wf_wit_type *t = p->types.data[i];
        if (t->kind != WIT_K_REF && t->name && strcmp(t->name, nm) == 0) return t;
    }
    return NULL;
}

/* Follow REF and ALIAS nodes to the structural node. */
static wf_error *resolve(parser *p, const wf_wit_type **slot)
{
    const wf_wit_type *t = *slot;
    size_t steps = 0;
    while (t && (t->kind == WIT_K_REF || t->kind == WIT_K_ALIAS)) {
        if (++steps > p->types.len + 1)
            return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "type `%s` refers to itself", t->name);
        if (t->kind == WIT_K_REF) {
            const wf_wit_type *d = find_def(p, t->name);
            if (!d) return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "unknown type `%s`", t->name);
            t = d;
        } else {
            t = t->elem;
        }
    }
    *slot = t;
    return NULL;
}

static uint32_t align_to(uint32_t x, uint32_t a) { return (x + a - 1) / a * a; }

static wf_flat join(wf_flat a, wf_flat b)
{
    if (a == b) return a;
    if ((a == WF_FLAT_I32 && b == WF_FLAT_F32) || (a == WF_FLAT_F32 && b == WF_FLAT_I32)) return WF_FLAT_I32;
    return WF_FLAT_I64;
}

static wf_error *layout(wf_wit_type *t, int depth);

static wf_error *layout_of(const wf_wit_type *t, int depth)
{
    if (!t || is_prim(t)) return NULL;
    return layout((wf_wit_type *)t, depth + 1);
}

/* Variant-like layout over n cases with payload types ty(i) (NULL = none). */
static void layout_cases(wf_wit_type *t, const wf_wit_type *const *cases, size_t n)
{
    uint32_t dsize = n <= 256 ? 1 : n <= 65536 ? 2 : 4;
    uint32_t calign = 1, csize = 0;
    WF_VEC(wf_flat) fl = {0};
    wf_vec_push(&fl, WF_FLAT_I32);
    for (size_t i = 0; i < n; i++) {
        const wf_wit_type *c = cases[i];
        if (!c) continue;
        calign = WF_MAX(calign, c->align);
        csize = WF_MAX(csize, c->size);
        for (uint32_t j = 0; j < c->nflat; j++) {
            if (j + 1 < fl.len) fl.data[j + 1] = join(fl.data[j + 1], c->flat[j]);
            else wf_vec_push(&fl, c->flat[j]);
        }
    }
    t->align = WF_MAX(dsize, calign);
    t->payload_offset = align_to(dsize, calign);
    t->size = align_to(t->payload_offset + csize, t->align);
    t->flat = fl.data;
    t->nflat = (uint32_t)fl.len;
}

static wf_error *layout(wf_wit_type *t, int depth)
{
    if (t->state == 2) return NULL;
    if (t->state == 1)
        return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "type `%s` refers to itself",
                                t->name ? t->name : "?");
    if (depth > MAX_LAYOUT_DEPTH)
        return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "types nested too deeply");
    t->state = 1;
    wf_error *e = NULL;
    if ((e = layout_of(t->elem, depth)) || (e = layout_of(t->err, depth))) return e;
    for (size_t i = 0; i < t->nfields; i++)
        if ((e = layout_of(t->fields[i].type, depth))) return e;
    switch (t->kind) {
    case WF_WIT_LIST:
        t->size = 8; t->align = 4;
        t->flat = wf_xmalloc(2 * sizeof(wf_flat));
        t->flat[0] = t->flat[1] = WF_FLAT_I32;
        t->nflat = 2;
        break;
    case WF_WIT_RECORD: case WF_WIT_TUPLE: {
        uint32_t off = 0, al = 1, nflat = 0;
        for (size_t i = 0; i < t->nfields; i++) {
            const wf_wit_type *f = t->fields[i].type;
            off = align_to(off, f->align);
            t->fields[i].offset = off;
            off += f->size;
            al = WF_MAX(al, f->align);
            nflat += f->nflat;
        }
        t->align = al;
        t->size = align_to(off, al);
        t->flat = wf_xmalloc((nflat ? nflat : 1) * sizeof(wf_flat));
        t->nflat = 0;
        for (size_t i = 0; i < t->nfields; i++) {
            const wf_wit_type *f = t->fields[i].type;
            memcpy(t->flat + t->nflat, f->flat, f->nflat * sizeof(wf_flat));
            t->nflat += f->nflat;
        }
        break;
    }
    case WF_WIT_VARIANT: case WF_WIT_ENUM: {
        const wf_wit_type **cs = wf_xcalloc(t->nfields, sizeof *cs);
        for (size_t i = 0; i < t->nfields; i++) cs[i] = t->fields[i].type;
        layout_cases(t, cs, t->nfields);
        free(cs);
        break;
    }
    case WF_WIT_OPTION: {
        const wf_wit_type *cs[2] = { NULL, t->elem };
        layout_cases(t, cs, 2);
        break;
    }
    case WF_WIT_RESULT: {
        const wf_wit_type *cs[2] = { t->elem, t->err };
        layout_cases(t, cs, 2);
        break;
    }
    case WF_WIT_FLAGS:
        t->size = t->align = t->nfields <= 8 ? 1 : t->nfields <= 16 ? 2 : 4;
        t->flat = wf_xmalloc(sizeof(wf_flat));
        t->flat[0] = WF_FLAT_I32;
        t->nflat = 1;
        break;
    default:
        break;
    }
    t->state = 2;
    return NULL;
}

static wf_error *resolve_all(parser *p)
{
    wf_error *e;
    for (size_t i = 0; i < p->types.len; i++) {
        wf_wit_type *t = p->types.data[i];
        if (t->kind == WIT_K_REF) continue;
        if (t->kind == WIT_K_ALIAS) {
            if ((e = resolve(p, &t->elem))) return e;
            continue;
        }
        if ((e = resolve(p, &t->elem)) || (e = resolve(p, &t->err))) return e;
        for (size_t j = 0; j < t->nfields; j++)
            if ((e = resolve(p, &t->fields[j].type))) return e;
    }
    for (size_t i = 0; i < p->funcs.len; i++) {
        wf_wit_func *f = &p->funcs.data[i];
        for (size_t j = 0; j < f->nparams; j++)
            if ((e = resolve(p, &f->params[j].type))) return e;
        for (size_t j = 0; j < f->nresults; j++)
            if ((e = resolve(p, &f->results[j].type))) return e;
    }
    for (size_t i = 0; i < p->types.len; i++) {
        wf_wit_type *t = p->types.data[i];
        if (t->kind < WIT_K_REF && (e = layout(t, 0))) return e;
    }
    return NULL;
}

wf_error *wf_wit_parse(const char *text, size_t len, wf_wit **out)
{
    parser p = {0};
    *out = NULL;
    p.w = wf_xcalloc(1, sizeof *p.w);
    wit_lex_init(&p.lx, text, len);
    wf_error *e = next(&p);
    while (!e && p.tok.kind != WIT_T_EOF) e = parse_item(&p);
    if (!e) e = resolve_all(&p);
    p.w->funcs = p.funcs.data;
    p.w->nfuncs = p.funcs.len;
    p.w->types = p.types.data;
    p.w->ntypes = p.types.len;
    if (e) {
        wf_wit_free(p.w);
        return e;
    }
    *out = p.w;
    return NULL;
}

static void free_fields(wf_wit_field *fs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(fs[i].name);
    free(fs);
}

void wf_wit_free(wf_wit *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->nfuncs; i++) {
        free(w->funcs[i].name);
        free_fields(w->funcs[i].params, w->funcs[i].nparams);
        free_fields(w->funcs[i].results, w->funcs[i].nresults);
    }
    free(w->funcs);
    for (size_t i = 0; i < w->ntypes; i++) {
        wf_wit_type *t = w->types[i];
        free(t->name);
        free_fields(t->fields, t->nfields);
        free(t->flat);
        free(t);
    }
    free(w->types);
    free(w);
}

/* Names compare with '-' and '_' as the same character (exports are often
 * snake_case for kebab-case WIT names). */
static bool name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y) return false;
    }
    return *a == *b;
}

const wf_wit_func *wf_wit_find_func(const wf_wit *w, const char *nm)
{
    for (size_t i = 0; i < w->nfuncs; i++)
        if (strcmp(w->funcs[i].name, nm) == 0) return &w->funcs[i];
    for (size_t i = 0; i < w->nfuncs; i++)
        if (name_eq(w->funcs[i].name, nm)) return &w->funcs[i];
    return NULL;
}

const wf_wit_type *wf_wit_find_type(const wf_wit *w, const char *nm)
{
    for (size_t i = 0; i < w->ntypes; i++) {
        const wf_wit_type *t = w->types[i];
        if (t->kind == WIT_K_REF || !t->name || strcmp(t->name, nm)) continue;
        return t->kind == WIT_K_ALIAS ? t->elem : t;
    }
    return NULL;
}

static void type_str(wf_buf *b, const wf_wit_type *t, int depth)
{
    if (!t) { wf_buf_str(b, "_"); return; }
    if (depth > 8) { wf_buf_str(b, "..."); return; }
    if (t->name) { wf_buf_str(b, t->name); return; }
    if (is_prim(t)) { wf_buf_str(b, wf_val_kind_name((wf_val_kind)t->kind)); return; }
    switch (t->kind) {
    case WF_WIT_LIST: wf_buf_str(b, "list<"); type_str(b, t->elem, depth + 1); wf_buf_str(b, ">"); break;
    case WF_WIT_OPTION: wf_buf_str(b, "option<"); type_str(b, t->elem, depth + 1); wf_buf_str(b, ">"); break;
    case WF_WIT_RESULT:
        wf_buf_str(b, "result");
        if (t->elem || t->err) {
            wf_buf_str(b, "<");
            type_str(b, t->elem, depth + 1);
            if (t->err) { wf_buf_str(b, ", "); type_str(b, t->err, depth + 1); }
            wf_buf_str(b, ">");
        }
        break;
    case WF_WIT_TUPLE:
        wf_buf_str(b, "tuple<");
        for (size_t i = 0; i < t->nfields; i++) {
            if (i) wf_buf_str(b, ", ");
            type_str(b, t->fields[i].type, depth + 1);
        }
        wf_buf_str(b, ">");
        break;
    default:
        wf_buf_str(b, wf_val_kind_name((wf_val_kind)t->kind));
    }
}

char *wf_wit_type_str(const wf_wit_type *t)
{
    wf_buf b = {0};
    type_str(&b, t, 0);
    wf_buf_byte(&b, 0);
    size_t n;
    return (char *)wf_buf_take(&b, &n);
}
