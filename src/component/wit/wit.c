/*
 * wit.c - a registry `wit` field (wit.h) from the WIT syntax tree, name
 * resolution and the Canonical ABI layout of every type.
 *
 * The text is parsed by the full WIT parser (wit_parse.c, wf_wit_parse_items:
 * the items of one interface body); this file turns that tree into type
 * nodes. A use of a name becomes a REF node and `type x = T` an ALIAS node.
 * Resolution then rewrites every type pointer to its final structural node,
 * so consumers never see REF or ALIAS. Layout (size, alignment, flattening)
 * is computed once per node, depth first, which also finds recursive
 * definitions (not allowed in WIT).
 */
#include "component/wit/wit.h"
#include "component/wit/wit_ast.h"
#include "base/buf.h"
#include "base/vec.h"
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

#define WIT_K_REF ((wf_wit_kind)100)    /* internal: a use of a name */
#define WIT_K_ALIAS ((wf_wit_kind)101)  /* internal: `type x = T` */
#define MAX_LAYOUT_DEPTH 1000  /* chains of named types */

typedef struct builder {
    WF_VEC(wf_wit_type *) types;
    WF_VEC(wf_wit_func) funcs;
} builder;


/* ---- Built-in primitive nodes ------------------------------------------ */

static wf_flat flat_i32[1] = { WF_FLAT_I32 }, flat_i64[1] = { WF_FLAT_I64 };
static wf_flat flat_f32[1] = { WF_FLAT_F32 }, flat_f64[1] = { WF_FLAT_F64 };
static wf_flat flat_ptr_len[2] = { WF_FLAT_I32, WF_FLAT_I32 };

#define PRIM(k, sz, fl, n) [k] = { .kind = k, .size = sz, .align = sz, .size64 = sz, .align64 = sz, \
                                   .flat = fl, .nflat = n }
static wf_wit_type prims[WF_WIT_STRING + 1] = {
    PRIM(WF_WIT_BOOL, 1, flat_i32, 1),
    PRIM(WF_WIT_S8, 1, flat_i32, 1), PRIM(WF_WIT_U8, 1, flat_i32, 1),
    PRIM(WF_WIT_S16, 2, flat_i32, 1), PRIM(WF_WIT_U16, 2, flat_i32, 1),
    PRIM(WF_WIT_S32, 4, flat_i32, 1), PRIM(WF_WIT_U32, 4, flat_i32, 1),
    PRIM(WF_WIT_S64, 8, flat_i64, 1), PRIM(WF_WIT_U64, 8, flat_i64, 1),
    PRIM(WF_WIT_F32, 4, flat_f32, 1), PRIM(WF_WIT_F64, 8, flat_f64, 1),
    PRIM(WF_WIT_CHAR, 4, flat_i32, 1),
    [WF_WIT_STRING] = { .kind = WF_WIT_STRING, .size = 8, .align = 4, .size64 = 16, .align64 = 8,
                        .flat = flat_ptr_len, .nflat = 2 },
};

const wf_wit_type *wf_wit_prim(wf_wit_kind k)
{
    return (size_t)k < WF_COUNT(prims) ? &prims[k] : NULL;
}

static bool is_prim(const wf_wit_type *t)
{
    return t >= prims && t < prims + WF_COUNT(prims);
}

/* ---- From the syntax tree --------------------------------------------- */

