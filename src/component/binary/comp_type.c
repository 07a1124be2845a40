/*
 * comp_type.c - type definitions of the component binary: value types
 * (built as wf_wit_type nodes with their Canonical ABI layout), function
 * types (wf_wit_func), resource types, component and instance types with
 * their declarators, core types (function and module types), extern types,
 * the index-space entry a typed import/export/alias makes, and the encoded
 * values of value definitions.
 */
#include "component/binary/comp_int.h"

#include "base/utf8.h"

/* ---- Resource walks -------------------------------------------------------- */

/* A walk over the resources a type refers to; shared value nodes are
 * visited once. */
typedef struct rwalk {
    const wf_carena *arena;
    cphash seen;
    bool (*fn)(void *, const wf_cresource *);
    void *env;
} rwalk;

static bool visit_val(rwalk *w, const wf_wit_type *t)
{
    if (!t || !(wf_carena_flags(w->arena, t) & CFLAG_RES)) return true;
    if (wf_cphash_get(&w->seen, t, NULL)) return true;
    wf_cphash_put(&w->seen, t, NULL, t);
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW) return w->fn(w->env, t->resource);
    if (!visit_val(w, t->elem) || !visit_val(w, t->err)) return false;
    for (size_t i = 0; i < t->nfields; i++)
        if (!visit_val(w, t->fields[i].type)) return false;
    return true;
}

static bool visit_func(rwalk *w, const wf_wit_func *f)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (!visit_val(w, f->params[i].type)) return false;
    for (size_t i = 0; i < f->nresults; i++)
        if (!visit_val(w, f->results[i].type)) return false;
    return true;
}

static bool is_bound(const wf_ctype *t, const wf_cresource *r)
{
    for (size_t i = 0; i < t->nbound; i++)
        if (t->bound[i] == r) return true;
    return false;
}

/* Visit the free resources of t: those bound by t itself or a type nested in
 * it are skipped (they are the type's own). */
typedef struct binders { const wf_ctype *t; const struct binders *up; } binders;

static bool bound_in(const binders *b, const wf_cresource *r)
{
    for (; b; b = b->up)
        if (is_bound(b->t, r)) return true;
    return false;
}

typedef struct fwalk { bool (*fn)(void *, const wf_cresource *); void *env; const binders *b; } fwalk;

static bool free_fn(void *e, const wf_cresource *r)
{
    fwalk *f = e;
    if (bound_in(f->b, r)) return true;
    return f->fn(f->env, r);
}

static bool visit_ctype(const wf_carena *a, const wf_ctype *t, const binders *b, int depth,
                        bool (*fn)(void *, const wf_cresource *), void *env)
{
    if (!t || depth > CMAX_DEPTH) return true;
    fwalk f = { fn, env, b };
    rwalk w = { .arena = a, .fn = free_fn, .env = &f };
    bool ok = true;
    switch (t->kind) {
    case WF_CTYPE_VALUE: ok = visit_val(&w, t->val); break;
    case WF_CTYPE_FUNC: ok = visit_func(&w, t->func); break;
    case WF_CTYPE_RESOURCE: ok = free_fn(&f, t->resource); break;
    case WF_CTYPE_COMPONENT: case WF_CTYPE_INSTANCE: {
        binders nb = { t, b };
        for (size_t i = 0; ok && i < t->nimports; i++)
            ok = visit_ctype(a, t->imports[i].type, &nb, depth + 1, fn, env);
        for (size_t i = 0; ok && i < t->nexports; i++)
            ok = visit_ctype(a, t->exports[i].type, &nb, depth + 1, fn, env);
        break;
    }
    default: break;
    }
    wf_cphash_free(&w.seen);
    return ok;
}

bool wf_cvisit_resources(const wf_carena *a, const wf_ctype *t, bool (*fn)(void *, const wf_cresource *), void *env)
{
    return visit_ctype(a, t, NULL, 0, fn, env);
}

static bool found_any(void *env, const wf_cresource *r)
{
    (void)r;
    *(bool *)env = true;
    return false;
}

bool wf_ctype_has_resource(const wf_carena *a, const wf_ctype *t)
{
    if (!t) return false;
    if (t->kind == WF_CTYPE_RESOURCE || t->nbound) return true;
    bool found = false;
    wf_cvisit_resources(a, t, found_any, &found);
    return found;
}

bool wf_wit_has_borrow(const wf_carena *a, const wf_wit_type *t)
{
    return (wf_carena_flags(a, t) & CFLAG_BORROW) != 0;
}

void wf_citem_from_decl(cctx *x, citem *it, const wf_cdecl *d)
{
    it->type = d->type;
    it->has_resource = d->type && wf_ctype_has_resource(x->arena, d->type);
}

/* ---- Value types ------------------------------------------------------------ */

static bool prim_of(uint8_t b, wf_wit_kind *k)
{
    switch (b) {
    case 0x7f: *k = WF_WIT_BOOL; return true;
    case 0x7e: *k = WF_WIT_S8; return true;
    case 0x7d: *k = WF_WIT_U8; return true;
    case 0x7c: *k = WF_WIT_S16; return true;
    case 0x7b: *k = WF_WIT_U16; return true;
    case 0x7a: *k = WF_WIT_S32; return true;
    case 0x79: *k = WF_WIT_U32; return true;
    case 0x78: *k = WF_WIT_S64; return true;
    case 0x77: *k = WF_WIT_U64; return true;
    case 0x76: *k = WF_WIT_F32; return true;
    case 0x75: *k = WF_WIT_F64; return true;
    case 0x74: *k = WF_WIT_CHAR; return true;
    case 0x73: *k = WF_WIT_STRING; return true;
    default: return false;
    }
}

