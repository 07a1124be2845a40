/*
 * p2_http.h - the server side of wasi:http for the one who serves a proxy
 * (http/proxy.c) and the component kind that calls it (runtime/comp_fn.c):
 * a component exporting wasi:http/incoming-handler is called with an
 * incoming-request and a response-outparam made from a
 * wf_p2_http_incoming, and answers through its sink.
 *
 *   wf_p2_http_incoming in = { .method = "GET", ..., .sink = &ops, .ud = x };
 *   wf_val args[2];
 *   wf_p2_http_proxy_args(cx, &in, args);     // in the instance's context
 *   wf_cinstance_call(inst, "wasi:http/incoming-handler@0.2.0#handle", args, 2, &r);
 *   in.responded / in.ended / in.error_code say what the guest did.
 *
 * The sink runs on the call's thread, during the call: head once (when
 * the guest sets the outparam), then write/flush any number of times, then
 * trailers (if the guest finished with some) and end once (when it
 * finishes the body). `in` and everything it points to
 * must outlive the call; after it nothing touches `in`.
 */
#ifndef WF_P2_HTTP_H
#define WF_P2_HTTP_H

#include "wasi/p2.h"

typedef struct wf_p2_http_header {
    const char *name;              /* lower case */
    const char *value;
    size_t value_len;
} wf_p2_http_header;

typedef struct wf_p2_http_sink {
    void (*head)(void *ud, unsigned status, const wf_p2_http_header *h, size_t n);
    /* IO once the client is gone: the guest's stream then fails. */
    wf_error *(*write)(void *ud, const void *p, size_t n);
    wf_error *(*flush)(void *ud);
    /* The body's trailers, just before end (only when the guest gave some). */
    void (*trailers)(void *ud, const wf_p2_http_header *h, size_t n);
    void (*end)(void *ud);
} wf_p2_http_sink;

/* Why a streamed request body failed (the guest's stream error and
 * future-trailers carry the matching error-code). */
typedef enum wf_p2_http_source_fail {
    WF_P2_SOURCE_CUT,              /* connection-terminated */
    WF_P2_SOURCE_TOO_LARGE,        /* HTTP-request-body-size */
    WF_P2_SOURCE_MALFORMED,        /* HTTP-protocol-error */
    WF_P2_SOURCE_TIMEOUT,          /* connection-read-timeout */
} wf_p2_http_source_fail;

typedef enum wf_p2_http_source_state {
    WF_P2_SOURCE_DATA,             /* *n bytes */
    WF_P2_SOURCE_WAIT,             /* nothing now */
    WF_P2_SOURCE_END,              /* the body ended: trailers are in */
    WF_P2_SOURCE_FAILED,           /* *why, *msg */
} wf_p2_http_source_state;

/* A request body the server streams to the guest (http/proxy.c over the
 * server's exchange). Called on the call's thread. */
typedef struct wf_p2_http_source {
    /* Up to len bytes of what arrived, without waiting. */
    wf_p2_http_source_state (*read)(void *ud, uint8_t *buf, size_t len, size_t *n,
                                    wf_p2_http_source_fail *why, const char **msg);
    bool (*ready)(void *ud);       /* a read would not be WAIT */
    /* The lock and queue to wait on for news. */
    void (*wait_on)(void *ud, pthread_mutex_t **mu, struct wf_waitq **q);
    /* The trailers, once the body ended. */
    size_t (*trailer_count)(void *ud);
    void (*trailer)(void *ud, size_t i, const char **name, const char **value);
} wf_p2_http_source;

typedef struct wf_p2_http_incoming {
    /* the request, borrowed */
    const char *method;            /* "GET" */
    const char *scheme;            /* "http" */
    const char *authority;         /* the Host header, or NULL */
    const char *path_with_query;   /* "/a/b?x=1" */
    const wf_p2_http_header *headers; size_t nheaders;
    const uint8_t *body; size_t body_len;   /* the whole body ... */
    const struct wf_p2_http_source *source; /* ... or, when set, a body that arrives as */
    void *source_ud;                        /*     the guest reads it (with trailers) */
    /* the response */
    const wf_p2_http_sink *sink;
    void *ud;
    /* what the guest did (set by the host) */
    bool responded;                /* head sent (outparam set with a response) ... */
    unsigned status;               /* ... with this status */
    bool ended;                    /* its body finished (end called) */
    bool failed;                   /* outparam set with an error-code ... */
    char error_code[64];           /* ... this one ("HTTP-request-denied") */
} wf_p2_http_incoming;

/* The two arguments of incoming-handler.handle for `in`: an own
 * incoming-request and an own response-outparam, in cx's table. */
wf_error *wf_p2_http_proxy_args(wf_p2_ctx *cx, wf_p2_http_incoming *in, wf_val args[2]);

/* True for an export name that is incoming-handler's handle, any 0.2.x
 * version or none: "wasi:http/incoming-handler@0.2.3#handle". */
bool wf_p2_http_is_proxy_method(const char *method);

#endif
