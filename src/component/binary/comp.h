/*
 * comp.h - the decoded and validated component (the component IR).
 *
 * Made by the decoder/validator in this folder (comp_int.h lists its files):
 * the binary format (Binary.md) decoded, checked and typed in one pass by the
 * validation rules of Explainer.md and CanonicalABI.md "Canonical
 * definitions"; immutable afterwards and shared by every instance, across
 * threads. The instantiation code (link/cinst*.c) walks
 * `defs` in order, exactly as the binary lists them: every definition says
 * which index space (sort) it adds to and the index it gets there, so a
 * runtime needs one array per sort and appends as it goes.
 *
 * Ownership: a wf_component owns everything reachable from it: its
 * definitions, nested components (WF_CDEF_COMPONENT), compiled core modules
 * (wf_module, one per WF_CDEF_CORE_MODULE), every type node (wf_ctype,
 * wf_wit_type, wf_wit_func, wf_cresource, core module/instance types). Types
 * may be shared between definitions and nested components (outer aliases,
 * type substitution), so pointers compare: two defs with the same
 * `const wf_wit_func *` have the same type, but equal types need not be the
 * same pointer (use the structural checks of comp_sub.c for subtyping).
 * All type nodes of a whole component tree live in the ROOT component's
 * arena (wf_component.types), so nested components may point at their
 * parents' types freely.
 *
 * Resources: a wf_cresource is a resource TYPE as the validator sees it. A
 * resource defined here (`(type (resource (rep i32) (dtor f)))`) has
 * WF_CRES_DEFINED, its owner component and its dtor as a core func index of
 * that component; each instantiation of the owner makes a new runtime
 * resource type for it. Every other resource is abstract: imported
 * (WF_CRES_IMPORTED: bound by an `(import "r" (type (sub resource)))` of a
 * component; crun links it to the resource the provider passes), or bound by
 * a type (an export of an instance/component type, or a fresh copy made when
 * the validator instantiates a type: WF_CRES_ABSTRACT). At runtime an
 * abstract resource of a component definition is always reached through an
 * import or an instance export, so crun resolves it from what was linked.
 * Importing or exporting a type gives it a new name node (alias_of set, see
 * wf_cresource_root): compare resources by root. The runtime type of a
 * DEFINED resource is "type `type_index` of an instance of `owner`" (an
 * export ascribed `(sub resource)` is a distinct root outside but has the
 * same owner and type_index, hence the same runtime type).
 *
 * Value definitions (section 12) and `start` are decoded and validated; the
 * async built-ins, stream/future/error-context types and
 * async functions are refused as not supported (WF_ERR_INVALID naming it).
 */
#ifndef WF_COMP_H
#define WF_COMP_H

#include "base/base.h"
#include "component/component.h"
#include "component/wit/wit.h"
#include "wasm/module.h"

/* ---- Sorts (index spaces) ------------------------------------------------ */

typedef enum wf_csort {
    /* core sorts (binary: 0x00 then the core sort byte) */
    WF_CSORT_CORE_FUNC,      /* 0x00 */
    WF_CSORT_CORE_TABLE,     /* 0x01 */
    WF_CSORT_CORE_MEMORY,    /* 0x02 */
    WF_CSORT_CORE_GLOBAL,    /* 0x03 */
    WF_CSORT_CORE_TAG,       /* 0x04 */
    WF_CSORT_CORE_TYPE,      /* 0x10 */
    WF_CSORT_CORE_MODULE,    /* 0x11 */
    WF_CSORT_CORE_INSTANCE,  /* 0x12 */
    /* component sorts */
    WF_CSORT_FUNC,           /* 0x01 */
    WF_CSORT_VALUE,          /* 0x02 (value definitions: decoded, unsupported at run time) */
    WF_CSORT_TYPE,           /* 0x03 */
    WF_CSORT_COMPONENT,      /* 0x04 */
    WF_CSORT_INSTANCE,       /* 0x05 */
    WF_CSORT_COUNT
} wf_csort;

#define WF_CSORT_NONE 0xff   /* a definition that adds no index (start without results) */

static inline bool wf_csort_is_core(int s) { return s <= WF_CSORT_CORE_INSTANCE; }
/* "core func", "instance", ... for messages. */
const char *wf_csort_name(int sort);

