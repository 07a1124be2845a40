/*
 * transport.c - an endpoint calling its function: the wasi-http transport
 * of SPEC §7 (the original document's mapping, upstream's behaviour).
 *
 * The request body is the one argument of a function that takes one:
 *   string            the body (UTF-8, else 400), "" when empty;
 *   option<string>    none when the body is empty, else some(body);
 *   list<u8>          the bytes;
 *   anything else     the body read as JSON for that type (400 when it
 *                     does not fit); a core function without `wit` takes
 *                     a JSON number; a Lua function gets the body as a
 *                     string (no argument when empty).
 * A function.lua endpoint may instead answer through upstream's `http`
 * module (http.response(): status, headers, writes, chunked, SSE); once
 * it wrote anything, that is the response and its result is ignored.
 * The result is the response, status 200: nothing (a Lua function's nil
 * too) -> 204, list<u8> ->
 * application/octet-stream, string -> text/plain; charset=utf-8, anything
 * else -> its JSON (application/json). Failures: arguments that do not fit
 * 400; TIMEOUT 504 (max_execution_ms, or the service's write timeout);
 * anything else (a trap, a limit) 500. The client gets a short body; the
 * details go to the error log with the endpoint's ID.
 */
#include <stdio.h>

#include "base/utf8.h"
#include "component/json.h"
#include "component/wit/wit.h"
#include "http/serve.h"

static void log_line(const wf_http_endpoint *ep, const char *line)
{
    if (ep->opts && ep->opts->error_log) ep->opts->error_log(ep->opts->error_log_ud, line);
    else fprintf(stderr, "%s\n", line);
}

/* from_body: the body did not convert (the client's fault: 400). */
static void fail(wf_http_exchange *x, const wf_http_endpoint *ep, wf_error *e, bool from_body)
{
    int status = 500;
    const char *what = "internal error: the function failed";
    if (from_body) {
        status = 400;
        what = NULL;
    } else if (e->kind == WF_ERR_TIMEOUT) {
        status = 504;
        what = "the function timed out";
    }
    const wf_http_request *rq = wf_http_request_of(x);
    char *line = wf_xasprintf("error: %s %s %s -> %d: %s: %s: %s", ep->id, rq->method, rq->path, status, ep->func,
                              wf_error_kind_name(e->kind), e->message);
    log_line(ep, line);
    free(line);
    /* A bad request is the client's to fix: tell it why. Anything else
     * stays in the log. */
    char *body = what ? wf_xasprintf("%s\n", what) : wf_xasprintf("bad request: %s\n", e->message);
    wf_http_respond(x, status, "text/plain; charset=utf-8", body, strlen(body));
    free(body);
    wf_error_free(e);
}

static bool is_bytes(const wf_wit_type *t)
{
    return t && t->kind == WF_WIT_LIST && !t->len && t->elem && t->elem->kind == WF_WIT_U8;
}

/* The argument from the body (see the header comment); *nargs 0 or 1. */
static wf_error *body_arg(const wf_http_endpoint *ep, const wf_http_request *rq, wf_val *arg, size_t *nargs)
{
    const char *body = (const char *)rq->body;
    size_t len = rq->body_len;
    *nargs = 0;
    if (ep->sig.wit) {
        if (!ep->sig.wit->nparams) return NULL;
        const wf_wit_field *p = &ep->sig.wit->params[0];
        const wf_wit_type *t = p->type;
        *nargs = 1;
        if (t->kind == WF_WIT_STRING || (t->kind == WF_WIT_OPTION && t->elem && t->elem->kind == WF_WIT_STRING)) {
            if (!wf_utf8_valid(rq->body, len)) {
                *nargs = 0;
                return wf_error_new(WF_ERR_INVALID, "the body must be UTF-8 text for `%s`", p->name);
            }
            if (t->kind == WF_WIT_STRING) {
                *arg = wf_val_string(body, len);
            } else if (!len) {
                *arg = wf_val_none();
            } else {
                wf_val s = wf_val_string(body, len);
                *arg = wf_val_some(&s);
            }
            return NULL;
        }
        if (is_bytes(t)) {
            *arg = wf_val_agg(WF_VAL_LIST, len);
            for (size_t i = 0; i < len; i++) arg->of.agg.items[i] = wf_val_uint(WF_VAL_U8, rq->body[i]);
            return NULL;
        }
        wf_error *e = wf_json_to_val(body, len, t, p->name, arg);
        if (e) *nargs = 0;
        return e;
    }
    if (ep->sig.core) {
        if (!ep->sig.core->nparams) return NULL;
        *nargs = 1;
        wf_error *e = wf_json_to_val_untyped(body, len, "the body", arg);
        if (e) *nargs = 0;
        return e;
    }
    /* Untyped (Lua): the body as it is. */
    if (!len) return NULL;
    *arg = wf_val_string(body, len);
    *nargs = 1;
    return NULL;
}

