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
 * Exit: 0 after a signal; 2 usage; 3 load error (the project, or an
 * address that cannot be listened on).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "http/serve.h"
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
        "                       SIGINT/SIGTERM (default 10000)\n"
        "  --quiet              no access log\n"
        "\n"
        "Several `wasmfn run` processes may listen on one address (SO_REUSEPORT):\n"
        "the kernel spreads connections over them.\n"
        "\n"
        "exit status: 0 stopped by a signal, 2 usage error, 3 load error\n");
}

static void print_diags(wf_registry *reg)
{
    size_t n = reg ? wf_registry_diag_count(reg) : 0;
    for (size_t i = 0; i < n; i++) {
        const wf_reg_diag *d = wf_registry_diag(reg, i);
        char *s = wf_reg_diag_format(d);
        fprintf(stderr, "%s: %s\n", d->warning ? "warning" : "error", s);
        free(s);
    }
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

int wf_cli_run(int argc, char **argv)
{
    const char *addr = "127.0.0.1:8080";
    uint32_t workers = 2, drain_ms = 10000;
    bool quiet = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return WF_EXIT_OK;
        } else if (!strcmp(a, "--addr") && i + 1 < argc) {
            addr = argv[++i];
        } else if (!strcmp(a, "--workers") && i + 1 < argc) {
            if (!parse_u32(argv[++i], &workers) || !workers || workers > 256) {
                fprintf(stderr, "wasmfn run: --workers takes a number from 1 to 256, got '%s'\n", argv[i]);
                return WF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--drain-timeout") && i + 1 < argc) {
            if (!parse_u32(argv[++i], &drain_ms)) {
                fprintf(stderr, "wasmfn run: --drain-timeout takes milliseconds, got '%s'\n", argv[i]);
                return WF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--quiet")) {
            quiet = true;
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
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    wf_registry *reg = NULL;
    wf_error *e = wf_registry_load(dir, &reg);
    print_diags(reg);
    if (e) {
        if (!reg || !wf_registry_diag_count(reg)) {
            char *s = wf_error_format(e);
            fprintf(stderr, "error: %s\n", s);
            free(s);
        }
        wf_error_free(e);
        wf_registry_free(reg);
        return WF_EXIT_LOAD;
    }
    wf_runtime *rt = wf_runtime_new();
    int rc = WF_EXIT_OK;
    wf_http_server *srv = NULL;
    e = wf_registry_register(reg, rt);
    if (!e) e = wf_lua_register(reg, rt);
    wf_http_serve_options opts = { .default_addr = addr, .handler_workers = workers,
                                   .access_log_off = quiet };
    size_t nservices = 0;
    if (!e) e = wf_http_serve_project(reg, rt, &opts, &srv, &nservices);
    if (!e && !nservices)
        e = wf_error_new(WF_ERR_NOT_FOUND, "%s declares no http.endpoint or http.static: nothing to serve", dir);
    if (!e) e = wf_http_server_start(srv);
    if (e) {
        char *s = wf_error_format(e);
        fprintf(stderr, "error: %s\n", s);
        free(s);
        wf_error_free(e);
        rc = WF_EXIT_LOAD;
        goto done;
    }
    for (size_t k = 0; k < wf_http_server_service_count(srv); k++) {
        wf_http_service *svc = wf_http_server_service(srv, k);
        fprintf(stderr, "listening: %s on %s (port %d)\n", wf_http_service_name(svc), wf_http_service_addr(svc),
                wf_http_service_port(svc));
    }
    fflush(stderr);

    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "stopping: %s, finishing requests in flight (at most %u ms)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", drain_ms);
    wf_http_server_stop(srv, drain_ms);
    fprintf(stderr, "stopped\n");
done:
    wf_http_server_free(srv);
    wf_runtime_free(rt);
    wf_registry_free(reg);
    return rc;
}
