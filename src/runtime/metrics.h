/*
 * metrics.h - what `wasmfn run --admin ADDR` shows at /metrics (SPEC §7):
 * per function, calls, errors by kind, a latency histogram and instances
 * busy/idle; per HTTP endpoint, requests by status and their latency; in
 * Prometheus' text exposition format (version 0.0.4).
 *
 * A wf_metrics outlives the runtimes that feed it: a reload (SPEC §1) makes
 * a new runtime beside the old one, and both count into the same series
 * (found by function ID), so counters never go back. The runtime records
 * every call it runs (runtime.c), the HTTP server every request it answers.
 *
 * Threads: recording is lock-free (atomic counters) once a series exists;
 * making a series and rendering take the metrics' mutex.
 */
#ifndef WF_RUNTIME_METRICS_H
#define WF_RUNTIME_METRICS_H

#include "base/base.h"
#include "base/error.h"

typedef struct wf_metrics wf_metrics;
typedef struct wf_metrics_fn wf_metrics_fn;
typedef struct wf_runtime wf_runtime;

/* The latency buckets' upper bounds, in seconds (then +Inf). */
#define WF_METRICS_NBUCKETS 13

wf_metrics *wf_metrics_new(void);
void wf_metrics_free(wf_metrics *m);

/* The series of function id (made on first use; lives as long as m). */
wf_metrics_fn *wf_metrics_function(wf_metrics *m, const char *id);
/* An instance starts / stops running a call (the busy gauge). */
void wf_metrics_call_begin(wf_metrics_fn *f);
void wf_metrics_call_running_end(wf_metrics_fn *f);
/* A call's outcome is known (err NULL on success); start_ns is when the
 * caller asked (CLOCK_MONOTONIC: queueing counts). Every call that found
 * its function ends here once, those that failed before running too (bad
 * arguments, no room in the pool's queue). Returns the time it observed
 * (0 without f). */
uint64_t wf_metrics_call_end(wf_metrics_fn *f, const wf_error *err, uint64_t start_ns);

/* One HTTP request answered by endpoint (an entry ID, or a name such as
 * "static", "not_found") with status, taking dur_ns. */
void wf_metrics_http_request(wf_metrics *m, const char *endpoint, int status, uint64_t dur_ns);

/* Series recorded by code (Lua's `metrics` module, metrics_user.c),
 * rendered after wasmfn's own. labels: nlabels name/value pairs. Fails
 * (INVALID) on a name or label the text format does not allow, a name of
 * wasmfn's own, a type other than the name's first, a counter going down,
 * a value that is not finite; LIMIT past WF_METRICS_USER_MAX_SERIES. */
#define WF_METRICS_USER_MAX_SERIES 1000
typedef enum { WF_METRIC_COUNTER, WF_METRIC_GAUGE, WF_METRIC_HISTOGRAM } wf_metric_type;
typedef enum { WF_METRIC_COUNTER_ADD, WF_METRIC_GAUGE_ADD, WF_METRIC_GAUGE_SET, WF_METRIC_OBSERVE } wf_metric_op;
typedef struct wf_metrics_user wf_metrics_user;
wf_metrics_user *wf_metrics_user_of(wf_metrics *m);
wf_error *wf_metrics_user_record(wf_metrics_user *u, wf_metric_op op, const char *name,
                                 const char *const *labels, size_t nlabels, double value);
/* Inside metrics.c: */
struct wf_buf;
wf_metrics_user *wf_metrics_user_new(void);
void wf_metrics_user_free(wf_metrics_user *u);
void wf_metrics_user_render(wf_metrics_user *u, struct wf_buf *b);
/* s escaped as a label value (backslash, quote, newline) onto b. */
void wf_metrics_escape_label(struct wf_buf *b, const char *s);

/* Counts read back (tests). */
uint64_t wf_metrics_calls(wf_metrics_fn *f);
uint64_t wf_metrics_errors(wf_metrics_fn *f, wf_error_kind kind);
int64_t wf_metrics_busy(wf_metrics_fn *f);

/* The text exposition of everything in m; the pool gauges (idle instances,
 * workers) come from rt's functions when rt is given. Caller frees. */
char *wf_metrics_render(wf_metrics *m, wf_runtime *rt);

#endif
