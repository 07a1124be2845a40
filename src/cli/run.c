/*
 * run.c - `wasmfn run DIR` (SPEC §9): load the project, start every
 * http.service with its routers, endpoints and static trees (src/http),
 * and serve until SIGINT or SIGTERM; then stop accepting, let requests in
 * flight finish (at most --drain-timeout) and exit 0.
 *
 * Signals are taken by sigwait on this thread: they are blocked before
 * any thread starts, so no worker or loop thread is ever interrupted by
 * them. SIGPIPE is ignored (a client that goes away is an error of that
 * write, not the end of the process).
 *
 * Reload (SPEC §1): the project is a live one (project/live.h). An edit
 * of its files (inotify), or SIGHUP, loads a new version beside the
 * running one; when it loads, its route tables replace the old ones in
 * every service (requests in flight finish on the old version, which is
 * freed after them), else the error is logged and the old version keeps
 * serving. The server runs handlers on a scheduler of its own, so it
 * outlives every version's runtime.
 *
 * --admin ADDR adds a service answering /metrics (every version's calls
 * counted into one metrics object, requests per endpoint and status) and
 * /healthz.
 *
 * Exit: 0 after a signal; 2 usage; 3 load error (the project, or an
 * address that cannot be listened on).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "http/serve.h"
#include "project/live.h"
#include "runtime/sched.h"
#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: wasmfn run [OPTIONS] DIR\n"
        "\n"
        "Load the project in DIR and serve its http.service, http.router,\n"
        "http.endpoint and http.static entries until SIGINT or SIGTERM, then\n"
        "finish the requests in flight and exit 0. One access-log line per\n"
        "request goes to stderr: `access: SERVICE METHOD PATH STATUS BYTES TIMEus`.\n"
        "\n"
        "  --addr ADDR          address of the implicit service, for a project whose\n"
        "                       endpoints name no router or service (default 127.0.0.1:8080)\n"
        "  --workers N          threads running request handlers (default 2)\n"
        "  --drain-timeout MS   how long requests in flight may take to finish after\n"
        "                       SIGINT/SIGTERM (default: the longest lifecycle.stop_timeout\n"
        "                       of the services, else 10000)\n"
        "  --quiet              no access log\n"
        "  --admin ADDR         also serve GET /metrics (Prometheus text) and GET /healthz\n"
        "                       on ADDR\n"
        "  --no-reload          do not watch the project's files (SIGHUP still reloads)\n"
        "  --tier=T             engine tier: interp (default), compiled (every module\n"
        "                       compiled with LLVM at load, or loaded from the code\n"
        "                       cache `wasmfn compile` fills) or auto (serves at once,\n"
        "                       the most called code compiled or loaded from the cache\n"
        "                       in the background: with a cache filled at deploy time,\n"
        "                       the fastest start and throughput)\n"
        "\n"
        "Edits of the project's files reload it while it serves: requests in flight\n"
        "finish on the old version, new ones get the new one; a version that fails\n"
        "to load is reported and the old one keeps serving.\n"
        "\n"
        "Several `wasmfn run` processes may listen on one address (SO_REUSEPORT):\n"
        "the kernel spreads connections over them.\n"
        "\n"
        "exit status: 0 stopped by a signal, 2 usage error, 3 load error\n");
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

/* What the reload and admin callbacks share. */
typedef struct run_state {
    wf_project_live *lp;
    wf_http_server *srv;
    wf_http_serve_options *opts;
    pthread_mutex_t reload_mu;     /* one route swap at a time */
} run_state;

static void version_retain(void *ud) { wf_project_version_retain(ud); }
static void version_release(void *ud) { wf_project_version_release(ud); }

static void on_response(void *ud, const char *service, const char *route, int status, uint64_t ns)
{
    run_state *st = ud;
    wf_metrics_http_request(wf_project_live_metrics(st->lp), route && *route ? route : "(no route)", status, ns);
}

