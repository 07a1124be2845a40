/*
 * jit_int.h - the compiled tier's internals, shared by its files:
 * jit.c (module compilation, installing compiled functions), rt.c (the
 * runtime helpers compiled code calls), link.c, cache.c, unit.c, lib.c,
 * and the compiler library llvm/ (libwasmfn-jit.so: translate.c, a
 * validated function body to LLVM IR; compile.c, a unit to an object file,
 * and ORC), which the others reach only through its table
 * (wf_jit_compiler, below).
 *
 * The native calling convention of a compiled function of a module:
 *   results f<i>(wf_thread *t, wf_instance *inst, uint8_t *mem_base, params...)
 * with results void, one value or a struct of them (multi-value); i32 and
 * i64 as LLVM integers, f32/f64 as floats, references as pointers (a
 * funcref is a wf_func *). Calls within a unit of compilation (unit.c)
 * are direct native calls (except in a cheap unit, whose functions may
 * be upgraded one by one: jit.c), calls to the module's other functions go
 * through wf_module.jit_natives while they are compiled; everything else
 * goes through the helpers below. Each compiled function
 * also gets an entry e<i> of the wf_jit_entry_fn shape (interp.h) that
 * moves its arguments and results between slots and registers.
 */
#ifndef WF_JIT_INT_H
#define WF_JIT_INT_H

#include "wasm/interp.h"
#include "wasm/jit.h"
#include "wasm/runtime.h"
#include "wasm/types.h"

/* Trap codes compiled code passes to wf_jit_rt_trap. */
enum {
    WF_JIT_TRAP_UNREACHABLE, WF_JIT_TRAP_DIVZ, WF_JIT_TRAP_OVERFLOW, WF_JIT_TRAP_INVCONV,
    WF_JIT_TRAP_OOB_MEM, WF_JIT_TRAP_OOB_TABLE, WF_JIT_TRAP_UNDEF_ELEM, WF_JIT_TRAP_SIG,
    WF_JIT_TRAP_NULL_FUNC, WF_JIT_TRAP_NULL_REF, WF_JIT_TRAP_EXHAUSTED, WF_JIT_TRAP_INTERRUPTED,
    WF_JIT_TRAP_COUNT_
};

/* ---- rt.c: helpers called from compiled code ---------------------------- */
_Noreturn void wf_jit_rt_trap(wf_thread *t, uint32_t code);
_Noreturn void wf_jit_rt_trap_uninit(wf_thread *t, uint32_t index);
/* The interrupt flag was nonzero: nonzero when the code must stop (a yield
 * request yields here and goes on: wf_exec_interrupt_hit). */
uint32_t wf_jit_rt_interrupt(wf_thread *t);
void wf_jit_rt_sig_check(wf_thread *t, const wf_func *f, const wf_functype *want);
void wf_jit_rt_call(wf_thread *t, wf_instance *inst, uint32_t func, wf_slot *slots);
void wf_jit_rt_call_ref(wf_thread *t, wf_instance *inst, wf_func *f, wf_slot *slots);
/* A tail call to f that cannot be a native jump: its arguments (f's
 * parameters) saved, left pending in t (wf_thread.tail_callee); the
 * compiled code then returns at once. */
void wf_jit_rt_tail(wf_thread *t, wf_instance *inst, wf_func *f, const wf_slot *args);
/* After a native call returned with a tail call pending: make it (and
 * the ones it leaves), its results into slots. */
void wf_jit_rt_tail_finish(wf_thread *t, wf_instance *inst, wf_slot *slots);
/* throw: a new exception of tag (of inst) with its payload in slots;
 * throw_ref: the exception exn (NULL traps). Both leave through
 * wf_exn_raise_native (exn.h). */
_Noreturn void wf_jit_rt_throw(wf_thread *t, wf_instance *inst, uint32_t tag, const wf_slot *payload);
_Noreturn void wf_jit_rt_throw_ref(wf_thread *t, void *exn);
/* A catch clause of a compiled try_table: 1 when t->exn has its tag (a
 * tag index of inst, or WF_JIT_CATCH_ANY), its payload then in payload
 * and the exception caught (t->exn NULL), else 0. The clause makes an
 * exnref when it has WF_JIT_CATCH_REF too. */
