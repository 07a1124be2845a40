/*
 * wit_ast.h - the syntax tree of full WIT documents (packages, interfaces,
 * worlds, `use`, type definitions, resources, feature gates) as written, one
 * tree per source file; wit_parse.c builds it and wit_resolve.c checks and
 * resolves a set of trees into packages.
 *
 * Every node lives in an arena (base/arena.h) owned by the wit_doc
 * (wit_doc.h), so there is no per-node free: a tree dies with its document.
 */
#ifndef WF_WIT_AST_H
#define WF_WIT_AST_H

#include "base/arena.h"
#include "wasmfn.h"

/* ---- Tree -------------------------------------------------------------- */

typedef struct wit_pos { const char *file; int line, col; } wit_pos;

/* A feature gate: `@since(version = V)`, `@unstable(feature = F)`,
 * `@deprecated(version = V)`. */
typedef enum { WIT_GATE_NONE, WIT_GATE_SINCE, WIT_GATE_UNSTABLE, WIT_GATE_DEPRECATED } wit_gate_kind;
typedef struct wit_gate { wit_gate_kind kind; char *feature, *version; wit_pos pos; } wit_gate;

/* A reference to an interface or world: local `name`, or `ns:pkg/name@ver`. */
typedef struct wit_path {
    char *ns, *pkg, *version;   /* ns NULL for a local name */
    char *name;
    wit_pos pos;
} wit_path;

typedef enum {
    WIT_TE_PRIM, WIT_TE_NAME, WIT_TE_LIST, WIT_TE_MAP, WIT_TE_OPTION, WIT_TE_RESULT,
    WIT_TE_TUPLE, WIT_TE_OWN, WIT_TE_BORROW, WIT_TE_FUTURE, WIT_TE_STREAM, WIT_TE_ERROR_CONTEXT,
} wit_te_kind;

/* A type expression. */
typedef struct wit_texpr wit_texpr;
struct wit_texpr {
    wit_te_kind kind;
    int prim;                   /* PRIM: a wf_wit_kind (BOOL..STRING) */
    char *name;                 /* NAME, OWN, BORROW */
    wit_texpr *a, *b;           /* LIST/OPTION/FUTURE/STREAM: a; MAP: a,b; RESULT: ok a, err b */
    wit_texpr **elems;          /* TUPLE */
    size_t nelems;
    uint32_t fixed_len;         /* LIST<T, N>: N, else 0 */
    wit_pos pos;
};

typedef struct wit_field { char *name; wit_texpr *type; wit_pos pos; wit_gate gate; } wit_field;

typedef enum { WIT_FN_FREE, WIT_FN_METHOD, WIT_FN_STATIC, WIT_FN_CONSTRUCTOR } wit_fn_kind;

typedef struct wit_func {
    char *name;                 /* "constructor" for constructors */
    wit_fn_kind kind;
    bool is_async;
    wit_field *params;
    size_t nparams;
    wit_texpr *result;          /* NULL: none */
    /* `-> (a: T, b: U)`: accepted only in a registry `wit` field (the
     * pre-1.0 form its users write); result is then NULL. */
    bool named_results;
    wit_field *results;
    size_t nresults;
    wit_pos pos;
    wit_gate gate;
} wit_func;

typedef enum {
    WIT_TD_ALIAS, WIT_TD_RECORD, WIT_TD_VARIANT, WIT_TD_ENUM, WIT_TD_FLAGS, WIT_TD_RESOURCE,
} wit_td_kind;

typedef struct wit_tdef {
    wit_td_kind kind;
    char *name;
    wit_texpr *alias;           /* ALIAS */
    wit_field *fields;          /* record fields, variant cases (type may be NULL), enum cases, flags */
    size_t nfields;
    wit_func *funcs;            /* RESOURCE */
    size_t nfuncs;
    wit_pos pos;
    wit_gate gate;
    int state;                  /* wit_resolve.c: cycle search */
} wit_tdef;

typedef struct wit_use_name { char *name, *as; wit_pos pos; } wit_use_name;

