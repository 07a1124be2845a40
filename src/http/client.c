/*
 * client.c - the outgoing HTTP client's loop thread and its calls (client.h).
 *
 * Every libcurl handle is touched by the loop thread only, once it is in
 * the multi handle: callers queue what they want (add, unpause, abort) under
 * the client's mutex and wake the loop with curl_multi_wakeup. libcurl's
 * callbacks run on the loop and move bytes between the wire and the call's
 * buffers under the same mutex, then wake the call's waiters (wasm/wait.h),
 * so a caller parked on a fiber resumes on any free worker.
 *
 * Back-pressure both ways uses libcurl's pause: the read callback pauses
 * when the caller has not sent more yet, the write callback when
 * WF_HTTP_CLIENT_BUFFER bytes wait unread; the caller's send or read queues
 * an unpause for the loop.
 *
 * A call has two references, its owner's and the loop's (from its start
 * until libcurl is done with it): whichever lets go last frees it.
 */
#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "http/client.h"
#include "http/syntax.h"

struct wf_http_client {
    pthread_t thread;
    CURLM *multi;
    pthread_mutex_t mu;
    /* Under mu: what the loop must do next. */
    wf_http_client_call *to_add, *to_unpause, *to_abort;
    bool stop;
    /* The loop's own: calls in the multi handle. */
    wf_http_client_call *live;
};

/* Header lines as received, in order. */
typedef struct fields {
    char **name, **value;
    size_t n, cap;
} fields;

static void fields_clear(fields *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->name[i]);
        free(f->value[i]);
    }
    f->n = 0;
}

static void fields_free(fields *f)
{
    fields_clear(f);
    free(f->name);
    free(f->value);
}

struct wf_http_client_call {
    wf_http_client *cl;
    CURL *easy;
    struct curl_slist *hdrs;
    char *method, *url;
    char errbuf[CURL_ERROR_SIZE];
    /* Under cl->mu. */
    int refs;
    bool head, done, owner_gone, aborting;
    bool send_paused, recv_paused, unpause_queued;
    wf_error *err;
    wf_http_client_fail fail;
    int status;
    fields head_fields, trailers;
    wf_buf recv;              /* received body bytes, recv.data[roff..len) unread */
    size_t roff;
    const uint8_t *fixed;     /* a body given whole */
    size_t fixed_len, fixed_off;
    bool streamed;
    int64_t body_length;
    uint64_t sent_total;
    wf_buf sendq;             /* streamed body bytes, sendq.data[soff..len) unsent */
    size_t soff;
    bool send_eof;
    /* The between-bytes timeout (loop only): the body's last arrival, or
     * its last unpause (a paused body waits for its reader, not the wire). */
    uint64_t between_ns, last_rx_ns;
    wf_waitq waiters;
    /* Queue links. */
    wf_http_client_call *next_add, *next_unpause, *next_abort;
    wf_http_client_call *live_prev, *live_next;   /* loop only */
};

/* ---- state changes (cl->mu held) ----------------------------------------------- */

static void notify(wf_http_client_call *c)
{
    wf_waitq_wake_all(&c->waiters);
}

static void fail_locked(wf_http_client_call *c, wf_http_client_fail fail, wf_error *e)
{
    if (c->err) {
        wf_error_free(e);
        return;
    }
    c->err = e;
    c->fail = fail;
    notify(c);
}

static void queue_unpause(wf_http_client_call *c)
{
    if (c->unpause_queued || c->done) return;
    c->unpause_queued = true;
    c->refs++;   /* the queue's, dropped by the loop */
    c->next_unpause = c->cl->to_unpause;
    c->cl->to_unpause = c;
}

static void destroy(wf_http_client_call *c)
{
    if (c->easy) curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->hdrs);
    fields_free(&c->head_fields);
    fields_free(&c->trailers);
    wf_buf_free(&c->recv);
    wf_buf_free(&c->sendq);
    wf_error_free(c->err);
    free(c->method);
    free(c->url);
    free(c);
}

/* Drop one reference; the last frees the call. Takes cl->mu. */
static void unref(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&c->cl->mu);
    if (last) destroy(c);
}

/* ---- libcurl's callbacks (loop thread) --------------------------------------------- */