static const wf_wit_type *result_type(const wf_http_endpoint *ep)
{
    const struct wf_wit_func *f = ep->sig.wit;
    return f && f->nresults == 1 && !f->named_results ? f->results[0].type : NULL;
}

static void respond_value(wf_http_exchange *x, const wf_http_endpoint *ep, const wf_val *v)
{
    /* A Lua function that returns nothing (or nil) and answered nothing
     * itself has nothing to say: 204, not a JSON `null`. */
    bool lua_nothing = ep->func_kind == WF_REG_FUNCTION_LUA && v->kind == WF_VAL_OPTION && !v->of.cas.payload;
    if (lua_nothing || (v->kind == WF_VAL_TUPLE && v->of.agg.len == 0)) {
        wf_http_respond(x, 204, NULL, NULL, 0);
        return;
    }
    if (v->kind == WF_VAL_STRING) {
        wf_http_respond(x, 200, "text/plain; charset=utf-8", v->of.str.data, v->of.str.len);
        return;
    }
    bool bytes = v->kind == WF_VAL_LIST && is_bytes(result_type(ep));
    if (!bytes && v->kind == WF_VAL_LIST && v->of.agg.len && !result_type(ep)) {
        bytes = true;   /* untyped: a list of u8 values is bytes too */
        for (size_t i = 0; i < v->of.agg.len && bytes; i++) bytes = v->of.agg.items[i].kind == WF_VAL_U8;
    }
    if (bytes) {
        size_t n = v->of.agg.len;
        uint8_t *b = wf_xmalloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)v->of.agg.items[i].of.u;
        wf_http_respond(x, 200, "application/octet-stream", b, n);
        free(b);
        return;
    }
    char *json = wf_json_from_val(v);
    size_t n = strlen(json);
    json = wf_xrealloc(json, n + 2);
    json[n++] = '\n';
    wf_http_respond(x, 200, "application/json", json, n);
    free(json);
}

void wf_http_call_handler(wf_http_exchange *x, void *ud)
{
    const wf_http_endpoint *ep = ud;
    const wf_http_request *rq = wf_http_request_of(x);
    wf_val arg;
    size_t nargs = 0;
    wf_error *e = body_arg(ep, rq, &arg, &nargs);
    if (e) {
        fail(x, ep, e, true);
        return;
    }
    /* The request's deadline as it is: no clock read to turn it into a
     * timeout; nor for the call's start in the request's first slice. */
    wf_call_opts opts = { .deadline_ns = wf_http_deadline_ns(x), .stop = wf_http_stop_flag(x),
                          .now_ns = wf_http_now_ns(x) };
    /* A Lua function may answer through upstream's `http` module. */
    wf_lua_http_host host;
    if (ep->func_kind == WF_REG_FUNCTION_LUA) {
        wf_http_lua_host_init(&host, x);
        opts.host = &host;
    }
    wf_val result;
    e = ep->fn ? wf_runtime_call_fn(ep->fn, nargs ? &arg : NULL, nargs, &result, &opts)
               : wf_runtime_call(ep->rt, ep->func, nargs ? &arg : NULL, nargs, &result, &opts);
    if (nargs) wf_val_free(&arg);
    if (opts.host && host.wrote) {
        /* It answered itself: what it wrote is the response. A failure
         * after that is logged; the client gets what was sent. */
        if (e) {
            const wf_http_request *r = wf_http_request_of(x);
            char *line = wf_xasprintf("error: %s %s %s: %s failed after answering: %s: %s", ep->id, r->method,
                                      r->path, ep->func, wf_error_kind_name(e->kind), e->message);
            log_line(ep, line);
            free(line);
            wf_error_free(e);
        } else {
            wf_val_free(&result);
        }
        wf_http_finish(x);
        return;
    }
    if (e) {
        /* Even an INVALID here is the function's failure, not the client's:
         * only a body that did not convert is a 400. */
        fail(x, ep, e, false);
        return;
    }
    respond_value(x, ep, &result);
    wf_val_free(&result);
}
