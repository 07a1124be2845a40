/* test_sha256.c - SHA-256 digests (FIPS 180-2 vectors) and the sha256: form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/sha256.h"

static void test_vectors(void **state)
{
    (void)state;
    uint8_t d[WF_SHA256_LEN];
    char t[WF_SHA256_TEXT_LEN];
    assert_null(wf_sha256("abc", 3, d));
    wf_sha256_format(d, t);
    assert_string_equal(t, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_null(wf_sha256("", 0, d));
    wf_sha256_format(d, t);
    assert_string_equal(t, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_parse(void **state)
{
    (void)state;
    uint8_t d[WF_SHA256_LEN], e[WF_SHA256_LEN];
    assert_true(wf_sha256_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", d));
    wf_sha256("abc", 3, e);
    assert_memory_equal(d, e, WF_SHA256_LEN);
    assert_false(wf_sha256_parse("sha256:ba78", d));
    assert_false(wf_sha256_parse("md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d));
    assert_false(wf_sha256_parse("sha256:ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d));
    assert_false(wf_sha256_parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", d));
}

static void test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/wf_sha256_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* larger than one read chunk */
    char *big = malloc(200000);
    memset(big, 'a', 200000);
    assert_int_equal(write(fd, big, 200000), 200000);
    close(fd);
    uint8_t d[WF_SHA256_LEN], e[WF_SHA256_LEN];
    assert_null(wf_sha256_file(path, d));
    assert_null(wf_sha256(big, 200000, e));
    assert_memory_equal(d, e, WF_SHA256_LEN);
    unlink(path);
    free(big);
    wf_error *err = wf_sha256_file(path, d);
    assert_non_null(err);
    assert_int_equal(err->kind, WF_ERR_IO);
    wf_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
