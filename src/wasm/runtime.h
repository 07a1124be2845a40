/*
 * runtime.h - the runtime objects of the engine: stores, instances, functions,
 * memories, tables, globals and tags, as the interpreter sees them.
 *
 * A store owns everything created in it (instance.c makes instances, the
 * objects are made by memory.c, table.c, global.c and func.c) and frees it
 * all at once. The interpreter (interp.c) reads these structures directly,
 * so the fields it uses on hot paths come first.
 */
#ifndef WF_RUNTIME_H
#define WF_RUNTIME_H

#include "base/base.h"
#include "base/vec.h"
#include "wasm/module.h"

/* Linear memory. A 32-bit memory (and a 64-bit one, whose i64 addresses
 * the code saturates to 32 bits: memory.c) reserves WF_MEM_RESERVE bytes of address
 * space with only the first `size` bytes accessible, so any effective address
 * of a 32-bit access (address + offset + access size < 2^33 + 16) falls either
 * in the memory or in inaccessible pages: the fault is turned into a trap. */
#define WF_PAGE_SIZE   65536u
#define WF_MEM_RESERVE ((size_t)8 << 30) /* 8 GiB + one guard page, see memory.c */
#define WF_MEM_GUARD   ((size_t)WF_PAGE_SIZE) /* reserved past WF_MEM_RESERVE */

/* For the interpreter: base never moves, so it may be cached for a whole
 * call; size changes only through wf_memory_grow (memory.grow, or a host
 * function / callee growing it), so re-read it after those. Every address
 * base + [0, 2^33 + 16) is either data or PROT_NONE: loads and stores need
 * no explicit bounds check, a fault in that range is an out-of-bounds trap
 * (memory.fill/copy/init, which take lengths, must check against size). */
struct wf_memory {
    uint8_t *base;          /* start of the data; never moves once made */
    uint64_t size;          /* current size in bytes (pages * 64 KiB) */
    uint64_t max_pages;     /* the type's maximum, capped by the engine limit */
    size_t reserved;        /* bytes of address space reserved at base */
    wf_memtype type;        /* limits.min is the current page count */
    uint64_t limit_pages;   /* host-imposed cap (max_memory_mb), 0 = none */
    /* Memory images (image.h): [0, image_len) is a copy-on-write mapping
     * of image image_id (0: none, all anonymous); written is set once a
     * data segment is copied in after the mapping. */
    uint64_t image_id;
    uint64_t image_len;
    bool written;
    /* The pages the kernel has as this memory's own are only those its
     * calls wrote since its first reset to a small snapshot (which dropped
     * the rest; snapshot.c): later resets clear just those. */
    bool pages_written_only;
    /* The pages the last scan of a reset to an image found as this
     * memory's own copies ([0, owned_end)), and the process's page-fault
     * count read before that scan (image.c, restore_written): while the
     * count stands, no page can have become its own since, and a reset
     * copies into these without asking the kernel again. */
    struct wf_memhint *owned;
    uint64_t owned_faults, owned_end;
};

struct wf_table {
    void **elems;           /* references: wf_func * or an externref pointer */
    uint32_t size;
    uint32_t max;           /* the type's maximum, capped by the engine limit */
    wf_tabletype type;      /* limits.min is the current size */
    uint32_t cap;           /* allocated entries of elems (>= size) */
    /* A slot's table reset again and again to one snapshot (image.h) keeps
     * that snapshot's elements decoded for its store: pristine[0, npristine)
     * is what elems must hold after a reset to snapshot pristine_of (0:
     * none), copied instead of decoded. */
    void **pristine;
    uint32_t npristine;
    uint64_t pristine_of;
    /* Set by every write of an element (table.set, fill, copy, init, grow,
     * wf_instance_table_init; the interpreter's ops and the compiled tier's
     * runtime functions alike): a reset copies pristine back only into a
     * table written since the last one. A new writer must set it. */
    bool dirty;
};

struct wf_global {
    wf_slot value;          /* v128 globals use value and hi */
    wf_slot hi;
    wf_globaltype type;
};

struct wf_tag {
    const wf_functype *type;
};

/* A function: a wasm function (code != NULL) of an instance, or a host one. */
struct wf_func {
    const wf_functype *type;
    struct wf_instance *inst;   /* owning instance (NULL for host functions) */
    const struct wf_code *code; /* translated body, NULL for host functions */
    uint32_t index;             /* index in the owning instance's function space */
    wf_host_fn host;
    void *env;
    const char *name;           /* for backtraces; may be NULL */
};

/* For the interpreter: memory 0 (imported or defined) is mems[0] when
 * module->nmems > 0; cache mems[0]->base for a call (see wf_memory). Element
 * segment i: elem_items[i][0 .. elem_len[i]); data segment i: module->datas[i]
 * unless data_dropped[i]. Dropping only has to zero elem_len[i] / set
 * data_dropped[i] (wf_instance_elem_drop also frees the items early); the
 * store frees whatever is left. */
