/*
 * p2_http_out.c - wasi:http/outgoing-handler: a guest's outgoing-request
 * sent through wasmfn's one HTTP client (http/client.h, libcurl on its own
 * loop thread) under the entry's `wasi.network` policy (SPEC §4: a host
 * not granted is HTTP-request-denied, nothing goes on the wire), and what
 * comes back: future-incoming-response, then the incoming-response whose
 * body stream and trailers read from the call.
 *
 * Nothing here blocks a worker: the client never waits by itself, and
 * every pollable (the future, the body's stream, the request body's room,
 * the trailers) waits through the call's watch (wf_p2_wait.watch), so a
 * guest blocked on one suspends its fiber until the client's loop wakes it.
 *
 * The request body: none when the guest never asked for it; given whole
 * when it was finished before handle; else streamed as the guest writes it
 * (chunked, or with its Content-Length), the client parking the writer's
 * pollable while its send buffer is full. request-options: the connect
 * timeout goes to the client; the first-byte timeout makes the future an
 * HTTP-response-timeout when no head came in time; the between-bytes
 * timeout goes to the client, whose body read then fails with
 * connection-read-timeout when the server stalls mid-body.
 */
#include <stdio.h>

#include "wasi/p2_http_int.h"

struct wf_p2h_call {
    int refs;
    wf_http_client_call *c;
    char *url;
    uint8_t *body;                 /* a body given whole: the client reads it until the end */
    uint64_t head_deadline;        /* first-byte-timeout (monotonic ns), 0: none */
    bool streamed, finished;
};

void wf_p2h_call_unref(wf_p2h_call *c)
{
    if (!c || --c->refs > 0) return;
    wf_http_client_call_free(c->c);
    free(c->url);
    free(c->body);
    free(c);
}

static bool failed(wf_p2h_call *c)
{
    return wf_http_client_failure(c->c) != WF_HTTP_CLIENT_FAIL_NONE;
}

/* err for a failed call: its error-code in the errno slot, its message. */
static void call_err(wf_p2h_call *c, wf_p2_ioerr *err)
{
    wf_error *e = wf_http_client_error(c->c);
    err->code = -(P2H_ERRNO_BASE + (int)wf_p2h_code_of_fail(wf_http_client_failure(c->c)));
    snprintf(err->msg, sizeof err->msg, "%s", e ? e->message : "the request failed");
    wf_error_free(e);
}

/* The call ended (its response is in, or it failed): the request body
 * takes nothing more. */
static bool over(wf_p2h_call *c)
{
    return wf_http_client_done(c->c);
}

size_t wf_p2h_call_room(wf_p2h_call *c)
{
    if (!c->streamed || c->finished) return 0;
    return wf_http_client_send_room(c->c);
}

bool wf_p2h_call_writable(wf_p2h_call *c)
{
    return wf_p2h_call_room(c) > 0 || c->finished || over(c);
}

wf_p2_status wf_p2h_call_check(wf_p2h_call *c, uint64_t *n, wf_p2_ioerr *err)
{
    *n = wf_p2h_call_room(c);
    if (*n || c->finished || !over(c)) return WF_P2_OK;
    /* A response that came before the body was all sent (the server did
     * not want it, or the body reached its Content-Length) ends the
     * stream; a failure says why. */
    if (!failed(c)) return WF_P2_CLOSED;
    call_err(c, err);
    return WF_P2_FAILED;
}

wf_error *wf_p2h_call_send(wf_p2h_call *c, const void *p, size_t n)
{
    if (!c->streamed || c->finished)
        return wf_error_new(WF_ERR_INVALID, "%s: the request body was sent already", c->url);
    return wf_http_client_send(c->c, p, n, 0);
}

wf_error *wf_p2h_call_finish(wf_p2h_call *c)
{
    if (!c->streamed || c->finished) return NULL;
    c->finished = true;
    return wf_http_client_finish(c->c);
}

static void watch(void *obj, wf_wait_node *n, wf_waker *w) { wf_http_client_watch(obj, n, w); }
static void unwatch(void *obj, wf_wait_node *n) { wf_http_client_unwatch(obj, n); }

void wf_p2h_call_wait(wf_p2h_call *c, wf_p2_wait *w)
{
    w->watch = watch;
    w->unwatch = unwatch;
    w->wobj = c->c;
    if (c->head_deadline && !wf_http_client_head_ready(c->c)) w->until_ns = c->head_deadline;
}

wf_p2_status wf_p2h_call_read(wf_p2h_call *c, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err)
{
    bool ended = false;
    size_t avail = wf_http_client_readable(c->c, &ended);
    *n = 0;
    if (!avail && !ended) return WF_P2_OK;
    if (!len) return WF_P2_OK;
    wf_error *e = wf_http_client_read(c->c, buf, avail ? WF_MIN(len, avail) : len, n, 0);
    if (e) {
        wf_error_free(e);
        call_err(c, err);
        return WF_P2_FAILED;
    }
    return *n ? WF_P2_OK : WF_P2_CLOSED;
}

