/*
 * module.h - the decoded, validated form of a WebAssembly module (the IR).
 *
 * Made by decode.c from a binary (text goes through wat.c to a binary first);
 * immutable afterwards and shared by every instance of the module, across
 * threads. Function bodies are validated and translated to the interpreter's
 * code (code.h) while decoding, so a wf_module is ready to run.
 *
 * Types: every wf_valtype with heap WF_HEAP_TYPE carries a canonical type id
 * (types.h), never a module-local index, so types compare across modules.
 */
#ifndef WF_MODULE_H
#define WF_MODULE_H

#include "base/base.h"
#include "base/error.h"
#include "wasm/types.h"

struct wf_code; /* a translated function body, owned by the module (code.h) */

typedef struct wf_limits {
    uint64_t min, max;
    bool has_max;
    bool shared;
    bool is64;      /* memory64 / table64 index type */
} wf_limits;

typedef struct wf_tabletype {
    wf_valtype elem;
    wf_limits limits;
} wf_tabletype;

typedef struct wf_memtype {
    wf_limits limits;   /* in 64 KiB pages */
} wf_memtype;

typedef struct wf_globaltype {
    wf_valtype type;
    bool mut;
} wf_globaltype;

/* A constant expression, decoded into a small postfix program evaluated at
 * instantiation: i32/i64/f32/f64.const, v128.const, ref.null, ref.func,
 * global.get, the extended-const i32/i64 add, sub and mul, and of GC
 * ref.i31, any.convert_extern, extern.convert_any, struct.new(_default)
 * and array.new(_default, _fixed). */
typedef enum wf_cop {
    WF_COP_I32_CONST, WF_COP_I64_CONST, WF_COP_F32_CONST, WF_COP_F64_CONST,
    WF_COP_REF_NULL, WF_COP_REF_FUNC, WF_COP_GLOBAL_GET,
    WF_COP_I32_ADD, WF_COP_I32_SUB, WF_COP_I32_MUL,
    WF_COP_I64_ADD, WF_COP_I64_SUB, WF_COP_I64_MUL,
    WF_COP_V128_CONST,  /* imm: the low 8 bytes; WF_COP_V128_HI follows */
    WF_COP_V128_HI,     /* imm: the high 8 bytes of the v128 on top */
    WF_COP_REF_I31,     /* the i32 on top to an i31 reference (gc.h) */
    WF_COP_REF_CONVERT, /* any.convert_extern / extern.convert_any of the top */
    WF_COP_STRUCT_NEW,  /* imm: the canonical type id; the fields on top */
    WF_COP_STRUCT_NEW_DEFAULT,
    WF_COP_ARRAY_NEW,   /* imm: the type id; the initial value and length on top */
    WF_COP_ARRAY_NEW_DEFAULT,
    WF_COP_ARRAY_NEW_FIXED, /* imm: the type id | count << 32; the elements on top */
} wf_cop;

typedef struct wf_cinstr {
    uint8_t op;        /* wf_cop */
    uint64_t imm;      /* constant bits, function index or global index */
} wf_cinstr;

typedef struct wf_constexpr {
    wf_cinstr *code;
    uint32_t len;
} wf_constexpr;

typedef struct wf_import {
    char *module, *name;        /* NUL-terminated copies; may contain NULs */
    uint32_t module_len, name_len;
    uint8_t kind;               /* wf_extern_kind */
    union {
        const wf_functype *func;    /* WF_EXTERN_FUNC and WF_EXTERN_TAG */
        wf_tabletype table;
        wf_memtype mem;
        wf_globaltype global;
    } type;
} wf_import;

typedef struct wf_export {
    char *name;
    uint32_t name_len;
    uint8_t kind;               /* wf_extern_kind */
    uint32_t index;             /* in the kind's index space */
} wf_export;

