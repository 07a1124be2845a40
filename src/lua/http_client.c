/*
 * http_client.c - upstream Wippy's `http_client` module
 * (runtime/lua/modules/httpclient/spec.md) over wasmfn's one outgoing
 * client (src/http/client.h). A request parks the calling fiber while it is
 * on the wire, so a pool worker is free meanwhile.
 *
 *   http_client.get|post|put|delete|head|patch(url, options) -> response, err
 *   http_client.request(method, url, options)                  -> response, err
 *   http_client.request_batch({{method, url, options}, ...})   -> responses, errs
 *   http_client.encode_uri(s) -> s;  http_client.decode_uri(s) -> s, err
 *
 * options: headers {name = value}, body (string), form ({k = v}: url-encoded
 * body and its Content-Type; a string is sent as is), query ({k = v} appended
 * to the URL, encoded; a string replaces the query), cookies {k = v},
 * timeout (number of seconds, or a duration string "1.5s"; default 90 s),
 * auth {user, pass} (Basic), files ({name, filename, content_type,
 * content}...: a multipart/form-data body, with the form's fields beside
 * the files), stream (true or a table: the body is read
 * through response.stream), max_response_body (bytes; default 64 MiB).
 *
 * response: status_code, headers {Canonical-Name = first value}, cookies
 * {name = value} (from Set-Cookie), url (after redirects, up to 10 followed),
 * body, body_size (-1 when streamed), stream (stream:read([n]) -> chunk or
 * nil at the end, err; stream:close(); `for chunk in stream() do`).
 *
 * Errors as upstream: a URL required is a raised argument error; a URL,
 * method or header that cannot be sent is Invalid; a request the policy
 * refuses is PermissionDenied "not allowed: URL"; every network failure
 * (DNS, refused, timeout, TLS, broken connection) is Unavailable and
 * retryable, with details {url, method}; a body over max_response_body is
 * Internal. Lua functions have no `wasi.network` field: their requests are
 * not restricted (upstream leaves that to its security policies).
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/random.h>

#include "base/buf.h"
#include "http/client.h"
#include "lua/lua_int.h"

#define STREAM_MT "wasmfn.http_client.stream"
#define DEFAULT_TIMEOUT_MS 90000u
#define MAX_REDIRECTS 10

/* ---- encoding --------------------------------------------------------------------------- */

static void encode_component(wf_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            wf_buf_byte(b, c);
        } else if (c == ' ') {
            wf_buf_byte(b, '+');
        } else {
            wf_buf_byte(b, '%');
            wf_buf_byte(b, (uint8_t)hex[c >> 4]);
            wf_buf_byte(b, (uint8_t)hex[c & 15]);
        }
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int hc_encode_uri(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    wf_buf b = {0};
    encode_component(&b, s, n);
    lua_pushlstring(L, (const char *)b.data, b.len);
    wf_buf_free(&b);
    return 1;
}