static const citem *type_at(cctx *x, uint32_t idx, size_t at)
{
    return wf_cscope_get(x, x->scope, WF_CSORT_TYPE, idx, at);
}

bool wf_cread_valtype(cctx *x, const wf_wit_type **out)
{
    size_t at = OFF(x);
    uint8_t b;
    wf_wit_kind k;
    *out = NULL;
    if (!wf_peek_u8(&x->r, &b)) return false;
    if (prim_of(b, &k)) {
        x->r.p++;
        *out = wf_wit_prim(k);
        return true;
    }
    if (b == 0x64) return wf_cunsupported(x, at, "`error-context` is not valid at this time (async is not supported)");
    int64_t idx;
    if (!wf_read_s33(&x->r, &idx)) return false;
    if (idx < 0) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for value type", b);
    const citem *it = type_at(x, (uint32_t)idx, at);
    if (!it) return false;
    if (it->type->kind != WF_CTYPE_VALUE)
        return wf_cinvalid(x, at, "type index %" PRId64 " is not a defined value type", idx);
    *out = it->type->val;
    return true;
}

static bool read_label(cctx *x, char **out)
{
    size_t at = OFF(x);
    if (!wf_cread_name(x, out)) return false;
    if (!wf_clabel_valid(*out, strlen(*out)))
        return wf_cinvalid(x, at, "`%s` is not in kebab case", *out);
    return true;
}

static bool label_unique(cctx *x, const wf_wit_field *fs, size_t n, const char *what, size_t at)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(fs[i].name, fs[j].name))
                return wf_cinvalid(x, at, "%s name `%s` conflicts with previous name `%s`", what,
                                   fs[i].name, fs[j].name);
    return true;
}

/* The node's Canonical ABI layout (wit.c), which also enforces
 * elem_size(t, 'i64') < 2^28 and keeps no flat array for a type too large
 * to ever be passed flat. */
static bool check_layout(cctx *x, wf_wit_type *t, size_t at)
{
    wf_error *e = wf_wit_layout(t);
    if (e) {
        e->offset = (int64_t)at;
        if (!x->r.err) x->r.err = e;
        else wf_error_free(e);
        return false;
    }
    return true;
}

static bool read_opt_valtype(cctx *x, const wf_wit_type **out)
{
    size_t at = OFF(x);
    uint8_t b;
    *out = NULL;
    if (!wf_read_u8(&x->r, &b)) return false;
    if (b == 0x00) return true;
    if (b != 0x01) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for optional value type", b);
    return wf_cread_valtype(x, out);
}

static bool resource_of(cctx *x, const wf_cresource **out, size_t at)
{
    uint32_t idx;
    if (!wf_read_u32(&x->r, &idx)) return false;
    const citem *it = type_at(x, idx, at);
    if (!it) return false;
    if (it->type->kind != WF_CTYPE_RESOURCE) return wf_cinvalid(x, at, "type index %u is not a resource type", idx);
    *out = it->type->resource;
    return true;
}

