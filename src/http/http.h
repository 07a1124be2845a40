/*
 * http.h - wasmfn's own HTTP server interface (SPEC §7). Everything above
 * it (the registry's http.* entries, the wasi-http transport, static
 * files, Lua's `http` module, `--admin`) talks to these types only; the
 * library that speaks HTTP (h2o's event loop, server_h2o.c) stays behind
 * them so it can be replaced (docs/http-server.md says why it was chosen).
 *
 * Model: one event-loop thread owns every socket of a server (accepting,
 * parsing, keep-alive, pipelining, chunked bodies, HTTP/2 cleartext). A
 * request that matches a route becomes an EXCHANGE: the request copied out
 * of the loop's memory, and a response writer. Its handler runs as a task
 * of the scheduler (runtime/sched.h) on a fiber of its own: its first
 * slice on the loop thread itself (no hand-off for a call that just
 * answers), and as soon as it waits (a pooled call, a sleep, a write to a
 * slow client) or runs past 2 ms (the loop's watchdog asks the running
 * call to yield: WF_INTERRUPT_YIELD), it goes on on the scheduler's
 * workers, so a waiting or long handler holds neither a thread nor the
 * loop. What a handler on a worker writes is handed to the loop (a message
 * that wakes it), which sends it; a writer that is more than
 * WF_HTTP_HIGH_WATER bytes ahead of the client parks until the loop has
 * sent it (flow control, bounded memory).
 *
 * Threads: the exchange functions are for the handler's task (or any one
 * thread at a time, until wf_http_finish); everything else is thread-safe
 * unless said otherwise.
 */
#ifndef WF_HTTP_H
#define WF_HTTP_H

#include <pthread.h>

#include "base/base.h"
#include "wasmfn.h"

struct wf_sched;
struct wf_waitq;

typedef struct wf_http_server wf_http_server;
typedef struct wf_http_service wf_http_service;
typedef struct wf_http_routes wf_http_routes;
typedef struct wf_http_exchange wf_http_exchange;

/* ---- Services (http.service) ---------------------------------------------- */

/* Zero fields take the defaults in brackets. */
typedef struct wf_http_service_config {
    const char *name;              /* for messages and the access log ("app:gateway") */
    const char *addr;              /* "host:port", ":port" (every address), "[::1]:port" */
    uint32_t read_timeout_ms;      /* a request's head and body must arrive within [10000] */
    uint32_t write_timeout_ms;     /* a handler's response must be ready within: else 504 [60000] */
    uint32_t idle_timeout_ms;      /* a keep-alive connection may idle [60000] */
    size_t max_header_bytes;       /* request line and headers: over it 431 [65536] */
    size_t max_body_bytes;         /* request body: over it 413 [10 MiB] */
} wf_http_service_config;

typedef struct wf_http_server_config {
    struct wf_sched *sched;        /* handlers run as its tasks (required) */
    uint32_t handler_workers;      /* threads running handlers [2] */
    /* One line per request (no newline); NULL: stderr. Called on the loop. */
    void (*access_log)(void *ud, const char *line);
    void *access_log_ud;
    bool access_log_off;
    /* Every answered request (after its last byte, on the loop): the
     * service, the route's name (NULL when no route matched: 404, 405, a
     * bad request), the status and the time from its first byte, in ns.
     * How /metrics counts requests per endpoint. May be NULL. */
    void (*on_response)(void *ud, const char *service, const char *route, int status, uint64_t ns);
    void *on_response_ud;           /* no access log at all (not even formatted) */
    bool reuse_port;               /* SO_REUSEPORT on every listener [true when set] */
} wf_http_server_config;

wf_error *wf_http_server_new(const wf_http_server_config *cfg, wf_http_server **out);
/* Bind and listen now (IO naming the address when it is taken), serving
 * once wf_http_server_start runs. The service belongs to the server. */
wf_error *wf_http_server_listen(wf_http_server *s, const wf_http_service_config *cfg,
                                wf_http_service **out);
/* The bound port (useful with ":0"), the name and address as configured. */
int wf_http_service_port(const wf_http_service *svc);
const char *wf_http_service_name(const wf_http_service *svc);
const char *wf_http_service_addr(const wf_http_service *svc);
/* The services, in the order they were added. */
size_t wf_http_server_service_count(const wf_http_server *s);
wf_http_service *wf_http_server_service(wf_http_server *s, size_t i);
/* Start the loop thread. */
wf_error *wf_http_server_start(wf_http_server *s);
/* Stop accepting, let requests in flight finish (new requests on open
 * connections are answered and their connection closed) for at most
 * drain_ms, then close every connection and join the loop thread.
 * Handlers still running then see their client gone (writes fail) and end
 * within their own deadline (wf_http_deadline_ns); stop waits for them. */