static int hc_decode_uri(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            luaL_addchar(&b, ' ');
        } else if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                char bad[4] = {s[i], i + 1 < n ? s[i + 1] : 0, i + 2 < n ? s[i + 2] : 0, 0};
                return wf_lua_fail(L, WF_ERR_INVALID, "invalid URL escape \"%s\"", bad);
            }
            luaL_addchar(&b, (char)(hi * 16 + lo));
            i += 2;
        } else {
            luaL_addchar(&b, s[i]);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

/* ---- options ---------------------------------------------------------------------------------- */

typedef struct hc_opts {
    wf_buf url;
    char *method;
    wf_http_client_field *hdrs;       /* strings owned */
    size_t nh, caph;
    wf_buf body;
    bool has_body;
    uint32_t timeout_ms;
    bool stream;
    size_t stream_chunk;        /* stream.buffer_size: read()'s default size */
    size_t max_body;
} hc_opts;

static void add_hdr(hc_opts *o, const char *name, const char *value)
{
    if (o->nh == o->caph) {
        o->caph = o->caph ? o->caph * 2 : 8;
        o->hdrs = wf_xrealloc(o->hdrs, o->caph * sizeof *o->hdrs);
    }
    o->hdrs[o->nh++] = (wf_http_client_field){wf_xstrdup(name), wf_xstrdup(value)};
}

static bool has_hdr(const hc_opts *o, const char *name)
{
    for (size_t i = 0; i < o->nh; i++)
        if (!strcasecmp(o->hdrs[i].name, name)) return true;
    return false;
}

static void opts_free(hc_opts *o)
{
    wf_buf_free(&o->url);
    free(o->method);
    for (size_t i = 0; i < o->nh; i++) {
        free((char *)o->hdrs[i].name);
        free((char *)o->hdrs[i].value);
    }
    free(o->hdrs);
    wf_buf_free(&o->body);
}

typedef struct kv { char *k, *v; size_t kn, vn; } kv;   /* copies */

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

/* A table of string pairs as k=v&k=v into b, keys sorted (a stable wire;
 * Lua's table order is not). */
static void encode_pairs(lua_State *L, int idx, wf_buf *b, const char *sep, bool encode)
{
    size_t n = 0, cap = 8;
    kv *pairs = wf_xmalloc(cap * sizeof *pairs);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) == LUA_TSTRING && (vt == LUA_TSTRING || vt == LUA_TNUMBER)) {
            if (n == cap) pairs = wf_xrealloc(pairs, (cap *= 2) * sizeof *pairs);
            kv *p = &pairs[n++];
            const char *k = lua_tolstring(L, -2, &p->kn);   /* a string key: no conversion */
            p->k = wf_xstrndup(k, p->kn);
            const char *v = lua_tolstring(L, -1, &p->vn);   /* the value slot only */
            p->v = wf_xstrndup(v, p->vn);
        }
        lua_pop(L, 1);
    }
    qsort(pairs, n, sizeof *pairs, kv_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i) wf_buf_str(b, sep);
        if (encode) encode_component(b, pairs[i].k, pairs[i].kn);
        else wf_buf_bytes(b, pairs[i].k, pairs[i].kn);
        wf_buf_byte(b, '=');
        if (encode) encode_component(b, pairs[i].v, pairs[i].vn);
        else wf_buf_bytes(b, pairs[i].v, pairs[i].vn);
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
}

/* One part of a multipart body into b: head (the caller's, freed here:
 * the boundary line, the part's headers, the blank line), then the string
 * at the top of L's stack as its content. */
static void add_part(wf_buf *b, char *head, lua_State *L)
{
    wf_buf_str(b, head);
    free(head);
    size_t n;
    const char *v = lua_tolstring(L, -1, &n);
    wf_buf_bytes(b, v, n);
    wf_buf_str(b, "\r\n");
}

/* `files` (and `form` fields beside them) as a multipart/form-data body,
 * upstream's upload: each file {name, filename, content_type
 * (application/octet-stream), content}. Entries without a name or content
 * are skipped, as upstream does. False (nothing changed) when no file. */
