/*
 * http_multipart.c - request:parse_multipart() of Lua's `http` module
 * (http.c): a multipart/form-data body (RFC 7578) split into its parts, as
 * upstream Wippy gives it: form.files maps each field name to an array of
 * its files, each with name() (the filename the client sent), size() and
 * stream() (read([n]) -> the next chunk or nil at the end, close(), and
 * `for chunk in stream() do`); form.values maps the other fields to arrays
 * of their values. The body is already in memory (the server's
 * max_body_bytes bounds it), so nothing spills to disk and max_memory has
 * nothing to limit.
 *
 * Errors (nil and an Invalid error): a Content-Type that is not
 * multipart/form-data with a boundary, a body that does not start with the
 * boundary or ends before its closing delimiter, a part without
 * Content-Disposition: form-data; name=... .
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lua/lua_int.h"

#define FILE_MT "wasmfn.http.multipart_file"
#define STREAM_MT "wasmfn.http.multipart_stream"
#define STREAM_CHUNK 32768

/* The value of parameter `want` in a header value's `; k=v` list
 * (token or quoted string, backslash escapes undone) pushed on L; false
 * when absent. */
static bool push_param(lua_State *L, const char *v, size_t n, const char *want)
{
    const char *p = memchr(v, ';', n), *end = v + n;
    size_t wl = strlen(want);
    while (p && p < end) {
        p++;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        const char *k = p;
        while (p < end && *p != '=' && *p != ';') p++;
        size_t kl = (size_t)(p - k);
        while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t')) kl--;
        if (p >= end || *p != '=') continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        luaL_Buffer b;
        bool match = kl == wl && !strncasecmp(k, want, wl);
        if (match) luaL_buffinit(L, &b);
        if (p < end && *p == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                if (match) luaL_addchar(&b, *p);
            }
            if (p < end) p++;
        } else {
            const char *s = p;
            while (p < end && *p != ';' && *p != ' ' && *p != '\t') p++;
            if (match) luaL_addlstring(&b, s, (size_t)(p - s));
        }
        if (match) {
            luaL_pushresult(&b);
            return true;
        }
        p = memchr(p, ';', (size_t)(end - p));
    }
    return false;
}

/* The field `name` (lower case) of the part head h[0..n): its value and
 * length, or NULL. */
static const char *head_field(const char *h, size_t n, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *line = h, *end = h + n; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
            const char *v = line + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *len = (size_t)(ve - v);
            return v;
        }
        line = eol + 1;
    }
    return NULL;
}

/* ---- files and their streams ------------------------------------------------------- */

/* A file: user values 1 = its filename, 2 = its content. */
static int file_name(lua_State *L)
{
    luaL_checkudata(L, 1, FILE_MT);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int file_size(lua_State *L)
{
    luaL_checkudata(L, 1, FILE_MT);
    lua_getiuservalue(L, 1, 2);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

typedef struct mp_stream {
    size_t off;
    bool closed;
} mp_stream;

static int stream_read(lua_State *L)
{
    mp_stream *s = luaL_checkudata(L, 1, STREAM_MT);
    lua_Integer want = luaL_optinteger(L, 2, STREAM_CHUNK);
    if (want <= 0) want = STREAM_CHUNK;
    if (s->closed) return wf_lua_fail(L, WF_ERR_INVALID, "stream is closed");
    lua_getiuservalue(L, 1, 1);
    size_t n;
    const char *data = lua_tolstring(L, -1, &n);
    if (s->off >= n) {
        lua_pushnil(L);
        return 1;
    }
    size_t k = n - s->off < (size_t)want ? n - s->off : (size_t)want;
    lua_pushlstring(L, data + s->off, k);
    s->off += k;
    return 1;
}

static int stream_close(lua_State *L)
{
    mp_stream *s = luaL_checkudata(L, 1, STREAM_MT);
    s->closed = true;
    return 0;
}

static int stream_iter(lua_State *L)
{
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(1));
    return stream_read(L);
}

/* stream(): an iterator over its chunks, for `for chunk in stream() do`. */
static int stream_call(lua_State *L)
{
    luaL_checkudata(L, 1, STREAM_MT);
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, stream_iter, 1);
    return 1;
}

static int file_stream(lua_State *L)
{
    luaL_checkudata(L, 1, FILE_MT);
    mp_stream *s = lua_newuserdatauv(L, sizeof *s, 1);
    s->off = 0;
    s->closed = false;
    if (luaL_newmetatable(L, STREAM_MT)) {
        static const luaL_Reg m[] = {{"read", stream_read}, {"close", stream_close}, {NULL, NULL}};
        lua_newtable(L);
        luaL_setfuncs(L, m, 0);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, stream_call);
        lua_setfield(L, -2, "__call");
    }
    lua_setmetatable(L, -2);
    lua_getiuservalue(L, 1, 2);
    lua_setiuservalue(L, -2, 1);
    lua_pushnil(L);
    return 2;
}

