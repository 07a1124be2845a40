/*
 * load.c - wf_registry_load: find every _index.yaml below the project,
 * parse each, read its header (version, namespace, entries), then run the
 * phases over all entries (fields, values, references, modules) collecting
 * every problem, and finally keep the entries of the files without one.
 */
#include "registry/internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/file.h"

/* Where this thread's diagnostics go instead of the registry (see
 * wf_reg_diag_capture), or NULL. */
static _Thread_local wf_reg_diag_vec *tl_capture;

static void add_diag(wf_registry *r, reg_file *f, int line, const char *entry, bool warning,
                     const char *fmt, va_list ap)
{
    wf_reg_diag d = { 0 };
    d.file = wf_xstrdup(f ? f->rel : ".");
    d.file_index = f ? f->index : 0;
    d.line = line;
    d.entry = entry ? wf_xstrdup(entry) : NULL;
    d.warning = warning;
    if (vasprintf(&d.message, fmt, ap) < 0) d.message = wf_xstrdup(fmt);
    if (tl_capture) wf_vec_push(tl_capture, d);
    else wf_vec_push(&r->diags, d);
}

void wf_reg_diagf(wf_registry *r, reg_file *f, int line, const char *entry, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(r, f, line, entry, false, fmt, ap);
    va_end(ap);
    if (tl_capture) return;         /* counted by wf_reg_diag_merge */
    r->nerrors++;
    if (f) f->bad = true;
}

void wf_reg_warn(wf_registry *r, reg_file *f, int line, const char *entry, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_diag(r, f, line, entry, true, fmt, ap);
    va_end(ap);
}

void wf_reg_diag_capture(wf_reg_diag_vec *v) { tl_capture = v; }

void wf_reg_diag_merge(wf_registry *r, reg_file *f, wf_reg_diag_vec *v)
{
    for (size_t i = 0; i < v->len; i++) {
        wf_vec_push(&r->diags, v->data[i]);
        if (v->data[i].warning) continue;
        r->nerrors++;
        if (f) f->bad = true;
    }
    wf_vec_free(v);
}

char *wf_reg_diag_format(const wf_reg_diag *d)
{
    if (d->entry) return wf_xasprintf("%s:%d: %s: %s", d->file, d->line, d->entry, d->message);
    return wf_xasprintf("%s:%d: %s", d->file, d->line, d->message);
}

/* ---- finding the files ------------------------------------------------- */

typedef WF_VEC(char *) strvec;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect rel paths of _index.yaml under root/rel. Symlinked directories are
 * not followed (no loops, no escaping the project). */
static void walk(const char *root, const char *rel, strvec *out, int depth)
{
    if (depth > 32) return;
    char *path = rel[0] ? wf_xasprintf("%s/%s", root, rel) : wf_xstrdup(root);
    DIR *d = opendir(path);
    free(path);
    if (!d) return;
    strvec names = { 0 };
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;     /* ., .., hidden (.git) */
        wf_vec_push(&names, wf_xstrdup(de->d_name));
    }
    closedir(d);
    if (names.len) qsort(names.data, names.len, sizeof *names.data, cmp_str);
    for (size_t i = 0; i < names.len; i++) {
        char *sub = rel[0] ? wf_xasprintf("%s/%s", rel, names.data[i]) : wf_xstrdup(names.data[i]);
        char *full = wf_xasprintf("%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                walk(root, sub, out, depth + 1);
                free(sub);
            } else if (!strcmp(names.data[i], "_index.yaml") && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
                wf_vec_push(out, sub);
            } else {
                free(sub);
            }
        } else {
            free(sub);
        }
        free(full);
        free(names.data[i]);
    }
    wf_vec_free(&names);
}

/* ---- one file's header -------------------------------------------------- */

static bool valid_namespace(const char *s)
{
    /* dotted: segments of letters, digits, '_' and '-' */
    if (!*s) return false;
    bool seg_empty = true;
    for (; *s; s++) {
        if (*s == '.') {
            if (seg_empty) return false;
            seg_empty = true;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                   *s == '_' || *s == '-') {
            seg_empty = false;
        } else {
            return false;
        }
    }
    return !seg_empty;
}

