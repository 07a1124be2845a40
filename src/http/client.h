/*
 * client.h - the one outgoing HTTP client of wasmfn, over libcurl: Lua's
 * http_client module and the guests' wasi:http/outgoing-handler both go
 * through it, under the `wasi.network` policy (SPEC §4).
 *
 * One loop thread per client drives every transfer with libcurl's multi
 * interface. Callers never hold a worker while a request is on the wire:
 * each wait (for the response head, for body bytes, for room to send body
 * bytes) parks through wasm/wait.h, so a call running on a scheduler fiber
 * frees its worker thread, and a plain thread blocks on its own condition
 * variable. The loop wakes the parked caller when its condition may have
 * changed.
 *
 * A request is streaming on both sides:
 *
 *   wf_http_client_call *c;
 *   wf_http_client_req rq = {.method = "POST", .url = "http://h:80/x",
 *                            .body_streamed = true, .body_length = -1};
 *   e = wf_http_client_start(cl, &rq, &c);         // policy checked here
 *   e = wf_http_client_send(c, "part1", 5, until); // parks while the send
 *   e = wf_http_client_send(c, "part2", 5, until); //   buffer is full
 *   e = wf_http_client_finish(c);                  // end of the body
 *   e = wf_http_client_wait_head(c, until);        // status and headers
 *   int st = wf_http_client_status(c);
 *   while (!(e = wf_http_client_read(c, buf, sizeof buf, &n, until)) && n)
 *       use(buf, n);                               // n == 0: end of body
 *   wf_http_client_call_free(c);                   // aborts if unfinished
 *
 * Bodies are never buffered whole: the request side keeps at most
 * WF_HTTP_CLIENT_BUFFER unsent bytes (send parks beyond it), the response
 * side pauses the transfer once that many unread bytes wait (the server then
 * sees TCP back-pressure). A body known up front (rq.body, rq.body_len) is
 * sent from the caller's memory, which must stay valid until the head
 * arrived or the call was freed.
 *
 * Non-blocking use (wasi:io pollables, an event loop): the _ready functions
 * answer without waiting, and wf_http_client_watch has a waker woken once
 * when anything of the call changes (head, body bytes, room, end, error).
 *
 * wf_http_client_fetch is the whole-body convenience (Lua's http_client):
 * it follows redirects (each hop checked against the policy) and collects
 * the body up to a limit.
 *
 * Errors: INVALID for a malformed request (bad URL, scheme other than http
 * and https, bad header); the policy's refusal is INVALID with a message
 * starting "not allowed: " and wf_http_client_failure() ==
 * WF_HTTP_CLIENT_FAIL_DENIED; network failures are IO, a passed timeout or
 * deadline TIMEOUT, each with libcurl's words and a failure class
 * (wf_http_client_failure) that wasi:http maps to its error-code.
 *
 * Threads: a call is used by one thread at a time (its owner); the client
 * is shared by all.
 */
#ifndef WF_HTTP_CLIENT_H
#define WF_HTTP_CLIENT_H

#include "base/base.h"
#include "base/error.h"
#include "wasm/wait.h"

/* Unsent request bytes, and unread response bytes, kept per call. */
#define WF_HTTP_CLIENT_BUFFER ((size_t)256 << 10)

typedef struct wf_http_client wf_http_client;
typedef struct wf_http_client_call wf_http_client_call;

typedef struct wf_http_client_field {
    const char *name, *value;
} wf_http_client_field;

/* The `wasi.network` policy: host:port patterns a request may reach. A
 * pattern is `host:port`, `host` (any port) or `[v6]:port`; `*` in either
 * part matches any run of characters ("*.example.com:443", "127.0.0.1:*").
 * Hosts compare without case. NULL policy: everything allowed (the host
 * code's own requests, Lua functions). A policy with no pattern denies all. */
typedef struct wf_http_client_policy {
    const char *const *allow;
    size_t nallow;
} wf_http_client_policy;

