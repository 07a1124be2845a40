/*
 * serve.c - wf_http_serve_project: the registry's http.* entries turned
 * into listening services and their route tables.
 *
 * Each http.service listens on its addr with its timeouts and limits. A
 * router's endpoints and static trees are routed on its service at
 * prefix + path. References left out resolve at load (registry.h: the only
 * router, the only service); when the project declares no router (or no
 * service) at all, its endpoints go to an implicit one: the service at
 * opts->default_addr, prefix "". An endpoint calls its function through
 * transport.c, or serves it as a wasi:http proxy (proxy.c) when it is a
 * component whose method is wasi:http/incoming-handler#handle; a static tree is GET prefix + path + "/{rest...}".
 */
#include <pthread.h>
#include <stdio.h>

#include "base/vec.h"
#include "component/wit/wit.h"
#include "http/serve.h"
#include "wasi/p2_http.h"

/* What a route table owns: its endpoints and static trees. */
typedef struct svc_build {
    const char *service_id;        /* NULL: the implicit service */
    wf_http_serve_owner owner;     /* released when the table is freed */
    wf_http_routes *routes;
    WF_VEC(wf_http_endpoint *) endpoints;
    WF_VEC(wf_http_static *) statics;
    size_t nroutes;
} svc_build;

static void free_build(void *ud)
{
    svc_build *b = ud;
    for (size_t i = 0; i < b->endpoints.len; i++) {
        free(b->endpoints.data[i]->id);
        free(b->endpoints.data[i]->func);
        free(b->endpoints.data[i]);
    }
    for (size_t i = 0; i < b->statics.len; i++) {
        free(b->statics.data[i]->id);
        free(b->statics.data[i]->root);
        free(b->statics.data[i]->index);
        free(b->statics.data[i]);
    }
    wf_vec_free(&b->endpoints);
    wf_vec_free(&b->statics);
    if (b->owner.release) b->owner.release(b->owner.ud);
    free(b);
}

typedef WF_VEC(svc_build *) build_vec;

static const wf_http_serve_owner *build_owner;   /* set while building (serialized by callers) */

static svc_build *build_for(build_vec *v, const char *service_id)
{
    for (size_t i = 0; i < v->len; i++) {
        const char *s = v->data[i]->service_id;
        if ((!s && !service_id) || (s && service_id && !strcmp(s, service_id))) return v->data[i];
    }
    svc_build *b = wf_xcalloc(1, sizeof *b);
    b->service_id = service_id;
    if (build_owner) {
        b->owner = *build_owner;
        if (b->owner.retain) b->owner.retain(b->owner.ud);
    }
    b->routes = wf_http_routes_new(free_build, b);
    wf_vec_push(v, b);
    return b;
}

/* prefix + path: "/api" + "/greet"; "" or "/" + "/x" = "/x"; "/api" + "/" = "/api/". */
static char *join_path(const char *prefix, const char *path)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    while (pl && prefix[pl - 1] == '/') pl--;
    return wf_xasprintf("%.*s%s", (int)pl, prefix ? prefix : "", path);
}

/* Where an endpoint or static tree goes: its service ID (NULL: implicit)
 * and the router's prefix. */
static void place(wf_registry *reg, const wf_reg_http *h, const char **service, const char **prefix)
{
    *service = NULL;
    *prefix = NULL;
    if (h->router) {
        const wf_reg_entry *r = wf_registry_get(reg, h->router);
        if (r) {
            *service = r->u.http.server;
            *prefix = r->u.http.prefix;
        }
    } else if (h->server) {
        *service = h->server;
    }
    if (*service) return;
    /* No router (or one without a service): the project's only service, if any. */
    const char *only = NULL;
    for (size_t i = 0, n = wf_registry_count(reg); i < n; i++) {
        const wf_reg_entry *e = wf_registry_at(reg, i);
        if (e->kind != WF_REG_HTTP_SERVICE) continue;
        if (only) return;
        only = e->id;
    }
    *service = only;
}

/* Whether a service ID (NULL: the implicit one) is served: a service with
 * `lifecycle.auto_start: false` is not, nor what is mounted on it. */
static bool started(wf_registry *reg, const char *service)
{
    const wf_reg_entry *se = service ? wf_registry_get(reg, service) : NULL;
    return !se || !se->u.http.not_started;
}

static wf_error *entry_error(const wf_reg_entry *e, wf_error *why)
{
    wf_error *out = wf_error_new(why->kind, "%s:%d: %s: %s", e->file, e->line, e->id, why->message);
    wf_error_free(why);
    return out;
}

