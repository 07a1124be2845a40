/*
 * wit_load.c - reading WIT sources from disk into a wf_wit_doc (wit_doc.h):
 * a single `.wit` file, or a directory whose `.wit` files form the root
 * package and whose `deps/` folder holds one dependency per entry (a
 * directory of `.wit` files or a single `.wit` file; other files are
 * ignored). Files are read in name order so errors are deterministic.
 */
#include "component/wit/wit_doc.h"
#include "base/file.h"
#include "base/vec.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static const char *const default_features[] = { "active" };

static wf_wit_doc *doc_new(void)
{
    wf_wit_doc *d = wf_xcalloc(1, sizeof *d);
    d->features = default_features;
    d->nfeatures = WF_COUNT(default_features);
    return d;
}

void wf_wit_doc_free(wf_wit_doc *d)
{
    if (!d) return;
    wf_wit_resolved_free(d);
    for (size_t i = 0; i < d->ngroups; i++) free(d->groups[i].files);
    free(d->groups);
    wf_arena_free(&d->arena);
    free(d);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static wf_error *parse_path(wf_wit_doc *d, const char *path, wit_file **out)
{
    uint8_t *data;
    size_t len;
    wf_error *e = wf_file_read(path, &data, &len);
    if (e) return e;
    char *keep = wf_arena_strndup(&d->arena, path, strlen(path));
    e = wf_wit_parse_file(&d->arena, keep, (const char *)data, len, out);
    free(data);
    return e;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entry names of dir (caller frees each and the array). */
static wf_error *list_dir(const char *dir, char ***names, size_t *n)
{
    DIR *dh = opendir(dir);
    if (!dh) return wf_error_new(WF_ERR_IO, "%s: cannot open directory", dir);
    WF_VEC(char *) v = {0};
    struct dirent *de;
    while ((de = readdir(dh)))
        if (de->d_name[0] != '.') wf_vec_push(&v, wf_xstrdup(de->d_name));
    closedir(dh);
    qsort(v.data, v.len, sizeof *v.data, cmp_str);
    *names = v.data;
    *n = v.len;
    return NULL;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Add a group: a file, or a directory's `.wit` files. */
static wf_error *add_group(wf_wit_doc *d, const char *path)
{
    WF_VEC(wit_file *) files = {0};
    wf_error *e = NULL;
    if (is_dir(path)) {
        char **names;
        size_t n;
        if ((e = list_dir(path, &names, &n))) return e;
        for (size_t i = 0; !e && i < n; i++) {
            if (!has_suffix(names[i], ".wit")) continue;
            char *full = wf_xasprintf("%s/%s", path, names[i]);
            if (!is_dir(full)) {
                wit_file *f;
                if (!(e = parse_path(d, full, &f))) wf_vec_push(&files, f);
            }
            free(full);
        }
        free_names(names, n);
    } else {
        wit_file *f;
        if (!(e = parse_path(d, path, &f))) wf_vec_push(&files, f);
    }
    if (e) { wf_vec_free(&files); return e; }
    d->groups = wf_xrealloc(d->groups, (d->ngroups + 1) * sizeof *d->groups);
    d->groups[d->ngroups++] = (wit_group){ files.data, files.len,
                                           wf_arena_strndup(&d->arena, path, strlen(path)) };
    return NULL;
}

wf_error *wf_wit_doc_load(const char *path, wf_wit_doc **out)
{
    *out = NULL;
    wf_wit_doc *d = doc_new();
    wf_error *e = add_group(d, path);
    if (!e && is_dir(path)) {
        char *deps = wf_xasprintf("%s/deps", path);
        if (is_dir(deps)) {
            char **names;
            size_t n;
            if (!(e = list_dir(deps, &names, &n))) {
                for (size_t i = 0; !e && i < n; i++) {
                    char *full = wf_xasprintf("%s/%s", deps, names[i]);
                    if (is_dir(full) || has_suffix(names[i], ".wit")) e = add_group(d, full);
                    free(full);
                }
                free_names(names, n);
            }
        }
        free(deps);
    }
    if (!e) e = wf_wit_resolve(d);
    if (e) { wf_wit_doc_free(d); return e; }
    *out = d;
    return NULL;
}

wf_error *wf_wit_doc_parse(const char *name, const char *text, size_t len, wf_wit_doc **out)
{
    *out = NULL;
    wf_wit_doc *d = doc_new();
    wit_file *f;
    const char *keep = wf_arena_strndup(&d->arena, name, strlen(name));
    wf_error *e = wf_wit_parse_file(&d->arena, keep, text, len, &f);
    if (!e) {
        d->groups = wf_xcalloc(1, sizeof *d->groups);
        d->groups[0].files = wf_xmalloc(sizeof(wit_file *));
        d->groups[0].files[0] = f;
        d->groups[0].nfiles = 1;
        d->groups[0].where = keep;
        d->ngroups = 1;
        e = wf_wit_resolve(d);
    }
    if (e) { wf_wit_doc_free(d); return e; }
    *out = d;
    return NULL;
}
