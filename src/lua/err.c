/*
 * err.c - error values and the `errors` global, as upstream Wippy's (SPEC
 * §8; upstream's runtime/lua/modules/errors.md and engine/errors/spec.md).
 *
 * An error value is a userdata holding upstream's kind string ("NotFound",
 * "Invalid", "Internal", ... or "" for unknown), a message, a three-state
 * retryable (true, false, unknown) and a details table (uservalue 1). It
 * answers :kind(), :message(), :retryable(), :details() and :stack(); called
 * with an argument, kind/retryable/details return a copy with that field
 * set (upstream's builder form: errors.new("x"):kind(errors.INVALID)).
 * tostring(err) is "Kind: message" ("message" for an unknown kind).
 *
 * The `errors` global: the kind constants (errors.NOT_FOUND = "NotFound",
 * ...), errors.new(message | {message, kind, retryable, details}),
 * errors.wrap(err, message | error), errors.is(err, kind) and
 * errors.call_stack(err).
 *
 * Between the runtime and Lua: a wf_error becomes an error value of the
 * matching kind (a trap is Internal with details.trap holding the trap's
 * message), and an error value a Lua function returns becomes a wf_error of
 * the matching wasmfn kind, so the CLI still prints `error: KIND: message`
 * (SPEC §9). An error value made from a wf_error keeps that wf_error's kind.
 * Across a call (funcs.call, futures) an error value keeps all it has: the
 * wf_error carries its kind string, retryable and details (as JSON text),
 * and the receiving function gets the same error value back.
 */
#include <stdarg.h>
#include <stdio.h>

#include "component/json.h"
#include "lua/lua_int.h"

#define ERR_MT "wasmfn.error"

enum { RETRY_UNKNOWN = -1, RETRY_NO = 0, RETRY_YES = 1 };

typedef struct lerr {
    int wf_kind;            /* the wasmfn kind it came from, or -1 */
    signed char retryable;  /* RETRY_* */
    char kind[24];          /* upstream's kind string */
    size_t len;
    char msg[];             /* NUL-terminated copy of the message */
} lerr;

/* upstream's kinds: constant name, kind string, the wasmfn kind it maps to */
static const struct {
    const char *constant, *kind;
    wf_error_kind wf;
} kinds[] = {
    {"NOT_FOUND", "NotFound", WF_ERR_NOT_FOUND},
    {"ALREADY_EXISTS", "AlreadyExists", WF_ERR_INVALID},
    {"INVALID", "Invalid", WF_ERR_INVALID},
    {"PERMISSION_DENIED", "PermissionDenied", WF_ERR_INVALID},
    {"UNAVAILABLE", "Unavailable", WF_ERR_LIMIT},
    {"INTERNAL", "Internal", WF_ERR_INTERNAL},
    {"CANCELED", "Canceled", WF_ERR_TIMEOUT},
    {"CONFLICT", "Conflict", WF_ERR_INVALID},
    {"TIMEOUT", "Timeout", WF_ERR_TIMEOUT},
    {"RATE_LIMITED", "RateLimited", WF_ERR_LIMIT},
    {"UNKNOWN", "", WF_ERR_INTERNAL},
};

/* wasmfn's kind -> upstream's kind string. */
static const char *upstream_kind(wf_error_kind k)
{
    switch (k) {
    case WF_ERR_NOT_FOUND: return "NotFound";
    case WF_ERR_TIMEOUT: return "Timeout";
    case WF_ERR_INVALID:
    case WF_ERR_MALFORMED:
    case WF_ERR_UNLINKABLE:
    case WF_ERR_UNSUPPORTED: return "Invalid";
    default: return "Internal";   /* TRAP, LIMIT, INTERNAL, IO, EXIT */
    }
}

static bool known_kind(const char *s)
{
    for (size_t i = 0; i < WF_COUNT(kinds); i++)
        if (!strcmp(kinds[i].kind, s)) return true;
    return false;
}

bool wf_lua_kind_from_name(const char *name, wf_error_kind *kind)
{
    static const wf_error_kind all[] = {
        WF_ERR_INVALID, WF_ERR_MALFORMED, WF_ERR_UNLINKABLE, WF_ERR_NOT_FOUND,
        WF_ERR_TIMEOUT, WF_ERR_TRAP, WF_ERR_LIMIT, WF_ERR_INTERNAL, WF_ERR_IO,
        WF_ERR_UNSUPPORTED,
    };
    for (size_t i = 0; i < WF_COUNT(all); i++)
        if (strcmp(wf_error_kind_name(all[i]), name) == 0) {
            *kind = all[i];
            return true;
        }
    return false;
}

