/*
 * serve.h - a project's http.* entries served (SPEC §7): every
 * http.service listening, its routers' endpoints and static trees routed,
 * each endpoint calling its function (transport.c), each static tree
 * serving files (static.c). What `wasmfn run` starts.
 */
#ifndef WF_HTTP_SERVE_H
#define WF_HTTP_SERVE_H

#include "http/http.h"
#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

typedef struct wf_http_serve_options {
    /* The implicit service's address, for endpoints of a project that
     * declares no http.service (the original document's example) ["127.0.0.1:8080"]. */
    const char *default_addr;
    uint32_t handler_workers;      /* [2] */
    void (*access_log)(void *ud, const char *line);   /* NULL: stderr */
    void *access_log_ud;
    bool access_log_off;
    /* Where handlers log failures (a trap's details); NULL: stderr. */
    void (*error_log)(void *ud, const char *line);
    void *error_log_ud;
    /* The scheduler handlers run on; NULL: the runtime's. A server that
     * outlives its first runtime (reload) needs one of its own. */
    struct wf_sched *sched;
    /* Every answered request (wf_http_server_config.on_response). */
    void (*on_response)(void *ud, const char *service, const char *route, int status, uint64_t ns);
    void *on_response_ud;
} wf_http_serve_options;

/* Who owns what a route table's handlers use (a version of the project,
 * live.h): each table made retains it, each table freed (after its last
 * request) releases it. */
typedef struct wf_http_serve_owner {
    void (*retain)(void *ud);
    void (*release)(void *ud);
    void *ud;
} wf_http_serve_owner;

/* What an endpoint's handler gets as its ud. */
typedef struct wf_http_endpoint {
    char *id;                      /* the http.endpoint's ID */
    char *func;                    /* the function's ID */
    wf_reg_kind func_kind;
    wf_runtime *rt;
    wf_runtime_fn *fn;             /* func in rt, found once (valid as long as rt) */
    wf_fn_sig sig;                 /* the function's signature */
    const wf_http_serve_options *opts;
} wf_http_endpoint;

/* What a static tree's handler gets as its ud. */
typedef struct wf_http_static {
    char *id;
    char *root;                    /* absolute host directory */
    char *index;                   /* "index.html", or NULL */
} wf_http_static;

/* Build and bind every service of reg (IO when an address is taken,
 * INVALID for a route that cannot be, naming the entry); the server is
 * not started. reg and rt must outlive the server. The services' route
 * tables own the endpoints. */
wf_error *wf_http_serve_project(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                                wf_http_server **out, size_t *nservices);
/* The same with an owner for the tables (owner may be NULL). */
wf_error *wf_http_serve_project_owned(wf_registry *reg, wf_runtime *rt, const wf_http_serve_options *opts,
                                      const wf_http_serve_owner *owner, wf_http_server **out,
                                      size_t *nservices);
/* Reload: route tables for a new version of the project (reg, rt), swapped
 * into srv's services whole: requests in flight finish with the old
 * tables, which then release their owner. A service the new version no
 * longer declares gets an empty table (404); one it declares anew, or at
 * another address, needs a restart: INVALID naming it, and nothing is
 * swapped. opts is the first version's (its logs); owner retains the new
 * version. */
wf_error *wf_http_serve_reload(wf_http_server *srv, wf_registry *reg, wf_runtime *rt,
                               const wf_http_serve_options *opts, const wf_http_serve_owner *owner);

/* The admin service's name (`wasmfn run --admin`): reloads leave it alone. */
#define WF_HTTP_ADMIN_SERVICE "(admin)"

/* The admin service (admin.c): GET /metrics from metrics(ud) (a malloc'd
 * text), GET /healthz from health(ud) (malloc'd JSON; NULL callback: ok).
 * The callbacks live as long as the server (copied). */
typedef struct wf_http_admin {
    char *(*metrics)(void *ud);
    char *(*health)(void *ud);
    void *ud;
} wf_http_admin;
wf_error *wf_http_admin_listen(wf_http_server *srv, const char *addr, const wf_http_admin *a,
                               wf_http_service **out);

/* An exchange as the host of a Lua endpoint's `http` module (lua_host.c). */
void wf_http_lua_host_init(wf_lua_http_host *h, wf_http_exchange *x);

/* The handlers (ud: wf_http_endpoint, wf_http_static). */
void wf_http_call_handler(wf_http_exchange *x, void *ud);
void wf_http_static_handler(wf_http_exchange *x, void *ud);
/* An endpoint whose function is a wasi:http proxy (proxy.c). */
void wf_http_proxy_handler(wf_http_exchange *x, void *ud);

/* The Content-Type for a file name, by its extension. */
const char *wf_http_content_type(const char *name);

#endif
