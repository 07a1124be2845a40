/*
 * snapshot.c - snapshots of a store's instances and the reset to them
 * (image.h): what makes a used instance pristine again, and a bare one
 * (wf_store.bare) what a full instantiation would have made.
 *
 * Per instance, for its defined objects only (imported ones belong to the
 * instance that defines them, or to the host):
 *   memories  an image: the module's data image when the memory still is
 *             exactly that (mapped from it, nothing written, no code ran),
 *             else a new one of its content; a small memory (up to
 *             SMALL_MEMORY bytes) is kept as bytes and copied back instead,
 *             cheaper than a mapping (the zeros after them only on the
 *             pages the calls wrote, image.c's wf_memory_zero_written);
 *   globals   their values;
 *   tables    size and elements (a table keeps them decoded for its store
 *             after its first reset: later resets copy them);
 *   segments  which data segments are dropped, the items of element
 *             segments.
 * References are recorded by position, not address: a function of
 * instance k of the store as (k, its index in k's function space), a host
 * function (canon lower, a resource built-in, an import the host made) as
 * its index among the store's host functions, null as REF_NULL; so a
 * snapshot applies to any store instantiated from the same modules in the
 * same order, and a table one module fills with another's functions (an
 * adapter's fixup module filling the shim's table) is recorded too.
 */
#include <sys/mman.h>

#include "base/error.h"
#include "wasm/image.h"
#include "wasm/image_int.h"
#include "wasm/exn.h"
#include "wasm/gc.h"

#define SMALL_MEMORY ((uint64_t)256 << 10)
#define REF_NULL UINT64_MAX
#define REF_HOST (1ull << 63)          /* | index in the store's host functions */
#define REF_I31 (1ull << 62)           /* | an i31's bits (gc.h): a value, not an object */
/* else: instance index << 32 | function index */

typedef struct snap_mem {
    wf_memimage *img;           /* owned, or NULL */
    const wf_memimage *shared;  /* the module's data image (the module owns it) */
    uint64_t size;              /* bytes */
    uint8_t *bytes;             /* small memories: [0, nbytes) then zeros */
    uint64_t nbytes;
} snap_mem;

typedef struct snap_table {
    uint32_t size;
    uint64_t *refs;             /* per element, encoded (above) */
} snap_table;

typedef struct snap_global {
    wf_slot value, hi;          /* refs: value.u64 is the encoded reference */
} snap_global;

typedef struct snap_inst {
    const wf_module *module;
    snap_mem *mems;             /* per defined memory */
    snap_table *tables;         /* per defined table */
    snap_global *globals;       /* per defined global */
    uint8_t *data_dropped;      /* per data segment */
    uint32_t *elem_len;         /* per element segment */
    uint64_t **elem_refs;       /* per element segment: its items, encoded */
} snap_inst;

struct wf_snapshot {
    uint64_t id;                /* unique in the process: wf_table.pristine_of */
    snap_inst *insts;
    size_t n;
    size_t nmemories, ntables, nglobals, nfuncs;   /* the store's, to check a reset store */
};

/* ---- Taking ----------------------------------------------------------------------- */

/* How a store's references are found by position while taking. */
typedef struct ref_ctx {
    const wf_store *s;
    const wf_instance *last;    /* the instance of the last function found, and its index */
    uint32_t last_k;
} ref_ctx;

/* The position of reference r (of type t) in the store; false when it is
 * neither a function of one of its instances nor one of its host
 * functions nor an i31. An object of the GC heap is refused: a reset frees
 * them all (gc.h), and sharing one between calls would leak its state. */
static bool encode_ref(ref_ctx *rc, wf_valtype t, const void *r, uint64_t *out)
{
    if (!r) {
        *out = REF_NULL;
        return true;
    }
    if (wf_heaptype_top(t) != WF_HEAP_FUNC) {
        if (wf_heaptype_top(t) != WF_HEAP_ANY || !wf_gc_is_i31(r)) return false;
        *out = REF_I31 | wf_gc_i31_get_u(r);
        return true;
    }
    const wf_func *f = r;
    const wf_store *s = rc->s;
    if (f->inst) {
        if (f->inst != rc->last) {
            size_t k = 0;
            while (k < s->instances.len && s->instances.data[k] != f->inst) k++;
            if (k == s->instances.len) return false;
            rc->last = f->inst;
            rc->last_k = (uint32_t)k;
        }
        if (f->index >= f->inst->module->nfuncs || f->inst->funcs[f->index] != f) return false;
        *out = (uint64_t)rc->last_k << 32 | f->index;
        return true;
    }
    for (size_t i = 0; i < s->funcs.len; i++)
        if (s->funcs.data[i] == f) {
            *out = REF_HOST | i;
            return true;
        }
    return false;
}