/* A defvaltype after its first byte b. */
static bool read_defvaltype(cctx *x, uint8_t b, size_t at, const wf_wit_type **out)
{
    wf_wit_kind k;
    if (prim_of(b, &k)) {
        *out = wf_wit_prim(k);
        return true;
    }
    wf_carena *a = x->arena;
    uint32_t n;
    wf_wit_type *t = NULL;
    switch (b) {
    case 0x72: case 0x6f: { /* record, tuple */
        bool rec = b == 0x72;
        if (!wf_cread_count(x, &n)) return false;
        if (n == 0) return wf_cinvalid(x, at, rec ? "record type must have at least one field"
                                                  : "tuple type must have at least one type");
        t = wf_carena_wit(a, rec ? WF_WIT_RECORD : WF_WIT_TUPLE);
        t->fields = wf_arena_alloc(&a->mem, n * sizeof *t->fields);
        t->nfields = n;
        for (uint32_t i = 0; i < n; i++) {
            if (rec && !read_label(x, &t->fields[i].name)) return false;
            if (!wf_cread_valtype(x, &t->fields[i].type)) return false;
        }
        if (rec && !label_unique(x, t->fields, n, "record field", at)) return false;
        break;
    }
    case 0x71: { /* variant */
        if (!wf_cread_count(x, &n)) return false;
        if (n == 0) return wf_cinvalid(x, at, "variant type must have at least one case");
        t = wf_carena_wit(a, WF_WIT_VARIANT);
        t->fields = wf_arena_alloc(&a->mem, n * sizeof *t->fields);
        t->nfields = n;
        for (uint32_t i = 0; i < n; i++) {
            size_t cat = OFF(x);
            uint8_t z;
            if (!read_label(x, &t->fields[i].name) || !read_opt_valtype(x, &t->fields[i].type) ||
                !wf_read_u8(&x->r, &z))
                return false;
            if (z != 0x00) return wf_cmalformed(x, cat, "variant case refines are not supported (expected 0x00)");
        }
        if (!label_unique(x, t->fields, n, "variant case", at)) return false;
        break;
    }
    case 0x70: /* list */
        t = wf_carena_wit(a, WF_WIT_LIST);
        if (!wf_cread_valtype(x, &t->elem)) return false;
        break;
    case 0x6e: case 0x6d: { /* flags, enum */
        bool flags = b == 0x6e;
        if (!wf_cread_count(x, &n)) return false;
        if (n == 0) return wf_cinvalid(x, at, flags ? "flags must have at least one entry" : "enum type must have at least one variant");
        if (flags && n > 32) return wf_cinvalid(x, at, "cannot have more than 32 flags");
        t = wf_carena_wit(a, flags ? WF_WIT_FLAGS : WF_WIT_ENUM);
        t->fields = wf_arena_alloc(&a->mem, n * sizeof *t->fields);
        t->nfields = n;
        for (uint32_t i = 0; i < n; i++)
            if (!read_label(x, &t->fields[i].name)) return false;
        if (!label_unique(x, t->fields, n, flags ? "flag" : "enum tag", at)) return false;
        break;
    }
    case 0x6b:
        t = wf_carena_wit(a, WF_WIT_OPTION);
        if (!wf_cread_valtype(x, &t->elem)) return false;
        break;
    case 0x6a:
        t = wf_carena_wit(a, WF_WIT_RESULT);
        if (!read_opt_valtype(x, &t->elem) || !read_opt_valtype(x, &t->err)) return false;
        break;
    case 0x69: case 0x68:
        t = wf_carena_wit(a, b == 0x69 ? WF_WIT_OWN : WF_WIT_BORROW);
        if (!resource_of(x, &t->resource, at)) return false;
        break;
    case 0x67: { /* fixed-size list */
        t = wf_carena_wit(a, WF_WIT_LIST);
        if (!wf_cread_valtype(x, &t->elem) || !wf_read_u32(&x->r, &t->len)) return false;
        if (t->len == 0) return wf_cinvalid(x, at, "Fixed size lists must have more than zero elements");
        break;
    }
    case 0x66: case 0x65: {
        const wf_wit_type *e;
        if (!read_opt_valtype(x, &e)) return false;
        return wf_cunsupported(x, at, "`%s` types are not valid at this time (async is not supported)",
                           b == 0x66 ? "stream" : "future");
    }
    case 0x63: {
        /* map<K, V>: elem is the tuple<K, V> it despecializes to (wit.h) */
        wf_wit_type *kv = wf_carena_wit(a, WF_WIT_TUPLE);
        kv->fields = wf_arena_alloc(&a->mem, 2 * sizeof *kv->fields);
        kv->nfields = 2;
        size_t kat = OFF(x);
        if (!wf_cread_valtype(x, &kv->fields[0].type) || !wf_cread_valtype(x, &kv->fields[1].type))
            return false;
        wf_wit_kind kk = kv->fields[0].type->kind;
        if (kk > WF_WIT_STRING || kk == WF_WIT_F32 || kk == WF_WIT_F64)
            return wf_cinvalid(x, kat, "map key must be a bool, integer, char or string type");
        wf_carena_flag(x->arena, kv);   /* laid out with the map (wit.c) */
        t = wf_carena_wit(a, WF_WIT_MAP);
        t->elem = kv;
        break;
    }
    case 0x64:
        return wf_cunsupported(x, at, "`error-context` is not valid at this time (async is not supported)");
    default:
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for component defined type", b);
    }
    if (!check_layout(x, t, at)) return false;
    wf_carena_flag(x->arena, t);
    *out = t;
    return true;
}

/* ---- Function types -------------------------------------------------------- */

static bool read_functype(cctx *x, size_t at, const wf_wit_func **out)
{
    wf_carena *a = x->arena;
    uint32_t n;
    if (!wf_cread_count(x, &n)) return false;
    wf_wit_func *f = wf_arena_alloc(&a->mem, sizeof *f);
    f->params = wf_arena_alloc(&a->mem, (n + 1) * sizeof *f->params);
    f->nparams = n;
    for (uint32_t i = 0; i < n; i++)
        if (!read_label(x, &f->params[i].name) || !wf_cread_valtype(x, &f->params[i].type)) return false;
    if (!label_unique(x, f->params, n, "function parameter", at)) return false;
    size_t rat = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    f->results = wf_arena_alloc(&a->mem, sizeof *f->results);
    if (b == 0x00) {
        f->nresults = 1;
        if (!wf_cread_valtype(x, &f->results[0].type)) return false;
        if (wf_wit_has_borrow(x->arena, f->results[0].type))
            return wf_cinvalid(x, rat, "function result cannot contain a `borrow` type");
    } else if (b == 0x01) {
        uint8_t z;
        if (!wf_read_u8(&x->r, &z)) return false;
        if (z != 0x00) return wf_cmalformed(x, rat, "named function results are not supported (invalid leading byte 0x%x)", z);
    } else {
        return wf_cmalformed(x, rat, "invalid leading byte (0x%x) for component function results", b);
    }
    *out = f;
    return true;
}

/* ---- Core types ------------------------------------------------------------ */

