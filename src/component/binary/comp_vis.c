/*
 * comp_vis.c - external visibility of types (Explainer.md "External
 * Visibility of Types"): every resource and every record, variant, enum and
 * flags type an import or export uses must have an externally visible name,
 * i.e. be introduced by an import or export of a type (or reached through
 * an imported or exported instance). Names are pointers: importing or
 * exporting a type gives it a new node (wf_cvis_name), which is the visible
 * one; the type it names stays anonymous.
 */
#include "component/binary/comp_int.h"

static bool in(const cphash *v, const void *p) { return wf_cphash_get(v, p, NULL) != NULL; }
static void put(cphash *v, const void *p) { wf_cphash_put(v, p, NULL, p); }

static bool named_kind(const wf_wit_type *t)
{
    return t->kind == WF_WIT_RECORD || t->kind == WF_WIT_VARIANT || t->kind == WF_WIT_ENUM ||
           t->kind == WF_WIT_FLAGS;
}

static void copy_set(cphash *dst, const cphash *src)
{
    size_t pos = 0, len;
    const void *key;
    void *val;
    while (wf_map_next(&src->map, &pos, &key, &len, &val)) {
        const void *const *pair = key;
        wf_cphash_put(dst, pair[0], pair[1], val);
    }
}

static bool val_children(const cphash *v, const wf_wit_type *t, int depth);

static bool val_ok(const cphash *v, const wf_wit_type *t, int depth)
{
    if (!t || t == wf_wit_prim(t->kind) || in(v, t)) return true;
    if (depth > 200) return false;
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW) return in(v, t->resource);
    if (named_kind(t)) return false;
    return val_children(v, t, depth);
}

static bool val_children(const cphash *v, const wf_wit_type *t, int depth)
{
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW) return in(v, t->resource);
    if (!val_ok(v, t->elem, depth + 1) || !val_ok(v, t->err, depth + 1)) return false;
    for (size_t i = 0; i < t->nfields; i++)
        if (!val_ok(v, t->fields[i].type, depth + 1)) return false;
    return true;
}

static bool func_ok(const cphash *v, const wf_wit_func *f)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (!val_ok(v, f->params[i].type, 0)) return false;
    for (size_t i = 0; i < f->nresults; i++)
        if (!val_ok(v, f->results[i].type, 0)) return false;
    return true;
}

void wf_cvis_add(cphash *v, uint8_t sort, const wf_ctype *t, int depth)
{
    if (!t || depth > CMAX_DEPTH) return;
    if (sort == WF_CSORT_TYPE) {
        if (t->kind == WF_CTYPE_RESOURCE) put(v, t->resource);
        else if (t->kind == WF_CTYPE_VALUE && t->val) put(v, t->val);
    } else if (sort == WF_CSORT_INSTANCE) {
        for (size_t i = 0; i < t->nexports; i++)
            wf_cvis_add(v, t->exports[i].sort, t->exports[i].type, depth + 1);
    }
}

static bool decls_ok(cphash *local, const wf_cdecl *decls, size_t n, bool imports, int depth,
                     uint8_t *bad_sort, bool *bad_import);

/* Is t (the type of an import/export of `sort`) visible with the names in v?
 * On failure *bad_sort is the sort of the innermost failing declaration. */
static bool ctype_ok(const cphash *v, uint8_t sort, const wf_ctype *t, int depth, uint8_t *bad_sort,
                     bool *bad_import)
{
    if (!t || depth > CMAX_DEPTH) return true;
    bool ok = true;
    switch (t->kind) {
    case WF_CTYPE_VALUE:
        ok = sort == WF_CSORT_TYPE ? (in(v, t->val) || val_children(v, t->val, 0)) : val_ok(v, t->val, 0);
        break;
    case WF_CTYPE_FUNC: ok = func_ok(v, t->func); break;
    case WF_CTYPE_INSTANCE: {
        cphash local = { 0 };
        copy_set(&local, v);
        ok = decls_ok(&local, t->exports, t->nexports, false, depth, bad_sort, bad_import);
        wf_cphash_free(&local);
        return ok;
    }
    case WF_CTYPE_COMPONENT: {
        cphash local = { 0 };
        copy_set(&local, v);
        ok = decls_ok(&local, t->imports, t->nimports, true, depth, bad_sort, bad_import) &&
             decls_ok(&local, t->exports, t->nexports, false, depth, bad_sort, bad_import);
        wf_cphash_free(&local);
        return ok;
    }
    default:
        break;
    }
    if (!ok) *bad_sort = sort;
    return ok;
}