/* ---- making values ---------------------------------------------------------- */

static void push_mt(lua_State *L);

/* A new error value (details nil) on the stack. */
static lerr *push_new(lua_State *L, const char *kind, int wf_kind, int retryable, const char *msg,
                      size_t len)
{
    lerr *e = lua_newuserdatauv(L, sizeof(lerr) + len + 1, 2);
    e->wf_kind = wf_kind;
    e->retryable = (signed char)retryable;
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    e->len = len;
    memcpy(e->msg, msg, len);
    e->msg[len] = 0;
    push_mt(L);
    lua_setmetatable(L, -2);
    /* uservalue 2: where it was made, for :stack() */
    luaL_traceback(L, L, NULL, 1);
    lua_setiuservalue(L, -2, 2);
    return e;
}

static int default_retryable(wf_error_kind k)
{
    if (k == WF_ERR_TIMEOUT) return RETRY_YES;
    if (k == WF_ERR_INVALID || k == WF_ERR_NOT_FOUND || k == WF_ERR_TRAP || k == WF_ERR_MALFORMED ||
        k == WF_ERR_UNLINKABLE || k == WF_ERR_UNSUPPORTED)
        return RETRY_NO;
    return RETRY_UNKNOWN;
}

void wf_lua_push_error(lua_State *L, wf_error_kind kind, const char *msg)
{
    push_new(L, upstream_kind(kind), (int)kind, default_retryable(kind), msg, strlen(msg));
}

void wf_lua_push_kind_error(lua_State *L, const char *kind, wf_error_kind wf, const char *msg)
{
    push_new(L, kind, (int)wf, default_retryable(wf), msg, strlen(msg));
}

void wf_lua_push_kind_error_retry(lua_State *L, const char *kind, wf_error_kind wf, bool retryable,
                                  const char *msg)
{
    push_new(L, kind, (int)wf, retryable ? RETRY_YES : RETRY_NO, msg, strlen(msg));
}

/* Details as JSON text (what a wf_error carries) -> a table at the top of
 * the stack; false (nothing pushed) when the text is not an object. */
static bool push_details_json(lua_State *L, const char *json)
{
    wf_val v;
    wf_error *e = wf_json_to_val_untyped(json, strlen(json), "details", &v);
    if (e) {
        wf_error_free(e);
        return false;
    }
    bool ok = v.kind == WF_VAL_RECORD || v.kind == WF_VAL_LIST;
    if (ok) wf_lua_push_val(L, &v, NULL);
    wf_val_free(&v);
    return ok;
}

void wf_lua_push_wf_error(lua_State *L, const wf_error *e)
{
    const char *msg = e->message ? e->message : "";
    if (e->wippy_kind || e->retryable != WF_RETRY_DEFAULT || e->details) {
        /* an error value of another function: as it was made */
        int retry = e->retryable == WF_RETRY_YES ? RETRY_YES : e->retryable == WF_RETRY_NO ? RETRY_NO
                  : e->wippy_kind ? RETRY_UNKNOWN : default_retryable(e->kind);
        push_new(L, e->wippy_kind ? e->wippy_kind : upstream_kind(e->kind), (int)e->kind, retry, msg,
                 strlen(msg));
        if (e->details && push_details_json(L, e->details)) lua_setiuservalue(L, -2, 1);
        return;
    }
    wf_lua_push_error(L, e->kind, msg);
    if (e->kind != WF_ERR_TRAP && e->kind != WF_ERR_EXIT && e->kind != WF_ERR_LIMIT) return;
    /* A trap is Internal with the trap in its details. */
    lua_createtable(L, 0, 3);
    lua_pushstring(L, msg);
    lua_setfield(L, -2, e->kind == WF_ERR_LIMIT ? "limit" : "trap");
    if (e->kind == WF_ERR_EXIT) {
        lua_pushinteger(L, e->exit_code);
        lua_setfield(L, -2, "exit_code");
    }
    if (e->trace) {
        lua_pushstring(L, e->trace);
        lua_setfield(L, -2, "trace");
    }
    lua_setiuservalue(L, -2, 1);
}

int wf_lua_fail(lua_State *L, wf_error_kind kind, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lua_pushnil(L);
    wf_lua_push_error(L, kind, buf);
    return 2;
}

