/*
 * p2_http_types.c - the resources of wasi:http/types but fields
 * (p2_http_fields.c) and the outgoing future (p2_http_out.c): incoming and
 * outgoing requests and responses, their bodies and the bodies' streams,
 * future-trailers, response-outparam, request-options, and
 * http-error-code.
 *
 * An outgoing body goes where its message went: a response set on a
 * response-outparam streams to the server's sink (wf_p2_http_incoming), a
 * request handed to outgoing-handler streams to the client call; bytes
 * written before either are kept (up to P2H_PENDING_MAX) and sent then.
 * A Content-Length header is held to: writing past it fails the stream,
 * finishing short of it fails `finish` (HTTP-request-body-size or
 * HTTP-response-body-size, as wasmtime). Trailers are received (a
 * response's, from the client) and sent on a served response (the sink's
 * trailers: HTTP/1.1's last chunk); the client sends none, so a request's
 * `finish` with non-empty trailers is an internal-error saying so rather
 * than dropping them silently.
 *
 * A served request's body is the server's whole body, or a source
 * (wf_p2_http_source) that streams it as it arrives: reads take what came,
 * the pollable waits on the server's queue, future-trailers resolves once
 * the body ended (what the guest left unread is dropped) to its trailers
 * or the error-code it failed with.
 *
 * Headers of a message are immutable (`headers()` gives an immutable copy
 * that is the message's child); a body's stream is the body's child, and
 * `finish` traps while it is alive, as the WIT says.
 */
#include <limits.h>
#include <stdio.h>

#include "wasi/p2_http_int.h"

/* Bytes an outgoing body keeps before its message is sent. */
#define P2H_PENDING_MAX ((size_t)1 << 20)
/* What one check-write allows on a server response (the server parks a
 * writer that is further ahead of its client). */
#define P2H_SERVER_PERMIT ((uint64_t)64 << 10)


/* ---- messages -------------------------------------------------------------------- */

void wf_p2h_out_unref(wf_p2h_out *o)
{
    if (!o || --o->refs > 0) return;
    wf_p2h_fields_free(o->headers);
    free(o->method);
    free(o->path);
    free(o->scheme);
    free(o->authority);
    wf_buf_free(&o->pending);
    if (o->call) wf_p2h_call_unref(o->call);
    free(o);
}

void wf_p2h_in_unref(wf_p2h_in *in)
{
    if (!in || --in->refs > 0) return;
    wf_p2h_fields_free(in->headers);
    if (in->call) wf_p2h_call_unref(in->call);
    free(in);
}

static void out_res_free(void *p) { wf_p2h_out_unref(p); }
static void in_res_free(void *p) { wf_p2h_in_unref(p); }
static void plain_free(void *p) { free(p); }

typedef struct p2h_outparam {
    wf_p2_http_incoming *server;
} p2h_outparam;

typedef struct p2h_trailers {
    wf_p2h_in *in;
    bool taken;
} p2h_trailers;

static void trailers_free(void *p)
{
    p2h_trailers *t = p;
    wf_p2h_in_unref(t->in);
    free(t);
}

const wf_p2_kind wf_p2h_kind_incoming_request = { "incoming-request", in_res_free };
const wf_p2_kind wf_p2h_kind_incoming_response = { "incoming-response", in_res_free };
const wf_p2_kind wf_p2h_kind_incoming_body = { "incoming-body", in_res_free };
const wf_p2_kind wf_p2h_kind_future_trailers = { "future-trailers", trailers_free };
const wf_p2_kind wf_p2h_kind_outgoing_request = { "outgoing-request", out_res_free };
const wf_p2_kind wf_p2h_kind_outgoing_response = { "outgoing-response", out_res_free };
const wf_p2_kind wf_p2h_kind_outgoing_body = { "outgoing-body", out_res_free };
const wf_p2_kind wf_p2h_kind_request_options = { "request-options", plain_free };
const wf_p2_kind wf_p2h_kind_response_outparam = { "response-outparam", plain_free };

/* ---- calls --------------------------------------------------------------------- */

typedef struct hcall {
    wf_p2_ctx *cx;
    void *self;
    uint32_t rep;
} hcall;

static wf_error *hbegin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                        size_t want, const wf_p2_kind *k, hcall *c)
{
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, want)) || (e = wf_p2_cx(inst, &c->cx))) return e;
    return wf_p2_get_rep(c->cx, k, &args[0], "self", &c->self, &c->rep);
}

static wf_val opt_str(const char *s)
{
    if (!s) return wf_val_none();
    wf_val v = wf_val_string(s, strlen(s));
    return wf_val_some(&v);
}

