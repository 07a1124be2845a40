/*
 * wasmfn.h - the public embedding API of wasmfn.
 *
 * What a C program needs without the command line. The engine: load,
 * validate and run WebAssembly modules: modules (compiled once, immutable,
 * shareable between threads), stores (own the instances and runtime objects
 * made in them; one thread at a time), instances, host functions, values
 * and errors (examples/embed.c). The runtime: load a project directory and
 * call its registry functions with values or JSON (examples/project.c).
 * The engine's signal handling and what it asks of an embedder ("Signals").
 *
 * Every fallible function returns a wf_error * (NULL on success) that the
 * caller owns and frees with wf_error_free.
 */
#ifndef WASMFN_H
#define WASMFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ------------------------------------------------------------ */

typedef enum wf_error_kind {
    WF_ERR_INVALID,     /* fails validation, or a wrong argument */
    WF_ERR_MALFORMED,   /* not well formed: bad binary encoding or text syntax */
    WF_ERR_UNLINKABLE,  /* an import is missing or has the wrong type */
    WF_ERR_NOT_FOUND,   /* a named thing does not exist */
    WF_ERR_TIMEOUT,     /* a deadline passed */
    WF_ERR_TRAP,        /* the guest trapped */
    WF_ERR_LIMIT,       /* a resource limit was reached (memory, table, stack) */
    WF_ERR_INTERNAL,    /* a bug or an unexpected system failure */
    WF_ERR_IO,          /* a file or the system refused */
    WF_ERR_UNSUPPORTED, /* uses a feature or proposal wasmfn does not implement */
    WF_ERR_EXIT,        /* not a failure of the engine: the guest ended the call
                         * itself (WASI proc_exit) with status exit_code */
} wf_error_kind;

typedef struct wf_error {
    wf_error_kind kind;
    char *message;   /* what went wrong, in the spec's words where it has them */
    char *file;      /* input file, or NULL */
    int line, col;   /* 1-based position in a text input, 0 when none */
    int64_t offset;  /* byte offset in a binary input, -1 when none */
    char *trace;     /* for traps: a backtrace of function names, or NULL */
    int exit_code;   /* for WF_ERR_EXIT: the guest's exit status */
    /* What an error value of upstream Wippy's carries from one function to
     * the next (a Lua function's `errors` value; kept by the runtime): */
    char *wippy_kind; /* its kind string ("Conflict"), NULL: the one kind maps to */
    int retryable;    /* WF_RETRY_*: whether trying again may help */
    char *details;    /* its details as one JSON object text, or NULL */
} wf_error;

enum { WF_RETRY_DEFAULT = 0 /* not said: the kind's default */, WF_RETRY_YES, WF_RETRY_NO };

