/*
 * metrics.c - counters, gauges and histograms of functions and endpoints,
 * and their Prometheus text rendering (metrics.h).
 *
 * Series live in arrays that only grow, under the metrics' mutex; a
 * series is never moved or freed before the metrics, so the runtime keeps
 * a pointer to its function's and records without any lock.
 */
#include <stdarg.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/map.h"
#include "runtime/metrics.h"
#include "runtime/rt_int.h"

#define NKINDS (WF_ERR_EXIT + 1)

static const double bucket_le[WF_METRICS_NBUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 10,
};

/* The same bounds in ns, compared with integers: every call is observed. */
static const uint64_t bucket_le_ns[WF_METRICS_NBUCKETS] = {
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
    500000000, 1000000000, 10000000000u,
};

/* No count of its own: the buckets' sum is the count (the +Inf bucket's
 * cumulative value, which the format wants equal to _count: one reading
 * gives both, so a scrape during calls never shows them apart), and a
 * function's calls and an endpoint's requests are that count too. So
 * recording a call or a request is two atomic additions (its bucket, the
 * sum), not four. */
typedef struct histo {
    uint64_t buckets[WF_METRICS_NBUCKETS + 1];   /* per bucket (not cumulative); last: +Inf */
    uint64_t sum_ns;
} histo;

struct wf_metrics_fn {
    char *id;
    uint64_t errors[NKINDS];
    int64_t busy;
    histo latency;             /* calls that ended: its count */
};

typedef struct ep_series {
    char *endpoint;
    int status;
    histo latency;             /* requests answered: its count */
} ep_series;

struct wf_metrics {
    pthread_mutex_t mu;
    wf_metrics_fn **fns;
    size_t nfns, capfns;
    wf_map by_id;
    ep_series **eps;
    size_t neps, capeps;
    wf_map by_ep;            /* "endpoint\0status" -> ep_series */
    uint64_t serial;         /* tells this m from one made later at its address */
    wf_metrics_user *user;   /* Lua's `metrics` module's series (metrics_user.c) */
};

/* The series a thread recorded a request in last (an HTTP loop records
 * one request after another, mostly in the same few series): found again
 * by a pointer and a string comparison instead of the key's building,
 * hashing and the map's lookup. */
static __thread struct {
    uint64_t serial;
    const char *endpoint;    /* the caller's pointer (compared by text too) */
    int status;
    ep_series *series;
} tls_last_ep;

wf_metrics *wf_metrics_new(void)
{
    static uint64_t serials;
    wf_metrics *m = wf_xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    m->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
    m->user = wf_metrics_user_new();
    return m;
}

void wf_metrics_free(wf_metrics *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nfns; i++) {
        free(m->fns[i]->id);
        free(m->fns[i]);
    }
    for (size_t i = 0; i < m->neps; i++) {
        free(m->eps[i]->endpoint);
        free(m->eps[i]);
    }
    free(m->fns);
    free(m->eps);
    wf_metrics_user_free(m->user);
    wf_map_free(&m->by_id);
    wf_map_free(&m->by_ep);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

wf_metrics_fn *wf_metrics_function(wf_metrics *m, const char *id)
{
    pthread_mutex_lock(&m->mu);
    wf_metrics_fn *f = wf_map_get(&m->by_id, id);
    if (!f) {
        f = wf_xcalloc(1, sizeof *f);
        f->id = wf_xstrdup(id);
        wf_map_add(&m->by_id, f->id, strlen(f->id), f);
        if (m->nfns == m->capfns) {
            m->capfns = m->capfns ? m->capfns * 2 : 16;
            m->fns = wf_xrealloc(m->fns, m->capfns * sizeof *m->fns);
        }
        m->fns[m->nfns++] = f;
    }
    pthread_mutex_unlock(&m->mu);
    return f;
}

static void observe(histo *h, uint64_t ns)
{
    size_t b = 0;
    while (b < WF_METRICS_NBUCKETS && ns > bucket_le_ns[b]) b++;
    __atomic_add_fetch(&h->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->sum_ns, ns, __ATOMIC_RELAXED);
}

/* Observations so far: the buckets' sum. */
static uint64_t histo_count(const histo *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= WF_METRICS_NBUCKETS; i++) n += __atomic_load_n(&h->buckets[i], __ATOMIC_RELAXED);
    return n;
}

void wf_metrics_call_begin(wf_metrics_fn *f)
{
    if (f) __atomic_add_fetch(&f->busy, 1, __ATOMIC_RELAXED);
}

void wf_metrics_call_running_end(wf_metrics_fn *f)
{
    if (f) __atomic_sub_fetch(&f->busy, 1, __ATOMIC_RELAXED);
}