static char *admin_metrics(void *ud)
{
    run_state *st = ud;
    wf_project_version *v = wf_project_live_acquire(st->lp);
    char *text = wf_metrics_render(wf_project_live_metrics(st->lp), v->rt);
    wf_project_version_release(v);
    return text;
}

static char *admin_health(void *ud)
{
    run_state *st = ud;
    wf_project_version *v = wf_project_live_acquire(st->lp);
    char *body = wf_xasprintf("{\"status\":\"ok\",\"version\":%llu}\n", (unsigned long long)v->number);
    wf_project_version_release(v);
    return body;
}

static void print_error_lines(const char *prefix, const char *msg)
{
    for (const char *p = msg; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(stderr, "%s%.*s\n", prefix, (int)n, p);
        p += n + (p[n] == '\n');
    }
}

/* Swap in the routes of version v (the live project's current one). */
static void serve_version(run_state *st, wf_project_version *v)
{
    pthread_mutex_lock(&st->reload_mu);
    wf_http_serve_owner owner = { version_retain, version_release, v };
    wf_error *e = wf_http_serve_reload(st->srv, v->reg, v->rt, st->opts, &owner);
    pthread_mutex_unlock(&st->reload_mu);
    if (e) {
        fprintf(stderr, "reload failed: version %llu loaded but cannot be served: %s\n",
                (unsigned long long)v->number, e->message);
        wf_error_free(e);
    } else {
        fprintf(stderr, "reloaded: version %llu\n", (unsigned long long)v->number);
    }
    fflush(stderr);
}

static void on_reload(void *ud, wf_project_version *v, const wf_error *e)
{
    run_state *st = ud;
    if (e) {
        fprintf(stderr, "reload failed: the old version keeps serving:\n");
        print_error_lines("  error: ", e->message);
        fflush(stderr);
        return;
    }
    serve_version(st, v);
}

/* Says which services upstream's lifecycle leaves unstarted, and returns
 * the drain bound: the one given, else the longest `lifecycle.stop_timeout`
 * of a started service, else 10 s. Read once: a reload cannot add or move
 * a listener either. */
static uint32_t services_at_start(wf_registry *reg, uint32_t given_ms)
{
    uint32_t longest = 0;
    for (size_t i = 0, n = wf_registry_count(reg); i < n; i++) {
        const wf_reg_entry *e = wf_registry_at(reg, i);
        if (e->kind != WF_REG_HTTP_SERVICE) continue;
        if (e->u.http.not_started)
            fprintf(stderr, "not started: %s (lifecycle.auto_start: false)\n", e->id);
        else if (e->u.http.stop_timeout_ms > longest)
            longest = e->u.http.stop_timeout_ms;
    }
    return given_ms ? given_ms : longest ? longest : 10000;
}

