/*
 * http.c - upstream Wippy's `http` module for Lua endpoints
 * (runtime/lua/modules/http/spec.md): the request being served and its
 * response, through the HTTP layer's wf_lua_http_host (wflua.h) that the
 * call carries in wf_fn_ctx.host.
 *
 *   http.request([opts]) -> req, err     http.response() -> res, err
 *   req:method() path() query(k) query_params() header(k) headers()
 *      content_type() content_length() host() remote_addr() body()
 *      body_json() has_body() accepts(ct) is_content_type(ct)
 *      stream_body([{buffer_size}]) param(name) params() parse_multipart()
 *   res:set_status(code) set_header(k, v) set_content_type(ct) write(s)
 *      write_json(v) flush() set_transfer(http.TRANSFER.*) write_event{name, data}
 *   http.METHOD, http.STATUS, http.CONTENT, http.TRANSFER, http.ERROR
 *
 * Getters return their value (nil when absent). Response methods return
 * nil, or an error value: Invalid for a call in the wrong state (a status
 * or header after the head was sent: the head goes with the first write,
 * flush or transfer switch), the writer's error when the client went away.
 * Outside an HTTP request, http.request() and http.response() return nil
 * and an Invalid error.
 *
 * Transfers: chunked flushes after every write, so each write reaches the
 * client as it happens; SSE sets text/event-stream and no-cache, and
 * write_event sends `event:`/`data:` lines (data: a string as is, line by
 * line, anything else as JSON) and flushes.
 *
 * The body arrives whole before the handler runs (the server's limit
 * applies), so stream_body iterates over it in buffer_size chunks.
 * parse_multipart splits a multipart/form-data body (http_multipart.c).
 */
#include <ctype.h>
#include <stdio.h>

#include "base/buf.h"
#include "http/syntax.h"
#include "lua/lua_int.h"
#include "lua/wflua.h"

#define STATE_KEY "wasmfn.http.state"
#define REQ_MT "wasmfn.http.request"
#define RES_MT "wasmfn.http.response"

enum { TRANSFER_NONE, TRANSFER_CHUNKED, TRANSFER_SSE };

typedef struct hstate {
    wf_lua_http_host *host;
    bool head_sent;          /* status and headers are fixed */
    bool content_type_set;
    int transfer;
} hstate;

/* This state's exchange, or NULL outside an HTTP request. */
static hstate *state_of(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY) == LUA_TUSERDATA) {
        hstate *s = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return s;
    }
    lua_pop(L, 1);
    const wf_fn_ctx *call = wf_lua_ctx_of(L)->call;
    if (!call || !call->host) return NULL;
    hstate *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    s->host = call->host;
    lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
    return s;
}

static hstate *check_state(lua_State *L, int idx, const char *mt)
{
    luaL_checkudata(L, idx, mt);
    hstate *s = state_of(L);
    if (!s) luaL_error(L, "http: no request in this call");
    return s;
}

/* ---- the request -------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Push s[0..n) percent-decoded (plus as space when form). */
static void push_decoded(lua_State *L, const char *s, size_t n, bool form)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            luaL_addchar(&b, (char)(hi * 16 + lo));
            i += 2;
        } else if (form && s[i] == '+') {
            luaL_addchar(&b, ' ');
        } else {
            luaL_addchar(&b, s[i]);
        }
    }
    luaL_pushresult(&b);
}

/* The query's pairs as a table {key = first value}. */
static void push_query_table(lua_State *L, const char *q)
{
    lua_newtable(L);
    int t = lua_gettop(L);
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n) {
            const char *eq = memchr(q, '=', n);
            size_t kn = eq ? (size_t)(eq - q) : n;
            push_decoded(L, q, kn, true);
            if (lua_rawget(L, t) == LUA_TNIL) {
                lua_pop(L, 1);
                push_decoded(L, q, kn, true);
                if (eq) push_decoded(L, eq + 1, n - kn - 1, true);
                else lua_pushliteral(L, "");
                lua_rawset(L, t);
            } else {
                lua_pop(L, 1);
            }
        }
        q += n + (amp ? 1 : 0);
    }
}

