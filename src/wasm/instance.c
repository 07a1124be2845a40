/*
 * instance.c - instantiation (WebAssembly 3.0, "modules: instantiation"):
 * import matching, creation of the module's functions, globals, tables,
 * memories and tags, element and data segment initialisation, the start
 * function; export lookup; the segment state (table.init, memory.init,
 * elem.drop, data.drop) shared with the interpreter.
 *
 * A defined memory whose module has a data image (image.h) is mapped from
 * it instead of being filled segment by segment. A "bare" store (wf_store.bare)
 * gets instances without segments applied and without start functions: they
 * are about to be reset to a snapshot.
 */
#include <stdio.h>

#include "base/error.h"
#include "wasm/code.h"
#include "wasm/image.h"
#include "wasm/runtime.h"

static const char *const kind_names[] = {
    [WF_EXTERN_FUNC] = "function", [WF_EXTERN_TABLE] = "table", [WF_EXTERN_MEMORY] = "memory",
    [WF_EXTERN_GLOBAL] = "global", [WF_EXTERN_TAG] = "tag",
};

static const char *kind_name(unsigned k) { return k < WF_COUNT(kind_names) ? kind_names[k] : "?"; }

static wf_error *incompatible(const wf_import *im, const char *why)
{
    return wf_error_new(WF_ERR_UNLINKABLE, "incompatible import type: \"%.*s\" \"%.*s\": %s",
                        (int)im->module_len, im->module, (int)im->name_len, im->name, why);
}

/* Limits of an existing object (its current size as min) match the
 * expected import limits. */
static bool limits_match(uint64_t cur, bool has_max, uint64_t max, const wf_limits *want)
{
    if (cur < want->min) return false;
    if (want->has_max && (!has_max || max > want->max)) return false;
    return true;
}

static wf_error *check_import(const wf_import *im, const wf_extern *ex)
{
    if (!ex->of.ptr) return incompatible(im, "null external value");
    if (ex->kind != im->kind) {
        char why[80];
        snprintf(why, sizeof why, "expected a %s, got a %s", kind_name(im->kind), kind_name(ex->kind));
        return incompatible(im, why);
    }
    switch (im->kind) {
    case WF_EXTERN_FUNC:
        if (!wf_functype_sub(ex->of.func->type, im->type.func))
            return incompatible(im, "function type mismatch");
        return NULL;
    case WF_EXTERN_TABLE: {
        const wf_table *t = ex->of.table;
        if (!wf_valtype_eq(t->type.elem, im->type.table.elem))
            return incompatible(im, "table element type mismatch");
        if (t->type.limits.is64 != im->type.table.limits.is64)
            return incompatible(im, "table index type mismatch");
        if (!limits_match(t->size, t->type.limits.has_max, t->type.limits.max, &im->type.table.limits))
            return incompatible(im, "table limits mismatch");
        return NULL;
    }
    case WF_EXTERN_MEMORY: {
        const wf_memory *m = ex->of.memory;
        if (m->type.limits.is64 != im->type.mem.limits.is64)
            return incompatible(im, "memory address type mismatch");
        if (!limits_match(m->size / WF_PAGE_SIZE, m->type.limits.has_max, m->type.limits.max,
                          &im->type.mem.limits))
            return incompatible(im, "memory limits mismatch");
        return NULL;
    }
    case WF_EXTERN_GLOBAL: {
        const wf_globaltype *have = &ex->of.global->type, *want = &im->type.global;
        if (have->mut != want->mut) return incompatible(im, "global mutability mismatch");
        bool ok = want->mut ? wf_valtype_eq(have->type, want->type)
                            : wf_valtype_sub(have->type, want->type);
        if (!ok) return incompatible(im, "global type mismatch");
        return NULL;
    }
    case WF_EXTERN_TAG:
        if (ex->of.tag->type != im->type.func) return incompatible(im, "tag type mismatch");
        return NULL;
    }
    return incompatible(im, "unknown import kind");
}

/* ---- Segment state ------------------------------------------------------ */

bool wf_instance_table_init(wf_instance *inst, wf_table *t, uint32_t seg,
                            uint64_t dst, uint64_t src, uint64_t n)
{
    uint64_t len = inst->elem_len[seg];
    if (src > len || n > len - src || dst > t->size || n > t->size - dst) return false;
    if (n) memcpy(&t->elems[dst], &inst->elem_items[seg][src], (size_t)n * sizeof(void *));
    t->dirty = true;
    return true;
}

bool wf_instance_memory_init(wf_instance *inst, wf_memory *m, uint32_t seg,
                             uint64_t dst, uint64_t src, uint64_t n)
{
    const wf_dataseg *d = &inst->module->datas[seg];
    uint64_t len = inst->data_dropped[seg] ? 0 : d->len;
    if (src > len || n > len - src || dst > m->size || n > m->size - dst) return false;
    if (n) {
        memcpy(m->base + dst, d->bytes + src, (size_t)n);
        m->written = true;
    }
    return true;
}

