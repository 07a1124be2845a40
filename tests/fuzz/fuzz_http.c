/*
 * fuzz_http.c - libFuzzer target for wasmfn's HTTP request path: the
 * input is the bytes a client sends on one HTTP/1.1 connection (pipelined
 * requests, chunked or sized bodies, HTTP/2 prior knowledge, garbage) to a
 * real server of this process on 127.0.0.1, whose routes have literal,
 * {param} and {rest...} segments, per-method and "*" routes, a streaming
 * route (POST /upload: the body read as it arrives, body_in.c's decoding
 * fuzzed), and handlers that read every part of the request (params,
 * query, headers, body) and answer small, streamed or empty responses. Its limits are small (1 KiB of
 * headers, 512 bytes of body, 2 s to read a request) so fuzzed input
 * reaches them.
 *
 * Checks: whatever the input, the server answers with well-formed HTTP/1.x
 * status lines (or nothing, or an HTTP/2 frame for prior knowledge), the
 * echo handler's report matches what the route table says for the path,
 * and afterwards a plain request on a new connection is still answered 200
 * (the server neither died nor wedged). The same bytes also go straight to
 * the route matcher (method up to the first space, path to the next) and
 * the percent decoder, which must agree with each other.
 *
 * FUZZ_HTTP_TRACE=1 in the environment prints each answer to stderr.
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_int.h"
#include "runtime/sched.h"
#include "runtime/timer.h"

static wf_http_server *server;
static wf_http_routes *table;   /* the same table as the server's, for direct matching */
static int port;

/* GET/POST /items/{id}...: "id=<id> q=<query> n=<headers> body=<len>". */
static void echo(wf_http_exchange *x, void *ud)
{
    (void)ud;
    const wf_http_request *r = wf_http_request_of(x);
    char out[512];
    int n = snprintf(out, sizeof out, "route=%s params=%zu q=%zu n=%zu body=%zu ua=%s", r->route,
                     wf_http_param_count(x), strlen(r->query), r->nheaders, r->body_len,
                     wf_http_header_get(r, "user-agent") ? "yes" : "no");
    for (size_t i = 0; i < wf_http_param_count(x); i++) {
        const char *name, *value;
        wf_http_param_at(x, i, &name, &value);
        FUZZ_CHECK(name && value && wf_http_param(x, name) != NULL, "param %zu has no value", i);
    }
    wf_http_set_status(x, 200);
    wf_http_add_header(x, "X-Echo", "1");
    wf_http_write(x, out, n > 0 ? (size_t)n : 0);
    wf_http_finish(x);
}

/* A streamed response: flushed head, then chunks. */
static void stream(wf_http_exchange *x, void *ud)
{
    (void)ud;
    wf_http_add_header(x, "Content-Type", "text/plain");
    wf_http_write(x, "one\n", 4);
    wf_http_flush(x);
    for (int i = 0; i < 3 && !wf_http_client_gone(x); i++) wf_http_write(x, "more\n", 5);
    wf_http_finish(x);
}

/* POST /upload (a streaming route): the body read as it arrives, a
 * small buffer at a time, waiting between; "up=<bytes> fail=<why>
 * trailers=<n>". Whole bodies (HTTP/2, pipelined) read the same. */
static void upload(wf_http_exchange *x, void *ud)
{
    (void)ud;
    char buf[64];
    size_t total = 0, n;
    wf_http_body_fail why = WF_HTTP_BODY_OK;
    const wf_http_request *r = wf_http_request_of(x);
    for (;;) {
        wf_http_body_state st = wf_http_body_read(x, buf, sizeof buf, &n, &why);
        if (st == WF_HTTP_BODY_DATA) {
            total += n;
            continue;
        }
        if (st == WF_HTTP_BODY_WAIT) {
            wf_error *e = wf_http_body_wait(x);
            if (!e) continue;
            wf_error_free(e);
        }
        break;
    }
    if (!wf_http_body_streaming(x)) total = r->body_len;
    FUZZ_CHECK(total <= 512, "a streamed body passed the limit: %zu bytes", total);
    char out[128];
    int k = snprintf(out, sizeof out, "up=%zu fail=%d trailers=%zu", total, (int)why, wf_http_body_trailer_count(x));
    wf_http_respond(x, why ? 400 : 200, "text/plain", out, k > 0 ? (size_t)k : 0);
}

/* Returns without answering: the server must answer 500 for it. */
static void silent(wf_http_exchange *x, void *ud)
{
    (void)x;
    (void)ud;
}

static void root(wf_http_exchange *x, void *ud)
{
    (void)ud;
    wf_http_respond(x, 200, "text/plain", "root\n", 5);
}

static void add(wf_http_routes *r, const char *method, const char *pattern, wf_http_handler_fn fn)
{
    wf_error *e = wf_http_routes_add(r, method, pattern, pattern, fn, NULL);
    FUZZ_CHECK(!e, "route %s %s: %s", method, pattern, e->message);
}