static bool read_core_valtype(cctx *x, wf_valtype *t)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    switch (b) {
    case 0x7f: *t = WF_TYPE_I32; return true;
    case 0x7e: *t = WF_TYPE_I64; return true;
    case 0x7d: *t = WF_TYPE_F32; return true;
    case 0x7c: *t = WF_TYPE_F64; return true;
    case 0x7b: *t = (wf_valtype){ WF_V128, 0, 0, 0 }; return true;
    case 0x70: *t = WF_TYPE_FUNCREF; return true;
    case 0x6f: *t = WF_TYPE_EXTERNREF; return true;
    default: return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core value type", b);
    }
}

static bool read_core_functype_body(cctx *x, const wf_functype **out)
{
    uint32_t np, nr;
    if (!wf_cread_count(x, &np)) return false;
    wf_valtype *ps = wf_xcalloc(np + 1, sizeof *ps);
    for (uint32_t i = 0; i < np; i++)
        if (!read_core_valtype(x, &ps[i])) { free(ps); return false; }
    if (!wf_cread_count(x, &nr)) { free(ps); return false; }
    wf_valtype *rs = wf_xcalloc(nr + 1, sizeof *rs);
    for (uint32_t i = 0; i < nr; i++)
        if (!read_core_valtype(x, &rs[i])) { free(ps); free(rs); return false; }
    *out = wf_functype_get(ps, np, rs, nr);
    free(ps);
    free(rs);
    return true;
}

static bool read_limits(cctx *x, wf_limits *l)
{
    size_t at = OFF(x);
    uint8_t f;
    if (!wf_read_u8(&x->r, &f)) return false;
    if (f > 0x07) return wf_cmalformed(x, at, "invalid limits flags 0x%x", f);
    l->has_max = f & 1;
    l->shared = (f & 2) != 0;
    l->is64 = (f & 4) != 0;
    if (l->is64) {
        if (!wf_read_u64(&x->r, &l->min) || (l->has_max && !wf_read_u64(&x->r, &l->max))) return false;
    } else {
        uint32_t a = 0, b = 0;
        if (!wf_read_u32(&x->r, &a) || (l->has_max && !wf_read_u32(&x->r, &b))) return false;
        l->min = a;
        l->max = b;
    }
    if (l->has_max && l->max < l->min) return wf_cinvalid(x, at, "size minimum must not be greater than maximum");
    return true;
}

static bool core_functype_at(cctx *x, cscope *s, uint32_t idx, size_t at, const wf_functype **out)
{
    const citem *it = wf_cscope_get(x, s, WF_CSORT_CORE_TYPE, idx, at);
    if (!it) return false;
    if (it->type->kind != WF_CTYPE_CORE_FUNC) return wf_cinvalid(x, at, "core type %u is not a function type", idx);
    *out = it->type->core_func;
    return true;
}

/* core:externtype (import/export descriptor) in a module type. */
static bool read_core_externtype(cctx *x, cscope *s, wf_ccoredecl *c)
{
    size_t at = OFF(x);
    uint8_t b;
    uint32_t idx;
    if (!wf_read_u8(&x->r, &b)) return false;
    c->kind = b;
    switch (b) {
    case 0x00:
        return wf_read_u32(&x->r, &idx) && core_functype_at(x, s, idx, at, &c->type.func);
    case 0x01:
        if (!read_core_valtype(x, &c->type.table.elem)) return false;
        if (c->type.table.elem.kind != WF_REF) return wf_cmalformed(x, at, "malformed reference type");
        return read_limits(x, &c->type.table.limits);
    case 0x02:
        if (!read_limits(x, &c->type.mem.limits)) return false;
        if (!c->type.mem.limits.is64 && (c->type.mem.limits.min > 65536 ||
                                         (c->type.mem.limits.has_max && c->type.mem.limits.max > 65536)))
            return wf_cinvalid(x, at, "memory size must be at most 65536 pages (4GiB)");
        return true;
    case 0x03: {
        uint8_t m;
        if (!read_core_valtype(x, &c->type.global.type) || !wf_read_u8(&x->r, &m)) return false;
        if (m > 1) return wf_cmalformed(x, at, "malformed mutability");
        c->type.global.mut = m;
        return true;
    }
    case 0x04: {
        uint8_t z;
        if (!wf_read_u8(&x->r, &z) || !wf_read_u32(&x->r, &idx)) return false;
        if (z != 0) return wf_cmalformed(x, at, "malformed tag attribute");
        return core_functype_at(x, s, idx, at, &c->type.func);
    }
    default:
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core external kind", b);
    }
}

static bool read_core_type_in(cctx *x, bool in_module_type, const wf_ctype **out);