wf_error *wf_error_new(wf_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
wf_error *wf_error_at_offset(wf_error_kind kind, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
wf_error *wf_error_at_line(wf_error_kind kind, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wf_error_free(wf_error *e);
const char *wf_error_kind_name(wf_error_kind kind); /* "INVALID", "TRAP", ... */
/* "file:line:col: message" or "offset 0x1f: message"; the caller frees it. */
char *wf_error_format(const wf_error *e);

/* ---- Types and values -------------------------------------------------- */

typedef enum wf_valkind {
    WF_I32, WF_I64, WF_F32, WF_F64, WF_V128, WF_REF,
} wf_valkind;

typedef enum wf_heaptype {
    WF_HEAP_FUNC, WF_HEAP_EXTERN,
    WF_HEAP_TYPE,     /* a concrete (defined) type: see wf_valtype.index */
    WF_HEAP_NOFUNC, WF_HEAP_NOEXTERN,
    /* GC and exception heap types (struct and array types are not yet
     * executable) */
    WF_HEAP_ANY, WF_HEAP_EQ, WF_HEAP_I31, WF_HEAP_STRUCT, WF_HEAP_ARRAY,
    WF_HEAP_NONE, WF_HEAP_EXN, WF_HEAP_NOEXN,
} wf_heaptype;

typedef struct wf_valtype {
    uint8_t kind;      /* wf_valkind */
    uint8_t heap;      /* wf_heaptype, for WF_REF */
    uint8_t nullable;  /* for WF_REF */
    uint32_t index;    /* for WF_HEAP_TYPE: the canonical type id (see wf_functype) */
} wf_valtype;

#define WF_TYPE_I32       ((wf_valtype){ WF_I32, 0, 0, 0 })
#define WF_TYPE_I64       ((wf_valtype){ WF_I64, 0, 0, 0 })
#define WF_TYPE_F32       ((wf_valtype){ WF_F32, 0, 0, 0 })
#define WF_TYPE_F64       ((wf_valtype){ WF_F64, 0, 0, 0 })
#define WF_TYPE_FUNCREF   ((wf_valtype){ WF_REF, WF_HEAP_FUNC, 1, 0 })
#define WF_TYPE_EXTERNREF ((wf_valtype){ WF_REF, WF_HEAP_EXTERN, 1, 0 })

/* A function type. Types are canonical: two structurally equal types are the
 * same object with the same id, for the life of the process, so comparing
 * types is comparing pointers. */
typedef struct wf_functype {
    uint32_t id;
    uint32_t nparams, nresults;
    const wf_valtype *params;
    const wf_valtype *results;
    /* Engine slots the params and results take (a v128 takes two): the
     * layout of the slots wf_exec_call and host functions see. */
    uint32_t param_slots, result_slots;
} wf_functype;

const wf_functype *wf_functype_get(const wf_valtype *params, uint32_t nparams,
                                   const wf_valtype *results, uint32_t nresults);
const wf_functype *wf_functype_by_id(uint32_t id);

/* One value slot as the engine stores it: 8 bytes, floats as their bits. */
typedef union wf_slot {
    int32_t i32;
    int64_t i64;
    uint32_t u32;
    uint64_t u64;
    float f32;
    double f64;
    void *ref;
} wf_slot;

/* A typed value. References: a funcref is a wf_func *, an externref is the
 * host's own pointer, aligned to at least 4 (the engine tags the low bits
 * of GC references: src/wasm/gc.h); NULL is the null reference. */
typedef struct wf_value {
    wf_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        float f32;
        double f64;
        uint8_t v128[16];
        void *ref;
    } of;
} wf_value;

/* ---- Modules ------------------------------------------------------------ */

typedef struct wf_module wf_module;

typedef enum wf_extern_kind {
    WF_EXTERN_FUNC, WF_EXTERN_TABLE, WF_EXTERN_MEMORY, WF_EXTERN_GLOBAL, WF_EXTERN_TAG,
} wf_extern_kind;

/* Decode, validate and compile a binary module. The bytes are copied. */
wf_error *wf_module_new(const uint8_t *bytes, size_t len, wf_module **out);
/* The same from WebAssembly text (a `(module ...)` or bare module fields). */
wf_error *wf_module_from_wat(const char *text, size_t len, wf_module **out);
void wf_module_free(wf_module *m);

typedef struct wf_import_desc {
    const char *module, *name;   /* not NUL-safe: use the lengths */
    size_t module_len, name_len;
    wf_extern_kind kind;
    const wf_functype *func_type; /* for WF_EXTERN_FUNC */
} wf_import_desc;

typedef struct wf_export_desc {
    const char *name;
    size_t name_len;
    wf_extern_kind kind;
    uint32_t index;
} wf_export_desc;

uint32_t wf_module_import_count(const wf_module *m);
wf_import_desc wf_module_import(const wf_module *m, uint32_t i);
uint32_t wf_module_export_count(const wf_module *m);
wf_export_desc wf_module_export(const wf_module *m, uint32_t i);

/* ---- Stores, instances and runtime objects ----------------------------- */

typedef struct wf_store wf_store;
typedef struct wf_instance wf_instance;
typedef struct wf_func wf_func;
typedef struct wf_table wf_table;
typedef struct wf_memory wf_memory;
typedef struct wf_global wf_global;
typedef struct wf_tag wf_tag;

typedef struct wf_extern {
    wf_extern_kind kind;
    union {
        wf_func *func;
        wf_table *table;
        wf_memory *memory;
        wf_global *global;
        wf_tag *tag;
        void *ptr;
    } of;
} wf_extern;

/* A store owns every instance and object created in it until wf_store_free.
 * Modules must outlive the stores that instantiated them. */
wf_store *wf_store_new(void);
void wf_store_free(wf_store *s);

/* Instantiate m with imports given in the module's import order. Link errors
 * are WF_ERR_UNLINKABLE; a trap while initialising segments or in the start
 * function is WF_ERR_TRAP (the instance is then not returned). */
wf_error *wf_instance_new(wf_store *s, const wf_module *m,
                          const wf_extern *imports, size_t nimports,
                          wf_instance **out);
/* Look up an export by name; false when there is none. */
bool wf_instance_export(wf_instance *inst, const char *name, size_t name_len,
                        wf_extern *out);

/* The instance a host function was called from, for access to its memory. */
typedef struct wf_caller wf_caller;
wf_instance *wf_caller_instance(wf_caller *c);
/* The caller's memory: memory 0, or with several memories the one it
 * exports as `memory` (WASI's); NULL when it has none. */
wf_memory *wf_caller_memory(wf_caller *c);

/* A host function: reads its arguments from slots[0..nparams) and writes its
 * results to slots[0..nresults). Returning an error (a trap, usually) aborts
 * the whole call with that error. */
typedef wf_error *(*wf_host_fn)(wf_caller *caller, void *env, wf_slot *slots);

wf_func *wf_func_new_host(wf_store *s, const wf_functype *type, wf_host_fn fn, void *env);
const wf_functype *wf_func_type(const wf_func *f);

/* Call f. Arguments are checked against its type (WF_ERR_INVALID on a
 * mismatch); a guest trap is WF_ERR_TRAP with the spec's message. */
wf_error *wf_func_call(wf_func *f, const wf_value *args, size_t nargs,
                       wf_value *results, size_t nresults);

wf_table *wf_table_new(wf_store *s, wf_valtype elem, uint32_t min, uint32_t max, bool has_max,
                       void *init);
uint32_t wf_table_size(const wf_table *t);
wf_memory *wf_memory_new(wf_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max);
uint8_t *wf_memory_data(wf_memory *m);
uint64_t wf_memory_size(const wf_memory *m); /* bytes */
wf_global *wf_global_new(wf_store *s, wf_valtype type, bool mut, wf_value init);
wf_value wf_global_get(const wf_global *g);

/* ---- Values of registry functions (wf_val) --------------------------------
 *
 * The one value model of the runtime: what functions of a project take and
 * return (WIT types: bool, integers, floats, char, string, list, tuple,
 * record, variant, enum, option, result, flags). A wf_val is
 * self-describing: records carry field names, variants and enums their case
 * names, flags their set names.
 *
 * Ownership: a wf_val owns everything it points to; wf_val_free releases a
 * whole tree (any depth). A zero-filled wf_val is `false` and owns nothing.
 */

typedef enum wf_val_kind {
    WF_VAL_BOOL,
    WF_VAL_S8, WF_VAL_S16, WF_VAL_S32, WF_VAL_S64,
    WF_VAL_U8, WF_VAL_U16, WF_VAL_U32, WF_VAL_U64,
    WF_VAL_F32, WF_VAL_F64,
    WF_VAL_CHAR,     /* a Unicode scalar value */
    WF_VAL_STRING,   /* UTF-8 bytes */
    WF_VAL_LIST,     /* items */
    WF_VAL_TUPLE,    /* items */
    WF_VAL_RECORD,   /* items, with names */
    WF_VAL_VARIANT,  /* case name + index, optional payload */
    WF_VAL_ENUM,     /* case name + index */
    WF_VAL_OPTION,   /* payload NULL = none */
    WF_VAL_RESULT,   /* index 0 = ok, 1 = err; optional payload */
    WF_VAL_FLAGS,    /* the names of the flags that are set */
    WF_VAL_HANDLE,   /* a resource handle (own or borrow) */
} wf_val_kind;

typedef struct wf_val wf_val;

struct wf_val {
    uint8_t kind;           /* wf_val_kind */
    union {
        bool b;
        int64_t s;          /* s8..s64 */
        uint64_t u;         /* u8..u64, char, handle */
        float f32;
        double f64;
        struct { char *data; size_t len; } str;   /* data NUL-terminated too */
        /* list, tuple, record (names[i] is field i), flags (names only;
         * items NULL). names is NULL for lists and tuples. */
        struct { wf_val *items; char **names; size_t len; } agg;
        /* variant, enum, option, result: case index and name, payload or NULL.
         * Option: index 0 = none, 1 = some (name "none"/"some");
         * result: index 0 = ok, 1 = err (name "ok"/"err"). */
        struct { uint32_t index; char *name; wf_val *payload; } cas;
    } of;
};

void wf_val_free(wf_val *v);   /* frees what v owns, not v itself; v becomes false */
/* A deep copy of src into *dst (dst owns it). */
void wf_val_copy(wf_val *dst, const wf_val *src);
/* Short kind name for messages: "bool", "s32", "string", "record", ... */
const char *wf_val_kind_name(wf_val_kind k);

/* Constructors: they return the value; strings and names are copied. */
wf_val wf_val_bool(bool b);
wf_val wf_val_sint(wf_val_kind k, int64_t x);    /* WF_VAL_S8..S64 */
wf_val wf_val_uint(wf_val_kind k, uint64_t x);   /* WF_VAL_U8..U64 */
wf_val wf_val_f32(float x);
wf_val wf_val_f64(double x);
wf_val wf_val_char(uint32_t c);
wf_val wf_val_string(const char *s, size_t len);
/* list, tuple or record with len zero-filled items (records: names all NULL,
 * to be set with wf_val_set_name); flags: len NULL names. */
wf_val wf_val_agg(wf_val_kind k, size_t len);
void wf_val_set_name(wf_val *agg, size_t i, const char *name);  /* copies */
/* variant, enum, option, result. payload (may be NULL) is moved into a new
 * heap slot: *payload becomes false and the caller keeps no ownership. */
wf_val wf_val_case(wf_val_kind k, uint32_t index, const char *name, wf_val *payload);
wf_val wf_val_none(void);
wf_val wf_val_some(wf_val *payload);              /* moves *payload */
wf_val wf_val_ok(wf_val *payload);                /* payload may be NULL */
wf_val wf_val_err(wf_val *payload);               /* payload may be NULL */

/* Record field by name (exact), or NULL. */
const wf_val *wf_val_field(const wf_val *rec, const char *name);

/* ---- Projects: the runtime ---------------------------------------------
 *
 * A project is a directory of `_index.yaml` files (the README, SPEC §1): the
 * same thing `wasmfn call DIR ID` loads. Load it once, look functions up by
 * ID ("namespace:name"), call them with wf_val values or with JSON text,
 * any number of times, from any number of threads at once; close it when
 * no call is running. Each call runs in a fresh instance drawn from the
 * function's pool, with its limits (SPEC §5).
 *
 * Errors: every fallible function returns a wf_error * (NULL on success):
 * e->kind (wf_error_kind_name for its name) and e->message, the same as
 * `wasmfn call` prints as `error: KIND: message`. The caller frees it with
 * wf_error_free.
 */

typedef struct wf_project wf_project;     /* a loaded project (opaque) */
typedef struct wf_function wf_function;   /* one of its functions (opaque) */

/* Load the project in dir: every `_index.yaml` below it, checked, WASM
 * compiled, Lua compiled, missing `auto_init` directories made. On success
 * *out is the caller's, to wf_project_close. On error *out is NULL and the
 * error lists every problem, one `file:line: entry: message` a line
 * (WF_ERR_INVALID; WF_ERR_IO when dir cannot be read). */
wf_error *wf_project_load(const char *dir, wf_project **out);

/* Stop the project's pools (waiting for calls still running) and free it,
 * its functions included. p may be NULL. */
void wf_project_close(wf_project *p);

/* The function with full ID `id` ("demo:compute"): *out belongs to the
 * project (valid until wf_project_close; never freed by the caller).
 * WF_ERR_NOT_FOUND when there is none. */
wf_error *wf_project_function(wf_project *p, const char *id, wf_function **out);

/* Call f with nargs values, typed by its WIT signature (a core module
 * without one takes numbers). timeout_ms: give up with WF_ERR_TIMEOUT after
 * that long, queue included (0: only the function's own max_execution_ms).
 * args stay the caller's. On success *result is the caller's, to
 * wf_val_free (a function without results gives an empty tuple). Errors:
 * WF_ERR_INVALID (arguments that do not fit, nothing ran), WF_ERR_TRAP,
 * WF_ERR_TIMEOUT, WF_ERR_LIMIT. */
wf_error *wf_function_call(wf_function *f, const wf_val *args, size_t nargs, uint32_t timeout_ms,
                           wf_val *result);

/* The same with each argument one JSON text (SPEC §9, as `wasmfn call`
 * takes them: objects for records, arrays for lists and tuples, null for
 * none, {"ok": v} for results...). On success *result_json is the result
 * as one line of JSON (null for a function without results), the
 * caller's to free(). */
wf_error *wf_function_call_json(wf_function *f, const char *const *args_json, size_t nargs,
                                uint32_t timeout_ms, char **result_json);

/* ---- Signals ------------------------------------------------------------
 *
 * An out-of-bounds access to a linear memory is caught by the hardware: the
 * memory sits in a large reservation whose unused part is inaccessible, and
 * the fault becomes a WF_ERR_TRAP ("out of bounds memory access"). So the
 * engine handles SIGSEGV and SIGBUS, and only those.
 *
 * When: its handler is installed once per process, the first time any
 * thread gets ready to run wasm (its first call, or an instantiation that
 * runs a start function), or earlier by wf_signals_install. Flags
 * SA_SIGINFO | SA_ONSTACK | SA_NODEFER. Each thread that runs wasm also gets
 * a 64 KiB alternate signal stack (sigaltstack) if it has none, freed when
 * the thread exits. Nothing is checked or installed per call.
 *
 * What it handles: a fault (si_code > 0) on a thread that is running wasm
 * code, at an address inside the reservation of the memory that code is
 * accessing. Everything else is passed to the handler that was installed
 * before the engine's, as the kernel would have: a SA_SIGINFO handler with
 * (sig, info, context), a plain one with (sig), each with its sa_mask
 * blocked; under SIG_DFL the process dies by the signal; under SIG_IGN a
 * signal sent by kill() is ignored and a fault kills (as it would anyway).
 *
 * An embedder with its own SIGSEGV/SIGBUS handler may install it
 *  - before the engine's: nothing more to do, the engine chains to it;
 *  - after: either pass the faults that are not its own to the handler it
 *    replaced (the oldact sigaction returned, called the same way), or call
 *    wf_signals_install afterwards, which puts the engine's back on top
 *    chaining to the embedder's.
 * It must not: replace the handler after the engine's without doing one of
 * those (wasm out-of-bounds accesses would then reach its handler, not
 * become traps); block SIGSEGV or SIGBUS on a thread while it runs wasm;
 * remove the alternate signal stack of a thread that runs wasm; jump out of
 * a wasm call from its own handler (longjmp over engine frames).
 */

/* Put the engine's SIGSEGV and SIGBUS handlers on top, each chaining to the
 * handler found in its place. Idempotent and thread-safe: a handler that is
 * already the engine's is left alone. */
void wf_signals_install(void);

#ifdef __cplusplus
}
#endif
#endif