static wf_error *unrecordable(const wf_instance *inst, const char *what, uint32_t idx)
{
    return wf_error_new(WF_ERR_UNSUPPORTED, "the state of instance of a module with %u functions "
                        "cannot be recorded: %s %u holds a reference that is no function of "
                        "the store (an externref, a GC struct or array, or a function of "
                        "another store)",
                        inst->module->nfuncs, what, idx);
}

static wf_error *take_mem(const wf_store *s, const wf_module *m, uint32_t idx, const wf_memory *mem,
                          snap_mem *out)
{
    out->size = mem->size;
    const wf_memimage *data = wf_module_data_image(m, idx);
    if (data && mem->image_id == data->id && mem->size == data->len && !mem->written && !s->ran_code) {
        out->shared = data;
        return NULL;
    }
    if (mem->size <= SMALL_MEMORY) {
        uint64_t n = mem->size;
        while (n && !mem->base[n - 1]) n--;
        out->nbytes = n;
        out->bytes = wf_xmalloc(n ? n : 1);
        memcpy(out->bytes, mem->base, (size_t)n);
        return NULL;
    }
    out->img = wf_memimage_from_bytes(mem->base, mem->size);
    if (!out->img)
        return wf_error_new(WF_ERR_LIMIT, "cannot make a memory image of %llu bytes (memfd)",
                            (unsigned long long)mem->size);
    return NULL;
}

static wf_error *take_inst(const wf_store *s, const wf_instance *inst, snap_inst *si)
{
    ref_ctx rc = { .s = s };
    const wf_module *m = inst->module;
    wf_error *e;
    si->module = m;
    si->mems = wf_xcalloc(m->nmems - m->nmem_imports + 1, sizeof *si->mems);
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
        if ((e = take_mem(s, m, i, inst->mems[i], &si->mems[i - m->nmem_imports]))) return e;
    si->globals = wf_xcalloc(m->nglobals - m->nglobal_imports + 1, sizeof *si->globals);
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        const wf_global *g = inst->globals[i];
        snap_global *sg = &si->globals[i - m->nglobal_imports];
        sg->value = g->value;
        sg->hi = g->hi;
        if (g->type.type.kind == WF_REF) {
            uint64_t code;
            if (!encode_ref(&rc, g->type.type, g->value.ref, &code)) return unrecordable(inst, "global", i);
            sg->value.u64 = code;
        }
    }
    si->tables = wf_xcalloc(m->ntables - m->ntable_imports + 1, sizeof *si->tables);
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        const wf_table *t = inst->tables[i];
        snap_table *st = &si->tables[i - m->ntable_imports];
        st->size = t->size;
        st->refs = wf_xmalloc(((size_t)t->size + 1) * sizeof *st->refs);
        for (uint32_t k = 0; k < t->size; k++)
            if (!encode_ref(&rc, t->type.elem, t->elems[k], &st->refs[k])) return unrecordable(inst, "table", i);
    }
    si->data_dropped = wf_xmalloc(m->ndatas + 1);
    if (m->ndatas) memcpy(si->data_dropped, inst->data_dropped, m->ndatas);
    si->elem_len = wf_xcalloc(m->nelems + 1, sizeof *si->elem_len);
    si->elem_refs = wf_xcalloc(m->nelems + 1, sizeof *si->elem_refs);
    for (uint32_t i = 0; i < m->nelems; i++) {
        uint32_t n = inst->elem_items[i] ? inst->elem_len[i] : 0;
        si->elem_len[i] = n;
        if (!n) continue;
        si->elem_refs[i] = wf_xmalloc(n * sizeof **si->elem_refs);
        for (uint32_t k = 0; k < n; k++)
            if (!encode_ref(&rc, m->elems[i].type, inst->elem_items[i][k], &si->elem_refs[i][k]))
                return unrecordable(inst, "element segment", i);
    }
    return NULL;
}