static void add_field(fields *f, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n')) n--;
    if (n && (line[0] == ' ' || line[0] == '\t') && f->n) {   /* folded continuation */
        size_t s = 0;
        while (s < n && (line[s] == ' ' || line[s] == '\t')) s++;
        char *old = f->value[f->n - 1];
        f->value[f->n - 1] = wf_xasprintf("%s %.*s", old, (int)(n - s), line + s);
        free(old);
        return;
    }
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line) return;
    size_t vs = (size_t)(colon - line) + 1, ve = n;
    while (vs < ve && (line[vs] == ' ' || line[vs] == '\t')) vs++;
    while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t')) ve--;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->name = wf_xrealloc(f->name, f->cap * sizeof *f->name);
        f->value = wf_xrealloc(f->value, f->cap * sizeof *f->value);
    }
    f->name[f->n] = wf_xstrndup(line, (size_t)(colon - line));
    f->value[f->n] = wf_xstrndup(line + vs, ve - vs);
    f->n++;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    wf_http_client_call *c = ud;
    size_t n = size * nitems;
    pthread_mutex_lock(&c->cl->mu);
    if (n >= 5 && !memcmp(buf, "HTTP/", 5)) {
        /* a status line: a new head (after a 1xx one, say) */
        const char *sp = memchr(buf, ' ', n);
        c->status = sp ? atoi(sp + 1) : 0;
        fields_clear(&c->head_fields);
    } else if ((n == 2 && buf[0] == '\r') || (n == 1 && buf[0] == '\n')) {
        if (c->status >= 200 && !c->head) {
            c->head = true;
            c->last_rx_ns = wf_now_ns();
            notify(c);
        }
    } else if (!c->head) {
        add_field(&c->head_fields, buf, n);
    } else {
        add_field(&c->trailers, buf, n);   /* after a chunked body */
    }
    pthread_mutex_unlock(&c->cl->mu);
    return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    wf_http_client_call *c = ud;
    size_t n = size * nmemb;
    pthread_mutex_lock(&c->cl->mu);
    if (c->roff == c->recv.len) {
        c->recv.len = c->roff = 0;
    } else if (c->roff > c->recv.len / 2) {
        memmove(c->recv.data, c->recv.data + c->roff, c->recv.len - c->roff);
        c->recv.len -= c->roff;
        c->roff = 0;
    }
    if (c->recv.len - c->roff >= WF_HTTP_CLIENT_BUFFER) {
        c->recv_paused = true;
        pthread_mutex_unlock(&c->cl->mu);
        return CURL_WRITEFUNC_PAUSE;
    }
    if (!c->head) c->head = true;
    c->last_rx_ns = wf_now_ns();
    wf_buf_bytes(&c->recv, ptr, n);
    notify(c);
    pthread_mutex_unlock(&c->cl->mu);
    return n;
}

static size_t on_send(char *dst, size_t size, size_t nitems, void *ud)
{
    wf_http_client_call *c = ud;
    size_t cap = size * nitems, k = 0;
    pthread_mutex_lock(&c->cl->mu);
    if (c->fixed) {
        k = c->fixed_len - c->fixed_off;
        if (k > cap) k = cap;
        memcpy(dst, c->fixed + c->fixed_off, k);
        c->fixed_off += k;
    } else if (c->soff < c->sendq.len) {
        k = c->sendq.len - c->soff;
        if (k > cap) k = cap;
        memcpy(dst, c->sendq.data + c->soff, k);
        c->soff += k;
        if (c->soff == c->sendq.len) c->sendq.len = c->soff = 0;
        notify(c);   /* room for the sender */
    } else if (!c->send_eof) {
        c->send_paused = true;
        pthread_mutex_unlock(&c->cl->mu);
        return CURL_READFUNC_PAUSE;
    }
    pthread_mutex_unlock(&c->cl->mu);
    return k;
}

/* ---- the loop ---------------------------------------------------------------------- */

