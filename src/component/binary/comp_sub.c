/*
 * comp_sub.c - type checking between component types (Explainer.md "Type
 * checking"): value and function types compare structurally (equality);
 * module, instance and component types by subtyping (a subtype exports
 * more and imports less, by name); a `(sub resource)` bound of the expected
 * type is bound to the actual resource as it is met. And substitution: a
 * type with some resources replaced, used when a component is instantiated
 * (imports by the given arguments, its own resources renamed fresh) and
 * when an instance type is imported (its abstract resources become fresh).
 * Also core module subtyping (imports and exports by two-level name), for
 * module imports and core instantiation arguments.
 */
#include "component/binary/comp_int.h"

#include <stdio.h>

/* ---- Resource maps ---------------------------------------------------------- */

void wf_cresmap_free(cresmap *m)
{
    wf_vec_free(&m->from);
    wf_vec_free(&m->to);
    wf_vec_free(&m->vfrom);
    wf_vec_free(&m->vto);
}

/* Maps are keyed by root resources (aliases are names of the same type). */
const wf_cresource *wf_cresmap_get(const cresmap *m, const wf_cresource *r)
{
    r = wf_cresource_root(r);
    for (size_t i = m->from.len; i-- > 0;)
        if (m->from.data[i] == r) return m->to.data[i];
    return r;
}

static bool mapped(const cresmap *m, const wf_cresource *r)
{
    r = wf_cresource_root(r);
    for (size_t i = 0; i < m->from.len; i++)
        if (m->from.data[i] == r) return true;
    return false;
}

static void map_add(cresmap *m, const wf_cresource *from, const wf_cresource *to)
{
    wf_vec_push(&m->from, wf_cresource_root(from));
    wf_vec_push(&m->to, wf_cresource_root(to));
}

/* ---- Equality of value and function types ----------------------------------- */

typedef struct sctx {
    cctx *x;
    cresmap *m;
    cphash eq;       /* pairs known equal (value nodes) */
    char why[256];   /* the first difference found */
} sctx;

static bool res_eq(sctx *s, const wf_cresource *a, const wf_cresource *b)
{
    return wf_cresmap_get(s->m, a) == wf_cresmap_get(s->m, b);
}

static bool names_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static bool val_eq(sctx *s, const wf_wit_type *a, const wf_wit_type *b, int depth)
{
    if (a == b && !(wf_carena_flags(s->x->arena, a) & CFLAG_RES)) return true;
    if (!a || !b) return false;
    if (depth > 200) return false;
    if (wf_cphash_get(&s->eq, a, b)) return true;
    if (a->kind != b->kind) {
        char *sa = wf_wit_type_str(a), *sb = wf_wit_type_str(b);
        snprintf(s->why, sizeof s->why, "expected %s, found %s", sb, sa);
        free(sa);
        free(sb);
        return false;
    }
    switch (a->kind) {
    case WF_WIT_OWN: case WF_WIT_BORROW:
        if (!res_eq(s, a->resource, b->resource)) {
            snprintf(s->why, sizeof s->why, "resource types are not the same");
            return false;
        }
        break;
    case WF_WIT_LIST: case WF_WIT_MAP: case WF_WIT_OPTION: case WF_WIT_RESULT:
        if (a->len != b->len) {   /* list<T, N> is not list<T> nor list<T, M> */
            snprintf(s->why, sizeof s->why, "expected a list of length %u, found %u", b->len, a->len);
            return false;
        }
        if (!a->elem != !b->elem || !a->err != !b->err) {
            snprintf(s->why, sizeof s->why, "expected a different %s type", a->kind == WF_WIT_RESULT ? "result" : "element");
            return false;
        }
        if ((a->elem && !val_eq(s, a->elem, b->elem, depth + 1)) ||
            (a->err && !val_eq(s, a->err, b->err, depth + 1)))
            return false;
        break;
    case WF_WIT_RECORD: case WF_WIT_TUPLE: case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_FLAGS:
        if (a->nfields != b->nfields) {
            snprintf(s->why, sizeof s->why, "expected %zu fields/cases, found %zu", b->nfields, a->nfields);
            return false;
        }
        for (size_t i = 0; i < a->nfields; i++) {
            if (!names_eq(a->fields[i].name, b->fields[i].name)) {
                snprintf(s->why, sizeof s->why, "expected field/case `%s`, found `%s`",
                         b->fields[i].name ? b->fields[i].name : "", a->fields[i].name ? a->fields[i].name : "");
                return false;
            }
            const wf_wit_type *fa = a->fields[i].type, *fb = b->fields[i].type;
            if (!fa != !fb) {
                snprintf(s->why, sizeof s->why, "payloads of case `%s` differ", a->fields[i].name ? a->fields[i].name : "");
                return false;
            }
            if (fa && !val_eq(s, fa, fb, depth + 1)) return false;
        }
        break;
    default:
        break;
    }
    wf_cphash_put(&s->eq, a, b, a);
    return true;
}