static bool multipart_body(lua_State *L, int idx, hc_opts *o)
{
    if (lua_getfield(L, idx, "files") != LUA_TTABLE) {
        lua_pop(L, 1);
        return false;
    }
    int files = lua_gettop(L);
    uint8_t rnd[12];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)(wf_now_ns() >> (i % 8 * 8));
    char boundary[48];
    int bl = snprintf(boundary, sizeof boundary, "wasmfn-");
    for (size_t i = 0; i < sizeof rnd; i++) bl += snprintf(boundary + bl, sizeof boundary - (size_t)bl, "%02x", rnd[i]);
    wf_buf b = {0};
    size_t nparts = 0;
    if (lua_getfield(L, idx, "form") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                add_part(&b, wf_xasprintf("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n", boundary,
                                          lua_tostring(L, -2)), L);
                nparts++;
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    for (lua_Integer i = 1, n = (lua_Integer)lua_rawlen(L, files); i <= n; i++) {
        if (lua_rawgeti(L, files, i) != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        lua_getfield(L, -1, "name");
        lua_getfield(L, -2, "filename");
        lua_getfield(L, -3, "content_type");
        lua_getfield(L, -4, "content");
        if (lua_type(L, -4) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            const char *fname = lua_type(L, -3) == LUA_TSTRING ? lua_tostring(L, -3) : "";
            const char *ct = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "application/octet-stream";
            add_part(&b, wf_xasprintf("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                                      "Content-Type: %s\r\n\r\n", boundary, lua_tostring(L, -4), fname, ct), L);
            nparts++;
        }
        lua_pop(L, 5);
    }
    lua_pop(L, 1);
    if (!nparts) {
        wf_buf_free(&b);
        return false;
    }
    wf_buf_str(&b, "--");
    wf_buf_str(&b, boundary);
    wf_buf_str(&b, "--\r\n");
    wf_buf_free(&o->body);
    o->body = b;
    o->has_body = true;
    /* the boundary's Content-Type replaces any other */
    for (size_t i = 0; i < o->nh; i++)
        if (!strcasecmp(o->hdrs[i].name, "Content-Type")) {
            free((char *)o->hdrs[i].name);
            free((char *)o->hdrs[i].value);
            o->hdrs[i--] = o->hdrs[--o->nh];
        }
    char *ct = wf_xasprintf("multipart/form-data; boundary=%s", boundary);
    add_hdr(o, "Content-Type", ct);
    free(ct);
    return true;
}

/* The option at idx (a table or nil) into o; false with a message pushed
 * on error. */
static bool parse_opts(lua_State *L, int idx, hc_opts *o, const char *url)
{
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    wf_buf_str(&o->url, url);
    if (lua_isnoneornil(L, idx)) return true;
    if (!lua_istable(L, idx)) {
        lua_pushstring(L, "options must be a table");
        return false;
    }
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, idx, "headers") == LUA_TTABLE) {
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) == LUA_TSTRING && (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)) {
                lua_pushvalue(L, -1);
                add_hdr(o, lua_tostring(L, -3), lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "query") == LUA_TTABLE || lua_type(L, -1) == LUA_TSTRING) {
        /* replace any query of the URL */
        uint8_t *q = memchr(o->url.data, '?', o->url.len);
        if (q) o->url.len = (size_t)(q - o->url.data);
        size_t before = o->url.len;
        wf_buf_byte(&o->url, '?');
        if (lua_type(L, -1) == LUA_TSTRING) wf_buf_str(&o->url, lua_tostring(L, -1));
        else encode_pairs(L, lua_gettop(L), &o->url, "&", true);
        if (o->url.len == before + 1) o->url.len = before;   /* empty: no `?` */
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "cookies") == LUA_TTABLE) {
        wf_buf c = {0};
        encode_pairs(L, lua_gettop(L), &c, "; ", false);
        if (c.len) {
            wf_buf_byte(&c, 0);
            add_hdr(o, "Cookie", (const char *)c.data);
        }
        wf_buf_free(&c);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "body") == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        wf_buf_bytes(&o->body, s, n);
        o->has_body = true;
    } else if (lua_getfield(L, idx, "form") == LUA_TTABLE || lua_type(L, -1) == LUA_TSTRING) {
        if (lua_type(L, -1) == LUA_TSTRING) wf_buf_str(&o->body, lua_tostring(L, -1));
        else encode_pairs(L, lua_gettop(L), &o->body, "&", true);
        o->has_body = true;
        if (!has_hdr(o, "Content-Type")) add_hdr(o, "Content-Type", "application/x-www-form-urlencoded");
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    multipart_body(L, idx, o);
    int tt = lua_getfield(L, idx, "timeout");
    if (tt == LUA_TNUMBER) {
        double s = lua_tonumber(L, -1);
        if (s > 0) o->timeout_ms = s * 1000 > 4e9 ? 4000000000u : (uint32_t)(s * 1000 + 0.5);
    } else if (tt != LUA_TNIL) {
        int64_t ns;
        const char *why;
        if (wf_lua_to_duration(L, -1, &ns, &why) && ns > 0)
            o->timeout_ms = ns / 1000000 > 4000000000 ? 4000000000u : (uint32_t)(ns / 1000000 + (ns % 1000000 != 0));
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "auth") == LUA_TTABLE) {
        lua_getfield(L, -1, "user");
        lua_getfield(L, -2, "pass");
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            char *up = wf_xasprintf("%s:%s", lua_tostring(L, -2), lua_tostring(L, -1));
            size_t n = strlen(up);
            unsigned char *enc = wf_xmalloc(4 * ((n + 2) / 3) + 1);
            EVP_EncodeBlock(enc, (const unsigned char *)up, (int)n);
            char *h = wf_xasprintf("Basic %s", enc);
            add_hdr(o, "Authorization", h);
            free(h);
            free(enc);
            free(up);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    int st = lua_getfield(L, idx, "stream");
    o->stream = st == LUA_TTABLE || (st == LUA_TBOOLEAN && lua_toboolean(L, -1));
    if (st == LUA_TTABLE && lua_getfield(L, -1, "buffer_size") == LUA_TNUMBER && lua_tointeger(L, -1) > 0)
        o->stream_chunk = (size_t)lua_tointeger(L, -1);
    if (st == LUA_TTABLE) lua_pop(L, 1);
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "max_response_body") == LUA_TNUMBER && lua_tointeger(L, -1) > 0)
        o->max_body = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return true;
}