int wf_cli_run(int argc, char **argv)
{
    const char *addr = "127.0.0.1:8080", *admin = NULL;
    uint32_t workers = 2, drain_ms = 0;   /* 0: the services' stop_timeout, else 10 s */
    bool quiet = false, watch = true;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return WF_EXIT_OK;
        } else if (!strcmp(a, "--addr") && i + 1 < argc) {
            addr = argv[++i];
        } else if (!strcmp(a, "--admin") && i + 1 < argc) {
            admin = argv[++i];
        } else if (!strcmp(a, "--no-reload")) {
            watch = false;
        } else if (!strcmp(a, "--workers") && i + 1 < argc) {
            if (!parse_u32(argv[++i], &workers) || !workers || workers > 256) {
                fprintf(stderr, "wasmfn run: --workers takes a number from 1 to 256, got '%s'\n", argv[i]);
                return WF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--drain-timeout") && i + 1 < argc) {
            if (!parse_u32(argv[++i], &drain_ms) || !drain_ms) {
                fprintf(stderr, "wasmfn run: --drain-timeout takes milliseconds, got '%s'\n", argv[i]);
                return WF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strncmp(a, "--tier", 6)) {
            int tr = wf_cli_tier_option("run", argc, argv, &i);
            if (tr < 0) return WF_EXIT_USAGE;
            if (tr == 0) {
                fprintf(stderr, "wasmfn run: --tier takes auto, interp or compiled\n");
                return WF_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "wasmfn run: unknown option '%s'\n", a);
            usage(stderr);
            return WF_EXIT_USAGE;
        }
    }
    if (argc - i != 1) {
        fprintf(stderr, "wasmfn run: expected one project directory\n");
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    const char *dir = argv[i];

    /* Before any thread exists: every thread inherits this mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    run_state st = { 0 };
    pthread_mutex_init(&st.reload_mu, NULL);
    wf_error *e = wf_project_live_open(dir, &st.lp);
    if (e) {
        print_error_lines("error: ", e->message);
        wf_error_free(e);
        return WF_EXIT_LOAD;
    }
    wf_project_version *v = wf_project_live_acquire(st.lp);
    wf_cli_print_diags(v->reg);   /* warnings */
    wf_sched *sched = wf_sched_new();   /* the handlers', outliving every version */
    wf_http_serve_options opts = { .default_addr = addr, .handler_workers = workers,
                                   .access_log_off = quiet, .sched = sched,
                                   .on_response = on_response, .on_response_ud = &st };
    st.opts = &opts;
    int rc = WF_EXIT_OK;
    size_t nservices = 0;
    wf_http_serve_owner owner = { version_retain, version_release, v };
    e = wf_http_serve_project_owned(v->reg, v->rt, &opts, &owner, &st.srv, &nservices);
    if (!e) drain_ms = services_at_start(v->reg, drain_ms);
    wf_project_version_release(v);
    if (!e && !nservices)
        e = wf_error_new(WF_ERR_NOT_FOUND, "%s declares no http.endpoint or http.static: nothing to serve", dir);
    wf_http_service *admin_svc = NULL;
    if (!e && admin) {
        wf_http_admin a = { admin_metrics, admin_health, &st };
        e = wf_http_admin_listen(st.srv, admin, &a, &admin_svc);
    }
    if (!e) e = wf_http_server_start(st.srv);
    if (!e && watch) {
        wf_error *we = wf_project_live_watch(st.lp, on_reload, &st);
        if (we) {
            fprintf(stderr, "warning: %s: edits will not reload the project (SIGHUP still does)\n", we->message);
            wf_error_free(we);
        }
    }
    if (e) {
        char *s = wf_error_format(e);
        fprintf(stderr, "error: %s\n", s);
        free(s);
        wf_error_free(e);
        rc = WF_EXIT_LOAD;
        goto done;
    }
    for (size_t k = 0; k < wf_http_server_service_count(st.srv); k++) {
        wf_http_service *svc = wf_http_server_service(st.srv, k);
        fprintf(stderr, "listening: %s on %s (port %d)\n", wf_http_service_name(svc), wf_http_service_addr(svc),
                wf_http_service_port(svc));
    }
    fflush(stderr);

    int sig = 0;
    for (;;) {
        sigwait(&stop, &sig);
        if (sig != SIGHUP) break;
        uint64_t number = 0;
        e = wf_project_live_reload(st.lp, &number);
        if (e) {
            on_reload(&st, NULL, e);
            wf_error_free(e);
        } else {
            wf_project_version *nv = wf_project_live_acquire(st.lp);
            serve_version(&st, nv);
            wf_project_version_release(nv);
        }
    }
    fprintf(stderr, "stopping: %s, finishing requests in flight (at most %u ms)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", drain_ms);
    wf_http_server_stop(st.srv, drain_ms);
    fprintf(stderr, "stopped\n");
done:
    wf_http_server_free(st.srv);   /* its tables release their versions */
    wf_project_live_close(st.lp);  /* stops watching, waits for every version's end */
    wf_sched_free(sched);
    pthread_mutex_destroy(&st.reload_mu);
    return rc;
}