static bool read_module_type(cctx *x, size_t at, const wf_ctype **out)
{
    if (x->depth >= CMAX_DEPTH) return wf_cinvalid(x, at, "types nested too deeply");
    cscope s;
    wf_cscope_init(&s, CSCOPE_MODULE_TYPE, x->scope);
    cscope *saved = x->scope;
    x->scope = &s;
    x->depth++;
    uint32_t n;
    bool ok = wf_cread_count(x, &n);
    for (uint32_t i = 0; ok && i < n; i++) {
        size_t dat = OFF(x);
        uint8_t k;
        if (!(ok = wf_read_u8(&x->r, &k))) break;
        switch (k) {
        case 0x00: {
            wf_ccoredecl c;
            memset(&c, 0, sizeof c);
            char *mod, *name;
            ok = wf_cread_name(x, &mod) && wf_cread_name(x, &name) && read_core_externtype(x, &s, &c);
            if (!ok) break;
            c.module = mod;
            c.name = name;
            for (size_t j = 0; j < s.core_imports.len; j++)
                if (!strcmp(s.core_imports.data[j].module, mod) && !strcmp(s.core_imports.data[j].name, name)) {
                    ok = wf_cinvalid(x, dat, "duplicate import name `%s:%s` already defined", mod, name);
                    break;
                }
            if (ok) wf_vec_push(&s.core_imports, c);
            break;
        }
        case 0x01: {
            const wf_ctype *t;
            if (!(ok = read_core_type_in(x, true, &t))) break;
            wf_cscope_push(&s, WF_CSORT_CORE_TYPE)->type = t;
            break;
        }
        case 0x02: {
            uint8_t s1, s2;
            uint32_t ct, idx;
            ok = wf_read_u8(&x->r, &s1) && wf_read_u8(&x->r, &s2);
            if (!ok) break;
            if (s1 != 0x10) { ok = wf_cmalformed(x, dat, "invalid leading byte (0x%x) for outer alias target", s1); break; }
            if (s2 != 0x01) { ok = wf_cmalformed(x, dat, "invalid leading byte (0x%x) for outer alias kind", s2); break; }
            ok = wf_read_u32(&x->r, &ct) && wf_read_u32(&x->r, &idx);
            if (!ok) break;
                        const citem *t = wf_cresolve_outer(x, &s, WF_CSORT_CORE_TYPE, ct, idx, dat);
            if (!(ok = t != NULL)) break;
            if (t->type->kind == WF_CTYPE_CORE_MODULE) {
                ok = wf_cinvalid(x, dat, "cannot alias a core module type into a module type");
                break;
            }
            *wf_cscope_push(&s, WF_CSORT_CORE_TYPE) = *t;
            break;
        }
        case 0x03: {
            wf_ccoredecl c;
            memset(&c, 0, sizeof c);
            char *name;
            ok = wf_cread_name(x, &name) && read_core_externtype(x, &s, &c);
            if (!ok) break;
            c.name = name;
            for (size_t j = 0; j < s.core_exports.len; j++)
                if (!strcmp(s.core_exports.data[j].name, name)) {
                    ok = wf_cinvalid(x, dat, "duplicate export name `%s` already defined", name);
                    break;
                }
            if (ok) wf_vec_push(&s.core_exports, c);
            break;
        }
        default:
            ok = wf_cmalformed(x, dat, "invalid leading byte (0x%x) for module type declaration", k);
        }
    }
    x->depth--;
    x->scope = saved;
    if (ok) {
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_CORE_MODULE);
        t->core_imports = wf_arena_dup(&x->arena->mem, s.core_imports.data, s.core_imports.len * sizeof(wf_ccoredecl));
        t->ncore_imports = s.core_imports.len;
        t->core_exports = wf_arena_dup(&x->arena->mem, s.core_exports.data, s.core_exports.len * sizeof(wf_ccoredecl));
        t->ncore_exports = s.core_exports.len;
        *out = t;
    }
    wf_cscope_fini(&s);
    return ok;
}

static bool read_core_type_in(cctx *x, bool in_module_type, const wf_ctype **out)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    if (b == 0x60) {
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_CORE_FUNC);
        if (!read_core_functype_body(x, &t->core_func)) return false;
        *out = t;
        return true;
    }
    if (b == 0x50) {
        if (in_module_type) return wf_cinvalid(x, at, "invalid leading byte (0x50): module types cannot nest");
        return read_module_type(x, at, out);
    }
    if (b == 0x00 || b == 0x4e || b == 0x4f || b == 0x5f || b == 0x5e)
        return wf_cunsupported(x, at, "core GC types (rec, sub, struct, array) are not supported in components");
    return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core type", b);
}

bool wf_cread_core_type(cctx *x, const wf_ctype **out)
{
    return read_core_type_in(x, false, out);
}

/* ---- Extern types ------------------------------------------------------------ */

static bool type_idx_kind(cctx *x, wf_ctype_kind k, const char *what, const wf_ctype **out)
{
    size_t at = OFF(x);
    uint32_t idx;
    if (!wf_read_u32(&x->r, &idx)) return false;
    const citem *it = type_at(x, idx, at);
    if (!it) return false;
    if (it->type->kind != k) return wf_cinvalid(x, at, "type index %u is not a %s type", idx, what);
    *out = it->type;
    return true;
}

