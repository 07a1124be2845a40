/*
 * test_wit_suite.c - runs every case of the WIT parser test suite
 * (shared/testsuite/wit-parser) through wf_wit_doc_load: each pass case (a
 * `X.wit` file or an `X/` directory with an expected `X.wit.json`) must
 * parse and resolve, and report the expected worlds/interfaces counts
 * loosely (at least one package); each case under parse-fail/ must be
 * rejected with an error. Component-binary cases (`simple-wasm-text.wat`,
 * `kinds-of-deps` with .wat/.wasm deps) are skipped: wasmfn reads WIT only
 * as text. Prints the counts and every failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "component/wit/wit_doc.h"
#include "base/vec.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#ifndef WF_SHARED_DIR
#define WF_SHARED_DIR "../shared"
#endif

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct counts { int ok, bad, skipped, same_msg; } counts;

/* Every case in dir: `X.wit` files and `X/` directories (not parse-fail). */
static void run_dir(const char *dir, bool expect_fail, counts *c)
{
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    WF_VEC(char *) names = {0};
    struct dirent *de;
    while ((de = readdir(dh)))
        if (de->d_name[0] != '.') wf_vec_push(&names, wf_xstrdup(de->d_name));
    closedir(dh);
    qsort(names.data, names.len, sizeof *names.data, cmp_str);
    for (size_t i = 0; i < names.len; i++) {
        const char *n = names.data[i];
        char *full = wf_xasprintf("%s/%s", dir, n);
        size_t len = strlen(n);
        bool dircase = is_dir(full) && strcmp(n, "parse-fail") != 0;
        bool filecase = len > 4 && strcmp(n + len - 4, ".wit") == 0;
        /* component-binary inputs: wasmfn reads WIT as text only */
        bool binary = (len > 4 && strcmp(n + len - 4, ".wat") == 0) || strcmp(n, "kinds-of-deps") == 0;
        if (binary) { c->skipped++; free(full); free(names.data[i]); continue; }
        if (dircase || filecase) {
            wf_wit_doc *d = NULL;
            wf_error *e = wf_wit_doc_load(full, &d);
            if (expect_fail) {
                if (e) {
                    c->ok++;
                    /* how often our message is the suite's own (first line) */
                    char *res = wf_xasprintf("%s.result", full);
                    FILE *fp = fopen(res, "r");
                    char want[512] = "";
                    if (fp && fgets(want, sizeof want, fp)) {
                        want[strcspn(want, "\n")] = 0;
                        const char *colon = strstr(want, "]: ");   /* drop "failed to resolve ... [path]: " */
                        const char *w = colon ? colon + 3 : want;
                        if (strstr(w, "failed to parse package: ")) w = strstr(strstr(w, "failed to parse package: ") + 25, ": ") + 2;
                        if (strstr(e->message, w)) c->same_msg++;
                    }
                    if (fp) fclose(fp);
                    free(res);
                }
                else { c->bad++; printf("ACCEPTED (should fail): %s\n", full); }
            } else {
                if (!e) {
                    size_t np, ni, nw;
                    wf_wit_doc_counts(d, &np, &ni, &nw);
                    if (np >= 1) c->ok++;
                    else { c->bad++; printf("NO PACKAGE: %s\n", full); }
                } else {
                    c->bad++;
                    printf("REJECTED: %s: %s\n", full, e->message);
                }
            }
            wf_error_free(e);
            wf_wit_doc_free(d);
        }
        free(full);
        free(names.data[i]);
    }
    wf_vec_free(&names);
}

static void test_pass_cases(void **state)
{
    (void)state;
    counts c = {0};
    run_dir(WF_SHARED_DIR "/testsuite/wit-parser", false, &c);
    printf("wit-parser pass cases: %d ok, %d failed, %d skipped (component binaries)\n", c.ok, c.bad, c.skipped);
    assert_true(c.ok > 0);
    assert_int_equal(c.bad, 0);
}

static void test_fail_cases(void **state)
{
    (void)state;
    counts c = {0};
    run_dir(WF_SHARED_DIR "/testsuite/wit-parser/parse-fail", true, &c);
    printf("wit-parser parse-fail cases: %d rejected (%d with the suite's own message), %d wrongly accepted\n",
           c.ok, c.same_msg, c.bad);
    assert_true(c.ok > 0);
    assert_int_equal(c.bad, 0);
}

/* Every prefix (in steps) of every single-file pass case is either
 * accepted or rejected with a positioned error: no crash, no hang. */
static void test_truncated_inputs(void **state)
{
    (void)state;
    const char *dir = WF_SHARED_DIR "/testsuite/wit-parser";
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    struct dirent *de;
    int runs = 0, rejected = 0;
    while ((de = readdir(dh))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".wit") != 0) continue;
        char *full = wf_xasprintf("%s/%s", dir, de->d_name);
        FILE *fp = fopen(full, "rb");
        free(full);
        if (!fp) continue;
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        for (size_t cut = 0; cut < n; cut += 7) {
            wf_wit_doc *d = NULL;
            wf_error *e = wf_wit_doc_parse(de->d_name, buf, cut, &d);
            runs++;
            if (e) {
                rejected++;
                assert_non_null(strstr(e->message, de->d_name));
            }
            wf_error_free(e);
            wf_wit_doc_free(d);
        }
    }
    closedir(dh);
    printf("truncated inputs: %d parsed, %d rejected\n", runs, rejected);
    assert_true(rejected > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_cases),
        cmocka_unit_test(test_fail_cases),
        cmocka_unit_test(test_truncated_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
