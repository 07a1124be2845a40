/*
 * comp_decode.c - the component binary: preamble, sections, and the
 * definitions other than types (comp_type.c) and canon (comp_canon.c):
 * core modules, core instances, nested components, instances, aliases,
 * start, imports, exports and values; each is checked against the index
 * spaces as they stand and appended to the definition list. Also the
 * component's own type and its embedder view when it ends.
 *
 * The top of the decoder's dependency order: it calls into every other
 * comp_*.c file (reading and scopes, names, subtyping, visibility, types,
 * canon) and none of them calls back; only comp_api.c calls it.
 */
#include "component/binary/comp_int.h"

#include <stdio.h>

/* ---- Definitions ---------------------------------------------------------- */

typedef WF_VEC(wf_cdef) defvec;

typedef struct cdecoder {
    cctx *x;
    defvec defs;
    cscope scope;
} cdecoder;

static wf_cdef *new_def(cdecoder *d, wf_cdef_kind kind, size_t at)
{
    wf_cdef z;
    memset(&z, 0, sizeof z);
    z.kind = (uint8_t)kind;
    z.sort = WF_CSORT_NONE;
    z.offset = at;
    wf_vec_push(&d->defs, z);
    return &wf_vec_last(&d->defs);
}

/* Append an entry of `sort` for def; returns it for filling. */
static citem *def_adds(cdecoder *d, wf_cdef *def, uint8_t sort)
{
    def->sort = sort;
    def->index = (uint32_t)d->scope.space[sort].len;
    return wf_cscope_push(&d->scope, sort);
}

/* The type of a core module compiled by the engine. */
static void coredecl_of_export(const wf_module *m, uint8_t kind, uint32_t idx, wf_ccoredecl *c)
{
    c->kind = kind;
    switch (kind) {
    case WF_EXTERN_FUNC: c->type.func = m->funcs[idx].type; break;
    case WF_EXTERN_TABLE: c->type.table = m->tables[idx].type; break;
    case WF_EXTERN_MEMORY: c->type.mem = m->mems[idx]; break;
    case WF_EXTERN_GLOBAL: c->type.global = m->globals[idx].type; break;
    case WF_EXTERN_TAG: c->type.func = m->tags[idx]; break;
    }
}

static const wf_ctype *module_type(cctx *x, const wf_module *m)
{
    wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_CORE_MODULE);
    t->core_imports = wf_arena_alloc(&x->arena->mem, (m->nimports + 1) * sizeof(wf_ccoredecl));
    t->ncore_imports = m->nimports;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wf_import *im = &m->imports[i];
        wf_ccoredecl *c = &t->core_imports[i];
        c->module = wf_arena_strndup(&x->arena->mem, im->module, im->module_len);
        c->name = wf_arena_strndup(&x->arena->mem, im->name, im->name_len);
        c->kind = im->kind;
        switch (im->kind) {
        case WF_EXTERN_FUNC: case WF_EXTERN_TAG: c->type.func = im->type.func; break;
        case WF_EXTERN_TABLE: c->type.table = im->type.table; break;
        case WF_EXTERN_MEMORY: c->type.mem = im->type.mem; break;
        case WF_EXTERN_GLOBAL: c->type.global = im->type.global; break;
        }
    }
    t->core_exports = wf_arena_alloc(&x->arena->mem, (m->nexports + 1) * sizeof(wf_ccoredecl));
    t->ncore_exports = m->nexports;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wf_export *ex = &m->exports[i];
        wf_ccoredecl *c = &t->core_exports[i];
        coredecl_of_export(m, ex->kind, ex->index, c);
        c->name = wf_arena_strndup(&x->arena->mem, ex->name, ex->name_len);
    }
    return t;
}

static uint8_t core_sort_of_kind(uint8_t kind)
{
    switch (kind) {
    case WF_EXTERN_FUNC: return WF_CSORT_CORE_FUNC;
    case WF_EXTERN_TABLE: return WF_CSORT_CORE_TABLE;
    case WF_EXTERN_MEMORY: return WF_CSORT_CORE_MEMORY;
    case WF_EXTERN_GLOBAL: return WF_CSORT_CORE_GLOBAL;
    default: return WF_CSORT_CORE_TAG;
    }
}

/* Components forbid duplicate two-level import names of core modules. */
static bool core_imports_unique(cctx *x, const wf_module *m, size_t at)
{
    for (uint32_t i = 0; i < m->nimports; i++)
        for (uint32_t j = 0; j < i; j++)
            if (m->imports[i].module_len == m->imports[j].module_len &&
                m->imports[i].name_len == m->imports[j].name_len &&
                !memcmp(m->imports[i].module, m->imports[j].module, m->imports[i].module_len) &&
                !memcmp(m->imports[i].name, m->imports[j].name, m->imports[i].name_len))
                return wf_cinvalid(x, at, "duplicate import name `%s:%s` in a core module", m->imports[i].module,
                                   m->imports[i].name);
    return true;
}

