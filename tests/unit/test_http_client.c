/* test_http_client.c - the outgoing HTTP client (src/http/client*.c) against
 * a small server of the test's own on loopback, which lets each case shape
 * the wire: status, headers and body come back as sent; a streamed request
 * body arrives chunked and whole; a response larger than the client's buffer
 * arrives whole (the transfer pauses and resumes); a slow answer parks its
 * caller: 16 requests waiting 300 ms each on a scheduler group of 2 workers
 * take about 300 ms, not 16 x 300 / 2; redirects are followed and checked
 * against the policy; the policy's patterns; trailers after a chunked body; refused connections, timeouts
 * (the transfer's, the caller's, between bytes of the body) and bad URLs give their error kinds and
 * classes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "http/client.h"
#include "runtime/sched.h"

/* ---- the test's server ----------------------------------------------------------- */

static int server_fd;
static unsigned server_port;
static char base_url[64];

/* Read a request: head, then a Content-Length or chunked body. */
static bool read_request(int fd, wf_buf *head, wf_buf *body)
{
    char c;
    while (head->len < 4 || memcmp(head->data + head->len - 4, "\r\n\r\n", 4)) {
        if (read(fd, &c, 1) != 1) return false;
        wf_buf_byte(head, (uint8_t)c);
    }
    wf_buf_byte(head, 0);
    head->len--;
    const char *h = (const char *)head->data;
    const char *cl = strcasestr(h, "\r\ncontent-length:");
    if (cl) {
        long n = atol(cl + 17);
        for (long i = 0; i < n; i++) {
            if (read(fd, &c, 1) != 1) return false;
            wf_buf_byte(body, (uint8_t)c);
        }
    } else if (strcasestr(h, "\r\ntransfer-encoding: chunked")) {
        for (;;) {
            char line[32];
            size_t k = 0;
            while (k < sizeof line - 1 && read(fd, &c, 1) == 1 && c != '\n') line[k++] = c;
            line[k] = 0;
            long n = strtol(line, NULL, 16);
            for (long i = 0; i < n; i++) {
                if (read(fd, &c, 1) != 1) return false;
                wf_buf_byte(body, (uint8_t)c);
            }
            if (read(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) return false;   /* CRLF */
            if (n == 0) break;
        }
    }
    return true;
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        /* a client that aborted has closed its end: an error here, not SIGPIPE */
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        b += k;
        n -= (size_t)k;
    }
}

static void respond(int fd, const char *status, const char *extra, const void *body, size_t n)
{
    char head[512];
    int k = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, n, extra);
    write_all(fd, head, (size_t)k);
    write_all(fd, body, n);
}

static void *serve_one(void *arg)
{
    int fd = (int)(intptr_t)arg;
    wf_buf head = {0}, body = {0};
    if (!read_request(fd, &head, &body)) goto out;
    char method[16] = "", path[256] = "";
    sscanf((const char *)head.data, "%15s %255s", method, path);
    if (!strcmp(path, "/echo")) {
        /* the method, the X-Test header and the body, as text */
        const char *x = strcasestr((const char *)head.data, "\r\nx-test: ");
        char xv[64] = "";
        if (x) sscanf(x + 10, "%63[^\r]", xv);
        wf_buf out = {0};
        char line[128];
        snprintf(line, sizeof line, "%s %s chunked=%d\n", method, xv,
                 strcasestr((const char *)head.data, "transfer-encoding: chunked") != NULL);
        wf_buf_str(&out, line);
        wf_buf_bytes(&out, body.data, body.len);
        respond(fd, "201 Created", "X-Reply: yes\r\nSet-Cookie: a=1\r\n", out.data, out.len);
        wf_buf_free(&out);
    } else if (!strcmp(path, "/big")) {
        size_t n = 3 * WF_HTTP_CLIENT_BUFFER + 12345;
        uint8_t *b = malloc(n);
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i * 7);
        respond(fd, "200 OK", "", b, n);
        free(b);
    } else if (!strcmp(path, "/slow")) {
        usleep(300 * 1000);
        respond(fd, "200 OK", "", "late", 4);
    } else if (!strcmp(path, "/stall")) {
        /* half the body, then silence far past the case's between-bytes timeout */
        const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello";
        write_all(fd, r, strlen(r));
        usleep(3000 * 1000);
        write_all(fd, "world", 5);
    } else if (!strcmp(path, "/dribble")) {
        /* ten bytes, one every 50 ms */
        const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n";
        write_all(fd, r, strlen(r));
        for (int i = 0; i < 10; i++) {
            usleep(50 * 1000);
            write_all(fd, &"0123456789"[i], 1);
        }
    } else if (!strcmp(path, "/hang")) {
        usleep(1500 * 1000);
    } else if (!strcmp(path, "/trailers")) {
        const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n"
                        "Connection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 42\r\n\r\n";
        write_all(fd, r, strlen(r));
    } else if (!strcmp(path, "/redirect")) {
        respond(fd, "302 Found", "Location: /echo\r\n", "", 0);
    } else if (!strcmp(path, "/away")) {
        respond(fd, "301 Moved", "Location: http://elsewhere.invalid:9/x\r\n", "", 0);
    } else {
        respond(fd, "404 Not Found", "", "nope", 4);
    }
