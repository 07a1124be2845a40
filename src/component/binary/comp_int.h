/*
 * comp_int.h - private state of the component decoder/validator, shared by
 * its files. They depend one way, each on those listed before it:
 *
 *   comp.c         storage: type arena, pointer-pair hash, sort names, free
 *   comp_read.c    errors, reading counts/names/sorts, scopes (index spaces)
 *   comp_name.c    extern names (and reading them with their attributes)
 *   comp_sub.c     subtyping and substitution, core module subtyping
 *   comp_vis.c     external visibility of types
 *   comp_type.c    type definitions and declarators, value definitions
 *   comp_canon.c   canonical definitions
 *   comp_decode.c  the preamble, sections and the other definitions
 *   comp_api.c     wf_component_new and the embedder's view
 *
 * Decoding and validation are one pass over the binary, like the core
 * decoder: each definition is decoded, checked against the index spaces
 * built so far, typed and appended. Errors are recorded in the reader
 * (leb.h): WF_ERR_MALFORMED for encoding, WF_ERR_INVALID for validation,
 * both at the byte offset where they were seen.
 */
#ifndef WF_COMP_INT_H
#define WF_COMP_INT_H

#include <inttypes.h>

#include "base/arena.h"
#include "base/map.h"
#include "base/vec.h"
#include "component/binary/comp.h"
#include "wasm/leb.h"

/* ---- Pointer-pair hash (comp.c): memo tables for walks over type DAGs ---- */

/* The one hash map (base/map.h) keyed by the bytes of two pointers, which
 * live in `keys`. */
typedef struct cphash {
    wf_map map;
    wf_arena keys;
} cphash;
/* The value stored for (a, b), or NULL. */
const void *wf_cphash_get(const cphash *h, const void *a, const void *b);
void wf_cphash_put(cphash *h, const void *a, const void *b, const void *val);
void wf_cphash_free(cphash *h);

/* ---- Arena (comp.c): every type node of a component tree ------------------ */

typedef struct wf_carena {
    wf_arena mem;                    /* every node and string of the tree */
    WF_VEC(wf_wit_type *) wit;       /* value type nodes: their flat arrays are malloc'd */
    uint32_t next_resource_id;
    /* value type nodes that contain own/borrow (resflag 1) and borrow (2),
     * recorded when built so the checks are O(1) on shared DAGs */
    cphash flags;
} wf_carena;

#define CFLAG_RES 1u
#define CFLAG_BORROW 2u
/* Record t's flags from its children (call once its children are set). */
void wf_carena_flag(wf_carena *a, const wf_wit_type *t);
uint32_t wf_carena_flags(const wf_carena *a, const wf_wit_type *t);

/* Plain allocations: wf_arena_alloc / _dup / _strndup on &a->mem. */
wf_wit_type *wf_carena_wit(wf_carena *a, wf_wit_kind k); /* a zeroed node */
wf_ctype *wf_carena_ctype(wf_carena *a, wf_ctype_kind k);
wf_cresource *wf_carena_resource(wf_carena *a, wf_cres_kind k, const char *name);
void wf_carena_free(wf_carena *a);

/* ---- Scopes: a component definition or a type declarator ----------------- */

typedef enum cscope_kind {
    CSCOPE_COMPONENT,        /* a component definition */
    CSCOPE_COMPONENT_TYPE,   /* (component ...) type */
    CSCOPE_INSTANCE_TYPE,    /* (instance ...) type */
    CSCOPE_MODULE_TYPE,      /* (core module ...) type */
} cscope_kind;

/* One entry of an index space. */
typedef struct citem {
    const wf_ctype *type;            /* see wf_cdef.type */
    wf_ccoredecl core;               /* core func/table/memory/global/tag */
    const wf_module *module;         /* core module defined/aliased here (static) */
    const wf_component *component;   /* component defined/aliased here (static) */
    bool consumed;                   /* values: used exactly once */
    bool has_resource;               /* types: refers to a resource transitively */
} citem;

typedef struct cscope {
    uint8_t kind;                    /* cscope_kind */
    struct cscope *parent;
    WF_VEC(citem) space[WF_CSORT_COUNT];
    WF_VEC(wf_cdecl) imports, exports;
    WF_VEC(wf_ccoredecl) core_imports, core_exports;
    WF_VEC(wf_cresource *) bound;    /* resources bound by this type's decls */
    wf_component *comp;              /* CSCOPE_COMPONENT */
    /* externally visible type names (comp_vis.c): from imports only, and
     * from imports and exports */
    cphash vis_imports, vis_all;
} cscope;