static bool sec_core_module(cdecoder *d, size_t size)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    const uint8_t *p;
    if (!wf_read_bytes(&x->r, size, &p)) return false;
    wf_module *m = NULL;
    wf_error *e = x->borrow ? wf_module_new_borrowed(p, size, &m) : wf_module_new(p, size, &m);
    if (e) {
        if (e->offset >= 0) e->offset += (int64_t)at;
        else e->offset = (int64_t)at;
        x->r.err = wf_error_wrap(e, "core module");
        return false;
    }
    wf_cdef *def = new_def(d, WF_CDEF_CORE_MODULE, at);
    def->u.core_module.module = m;
    if (!core_imports_unique(x, m, at)) return false;
    citem *it = def_adds(d, def, WF_CSORT_CORE_MODULE);
    it->module = m;
    it->type = module_type(x, m);
    return true;
}

static const char *core_kind_name(uint8_t k)
{
    return wf_csort_name(core_sort_of_kind(k));
}

static const wf_ccoredecl *find_core_export(const wf_ctype *t, const char *name)
{
    for (size_t i = 0; i < t->ncore_exports; i++)
        if (!strcmp(t->core_exports[i].name, name)) return &t->core_exports[i];
    return NULL;
}

static bool read_core_instance(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    uint8_t tag;
    if (!wf_read_u8(&x->r, &tag)) return false;
    if (tag == 0x00) {
        uint32_t midx, n;
        size_t mat = OFF(x);
        if (!wf_read_u32(&x->r, &midx) || !wf_cread_count(x, &n)) return false;
        wf_carg *args = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *args);
        for (uint32_t i = 0; i < n; i++) {
            size_t aat = OFF(x);
            uint8_t b;
            if (!wf_cread_name(x, &args[i].name) || !wf_read_u8(&x->r, &b)) return false;
            if (b != 0x12) return wf_cmalformed(x, aat, "invalid leading byte (0x%x) for core instantiation argument", b);
            args[i].item.sort = WF_CSORT_CORE_INSTANCE;
            if (!wf_read_u32(&x->r, &args[i].item.idx)) return false;
            if (!wf_cscope_get(x, &d->scope, WF_CSORT_CORE_INSTANCE, args[i].item.idx, aat)) return false;
            for (uint32_t j = 0; j < i; j++)
                if (!strcmp(args[j].name, args[i].name))
                    return wf_cinvalid(x, aat, "duplicate instantiation argument named `%s`", args[i].name);
        }
        const citem *mod = wf_cscope_get(x, &d->scope, WF_CSORT_CORE_MODULE, midx, mat);
        if (!mod) return false;
        const wf_ctype *mt = mod->type;
        for (size_t i = 0; i < mt->ncore_imports; i++) {
            const wf_ccoredecl *im = &mt->core_imports[i];
            const wf_carg *arg = NULL;
            for (uint32_t j = 0; j < n && !arg; j++)
                if (!strcmp(args[j].name, im->module)) arg = &args[j];
            if (!arg) return wf_cinvalid(x, at, "missing module instantiation argument named `%s`", im->module);
            const wf_ctype *it = d->scope.space[WF_CSORT_CORE_INSTANCE].data[arg->item.idx].type;
            const wf_ccoredecl *ex = find_core_export(it, im->name);
            if (!ex) return wf_cinvalid(x, at, "module instantiation argument `%s` does not export an item named `%s`", im->module, im->name);
            if (!wf_csub_core_decl(ex, im))
                return wf_cinvalid(x, at, "type mismatch for export `%s` of module instantiation argument `%s`: expected %s", im->name, im->module, core_kind_name(im->kind));
        }
        wf_cdef *def = new_def(d, WF_CDEF_CORE_INSTANCE, at);
        def->u.core_instance.instantiate = true;
        def->u.core_instance.module = midx;
        def->u.core_instance.args = args;
        def->u.core_instance.nargs = n;
        wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_CORE_INSTANCE);
        t->core_exports = mt->core_exports;
        t->ncore_exports = mt->ncore_exports;
        def_adds(d, def, WF_CSORT_CORE_INSTANCE)->type = t;
        return true;
    }
    if (tag != 0x01) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core instance", tag);
    uint32_t n;
    if (!wf_cread_count(x, &n)) return false;
    wf_carg *args = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *args);
    wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_CORE_INSTANCE);
    t->core_exports = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof(wf_ccoredecl));
    for (uint32_t i = 0; i < n; i++) {
        size_t aat = OFF(x);
        if (!wf_cread_name(x, &args[i].name) || !wf_cread_core_sort(x, &args[i].item.sort) ||
            !wf_read_u32(&x->r, &args[i].item.idx))
            return false;
        uint8_t s = args[i].item.sort;
        if (s > WF_CSORT_CORE_TAG)
            return wf_cinvalid(x, aat, "core instance export `%s` must be a func, table, memory, global or tag", args[i].name);
        const citem *it = wf_cscope_get(x, &d->scope, s, args[i].item.idx, aat);
        if (!it) return false;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(args[j].name, args[i].name))
                return wf_cinvalid(x, aat, "duplicate core instance export name `%s`", args[i].name);
        t->core_exports[i] = it->core;
        t->core_exports[i].module = NULL;
        t->core_exports[i].name = args[i].name;
    }
    t->ncore_exports = n;
    wf_cdef *def = new_def(d, WF_CDEF_CORE_INSTANCE, at);
    def->u.core_instance.args = args;
    def->u.core_instance.nargs = n;
    def_adds(d, def, WF_CSORT_CORE_INSTANCE)->type = t;
    return true;
}