typedef struct wf_csortidx {
    uint8_t sort;            /* wf_csort */
    uint32_t idx;            /* index in that sort's space */
} wf_csortidx;

/* ---- Types ---------------------------------------------------------------- */

typedef struct wf_ctype wf_ctype;

typedef enum wf_cres_kind {
    WF_CRES_DEFINED,         /* (type (resource ...)) in a component definition */
    WF_CRES_IMPORTED,        /* bound by a component's import of (sub resource) */
    WF_CRES_ABSTRACT,        /* bound by a type (instance/component type export or import) */
} wf_cres_kind;

struct wf_cresource {
    uint8_t kind;                    /* wf_cres_kind */
    uint32_t id;                     /* unique in the component tree (messages, debugging) */
    const char *name;                /* the import/export name that introduced it, or NULL */
    /* WF_CRES_DEFINED: */
    wf_flat rep;                     /* always WF_FLAT_I32 today */
    bool has_dtor;
    uint32_t dtor;                   /* core func index in `owner` */
    const wf_component *owner;       /* the defining component */
    uint32_t type_index;             /* its index in owner's type space */
    /* An export or import of a resource type gives it a new externally
     * visible NAME (Explainer.md "External Visibility of Types"): a
     * wf_cresource with alias_of set to the resource it names. It is the same
     * type: compare resources with wf_cresource_root(). */
    const wf_cresource *alias_of;
};

/* The resource a (possibly aliasing) resource is: compare these. */
static inline const wf_cresource *wf_cresource_root(const wf_cresource *r)
{
    while (r && r->alias_of) r = r->alias_of;
    return r;
}

/* One core extern in a core module or instance type. */
typedef struct wf_ccoredecl {
    char *module;            /* module types' imports: the module name; else NULL */
    char *name;
    uint8_t kind;            /* wf_extern_kind */
    union {
        const wf_functype *func;     /* WF_EXTERN_FUNC, WF_EXTERN_TAG */
        wf_tabletype table;
        wf_memtype mem;
        wf_globaltype global;
    } type;
} wf_ccoredecl;

/* One import or export of a component, component type or instance type. */
typedef struct wf_cdecl {
    char *name;              /* the extern name, e.g. "f", "wasi:io/streams@0.2.0" */
    uint8_t sort;            /* WF_CSORT_FUNC, _VALUE, _TYPE, _COMPONENT, _INSTANCE, _CORE_MODULE */
    /* The type: FUNC -> WF_CTYPE_FUNC, VALUE -> WF_CTYPE_VALUE,
     * COMPONENT -> WF_CTYPE_COMPONENT, INSTANCE -> WF_CTYPE_INSTANCE,
     * CORE_MODULE -> WF_CTYPE_CORE_MODULE, TYPE -> the type itself (for a
     * `(sub resource)` bound: a WF_CTYPE_RESOURCE with a fresh resource). */
    const wf_ctype *type;
} wf_cdecl;

typedef enum wf_ctype_kind {
    WF_CTYPE_VALUE,          /* a defvaltype: `val` */
    WF_CTYPE_FUNC,           /* `func` */
    WF_CTYPE_COMPONENT,      /* imports, exports */
    WF_CTYPE_INSTANCE,       /* exports */
    WF_CTYPE_RESOURCE,       /* `resource` */
    WF_CTYPE_CORE_FUNC,      /* core type space: `core_func` */
    WF_CTYPE_CORE_MODULE,    /* core type space: core_imports, core_exports */
    WF_CTYPE_CORE_INSTANCE,  /* a core instance's type: core_exports */
} wf_ctype_kind;

struct wf_ctype {
    uint8_t kind;                    /* wf_ctype_kind */
    const wf_wit_type *val;          /* VALUE (layout computed) */
    const wf_wit_func *func;         /* FUNC (param/result types laid out) */
    wf_cresource *resource;          /* RESOURCE */
    const wf_functype *core_func;    /* CORE_FUNC */
    wf_cdecl *imports;               /* COMPONENT, in order */
    size_t nimports;
    wf_cdecl *exports;               /* COMPONENT, INSTANCE, in order */
    size_t nexports;
    wf_ccoredecl *core_imports;      /* CORE_MODULE */
    size_t ncore_imports;
    wf_ccoredecl *core_exports;      /* CORE_MODULE, CORE_INSTANCE */
    size_t ncore_exports;
    /* COMPONENT/INSTANCE: the resources this type binds (its (sub resource)
     * imports and exports, at this level); substitution renames them. */
    wf_cresource **bound;
    size_t nbound;
};

