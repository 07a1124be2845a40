/*
 * client_fetch.c - a request run to its end with its whole body
 * (wf_http_client_fetch, client.h): redirects followed under the policy, the
 * body collected up to a limit. Lua's http_client is built on it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "http/client.h"

#define FETCH_MAX_BODY ((size_t)64 << 20)

void wf_http_client_resp_free(wf_http_client_resp *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    free(r->url);
    memset(r, 0, sizeof *r);
}

/* location resolved against base; NULL when it is not a valid URL. */
static char *resolve(const char *base, const char *location)
{
    CURLU *u = curl_url();
    char *out = NULL, *res = NULL;
    if (!curl_url_set(u, CURLUPART_URL, base, 0) &&
        !curl_url_set(u, CURLUPART_URL, location, 0) &&
        !curl_url_get(u, CURLUPART_URL, &out, 0))
        res = wf_xstrdup(out);
    curl_free(out);
    curl_url_cleanup(u);
    return res;
}

static bool same_host(const char *a, const char *b)
{
    CURLU *ua = curl_url(), *ub = curl_url();
    char *ha = NULL, *hb = NULL;
    bool same = !curl_url_set(ua, CURLUPART_URL, a, 0) && !curl_url_set(ub, CURLUPART_URL, b, 0) &&
                !curl_url_get(ua, CURLUPART_HOST, &ha, 0) && !curl_url_get(ub, CURLUPART_HOST, &hb, 0) &&
                !strcasecmp(ha, hb);
    curl_free(ha);
    curl_free(hb);
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

static void take_head(wf_http_client_call *c, wf_http_client_resp *out)
{
    out->status = wf_http_client_status(c);
    out->nheaders = wf_http_client_header_count(c);
    out->headers = wf_xcalloc(out->nheaders ? out->nheaders : 1, sizeof *out->headers);
    for (size_t i = 0; i < out->nheaders; i++) {
        wf_http_client_field h = wf_http_client_header_at(c, i);
        out->headers[i].name = wf_xstrdup(h.name);
        out->headers[i].value = wf_xstrdup(h.value);
    }
}

/* A fetch whose first hop may have been started already (first, or the
 * error starting it gave: first_err); NULL and NULL: start it here. */
static wf_error *run_fetch(wf_http_client *cl, const wf_http_client_req *rq0, wf_http_client_call *first,
                           wf_error *first_err, unsigned max_redirects, size_t max_body, uint64_t until_ns,
                           wf_http_client_resp *out, wf_http_client_fail *fail)
{
    memset(out, 0, sizeof *out);
    if (!max_body) max_body = FETCH_MAX_BODY;
    wf_http_client_req rq = *rq0;
    rq.body_streamed = false;
    char *url = wf_xstrdup(rq0->url ? rq0->url : "");
    char *method = wf_xstrdup(rq0->method ? rq0->method : "GET");
    wf_http_client_field *hdrs = wf_xcalloc(rq0->nheaders ? rq0->nheaders : 1, sizeof *hdrs);
    if (rq0->nheaders) memcpy(hdrs, rq0->headers, rq0->nheaders * sizeof *hdrs);
    size_t nh = rq0->nheaders;
    wf_error *e = NULL;
    wf_http_client_fail f = WF_HTTP_CLIENT_FAIL_NONE;
    for (unsigned hop = 0;; hop++) {
        rq.url = url;
        rq.method = method;
        rq.headers = hdrs;
        rq.nheaders = nh;
        wf_http_client_call *c = NULL;
        if (hop == 0 && (first || first_err)) {
            c = first;
            e = first_err;
        } else {
            e = wf_http_client_start(cl, &rq, &c);
        }
        if (e) {
            f = strncmp(e->message, "not allowed", 11) ? WF_HTTP_CLIENT_FAIL_BAD_REQUEST : WF_HTTP_CLIENT_FAIL_DENIED;
            break;
        }
        if ((e = wf_http_client_wait_head(c, until_ns))) {
            f = wf_http_client_failure(c);
            if (f == WF_HTTP_CLIENT_FAIL_NONE) f = WF_HTTP_CLIENT_FAIL_TIMEOUT;
            wf_http_client_call_free(c);
            break;
        }
        int st = wf_http_client_status(c);
        const char *loc = wf_http_client_header(c, "Location");
        if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && loc &&
            hop < max_redirects) {
            char *next = resolve(url, loc);
            wf_http_client_call_free(c);
            if (!next) {
                e = wf_error_new(WF_ERR_IO, "%s %s: redirect to an invalid URL `%s`", method, url, loc);
                f = WF_HTTP_CLIENT_FAIL_PROTOCOL;
                break;
            }
            if (st != 307 && st != 308 && strcasecmp(method, "HEAD")) {
                free(method);
                method = wf_xstrdup("GET");
                rq.body = NULL;
                rq.body_len = 0;
            }
            /* Credentials are not sent on to another host. */
            if (!same_host(url, next)) {
                size_t k = 0;
                for (size_t i = 0; i < nh; i++)
                    if (strcasecmp(hdrs[i].name, "Authorization") && strcasecmp(hdrs[i].name, "Cookie"))
                        hdrs[k++] = hdrs[i];
                nh = k;
            }
            free(url);
            url = next;
            continue;
        }
        take_head(c, out);
        wf_buf body = {0};
        for (;;) {
            uint8_t chunk[16384];
            size_t n;
            if ((e = wf_http_client_read(c, chunk, sizeof chunk, &n, until_ns))) {
                f = wf_http_client_failure(c);
                if (f == WF_HTTP_CLIENT_FAIL_NONE) f = WF_HTTP_CLIENT_FAIL_TIMEOUT;
                break;
            }
            if (!n) break;
            if (body.len + n > max_body) {
                e = wf_error_new(WF_ERR_LIMIT, "%s %s: response body over %zu bytes", method, url, max_body);
                f = WF_HTTP_CLIENT_FAIL_TOO_LARGE;
                break;
            }
            wf_buf_bytes(&body, chunk, n);
        }
        wf_http_client_call_free(c);
        if (e) {
            wf_buf_free(&body);
            wf_http_client_resp_free(out);
            break;
        }
        wf_buf_byte(&body, 0);
        out->body = wf_buf_take(&body, &out->body_len);
        out->body_len--;
        out->url = url;
        url = NULL;
        break;
    }
    free(url);
    free(method);
    free(hdrs);
    if (fail) *fail = f;
    return e;
}

