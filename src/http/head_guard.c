/*
 * head_guard.c - request heads answered before h2o sees them
 * (head_guard.h): 431 for heads over the limit, 400 for heads whose body
 * framing is ambiguous or that h2o's parser cannot read.
 *
 * The guard replaces the socket's read callback by its own, which looks
 * at what arrived (sock->input, where h2o keeps a request until it is
 * done), reads a whole head with h2o's own parser, and then calls h2o's
 * reader. h2o puts its own reader back after each response and parses a
 * request already in the input at once, bypassing any read callback; so
 * what follows a request h2o took is held out of the input
 * (wf_http_head_guard_hold) until h2o waits for the next request, and
 * then read through the guard (wf_http_head_guard_resume): every head of
 * a pipeline is checked as the first of a read is.
 *
 * Framing (RFC 9112 6.3): h2o takes the first of several Content-Length
 * fields and Transfer-Encoding over Content-Length, silently. A proxy in
 * front that reads the same bytes the other way sees different requests
 * (request smuggling), so a head with Content-Length values that differ,
 * or with both fields, is refused: 400, and the connection closes; so is
 * a head with more than one Host (RFC 9112 3.2).
 *
 * A head within the limit is shown to on_head (once per request) before
 * h2o parses it: the server reads request bodies itself that way, and may
 * have it answered 413 (a Content-Length over the limit). Every answer of
 * the guard is told to on_reject (the server's access log), since h2o
 * never sees a request for it.
 *
 * A tripped connection is the guard's alone: h2o's reader is not called
 * again but to be told of the end (an error), when it closes the socket;
 * h2o has no request on it, so nothing else writes there.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/head_guard.h"

/* h2o's HTTP/1 request reader, seen on the first accepted socket. */
static h2o_socket_cb h1_read;

static const char too_large[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 26\r\n"
                                "Connection: close\r\n"
                                "Server: wasmfn\r\n"
                                "\r\n"
                                "request headers too large\n";

static const char body_too_large[] = "HTTP/1.1 413 Payload Too Large\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Content-Length: 28\r\n"
                                     "Connection: close\r\n"
                                     "Server: wasmfn\r\n"
                                     "\r\n"
                                     "request entity is too large\n";

static const char ambiguous[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 48\r\n"
                                "Connection: close\r\n"
                                "Server: wasmfn\r\n"
                                "\r\n"
                                "conflicting Content-Length or Transfer-Encoding\n";

static const char two_hosts[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 26\r\n"
                                "Connection: close\r\n"
                                "Server: wasmfn\r\n"
                                "\r\n"
                                "more than one Host header\n";

/* h2o's own request parser (picohttpparser, built into libh2o and
 * exported by it; Debian installs no header for it). The guard reads each
 * head with it, exactly as h2o will: its length and fields are h2o's, so a
 * check cannot be passed by a head h2o reads another way. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

static const char unreadable[] = "HTTP/1.1 400 Bad Request\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 23\r\n"
                                 "Connection: close\r\n"
                                 "Server: wasmfn\r\n"
                                 "\r\n"
                                 "malformed request head\n";

/* The end of the head at p[0..n) (past its blank line, CRLF or a bare LF
 * as h2o takes), or NULL when it has not all arrived. */
static const char *head_end(const char *p, size_t n)
{
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))); q++) {
        if (q + 1 < p + n && q[1] == '\n') return q + 2;
        if (q + 2 < p + n && q[1] == '\r' && q[2] == '\n') return q + 3;
    }
    return NULL;
}

static bool named(const struct phr_header *h, const char *name, size_t len)
{
    return h->name_len == len && !strncasecmp(h->name, name, len);
}

/* The 400 answer for a head whose fields (as h2o's parser read them) say
 * two things at once, or NULL: its body's framing (Content-Length values
 * that differ, or Content-Length beside Transfer-Encoding) or its host
 * (RFC 9112 3.2: Host more than once). */
static const char *head_ambiguous(const struct phr_header *hs, size_t n)
{
    const struct phr_header *cl = NULL;
    bool te = false;
    int hosts = 0;
    for (size_t i = 0; i < n; i++) {
        const struct phr_header *h = &hs[i];
        if (!h->name) continue;   /* an obs-fold continuation line: on_req refuses it */
        if (named(h, "content-length", 14)) {
            if (cl && (cl->value_len != h->value_len || memcmp(cl->value, h->value, h->value_len))) return ambiguous;
            cl = h;
        } else if (named(h, "transfer-encoding", 17)) {
            te = true;
        } else if (named(h, "host", 4) && ++hosts > 1) {
            return two_hosts;
        }
    }
    return cl && te ? ambiguous : NULL;
}

/* The status the guard answers the head at the start of p[0..n) with, 0
 * when h2o may have it: 431 when too large (no end within the limit, or
 * more field lines than h2o's parser takes), 400 when ambiguous or
 * unreadable (*answer says how). *head_len: where the head ends (0: not
 * all arrived, or h2o's to answer). */