static wf_error *err_at(wit_pos at, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *err_at(wit_pos at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_at_line(WF_ERR_INVALID, at.line, at.col, "%s", msg);
}

static wf_wit_type *new_type(builder *p, wf_wit_kind kind, wit_pos at)
{
    wf_wit_type *t = wf_xcalloc(1, sizeof *t);
    t->kind = kind;
    t->line = at.line;
    t->col = at.col;
    wf_vec_push(&p->types, t);
    return t;
}

/* Type expressions the runtime has no values for (handles, async). */
static const char *unsupported_texpr(wit_te_kind k)
{
    switch (k) {
    case WIT_TE_OWN: return "own";
    case WIT_TE_BORROW: return "borrow";
    case WIT_TE_FUTURE: return "future";
    case WIT_TE_STREAM: return "stream";
    case WIT_TE_ERROR_CONTEXT: return "error-context";
    default: return NULL;
    }
}

static wf_error *conv_type(builder *p, const wit_texpr *te, const wf_wit_type **out)
{
    wf_error *e = NULL;
    const char *bad = unsupported_texpr(te->kind);
    if (bad) return err_at(te->pos, "`%s` types are not supported in a `wit` field", bad);
    if (te->kind == WIT_TE_PRIM) { *out = &prims[te->prim]; return NULL; }
    static const wf_wit_kind kinds[] = {
        [WIT_TE_NAME] = WIT_K_REF, [WIT_TE_LIST] = WF_WIT_LIST, [WIT_TE_OPTION] = WF_WIT_OPTION,
        [WIT_TE_RESULT] = WF_WIT_RESULT, [WIT_TE_TUPLE] = WF_WIT_TUPLE, [WIT_TE_MAP] = WF_WIT_MAP,
    };
    wf_wit_type *t = new_type(p, kinds[te->kind], te->pos);
    *out = t;
    if (te->kind == WIT_TE_NAME) { t->name = wf_xstrdup(te->name); return NULL; }
    if (te->kind == WIT_TE_LIST) t->len = te->fixed_len;
    if (te->kind == WIT_TE_MAP) {   /* elem = tuple<K, V> (wit.h) */
        wf_wit_type *kv = new_type(p, WF_WIT_TUPLE, te->pos);
        t->elem = kv;
        kv->fields = wf_xcalloc(2, sizeof *kv->fields);
        kv->nfields = 2;
        if ((e = conv_type(p, te->a, &kv->fields[0].type))) return e;
        return conv_type(p, te->b, &kv->fields[1].type);
    }
    if (te->a && (e = conv_type(p, te->a, &t->elem))) return e;
    if (te->b && (e = conv_type(p, te->b, &t->err))) return e;
    if (te->kind == WIT_TE_TUPLE) {
        if (!te->nelems) return err_at(te->pos, "a tuple must have at least one type");
        t->fields = wf_xcalloc(te->nelems, sizeof *t->fields);
        t->nfields = te->nelems;
        for (size_t i = 0; !e && i < te->nelems; i++) e = conv_type(p, te->elems[i], &t->fields[i].type);
    }
    return e;
}

/* Named fields, cases or parameters (type NULL where the tree has none),
 * each name once. */
static wf_error *conv_fields(builder *p, const wit_field *in, size_t n, const char *what,
                             wf_wit_field **out, size_t *nout)
{
    wf_error *e = NULL;
    *out = wf_xcalloc(n ? n : 1, sizeof **out);
    *nout = 0;
    for (size_t i = 0; !e && i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(in[j].name, in[i].name) == 0)
                return err_at(in[i].pos, "duplicate %s `%s`", what, in[i].name);
        (*out)[i].name = wf_xstrdup(in[i].name);
        *nout = i + 1;
        if (in[i].type) e = conv_type(p, in[i].type, &(*out)[i].type);
    }
    return e;
}

static bool is_func_name(builder *p, const char *nm)
{
    for (size_t i = 0; i < p->funcs.len; i++)
        if (strcmp(p->funcs.data[i].name, nm) == 0) return true;
    return false;
}

static wf_wit_type *find_def(builder *p, const char *nm);

static wf_error *defined_twice(builder *p, const char *nm, wit_pos at, bool func)
{
    bool was_func = is_func_name(p, nm);
    if (!was_func && !find_def(p, nm)) return NULL;
    if (func && was_func) return err_at(at, "duplicate function `%s`", nm);
    if (!func && !was_func) return err_at(at, "duplicate type `%s`", nm);
    return err_at(at, "`%s` is defined twice (as a type and a function)", nm);
}

