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

/* Linear memory. A 32-bit memory reserves WF_MEM_RESERVE bytes of address
 * space with only the first `size` bytes accessible, so any effective address
 * of a 32-bit access (address + offset + access size < 2^33 + 16) falls either
 * in the memory or in inaccessible pages: the fault is turned into a trap. */
#define WF_PAGE_SIZE   65536u
#define WF_MEM_RESERVE ((size_t)8 << 30) /* 8 GiB + one guard page, see memory.c */

struct wf_memory {
    uint8_t *base;          /* start of the data; never moves once made */
    uint64_t size;          /* current size in bytes (pages * 64 KiB) */
    uint64_t max_pages;     /* the type's maximum, capped by the engine limit */
    size_t reserved;        /* bytes of address space reserved at base */
    wf_memtype type;        /* limits.min is the current page count */
    uint64_t limit_pages;   /* host-imposed cap (max_memory_mb), 0 = none */
};

struct wf_table {
    void **elems;           /* references: wf_func * or an externref pointer */
    uint32_t size;
    uint32_t max;           /* the type's maximum, capped by the engine limit */
    wf_tabletype type;      /* limits.min is the current size */
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
};

struct wf_store {
    WF_VEC(wf_instance *) instances;
    WF_VEC(wf_func *) funcs;
    WF_VEC(wf_table *) tables;
    WF_VEC(wf_memory *) memories;
    WF_VEC(wf_global *) globals;
    WF_VEC(wf_tag *) tags;
    uint64_t memory_limit_pages; /* cap for every memory made here, 0 = none */
};

struct wf_caller {
    wf_instance *inst;          /* the calling wasm instance, NULL from the host */
};

/* Engine limits that keep hostile modules from exhausting the host. */
#define WF_MAX_TABLE_ELEMS  10000000u
#define WF_MAX_MEMORY_PAGES 65536u

/* Grow a memory by delta pages; returns the old page count, or -1. */
int64_t wf_memory_grow(wf_memory *m, uint64_t delta);
/* Grow a table by delta entries set to init; returns the old size, or -1. */
int64_t wf_table_grow(wf_table *t, uint64_t delta, void *init);

#endif