void wf_instance_elem_drop(wf_instance *inst, uint32_t seg)
{
    free(inst->elem_items[seg]);
    inst->elem_items[seg] = NULL;
    inst->elem_len[seg] = 0;
}

void wf_instance_data_drop(wf_instance *inst, uint32_t seg) { inst->data_dropped[seg] = 1; }

/* ---- Instantiation ------------------------------------------------------ */

static wf_error *trap(const char *msg) { return wf_error_new(WF_ERR_TRAP, "%s", msg); }

/* Allocate the instance and its index spaces, fill in the imports. The
 * instance belongs to s from here on, even if instantiation fails later:
 * its functions may already sit in imported tables. */
static wf_instance *instance_alloc(wf_store *s, const wf_module *m, const wf_extern *imports)
{
    wf_instance *inst = wf_xcalloc(1, sizeof *inst);
    inst->module = m;
    inst->store = s;
    inst->funcs = wf_xcalloc(m->nfuncs, sizeof *inst->funcs);
    inst->tables = wf_xcalloc(m->ntables, sizeof *inst->tables);
    inst->mems = wf_xcalloc(m->nmems, sizeof *inst->mems);
    inst->globals = wf_xcalloc(m->nglobals, sizeof *inst->globals);
    inst->tags = wf_xcalloc(m->ntags, sizeof *inst->tags);
    inst->nelems = m->nelems;
    inst->ndatas = m->ndatas;
    inst->elem_items = wf_xcalloc(m->nelems, sizeof *inst->elem_items);
    inst->elem_len = wf_xcalloc(m->nelems, sizeof *inst->elem_len);
    inst->data_dropped = wf_xcalloc(m->ndatas, sizeof *inst->data_dropped);
    wf_vec_push(&s->instances, inst);

    uint32_t nf = 0, nt = 0, nm = 0, ng = 0, ntag = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wf_extern *ex = &imports[i];
        switch (m->imports[i].kind) {
        case WF_EXTERN_FUNC: inst->funcs[nf++] = ex->of.func; break;
        case WF_EXTERN_TABLE: inst->tables[nt++] = ex->of.table; break;
        case WF_EXTERN_MEMORY: inst->mems[nm++] = ex->of.memory; break;
        case WF_EXTERN_GLOBAL: inst->globals[ng++] = ex->of.global; break;
        case WF_EXTERN_TAG: inst->tags[ntag++] = ex->of.tag; break;
        }
    }

    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    inst->func_block = wf_xcalloc(ndef, sizeof *inst->func_block);
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t idx = m->nfunc_imports + i;
        wf_func *f = &inst->func_block[i];
        f->type = m->funcs[idx].type;
        f->inst = inst;
        f->code = m->funcs[idx].code;
        f->index = idx;
        f->name = m->funcs[idx].name;
        inst->funcs[idx] = f;
    }
    return inst;
}

/* Globals (in order: each may read the ones before it), tables, memories, tags. */
static wf_error *create_objects(wf_store *s, wf_instance *inst)
{
    const wf_module *m = inst->module;
    wf_error *e;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        wf_slot v;
        wf_slot hi;
        if ((e = wf_constexpr_eval2(inst, &m->globals[i].init, &v, &hi))) return e;
        inst->globals[i] = wf_global_create(s, m->globals[i].type, v);
        inst->globals[i]->hi = hi;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        wf_slot init = { .ref = NULL };
        if (m->tables[i].init.len && (e = wf_constexpr_eval(inst, &m->tables[i].init, &init)))
            return e;
        if ((e = wf_table_create(s, &m->tables[i].type, init.ref, &inst->tables[i]))) return e;
    }
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        if ((e = wf_memory_create(s, &m->mems[i], &inst->mems[i]))) return e;
        const wf_memimage *img = s->bare ? NULL : wf_module_data_image(m, i);
        if (img && !wf_memory_map_image(inst->mems[i], img))
            return wf_error_new(WF_ERR_LIMIT, "cannot map the memory image of memory %u", i);
    }
    for (uint32_t i = m->ntag_imports; i < m->ntags; i++)
        inst->tags[i] = wf_tag_create(s, m->tags[i]);
    return NULL;
}

/* Evaluate every element segment's items to references. Declarative
 * segments are dropped at once, so their items are never needed. */
static wf_error *eval_elems(wf_instance *inst)
{
    const wf_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wf_elemseg *seg = &m->elems[i];
        if (seg->mode == WF_SEG_DECLARATIVE || seg->nitems == 0) continue;
        void **items = wf_xmalloc(seg->nitems * sizeof *items);
        inst->elem_items[i] = items;
        inst->elem_len[i] = seg->nitems;
        if (seg->funcs) {
            for (uint32_t j = 0; j < seg->nitems; j++) {
                uint32_t f = seg->funcs[j];
                if (f == WF_ELEM_NULL) {
                    items[j] = NULL;
                } else if (f >= m->nfuncs || !(items[j] = inst->funcs[f])) {
                    return wf_error_new(WF_ERR_INTERNAL, "element segment %u: unknown function %u",
                                        i, f);
                }
            }
            continue;
        }
        for (uint32_t j = 0; j < seg->nitems; j++) {
            wf_slot v;
            wf_error *e = wf_constexpr_eval(inst, &seg->items[j], &v);
            if (e) return e;
            items[j] = v.ref;
        }
    }
    return NULL;
}