typedef struct cctx {
    wf_reader r;                     /* the whole binary; its error is the result */
    wf_carena *arena;
    cscope *scope;                   /* innermost */
    uint32_t depth;                  /* nesting of components and types */
    bool borrow;                     /* core modules read the binary in place */
} cctx;

#define CMAX_DEPTH 100               /* components/types nested deeper are refused */

/* The byte offset the reader is at: where an error being read is reported. */
#define OFF(x) wf_reader_offset(&(x)->r)

/* ---- Errors, reading and scopes (comp_read.c) ------------------------------ */

/* Record a validation error at `at` (returns false). */
bool wf_cinvalid(cctx *x, size_t at, const char *fmt, ...) WF_PRINTF(3, 4);
/* Record a refusal of a feature this engine does not implement (async,
 * maps, GC types, ...) at `at`: WF_ERR_UNSUPPORTED, so that callers (the
 * wast runner) can tell it from an invalid component (returns false). */
bool wf_cunsupported(cctx *x, size_t at, const char *fmt, ...) WF_PRINTF(3, 4);
/* Record a malformed-encoding error at `at` (returns false). */
bool wf_cmalformed(cctx *x, size_t at, const char *fmt, ...) WF_PRINTF(3, 4);

/* Reading. */
bool wf_cread_count(cctx *x, uint32_t *n);
bool wf_cread_name(cctx *x, char **out);                 /* arena-owned, UTF-8 checked */
bool wf_cread_sort(cctx *x, uint8_t *sort);              /* a sort (0x00 core-sort | ...) */
bool wf_cread_core_sort(cctx *x, uint8_t *sort);

/* Scopes. */
void wf_cscope_init(cscope *s, cscope_kind kind, cscope *parent);
void wf_cscope_fini(cscope *s);
citem *wf_cscope_push(cscope *s, uint8_t sort);          /* a new zeroed entry */
/* The entry at idx of sort, or NULL (error recorded: "... index out of bounds"). */
const citem *wf_cscope_get(cctx *x, cscope *s, uint8_t sort, uint32_t idx, size_t at);
/* The outer alias target `count` scopes out from `from` (NULL: error set). */
const citem *wf_cresolve_outer(cctx *x, cscope *from, uint8_t sort, uint32_t count, uint32_t idx,
                               size_t at);

/* Types (comp_type.c). */
/* A `type` (section 7 entry or declarator), appended to the type space. */
bool wf_cread_type(cctx *x, const wf_ctype **out);
/* A `core:type` (section 3 entry or module declarator). */
bool wf_cread_core_type(cctx *x, const wf_ctype **out);
/* A `valtype`. */
bool wf_cread_valtype(cctx *x, const wf_wit_type **out);
/* An `externtype` for an import or export named `name`; fills d->sort and
 * d->type (for (sub resource) a fresh abstract resource of kind rk). */
bool wf_cread_externtype(cctx *x, const char *name, wf_cres_kind rk, wf_cdecl *d);
/* Does t refer to a resource (own/borrow) transitively? */
bool wf_ctype_has_resource(const wf_carena *a, const wf_ctype *t);
bool wf_wit_has_borrow(const wf_carena *a, const wf_wit_type *t);
/* Call fn for each resource t refers to that t does not bind itself (stops
 * and returns false when fn does). */
bool wf_cvisit_resources(const wf_carena *a, const wf_ctype *t,
                         bool (*fn)(void *, const wf_cresource *), void *env);
/* The citem for a decl added to an index space (imports/exports/aliases). */
void wf_citem_from_decl(cctx *x, citem *it, const wf_cdecl *d);
/* The encoded value of type t that ends at byte `end` (a value definition). */
bool wf_cread_value(cctx *x, const wf_wit_type *t, size_t end);

/* Subtyping and substitution (comp_sub.c). A resource map is a list of
 * pairs: `from` resources are replaced by (or matched as) `to`. */
