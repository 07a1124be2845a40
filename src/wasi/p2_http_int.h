/*
 * p2_http_int.h - what the wasi:http host files share (p2_http_*.c):
 * fields (headers and trailers) with WASI's rules, the error-code values,
 * the outgoing message (request or response, with its body) and the
 * incoming one, and the outgoing call over http/client.h.
 *
 * Files: p2_http_fields.c fields and their validation; p2_http_vals.c the
 * WIT values (error-code, method, scheme); p2_http_types.c the resources
 * of wasi:http/types; p2_http_out.c wasi:http/outgoing-handler (the client
 * side, what reads a response) and its futures.
 *
 * Ownership: a message is shared by the resources that see it (the
 * request or response, its body; the body's stream is the body's child,
 * so it never outlives it): each holds a reference. Everything runs on the
 * call's thread (one at a time per context); only the client call is
 * shared with the client's loop thread, which it locks itself.
 */
#ifndef WF_P2_HTTP_INT_H
#define WF_P2_HTTP_INT_H

#include "base/buf.h"
#include "http/client.h"
#include "http/syntax.h"
#include "wasi/p2_http.h"
#include "wasi/p2_int.h"

/* ---- fields ----------------------------------------------------------------- */

typedef struct wf_p2h_field {
    char *name;                    /* lower case */
    uint8_t *value;
    size_t len;
} wf_p2h_field;

typedef struct wf_p2h_fields {
    WF_VEC(wf_p2h_field) v;
    bool immutable;                /* a message's headers: set/append/delete fail */
} wf_p2h_fields;

extern const wf_p2_kind wf_p2h_kind_fields;

wf_p2h_fields *wf_p2h_fields_new(bool immutable);
void wf_p2h_fields_free(wf_p2h_fields *f);
wf_p2h_fields *wf_p2h_fields_copy(const wf_p2h_fields *f, bool immutable);
void wf_p2h_fields_append(wf_p2h_fields *f, const char *name, size_t nlen, const void *value, size_t len);
/* The first value of name (any case), or NULL. */
const wf_p2h_field *wf_p2h_fields_find(const wf_p2h_fields *f, const char *name);
/* A new fields resource (child of parent rep, 0: none) owning f. */
wf_error *wf_p2h_fields_handle(wf_p2_ctx *cx, wf_p2h_fields *f, uint32_t parent, wf_val *out);
/* A header name that wasmfn sets itself and guests may not (connection,
 * host, transfer-encoding, ...), as wasmtime's default. */
bool wf_p2h_forbidden(const char *name, size_t len);

/* ---- WIT values ------------------------------------------------------------- */

/* error-code cases wasmfn gives (their index in the variant). */
enum {
    P2H_DNS_TIMEOUT = 0, P2H_DNS_ERROR = 1, P2H_CONNECTION_REFUSED = 6,
    P2H_CONNECTION_TERMINATED = 7, P2H_CONNECTION_TIMEOUT = 8, P2H_CONNECTION_READ_TIMEOUT = 9, P2H_TLS_PROTOCOL_ERROR = 12,
    P2H_HTTP_REQUEST_DENIED = 15, P2H_HTTP_REQUEST_BODY_SIZE = 17,
    P2H_HTTP_REQUEST_METHOD_INVALID = 18, P2H_HTTP_REQUEST_URI_INVALID = 19,
    P2H_HTTP_RESPONSE_INCOMPLETE = 25, P2H_HTTP_RESPONSE_BODY_SIZE = 28,
    P2H_HTTP_RESPONSE_TIMEOUT = 33, P2H_HTTP_PROTOCOL_ERROR = 35, P2H_INTERNAL_ERROR = 38,
    P2H_NCODES = 39
};
/* error-code case `tag` with its payload: num for the size cases
 * (has_num), msg for internal-error (NULL: none). */
wf_val wf_p2h_code(unsigned tag, bool has_num, uint64_t num, const char *msg);
/* The case for a client failure. */
unsigned wf_p2h_code_of_fail(wf_http_client_fail f);
/* The case name of an error-code value ("?" when it is not one). */
const char *wf_p2h_code_name(const wf_val *v);
/* Stream errors carry the error-code in the io-error's errno slot as
 * -(P2H_ERRNO_BASE + tag), for http-error-code. */
