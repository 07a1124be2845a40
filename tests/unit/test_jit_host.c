/* test_jit_host.c - the code cache's record of the host CPU (src/wasm/jit/
 * host.c) when it is wrong: a record whose CPU name and features are not
 * what LLVM reports (a record with a valid checksum, so it is read and its
 * answer used for the cache keys) makes this process miss the cache and
 * compile; LLVM, loaded to compile, is asked, and the record written again
 * with its answer (jit.c, load_compiler). A second process then finds a
 * record LLVM agrees with (it compiles, its keys now right, and leaves the
 * record as it is), and a third finds its code in the cache. Skipped where
 * there is no record (not x86-64) and in a build without the tier. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "wasm/jit.h"
#include "wasm/jit/jit_int.h"
#include "wasm/runtime.h"
#include "wat_env.h"

static const char *WAT = "(module (func (export \"sq\") (param i32) (result i32)"
                         " (i32.mul (local.get 0) (local.get 0))))";

static const char *WRONG_CPU = "wasmfn-test-cpu", *WRONG_FEATURES = "+wasmfn-test-feature";

static char *g_dir;

/* The inode of the one host record in the cache (0 if none). */
static ino_t record_inode(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    ino_t ino = 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 7 || strcmp(de->d_name + len - 7, ".wfhost")) continue;
        char *path = wf_xasprintf("%s/%s", g_dir, de->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        free(path);
        ino = st.st_ino;
        n++;
    }
    closedir(d);
    assert_true(n <= 1);
    return ino;
}

/* The module compiled (from the cache when CACHED) and right. */
static void run_module(bool cached)
{
    assert_null(wf_jit_set_tier(WF_TIER_COMPILED));
    env l;
    load(&l, WAT, NULL, 0);
    wf_jit_stats st;
    assert_true(wf_jit_module_stats(l.m, &st));
    assert_int_equal(st.ncompiled, 1);
    assert_int_equal(st.cached, cached);
    wf_value a = { .type = WF_TYPE_I32 }, r[1];
    a.of.i32 = 12;
    wf_error *e = wf_func_call(fn(&l, "sq"), &a, 1, r, 1);
    if (e) fail_msg("sq: %s", e->message);
    assert_int_equal(r[0].of.i32, 144);
    unload(&l);
}

static void check_record_right(void)
{
    char *cpu, *features;
    assert_true(wf_jit_host_load(&cpu, &features));
    assert_string_not_equal(cpu, WRONG_CPU);
    assert_null(strstr(features, WRONG_FEATURES));
    assert_true(strlen(cpu) > 0);
    free(cpu);
    free(features);
}

static void test_wrong_record(void **state)
{
    (void)state;
    wf_jit_host_store(WRONG_CPU, WRONG_FEATURES);
    char *cpu = NULL, *features = NULL;
    if (!wf_jit_host_load(&cpu, &features)) {
        printf("test_jit_host: no record of the host here (not x86-64)\n");
        return;
    }
    assert_string_equal(cpu, WRONG_CPU);
    assert_string_equal(features, WRONG_FEATURES);
    free(cpu);
    free(features);
    ino_t wrong = record_inode();
    assert_true(wrong != 0);

    /* the wrong keys find nothing: compiled; the record written again */
    run_module(false);
    ino_t rewritten = record_inode();
    assert_true(rewritten != 0 && rewritten != wrong);
    check_record_right();

    /* a second process: the record right, so its keys are not the first's
     * (compiled again), and LLVM agrees with it (not written again) */
    char *cmd = wf_xasprintf("/proc/%ld/exe --next '%s' 0", (long)getpid(), g_dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_true(record_inode() == rewritten);
    /* a third: its code in the cache */
    cmd = wf_xasprintf("/proc/%ld/exe --next '%s' 1", (long)getpid(), g_dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_true(record_inode() == rewritten);
}

static bool g_cached;

static void test_next_process(void **state)
{
    (void)state;
    check_record_right();
    run_module(g_cached);
    check_record_right();
}

int main(int argc, char **argv)
{
    if (!wf_jit_available()) {
        printf("test_jit_host: this build has no compiled tier\n");
        return 0;
    }
    int status;
    if (argc == 4 && !strcmp(argv[1], "--next")) {
        g_dir = argv[2];
        g_cached = !strcmp(argv[3], "1");
        wf_jit_set_cache_dir(g_dir);
        const struct CMUnitTest next[] = {
            cmocka_unit_test(test_next_process),
        };
        status = cmocka_run_group_tests(next, NULL, NULL);
    } else {
        char dir[] = "/tmp/wf_jit_host_XXXXXX";
        assert_non_null(mkdtemp(dir));
        g_dir = dir;
        wf_jit_set_cache_dir(g_dir);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_wrong_record),
        };
        status = cmocka_run_group_tests(tests, NULL, NULL);
        char *cmd = wf_xasprintf("rm -rf '%s'", dir);
        if (system(cmd)) status = 1;
        free(cmd);
    }
    wf_jit_exit(status);
    return status;
}