out:
    wf_buf_free(&head);
    wf_buf_free(&body);
    close(fd);
    return NULL;
}

static void *server_loop(void *arg)
{
    for (;;) {
        int fd = accept(server_fd, NULL, NULL);
        if (fd < 0) return NULL;
        pthread_t t;
        pthread_create(&t, NULL, serve_one, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

static int setup(void **state)
{
    server_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(server_fd, (struct sockaddr *)&a, sizeof a) || listen(server_fd, 64)) return -1;
    socklen_t len = sizeof a;
    getsockname(server_fd, (struct sockaddr *)&a, &len);
    server_port = ntohs(a.sin_port);
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", server_port);
    pthread_t t;
    pthread_create(&t, NULL, server_loop, NULL);
    pthread_detach(t);
    return 0;
}

/* One buffer for the whole test: for the test's own thread only. */
static char *url(const char *path)
{
    static char u[128];
    snprintf(u, sizeof u, "%s%s", base_url, path);
    return u;
}

/* ---- cases --------------------------------------------------------------------------------- */

static void test_policy(void **state)
{
    const char *pats[] = {"*.example.com:443", "127.0.0.1:*", "api.test", "[::1]:8080"};
    wf_http_client_policy p = {pats, 4};
    assert_true(wf_http_client_policy_allows(&p, "a.example.com", 443));
    assert_true(wf_http_client_policy_allows(&p, "A.B.Example.COM", 443));
    assert_false(wf_http_client_policy_allows(&p, "a.example.com", 80));
    assert_false(wf_http_client_policy_allows(&p, "example.com", 443));
    assert_true(wf_http_client_policy_allows(&p, "127.0.0.1", 1));
    assert_false(wf_http_client_policy_allows(&p, "127.0.0.2", 1));
    assert_true(wf_http_client_policy_allows(&p, "api.test", 8443));
    assert_true(wf_http_client_policy_allows(&p, "::1", 8080));
    assert_false(wf_http_client_policy_allows(&p, "::1", 8081));
    wf_http_client_policy none = {NULL, 0};
    assert_false(wf_http_client_policy_allows(&none, "127.0.0.1", 80));
    assert_true(wf_http_client_policy_allows(NULL, "anything", 1));
}

static void test_fetch_basic(void **state)
{
    wf_http_client *cl = wf_http_client_shared();
    assert_non_null(cl);
    wf_http_client_field h[] = {{"X-Test", "hello"}};
    wf_http_client_req rq = {.method = "put", .url = url("/echo"), .headers = h, .nheaders = 1,
                             .body = "payload", .body_len = 7};
    wf_http_client_resp r;
    wf_http_client_fail f;
    wf_error *e = wf_http_client_fetch(cl, &rq, 10, 0, 0, &r, &f);
    assert_null(e);
    assert_int_equal(r.status, 201);
    assert_string_equal((char *)r.body, "PUT hello chunked=0\npayload");
    bool reply = false, cookie = false;
    for (size_t i = 0; i < r.nheaders; i++) {
        if (!strcmp(r.headers[i].name, "X-Reply")) reply = !strcmp(r.headers[i].value, "yes");
        if (!strcmp(r.headers[i].name, "Set-Cookie")) cookie = !strcmp(r.headers[i].value, "a=1");
    }
    assert_true(reply && cookie);
    assert_string_equal(r.url, url("/echo"));
    wf_http_client_resp_free(&r);

    /* 404 is an answer, not an error */
    rq = (wf_http_client_req){.url = url("/missing")};
    assert_null(wf_http_client_fetch(cl, &rq, 10, 0, 0, &r, &f));
    assert_int_equal(r.status, 404);
    assert_string_equal((char *)r.body, "nope");
    wf_http_client_resp_free(&r);
}

static void test_streamed_body(void **state)
{
    wf_http_client *cl = wf_http_client_shared();
    wf_http_client_req rq = {.method = "POST", .url = url("/echo"), .body_streamed = true,
                             .body_length = -1};
    wf_http_client_call *c;
    assert_null(wf_http_client_start(cl, &rq, &c));
    size_t total = 0;
    char part[1000];
    for (int i = 0; i < 700; i++) {   /* 700 KB: more than the send buffer */
        memset(part, 'a' + i % 26, sizeof part);
        assert_null(wf_http_client_send(c, part, sizeof part, 0));
        total += sizeof part;
    }
    assert_null(wf_http_client_finish(c));
    assert_null(wf_http_client_wait_head(c, 0));
    assert_int_equal(wf_http_client_status(c), 201);
    assert_string_equal(wf_http_client_header(c, "x-reply"), "yes");
    wf_buf got = {0};
    char buf[4096];
    size_t n;
    while (!wf_http_client_read(c, buf, sizeof buf, &n, 0) && n) wf_buf_bytes(&got, buf, n);
    const char *hdr = "POST  chunked=1\n";
    assert_int_equal(got.len, strlen(hdr) + total);
    assert_memory_equal(got.data, hdr, strlen(hdr));
    assert_int_equal(got.data[strlen(hdr) + 1000 * 25], 'z');
    assert_int_equal(got.data[strlen(hdr) + 1000 * 26], 'a');
    wf_buf_free(&got);
    wf_http_client_call_free(c);
}

static void test_big_response(void **state)
{
    wf_http_client *cl = wf_http_client_shared();
    wf_http_client_req rq = {.url = url("/big")};
    wf_http_client_call *c;
    assert_null(wf_http_client_start(cl, &rq, &c));
    assert_null(wf_http_client_wait_head(c, 0));
    usleep(100 * 1000);   /* let the client fill its buffer and pause */
    bool ended;
    assert_true(wf_http_client_readable(c, &ended) <= WF_HTTP_CLIENT_BUFFER + 65536);
    size_t total = 0, n;
    bool ok = true;
    uint8_t buf[7000];
    while (!wf_http_client_read(c, buf, sizeof buf, &n, 0) && n) {
        for (size_t i = 0; i < n; i++) ok &= buf[i] == (uint8_t)((total + i) * 7);
        total += n;
    }
    assert_true(ok);
    assert_int_equal(total, 3 * WF_HTTP_CLIENT_BUFFER + 12345);
    wf_http_client_call_free(c);
}

/* ---- parking on the scheduler ----------------------------------------------------------------- */

typedef struct slow_task {
    wf_task task;
    wf_error *err;
    int status;
} slow_task;

static void slow_run(wf_task *t)
{
    slow_task *s = (slow_task *)t;
    char u[128];   /* its own: url()'s buffer is shared, and two workers run this at once */
    snprintf(u, sizeof u, "%s/slow", base_url);
    wf_http_client_req rq = {.url = u};
    wf_http_client_resp r;
    s->err = wf_http_client_fetch(wf_http_client_shared(), &rq, 0, 0, 0, &r, NULL);
    if (!s->err) s->status = r.status;
    wf_http_client_resp_free(&r);
}

static void test_parks_on_fibers(void **state)
{
    wf_sched *s = wf_sched_new();
    wf_sched_group *g;
    wf_sched_group_config cfg = {.min_workers = 2, .max_workers = 2, .start_workers = 2};
    assert_null(wf_sched_group_new(s, &cfg, &g));
    enum { N = 16 };
    slow_task tasks[N];
    memset(tasks, 0, sizeof tasks);
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < N; i++) {
        tasks[i].task.run = slow_run;
        assert_int_equal(wf_sched_submit(g, &tasks[i].task, 0), WF_SUBMIT_OK);
    }
    wf_sched_group_wait_idle(g);
    uint64_t ms = (wf_now_ns() - t0) / 1000000;
    for (int i = 0; i < N; i++) {
        if (tasks[i].err) fail_msg("request %d: %s", i, tasks[i].err->message);
        assert_int_equal(tasks[i].status, 200);
    }
    print_message("16 slow requests on 2 workers: %llu ms\n", (unsigned long long)ms);
    /* holding a worker each would take 8 x 300 ms */
    assert_true(ms < 1500);
    assert_true(ms >= 290);
    wf_sched_group_free(g);
    wf_sched_free(s);
}

/* ---- policy, redirects, failures ----------------------------------------------------------------- */

static void test_redirects(void **state)
{
    wf_http_client *cl = wf_http_client_shared();
    wf_http_client_field h[] = {{"X-Test", "r"}};
    wf_http_client_req rq = {.method = "POST", .url = url("/redirect"), .headers = h, .nheaders = 1,
                             .body = "x", .body_len = 1};
    wf_http_client_resp r;
    wf_http_client_fail f;
    assert_null(wf_http_client_fetch(cl, &rq, 10, 0, 0, &r, &f));
    assert_int_equal(r.status, 201);
    assert_string_equal((char *)r.body, "GET r chunked=0\n");   /* 302: GET, body dropped */
    assert_string_equal(r.url, url("/echo"));
    wf_http_client_resp_free(&r);

    /* without following: the 302 itself */
    rq.url = url("/redirect");
    assert_null(wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f));
    assert_int_equal(r.status, 302);
    wf_http_client_resp_free(&r);

    /* a redirect to a host the policy does not allow */
    const char *pats[] = {"127.0.0.1:*"};
    wf_http_client_policy p = {pats, 1};
    rq = (wf_http_client_req){.url = url("/away"), .policy = &p};
    wf_error *e = wf_http_client_fetch(cl, &rq, 10, 0, 0, &r, &f);
    assert_non_null(e);
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_DENIED);
    assert_non_null(strstr(e->message, "not allowed: http://elsewhere.invalid:9/x"));
    wf_error_free(e);
}