static void classify(CURLcode rc, CURL *easy, wf_http_client_fail *fail, wf_error_kind *kind)
{
    *kind = WF_ERR_IO;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: *fail = WF_HTTP_CLIENT_FAIL_DNS; break;
    case CURLE_COULDNT_CONNECT: *fail = WF_HTTP_CLIENT_FAIL_REFUSED; break;
    case CURLE_OPERATION_TIMEDOUT: {
        long connect = 0;
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect);
        *fail = connect ? WF_HTTP_CLIENT_FAIL_TIMEOUT : WF_HTTP_CLIENT_FAIL_CONNECT_TIMEOUT;
        *kind = WF_ERR_TIMEOUT;
        break;
    }
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
        *fail = WF_HTTP_CLIENT_FAIL_TLS; break;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
        *fail = WF_HTTP_CLIENT_FAIL_PROTOCOL; break;
    case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        *fail = WF_HTTP_CLIENT_FAIL_TERMINATED; break;
    case CURLE_ABORTED_BY_CALLBACK:
        *fail = WF_HTTP_CLIENT_FAIL_CANCELED; *kind = WF_ERR_TIMEOUT; break;
    default:
        *fail = WF_HTTP_CLIENT_FAIL_INTERNAL; *kind = WF_ERR_INTERNAL; break;
    }
}

static void live_remove(wf_http_client *cl, wf_http_client_call *c)
{
    if (c->live_prev) c->live_prev->live_next = c->live_next;
    else cl->live = c->live_next;
    if (c->live_next) c->live_next->live_prev = c->live_prev;
    c->live_prev = c->live_next = NULL;
}

/* libcurl is done with c (result rc): out of the multi, the loop's ref goes. */
static void complete(wf_http_client *cl, wf_http_client_call *c, CURLcode rc)
{
    curl_multi_remove_handle(cl->multi, c->easy);
    live_remove(cl, c);
    pthread_mutex_lock(&cl->mu);
    c->done = true;
    if (rc != CURLE_OK) {
        wf_http_client_fail fail;
        wf_error_kind kind;
        classify(rc, c->easy, &fail, &kind);
        const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
        fail_locked(c, fail, wf_error_new(kind, "%s %s: %s", c->method, c->url, why));
    }
    c->head = true;
    notify(c);
    pthread_mutex_unlock(&cl->mu);
    unref(c);
}

/* Fail the calls whose body stalled past their between-bytes timeout;
 * the ms until the next one may (at most a second: the loop's tick). */
static long expire_stalled(wf_http_client *cl)
{
    long wait_ms = 1000;
    uint64_t now = wf_now_ns();
    wf_http_client_call *next;
    for (wf_http_client_call *c = cl->live; c; c = next) {
        next = c->live_next;
        if (!c->between_ns) continue;
        pthread_mutex_lock(&cl->mu);
        bool watched = c->head && !c->done && !c->aborting && !c->recv_paused && !c->unpause_queued;
        pthread_mutex_unlock(&cl->mu);
        if (!watched) continue;
        uint64_t due = c->last_rx_ns + c->between_ns;
        if (now < due) {
            uint64_t ms = (due - now + 999999u) / 1000000u;
            if ((long)ms < wait_ms) wait_ms = (long)ms;
            continue;
        }
        pthread_mutex_lock(&cl->mu);
        fail_locked(c, WF_HTTP_CLIENT_FAIL_READ_TIMEOUT,
                    wf_error_new(WF_ERR_TIMEOUT, "%s %s: no response body bytes for %llu ms (between-bytes timeout)",
                                 c->method, c->url, (unsigned long long)(c->between_ns / 1000000u)));
        pthread_mutex_unlock(&cl->mu);
        complete(cl, c, CURLE_OPERATION_TIMEDOUT);
    }
    return wait_ms;
}

