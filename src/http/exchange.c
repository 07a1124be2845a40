/*
 * exchange.c - the handler's side of an exchange: reading the request,
 * writing the response. The handler runs on a scheduler task; what it
 * writes goes to x->pending under x->mu, and x->notify tells the loop
 * (server_h2o.c) to take it. A writer too far ahead of the client parks in
 * x->writers (its fiber suspended, its worker free) until the loop has
 * taken what was pending, so a slow client costs memory of at most
 * WF_HTTP_HIGH_WATER bytes and no thread.
 *
 * x->mu is taken through x_lock (http_int.h): not at all while the task
 * is solo, i.e. has run only on the loop thread in its first slice and
 * never parked, yielded or submitted a task (a handler that answers at
 * once, the common case): the loop and the handler then take turns on one
 * thread. A pooled call the handler makes writes x from a worker: the
 * submit ended solo before that call could start.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"

/* The task's run: the handler, then the end it did not write itself. */
static void exchange_run(wf_task *t)
{
    wf_http_exchange *x = (wf_http_exchange *)t;
    x->fn(x, x->ud);
    bool held = x_lock(x);
    bool finished = x->finished, started = x->head_ready;
    x_unlock(x, held);
    if (finished) return;
    if (!started) {
        static const char msg[] = "the handler sent no response\n";
        wf_http_respond(x, 500, "text/plain; charset=utf-8", msg, sizeof msg - 1);
    } else {
        wf_http_finish(x);
    }
}

/* The task's end: the loop may now free x. */
static void exchange_done(wf_task *t)
{
    wf_http_exchange *x = (wf_http_exchange *)t;
    bool held = x_lock(x);
    /* The loop looks at task_done again when the request ends (and frees x
     * then): it must be told only when that already happened, or when
     * there is a response it has not heard of. Under load this saves the
     * loop one wake-up per request. */
    bool tell = x->gone;
    if (t->no_stack && !x->finished) {
        /* No fiber stack could be mapped: the handler never ran. */
        x->status = 503;
        x->head_ready = x->finished = true;
        static const char msg[] = "out of memory for handlers\n";
        wf_buf_bytes(&x->pending, msg, sizeof msg - 1);
        tell = true;
    }
    x->task_done = true;
    if (tell) x->notify(x);
    x_unlock(x, held);
}

void wf_http_exchange_init(wf_http_exchange *x, http_notify_fn notify)
{
    pthread_mutex_init(&x->mu, NULL);
    x->status = 200;
    x->notify = notify;
    x->task.run = exchange_run;
    x->task.done = exchange_done;
    x->task.interrupt = &x->interrupt;
}

void wf_http_exchange_destroy(wf_http_exchange *x)
{
    for (size_t i = 0; i < x->res_headers.len; i++) {
        free(x->res_headers.data[i].name);
        free(x->res_headers.data[i].value);
    }
    wf_vec_free(&x->res_headers);
    for (size_t i = 0; i < x->trailers.len; i++) {
        free(x->trailers.data[i].name);
        free(x->trailers.data[i].value);
    }
    wf_vec_free(&x->trailers);
    for (size_t i = 0; i < x->body_trailers.len; i++) {
        free(x->body_trailers.data[i].name);
        free(x->body_trailers.data[i].value);
    }
    wf_vec_free(&x->body_trailers);
    wf_buf_free(&x->body_in);
    wf_buf_free(&x->pending);
    wf_http_match_free(&x->match);
    pthread_mutex_destroy(&x->mu);
    free(x->blob);
}

void wf_http_exchange_gone_locked(wf_http_exchange *x)
{
    x->gone = true;
    x->pending.len = 0;
    wf_waitq_wake_all(&x->writers);
    if (x->body_own && !x->body_ended && !x->body_fail) x->body_fail = WF_HTTP_BODY_CUT;
    wf_waitq_wake_all(&x->readers);
}

/* ---- reading ------------------------------------------------------------- */

const wf_http_request *wf_http_request_of(wf_http_exchange *x)
{
    return &x->req;
}

const char *wf_http_header_get(const wf_http_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name)) return r->headers[i].value;
    return NULL;
}

const char *wf_http_param(wf_http_exchange *x, const char *name)
{
    for (size_t i = 0; i < x->match.nparams; i++)
        if (!strcmp(x->match.param_names[i], name)) return x->match.param_values[i];
    return NULL;
}

size_t wf_http_param_count(wf_http_exchange *x)
{
    return x->match.nparams;
}

void wf_http_param_at(wf_http_exchange *x, size_t i, const char **name, const char **value)
{
    *name = x->match.param_names[i];
    *value = x->match.param_values[i];
}

uint64_t wf_http_deadline_ns(wf_http_exchange *x)
{
    return x->deadline_ns;
}

uint64_t wf_http_now_ns(wf_http_exchange *x)
{
    return x->task.solo ? x->first_slice_ns : 0;
}