enum { WF_JIT_CATCH_ANY = 0x7FFFFFFF, WF_JIT_CATCH_REF = 0x80000000u };
uint32_t wf_jit_rt_catch(wf_thread *t, wf_instance *inst, uint32_t clause, wf_slot *payload);
/* The bulk-memory helpers name their memories (multi-memory). */
uint32_t wf_jit_rt_memory_grow(wf_instance *inst, uint32_t mem, uint32_t delta);
void wf_jit_rt_memory_fill(wf_thread *t, wf_instance *inst, uint32_t mem, uint32_t d, uint32_t val,
                           uint32_t n);
void wf_jit_rt_memory_copy(wf_thread *t, wf_instance *inst, uint32_t dmem, uint32_t smem, uint32_t d,
                           uint32_t s, uint32_t n);
void wf_jit_rt_memory_init(wf_thread *t, wf_instance *inst, uint32_t seg, uint32_t mem, uint32_t d,
                           uint32_t s, uint32_t n);
void wf_jit_rt_data_drop(wf_instance *inst, uint32_t seg);
void wf_jit_rt_elem_drop(wf_instance *inst, uint32_t seg);
void *wf_jit_rt_table_get(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t i);
void wf_jit_rt_table_set(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t i, void *v);
uint32_t wf_jit_rt_table_size(wf_instance *inst, uint32_t table);
uint32_t wf_jit_rt_table_grow(wf_instance *inst, uint32_t table, void *init, uint32_t n);
void wf_jit_rt_table_fill(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t d, void *v,
                          uint32_t n);
void wf_jit_rt_table_copy(wf_thread *t, wf_instance *inst, uint32_t dt, uint32_t st, uint32_t d,
                          uint32_t s, uint32_t n);
void wf_jit_rt_table_init(wf_thread *t, wf_instance *inst, uint32_t seg, uint32_t table, uint32_t d,
                          uint32_t s, uint32_t n);

/* Every helper with its name, for the JIT's symbol table (jit.c) and the
 * translator's declarations (translate.c). X(name, llvm signature): the
 * signature letters are v void, i i32, p pointer; the first letter is the
 * result. */
#define WF_JIT_RT_HELPERS(X) \
    X(wf_jit_rt_trap, "vpi") \
    X(wf_jit_rt_trap_uninit, "vpi") \
    X(wf_jit_rt_interrupt, "ip") \
    X(wf_jit_rt_sig_check, "vppp") \
    X(wf_jit_rt_call, "vppip") \
    X(wf_jit_rt_call_ref, "vpppp") \
    X(wf_jit_rt_tail, "vpppp") \
    X(wf_jit_rt_tail_finish, "vppp") \
    X(wf_jit_rt_throw, "vppip") \
    X(wf_jit_rt_throw_ref, "vpp") \
    X(wf_jit_rt_catch, "ippip") \
    X(_setjmp, "ip") \
    X(wf_jit_rt_memory_grow, "ipii") \
    X(wf_jit_rt_memory_fill, "vppiiii") \
    X(wf_jit_rt_memory_copy, "vppiiiii") \
    X(wf_jit_rt_memory_init, "vppiiiii") \
    X(wf_jit_rt_data_drop, "vpi") \
    X(wf_jit_rt_elem_drop, "vpi") \
    X(wf_jit_rt_table_get, "pppii") \
    X(wf_jit_rt_table_set, "vppiip") \
    X(wf_jit_rt_table_size, "ipi") \
    X(wf_jit_rt_table_grow, "ipipi") \
    X(wf_jit_rt_table_fill, "vppiipi") \
    X(wf_jit_rt_table_copy, "vppiiiii") \
    X(wf_jit_rt_table_init, "vppiiiii")

enum {
#define WF_JIT_RT_ENUM_(n, sig) WF_JIT_RT_##n,
    WF_JIT_RT_HELPERS(WF_JIT_RT_ENUM_)
#undef WF_JIT_RT_ENUM_
    WF_JIT_RT_COUNT_
};