/* An immutable copy of f, the message's (rep) child. */
static wf_error *headers_of(hcall *c, const wf_p2h_fields *f, wf_val *result)
{
    return wf_p2h_fields_handle(c->cx, wf_p2h_fields_copy(f, true), c->rep, result);
}

/* ---- incoming bodies (served requests, client responses) --------------------------------- */

/* The error-code case for a served request body that failed. */
static unsigned code_of_body_fail(wf_p2_http_source_fail f)
{
    switch (f) {
    case WF_P2_SOURCE_TOO_LARGE: return P2H_HTTP_REQUEST_BODY_SIZE;
    case WF_P2_SOURCE_MALFORMED: return P2H_HTTP_PROTOCOL_ERROR;
    case WF_P2_SOURCE_TIMEOUT: return P2H_CONNECTION_READ_TIMEOUT;
    case WF_P2_SOURCE_CUT: break;
    }
    return P2H_CONNECTION_TERMINATED;
}

/* A served body streamed from the server's exchange (as the client's
 * response body: what arrived, without waiting). */
static wf_p2_status served_read(const wf_p2_http_incoming *srv, uint8_t *buf, size_t len, size_t *n,
                                wf_p2_ioerr *err)
{
    wf_p2_http_source_fail why = WF_P2_SOURCE_CUT;
    const char *msg = "";
    switch (srv->source->read(srv->source_ud, buf, len, n, &why, &msg)) {
    case WF_P2_SOURCE_DATA:
    case WF_P2_SOURCE_WAIT:
        return WF_P2_OK;
    case WF_P2_SOURCE_END:
        return len ? WF_P2_CLOSED : WF_P2_OK;
    case WF_P2_SOURCE_FAILED:
        break;
    }
    err->code = -(P2H_ERRNO_BASE + (int)code_of_body_fail(why));
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return WF_P2_FAILED;
}

static wf_p2_status in_read(void *obj, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err)
{
    wf_p2h_in *in = obj;
    *n = 0;
    if (in->call) return wf_p2h_call_read(in->call, buf, len, n, err);
    if (in->server->source) return served_read(in->server, buf, len, n, err);
    size_t left = in->server->body_len - in->off;
    if (!left) return len ? WF_P2_CLOSED : WF_P2_OK;
    *n = WF_MIN(left, len);
    memcpy(buf, in->server->body + in->off, *n);
    in->off += *n;
    return WF_P2_OK;
}

static bool in_ready(void *obj)
{
    wf_p2h_in *in = obj;
    if (in->call) return wf_p2h_call_body_ready(in->call);
    return in->server->source ? in->server->source->ready(in->server->source_ud) : true;
}

static void in_wait(void *obj, wf_p2_wait *w)
{
    wf_p2h_in *in = obj;
    if (in->call) wf_p2h_call_wait(in->call, w);
    else if (in->server->source) in->server->source->wait_on(in->server->source_ud, &w->mu, &w->q);
}

/* A streamed served body's end: what the guest left unread goes (the
 * trailers come after it); true once it ended or failed (*why). */
static bool served_over(const wf_p2_http_incoming *srv, bool *failed, wf_p2_http_source_fail *why)
{
    uint8_t scratch[16384];
    size_t n;
    const char *msg;
    *failed = false;
    for (;;) {
        switch (srv->source->read(srv->source_ud, scratch, sizeof scratch, &n, why, &msg)) {
        case WF_P2_SOURCE_DATA: continue;
        case WF_P2_SOURCE_WAIT: return false;
        case WF_P2_SOURCE_END: return true;
        case WF_P2_SOURCE_FAILED: *failed = true; return true;
        }
    }
}

static const wf_p2_input_ops in_ops = { in_read, in_ready, in_wait, NULL };

static WF_P2_FN(body_stream)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_body, &c);
    if (e) return e;
    wf_p2h_in *in = c.self;
    if (in->stream_taken) {
        *result = wf_val_err(NULL);
        return NULL;
    }
    wf_val s;
    if ((e = wf_p2_input_new(c.cx, &in_ops, in, c.rep, &s))) return e;
    in->stream_taken = true;
    *result = wf_p2_ok(s);
    return NULL;
}

static WF_P2_FN(body_finish)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_take(cx, &wf_p2h_kind_incoming_body, &args[0], "this", &obj)))
        return e;
    p2h_trailers *t = wf_xcalloc(1, sizeof *t);
    t->in = obj;   /* the body's reference moves to the future */
    return wf_p2_new_handle(cx, &wf_p2h_kind_future_trailers, t, 0, result);
}

static bool trailers_ready(void *obj)
{
    p2h_trailers *t = obj;
    bool failed;
    wf_p2_http_source_fail why;
    if (!t->in->call) return !t->in->server || !t->in->server->source || served_over(t->in->server, &failed, &why);
    wf_p2h_fields *f = NULL;
    wf_val err = {0};
    bool ready = wf_p2h_call_trailers(t->in->call, &f, &err);
    wf_p2h_fields_free(f);
    wf_val_free(&err);
    return ready;
}

