/* test_registry_scale.c - IDs at scale: thousands of entries over several
 * files each found by wf_registry_get (and nothing else), entries of a bad
 * file not found, a duplicate ID in a later file reported against the
 * first, and ${env:NAME} by public variable name taking the first such
 * variable in load order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "registry/registry.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char *dir = wf_xasprintf("%s/%s", root, rel);
    *strrchr(dir, '/') = 0;
    mkdir(dir, 0755);
    free(dir);
    char *path = wf_xasprintf("%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    free(path);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/wf_registry_scale_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd);
}

enum { FILES = 4, PER_FILE = 1500 };

static void test_many_ids(void **state)
{
    (void)state;
    for (int f = 0; f < FILES; f++) {
        wf_buf b = { 0 };
        char line[160];
        snprintf(line, sizeof line, "namespace: ns%d\nentries:\n", f);
        wf_buf_str(&b, line);
        for (int i = 0; i < PER_FILE; i++) {
            snprintf(line, sizeof line,
                     "  - name: v%d\n    kind: env.variable\n    storage: st\n    variable: V%d\n",
                     i, i);
            wf_buf_str(&b, line);
        }
        /* `pub` names one variable, defined in every file: the first wins */
        snprintf(line, sizeof line,
                 "  - name: st\n    kind: env.storage.static\n    values: {PUB: \"from ns%d\"}\n"
                 "  - name: pub\n    kind: env.variable\n    storage: st\n    variable: PUB\n", f);
        wf_buf_str(&b, line);
        wf_buf_byte(&b, 0);
        char rel[32];
        snprintf(rel, sizeof rel, "f%d/_index.yaml", f);
        put(rel, (char *)b.data);
        wf_buf_free(&b);
    }
    /* a user of PUB in a later file, and a bad file (duplicate ID) */
    put("g/_index.yaml",
        "namespace: user\n"
        "entries:\n"
        "  - name: d\n"
        "    kind: library.lua\n"
        "    source: return {}\n"
        "    meta: {note: \"data-${env:PUB}\"}\n");
    put("h/_index.yaml",
        "namespace: late\n"
        "entries:\n"
        "  - name: ok\n"
        "    kind: env.storage.memory\n"
        "  - name: v7\n"
        "    kind: env.storage.memory\n"
        "    meta: {x: 1}\n"
        "  - name: again\n"
        "    kind: env.storage.memory\n");
    put("h/sub/_index.yaml",
        "namespace: ns2\n"
        "entries:\n"
        "  - name: v7\n"
        "    kind: env.storage.memory\n");
    wf_registry *r;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    assert_int_equal(wf_registry_diag_count(r), 1);
    char *d = wf_reg_diag_format(wf_registry_diag(r, 0));
    assert_string_equal(d, "h/sub/_index.yaml:3: ns2:v7: duplicate ID (first defined at f2/_index.yaml:31)");
    free(d);
    wf_error_free(e);
    for (int f = 0; f < FILES; f++)
        for (int i = 0; i < PER_FILE; i += 3) {
            char id[32];
            snprintf(id, sizeof id, "ns%d:v%d", f, i);
            const wf_reg_entry *en = wf_registry_get(r, id);
            assert_non_null(en);
            assert_string_equal(en->id, id);
            assert_int_equal(en->kind, WF_REG_ENV_VARIABLE);
        }
    assert_null(wf_registry_get(r, "ns0:v1500"));
    assert_null(wf_registry_get(r, "ns9:v1"));
    assert_null(wf_registry_get(r, "ns0:v"));
    assert_null(wf_registry_get(r, "h/sub:v7"));
    assert_null(wf_registry_get(r, "ns2:ok"));
    /* h/sub is bad: nothing of it loads; late (h) is sound */
    assert_non_null(wf_registry_get(r, "late:ok"));
    assert_non_null(wf_registry_get(r, "late:v7"));
    /* PUB: the first `pub` in load order (f0 sorts first) */
    const wf_reg_entry *dir = wf_registry_get(r, "user:d");
    assert_non_null(dir);
    assert_string_equal(wf_reg_node_get(dir->meta, "note")->str, "data-from ns0");
    assert_int_equal(wf_registry_count(r), FILES * (PER_FILE + 2) + 1 + 3);
    wf_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_many_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