/* A function of the module's index space (imports first). */
typedef struct wf_funcdef {
    const wf_functype *type;
    uint32_t type_index;        /* module-local type index */
    struct wf_code *code;       /* NULL for imports */
    char *name;                 /* from the name section or export, or NULL */
} wf_funcdef;

typedef struct wf_globaldef {
    wf_globaltype type;
    wf_constexpr init;          /* unused for imports */
} wf_globaldef;

typedef struct wf_tabledef {
    wf_tabletype type;
    wf_constexpr init;          /* len 0: initialise with null */
} wf_tabledef;

typedef enum wf_segmode { WF_SEG_ACTIVE, WF_SEG_PASSIVE, WF_SEG_DECLARATIVE } wf_segmode;

typedef struct wf_elemseg {
    uint8_t mode;               /* wf_segmode */
    uint32_t table;             /* for active segments */
    wf_constexpr offset;        /* for active segments */
    wf_valtype type;
    wf_constexpr *items;        /* each yields one reference */
    uint32_t nitems;
    uint32_t *funcs;            /* every item a ref.func or a ref.null: the
                                 * function indices (WF_ELEM_NULL: null), read
                                 * without evaluating an expression per item;
                                 * else NULL */
} wf_elemseg;

#define WF_ELEM_NULL UINT32_MAX

typedef struct wf_dataseg {
    uint8_t mode;               /* WF_SEG_ACTIVE or WF_SEG_PASSIVE */
    uint32_t memory;
    wf_constexpr offset;
    const uint8_t *bytes;       /* points into wf_module.bytes */
    uint32_t len;
} wf_dataseg;

/* Defined types, in module-local index order: function, struct and array
 * types (types.h: wf_type_kind) by their canonical handle. */
typedef struct wf_typedef {
    const wf_functype *func;
} wf_typedef;

struct wf_module {
    uint8_t *bytes;             /* a private copy of the binary, or borrowed */
    size_t len;
    bool bytes_borrowed;        /* wf_module_new_borrowed: not freed with m */

    wf_typedef *types;          uint32_t ntypes;
    wf_import *imports;         uint32_t nimports;
    wf_funcdef *funcs;          uint32_t nfuncs, nfunc_imports;
    wf_tabledef *tables;        uint32_t ntables, ntable_imports;
    wf_memtype *mems;           uint32_t nmems, nmem_imports;
    wf_globaldef *globals;      uint32_t nglobals, nglobal_imports;
    const wf_functype **tags;   uint32_t ntags, ntag_imports;
    wf_export *exports;         uint32_t nexports;
    wf_elemseg *elems;          uint32_t nelems;
    wf_dataseg *datas;          uint32_t ndatas;
    bool has_data_count;
    bool has_start;
    uint32_t start;
    /* Functions that may be referenced by ref.func in code: those in element
     * segments, exports and global initialisers ("declared" references). */
    uint8_t *func_declared;     /* one flag per function */
    void *jit;                  /* the compiled tier's code for the module (jit/), or NULL */
    /* Per defined function its compiled native function, NULL while it
     * is not (yet) compiled; entries are set atomically while code runs
     * (jit/jit.c). NULL without the compiled tier. */
    void **jit_natives;
    /* Per defined function the heat its cheap compiled code counts
     * (calls and loop iterations, jit/jit.c's tier-up); NULL without the
     * compiled tier. */
    uint32_t *jit_heat;
    /* Data images of the defined memories (image.c), made on first use. */
    struct wf_modimages *images;
};

/* Find an export by name; NULL when absent. */
const wf_export *wf_module_find_export(const wf_module *m, const char *name, size_t len);

/* wf_module_new without the copy: the module reads `bytes` in place, so
 * the caller keeps them alive and unchanged until wf_module_free (a
 * component's core modules borrow the component's own buffer: a 12 MB
 * component's module is not copied again at load). */
wf_error *wf_module_new_borrowed(const uint8_t *bytes, size_t len, wf_module **out);

#endif