static wf_error *conv_func(builder *p, const wit_func *in)
{
    wf_error *e = defined_twice(p, in->name, in->pos, true);
    if (e) return e;
    if (in->is_async) return err_at(in->pos, "`async` functions are not supported in a `wit` field");
    wf_vec_push(&p->funcs, ((wf_wit_func){ .name = wf_xstrdup(in->name), .line = in->pos.line,
                                           .col = in->pos.col, .named_results = in->named_results }));
    wf_wit_func *f = &p->funcs.data[p->funcs.len - 1];   /* owned by the builder either way */
    if ((e = conv_fields(p, in->params, in->nparams, "parameter", &f->params, &f->nparams)))
        return e;
    if (in->named_results)
        return conv_fields(p, in->results, in->nresults, "result", &f->results, &f->nresults);
    if (!in->result) return NULL;
    f->results = wf_xcalloc(1, sizeof *f->results);
    f->nresults = 1;
    return conv_type(p, in->result, &f->results[0].type);
}

static wf_error *conv_tdef(builder *p, const wit_tdef *d)
{
    static const wf_wit_kind kinds[] = {
        [WIT_TD_ALIAS] = WIT_K_ALIAS, [WIT_TD_RECORD] = WF_WIT_RECORD,
        [WIT_TD_VARIANT] = WF_WIT_VARIANT, [WIT_TD_ENUM] = WF_WIT_ENUM, [WIT_TD_FLAGS] = WF_WIT_FLAGS,
    };
    static const char *const words[] = {
        [WIT_TD_RECORD] = "record", [WIT_TD_VARIANT] = "variant", [WIT_TD_ENUM] = "enum",
        [WIT_TD_FLAGS] = "flags",
    };
    wf_error *e = defined_twice(p, d->name, d->pos, false);
    if (e) return e;
    wf_wit_type *t = new_type(p, kinds[d->kind], d->pos);   /* no resources: the parser refused */
    t->name = wf_xstrdup(d->name);
    if (d->kind == WIT_TD_ALIAS) return conv_type(p, d->alias, &t->elem);
    const char *what = d->kind == WIT_TD_RECORD ? "field" : d->kind == WIT_TD_FLAGS ? "flag" : "case";
    if ((e = conv_fields(p, d->fields, d->nfields, what, &t->fields, &t->nfields))) return e;
    if (!t->nfields)
        return err_at(d->pos, "%s `%s` must have at least one %s", words[d->kind], d->name, what);
    if (d->kind == WIT_TD_FLAGS && t->nfields > 32)
        return err_at(d->pos, "flags `%s` has %zu flags; at most 32 are allowed", d->name, t->nfields);
    return NULL;
}


/* ---- Resolution and layout -------------------------------------------- */

static wf_wit_type *find_def(builder *p, const char *nm)
{
    for (size_t i = 0; i < p->types.len; i++) {
        wf_wit_type *t = p->types.data[i];
        if (t->kind != WIT_K_REF && t->name && strcmp(t->name, nm) == 0) return t;
    }
    return NULL;
}

/* Follow REF and ALIAS nodes to the structural node. */
static wf_error *resolve(builder *p, const wf_wit_type **slot)
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

static wf_error *layout(wf_wit_type *t, int depth, bool bounded);

static wf_error *layout_of(const wf_wit_type *t, int depth)
{
    if (!t || is_prim(t)) return NULL;
    return layout((wf_wit_type *)t, depth + 1, true);
}