/* ---- errors and responses ------------------------------------------------------------------ */

/* nil, error value for a failed request. */
static int push_failure(lua_State *L, const wf_error *e, wf_http_client_fail f, const char *method, const char *url)
{
    lua_pushnil(L);
    switch (f) {
    case WF_HTTP_CLIENT_FAIL_DENIED:
        wf_lua_push_kind_error_retry(L, "PermissionDenied", WF_ERR_INVALID, false, e->message);
        return 2;
    case WF_HTTP_CLIENT_FAIL_BAD_REQUEST:
        wf_lua_push_kind_error_retry(L, "Invalid", WF_ERR_INVALID, false, e->message);
        return 2;
    case WF_HTTP_CLIENT_FAIL_TOO_LARGE:
    case WF_HTTP_CLIENT_FAIL_INTERNAL:
        wf_lua_push_kind_error_retry(L, "Internal", WF_ERR_INTERNAL, false, e->message);
        break;
    default:
        wf_lua_push_kind_error_retry(L, "Unavailable", WF_ERR_IO, true, e->message);
        break;
    }
    lua_createtable(L, 0, 2);
    lua_pushstring(L, url);
    lua_setfield(L, -2, "url");
    lua_pushstring(L, method);
    lua_setfield(L, -2, "method");
    lua_setiuservalue(L, -2, 1);
    return 2;
}

/* Go's CanonicalHeaderKey: "content-type" -> "Content-Type". */
static void push_canonical(lua_State *L, const char *name)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    bool up = true;
    for (const char *p = name; *p; p++) {
        luaL_addchar(&b, (char)(up ? toupper((unsigned char)*p) : tolower((unsigned char)*p)));
        up = *p == '-';
    }
    luaL_pushresult(&b);
}

/* headers and cookies tables from a head. */
static void push_head_tables(lua_State *L, const wf_http_client_field *h, size_t n)
{
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        push_canonical(L, h[i].name);
        if (lua_rawget(L, -2 - 0) == LUA_TNIL) {   /* the first value wins */
            lua_pop(L, 1);
            push_canonical(L, h[i].name);
            lua_pushstring(L, h[i].value);
            lua_rawset(L, -3);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_setfield(L, -2, "headers");
    lua_newtable(L);
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, "Set-Cookie")) continue;
        const char *v = h[i].value, *eq = strchr(v, '='), *semi = strchr(v, ';');
        if (!eq || eq == v || (semi && semi < eq)) continue;
        size_t vl = semi ? (size_t)(semi - eq - 1) : strlen(eq + 1);
        lua_pushlstring(L, v, (size_t)(eq - v));
        lua_pushlstring(L, eq + 1, vl);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "cookies");
}

/* ---- streamed bodies ------------------------------------------------------------------------- */