static bool valid_name(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* The first scalar beneath n holding a NUL character (libyaml takes "\0"
 * in a quoted string), or NULL. Every string of the registry is a C
 * string, so such a value would be cut short silently: it is an error. */
static const wf_reg_node *find_nul(const wf_reg_node *n)
{
    if (n->type == WF_NODE_SCALAR) return memchr(n->str, 0, n->len) ? n : NULL;
    for (size_t i = 0; i < n->n; i++) {
        const wf_reg_node *bad = find_nul(n->items[i]);
        if (bad) return bad;
    }
    return NULL;
}

static void nul_diag(wf_registry *r, reg_file *f, const wf_reg_node *bad, const char *id)
{
    wf_reg_diagf(r, f, bad->line, id, "a string holds a NUL character (\\0), which is not allowed");
}

/* Read and parse one file (on any thread): its tree, or its error. */
static void parse_file(reg_file *f)
{
    uint8_t *text = NULL;
    size_t len = 0;
    f->parse_err = wf_file_read(f->abs, &text, &len);
    if (f->parse_err) {
        f->read_failed = true;
        return;
    }
    f->parse_err = wf_reg_yaml_parse((const char *)text, len, &f->root);
    free(text);
}

/* Add an entry to the listing (wf_reg_listed); owned: the strings are
 * the listing's (a skipped entry has no reg_entry to hold them). */
static void list_entry(wf_registry *r, reg_file *f, char *id, char *ns, char *name, const char *kind,
                       const wf_reg_node *node, bool owned)
{
    reg_listed *l = wf_xcalloc(1, sizeof *l);
    l->pub = (wf_reg_listed){ id, ns, name, kind, node };
    l->file = f;
    l->owned = owned;
    wf_vec_push(&r->listing, l);
}

/* The header and entries of a parsed file, in load order. */
static void load_file(wf_registry *r, reg_file *f)
{
    wf_error *e = f->parse_err;
    f->parse_err = NULL;
    if (e) {
        if (f->read_failed) wf_reg_diagf(r, f, 0, NULL, "cannot read the file: %s", e->message);
        else wf_reg_diagf(r, f, e->line, NULL, "bad YAML (column %d): %s", e->col, e->message);
        wf_error_free(e);
        return;
    }
    wf_reg_node *root = f->root;
    if (root->type != WF_NODE_MAP) {
        wf_reg_diagf(r, f, root->line, NULL, "the file must be a map with namespace and entries");
        return;
    }
    for (size_t i = 0; i < root->n; i++) {
        const wf_reg_node *bad = strcmp(root->keys[i], "entries") ? find_nul(root->items[i]) : NULL;
        if (bad) nul_diag(r, f, bad, NULL);
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i];
        if (strcmp(k, "version") && strcmp(k, "namespace") && strcmp(k, "entries") && strcmp(k, "meta"))
            wf_reg_warn(r, f, root->items[i]->line, NULL, "unknown top-level field '%s' (ignored)", k);
    }
    const wf_reg_node *v = wf_reg_node_get(root, "version");
    if (v && v->type != WF_NODE_SCALAR)
        wf_reg_diagf(r, f, v->line, NULL, "field 'version' must be a string");
    const wf_reg_node *ns = wf_reg_node_get(root, "namespace");
    if (!ns) {
        wf_reg_diagf(r, f, root->line, NULL, "missing required field 'namespace'");
        return;
    }
    if (ns->type != WF_NODE_SCALAR || !valid_namespace(ns->str)) {
        wf_reg_diagf(r, f, ns->line, NULL,
                 "field 'namespace' must be a dotted name such as app.test (letters, digits, '_', '-')");
        return;
    }
    f->ns = wf_xstrdup(ns->str);
    const wf_reg_node *list = wf_reg_node_get(root, "entries");
    if (!list) return;
    if (list->type != WF_NODE_SEQ) {
        wf_reg_diagf(r, f, list->line, NULL, "field 'entries' must be a list");
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        const wf_reg_node *en = list->items[i];
        if (en->type != WF_NODE_MAP) {
            wf_reg_diagf(r, f, en->line, NULL, "entry %zu must be a map", i + 1);
            continue;
        }
        const wf_reg_node *name = wf_reg_node_get(en, "name");
        if (!name) {
            wf_reg_diagf(r, f, en->line, NULL, "entry %zu: missing required field 'name'", i + 1);
            continue;
        }
        if (name->type != WF_NODE_SCALAR || !valid_name(name->str)) {
            wf_reg_diagf(r, f, name->line, NULL,
                     "entry %zu: field 'name' must be a name (letters, digits, '_', '-', '.')", i + 1);
            continue;
        }
        char *id = wf_xasprintf("%s:%s", f->ns, name->str);
        const wf_reg_node *bad = find_nul(en);
        if (bad) nul_diag(r, f, bad, id);
        const wf_reg_node *kind = wf_reg_node_get(en, "kind");
        bool ok = false;
        wf_reg_kind k = 0;
        if (!kind)
            wf_reg_diagf(r, f, en->line, id, "missing required field 'kind'");
        else if (kind->type != WF_NODE_SCALAR)
            wf_reg_diagf(r, f, kind->line, id, "field 'kind' must be a string");
        else if (k = wf_reg_kind_parse(kind->str, &ok), !ok && wf_reg_kind_upstream(kind->str)) {
            /* registry.entry is data for require('registry'), which reads it:
             * nothing of it goes unserved. */
            if (strcmp(kind->str, "registry.entry"))
                wf_reg_warn(r, f, kind->line, id, "kind '%s' is not served by wasmfn: entry skipped", kind->str);
        }
        else if (!ok)
            wf_reg_diagf(r, f, kind->line, id, "unknown kind '%s' (did you mean '%s'?)", kind->str,
                     wf_reg_kind_closest(kind->str));
        reg_entry *prev = wf_reg_find_any(r, id);
        if (prev) {
            wf_reg_diagf(r, f, en->line, id, "duplicate ID (first defined at %s:%d)", prev->file->rel,
                     prev->pub.line);
            free(id);
            continue;
        }
        if (!ok) {
            /* A skipped upstream kind is still listed for require('registry'). */
            if (kind && kind->type == WF_NODE_SCALAR && wf_reg_kind_upstream(kind->str))
                list_entry(r, f, id, wf_xstrdup(f->ns), wf_xstrdup(name->str), kind->str, en, true);
            else
                free(id);
            continue;
        }
        reg_entry *re = wf_xcalloc(1, sizeof *re);
        re->file = f;
        re->pub.kind = k;
        re->pub.id = id;
        re->pub.ns = wf_xstrdup(f->ns);
        re->pub.name = wf_xstrdup(name->str);
        re->pub.file = f->rel;
        re->pub.dir = f->dir;
        re->pub.line = en->line;
        re->pub.node = en;
        wf_vec_push(&r->all, re);
        wf_map_add(&r->all_ids, re->pub.id, strlen(re->pub.id), re);
        list_entry(r, f, re->pub.id, re->pub.ns, re->pub.name, kind->str, en, false);
    }
}