static uint64_t align_to64(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* Validation bound on elem_size(t, 'i64') (Binary.md), also what keeps
 * every 32-bit size and offset computed here from overflowing. */
#define WIT_MAX_SIZE (1ull << 28)

static wf_error *too_big(const wf_wit_type *t, uint64_t size)
{
    return wf_error_at_line(WF_ERR_INVALID, t->line, t->col,
                            "type exceeds maximum byte size (%llu bytes with 64-bit pointers)",
                            (unsigned long long)size);
}

/* Variant-like layout over n cases with payload types ty(i) (NULL = none). */
static wf_error *layout_cases(wf_wit_type *t, const wf_wit_type *const *cases, size_t n)
{
    uint32_t dsize = n <= 256 ? 1 : n <= 65536 ? 2 : 4;
    uint32_t calign = 1, csize = 0, calign64 = 1, csize64 = 0;
    bool many = false;
    WF_VEC(wf_flat) fl = {0};
    wf_vec_push(&fl, WF_FLAT_I32);
    for (size_t i = 0; i < n; i++) {
        const wf_wit_type *c = cases[i];
        if (!c) continue;
        calign = WF_MAX(calign, c->align);
        csize = WF_MAX(csize, c->size);
        calign64 = WF_MAX(calign64, c->align64);
        csize64 = WF_MAX(csize64, c->size64);
        if (c->nflat > WF_WIT_FLAT_MAX) many = true;
        for (uint32_t j = 0; !many && j < c->nflat; j++) {
            if (j + 1 < fl.len) fl.data[j + 1] = join(fl.data[j + 1], c->flat[j]);
            else wf_vec_push(&fl, c->flat[j]);
        }
    }
    uint64_t a64 = WF_MAX(dsize, calign64);
    uint64_t s64 = align_to64(align_to64(dsize, calign64) + csize64, a64);
    if (s64 >= WIT_MAX_SIZE) {
        wf_vec_free(&fl);
        return too_big(t, s64);
    }
    t->align = WF_MAX(dsize, calign);
    t->payload_offset = align_to(dsize, calign);
    t->size = align_to(t->payload_offset + csize, t->align);
    t->align64 = (uint32_t)a64;
    t->size64 = (uint32_t)s64;
    if (many || fl.len > WF_WIT_FLAT_MAX) {
        wf_vec_free(&fl);
        t->nflat = WF_WIT_FLAT_MANY;
        return NULL;
    }
    t->flat = fl.data;
    t->nflat = (uint32_t)fl.len;
    return NULL;
}

/* bounded: t is a value type of its own, whose elem_size(t, 'i64') must be
 * below 2^28; a map's tuple<K, V> entry is not (a map is a list, whatever
 * the size of its entries). */
static wf_error *layout(wf_wit_type *t, int depth, bool bounded)
{
    if (t->state == 2) return NULL;
    if (t->state == 1)
        return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "type `%s` refers to itself",
                                t->name ? t->name : "?");
    if (depth > MAX_LAYOUT_DEPTH)
        return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "types nested too deeply");
    t->state = 1;
    wf_error *e = NULL;
    if (t->kind == WF_WIT_MAP) e = layout((wf_wit_type *)t->elem, depth + 1, false);
    else e = layout_of(t->elem, depth);
    if (e || (e = layout_of(t->err, depth))) return e;
    for (size_t i = 0; i < t->nfields; i++)
        if ((e = layout_of(t->fields[i].type, depth))) return e;
    switch (t->kind) {
    case WF_WIT_MAP: {
        const wf_wit_type *k = t->elem->fields[0].type;
        if (k->kind > WF_WIT_STRING || k->kind == WF_WIT_F32 || k->kind == WF_WIT_F64)
            return wf_error_at_line(WF_ERR_INVALID, t->line, t->col,
                                    "map key type must be a bool, integer, char or string type");
        __attribute__((fallthrough));   /* laid out as list<tuple<K, V>> */
    }
    case WF_WIT_LIST:
        if (t->len) {   /* list<T, N>: as a tuple of N T's */
            const wf_wit_type *el = t->elem;
            uint64_t s64 = (uint64_t)t->len * el->size64, nflat = (uint64_t)t->len * el->nflat;
            if (s64 >= WIT_MAX_SIZE) return too_big(t, s64);
            t->size = t->len * el->size;
            t->align = el->align;
            t->size64 = (uint32_t)s64;
            t->align64 = el->align64;
            if (nflat > WF_WIT_FLAT_MAX || el->nflat > WF_WIT_FLAT_MAX) {
                t->nflat = WF_WIT_FLAT_MANY;
                break;
            }
            t->flat = wf_xmalloc((nflat ? nflat : 1) * sizeof(wf_flat));
            for (uint32_t i = 0; i < t->len; i++)
                memcpy(t->flat + (size_t)i * el->nflat, el->flat, el->nflat * sizeof(wf_flat));
            t->nflat = (uint32_t)nflat;
            break;
        }
        t->size = 8; t->align = 4;
        t->size64 = 16; t->align64 = 8;
        t->flat = wf_xmalloc(2 * sizeof(wf_flat));
        t->flat[0] = t->flat[1] = WF_FLAT_I32;
        t->nflat = 2;
        break;
    case WF_WIT_RECORD: case WF_WIT_TUPLE: {
        uint64_t off = 0, al = 1, nflat = 0, off64 = 0, al64 = 1;
        for (size_t i = 0; i < t->nfields; i++) {
            const wf_wit_type *f = t->fields[i].type;
            off = align_to64(off, f->align);
            t->fields[i].offset = (uint32_t)off;
            off += f->size;
            al = WF_MAX(al, f->align);
            off64 = align_to64(off64, f->align64) + f->size64;
            al64 = WF_MAX(al64, f->align64);
            nflat += f->nflat;
        }
        off64 = align_to64(off64, al64);
        if (off64 >= WIT_MAX_SIZE && bounded) return too_big(t, off64);
        t->align = (uint32_t)al;
        t->size = (uint32_t)align_to64(off, al);
        t->align64 = (uint32_t)al64;
        t->size64 = (uint32_t)off64;
        if (nflat > WF_WIT_FLAT_MAX) {
            t->nflat = WF_WIT_FLAT_MANY;
            break;
        }
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
        e = layout_cases(t, cs, t->nfields);
        free(cs);
        if (e) return e;
        break;
    }
    case WF_WIT_OPTION: {
        const wf_wit_type *cs[2] = { NULL, t->elem };
        if ((e = layout_cases(t, cs, 2))) return e;
        break;
    }
    case WF_WIT_RESULT: {
        const wf_wit_type *cs[2] = { t->elem, t->err };
        if ((e = layout_cases(t, cs, 2))) return e;
        break;
    }
    case WF_WIT_OWN: case WF_WIT_BORROW:
        t->size = t->align = t->size64 = t->align64 = 4;
        t->flat = wf_xmalloc(sizeof(wf_flat));
        t->flat[0] = WF_FLAT_I32;
        t->nflat = 1;
        break;
    case WF_WIT_FLAGS:
        t->size = t->align = t->nfields <= 8 ? 1 : t->nfields <= 16 ? 2 : 4;
        t->size64 = t->align64 = t->size;
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

static wf_error *resolve_all(builder *p)
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
        if (t->kind < WIT_K_REF && (e = layout(t, 0, true))) return e;
    }
    return NULL;
}