bool wf_cread_externtype(cctx *x, const char *name, wf_cres_kind rk, wf_cdecl *d)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    switch (b) {
    case 0x00: {
        uint8_t s;
        uint32_t idx;
        if (!wf_read_u8(&x->r, &s)) return false;
        if (s != 0x11) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core sort in extern type", s);
        if (!wf_read_u32(&x->r, &idx)) return false;
        const citem *it = wf_cscope_get(x, x->scope, WF_CSORT_CORE_TYPE, idx, at);
        if (!it) return false;
        if (it->type->kind != WF_CTYPE_CORE_MODULE) return wf_cinvalid(x, at, "core type index %u is not a module type", idx);
        d->sort = WF_CSORT_CORE_MODULE;
        d->type = it->type;
        return true;
    }
    case 0x01:
        d->sort = WF_CSORT_FUNC;
        return type_idx_kind(x, WF_CTYPE_FUNC, "function", &d->type);
    case 0x02: {
        uint8_t k;
        d->sort = WF_CSORT_VALUE;
        if (!wf_read_u8(&x->r, &k)) return false;
        if (k == 0x00) {
            uint32_t idx;
            if (!wf_read_u32(&x->r, &idx)) return false;
            const citem *it = wf_cscope_get(x, x->scope, WF_CSORT_VALUE, idx, at);
            if (!it) return false;
            d->type = it->type;
            /* (eq v) consumes nothing but refers to the value */
            return true;
        }
        if (k != 0x01) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for value bound", k);
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_VALUE);
        if (!wf_cread_valtype(x, &t->val)) return false;
        d->type = t;
        return true;
    }
    case 0x03: {
        uint8_t k;
        d->sort = WF_CSORT_TYPE;
        if (!wf_read_u8(&x->r, &k)) return false;
        if (k == 0x00) {
            uint32_t idx;
            if (!wf_read_u32(&x->r, &idx)) return false;
            const citem *it = type_at(x, idx, at);
            if (!it) return false;
            d->type = it->type;
            return true;
        }
        if (k != 0x01) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for type bound", k);
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_RESOURCE);
        t->resource = wf_carena_resource(x->arena, rk, name);
        d->type = t;
        return true;
    }
    case 0x04:
        d->sort = WF_CSORT_COMPONENT;
        return type_idx_kind(x, WF_CTYPE_COMPONENT, "component", &d->type);
    case 0x05:
        d->sort = WF_CSORT_INSTANCE;
        if (!type_idx_kind(x, WF_CTYPE_INSTANCE, "instance", &d->type)) return false;
        /* each import/export of an instance type gets its own resources */
        if (d->type->nbound) {
            cresmap m = {0};
            wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_INSTANCE);
            *t = *wf_csubst(x, d->type, &m);
            /* the fresh resources are bound by the enclosing scope (its
             * import or export introduces them) */
            for (size_t i = 0; i < t->nbound; i++) wf_vec_push(&x->scope->bound, t->bound[i]);
            t->bound = NULL;
            t->nbound = 0;
            wf_cresmap_free(&m);
            d->type = t;
        }
        return true;
    default:
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for component external kind", b);
    }
}

/* ---- Component and instance types -------------------------------------------- */


static bool type_decl(cctx *x, cscope *s, bool is_import)
{
    size_t at = OFF(x);
    char *name;
    bool impl;
    if (!wf_cread_extern_name(x, &name, &impl)) return false;
    cname nm;
    if (!wf_cname_parse(x, name, &nm, at)) return false;
    wf_cdecl d = { .name = name };
    if (!wf_cread_externtype(x, name, WF_CRES_ABSTRACT, &d)) return false;
    if (!wf_ccheck_implements(x, impl, &nm, &d, at)) return false;
    bool fresh = d.sort == WF_CSORT_TYPE && d.type->kind == WF_CTYPE_RESOURCE && d.type->resource->name == name;
    if (d.sort == WF_CSORT_TYPE && !fresh) d.type = wf_cvis_name(x, d.type, name);
    if (is_import) {
        if (!wf_cname_unique(x, s->imports.data, s->imports.len, name, at)) return false;
        if (!wf_cname_check_decl(x, &nm, &d, s->imports.data, s->imports.len, at)) return false;
        wf_vec_push(&s->imports, d);
    } else {
        if (!wf_cname_unique(x, s->exports.data, s->exports.len, name, at)) return false;
        if (!wf_cname_check_decl(x, &nm, &d, s->exports.data, s->exports.len, at)) return false;
        wf_vec_push(&s->exports, d);
    }
    if (fresh) wf_vec_push(&s->bound, d.type->resource);
    citem *it = wf_cscope_push(s, d.sort);
    wf_citem_from_decl(x, it, &d);
    return true;
}

static bool alias_decl(cctx *x, cscope *s)
{
    size_t at = OFF(x);
    uint8_t sort, tag;
    if (!wf_cread_sort(x, &sort) || !wf_read_u8(&x->r, &tag)) return false;
    if (tag == 0x00) {
        uint32_t idx;
        char *name;
        if (!wf_read_u32(&x->r, &idx) || !wf_cread_name(x, &name)) return false;
        if (sort != WF_CSORT_TYPE && sort != WF_CSORT_INSTANCE)
            return wf_cinvalid(x, at, "export aliases in a type may only alias types and instances");
        const citem *inst = wf_cscope_get(x, s, WF_CSORT_INSTANCE, idx, at);
        if (!inst) return false;
        const wf_cdecl *e = NULL;
        for (size_t i = 0; i < inst->type->nexports && !e; i++)
            if (!strcmp(inst->type->exports[i].name, name)) e = &inst->type->exports[i];
        if (!e) return wf_cinvalid(x, at, "instance %u has no export named `%s`", idx, name);
        if (e->sort != sort) return wf_cinvalid(x, at, "export `%s` for instance %u is not a %s", name, idx, wf_csort_name(sort));
        wf_citem_from_decl(x, wf_cscope_push(s, sort), e);
        return true;
    }
    if (tag == 0x01) {
        uint32_t idx;
        char *name;
        if (!wf_read_u32(&x->r, &idx) || !wf_cread_name(x, &name)) return false;
        return wf_cinvalid(x, at, "core export aliases are not allowed in a type");
    }
    if (tag == 0x02) {
        uint32_t ct, idx;
        if (!wf_read_u32(&x->r, &ct) || !wf_read_u32(&x->r, &idx)) return false;
        if (sort != WF_CSORT_TYPE && sort != WF_CSORT_CORE_TYPE)
            return wf_cinvalid(x, at, "outer aliases in a type may only alias types and core types");
        const citem *t = wf_cresolve_outer(x, s, sort, ct, idx, at);
        if (!t) return false;
        citem copy = *t;
        *wf_cscope_push(s, sort) = copy;
        return true;
    }
    return wf_cmalformed(x, at, "invalid leading byte (0x%x) for alias", tag);
}