static void trailers_wait(void *obj, wf_p2_wait *w)
{
    p2h_trailers *t = obj;
    in_wait(t->in, w);
}

static const wf_p2_poll_ops trailers_poll = { trailers_ready, trailers_wait };

static WF_P2_FN(trailers_subscribe)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_future_trailers, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &trailers_poll, c.self, NULL, c.rep, result);
}

static WF_P2_FN(trailers_get)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_future_trailers, &c);
    if (e) return e;
    p2h_trailers *t = c.self;
    if (t->taken) {   /* some(err): taken already */
        wf_val r = wf_val_err(NULL);
        *result = wf_val_some(&r);
        return NULL;
    }
    wf_p2h_fields *f = NULL;
    wf_val code = {0};
    bool have_code = false;
    if (t->in->call) {
        code.kind = WF_VAL_BOOL;
        if (!wf_p2h_call_trailers(t->in->call, &f, &code)) {
            *result = wf_val_none();
            return NULL;
        }
        have_code = code.kind == WF_VAL_VARIANT;
    } else if (t->in->server && t->in->server->source) {
        const wf_p2_http_incoming *srv = t->in->server;
        bool failed;
        wf_p2_http_source_fail why;
        if (!served_over(srv, &failed, &why)) {
            *result = wf_val_none();
            return NULL;
        }
        size_t nt = failed ? 0 : srv->source->trailer_count(srv->source_ud);
        if (failed) {
            code = wf_p2h_code(code_of_body_fail(why), false, 0, NULL);
            have_code = true;
        } else if (nt) {
            f = wf_p2h_fields_new(true);
            for (size_t i = 0; i < nt; i++) {
                const char *name, *value;
                srv->source->trailer(srv->source_ud, i, &name, &value);
                wf_p2h_fields_append(f, name, strlen(name), value, strlen(value));
            }
        }
    }
    t->taken = true;
    wf_val inner;
    if (have_code) {
        inner = wf_val_err(&code);
    } else if (f) {
        f->immutable = true;
        wf_val h;
        if ((e = wf_p2h_fields_handle(c.cx, f, 0, &h))) return e;
        wf_val s = wf_val_some(&h);
        inner = wf_val_ok(&s);
    } else {
        wf_val s = wf_val_none();
        inner = wf_val_ok(&s);
    }
    wf_val mid = wf_val_ok(&inner);
    *result = wf_val_some(&mid);
    return NULL;
}

/* ---- incoming-request ------------------------------------------------------------------------ */

wf_error *wf_p2_http_proxy_args(wf_p2_ctx *cx, wf_p2_http_incoming *srv, wf_val args[2])
{
    wf_p2h_in *in = wf_xcalloc(1, sizeof *in);
    in->refs = 1;
    in->server = srv;
    in->headers = wf_p2h_fields_new(true);
    for (size_t i = 0; i < srv->nheaders; i++)
        wf_p2h_fields_append(in->headers, srv->headers[i].name, strlen(srv->headers[i].name),
                             srv->headers[i].value, srv->headers[i].value_len);
    wf_error *e = wf_p2_new_handle(cx, &wf_p2h_kind_incoming_request, in, 0, &args[0]);
    if (e) return e;
    p2h_outparam *p = wf_xcalloc(1, sizeof *p);
    p->server = srv;
    return wf_p2_new_handle(cx, &wf_p2h_kind_response_outparam, p, 0, &args[1]);
}

static WF_P2_FN(ireq_method)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_request, &c);
    if (e) return e;
    *result = wf_p2h_method_val(((wf_p2h_in *)c.self)->server->method);
    return NULL;
}

static WF_P2_FN(ireq_path)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_request, &c);
    if (e) return e;
    *result = opt_str(((wf_p2h_in *)c.self)->server->path_with_query);
    return NULL;
}

static WF_P2_FN(ireq_scheme)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_request, &c);
    if (e) return e;
    const char *s = ((wf_p2h_in *)c.self)->server->scheme;
    if (!s) {
        *result = wf_val_none();
    } else {
        wf_val v = wf_p2h_scheme_val(s);
        *result = wf_val_some(&v);
    }
    return NULL;
}

static WF_P2_FN(ireq_authority)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_request, &c);
    if (e) return e;
    *result = opt_str(((wf_p2h_in *)c.self)->server->authority);
    return NULL;
}

/* headers() of an incoming request or response. */
static wf_error *in_headers(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                            const wf_p2_kind *k, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, k, &c);
    if (e) return e;
    return headers_of(&c, ((wf_p2h_in *)c.self)->headers, result);
}