static void test_failures(void **state)
{
    wf_http_client *cl = wf_http_client_shared();
    wf_http_client_resp r;
    wf_http_client_fail f;
    const char *pats[] = {"example.com:443"};
    wf_http_client_policy p = {pats, 1};
    wf_http_client_req rq = {.url = url("/echo"), .policy = &p};
    wf_error *e = wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_DENIED);
    wf_error_free(e);

    rq = (wf_http_client_req){.url = "ftp://127.0.0.1/x"};
    e = wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "only http and https"));
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_BAD_REQUEST);
    wf_error_free(e);

    wf_http_client_field bad[] = {{"X-Bad", "a\r\nInjected: 1"}};
    rq = (wf_http_client_req){.url = url("/echo"), .headers = bad, .nheaders = 1};
    e = wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f);
    assert_non_null(e);
    assert_string_equal(e->message, "invalid value of header `X-Bad`");
    wf_error_free(e);

    /* a port nobody listens on: refused */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u/", ntohs(a.sin_port));
    close(s);
    rq = (wf_http_client_req){.url = u};
    e = wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_IO);
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_REFUSED);
    wf_error_free(e);

    /* the transfer's timeout, then the caller's own deadline */
    rq = (wf_http_client_req){.url = url("/hang"), .timeout_ms = 200};
    uint64_t t0 = wf_now_ns();
    e = wf_http_client_fetch(cl, &rq, 0, 0, 0, &r, &f);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_TIMEOUT);
    assert_true(wf_now_ns() - t0 < 1000000000u);
    wf_error_free(e);
    rq = (wf_http_client_req){.url = url("/hang")};
    e = wf_http_client_fetch(cl, &rq, 0, 0, wf_now_ns() + 150000000u, &r, &f);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    wf_error_free(e);

    /* a body over the fetch limit */
    rq = (wf_http_client_req){.url = url("/big")};
    e = wf_http_client_fetch(cl, &rq, 0, 1000, 0, &r, &f);
    assert_non_null(e);
    assert_int_equal(f, WF_HTTP_CLIENT_FAIL_TOO_LARGE);
    wf_error_free(e);
}