volatile uint32_t *wf_http_stop_flag(wf_http_exchange *x)
{
    return &x->interrupt;
}

/* ---- the request body as a stream ------------------------------------------ */

bool wf_http_body_streaming(wf_http_exchange *x)
{
    return x->body_streaming;   /* set before the handler starts */
}

wf_http_body_state wf_http_body_read(wf_http_exchange *x, void *buf, size_t len, size_t *n,
                                     wf_http_body_fail *why)
{
    *n = 0;
    *why = WF_HTTP_BODY_OK;
    bool held = x_lock(x);
    size_t avail = x->body_in.len - x->body_off;
    wf_http_body_state st;
    if (avail && len) {
        *n = WF_MIN(avail, len);
        memcpy(buf, x->body_in.data + x->body_off, *n);
        x->body_off += *n;
        if (x->body_off == x->body_in.len) {
            x->body_in.len = x->body_off = 0;
        } else if (x->body_off >= WF_HTTP_BODY_WINDOW / 2) {
            /* Keep the buffer a window, not everything that passed. */
            memmove(x->body_in.data, x->body_in.data + x->body_off, x->body_in.len - x->body_off);
            x->body_in.len -= x->body_off;
            x->body_off = 0;
        }
        /* Read down to half the window: the loop may read the socket again. */
        if (x->body_paused && !x->body_resume && x->body_in.len - x->body_off <= WF_HTTP_BODY_WINDOW / 2) {
            x->body_resume = true;
            x->notify(x);
        }
        st = WF_HTTP_BODY_DATA;
    } else if (avail) {
        st = WF_HTTP_BODY_WAIT;   /* a read of nothing */
    } else if (x->body_fail) {
        *why = x->body_fail;
        st = WF_HTTP_BODY_FAILED;
    } else if (x->body_ended || !x->body_own) {
        st = WF_HTTP_BODY_END;
    } else {
        st = WF_HTTP_BODY_WAIT;
    }
    x_unlock(x, held);
    return st;
}

static bool body_ready_locked(wf_http_exchange *x)
{
    return x->body_in.len > x->body_off || x->body_ended || x->body_fail || !x->body_own;
}

bool wf_http_body_ready(wf_http_exchange *x)
{
    bool held = x_lock(x);
    bool r = body_ready_locked(x);
    x_unlock(x, held);
    return r;
}

wf_error *wf_http_body_wait(wf_http_exchange *x)
{
    wf_error *e = NULL;
    bool held = x_lock(x);
    while (!body_ready_locked(x)) {
        x_lock_for_wait(x, &held);
        if (wf_waitq_wait(&x->readers, &x->mu, 0) == WF_PARK_STOPPED) {
            e = wf_error_new(WF_ERR_TIMEOUT, "the request was stopped while its body was awaited");
            break;
        }
    }
    x_unlock(x, held);
    return e;
}

void wf_http_body_wait_on(wf_http_exchange *x, pthread_mutex_t **mu, struct wf_waitq **q)
{
    *mu = &x->mu;
    *q = &x->readers;
}

size_t wf_http_body_trailer_count(wf_http_exchange *x)
{
    bool held = x_lock(x);
    size_t n = x->body_ended ? x->body_trailers.len : 0;
    x_unlock(x, held);
    return n;
}

void wf_http_body_trailer(wf_http_exchange *x, size_t i, const char **name, const char **value)
{
    /* Fixed once the body ended: the loop adds none after. */
    *name = x->body_trailers.data[i].name;
    *value = x->body_trailers.data[i].value;
}

wf_http_body_fail wf_http_body_failure(wf_http_exchange *x)
{
    bool held = x_lock(x);
    wf_http_body_fail f = x->body_fail;
    x_unlock(x, held);
    return f;
}

const char *wf_http_body_fail_text(wf_http_body_fail f)
{
    switch (f) {
    case WF_HTTP_BODY_OK: return "complete";
    case WF_HTTP_BODY_TOO_LARGE: return "the request body is over the service's body limit";
    case WF_HTTP_BODY_MALFORMED: return "the request body's chunked framing is broken";
    case WF_HTTP_BODY_CUT: return "the client closed before the end of its request body";
    case WF_HTTP_BODY_TIMEOUT: return "the request body stalled past the read timeout";
    }
    return "?";
}

/* ---- writing ------------------------------------------------------------- */

void wf_http_set_status(wf_http_exchange *x, int status)
{
    bool held = x_lock(x);
    if (!x->head_ready) x->status = status;
    x_unlock(x, held);
}

/* name: value added to the response's headers, or (trailer) to its
 * trailers; nothing once that part is on its way to the loop (the head
 * ready, or the response finished). */
static void add_field(wf_http_exchange *x, bool trailer, const char *name, const char *value)
{
    bool held = x_lock(x);
    if (!(trailer ? x->finished : x->head_ready)) {
        http_kv kv = { wf_xstrdup(name), wf_xstrdup(value) };
        if (trailer) wf_vec_push(&x->trailers, kv);
        else wf_vec_push(&x->res_headers, kv);
    }
    x_unlock(x, held);
}