/* consume() of an incoming request or response: its body, once. */
static wf_error *in_consume(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                            const wf_p2_kind *k, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, k, &c);
    if (e) return e;
    wf_p2h_in *in = c.self;
    if (in->consumed) {
        *result = wf_val_err(NULL);
        return NULL;
    }
    wf_val b;
    in->refs++;
    if ((e = wf_p2_new_handle(c.cx, &wf_p2h_kind_incoming_body, in, 0, &b))) return e;
    in->consumed = true;
    *result = wf_p2_ok(b);
    return NULL;
}

static WF_P2_FN(ireq_headers) { (void)env; return in_headers(inst, type, args, nargs, &wf_p2h_kind_incoming_request, result); }
static WF_P2_FN(ireq_consume) { (void)env; return in_consume(inst, type, args, nargs, &wf_p2h_kind_incoming_request, result); }

/* ---- incoming-response ------------------------------------------------------------------------ */

wf_error *wf_p2h_incoming_response(wf_p2_ctx *cx, wf_p2h_call *call, unsigned status,
                                   wf_p2h_fields *headers, wf_val *out)
{
    wf_p2h_in *in = wf_xcalloc(1, sizeof *in);
    in->refs = 1;
    in->call = call;
    in->status = status;
    in->headers = headers;
    headers->immutable = true;
    return wf_p2_new_handle(cx, &wf_p2h_kind_incoming_response, in, 0, out);
}

static WF_P2_FN(iresp_status)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_incoming_response, &c);
    if (e) return e;
    *result = wf_val_uint(WF_VAL_U16, ((wf_p2h_in *)c.self)->status);
    return NULL;
}

static WF_P2_FN(iresp_headers) { (void)env; return in_headers(inst, type, args, nargs, &wf_p2h_kind_incoming_response, result); }
static WF_P2_FN(iresp_consume) { (void)env; return in_consume(inst, type, args, nargs, &wf_p2h_kind_incoming_response, result); }

/* ---- outgoing bodies ---------------------------------------------------------------------------- */

static void set_fail(wf_p2h_out *o, wf_p2_ioerr *err, unsigned tag, const char *msg)
{
    err->code = -(P2H_ERRNO_BASE + (int)tag);
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    (void)o;
}

static wf_p2_status out_check(void *obj, uint64_t *n, wf_p2_ioerr *err)
{
    wf_p2h_out *o = obj;
    (void)err;
    if (o->server) *n = P2H_SERVER_PERMIT;
    else if (o->call) return wf_p2h_call_check(o->call, n, err);
    else *n = o->pending.len < P2H_PENDING_MAX ? P2H_PENDING_MAX - o->pending.len : 0;
    return WF_P2_OK;
}

static wf_p2_status out_write(void *obj, const uint8_t *data, size_t len, wf_p2_ioerr *err)
{
    wf_p2h_out *o = obj;
    if (o->length >= 0 && o->written + len > (uint64_t)o->length) {
        set_fail(o, err, o->is_request ? P2H_HTTP_REQUEST_BODY_SIZE : P2H_HTTP_RESPONSE_BODY_SIZE,
                 "the body is longer than its Content-Length");
        return WF_P2_FAILED;
    }
    o->written += len;
    wf_error *e = NULL;
    if (o->server) e = o->server->sink->write(o->server->ud, data, len);
    else if (o->call) e = wf_p2h_call_send(o->call, data, len);
    else wf_buf_bytes(&o->pending, data, len);
    if (!e) return WF_P2_OK;
    set_fail(o, err, o->server ? P2H_CONNECTION_TERMINATED : P2H_INTERNAL_ERROR, e->message);
    wf_error_free(e);
    return WF_P2_FAILED;
}

static wf_p2_status out_flush(void *obj, wf_p2_ioerr *err)
{
    wf_p2h_out *o = obj;
    wf_error *e = o->server ? o->server->sink->flush(o->server->ud) : NULL;
    if (!e) return WF_P2_OK;
    set_fail(o, err, P2H_CONNECTION_TERMINATED, e->message);
    wf_error_free(e);
    return WF_P2_FAILED;
}

static bool out_ready(void *obj)
{
    wf_p2h_out *o = obj;
    if (o->call) return wf_p2h_call_writable(o->call);
    return o->server || o->pending.len < P2H_PENDING_MAX;
}

static void out_wait(void *obj, wf_p2_wait *w)
{
    wf_p2h_out *o = obj;
    if (o->call) wf_p2h_call_wait(o->call, w);
}

static const wf_p2_output_ops out_ops = { out_check, out_write, out_flush, out_ready, out_wait, NULL };