struct wf_instance {
    const wf_module *module;
    struct wf_store *store;
    wf_func **funcs;            /* the module's function index space */
    wf_table **tables;
    wf_memory **mems;
    wf_global **globals;
    wf_tag **tags;
    void ***elem_items;         /* per element segment: its references (NULL once dropped) */
    uint32_t *elem_len;         /* per element segment: item count (0 once dropped) */
    uint8_t *data_dropped;      /* per data segment */
    /* Private to instance.c / store.c. */
    wf_func *func_block;        /* the defined functions, one allocation */
    uint32_t nelems, ndatas;
};

struct wf_store {
    WF_VEC(wf_instance *) instances;
    WF_VEC(wf_func *) funcs;
    WF_VEC(wf_table *) tables;
    WF_VEC(wf_memory *) memories;
    WF_VEC(wf_global *) globals;
    WF_VEC(wf_tag *) tags;
    uint64_t memory_limit_pages; /* cap for every memory made here, 0 = none */
    /* Instantiate "bare": no element or data segment applied, no start
     * function run; for stores about to be reset to a snapshot (image.h). */
    bool bare;
    /* Set once code ran: a start function while instantiating, or a call
     * (wf_exec_call; a preinit's `_initialize`); the state is then no longer
     * the modules' initial one. A reset to a snapshot clears it. */
    bool ran_code;
    /* Calls of host functions from wasm code of this store's instances (or
     * as a start function): code that called none computed its result from
     * the store's own state alone, so running it again gives the same. */
    uint64_t host_calls;
    /* The exceptions thrown by its instances' code (exn.h), a list. */
    struct wf_exn *exns;
    /* The GC heap (gc.h): every struct and array made here, a list, and
     * the bytes they take. */
    struct wf_gcobj *gc_objs;
    uint64_t gc_bytes;
};

struct wf_caller {
    wf_instance *inst;          /* the calling wasm instance, NULL from the host */
};

/* Engine limits that keep hostile modules from exhausting the host. */
#define WF_MAX_TABLE_ELEMS  10000000u
#define WF_MAX_MEMORY_PAGES 65536u

/* Grow a memory by delta pages; returns the old page count, or -1. */
int64_t wf_memory_grow(wf_memory *m, uint64_t delta);
/* Grow a table by delta entries set to init; returns the old size, or -1.
 * May move t->elems (re-read it after a grow). */
int64_t wf_table_grow(wf_table *t, uint64_t delta, void *init);

/* Constructors that say why they failed (the public wf_*_new return NULL):
 * a memory or table beyond the engine's or the store's limits, or a failed
 * address-space reservation, is WF_ERR_LIMIT. The object belongs to s. */
wf_error *wf_memory_create(wf_store *s, const wf_memtype *type, wf_memory **out);
wf_error *wf_table_create(wf_store *s, const wf_tabletype *type, void *init, wf_table **out);
/* A global holding value (slots as the engine stores them); owned by s. */
wf_global *wf_global_create(wf_store *s, wf_globaltype type, wf_slot value);
wf_tag *wf_tag_create(wf_store *s, const wf_functype *type);
/* Free one object (store.c, when the store goes). */
void wf_memory_release(wf_memory *m);
void wf_table_release(wf_table *t);

/* Convert between typed host values and engine slots. */
wf_slot wf_value_to_slot(wf_value v);
wf_value wf_slot_to_value(wf_valtype t, wf_slot s);

/* Evaluate a constant expression with inst's functions and (already
 * initialised) globals; the result is one slot. Fails only on an expression
 * the validator should have rejected (WF_ERR_INTERNAL). */
wf_error *wf_constexpr_eval(const wf_instance *inst, const wf_constexpr *e, wf_slot *out);
/* The same giving a v128 result's high half too (0 for other types). */
wf_error *wf_constexpr_eval2(const wf_instance *inst, const wf_constexpr *e, wf_slot *out,
                             wf_slot *hi);

/* Segment state, shared by instantiation and the interpreter's bulk
 * instructions. A dropped segment behaves as an empty one. Element segment
 * i's references are inst->elem_items[i][0 .. inst->elem_len[i]); data
 * segment i is inst->module->datas[i].bytes/len unless inst->data_dropped[i].
 * table.init / memory.init: copy n items from segment seg at src to
 * table/memory at dst, all or nothing; false when out of bounds (the caller
 * traps with "out of bounds table access" / "out of bounds memory access").
 * The *_drop functions implement elem.drop / data.drop. */
bool wf_instance_table_init(wf_instance *inst, wf_table *t, uint32_t seg,
                            uint64_t dst, uint64_t src, uint64_t n);
bool wf_instance_memory_init(wf_instance *inst, wf_memory *m, uint32_t seg,
                             uint64_t dst, uint64_t src, uint64_t n);
void wf_instance_elem_drop(wf_instance *inst, uint32_t seg);
void wf_instance_data_drop(wf_instance *inst, uint32_t seg);

#endif
