/*
 * json.c - the `json` built-in Lua module: json.encode(v) and json.decode(s).
 * Both return (nil, err) on bad input, err an error value of kind INVALID;
 * neither raises. They add no JSON syntax of their own: text is read and
 * written by the one JSON parser and printer (component/json.h), and Lua
 * values cross by the one Lua conversion (conv.c).
 *
 * Mapping (SPEC §8 behaviour):
 *   encode: nil and json.null -> null; booleans; integers exactly, floats in
 *   the shortest form that reads back, keeping a fraction (1.0) so they stay
 *   floats (NaN and infinities are errors); strings must be UTF-8; a table
 *   whose keys are exactly 1..n is an array, the empty table is [] (as in
 *   §3: an empty table is an empty list); any other table is an object whose
 *   keys must be strings (or integers, written as their decimal text),
 *   emitted in sorted order so output is deterministic.
 *   decode: strict RFC 8259 (duplicate keys refused); objects and arrays to
 *   tables; integers exactly (those past int64 that fit u64 as floats),
 *   other numbers as floats, -0 as the float -0; null to json.null inside
 *   arrays (so positions survive) and to a missing key inside objects; a
 *   top-level null to json.null.
 * Nesting is bounded both ways (a cyclic table is reported as too deep).
 *
 * json.validate(schema, value) and json.validate_string(schema, text)
 * check against a JSON Schema (json_schema.c): true, or false and an
 * Invalid error.
 */
#include <math.h>
#include <stdio.h>

#include "base/utf8.h"
#include "component/json.h"
#include "component/val_conv.h"
#include "lua/lua_int.h"