uint64_t wf_metrics_call_end(wf_metrics_fn *f, const wf_error *err, uint64_t start_ns)
{
    if (!f) return 0;
    if (err && (unsigned)err->kind < NKINDS) __atomic_add_fetch(&f->errors[err->kind], 1, __ATOMIC_RELAXED);
    uint64_t now = wf_now_ns();
    uint64_t took = now > start_ns ? now - start_ns : 0;
    observe(&f->latency, took);
    return took;
}

void wf_metrics_http_request(wf_metrics *m, const char *endpoint, int status, uint64_t dur_ns)
{
    if (!m) return;
    if (tls_last_ep.serial == m->serial && tls_last_ep.status == status && tls_last_ep.endpoint == endpoint &&
        !strcmp(tls_last_ep.series->endpoint, endpoint)) {
        ep_series *s = tls_last_ep.series;
        observe(&s->latency, dur_ns);
        return;
    }
    /* "endpoint\0status", built by hand: this runs for every request. */
    char key[512];
    size_t el = strlen(endpoint);
    if (el + 1 + 11 >= sizeof key || status < 0) return;
    memcpy(key, endpoint, el);
    key[el] = 0;
    char digits[12];
    int nd = 0;
    unsigned st = (unsigned)status;
    do digits[nd++] = (char)('0' + st % 10); while ((st /= 10));
    int n = (int)el + 1;
    while (nd) key[n++] = digits[--nd];
    void *v = NULL;
    /* Found without the lock (map.h: lookups beside one writer), which
     * every request but a series' first takes. */
    if (wf_map_find(&m->by_ep, key, (size_t)n, &v)) {
        ep_series *s = v;
        tls_last_ep.serial = m->serial;
        tls_last_ep.endpoint = endpoint;
        tls_last_ep.status = status;
        tls_last_ep.series = s;
        observe(&s->latency, dur_ns);
        return;
    }
    pthread_mutex_lock(&m->mu);
    if (!wf_map_find(&m->by_ep, key, (size_t)n, &v)) {
        ep_series *s = wf_xcalloc(1, sizeof *s + (size_t)n);
        s->endpoint = wf_xstrdup(endpoint);
        s->status = status;
        /* the key's bytes live after the series */
        char *k = (char *)(s + 1);
        memcpy(k, key, (size_t)n);
        wf_map_add(&m->by_ep, k, (size_t)n, s);
        if (m->neps == m->capeps) {
            m->capeps = m->capeps ? m->capeps * 2 : 16;
            m->eps = wf_xrealloc(m->eps, m->capeps * sizeof *m->eps);
        }
        m->eps[m->neps++] = s;
        v = s;
    }
    pthread_mutex_unlock(&m->mu);
    ep_series *s = v;
    observe(&s->latency, dur_ns);
}

wf_metrics_user *wf_metrics_user_of(wf_metrics *m)
{
    return m->user;
}

uint64_t wf_metrics_calls(wf_metrics_fn *f)
{
    return histo_count(&f->latency);
}

uint64_t wf_metrics_errors(wf_metrics_fn *f, wf_error_kind kind)
{
    return (unsigned)kind < NKINDS ? __atomic_load_n(&f->errors[kind], __ATOMIC_RELAXED) : 0;
}

int64_t wf_metrics_busy(wf_metrics_fn *f)
{
    return __atomic_load_n(&f->busy, __ATOMIC_RELAXED);
}

/* ---- rendering ---------------------------------------------------------------------- */

/* A label value, escaped as the format wants (\\, \", \n). */
void wf_metrics_escape_label(wf_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            wf_buf_byte(b, '\\');
            wf_buf_byte(b, (uint8_t)*s);
        } else if (*s == '\n') {
            wf_buf_str(b, "\\n");
        } else {
            wf_buf_byte(b, (uint8_t)*s);
        }
    }
}

static void printf_buf(wf_buf *b, const char *fmt, ...) WF_PRINTF(2, 3);
static void printf_buf(wf_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) wf_buf_bytes(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* name{lname="lval"[,extra]} */
static void series(wf_buf *b, const char *name, const char *lname, const char *lval, const char *extra)
{
    wf_buf_str(b, name);
    wf_buf_byte(b, '{');
    wf_buf_str(b, lname);
    wf_buf_str(b, "=\"");
    wf_metrics_escape_label(b, lval);
    wf_buf_byte(b, '"');
    if (extra) {
        wf_buf_byte(b, ',');
        wf_buf_str(b, extra);
    }
    wf_buf_str(b, "} ");
}

static void histogram(wf_buf *b, const char *name, const char *lname, const char *lval,
                      const char *extra, const histo *h)
{
    char bucket[64], sum[64], count[64];
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    snprintf(sum, sizeof sum, "%s_sum", name);
    snprintf(count, sizeof count, "%s_count", name);
    uint64_t cum = 0;
    for (size_t i = 0; i <= WF_METRICS_NBUCKETS; i++) {
        cum += __atomic_load_n(&h->buckets[i], __ATOMIC_RELAXED);
        char le[96];
        if (i < WF_METRICS_NBUCKETS) snprintf(le, sizeof le, "%s%sle=\"%g\"", extra ? extra : "", extra ? "," : "", bucket_le[i]);
        else snprintf(le, sizeof le, "%s%sle=\"+Inf\"", extra ? extra : "", extra ? "," : "");
        series(b, bucket, lname, lval, le);
        printf_buf(b, "%llu\n", (unsigned long long)cum);
    }
    series(b, sum, lname, lval, extra);
    printf_buf(b, "%.9f\n", (double)__atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED) / 1e9);
    series(b, count, lname, lval, extra);
    printf_buf(b, "%llu\n", (unsigned long long)cum);
}