void wf_http_server_stop(wf_http_server *s, uint32_t drain_ms);
/* After stop: frees every service and route table. */
void wf_http_server_free(wf_http_server *s);

/* ---- Routes (http.router, http.endpoint) ----------------------------------- */

/* Runs on a scheduler task. It must end the exchange with wf_http_finish
 * (or wf_http_respond); one that returns without it gets it done: a 500
 * when nothing was sent, else the end of what was. */
typedef void (*wf_http_handler_fn)(wf_http_exchange *x, void *ud);

/* A route table: built, then handed to a service, then immutable. on_free
 * (may be NULL) runs when the table is freed: after it was replaced and
 * every request that used it has ended (how a reload frees the old
 * registry behind the old routes). */
wf_http_routes *wf_http_routes_new(void (*on_free)(void *ud), void *ud);
/* method: "GET", "POST", ... or "*" (any). pattern: "/api/users/{id}",
 * "/files/{rest...}" (a final catch-all, may be empty); prefix matching is
 * not a thing: a static tree is "/static/{rest...}". INVALID for a bad
 * pattern or the same method and pattern twice. `name` (the endpoint's ID)
 * is copied, for the access log and messages. */
wf_error *wf_http_routes_add(wf_http_routes *r, const char *method, const char *pattern,
                             const char *name, wf_http_handler_fn fn, void *ud);
/* As wf_http_routes_add, for a handler that reads the request body as it
 * arrives (wf_http_body_read) instead of whole, so an upload of any size
 * (within the service's body limit) costs the server a bounded buffer. */
wf_error *wf_http_routes_add_streaming(wf_http_routes *r, const char *method, const char *pattern,
                                       const char *name, wf_http_handler_fn fn, void *ud);
void wf_http_routes_free(wf_http_routes *r);   /* one never handed to a service */
/* Serve r from now on (requests already routed finish with the old table). */
void wf_http_service_set_routes(wf_http_service *svc, wf_http_routes *r);

/* ---- The request --------------------------------------------------------- */

typedef struct wf_http_header {
    const char *name;              /* lower case */
    const char *value;             /* NUL-terminated */
    size_t value_len;
} wf_http_header;

typedef struct wf_http_request {
    const char *method;            /* "GET" */
    const char *path;              /* normalised ("/a/../b" -> "/b"), still percent-encoded */
    const char *query;             /* after '?', raw; "" when none */
    const wf_http_header *headers; size_t nheaders;
    const uint8_t *body; size_t body_len;   /* whole (read before the handler runs); empty
                                               when streamed (wf_http_body_streaming) */
    const char *remote;            /* "127.0.0.1:51234" */
    const char *authority;         /* Host (HTTP/1) or :authority (HTTP/2); "" when none */
    int version;                   /* 0x100, 0x101, 0x200 */
    const char *route;             /* the matched pattern */
    const char *name;              /* the route's name */
} wf_http_request;

const wf_http_request *wf_http_request_of(wf_http_exchange *x);
/* First header of that name (any case), or NULL. */
const char *wf_http_header_get(const wf_http_request *r, const char *name);
/* A {param} of the route, percent-decoded; NULL when the route has none. */
const char *wf_http_param(wf_http_exchange *x, const char *name);
/* Names and values of every param, in pattern order. */
size_t wf_http_param_count(wf_http_exchange *x);
void wf_http_param_at(wf_http_exchange *x, size_t i, const char **name, const char **value);

/* ---- The request body as a stream ----------------------------------------
 * A route added with wf_http_routes_add_streaming gets an HTTP/1.x
 * request's body as it arrives: the server reads at most
 * WF_HTTP_BODY_WINDOW bytes ahead of the handler (then it stops reading
 * the socket: TCP holds the client back), and fails the body once it is
 * over the service's max_body_bytes. HTTP/2 bodies (h2o 2.2 reads them
 * whole) and a request pipelined behind another on its connection come
 * whole, in wf_http_request.body, as for every other route. */

#define WF_HTTP_BODY_WINDOW (256u * 1024u)

/* Why a streamed body failed. */
typedef enum wf_http_body_fail {
    WF_HTTP_BODY_OK = 0,
    WF_HTTP_BODY_TOO_LARGE,        /* over max_body_bytes */
    WF_HTTP_BODY_MALFORMED,        /* bad chunked framing or trailer */
    WF_HTTP_BODY_CUT,              /* the client closed before its end */
    WF_HTTP_BODY_TIMEOUT,          /* nothing arrived for timeouts.read */
} wf_http_body_fail;

