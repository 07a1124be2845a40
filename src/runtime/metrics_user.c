/*
 * metrics_user.c - the series Lua code records through upstream's `metrics`
 * module (counters, gauges, histograms with labels), kept beside wasmfn's
 * own in a wf_metrics and rendered after them at /metrics (metrics.h).
 *
 * What a scrape must never see, refused when recorded instead: a name or
 * a label name the text format does not allow (upstream's dotted names,
 * "app.requests.total", become "app_requests_total"), a label value that
 * is not UTF-8, a name of wasmfn's own ("wasmfn_" prefix) or one family
 * under two types (or a histogram's _bucket/_sum/_count taken by another
 * family), a counter going down, a value that is not finite. Memory is
 * bounded: at most WF_METRICS_USER_MAX_SERIES series in all, then
 * recording a new one fails (the existing ones still count).
 *
 * Threads: one mutex for all of it; a record is a lookup and an addition.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/map.h"
#include "base/utf8.h"
#include "runtime/metrics.h"

#define MAX_NAME 128
#define MAX_LABELS 16
#define MAX_VALUE 256

/* Prometheus' client libraries' default buckets (seconds), then +Inf. */
static const double user_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NLE (sizeof user_le / sizeof user_le[0])

typedef struct user_family user_family;

typedef struct user_series {
    user_family *family;
    char *labels;                 /* rendered: k="v",k2="v2" (keys sorted), or "" */
    double value;                 /* counter, gauge; a histogram's sum */
    uint64_t buckets[NLE + 1];    /* histogram: per bucket, last +Inf */
} user_series;

struct user_family {
    char *name;
    wf_metric_type type;
    user_series **series;
    size_t n, cap;
};

struct wf_metrics_user {
    pthread_mutex_t mu;
    user_family **fams;
    size_t nfams, capfams;
    wf_map by_name;               /* name -> family */
    wf_map by_key;                /* "name\0labels" -> series (key kept in keys) */
    char **keys;
    size_t nseries;
};

static const char *const type_names[] = {"counter", "gauge", "histogram"};

wf_metrics_user *wf_metrics_user_new(void)
{
    wf_metrics_user *u = wf_xcalloc(1, sizeof *u);
    pthread_mutex_init(&u->mu, NULL);
    return u;
}

void wf_metrics_user_free(wf_metrics_user *u)
{
    if (!u) return;
    for (size_t i = 0; i < u->nfams; i++) {
        user_family *f = u->fams[i];
        for (size_t j = 0; j < f->n; j++) {
            free(f->series[j]->labels);
            free(f->series[j]);
        }
        free(f->series);
        free(f->name);
        free(f);
    }
    for (size_t i = 0; i < u->nseries; i++) free(u->keys[i]);
    free(u->keys);
    free(u->fams);
    wf_map_free(&u->by_name);
    wf_map_free(&u->by_key);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

/* The metric name upstream code gave, as the format wants it: '.' and '-'
 * become '_'; then [a-zA-Z_:][a-zA-Z0-9_:]*. */
static wf_error *clean_name(const char *in, char out[MAX_NAME + 1])
{
    size_t n = strlen(in);
    if (!n) return wf_error_new(WF_ERR_INVALID, "metric name is empty");
    if (n > MAX_NAME) return wf_error_new(WF_ERR_INVALID, "metric name longer than %d bytes", MAX_NAME);
    for (size_t i = 0; i <= n; i++) {
        char c = in[i];
        out[i] = c == '.' || c == '-' ? '_' : c;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || out[i] == '_' || c == ':' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (i < n && !ok)
            return wf_error_new(WF_ERR_INVALID, "metric name `%s`: character %zu is not allowed "
                                "(letters, digits, '_', ':', '.', '-'; not a digit first)", in, i + 1);
    }
    if (!strncmp(out, "wasmfn_", 7))
        return wf_error_new(WF_ERR_INVALID, "metric name `%s`: the wasmfn_ prefix is reserved for wasmfn's own metrics", in);
    return NULL;
}

static wf_error *check_label_name(const char *k, wf_metric_type t)
{
    size_t n = strlen(k);
    bool ok = n > 0 && n <= MAX_NAME && !(k[0] >= '0' && k[0] <= '9') && strncmp(k, "__", 2) != 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_';
    if (!ok)
        return wf_error_new(WF_ERR_INVALID, "label name `%s` is not allowed ([a-zA-Z_][a-zA-Z0-9_]*, "
                            "not starting with __)", k);
    if (t == WF_METRIC_HISTOGRAM && !strcmp(k, "le"))
        return wf_error_new(WF_ERR_INVALID, "label name `le` is reserved in a histogram");
    return NULL;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

/* labels[2i], labels[2i+1]: validated and rendered sorted by name. */
static wf_error *render_labels(const char *const *labels, size_t n, wf_metric_type t, char **out)
{
    if (n > MAX_LABELS) return wf_error_new(WF_ERR_INVALID, "more than %d labels", MAX_LABELS);
    const char *const *order[MAX_LABELS];
    for (size_t i = 0; i < n; i++) {
        wf_error *e = check_label_name(labels[2 * i], t);
        if (e) return e;
        size_t vl = strlen(labels[2 * i + 1]);
        if (vl > MAX_VALUE)
            return wf_error_new(WF_ERR_INVALID, "label `%s`: value longer than %d bytes", labels[2 * i], MAX_VALUE);
        if (!wf_utf8_valid((const uint8_t *)labels[2 * i + 1], vl))
            return wf_error_new(WF_ERR_INVALID, "label `%s`: value is not UTF-8", labels[2 * i]);
        order[i] = &labels[2 * i];
    }
    qsort(order, n, sizeof *order, cmp_key);
    wf_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(order[i][0], order[i - 1][0])) {
            wf_buf_free(&b);
            return wf_error_new(WF_ERR_INVALID, "label `%s` given twice", order[i][0]);
        }
        if (i) wf_buf_byte(&b, ',');
        wf_buf_str(&b, order[i][0]);
        wf_buf_str(&b, "=\"");
        wf_metrics_escape_label(&b, order[i][1]);
        wf_buf_byte(&b, '"');
    }
    wf_buf_byte(&b, 0);
    size_t len;
    *out = (char *)wf_buf_take(&b, &len);
    return NULL;
}