typedef struct hc_stream {
    wf_http_client_call *call;
    size_t chunk;
} hc_stream;

static hc_stream *check_stream(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, STREAM_MT);
}

static uint64_t until_of(lua_State *L)
{
    uint32_t left = wf_lua_ms_left(L);
    return left ? wf_now_ns() + (uint64_t)left * 1000000u : 0;
}

static int stream_read(lua_State *L)
{
    hc_stream *s = check_stream(L, 1);
    lua_Integer want = luaL_optinteger(L, 2, (lua_Integer)s->chunk);
    if (want <= 0) want = (lua_Integer)s->chunk;
    if (!s->call) return wf_lua_fail(L, WF_ERR_INVALID, "stream is closed");
    char *buf = wf_xmalloc((size_t)want);
    size_t n;
    wf_error *e = wf_http_client_read(s->call, buf, (size_t)want, &n, until_of(L));
    if (e) {
        free(buf);
        if (wf_lua_should_stop(L)) {
            wf_error_free(e);
            return luaL_error(L, "http_client: the call was stopped while reading the body");
        }
        lua_pushnil(L);
        wf_lua_push_kind_error_retry(L, "Internal", WF_ERR_IO, false, e->message);
        wf_error_free(e);
        return 2;
    }
    if (n) lua_pushlstring(L, buf, n);
    else lua_pushnil(L);
    free(buf);
    return 1;
}

static int stream_close(lua_State *L)
{
    hc_stream *s = check_stream(L, 1);
    wf_http_client_call_free(s->call);
    s->call = NULL;
    return 0;
}

static int stream_iter(lua_State *L)
{
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(1));
    if (stream_read(L) == 2) {   /* nil, err: the loop cannot carry it, raise it */
        wf_error_kind k;
        const char *msg = "stream read failed";
        wf_lua_to_error(L, -1, &k, &msg);
        return luaL_error(L, "http_client: %s", msg);
    }
    return 1;
}

static int stream_call(lua_State *L)
{
    check_stream(L, 1);
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, stream_iter, 1);
    return 1;
}

static void push_stream(lua_State *L, wf_http_client_call *c, size_t chunk)
{
    hc_stream *s = lua_newuserdatauv(L, sizeof *s, 0);
    wf_lua_ctx_of(L)->finalizers = true;   /* its __gc closes the transfer */
    s->call = c;
    s->chunk = chunk ? chunk : 32768;
    if (luaL_newmetatable(L, STREAM_MT)) {
        static const luaL_Reg m[] = {{"read", stream_read}, {"close", stream_close}, {NULL, NULL}};
        luaL_newlib(L, m);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, stream_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, stream_call);
        lua_setfield(L, -2, "__call");
    }
    lua_setmetatable(L, -2);
}

/* ---- requests ------------------------------------------------------------------------------------ */

static void push_response(lua_State *L, wf_http_client_resp *resp);

static void make_req(hc_opts *o, wf_http_client_req *rq)
{
    wf_buf_byte(&o->url, 0);
    o->url.len--;
    *rq = (wf_http_client_req){
        .method = o->method, .url = (const char *)o->url.data, .headers = o->hdrs,
        .nheaders = o->nh, .body = o->has_body ? o->body.data : NULL, .body_len = o->body.len,
        .timeout_ms = o->timeout_ms,
    };
}

