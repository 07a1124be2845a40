/*
 * conv.c - Lua values <-> wf_val (SPEC §3), both directions.
 *
 * Lua -> wf_val is one conversion, without a type: integer -> S64, float ->
 * F64, string -> STRING, boolean -> BOOL, nil and json.null -> none, a table
 * with keys 1..n (or empty) -> LIST, a table whose keys are all strings ->
 * RECORD (keys sorted), any other table (sparse, mixed, other keys) -> a
 * LIST of (key, value) TUPLEs sorted by key, the wf_val form of a map.
 * Only functions, threads and userdata are refused. A function with a WIT
 * signature then gets its arguments made of their types by the one
 * conversion, wf_val_coerce (component/val_conv.h); one with a core type
 * gets numbers checked by the one number rule (wf_val_to_core).
 *
 * wf_val -> Lua needs no type: a wf_val describes itself (records carry
 * field names, variants and enums case names). The type only settles an
 * empty list<u8>, which becomes "" rather than {}, and a map<K, V>, which
 * becomes a table {[key] = value} (a later duplicate key wins, as
 * Explainer.md allows). Without a type a list of (key, value) tuples is such
 * a table too, so values between Lua functions keep their shape.
 *
 * Every error is WF_ERR_INVALID naming the parameter and the path inside it:
 * "parameter `users`[2].name: expected string, got an integer".
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/utf8.h"
#include "base/buf.h"
#include "component/val_conv.h"
#include "lua/lua_int.h"

#define fail(p, ...) wf_val_path_fail(p, __VA_ARGS__)

static const char *lua_kind(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) return lua_isinteger(L, idx) ? "integer" : "float";
    if (wf_lua_is_json_null(L, idx)) return "null";
    return luaL_typename(L, idx);
}

/* Keys exactly 1..n (n >= 0; the empty table is the empty list): what both
 * the converters and json.encode treat as an array. */
bool wf_lua_seq_len(lua_State *L, int idx, size_t *n)
{
    lua_Integer count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return false;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k > max) max = k;
        count++;
    }
    *n = (size_t)count;
    return max == count;
}

/* ---- Lua -> wf_val -------------------------------------------------------- */

static wf_error *untyped(lua_State *L, int idx, wf_val_path *p, int depth, wf_val *out);

/* The order of map keys: numbers, then strings, then booleans, each in
 * their own order; so the same table always gives the same value. */
static int key_rank(const wf_val *k)
{
    return k->kind == WF_VAL_STRING ? 1 : k->kind == WF_VAL_BOOL ? 2 : 0;
}

static double key_num(const wf_val *k)
{
    return k->kind == WF_VAL_S64 ? (double)k->of.s : k->of.f64;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const wf_val *a = &((const wf_val *)pa)->of.agg.items[0], *b = &((const wf_val *)pb)->of.agg.items[0];
    int ra = key_rank(a), rb = key_rank(b);
    if (ra != rb) return ra - rb;
    if (ra == 1) {
        int c = memcmp(a->of.str.data, b->of.str.data, WF_MIN(a->of.str.len, b->of.str.len));
        return c ? c : a->of.str.len < b->of.str.len ? -1 : a->of.str.len > b->of.str.len;
    }
    if (ra == 2) return (int)a->of.b - (int)b->of.b;
    if (a->kind == WF_VAL_S64 && b->kind == WF_VAL_S64) return a->of.s < b->of.s ? -1 : a->of.s > b->of.s;
    double x = key_num(a), y = key_num(b);
    return x < y ? -1 : x > y;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static wf_error *untyped_seq(lua_State *L, int idx, size_t n, wf_val_path *p, int depth, wf_val *out)
{
    *out = wf_val_agg(WF_VAL_LIST, n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        size_t old = wf_val_path_index(p, i);
        wf_error *e = untyped(L, lua_gettop(L), p, depth + 1, &out->of.agg.items[i]);
        wf_val_path_pop(p, old);
        lua_pop(L, 1);
        if (e) return e;
    }
    return NULL;
}

/* A table whose keys are all strings: a record, keys sorted. false (and
 * nothing made) when some key is not a string. */
static bool string_keys(lua_State *L, int idx, size_t *n)
{
    *n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return false;
        }
        ++*n;
    }
    return true;
}