static bool read_decl_type(cctx *x, bool component, size_t at, const wf_ctype **out)
{
    if (x->depth >= CMAX_DEPTH) return wf_cinvalid(x, at, "types nested too deeply");
    cscope s;
    wf_cscope_init(&s, component ? CSCOPE_COMPONENT_TYPE : CSCOPE_INSTANCE_TYPE, x->scope);
    cscope *saved = x->scope;
    x->scope = &s;
    x->depth++;
    uint32_t n;
    bool ok = wf_cread_count(x, &n);
    for (uint32_t i = 0; ok && i < n; i++) {
        size_t dat = OFF(x);
        uint8_t k;
        if (!(ok = wf_read_u8(&x->r, &k))) break;
        switch (k) {
        case 0x00: {
            const wf_ctype *t;
            if ((ok = wf_cread_core_type(x, &t))) wf_cscope_push(&s, WF_CSORT_CORE_TYPE)->type = t;
            break;
        }
        case 0x01: {
            const wf_ctype *t;
            if ((ok = wf_cread_type(x, &t))) {
                citem *it = wf_cscope_push(&s, WF_CSORT_TYPE);
                it->type = t;
                it->has_resource = wf_ctype_has_resource(x->arena, t);
            }
            break;
        }
        case 0x02: ok = alias_decl(x, &s); break;
        case 0x03:
            if (!component) { ok = wf_cmalformed(x, dat, "invalid leading byte (0x3) for instance type declaration: imports are not allowed"); break; }
            ok = type_decl(x, &s, true);
            break;
        case 0x04: ok = type_decl(x, &s, false); break;
        default:
            ok = wf_cmalformed(x, dat, "invalid leading byte (0x%x) for %s type declaration", k,
                               component ? "component" : "instance");
        }
    }
    x->depth--;
    x->scope = saved;
    if (ok) {
        wf_ctype *t = wf_carena_ctype(x->arena, component ? WF_CTYPE_COMPONENT : WF_CTYPE_INSTANCE);
        t->imports = wf_arena_dup(&x->arena->mem, s.imports.data, s.imports.len * sizeof(wf_cdecl));
        t->nimports = s.imports.len;
        t->exports = wf_arena_dup(&x->arena->mem, s.exports.data, s.exports.len * sizeof(wf_cdecl));
        t->nexports = s.exports.len;
        t->bound = wf_arena_dup(&x->arena->mem, s.bound.data, s.bound.len * sizeof(wf_cresource *));
        t->nbound = s.bound.len;
        /* component types are checked for visibility when defined */
        if (component && !wf_cvis_check_component_type(x, t, at)) ok = false;
        /* exported value types may not contain borrow */
        for (size_t i = 0; i < t->nexports; i++)
            if (t->exports[i].sort == WF_CSORT_VALUE && wf_wit_has_borrow(x->arena, t->exports[i].type->val)) {
                ok = wf_cinvalid(x, at, "export `%s` is a value containing `borrow`", t->exports[i].name);
                break;
            }
        *out = t;
    }
    wf_cscope_fini(&s);
    return ok;
}

/* ---- Types ------------------------------------------------------------------- */

static bool read_resource_type(cctx *x, size_t at, const wf_ctype **out)
{
    uint8_t rep, has;
    if (!wf_read_u8(&x->r, &rep)) return false;
    if (rep != 0x7f) {
        if (rep == 0x7e || rep == 0x7d || rep == 0x7c)
            return wf_cinvalid(x, at, "resources can only be represented by `i32`");
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for resource representation", rep);
    }
    if (!wf_read_u8(&x->r, &has)) return false;
    if (has > 1) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for optional destructor", has);
    uint32_t dtor = 0;
    if (has && !wf_read_u32(&x->r, &dtor)) return false;
    if (x->scope->kind != CSCOPE_COMPONENT)
        return wf_cinvalid(x, at, "resources can only be defined within a concrete component");
    if (has) {
        const citem *f = wf_cscope_get(x, x->scope, WF_CSORT_CORE_FUNC, dtor, at);
        if (!f) return false;
        static const wf_valtype i32 = { WF_I32, 0, 0, 0 };
        if (f->core.type.func != wf_functype_get(&i32, 1, NULL, 0))
            return wf_cinvalid(x, at, "wrong signature for a destructor: expected (func (param i32))");
    }
    wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_RESOURCE);
    wf_cresource *r = wf_carena_resource(x->arena, WF_CRES_DEFINED, NULL);
    r->has_dtor = has;
    r->dtor = dtor;
    r->owner = x->scope->comp;
    t->resource = r;
    wf_vec_push(&x->scope->bound, r);
    *out = t;
    return true;
}

