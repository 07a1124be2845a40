/* test_http_head_printf.c - the process's __sprintf_chk (src/http/
 * head_printf.c, h2o's response heads): it is the one the dynamic linker
 * gives every library; simple formats (text, %d, %s, %zu, %%) print
 * exactly what glibc prints, h2o's own head format included, with the
 * extremes of each; every other format (flags, widths, precisions, other
 * conversions, a NULL string) goes to glibc unchanged; and a write past
 * the buffer's known size still aborts, as glibc's fortified sprintf does. */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/http_int.h"

int __sprintf_chk(char *restrict s, int flag, size_t slen, const char *restrict format, ...);

/* Called through pointers: the compiler would check (and refuse) the
 * odd formats below, and might fold the calls itself. */
static int (*volatile chk)(char *, int, size_t, const char *, ...) = __sprintf_chk;
static int (*volatile ref)(char *, size_t, const char *, ...) = snprintf;

/* The same arguments through glibc's snprintf and the process's
 * __sprintf_chk: the same text and count. */
#define CHECK(...)                                                                          \
    do {                                                                                    \
        char want_[512], got_[512];                                                         \
        memset(got_, 'x', sizeof got_);                                                     \
        int wn_ = ref(want_, sizeof want_, __VA_ARGS__);                               \
        int gn_ = chk(got_, 1, sizeof got_, __VA_ARGS__);                         \
        assert_int_equal(gn_, wn_);                                                         \
        assert_string_equal(got_, want_);                                                   \
    } while (0)

static void test_interposes(void **state)
{
    (void)state;
    assert_true(wf_http_head_printf_active());
}

static void test_simple_formats(void **state)
{
    (void)state;
    CHECK("HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\nContent-Length: %zu\r\n", 200, "OK",
          "Thu, 03 Dec 2026 15:00:00 GMT", "keep-alive", (size_t)6);
    CHECK("HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\n", 404, "Not Found", "Thu, 03 Dec 2026 15:00:00 GMT",
          "close");
    CHECK("%d|%d|%d|%d|%d", 0, -1, 7, INT_MAX, INT_MIN);
    CHECK("%zu|%zu|%zu", (size_t)0, (size_t)10, SIZE_MAX);
    CHECK("%s%s|%s", "", "a", "plain");
    CHECK("100%% of %d%%", 80);
    CHECK("no conversions at all");
    CHECK("%s", "");
    CHECK("");
}

static void test_other_formats_go_to_glibc(void **state)
{
    (void)state;
    CHECK("%5d|%-4d|%04d|%+d", 42, 7, 3, 9);
    CHECK("%.*s|%.2s|%10s", 3, "abcdef", "xyz", "r");
    CHECK("%x %X %o %u %ld %lld %zx %c %p", 255u, 255u, 8u, 4000000000u, -5L, -6LL, (size_t)4096, 'q', (void *)0);
    CHECK("%f %g %e", 1.5, 0.25, 1e10);
    CHECK("%s then %d", (const char *)NULL, 1);
}

static void test_overflow_aborts(void **state)
{
    (void)state;
#if !defined(WF_SANITIZE)
    /* (Sanitized builds intercept glibc's printf family: they report the
     * overflow their own way.) */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        /* glibc's message, not the test's: keep stderr quiet. */
        freopen("/dev/null", "w", stderr);
        char small[8];
        chk(small, 1, sizeof small, "%s", "longer than eight bytes");
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
#endif
    /* Within the size, to the byte: 7 characters and the NUL. */
    char eight[8];
    assert_int_equal(chk(eight, 1, sizeof eight, "%s%d", "abcdef", 5), 7);
    assert_string_equal(eight, "abcdef5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interposes),
        cmocka_unit_test(test_simple_formats),
        cmocka_unit_test(test_other_formats_go_to_glibc),
        cmocka_unit_test(test_overflow_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
