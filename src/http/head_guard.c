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

static const char ambiguous[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 48\r\n"
                                "Connection: close\r\n"
                                "Server: wasmfn\r\n"
                                "\r\n"
                                "conflicting Content-Length or Transfer-Encoding\n";

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

static const char two_hosts[] = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Length: 26\r\n"
                                "Connection: close\r\n"
                                "Server: wasmfn\r\n"
                                "\r\n"
                                "more than one Host header\n";

/* The answer for a head p[0..end) that says two things at once: its body's
 * framing (Content-Length values that differ, or Content-Length beside
 * Transfer-Encoding) or its host (RFC 9112 3.2: Host more than once). */
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

/* The answer for the head at the start of p[0..n), NULL when h2o may
 * have it: too large (no end within the limit, or more field lines than
 * h2o's parser takes) or ambiguously framed. */
static const char *head_verdict(const wf_http_head_guard *g, const char *p, size_t n)
{
    size_t scan = n < g->limit + 4 ? n : g->limit + 4;
    const char *end = head_end(p, scan);
    if (!end) return n > g->limit ? too_large : NULL;
    size_t lines = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        if (++lines > H2O_MAX_HEADERS + 2) return too_large;   /* the request line and the blank line aside */
    return head_ambiguous(p, end);
}

static void on_answered(h2o_socket_t *sock, const char *err)
{
    /* The answer is out: end our side; the client's close ends the rest. */
    if (!err) shutdown(h2o_socket_get_fd(sock), SHUT_WR);
}

static void guarded_read(h2o_socket_t *sock, const char *err)
{
    wf_http_head_guard *g = sock->on_close.data;
    if (!err && g->tripped) {
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    const char *verdict = err ? NULL : head_verdict(g, sock->input->bytes, sock->input->size);
    if (verdict) {
        g->tripped = true;
        h2o_buffer_consume(&sock->input, sock->input->size);
        h2o_iovec_t buf = h2o_iovec_init(verdict, strlen(verdict));
        h2o_socket_write(sock, &buf, 1, on_answered);
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
    if (h1_read && sock->_cb.read == h1_read) sock->_cb.read = guarded_read;
}