static bool func_eq(sctx *s, const wf_wit_func *a, const wf_wit_func *b)
{
    if (a->nparams != b->nparams) {
        snprintf(s->why, sizeof s->why, "expected %zu parameters, found %zu", b->nparams, a->nparams);
        return false;
    }
    for (size_t i = 0; i < a->nparams; i++) {
        if (!names_eq(a->params[i].name, b->params[i].name)) {
            snprintf(s->why, sizeof s->why, "expected parameter named `%s`, found `%s`", b->params[i].name, a->params[i].name);
            return false;
        }
        if (!val_eq(s, a->params[i].type, b->params[i].type, 0)) return false;
    }
    if (a->nresults != b->nresults) {
        snprintf(s->why, sizeof s->why, "expected %zu results, found %zu", b->nresults, a->nresults);
        return false;
    }
    for (size_t i = 0; i < a->nresults; i++)
        if (!val_eq(s, a->results[i].type, b->results[i].type, 0)) return false;
    return true;
}

/* ---- Subtyping of extern types ----------------------------------------------- */

static bool decl_sub(sctx *s, uint8_t sort, const wf_ctype *a, const wf_ctype *b, int depth);

static const wf_cdecl *find(const wf_cdecl *ds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ds[i].name, name)) return &ds[i];
    return NULL;
}

/* why = "<what> `<name>`: <why>" (truncated to fit). */
static void prefix_why(sctx *s, const char *what, const char *name)
{
    char big[1024];
    snprintf(big, sizeof big, "%s `%s`: %s", what, name, s->why);
    memcpy(s->why, big, sizeof s->why - 1);
    s->why[sizeof s->why - 1] = 0;
}

static bool bindable_in(const sctx *s, const wf_ctype *binder, const wf_cresource *r)
{
    r = wf_cresource_root(r);
    for (size_t i = 0; i < binder->nbound; i++)
        if (binder->bound[i] == r) return true;
    for (size_t i = 0; i < s->m->nbindable; i++)
        if (s->m->bindable[i] == r) return true;
    return false;
}

/* Every export of b is in a (a <: b); b's bound resources bind to a's. */
static bool exports_sub(sctx *s, const wf_ctype *a, const wf_ctype *b, int depth)
{
    for (size_t i = 0; i < b->nexports; i++) {
        const wf_cdecl *be = &b->exports[i];
        const wf_cdecl *ae = find(a->exports, a->nexports, be->name);
        if (!ae) {
            snprintf(s->why, sizeof s->why, "missing expected export `%s`", be->name);
            return false;
        }
        if (ae->sort != be->sort) {
            snprintf(s->why, sizeof s->why, "export `%s`: expected %s, found %s", be->name,
                     wf_csort_name(be->sort), wf_csort_name(ae->sort));
            return false;
        }
        if (be->sort == WF_CSORT_TYPE && be->type->kind == WF_CTYPE_RESOURCE &&
            bindable_in(s, b, be->type->resource) && !mapped(s->m, be->type->resource)) {
            if (ae->type->kind != WF_CTYPE_RESOURCE) {
                snprintf(s->why, sizeof s->why, "export `%s`: expected a resource type", be->name);
                return false;
            }
            map_add(s->m, be->type->resource, wf_cresmap_get(s->m, ae->type->resource));
            continue;
        }
        if (!decl_sub(s, be->sort, ae->type, be->type, depth + 1)) {
            prefix_why(s, "export", be->name);
            return false;
        }
    }
    return true;
}