/* True when policy allows host:port (host without brackets). */
bool wf_http_client_policy_allows(const wf_http_client_policy *policy, const char *host, unsigned port);

typedef struct wf_http_client_req {
    const char *method;          /* "GET", ...; NULL = GET */
    const char *url;             /* absolute http:// or https:// URL */
    const wf_http_client_field *headers;
    size_t nheaders;
    /* The body: given whole (body, body_len; borrowed, see above), or
     * streamed (body_streamed: wf_http_client_send, then _finish) with
     * body_length bytes, or -1 when unknown (sent chunked). */
    const void *body;
    size_t body_len;
    bool body_streamed;
    int64_t body_length;
    /* Bounds in ms, 0 = none: connecting, and the whole transfer. */
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    /* The longest silence between two pieces of the response body, from
     * the head on (wasi:http's between-bytes-timeout), 0 = none: the call
     * then fails TIMEOUT (WF_HTTP_CLIENT_FAIL_READ_TIMEOUT). Time the body
     * waits for its reader (paused, its buffer full) does not count. */
    uint32_t between_bytes_ms;
    const wf_http_client_policy *policy;   /* NULL: no restriction */
} wf_http_client_req;

/* Why a call failed, for callers that must say it in their own words
 * (wasi:http's error-code). */
typedef enum wf_http_client_fail {
    WF_HTTP_CLIENT_FAIL_NONE,
    WF_HTTP_CLIENT_FAIL_DENIED,           /* the policy refused the host */
    WF_HTTP_CLIENT_FAIL_BAD_REQUEST,      /* malformed URL, method or header */
    WF_HTTP_CLIENT_FAIL_DNS,              /* the name did not resolve */
    WF_HTTP_CLIENT_FAIL_REFUSED,          /* connection refused */
    WF_HTTP_CLIENT_FAIL_CONNECT_TIMEOUT,
    WF_HTTP_CLIENT_FAIL_TIMEOUT,          /* the transfer's timeout or the caller's deadline */
    WF_HTTP_CLIENT_FAIL_READ_TIMEOUT,     /* the body stalled past between_bytes_ms */
    WF_HTTP_CLIENT_FAIL_TLS,              /* TLS handshake or certificate */
    WF_HTTP_CLIENT_FAIL_PROTOCOL,         /* the response was not valid HTTP */
    WF_HTTP_CLIENT_FAIL_TERMINATED,       /* the connection broke mid-transfer */
    WF_HTTP_CLIENT_FAIL_TOO_LARGE,        /* the response body exceeded a fetch limit */
    WF_HTTP_CLIENT_FAIL_CANCELED,
    WF_HTTP_CLIENT_FAIL_INTERNAL,
} wf_http_client_fail;

/* ---- The client ----------------------------------------------------------- */

/* A client with its loop thread (INTERNAL when libcurl or the thread fail). */
wf_error *wf_http_client_new(wf_http_client **out);
/* Aborts transfers still running; calls must be freed before. */
void wf_http_client_free(wf_http_client *cl);
/* The process's shared client, made on first use (NULL if that failed). */
wf_http_client *wf_http_client_shared(void);

/* ---- A call ------------------------------------------------------------------ */

/* Check the request (URL, scheme, method, headers, policy) and start it.
 * Nothing goes on the wire on error. */
wf_error *wf_http_client_start(wf_http_client *cl, const wf_http_client_req *rq,
                               wf_http_client_call **out);
/* Free the call; a transfer still running is aborted. */
void wf_http_client_call_free(wf_http_client_call *c);

/* Streamed request body: append n bytes, parking while the send buffer is
 * full, until until_ns (0 = no bound; TIMEOUT after it, or when the running
 * task is stopped). An error once the call failed (its error). */