static int head_verdict(const wf_http_head_guard *g, const char *p, size_t n, size_t *head_len,
                        const char **answer)
{
    *head_len = 0;
    struct phr_header hs[H2O_MAX_HEADERS];
    size_t nh = H2O_MAX_HEADERS, ml, pl;
    const char *m, *path;
    int minor;
    int r = phr_parse_request(p, n < H2O_MAX_REQLEN ? n : H2O_MAX_REQLEN, &m, &ml, &path, &pl, &minor, hs, &nh, 0);
    /* The common case: a whole head the parser read, with fewer field
     * lines than it takes. Its end is the first blank line and its lines
     * are its fields plus two (request line, blank line; a skipped empty
     * line before it makes three, hence the margin): the scans below
     * would find what the parse found, and are left to every other head. */
    if (r >= 0 && nh < H2O_MAX_HEADERS - 1) {
        if ((size_t)r > g->limit) return 431;
        *head_len = (size_t)r;
        *answer = head_ambiguous(hs, nh);
        return *answer ? 400 : 0;
    }
    size_t scan = n < g->limit + 4 ? n : g->limit + 4;
    const char *end = head_end(p, scan);
    if (!end) return n > g->limit ? 431 : 0;
    size_t lines = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        if (++lines > H2O_MAX_HEADERS + 2) return 431;   /* the request line and the blank line aside */
    if (r == -2) return n > g->limit ? 431 : 0;
    if (r < 0) {
        /* h2o's: an HTTP/2 connection preface (h2o switches to HTTP/2),
         * and the few bytes of line ends some clients send after a body
         * (h2o closes without an answer). */
        static const char preface[] = "PRI * HTTP/2";
        if (n >= sizeof preface - 1 && !memcmp(p, preface, sizeof preface - 1)) return 0;
        size_t crlf = 0;
        while (crlf < n && (p[crlf] == '\r' || p[crlf] == '\n')) crlf++;
        if (n <= 4 && crlf == n) return 0;
        *answer = unreadable;
        return 400;
    }
    if ((size_t)r > g->limit) return 431;
    *head_len = (size_t)r;
    *answer = head_ambiguous(hs, nh);
    return *answer ? 400 : 0;
}

/* How much of a rejected head's first line on_reject gets. */
#define WF_HEAD_LOG_MAX 512

static void on_answered(h2o_socket_t *sock, const char *err)
{
    /* The answer is out: end our side; the client's close ends the rest. */
    if (!err) shutdown(h2o_socket_get_fd(sock), SHUT_WR);
}

/* Answer the request at the start of input with status (431, 413, 400;
 * answer: its text, NULL for the status's usual one) and swallow the rest
 * of the connection. */
static void trip(wf_http_head_guard *g, h2o_socket_t *sock, int status, const char *answer)
{
    if (!answer) answer = status == 413 ? body_too_large : status == 400 ? ambiguous : too_large;
    size_t len = strlen(answer);
    g->tripped = true;
    g->passed = false;
    wf_http_head_guard_free(g);
    if (g->on_reject) {
        /* The request line, for the access log. */
        size_t n = sock->input->size < WF_HEAD_LOG_MAX ? sock->input->size : WF_HEAD_LOG_MAX;
        const char *eol = memchr(sock->input->bytes, '\n', n);
        g->on_reject(g, status, sock->input->bytes, eol ? (size_t)(eol - sock->input->bytes) : 0, len);
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
    h2o_iovec_t buf = h2o_iovec_init(answer, len);
    h2o_socket_write(sock, &buf, 1, on_answered);
}

static void guarded_read(h2o_socket_t *sock, const char *err)
{
    wf_http_head_guard *g = sock->on_close.data;
    if (!err && g->tripped) {
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    size_t head_len = 0;
    const char *answer = NULL;
    int status = err ? 0 : head_verdict(g, sock->input->bytes, sock->input->size, &head_len, &answer);
    if (!status && head_len && g->on_head && !g->head_seen) {
        g->head_seen = true;
        status = g->on_head(g, sock, head_len);
    }
    if (status) {
        trip(g, sock, status, answer);
        return;
    }
    if (head_len) {
        g->passed = true;
        g->head_len = head_len;
    }
    sock->_cb.read = h1_read;
    h1_read(sock, err);
    /* h2o may have closed sock (its memory lives until the loop's next
     * round, g's may not: not touched again) or handed it to another
     * reader: only its own gets the guard. */
    if (sock->_cb.read == h1_read) sock->_cb.read = guarded_read;
}

void wf_http_head_guard_attach(h2o_socket_t *sock, wf_http_head_guard *g, size_t limit)
{
    if (!h1_read && sock->_cb.read != guarded_read) h1_read = sock->_cb.read;
    g->limit = limit < H2O_MAX_REQLEN - 1 ? limit : H2O_MAX_REQLEN - 1;
    /* Bytes already in were seen by h2o's reader: its head is h2o's. */
    g->head_seen = sock->input->size != 0;
    if (h1_read && sock->_cb.read == h1_read) sock->_cb.read = guarded_read;
}

void wf_http_head_guard_hold(wf_http_head_guard *g, h2o_socket_t *sock, size_t end)
{
    if (end >= sock->input->size) return;
    size_t n = sock->input->size - end;
    char *held = realloc(g->held, g->held_len + n);
    if (!held) abort();
    /* Before what is held already (a request is taken from the front). */
    memmove(held + n, held, g->held_len);
    memcpy(held, sock->input->bytes + end, n);
    g->held = held;
    g->held_len += n;
    sock->input->size = end;
}

void wf_http_head_guard_resume(h2o_socket_t *sock, wf_http_head_guard *g, size_t limit)
{
    wf_http_head_guard_attach(sock, g, limit);
    if (!g->held_len || g->tripped) return;
    if (sock->_cb.read != guarded_read) {
        /* Not h2o's HTTP/1 reader waiting for a request: closing, or
         * another protocol. What was held is nobody's. */
        wf_http_head_guard_free(g);
        return;
    }
    h2o_iovec_t room = h2o_buffer_reserve(&sock->input, g->held_len);
    memcpy(room.base, g->held, g->held_len);
    sock->input->size += g->held_len;
    wf_http_head_guard_free(g);
    g->head_seen = false;
    guarded_read(sock, NULL);
}

void wf_http_head_guard_free(wf_http_head_guard *g)
{
    free(g->held);
    g->held = NULL;
    g->held_len = 0;
}