static bool decl_sub(sctx *s, uint8_t sort, const wf_ctype *a, const wf_ctype *b, int depth)
{
    if (depth > CMAX_DEPTH) {
        snprintf(s->why, sizeof s->why, "types nested too deeply");
        return false;
    }
    switch (sort) {
    case WF_CSORT_FUNC:
        if (a->kind != WF_CTYPE_FUNC || b->kind != WF_CTYPE_FUNC) break;
        return func_eq(s, a->func, b->func);
    case WF_CSORT_VALUE:
        return val_eq(s, a->val, b->val, 0);
    case WF_CSORT_CORE_MODULE: {
        /* a's imports all in b, b's exports all in a (checked in comp_decode.c) */
        bool ok = wf_csub_core_module(s->x, a, b, 0);
        if (!ok) {
            wf_error *e = wf_reader_take_error(&s->x->r);
            snprintf(s->why, sizeof s->why, "%s", e ? e->message : "module type mismatch");
            wf_error_free(e);
        }
        return ok;
    }
    case WF_CSORT_TYPE:
        if (a->kind != b->kind) {
            snprintf(s->why, sizeof s->why, "expected a %s type",
                     b->kind == WF_CTYPE_RESOURCE ? "resource" : b->kind == WF_CTYPE_FUNC ? "function" :
                     b->kind == WF_CTYPE_VALUE ? "value" : b->kind == WF_CTYPE_INSTANCE ? "instance" : "component");
            return false;
        }
        switch (a->kind) {
        case WF_CTYPE_RESOURCE:
            if (!res_eq(s, a->resource, b->resource)) {
                snprintf(s->why, sizeof s->why, "resource types are not the same");
                return false;
            }
            return true;
        case WF_CTYPE_VALUE: return val_eq(s, a->val, b->val, 0);
        case WF_CTYPE_FUNC: return func_eq(s, a->func, b->func);
        case WF_CTYPE_INSTANCE: return decl_sub(s, WF_CSORT_INSTANCE, a, b, depth + 1);
        case WF_CTYPE_COMPONENT: return decl_sub(s, WF_CSORT_COMPONENT, a, b, depth + 1);
        default: return true;
        }
    case WF_CSORT_INSTANCE:
        if (a->kind != WF_CTYPE_INSTANCE || b->kind != WF_CTYPE_INSTANCE) break;
        return exports_sub(s, a, b, depth);
    case WF_CSORT_COMPONENT: {
        if (a->kind != WF_CTYPE_COMPONENT || b->kind != WF_CTYPE_COMPONENT) break;
        /* contravariant imports: each of a's imports is given by b's */
        for (size_t i = 0; i < a->nimports; i++) {
            const wf_cdecl *ai = &a->imports[i];
            const wf_cdecl *bi = find(b->imports, b->nimports, ai->name);
            if (!bi) {
                snprintf(s->why, sizeof s->why, "import `%s` is not provided by the expected type", ai->name);
                return false;
            }
            if (ai->sort != bi->sort) {
                snprintf(s->why, sizeof s->why, "import `%s`: expected %s, found %s", ai->name,
                         wf_csort_name(bi->sort), wf_csort_name(ai->sort));
                return false;
            }
            if (ai->sort == WF_CSORT_TYPE && ai->type->kind == WF_CTYPE_RESOURCE &&
                bindable_in(s, a, ai->type->resource) && !mapped(s->m, ai->type->resource)) {
                if (bi->type->kind != WF_CTYPE_RESOURCE) {
                    snprintf(s->why, sizeof s->why, "import `%s`: expected a resource type", ai->name);
                    return false;
                }
                map_add(s->m, ai->type->resource, wf_cresmap_get(s->m, bi->type->resource));
                continue;
            }
            if (!decl_sub(s, ai->sort, bi->type, ai->type, depth + 1)) {
                prefix_why(s, "import", ai->name);
                return false;
            }
        }
        return exports_sub(s, a, b, depth);
    }
    default:
        break;
    }
    snprintf(s->why, sizeof s->why, "expected %s", wf_csort_name(sort));
    return false;
}