/* Push a file object of filename (on the stack top, popped) and content. */
static void push_file(lua_State *L, const char *content, size_t n)
{
    int name = lua_gettop(L);
    lua_newuserdatauv(L, 1, 2);
    if (luaL_newmetatable(L, FILE_MT)) {
        static const luaL_Reg m[] = {{"name", file_name}, {"size", file_size}, {"stream", file_stream},
                                     {NULL, NULL}};
        lua_newtable(L);
        luaL_setfuncs(L, m, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    lua_pushvalue(L, name);
    lua_setiuservalue(L, -2, 1);
    lua_pushlstring(L, content, n);
    lua_setiuservalue(L, -2, 2);
    lua_remove(L, name);
}

/* Append the value on top (popped) to the array t[key] of the table at idx. */
static void append_to(lua_State *L, int idx, int key)
{
    lua_pushvalue(L, key);
    if (lua_rawget(L, idx) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, key);
        lua_pushvalue(L, -2);
        lua_rawset(L, idx);
    }
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

/* ---- the body ----------------------------------------------------------------------- */

static const char *find(const char *p, const char *end, const char *needle, size_t nl)
{
    return (size_t)(end - p) < nl ? NULL : memmem(p, (size_t)(end - p), needle, nl);
}

int wf_lua_http_parse_multipart(lua_State *L, const char *content_type, const uint8_t *body, size_t n)
{
    size_t ctl = content_type ? strlen(content_type) : 0;
    const char *semi = ctl ? memchr(content_type, ';', ctl) : NULL;
    size_t tl = semi ? (size_t)(semi - content_type) : ctl;
    while (tl && content_type[tl - 1] == ' ') tl--;
    if (tl != 19 || strncasecmp(content_type, "multipart/form-data", 19))
        return wf_lua_fail(L, WF_ERR_INVALID, "request Content-Type isn't multipart/form-data");
    if (!push_param(L, content_type, ctl, "boundary"))
        return wf_lua_fail(L, WF_ERR_INVALID, "no multipart boundary param in Content-Type");
    size_t bl;
    const char *boundary = lua_tolstring(L, -1, &bl);
    if (!bl || bl > 70) return wf_lua_fail(L, WF_ERR_INVALID, "bad multipart boundary in Content-Type");
    /* "\r\n--boundary": every delimiter but a first one at the start. */
    luaL_Buffer db;
    luaL_buffinit(L, &db);
    luaL_addstring(&db, "\r\n--");
    luaL_addlstring(&db, boundary, bl);
    luaL_pushresult(&db);
    size_t dl;
    const char *delim = lua_tolstring(L, -1, &dl);

    lua_newtable(L);                 /* form */
    int form = lua_gettop(L);
    lua_newtable(L);
    int files = lua_gettop(L);
    lua_newtable(L);
    int values = lua_gettop(L);

    const char *p = (const char *)body, *end = p + n;
    const char *d = n >= dl - 2 && !memcmp(p, delim + 2, dl - 2) ? p : find(p, end, delim, dl);
    if (!d) return wf_lua_fail(L, WF_ERR_INVALID, "malformed multipart body: no boundary");
    p = d + (d == (const char *)body ? dl - 2 : dl);
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break;          /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;               /* transport padding */
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') p += 2;
        else if (p < end && *p == '\n') p++;
        else return wf_lua_fail(L, WF_ERR_INVALID, "malformed multipart body: bad delimiter line");
        const char *head_end = find(p, end, "\r\n\r\n", 4);
        if (!head_end) return wf_lua_fail(L, WF_ERR_INVALID, "malformed multipart body: a part's head has no end");
        size_t head_len = (size_t)(head_end - p) + 2;                   /* its last line's CRLF too */
        const char *content = head_end + 4;
        const char *next = find(content, end, delim, dl);
        if (!next) return wf_lua_fail(L, WF_ERR_INVALID, "malformed multipart body: no closing boundary");
        size_t cdl = 0;
        const char *cd = head_field(p, head_len, "content-disposition", &cdl);
        if (!cd || cdl < 9 || strncasecmp(cd, "form-data", 9) || !push_param(L, cd, cdl, "name"))
            return wf_lua_fail(L, WF_ERR_INVALID, "malformed multipart body: a part without "
                                                  "Content-Disposition: form-data; name=...");
        int key = lua_gettop(L);
        if (push_param(L, cd, cdl, "filename")) {
            push_file(L, content, (size_t)(next - content));
            append_to(L, files, key);
        } else {
            lua_pushlstring(L, content, (size_t)(next - content));
            append_to(L, values, key);
        }
        lua_pop(L, 1);                                                   /* key */
        p = next + dl;
    }
    lua_pushvalue(L, values);
    lua_setfield(L, form, "values");
    lua_pushvalue(L, files);
    lua_setfield(L, form, "files");
    lua_settop(L, form);
    lua_pushnil(L);
    return 2;
}
