/*
 * cwat_int.h - what the parts of the component text compiler share (private
 * to cwat*.c): index spaces (namespaces) per scope, the scope chain used by
 * outer references, the emitter that groups items into sections (or decls
 * of a component/instance/module type), and the two-mode walk.
 *
 * Every definition of a field is handled twice: first in EXPAND mode, which
 * only emits what wasm-tools places *before* the field (inline value and
 * function types become type definitions, `(with "n" (instance (export
 * ...)))` arguments become instances), and then in EMIT mode, which resolves
 * names and encodes the field. References to another scope's names, and
 * inline export aliases `(func $i "f")`, emit an alias right before the
 * field while it is encoded. Tokens, errors and temporaries are those of the
 * core compiler's context (wat_int.h), which cw embeds.
 */
#ifndef WF_CWAT_INT_H
#define WF_CWAT_INT_H

#include "wasm/wat_int.h"

/* Index spaces: the core ones, then the component ones. */
enum {
    NS_CFUNC, NS_CTABLE, NS_CMEM, NS_CGLOBAL, NS_CTAG, NS_CTYPE, NS_CMODULE, NS_CINSTANCE,
    NS_FUNC, NS_VALUE, NS_TYPE, NS_COMPONENT, NS_INSTANCE, NS_COUNT
};
#define NS_IS_CORE(ns) ((ns) <= NS_CINSTANCE)

/* Section ids of the component binary. */
enum {
    SEC_CUSTOM = 0, SEC_CMODULE = 1, SEC_CINSTANCE = 2, SEC_CTYPE = 3, SEC_COMPONENT = 4,
    SEC_INSTANCE = 5, SEC_ALIAS = 6, SEC_TYPE = 7, SEC_CANON = 8, SEC_START = 9,
    SEC_IMPORT = 10, SEC_EXPORT = 11,
};

/* What a scope is: its items become sections (component) or decls. */
enum { SC_COMP, SC_CTYPE, SC_ITYPE, SC_MTYPE };

typedef struct cw_scope {
    struct cw_scope *up;
    int kind;
    size_t idtok;            /* token of the scope's $id, 0 when none */
    wf_map names[NS_COUNT];
    uint32_t count[NS_COUNT];
    wf_buf body;             /* finished sections, or the decls */
    uint32_t ndecls;
    int cur;                 /* open section (SC_COMP), -1 none */
    wf_buf sec;
    uint32_t nsec;
    wf_buf tail;             /* inline-export sugar, exported at the end */
    uint32_t ntail;
} cw_scope;

enum { MODE_EXPAND, MODE_EMIT };

typedef struct cw {
    wat w;                   /* tokens, errors, temporaries */
    int mode;
    uint32_t *inl;           /* token of an inline type / bundle -> its index */
    size_t *pend;            /* EXPAND: bundle instance args waiting */
    bool *pendcore;
    size_t npend, cappend;
    struct cw_scope **scopes; /* every scope, freed at the end */
    size_t nscopes, capscopes;
} cw;

#define CW_NONE UINT32_MAX

/* ---- cwat.c ---- */
WF_NORETURN void wf_cwat_unexpected(cw *c, size_t at);
void wf_cwat_rparen(cw *c, size_t *pos);
bool wf_cwat_kw(cw *c, size_t i, const char *kw);
bool wf_cwat_lkw(cw *c, size_t i, const char *kw);
bool wf_cwat_is_id(cw *c, size_t i);
/* Name string at *pos encoded as a name (len + UTF-8); advances. */
void wf_cwat_name(cw *c, size_t *pos, wf_buf *out);
/* A u32 literal at *pos. */
uint32_t wf_cwat_u32(cw *c, size_t *pos);

/* A new definition in ns of scope s, bound to the $id at idtok (0: none). */
uint32_t wf_cwat_define(cw *c, cw_scope *s, int ns, size_t idtok);
/* An index of ns at *pos ($id or number): resolved in s or, with an outer
 * alias emitted into s, in an enclosing scope. EXPAND mode resolves nothing. */
uint32_t wf_cwat_ref(cw *c, cw_scope *s, int ns, size_t *pos);
/* An index at *pos resolved in s only. */
uint32_t wf_cwat_ref_local(cw *c, cw_scope *s, int ns, size_t *pos);
/* core-prefix(core:Xidx) in an option-like form ending at end: `idx`,
 * `idx "name"` (inline export alias) or `(core X idx name?)`. */
uint32_t wf_cwat_core_ref(cw *c, cw_scope *s, int ns, size_t *pos, size_t end);
/* Append an item of section sec to s (a decl when s is a type). */
void wf_cwat_emit(cw *c, cw_scope *s, int sec, const wf_buf *item);
/* Encode the sort of ns (alias / sortidx / export form). */
void wf_cwat_sort(wf_buf *out, int ns);
/* Parse a sort at *pos: `core X` or `X`; -1 when not a sort keyword. */
int wf_cwat_parse_sort(cw *c, size_t *pos);
/* An alias form (alias ...) at open: defined in s; returns the index. When
 * defsort >= 0 it is the sugar `(sort $id (alias ...))` whose sort and id
 * come from outside (idtok). */
uint32_t wf_cwat_alias(cw *c, cw_scope *s, size_t open, int defsort, size_t idtok);
/* nameattributes: "name" then (versionsuffix|implements|external-id ...)* */
void wf_cwat_nameattrs(cw *c, size_t *pos, wf_buf *out);
bool wf_cwat_is_attr(cw *c, size_t i);

cw_scope *wf_cwat_scope_new(cw *c, cw_scope *up, int kind, size_t idtok);
/* Run fn on the field/decl at open in EXPAND then EMIT mode. */
void wf_cwat_run(cw *c, cw_scope *s, size_t open, void (*fn)(cw *, cw_scope *, size_t));
void wf_cwat_scope_free(cw_scope *s);
void wf_cwat_flush(cw_scope *s);

/* ---- cwat_type.c ---- */
bool wf_cwat_is_prim(cw *c, size_t i);
/* valtype at *pos: primitive, index, or inline defvaltype. */
void wf_cwat_valtype(cw *c, cw_scope *s, size_t *pos, wf_buf *out);
/* An optional (result T) at *pos as the binary's result list: 0x00 and
 * T, or 0x01 0x00 without one (a functype's, canon task.return's). */
void wf_cwat_resultlist(cw *c, cw_scope *s, size_t *pos, wf_buf *out);
/* A deftype whose keyword is at kw and body runs from i to end (the `)`). */
void wf_cwat_deftype(cw *c, cw_scope *s, size_t kw, size_t i, size_t end, size_t idtok, wf_buf *out);
/* A core type body: kw is func/module/..., body from i to end. */
void wf_cwat_core_deftype(cw *c, cw_scope *s, size_t kw, size_t i, size_t end, wf_buf *out);
/* A type use from *pos to end: `(type idx)` or an inline body of the kind
 * named by the keyword at kw (func/component/instance; module when core),
 * which becomes a type defined before the field (keyed by token key).
 * Returns the type index (a core type index when core). */
uint32_t wf_cwat_typeuse(cw *c, cw_scope *s, size_t key, size_t kw, size_t *pos, size_t end, bool core);
/* externtype form at *pos `(sort $id? ...)`: encodes it, returns its ns and
 * the token of its $id (0 none). */
void wf_cwat_externtype(cw *c, cw_scope *s, size_t *pos, wf_buf *out, int *ns, size_t *idtok);
/* A type definition (type $id? (export "n")* deftype) at open, in s. */
void wf_cwat_type_field(cw *c, cw_scope *s, size_t open, bool core);

#endif
