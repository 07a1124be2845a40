/*
 * cinst.c - linking and instantiating components (Explainer.md "Instance
 * Definitions", "Canonical Definitions", imports/exports; component.h
 * wf_clinker_*, wf_cinstance_new/free).
 *
 * A component is instantiated by walking its definitions in order: each
 * appends one runtime item to the index space of its sort (comp.h), so every
 * index a later definition names is already there. Nested components get
 * their own runtime state (crt: handle table, reentrance flags, resource
 * bindings) whose parent is the instantiating one. Resource type nodes are
 * resolved per instance: a defined resource makes a new runtime type each
 * time its component is instantiated; imported and abstract ones are bound
 * to whatever runtime type was linked where the type entered (an import, an
 * instance, an alias).
 */
#include "component/link/cinst_int.h"
#include "base/error.h"
#include "wasm/runtime.h"

#include <ctype.h>

/* ---- The linker ---------------------------------------------------------------------- */

wf_clinker *wf_clinker_new(void) { return wf_xcalloc(1, sizeof(wf_clinker)); }

void wf_clinker_free(wf_clinker *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->funcs.len; i++) {
        free(l->funcs.data[i].name);
        free(l->funcs.data[i].func);
    }
    for (size_t i = 0; i < l->insts.len; i++) free(l->insts.data[i].name);
    for (size_t i = 0; i < l->res.len; i++) {
        wf_chost_resource *r = l->res.data[i];
        wf_cabi_rtype_free(r->rt);
        free(r->name);
        free(r->resource);
        free(r);
    }
    wf_vec_free(&l->funcs);
    wf_vec_free(&l->insts);
    wf_vec_free(&l->res);
    free(l);
}

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

void wf_clinker_define_func(wf_clinker *l, const char *name, const char *func, wf_chost_fn fn, void *env)
{
    for (size_t i = 0; i < l->funcs.len; i++)
        if (!strcmp(l->funcs.data[i].name, name) && str_eq(l->funcs.data[i].func, func)) {
            l->funcs.data[i].fn = fn;
            l->funcs.data[i].env = env;
            return;
        }
    struct lfunc f = { wf_xstrdup(name), func ? wf_xstrdup(func) : NULL, fn, env };
    wf_vec_push(&l->funcs, f);
}

void wf_clinker_define_instance(wf_clinker *l, const char *name, wf_cinstance *inst)
{
    for (size_t i = 0; i < l->insts.len; i++)
        if (!strcmp(l->insts.data[i].name, name)) {
            l->insts.data[i].inst = inst;
            return;
        }
    struct linst x = { wf_xstrdup(name), inst };
    wf_vec_push(&l->insts, x);
}

void wf_clinker_stub_missing(wf_clinker *l, wf_cmissing_fn fn, void *env)
{
    l->missing = fn;
    l->missing_env = env;
}

/* "MAJOR.MINOR.PATCH" without pre-release or build parts; false otherwise. */
static bool parse_version(const char *v, unsigned long out[3])
{
    for (int k = 0; k < 3; k++) {
        if (!isdigit((unsigned char)*v)) return false;
        char *end;
        out[k] = strtoul(v, &end, 10);
        v = end;
        if (k < 2 && *v++ != '.') return false;
    }
    return *v == 0;
}

/* Can a definition of version `have` serve an import of version `want`
 * (semver: the same major, or the same 0.minor, or exactly the same)? */
static bool versions_compatible(const char *want, const char *have)
{
    if (!strcmp(want, have)) return true;
    unsigned long w[3], h[3];
    if (!parse_version(want, w) || !parse_version(have, h) || w[0] != h[0]) return false;
    if (w[0] > 0) return true;
    return w[1] > 0 && w[1] == h[1];
}

/* An import name matches a linker name exactly, without its `@version`, or
 * with a compatible version (component.h). Used for host functions and
 * resources; registered instances (the wast runner's) match exactly or
 * without the version only. */
static bool name_matches_exact(const char *import, const char *defined)
{
    if (!strcmp(import, defined)) return true;
    const char *at = strchr(import, '@');
    return at && strlen(defined) == (size_t)(at - import) && !strncmp(import, defined, (size_t)(at - import));
}

static bool name_matches(const char *import, const char *defined)
{
    if (name_matches_exact(import, defined)) return true;
    const char *ai = strchr(import, '@'), *ad = strchr(defined, '@');
    return ai && ad && ai - import == ad - defined && !strncmp(import, defined, (size_t)(ai - import)) &&
           versions_compatible(ai + 1, ad + 1);
}

static const struct lfunc *linker_func(const wf_clinker *l, const char *name, const char *func)
{
    for (size_t i = 0; l && i < l->funcs.len; i++)
        if (name_matches(name, l->funcs.data[i].name) && str_eq(l->funcs.data[i].func, func))
            return &l->funcs.data[i];
    return NULL;
}