bool wf_lua_to_error(lua_State *L, int idx, wf_error_kind *kind, const char **msg)
{
    lerr *e = luaL_testudata(L, idx, ERR_MT);
    if (!e) return false;
    if (kind) {
        *kind = WF_ERR_INTERNAL;
        if (e->wf_kind >= 0) {
            *kind = (wf_error_kind)e->wf_kind;
        } else {
            for (size_t i = 0; i < WF_COUNT(kinds); i++)
                if (!strcmp(kinds[i].kind, e->kind)) *kind = kinds[i].wf;
        }
    }
    if (msg) *msg = e->msg;
    return true;
}

wf_error *wf_lua_error_to_wf(lua_State *L, int idx)
{
    wf_error_kind kind;
    const char *msg;
    if (!wf_lua_to_error(L, idx, &kind, &msg)) return NULL;
    lerr *le = lua_touserdata(L, idx);
    wf_error *e = wf_error_new(kind, "%s", msg);
    e->wippy_kind = wf_xstrdup(le->kind);
    e->retryable = le->retryable == RETRY_YES ? WF_RETRY_YES : le->retryable == RETRY_NO ? WF_RETRY_NO
                 : WF_RETRY_DEFAULT;
    idx = lua_absindex(L, idx);
    if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE) {
        /* details that do not convert (a function in them) are left out:
         * the error itself still goes across */
        wf_val v;
        wf_error *ce = wf_lua_to_val_untyped(L, -1, "details", &v);
        if (!ce) {
            e->details = wf_json_print(&v, WF_JSON_FLOAT_FRACTION);
            wf_val_free(&v);
        }
        wf_error_free(ce);
    }
    lua_pop(L, 1);
    return e;
}

const char *wf_lua_error_kind(lua_State *L, int idx)
{
    lerr *e = luaL_testudata(L, idx, ERR_MT);
    return e ? e->kind : NULL;
}

/* ---- methods ---------------------------------------------------------------- */

static lerr *check_err(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, ERR_MT);
}

/* A copy of the error at idx (same details and stack) on the stack. */
static lerr *push_copy(lua_State *L, int idx)
{
    lerr *o = check_err(L, idx);
    lerr *e = lua_newuserdatauv(L, sizeof(lerr) + o->len + 1, 2);
    memcpy(e, o, sizeof(lerr) + o->len + 1);
    push_mt(L);
    lua_setmetatable(L, -2);
    for (int uv = 1; uv <= 2; uv++) {
        lua_getiuservalue(L, idx, uv);
        lua_setiuservalue(L, -2, uv);
    }
    return e;
}

static const char *check_kind(lua_State *L, int idx)
{
    const char *k = luaL_checkstring(L, idx);
    if (!known_kind(k))
        luaL_error(L, "unknown error kind '%s' (use the errors.* constants: errors.INVALID, "
                      "errors.NOT_FOUND, ...)", k);
    return k;
}

static int err_kind(lua_State *L)
{
    lerr *e = check_err(L, 1);
    if (lua_gettop(L) < 2) {
        lua_pushstring(L, e->kind);
        return 1;
    }
    const char *k = check_kind(L, 2);
    lerr *c = push_copy(L, 1);
    snprintf(c->kind, sizeof c->kind, "%s", k);
    c->wf_kind = -1;
    return 1;
}

static int err_message(lua_State *L)
{
    lerr *e = check_err(L, 1);
    lua_pushlstring(L, e->msg, e->len);
    return 1;
}

static int err_retryable(lua_State *L)
{
    lerr *e = check_err(L, 1);
    if (lua_gettop(L) < 2) {
        if (e->retryable == RETRY_UNKNOWN) lua_pushnil(L);
        else lua_pushboolean(L, e->retryable == RETRY_YES);
        return 1;
    }
    lerr *c = push_copy(L, 1);
    c->retryable = lua_isnil(L, 2) ? RETRY_UNKNOWN : lua_toboolean(L, 2) ? RETRY_YES : RETRY_NO;
    return 1;
}