/* The declarations decls[0..n) of an instance or component type (of
 * depth), in order: each visible with the names local holds so far, then
 * adding its own. A failing import of the outermost type sets *bad_import. */
static bool decls_ok(cphash *local, const wf_cdecl *decls, size_t n, bool imports, int depth,
                     uint8_t *bad_sort, bool *bad_import)
{
    for (size_t i = 0; i < n; i++) {
        const wf_cdecl *d = &decls[i];
        if (!ctype_ok(local, d->sort, d->type, depth + 1, bad_sort, bad_import)) {
            if (imports && depth == 0) *bad_import = true;
            return false;
        }
        wf_cvis_add(local, d->sort, d->type, 0);
    }
    return true;
}

bool wf_cvis_check(cctx *x, const cphash *v, const wf_cdecl *d, bool import, size_t at)
{
    uint8_t bad = d->sort;
    bool bad_import = import;
    if (ctype_ok(v, d->sort, d->type, 0, &bad, &bad_import)) return true;
    (void)bad;
    return wf_cinvalid(x, at, "%s not valid to be used as %s: `%s` uses a resource, record, variant, enum or flags type without an externally visible name (import or export the type first)",
                       wf_csort_name(d->sort), import ? "import" : "export", d->name);
}

/* A component type is checked when defined: its imports see only imports. */
bool wf_cvis_check_component_type(cctx *x, const wf_ctype *t, size_t at)
{
    cphash v = { 0 };
    bool ok = true;
    for (size_t i = 0; ok && i < t->nimports; i++) {
        ok = wf_cvis_check(x, &v, &t->imports[i], true, at);
        wf_cvis_add(&v, t->imports[i].sort, t->imports[i].type, 0);
    }
    for (size_t i = 0; ok && i < t->nexports; i++) {
        ok = wf_cvis_check(x, &v, &t->exports[i], false, at);
        wf_cvis_add(&v, t->exports[i].sort, t->exports[i].type, 0);
    }
    wf_cphash_free(&v);
    return ok;
}

/* A new visible name for type t, imported or exported as `name`. */
const wf_ctype *wf_cvis_name(cctx *x, const wf_ctype *t, const char *name)
{
    if (t->kind == WF_CTYPE_RESOURCE) {
        const wf_cresource *root = wf_cresource_root(t->resource);
        wf_cresource *r = wf_carena_resource(x->arena, (wf_cres_kind)root->kind, name);
        r->alias_of = t->resource;
        r->rep = root->rep;
        r->has_dtor = root->has_dtor;
        r->dtor = root->dtor;
        r->owner = root->owner;
        r->type_index = root->type_index;
        wf_ctype *n = wf_carena_ctype(x->arena, WF_CTYPE_RESOURCE);
        n->resource = r;
        return n;
    }
    if (t->kind == WF_CTYPE_VALUE && t->val && named_kind(t->val)) {
        const wf_wit_type *o = t->val;
        wf_wit_type *c = wf_carena_wit(x->arena, o->kind);
        c->elem = o->elem;
        c->err = o->err;
        c->fields = o->fields;
        c->nfields = o->nfields;
        c->name = wf_arena_strndup(&x->arena->mem, name, strlen(name));
        wf_error *e = wf_wit_layout(c);
        if (e) wf_error_free(e); /* the same shape as o, which was laid out */
        wf_carena_flag(x->arena, c);
        wf_ctype *n = wf_carena_ctype(x->arena, WF_CTYPE_VALUE);
        n->val = c;
        return n;
    }
    return t;
}