wf_error *wf_snapshot_take(wf_store *s, wf_snapshot **out)
{
    *out = NULL;
    size_t nm = 0, nt = 0, ng = 0;
    for (size_t i = 0; i < s->instances.len; i++) {
        const wf_module *m = s->instances.data[i]->module;
        nm += m->nmems - m->nmem_imports;
        nt += m->ntables - m->ntable_imports;
        ng += m->nglobals - m->nglobal_imports;
    }
    /* Objects the host made hold state no instance records. */
    if (nm != s->memories.len || nt != s->tables.len || ng != s->globals.len)
        return wf_error_new(WF_ERR_UNSUPPORTED, "the store holds memories, tables or globals the "
                            "host made: their state cannot be recorded");
    static uint64_t next_id = 1;
    wf_snapshot *snap = wf_xcalloc(1, sizeof *snap);
    snap->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    snap->n = s->instances.len;
    snap->insts = wf_xcalloc(snap->n + 1, sizeof *snap->insts);
    snap->nmemories = nm;
    snap->ntables = nt;
    snap->nglobals = ng;
    snap->nfuncs = s->funcs.len;
    for (size_t i = 0; i < snap->n; i++) {
        wf_error *e = take_inst(s, s->instances.data[i], &snap->insts[i]);
        if (e) {
            wf_snapshot_free(snap);
            return e;
        }
    }
    *out = snap;
    return NULL;
}

void wf_snapshot_free(wf_snapshot *snap)
{
    if (!snap) return;
    for (size_t i = 0; i < snap->n; i++) {
        snap_inst *si = &snap->insts[i];
        const wf_module *m = si->module;
        if (!m) continue;
        if (si->mems)
            for (uint32_t k = 0; k < m->nmems - m->nmem_imports; k++) {
                wf_memimage_free(si->mems[k].img);
                free(si->mems[k].bytes);
            }
        if (si->tables)
            for (uint32_t k = 0; k < m->ntables - m->ntable_imports; k++) free(si->tables[k].refs);
        if (si->elem_refs)
            for (uint32_t k = 0; k < m->nelems; k++) free(si->elem_refs[k]);
        free(si->mems);
        free(si->tables);
        free(si->globals);
        free(si->data_dropped);
        free(si->elem_len);
        free(si->elem_refs);
    }
    free(snap->insts);
    free(snap);
}

uint64_t wf_snapshot_image_bytes(const wf_snapshot *snap)
{
    uint64_t n = 0;
    for (size_t i = 0; i < snap->n; i++) {
        const snap_inst *si = &snap->insts[i];
        for (uint32_t k = 0; k < si->module->nmems - si->module->nmem_imports; k++)
            n += si->mems[k].img ? si->mems[k].img->len : si->mems[k].shared ? si->mems[k].shared->len : 0;
    }
    return n;
}

/* ---- Resetting ---------------------------------------------------------------------- */

static void *decode_ref(const wf_store *s, uint64_t code)
{
    if (code == REF_NULL) return NULL;
    if (code & REF_HOST) return s->funcs.data[code & ~REF_HOST];
    if (code & REF_I31) return wf_gc_i31_new((uint32_t)code);
    return s->instances.data[code >> 32]->funcs[(uint32_t)code];
}

/* A memory back to bytes[0, nbytes) followed by zeros, size bytes long. */
static bool reset_small(wf_memory *m, const snap_mem *sm)
{
    if (m->image_len) {
        /* mapped from an image: anonymous again */
        uint64_t len = WF_MAX(m->image_len, m->size);
        if (mmap(m->base, (size_t)len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                 -1, 0) == MAP_FAILED)
            return false;
        m->image_len = m->image_id = 0;
        m->size = 0;
    }
    if (m->size > sm->size) {
        if (madvise(m->base + sm->size, (size_t)(m->size - sm->size), MADV_DONTNEED) != 0 ||
            mprotect(m->base + sm->size, (size_t)(m->size - sm->size), PROT_NONE) != 0)
            return false;
    } else if (m->size < sm->size &&
               mprotect(m->base + m->size, (size_t)(sm->size - m->size), PROT_READ | PROT_WRITE) != 0) {
        return false;
    }
    uint64_t dirty = WF_MIN(m->size, sm->size);   /* what was accessible may hold anything */
    if (sm->nbytes) memcpy(m->base, sm->bytes, (size_t)sm->nbytes);
    /* Past the snapshot's bytes: zeros, on the pages written only (a page
     * never written reads as zeros already). */
    if (dirty > sm->nbytes && !wf_memory_zero_written(m, sm->nbytes, dirty, !m->pages_written_only))
        memset(m->base + sm->nbytes, 0, (size_t)(dirty - sm->nbytes));
    m->pages_written_only = true;
    m->size = sm->size;
    m->type.limits.min = sm->size / WF_PAGE_SIZE;
    m->written = false;
    return true;
}