/* Would a family `name` of type t show a sample name another family shows? */
static const char *clash(wf_metrics_user *u, const char *name, wf_metric_type t)
{
    static const char *const suffix[] = {"_bucket", "_sum", "_count"};
    size_t n = strlen(name);
    for (size_t i = 0; i < u->nfams; i++) {
        const user_family *f = u->fams[i];
        size_t fn = strlen(f->name);
        for (size_t s = 0; s < 3; s++) {
            size_t sl = strlen(suffix[s]);
            if (f->type == WF_METRIC_HISTOGRAM && n == fn + sl && !strncmp(name, f->name, fn) &&
                !strcmp(name + fn, suffix[s]))
                return f->name;
            if (t == WF_METRIC_HISTOGRAM && fn == n + sl && !strncmp(f->name, name, n) &&
                !strcmp(f->name + n, suffix[s]))
                return f->name;
        }
    }
    return NULL;
}

/* The family and series of name/labels, made if new (under u->mu). */
static wf_error *find_series(wf_metrics_user *u, const char *name, wf_metric_type t, const char *labels,
                             user_series **out)
{
    user_family *f = wf_map_get(&u->by_name, name);
    if (f && f->type != t)
        return wf_error_new(WF_ERR_INVALID, "metric `%s` is a %s, not a %s", name, type_names[f->type], type_names[t]);
    size_t nl = strlen(name), ll = strlen(labels);
    char *key = wf_xmalloc(nl + 1 + ll);
    memcpy(key, name, nl + 1);
    memcpy(key + nl + 1, labels, ll);
    void *v;
    if (wf_map_find(&u->by_key, key, nl + 1 + ll, &v)) {
        free(key);
        *out = v;
        return NULL;
    }
    if (u->nseries >= WF_METRICS_USER_MAX_SERIES) {
        free(key);
        return wf_error_new(WF_ERR_LIMIT, "metric `%s`: no room for a new series (at most %d, all metrics "
                            "and label sets together)", name, WF_METRICS_USER_MAX_SERIES);
    }
    if (!f) {
        const char *other = clash(u, name, t);
        if (other) {
            free(key);
            return wf_error_new(WF_ERR_INVALID, "metric `%s` would clash with the histogram series of `%s`",
                                name, other);
        }
        f = wf_xcalloc(1, sizeof *f);
        f->name = wf_xstrdup(name);
        f->type = t;
        wf_map_add(&u->by_name, f->name, nl, f);
        if (u->nfams == u->capfams) {
            u->capfams = u->capfams ? u->capfams * 2 : 16;
            u->fams = wf_xrealloc(u->fams, u->capfams * sizeof *u->fams);
        }
        u->fams[u->nfams++] = f;
    }
    user_series *s = wf_xcalloc(1, sizeof *s);
    s->family = f;
    s->labels = wf_xstrdup(labels);
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->series = wf_xrealloc(f->series, f->cap * sizeof *f->series);
    }
    f->series[f->n++] = s;
    u->keys = wf_xrealloc(u->keys, (u->nseries + 1) * sizeof *u->keys);
    u->keys[u->nseries++] = key;
    wf_map_add(&u->by_key, key, nl + 1 + ll, s);
    *out = s;
    return NULL;
}

