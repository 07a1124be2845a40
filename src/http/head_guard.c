/*
 * head_guard.c - 431 for request heads over the limit (head_guard.h).
 *
 * The guard replaces the socket's read callback by its own, which looks
 * at what arrived (sock->input, where h2o keeps a request until it is
 * done) and then calls h2o's. h2o puts its own reader back after each
 * response (and reads a pipelined request at once with it): the server
 * attaches the guard again then, so only a pipelined oversized head
 * still gets h2o's 400.
 *
 * A tripped connection is the guard's alone: h2o's reader is not called
 * again but to be told of the end (an error), when it closes the socket;
 * h2o has no request on it, so nothing else writes there.
 */
#include <string.h>
#include <sys/socket.h>

#include "http/head_guard.h"

/* How much of a rejected head's first line on_reject gets. */
#define WF_HEAD_LOG_MAX 512

/* h2o's HTTP/1 request reader, seen on the first accepted socket. */
static h2o_socket_cb h1_read;

static const char answer_431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 26\r\n"
                                 "Connection: close\r\n"
                                 "Server: wasmfn\r\n"
                                 "\r\n"
                                 "request headers too large\n";
static const char answer_413[] = "HTTP/1.1 413 Payload Too Large\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 28\r\n"
                                 "Connection: close\r\n"
                                 "Server: wasmfn\r\n"
                                 "\r\n"
                                 "request entity is too large\n";

/* Whether the head at the start of p[0..n) is over the limit: no end
 * within it, or more field lines than h2o's parser takes. */
static bool head_over(const wf_http_head_guard *g, const char *p, size_t n)
{
    size_t scan = n < g->limit + 4 ? n : g->limit + 4;
    const char *end = memmem(p, scan, "\r\n\r\n", 4);
    if (!end) return n > g->limit;
    size_t lines = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end + 4 - q))); q++)
        if (++lines > H2O_MAX_HEADERS + 2) return true;   /* the request line and the blank line aside */
    return false;
}

/* Where the head at the start of input ends (its blank line's end), 0
 * while it has not arrived; searched once per byte, not per read. */
static size_t head_end(wf_http_head_guard *g, const char *p, size_t n)
{
    size_t from = g->scanned > 3 ? g->scanned - 3 : 0;
    if (n > g->limit + 4) n = g->limit + 4;
    if (n <= from) return 0;
    const char *end = memmem(p + from, n - from, "\r\n\r\n", 4);
    g->scanned = n;
    return end ? (size_t)(end + 4 - p) : 0;
}

static void on_answered(h2o_socket_t *sock, const char *err)
{
    /* The answer is out: end our side; the client's close ends the rest. */
    if (!err) shutdown(h2o_socket_get_fd(sock), SHUT_WR);
}

/* Answer the request at the start of input with status (431, 413) and
 * swallow the rest of the connection. */
static void trip(wf_http_head_guard *g, h2o_socket_t *sock, int status)
{
    const char *answer = status == 413 ? answer_413 : answer_431;
    size_t len = status == 413 ? sizeof answer_413 - 1 : sizeof answer_431 - 1;
    g->tripped = true;
    if (g->on_reject) {
        /* The request line, for the access log. */
        const char *eol = memchr(sock->input->bytes, '\n', WF_HEAD_LOG_MAX < sock->input->size ? WF_HEAD_LOG_MAX : sock->input->size);
        size_t line = eol ? (size_t)(eol - sock->input->bytes) : 0;
        g->on_reject(g, status, sock->input->bytes, line, len);
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
    /* At least 4 bytes a field line: fewer cannot hold too many fields. */
    if (!err && (sock->input->size > g->limit || sock->input->size > 4 * (H2O_MAX_HEADERS + 2)) &&
        head_over(g, sock->input->bytes, sock->input->size)) {
        trip(g, sock, 431);
        return;
    }
    if (!err && g->on_head && !g->head_seen) {
        size_t end = head_end(g, sock->input->bytes, sock->input->size);
        if (end) {
            g->head_seen = true;
            int status = g->on_head(g, sock, end);
            if (status) {
                trip(g, sock, status);
                return;
            }
        }
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
    g->scanned = 0;
    if (h1_read && sock->_cb.read == h1_read) sock->_cb.read = guarded_read;
}