static int err_details(lua_State *L)
{
    check_err(L, 1);
    if (lua_gettop(L) < 2) {
        if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);   /* upstream: an empty table when there are none */
        }
        return 1;
    }
    if (!lua_isnil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    push_copy(L, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int err_stack(lua_State *L)
{
    check_err(L, 1);
    if (lua_getiuservalue(L, 1, 2) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushliteral(L, "");
    }
    return 1;
}

static int err_tostring(lua_State *L)
{
    lerr *e = check_err(L, 1);
    if (e->kind[0]) lua_pushfstring(L, "%s: %s", e->kind, e->msg);
    else lua_pushstring(L, e->msg);
    return 1;
}

static void push_mt(lua_State *L)
{
    if (luaL_newmetatable(L, ERR_MT)) {
        static const luaL_Reg methods[] = {
            {"kind", err_kind}, {"message", err_message}, {"retryable", err_retryable},
            {"details", err_details}, {"stack", err_stack}, {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, err_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "error");      /* getmetatable(err) does not expose it */
        lua_setfield(L, -2, "__metatable");
    }
}

/* ---- the errors global ------------------------------------------------------------ */

/* errors.new("message") or errors.new{message = .., kind = .., retryable = .., details = ..} */
static int errors_new(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) {
        size_t len;
        const char *msg = lua_tolstring(L, 1, &len);
        push_new(L, "", -1, RETRY_UNKNOWN, msg, len);
        return 1;
    }
    if (luaL_testudata(L, 1, ERR_MT)) {   /* an error already: itself */
        lua_settop(L, 1);
        return 1;
    }
    if (!lua_istable(L, 1))
        return luaL_error(L, "errors.new: expected a message or a table {message = ..., kind = ...}, got %s",
                          luaL_typename(L, 1));
    lua_getfield(L, 1, "message");
    if (lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "errors.new: field 'message' must be a string");
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    const char *kind = "";
    if (lua_getfield(L, 1, "kind") != LUA_TNIL) kind = check_kind(L, -1);
    int retry = RETRY_UNKNOWN;
    if (lua_getfield(L, 1, "retryable") != LUA_TNIL) retry = lua_toboolean(L, -1) ? RETRY_YES : RETRY_NO;
    int dt = lua_getfield(L, 1, "details");
    if (dt != LUA_TNIL && dt != LUA_TTABLE)
        return luaL_error(L, "errors.new: field 'details' must be a table");
    push_new(L, kind, -1, retry, msg, len);
    if (dt == LUA_TTABLE) {
        lua_pushvalue(L, -2);
        lua_setiuservalue(L, -2, 1);
    }
    return 1;
}

/* errors.wrap(err, "context") or errors.wrap(err, new_error): the message
 * becomes "context: parent message"; kind, retryable and details are the
 * new error's where it sets them, else the parent's. */
static int errors_wrap(lua_State *L)
{
    if (!luaL_testudata(L, 1, ERR_MT)) {
        if (lua_isnil(L, 1)) return luaL_error(L, "errors.wrap: expected an error to wrap, got nil");
        lua_pushcfunction(L, errors_new);   /* wrap a plain message: make it an error first */
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        lua_replace(L, 1);
    }
    lerr *parent = check_err(L, 1);
    const char *ctx;
    lerr *over = NULL;
    if ((over = luaL_testudata(L, 2, ERR_MT))) ctx = over->msg;
    else ctx = luaL_checkstring(L, 2);
    lua_pushfstring(L, "%s: %s", ctx, parent->msg);
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    bool own_kind = over && over->kind[0];
    lerr *e = push_new(L, own_kind ? over->kind : parent->kind, own_kind ? over->wf_kind : parent->wf_kind,
                       over && over->retryable != RETRY_UNKNOWN ? over->retryable : parent->retryable, msg, len);
    (void)e;
    if (!over || lua_getiuservalue(L, 2, 1) != LUA_TTABLE) {
        if (over) lua_pop(L, 1);
        lua_getiuservalue(L, 1, 1);
    }
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int errors_is(lua_State *L)
{
    lerr *e = luaL_testudata(L, 1, ERR_MT);
    const char *k = luaL_checkstring(L, 2);
    lua_pushboolean(L, e && !strcmp(e->kind, k));
    return 1;
}

/* errors.call_stack(err): the stack where it was made, one frame per line,
 * as a table of strings. */
static int errors_call_stack(lua_State *L)
{
    check_err(L, 1);
    lua_newtable(L);
    if (lua_getiuservalue(L, 1, 2) != LUA_TSTRING) {
        lua_pop(L, 1);
        return 1;
    }
    const char *s = lua_tostring(L, -1);
    lua_Integer n = 0;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        while (len && (*s == '\t' || *s == ' ')) s++, len--;
        if (len && strncmp(s, "stack traceback:", 16)) {
            lua_pushlstring(L, s, len);
            lua_rawseti(L, -3, ++n);
        }
        s += len;
        if (*s == '\n') s++;
    }
    lua_pop(L, 1);
    return 1;
}

void wf_lua_open_errors(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"new", errors_new}, {"wrap", errors_wrap}, {"is", errors_is},
        {"call_stack", errors_call_stack}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    for (size_t i = 0; i < WF_COUNT(kinds); i++) {
        lua_pushstring(L, kinds[i].kind);
        lua_setfield(L, -2, kinds[i].constant);
    }
    lua_setglobal(L, "errors");
}
