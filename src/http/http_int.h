/*
 * http_int.h - what the files of src/http share behind http.h: the route
 * table's matcher (route.c) and the exchange as both sides see it
 * (exchange.c: the handler's side; server_h2o.c: the loop's side).
 */
#ifndef WF_HTTP_INT_H
#define WF_HTTP_INT_H

#include <pthread.h>

#include "base/buf.h"
#include "base/vec.h"
#include "http/http.h"
#include "runtime/sched.h"

/* ---- Routes (route.c) ------------------------------------------------------ */

typedef struct http_route http_route;

/* The outcome of matching a method and path. */
typedef struct http_match {
    const http_route *route;       /* NULL: status says why */
    int status;                    /* 404 (no pattern matches), 405 (no method does) */
    char allow[128];               /* 405: the methods that would match, "GET, POST" */
    /* params: name and decoded value, in pattern order (malloc'd values) */
    size_t nparams;
    const char *param_names[16];
    char *param_values[16];
} http_match;

void wf_http_routes_match(wf_http_routes *r, const char *method, const char *path, size_t path_len,
                          http_match *m);
void wf_http_match_free(http_match *m);
const char *wf_http_route_pattern(const http_route *rt);
const char *wf_http_route_name(const http_route *rt);
wf_http_handler_fn wf_http_route_fn(const http_route *rt, void **ud);
/* Whether the route's handler reads its request body as a stream. */
bool wf_http_route_streaming(const http_route *rt);
/* Reference counting: a service's current table, and each exchange routed by it. */
void wf_http_routes_ref(wf_http_routes *r);
void wf_http_routes_unref(wf_http_routes *r);

/* The path to route a request-target by (target.c): origin- or
 * absolute-form, the query cut off, escapes of unreserved characters
 * decoded and dot segments removed, other escapes kept. 0 and the path
 * in out (room for n + 1 bytes; NUL-terminated), or 400 for a target that
 * is no path. */
int wf_http_target_path(const char *target, size_t n, char *out, size_t *out_len);

/* Whether the process's __sprintf_chk is head_printf.c's (h2o's response
 * heads printed cheaply): the dynamic linker gives it to every library. */
bool wf_http_head_printf_active(void);

/* Percent-decode s[0..n) into a new string; NULL for a bad escape or %00. '+' stays '+'. */
char *wf_http_pct_decode(const char *s, size_t n);

/* "OK", "Not Found", ... (server_h2o.c). */
const char *wf_http_reason(int status);

/* n in decimal at p (at most 20 bytes, no NUL); returns the end. Inline:
 * it prints every response head (head_printf.c) and peer address
 * (server_h2o.c), where a printf costs too much. */
static inline char *wf_http_put_decimal(char *p, unsigned long long n)
{
    char digits[20];
    size_t nd = 0;
    do digits[nd++] = (char)('0' + n % 10); while ((n /= 10));
    while (nd) *p++ = digits[--nd];
    return p;
}

/* ---- The exchange ----------------------------------------------------------- */

/* The loop's side of the exchange (server_h2o.c): told when the handler has
 * something new (a flush, a finish, its end). Called with x->mu held. */
typedef void (*http_notify_fn)(wf_http_exchange *x);

typedef struct http_kv { char *name, *value; } http_kv;

struct wf_http_exchange {
    wf_task task;                  /* the handler's run (first: the task's owner) */
    wf_http_request req;           /* points into blob */
    char *blob;                    /* the request's copied strings, headers array and body */
    wf_http_header *headers;
    http_match match;
    wf_http_routes *routes;        /* referenced while x lives */
    wf_http_handler_fn fn;
    void *ud;
    uint64_t start_ns, deadline_ns;
    /* start_ns when the handler's first slice began in the request's own
     * turn of the loop, else 0 (wf_http_now_ns). */
    uint64_t first_slice_ns;
    volatile uint32_t interrupt;   /* the task's stop flag */

    /* Shared between the handler and the loop, under mu. */
    pthread_mutex_t mu;
    wf_waitq writers;              /* a writer waiting for the loop to send */
    int status;
    WF_VEC(http_kv) res_headers;
    /* wf_http_respond's Content-Type, sent after res_headers: kept here,
     * not copied into a header pair (two allocations per request). */
    char content_type[72];
    WF_VEC(http_kv) trailers;      /* sent after a chunked body (HTTP/1.1) */
    wf_buf pending;                /* written, not yet taken by the loop */
    size_t body_bytes;             /* everything written */
    bool head_ready;               /* flushed (stream) or finished: the loop may start */
    bool streaming;                /* flushed before the end: no Content-Length */
    bool finished;                 /* wf_http_finish ran (or wf_http_abort) */
    bool aborted;                  /* ... the response is broken: the loop cuts it, no end */
    bool task_done;                /* the task ended: the handler is done with x */
    bool gone;                     /* the client (or the server) is gone */
    bool loop_started;             /* the head went out (read by the handler too) */
    http_notify_fn notify;
    void *loop;                    /* the loop's state for x (server_h2o.c) */