static bool sec_vec(cdecoder *d, bool (*one)(cdecoder *))
{
    uint32_t n;
    if (!wf_cread_count(d->x, &n)) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!one(d)) return false;
    return true;
}

static bool read_core_type(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    cscope *saved = x->scope;
    x->scope = &d->scope;
    const wf_ctype *t;
    bool ok = wf_cread_core_type(x, &t);
    x->scope = saved;
    if (!ok) return false;
    wf_cdef *def = new_def(d, WF_CDEF_CORE_TYPE, at);
    def_adds(d, def, WF_CSORT_CORE_TYPE)->type = t;
    return true;
}

static bool read_type(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    const wf_ctype *t;
    if (!wf_cread_type(x, &t)) return false;
    wf_cdef *def = new_def(d, WF_CDEF_TYPE, at);
    citem *it = def_adds(d, def, WF_CSORT_TYPE);
    it->type = t;
    it->has_resource = wf_ctype_has_resource(x->arena, t);
    if (t->kind == WF_CTYPE_RESOURCE && t->resource->kind == WF_CRES_DEFINED)
        t->resource->type_index = def->index;
    return true;
}

/* ---- Component instances -------------------------------------------------- */

static const wf_cdecl *find_decl(const wf_cdecl *ds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ds[i].name, name)) return &ds[i];
    return NULL;
}

static const wf_ctype *item_type(cdecoder *d, uint8_t sort, uint32_t idx)
{
    return d->scope.space[sort].data[idx].type;
}

/* Instantiating component type ct with args: checks the args and returns the
 * instance type (exports with import resources substituted and the
 * component's own resources renamed fresh). */
static const wf_ctype *instantiate_type(cdecoder *d, const wf_ctype *ct, const wf_carg *args,
                                        size_t nargs, size_t at)
{
    cctx *x = d->x;
    cresmap m = {0};
    m.bindable = ct->bound;
    m.nbindable = ct->nbound;
    const wf_ctype *result = NULL;
    for (size_t i = 0; i < ct->nimports; i++) {
        const wf_cdecl *im = &ct->imports[i];
        const wf_carg *arg = NULL;
        for (size_t j = 0; j < nargs && !arg; j++)
            if (!strcmp(args[j].name, im->name)) arg = &args[j];
        if (!arg) {
            wf_cinvalid(x, at, "missing import named `%s`", im->name);
            goto out;
        }
        if (arg->item.sort != im->sort) {
            wf_cinvalid(x, at, "type mismatch for import `%s`: expected %s, found %s", im->name,
                        wf_csort_name(im->sort), wf_csort_name(arg->item.sort));
            goto out;
        }
        const wf_ctype *at_ = item_type(d, arg->item.sort, arg->item.idx);
        char what[300];
        snprintf(what, sizeof what, "type mismatch for import `%s`", im->name);
        if (im->sort == WF_CSORT_CORE_MODULE) {
            if (!wf_csub_core_module(x, at_, im->type, at)) goto out;
        } else if (!wf_csub_decl(x, im->sort, at_, im->type, &m, what, at)) {
            goto out;
        }
        /* a value type imported with an `eq` bound is, in the instance,
         * the argument's type (Explainer.md: instantiation substitutes
         * imports), which keeps the argument's visible name */
        if (im->sort == WF_CSORT_TYPE && im->type->kind == WF_CTYPE_VALUE && at_->kind == WF_CTYPE_VALUE &&
            im->type->val != at_->val) {
            wf_vec_push(&m.vfrom, im->type->val);
            wf_vec_push(&m.vto, at_->val);
        }
    }
    {
        /* the component's own (defined/exported) resources become fresh */
        wf_ctype *it = wf_carena_ctype(x->arena, WF_CTYPE_INSTANCE);
        wf_ctype tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.kind = WF_CTYPE_INSTANCE;
        tmp.exports = ct->exports;
        tmp.nexports = ct->nexports;
        tmp.bound = ct->bound;
        tmp.nbound = ct->nbound;
        /* only non-import bound resources are renamed: imports are in m */
        const wf_ctype *s = wf_csubst(x, &tmp, &m);
        *it = *s;
        it->bound = NULL;
        it->nbound = 0;
        result = it;
    }
out:
    wf_cresmap_free(&m);
    return result;
}