static bool linker_has_funcs_of(const wf_clinker *l, const char *name)
{
    for (size_t i = 0; l && i < l->funcs.len; i++)
        if (l->funcs.data[i].func && name_matches(name, l->funcs.data[i].name)) return true;
    for (size_t i = 0; l && i < l->res.len; i++)
        if (name_matches(name, l->res.data[i]->name)) return true;
    return false;
}

static const wf_chost_resource *linker_resource(const wf_clinker *l, const char *name, const char *res)
{
    for (size_t i = 0; l && i < l->res.len; i++)
        if (name_matches(name, l->res.data[i]->name) && !strcmp(l->res.data[i]->resource, res))
            return l->res.data[i];
    return NULL;
}

/* ---- Host resources ---------------------------------------------------------------- */

/* The runtime type's destructor: the guest instance dropping the handle
 * (from, a crt) is told to the host as its root wf_cinstance. */
static wf_error *host_dtor(void *env, cabi_inst *from, uint32_t rep)
{
    wf_chost_resource *r = env;
    if (!r->dtor) return NULL;
    return r->dtor(r->env, from ? ((crt *)from)->root : NULL, rep);
}

wf_chost_resource *wf_clinker_define_resource(wf_clinker *l, const char *name, const char *resource,
                                              wf_chost_dtor dtor, void *env)
{
    for (size_t i = 0; i < l->res.len; i++) {
        wf_chost_resource *r = l->res.data[i];
        if (!strcmp(r->name, name) && !strcmp(r->resource, resource)) {
            r->dtor = dtor;
            r->env = env;
            return r;
        }
    }
    wf_chost_resource *r = wf_xcalloc(1, sizeof *r);
    r->name = wf_xstrdup(name);
    r->resource = wf_xstrdup(resource);
    r->dtor = dtor;
    r->env = env;
    r->rt = wf_cabi_rtype_new(NULL, NULL);
    r->rt->host_dtor = host_dtor;
    r->rt->host_env = r;
    wf_vec_push(&l->res, r);
    return r;
}

wf_val wf_chost_handle(const wf_chost_resource *r, uint32_t rep) { return wf_cabi_handle_val(r->rt, rep); }

bool wf_chost_handle_rep(const wf_chost_resource *r, const wf_val *v, uint32_t *rep)
{
    if (!v || v->kind != WF_VAL_HANDLE || v->of.u >> 32 != r->rt->id) return false;
    *rep = (uint32_t)v->of.u;
    return true;
}

/* ---- Resource bindings -------------------------------------------------------------- */

/* The same resource type: one root (aliases are names of it), or the one
 * definition seen through a `(sub resource)` ascription (comp.h). */
static bool same_resource(const wf_cresource *a, const wf_cresource *b)
{
    if (a == b) return true;
    return a->kind == WF_CRES_DEFINED && b->kind == WF_CRES_DEFINED && a->owner == b->owner &&
           a->type_index == b->type_index;
}

void wf_crt_bind(crt *r, const wf_cresource *res, cabi_rtype *rt)
{
    res = wf_cresource_root(res);
    if (!res || !rt) return;
    for (size_t i = 0; i < r->res.len; i++)
        if (r->res.data[i].res == res) {
            r->res.data[i].rt = rt;
            return;
        }
    wf_vec_reserve(&r->res, 1);
    r->res.data[r->res.len].res = res;
    r->res.data[r->res.len].rt = rt;
    r->res.len++;
}

cabi_rtype *wf_crt_lookup(crt *r, const wf_cresource *res)
{
    res = wf_cresource_root(res);
    if (!res) return NULL;
    for (; r; r = r->lex)
        for (size_t i = 0; i < r->res.len; i++)
            if (same_resource(r->res.data[i].res, res)) return r->res.data[i].rt;
    return NULL;
}

static cabi_rtype *resolve(cabi_inst *ci, const wf_cresource *res) { return wf_crt_lookup((crt *)ci, res); }

/* ---- Instantiation --------------------------------------------------------------------- */

typedef WF_VEC(cnamed) cnamed_vec;

typedef struct scope {
    wf_cinstance *root;
    const wf_component *c;
    crt *r;
    citem_vec *sp;                   /* r->sp */
    const cnamed *args;              /* nested: what the parent passed */
    size_t nargs;
    const wf_clinker *linker;        /* root: the host's definitions */
} scope;

static void *own(wf_cinstance *root, void *p)
{
    wf_vec_push(&root->allocs, p);
    return p;
}

static wf_error *space_get(scope *s, uint8_t sort, uint32_t idx, citem *out)
{
    if (sort >= WF_CSORT_COUNT || idx >= s->sp[sort].len)
        return wf_error_new(WF_ERR_INVALID, "%s index %u out of range", wf_csort_name(sort), idx);
    *out = s->sp[sort].data[idx];
    return NULL;
}

static void push(scope *s, uint8_t sort, citem it)
{
    it.sort = sort;
    wf_vec_push(&s->sp[sort], it);
}

