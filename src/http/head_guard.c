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

/* h2o's HTTP/1 request reader, seen on the first accepted socket. */
static h2o_socket_cb h1_read;

static const char answer[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Length: 26\r\n"
                             "Connection: close\r\n"
                             "Server: wasmfn\r\n"
                             "\r\n"
                             "request headers too large\n";

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
    /* At least 4 bytes a field line: fewer cannot hold too many fields. */
    if (!err && (sock->input->size > g->limit || sock->input->size > 4 * (H2O_MAX_HEADERS + 2)) &&
        head_over(g, sock->input->bytes, sock->input->size)) {
        g->tripped = true;
        h2o_buffer_consume(&sock->input, sock->input->size);
        h2o_iovec_t buf = h2o_iovec_init(answer, sizeof answer - 1);
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