static wf_error *untyped_record(lua_State *L, int idx, size_t n, wf_val_path *p, int depth, wf_val *out)
{
    const char **keys = wf_xmalloc((n ? n : 1) * sizeof *keys);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        keys[k++] = lua_tostring(L, -1);   /* anchored in the table */
    }
    qsort(keys, n, sizeof *keys, name_cmp);
    *out = wf_val_agg(WF_VAL_RECORD, n);
    wf_error *e = NULL;
    for (size_t i = 0; i < n && !e; i++) {
        wf_val_set_name(out, i, keys[i]);
        lua_getfield(L, idx, keys[i]);
        size_t old = wf_val_path_field(p, keys[i]);
        e = untyped(L, lua_gettop(L), p, depth + 1, &out->of.agg.items[i]);
        wf_val_path_pop(p, old);
        lua_pop(L, 1);
    }
    free(keys);
    return e;
}

/* Any other table: (key, value) pairs sorted by key. */
static wf_error *untyped_pairs(lua_State *L, int idx, wf_val_path *p, int depth, wf_val *out)
{
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
    }
    *out = wf_val_agg(WF_VAL_LIST, n);
    size_t i = 0;
    wf_error *e = NULL;
    lua_pushnil(L);
    while (!e && lua_next(L, idx)) {
        int top = lua_gettop(L);
        wf_val *kv = &out->of.agg.items[i++];
        *kv = wf_val_agg(WF_VAL_TUPLE, 2);
        int kt = lua_type(L, top - 1);
        if (kt != LUA_TNUMBER && kt != LUA_TSTRING && kt != LUA_TBOOLEAN)
            e = fail(p, "a table key cannot be a %s", lua_kind(L, top - 1));
        if (!e) e = untyped(L, top - 1, p, depth + 1, &kv->of.agg.items[0]);
        if (!e) {
            size_t old = kt == LUA_TSTRING ? wf_val_path_field(p, lua_tostring(L, top - 1))
                       : kt == LUA_TBOOLEAN ? wf_val_path_key(p, lua_toboolean(L, top - 1) ? "true" : "false")
                       : lua_isinteger(L, top - 1) ? wf_val_path_int(p, lua_tointeger(L, top - 1))
                       : wf_val_path_float(p, lua_tonumber(L, top - 1));
            e = untyped(L, top, p, depth + 1, &kv->of.agg.items[1]);
            wf_val_path_pop(p, old);
        }
        lua_settop(L, e ? top - 2 : top - 1);
    }
    if (!e && n > 1) qsort(out->of.agg.items, n, sizeof *out->of.agg.items, entry_cmp);
    return e;
}

static wf_error *untyped(lua_State *L, int idx, wf_val_path *p, int depth, wf_val *out)
{
    memset(out, 0, sizeof *out);
    if (depth > WF_LUA_MAX_DEPTH) return fail(p, "nesting deeper than %d (or a cyclic table)", WF_LUA_MAX_DEPTH);
    if (!lua_checkstack(L, 8)) return fail(p, "out of Lua stack");
    switch (lua_type(L, idx)) {
    case LUA_TNONE: case LUA_TNIL:
        *out = wf_val_none();
        return NULL;
    case LUA_TBOOLEAN:
        *out = wf_val_bool(lua_toboolean(L, idx));
        return NULL;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) *out = wf_val_sint(WF_VAL_S64, lua_tointeger(L, idx));
        else *out = wf_val_f64(lua_tonumber(L, idx));
        return NULL;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        *out = wf_val_string(s, n);
        return NULL;
    }
    case LUA_TLIGHTUSERDATA:
        if (wf_lua_is_json_null(L, idx)) {
            *out = wf_val_none();
            return NULL;
        }
        break;
    case LUA_TTABLE: {
        size_t n;
        if (wf_lua_seq_len(L, idx, &n)) return untyped_seq(L, idx, n, p, depth, out);
        if (string_keys(L, idx, &n)) return untyped_record(L, idx, n, p, depth, out);
        return untyped_pairs(L, idx, p, depth, out);
    }
    default:
        break;
    }
    return fail(p, "cannot pass a %s", lua_kind(L, idx));
}