static const char *header_of(hstate *s, const char *name)
{
    const wf_lua_http_host_ops *o = s->host->ops;
    for (size_t i = 0, n = o->header_count(s->host->x); i < n; i++) {
        const char *k, *v;
        o->header_at(s->host->x, i, &k, &v);
        if (!strcasecmp(k, name)) return v;
    }
    return NULL;
}

static int rq_method(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    lua_pushstring(L, s->host->ops->method(s->host->x));
    return 1;
}

static int rq_path(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *p = s->host->ops->path(s->host->x);
    push_decoded(L, p, strlen(p), false);
    return 1;
}

static int rq_query(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *key = luaL_checkstring(L, 2);
    push_query_table(L, s->host->ops->query(s->host->x));
    lua_getfield(L, -1, key);
    return 1;
}

static int rq_query_params(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    push_query_table(L, s->host->ops->query(s->host->x));
    return 1;
}

static int rq_header(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *v = header_of(s, luaL_checkstring(L, 2));
    if (v) lua_pushstring(L, v);
    else lua_pushnil(L);
    return 1;
}

static int rq_headers(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const wf_lua_http_host_ops *o = s->host->ops;
    lua_newtable(L);
    for (size_t i = 0, n = o->header_count(s->host->x); i < n; i++) {
        const char *k, *v;
        o->header_at(s->host->x, i, &k, &v);
        if (lua_getfield(L, -1, k) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushstring(L, v);
            lua_setfield(L, -2, k);
        } else {
            lua_pop(L, 1);
        }
    }
    return 1;
}

static int rq_content_type(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *v = header_of(s, "content-type");
    if (v) lua_pushstring(L, v);
    else lua_pushnil(L);
    return 1;
}

static int rq_content_length(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    size_t n = 0;
    s->host->ops->body(s->host->x, &n);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int rq_host(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *v = s->host->ops->authority ? s->host->ops->authority(s->host->x) : NULL;
    if (!v || !*v) v = header_of(s, "host");
    if (!v) v = header_of(s, ":authority");
    lua_pushstring(L, v ? v : "");
    return 1;
}

static int rq_remote_addr(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    lua_pushstring(L, s->host->ops->remote(s->host->x));
    return 1;
}

static int rq_body(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    size_t n = 0;
    const uint8_t *b = s->host->ops->body(s->host->x, &n);
    lua_pushlstring(L, n ? (const char *)b : "", n);
    return 1;
}

static int rq_has_body(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    size_t n = 0;
    s->host->ops->body(s->host->x, &n);
    lua_pushboolean(L, n > 0);
    return 1;
}

/* json.decode of the body: value, or nil and the decoder's error. */
static int rq_body_json(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    size_t n = 0;
    const uint8_t *b = s->host->ops->body(s->host->x, &n);
    if (!n) return wf_lua_fail(L, WF_ERR_INVALID, "request body is empty");
    wf_lua_open_json(L);
    lua_getfield(L, -1, "decode");
    lua_pushlstring(L, (const char *)b, n);
    lua_call(L, 1, 2);
    return 2;
}

/* The media type of a header value, without parameters, lower case. */
static bool media_is(const char *value, const char *want)
{
    size_t wn = strlen(want);
    while (*value == ' ') value++;
    size_t n = strcspn(value, ";, ");
    return n == wn && !strncasecmp(value, want, n);
}

static int rq_is_content_type(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *want = luaL_checkstring(L, 2);
    const char *v = header_of(s, "content-type");
    lua_pushboolean(L, v && media_is(v, want));
    return 1;
}

static int rq_accepts(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *want = luaL_checkstring(L, 2);
    const char *v = header_of(s, "accept");
    if (!v || !*v) {   /* no Accept: anything goes */
        lua_pushboolean(L, 1);
        return 1;
    }
    const char *slash = strchr(want, '/');
    size_t major = slash ? (size_t)(slash - want) : strlen(want);
    bool ok = false;
    for (const char *p = v; *p && !ok;) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ";,");
        while (n && p[n - 1] == ' ') n--;
        if ((n == 3 && !strncmp(p, "*/*", 3)) || (n == strlen(want) && !strncasecmp(p, want, n)) ||
            (n == major + 2 && !strncasecmp(p, want, major) && p[major] == '/' && p[major + 1] == '*'))
            ok = true;
        p += strcspn(p, ",");
    }
    lua_pushboolean(L, ok);
    return 1;
}