static const citem *find_named(const cnamed *items, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(items[i].name, name)) return &items[i].item;
    return NULL;
}

/* Bind the resources an instance type exports to those of the instance. */
static void bind_instance_type(crt *r, const wf_ctype *it, const cexports *ex)
{
    if (!it || !ex || (it->kind != WF_CTYPE_INSTANCE && it->kind != WF_CTYPE_COMPONENT)) return;
    for (size_t i = 0; i < it->nexports; i++) {
        const wf_cdecl *d = &it->exports[i];
        const citem *x = find_named(ex->items, ex->n, d->name);
        if (!x || !d->type) continue;
        if (d->sort == WF_CSORT_TYPE && d->type->kind == WF_CTYPE_RESOURCE && x->sort == WF_CSORT_TYPE)
            wf_crt_bind(r, d->type->resource, x->of.rt);
        else if (d->sort == WF_CSORT_INSTANCE && x->sort == WF_CSORT_INSTANCE)
            bind_instance_type(r, d->type, x->of.inst);
    }
}

/* Bind what an item of type `type` brings in. */
static void bind_item(crt *r, const wf_ctype *type, const citem *it)
{
    if (!type) return;
    if (it->sort == WF_CSORT_TYPE && type->kind == WF_CTYPE_RESOURCE) wf_crt_bind(r, type->resource, it->of.rt);
    else if (it->sort == WF_CSORT_INSTANCE) bind_instance_type(r, type, it->of.inst);
}

static cfunc *new_host_func(wf_cinstance *root, const wf_wit_func *type, wf_chost_fn fn, void *env,
                            char *stub)
{
    cfunc *f = own(root, wf_xcalloc(1, sizeof *f));
    f->type = type;
    f->fn = fn;
    f->env = env;
    f->root = root;
    f->stub = stub ? own(root, stub) : NULL;
    return f;
}

static char *stub_message(const wf_clinker *l, const char *import, const char *func)
{
    char *m = l->missing(l->missing_env, import, func);
    if (!m) m = func ? wf_xasprintf("import `%s` function `%s` is not provided", import, func)
                     : wf_xasprintf("import `%s` is not provided", import);
    return m;
}

/* A host function for func import `name` (or member `func` of instance import `name`). */
static wf_error *host_func(scope *s, const char *name, const char *func, const wf_ctype *type, citem *out)
{
    if (!type || type->kind != WF_CTYPE_FUNC)
        return wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: not a function type", name);
    const struct lfunc *lf = linker_func(s->linker, name, func);
    char *stub = NULL;
    if (!lf) {
        if (!s->linker || !s->linker->missing)
            return func ? wf_error_new(WF_ERR_UNLINKABLE, "missing import `%s` function `%s`", name, func)
                        : wf_error_new(WF_ERR_UNLINKABLE, "missing import `%s`", name);
        stub = stub_message(s->linker, name, func);
    }
    out->sort = WF_CSORT_FUNC;
    out->of.func = new_host_func(s->root, type->func, lf ? lf->fn : NULL, lf ? lf->env : NULL, stub);
    return NULL;
}

/* The resources of an instance import's type, as bound to a registered
 * instance's exported resource types (by export name), and the provider's
 * runtime state for the resources its functions' types name. */
typedef struct resbind {
    const wf_cresource **want;
    cabi_rtype **rt;
    size_t n;
    crt *have;
} resbind;

static cabi_rtype *want_rt(const resbind *rb, const wf_cresource *r)
{
    r = wf_cresource_root(r);
    for (size_t i = 0; i < rb->n; i++)
        if (rb->want[i] == r) return rb->rt[i];
    return NULL;
}

/* Do two value types have the same structure (names of fields and cases
 * included)? Handles must name the same runtime resource type when both
 * sides' are known here: the import's own resource exports bound to the
 * provider's, and the provider's function's resources in its instance
 * (others, e.g. resources of an enclosing scope, are checked when a handle
 * is lifted). Types nest no deeper than the validator allows (CMAX_DEPTH),
 * so this recursion is bounded. */
static bool same_val_type(const resbind *rb, const wf_wit_type *a, const wf_wit_type *b)
{
    if (!a || !b) return a == b;
    if (a == b && !(a->kind == WF_WIT_OWN || a->kind == WF_WIT_BORROW)) return true;
    if (a->kind != b->kind || a->nfields != b->nfields || a->len != b->len) return false;
    if (a->kind == WF_WIT_OWN || a->kind == WF_WIT_BORROW) {
        cabi_rtype *w = want_rt(rb, b->resource), *h = rb->have ? wf_crt_lookup(rb->have, a->resource) : NULL;
        return !w || !h || w == h;
    }
    if (!same_val_type(rb, a->elem, b->elem) || !same_val_type(rb, a->err, b->err)) return false;
    for (size_t i = 0; i < a->nfields; i++) {
        const char *an = a->fields[i].name, *bn = b->fields[i].name;
        if ((an || bn) && (!an || !bn || strcmp(an, bn))) return false;
        if (!same_val_type(rb, a->fields[i].type, b->fields[i].type)) return false;
    }
    return true;
}