/* `use path.{a, b as c};` (inside an interface or world). */
typedef struct wit_use {
    wit_path path;
    wit_use_name *names;
    size_t nnames;
    wit_gate gate;
} wit_use;

typedef enum { WIT_II_USE, WIT_II_TYPE, WIT_II_FUNC } wit_iitem_kind;
typedef struct wit_iitem {
    wit_iitem_kind kind;
    wit_use *use;
    wit_tdef *type;
    wit_func *func;
} wit_iitem;

typedef struct wit_iface {
    char *name;                 /* NULL for an inline `import x: interface { }` */
    wit_iitem *items;
    size_t nitems;
    wit_pos pos;
    wit_gate gate;
} wit_iface;

/* An import or export of a world. */
typedef enum {
    WIT_EXT_PATH,       /* import iface; / import ns:pkg/iface@v; */
    WIT_EXT_NAMED_PATH, /* import label: iface; */
    WIT_EXT_IFACE,      /* import label: interface { ... } */
    WIT_EXT_FUNC,       /* import label: func(...); */
} wit_ext_kind;

typedef struct wit_extern {
    wit_ext_kind kind;
    char *label;                /* NAMED_PATH, IFACE, FUNC */
    wit_path path;              /* PATH, NAMED_PATH */
    wit_iface *iface;           /* IFACE */
    wit_func *func;             /* FUNC */
} wit_extern;

typedef struct wit_with { char *from, *to; wit_pos pos; } wit_with;

typedef enum { WIT_WI_IMPORT, WIT_WI_EXPORT, WIT_WI_INCLUDE, WIT_WI_USE, WIT_WI_TYPE } wit_witem_kind;
typedef struct wit_witem {
    wit_witem_kind kind;
    wit_extern ext;             /* IMPORT, EXPORT */
    wit_path include;           /* INCLUDE */
    wit_with *with;
    size_t nwith;
    wit_use *use;               /* USE */
    wit_tdef *type;             /* TYPE */
    wit_pos pos;
    wit_gate gate;
} wit_witem;

typedef struct wit_world {
    char *name;
    wit_witem *items;
    size_t nitems;
    wit_pos pos;
    wit_gate gate;
} wit_world;

/* A file-level `use ns:pkg/iface@v as name;` (or a local interface). */
typedef struct wit_fuse { wit_path path; char *as; wit_pos pos; } wit_fuse;

typedef struct wit_pkgname { char *ns, *name, *version; wit_pos pos; } wit_pkgname;

/* The items of one package as written in one file (the file's top level or
 * one nested `package x:y { }` block). */
typedef struct wit_pkgpart {
    bool has_name;
    wit_pkgname name;
    bool has_docs;
    wit_iface **ifaces;
    size_t nifaces;
    wit_world **worlds;
    size_t nworlds;
    wit_fuse *uses;
    size_t nuses;
    wit_pos *order;             /* unused */
} wit_pkgpart;

typedef struct wit_file {
    const char *path;
    wit_pkgpart top;            /* items outside any nested package block */
    wit_pkgpart **nested;       /* nested `package x:y { }` blocks */
    size_t nnested;
} wit_file;

/* Parse one file's text into a tree in arena a. Errors are WF_ERR_INVALID
 * "path:line:col: message". */
wf_error *wf_wit_parse_file(wf_arena *a, const char *path, const char *text, size_t len,
                         wit_file **out);

/* Parse the text of a registry `wit` field: the items of one interface
 * body (functions, type definitions, feature gates) up to the end of the
 * input, into *out. Also accepts the field's legacy forms (`float32`,
 * `float64`, named results). Errors are WF_ERR_INVALID with line and col set
 * and a message without a position. */
wf_error *wf_wit_parse_items(wf_arena *a, const char *text, size_t len, wit_iface **out);

/* A printable name of a package, "ns:name@ver" (arena string). */
char *wf_wit_pkgname_str(wf_arena *a, const wit_pkgname *n);

#endif