static int body_iter(lua_State *L)
{
    hstate *s = state_of(L);
    lua_Integer chunk = lua_tointeger(L, lua_upvalueindex(1));
    lua_Integer off = lua_tointeger(L, lua_upvalueindex(2));
    size_t n = 0;
    const uint8_t *b = s ? s->host->ops->body(s->host->x, &n) : NULL;
    if ((size_t)off >= n) {
        lua_pushnil(L);
        return 1;
    }
    size_t k = n - (size_t)off < (size_t)chunk ? n - (size_t)off : (size_t)chunk;
    lua_pushinteger(L, off + (lua_Integer)k);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushlstring(L, (const char *)b + off, k);
    return 1;
}

static int rq_stream_body(lua_State *L)
{
    check_state(L, 1, REQ_MT);
    lua_Integer chunk = 32768;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "buffer_size");
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) chunk = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_pushinteger(L, chunk);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, body_iter, 2);
    lua_pushnil(L);
    return 2;
}

static int rq_param(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const char *want = luaL_checkstring(L, 2);
    const wf_lua_http_host_ops *o = s->host->ops;
    for (size_t i = 0, n = o->param_count(s->host->x); i < n; i++) {
        const char *k, *v;
        o->param_at(s->host->x, i, &k, &v);
        if (!strcmp(k, want)) {
            lua_pushstring(L, v);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

static int rq_params(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    const wf_lua_http_host_ops *o = s->host->ops;
    lua_newtable(L);
    for (size_t i = 0, n = o->param_count(s->host->x); i < n; i++) {
        const char *k, *v;
        o->param_at(s->host->x, i, &k, &v);
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
    return 1;
}

static int rq_parse_multipart(lua_State *L)
{
    hstate *s = check_state(L, 1, REQ_MT);
    size_t n = 0;
    const uint8_t *body = s->host->ops->body(s->host->x, &n);
    return wf_lua_http_parse_multipart(L, header_of(s, "content-type"), body, n);
}

/* ---- the response ---------------------------------------------------------------------- */

static int state_error(lua_State *L, const char *what)
{
    wf_lua_push_error(L, WF_ERR_INVALID, what);
    return 1;
}

static int io_result(lua_State *L, wf_error *e)
{
    if (!e) return 0;
    wf_lua_push_wf_error(L, e);
    wf_error_free(e);
    return 1;
}

/* The head goes out with the first byte of body (or a flush). */
static void commit_head(hstate *s)
{
    s->head_sent = true;
    s->host->wrote = true;
}

static int rs_set_status(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    lua_Integer code = luaL_checkinteger(L, 2);
    if (s->head_sent) return state_error(L, "cannot set status: headers already sent");
    /* A 1xx is informational, never a response's own status. */
    if (code < 200 || code > 999) return state_error(L, "invalid status code (200 to 999)");
    s->host->ops->set_status(s->host->x, (int)code);
    s->host->wrote = true;
    return 0;
}

static bool valid_header(const char *k, const char *v)
{
    return wf_http_token(k, strlen(k)) && !strpbrk(v, "\r\n");
}

static int set_header(lua_State *L, hstate *s, const char *k, const char *v)
{
    if (s->head_sent) return state_error(L, "cannot set header: headers already sent");
    if (!valid_header(k, v)) return state_error(L, "invalid header name or value");
    if (!strcasecmp(k, "content-type")) s->content_type_set = true;
    s->host->ops->add_header(s->host->x, k, v);
    s->host->wrote = true;
    return 0;
}

static int rs_set_header(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    return set_header(L, s, luaL_checkstring(L, 2), luaL_checkstring(L, 3));
}

static int rs_set_content_type(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    return set_header(L, s, "Content-Type", luaL_checkstring(L, 2));
}

static wf_error *write_bytes(hstate *s, const char *p, size_t n)
{
    commit_head(s);
    wf_error *e = n ? s->host->ops->write(s->host->x, p, n) : NULL;
    if (!e && s->transfer != TRANSFER_NONE) e = s->host->ops->flush(s->host->x);
    return e;
}

static int rs_write(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    size_t n;
    const char *p = luaL_checklstring(L, 2, &n);
    return io_result(L, write_bytes(s, p, n));
}

/* json.encode(v) at the top of the stack; false with the error value pushed. */
static bool encode_json(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    wf_lua_open_json(L);
    lua_getfield(L, -1, "encode");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 2);
    if (lua_isnil(L, -2)) return false;   /* nil, err: err on top */
    lua_pop(L, 1);
    return true;
}

static int rs_write_json(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    luaL_checkany(L, 2);
    if (!encode_json(L, 2)) return 1;
    if (!s->content_type_set && !s->head_sent) set_header(L, s, "Content-Type", "application/json");
    size_t n;
    const char *p = lua_tolstring(L, -1, &n);
    return io_result(L, write_bytes(s, p, n));
}

static int rs_flush(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    commit_head(s);
    return io_result(L, s->host->ops->flush(s->host->x));
}

static int start_sse(lua_State *L, hstate *s)
{
    if (s->transfer == TRANSFER_SSE) return 0;
    if (s->head_sent) return state_error(L, "cannot start server-sent events: headers already sent");
    s->host->ops->add_header(s->host->x, "Content-Type", "text/event-stream");
    s->host->ops->add_header(s->host->x, "Cache-Control", "no-cache");
    s->content_type_set = true;
    s->transfer = TRANSFER_SSE;
    commit_head(s);
    return io_result(L, s->host->ops->flush(s->host->x));
}

static int rs_set_transfer(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    const char *t = luaL_checkstring(L, 2);
    if (!strcmp(t, "sse")) return start_sse(L, s);
    if (strcmp(t, "chunked")) return state_error(L, "unknown transfer type (chunked or sse)");
    s->transfer = TRANSFER_CHUNKED;
    commit_head(s);
    return io_result(L, s->host->ops->flush(s->host->x));
}

static int rs_write_event(lua_State *L)
{
    hstate *s = check_state(L, 1, RES_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (s->transfer != TRANSFER_SSE && start_sse(L, s)) return 1;
    wf_buf b = {0};
    if (lua_getfield(L, 2, "name") == LUA_TSTRING) {
        wf_buf_str(&b, "event: ");
        wf_buf_str(&b, lua_tostring(L, -1));
        wf_buf_byte(&b, '\n');
    }
    lua_pop(L, 1);
    int dt = lua_getfield(L, 2, "data");
    const char *data;
    size_t n;
    if (dt == LUA_TSTRING) {
        data = lua_tolstring(L, -1, &n);
    } else if (dt == LUA_TNIL) {
        data = "";
        n = 0;
    } else {
        if (!encode_json(L, -1)) {
            wf_buf_free(&b);
            return 1;
        }
        data = lua_tolstring(L, -1, &n);
    }
    /* one `data:` line per line of the text */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || data[i] == '\n') {
            wf_buf_str(&b, "data: ");
            wf_buf_bytes(&b, data + start, i - start);
            wf_buf_byte(&b, '\n');
            start = i + 1;
        }
    }
    wf_buf_byte(&b, '\n');
    wf_error *e = write_bytes(s, (const char *)b.data, b.len);
    wf_buf_free(&b);
    return io_result(L, e);
}

/* ---- the module -------------------------------------------------------------------------- */

static void push_object(lua_State *L, const char *mt, const luaL_Reg *methods)
{
    lua_newuserdatauv(L, 1, 0);
    if (luaL_newmetatable(L, mt)) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
}

static int http_request(lua_State *L)
{
    static const luaL_Reg m[] = {
        {"method", rq_method}, {"path", rq_path}, {"query", rq_query},
        {"query_params", rq_query_params}, {"header", rq_header}, {"headers", rq_headers},
        {"content_type", rq_content_type}, {"content_length", rq_content_length},
        {"host", rq_host}, {"remote_addr", rq_remote_addr}, {"body", rq_body},
        {"body_json", rq_body_json}, {"has_body", rq_has_body}, {"accepts", rq_accepts},
        {"is_content_type", rq_is_content_type}, {"stream_body", rq_stream_body},
        {"param", rq_param}, {"params", rq_params}, {"parse_multipart", rq_parse_multipart},
        {NULL, NULL},
    };
    if (!state_of(L)) return wf_lua_fail(L, WF_ERR_INVALID, "no HTTP request in this context");
    push_object(L, REQ_MT, m);
    lua_pushnil(L);
    return 2;
}

static int http_response(lua_State *L)
{
    static const luaL_Reg m[] = {
        {"set_status", rs_set_status}, {"set_header", rs_set_header},
        {"set_content_type", rs_set_content_type}, {"write", rs_write},
        {"write_json", rs_write_json}, {"flush", rs_flush}, {"set_transfer", rs_set_transfer},
        {"write_event", rs_write_event}, {NULL, NULL},
    };
    if (!state_of(L)) return wf_lua_fail(L, WF_ERR_INVALID, "no HTTP response in this context");
    push_object(L, RES_MT, m);
    lua_pushnil(L);
    return 2;
}

static void set_strings(lua_State *L, const char *name, const char *const *kv)
{
    lua_newtable(L);
    for (; kv[0]; kv += 2) {
        lua_pushstring(L, kv[1]);
        lua_setfield(L, -2, kv[0]);
    }
    lua_setfield(L, -2, name);
}

int wf_lua_open_http(lua_State *L)
{
    static const luaL_Reg fns[] = {{"request", http_request}, {"response", http_response}, {NULL, NULL}};
    luaL_newlib(L, fns);
    static const char *methods[] = {"GET", "GET", "POST", "POST", "PUT", "PUT", "DELETE", "DELETE",
                                    "PATCH", "PATCH", "HEAD", "HEAD", "OPTIONS", "OPTIONS", NULL};
    set_strings(L, "METHOD", methods);
    static const struct { const char *k; int v; } status[] = {
        {"OK", 200}, {"CREATED", 201}, {"ACCEPTED", 202}, {"NO_CONTENT", 204},
        {"MOVED_PERMANENTLY", 301}, {"FOUND", 302}, {"NOT_MODIFIED", 304},
        {"BAD_REQUEST", 400}, {"UNAUTHORIZED", 401}, {"FORBIDDEN", 403}, {"NOT_FOUND", 404},
        {"METHOD_NOT_ALLOWED", 405}, {"CONFLICT", 409}, {"TOO_MANY_REQUESTS", 429},
        {"INTERNAL_ERROR", 500}, {"NOT_IMPLEMENTED", 501}, {"SERVICE_UNAVAILABLE", 503},
    };
    lua_newtable(L);
    for (size_t i = 0; i < WF_COUNT(status); i++) {
        lua_pushinteger(L, status[i].v);
        lua_setfield(L, -2, status[i].k);
    }
    lua_setfield(L, -2, "STATUS");
    static const char *content[] = {"JSON", "application/json", "FORM", "application/x-www-form-urlencoded",
                                    "MULTIPART", "multipart/form-data", "TEXT", "text/plain",
                                    "STREAM", "application/octet-stream", "HTML", "text/html", NULL};
    set_strings(L, "CONTENT", content);
    static const char *transfer[] = {"CHUNKED", "chunked", "SSE", "sse", NULL};
    set_strings(L, "TRANSFER", transfer);
    static const char *errs[] = {"PARSE_FAILED", "PARSE_FAILED", "INVALID_STATE", "INVALID_STATE",
                                 "WRITE_FAILED", "WRITE_FAILED", "STREAM_ERROR", "STREAM_ERROR", NULL};
    set_strings(L, "ERROR", errs);
    return 1;
}