/* What a read found. */
typedef enum wf_http_body_state {
    WF_HTTP_BODY_DATA,             /* *n > 0 bytes */
    WF_HTTP_BODY_WAIT,             /* nothing now: wait (wf_http_body_wait_on) */
    WF_HTTP_BODY_END,              /* the body is over (trailers, if any, are in) */
    WF_HTTP_BODY_FAILED,           /* *why says why */
} wf_http_body_state;

/* Whether x's body is streamed (else it is whole in the request). */
bool wf_http_body_streaming(wf_http_exchange *x);
/* Take up to len bytes of what arrived, without waiting. */
wf_http_body_state wf_http_body_read(wf_http_exchange *x, void *buf, size_t len, size_t *n,
                                     wf_http_body_fail *why);
/* True when a read would not answer WAIT. */
bool wf_http_body_ready(wf_http_exchange *x);
/* Park the handler's fiber until a read would not answer WAIT; TIMEOUT
 * when its task must stop (its deadline) first. */
wf_error *wf_http_body_wait(wf_http_exchange *x);
/* The lock and queue a waiter for news of the body registers on (news:
 * bytes, the end, a failure, the client gone). */
void wf_http_body_wait_on(wf_http_exchange *x, pthread_mutex_t **mu, struct wf_waitq **q);
/* The trailer fields of a chunked body, once it ended (END): count, and
 * each (name lower case). Whole bodies have none. */
size_t wf_http_body_trailer_count(wf_http_exchange *x);
void wf_http_body_trailer(wf_http_exchange *x, size_t i, const char **name, const char **value);
/* Why the body failed (OK: it did not, or not yet). */
wf_http_body_fail wf_http_body_failure(wf_http_exchange *x);
/* "over the body limit", ... */
const char *wf_http_body_fail_text(wf_http_body_fail f);

/* ---- The response -------------------------------------------------------- */

/* Writes queued beyond this many bytes park the writer until sent. */
#define WF_HTTP_HIGH_WATER (256u * 1024u)

/* Before anything is flushed: status [200], headers added in order
 * (Content-Length is the server's; a Content-Type given twice is sent twice). */
void wf_http_set_status(wf_http_exchange *x, int status);
void wf_http_add_header(wf_http_exchange *x, const char *name, const char *value);
/* Queue body bytes. IO "the client went away" once the connection is gone
 * (the handler should stop); TIMEOUT when the task must stop. */
wf_error *wf_http_write(wf_http_exchange *x, const void *data, size_t len);
/* Send the head and what is queued now: the body is then streamed
 * (chunked on HTTP/1.1) instead of sent with a Content-Length. */
wf_error *wf_http_flush(wf_http_exchange *x);
/* A trailer field, sent after the body when it ends (before
 * wf_http_finish). A response with trailers is sent chunked on HTTP/1.1
 * (the trailers in its last chunk); HTTP/1.0 and HTTP/2 clients do not get
 * them (h2o 2.2 cannot send HTTP/2 trailers): RFC 9110 6.5 lets a sender
 * drop trailers a recipient cannot take. */
void wf_http_add_trailer(wf_http_exchange *x, const char *name, const char *value);
/* End the response; x is gone afterwards. */
void wf_http_finish(wf_http_exchange *x);
/* End the response as broken (the handler failed mid-body): before the
 * head went out it becomes a 500 with a short body; after, the loop cuts
 * the stream (HTTP/1.x: the connection closes without the last chunk, so
 * the client sees a truncated body, never a complete-looking one;
 * HTTP/2: the stream is reset). x is gone afterwards. */
void wf_http_abort(wf_http_exchange *x);
/* A whole response at once: status, Content-Type (NULL: none), body. Finishes x. */
void wf_http_respond(wf_http_exchange *x, int status, const char *content_type,
                     const void *body, size_t len);
/* True once the client is gone (nobody reads what is written). */
bool wf_http_client_gone(wf_http_exchange *x);
/* Whether the head was sent already (status and headers are then fixed). */
bool wf_http_started(wf_http_exchange *x);
/* When the response must be ready (the service's write timeout from the
 * request's arrival, CLOCK_MONOTONIC ns): a handler's calls end by then. */
uint64_t wf_http_deadline_ns(wf_http_exchange *x);
/* A clock reading a call the handler makes now may take as its start
 * (wf_call_opts.now_ns): the request's start while the handler is in its
 * first slice, begun in the request's own turn of the loop (nothing waited
 * for since); else 0 (the call reads the clock). */
uint64_t wf_http_now_ns(wf_http_exchange *x);
/* The exchange's stop flag: the server sets it (and wakes the handler)
 * when it cuts the request (its drain timeout passed). Pass it as the
 * call's wf_call_opts.stop; it is also the handler task's own flag, so the
 * handler's waits end then too. */
volatile uint32_t *wf_http_stop_flag(wf_http_exchange *x);

#endif