static WF_P2_FN(obody_write)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_body, &c);
    if (e) return e;
    wf_p2h_out *o = c.self;
    if (o->stream_taken) {
        *result = wf_val_err(NULL);
        return NULL;
    }
    wf_val s;
    if ((e = wf_p2_output_new(c.cx, &out_ops, o, c.rep, &s))) return e;
    o->stream_taken = true;
    *result = wf_p2_ok(s);
    return NULL;
}

/* The message's bytes written before it was sent, to its sink now. */
static wf_error *send_pending(wf_p2h_out *o)
{
    if (!o->pending.len) return NULL;
    wf_error *e = o->server ? o->server->sink->write(o->server->ud, o->pending.data, o->pending.len)
                            : wf_p2h_call_send(o->call, o->pending.data, o->pending.len);
    o->pending.len = 0;
    return e;
}

static WF_P2_FN(obody_finish)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 2)) || (e = wf_p2_cx(inst, &cx))) return e;
    if (args[1].kind != WF_VAL_OPTION) return wf_p2_trap(type, "trailers must be an option");
    if ((e = wf_p2_take(cx, &wf_p2h_kind_outgoing_body, &args[0], "this", &obj))) return e;
    wf_p2h_out *o = obj;
    wf_p2h_fields *trailers = NULL;
    if (args[1].of.cas.payload) {
        void *t;
        if ((e = wf_p2_take(cx, &wf_p2h_kind_fields, args[1].of.cas.payload, "trailers", &t))) {
            wf_p2h_out_unref(o);
            return e;
        }
        trailers = t;
    }
    size_t ntrailers = trailers ? trailers->v.len : 0;
    o->finished = true;
    bool short_body = o->length >= 0 && o->written != (uint64_t)o->length;
    if (short_body) {
        wf_val code = wf_p2h_code(o->is_request ? P2H_HTTP_REQUEST_BODY_SIZE : P2H_HTTP_RESPONSE_BODY_SIZE,
                                  true, o->written, NULL);
        *result = wf_p2_err(code);
    } else if (ntrailers && !o->server) {
        /* A request's body (or a response never set on an outparam). */
        wf_val code = wf_p2h_code(P2H_INTERNAL_ERROR, false, 0,
                                  "wasmfn sends trailers on responses only (the body itself is complete)");
        *result = wf_p2_err(code);
    } else {
        *result = wf_p2_ok_empty();
    }
    if (o->server && !o->server->ended && ntrailers && !short_body) {
        wf_p2_http_header *h = wf_xcalloc(ntrailers, sizeof *h);
        for (size_t i = 0; i < ntrailers; i++) {
            const wf_p2h_field *f = &trailers->v.data[i];
            h[i] = (wf_p2_http_header){ f->name, (const char *)f->value, f->len };
        }
        o->server->sink->trailers(o->server->ud, h, ntrailers);
        free(h);
    }
    wf_p2h_fields_free(trailers);
    if (o->server && !o->server->ended) {
        o->server->ended = true;
        o->server->sink->end(o->server->ud);
    } else if (o->call) {
        wf_error *fe = wf_p2h_call_finish(o->call);
        if (fe && result->of.cas.index == 0) {
            wf_val_free(result);
            *result = wf_p2_err(wf_p2h_code(P2H_HTTP_REQUEST_BODY_SIZE, true, o->written, NULL));
        }
        wf_error_free(fe);
    }
    wf_p2h_out_unref(o);
    return NULL;
}

/* body() of an outgoing request or response: once. */
static wf_error *out_body(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          const wf_p2_kind *k, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, k, &c);
    if (e) return e;
    wf_p2h_out *o = c.self;
    if (o->body_taken) {
        *result = wf_val_err(NULL);
        return NULL;
    }
    const wf_p2h_field *cl = wf_p2h_fields_find(o->headers, "content-length");
    o->length = -1;
    if (cl) {
        char *end;
        unsigned long long n = strtoull((const char *)cl->value, &end, 10);
        if (end != (const char *)cl->value && !*end && n <= INT64_MAX) o->length = (int64_t)n;
    }
    wf_val b;
    o->refs++;
    if ((e = wf_p2_new_handle(c.cx, &wf_p2h_kind_outgoing_body, o, 0, &b))) return e;
    o->body_taken = true;
    *result = wf_p2_ok(b);
    return NULL;
}

/* ---- outgoing-request ------------------------------------------------------------------------- */

static wf_error *new_out(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         bool request, wf_val *result)
{
    wf_p2_ctx *cx;
    void *f;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_take(cx, &wf_p2h_kind_fields, &args[0], "headers", &f)))
        return e;
    wf_p2h_out *o = wf_xcalloc(1, sizeof *o);
    o->refs = 1;
    o->is_request = request;
    o->headers = f;
    o->headers->immutable = true;
    o->status = 200;
    o->length = -1;
    return wf_p2_new_handle(cx, request ? &wf_p2h_kind_outgoing_request : &wf_p2h_kind_outgoing_response,
                            o, 0, result);
}

