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
 * the same way, and so is a head h2o's parser cannot read (h2o would
 * write a canned 400 no logger sees). Loop thread only. on_reject tells
 * the server of each such answer (its access-log line and count);
 * on_head lets it look at each head that is within the limit before h2o
 * does (server_h2o.c reads request bodies itself that way).
 *
 * Pipelining: h2o parses a request pipelined behind another as soon as
 * the first one's response is out, straight from the socket's input and
 * not through the read callback. So every request h2o takes is followed
 * by wf_http_head_guard_hold, which moves what follows it in the input
 * (the next requests) out of h2o's sight, and wf_http_head_guard_resume,
 * once h2o waits for the next request, gives it back through the guard:
 * each pipelined head is looked at as if it had just arrived.
 */
#ifndef WF_HTTP_HEAD_GUARD_H
#define WF_HTTP_HEAD_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct wf_http_head_guard wf_http_head_guard;

typedef struct wf_http_head_guard {
    size_t limit;                  /* head bytes allowed (request line and fields) */
    bool tripped;                  /* answered: swallowing until the end */
    /* Called once per request, when its whole head (within the limit) is
     * at the start of sock->input, before h2o parses it (it may rewrite
     * it in place, same length). Returns 0, or 413: the guard answers
     * that and closes, as for its 431s. NULL: none. */
    int (*on_head)(wf_http_head_guard *g, h2o_socket_t *sock, size_t head_len);
    /* Called when the guard answered itself (431, 413, 400: h2o saw no
     * request): the head's first line, as far as it came. */
    void (*on_reject)(wf_http_head_guard *g, int status, const char *head, size_t len, size_t bytes_sent);
    bool head_seen;                /* on_head ran for this request */
    /* The head at the start of the input passed the guard (h2o's parser
     * read it: head_len bytes) and h2o has not taken it yet; on_req checks
     * and clears it (a head h2o took that the guard never saw is refused). */
    bool passed;
    size_t head_len;
    /* What followed the request h2o took (wf_http_head_guard_hold). */
    char *held;
    size_t held_len;
} wf_http_head_guard;

/* Put g in front of h2o's HTTP/1 reader on sock (right after h2o_accept,
 * and again whenever h2o may have put its reader back: after a request).
 * sock->on_close.data must point to a struct whose first member is g. A
 * socket h2o reads with another reader (HTTP/2) is left alone. */
void wf_http_head_guard_attach(h2o_socket_t *sock, wf_http_head_guard *g, size_t limit);

/* The request h2o took (with its body, when h2o read that) ends `end`
 * bytes into sock->input: what follows is held back from h2o. */
void wf_http_head_guard_hold(wf_http_head_guard *g, h2o_socket_t *sock, size_t end);

/* h2o waits for the next request on sock (a response ended, the
 * connection stays): the guard goes in front again (as attach) and what
 * was held is read through it now, as if it had just arrived. Not from
 * inside h2o's own callbacks for sock (a timer of the loop's). */
void wf_http_head_guard_resume(h2o_socket_t *sock, wf_http_head_guard *g, size_t limit);

/* What g holds, freed (the connection is gone). */
void wf_http_head_guard_free(wf_http_head_guard *g);

#endif
