/*
 * helpers.h - what several unit tests share: an error expected by kind and
 * message, files written beneath a test's scratch directory (made by
 * mkdtemp, removed by rm_tree), a component from its text format. Include
 * after <cmocka.h> (failures are cmocka's).
 */
#ifndef WF_TEST_HELPERS_H
#define WF_TEST_HELPERS_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/error.h"
#include "cli/cwat.h"
#include "component/component.h"

/* e is an error of kind whose message contains needle; frees it. */
static inline void expect_err(wf_error *e, wf_error_kind kind, const char *needle)
{
    assert_non_null(e);
    if (e->kind != kind || !strstr(e->message, needle))
        fail_msg("got %s: %s; want %s containing '%s'", wf_error_kind_name(e->kind), e->message,
                 wf_error_kind_name(kind), needle);
    wf_error_free(e);
}

/* dir/rel holding len bytes of data, its missing parent directories made. */
static inline void put_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    assert_true((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) < sizeof path);
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        if (mkdir(path, 0755) && errno != EEXIST) fail_msg("mkdir %s: %s", path, strerror(errno));
        *s = '/';
    }
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* dir/rel holding text. */
static inline void put(const char *dir, const char *rel, const char *text)
{
    put_bytes(dir, rel, text, strlen(text));
}

static inline int rm_tree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove dir and everything beneath it (symlinks themselves, never what
 * they point to): 0, or -1 when something could not be removed. */
static inline int rm_tree(const char *dir)
{
    return nftw(dir, rm_tree_one, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}

/* The component the component text format `text` describes. */
static inline wf_component *component_of(const char *text)
{
    wf_buf b = { 0 };
    wf_error *e = wf_cwat_compile(text, strlen(text), &b);
    if (e) fail_msg("compile: %s", e->message);
    wf_component *c;
    e = wf_component_new(b.data, b.len, &c);
    wf_buf_free(&b);
    if (e) fail_msg("decode: %s", e->message);
    return c;
}

#endif