/* ---- cache.c: the on-disk code cache --------------------------------------- */
#include "base/sha256.h"

typedef enum { WF_JIT_CACHE_OFF, WF_JIT_CACHE_MISS, WF_JIT_CACHE_BAD, WF_JIT_CACHE_HIT } wf_jit_cache_status;

/* m's cache key; false when there can be no cache entry (no build id). */
bool wf_jit_cache_key(const wf_module *m, const char *cpu, const char *features, int opt_level,
                      uint8_t key[WF_SHA256_LEN]);
struct wf_jit_unit;
/* The key of unit u of the module with key module_key. */
void wf_jit_cache_unit_key(const uint8_t module_key[WF_SHA256_LEN], const struct wf_jit_unit *u,
                           uint8_t key[WF_SHA256_LEN]);
/* A cache entry, mapped: the file privately and read-only (map, map_len,
 * for munmap), its descriptor and its blob (page-aligned). */
typedef struct wf_jit_entry {
    uint8_t *map;
    size_t map_len;
    const uint8_t *desc;
    size_t desclen;
    uint8_t *blob;
    size_t bloblen;
} wf_jit_entry;
/* HIT: *out maps the entry of key (of a unit of nfuncs functions). BAD:
 * an entry is there but damaged or of another format. */
wf_jit_cache_status wf_jit_cache_load(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, wf_jit_entry *out);
/* The cache's size cap in bytes ($WASMFN_CACHE_MAX_MB, default 1 GiB). */
uint64_t wf_jit_cache_max_bytes(void);
/* Over max bytes of entries (and host records) in dir: delete the least
 * recently used. */
void wf_jit_cache_trim(const char *dir, uint64_t max);
/* Write the entry of key atomically (temporary file, rename), then trim
 * the cache to its cap. */
wf_error *wf_jit_cache_store(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, const uint8_t *desc,
                             size_t desclen, const uint8_t *blob, size_t bloblen);

/* The same for a record of the host (host.c): <key hex>.wfhost, counted
 * in the size bound like an entry. */
wf_jit_cache_status wf_jit_cache_load_host(const uint8_t key[WF_SHA256_LEN], wf_jit_entry *out);
wf_error *wf_jit_cache_store_host(const uint8_t key[WF_SHA256_LEN], const uint8_t *blob, size_t bloblen);

/* ---- link.c: the tier's own linker and loader ------------------------------ */
#include "base/buf.h"

/* Whether this host's objects link with link.c (x86-64); elsewhere ORC
 * links them (jit.c). */
bool wf_jit_image_supported(void);
/* The ELF object obj as a position-independent image (*image, zero-filled
 * to a multiple of the page size) and the descriptor that places it
 * (*desc); table_name is the unit's table symbol. Errors: an object this
 * linker cannot take (a relocation or external symbol it does not know). */
wf_error *wf_jit_image_link(const uint8_t *obj, size_t objlen, const char *table_name, wf_buf *desc,
                            wf_buf *image);
/* Make the image at img (page-aligned, len bytes, privately mapped, at
 * least readable) runnable where it lies: its absolute words written, its
 * regions protected; *table is the unit's table. The descriptor is checked
 * against the image first. */
wf_error *wf_jit_image_place(uint8_t *img, size_t len, const uint8_t *desc, size_t desclen,
                             void *const **table);
/* The same on a fresh anonymous copy of image (*map, *maplen for munmap). */
wf_error *wf_jit_image_map(const uint8_t *image, size_t len, const uint8_t *desc, size_t desclen,
                           uint8_t **map, size_t *maplen, void *const **table);

/* ---- unit.c: units of compilation ------------------------------------------ */

/* UPGRADE: hot functions of cheap units compiled again at the full level,
 * together in units of their own (jit.c's tier-up). */
enum { WF_JIT_LEVEL_FULL, WF_JIT_LEVEL_CHEAP, WF_JIT_LEVEL_NONE, WF_JIT_LEVEL_UPGRADE };