    /* The request body when the server reads it itself (body_in.c, on the
     * loop): what arrived and was not read yet is body_in[body_off..len).
     * Streamed, the handler reads it as it comes; else the handler starts
     * once it is whole (req.body points into it). Under mu. */
    bool body_own;                 /* the loop reads the body (else: whole in req.body) */
    bool body_streaming;           /* ... and the handler reads it as it comes */
    wf_buf body_in;
    size_t body_off;
    uint64_t body_received;        /* body bytes the loop has taken in */
    bool body_ended;
    wf_http_body_fail body_fail;
    bool body_paused;              /* the loop stopped reading: a window is waiting */
    bool body_resume;              /* the handler read it down: the loop should read again */
    WF_VEC(http_kv) body_trailers;
    wf_waitq readers;              /* handlers waiting for body news */
};

/* Set up x (zeroed by the caller, request fields filled) to run fn(ud). */
void wf_http_exchange_init(wf_http_exchange *x, http_notify_fn notify);
/* Tear down what init and the handler made (the loop's side is the caller's). */
void wf_http_exchange_destroy(wf_http_exchange *x);

/* x->mu, unless the handler's task is solo (sched.h: it has run only on
 * this loop thread and never left it, so the loop and the handler take
 * turns on one thread: a handler answering within its first slice, the
 * common case, costs no lock round trip). A handler that calls a pooled
 * function hands x to a task on a worker (the guest's writes come from
 * there, before the handler parks): its submit ends solo first. x_lock says whether it took
 * the mutex; give that to x_unlock: the task may stop being solo while
 * it is held (a wait parks it), never become solo again. */
static inline bool x_lock(wf_http_exchange *x)
{
    if (x->task.solo) return false;
    pthread_mutex_lock(&x->mu);
    return true;
}

static inline void x_unlock(wf_http_exchange *x, bool held)
{
    if (held) pthread_mutex_unlock(&x->mu);
}

/* Before waiting on one of x's queues with x->mu (which the wait drops
 * and takes again): held for real. */
static inline void x_lock_for_wait(wf_http_exchange *x, bool *held)
{
    if (!*held) pthread_mutex_lock(&x->mu);
    *held = true;
}
/* With x->mu held, from the loop: the client went away; wakes writers. */
void wf_http_exchange_gone_locked(wf_http_exchange *x);

/* ---- The request body off an HTTP/1.x socket (body_in.c) ------------------ */

/* What a request head says of its body. */
typedef struct http_body_head {
    size_t head_len;               /* the head's bytes, up to its blank line */
    bool chunked;                  /* Transfer-Encoding: chunked */
    bool has_length;               /* Content-Length: length */
    uint64_t length;
    bool expect_continue;          /* Expect: 100-continue */
    size_t framing_at[2];          /* where the framing field names are in the head */
    size_t nframing;
} http_body_head;

/* The prefix the framing field names of a head are renamed to (same
 * length, so nothing moves) when the server reads the body itself: h2o
 * then takes the request for one without a body and hands it over at once.
 * wf-streamed-cl stands for content-length, wf-streamed-te-xx for
 * transfer-encoding. */
#define WF_HTTP_BODY_MARK "wf-streamed-"

/* Whether the HTTP/1.x head p[0..head_len) (its end found) frames a body
 * the server can read itself: one Content-Length of more than 0, or a
 * chunked Transfer-Encoding (HTTP/1.1), never both, no Upgrade, and an
 * Expect of 100-continue or none. Anything else h2o judges (and answers). */
bool wf_http_body_head_scan(const char *p, size_t head_len, http_body_head *h);
/* Rename the framing fields of a head that scanned true (in place). */
void wf_http_body_head_rename(char *p, const http_body_head *h);

/* The body's framing, decoded as bytes arrive. */
typedef struct http_body_reader {
    bool chunked;
    uint64_t left;                 /* Content-Length: bytes to come; chunked: of this chunk */
    uint64_t limit;                /* max body bytes */
    size_t max_trailer_bytes;
    int state;                     /* chunked: where in the framing */
    size_t line_len;               /* chunked: bytes of the current size or extension line */
    size_t trailer_bytes;
    bool saw_digit;
    wf_buf line;                   /* a trailer field line being read */
} http_body_reader;

void wf_http_body_reader_init(http_body_reader *r, const http_body_head *h, uint64_t limit,
                              size_t max_trailer_bytes);
void wf_http_body_reader_free(http_body_reader *r);
/* Under x->mu: decode in[0..n), the body bytes going to x->body_in (no
 * more than `room`), trailers to x->body_trailers; sets x->body_ended or
 * x->body_fail (TOO_LARGE, MALFORMED). Returns the bytes of `in` used
 * (what follows the body, a pipelined request, is left). */
size_t wf_http_body_feed_locked(http_body_reader *r, wf_http_exchange *x, const uint8_t *in, size_t n,
                                size_t room);

#endif