bool wf_lua_is_json_null(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/* ---- encode ------------------------------------------------------------ */

typedef struct field {
    char *name;
    wf_val val;
} field;

static int field_cmp(const void *a, const void *b)
{
    return strcmp(((const field *)a)->name, ((const field *)b)->name);
}

/* What JSON cannot hold, refused; a table with other keys than 1..n (a
 * list of key/value pairs) made an object with text keys. */
static wf_error *jsonify(wf_val *v)
{
    char msg[96];
    switch ((wf_val_kind)v->kind) {
    case WF_VAL_F64:
        if (isfinite(v->of.f64)) return NULL;
        return wf_error_new(WF_ERR_INVALID, "json.encode: %s has no JSON form", isnan(v->of.f64) ? "NaN" : "infinity");
    case WF_VAL_STRING:
        for (size_t i = 0; i < v->of.str.len;) {
            size_t n = wf_utf8_decode((const uint8_t *)v->of.str.data + i, v->of.str.len - i, NULL);
            if (!n) return wf_error_new(WF_ERR_INVALID, "json.encode: string is not valid UTF-8 (byte %zu)", i + 1);
            i += n;
        }
        return NULL;
    case WF_VAL_LIST: case WF_VAL_RECORD:
        if (wf_val_is_pairs(v)) {
            size_t n = v->of.agg.len;
            wf_val r = wf_val_agg(WF_VAL_RECORD, n);
            wf_error *e = NULL;
            for (size_t i = 0; i < n; i++) {
                wf_val *kv = v->of.agg.items[i].of.agg.items;
                if (kv[0].kind == WF_VAL_STRING) {
                    r.of.agg.names[i] = kv[0].of.str.data;
                    kv[0].of.str.data = NULL;
                } else if (kv[0].kind == WF_VAL_S64) {
                    r.of.agg.names[i] = wf_xasprintf("%lld", (long long)kv[0].of.s);
                } else {
                    snprintf(msg, sizeof msg, "json.encode: object key must be a string, not a %s",
                             kv[0].kind == WF_VAL_BOOL ? "boolean" : "number");
                    r.of.agg.names[i] = wf_xstrdup("");
                    if (!e) e = wf_error_new(WF_ERR_INVALID, "%s", msg);
                }
                r.of.agg.items[i] = kv[1];
                kv[1] = (wf_val){0};
            }
            /* sorted by names as text, as records are: one deterministic order */
            field *f = wf_xmalloc((n ? n : 1) * sizeof *f);
            for (size_t i = 0; i < n; i++) f[i] = (field){ r.of.agg.names[i], r.of.agg.items[i] };
            qsort(f, n, sizeof *f, field_cmp);
            for (size_t i = 0; i < n; i++) r.of.agg.names[i] = f[i].name, r.of.agg.items[i] = f[i].val;
            free(f);
            wf_val_free(v);
            *v = r;
            if (e) return e;
        }
        for (size_t i = 0; i < v->of.agg.len; i++) {
            wf_error *e = jsonify(&v->of.agg.items[i]);
            if (e) return e;
        }
        return NULL;
    default:
        return NULL;
    }
}

static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    wf_val v;
    wf_error *e = wf_lua_to_val_untyped(L, 1, "json.encode", &v);
    if (!e && (e = jsonify(&v))) wf_val_free(&v);
    if (e) {
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    char *s = wf_json_print(&v, WF_JSON_FLOAT_FRACTION);
    wf_val_free(&v);
    lua_pushstring(L, s);
    free(s);
    return 1;
}

/* ---- decode ------------------------------------------------------------ */

/* Push a parsed JSON value: null is json.null in arrays and at the top, a
 * missing key in objects. */
static void push_json(lua_State *L, const wf_val *v)
{
    luaL_checkstack(L, 4, "json.decode");
    switch ((wf_val_kind)v->kind) {
    case WF_VAL_LIST:
        lua_createtable(L, (int)WF_MIN(v->of.agg.len, (size_t)INT32_MAX), 0);
        for (size_t i = 0; i < v->of.agg.len; i++) {
            push_json(L, &v->of.agg.items[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    case WF_VAL_RECORD:
        lua_createtable(L, 0, (int)WF_MIN(v->of.agg.len, (size_t)INT32_MAX));
        for (size_t i = 0; i < v->of.agg.len; i++) {
            const wf_val *item = &v->of.agg.items[i];
            if (item->kind == WF_VAL_OPTION && !item->of.cas.payload) continue;
            push_json(L, item);
            lua_setfield(L, -2, v->of.agg.names[i]);
        }
        return;
    case WF_VAL_OPTION:
        lua_pushlightuserdata(L, WF_LUA_JSON_NULL);
        return;
    default:
        wf_lua_push_val(L, v, NULL);
    }
}

static int json_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lua_settop(L, 1);
    wf_val v;
    wf_error *e = wf_json_to_val_untyped(s, n, "json.decode", &v);
    if (e) {
        lua_pushnil(L);
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        return 2;
    }
    push_json(L, &v);
    wf_val_free(&v);
    return 1;
}

/* ---- validate ---------------------------------------------------------- */

/* The value at idx as an untyped wf_val: JSON text when text, else a Lua
 * value (a table, or any other value; nil and json.null are null). */
static wf_error *to_json_val(lua_State *L, int idx, bool text, const char *what, wf_val *out)
{
    if (!text) return wf_lua_to_val_untyped(L, idx, what, out);
    if (lua_type(L, idx) != LUA_TSTRING)
        return wf_error_new(WF_ERR_INVALID, "%s: expected JSON text, got %s", what, luaL_typename(L, idx));
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    return wf_json_to_val_untyped(s, n, what, out);
}

/* json.validate(schema, value) / json.validate_string(schema, text): true,
 * or false and an Invalid error naming the first failure (details.errors
 * lists them all). The schema is a table or JSON text. */
static int validate_common(lua_State *L, bool text, const char *fn)
{
    lua_settop(L, 2);
    char what[64];
    wf_val schema = {0}, data = {0};
    wf_error *e = NULL;
    snprintf(what, sizeof what, "%s: schema", fn);
    if (lua_isnil(L, 1)) e = wf_error_new(WF_ERR_INVALID, "%s: no schema given", fn);
    else e = to_json_val(L, 1, lua_type(L, 1) == LUA_TSTRING, what, &schema);
    snprintf(what, sizeof what, "%s: %s", fn, text ? "text" : "value");
    if (!e) e = to_json_val(L, 2, text, what, &data);
    if (!e && (e = wf_lua_json_validate(&schema, &data))) e = wf_error_wrap(e, "%s", fn);
    wf_val_free(&schema);
    wf_val_free(&data);
    if (!e) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    wf_lua_push_wf_error(L, e);
    wf_error_free(e);
    return 2;
}

static int json_validate(lua_State *L) { return validate_common(L, false, "json.validate"); }
static int json_validate_string(lua_State *L) { return validate_common(L, true, "json.validate_string"); }

int wf_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"encode", json_encode}, {"decode", json_decode}, {"validate", json_validate},
        {"validate_string", json_validate_string}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_pushlightuserdata(L, WF_LUA_JSON_NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