static void test_trailers(void **state)
{
    wf_http_client_req rq = {.url = url("/trailers")};
    wf_http_client_call *c;
    assert_null(wf_http_client_start(wf_http_client_shared(), &rq, &c));
    assert_null(wf_http_client_wait_head(c, 0));
    char buf[64];
    size_t n, total = 0;
    while (!wf_http_client_read(c, buf, sizeof buf, &n, 0) && n) total += n;
    assert_int_equal(total, 5);
    assert_int_equal(wf_http_client_trailer_count(c), 1);
    wf_http_client_field t = wf_http_client_trailer_at(c, 0);
    assert_string_equal(t.name, "X-Sum");
    assert_string_equal(t.value, "42");
    assert_null(wf_http_client_header(c, "X-Sum"));   /* not a header */
    wf_http_client_call_free(c);
}

/* Read the whole body of c into *total bytes; the read's error, if any. */
static wf_error *read_all(wf_http_client_call *c, size_t *total, int sleep_ms_first)
{
    char buf[4096];
    size_t n;
    wf_error *e;
    *total = 0;
    if (sleep_ms_first) usleep((useconds_t)sleep_ms_first * 1000);
    while (!(e = wf_http_client_read(c, buf, sizeof buf, &n, 0)) && n) *total += n;
    return e;
}

