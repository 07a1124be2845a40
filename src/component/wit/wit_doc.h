/*
 * wit_doc.h - full WIT documents: a file or directory of `.wit` files (with
 * a `deps/` folder of dependency packages) parsed, name-resolved and checked
 * as one set of packages. This is the tooling entry point (`wasmfn wit`);
 * registry `wit` fields use wit.h, whose text goes through the same parser
 * (wf_wit_parse_items).
 *
 * Loading is wit_load.c, parsing wit_parse.c, resolution wit_resolve.c.
 * Feature gates: `@unstable(feature = F)` items are kept only when F is an
 * active feature (the list given to the loader; NULL means just "active",
 * the convention of the WIT test suite).
 */
#ifndef WF_WIT_DOC_H
#define WF_WIT_DOC_H

#include "base/base.h"
#include "base/buf.h"
#include "component/wit/wit_ast.h"

typedef struct wit_group {       /* the files of one source location */
    wit_file **files;
    size_t nfiles;
    const char *where;           /* directory or file path */
} wit_group;

typedef struct wf_wit_doc {
    wf_arena arena;
    wit_group *groups;           /* groups[0] is the root; then deps */
    size_t ngroups;
    const char *const *features;
    size_t nfeatures;
    void *resolved;              /* wit_resolve.c's package table */
} wf_wit_doc;

/* Load a `.wit` file or a directory (its `.wit` files plus `deps/`). */
wf_error *wf_wit_doc_load(const char *path, wf_wit_doc **out);
/* Parse one text as a whole document (no deps). */
wf_error *wf_wit_doc_parse(const char *name, const char *text, size_t len, wf_wit_doc **out);
void wf_wit_doc_free(wf_wit_doc *d);

/* One line per package, interface and world (with counts), for the CLI. */
void wf_wit_doc_summary(const wf_wit_doc *d, wf_buf *out);
/* Counts over all packages. */
void wf_wit_doc_counts(const wf_wit_doc *d, size_t *packages, size_t *interfaces, size_t *worlds);

/* wit_resolve.c: resolve d->groups; fills d->resolved. */
wf_error *wf_wit_resolve(wf_wit_doc *d);
void wf_wit_resolved_free(wf_wit_doc *d);

#endif