static wf_http_routes *routes(void)
{
    wf_http_routes *r = wf_http_routes_new(NULL, NULL);
    wf_error *e = wf_http_routes_add_streaming(r, "POST", "/upload", "/upload", upload, NULL);
    FUZZ_CHECK(!e, "route POST /upload: %s", e->message);
    add(r, "GET", "/", root);
    add(r, "GET", "/items/{id}", echo);
    add(r, "POST", "/items/{id}", echo);
    add(r, "PUT", "/items/{id}/tags/{tag}", echo);
    add(r, "GET", "/items/new", echo);
    add(r, "*", "/any/{rest...}", echo);
    add(r, "GET", "/stream", stream);
    add(r, "DELETE", "/silent", silent);
    return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wf_http_server_config sc = { .sched = wf_sched_new(), .handler_workers = 2, .access_log_off = true };
    wf_error *e = wf_http_server_new(&sc, &server);
    wf_http_service *svc = NULL;
    wf_http_service_config c = { .name = "fuzz", .addr = "127.0.0.1:0", .read_timeout_ms = 2000,
                                 .write_timeout_ms = 5000, .idle_timeout_ms = 2000,
                                 .max_header_bytes = 1024, .max_body_bytes = 512 };
    if (!e) e = wf_http_server_listen(server, &c, &svc);
    if (!e) {
        wf_http_service_set_routes(svc, routes());
        e = wf_http_server_start(server);
    }
    if (e) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", e->message);
        abort();
    }
    port = wf_http_service_port(svc);
    table = routes();
    return 0;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* libFuzzer's SIGALRM (its -timeout watch) may interrupt a connect:
     * the attempt then goes on in the background, so start afresh. */
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno == EINTR) {
        close(fd);
        return connect_server();
    }
    FUZZ_CHECK(rc == 0, "connect: %s", strerror(errno));
    return fd;
}

/* Send data (what the server takes of it: it may close early), half-close,
 * and read the answer until the server closes, at most cap bytes, for at
 * most 25 s (the server's own read timeout is 2 s). */
static size_t exchange(const uint8_t *data, size_t size, char *out, size_t cap)
{
    int fd = connect_server();
    size_t sent = 0, got = 0;
    uint64_t end = wf_now_ns() + 25000000000ull;
    while (sent < size) {
        ssize_t w = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;              /* the server closed: it has answered */
        sent += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        uint64_t now = wf_now_ns();
        FUZZ_CHECK(now < end, "the server neither answered nor closed within 25 s (%zu bytes in)", got);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, (int)((end - now) / 1000000u) + 1) <= 0) continue;
        char tmp[4096];
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;              /* closed (or reset) */
        size_t take = (size_t)r < cap - 1 - got ? (size_t)r : cap - 1 - got;
        memcpy(out + got, tmp, take);
        got += take;
    }
    close(fd);
    out[got] = 0;
    return got;
}

/* Every "HTTP/1." at the start of the answer and after each response is a
 * status line "HTTP/1.x NNN ". Only the first is checked strictly: bodies
 * may hold anything. */
static void check_answer(const char *ans, size_t len)
{
    if (!len) return;
    if (len >= 9 && !memcmp(ans, "\0\0", 2)) return;    /* an HTTP/2 frame (prior knowledge) */
    FUZZ_CHECK(len >= 13 && !memcmp(ans, "HTTP/1.", 7) && (ans[7] == '0' || ans[7] == '1') &&
                   ans[8] == ' ' && ans[9] >= '1' && ans[9] <= '5' && ans[10] >= '0' &&
                   ans[10] <= '9' && ans[11] >= '0' && ans[11] <= '9' && ans[12] == ' ',
               "not a status line: %.40s", ans);
}

/* The matcher on the input's first line, and the decoder on its path. */
static void match_directly(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sp = memchr(s, ' ', size);
    if (!sp || sp == s || (size_t)(sp - s) >= 24) return;
    char method[24];
    memcpy(method, s, (size_t)(sp - s));
    method[sp - s] = 0;
    if (memchr(method, 0, (size_t)(sp - s))) return;
    const char *path = sp + 1;
    size_t rest = size - (size_t)(path - s);
    const char *end = memchr(path, ' ', rest);
    size_t plen = end ? (size_t)(end - path) : rest;
    http_match m;
    wf_http_routes_match(table, method, path, plen, &m);
    if (m.route) {
        FUZZ_CHECK(m.nparams <= 16, "%zu params", m.nparams);
        for (size_t i = 0; i < m.nparams; i++)
            FUZZ_CHECK(m.param_names[i] && m.param_values[i], "param %zu unset", i);
    } else {
        FUZZ_CHECK(m.status == 400 || m.status == 404 || m.status == 405, "status %d", m.status);
        /* 400 is a bad escape: the decoder must refuse the path too */
        if (m.status == 400) {
            char *d = wf_http_pct_decode(path, plen);
            FUZZ_CHECK(!d, "the matcher refused %.*s, the decoder took it", (int)plen, path);
        }
        if (m.status == 405) FUZZ_CHECK(m.allow[0], "405 without Allow");
    }
    wf_http_match_free(&m);
    char *d = wf_http_pct_decode(path, plen);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return -1;
    match_directly(data, size);
    static char ans[1 << 16];
    size_t got = exchange(data, size, ans, sizeof ans);
    if (getenv("FUZZ_HTTP_TRACE")) fprintf(stderr, "--- answer (%zu bytes):\n%s\n", got, ans);
    check_answer(ans, got);
    static const char plain[] = "GET / HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
    got = exchange((const uint8_t *)plain, sizeof plain - 1, ans, sizeof ans);
    FUZZ_CHECK(got >= 15 && !memcmp(ans, "HTTP/1.1 200 ", 13) && strstr(ans, "\r\n\r\nroot\n"),
               "the server no longer answers a plain request: %.60s", ans);
    return 0;
}
