/*
 * head_guard.h - request heads over the limit answered 431 before h2o
 * sees them (head_guard.c). h2o 2.2 answers a fixed 400 to a head of more
 * than H2O_MAX_HEADERS (100) fields or H2O_MAX_REQLEN bytes and reads any
 * head up to that; the guard sits in front of h2o's HTTP/1 request reader
 * on a connection and looks at each request's head as it arrives.
 *
 * A head with no end within the service's limit, or with more fields than
 * h2o takes, is answered 431 by the guard itself (the connection then
 * closes: what follows the head cannot be parsed); the rest the client
 * sends is swallowed, nothing kept, until it closes (or the server's read
 * timeout cuts it). A head whose body framing is ambiguous (differing
 * Content-Length values, or one beside Transfer-Encoding) is answered 400
 * the same way. Loop thread only.
 */
#ifndef WF_HTTP_HEAD_GUARD_H
#define WF_HTTP_HEAD_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wf_http_head_guard {
    size_t limit;                  /* head bytes allowed (request line and fields) */
    bool tripped;                  /* answered 431: swallowing until the end */
} wf_http_head_guard;

/* Put g in front of h2o's HTTP/1 reader on sock (right after h2o_accept,
 * and again whenever h2o may have put its reader back: after a request).
 * sock->on_close.data must point to a struct whose first member is g. A
 * socket h2o reads with another reader (HTTP/2) is left alone. */
void wf_http_head_guard_attach(h2o_socket_t *sock, wf_http_head_guard *g, size_t limit);

#endif