wf_error *wf_lua_to_val_untyped(lua_State *L, int idx, const char *what, wf_val *out)
{
    wf_val_path p;
    wf_val_path_init(&p, what, true);
    wf_error *e = untyped(L, lua_absindex(L, idx), &p, 0, out);
    if (e) wf_val_free(out);
    return e;
}

/* A Lua integer for an integer type it fits: what the conversion below
 * gives, without its untyped value (every call's numbers come this way). */
static bool int_fast(lua_State *L, int idx, const wf_wit_type *t, wf_val *out)
{
    static const int64_t lo[] = { INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN, 0, 0, 0, 0 };
    static const int64_t hi[] = { INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX, UINT8_MAX, UINT16_MAX,
                                  UINT32_MAX, INT64_MAX };
    if (t->kind < WF_WIT_S8 || t->kind > WF_WIT_U64 || !lua_isinteger(L, idx)) return false;
    int64_t x = (int64_t)lua_tointeger(L, idx);
    unsigned k = (unsigned)(t->kind - WF_WIT_S8);
    if (x < lo[k] || x > hi[k]) return false;
    *out = k < 4 ? wf_val_sint((wf_val_kind)t->kind, x) : wf_val_uint((wf_val_kind)t->kind, (uint64_t)x);
    return true;
}

wf_error *wf_lua_to_val(lua_State *L, int idx, const wf_wit_type *t, const char *what, wf_val *out)
{
    if (int_fast(L, idx, t, out)) return NULL;
    wf_error *e = wf_lua_to_val_untyped(L, idx, what, out);
    if (e) return e;
    wf_val_conv c = { .what = what, .form = WF_VAL_FORM_LUA };
    if ((e = wf_val_coerce(t, out, &c))) wf_val_free(out);
    return e;
}

/* ---- arguments by signature ------------------------------------------------ */

/* A number for a core parameter, by the one number rule: i32 -> S32,
 * i64 -> S64, f32, f64. */
static wf_error *to_core(lua_State *L, int idx, wf_valkind k, const char *what, wf_val *out)
{
    wf_error *e = wf_lua_to_val_untyped(L, idx, what, out);
    uint64_t bits;
    wf_val_conv c = { .what = what, .form = WF_VAL_FORM_LUA };
    if (!e) e = wf_val_to_core(out, k, &c, &bits);
    wf_val_free(out);
    if (e) return e;
    uint32_t lo = (uint32_t)bits;
    switch (k) {
    case WF_I32: *out = wf_val_sint(WF_VAL_S32, (int32_t)lo); break;
    case WF_I64: *out = wf_val_sint(WF_VAL_S64, (int64_t)bits); break;
    case WF_F32: out->kind = WF_VAL_F32; memcpy(&out->of.f32, &lo, 4); break;
    default: out->kind = WF_VAL_F64; memcpy(&out->of.f64, &bits, 8); break;
    }
    return NULL;
}

/* Argument i converted by sig; what starts its messages ("": none yet). */
static wf_error *arg_to_val(lua_State *L, int idx, size_t i, const wf_fn_sig *sig, const char *what,
                            wf_val *out)
{
    if (sig && sig->wit) return wf_lua_to_val(L, idx, sig->wit->params[i].type, what, out);
    if (sig && sig->core) return to_core(L, idx, sig->core->params[i].kind, what, out);
    return wf_lua_to_val_untyped(L, idx, what, out);
}