bool wf_csub_decl(cctx *x, uint8_t sort, const wf_ctype *a, const wf_ctype *b, cresmap *m,
                  const char *what, size_t at)
{
    sctx s;
    memset(&s, 0, sizeof s);
    s.x = x;
    s.m = m;
    bool ok;
    if (sort == WF_CSORT_CORE_MODULE) {
        ok = wf_csub_core_module(x, a, b, at);
        wf_cphash_free(&s.eq);
        return ok;
    }
    /* a top-level (sub resource) of the expected side binds */
    bool can_bind = false;
    if (sort == WF_CSORT_TYPE && b->kind == WF_CTYPE_RESOURCE && !mapped(m, b->resource))
        for (size_t i = 0; i < m->nbindable; i++)
            if (m->bindable[i] == wf_cresource_root(b->resource)) can_bind = true;
    if (can_bind) {
        ok = a->kind == WF_CTYPE_RESOURCE;
        if (ok) map_add(m, b->resource, wf_cresmap_get(m, a->resource));
        else snprintf(s.why, sizeof s.why, "expected a resource type");
    } else {
        ok = decl_sub(&s, sort, a, b, 0);
    }
    wf_cphash_free(&s.eq);
    if (!ok) return wf_cinvalid(x, at, "%s: %s", what, s.why[0] ? s.why : "types differ");
    return true;
}

/* ---- Substitution -------------------------------------------------------------- */

typedef struct subctx {
    cctx *x;
    cresmap *m;
    cphash memo;     /* old node -> new node (value types, funcs) */
} subctx;

static const wf_wit_type *subst_val(subctx *s, const wf_wit_type *t, int depth)
{
    bool vals = s->m->vfrom.len > 0;
    if (!t || (!vals && !(wf_carena_flags(s->x->arena, t) & CFLAG_RES)) || depth > 200) return t;
    if (t == wf_wit_prim(t->kind)) return t;
    const void *hit = wf_cphash_get(&s->memo, t, NULL);
    if (hit) return hit;
    const wf_wit_type *res = t;
    for (size_t i = 0; i < s->m->vfrom.len; i++)
        if (s->m->vfrom.data[i] == t) {
            wf_cphash_put(&s->memo, t, NULL, s->m->vto.data[i]);
            return s->m->vto.data[i];
        }
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW) {
        const wf_cresource *r = wf_cresmap_get(s->m, t->resource);
        if (r != wf_cresource_root(t->resource)) {
            wf_wit_type *n = wf_carena_wit(s->x->arena, t->kind);
            n->resource = r;
            wf_error *e = wf_wit_layout(n);
            if (e) wf_error_free(e); /* cannot fail for a handle */
            wf_carena_flag(s->x->arena, n);
            res = n;
        }
    } else {
        const wf_wit_type *elem = subst_val(s, t->elem, depth + 1);
        const wf_wit_type *err = subst_val(s, t->err, depth + 1);
        bool changed = elem != t->elem || err != t->err;
        const wf_wit_type **fs = NULL;
        if (t->nfields) {
            fs = wf_xcalloc(t->nfields, sizeof *fs);
            for (size_t i = 0; i < t->nfields; i++) {
                fs[i] = subst_val(s, t->fields[i].type, depth + 1);
                if (fs[i] != t->fields[i].type) changed = true;
            }
        }
        if (changed) {
            wf_wit_type *n = wf_carena_wit(s->x->arena, t->kind);
            n->elem = elem;
            n->err = err;
            n->len = t->len;
            n->name = t->name;
            n->nfields = t->nfields;
            n->fields = wf_arena_alloc(&s->x->arena->mem, (t->nfields + 1) * sizeof *n->fields);
            for (size_t i = 0; i < t->nfields; i++) {
                n->fields[i].name = t->fields[i].name;
                n->fields[i].type = fs[i];
            }
            wf_error *e = wf_wit_layout(n);
            if (e) wf_error_free(e); /* same shape as t, which was laid out */
            wf_carena_flag(s->x->arena, n);
            res = n;
        }
        free(fs);
    }
    wf_cphash_put(&s->memo, t, NULL, res);
    return res;
}