/* ---- Definitions ---------------------------------------------------------- */

typedef enum wf_cdef_kind {
    WF_CDEF_CORE_MODULE,     /* section 1: adds a core module */
    WF_CDEF_CORE_INSTANCE,   /* section 2: adds a core instance */
    WF_CDEF_CORE_TYPE,       /* section 3: adds a core type */
    WF_CDEF_COMPONENT,       /* section 4: adds a component */
    WF_CDEF_INSTANCE,        /* section 5: adds an instance */
    WF_CDEF_ALIAS,           /* section 6: adds one index of `sort` */
    WF_CDEF_TYPE,            /* section 7: adds a type */
    WF_CDEF_CANON,           /* section 8: adds a func (lift) or a core func */
    WF_CDEF_START,           /* section 9: adds its results to the value space */
    WF_CDEF_IMPORT,          /* section 10: adds one index of `sort` */
    WF_CDEF_EXPORT,          /* section 11: adds one index of `sort` (an alias of item) */
    WF_CDEF_VALUE,           /* section 12: adds a value */
} wf_cdef_kind;

/* A `with` argument of instantiate, or an inline export of an instance
 * (core: sort is a core sort; component: any sort). */
typedef struct wf_carg {
    char *name;
    wf_csortidx item;
} wf_carg;

typedef enum wf_calias_kind {
    WF_CALIAS_EXPORT,        /* export of component instance `instance` named `name` */
    WF_CALIAS_CORE_EXPORT,   /* export of core instance `instance` named `name` */
    WF_CALIAS_OUTER,         /* index `outer_index` of the `outer_count`-th enclosing scope */
} wf_calias_kind;

typedef enum wf_canon_kind {
    WF_CANON_LIFT,           /* core func -> func */
    WF_CANON_LOWER,          /* func -> core func */
    WF_CANON_RESOURCE_NEW,   /* -> core func */
    WF_CANON_RESOURCE_DROP,  /* -> core func */
    WF_CANON_RESOURCE_REP,   /* -> core func */
    WF_CANON_OTHER,          /* an async/thread/stream/... built-in: decoded, rejected by validation */
} wf_canon_kind;

typedef enum wf_cenc {
    WF_CENC_UTF8, WF_CENC_UTF16, WF_CENC_LATIN1_UTF16,
} wf_cenc;

typedef struct wf_copts {
    uint8_t encoding;        /* wf_cenc; UTF8 when absent */
    bool has_memory, has_realloc, has_post_return, has_callback, async;
    uint32_t memory;         /* core memory index */
    uint32_t realloc;        /* core func index */
    uint32_t post_return;    /* core func index */
    uint32_t callback;       /* core func index (async only: unsupported) */
} wf_copts;

typedef struct wf_cdef wf_cdef;