static WF_P2_FN(oreq_new) { (void)env; return new_out(inst, type, args, nargs, true, result); }
static WF_P2_FN(oreq_body) { (void)env; return out_body(inst, type, args, nargs, &wf_p2h_kind_outgoing_request, result); }

static WF_P2_FN(oreq_headers)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    return headers_of(&c, ((wf_p2h_out *)c.self)->headers, result);
}

static WF_P2_FN(oreq_method)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    const char *m = ((wf_p2h_out *)c.self)->method;
    *result = wf_p2h_method_val(m ? m : "GET");
    return NULL;
}

static WF_P2_FN(oreq_set_method)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 2, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    char *m = wf_p2h_method_str(&args[1]);
    if (!m) return wf_p2_trap(type, "method must be a method variant");
    if (!wf_http_token(m, strlen(m))) {
        free(m);
        *result = wf_val_err(NULL);
        return NULL;
    }
    wf_p2h_out *o = c.self;
    free(o->method);
    o->method = m;
    *result = wf_val_ok(NULL);
    return NULL;
}

static WF_P2_FN(oreq_path)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    *result = opt_str(((wf_p2h_out *)c.self)->path);
    return NULL;
}

static WF_P2_FN(oreq_scheme)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    const char *s = ((wf_p2h_out *)c.self)->scheme;
    if (!s) {
        *result = wf_val_none();
    } else {
        wf_val v = wf_p2h_scheme_val(s);
        *result = wf_val_some(&v);
    }
    return NULL;
}

static WF_P2_FN(oreq_authority)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    *result = opt_str(((wf_p2h_out *)c.self)->authority);
    return NULL;
}

/* Printable ASCII without space and the characters `reject` names. */
static bool uri_part_ok(const char *s, const char *reject)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr(reject, *s)) return false;
    return true;
}

/* set-path-with-query, set-scheme, set-authority: option<string|scheme>. */
static wf_error *set_part(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          int which, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 2, &wf_p2h_kind_outgoing_request, &c);
    if (e) return e;
    if (args[1].kind != WF_VAL_OPTION) return wf_p2_trap(type, "expects an option");
    const wf_val *p = args[1].of.cas.payload;
    char *s = NULL;
    bool ok = true;
    if (p) {
        if (which == 1) {
            s = wf_p2h_scheme_str(p);
            if (!s) return wf_p2_trap(type, "expects a scheme");
            ok = wf_http_token(s, strlen(s)) && !strchr(s, '/');
        } else {
            if (p->kind != WF_VAL_STRING) return wf_p2_trap(type, "expects a string");
            s = wf_xstrdup(p->of.str.data);
            ok = which == 0 ? (s[0] == '/' || s[0] == '*' || !s[0]) && uri_part_ok(s, "#")
                            : s[0] && uri_part_ok(s, "/?#@\\");
        }
    }
    if (!ok) {
        free(s);
        *result = wf_val_err(NULL);
        return NULL;
    }
    wf_p2h_out *o = c.self;
    char **slot = which == 0 ? &o->path : which == 1 ? &o->scheme : &o->authority;
    free(*slot);
    *slot = s;
    *result = wf_val_ok(NULL);
    return NULL;
}

static WF_P2_FN(oreq_set_path) { (void)env; return set_part(inst, type, args, nargs, 0, result); }
static WF_P2_FN(oreq_set_scheme) { (void)env; return set_part(inst, type, args, nargs, 1, result); }
static WF_P2_FN(oreq_set_authority) { (void)env; return set_part(inst, type, args, nargs, 2, result); }

/* ---- outgoing-response -------------------------------------------------------------------------- */

static WF_P2_FN(oresp_new) { (void)env; return new_out(inst, type, args, nargs, false, result); }
static WF_P2_FN(oresp_body) { (void)env; return out_body(inst, type, args, nargs, &wf_p2h_kind_outgoing_response, result); }

static WF_P2_FN(oresp_headers)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_response, &c);
    if (e) return e;
    return headers_of(&c, ((wf_p2h_out *)c.self)->headers, result);
}

static WF_P2_FN(oresp_status)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_outgoing_response, &c);
    if (e) return e;
    *result = wf_val_uint(WF_VAL_U16, ((wf_p2h_out *)c.self)->status);
    return NULL;
}