wf_error *wf_http_client_send(wf_http_client_call *c, const void *p, size_t n, uint64_t until_ns);
/* Bytes send may take now without parking (0 when full or failed). */
size_t wf_http_client_send_room(wf_http_client_call *c);
/* True once the transfer is over (the whole response is in, unread bytes
 * aside, or it failed): the request body then takes nothing more. */
bool wf_http_client_done(wf_http_client_call *c);
/* The body is complete. INVALID when body_length was given and not met. */
wf_error *wf_http_client_finish(wf_http_client_call *c);

/* Park until the response head arrived (or the call failed). */
wf_error *wf_http_client_wait_head(wf_http_client_call *c, uint64_t until_ns);
/* True once the head arrived or the call failed (never waits). */
bool wf_http_client_head_ready(wf_http_client_call *c);
/* After the head: status code, and the headers in arrival order (names as
 * sent; valid until the call is freed). */
int wf_http_client_status(wf_http_client_call *c);
size_t wf_http_client_header_count(wf_http_client_call *c);
wf_http_client_field wf_http_client_header_at(wf_http_client_call *c, size_t i);
/* The first header named name (any case), or NULL. */
const char *wf_http_client_header(wf_http_client_call *c, const char *name);

/* The trailers after a chunked body: none until the body ended (read
 * returned 0), then in arrival order (valid until the call is freed). */
size_t wf_http_client_trailer_count(wf_http_client_call *c);
wf_http_client_field wf_http_client_trailer_at(wf_http_client_call *c, size_t i);

/* Read up to cap body bytes into p, parking until some arrived; *n = 0 at
 * the end of the body. An error when the transfer failed. */
wf_error *wf_http_client_read(wf_http_client_call *c, void *p, size_t cap, size_t *n,
                              uint64_t until_ns);
/* Without waiting: bytes readable now, and whether the body ended (or the
 * call failed: read then returns the error). */
size_t wf_http_client_readable(wf_http_client_call *c, bool *ended);

/* The call's error so far (a copy for the caller, NULL when none), and
 * its class. */
wf_error *wf_http_client_error(wf_http_client_call *c);
wf_http_client_fail wf_http_client_failure(wf_http_client_call *c);

/* Have w woken once when the call's state changes (at once when it did
 * since the last watch). n is the caller's; unwatch before freeing n. */
void wf_http_client_watch(wf_http_client_call *c, wf_wait_node *n, wf_waker *w);
void wf_http_client_unwatch(wf_http_client_call *c, wf_wait_node *n);

/* ---- Whole bodies ------------------------------------------------------------- */

typedef struct wf_http_client_resp {
    int status;
    char *url;                  /* the final URL, after redirects */
    wf_http_client_field *headers;    /* owned strings */
    size_t nheaders;
    uint8_t *body;              /* NUL-terminated beyond body_len */
    size_t body_len;
} wf_http_client_resp;

/* Run rq to its end: redirects followed (301/302/303 turn into GET without
 * body, 307/308 keep them) up to max_redirects, each hop checked against
 * rq->policy; a body over max_body bytes (0 = 64 MiB) fails TOO_LARGE.
 * until_ns bounds the whole (0 = none). *fail (may be NULL) gets the class. */
wf_error *wf_http_client_fetch(wf_http_client *cl, const wf_http_client_req *rq,
                               unsigned max_redirects, size_t max_body, uint64_t until_ns,
                               wf_http_client_resp *out, wf_http_client_fail *fail);
void wf_http_client_resp_free(wf_http_client_resp *r);
/* n fetches at once: every first hop starts before any is waited for
 * (redirects are then followed one after another), outcomes in order:
 * errs[i] NULL and outs[i] set, or errs[i] with fails[i]. */
void wf_http_client_fetch_many(wf_http_client *cl, const wf_http_client_req *rqs, size_t n,
                               unsigned max_redirects, size_t max_body, uint64_t until_ns,
                               wf_http_client_resp *outs, wf_error **errs, wf_http_client_fail *fails);

#endif