/* between_bytes_ms: a body that stalls mid-way fails TIMEOUT (READ_TIMEOUT)
 * after the bytes that came; one that dribbles within it, and one waiting
 * for its slow reader (paused: not the server's silence), arrive whole. */
static void test_between_bytes(void **state)
{
    wf_http_client_req rq = {.url = url("/stall"), .between_bytes_ms = 200};
    wf_http_client_call *c;
    size_t total;
    assert_null(wf_http_client_start(wf_http_client_shared(), &rq, &c));
    assert_null(wf_http_client_wait_head(c, 0));
    assert_int_equal(wf_http_client_status(c), 200);
    wf_error *e = read_all(c, &total, 0);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    assert_non_null(strstr(e->message, "no response body bytes for 200 ms (between-bytes timeout)"));
    assert_int_equal(wf_http_client_failure(c), WF_HTTP_CLIENT_FAIL_READ_TIMEOUT);
    assert_int_equal(total, 5);
    wf_error_free(e);
    wf_http_client_call_free(c);

    rq = (wf_http_client_req){.url = url("/dribble"), .between_bytes_ms = 1000};
    assert_null(wf_http_client_start(wf_http_client_shared(), &rq, &c));
    assert_null(read_all(c, &total, 0));
    assert_int_equal(total, 10);
    assert_int_equal(wf_http_client_failure(c), WF_HTTP_CLIENT_FAIL_NONE);
    wf_http_client_call_free(c);

    rq = (wf_http_client_req){.url = url("/big"), .between_bytes_ms = 100};
    assert_null(wf_http_client_start(wf_http_client_shared(), &rq, &c));
    assert_null(wf_http_client_wait_head(c, 0));
    assert_null(read_all(c, &total, 600));
    assert_int_equal(total, 3 * WF_HTTP_CLIENT_BUFFER + 12345);
    wf_http_client_call_free(c);
}

/* A call freed mid-transfer, and a private client freed with nothing left. */
static void test_abort_and_free(void **state)
{
    wf_http_client *cl;
    assert_null(wf_http_client_new(&cl));
    wf_http_client_req rq = {.url = url("/big")};
    wf_http_client_call *c;
    assert_null(wf_http_client_start(cl, &rq, &c));
    assert_null(wf_http_client_wait_head(c, 0));
    wf_http_client_call_free(c);
    rq.url = url("/hang");
    assert_null(wf_http_client_start(cl, &rq, &c));
    wf_http_client_call_free(c);
    wf_http_client_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_fetch_basic),
        cmocka_unit_test(test_streamed_body),
        cmocka_unit_test(test_big_response),
        cmocka_unit_test(test_parks_on_fibers),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_between_bytes),
        cmocka_unit_test(test_abort_and_free),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