/* ---- the whole load ---------------------------------------------------- */

static int cmp_diag(const void *a, const void *b)
{
    const wf_reg_diag *x = a, *y = b;
    if (x->file_index != y->file_index) return x->file_index < y->file_index ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

reg_entry *wf_reg_find_any(wf_registry *r, const char *id)
{
    return wf_map_get(&r->all_ids, id);
}

static bool is_env_kind(wf_reg_kind k)
{
    return k >= WF_REG_ENV_STORAGE_OS && k <= WF_REG_ENV_VARIABLE;
}

/* ---- the parallel phases ---------------------------------------------- */

/* Below this many bytes of YAML (~20 ms of parsing), or inline modules
 * (~5 us each to compile), threads cost more than they save. */
#define PAR_MIN_BYTES (512u << 10)
#define PAR_MIN_MODULES 2000

static void parse_one(void *ctx, size_t i)
{
    wf_registry *r = ctx;
    parse_file(r->files.data[i]);
}

typedef struct compile_job {
    wf_registry *r;
    reg_entry **entries;        /* the inline modules to compile */
    wf_reg_diag_vec *diags;     /* each one's diagnostics */
} compile_job;

static void compile_one(void *ctx, size_t i)
{
    compile_job *j = ctx;
    wf_reg_diag_capture(&j->diags[i]);
    wf_reg_compile_entry(j->r, j->entries[i]);
    wf_reg_diag_capture(NULL);
}

/* Compile every checked entry: inline modules (function.wat, independent
 * of each other) on several threads, then the others in order (a
 * function.wasm may share an earlier one's compiled binary). Full
 * validation of every module either way: a check finds every error. */
static void compile_all(wf_registry *r)
{
    WF_VEC(reg_entry *) wat = { 0 };
    for (size_t i = 0; i < r->all.len; i++)
        if (r->all.data[i]->checked && r->all.data[i]->pub.kind == WF_REG_FUNCTION_WAT)
            wf_vec_push(&wat, r->all.data[i]);
    if (wat.len) {
        compile_job j = { r, wat.data, wf_xcalloc(wat.len, sizeof *j.diags) };
        wf_reg_par_for(wat.len, wat.len >= PAR_MIN_MODULES, compile_one, &j);
        for (size_t i = 0; i < wat.len; i++) wf_reg_diag_merge(r, wat.data[i]->file, &j.diags[i]);
        free(j.diags);
    }
    wf_vec_free(&wat);
    for (size_t i = 0; i < r->all.len; i++)
        if (r->all.data[i]->checked && r->all.data[i]->pub.kind != WF_REG_FUNCTION_WAT)
            wf_reg_compile_entry(r, r->all.data[i]);
}

wf_error *wf_registry_load(const char *dir, wf_registry **out)
{
    *out = NULL;
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(dir, real) || stat(real, &st) != 0)
        return wf_error_new(WF_ERR_IO, "cannot open project directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return wf_error_new(WF_ERR_IO, "project %s is not a directory", dir);

    wf_registry *r = wf_xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->env_lock, NULL);
    r->root = wf_xstrdup(real);

    strvec rels = { 0 };
    size_t yaml_bytes = 0;
    walk(r->root, "", &rels, 0);
    for (size_t i = 0; i < rels.len; i++) {
        reg_file *f = wf_xcalloc(1, sizeof *f);
        f->rel = rels.data[i];
        f->index = i;
        f->abs = wf_xasprintf("%s/%s", r->root, f->rel);
        char *slash = strrchr(f->abs, '/');
        f->dir = wf_xstrndup(f->abs, (size_t)(slash - f->abs));
        wf_vec_push(&r->files, f);
        if (stat(f->abs, &st) == 0) yaml_bytes += (size_t)st.st_size;
    }
    wf_vec_free(&rels);
    /* The files parse independently (most of a large project's load);
     * their headers and entries are then taken in order. */
    wf_reg_par_for(r->files.len, r->files.len > 1 && yaml_bytes >= PAR_MIN_BYTES, parse_one, r);
    for (size_t i = 0; i < r->files.len; i++) load_file(r, r->files.data[i]);
    if (!r->files.len)
        wf_reg_diagf(r, NULL, 0, NULL, "no _index.yaml found below %s", dir);

    /* Env entries first: placeholders in the others resolve through them. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->all.len; i++) {
            reg_entry *e = r->all.data[i];
            if (is_env_kind(e->pub.kind) != (pass == 0)) continue;
            size_t before = r->nerrors;
            wf_reg_expand_entry(r, e);
            bool expanded = r->nerrors == before;
            wf_reg_check_entry(r, e);
            /* A value that failed to expand is not checked further: its
             * compile error would only repeat the first problem. */
            if (!expanded) e->checked = false;
            if (e->checked && e->pub.kind == WF_REG_ENV_VARIABLE) wf_reg_var_checked(r, e);
        }
    for (size_t i = 0; i < r->all.len; i++)
        if (r->all.data[i]->checked) wf_reg_check_refs(r, r->all.data[i]);
    compile_all(r);

    for (size_t i = 0; i < r->all.len; i++) {
        reg_entry *e = r->all.data[i];
        if (e->file->bad) continue;
        wf_vec_push(&r->entries, e);
        wf_map_add(&r->ids, e->pub.id, strlen(e->pub.id), e);
    }
    for (size_t i = 0; i < r->listing.len; i++) {
        reg_listed *l = r->listing.data[i];
        if (l->file->bad) continue;
        wf_vec_push(&r->listed, l);
        if (!wf_map_get(&r->listed_ids, l->pub.id)) wf_map_add(&r->listed_ids, l->pub.id, strlen(l->pub.id), l);
    }

    /* Report in file order, then line order, whatever phase found them. */
    if (r->diags.len > 1) {
        for (size_t i = 0; i < r->diags.len; i++) r->diags.data[i].seq = i;
        qsort(r->diags.data, r->diags.len, sizeof *r->diags.data, cmp_diag);
    }
    *out = r;
    if (!r->nerrors) return NULL;
    return wf_error_new(WF_ERR_INVALID, "%zu load error%s in %s", r->nerrors,
                        r->nerrors == 1 ? "" : "s", dir);
}