wf_error *wf_http_client_fetch(wf_http_client *cl, const wf_http_client_req *rq,
                               unsigned max_redirects, size_t max_body, uint64_t until_ns,
                               wf_http_client_resp *out, wf_http_client_fail *fail)
{
    return run_fetch(cl, rq, NULL, NULL, max_redirects, max_body, until_ns, out, fail);
}

void wf_http_client_fetch_many(wf_http_client *cl, const wf_http_client_req *rqs, size_t n,
                               unsigned max_redirects, size_t max_body, uint64_t until_ns,
                               wf_http_client_resp *outs, wf_error **errs, wf_http_client_fail *fails)
{
    wf_http_client_call **first = wf_xcalloc(n ? n : 1, sizeof *first);
    wf_error **start_err = wf_xcalloc(n ? n : 1, sizeof *start_err);
    for (size_t i = 0; i < n; i++) {
        wf_http_client_req rq = rqs[i];
        rq.body_streamed = false;
        start_err[i] = wf_http_client_start(cl, &rq, &first[i]);
    }
    for (size_t i = 0; i < n; i++)
        errs[i] = run_fetch(cl, &rqs[i], first[i], start_err[i], max_redirects, max_body, until_ns, &outs[i],
                            &fails[i]);
    free(first);
    free(start_err);
}