static bool read_instance(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    uint8_t tag;
    if (!wf_read_u8(&x->r, &tag)) return false;
    if (tag == 0x00) {
        uint32_t cidx, n;
        size_t cat = OFF(x);
        if (!wf_read_u32(&x->r, &cidx) || !wf_cread_count(x, &n)) return false;
        wf_carg *args = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *args);
        for (uint32_t i = 0; i < n; i++) {
            size_t aat = OFF(x);
            if (!wf_cread_name(x, &args[i].name) || !wf_cread_sort(x, &args[i].item.sort) ||
                !wf_read_u32(&x->r, &args[i].item.idx))
                return false;
            const citem *it = wf_cscope_get(x, &d->scope, args[i].item.sort, args[i].item.idx, aat);
            if (!it) return false;
            if (wf_csort_is_core(args[i].item.sort) && args[i].item.sort != WF_CSORT_CORE_MODULE)
                return wf_cinvalid(x, aat, "instantiation argument `%s` cannot be a %s", args[i].name,
                                   wf_csort_name(args[i].item.sort));
            for (uint32_t j = 0; j < i; j++)
                if (!strcmp(args[j].name, args[i].name))
                    return wf_cinvalid(x, aat, "instantiation argument `%s` is given more than once", args[i].name);
        }
        const citem *ci = wf_cscope_get(x, &d->scope, WF_CSORT_COMPONENT, cidx, cat);
        if (!ci) return false;
        const wf_ctype *t = instantiate_type(d, ci->type, args, n, at);
        if (!t) return false;
        for (uint32_t i = 0; i < n; i++)
            if (args[i].item.sort == WF_CSORT_VALUE) {
                citem *v = &d->scope.space[WF_CSORT_VALUE].data[args[i].item.idx];
                if (v->consumed) return wf_cinvalid(x, at, "value %u cannot be used more than once", args[i].item.idx);
                v->consumed = true;
            }
        wf_cdef *def = new_def(d, WF_CDEF_INSTANCE, at);
        def->u.instance.instantiate = true;
        def->u.instance.component = cidx;
        def->u.instance.args = args;
        def->u.instance.nargs = n;
        citem *it = def_adds(d, def, WF_CSORT_INSTANCE);
        it->type = t;
        it->has_resource = wf_ctype_has_resource(x->arena, t);
        return true;
    }
    if (tag != 0x01) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for instance", tag);
    uint32_t n;
    if (!wf_cread_count(x, &n)) return false;
    wf_carg *args = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *args);
    wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_INSTANCE);
    wf_cdecl *ex = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *ex);
    for (uint32_t i = 0; i < n; i++) {
        size_t aat = OFF(x);
        bool impl;
        if (!wf_cread_extern_name(x, &args[i].name, &impl) || !wf_cread_sort(x, &args[i].item.sort) ||
            !wf_read_u32(&x->r, &args[i].item.idx))
            return false;
        uint8_t s = args[i].item.sort;
        const citem *it = wf_cscope_get(x, &d->scope, s, args[i].item.idx, aat);
        if (!it) return false;
        if (wf_csort_is_core(s) && s != WF_CSORT_CORE_MODULE)
            return wf_cinvalid(x, aat, "instance export `%s` cannot be a %s", args[i].name, wf_csort_name(s));
        cname nm;
        if (!wf_cname_parse(x, args[i].name, &nm, aat)) return false;
        if (!wf_cname_unique(x, ex, i, args[i].name, aat)) return false;
        ex[i].name = args[i].name;
        ex[i].sort = s;
        ex[i].type = s == WF_CSORT_TYPE ? wf_cvis_name(x, it->type, args[i].name) : it->type;
        if (!wf_ccheck_implements(x, impl, &nm, &ex[i], aat)) return false;
        if (!wf_cname_check_decl(x, &nm, &ex[i], ex, i, aat)) return false;
        if (s == WF_CSORT_VALUE) {
            citem *v = &d->scope.space[WF_CSORT_VALUE].data[args[i].item.idx];
            if (v->consumed) return wf_cinvalid(x, aat, "value %u cannot be used more than once", args[i].item.idx);
            v->consumed = true;
        }
    }
    t->exports = ex;
    t->nexports = n;
    wf_cdef *def = new_def(d, WF_CDEF_INSTANCE, at);
    def->u.instance.args = args;
    def->u.instance.nargs = n;
    citem *it = def_adds(d, def, WF_CSORT_INSTANCE);
    it->type = t;
    it->has_resource = wf_ctype_has_resource(x->arena, t);
    return true;
}

/* ---- Aliases -------------------------------------------------------------- */

static bool outer_sort_ok(uint8_t s)
{
    return s == WF_CSORT_CORE_MODULE || s == WF_CSORT_CORE_TYPE || s == WF_CSORT_TYPE ||
           s == WF_CSORT_COMPONENT;
}

