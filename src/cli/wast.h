/*
 * wast.h - the pieces of the spec-script runner (`wasmfn wast`) shared
 * between its files: the script as a tree of s-expressions (wast_sexp.c),
 * constant values and expected results (wast_value.c), and the `spectest`
 * host module (spectest.c), and the component side of scripts: typed
 * component values (wast_cval.c) and component commands (wast_comp.c). The
 * command loop and the reporting are in wast.c.
 */
#ifndef WF_CLI_WAST_H
#define WF_CLI_WAST_H

#include "base/base.h"
#include "base/error.h"
#include "base/vec.h"
#include "wasmfn.h"
#include "component/val.h"

/* ---- The script as s-expressions (wast_sexp.c) --------------------------- */

typedef enum wast_node_kind { WAST_LIST, WAST_ATOM, WAST_STRING } wast_node_kind;

typedef struct wast_node {
    wast_node_kind kind;
    const char *start;          /* source span: a list runs from '(' to its ')' */
    size_t len;
    int line, col;              /* 1-based position of start */
    struct wast_node **items;   /* WAST_LIST: the elements (annotations dropped) */
    size_t nitems;
    char *str;                  /* WAST_STRING: the decoded bytes (NUL added) */
    size_t str_len;
    struct wast_node **pool;    /* the root only: every node, for freeing */
    size_t npool;
} wast_node;

/* Parse a whole script into a list node (the top-level forms). The text must
 * outlive the tree; the caller frees the tree with wf_wast_node_free. Errors are
 * WF_ERR_MALFORMED with line:col. */
wf_error *wf_wast_parse(const char *text, size_t len, wast_node **out);
void wf_wast_node_free(wast_node *n);

/* Helpers over nodes (NULL-safe). */
bool wf_wast_is_atom(const wast_node *n, const char *word);
bool wf_wast_is_id(const wast_node *n);       /* an atom starting with '$' */
/* The head keyword of a list, or "" when it is not a list led by an atom. */
const char *wf_wast_head(const wast_node *n, size_t *len);
bool wf_wast_head_is(const wast_node *n, const char *word);
/* Two $ids (atoms) written the same. */
bool wf_wast_same_id(const wast_node *a, const wast_node *b);
/* A string's contents or an atom's text, as a new string. */
char *wf_wast_node_text(const wast_node *n);
/* The script's word for an error kind: "invalid", "malformed",
 * "unlinkable", "trap" (else "error"). */
const char *wf_wast_kind_word(wf_error_kind k);

/* ---- Values (wast_value.c) ------------------------------------------------ */

/* Parse a constant as an argument: (i32.const 1), (f32.const nan:0x1),
 * (ref.null func), (ref.extern 3), ... Fails with WF_ERR_MALFORMED on a bad
 * literal and WF_ERR_UNSUPPORTED on out-of-scope values (GC refs).
 * extern_ref maps N of (ref.extern N) to a stable host pointer. */
typedef void *(*wast_extern_ref_fn)(void *ctx, uint32_t n);
wf_error *wf_wast_parse_const(const wast_node *n, wast_extern_ref_fn ext, void *ctx,
                           wf_value *out);

typedef enum wast_expect_kind {
    WAST_EXP_VALUE,         /* exactly this value (floats bitwise) */
    WAST_EXP_NAN_CANON,     /* nan:canonical of type value.type */
    WAST_EXP_NAN_ARITH,     /* nan:arithmetic of type value.type */
    WAST_EXP_REF_NULL,      /* a null of hierarchy `heap` (or any, when any_heap) */
    WAST_EXP_REF_EXTERN,    /* non-null extern; `ref` when has_ref */
    WAST_EXP_REF_FUNC,      /* any non-null funcref */
    WAST_EXP_REF_KIND,      /* a non-null reference of abstract heap type value.type.heap
                             * (ref.any, ref.eq, ref.i31, ref.struct, ref.array) */
    WAST_EXP_EITHER,        /* one of alts */
    WAST_EXP_V128_LANES,    /* a v128 of float lanes (lane_bits wide), some NaN patterns */
} wast_expect_kind;

typedef struct wast_expect {
    wast_expect_kind kind;
    wf_value value;
    /* WAST_EXP_V128_LANES: per lane 0 (exactly value's bits), 1
     * (nan:canonical) or 2 (nan:arithmetic) */
    uint8_t lane_bits;
    uint8_t lane_pat[4];
    bool any_heap;
    bool has_ref;
    struct wast_expect *alts;   /* WAST_EXP_EITHER; owned */
    size_t nalts;
} wast_expect;

/* Parse an expected result of assert_return. Same errors as wf_wast_parse_const.
 * The caller releases out with wf_wast_expect_fini. */
wf_error *wf_wast_parse_expect(const wast_node *n, wast_extern_ref_fn ext, void *ctx,
                            wast_expect *out);
void wf_wast_expect_fini(wast_expect *e);
bool wf_wast_expect_match(const wast_expect *e, const wf_value *v);