static wf_error *add_endpoint(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                              const wf_reg_entry *e, build_vec *builds)
{
    const wf_reg_http *h = &e->u.http;
    const wf_reg_entry *fe = wf_registry_get(reg, h->func);
    if (!fe) return entry_error(e, wf_error_new(WF_ERR_NOT_FOUND, "func '%s' did not load", h->func));
    wf_fn_sig sig = { 0 };
    wf_error *err = wf_runtime_signature(rt, h->func, &sig);
    if (err) return entry_error(e, err);
    /* A component exporting wasi:http/incoming-handler serves as a proxy
     * (proxy.c): it gets the request itself, not the body as an argument. */
    bool proxy = (fe->kind == WF_REG_FUNCTION_WASM || fe->kind == WF_REG_FUNCTION_WAT) &&
                 fe->u.wasm.component && wf_p2_http_is_proxy_method(fe->u.wasm.method);
    size_t nparams = sig.wit ? sig.wit->nparams : sig.core ? sig.core->nparams : 1;
    if (nparams > 1 && !proxy)
        return entry_error(e, wf_error_new(WF_ERR_INVALID,
            "func %s takes %zu parameters; an endpoint passes at most one (the request body)", h->func, nparams));
    const char *service, *prefix;
    place(reg, h, &service, &prefix);
    if (!started(reg, service)) return NULL;
    svc_build *b = build_for(builds, service);
    wf_http_endpoint *ep = wf_xcalloc(1, sizeof *ep);
    ep->id = wf_xstrdup(e->id);
    ep->func = wf_xstrdup(h->func);
    ep->func_kind = fe->kind;
    ep->rt = rt;
    ep->fn = wf_runtime_find(rt, h->func);
    ep->sig = sig;
    ep->opts = opts;
    wf_vec_push(&b->endpoints, ep);
    char *path = join_path(prefix, h->path);
    /* A proxy reads its request body as a stream (incoming-body); the
     * wasi-http transport passes the body whole. */
    err = proxy ? wf_http_routes_add_streaming(b->routes, h->method, path, e->id, wf_http_proxy_handler, ep)
                : wf_http_routes_add(b->routes, h->method, path, e->id, wf_http_call_handler, ep);
    free(path);
    if (err) return entry_error(e, err);
    b->nroutes++;
    return NULL;
}

static wf_error *add_static(wf_registry *reg, const wf_reg_entry *e, build_vec *builds)
{
    const wf_reg_http *h = &e->u.http;
    if (!h->root) return entry_error(e, wf_error_new(WF_ERR_NOT_FOUND, "its fs.directory did not load"));
    const char *service, *prefix;
    place(reg, h, &service, &prefix);
    if (!started(reg, service)) return NULL;
    svc_build *b = build_for(builds, service);
    wf_http_static *st = wf_xcalloc(1, sizeof *st);
    st->id = wf_xstrdup(e->id);
    st->root = wf_xstrdup(h->root);
    st->index = wf_xstrdup(h->index ? h->index : "index.html");
    wf_vec_push(&b->statics, st);
    char *base = join_path(prefix, h->path);
    size_t bl = strlen(base);
    char *pattern = wf_xasprintf("%s%s{path...}", base, bl && base[bl - 1] == '/' ? "" : "/");
    free(base);
    wf_error *err = wf_http_routes_add(b->routes, "GET", pattern, e->id, wf_http_static_handler, st);
    free(pattern);
    if (err) return entry_error(e, err);
    b->nroutes++;
    return NULL;
}

/* Route tables of every service of reg, one build each. */
static wf_error *build_all(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                           const wf_http_serve_owner *owner, build_vec *builds)
{
    static pthread_mutex_t building = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&building);
    build_owner = owner;
    wf_error *err = NULL;
    size_t n = wf_registry_count(reg);
    for (size_t i = 0; i < n && !err; i++) {
        const wf_reg_entry *e = wf_registry_at(reg, i);
        if (e->kind == WF_REG_HTTP_SERVICE && started(reg, e->id)) build_for(builds, e->id);
        else if (e->kind == WF_REG_HTTP_ENDPOINT) err = add_endpoint(reg, rt, opts, e, builds);
        else if (e->kind == WF_REG_HTTP_STATIC) err = add_static(reg, e, builds);
    }
    build_owner = NULL;
    pthread_mutex_unlock(&building);
    return err;
}

static void free_builds(build_vec *builds)
{
    for (size_t k = 0; k < builds->len; k++)
        if (builds->data[k]->routes) wf_http_routes_free(builds->data[k]->routes);
    wf_vec_free(builds);
}

static const char *build_name(wf_registry *reg, const svc_build *b)
{
    const wf_reg_entry *se = b->service_id ? wf_registry_get(reg, b->service_id) : NULL;
    return se ? se->id : "(implicit service)";
}