/* Table t back to st: the elements decoded once per store (references are
 * positions in the store, the same at every reset of it), copied after. */
static void reset_table(const wf_snapshot *snap, const snap_table *st, const wf_store *s, wf_table *t)
{
    if (st->size > t->cap) {
        t->elems = wf_xrealloc(t->elems, (size_t)st->size * sizeof *t->elems);
        t->cap = st->size;
    }
    if (t->pristine_of == snap->id && t->npristine == st->size) {
        /* unwritten since the last reset: it still holds pristine (a
         * large guest's function table is tens of kB, copied per call) */
        if (st->size && (t->dirty || t->size != st->size))
            memcpy(t->elems, t->pristine, (size_t)st->size * sizeof *t->elems);
    } else {
        for (uint32_t k = 0; k < st->size; k++) t->elems[k] = decode_ref(s, st->refs[k]);
        free(t->pristine);
        t->pristine = wf_xmalloc(((size_t)st->size + 1) * sizeof *t->pristine);
        if (st->size) memcpy(t->pristine, t->elems, (size_t)st->size * sizeof *t->elems);
        t->npristine = st->size;
        t->pristine_of = snap->id;
    }
    t->size = st->size;
    t->type.limits.min = st->size;
    t->dirty = false;
}

static wf_error *reset_inst(const wf_snapshot *snap, const snap_inst *si, const wf_store *s,
                            wf_instance *inst)
{
    const wf_module *m = si->module;
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        const snap_mem *sm = &si->mems[i - m->nmem_imports];
        wf_memory *mem = inst->mems[i];
        bool ok = sm->img ? wf_memory_reset_image(mem, sm->img)
                : sm->shared ? wf_memory_reset_image(mem, sm->shared)
                : reset_small(mem, sm);
        if (!ok) return wf_error_new(WF_ERR_LIMIT, "cannot reset memory %u to its image", i);
    }
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        const snap_global *sg = &si->globals[i - m->nglobal_imports];
        wf_global *g = inst->globals[i];
        g->hi = sg->hi;
        if (g->type.type.kind == WF_REF) g->value.ref = decode_ref(s, sg->value.u64);
        else g->value = sg->value;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
        reset_table(snap, &si->tables[i - m->ntable_imports], s, inst->tables[i]);
    if (m->ndatas) memcpy(inst->data_dropped, si->data_dropped, m->ndatas);
    for (uint32_t i = 0; i < m->nelems; i++) {
        uint32_t n = si->elem_len[i];
        if (!n) {
            free(inst->elem_items[i]);
            inst->elem_items[i] = NULL;
            inst->elem_len[i] = 0;
            continue;
        }
        if (!inst->elem_items[i] || inst->elem_len[i] != n) {
            free(inst->elem_items[i]);
            inst->elem_items[i] = wf_xmalloc(n * sizeof **inst->elem_items);
        }
        for (uint32_t k = 0; k < n; k++) inst->elem_items[i][k] = decode_ref(s, si->elem_refs[i][k]);
        inst->elem_len[i] = n;
    }
    return NULL;
}

wf_error *wf_snapshot_reset(const wf_snapshot *snap, wf_store *s)
{
    if (s->instances.len != snap->n || s->memories.len != snap->nmemories ||
        s->tables.len != snap->ntables || s->globals.len != snap->nglobals ||
        s->funcs.len != snap->nfuncs)
        return wf_error_new(WF_ERR_INTERNAL, "the store does not match the snapshot (%zu instances, "
                            "snapshot of %zu)", s->instances.len, snap->n);
    for (size_t i = 0; i < snap->n; i++)
        if (s->instances.data[i]->module != snap->insts[i].module)
            return wf_error_new(WF_ERR_INTERNAL, "instance %zu of the store is not of the "
                                "snapshot's module", i);
    for (size_t i = 0; i < snap->n; i++) {
        wf_error *e = reset_inst(snap, &snap->insts[i], s, s->instances.data[i]);
        if (e) return e;
    }
    /* no exnref and no GC object survives the reset (a snapshot holds none) */
    wf_exn_free_all(s);
    wf_gc_free_all(s);
    s->ran_code = false;
    return NULL;
}