static bool read_alias(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    uint8_t sort, tag;
    if (!wf_cread_sort(x, &sort) || !wf_read_u8(&x->r, &tag)) return false;
    wf_cdef *def;
    switch (tag) {
    case 0x00: {
        uint32_t idx;
        char *name;
        if (!wf_read_u32(&x->r, &idx) || !wf_cread_name(x, &name)) return false;
        if (wf_csort_is_core(sort) && sort != WF_CSORT_CORE_MODULE)
            return wf_cinvalid(x, at, "cannot alias a %s from a component instance", wf_csort_name(sort));
        const citem *inst = wf_cscope_get(x, &d->scope, WF_CSORT_INSTANCE, idx, at);
        if (!inst) return false;
        const wf_cdecl *e = find_decl(inst->type->exports, inst->type->nexports, name);
        if (!e) return wf_cinvalid(x, at, "instance %u has no export named `%s`", idx, name);
        if (e->sort != sort)
            return wf_cinvalid(x, at, "export `%s` for instance %u is not a %s", name, idx, wf_csort_name(sort));
        def = new_def(d, WF_CDEF_ALIAS, at);
        def->u.alias.kind = WF_CALIAS_EXPORT;
        def->u.alias.instance = idx;
        def->u.alias.name = name;
        citem *it = def_adds(d, def, sort);
        wf_citem_from_decl(x, it, e);
        return true;
    }
    case 0x01: {
        uint32_t idx;
        char *name;
        if (!wf_read_u32(&x->r, &idx) || !wf_cread_name(x, &name)) return false;
        if (!wf_csort_is_core(sort) || sort > WF_CSORT_CORE_TAG)
            return wf_cinvalid(x, at, "cannot alias a %s from a core instance", wf_csort_name(sort));
        const citem *inst = wf_cscope_get(x, &d->scope, WF_CSORT_CORE_INSTANCE, idx, at);
        if (!inst) return false;
        const wf_ccoredecl *e = find_core_export(inst->type, name);
        if (!e) return wf_cinvalid(x, at, "core instance %u has no export named `%s`", idx, name);
        if (core_sort_of_kind(e->kind) != sort)
            return wf_cinvalid(x, at, "export `%s` for core instance %u is not a %s", name, idx, wf_csort_name(sort));
        def = new_def(d, WF_CDEF_ALIAS, at);
        def->u.alias.kind = WF_CALIAS_CORE_EXPORT;
        def->u.alias.instance = idx;
        def->u.alias.name = name;
        citem *it = def_adds(d, def, sort);
        it->core = *e;
        if (sort == WF_CSORT_CORE_FUNC) {
            wf_ctype *ft = wf_carena_ctype(x->arena, WF_CTYPE_CORE_FUNC);
            ft->core_func = e->type.func;
            it->type = ft;
        }
        return true;
    }
    case 0x02: {
        uint32_t count, idx;
        if (!wf_read_u32(&x->r, &count) || !wf_read_u32(&x->r, &idx)) return false;
        if (!outer_sort_ok(sort))
            return wf_cmalformed(x, at, "invalid leading byte for component outer alias kind: outer aliases of a %s are not allowed", wf_csort_name(sort));
        const citem *t = wf_cresolve_outer(x, &d->scope, sort, count, idx, at);
        if (!t) return false;
        citem copy = *t;
        def = new_def(d, WF_CDEF_ALIAS, at);
        def->u.alias.kind = WF_CALIAS_OUTER;
        def->u.alias.outer_count = count;
        def->u.alias.outer_index = idx;
        def->u.alias.outer_module = copy.module;
        def->u.alias.outer_component = copy.component;
        *def_adds(d, def, sort) = copy;
        return true;
    }
    default:
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for alias", tag);
    }
}

/* ---- Start, imports, exports, values -------------------------------------- */

static bool sec_start(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    uint32_t f, n, nres;
    if (!wf_read_u32(&x->r, &f) || !wf_cread_count(x, &n)) return false;
    uint32_t *args = wf_arena_alloc(&x->arena->mem, (n + 1) * sizeof *args);
    for (uint32_t i = 0; i < n; i++)
        if (!wf_read_u32(&x->r, &args[i])) return false;
    if (!wf_read_u32(&x->r, &nres)) return false;
    const citem *fi = wf_cscope_get(x, &d->scope, WF_CSORT_FUNC, f, at);
    if (!fi) return false;
    const wf_wit_func *ft = fi->type->func;
    if (ft->nparams != n)
        return wf_cinvalid(x, at, "start function requires %zu arguments, found %u", ft->nparams, n);
    if (ft->nresults != nres)
        return wf_cinvalid(x, at, "start function results mismatch: expected %zu, found %u", ft->nresults, nres);
    for (uint32_t i = 0; i < n; i++) {
        const citem *v = wf_cscope_get(x, &d->scope, WF_CSORT_VALUE, args[i], at);
        if (!v) return false;
        wf_ctype want;
        memset(&want, 0, sizeof want);
        want.kind = WF_CTYPE_VALUE;
        want.val = ft->params[i].type;
        cresmap m = {0};
        bool ok = wf_csub_decl(x, WF_CSORT_VALUE, v->type, &want, &m, "type mismatch for start argument", at);
        wf_cresmap_free(&m);
        if (!ok) return false;
        if (v->consumed) return wf_cinvalid(x, at, "value %u cannot be used more than once", args[i]);
        d->scope.space[WF_CSORT_VALUE].data[args[i]].consumed = true;
    }
    wf_cdef *def = new_def(d, WF_CDEF_START, at);
    def->u.start.func = f;
    def->u.start.args = args;
    def->u.start.nargs = n;
    def->u.start.nresults = nres;
    for (uint32_t i = 0; i < nres; i++) {
        wf_ctype *vt = wf_carena_ctype(x->arena, WF_CTYPE_VALUE);
        vt->val = ft->results[i].type;
        citem *it = wf_cscope_push(&d->scope, WF_CSORT_VALUE);
        it->type = vt;
        if (i == 0) {
            def->sort = WF_CSORT_VALUE;
            def->index = (uint32_t)d->scope.space[WF_CSORT_VALUE].len - 1;
        }
    }
    return true;
}

