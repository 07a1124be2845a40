/*
 * proxy.c - an endpoint whose function is a wasi:http proxy (a component
 * whose `method` is wasi:http/incoming-handler#handle, any 0.2.x): the
 * exchange becomes the guest's incoming-request and response-outparam
 * (wasi/p2_http.h), and what the guest does with them is the response.
 *
 * The call runs on the handler's fiber like any endpoint's (transport.c):
 * the guest's writes go to wf_http_write, which parks the call (not a
 * thread) while the client is behind; a guest that flushes makes the body
 * stream (chunked) instead of being sent whole at the end. The request
 * body streams to the guest's incoming-body as the server reads it off
 * the socket (HTTP/1.x; HTTP/2 bodies come whole), with its trailers, and
 * fails the guest's stream past the service's body limit (a guest that
 * then answers nothing gets a 413).
 *
 * Failures as the wasi-http transport's: a trap or a limit before the
 * response was set is a 500, a timeout (max_execution_ms, the service's
 * write timeout) a 504, a response-outparam set to an error-code a 500
 * naming it; a guest that returns without setting the response is a 500.
 * A guest that fails (or drops its body unfinished) after the response
 * was set aborts it (wf_http_abort): a 500 when nothing went out yet, else
 * the connection is cut short of the body's end, so no client takes a
 * truncated body for a whole one. Details go to the error log
 * with the endpoint's ID; the client gets a short body.
 */
#include <stdio.h>

#include "http/serve.h"
#include "wasi/p2_http.h"

static void sink_head(void *ud, unsigned status, const wf_p2_http_header *h, size_t n)
{
    wf_http_exchange *x = ud;
    wf_http_set_status(x, (int)status);
    for (size_t i = 0; i < n; i++) {
        /* The server frames the body: a guest's transfer-encoding is not
         * ours to send (fields refuse it; an incoming one copied over could
         * carry it). */
        if (!strcmp(h[i].name, "transfer-encoding")) continue;
        char *v = wf_xmalloc(h[i].value_len + 1);
        memcpy(v, h[i].value, h[i].value_len);
        v[h[i].value_len] = 0;
        wf_http_add_header(x, h[i].name, v);
        free(v);
    }
}

static wf_error *sink_write(void *ud, const void *p, size_t n) { return wf_http_write(ud, p, n); }
static wf_error *sink_flush(void *ud) { return wf_http_flush(ud); }
static void sink_end(void *ud) { wf_http_finish(ud); }

static void sink_trailers(void *ud, const wf_p2_http_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *v = wf_xstrndup(h[i].value, h[i].value_len);
        wf_http_add_trailer(ud, h[i].name, v);
        free(v);
    }
}

static const wf_p2_http_sink sink = { sink_head, sink_write, sink_flush, sink_trailers, sink_end };

/* The request body as the guest's incoming-body reads it: streamed from
 * the exchange as the server reads it off the socket. */
static wf_p2_http_source_state source_read(void *ud, uint8_t *buf, size_t len, size_t *n,
                                           wf_p2_http_source_fail *why, const char **msg)
{
    wf_http_body_fail f;
    switch (wf_http_body_read(ud, buf, len, n, &f)) {
    case WF_HTTP_BODY_DATA: return WF_P2_SOURCE_DATA;
    case WF_HTTP_BODY_WAIT: return WF_P2_SOURCE_WAIT;
    case WF_HTTP_BODY_END: return WF_P2_SOURCE_END;
    case WF_HTTP_BODY_FAILED: break;
    }
    *msg = wf_http_body_fail_text(f);
    *why = f == WF_HTTP_BODY_TOO_LARGE ? WF_P2_SOURCE_TOO_LARGE
         : f == WF_HTTP_BODY_MALFORMED ? WF_P2_SOURCE_MALFORMED
         : f == WF_HTTP_BODY_TIMEOUT   ? WF_P2_SOURCE_TIMEOUT
                                       : WF_P2_SOURCE_CUT;
    return WF_P2_SOURCE_FAILED;
}

static bool source_ready(void *ud) { return wf_http_body_ready(ud); }
static void source_wait_on(void *ud, pthread_mutex_t **mu, struct wf_waitq **q) { wf_http_body_wait_on(ud, mu, q); }
static size_t source_trailer_count(void *ud) { return wf_http_body_trailer_count(ud); }
static void source_trailer(void *ud, size_t i, const char **name, const char **value)
{
    wf_http_body_trailer(ud, i, name, value);
}

