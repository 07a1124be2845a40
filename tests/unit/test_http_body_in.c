/* test_http_body_in.c - request bodies the server reads itself
 * (src/http/body_in.c): what a head says of its body (one Content-Length
 * or one chunked Transfer-Encoding; both, two lengths, an Upgrade, an odd
 * Expect or chunked HTTP/1.0 are left to h2o), the renaming of the framing
 * fields (same length), and the decoding of chunked bodies with
 * extensions and trailers: the same bytes and trailers whether they arrive
 * whole or a byte at a time, what follows the body left unread, the
 * window (room) respected, the limit and broken framing failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "http/http_int.h"

static bool scan(const char *head, http_body_head *h)
{
    return wf_http_body_head_scan(head, strlen(head), h);
}

static void test_head_scan(void **state)
{
    (void)state;
    http_body_head h;
    assert_true(scan("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", &h));
    assert_true(h.has_length && h.length == 12 && !h.chunked && !h.expect_continue);
    assert_true(scan("POST /a HTTP/1.1\r\ntransfer-encoding:  chunked \r\nExpect: 100-continue\r\n\r\n", &h));
    assert_true(h.chunked && h.expect_continue);
    assert_true(scan("\r\nPUT / HTTP/1.0\r\ncontent-length: 1\r\n\r\n", &h));
    assert_false(scan("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &h));                            /* no body */
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &h));                 /* empty */
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 3\r\nUpgrade: h2c\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\n", &h));
    assert_false(scan("POST / HTTP/1.1\r\nX: a\r\n b\r\nContent-Length: 3\r\n\r\n", &h));   /* obs-fold */
    assert_false(scan("POST / HTTP/2.0\r\nContent-Length: 3\r\n\r\n", &h));

    char head[] = "POST /a HTTP/1.1\r\nContent-Length: 12\r\nX: y\r\n\r\n";
    assert_true(scan(head, &h));
    wf_http_body_head_rename(head, &h);
    assert_string_equal(head, "POST /a HTTP/1.1\r\nwf-streamed-cl: 12\r\nX: y\r\n\r\n");
    char head2[] = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_true(scan(head2, &h));
    wf_http_body_head_rename(head2, &h);
    assert_string_equal(head2, "POST /a HTTP/1.1\r\nwf-streamed-te-xx: chunked\r\n\r\n");
}

/* Feed in[0..n) step bytes at a time (0: all at once) with room each;
 * returns the bytes used. */
static size_t feed(wf_http_exchange *x, http_body_reader *r, const char *in, size_t n, size_t step, size_t room)
{
    size_t used = 0;
    while (used < n && !x->body_ended && !x->body_fail) {
        size_t k = step ? WF_MIN(step, n - used) : n - used;
        size_t u = wf_http_body_feed_locked(r, x, (const uint8_t *)in + used, k, room);
        used += u;
        if (!u && k == n - used) break;   /* no progress on what is left */
    }
    return used;
}

static void setup(wf_http_exchange *x, http_body_reader *r, const char *head, uint64_t limit)
{
    memset(x, 0, sizeof *x);
    http_body_head h;
    assert_true(scan(head, &h));
    wf_http_body_reader_init(r, &h, limit, 1024);
}

static void teardown(wf_http_exchange *x, http_body_reader *r)
{
    for (size_t i = 0; i < x->body_trailers.len; i++) {
        free(x->body_trailers.data[i].name);
        free(x->body_trailers.data[i].value);
    }
    wf_vec_free(&x->body_trailers);
    wf_buf_free(&x->body_in);
    wf_http_body_reader_free(r);
}

