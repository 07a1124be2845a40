/* test_lua_http.c - upstream's `http` module for Lua endpoints
 * (src/lua/http.c) over a recording exchange of the test's own (the HTTP
 * layer implements the same callbacks over real sockets: tests/e2e): every
 * request getter, status and headers before the head only, write_json's
 * Content-Type, chunked transfer flushing each write, server-sent events'
 * framing, the writer's error passed back, and nil, err outside a request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/buf.h"
#include "lua/wflua.h"

/* ---- a recording exchange ------------------------------------------------------------- */

typedef struct fake {
    const char *method, *path, *query;
    const char *hdr[8][2];
    size_t nhdr;
    const char *params[4][2];
    size_t nparams;
    const char *body;
    int status;
    wf_buf out_headers;   /* "name: value\n"... */
    wf_buf body_out;      /* what was written, with "|" at each flush */
    int flushes;
    bool fail_writes;
} fake;

static const char *f_method(void *x) { return ((fake *)x)->method; }
static const char *f_path(void *x) { return ((fake *)x)->path; }
static const char *f_query(void *x) { return ((fake *)x)->query; }
static const char *f_remote(void *x) { return "127.0.0.1:5555"; }
static size_t f_hcount(void *x) { return ((fake *)x)->nhdr; }
static void f_hat(void *x, size_t i, const char **n, const char **v)
{
    *n = ((fake *)x)->hdr[i][0];
    *v = ((fake *)x)->hdr[i][1];
}
static const uint8_t *f_body(void *x, size_t *len)
{
    fake *f = x;
    *len = f->body ? strlen(f->body) : 0;
    return (const uint8_t *)f->body;
}
static size_t f_pcount(void *x) { return ((fake *)x)->nparams; }
static void f_pat(void *x, size_t i, const char **n, const char **v)
{
    *n = ((fake *)x)->params[i][0];
    *v = ((fake *)x)->params[i][1];
}
static void f_status(void *x, int s) { ((fake *)x)->status = s; }
static void f_add_header(void *x, const char *n, const char *v)
{
    fake *f = x;
    wf_buf_str(&f->out_headers, n);
    wf_buf_str(&f->out_headers, ": ");
    wf_buf_str(&f->out_headers, v);
    wf_buf_byte(&f->out_headers, '\n');
}
static wf_error *f_write(void *x, const void *p, size_t n)
{
    fake *f = x;
    if (f->fail_writes) return wf_error_new(WF_ERR_IO, "the client went away");
    wf_buf_bytes(&f->body_out, p, n);
    return NULL;
}
static wf_error *f_flush(void *x)
{
    fake *f = x;
    f->flushes++;
    wf_buf_byte(&f->body_out, '|');
    return NULL;
}

static const wf_lua_http_host_ops OPS = {
    f_method, f_path, f_query, f_remote, f_hcount, f_hat, f_body, f_pcount, f_pat,
    f_status, f_add_header, f_write, f_flush, NULL, NULL,
};

static char *text(wf_buf *b)
{
    wf_buf_byte(b, 0);
    b->len--;
    return (char *)b->data;
}

/* Run `source` (a function.lua with method `handle`) against f; its result as a string. */
static char *run(fake *f, const char *source)
{
    wf_runtime *rt = wf_runtime_new();
    const char *mods[] = {"http", "json"};
    wf_lua_fn_config cfg = {.source = source, .method = "handle", .modules = mods, .nmodules = 2};
    wf_error *e = wf_lua_add(rt, "t:h", &cfg);
    if (e) fail_msg("add: %s", e->message);
    wf_lua_http_host host = {.ops = &OPS, .x = f};
    wf_call_opts o = {.host = f ? &host : NULL};
    wf_val r;
    e = wf_runtime_call(rt, "t:h", NULL, 0, &r, &o);
    if (e) fail_msg("call: %s", e->message);
    char *out = r.kind == WF_VAL_STRING ? wf_xstrndup(r.of.str.data, r.of.str.len) : wf_xstrdup("?");
    wf_val_free(&r);
    wf_runtime_free(rt);
    return out;
}

static fake request(void)
{
    fake f = {.method = "POST", .path = "/api/users/42%2F7", .query = "name=a+b&x=%41&name=second&flag",
              .nhdr = 4, .nparams = 2, .body = "{\"n\":[1,2,3]}"};
    f.hdr[0][0] = "content-type", f.hdr[0][1] = "application/json; charset=utf-8";
    f.hdr[1][0] = "host", f.hdr[1][1] = "example.test:8080";
    f.hdr[2][0] = "accept", f.hdr[2][1] = "text/html, application/*;q=0.8";
    f.hdr[3][0] = "x-token", f.hdr[3][1] = "abc";
    f.params[0][0] = "id", f.params[0][1] = "42/7";
    f.params[1][0] = "rest", f.params[1][1] = "a/b";
    return f;
}