/* Can a registered instance's function `have` be imported as type `want`?
 * Else *why says the first difference. */
static bool func_fits(const resbind *rb, const cfunc *have_f, const wf_wit_func *want, const char **why)
{
    const wf_wit_func *have = have_f->type;
    resbind r = *rb;
    r.have = have_f->lifted ? have_f->inst : NULL;
    *why = "a different number of parameters or results";
    if (have->nparams != want->nparams || have->nresults != want->nresults) return false;
    for (size_t i = 0; i < have->nparams; i++) {
        *why = have->params[i].name;
        if (strcmp(have->params[i].name, want->params[i].name) ||
            !same_val_type(&r, have->params[i].type, want->params[i].type))
            return false;
    }
    *why = "result";
    for (size_t i = 0; i < have->nresults; i++)
        if (!same_val_type(&r, have->results[i].type, want->results[i].type)) return false;
    return true;
}

/* An instance import provided by the host: a registered instance, or host
 * functions (and fresh host resource types) for each of its exports. */
static wf_error *host_instance(scope *s, const char *name, const wf_ctype *type, citem *out)
{
    if (!type || type->kind != WF_CTYPE_INSTANCE)
        return wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: not an instance type", name);
    out->sort = WF_CSORT_INSTANCE;
    for (size_t i = 0; s->linker && i < s->linker->insts.len; i++) {
        if (!name_matches_exact(name, s->linker->insts.data[i].name)) continue;
        const cexports *ex = &s->linker->insts.data[i].inst->exports;
        size_t nx = WF_MAX(type->nexports, 1);
        resbind rb = { wf_xcalloc(nx, sizeof *rb.want), wf_xcalloc(nx, sizeof *rb.rt), 0, NULL };
        wf_error *e = NULL;
        for (size_t j = 0; !e && j < type->nexports; j++) {
            const citem *x = find_named(ex->items, ex->n, type->exports[j].name);
            const wf_ctype *want = type->exports[j].type;
            const char *why;
            if (!x || x->sort != type->exports[j].sort)
                e = wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: the instance has no %s export `%s`",
                                 name, wf_csort_name(type->exports[j].sort), type->exports[j].name);
            else if (x->sort == WF_CSORT_TYPE && want && want->kind == WF_CTYPE_RESOURCE && x->of.rt) {
                rb.want[rb.n] = wf_cresource_root(want->resource);   /* the import's resource is theirs */
                rb.rt[rb.n++] = x->of.rt;
            } else if (x->sort == WF_CSORT_FUNC && want && want->kind == WF_CTYPE_FUNC &&
                       !func_fits(&rb, x->of.func, want->func, &why))
                e = wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: function `%s` has the wrong type (%s%s)",
                                 name, type->exports[j].name, why,
                                 strcmp(why, "result") && strchr(why, ' ') == NULL ? " parameter" : "");
        }
        free(rb.want);
        free(rb.rt);
        if (e) return e;
        out->of.inst = (cexports *)ex;
        return NULL;
    }
    if (!linker_has_funcs_of(s->linker, name) && !(s->linker && s->linker->missing))
        return wf_error_new(WF_ERR_UNLINKABLE, "missing import `%s`", name);
    cexports *ex = own(s->root, wf_xcalloc(1, sizeof *ex));
    ex->items = own(s->root, wf_xcalloc(WF_MAX(type->nexports, 1), sizeof *ex->items));
    for (size_t j = 0; j < type->nexports; j++) {
        const wf_cdecl *d = &type->exports[j];
        cnamed *it = &ex->items[ex->n++];
        it->name = d->name;
        it->item.sort = d->sort;
        wf_error *e = NULL;
        if (d->sort == WF_CSORT_FUNC) {
            e = host_func(s, name, d->name, d->type, &it->item);
        } else if (d->sort == WF_CSORT_TYPE) {
            if (d->type && d->type->kind == WF_CTYPE_RESOURCE) {
                /* A type equal to one bound before (`(eq N)` of an outer
                 * alias: wasi:io/streams' `error` is wasi:io/error's) is
                 * that one; a fresh `(sub resource)` is the host's
                 * definition of it, or a new type nothing implements. */
                cabi_rtype *rt = wf_crt_lookup(s->r, d->type->resource);
                const wf_chost_resource *hr = rt ? NULL : linker_resource(s->linker, name, d->name);
                if (hr) {
                    rt = hr->rt;
                } else if (!rt) {
                    rt = wf_cabi_rtype_new(NULL, NULL);
                    wf_vec_push(&s->root->rts, rt);
                }
                it->item.of.rt = rt;
            }
        } else {
            e = wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: host instances cannot provide %s `%s`", name,
                             wf_csort_name(d->sort), d->name);
        }
        if (e) return e;
    }
    out->of.inst = ex;
    return NULL;
}

