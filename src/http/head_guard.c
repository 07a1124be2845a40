/*
 * head_guard.c - request heads answered before h2o sees them
 * (head_guard.h): 431 for heads over the limit, 400 for heads whose body
 * framing is ambiguous.
 *
 * The guard replaces the socket's read callback by its own, which looks
 * at what arrived (sock->input, where h2o keeps a request until it is
 * done) and then calls h2o's. h2o puts its own reader back after each
 * response (and reads a pipelined request at once with it): the server
 * attaches the guard again then, so only a pipelined oversized head
 * still gets h2o's 400, and only the first head of what arrived in one
 * read has its framing checked.
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

/* The 400 answer for a head p[0..end) that says two things at once, or
 * NULL: its body's framing (Content-Length values that differ, or
 * Content-Length beside Transfer-Encoding) or its host (RFC 9112 3.2: Host
 * more than once). */
static const char *head_ambiguous(const char *p, const char *end)
{
    const char *cl = NULL;
    size_t cl_len = 0;
    bool te = false;
    int hosts = 0;
    const char *line = memchr(p, '\n', (size_t)(end - p));   /* past the request line */
    for (line = line ? line + 1 : end; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
                if (cl && (cl_len != (size_t)(ve - v) || memcmp(cl, v, cl_len))) return ambiguous;
                cl = v;
                cl_len = (size_t)(ve - v);
            } else if (nl == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
                te = true;
            } else if (nl == 4 && !strncasecmp(line, "host", 4) && ++hosts > 1) {
                return two_hosts;
            }
        }
        line = eol + 1;
    }
    return cl && te ? ambiguous : NULL;
}

/* The status the guard answers the head at the start of p[0..n) with, 0
 * when h2o may have it: 431 when too large (no end within the limit, or
 * more field lines than h2o's parser takes), 400 when ambiguous (*answer
 * says how). *head_len: where the head ends (0: not all arrived). */
static int head_verdict(const wf_http_head_guard *g, const char *p, size_t n, size_t *head_len,
                        const char **answer)
{
    size_t scan = n < g->limit + 4 ? n : g->limit + 4;
    const char *end = head_end(p, scan);
    *head_len = end ? (size_t)(end - p) : 0;
    if (!end) return n > g->limit ? 431 : 0;
    size_t lines = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        if (++lines > H2O_MAX_HEADERS + 2) return 431;   /* the request line and the blank line aside */
    *answer = head_ambiguous(p, end);
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
    /* Bytes already in were seen by h2o's reader (a request pipelined
     * behind the last one, parsed as that one ended): its head is h2o's. */
    g->head_seen = sock->input->size != 0;
    if (h1_read && sock->_cb.read == h1_read) sock->_cb.read = guarded_read;
}
