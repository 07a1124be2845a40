/*
 * internal.h - what the registry's source files share: the registry object,
 * per-file state, diagnostics and the YAML reader.
 */
#ifndef WF_REGISTRY_INTERNAL_H
#define WF_REGISTRY_INTERNAL_H

#include <pthread.h>

#include "base/error.h"
#include "base/map.h"
#include "base/vec.h"
#include "registry/registry.h"

typedef struct reg_file {
    char *rel;              /* path relative to the project root */
    char *abs;              /* absolute path */
    char *dir;              /* absolute directory */
    wf_reg_node *root;
    char *ns;
    bool bad;               /* an error in this file: it loads nothing */
    size_t index;           /* position in load order */
    /* set by the parallel read and parse, reported in file order after it */
    wf_error *parse_err;
    bool read_failed;       /* parse_err is the read's, not the YAML's */
} reg_file;

typedef struct reg_entry {
    wf_reg_entry pub;       /* first: a wf_reg_entry * is a reg_entry * */
    reg_file *file;
    bool checked;           /* fields parsed without error */
} reg_entry;

/* An entry of the listing (wf_reg_listed): a served entry's strings are
 * its reg_entry's, a skipped one's its own (owned). */
typedef struct reg_listed {
    wf_reg_listed pub;
    reg_file *file;
    bool owned;
} reg_listed;

struct wf_registry {
    char *root;             /* absolute, no trailing slash */
    WF_VEC(reg_file *) files;
    WF_VEC(reg_entry *) all;        /* every entry parsed, files in order */
    wf_map all_ids;                 /* id -> reg_entry *, over `all` */
    /* public `variable` name -> the first env.variable in load order that
     * checked clean, filled as they are checked (values.c find_var) */
    wf_map var_names;
    WF_VEC(reg_entry *) entries;    /* loaded: entries of sound files */
    wf_map ids;                     /* id -> reg_entry *, over `entries` */
    /* sha256 of a function.wasm binary -> the entry that compiled it: the
     * entries after it with the same binary share its module or component */
    wf_map binaries;
    /* a function.wasm file's identity (modules.c file_id) -> the entry
     * that read it and found its sha256 equal to its `hash`: entries after
     * it naming the same unchanged file neither read nor hash it again */
    wf_map verified_files;
    WF_VEC(reg_listed *) listing;   /* every entry parsed, skipped ones too */
    WF_VEC(reg_listed *) listed;    /* those of sound files */
    wf_map listed_ids;              /* id -> reg_listed *, over `listed` */
    WF_VEC(wf_reg_diag) diags;
    size_t nerrors;                 /* diags that are errors, not warnings */
    pthread_mutex_t env_lock;       /* guards env.storage.memory values */
};

/* Record a problem; marks the file bad. entry may be NULL. */
void wf_reg_diagf(wf_registry *r, reg_file *f, int line, const char *entry, const char *fmt, ...)
    WF_PRINTF(5, 6);
/* Record a warning: the file still loads. */
void wf_reg_warn(wf_registry *r, reg_file *f, int line, const char *entry, const char *fmt, ...)
    WF_PRINTF(5, 6);

/* Diagnostics recorded on a thread between wf_reg_diag_capture(v) and
 * wf_reg_diag_capture(NULL) go to v instead of the registry; then
 * wf_reg_diag_merge adds them (file `f`, marking it bad for an error) in
 * the order the items would have been loaded one by one. */
typedef WF_VEC(wf_reg_diag) wf_reg_diag_vec;
void wf_reg_diag_capture(wf_reg_diag_vec *v);
void wf_reg_diag_merge(wf_registry *r, reg_file *f, wf_reg_diag_vec *v);

/* par.c: fn(ctx, i) for every i < n, on several threads when
 * worth_threads (and the machine has cores), in no particular order. */
void wf_reg_par_for(size_t n, bool worth_threads, void (*fn)(void *ctx, size_t i), void *ctx);

/* yaml.c: parse a YAML document into a node tree (a missing document is an
 * empty map). Errors carry line and col. */
wf_error *wf_reg_yaml_parse(const char *text, size_t len, wf_reg_node **out);
void wf_reg_node_free(wf_reg_node *n);
const char *wf_reg_node_type_name(const wf_reg_node *n);

/* kinds.c */
wf_reg_kind wf_reg_kind_parse(const char *s, bool *ok);
/* A kind upstream Wippy defines that wasmfn does not serve ("process.lua"). */
bool wf_reg_kind_upstream(const char *s);
/* Edit distance with transpositions; SIZE_MAX past 63 bytes. */
size_t wf_reg_edit_distance(const char *a, const char *b);
/* The closest of names[0..n) to s, if nearer than *bd: *best and *bd updated. */
void wf_reg_closest_in(const char *s, const char *const *names, size_t n, const char **best, size_t *bd);
/* The known kind (served or upstream) closest to s, for "did you mean". */
const char *wf_reg_kind_closest(const char *s);
void wf_reg_check_entry(wf_registry *r, reg_entry *e);        /* fields -> pub.u */
void wf_reg_check_refs(wf_registry *r, reg_entry *e);         /* references exist */
void wf_reg_entry_free_fields(reg_entry *e);

/* values.c: ${env:..} and file:// on an entry's string values */
void wf_reg_expand_entry(wf_registry *r, reg_entry *e);
/* Look up an entry among all parsed ones (bad files included). */
reg_entry *wf_reg_find_any(wf_registry *r, const char *id);
/* e (an env.variable) checked clean: its public name now resolves to it,
 * unless an earlier one has the name. */
void wf_reg_var_checked(wf_registry *r, reg_entry *e);
/* A reference as written -> full ID (bare names in ns); the caller frees it. */
char *wf_reg_ref_resolve(const char *ns, const char *ref);
/* Resolve path (relative) below base, confined to root; NULL + *why if it
 * escapes or is absolute. The caller frees the result. */
/* The canonical `imports` words of bits ("wasi:cli", "wasi_snapshot_preview1",
 * ...) into out, at most cap; returns how many. */
size_t wf_reg_import_words(uint32_t bits, const char **out, size_t cap);
char *wf_reg_path_confined(const char *root, const char *base, const char *path, const char **why);
/* The value of an env.variable entry (storage, then default); NULL if none. */
char *wf_reg_var_value(wf_registry *r, reg_entry *var);

/* modules.c: compile function.wat / verify and compile function.wasm */
void wf_reg_compile_entry(wf_registry *r, reg_entry *e);

#endif