/* A streamed response: no redirects followed, the body left on the wire. */
static int do_stream(lua_State *L, hc_opts *o)
{
    wf_http_client_req rq;
    make_req(o, &rq);
    wf_http_client_call *c;
    wf_error *e = wf_http_client_start(wf_http_client_shared(), &rq, &c);
    if (e) {
        int r = push_failure(L, e, strncmp(e->message, "not allowed", 11) ? WF_HTTP_CLIENT_FAIL_BAD_REQUEST
                                                                         : WF_HTTP_CLIENT_FAIL_DENIED,
                             o->method, rq.url);
        wf_error_free(e);
        return r;
    }
    e = wf_http_client_wait_head(c, until_of(L));
    if (e) {
        wf_http_client_fail f = wf_http_client_failure(c);
        wf_http_client_call_free(c);
        if (wf_lua_should_stop(L)) {
            wf_error_free(e);
            return luaL_error(L, "http_client: the call was stopped while waiting for %s", rq.url);
        }
        int r = push_failure(L, e, f, o->method, rq.url);
        wf_error_free(e);
        return r;
    }
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, wf_http_client_status(c));
    lua_setfield(L, -2, "status_code");
    size_t n = wf_http_client_header_count(c);
    wf_http_client_field *h = wf_xcalloc(n ? n : 1, sizeof *h);
    for (size_t i = 0; i < n; i++) h[i] = wf_http_client_header_at(c, i);
    push_head_tables(L, h, n);
    free(h);
    lua_pushstring(L, rq.url);
    lua_setfield(L, -2, "url");
    lua_pushinteger(L, -1);
    lua_setfield(L, -2, "body_size");
    push_stream(L, c, o->stream_chunk);
    lua_setfield(L, -2, "stream");
    lua_pushnil(L);
    return 2;
}

static int do_request(lua_State *L, const char *method, const char *url, int opts_idx)
{
    if (!wf_http_client_shared())
        return wf_lua_fail(L, WF_ERR_INTERNAL, "http_client: the HTTP client could not start");
    hc_opts o = {0};
    o.method = wf_xstrdup(method);
    for (char *p = o.method; *p; p++) *p = (char)toupper((unsigned char)*p);
    if (!parse_opts(L, opts_idx, &o, url)) {
        const char *msg = lua_tostring(L, -1);
        opts_free(&o);
        return wf_lua_fail(L, WF_ERR_INVALID, "%s", msg);
    }
    if (o.stream) {
        int r = do_stream(L, &o);
        opts_free(&o);
        return r;
    }
    wf_http_client_req rq;
    make_req(&o, &rq);
    wf_http_client_resp resp;
    wf_http_client_fail f;
    wf_error *e = wf_http_client_fetch(wf_http_client_shared(), &rq, MAX_REDIRECTS, o.max_body,
                                       until_of(L), &resp, &f);
    if (e) {
        if (wf_lua_should_stop(L)) {
            wf_error_free(e);
            opts_free(&o);
            return luaL_error(L, "http_client: the call was stopped while waiting for %s", url);
        }
        int r = push_failure(L, e, f, o.method, rq.url);
        wf_error_free(e);
        opts_free(&o);
        return r;
    }
    opts_free(&o);
    push_response(L, &resp);
    wf_http_client_resp_free(&resp);
    lua_pushnil(L);
    return 2;
}

static int hc_method(lua_State *L)
{
    const char *url = luaL_checkstring(L, 1);
    if (!*url) return luaL_argerror(L, 1, "URL required");
    return do_request(L, lua_tostring(L, lua_upvalueindex(1)), url, 2);
}

static int hc_request(lua_State *L)
{
    const char *method = luaL_checkstring(L, 1);
    if (!*method) return luaL_argerror(L, 1, "method required");
    const char *url = luaL_checkstring(L, 2);
    if (!*url) return luaL_argerror(L, 2, "URL required");
    return do_request(L, method, url, 3);
}

/* The response table of a whole fetch (status, headers, cookies, url, body). */
static void push_response(lua_State *L, wf_http_client_resp *resp)
{
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, resp->status);
    lua_setfield(L, -2, "status_code");
    push_head_tables(L, resp->headers, resp->nheaders);
    lua_pushstring(L, resp->url);
    lua_setfield(L, -2, "url");
    lua_pushlstring(L, (const char *)resp->body, resp->body_len);
    lua_setfield(L, -2, "body");
    lua_pushinteger(L, (lua_Integer)resp->body_len);
    lua_setfield(L, -2, "body_size");
}

/* Every request starts before any is waited for (the client's
 * fetch_many); results and errors in order. A `stream` option is ignored
 * here: a batch returns whole bodies. */