static const char CHUNKED[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
static const char BODY[] = "5\r\nhello\r\n1;ext=\"a b\"\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 42 \r\nx-note:done\r\n\r\n"
                           "GET /next HTTP/1.1\r\n\r\n";

static void test_chunked_any_split(void **state)
{
    (void)state;
    size_t body_end = strlen(BODY) - strlen("GET /next HTTP/1.1\r\n\r\n");
    for (size_t step = 0; step <= 7; step++) {
        wf_http_exchange x;
        http_body_reader r;
        setup(&x, &r, CHUNKED, 1000);
        size_t used = feed(&x, &r, BODY, strlen(BODY), step, SIZE_MAX);
        assert_true(x.body_ended);
        assert_int_equal(x.body_fail, WF_HTTP_BODY_OK);
        assert_int_equal(used, body_end);   /* the pipelined request is left */
        assert_int_equal(x.body_in.len, 16);
        assert_memory_equal(x.body_in.data, "hello 0123456789", 16);
        assert_int_equal(x.body_trailers.len, 2);
        assert_string_equal(x.body_trailers.data[0].name, "x-sum");
        assert_string_equal(x.body_trailers.data[0].value, "42");
        assert_string_equal(x.body_trailers.data[1].name, "x-note");
        assert_string_equal(x.body_trailers.data[1].value, "done");
        teardown(&x, &r);
    }
}

static void test_room_and_length(void **state)
{
    (void)state;
    wf_http_exchange x;
    http_body_reader r;
    /* A chunk's bytes stop at the room given; the rest waits. */
    setup(&x, &r, CHUNKED, 1000);
    assert_int_equal(wf_http_body_feed_locked(&r, &x, (const uint8_t *)"A\r\n0123456789\r\n", 15, 4), 7);
    assert_int_equal(x.body_in.len, 4);
    assert_int_equal(wf_http_body_feed_locked(&r, &x, (const uint8_t *)"456789\r\n0\r\n\r\n", 13, 100), 13);
    assert_true(x.body_ended);
    assert_memory_equal(x.body_in.data, "0123456789", 10);
    teardown(&x, &r);
    /* Content-Length: exactly that many bytes. */
    setup(&x, &r, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 1000);
    assert_int_equal(wf_http_body_feed_locked(&r, &x, (const uint8_t *)"abc", 3, 2), 2);
    assert_int_equal(wf_http_body_feed_locked(&r, &x, (const uint8_t *)"cdefGET", 7, 100), 3);
    assert_true(x.body_ended);
    assert_memory_equal(x.body_in.data, "abcde", 5);
    teardown(&x, &r);
}

static void expect_fail(const char *body, uint64_t limit, wf_http_body_fail want)
{
    wf_http_exchange x;
    http_body_reader r;
    setup(&x, &r, CHUNKED, limit);
    feed(&x, &r, body, strlen(body), 1, SIZE_MAX);
    assert_false(x.body_ended);
    assert_int_equal(x.body_fail, want);
    teardown(&x, &r);
}

static void test_chunked_failures(void **state)
{
    (void)state;
    expect_fail("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 10, WF_HTTP_BODY_TOO_LARGE);
    expect_fail("fffffffffffffffff\r\n", 1000, WF_HTTP_BODY_MALFORMED);    /* 17 hex digits */
    expect_fail("100000\r\n", 1000, WF_HTTP_BODY_TOO_LARGE);               /* said before it is sent */
    expect_fail("zz\r\n", 1000, WF_HTTP_BODY_MALFORMED);
    expect_fail("\r\n", 1000, WF_HTTP_BODY_MALFORMED);                     /* no size */
    expect_fail("5\nhello\r\n", 1000, WF_HTTP_BODY_MALFORMED);             /* bare LF */
    expect_fail("5\r\nhelloX\r\n", 1000, WF_HTTP_BODY_MALFORMED);          /* no CRLF after the data */
    expect_fail("0\r\nbad name: v\r\n\r\n", 1000, WF_HTTP_BODY_MALFORMED);
    expect_fail("0\r\nx: a\r\n folded\r\n\r\n", 1000, WF_HTTP_BODY_MALFORMED);
    expect_fail("0\r\nx: a\x01\r\n\r\n", 1000, WF_HTTP_BODY_MALFORMED);
    char big[2100] = "0\r\nx: ";
    memset(big + 6, 'a', 2000);
    strcpy(big + 2006, "\r\n\r\n");
    expect_fail(big, 1000, WF_HTTP_BODY_MALFORMED);                        /* trailers over their limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_scan),
        cmocka_unit_test(test_chunked_any_split),
        cmocka_unit_test(test_room_and_length),
        cmocka_unit_test(test_chunked_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