static wf_error *do_import(scope *s, const wf_cdef *d)
{
    const wf_cdecl *decl = &d->u.import.decl;
    const wf_ctype *type = d->type ? d->type : decl->type;
    citem it = { .sort = decl->sort };
    wf_error *e = NULL;
    if (!s->linker) {   /* nested: from the instantiating component's arguments */
        const citem *a = find_named(s->args, s->nargs, decl->name);
        if (!a) return wf_error_new(WF_ERR_UNLINKABLE, "missing import `%s`", decl->name);
        it = *a;
    } else if (decl->sort == WF_CSORT_FUNC) {
        e = host_func(s, decl->name, NULL, type, &it);
    } else if (decl->sort == WF_CSORT_INSTANCE) {
        e = host_instance(s, decl->name, type, &it);
    } else if (decl->sort == WF_CSORT_TYPE && type && type->kind == WF_CTYPE_RESOURCE) {
        cabi_rtype *rt = wf_cabi_rtype_new(NULL, NULL);   /* a host resource */
        wf_vec_push(&s->root->rts, rt);
        it.of.rt = rt;
    } else if (decl->sort != WF_CSORT_TYPE) {
        e = wf_error_new(WF_ERR_UNLINKABLE, "import `%s`: the host cannot provide a %s", decl->name,
                         wf_csort_name(decl->sort));
    }
    if (e) return e;
    bind_item(s->r, type, &it);
    push(s, decl->sort, it);
    return NULL;
}

static wf_error *core_export(const ccore *ci, const char *name, wf_extern *out)
{
    if (ci->inst) return wf_instance_export(ci->inst, name, strlen(name), out) ? NULL
        : wf_error_new(WF_ERR_UNLINKABLE, "core instance has no export `%s`", name);
    const citem *x = find_named(ci->items, ci->n, name);
    if (!x) return wf_error_new(WF_ERR_UNLINKABLE, "core instance has no export `%s`", name);
    *out = x->of.core;
    return NULL;
}

static wf_error *do_core_instance(scope *s, const wf_cdef *d)
{
    ccore *cc = own(s->root, wf_xcalloc(1, sizeof *cc));
    size_t na = d->u.core_instance.nargs;
    const wf_carg *args = d->u.core_instance.args;
    wf_error *e = NULL;
    citem x = {0};
    if (!d->u.core_instance.instantiate) {
        cc->items = own(s->root, wf_xcalloc(WF_MAX(na, 1), sizeof *cc->items));
        for (size_t i = 0; !e && i < na; i++) {
            if ((e = space_get(s, args[i].item.sort, args[i].item.idx, &x))) break;
            cc->items[cc->n++] = (cnamed){ args[i].name, x };
        }
    } else if (!(e = space_get(s, WF_CSORT_CORE_MODULE, d->u.core_instance.module, &x))) {
        const wf_module *m = x.of.module;
        if (!m) return wf_error_new(WF_ERR_UNLINKABLE, "core module %u is not available", d->u.core_instance.module);
        uint32_t n = wf_module_import_count(m);
        wf_extern *imports = wf_xcalloc(WF_MAX(n, 1), sizeof *imports);
        for (uint32_t i = 0; !e && i < n; i++) {
            wf_import_desc id = wf_module_import(m, i);
            const ccore *from = NULL;
            for (size_t j = 0; j < na && !from; j++)
                if (strlen(args[j].name) == id.module_len && !memcmp(args[j].name, id.module, id.module_len) &&
                    !(e = space_get(s, WF_CSORT_CORE_INSTANCE, args[j].item.idx, &x)))
                    from = x.of.core_inst;
            if (e) break;
            char *field = wf_xstrndup(id.name, id.name_len);
            if (!from)
                e = wf_error_new(WF_ERR_UNLINKABLE, "core module import `%.*s` `%s`: no such argument",
                                 (int)id.module_len, id.module, field);
            else if ((e = core_export(from, field, &imports[i])))
                e = wf_error_wrap(e, "core module import `%.*s` `%s`", (int)id.module_len, id.module, field);
            free(field);
        }
        if (!e) e = wf_instance_new(s->root->store, m, imports, n, &cc->inst);
        free(imports);
    }
    if (e) return e;
    push(s, WF_CSORT_CORE_INSTANCE, (citem){ .of.core_inst = cc });
    return NULL;
}

static wf_error *instantiate(wf_cinstance *root, const wf_component *c, crt *parent, crt *lex,
                             const cnamed *args, size_t nargs, const wf_clinker *l, cexports *out);