void wf_registry_free(wf_registry *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->all.len; i++) {
        reg_entry *e = r->all.data[i];
        wf_reg_entry_free_fields(e);
        free(e->pub.id);
        free(e->pub.ns);
        free(e->pub.name);
        free(e);
    }
    for (size_t i = 0; i < r->listing.len; i++) {
        reg_listed *l = r->listing.data[i];
        if (l->owned) {
            free((char *)l->pub.id);
            free((char *)l->pub.ns);
            free((char *)l->pub.name);
        }
        free(l);
    }
    wf_vec_free(&r->listing);
    wf_vec_free(&r->listed);
    wf_map_free(&r->listed_ids);
    wf_vec_free(&r->all);
    wf_map_free(&r->all_ids);
    wf_map_free(&r->var_names);
    wf_vec_free(&r->entries);
    wf_map_free(&r->ids);
    wf_map_free(&r->binaries);
    wf_map_free(&r->verified_files);
    for (size_t i = 0; i < r->files.len; i++) {
        reg_file *f = r->files.data[i];
        wf_reg_node_free(f->root);
        free(f->rel);
        free(f->abs);
        free(f->dir);
        free(f->ns);
        free(f);
    }
    wf_vec_free(&r->files);
    for (size_t i = 0; i < r->diags.len; i++) {
        free(r->diags.data[i].file);
        free(r->diags.data[i].entry);
        free(r->diags.data[i].message);
    }
    wf_vec_free(&r->diags);
    pthread_mutex_destroy(&r->env_lock);
    free(r->root);
    free(r);
}