static int hc_request_batch(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    if (n == 0) return luaL_argerror(L, 1, "requests table cannot be empty");
    if (!wf_http_client_shared())
        return wf_lua_fail(L, WF_ERR_INTERNAL, "http_client: the HTTP client could not start");
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        if (!lua_istable(L, -1)) return wf_lua_fail(L, WF_ERR_INVALID, "each request must be a table");
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        if (lua_type(L, -2) != LUA_TSTRING) return wf_lua_fail(L, WF_ERR_INVALID, "method must be a string");
        if (lua_type(L, -1) != LUA_TSTRING) return wf_lua_fail(L, WF_ERR_INVALID, "URL must be a string");
        lua_pop(L, 3);
    }
    hc_opts *opts = wf_xcalloc((size_t)n, sizeof *opts);
    wf_http_client_req *rqs = wf_xcalloc((size_t)n, sizeof *rqs);
    wf_http_client_resp *resps = wf_xcalloc((size_t)n, sizeof *resps);
    wf_error **errs = wf_xcalloc((size_t)n, sizeof *errs);
    wf_http_client_fail *fails = wf_xcalloc((size_t)n, sizeof *fails);
    const char *bad = NULL;
    for (lua_Integer i = 1; i <= n && !bad; i++) {
        hc_opts *o = &opts[i - 1];
        lua_rawgeti(L, 1, i);
        int t = lua_gettop(L);
        lua_rawgeti(L, t, 1);
        o->method = wf_xstrdup(lua_tostring(L, -1));
        for (char *p = o->method; *p; p++) *p = (char)toupper((unsigned char)*p);
        lua_rawgeti(L, t, 2);
        lua_rawgeti(L, t, 3);
        if (!parse_opts(L, t + 3, o, lua_tostring(L, t + 2))) bad = lua_tostring(L, -1);
        else make_req(o, &rqs[i - 1]);
        if (!bad) lua_settop(L, t - 1);
    }
    if (bad) {
        char *msg = wf_xstrdup(bad);
        for (lua_Integer i = 0; i < n; i++) opts_free(&opts[i]);
        free(opts), free(rqs), free(resps), free(errs), free(fails);
        int r = wf_lua_fail(L, WF_ERR_INVALID, "%s", msg);
        free(msg);
        return r;
    }
    wf_http_client_fetch_many(wf_http_client_shared(), rqs, (size_t)n, MAX_REDIRECTS, 0, until_of(L), resps,
                              errs, fails);
    lua_createtable(L, (int)n, 0);   /* responses */
    lua_createtable(L, (int)n, 0);   /* errors */
    int res = lua_gettop(L) - 1, errt = res + 1;
    bool any_err = false;
    for (lua_Integer i = 0; i < n; i++) {
        if (errs[i]) {
            any_err = true;
            push_failure(L, errs[i], fails[i], opts[i].method, rqs[i].url);   /* nil, err */
            lua_rawseti(L, errt, i + 1);
            lua_pop(L, 1);
            wf_error_free(errs[i]);
        } else {
            push_response(L, &resps[i]);
            lua_rawseti(L, res, i + 1);
            wf_http_client_resp_free(&resps[i]);
        }
        opts_free(&opts[i]);
    }
    free(opts), free(rqs), free(resps), free(errs), free(fails);
    if (wf_lua_should_stop(L)) return luaL_error(L, "http_client: the call was stopped during a batch");
    if (!any_err) {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
    return 2;
}

int wf_lua_open_http_client(lua_State *L)
{
    static const char *methods[] = {"get", "post", "put", "delete", "head", "patch"};
    static const luaL_Reg fns[] = {
        {"request", hc_request}, {"request_batch", hc_request_batch},
        {"encode_uri", hc_encode_uri}, {"decode_uri", hc_decode_uri}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    for (size_t i = 0; i < WF_COUNT(methods); i++) {
        char up[8];
        size_t k = 0;
        for (; methods[i][k]; k++) up[k] = (char)toupper((unsigned char)methods[i][k]);
        up[k] = 0;
        lua_pushstring(L, up);
        lua_pushcclosure(L, hc_method, 1);
        lua_setfield(L, -2, methods[i]);
    }
    return 1;
}