void wf_http_add_header(wf_http_exchange *x, const char *name, const char *value)
{
    add_field(x, false, name, value);
}

static wf_error *gone_error(void)
{
    return wf_error_new(WF_ERR_IO, "the client went away");
}

wf_error *wf_http_write(wf_http_exchange *x, const void *data, size_t len)
{
    wf_error *e = NULL;
    bool held = x_lock(x);
    if (x->gone) {
        e = gone_error();
    } else if (x->finished) {
        e = wf_error_new(WF_ERR_INVALID, "the response is finished");
    } else {
        wf_buf_bytes(&x->pending, data, len);
        x->body_bytes += len;
        /* Too far ahead of the client: stream what we have, wait for the loop. */
        while (!x->gone && x->pending.len > WF_HTTP_HIGH_WATER) {
            if (!x->head_ready) x->head_ready = x->streaming = true;
            x->notify(x);
            x_lock_for_wait(x, &held);
            if (wf_waitq_wait(&x->writers, &x->mu, 0) == WF_PARK_STOPPED) {
                e = wf_error_new(WF_ERR_TIMEOUT, "the response was stopped");
                break;
            }
        }
        if (!e && x->gone) e = gone_error();
    }
    x_unlock(x, held);
    return e;
}

wf_error *wf_http_flush(wf_http_exchange *x)
{
    wf_error *e = NULL;
    bool held = x_lock(x);
    if (x->gone) {
        e = gone_error();
    } else if (!x->finished) {
        if (!x->head_ready) x->head_ready = x->streaming = true;
        x->notify(x);
    }
    x_unlock(x, held);
    return e;
}

void wf_http_add_trailer(wf_http_exchange *x, const char *name, const char *value)
{
    add_field(x, true, name, value);
}

/* Under x->mu: the response is complete; tell the loop. */
static void finish_locked(wf_http_exchange *x)
{
    if (x->finished) return;
    x->finished = true;
    /* Trailers need the chunked framing, never a Content-Length. */
    if (!x->head_ready && x->trailers.len) x->streaming = true;
    x->head_ready = true;
    x->notify(x);
}

void wf_http_finish(wf_http_exchange *x)
{
    bool held = x_lock(x);
    finish_locked(x);
    x_unlock(x, held);
}

void wf_http_abort(wf_http_exchange *x)
{
    bool held = x_lock(x);
    bool started = x->head_ready, done = x->finished;
    if (started && !done) {
        x->aborted = x->finished = true;
        x->notify(x);
    }
    x_unlock(x, held);
    if (started || done) return;
    /* Nothing went out: the client gets a plain failure instead. */
    held = x_lock(x);
    for (size_t i = 0; i < x->res_headers.len; i++) {
        free(x->res_headers.data[i].name);
        free(x->res_headers.data[i].value);
    }
    x->res_headers.len = 0;
    x->pending.len = 0;
    x->body_bytes = 0;
    x_unlock(x, held);
    static const char msg[] = "internal error: the response failed\n";
    wf_http_respond(x, 500, "text/plain; charset=utf-8", msg, sizeof msg - 1);
}

void wf_http_respond(wf_http_exchange *x, int status, const char *content_type, const void *body,
                     size_t len)
{
    bool held = x_lock(x);
    bool fresh = !x->head_ready;
    if (fresh && !x->gone && !x->finished && x->pending.len + len <= WF_HTTP_HIGH_WATER) {
        /* The common whole response, under one lock (this runs for nearly
         * every request): what the steps below would do, none of which
         * would wait here. */
        x->status = status;
        size_t cl = content_type ? strlen(content_type) : 0;
        if (cl && cl < sizeof x->content_type) {
            memcpy(x->content_type, content_type, cl + 1);
        } else if (content_type) {
            http_kv kv = { wf_xstrdup("content-type"), wf_xstrdup(content_type) };
            wf_vec_push(&x->res_headers, kv);
        }
        if (len) wf_buf_bytes(&x->pending, body, len);
        x->body_bytes += len;
        finish_locked(x);
        x_unlock(x, held);
        return;
    }
    x_unlock(x, held);
    if (fresh) {
        wf_http_set_status(x, status);
        if (content_type) wf_http_add_header(x, "content-type", content_type);
    }
    wf_error *e = len ? wf_http_write(x, body, len) : NULL;
    wf_error_free(e);
    wf_http_finish(x);
}

bool wf_http_client_gone(wf_http_exchange *x)
{
    bool held = x_lock(x);
    bool g = x->gone;
    x_unlock(x, held);
    return g;
}

bool wf_http_started(wf_http_exchange *x)
{
    bool held = x_lock(x);
    bool s = x->head_ready;
    x_unlock(x, held);
    return s;
}