/* Text forms for failure lines; the caller frees the strings. */
char *wf_wast_value_str(const wf_value *v);
char *wf_wast_expect_str(const wast_expect *e);

/* Number literals of the text format (underscores, hex, nan:0x, inf). */
bool wf_wast_parse_int(const char *s, size_t len, unsigned bits, uint64_t *out);
bool wf_wast_parse_f32(const char *s, size_t len, uint32_t *bits);
bool wf_wast_parse_f64(const char *s, size_t len, uint64_t *bits);
/* A float's text form (nan:0x.. for NaNs); the caller frees it. */
char *wf_wast_f32_str(uint32_t bits);
char *wf_wast_f64_str(uint64_t bits);

/* ---- Reporting (wast.c) --------------------------------------------------- */

typedef struct wast_totals {
    long passed, failed, skipped;
} wast_totals;

/* A command known to fail, from a --known-failures list: `PATH:LINE REASON`
 * where the script's path ends with PATH. When it fails, the runner counts
 * and reports it as skipped with the reason; when it does not, that is a
 * failure (the list must shrink as the engine improves). */
typedef struct wast_known {
    char *path;
    int line;
    char *reason;
    bool hit;
} wast_known;

/* Where results of the current file go. */
typedef struct wast_report {
    const char *file;
    bool verbose;
    wast_totals *tot;
    wast_known *known;          /* the known failures of this file */
    size_t nknown;
} wast_report;

void wf_wast_pass(wast_report *r);
/* Count a failure and print `file:line: ` and the message. */
void wf_wast_fail(wast_report *r, const wast_node *at, const char *fmt, ...) WF_PRINTF(3, 4);
/* Count a skip; printed (with why) only when verbose. */
void wf_wast_skip(wast_report *r, const wast_node *at, const char *why);
/* `KIND "message"` for an error, `trap "..."` for a trap; the caller frees it. */
char *wf_wast_error_str(const wf_error *e);
/* The bytes of string items n->items[from..] concatenated (NUL added),
 * as `binary` and `quote` forms hold them; caller frees. */
char *wf_wast_concat_strings(const wast_node *n, size_t from, size_t *len, wf_error **err);

/* ---- Component values (wast_cval.c) ----------------------------------------- */

/* Parse a typed component value: (bool.const true), (u32.const 7),
 * (str.const "a"), (list.const V*), (record.const (field "n" u32.const 1)),
 * (variant.const "c" V?), (option.some V), (result.err V?), (flags.const
 * "a"*), ... With expect (an assert_return result) the NaN patterns
 * nan:canonical / nan:arithmetic are allowed. Variant and enum values carry
 * their case name (index 0). Errors are WF_ERR_MALFORMED with line:col. */
wf_error *wf_wast_cval_parse(const wast_node *n, bool expect, wf_val *out);
/* Exactly equal: same kinds, integers, bitwise floats, byte-wise strings,
 * record field names in order, case names of variants and enums, case
 * indices of options and results, the same set of flags. */
bool wf_wast_cval_equal(const wf_val *want, const wf_val *got);
/* The value in the script's syntax; the caller frees it. */
char *wf_wast_cval_str(const wf_val *v);

/* ---- Component commands (wast_comp.c) ---------------------------------------- */

/* The component state of one script: its components, instances,
 * definitions and registered instances (a linker). */
typedef struct wast_comp wast_comp;

wast_comp *wf_wast_comp_new(wf_store *store, wast_report *rep);
/* Frees instances and components; call before freeing the store. */
void wf_wast_comp_free(wast_comp *cc);

typedef enum wast_comp_claim {
    WAST_COMP_NOT_MINE,     /* not about components: the core runner runs it */
    WAST_COMP_DONE,         /* run and reported */
    WAST_COMP_NEW_CURRENT,  /* run, and a component instance is now the current one */
} wast_comp_claim;

/* Run n when it concerns components: a (component ...) command, register or
 * an action on a component instance (named by $id, or the current one), an
 * assertion on a component form or on such an action. */
wast_comp_claim wf_wast_comp_command(wast_comp *cc, const wast_node *n);
/* A core module instance became the current one. */
void wf_wast_comp_drop_current(wast_comp *cc);

/* ---- The spectest module (spectest.c) ------------------------------------- */

/* Look up spectest's export `name` in store s, making the host objects the
 * first time (they live as long as the store; *cache holds them). False
 * when spectest has no such export. */
typedef struct wast_spectest {
    wf_store *store;
    wf_func *print, *print_i32, *print_i64, *print_f32, *print_f64,
        *print_i32_f32, *print_f64_f64;
    wf_global *global_i32, *global_i64, *global_f32, *global_f64;
    wf_table *table;
    wf_table *table64;          /* table64: i64 indices */
    wf_memory *memory;
} wast_spectest;

bool wf_wast_spectest_lookup(wast_spectest *st, wf_store *s, const char *name, size_t len,
                          wf_extern *out);

#endif