static WF_P2_FN(oresp_set_status)
{
    (void)env;
    hcall c;
    uint64_t st;
    wf_error *e = hbegin(inst, type, args, nargs, 2, &wf_p2h_kind_outgoing_response, &c);
    if (e || (e = wf_p2_arg_u64(type, args, 1, &st))) return e;
    if (st < 100 || st > 999) {
        *result = wf_val_err(NULL);
        return NULL;
    }
    ((wf_p2h_out *)c.self)->status = (unsigned)st;
    *result = wf_val_ok(NULL);
    return NULL;
}

/* ---- response-outparam --------------------------------------------------------------------------- */

static WF_P2_FN(outparam_informational)
{
    (void)env;
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 3, &wf_p2h_kind_response_outparam, &c);
    if (e) return e;
    void *f;
    if ((e = wf_p2_take(c.cx, &wf_p2h_kind_fields, &args[2], "headers", &f))) return e;
    wf_p2h_fields_free(f);
    *result = wf_p2_err(wf_p2h_code(P2H_INTERNAL_ERROR, false, 0,
                                    "wasmfn does not send informational (1xx) responses"));
    return NULL;
}

static WF_P2_FN(outparam_set)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 2)) || (e = wf_p2_cx(inst, &cx))) return e;
    const wf_val *r = &args[1];
    if (r->kind != WF_VAL_RESULT || !r->of.cas.payload) return wf_p2_trap(type, "expects a result");
    if ((e = wf_p2_take(cx, &wf_p2h_kind_response_outparam, &args[0], "param", &obj))) return e;
    p2h_outparam p = *(p2h_outparam *)obj;
    free(obj);
    wf_p2_http_incoming *srv = p.server;
    if (r->of.cas.index == 1) {
        srv->failed = true;
        snprintf(srv->error_code, sizeof srv->error_code, "%s", wf_p2h_code_name(r->of.cas.payload));
        *result = wf_val_agg(WF_VAL_TUPLE, 0);
        return NULL;
    }
    void *ro;
    if ((e = wf_p2_take(cx, &wf_p2h_kind_outgoing_response, r->of.cas.payload, "response", &ro))) return e;
    wf_p2h_out *o = ro;
    /* The head, without what the server frames itself. */
    wf_p2_http_header *h = wf_xcalloc(o->headers->v.len + 1, sizeof *h);
    size_t n = 0;
    for (size_t i = 0; i < o->headers->v.len; i++) {
        const wf_p2h_field *f = &o->headers->v.data[i];
        h[n++] = (wf_p2_http_header){ f->name, (const char *)f->value, f->len };
    }
    srv->sink->head(srv->ud, o->status, h, n);
    free(h);
    srv->responded = true;
    srv->status = o->status;
    o->server = srv;
    e = send_pending(o);
    wf_error_free(e);   /* the client went away: the guest's next write says so */
    /* A body never asked for is an empty one: the response is complete. */
    if ((o->finished || !o->body_taken) && !srv->ended) {
        srv->ended = true;
        srv->sink->end(srv->ud);
    }
    wf_p2h_out_unref(o);
    *result = wf_val_agg(WF_VAL_TUPLE, 0);
    return NULL;
}

/* ---- request-options ---------------------------------------------------------------------------- */

static WF_P2_FN(opts_new)
{
    (void)env; (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    return wf_p2_new_handle(cx, &wf_p2h_kind_request_options, wf_xcalloc(1, sizeof(wf_p2h_options)), 0,
                            result);
}

static uint64_t *opt_slot(wf_p2h_options *o, int which)
{
    return which == 0 ? &o->connect : which == 1 ? &o->first_byte : &o->between_bytes;
}

static wf_error *opts_get(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          int which, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 1, &wf_p2h_kind_request_options, &c);
    if (e) return e;
    uint64_t v = *opt_slot(c.self, which);
    if (!v) {
        *result = wf_val_none();
    } else {
        wf_val d = wf_val_uint(WF_VAL_U64, v);
        *result = wf_val_some(&d);
    }
    return NULL;
}

static wf_error *opts_set(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          int which, wf_val *result)
{
    hcall c;
    wf_error *e = hbegin(inst, type, args, nargs, 2, &wf_p2h_kind_request_options, &c);
    if (e) return e;
    if (args[1].kind != WF_VAL_OPTION) return wf_p2_trap(type, "expects an option<duration>");
    const wf_val *p = args[1].of.cas.payload;
    uint64_t v = 0;
    if (p) {
        if (p->kind != WF_VAL_U64) return wf_p2_trap(type, "expects a duration");
        v = p->of.u ? p->of.u : 1;
    }
    *opt_slot(c.self, which) = v;
    *result = wf_val_ok(NULL);
    return NULL;
}