static wf_error *do_instance(scope *s, const wf_cdef *d)
{
    size_t na = d->u.instance.nargs;
    const wf_carg *args = d->u.instance.args;
    cnamed *named = own(s->root, wf_xcalloc(WF_MAX(na, 1), sizeof *named));
    wf_error *e = NULL;
    for (size_t i = 0; !e && i < na; i++) {
        named[i].name = args[i].name;
        e = space_get(s, args[i].item.sort, args[i].item.idx, &named[i].item);
    }
    cexports *ex = own(s->root, wf_xcalloc(1, sizeof *ex));
    if (!e && !d->u.instance.instantiate) {
        ex->items = named;
        ex->n = na;
    } else if (!e) {
        citem comp = {0};
        if (!(e = space_get(s, WF_CSORT_COMPONENT, d->u.instance.component, &comp)) && !comp.of.component.c)
            e = wf_error_new(WF_ERR_UNLINKABLE, "component %u is not available", d->u.instance.component);
        if (!e)
            e = instantiate(s->root, comp.of.component.c, s->r, comp.of.component.env, named, na, NULL, ex);
    }
    if (e) return e;
    citem it = { .sort = WF_CSORT_INSTANCE, .of.inst = ex };
    bind_item(s->r, d->type, &it);
    push(s, WF_CSORT_INSTANCE, it);
    return NULL;
}

static wf_error *do_alias(scope *s, const wf_cdef *d)
{
    citem it = {0}, x = {0};
    wf_error *e = NULL;
    switch (d->u.alias.kind) {
    case WF_CALIAS_EXPORT: {
        if ((e = space_get(s, WF_CSORT_INSTANCE, d->u.alias.instance, &x))) return e;
        const citem *y = find_named(x.of.inst->items, x.of.inst->n, d->u.alias.name);
        if (!y || y->sort != d->sort)
            return wf_error_new(WF_ERR_UNLINKABLE, "instance has no %s export `%s`", wf_csort_name(d->sort),
                                d->u.alias.name);
        it = *y;
        bind_item(s->r, d->type, &it);
        break;
    }
    case WF_CALIAS_CORE_EXPORT:
        if ((e = space_get(s, WF_CSORT_CORE_INSTANCE, d->u.alias.instance, &x))) return e;
        if ((e = core_export(x.of.core_inst, d->u.alias.name, &it.of.core))) return e;
        break;
    case WF_CALIAS_OUTER: {
        /* the runtime item of the enclosing definition scope, which may be
         * something only known at run time (an import of the parent) */
        crt *o = s->r;
        for (uint32_t k = 0; o && k < d->u.alias.outer_count; k++) o = o->lex;
        if (o && d->sort < WF_CSORT_COUNT && d->u.alias.outer_index < o->sp[d->sort].len) {
            it = o->sp[d->sort].data[d->u.alias.outer_index];
        } else if (d->sort == WF_CSORT_CORE_MODULE && d->u.alias.outer_module) {
            it.of.module = d->u.alias.outer_module;
        } else if (d->sort == WF_CSORT_COMPONENT && d->u.alias.outer_component) {
            it.of.component.c = d->u.alias.outer_component;
        } else if (d->sort == WF_CSORT_TYPE || d->sort == WF_CSORT_CORE_TYPE) {
            if (d->type && d->type->kind == WF_CTYPE_RESOURCE) it.of.rt = wf_crt_lookup(s->r, d->type->resource);
        } else {
            return wf_error_new(WF_ERR_INTERNAL, "outer alias of %s %u out of reach", wf_csort_name(d->sort),
                                d->u.alias.outer_index);
        }
        break;
    }
    }
    push(s, d->sort, it);
    return NULL;
}

static wf_error *canon_opts(scope *s, const wf_copts *o, wf_cabi_opts *out)
{
    citem x = {0};
    wf_error *e = NULL;
    memset(out, 0, sizeof *out);
    out->enc = o->encoding == WF_CENC_UTF16 ? WF_CABI_UTF16
             : o->encoding == WF_CENC_LATIN1_UTF16 ? WF_CABI_LATIN1_UTF16 : WF_CABI_UTF8;
    if (o->has_callback)
        return wf_error_new(WF_ERR_UNSUPPORTED, "async callbacks are not supported");
    if (o->has_memory && !(e = space_get(s, WF_CSORT_CORE_MEMORY, o->memory, &x))) out->memory = x.of.core.of.memory;
    if (!e && o->has_realloc && !(e = space_get(s, WF_CSORT_CORE_FUNC, o->realloc, &x))) out->realloc = x.of.core.of.func;
    if (!e && o->has_post_return && !(e = space_get(s, WF_CSORT_CORE_FUNC, o->post_return, &x)))
        out->post_return = x.of.core.of.func;
    return e;
}