bool wf_p2h_call_body_ready(wf_p2h_call *c)
{
    bool ended = false;
    return wf_http_client_readable(c->c, &ended) > 0 || ended;
}

bool wf_p2h_call_trailers(wf_p2h_call *c, wf_p2h_fields **out, wf_val *code_err)
{
    /* What the guest left unread goes: the trailers come after it. */
    uint8_t scratch[16384];
    bool ended = false;
    size_t avail;
    while ((avail = wf_http_client_readable(c->c, &ended)) > 0) {
        size_t n = 0;
        wf_error *e = wf_http_client_read(c->c, scratch, WF_MIN(avail, sizeof scratch), &n, 0);
        wf_error_free(e);
        if (e || !n) break;
    }
    if (!ended) return false;
    *out = NULL;
    if (failed(c)) {
        *code_err = wf_p2h_code(wf_p2h_code_of_fail(wf_http_client_failure(c->c)), false, 0, NULL);
        return true;
    }
    size_t nt = wf_http_client_trailer_count(c->c);
    if (nt) {
        *out = wf_p2h_fields_new(true);
        for (size_t i = 0; i < nt; i++) {
            wf_http_client_field f = wf_http_client_trailer_at(c->c, i);
            wf_p2h_fields_append(*out, f.name, strlen(f.name), f.value, strlen(f.value));
        }
    }
    return true;
}

/* ---- future-incoming-response ------------------------------------------------------------ */

typedef struct p2h_future {
    wf_p2h_call *call;
    bool taken;
} p2h_future;

static void future_free(void *p)
{
    p2h_future *f = p;
    wf_p2h_call_unref(f->call);
    free(f);
}

const wf_p2_kind wf_p2h_kind_future_incoming_response = { "future-incoming-response", future_free };

static bool head_late(wf_p2h_call *c)
{
    return c->head_deadline && wf_now_ns() >= c->head_deadline && !wf_http_client_head_ready(c->c);
}

static bool future_ready(void *obj)
{
    p2h_future *f = obj;
    return wf_http_client_head_ready(f->call->c) || head_late(f->call);
}

static void future_wait(void *obj, wf_p2_wait *w)
{
    p2h_future *f = obj;
    wf_p2h_call_wait(f->call, w);
}

static const wf_p2_poll_ops future_poll = { future_ready, future_wait };

static wf_error *fbegin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                        wf_p2_ctx **cx, p2h_future **f, uint32_t *rep)
{
    wf_error *e;
    void *obj;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, cx)) ||
        (e = wf_p2_get_rep(*cx, &wf_p2h_kind_future_incoming_response, &args[0], "self", &obj, rep)))
        return e;
    *f = obj;
    return NULL;
}

static WF_P2_FN(future_subscribe)
{
    (void)env;
    wf_p2_ctx *cx;
    p2h_future *f;
    uint32_t rep;
    wf_error *e = fbegin(inst, type, args, nargs, &cx, &f, &rep);
    if (e) return e;
    return wf_p2_pollable_new(cx, &future_poll, f, NULL, rep, result);
}

/* some(ok(x)) */
static wf_val some_ok(wf_val *x)
{
    wf_val ok = wf_val_ok(x);
    return wf_val_some(&ok);
}

static WF_P2_FN(future_get)
{
    (void)env;
    wf_p2_ctx *cx;
    p2h_future *f;
    uint32_t rep;
    wf_error *e = fbegin(inst, type, args, nargs, &cx, &f, &rep);
    if (e) return e;
    if (f->taken) {
        wf_val r = wf_val_err(NULL);
        *result = wf_val_some(&r);
        return NULL;
    }
    wf_p2h_call *c = f->call;
    if (!future_ready(f)) {
        *result = wf_val_none();
        return NULL;
    }
    f->taken = true;
    if (!wf_http_client_head_ready(c->c) || (failed(c) && !wf_http_client_status(c->c))) {
        unsigned tag = wf_http_client_head_ready(c->c) ? wf_p2h_code_of_fail(wf_http_client_failure(c->c))
                                                       : P2H_HTTP_RESPONSE_TIMEOUT;
        const char *msg = NULL;
        wf_error *ce = tag == P2H_INTERNAL_ERROR ? wf_http_client_error(c->c) : NULL;
        if (ce) msg = ce->message;
        wf_val code = wf_p2h_code(tag, false, 0, msg);
        wf_error_free(ce);
        wf_val r = wf_val_err(&code);
        *result = some_ok(&r);
        return NULL;
    }
    wf_p2h_fields *h = wf_p2h_fields_new(true);
    for (size_t i = 0, n = wf_http_client_header_count(c->c); i < n; i++) {
        wf_http_client_field x = wf_http_client_header_at(c->c, i);
        wf_p2h_fields_append(h, x.name, strlen(x.name), x.value, strlen(x.value));
    }
    c->refs++;
    wf_val resp;
    if ((e = wf_p2h_incoming_response(cx, c, (unsigned)wf_http_client_status(c->c), h, &resp))) return e;
    wf_val r = wf_val_ok(&resp);
    *result = some_ok(&r);
    return NULL;
}

/* ---- outgoing-handler.handle ---------------------------------------------------------------- */

