/*
 * serve.h - a project's http.* entries served (SPEC §7): every
 * http.service listening, its routers' endpoints and static trees routed,
 * each endpoint calling its function (transport.c), each static tree
 * serving files (static.c). What `wasmfn run` starts.
 */
#ifndef WF_HTTP_SERVE_H
#define WF_HTTP_SERVE_H

#include "http/http.h"
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
} wf_http_serve_options;

/* What an endpoint's handler gets as its ud. */
typedef struct wf_http_endpoint {
    char *id;                      /* the http.endpoint's ID */
    char *func;                    /* the function's ID */
    wf_reg_kind func_kind;
    wf_runtime *rt;
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

/* The handlers (ud: wf_http_endpoint, wf_http_static). */
void wf_http_call_handler(wf_http_exchange *x, void *ud);
void wf_http_static_handler(wf_http_exchange *x, void *ud);

/* The Content-Type for a file name, by its extension. */
const char *wf_http_content_type(const char *name);

#endif