const char *wf_registry_root(const wf_registry *r) { return r->root; }
size_t wf_registry_diag_count(const wf_registry *r) { return r->diags.len; }
size_t wf_registry_warning_count(const wf_registry *r) { return r->diags.len - r->nerrors; }
const wf_reg_diag *wf_registry_diag(const wf_registry *r, size_t i)
{
    return i < r->diags.len ? &r->diags.data[i] : NULL;
}
size_t wf_registry_count(const wf_registry *r) { return r->entries.len; }
const wf_reg_entry *wf_registry_at(const wf_registry *r, size_t i)
{
    return i < r->entries.len ? &r->entries.data[i]->pub : NULL;
}

size_t wf_registry_listed_count(const wf_registry *r) { return r->listed.len; }
const wf_reg_listed *wf_registry_listed_at(const wf_registry *r, size_t i)
{
    return i < r->listed.len ? &r->listed.data[i]->pub : NULL;
}
const wf_reg_listed *wf_registry_listed_get(const wf_registry *r, const char *id)
{
    reg_listed *l = wf_map_get(&r->listed_ids, id);
    return l ? &l->pub : NULL;
}

const wf_reg_entry *wf_registry_get(const wf_registry *r, const char *id)
{
    reg_entry *e = wf_map_get(&r->ids, id);
    return e ? &e->pub : NULL;
}