static const wf_wit_func *subst_func(subctx *s, const wf_wit_func *f)
{
    const void *hit = wf_cphash_get(&s->memo, f, NULL);
    if (hit) return hit;
    bool changed = false;
    size_t n = f->nparams + f->nresults;
    const wf_wit_type **ts = wf_xcalloc(n + 1, sizeof *ts);
    for (size_t i = 0; i < f->nparams; i++) {
        ts[i] = subst_val(s, f->params[i].type, 0);
        changed |= ts[i] != f->params[i].type;
    }
    for (size_t i = 0; i < f->nresults; i++) {
        ts[f->nparams + i] = subst_val(s, f->results[i].type, 0);
        changed |= ts[f->nparams + i] != f->results[i].type;
    }
    const wf_wit_func *res = f;
    if (changed) {
        wf_wit_func *nf = wf_arena_alloc(&s->x->arena->mem, sizeof *nf);
        *nf = *f;
        nf->params = wf_arena_alloc(&s->x->arena->mem, (f->nparams + 1) * sizeof *nf->params);
        nf->results = wf_arena_alloc(&s->x->arena->mem, (f->nresults + 1) * sizeof *nf->results);
        for (size_t i = 0; i < f->nparams; i++) {
            nf->params[i] = f->params[i];
            nf->params[i].type = ts[i];
        }
        for (size_t i = 0; i < f->nresults; i++) {
            nf->results[i] = f->results[i];
            nf->results[i].type = ts[f->nparams + i];
        }
        res = nf;
    }
    free(ts);
    wf_cphash_put(&s->memo, f, NULL, res);
    return res;
}

static const wf_ctype *subst_ctype(subctx *s, const wf_ctype *t, int depth)
{
    if (!t || depth > CMAX_DEPTH) return t;
    switch (t->kind) {
    case WF_CTYPE_VALUE: {
        const wf_wit_type *v = subst_val(s, t->val, 0);
        if (v == t->val) return t;
        wf_ctype *n = wf_carena_ctype(s->x->arena, WF_CTYPE_VALUE);
        n->val = v;
        return n;
    }
    case WF_CTYPE_FUNC: {
        const wf_wit_func *f = subst_func(s, t->func);
        if (f == t->func) return t;
        wf_ctype *n = wf_carena_ctype(s->x->arena, WF_CTYPE_FUNC);
        n->func = f;
        return n;
    }
    case WF_CTYPE_RESOURCE: {
        const wf_cresource *r = wf_cresmap_get(s->m, t->resource);
        if (r == wf_cresource_root(t->resource)) return t;
        wf_ctype *n = wf_carena_ctype(s->x->arena, WF_CTYPE_RESOURCE);
        n->resource = (wf_cresource *)r;
        return n;
    }
    case WF_CTYPE_COMPONENT: case WF_CTYPE_INSTANCE: {
        /* rename the resources t binds (unless already mapped by the caller) */
        wf_ctype *n = wf_carena_ctype(s->x->arena, t->kind);
        n->nbound = t->nbound;
        n->bound = wf_arena_alloc(&s->x->arena->mem, (t->nbound + 1) * sizeof *n->bound);
        for (size_t i = 0; i < t->nbound; i++) {
            const wf_cresource *old = t->bound[i];
            if (mapped(s->m, old)) {
                n->bound[i] = (wf_cresource *)wf_cresmap_get(s->m, old);
                continue;
            }
            wf_cresource *fresh = wf_carena_resource(s->x->arena, WF_CRES_ABSTRACT, old->name);
            map_add(s->m, old, fresh);
            n->bound[i] = fresh;
        }
        /* memoized value nodes may predate the new mappings */
        wf_cphash_free(&s->memo);
        n->nimports = t->nimports;
        n->imports = wf_arena_alloc(&s->x->arena->mem, (t->nimports + 1) * sizeof(wf_cdecl));
        for (size_t i = 0; i < t->nimports; i++) {
            n->imports[i] = t->imports[i];
            n->imports[i].type = subst_ctype(s, t->imports[i].type, depth + 1);
        }
        n->nexports = t->nexports;
        n->exports = wf_arena_alloc(&s->x->arena->mem, (t->nexports + 1) * sizeof(wf_cdecl));
        for (size_t i = 0; i < t->nexports; i++) {
            n->exports[i] = t->exports[i];
            n->exports[i].type = subst_ctype(s, t->exports[i].type, depth + 1);
        }
        return n;
    }
    default:
        return t;
    }
}