static bool read_import(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    char *name;
    bool impl;
    if (!wf_cread_extern_name(x, &name, &impl)) return false;
    cname nm;
    if (!wf_cname_parse(x, name, &nm, at)) return false;
    if (!wf_cname_unique(x, d->scope.imports.data, d->scope.imports.len, name, at)) return false;
    wf_cdecl decl = { .name = name };
    if (!wf_cread_externtype(x, name, WF_CRES_IMPORTED, &decl)) return false;
    if (!wf_ccheck_implements(x, impl, &nm, &decl, at)) return false;
    bool fresh = decl.sort == WF_CSORT_TYPE && decl.type->kind == WF_CTYPE_RESOURCE &&
                 decl.type->resource->kind == WF_CRES_IMPORTED && decl.type->resource->name == name;
    if (fresh) wf_vec_push(&d->scope.bound, decl.type->resource);
    else if (decl.sort == WF_CSORT_TYPE) decl.type = wf_cvis_name(x, decl.type, name);
    if (!wf_cname_check_decl(x, &nm, &decl, d->scope.imports.data, d->scope.imports.len, at)) return false;
    if (!wf_cvis_check(x, &d->scope.vis_imports, &decl, true, at)) return false;
    wf_cvis_add(&d->scope.vis_imports, decl.sort, decl.type, 0);
    wf_cvis_add(&d->scope.vis_all, decl.sort, decl.type, 0);
    wf_vec_push(&d->scope.imports, decl);
    wf_cdef *def = new_def(d, WF_CDEF_IMPORT, at);
    def->u.import.decl = decl;
    citem *it = def_adds(d, def, decl.sort);
    wf_citem_from_decl(x, it, &decl);
    return true;
}

static bool read_export(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    char *name;
    bool impl;
    wf_csortidx item;
    uint8_t has_t;
    if (!wf_cread_extern_name(x, &name, &impl) || !wf_cread_sort(x, &item.sort) ||
        !wf_read_u32(&x->r, &item.idx) || !wf_read_u8(&x->r, &has_t))
        return false;
    if (has_t > 1) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for optional export type", has_t);
    cname nm;
    if (!wf_cname_parse(x, name, &nm, at)) return false;
    if (!wf_cname_unique(x, d->scope.exports.data, d->scope.exports.len, name, at)) return false;
    const citem *it = wf_cscope_get(x, &d->scope, item.sort, item.idx, at);
    if (!it) return false;
    if (wf_csort_is_core(item.sort) && item.sort != WF_CSORT_CORE_MODULE)
        return wf_cinvalid(x, at, "cannot export a %s", wf_csort_name(item.sort));
    wf_cdecl decl = { .name = name, .sort = item.sort, .type = it->type };
    if (has_t) {
        wf_cdecl asc = { .name = name };
        if (!wf_cread_externtype(x, name, WF_CRES_ABSTRACT, &asc)) return false;
        if (asc.sort != item.sort)
            return wf_cinvalid(x, at, "export `%s`: ascribed type is a %s, item is a %s", name,
                               wf_csort_name(asc.sort), wf_csort_name(item.sort));
        cresmap m = {0};
        wf_cresource *fresh = asc.sort == WF_CSORT_TYPE && asc.type->kind == WF_CTYPE_RESOURCE &&
                              asc.type->resource->name == name ? asc.type->resource : NULL;
        m.bindable = &fresh;
        m.nbindable = fresh ? 1 : 0;
        bool ok;
        if (item.sort == WF_CSORT_CORE_MODULE) {
            ok = wf_csub_core_module(x, it->type, asc.type, at);
        } else {
            char what[300];
            snprintf(what, sizeof what, "type mismatch in ascribed type of export `%s`", name);
            ok = wf_csub_decl(x, item.sort, it->type, asc.type, &m, what, at);
        }
        /* Nothing to bind when the item is not what the ascription says
         * (for a (sub resource), not a resource: it has none). */
        const wf_ctype *t = NULL;
        if (ok && fresh) {
            /* (sub resource): outside, a new abstract type; at run time the
             * item's (same owner and type index) */
            const wf_cresource *root = wf_cresource_root(it->type->resource);
            fresh->kind = root->kind;
            fresh->owner = root->owner;
            fresh->type_index = root->type_index;
            fresh->has_dtor = root->has_dtor;
            fresh->dtor = root->dtor;
            wf_vec_push(&d->scope.bound, fresh);
            t = asc.type;
        } else if (ok) {
            t = wf_csubst(x, asc.type, &m);
        }
        wf_cresmap_free(&m);
        if (!ok) return false;
        decl.type = t;
    }
    if (!wf_ccheck_implements(x, impl, &nm, &decl, at)) return false;
    if (item.sort == WF_CSORT_VALUE) {
        citem *v = &d->scope.space[WF_CSORT_VALUE].data[item.idx];
        if (v->consumed) return wf_cinvalid(x, at, "value %u cannot be used more than once", item.idx);
        v->consumed = true;
    }
    /* every resource and named value type it uses must be visible */
    if (!wf_cvis_check(x, &d->scope.vis_all, &decl, false, at)) return false;
    if (decl.sort == WF_CSORT_TYPE && !(has_t && decl.type->kind == WF_CTYPE_RESOURCE &&
                                        decl.type->resource->name == name))
        decl.type = wf_cvis_name(x, decl.type, name);
    wf_cvis_add(&d->scope.vis_all, decl.sort, decl.type, 0);
    if (!wf_cname_check_decl(x, &nm, &decl, d->scope.exports.data, d->scope.exports.len, at)) return false;
    wf_vec_push(&d->scope.exports, decl);
    wf_cdef *def = new_def(d, WF_CDEF_EXPORT, at);
    def->u.export.name = name;
    def->u.export.item = item;
    def->u.export.has_ascription = has_t;
    citem copy = *it;
    copy.type = decl.type;
    copy.consumed = false;
    citem *nit = def_adds(d, def, item.sort);
    *nit = copy;
    if (item.sort == WF_CSORT_VALUE) nit->consumed = true; /* the export consumed it */
    return true;
}