/* Defined functions funcs[0..count) (counted from the first defined
 * function, ascending), bytes of wasm code, compiled at level (NONE: left
 * interpreted, too big). */
typedef struct wf_jit_unit {
    uint32_t *funcs;
    uint32_t count, bytes;
    int level;
} wf_jit_unit;

/* The setting in environment variable env (a decimal u32), dflt when it
 * is unset or not one: the WASMFN_JIT_* sizes and the tier-up's bounds. */
uint32_t wf_jit_env_u32(const char *env, uint32_t dflt);
/* m's units (*out malloc'd, with wf_jit_units_free); their number. */
uint32_t wf_jit_partition(const wf_module *m, wf_jit_unit **out);
void wf_jit_units_free(wf_jit_unit *u, uint32_t n);

/* ---- the compiler library (llvm/, libwasmfn-jit.so) ------------------------ */

/* What needs LLVM, as one table of functions the library exports
 * (wf_jit_compiler_v1). It is self-contained: the helpers compiled code
 * calls are passed in (orc_init), objects come back as malloc'd bytes,
 * errors as wf_error (its own copy of base/error.c; both sides free with
 * the C library's free). WF_JIT_COMPILER_ABI changes with the table. */
#define WF_JIT_COMPILER_ABI 1
typedef struct wf_jit_compiler {
    uint32_t abi;
    /* LLVM's native target made ready, *cpu and *features (malloc'd) the
     * host's as LLVM sees them; false when LLVM has no native target. */
    bool (*init)(char **cpu, char **features);
    /* Unit u of m as an object file (*obj, *objlen malloc'd); translated(ctx)
     * is called once m is no longer read (the rest runs on LLVM's copy).
     * compiled[k] tells which functions compiled; for one that did not,
     * why[k] a malloc'd reason ("function N NAME stays interpreted:
     * reason"); *ncompiled counts the compiled ones. */
    wf_error *(*build_unit)(const wf_module *m, const wf_jit_unit *u, const char *prefix, int opt_level,
                            bool verbose, void (*translated)(void *), void *ctx, bool *compiled, char **why,
                            uint32_t *ncompiled, uint8_t **obj, size_t *objlen);
    /* ORC (jit.c's linker where link.c's is not used): the process's
     * LLJIT, made once with the helpers (WF_JIT_RT_HELPERS' order) as
     * absolute symbols; NULL, or why not (malloc'd). */
    char *(*orc_init)(void *const helpers[]);
    /* A resource tracker: one per module code, released with it. */
    void *(*orc_tracker)(void);
    void (*orc_release)(void *tracker);
    /* Object obj (copied) added under tracker, linked, the address of
     * table_name in *table. */
    wf_error *(*orc_link)(void *tracker, const uint8_t *obj, size_t len, const char *table_name,
                          void *const **table);
} wf_jit_compiler;

/* ---- host.c: the host CPU as LLVM sees it, without LLVM ------------------ */

/* The name and features (malloc'd) recorded in the code cache for this
 * CPU; false when there is no record (or no cache, or no fingerprint). */
bool wf_jit_host_load(char **cpu, char **features);
/* Record them (LLVM's answer) for the next process. */
void wf_jit_host_store(const char *cpu, const char *features);

/* ---- lib.c: the compiler library, loaded on first need ---------------------- */

/* Whether the library is there (found; not loaded): the tier is usable;
 * else *why (when why is not NULL) says why not (static). */
bool wf_jit_lib_found(const char **why);
/* The library loaded (once, on the first call), NULL when it is missing or
 * fails to load; *why then says so (static). Thread-safe. */
const wf_jit_compiler *wf_jit_compiler_get(const char **why);
/* Whether the library is loaded (for the tests' and -v's account). */
bool wf_jit_compiler_loaded(void);
/* The GNU build id of the object (executable or library) holding addr
 * (NULL: the executable) into id[0..*len), *len at most 64; false when it
 * has none. */
bool wf_jit_build_id(const void *addr, uint8_t id[64], size_t *len);

#endif