static wf_error *do_canon(scope *s, const wf_cdef *d)
{
    citem x = {0};
    wf_error *e;
    wf_cabi_opts o;
    switch (d->u.canon.kind) {
    case WF_CANON_LIFT: {
        if ((e = space_get(s, WF_CSORT_CORE_FUNC, d->u.canon.func, &x)) || (e = canon_opts(s, &d->u.canon.opts, &o)))
            return e;
        if (d->u.canon.opts.async)
            return wf_error_new(WF_ERR_UNSUPPORTED, "async lifted functions are not supported");
        cfunc *f = own(s->root, wf_xcalloc(1, sizeof *f));
        f->type = d->u.canon.func_type;
        f->lifted = true;
        f->core = x.of.core.of.func;
        f->opts = o;
        f->inst = s->r;
        wf_cabi_core_sig(f->type, false, f->ps, &f->np, f->rs, &f->nr);
        push(s, WF_CSORT_FUNC, (citem){ .of.func = f });
        return NULL;
    }
    case WF_CANON_LOWER: {
        if ((e = space_get(s, WF_CSORT_FUNC, d->u.canon.func, &x)) || (e = canon_opts(s, &d->u.canon.opts, &o)))
            return e;
        wf_func *cf = wf_cinst_lower(s->root, s->r, x.of.func, d->u.canon.func_type, &o, d->u.canon.opts.async);
        push(s, WF_CSORT_CORE_FUNC, (citem){ .of.core = { .kind = WF_EXTERN_FUNC, .of.func = cf } });
        return NULL;
    }
    case WF_CANON_RESOURCE_NEW: case WF_CANON_RESOURCE_DROP: case WF_CANON_RESOURCE_REP: {
        cabi_rtype *rt = wf_crt_lookup(s->r, d->u.canon.resource);
        if (!rt) return wf_error_new(WF_ERR_INTERNAL, "resource type %u is not instantiated", d->u.canon.type);
        wf_func *cf = wf_cinst_builtin(s->root, s->r, d->u.canon.kind, rt);
        push(s, WF_CSORT_CORE_FUNC, (citem){ .of.core = { .kind = WF_EXTERN_FUNC, .of.func = cf } });
        return NULL;
    }
    default:
        return wf_error_new(WF_ERR_UNSUPPORTED, "canonical built-in 0x%02x is not supported", d->u.canon.opcode);
    }
}

static wf_error *do_type(scope *s, const wf_cdef *d)
{
    citem it = {0};
    const wf_ctype *t = d->type;
    if (t && t->kind == WF_CTYPE_RESOURCE) {
        const wf_cresource *res = wf_cresource_root(t->resource);
        if (res->kind == WF_CRES_DEFINED && res->owner == s->c) {
            wf_func *dtor = NULL;
            citem x = {0};
            wf_error *e;
            if (res->has_dtor) {
                if ((e = space_get(s, WF_CSORT_CORE_FUNC, res->dtor, &x))) return e;
                dtor = x.of.core.of.func;
            }
            it.of.rt = wf_cabi_rtype_new(&s->r->ci, dtor);
            wf_vec_push(&s->root->rts, it.of.rt);
            wf_crt_bind(s->r, res, it.of.rt);
        } else {
            it.of.rt = wf_crt_lookup(s->r, res);
        }
    }
    push(s, d->kind == WF_CDEF_CORE_TYPE ? WF_CSORT_CORE_TYPE : WF_CSORT_TYPE, it);
    return NULL;
}

static wf_error *do_def(scope *s, const wf_cdef *d, cnamed_vec *out)
{
    citem x = {0};
    wf_error *e;
    switch (d->kind) {
    case WF_CDEF_CORE_MODULE:
        push(s, WF_CSORT_CORE_MODULE, (citem){ .of.module = d->u.core_module.module });
        return NULL;
    case WF_CDEF_CORE_INSTANCE: return do_core_instance(s, d);
    case WF_CDEF_CORE_TYPE: case WF_CDEF_TYPE: return do_type(s, d);
    case WF_CDEF_COMPONENT:
        push(s, WF_CSORT_COMPONENT, (citem){ .of.component = { d->u.component.component, s->r } });
        return NULL;
    case WF_CDEF_INSTANCE: return do_instance(s, d);
    case WF_CDEF_ALIAS: return do_alias(s, d);
    case WF_CDEF_CANON: return do_canon(s, d);
    case WF_CDEF_IMPORT: return do_import(s, d);
    case WF_CDEF_EXPORT: {
        if ((e = space_get(s, d->u.export.item.sort, d->u.export.item.idx, &x))) return e;
        bind_item(s->r, d->type, &x);
        push(s, d->sort, x);
        wf_vec_push(out, ((cnamed){ d->u.export.name, x }));
        return NULL;
    }
    case WF_CDEF_START: {
        if (d->u.start.nargs || d->u.start.nresults)
            return wf_error_new(WF_ERR_UNSUPPORTED, "start functions with values are not supported");
        if ((e = space_get(s, WF_CSORT_FUNC, d->u.start.func, &x))) return e;
        if (s->root->store->bare) return NULL;   /* about to be reset to a snapshot */
        s->root->store->ran_code = true;
        if (!x.of.func->lifted) s->root->store->host_calls++;
        return wf_cfunc_call(x.of.func, NULL, NULL, NULL);
    }
    case WF_CDEF_VALUE:
        return wf_error_new(WF_ERR_UNSUPPORTED, "value definitions are not supported");
    }
    return wf_error_new(WF_ERR_INTERNAL, "unknown definition kind %d", d->kind);
}