bool wf_cread_type(cctx *x, const wf_ctype **out)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    switch (b) {
    case 0x40: {
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_FUNC);
        if (!read_functype(x, at, &t->func)) return false;
        *out = t;
        return true;
    }
    case 0x43: {
        const wf_wit_func *f;
        if (!read_functype(x, at, &f)) return false;
        return wf_cunsupported(x, at, "async functions are not supported");
    }
    case 0x41: return read_decl_type(x, true, at, out);
    case 0x42: return read_decl_type(x, false, at, out);
    case 0x3f: return read_resource_type(x, at, out);
    default: {
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_VALUE);
        if (!read_defvaltype(x, b, at, &t->val)) return false;
        *out = t;
        return true;
    }
    }
}

/* ---- Values (value definitions) --------------------------------------------- */

static bool read_value_depth(cctx *x, const wf_wit_type *t, int depth)
{
    size_t at = OFF(x);
    uint64_t v;
    uint8_t b;
    const uint8_t *p;
    if (depth > 100) return wf_cinvalid(x, at, "value nested too deeply");
    switch (t->kind) {
    case WF_WIT_BOOL:
        if (!wf_read_u8(&x->r, &b)) return false;
        if (b > 1) return wf_cmalformed(x, at, "invalid boolean value");
        return true;
    case WF_WIT_S8: case WF_WIT_U8: return wf_read_u8(&x->r, &b);
    case WF_WIT_S16: return wf_read_leb_slow_(&x->r, 16, true, &v);
    case WF_WIT_U16: return wf_read_leb_slow_(&x->r, 16, false, &v);
    case WF_WIT_S32: return wf_read_leb_slow_(&x->r, 32, true, &v);
    case WF_WIT_U32: return wf_read_leb_slow_(&x->r, 32, false, &v);
    case WF_WIT_S64: return wf_read_leb_slow_(&x->r, 64, true, &v);
    case WF_WIT_U64: return wf_read_leb_slow_(&x->r, 64, false, &v);
    case WF_WIT_F32: {
        uint32_t bits;
        if (!wf_read_f32(&x->r, &bits)) return false;
        if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffff) && bits != 0x7fc00000u)
            return wf_cmalformed(x, at, "invalid f32 value: non-canonical NaN");
        return true;
    }
    case WF_WIT_F64: {
        uint64_t bits;
        if (!wf_read_f64(&x->r, &bits)) return false;
        if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0xfffffffffffffull) &&
            bits != 0x7ff8000000000000ull)
            return wf_cmalformed(x, at, "invalid f64 value: non-canonical NaN");
        return true;
    }
    case WF_WIT_CHAR: {
        size_t n = wf_utf8_decode(x->r.p, wf_reader_left(&x->r), NULL);
        if (!n) return wf_cmalformed(x, at, "malformed UTF-8 encoding of a char value");
        return wf_reader_skip(&x->r, n);
    }
    case WF_WIT_STRING: {
        char *s;
        return wf_cread_name(x, &s);
    }
    case WF_WIT_LIST: case WF_WIT_MAP: {
        uint32_t n = t->len;   /* a fixed-length list has no length prefix */
        if (!n && !wf_cread_count(x, &n)) return false;
        for (uint32_t i = 0; i < n; i++)
            if (!read_value_depth(x, t->elem, depth + 1)) return false;
        return true;
    }
    case WF_WIT_RECORD: case WF_WIT_TUPLE:
        for (size_t i = 0; i < t->nfields; i++)
            if (!read_value_depth(x, t->fields[i].type, depth + 1)) return false;
        return true;
    case WF_WIT_VARIANT: case WF_WIT_ENUM: {
        uint32_t i;
        if (!wf_read_u32(&x->r, &i)) return false;
        if (i >= t->nfields) return wf_cmalformed(x, at, "invalid variant case %u", i);
        return !t->fields[i].type || read_value_depth(x, t->fields[i].type, depth + 1);
    }
    case WF_WIT_FLAGS:
        return wf_read_bytes(&x->r, (t->nfields + 7) / 8, &p);
    case WF_WIT_OPTION:
        if (!wf_read_u8(&x->r, &b)) return false;
        if (b > 1) return wf_cmalformed(x, at, "invalid option discriminant");
        return !b || read_value_depth(x, t->elem, depth + 1);
    case WF_WIT_RESULT: {
        if (!wf_read_u8(&x->r, &b)) return false;
        if (b > 1) return wf_cmalformed(x, at, "invalid result discriminant");
        const wf_wit_type *c = b ? t->err : t->elem;
        return !c || read_value_depth(x, c, depth + 1);
    }
    default:
        return wf_cinvalid(x, at, "values of resource handle types cannot be defined");
    }
}

bool wf_cread_value(cctx *x, const wf_wit_type *t, size_t end)
{
    const uint8_t *saved = x->r.end;
    size_t left = end - wf_reader_offset(&x->r);
    x->r.end = x->r.p + left;
    bool ok = read_value_depth(x, t, 0);
    x->r.end = saved;
    return ok;
}