#define P2H_ERRNO_BASE 1000
/* method and scheme values, and back ("GET", "http"; others as given). */
wf_val wf_p2h_method_val(const char *m);
wf_val wf_p2h_scheme_val(const char *s);
/* The method/scheme a guest gave (copied), NULL when v is not one. */
char *wf_p2h_method_str(const wf_val *v);
char *wf_p2h_scheme_str(const wf_val *v);

/* ---- outgoing client calls (p2_http_out.c) ------------------------------------- */

typedef struct wf_p2h_call wf_p2h_call;
void wf_p2h_call_unref(wf_p2h_call *c);
/* The streamed request body: room, append (within room), end. check is
 * check-write's answer (CLOSED/FAILED once the call ended), writable the
 * stream's readiness. */
size_t wf_p2h_call_room(wf_p2h_call *c);
wf_p2_status wf_p2h_call_check(wf_p2h_call *c, uint64_t *n, wf_p2_ioerr *err);
bool wf_p2h_call_writable(wf_p2h_call *c);
wf_error *wf_p2h_call_send(wf_p2h_call *c, const void *p, size_t n);
wf_error *wf_p2h_call_finish(wf_p2h_call *c);
/* Fill w so that a change of the call wakes it. */
void wf_p2h_call_wait(wf_p2h_call *c, wf_p2_wait *w);

/* ---- messages ------------------------------------------------------------------ */

/* An outgoing request or response, and its body. */
typedef struct wf_p2h_out {
    int refs;
    bool is_request;
    wf_p2h_fields *headers;
    char *method, *path, *scheme, *authority;   /* request; NULL: none (method: GET) */
    unsigned status;                            /* response [200] */
    bool body_taken, stream_taken, finished;
    int64_t length;                /* Content-Length, -1 when none */
    uint64_t written;
    wf_buf pending;                /* written before the message was sent */
    wf_p2_http_incoming *server;   /* a response set on an outparam: its sink */
    wf_p2h_call *call;             /* a request handed to the client (streamed body) */
} wf_p2h_out;

void wf_p2h_out_unref(wf_p2h_out *o);

/* An incoming request (served) or response (from the client), and its body. */
typedef struct wf_p2h_in {
    int refs;
    wf_p2h_fields *headers;        /* immutable */
    wf_p2_http_incoming *server;   /* a request: what the server gave */
    wf_p2h_call *call;             /* a response: its call */
    unsigned status;
    bool consumed, stream_taken;
    size_t off;                    /* a served body: bytes read */
} wf_p2h_in;

void wf_p2h_in_unref(wf_p2h_in *in);
/* Resources of a response from the client (p2_http_types.c). */
wf_error *wf_p2h_incoming_response(wf_p2_ctx *cx, wf_p2h_call *call, unsigned status,
                                   wf_p2h_fields *headers, wf_val *out);
/* The client side of a response body (p2_http_out.c): read without
 * waiting; ready; the trailers once the body ended (NULL: not yet). */
wf_p2_status wf_p2h_call_read(wf_p2h_call *c, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err);
bool wf_p2h_call_body_ready(wf_p2h_call *c);
bool wf_p2h_call_trailers(wf_p2h_call *c, wf_p2h_fields **out, wf_val *code_err);

extern const wf_p2_kind wf_p2h_kind_incoming_request, wf_p2h_kind_outgoing_request,
    wf_p2h_kind_request_options, wf_p2h_kind_response_outparam, wf_p2h_kind_incoming_response,
    wf_p2h_kind_incoming_body, wf_p2h_kind_future_trailers, wf_p2h_kind_outgoing_response,
    wf_p2h_kind_outgoing_body, wf_p2h_kind_future_incoming_response;

/* request-options (ns; 0 = none). */
typedef struct wf_p2h_options {
    uint64_t connect, first_byte, between_bytes;
} wf_p2h_options;

#endif