static wf_error *instantiate(wf_cinstance *root, const wf_component *c, crt *parent, crt *lex,
                             const cnamed *args, size_t nargs, const wf_clinker *l, cexports *out)
{
    crt *r = wf_xcalloc(1, sizeof *r);
    wf_cabi_inst_init(&r->ci, parent ? &parent->ci : NULL);
    r->ci.resource = resolve;
    r->parent = parent;
    r->root = root;
    r->lex = lex;
    r->comp = c;
    wf_vec_push(&root->crts, r);
    if (!parent) root->root = r;
    scope s = { .root = root, .c = c, .r = r, .sp = r->sp, .args = args, .nargs = nargs, .linker = l };
    cnamed_vec ex = {0};
    wf_error *e = NULL;
    for (size_t i = 0; !e && i < c->ndefs; i++) {
        e = do_def(&s, &c->defs[i], &ex);
        if (e && e->kind != WF_ERR_TRAP && e->kind != WF_ERR_UNLINKABLE && e->kind != WF_ERR_UNSUPPORTED)
            e = wf_error_wrap(e, "definition at byte %zu", c->defs[i].offset);
    }
    out->items = own(root, ex.data);
    out->n = ex.len;
    return e;
}

wf_error *wf_cinstance_new(wf_store *s, const wf_component *c, const wf_clinker *l, wf_cinstance **out)
{
    return wf_cinstance_new_with(s, c, l, NULL, out);
}

void *wf_cinstance_data(const wf_cinstance *inst) { return inst ? inst->data : NULL; }

void wf_cinstance_set_data(wf_cinstance *inst, void *data) { inst->data = data; }

wf_error *wf_cinstance_new_with(wf_store *s, const wf_component *c, const wf_clinker *l, void *data,
                                wf_cinstance **out)
{
    *out = NULL;
    if (!c->validated) return wf_error_new(WF_ERR_INVALID, "the component was not validated");
    wf_cinstance *inst = wf_xcalloc(1, sizeof *inst);
    inst->store = s;
    inst->comp = c;
    inst->data = data;
    static const wf_clinker empty;
    wf_error *e = instantiate(inst, c, NULL, NULL, NULL, 0, l ? l : &empty, &inst->exports);
    if (e) {
        wf_cinstance_free(inst);
        return e;
    }
    *out = inst;
    return NULL;
}

wf_error *wf_cinstance_drop_handle(wf_cinstance *inst, const wf_val *handle)
{
    if (handle->kind != WF_VAL_HANDLE)
        return wf_error_new(WF_ERR_INVALID, "expected a resource handle, got %s",
                            wf_val_kind_name((wf_val_kind)handle->kind));
    cabi_rtype *rt;
    uint32_t rep;
    bool ours = false;
    if (wf_cabi_handle_parse(handle, &rt, &rep))
        for (size_t i = 0; i < inst->rts.len && !ours; i++) ours = inst->rts.data[i] == rt;
    if (!ours && rt && rt->host_dtor) {   /* a host resource: its dtor, told which instance */
        wf_chost_resource *r = rt->host_env;
        return r->dtor ? r->dtor(r->env, inst, rep) : NULL;
    }
    if (!ours)
        return wf_error_new(WF_ERR_INVALID, "the handle is not of a resource type of this instance");
    return wf_cabi_run_dtor(rt, rep, NULL);
}

size_t wf_cinstance_open_handles(const wf_cinstance *inst)
{
    size_t n = 0;
    for (size_t i = 0; i < inst->crts.len; i++) {
        const cabi_inst *ci = &inst->crts.data[i]->ci;
        for (size_t k = 1; k < ci->handles.len; k++) n += ci->handles.data[k].rt != NULL;
    }
    return n;
}

void wf_cinstance_reset(wf_cinstance *inst)
{
    for (size_t i = 0; i < inst->crts.len; i++) {
        cabi_inst *ci = &inst->crts.data[i]->ci;
        ci->handles.len = 1;   /* [0] is never a handle */
        ci->free.len = 0;
        ci->may_enter = ci->may_leave = true;
        ci->poisoned = false;
    }
}

void wf_cinstance_free(wf_cinstance *inst)
{
    if (!inst) return;
    for (size_t i = 0; i < inst->crts.len; i++) {
        wf_cabi_inst_fini(&inst->crts.data[i]->ci);
        wf_vec_free(&inst->crts.data[i]->res);
        for (int k = 0; k < WF_CSORT_COUNT; k++) wf_vec_free(&inst->crts.data[i]->sp[k]);
        free(inst->crts.data[i]);
    }
    for (size_t i = 0; i < inst->rts.len; i++) wf_cabi_rtype_free(inst->rts.data[i]);
    for (size_t i = 0; i < inst->allocs.len; i++) free(inst->allocs.data[i]);
    wf_vec_free(&inst->crts);
    wf_vec_free(&inst->rts);
    wf_vec_free(&inst->allocs);
    free(inst);
}