static WF_P2_FN(opts_connect) { (void)env; return opts_get(inst, type, args, nargs, 0, result); }
static WF_P2_FN(opts_first_byte) { (void)env; return opts_get(inst, type, args, nargs, 1, result); }
static WF_P2_FN(opts_between) { (void)env; return opts_get(inst, type, args, nargs, 2, result); }
static WF_P2_FN(opts_set_connect) { (void)env; return opts_set(inst, type, args, nargs, 0, result); }
static WF_P2_FN(opts_set_first_byte) { (void)env; return opts_set(inst, type, args, nargs, 1, result); }
static WF_P2_FN(opts_set_between) { (void)env; return opts_set(inst, type, args, nargs, 2, result); }

/* ---- http-error-code ------------------------------------------------------------------------------ */

static WF_P2_FN(http_error_code)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    int code;
    if (!wf_p2_error_code(cx, &args[0], &code) || code > -P2H_ERRNO_BASE ||
        code <= -(P2H_ERRNO_BASE + P2H_NCODES)) {
        *result = wf_val_none();
        return NULL;
    }
    wf_val v = wf_p2h_code((unsigned)(-code - P2H_ERRNO_BASE), false, 0, NULL);
    *result = wf_val_some(&v);
    return NULL;
}

/* ---- the interface -------------------------------------------------------------------------------- */


static const wf_p2_res_def res[] = {
    { "fields", &wf_p2h_kind_fields },
    { "incoming-request", &wf_p2h_kind_incoming_request },
    { "outgoing-request", &wf_p2h_kind_outgoing_request },
    { "request-options", &wf_p2h_kind_request_options },
    { "response-outparam", &wf_p2h_kind_response_outparam },
    { "incoming-response", &wf_p2h_kind_incoming_response },
    { "incoming-body", &wf_p2h_kind_incoming_body },
    { "future-trailers", &wf_p2h_kind_future_trailers },
    { "outgoing-response", &wf_p2h_kind_outgoing_response },
    { "outgoing-body", &wf_p2h_kind_outgoing_body },
    { "future-incoming-response", &wf_p2h_kind_future_incoming_response },
    { NULL, NULL },
};

static const wf_p2_fn_def own_fns[] = {
    { "http-error-code", http_error_code },
    { "[method]incoming-request.method", ireq_method },
    { "[method]incoming-request.path-with-query", ireq_path },
    { "[method]incoming-request.scheme", ireq_scheme },
    { "[method]incoming-request.authority", ireq_authority },
    { "[method]incoming-request.headers", ireq_headers },
    { "[method]incoming-request.consume", ireq_consume },
    { "[constructor]outgoing-request", oreq_new },
    { "[method]outgoing-request.body", oreq_body },
    { "[method]outgoing-request.method", oreq_method },
    { "[method]outgoing-request.set-method", oreq_set_method },
    { "[method]outgoing-request.path-with-query", oreq_path },
    { "[method]outgoing-request.set-path-with-query", oreq_set_path },
    { "[method]outgoing-request.scheme", oreq_scheme },
    { "[method]outgoing-request.set-scheme", oreq_set_scheme },
    { "[method]outgoing-request.authority", oreq_authority },
    { "[method]outgoing-request.set-authority", oreq_set_authority },
    { "[method]outgoing-request.headers", oreq_headers },
    { "[constructor]request-options", opts_new },
    { "[method]request-options.connect-timeout", opts_connect },
    { "[method]request-options.set-connect-timeout", opts_set_connect },
    { "[method]request-options.first-byte-timeout", opts_first_byte },
    { "[method]request-options.set-first-byte-timeout", opts_set_first_byte },
    { "[method]request-options.between-bytes-timeout", opts_between },
    { "[method]request-options.set-between-bytes-timeout", opts_set_between },
    { "[method]response-outparam.send-informational", outparam_informational },
    { "[static]response-outparam.set", outparam_set },
    { "[method]incoming-response.status", iresp_status },
    { "[method]incoming-response.headers", iresp_headers },
    { "[method]incoming-response.consume", iresp_consume },
    { "[method]incoming-body.stream", body_stream },
    { "[static]incoming-body.finish", body_finish },
    { "[method]future-trailers.subscribe", trailers_subscribe },
    { "[method]future-trailers.get", trailers_get },
    { "[constructor]outgoing-response", oresp_new },
    { "[method]outgoing-response.status-code", oresp_status },
    { "[method]outgoing-response.set-status-code", oresp_set_status },
    { "[method]outgoing-response.headers", oresp_headers },
    { "[method]outgoing-response.body", oresp_body },
    { "[method]outgoing-body.write", obody_write },
    { "[static]outgoing-body.finish", obody_finish },
    { NULL, NULL },
};

const wf_p2_iface wf_p2_iface_http_types = { "wasi:http", "wasi:http/types@0.2.12", res, own_fns };
