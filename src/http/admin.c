/*
 * admin.c - `wasmfn run --admin ADDR` (SPEC §7): a service of its own on
 * the same server answering GET /metrics (Prometheus text, version 0.0.4)
 * and GET /healthz (a small JSON document), from the caller's callbacks.
 */
#include "http/serve.h"

static void metrics_handler(wf_http_exchange *x, void *ud)
{
    const wf_http_admin *a = ud;
    char *text = a->metrics(a->ud);
    wf_http_respond(x, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

static void health_handler(wf_http_exchange *x, void *ud)
{
    const wf_http_admin *a = ud;
    char *body = a->health ? a->health(a->ud) : wf_xstrdup("{\"status\":\"ok\"}\n");
    wf_http_respond(x, 200, "application/json", body, strlen(body));
    free(body);
}

wf_error *wf_http_admin_listen(wf_http_server *srv, const char *addr, const wf_http_admin *a,
                               wf_http_service **out)
{
    wf_http_service_config c = {.name = WF_HTTP_ADMIN_SERVICE, .addr = addr};
    wf_http_service *svc;
    wf_error *e = wf_http_server_listen(srv, &c, &svc);
    if (e) return wf_error_wrap(e, "--admin %s", addr);
    wf_http_admin *copy = wf_xmalloc(sizeof *copy);
    *copy = *a;
    wf_http_routes *r = wf_http_routes_new(free, copy);
    e = wf_http_routes_add(r, "GET", "/metrics", "(admin):metrics", metrics_handler, copy);
    if (!e) e = wf_http_routes_add(r, "GET", "/healthz", "(admin):healthz", health_handler, copy);
    if (e) {
        wf_http_routes_free(r);   /* frees copy */
        return e;
    }
    wf_http_service_set_routes(svc, r);
    *out = svc;
    return NULL;
}