static void header(wf_buf *b, const char *name, const char *type, const char *help)
{
    printf_buf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *wf_metrics_render(wf_metrics *m, wf_runtime *rt)
{
    wf_buf b = {0};
    pthread_mutex_lock(&m->mu);
    header(&b, "wasmfn_function_calls_total", "counter", "Calls of each function that ended, failed ones included.");
    for (size_t i = 0; i < m->nfns; i++) {
        series(&b, "wasmfn_function_calls_total", "function", m->fns[i]->id, NULL);
        printf_buf(&b, "%llu\n", (unsigned long long)wf_metrics_calls(m->fns[i]));
    }
    header(&b, "wasmfn_function_errors_total", "counter", "Failed calls of each function, by error kind.");
    for (size_t i = 0; i < m->nfns; i++)
        for (int k = 0; k < NKINDS; k++) {
            char extra[48];
            snprintf(extra, sizeof extra, "kind=\"%s\"", wf_error_kind_name((wf_error_kind)k));
            series(&b, "wasmfn_function_errors_total", "function", m->fns[i]->id, extra);
            printf_buf(&b, "%llu\n", (unsigned long long)wf_metrics_errors(m->fns[i], (wf_error_kind)k));
        }
    header(&b, "wasmfn_function_duration_seconds", "histogram",
           "Time from a call's request to its outcome (queueing included).");
    for (size_t i = 0; i < m->nfns; i++)
        histogram(&b, "wasmfn_function_duration_seconds", "function", m->fns[i]->id, NULL, &m->fns[i]->latency);
    header(&b, "wasmfn_function_instances", "gauge",
           "Instances of each function: busy (running a call, or suspended in one), idle (made ahead, ready for a call).");
    for (size_t i = 0; i < m->nfns; i++) {
        series(&b, "wasmfn_function_instances", "function", m->fns[i]->id, "state=\"busy\"");
        printf_buf(&b, "%lld\n", (long long)wf_metrics_busy(m->fns[i]));
        wf_rt_pool_gauges g = {0};
        if (rt) wf_rt_pool_gauges_of(rt, m->fns[i]->id, &g);
        series(&b, "wasmfn_function_instances", "function", m->fns[i]->id, "state=\"idle\"");
        printf_buf(&b, "%u\n", g.ready);
    }
    header(&b, "wasmfn_pool_workers", "gauge", "Worker threads of each function's pool (0 for inline pools).");
    for (size_t i = 0; i < m->nfns; i++) {
        wf_rt_pool_gauges g = {0};
        if (rt) wf_rt_pool_gauges_of(rt, m->fns[i]->id, &g);
        series(&b, "wasmfn_pool_workers", "function", m->fns[i]->id, NULL);
        printf_buf(&b, "%u\n", g.workers);
    }
    header(&b, "wasmfn_http_requests_total", "counter", "HTTP requests answered, by endpoint and status.");
    for (size_t i = 0; i < m->neps; i++) {
        char extra[32];
        snprintf(extra, sizeof extra, "status=\"%d\"", m->eps[i]->status);
        series(&b, "wasmfn_http_requests_total", "endpoint", m->eps[i]->endpoint, extra);
        printf_buf(&b, "%llu\n", (unsigned long long)histo_count(&m->eps[i]->latency));
    }
    header(&b, "wasmfn_http_request_duration_seconds", "histogram",
           "Time from a request's arrival to its response, by endpoint and status.");
    for (size_t i = 0; i < m->neps; i++) {
        char extra[32];
        snprintf(extra, sizeof extra, "status=\"%d\"", m->eps[i]->status);
        histogram(&b, "wasmfn_http_request_duration_seconds", "endpoint", m->eps[i]->endpoint, extra,
                  &m->eps[i]->latency);
    }
    pthread_mutex_unlock(&m->mu);
    wf_metrics_user_render(m->user, &b);
    wf_buf_byte(&b, 0);
    size_t n;
    return (char *)wf_buf_take(&b, &n);
}