static wf_val fail_with(unsigned tag, const char *msg)
{
    wf_val code = wf_p2h_code(tag, false, 0, msg);
    return wf_p2_err(code);
}

static WF_P2_FN(handle)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 2)) || (e = wf_p2_cx(inst, &cx))) return e;
    if (args[1].kind != WF_VAL_OPTION) return wf_p2_trap(type, "options must be an option");
    wf_p2h_options opts = {0};
    if (args[1].of.cas.payload) {
        void *o;
        if ((e = wf_p2_take(cx, &wf_p2h_kind_request_options, args[1].of.cas.payload, "options", &o)))
            return e;
        opts = *(wf_p2h_options *)o;
        free(o);
    }
    if ((e = wf_p2_take(cx, &wf_p2h_kind_outgoing_request, &args[0], "request", &obj))) return e;
    wf_p2h_out *o = obj;
    const char *scheme = o->scheme ? o->scheme : "http";
    if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
        *result = fail_with(P2H_HTTP_REQUEST_URI_INVALID, NULL);
        wf_p2h_out_unref(o);
        return NULL;
    }
    if (!o->authority) {
        *result = fail_with(P2H_HTTP_REQUEST_URI_INVALID, NULL);
        wf_p2h_out_unref(o);
        return NULL;
    }
    wf_p2h_call *c = wf_xcalloc(1, sizeof *c);
    c->refs = 1;
    c->url = wf_xasprintf("%s://%s%s", scheme, o->authority, o->path ? o->path : "/");
    size_t nh = o->headers->v.len;
    wf_http_client_field *hs = wf_xcalloc(nh + 1, sizeof *hs);
    for (size_t i = 0; i < nh; i++)
        hs[i] = (wf_http_client_field){ o->headers->v.data[i].name, (const char *)o->headers->v.data[i].value };
    wf_http_client_policy policy = { (const char *const *)cx->network, cx->nnetwork };
    wf_http_client_req rq = {
        .method = o->method ? o->method : "GET",
        .url = c->url,
        .headers = hs, .nheaders = nh,
        .connect_timeout_ms = opts.connect ? (uint32_t)WF_MIN(opts.connect / 1000000u + 1, UINT32_MAX) : 0,
        .between_bytes_ms = opts.between_bytes ? (uint32_t)WF_MIN((opts.between_bytes + 999999u) / 1000000u, UINT32_MAX) : 0,
        .policy = &policy,
    };
    if (o->body_taken && o->finished) {
        c->body = wf_buf_take(&o->pending, &rq.body_len);
        rq.body = c->body;
    } else if (o->body_taken) {
        c->streamed = true;
        rq.body_streamed = true;
        rq.body_length = o->length;
    }
    wf_http_client *cl = wf_http_client_shared();
    e = cl ? wf_http_client_start(cl, &rq, &c->c)
           : wf_error_new(WF_ERR_INTERNAL, "the HTTP client could not start");
    free(hs);
    if (e) {
        unsigned tag = !strncmp(e->message, "not allowed: ", 13) ? P2H_HTTP_REQUEST_DENIED
                       : e->kind == WF_ERR_INVALID                 ? P2H_HTTP_REQUEST_URI_INVALID
                                                                   : P2H_INTERNAL_ERROR;
        *result = fail_with(tag, tag == P2H_INTERNAL_ERROR ? e->message : NULL);
        wf_error_free(e);
        c->c = NULL;
        free(c->url);
        free(c->body);
        free(c);
        wf_p2h_out_unref(o);
        return NULL;
    }
    if (opts.first_byte) c->head_deadline = wf_now_ns() + opts.first_byte;
    if (c->streamed) {
        /* The body's later writes go to the call. */
        c->refs++;
        o->call = c;
        if (o->pending.len) {
            e = wf_http_client_send(c->c, o->pending.data, o->pending.len, 0);
            o->pending.len = 0;
            wf_error_free(e);   /* the call failed: the future says why */
        }
    }
    wf_p2h_out_unref(o);
    p2h_future *f = wf_xcalloc(1, sizeof *f);
    f->call = c;
    wf_val fut;
    if ((e = wf_p2_new_handle(cx, &wf_p2h_kind_future_incoming_response, f, 0, &fut))) return e;
    *result = wf_p2_ok(fut);
    return NULL;
}

static const wf_p2_res_def no_res[] = { { NULL, NULL } };

static const wf_p2_fn_def future_fns[] = {
    { "[method]future-incoming-response.subscribe", future_subscribe },
    { "[method]future-incoming-response.get", future_get },
    { NULL, NULL },
};
/* Part of wasi:http/types (p2_http_types.c defines its resource types). */
const wf_p2_iface wf_p2_iface_http_future = { "wasi:http", "wasi:http/types@0.2.12", no_res, future_fns };

static const wf_p2_fn_def handler_fns[] = { { "handle", handle }, { NULL, NULL } };
const wf_p2_iface wf_p2_iface_http_outgoing = { "wasi:http", "wasi:http/outgoing-handler@0.2.12", no_res,
                                                handler_fns };
