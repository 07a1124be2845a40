/*
 * lua_host.c - an exchange as the host of Lua's `http` module
 * (wf_lua_http_host, lua/wflua.h): the callbacks that let a function.lua
 * endpoint read its request and write its response through http.h.
 */
#include "http/serve.h"

static const char *h_method(void *x) { return wf_http_request_of(x)->method; }
static const char *h_path(void *x) { return wf_http_request_of(x)->path; }
static const char *h_query(void *x) { return wf_http_request_of(x)->query; }
static const char *h_remote(void *x) { return wf_http_request_of(x)->remote; }
static const char *h_authority(void *x) { return wf_http_request_of(x)->authority; }
static size_t h_header_count(void *x) { return wf_http_request_of(x)->nheaders; }

static void h_header_at(void *x, size_t i, const char **name, const char **value)
{
    const wf_http_header *h = &wf_http_request_of(x)->headers[i];
    *name = h->name;
    *value = h->value;
}

static const uint8_t *h_body(void *x, size_t *len)
{
    const wf_http_request *rq = wf_http_request_of(x);
    *len = rq->body_len;
    return rq->body;
}

static size_t h_param_count(void *x) { return wf_http_param_count(x); }
static void h_param_at(void *x, size_t i, const char **n, const char **v) { wf_http_param_at(x, i, n, v); }
static void h_set_status(void *x, int status) { wf_http_set_status(x, status); }
static void h_add_header(void *x, const char *n, const char *v) { wf_http_add_header(x, n, v); }
static wf_error *h_write(void *x, const void *p, size_t n) { return wf_http_write(x, p, n); }
static wf_error *h_flush(void *x) { return wf_http_flush(x); }
static void h_finish(void *x) { wf_http_finish(x); }

static const wf_lua_http_host_ops ops = {
    h_method, h_path, h_query, h_remote, h_header_count, h_header_at, h_body,
    h_param_count, h_param_at, h_set_status, h_add_header, h_write, h_flush, h_authority, h_finish,
};

void wf_http_lua_host_init(wf_lua_http_host *h, wf_http_exchange *x)
{
    *h = (wf_lua_http_host){.ops = &ops, .x = x};
}