static bool read_value(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    const wf_wit_type *t;
    uint32_t len;
    if (!wf_cread_valtype(x, &t) || !wf_read_u32(&x->r, &len)) return false;
    if (len > wf_reader_left(&x->r)) return wf_cmalformed(x, at, "unexpected end-of-file");
    const uint8_t *p = x->r.p;
    size_t vat = OFF(x);
    if (!wf_cread_value(x, t, vat + len)) return false;
    if (OFF(x) != vat + len) return wf_cmalformed(x, vat, "value length mismatch");
    wf_cdef *def = new_def(d, WF_CDEF_VALUE, at);
    def->u.value.bytes = p;
    def->u.value.len = len;
    wf_ctype *vt = wf_carena_ctype(x->arena, WF_CTYPE_VALUE);
    vt->val = t;
    def_adds(d, def, WF_CSORT_VALUE)->type = vt;
    return true;
}

static bool read_canon(cdecoder *d)
{
    cctx *x = d->x;
    wf_cdef *def = new_def(d, WF_CDEF_CANON, OFF(x));
    if (!wf_cread_canon(x, def)) return false;
    def->index = (uint32_t)d->scope.space[def->sort].len - 1;
    return true;
}

/* ---- The component -------------------------------------------------------- */

static wf_error *decode_component(cctx *x, size_t end, cscope *parent, uint32_t depth,
                                  wf_component **out);

static bool sec_component(cdecoder *d, size_t size)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    if (x->depth >= CMAX_DEPTH) return wf_cinvalid(x, at, "components nested too deeply");
    const uint8_t *saved_end = x->r.end;
    x->r.end = x->r.p + size;
    wf_component *c = NULL;
    x->depth++;
    wf_error *e = decode_component(x, at + size, &d->scope, x->depth, &c);
    x->depth--;
    x->r.end = saved_end;
    if (e) {
        if (!x->r.err) x->r.err = e;
        else wf_error_free(e);
        return false;
    }
    wf_cdef *def = new_def(d, WF_CDEF_COMPONENT, at);
    def->u.component.component = c;
    citem *it = def_adds(d, def, WF_CSORT_COMPONENT);
    it->component = c;
    it->type = c->ctype;
    return true;
}

static bool read_preamble(cctx *x)
{
    size_t at = OFF(x);
    const uint8_t *p;
    if (wf_reader_left(&x->r) < 8) return wf_cmalformed(x, at, "unexpected end-of-file (preamble)");
    wf_read_bytes(&x->r, 8, &p);
    if (memcmp(p, "\0asm", 4) != 0) return wf_cmalformed(x, at, "magic header not detected");
    if (p[4] != 0x0d || p[5] != 0x00) return wf_cmalformed(x, at + 4, "unknown binary version");
    if (p[6] != 0x01 || p[7] != 0x00) return wf_cmalformed(x, at + 6, "unknown binary version (layer)");
    return true;
}

static bool read_section(cdecoder *d)
{
    cctx *x = d->x;
    size_t at = OFF(x);
    uint8_t id;
    uint32_t size;
    if (!wf_read_u8(&x->r, &id) || !wf_read_u32(&x->r, &size)) return false;
    if (size > wf_reader_left(&x->r)) return wf_cmalformed(x, at, "unexpected end-of-file (section size)");
    const uint8_t *saved_end = x->r.end;
    const uint8_t *sec_end = x->r.p + size;
    x->r.end = sec_end;
    size_t body = OFF(x);
    bool ok;
    switch (id) {
    case 0: {
        char *name;
        ok = wf_cread_name(x, &name);
        x->r.p = sec_end;
        break;
    }
    case 1: ok = sec_core_module(d, size); break;
    case 2: ok = sec_vec(d, read_core_instance); break;
    case 3: ok = sec_vec(d, read_core_type); break;
    case 4: ok = sec_component(d, size); break;
    case 5: ok = sec_vec(d, read_instance); break;
    case 6: ok = sec_vec(d, read_alias); break;
    case 7: ok = sec_vec(d, read_type); break;
    case 8: ok = sec_vec(d, read_canon); break;
    case 9: ok = sec_start(d); break;
    case 10: ok = sec_vec(d, read_import); break;
    case 11: ok = sec_vec(d, read_export); break;
    case 12: ok = sec_vec(d, read_value); break;
    default: ok = wf_cmalformed(x, at, "malformed section id %u", id); break;
    }
    if (ok && x->r.p != sec_end)
        ok = wf_cmalformed(x, OFF(x), "section size mismatch: unexpected content after the last item (section at %zu)", body);
    x->r.end = saved_end;
    return ok;
}

/* The embedder's view of a decl. */
static void cextern_of(cctx *x, const wf_cdecl *d, wf_cextern *e)
{
    e->name = d->name;
    switch (d->sort) {
    case WF_CSORT_CORE_MODULE: e->kind = WF_CEXTERN_MODULE; break;
    case WF_CSORT_FUNC: e->kind = WF_CEXTERN_FUNC; e->func = d->type->func; break;
    case WF_CSORT_VALUE: e->kind = WF_CEXTERN_VALUE; break;
    case WF_CSORT_TYPE: e->kind = WF_CEXTERN_TYPE; break;
    case WF_CSORT_COMPONENT: e->kind = WF_CEXTERN_COMPONENT; break;
    default: {
        e->kind = WF_CEXTERN_INSTANCE;
        const wf_ctype *t = d->type;
        wf_cextern *ms = wf_arena_alloc(&x->arena->mem, (t->nexports + 1) * sizeof *ms);
        for (size_t i = 0; i < t->nexports; i++) cextern_of(x, &t->exports[i], &ms[i]);
        e->members = ms;
        e->nmembers = t->nexports;
        break;
    }
    }
}