/* Active element segments, then active data segments, in order; each is
 * dropped once applied. Effects of earlier segments stay when a later one
 * traps (they may be visible through imported tables and memories). */
static wf_error *init_segments(wf_instance *inst)
{
    const wf_module *m = inst->module;
    wf_error *e;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wf_elemseg *seg = &m->elems[i];
        if (seg->mode == WF_SEG_ACTIVE) {
            wf_slot off;
            if ((e = wf_constexpr_eval(inst, &seg->offset, &off))) return e;
            if (seg->table >= m->ntables)
                return wf_error_new(WF_ERR_INTERNAL, "element segment %u: unknown table", i);
            uint64_t at = m->tables[seg->table].type.limits.is64 ? off.u64 : off.u32;
            if (!wf_instance_table_init(inst, inst->tables[seg->table], i, at, 0, seg->nitems))
                return trap("out of bounds table access");
        }
        if (seg->mode != WF_SEG_PASSIVE) wf_instance_elem_drop(inst, i);
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wf_dataseg *seg = &m->datas[i];
        if (seg->mode != WF_SEG_ACTIVE) continue;
        wf_slot off;
        if ((e = wf_constexpr_eval(inst, &seg->offset, &off))) return e;
        if (seg->memory >= m->nmems)
            return wf_error_new(WF_ERR_INTERNAL, "data segment %u: unknown memory", i);
        if (seg->memory >= m->nmem_imports && inst->mems[seg->memory]->image_len) {
            wf_instance_data_drop(inst, i);   /* in the memory's image already */
            continue;
        }
        uint64_t at = m->mems[seg->memory].limits.is64 ? off.u64 : off.u32;
        if (!wf_instance_memory_init(inst, inst->mems[seg->memory], i, at, 0, seg->len))
            return trap("out of bounds memory access");
        wf_instance_data_drop(inst, i);
    }
    return NULL;
}

static wf_error *run_start(wf_instance *inst)
{
    const wf_module *m = inst->module;
    if (!m->has_start) return NULL;
    inst->store->ran_code = true;
    if (m->start >= m->nfuncs)
        return wf_error_new(WF_ERR_INTERNAL, "unknown start function %u", m->start);
    wf_func *f = inst->funcs[m->start];
    if (f->host) inst->store->host_calls++;
    /* The validator requires [] -> []; keep room for a slot anyway. */
    uint32_t n = WF_MAX(f->type->nparams, f->type->nresults);
    wf_slot small[4] = { { .u64 = 0 } };
    wf_slot *slots = n <= WF_COUNT(small) ? small : wf_xcalloc(n, sizeof *slots);
    wf_error *e = wf_exec_call(f, slots);
    if (slots != small) free(slots);
    return e;
}

wf_error *wf_instance_new(wf_store *s, const wf_module *m,
                          const wf_extern *imports, size_t nimports,
                          wf_instance **out)
{
    *out = NULL;
    if (nimports != m->nimports)
        return wf_error_new(WF_ERR_UNLINKABLE, "wrong number of imports: the module needs %u, got %zu",
                            m->nimports, nimports);
    for (uint32_t i = 0; i < m->nimports; i++) {
        wf_error *e = check_import(&m->imports[i], &imports[i]);
        if (e) return e;
    }
    wf_instance *inst = instance_alloc(s, m, imports);
    wf_error *e = create_objects(s, inst);
    if (!e && !s->bare) e = eval_elems(inst);
    if (!e && !s->bare) e = init_segments(inst);
    if (!e && !s->bare) e = run_start(inst);
    if (e) return e;
    *out = inst;
    return NULL;
}

bool wf_instance_export(wf_instance *inst, const char *name, size_t name_len, wf_extern *out)
{
    const wf_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wf_export *x = &m->exports[i];
        if (x->name_len != name_len || memcmp(x->name, name, name_len)) continue;
        out->kind = x->kind;
        switch (x->kind) {
        case WF_EXTERN_FUNC: out->of.func = inst->funcs[x->index]; break;
        case WF_EXTERN_TABLE: out->of.table = inst->tables[x->index]; break;
        case WF_EXTERN_MEMORY: out->of.memory = inst->mems[x->index]; break;
        case WF_EXTERN_GLOBAL: out->of.global = inst->globals[x->index]; break;
        case WF_EXTERN_TAG: out->of.tag = inst->tags[x->index]; break;
        default: return false;
        }
        return true;
    }
    return false;
}