wf_error *wf_lua_args(lua_State *L, int first, int nargs, const wf_fn_sig *sig, wf_val *small,
                      size_t nsmall, wf_val **out)
{
    *out = NULL;
    size_t want = 0;
    if (sig && sig->wit) want = sig->wit->nparams;
    else if (sig && sig->core) want = sig->core->nparams;
    else want = (size_t)nargs;
    if ((size_t)nargs != want)
        return wf_error_new(WF_ERR_INVALID, "expected %zu argument%s, got %d", want,
                            want == 1 ? "" : "s", nargs);
    wf_val *args = want && want <= nsmall ? small : wf_xcalloc(want ? want : 1, sizeof(wf_val));
    if (args == small) memset(small, 0, want * sizeof *small);
    for (size_t i = 0; i < want; i++) {
        int idx = first + (int)i;
        /* This runs for every call: the label of a message ("parameter
         * `x`") is made only when there is one, by converting again (the
         * conversion only reads the Lua value). */
        wf_error *e = arg_to_val(L, idx, i, sig, "", &args[i]);
        if (e) {
            wf_error_free(e);
            char what[160];
            if (sig && sig->wit) snprintf(what, sizeof what, "parameter `%s`", sig->wit->params[i].name);
            else if (sig && sig->core) snprintf(what, sizeof what, "parameter %zu", i + 1);
            else snprintf(what, sizeof what, "argument %zu", i + 1);
            e = arg_to_val(L, idx, i, sig, what, &args[i]);
            if (!e) e = wf_error_new(WF_ERR_INTERNAL, "%s: converted only on the second try", what);
        }
        if (e) {
            for (size_t j = 0; j <= i; j++) wf_val_free(&args[j]);
            if (args != small) free(args);
            return e;
        }
    }
    *out = args;
    return NULL;
}

/* ---- wf_val -> Lua ----------------------------------------------------------- */

static void push_utf8(lua_State *L, uint32_t cp)
{
    uint8_t b[4];
    lua_pushlstring(L, (const char *)b, wf_utf8_encode(cp, b));
}