wf_error *wf_wit_parse(const char *text, size_t len, wf_wit **out)
{
    builder p = {0};
    wf_arena arena = {0};
    wit_iface *items;
    *out = NULL;
    wf_error *e = wf_wit_parse_items(&arena, text, len, &items);
    for (size_t i = 0; !e && i < items->nitems; i++) {
        const wit_iitem *it = &items->items[i];
        e = it->kind == WIT_II_FUNC ? conv_func(&p, it->func) : conv_tdef(&p, it->type);
    }
    wf_arena_free(&arena);
    if (!e) e = resolve_all(&p);
    wf_wit *w = wf_xcalloc(1, sizeof *w);
    w->funcs = p.funcs.data;
    w->nfuncs = p.funcs.len;
    w->types = p.types.data;
    w->ntypes = p.types.len;
    if (e) {
        wf_wit_free(w);
        return e;
    }
    *out = w;
    return NULL;
}

static void free_fields(wf_wit_field *fs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(fs[i].name);
    free(fs);
}

wf_error *wf_wit_layout(wf_wit_type *t)
{
    return layout_of(t, 0);
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
    case WF_WIT_LIST:
        wf_buf_str(b, "list<");
        type_str(b, t->elem, depth + 1);
        if (t->len) {
            char n[16];
            snprintf(n, sizeof n, ", %u", t->len);
            wf_buf_str(b, n);
        }
        wf_buf_str(b, ">");
        break;
    case WF_WIT_MAP:
        wf_buf_str(b, "map<");
        type_str(b, t->elem->fields[0].type, depth + 1);
        wf_buf_str(b, ", ");
        type_str(b, t->elem->fields[1].type, depth + 1);
        wf_buf_str(b, ">");
        break;
    case WF_WIT_OPTION: wf_buf_str(b, "option<"); type_str(b, t->elem, depth + 1); wf_buf_str(b, ">"); break;
    case WF_WIT_OWN: wf_buf_str(b, "own<resource>"); break;
    case WF_WIT_BORROW: wf_buf_str(b, "borrow<resource>"); break;
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