static void *loop(void *arg)
{
    wf_http_client *cl = arg;
    for (;;) {
        pthread_mutex_lock(&cl->mu);
        wf_http_client_call *add = cl->to_add, *unp = cl->to_unpause, *ab = cl->to_abort;
        cl->to_add = cl->to_unpause = cl->to_abort = NULL;
        for (wf_http_client_call *c = unp; c; c = c->next_unpause) c->unpause_queued = false;
        bool stop = cl->stop;
        pthread_mutex_unlock(&cl->mu);

        while (add) {
            wf_http_client_call *c = add;
            add = c->next_add;
            curl_multi_add_handle(cl->multi, c->easy);
            c->live_next = cl->live;
            if (cl->live) cl->live->live_prev = c;
            cl->live = c;
        }
        /* Each queued call carries a reference of its queue: it cannot go
         * away before the loop looked at it, even when it completed since. */
        while (ab) {
            wf_http_client_call *c = ab;
            ab = c->next_abort;
            pthread_mutex_lock(&cl->mu);
            bool done = c->done;
            pthread_mutex_unlock(&cl->mu);
            if (!done) complete(cl, c, CURLE_ABORTED_BY_CALLBACK);
            unref(c);
        }
        while (unp) {
            wf_http_client_call *c = unp;
            unp = c->next_unpause;
            pthread_mutex_lock(&cl->mu);
            bool gone = c->done || c->aborting;
            c->send_paused = c->recv_paused = false;
            pthread_mutex_unlock(&cl->mu);
            if (!gone) {
                c->last_rx_ns = wf_now_ns();
                curl_easy_pause(c->easy, CURLPAUSE_CONT);
            }
            unref(c);
        }
        if (stop) {
            while (cl->live) complete(cl, cl->live, CURLE_ABORTED_BY_CALLBACK);
            return NULL;
        }
        int running = 0;
        curl_multi_perform(cl->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(cl->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            wf_http_client_call *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            CURLcode rc = m->data.result;
            complete(cl, c, rc);
        }
        curl_multi_poll(cl->multi, NULL, 0, (int)expire_stalled(cl), NULL);
    }
}

/* ---- the client ------------------------------------------------------------------------ */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init(void)
{
    global_ok = curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK;
}

wf_error *wf_http_client_new(wf_http_client **out)
{
    pthread_once(&global_once, global_init);
    if (!global_ok) return wf_error_new(WF_ERR_INTERNAL, "http client: libcurl failed to start");
    wf_http_client *cl = wf_xcalloc(1, sizeof *cl);
    cl->multi = curl_multi_init();
    if (!cl->multi) {
        free(cl);
        return wf_error_new(WF_ERR_INTERNAL, "http client: curl_multi_init failed");
    }
    pthread_mutex_init(&cl->mu, NULL);
    if (pthread_create(&cl->thread, NULL, loop, cl)) {
        curl_multi_cleanup(cl->multi);
        pthread_mutex_destroy(&cl->mu);
        free(cl);
        return wf_error_new(WF_ERR_INTERNAL, "http client: cannot start its thread");
    }
    *out = cl;
    return NULL;
}

void wf_http_client_free(wf_http_client *cl)
{
    if (!cl) return;
    pthread_mutex_lock(&cl->mu);
    cl->stop = true;
    pthread_mutex_unlock(&cl->mu);
    curl_multi_wakeup(cl->multi);
    pthread_join(cl->thread, NULL);
    curl_multi_cleanup(cl->multi);
    pthread_mutex_destroy(&cl->mu);
    free(cl);
}

static wf_http_client *shared_client;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void shared_init(void)
{
    wf_error *e = wf_http_client_new(&shared_client);
    if (e) {
        fprintf(stderr, "error: %s\n", e->message);
        wf_error_free(e);
    }
}

wf_http_client *wf_http_client_shared(void)
{
    pthread_once(&shared_once, shared_init);
    return shared_client;
}

/* ---- starting a call ------------------------------------------------------------------- */

static bool is_field_value(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return false;
    return true;
}

/* Check scheme, host and policy of url. */
static wf_error *check_url(const char *url, const wf_http_client_policy *policy, wf_http_client_fail *fail)
{
    *fail = WF_HTTP_CLIENT_FAIL_BAD_REQUEST;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    wf_error *e = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc) {
        e = wf_error_new(WF_ERR_INVALID, "invalid URL `%s`: %s", url, curl_url_strerror(uc));
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        e = wf_error_new(WF_ERR_INVALID, "invalid URL `%s`: only http and https are supported", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !host || !*host) {
        e = wf_error_new(WF_ERR_INVALID, "invalid URL `%s`: no host", url);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    char *h = host;
    size_t hl = strlen(h);
    if (h[0] == '[' && hl > 1 && h[hl - 1] == ']') {
        h[hl - 1] = 0;
        h++;
    }
    unsigned p = port ? (unsigned)atoi(port) : 0;
    if (!wf_http_client_policy_allows(policy, h, p)) {
        *fail = WF_HTTP_CLIENT_FAIL_DENIED;
        e = wf_error_new(WF_ERR_INVALID, "not allowed: %s (host %s:%u is not in wasi.network)",
                         url, h, p);
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    if (!e) *fail = WF_HTTP_CLIENT_FAIL_NONE;
    return e;
}

static wf_error *check_request(const wf_http_client_req *rq, wf_http_client_fail *fail)
{
    const char *method = rq->method ? rq->method : "GET";
    *fail = WF_HTTP_CLIENT_FAIL_BAD_REQUEST;
    if (!wf_http_token(method, strlen(method))) return wf_error_new(WF_ERR_INVALID, "invalid HTTP method `%s`", method);
    if (!rq->url || !*rq->url) return wf_error_new(WF_ERR_INVALID, "URL required");
    for (size_t i = 0; i < rq->nheaders; i++) {
        if (!rq->headers[i].name || !wf_http_token(rq->headers[i].name, strlen(rq->headers[i].name)))
            return wf_error_new(WF_ERR_INVALID, "invalid header name `%s`",
                                rq->headers[i].name ? rq->headers[i].name : "");
        if (!rq->headers[i].value || !is_field_value(rq->headers[i].value))
            return wf_error_new(WF_ERR_INVALID, "invalid value of header `%s`", rq->headers[i].name);
    }
    return check_url(rq->url, rq->policy, fail);
}

static bool method_is(const char *m, const char *name)
{
    return !strcasecmp(m, name);
}

static void setup_easy(wf_http_client_call *c, const wf_http_client_req *rq)
{
    CURL *h = c->easy;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)c);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Requests go where the policy said, never to a proxy of the environment. */
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    if (rq->connect_timeout_ms) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)rq->connect_timeout_ms);
    if (rq->timeout_ms) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);

    bool has_body = rq->body_streamed || (rq->body && rq->body_len);
    bool wants_length = method_is(c->method, "POST") || method_is(c->method, "PUT") ||
                        method_is(c->method, "PATCH");
    if (method_is(c->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (has_body || wants_length) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_send);
        curl_easy_setopt(h, CURLOPT_READDATA, c);
        curl_off_t len = rq->body_streamed ? (curl_off_t)rq->body_length : (curl_off_t)rq->body_len;
        if (!has_body) len = 0;
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, len);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    } else if (!method_is(c->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    }
    /* No `Expect: 100-continue` round trip; the caller's headers as given. */
    c->hdrs = curl_slist_append(c->hdrs, "Expect:");
    for (size_t i = 0; i < rq->nheaders; i++) {
        char *line = rq->headers[i].value[0]
                         ? wf_xasprintf("%s: %s", rq->headers[i].name, rq->headers[i].value)
                         : wf_xasprintf("%s;", rq->headers[i].name);   /* curl's empty value */
        c->hdrs = curl_slist_append(c->hdrs, line);
        free(line);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
}

wf_error *wf_http_client_start(wf_http_client *cl, const wf_http_client_req *rq,
                               wf_http_client_call **out)
{
    wf_http_client_fail fail;
    wf_error *e = check_request(rq, &fail);
    if (e) return e;
    wf_http_client_call *c = wf_xcalloc(1, sizeof *c);
    c->cl = cl;
    c->refs = 2;
    c->method = wf_xstrdup(rq->method ? rq->method : "GET");
    for (char *p = c->method; *p; p++) *p = (char)toupper((unsigned char)*p);
    c->url = wf_xstrdup(rq->url);
    c->streamed = rq->body_streamed;
    c->between_ns = (uint64_t)rq->between_bytes_ms * 1000000u;
    c->body_length = rq->body_streamed ? rq->body_length : (int64_t)rq->body_len;
    if (!rq->body_streamed) {
        c->fixed = rq->body ? rq->body : (const uint8_t *)"";
        c->fixed_len = rq->body ? rq->body_len : 0;
        c->send_eof = true;
    }
    c->easy = curl_easy_init();
    if (!c->easy) {
        destroy(c);
        return wf_error_new(WF_ERR_INTERNAL, "http client: curl_easy_init failed");
    }
    setup_easy(c, rq);
    pthread_mutex_lock(&cl->mu);
    c->next_add = cl->to_add;
    cl->to_add = c;
    pthread_mutex_unlock(&cl->mu);
    curl_multi_wakeup(cl->multi);
    *out = c;
    return NULL;
}

void wf_http_client_call_free(wf_http_client_call *c)
{
    if (!c) return;
    wf_http_client *cl = c->cl;
    pthread_mutex_lock(&cl->mu);
    c->owner_gone = true;
    bool abort_it = !c->done && !c->aborting;
    if (abort_it) {
        /* The loop adds before it aborts, so a call still queued for adding
         * is added, then aborted, in one pass. */
        c->aborting = true;
        c->refs++;   /* the queue's, dropped by the loop */
        c->next_abort = cl->to_abort;
        cl->to_abort = c;
    }
    pthread_mutex_unlock(&cl->mu);
    if (abort_it) curl_multi_wakeup(cl->multi);
    unref(c);
}

/* ---- waiting ---------------------------------------------------------------------------- */

/* Park on c's waiters (cl->mu held); an error when the wait must end. */
static wf_error *wait_locked(wf_http_client_call *c, uint64_t until_ns, const char *what)
{
    int r = wf_waitq_wait(&c->waiters, &c->cl->mu, until_ns);
    if (r == WF_PARK_TIMEOUT)
        return wf_error_new(WF_ERR_TIMEOUT, "%s %s: timed out waiting for %s", c->method, c->url, what);
    if (r == WF_PARK_STOPPED)
        return wf_error_new(WF_ERR_TIMEOUT, "%s %s: the call was stopped while waiting for %s",
                            c->method, c->url, what);
    return NULL;
}

static wf_error *copy_err(const wf_error *e)
{
    wf_error *c = wf_error_new(e->kind, "%s", e->message);
    return c;
}

wf_error *wf_http_client_send(wf_http_client_call *c, const void *p, size_t n, uint64_t until_ns)
{
    wf_http_client *cl = c->cl;
    const uint8_t *b = p;
    wf_error *e = NULL;
    bool wake = false;
    pthread_mutex_lock(&cl->mu);
    if (!c->streamed || c->send_eof) {
        pthread_mutex_unlock(&cl->mu);
        return wf_error_new(WF_ERR_INVALID, "%s %s: the request body is not open for writing",
                            c->method, c->url);
    }
    while (n && !e) {
        if (c->err) {
            e = copy_err(c->err);
            break;
        }
        if (c->done) {   /* the server answered without reading it all */
            e = wf_error_new(WF_ERR_IO, "%s %s: the request already ended", c->method, c->url);
            break;
        }
        size_t pending = c->sendq.len - c->soff;
        if (pending >= WF_HTTP_CLIENT_BUFFER) {
            e = wait_locked(c, until_ns, "room to send the body");
            continue;
        }
        size_t k = WF_HTTP_CLIENT_BUFFER - pending;
        if (k > n) k = n;
        if (c->body_length >= 0 && c->sent_total + k > (uint64_t)c->body_length) {
            e = wf_error_new(WF_ERR_INVALID, "%s %s: body longer than its length %lld", c->method,
                             c->url, (long long)c->body_length);
            break;
        }
        wf_buf_bytes(&c->sendq, b, k);
        c->sent_total += k;
        b += k;
        n -= k;
        if (c->send_paused) {
            c->send_paused = false;
            queue_unpause(c);
            wake = true;
        }
    }
    pthread_mutex_unlock(&cl->mu);
    if (wake) curl_multi_wakeup(cl->multi);
    return e;
}

size_t wf_http_client_send_room(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    size_t pending = c->sendq.len - c->soff;
    size_t room = (c->err || c->done || !c->streamed || c->send_eof || pending >= WF_HTTP_CLIENT_BUFFER)
                      ? 0 : WF_HTTP_CLIENT_BUFFER - pending;
    pthread_mutex_unlock(&c->cl->mu);
    return room;
}

bool wf_http_client_done(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    bool done = c->done || c->err;
    pthread_mutex_unlock(&c->cl->mu);
    return done;
}

wf_error *wf_http_client_finish(wf_http_client_call *c)
{
    wf_http_client *cl = c->cl;
    wf_error *e = NULL;
    pthread_mutex_lock(&cl->mu);
    if (!c->streamed || c->send_eof) {
        pthread_mutex_unlock(&cl->mu);
        return NULL;
    }
    c->send_eof = true;
    if (c->body_length >= 0 && c->sent_total != (uint64_t)c->body_length)
        e = wf_error_new(WF_ERR_INVALID, "%s %s: body of %llu bytes, its length said %lld",
                         c->method, c->url, (unsigned long long)c->sent_total, (long long)c->body_length);
    bool wake = c->send_paused;
    if (wake) {
        c->send_paused = false;
        queue_unpause(c);
    }
    pthread_mutex_unlock(&cl->mu);
    if (wake) curl_multi_wakeup(cl->multi);
    return e;
}

wf_error *wf_http_client_wait_head(wf_http_client_call *c, uint64_t until_ns)
{
    wf_error *e = NULL;
    pthread_mutex_lock(&c->cl->mu);
    while (!c->head && !c->err && !e) e = wait_locked(c, until_ns, "the response");
    if (!e && c->err) e = copy_err(c->err);
    pthread_mutex_unlock(&c->cl->mu);
    return e;
}

bool wf_http_client_head_ready(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    bool r = c->head || c->err;
    pthread_mutex_unlock(&c->cl->mu);
    return r;
}

/* The head never changes once complete: read without the lock. */
int wf_http_client_status(wf_http_client_call *c)
{
    return c->status;
}

size_t wf_http_client_header_count(wf_http_client_call *c)
{
    return c->head_fields.n;
}

wf_http_client_field wf_http_client_header_at(wf_http_client_call *c, size_t i)
{
    return (wf_http_client_field){c->head_fields.name[i], c->head_fields.value[i]};
}

const char *wf_http_client_header(wf_http_client_call *c, const char *name)
{
    for (size_t i = 0; i < c->head_fields.n; i++)
        if (!strcasecmp(c->head_fields.name[i], name)) return c->head_fields.value[i];
    return NULL;
}

/* Trailers are complete once the body ended: read them then, under the
 * lock once more for the ordering with the loop's writes. */
size_t wf_http_client_trailer_count(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    size_t n = c->done ? c->trailers.n : 0;
    pthread_mutex_unlock(&c->cl->mu);
    return n;
}

wf_http_client_field wf_http_client_trailer_at(wf_http_client_call *c, size_t i)
{
    return (wf_http_client_field){c->trailers.name[i], c->trailers.value[i]};
}

wf_error *wf_http_client_read(wf_http_client_call *c, void *p, size_t cap, size_t *n,
                              uint64_t until_ns)
{
    wf_http_client *cl = c->cl;
    wf_error *e = NULL;
    bool wake = false;
    *n = 0;
    pthread_mutex_lock(&cl->mu);
    for (;;) {
        size_t avail = c->recv.len - c->roff;
        if (avail) {
            size_t k = avail < cap ? avail : cap;
            memcpy(p, c->recv.data + c->roff, k);
            c->roff += k;
            *n = k;
            if (c->recv_paused && c->recv.len - c->roff < WF_HTTP_CLIENT_BUFFER / 2) {
                c->recv_paused = false;
                queue_unpause(c);
                wake = true;
            }
            break;
        }
        if (c->err) {
            e = copy_err(c->err);
            break;
        }
        if (c->done || !cap) break;
        if ((e = wait_locked(c, until_ns, "the response body"))) break;
    }
    pthread_mutex_unlock(&cl->mu);
    if (wake) curl_multi_wakeup(cl->multi);
    return e;
}

size_t wf_http_client_readable(wf_http_client_call *c, bool *ended)
{
    pthread_mutex_lock(&c->cl->mu);
    size_t avail = c->recv.len - c->roff;
    *ended = !avail && (c->done || c->err);
    pthread_mutex_unlock(&c->cl->mu);
    return avail;
}

wf_error *wf_http_client_error(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    wf_error *e = c->err ? copy_err(c->err) : NULL;
    pthread_mutex_unlock(&c->cl->mu);
    return e;
}

wf_http_client_fail wf_http_client_failure(wf_http_client_call *c)
{
    pthread_mutex_lock(&c->cl->mu);
    wf_http_client_fail f = c->fail;
    pthread_mutex_unlock(&c->cl->mu);
    return f;
}

void wf_http_client_watch(wf_http_client_call *c, wf_wait_node *n, wf_waker *w)
{
    n->waker = w;
    pthread_mutex_lock(&c->cl->mu);
    wf_waitq_add(&c->waiters, n);
    pthread_mutex_unlock(&c->cl->mu);
}

void wf_http_client_unwatch(wf_http_client_call *c, wf_wait_node *n)
{
    pthread_mutex_lock(&c->cl->mu);
    wf_waitq_remove(&c->waiters, n);
    pthread_mutex_unlock(&c->cl->mu);
}