static void push_val(lua_State *L, const wf_val *v, const wf_wit_type *t, int depth)
{
    /* Values come from our own converters and the Canonical ABI, whose
     * nesting the WIT type bounds; the Lua stack is grown as we go. */
    luaL_checkstack(L, 4, "value nesting");
    (void)depth;
    switch ((wf_val_kind)v->kind) {
    case WF_VAL_BOOL: lua_pushboolean(L, v->of.b); return;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64:
        lua_pushinteger(L, (lua_Integer)v->of.s);
        return;
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64: case WF_VAL_HANDLE:
        if (v->of.u > (uint64_t)INT64_MAX) lua_pushnumber(L, (lua_Number)v->of.u);
        else lua_pushinteger(L, (lua_Integer)v->of.u);
        return;
    case WF_VAL_F32: lua_pushnumber(L, (lua_Number)v->of.f32); return;
    case WF_VAL_F64: lua_pushnumber(L, v->of.f64); return;
    case WF_VAL_CHAR: push_utf8(L, (uint32_t)v->of.u); return;
    case WF_VAL_STRING: lua_pushlstring(L, v->of.str.data ? v->of.str.data : "", v->of.str.len); return;
    case WF_VAL_LIST: {
        size_t n = v->of.agg.len;
        bool bytes = t ? (t->kind == WF_WIT_LIST && t->elem->kind == WF_WIT_U8)
                       : (n > 0 && v->of.agg.items[0].kind == WF_VAL_U8);
        if (t ? t->kind == WF_WIT_MAP : wf_val_is_pairs(v)) {   /* {[key] = value}; a later duplicate key wins */
            lua_createtable(L, 0, (int)WF_MIN(n, (size_t)INT32_MAX));
            for (size_t i = 0; i < n; i++) {
                const wf_val *kv = &v->of.agg.items[i];
                if (kv->of.agg.len != 2) continue;
                push_val(L, &kv->of.agg.items[0], t ? t->elem->fields[0].type : NULL, depth + 1);
                push_val(L, &kv->of.agg.items[1], t ? t->elem->fields[1].type : NULL, depth + 1);
                if (lua_isnil(L, -2)) {   /* a nil key cannot be set */
                    lua_pop(L, 2);
                    continue;
                }
                lua_rawset(L, -3);
            }
            return;
        }
        if (bytes) {
            luaL_Buffer b;
            char *s = luaL_buffinitsize(L, &b, n);
            for (size_t i = 0; i < n; i++) s[i] = (char)v->of.agg.items[i].of.u;
            luaL_pushresultsize(&b, n);
            return;
        }
        lua_createtable(L, (int)WF_MIN(n, (size_t)INT32_MAX), 0);
        for (size_t i = 0; i < n; i++) {
            push_val(L, &v->of.agg.items[i], t && t->kind == WF_WIT_LIST ? t->elem : NULL, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case WF_VAL_TUPLE: {
        size_t n = v->of.agg.len;
        lua_createtable(L, (int)WF_MIN(n, (size_t)INT32_MAX), 0);
        for (size_t i = 0; i < n; i++) {
            const wf_wit_type *et = t && t->kind == WF_WIT_TUPLE && i < t->nfields ? t->fields[i].type : NULL;
            push_val(L, &v->of.agg.items[i], et, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case WF_VAL_RECORD: {
        size_t n = v->of.agg.len;
        lua_createtable(L, 0, (int)WF_MIN(n, (size_t)INT32_MAX));
        for (size_t i = 0; i < n; i++) {
            const wf_wit_type *ft = t && t->kind == WF_WIT_RECORD && i < t->nfields ? t->fields[i].type : NULL;
            push_val(L, &v->of.agg.items[i], ft, depth + 1);
            lua_setfield(L, -2, v->of.agg.names[i] ? v->of.agg.names[i] : "");
        }
        return;
    }
    case WF_VAL_VARIANT: {
        lua_createtable(L, 0, 1);
        const wf_wit_type *pt = t && t->kind == WF_WIT_VARIANT && v->of.cas.index < t->nfields
                                    ? t->fields[v->of.cas.index].type : NULL;
        if (v->of.cas.payload) push_val(L, v->of.cas.payload, pt, depth + 1);
        else lua_pushboolean(L, 1);
        lua_setfield(L, -2, v->of.cas.name ? v->of.cas.name : "");
        return;
    }
    case WF_VAL_ENUM: lua_pushstring(L, v->of.cas.name ? v->of.cas.name : ""); return;
    case WF_VAL_OPTION:
        if (!v->of.cas.payload) lua_pushnil(L);
        else push_val(L, v->of.cas.payload, t && t->kind == WF_WIT_OPTION ? t->elem : NULL, depth + 1);
        return;
    case WF_VAL_RESULT: {
        lua_createtable(L, 0, 1);
        bool ok = v->of.cas.index == 0;
        const wf_wit_type *pt = t && t->kind == WF_WIT_RESULT ? (ok ? t->elem : t->err) : NULL;
        if (v->of.cas.payload) push_val(L, v->of.cas.payload, pt, depth + 1);
        else lua_pushboolean(L, 1);
        lua_setfield(L, -2, ok ? "ok" : "err");
        return;
    }
    case WF_VAL_FLAGS: {
        lua_createtable(L, 0, (int)WF_MIN(v->of.agg.len, (size_t)INT32_MAX));
        for (size_t i = 0; i < v->of.agg.len; i++) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, v->of.agg.names[i]);
        }
        return;
    }
    }
    lua_pushnil(L);
}

void wf_lua_push_val(lua_State *L, const wf_val *v, const wf_wit_type *t)
{
    push_val(L, v, t, 0);
}

void wf_lua_push_result(lua_State *L, const wf_val *v, const wf_fn_sig *sig)
{
    const wf_wit_func *f = sig ? sig->wit : NULL;
    if (v->kind == WF_VAL_TUPLE && v->of.agg.len == 0 && (!f || f->nresults == 0)) {
        lua_pushnil(L);   /* no results */
        return;
    }
    if (f && f->nresults == 1 && !f->named_results) {
        push_val(L, v, f->results[0].type, 0);
        return;
    }
    if (f && v->kind == WF_VAL_TUPLE && v->of.agg.len == f->nresults) {
        /* Several results: an array, each typed by its result. */
        lua_createtable(L, (int)v->of.agg.len, 0);
        for (size_t i = 0; i < v->of.agg.len; i++) {
            push_val(L, &v->of.agg.items[i], f->results[i].type, 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    push_val(L, v, NULL, 0);
}