wf_error *wf_metrics_user_record(wf_metrics_user *u, wf_metric_op op, const char *name,
                                 const char *const *labels, size_t nlabels, double value)
{
    static const wf_metric_type type_of[] = {
        [WF_METRIC_COUNTER_ADD] = WF_METRIC_COUNTER, [WF_METRIC_GAUGE_ADD] = WF_METRIC_GAUGE,
        [WF_METRIC_GAUGE_SET] = WF_METRIC_GAUGE, [WF_METRIC_OBSERVE] = WF_METRIC_HISTOGRAM,
    };
    wf_metric_type t = type_of[op];
    char clean[MAX_NAME + 1];
    wf_error *e = clean_name(name, clean);
    if (e) return e;
    if (!isfinite(value)) return wf_error_new(WF_ERR_INVALID, "metric `%s`: value is not a finite number", name);
    if (op == WF_METRIC_COUNTER_ADD && value < 0)
        return wf_error_new(WF_ERR_INVALID, "counter `%s` cannot go down (value %g)", name, value);
    char *lab = NULL;
    if ((e = render_labels(labels, nlabels, t, &lab))) return wf_error_wrap(e, "metric `%s`", name);
    pthread_mutex_lock(&u->mu);
    user_series *s = NULL;
    e = find_series(u, clean, t, lab, &s);
    if (!e) {
        if (op == WF_METRIC_GAUGE_SET) {
            s->value = value;
        } else {
            s->value += value;
            if (op == WF_METRIC_OBSERVE) {
                size_t b = 0;
                while (b < NLE && value > user_le[b]) b++;
                s->buckets[b]++;
            }
        }
    }
    pthread_mutex_unlock(&u->mu);
    free(lab);
    return e;
}

static void number(wf_buf *b, double v)
{
    /* the shortest of %.15g and %.17g that reads back as v (0.3, not
     * 0.29999999999999999) */
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v) n = snprintf(tmp, sizeof tmp, "%.17g", v);
    wf_buf_bytes(b, tmp, (size_t)n);
    wf_buf_byte(b, '\n');
}

/* name{labels[,extra]} (no braces when both are empty) */
static void sample(wf_buf *b, const char *name, const char *suffix, const char *labels, const char *extra)
{
    wf_buf_str(b, name);
    wf_buf_str(b, suffix);
    if (*labels || extra) {
        wf_buf_byte(b, '{');
        wf_buf_str(b, labels);
        if (*labels && extra) wf_buf_byte(b, ',');
        if (extra) wf_buf_str(b, extra);
        wf_buf_byte(b, '}');
    }
    wf_buf_byte(b, ' ');
}

void wf_metrics_user_render(wf_metrics_user *u, wf_buf *b)
{
    pthread_mutex_lock(&u->mu);
    for (size_t i = 0; i < u->nfams; i++) {
        const user_family *f = u->fams[i];
        wf_buf_str(b, "# HELP ");
        wf_buf_str(b, f->name);
        wf_buf_str(b, " Recorded by Lua code (metrics module).\n# TYPE ");
        wf_buf_str(b, f->name);
        wf_buf_byte(b, ' ');
        wf_buf_str(b, type_names[f->type]);
        wf_buf_byte(b, '\n');
        for (size_t j = 0; j < f->n; j++) {
            const user_series *s = f->series[j];
            if (f->type != WF_METRIC_HISTOGRAM) {
                sample(b, f->name, "", s->labels, NULL);
                number(b, s->value);
                continue;
            }
            uint64_t cum = 0;
            for (size_t k = 0; k <= NLE; k++) {
                char le[32];
                if (k < NLE) snprintf(le, sizeof le, "le=\"%g\"", user_le[k]);
                else snprintf(le, sizeof le, "le=\"+Inf\"");
                cum += s->buckets[k];
                sample(b, f->name, "_bucket", s->labels, le);
                number(b, (double)cum);
            }
            sample(b, f->name, "_sum", s->labels, NULL);
            number(b, s->value);
            sample(b, f->name, "_count", s->labels, NULL);
            number(b, (double)cum);
        }
    }
    pthread_mutex_unlock(&u->mu);
}