static void test_request(void **state)
{
    fake f = request();
    char *out = run(&f,
        "local http = require('http')\n"
        "local json = require('json')\n"
        "function handle()\n"
        "  local req, err = http.request()\n"
        "  assert(err == nil)\n"
        "  local b = req:body_json()\n"
        "  local chunks = {}\n"
        "  local it = req:stream_body({buffer_size = 5})\n"
        "  for c in it do chunks[#chunks + 1] = c end\n"
        "  return table.concat({req:method(), req:path(), req:query('name'), req:query('x'),\n"
        "    tostring(req:query('flag')), tostring(req:query('none')), req:header('Content-Type'),\n"
        "    req:content_type(), req:content_length(), req:host(), req:remote_addr(),\n"
        "    tostring(req:has_body()), tostring(req:is_content_type(http.CONTENT.JSON)),\n"
        "    tostring(req:accepts('application/json')), tostring(req:accepts('image/png')),\n"
        "    req:param('id'), tostring(req:param('nope')), req:params().rest, req:headers()['x-token'],\n"
        "    b.n[3], #chunks, chunks[1], req:body(), http.STATUS.CREATED, http.TRANSFER.SSE}, '|')\n"
        "end\n");
    assert_string_equal(out, "POST|/api/users/42/7|a b|A||nil|application/json; charset=utf-8|"
                             "application/json; charset=utf-8|13|example.test:8080|127.0.0.1:5555|"
                             "true|true|true|false|42/7|nil|a/b|abc|3|3|{\"n\":|{\"n\":[1,2,3]}|201|sse");
    free(out);
}

static void test_response(void **state)
{
    fake f = request();
    char *out = run(&f,
        "local http = require('http')\n"
        "function handle()\n"
        "  local res = http.response()\n"
        "  assert(res:set_status(http.STATUS.CREATED) == nil)\n"
        "  assert(res:set_header('X-One', '1') == nil)\n"
        "  local bad = res:set_header('Bad Name', 'x')\n"
        "  assert(res:write_json({ok = true, n = 2}) == nil)\n"
        "  local late = res:set_status(500)\n"
        "  local late_h = res:set_header('X-Late', 'no')\n"
        "  return bad:kind() .. '|' .. late:message() .. '|' .. late_h:message()\n"
        "end\n");
    assert_string_equal(out, "Invalid|cannot set status: headers already sent|cannot set header: headers already sent");
    assert_int_equal(f.status, 201);
    assert_string_equal(text(&f.out_headers), "X-One: 1\nContent-Type: application/json\n");
    assert_string_equal(text(&f.body_out), "{\"n\":2,\"ok\":true}");
    assert_int_equal(f.flushes, 0);
    free(out);
    wf_buf_free(&f.out_headers);
    wf_buf_free(&f.body_out);
}

static void test_chunked_and_sse(void **state)
{
    fake f = request();
    char *out = run(&f,
        "local http = require('http')\n"
        "function handle()\n"
        "  local res = http.response()\n"
        "  res:set_content_type('text/plain')\n"
        "  res:set_transfer(http.TRANSFER.CHUNKED)\n"
        "  res:write('a') res:write('b')\n"
        "  return 'ok'\n"
        "end\n");
    assert_string_equal(text(&f.out_headers), "Content-Type: text/plain\n");
    assert_string_equal(text(&f.body_out), "|a|b|");
    free(out);
    wf_buf_free(&f.out_headers);
    wf_buf_free(&f.body_out);

    fake g = request();
    out = run(&g,
        "local http = require('http')\n"
        "function handle()\n"
        "  local res = http.response()\n"
        "  res:write_event({name = 'start', data = {n = 1}})\n"
        "  res:write_event({data = 'two\\nlines'})\n"
        "  local e = res:set_transfer('bogus')\n"
        "  return e:message()\n"
        "end\n");
    assert_string_equal(out, "unknown transfer type (chunked or sse)");
    assert_string_equal(text(&g.out_headers), "Content-Type: text/event-stream\nCache-Control: no-cache\n");
    assert_string_equal(text(&g.body_out), "|event: start\ndata: {\"n\":1}\n\n|data: two\ndata: lines\n\n|");
    free(out);
    wf_buf_free(&g.out_headers);
    wf_buf_free(&g.body_out);
}

static void test_errors(void **state)
{
    fake f = request();
    f.fail_writes = true;
    char *out = run(&f,
        "local http = require('http')\n"
        "function handle()\n"
        "  local res = http.response()\n"
        "  local e = res:write('x')\n"
        "  return tostring(e)\n"
        "end\n");
    assert_non_null(strstr(out, "the client went away"));
    free(out);
    wf_buf_free(&f.out_headers);

    /* no request at hand: nil, err */
    out = run(NULL,
        "local http = require('http')\n"
        "function handle()\n"
        "  local req, err = http.request()\n"
        "  local res, err2 = http.response()\n"
        "  return tostring(req) .. '|' .. err:message() .. '|' .. tostring(res) .. '|' .. err2:kind()\n"
        "end\n");
    assert_string_equal(out, "nil|no HTTP request in this context|nil|Invalid");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_chunked_and_sse),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