typedef struct cresmap {
    WF_VEC(const wf_cresource *) from;
    WF_VEC(const wf_cresource *) to;
    /* resources a top-level (sub resource) of the expected side may bind
     * (a component type's bound list when instantiating it) */
    wf_cresource *const *bindable;
    size_t nbindable;
    /* value types: an import of a type with an `eq` bound is a name node
     * (wf_cvis_name); instantiation replaces it by the argument's type so
     * the instance's exports refer to what the instantiator can see */
    WF_VEC(const wf_wit_type *) vfrom;
    WF_VEC(const wf_wit_type *) vto;
} cresmap;
void wf_cresmap_free(cresmap *m);
const wf_cresource *wf_cresmap_get(const cresmap *m, const wf_cresource *r);
/* Is `a` (actual) a subtype of `b` (expected) for sort `sort`? On failure
 * records an invalid error at `at` whose text starts with `what`. Resources
 * bound by b are matched to a's as they are met (added to m). */
bool wf_csub_decl(cctx *x, uint8_t sort, const wf_ctype *a, const wf_ctype *b, cresmap *m,
                  const char *what, size_t at);
/* Core modules: a's imports are satisfied by b's and b's exports are in a. */
bool wf_csub_core_module(cctx *x, const wf_ctype *a, const wf_ctype *b, size_t at);
/* Core extern subtyping: does a (provided) match b (imported)? */
bool wf_csub_core_decl(const wf_ccoredecl *a, const wf_ccoredecl *b);
/* t with resources replaced per m; bound resources of nested instance and
 * component types are renamed to fresh ones (abstract). Unchanged parts are
 * shared. */
const wf_ctype *wf_csubst(cctx *x, const wf_ctype *t, cresmap *m);
const wf_wit_type *wf_csubst_val(cctx *x, const wf_wit_type *t, cresmap *m);
const wf_wit_func *wf_csubst_func(cctx *x, const wf_wit_func *f, cresmap *m);

/* Canonical definitions (comp_canon.c): decodes one canon entry into def
 * and checks it, adding its func/core func to the index spaces. */
bool wf_cread_canon(cctx *x, wf_cdef *def);

/* External visibility (comp_vis.c). */
void wf_cvis_add(cphash *v, uint8_t sort, const wf_ctype *t, int depth);
bool wf_cvis_check(cctx *x, const cphash *v, const wf_cdecl *d, bool import, size_t at);
bool wf_cvis_check_component_type(cctx *x, const wf_ctype *t, size_t at);
const wf_ctype *wf_cvis_name(cctx *x, const wf_ctype *t, const char *name);

/* Names (comp_name.c). */
typedef enum cname_kind {
    CNAME_PLAIN,             /* label */
    CNAME_CONSTRUCTOR,       /* [constructor]r */
    CNAME_METHOD,            /* [method]r.m */
    CNAME_STATIC,            /* [static]r.m */
    CNAME_INTERFACE,         /* ns:pkg/iface[@version] */
    CNAME_DEP,               /* unlocked-dep=<...>, locked-dep=<...> */
    CNAME_URL,               /* url=<...> */
    CNAME_HASH,              /* integrity=<...> */
    CNAME_ASYNC,             /* [async]... forms (unsupported) */
} cname_kind;
typedef struct cname {
    uint8_t kind;            /* cname_kind */
    char resource[128];      /* constructor/method/static: the resource label */
    char label[128];         /* the plain label, or method/static's label */
} cname;
/* nameattributes: the extern name; *implements when it has that attribute. */
bool wf_cread_extern_name(cctx *x, char **name, bool *implements);
/* Validate an extern name; records an invalid error at `at`. */
bool wf_cname_parse(cctx *x, const char *name, cname *out, size_t at);
/* Is `name` a kebab-case label? */
bool wf_clabel_valid(const char *s, size_t n);
/* Strong uniqueness of a new name against a list of decls. */
bool wf_cname_unique(cctx *x, const wf_cdecl *decls, size_t n, const char *name, size_t at);
/* `implements` is only for instances with plain names. */
bool wf_ccheck_implements(cctx *x, bool impl, const cname *nm, const wf_cdecl *d, size_t at);
/* The checks of [constructor]/[method]/[static] names against the scope's
 * resources (decls so far) and the func type. */
bool wf_cname_check_decl(cctx *x, const cname *nm, const wf_cdecl *d, const wf_cdecl *prev,
                         size_t nprev, size_t at);

#endif