static const wf_p2_http_source source = { source_read, source_ready, source_wait_on, source_trailer_count,
                                          source_trailer };

static void log_line(const wf_http_endpoint *ep, const char *line)
{
    if (ep->opts && ep->opts->error_log) ep->opts->error_log(ep->opts->error_log_ud, line);
    else fprintf(stderr, "%s\n", line);
}

static void log_failure(const wf_http_endpoint *ep, const wf_http_request *rq, int status, const char *what)
{
    char *line = wf_xasprintf("error: %s %s %s -> %d: %s: %s", ep->id, rq->method, rq->path, status, ep->func,
                              what);
    log_line(ep, line);
    free(line);
}

void wf_http_proxy_handler(wf_http_exchange *x, void *ud)
{
    const wf_http_endpoint *ep = ud;
    const wf_http_request *rq = wf_http_request_of(x);
    wf_p2_http_header *hs = wf_xcalloc(rq->nheaders + 1, sizeof *hs);
    for (size_t i = 0; i < rq->nheaders; i++)
        hs[i] = (wf_p2_http_header){ rq->headers[i].name, rq->headers[i].value, rq->headers[i].value_len };
    char *pq = rq->query[0] ? wf_xasprintf("%s?%s", rq->path, rq->query) : wf_xstrdup(rq->path);
    wf_p2_http_incoming in = {
        .method = rq->method,
        .scheme = "http",
        .authority = rq->authority && rq->authority[0] ? rq->authority : NULL,
        .path_with_query = pq,
        .headers = hs, .nheaders = rq->nheaders,
        .body = rq->body, .body_len = rq->body_len,
        .source = wf_http_body_streaming(x) ? &source : NULL, .source_ud = x,
        .sink = &sink, .ud = x,
    };
    uint64_t now = wf_now_ns(), deadline = wf_http_deadline_ns(x);
    uint64_t left_ms = deadline > now ? (deadline - now + 999999u) / 1000000u : 1;
    wf_call_opts opts = { .timeout_ms = left_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)left_ms, .host = &in };
    wf_val result;
    wf_error *e = ep->fn ? wf_runtime_call_fn(ep->fn, NULL, 0, &result, &opts)
                         : wf_runtime_call(ep->rt, ep->func, NULL, 0, &result, &opts);
    if (!e) wf_val_free(&result);
    free(pq);
    free(hs);
    if (in.ended) {   /* the response went out whole: nothing more goes to x */
        if (e) {
            char *what = wf_xasprintf("failed after its response: %s: %s", wf_error_kind_name(e->kind), e->message);
            log_failure(ep, rq, (int)in.status, what);
            free(what);
        }
        wf_error_free(e);
        return;
    }
    if (in.responded) {
        char *what = e ? wf_xasprintf("failed in its response body: %s: %s", wf_error_kind_name(e->kind), e->message)
                       : wf_xstrdup("returned without finishing its response body");
        log_failure(ep, rq, (int)in.status, what);
        free(what);
        wf_error_free(e);
        wf_http_abort(x);
        return;
    }
    int status = 500;
    const char *body = "internal error: the proxy failed\n";
    char *what;
    wf_http_body_fail body_fail = wf_http_body_failure(x);
    if (e && e->kind == WF_ERR_TIMEOUT) {
        status = 504;
        body = "the function timed out\n";
    } else if (body_fail == WF_HTTP_BODY_TOO_LARGE) {
        /* The guest failed over a body it could not have whole. */
        status = 413;
        body = "request entity is too large\n";
    }
    if (e) what = wf_xasprintf("%s: %s", wf_error_kind_name(e->kind), e->message);
    else if (in.failed) what = wf_xasprintf("the proxy answered error-code %s", in.error_code);
    else if (body_fail) what = wf_xasprintf("the proxy returned without a response (its request body: %s)",
                                            wf_http_body_fail_text(body_fail));
    else what = wf_xstrdup("the proxy returned without setting a response");
    log_failure(ep, rq, status, what);
    free(what);
    wf_error_free(e);
    wf_http_respond(x, status, "text/plain; charset=utf-8", body, strlen(body));
}