wf_error *wf_http_serve_reload(wf_http_server *srv, wf_registry *reg, wf_runtime *rt,
                               const wf_http_serve_options *opts, const wf_http_serve_owner *owner)
{
    build_vec builds = { 0 };
    wf_error *err = build_all(reg, rt, opts, owner, &builds);
    size_t nsvc = wf_http_server_service_count(srv);
    wf_http_service **target = wf_xcalloc(builds.len ? builds.len : 1, sizeof *target);
    for (size_t i = 0; !err && i < builds.len; i++) {
        const char *name = build_name(reg, builds.data[i]);
        const wf_reg_entry *se = builds.data[i]->service_id ? wf_registry_get(reg, builds.data[i]->service_id) : NULL;
        for (size_t k = 0; k < nsvc && !target[i]; k++) {
            wf_http_service *svc = wf_http_server_service(srv, k);
            if (!strcmp(wf_http_service_name(svc), name)) target[i] = svc;
        }
        if (!target[i])
            err = wf_error_new(WF_ERR_INVALID, "service %s is new: restart wasmfn run to listen on it", name);
        else if (se && se->u.http.addr && strcmp(se->u.http.addr, wf_http_service_addr(target[i])))
            err = wf_error_new(WF_ERR_INVALID, "service %s moved from %s to %s: restart wasmfn run to listen there",
                               name, wf_http_service_addr(target[i]), se->u.http.addr);
    }
    if (!err) {
        /* Services the new version does not declare: empty tables. */
        for (size_t k = 0; k < nsvc; k++) {
            wf_http_service *svc = wf_http_server_service(srv, k);
            bool kept = false;
            for (size_t i = 0; i < builds.len && !kept; i++) kept = target[i] == svc;
            if (!kept && strcmp(wf_http_service_name(svc), WF_HTTP_ADMIN_SERVICE) != 0)
                wf_http_service_set_routes(svc, wf_http_routes_new(NULL, NULL));
        }
        for (size_t i = 0; i < builds.len; i++) {
            wf_http_service_set_routes(target[i], builds.data[i]->routes);
            builds.data[i]->routes = NULL;
        }
    }
    free(target);
    free_builds(&builds);
    return err;
}

wf_error *wf_http_serve_project(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                                wf_http_server **out, size_t *nservices)
{
    return wf_http_serve_project_owned(reg, rt, opts, NULL, out, nservices);
}

wf_error *wf_http_serve_project_owned(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                                      const wf_http_serve_owner *owner, wf_http_server **out,
                                      size_t *nservices)
{
    *out = NULL;
    *nservices = 0;
    build_vec builds = { 0 };
    wf_error *err = build_all(reg, rt, opts, owner, &builds);
    wf_http_server *srv = NULL;
    if (!err && builds.len) {
        wf_http_server_config sc = { .sched = opts->sched ? opts->sched : wf_runtime_sched(rt),
                                     .handler_workers = opts->handler_workers,
                                     .access_log = opts->access_log, .access_log_ud = opts->access_log_ud,
                                     .access_log_off = opts->access_log_off,
                                     .on_response = opts->on_response, .on_response_ud = opts->on_response_ud,
                                     .reuse_port = true };
        err = wf_http_server_new(&sc, &srv);
    }
    size_t i = 0;
    for (; !err && i < builds.len; i++) {
        svc_build *b = builds.data[i];
        wf_http_service_config c = { 0 };
        const wf_reg_entry *se = b->service_id ? wf_registry_get(reg, b->service_id) : NULL;
        if (se) {
            c.name = se->id;
            c.addr = se->u.http.addr;
            c.read_timeout_ms = se->u.http.read_timeout_ms;
            c.write_timeout_ms = se->u.http.write_timeout_ms;
            c.idle_timeout_ms = se->u.http.idle_timeout_ms;
            c.max_header_bytes = se->u.http.max_header_bytes;
            c.max_body_bytes = se->u.http.max_body_bytes;
        } else {
            c.name = "(implicit service)";
            c.addr = opts->default_addr ? opts->default_addr : "127.0.0.1:8080";
        }
        wf_http_service *svc;
        err = wf_http_server_listen(srv, &c, &svc);
        if (err) {
            if (se) err = entry_error(se, err);
            break;
        }
        wf_http_service_set_routes(svc, b->routes);
        b->routes = NULL;
    }
    /* Tables not handed to a service free their builds. */
    size_t count = builds.len;
    free_builds(&builds);
    if (err) {
        if (srv) wf_http_server_free(srv);
        return err;
    }
    *out = srv;
    *nservices = count;
    return NULL;
}