const wf_ctype *wf_csubst(cctx *x, const wf_ctype *t, cresmap *m)
{
    subctx s = { .x = x, .m = m };
    const wf_ctype *r = subst_ctype(&s, t, 0);
    wf_cphash_free(&s.memo);
    return r;
}

const wf_wit_type *wf_csubst_val(cctx *x, const wf_wit_type *t, cresmap *m)
{
    subctx s = { .x = x, .m = m };
    const wf_wit_type *r = subst_val(&s, t, 0);
    wf_cphash_free(&s.memo);
    return r;
}

const wf_wit_func *wf_csubst_func(cctx *x, const wf_wit_func *f, cresmap *m)
{
    subctx s = { .x = x, .m = m };
    const wf_wit_func *r = subst_func(&s, f);
    wf_cphash_free(&s.memo);
    return r;
}

/* ---- Core modules ------------------------------------------------------------ */

/* Core extern subtyping: a (provided) matches b (imported). */
static bool limits_sub(const wf_limits *a, const wf_limits *b)
{
    if (a->is64 != b->is64 || a->shared != b->shared) return false;
    if (a->min < b->min) return false;
    if (b->has_max && (!a->has_max || a->max > b->max)) return false;
    return true;
}

bool wf_csub_core_decl(const wf_ccoredecl *a, const wf_ccoredecl *b)
{
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case WF_EXTERN_FUNC: return a->type.func == b->type.func || wf_functype_sub(a->type.func, b->type.func);
    case WF_EXTERN_TAG: return a->type.func == b->type.func;
    case WF_EXTERN_TABLE:
        return wf_valtype_eq(a->type.table.elem, b->type.table.elem) &&
               limits_sub(&a->type.table.limits, &b->type.table.limits);
    case WF_EXTERN_MEMORY: return limits_sub(&a->type.mem.limits, &b->type.mem.limits);
    case WF_EXTERN_GLOBAL:
        if (a->type.global.mut != b->type.global.mut) return false;
        return a->type.global.mut ? wf_valtype_eq(a->type.global.type, b->type.global.type)
                                  : wf_valtype_sub(a->type.global.type, b->type.global.type);
    }
    return false;
}

bool wf_csub_core_module(cctx *x, const wf_ctype *a, const wf_ctype *b, size_t at)
{
    /* a's imports must all be satisfied by b's; b's exports must all be in a */
    for (size_t i = 0; i < a->ncore_imports; i++) {
        const wf_ccoredecl *ai = &a->core_imports[i];
        const wf_ccoredecl *bi = NULL;
        for (size_t j = 0; j < b->ncore_imports && !bi; j++)
            if (!strcmp(b->core_imports[j].module, ai->module) && !strcmp(b->core_imports[j].name, ai->name))
                bi = &b->core_imports[j];
        if (!bi) return wf_cinvalid(x, at, "type mismatch: module import `%s::%s` is not in the expected type", ai->module, ai->name);
        if (!wf_csub_core_decl(bi, ai)) return wf_cinvalid(x, at, "type mismatch in import `%s::%s`", ai->module, ai->name);
    }
    for (size_t i = 0; i < b->ncore_exports; i++) {
        const wf_ccoredecl *be = &b->core_exports[i];
        const wf_ccoredecl *ae = NULL;
        for (size_t j = 0; j < a->ncore_exports && !ae; j++)
            if (!strcmp(a->core_exports[j].name, be->name)) ae = &a->core_exports[j];
        if (!ae) return wf_cinvalid(x, at, "type mismatch: module export `%s` is missing", be->name);
        if (!wf_csub_core_decl(ae, be)) return wf_cinvalid(x, at, "type mismatch in export `%s`", be->name);
    }
    return true;
}