static bool finish(cdecoder *d, wf_component *c)
{
    cctx *x = d->x;
    cscope *s = &d->scope;
    for (size_t i = 0; i < s->space[WF_CSORT_VALUE].len; i++)
        if (!s->space[WF_CSORT_VALUE].data[i].consumed)
            return wf_cinvalid(x, OFF(x), "value %zu is not used (values must be consumed exactly once)", i);
    /* the component's type: its imports and exports; the resources it
     * imports or defines are bound (renamed per instantiation) */
    wf_ctype *t = wf_carena_ctype(x->arena, WF_CTYPE_COMPONENT);
    t->imports = wf_arena_dup(&x->arena->mem, s->imports.data, s->imports.len * sizeof(wf_cdecl));
    t->nimports = s->imports.len;
    t->exports = wf_arena_dup(&x->arena->mem, s->exports.data, s->exports.len * sizeof(wf_cdecl));
    t->nexports = s->exports.len;
    t->bound = wf_arena_dup(&x->arena->mem, s->bound.data, s->bound.len * sizeof(wf_cresource *));
    t->nbound = s->bound.len;
    c->ctype = t;

    c->defs = d->defs.data;
    c->ndefs = d->defs.len;
    d->defs.data = NULL;
    d->defs.len = d->defs.cap = 0;
    for (int k = 0; k < WF_CSORT_COUNT; k++) {
        c->count[k] = (uint32_t)s->space[k].len;
        c->space[k] = wf_xcalloc(s->space[k].len + 1, sizeof(wf_cdef *));
    }
    for (size_t i = 0; i < c->ndefs; i++) {
        wf_cdef *def = &c->defs[i];
        if (def->sort == WF_CSORT_NONE) continue;
        uint32_t n = def->kind == WF_CDEF_START ? def->u.start.nresults : 1;
        for (uint32_t j = 0; j < n; j++) {
            const citem *it = &s->space[def->sort].data[def->index + j];
            c->space[def->sort][def->index + j] = def;
            if (j == 0) {
                def->type = it->type;
                def->core_extern = it->core;
            }
        }
    }
    c->nimports = s->imports.len;
    c->imports = wf_arena_alloc(&x->arena->mem, (c->nimports + 1) * sizeof(wf_cextern));
    for (size_t i = 0; i < c->nimports; i++) cextern_of(x, &s->imports.data[i], &c->imports[i]);
    c->nexports = s->exports.len;
    c->exports = wf_arena_alloc(&x->arena->mem, (c->nexports + 1) * sizeof(wf_cextern));
    for (size_t i = 0; i < c->nexports; i++) cextern_of(x, &s->exports.data[i], &c->exports[i]);
    c->validated = true;
    return true;
}

static wf_error *decode_component(cctx *x, size_t end, cscope *parent, uint32_t depth,
                                  wf_component **out)
{
    *out = NULL;
    cdecoder d;
    memset(&d, 0, sizeof d);
    d.x = x;
    wf_cscope_init(&d.scope, CSCOPE_COMPONENT, parent);
    wf_component *c = wf_xcalloc(1, sizeof *c);
    c->depth = depth;
    c->parent = parent ? parent->comp : NULL;
    d.scope.comp = c;
    cscope *saved = x->scope;
    x->scope = &d.scope;
    bool ok = read_preamble(x);
    while (ok && OFF(x) < end) ok = read_section(&d);
    if (ok) ok = finish(&d, c);
    x->scope = saved;
    if (!ok) {
        /* definitions own their modules and nested components */
        c->defs = d.defs.data;
        c->ndefs = d.defs.len;
        wf_cscope_fini(&d.scope);
        wf_component_free(c);
        wf_error *e = wf_reader_take_error(&x->r);
        return e ? e : wf_error_new(WF_ERR_INTERNAL, "component decoding failed without a reason");
    }
    wf_cscope_fini(&d.scope);
    *out = c;
    return NULL;
}

static wf_error *comp_decode(const uint8_t *bytes, size_t len, bool borrow, wf_component **out)
{
    cctx x;
    memset(&x, 0, sizeof x);
    x.borrow = borrow;
    wf_reader_init(&x.r, bytes, len, 0);
    x.r.eof_msg = "unexpected end-of-file";
    x.arena = wf_xcalloc(1, sizeof *x.arena);
    wf_error *e = decode_component(&x, len, NULL, 0, out);
    if (e) {
        wf_carena_free(x.arena);
        return e;
    }
    (*out)->arena = x.arena;
    return NULL;
}

wf_error *wf_comp_decode(const uint8_t *bytes, size_t len, wf_component **out)
{
    return comp_decode(bytes, len, false, out);
}

wf_error *wf_comp_decode_borrowing(const uint8_t *bytes, size_t len, wf_component **out)
{
    return comp_decode(bytes, len, true, out);
}