struct wf_cdef {
    uint8_t kind;            /* wf_cdef_kind */
    uint8_t sort;            /* the sort it adds to (WF_CSORT_NONE: none) */
    uint32_t index;          /* its index in that sort's space */
    size_t offset;           /* byte offset of the definition in the binary */
    /* The definition's type, set by validation (NULL before):
     *  FUNC -> WF_CTYPE_FUNC, INSTANCE -> WF_CTYPE_INSTANCE, COMPONENT ->
     *  WF_CTYPE_COMPONENT, TYPE -> the type, VALUE -> WF_CTYPE_VALUE,
     *  CORE_MODULE -> WF_CTYPE_CORE_MODULE, CORE_INSTANCE ->
     *  WF_CTYPE_CORE_INSTANCE, CORE_TYPE -> WF_CTYPE_CORE_FUNC/_MODULE,
     *  CORE_FUNC -> WF_CTYPE_CORE_FUNC; core table/memory/global/tag: NULL
     *  (see core_extern). */
    const wf_ctype *type;
    union {
        /* WF_CDEF_CORE_MODULE */
        struct { wf_module *module; } core_module;
        /* WF_CDEF_CORE_INSTANCE: instantiate module with args (each a core
         * instance), or (instantiate == false) a bag of inline exports */
        struct { bool instantiate; uint32_t module; wf_carg *args; size_t nargs; } core_instance;
        /* WF_CDEF_COMPONENT */
        struct { wf_component *component; } component;
        /* WF_CDEF_INSTANCE: instantiate component with args, or inline exports */
        struct { bool instantiate; uint32_t component; wf_carg *args; size_t nargs; } instance;
        /* WF_CDEF_ALIAS; after validation an outer alias also has its target
         * resolved: a core module, a component or a (core) type. */
        struct {
            uint8_t kind;            /* wf_calias_kind */
            uint32_t instance;       /* EXPORT, CORE_EXPORT */
            char *name;              /* EXPORT, CORE_EXPORT */
            uint32_t outer_count, outer_index; /* OUTER */
            const wf_module *outer_module;     /* OUTER core module */
            const wf_component *outer_component; /* OUTER component */
        } alias;
        /* WF_CDEF_TYPE and WF_CDEF_CORE_TYPE: see `type` */
        /* WF_CDEF_CANON */
        struct {
            uint8_t kind;            /* wf_canon_kind */
            uint8_t opcode;          /* the binary opcode (for WF_CANON_OTHER messages) */
            uint32_t func;           /* LIFT: core func index; LOWER: func index */
            uint32_t type;           /* LIFT: type index of the func type; RESOURCE_*: resource type index */
            wf_copts opts;           /* LIFT, LOWER */
            const wf_wit_func *func_type;   /* LIFT and LOWER, after validation */
            const wf_cresource *resource;   /* RESOURCE_*, after validation */
        } canon;
        /* WF_CDEF_START: call func with values args, results to the value space */
        struct { uint32_t func; uint32_t *args; size_t nargs; uint32_t nresults; } start;
        /* WF_CDEF_IMPORT: `decl` (sort and, after validation, type) */
        struct { wf_cdecl decl; } import;
        /* WF_CDEF_EXPORT: item exported as name, with optional ascribed type
         * (validated to be a supertype; `type` is the ascribed one if given) */
        struct { char *name; wf_csortidx item; bool has_ascription; } export;
        /* WF_CDEF_VALUE: the encoded value (unsupported at run time) */
        struct { const uint8_t *bytes; size_t len; } value;
    } u;
    /* For a core def that adds a core table/memory/global/tag/func (alias of
     * a core export): its core extern type after validation. */
    wf_ccoredecl core_extern;
};

/* ---- The component ------------------------------------------------------- */

struct wf_component {
    wf_cdef *defs;                   /* in binary order */
    size_t ndefs;
    uint32_t count[WF_CSORT_COUNT];  /* size of each index space after all defs */
    /* Per sort, the definition that made each index: space[s][i] is the def
     * with sort s and index i (filled by the decoder). */
    wf_cdef **space[WF_CSORT_COUNT];
    const wf_component *parent;      /* enclosing component, NULL for the root */
    uint32_t depth;                  /* 0 for the root */
    bool validated;                  /* always true for a component handed out */

    /* After validation: the component's own type (imports and exports). */
    const wf_ctype *ctype;

    /* The embedder's view (component.h), built from imports/exports. */
    wf_cextern *imports;
    size_t nimports;
    wf_cextern *exports;
    size_t nexports;

    /* Type arena: root only (NULL in nested components): every wf_ctype,
     * wf_wit_type, wf_wit_func and wf_cresource of the tree. */
    struct wf_carena *arena;
    /* Root only, from wf_component_new_owned: the binary, which the core
     * modules of the tree read in place (wf_module_new_borrowed). */
    uint8_t *owned_bytes;
};

/* Decode and validate bytes into *out in one pass (what wf_component_new
 * does): definitions, nested components, compiled core modules, types.
 * WF_ERR_MALFORMED / WF_ERR_INVALID (or a core module's UNSUPPORTED/LIMIT)
 * with the byte offset in the binary. */
wf_error *wf_comp_decode(const uint8_t *bytes, size_t len, wf_component **out);
/* The same, the core modules borrowing bytes (wf_component_new_owned; the
 * caller makes them the root's owned_bytes). */
wf_error *wf_comp_decode_borrowing(const uint8_t *bytes, size_t len, wf_component **out);

#endif
