/*
 * conv.c - Lua values <-> wf_val (SPEC §3), both directions.
 *
 * Lua -> wf_val is type-directed when the target has a WIT signature (every
 * rule of §3: range-checked numbers, strings to string and list<u8>, tables
 * to lists/tuples/records/variants/results/flags, nil to none, ...), core
 * numbers when it has only a core type, and untyped otherwise (Lua
 * functions): integer -> s64, float -> f64, string -> string, boolean ->
 * bool, nil and json.null -> none, a table with keys 1..n (or empty) ->
 * list, any other table -> record with its string keys sorted.
 *
 * wf_val -> Lua needs no type: a wf_val describes itself (records carry
 * field names, variants and enums case names). The type only settles an
 * empty list<u8>, which becomes "" rather than {}, and a map<K, V> (a list
 * of (key, value) tuples in wf_val), which becomes a table {[key] = value}
 * (a later duplicate key wins, as Explainer.md allows); from Lua a map is
 * such a table, its entries sorted by key. list<T, N> is a list of exactly
 * N values.
 *
 * Every error is WF_ERR_INVALID naming the parameter and the path inside it:
 * "parameter `users`[2].name: expected string, got number".
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/utf8.h"
#include "base/buf.h"
#include "lua/lua_int.h"

/* The path of the value being converted, for messages: `param`[2].name */
typedef struct path {
    char buf[256];
    size_t len;
} path;

static size_t path_push(path *p, const char *fmt, ...) WF_PRINTF(2, 3);
static size_t path_push(path *p, const char *fmt, ...)
{
    size_t old = p->len;
    if (p->len < sizeof p->buf - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->buf + p->len, sizeof p->buf - p->len, fmt, ap);
        va_end(ap);
        if (n > 0) p->len = WF_MIN(p->len + (size_t)n, sizeof p->buf - 1);
    }
    return old;
}

/* Append n bytes (truncated at the buffer's end). */
static void path_add(path *p, const char *s, size_t n)
{
    n = WF_MIN(n, sizeof p->buf - 1 - p->len);
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = 0;
}

/* "[i]" and ".name": pushed for every element and field of every argument,
 * so without printf (which was a fifth of a record-list call). */
static size_t path_index(path *p, size_t i)
{
    size_t old = p->len;
    char d[24];
    size_t n = sizeof d;
    d[--n] = ']';
    do d[--n] = (char)('0' + i % 10); while ((i /= 10) && n > 1);
    d[--n] = '[';
    path_add(p, d + n, sizeof d - n);
    return old;
}

static size_t path_field(path *p, const char *name)
{
    size_t old = p->len;
    path_add(p, ".", 1);
    path_add(p, name, strlen(name));
    return old;
}

static void path_pop(path *p, size_t old)
{
    p->len = old;
    p->buf[old] = 0;
}

static wf_error *fail(const path *p, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *fail(const path *p, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_new(WF_ERR_INVALID, "%s: %s", p->buf, msg);
}

static const char *lua_kind(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) return lua_isinteger(L, idx) ? "integer" : "float";
    if (wf_lua_is_json_null(L, idx)) return "null";
    return luaL_typename(L, idx);
}

static wf_error *mismatch(lua_State *L, int idx, const path *p, const wf_wit_type *t)
{
    char *ts = wf_wit_type_str(t);
    wf_error *e = fail(p, "expected %s, got %s", ts, lua_kind(L, idx));
    free(ts);
    return e;
}

/* Keys exactly 1..n (n >= 0; the empty table is the empty list): what both
 * the WIT converters and json.encode treat as an array. */
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

/* ---- numbers ------------------------------------------------------------- */

/* A float for messages: the shortest text that reads back exactly. */
static void float_str(char *buf, size_t n, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

static wf_error *to_int(lua_State *L, int idx, const path *p, const wf_wit_type *t, wf_val *out)
{
    static const struct { int64_t min; uint64_t max; } range[] = {
        [WF_WIT_S8] = {INT8_MIN, INT8_MAX},     [WF_WIT_S16] = {INT16_MIN, INT16_MAX},
        [WF_WIT_S32] = {INT32_MIN, INT32_MAX},  [WF_WIT_S64] = {INT64_MIN, INT64_MAX},
        [WF_WIT_U8] = {0, UINT8_MAX},           [WF_WIT_U16] = {0, UINT16_MAX},
        [WF_WIT_U32] = {0, UINT32_MAX},         [WF_WIT_U64] = {0, UINT64_MAX},
    };
    if (lua_type(L, idx) != LUA_TNUMBER) return mismatch(L, idx, p, t);
    bool neg;
    uint64_t mag;   /* |value| */
    char shown[64]; /* the value as written in messages: formatted only for one */
    if (lua_isinteger(L, idx)) {
        lua_Integer i = lua_tointeger(L, idx);
        neg = i < 0;
        mag = neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d) || d != floor(d)) {
            float_str(shown, sizeof shown, d);
            char *ts = wf_wit_type_str(t);
            wf_error *e = fail(p, "%s is not an integer, expected %s", shown, ts);
            free(ts);
            return e;
        }
        neg = d < 0;
        double a = fabs(d);
        if (a >= 18446744073709551616.0) goto out_of_range;
        mag = (uint64_t)a;
    }
    if (neg ? (range[t->kind].min == 0 || mag > (uint64_t)0 - (uint64_t)range[t->kind].min)
            : mag > range[t->kind].max)
        goto out_of_range;
    out->kind = (uint8_t)t->kind;
    if (t->kind >= WF_WIT_U8) out->of.u = mag;
    else out->of.s = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
    return NULL;
out_of_range:;
    if (lua_isinteger(L, idx)) snprintf(shown, sizeof shown, "%lld", (long long)lua_tointeger(L, idx));
    else float_str(shown, sizeof shown, lua_tonumber(L, idx));
    char *ts = wf_wit_type_str(t);
    wf_error *e = fail(p, "%s is out of range for %s", shown, ts);
    free(ts);
    return e;
}

static wf_error *to_float(lua_State *L, int idx, const path *p, const wf_wit_type *t, wf_val *out)
{
    if (lua_type(L, idx) != LUA_TNUMBER) return mismatch(L, idx, p, t);
    double d = lua_tonumber(L, idx);
    if (t->kind == WF_WIT_F32) {
        if (isfinite(d) && fabs(d) > FLT_MAX)
        {
            char shown[64];
            float_str(shown, sizeof shown, d);
            return fail(p, "%s is out of range for f32", shown);
        }
        *out = wf_val_f32((float)d);
    } else {
        *out = wf_val_f64(d);
    }
    return NULL;
}

/* ---- names: kebab-case fields and cases, snake_case accepted ------------ */

static bool name_eq(const char *wit, const char *key, size_t klen)
{
    size_t i = 0;
    for (; wit[i] && i < klen; i++) {
        char a = wit[i], b = key[i];
        if (a == b || (a == '-' && b == '_')) continue;
        return false;
    }
    return !wit[i] && i == klen;
}

static const wf_wit_field *find_field(const wf_wit_type *t, const char *key, size_t klen, size_t *at)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (name_eq(t->fields[i].name, key, klen)) {
            *at = i;
            return &t->fields[i];
        }
    return NULL;
}

/* ---- typed conversion ---------------------------------------------------- */

static wf_error *to_typed(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out);

static wf_error *to_list(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    if (lua_type(L, idx) == LUA_TSTRING && t->elem->kind == WF_WIT_U8) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (t->len && n != t->len) return fail(p, "expected %u bytes, got a string of %zu", t->len, n);
        *out = wf_val_agg(WF_VAL_LIST, n);
        for (size_t i = 0; i < n; i++) out->of.agg.items[i] = wf_val_uint(WF_VAL_U8, (uint8_t)s[i]);
        return NULL;
    }
    size_t n;
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    if (!wf_lua_seq_len(L, idx, &n)) return fail(p, "expected a list (a table with keys 1..n)");
    if (t->len && n != t->len) return fail(p, "expected a list of exactly %u values, got %zu", t->len, n);
    *out = wf_val_agg(WF_VAL_LIST, n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        size_t old = path_index(p, i + 1);
        wf_error *e = to_typed(L, lua_gettop(L), t->elem, p, depth + 1, &out->of.agg.items[i]);
        path_pop(p, old);
        lua_pop(L, 1);
        if (e) { wf_val_free(out); return e; }
    }
    return NULL;
}

/* Map entries in key order, so that the same Lua table always gives the
 * same value whatever order lua_next visits it in. */
static int entry_cmp(const void *pa, const void *pb)
{
    const wf_val *a = &((const wf_val *)pa)->of.agg.items[0], *b = &((const wf_val *)pb)->of.agg.items[0];
    switch ((wf_val_kind)a->kind) {
    case WF_VAL_BOOL: return (int)a->of.b - (int)b->of.b;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64:
        return a->of.s < b->of.s ? -1 : a->of.s > b->of.s;
    case WF_VAL_STRING: {
        int c = memcmp(a->of.str.data, b->of.str.data, WF_MIN(a->of.str.len, b->of.str.len));
        return c ? c : a->of.str.len < b->of.str.len ? -1 : a->of.str.len > b->of.str.len;
    }
    default:   /* unsigned integers and chars */
        return a->of.u < b->of.u ? -1 : a->of.u > b->of.u;
    }
}

/* map<K, V> from a Lua table {[key] = value, ...}: entries sorted by key. */
static wf_error *to_map(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    const wf_wit_type *kt = t->elem->fields[0].type, *vt = t->elem->fields[1].type;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) { lua_pop(L, 1); n++; }
    *out = wf_val_agg(WF_VAL_LIST, n);
    size_t i = 0;
    wf_error *e = NULL;
    lua_pushnil(L);
    while (!e && lua_next(L, idx)) {
        wf_val *kv = &out->of.agg.items[i++];
        *kv = wf_val_agg(WF_VAL_TUPLE, 2);
        int top = lua_gettop(L);
        size_t old = path_push(p, "[key %zu]", i);
        e = to_typed(L, top - 1, kt, p, depth + 1, &kv->of.agg.items[0]);
        path_pop(p, old);
        if (!e) {
            old = path_push(p, "[%s]", lua_type(L, top - 1) == LUA_TSTRING ? lua_tostring(L, top - 1) : "?");
            e = to_typed(L, top, vt, p, depth + 1, &kv->of.agg.items[1]);
            path_pop(p, old);
        }
        lua_pop(L, e ? 2 : 1);
    }
    if (e) { wf_val_free(out); return e; }
    if (n > 1) qsort(out->of.agg.items, n, sizeof *out->of.agg.items, entry_cmp);
    return NULL;
}

static wf_error *to_tuple(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    size_t n;
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    if (!wf_lua_seq_len(L, idx, &n)) return fail(p, "expected a tuple (a table with keys 1..n)");
    if (n != t->nfields) return fail(p, "expected a tuple of %zu values, got %zu", t->nfields, n);
    *out = wf_val_agg(WF_VAL_TUPLE, n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        size_t old = path_index(p, i + 1);
        wf_error *e = to_typed(L, lua_gettop(L), t->fields[i].type, p, depth + 1, &out->of.agg.items[i]);
        path_pop(p, old);
        lua_pop(L, 1);
        if (e) { wf_val_free(out); return e; }
    }
    return NULL;
}

static wf_error *to_record(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    /* Every key must name a field: a typo is an error, not a silent drop. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        size_t at, klen;
        if (lua_type(L, -1) != LUA_TSTRING) {
            const char *kk = lua_kind(L, -1);
            lua_pop(L, 1);
            return fail(p, "a record takes string keys, got a %s key", kk);
        }
        const char *k = lua_tolstring(L, -1, &klen);
        if (!find_field(t, k, klen, &at)) {
            wf_error *e = fail(p, "unknown field `%s`", k);
            lua_pop(L, 1);
            return e;
        }
    }
    *out = wf_val_agg(WF_VAL_RECORD, t->nfields);
    for (size_t i = 0; i < t->nfields; i++) {
        const wf_wit_field *f = &t->fields[i];
        wf_val_set_name(out, i, f->name);
        lua_getfield(L, idx, f->name);
        if (lua_isnil(L, -1) && strchr(f->name, '-')) {
            lua_pop(L, 1);
            char *snake = wf_xstrdup(f->name);
            for (char *c = snake; *c; c++) if (*c == '-') *c = '_';
            lua_getfield(L, idx, snake);
            free(snake);
        }
        wf_error *e = NULL;
        size_t old = path_field(p, f->name);
        if (lua_isnil(L, -1) && f->type->kind != WF_WIT_OPTION)
            e = fail(p, "missing field");
        else
            e = to_typed(L, lua_gettop(L), f->type, p, depth + 1, &out->of.agg.items[i]);
        path_pop(p, old);
        lua_pop(L, 1);
        if (e) { wf_val_free(out); return e; }
    }
    return NULL;
}

/* The one key of a {case = payload} table: pushes key and value. */
static wf_error *single_key(lua_State *L, int idx, path *p, const char *what)
{
    lua_pushnil(L);
    if (!lua_next(L, idx)) return fail(p, "expected %s, got an empty table", what);
    lua_pushvalue(L, -2);
    if (lua_next(L, idx)) {
        lua_pop(L, 4);
        return fail(p, "expected %s, got a table with several keys", what);
    }
    if (lua_type(L, -2) != LUA_TSTRING) {
        lua_pop(L, 2);
        return fail(p, "expected %s, got a non-string key", what);
    }
    return NULL;
}

static wf_error *to_variant(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    size_t at, klen;
    if (lua_type(L, idx) == LUA_TSTRING) {
        /* A case without payload may be given by its bare name. */
        const char *k = lua_tolstring(L, idx, &klen);
        const wf_wit_field *f = find_field(t, k, klen, &at);
        if (!f) return fail(p, "unknown case `%s`", k);
        if (f->type) return fail(p, "case `%s` needs a payload: {%s = value}", f->name, f->name);
        *out = wf_val_case(WF_VAL_VARIANT, (uint32_t)at, f->name, NULL);
        return NULL;
    }
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    wf_error *e = single_key(L, idx, p, "a variant {case = payload}");
    if (e) return e;
    const char *k = lua_tolstring(L, -2, &klen);
    const wf_wit_field *f = find_field(t, k, klen, &at);
    if (!f) {
        e = fail(p, "unknown case `%s`", k);
        lua_pop(L, 2);
        return e;
    }
    wf_val payload = {0};
    if (f->type) {
        size_t old = path_field(p, f->name);
        e = to_typed(L, lua_gettop(L), f->type, p, depth + 1, &payload);
        path_pop(p, old);
    }
    lua_pop(L, 2);
    if (e) return e;
    *out = wf_val_case(WF_VAL_VARIANT, (uint32_t)at, f->name, f->type ? &payload : NULL);
    return NULL;
}

static wf_error *to_result(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    wf_error *e = single_key(L, idx, p, "a result {ok = v} or {err = e}");
    if (e) return e;
    const char *k = lua_tostring(L, -2);
    bool is_ok = strcmp(k, "ok") == 0;
    if (!is_ok && strcmp(k, "err") != 0) {
        e = fail(p, "expected a result {ok = v} or {err = e}, got key `%s`", k);
        lua_pop(L, 2);
        return e;
    }
    const wf_wit_type *pt = is_ok ? t->elem : t->err;
    wf_val payload = {0};
    if (pt) {
        size_t old = path_field(p, k);
        e = to_typed(L, lua_gettop(L), pt, p, depth + 1, &payload);
        path_pop(p, old);
    }
    lua_pop(L, 2);
    if (e) return e;
    *out = is_ok ? wf_val_ok(pt ? &payload : NULL) : wf_val_err(pt ? &payload : NULL);
    return NULL;
}

static wf_error *to_flags(lua_State *L, int idx, const wf_wit_type *t, path *p, wf_val *out)
{
    if (lua_type(L, idx) != LUA_TTABLE) return mismatch(L, idx, p, t);
    /* Either a list of names {"read", "write"} or a set {read = true}. */
    bool *set = wf_xcalloc(t->nfields ? t->nfields : 1, sizeof(bool));
    wf_error *e = NULL;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int name_at = lua_type(L, -2) == LUA_TSTRING ? -2 : -1;
        bool on = true;
        if (name_at == -2) {
            if (lua_type(L, -1) != LUA_TBOOLEAN) {
                e = fail(p, "a flags set takes booleans, got %s for `%s`", lua_kind(L, -1),
                         lua_tostring(L, -2));
                lua_pop(L, 2);
                break;
            }
            on = lua_toboolean(L, -1);
        } else if (lua_type(L, -1) != LUA_TSTRING) {
            e = fail(p, "expected flag names (strings), got %s", lua_kind(L, -1));
            lua_pop(L, 2);
            break;
        }
        size_t klen, at;
        const char *k = lua_tolstring(L, name_at, &klen);
        if (!find_field(t, k, klen, &at)) {
            e = fail(p, "unknown flag `%s`", k);
            lua_pop(L, 2);
            break;
        }
        if (on) set[at] = true;
        lua_pop(L, 1);
    }
    if (!e) {
        size_t n = 0;
        for (size_t i = 0; i < t->nfields; i++) n += set[i];
        *out = wf_val_agg(WF_VAL_FLAGS, n);
        n = 0;
        for (size_t i = 0; i < t->nfields; i++)
            if (set[i]) wf_val_set_name(out, n++, t->fields[i].name);
    }
    free(set);
    return e;
}

static wf_error *to_typed(lua_State *L, int idx, const wf_wit_type *t, path *p, int depth, wf_val *out)
{
    if (depth > WF_LUA_MAX_DEPTH) return fail(p, "nesting deeper than %d", WF_LUA_MAX_DEPTH);
    if (!lua_checkstack(L, 8)) return fail(p, "out of Lua stack");
    memset(out, 0, sizeof *out);
    int lt = lua_type(L, idx);
    switch (t->kind) {
    case WF_WIT_BOOL:
        if (lt != LUA_TBOOLEAN) return mismatch(L, idx, p, t);
        *out = wf_val_bool(lua_toboolean(L, idx));
        return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        return to_int(L, idx, p, t, out);
    case WF_WIT_F32: case WF_WIT_F64:
        return to_float(L, idx, p, t, out);
    case WF_WIT_CHAR: {
        size_t n;
        uint32_t cp;
        if (lt != LUA_TSTRING) return mismatch(L, idx, p, t);
        const char *s = lua_tolstring(L, idx, &n);
        if (n == 0 || wf_utf8_decode((const uint8_t *)s, n, &cp) != n)
            return fail(p, "expected char (a string of one character), got a string of %zu bytes", n);
        *out = wf_val_char(cp);
        return NULL;
    }
    case WF_WIT_STRING: {
        size_t n;
        if (lt != LUA_TSTRING) return mismatch(L, idx, p, t);
        const char *s = lua_tolstring(L, idx, &n);
        if (!wf_utf8_valid((const uint8_t *)s, n)) return fail(p, "string is not valid UTF-8");
        *out = wf_val_string(s, n);
        return NULL;
    }
    case WF_WIT_LIST: return to_list(L, idx, t, p, depth, out);
    case WF_WIT_MAP: return to_map(L, idx, t, p, depth, out);
    case WF_WIT_TUPLE: return to_tuple(L, idx, t, p, depth, out);
    case WF_WIT_RECORD: return to_record(L, idx, t, p, depth, out);
    case WF_WIT_VARIANT: return to_variant(L, idx, t, p, depth, out);
    case WF_WIT_ENUM: {
        size_t n, at;
        if (lt != LUA_TSTRING) return mismatch(L, idx, p, t);
        const char *s = lua_tolstring(L, idx, &n);
        const wf_wit_field *f = find_field(t, s, n, &at);
        if (!f) return fail(p, "unknown case `%s`", s);
        *out = wf_val_case(WF_VAL_ENUM, (uint32_t)at, f->name, NULL);
        return NULL;
    }
    case WF_WIT_OPTION: {
        if (lt == LUA_TNIL || lt == LUA_TNONE || wf_lua_is_json_null(L, idx)) {
            *out = wf_val_none();
            return NULL;
        }
        wf_val payload;
        wf_error *e = to_typed(L, idx, t->elem, p, depth + 1, &payload);
        if (e) return e;
        *out = wf_val_some(&payload);
        return NULL;
    }
    case WF_WIT_RESULT: return to_result(L, idx, t, p, depth, out);
    case WF_WIT_FLAGS: return to_flags(L, idx, t, p, out);
    case WF_WIT_OWN: case WF_WIT_BORROW:
        /* a handle only means something inside the instance that made it */
        return fail(p, "resource handles cannot be given from Lua");
    }
    return fail(p, "unsupported type");
}

wf_error *wf_lua_to_val(lua_State *L, int idx, const wf_wit_type *t, const char *what, wf_val *out)
{
    path p = {.len = 0};
    path_push(&p, "%s", what);
    idx = lua_absindex(L, idx);
    return to_typed(L, idx, t, &p, 0, out);
}

/* ---- untyped ------------------------------------------------------------- */

static wf_error *untyped(lua_State *L, int idx, path *p, int depth, wf_val *out)
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
        if (wf_lua_seq_len(L, idx, &n)) {
            *out = wf_val_agg(WF_VAL_LIST, n);
            for (size_t i = 0; i < n; i++) {
                lua_rawgeti(L, idx, (lua_Integer)i + 1);
                size_t old = path_index(p, i + 1);
                wf_error *e = untyped(L, lua_gettop(L), p, depth + 1, &out->of.agg.items[i]);
                path_pop(p, old);
                lua_pop(L, 1);
                if (e) { wf_val_free(out); return e; }
            }
            return NULL;
        }
        /* A record: string keys, in sorted order so output is stable. */
        WF_VEC(const char *) keys = {0};
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                const char *kk = lua_kind(L, -1);
                lua_pop(L, 1);
                wf_vec_free(&keys);
                return fail(p, "a table with keys other than 1..n must have string keys, got a %s key", kk);
            }
            wf_vec_push(&keys, lua_tostring(L, -1));   /* anchored in the table */
        }
        for (size_t i = 1; i < keys.len; i++)
            for (size_t j = i; j > 0 && strcmp(keys.data[j - 1], keys.data[j]) > 0; j--) {
                const char *tmp = keys.data[j];
                keys.data[j] = keys.data[j - 1];
                keys.data[j - 1] = tmp;
            }
        *out = wf_val_agg(WF_VAL_RECORD, keys.len);
        wf_error *e = NULL;
        for (size_t i = 0; i < keys.len && !e; i++) {
            wf_val_set_name(out, i, keys.data[i]);
            lua_getfield(L, idx, keys.data[i]);
            size_t old = path_field(p, keys.data[i]);
            e = untyped(L, lua_gettop(L), p, depth + 1, &out->of.agg.items[i]);
            path_pop(p, old);
            lua_pop(L, 1);
        }
        wf_vec_free(&keys);
        if (e) wf_val_free(out);
        return e;
    }
    default:
        break;
    }
    return fail(p, "cannot pass a %s", lua_kind(L, idx));
}

wf_error *wf_lua_to_val_untyped(lua_State *L, int idx, const char *what, wf_val *out)
{
    path p = {.len = 0};
    path_push(&p, "%s", what);
    return untyped(L, lua_absindex(L, idx), &p, 0, out);
}

/* ---- core numbers ---------------------------------------------------------- */

wf_error *wf_lua_to_core(lua_State *L, int idx, wf_valtype vt, const char *what, wf_val *out)
{
    path p = {.len = 0};
    path_push(&p, "%s", what);
    switch (vt.kind) {
    case WF_I32: case WF_I64: {
        /* i32/i64 are sign-agnostic: accept the signed and unsigned ranges. */
        bool is32 = vt.kind == WF_I32;
        wf_wit_type u = {.kind = is32 ? WF_WIT_U32 : WF_WIT_U64};
        wf_wit_type s = {.kind = is32 ? WF_WIT_S32 : WF_WIT_S64};
        if (lua_type(L, idx) != LUA_TNUMBER)
            return fail(&p, "expected %s, got %s", is32 ? "i32" : "i64", lua_kind(L, idx));
        wf_val v;
        bool negative = lua_isinteger(L, idx) ? lua_tointeger(L, idx) < 0 : lua_tonumber(L, idx) < 0;
        wf_error *e = to_int(L, idx, &p, negative ? &s : &u, &v);
        if (e) {
            wf_error_free(e);
            /* Re-run with the signed type for the message ("... for i32"). */
            char shown[64];
            if (lua_isinteger(L, idx)) snprintf(shown, sizeof shown, "%lld", (long long)lua_tointeger(L, idx));
            else float_str(shown, sizeof shown, lua_tonumber(L, idx));
            double d = lua_tonumber(L, idx);
            if (!lua_isinteger(L, idx) && (!isfinite(d) || d != floor(d)))
                return fail(&p, "%s is not an integer, expected %s", shown, is32 ? "i32" : "i64");
            return fail(&p, "%s is out of range for %s", shown, is32 ? "i32" : "i64");
        }
        if (is32) *out = wf_val_sint(WF_VAL_S32, (int32_t)(negative ? v.of.s : (int64_t)(uint32_t)v.of.u));
        else *out = wf_val_sint(WF_VAL_S64, negative ? v.of.s : (int64_t)v.of.u);
        return NULL;
    }
    case WF_F32: case WF_F64: {
        wf_wit_type t = {.kind = vt.kind == WF_F32 ? WF_WIT_F32 : WF_WIT_F64};
        if (lua_type(L, idx) != LUA_TNUMBER)
            return fail(&p, "expected %s, got %s", vt.kind == WF_F32 ? "f32" : "f64", lua_kind(L, idx));
        return to_float(L, idx, &p, &t, out);
    }
    default:
        return fail(&p, "parameters of this core type cannot be passed from Lua");
    }
}

/* ---- arguments by signature ------------------------------------------------ */

wf_error *wf_lua_args(lua_State *L, int first, int nargs, const wf_fn_sig *sig, wf_val **out)
{
    *out = NULL;
    size_t want = 0;
    if (sig && sig->wit) want = sig->wit->nparams;
    else if (sig && sig->core) want = sig->core->nparams;
    else want = (size_t)nargs;
    if ((size_t)nargs != want)
        return wf_error_new(WF_ERR_INVALID, "expected %zu argument%s, got %d", want,
                            want == 1 ? "" : "s", nargs);
    wf_val *args = wf_xcalloc(want ? want : 1, sizeof(wf_val));
    for (size_t i = 0; i < want; i++) {
        int idx = first + (int)i;
        char what[160];
        wf_error *e;
        if (sig && sig->wit) {
            snprintf(what, sizeof what, "parameter `%s`", sig->wit->params[i].name);
            e = wf_lua_to_val(L, idx, sig->wit->params[i].type, what, &args[i]);
        } else if (sig && sig->core) {
            snprintf(what, sizeof what, "parameter %zu", i + 1);
            e = wf_lua_to_core(L, idx, sig->core->params[i], what, &args[i]);
        } else {
            snprintf(what, sizeof what, "argument %zu", i + 1);
            e = wf_lua_to_val_untyped(L, idx, what, &args[i]);
        }
        if (e) {
            for (size_t j = 0; j < i; j++) wf_val_free(&args[j]);
            free(args);
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
        if (t && t->kind == WF_WIT_MAP) {   /* a table key -> value; a later duplicate key wins */
            lua_createtable(L, 0, (int)WF_MIN(n, (size_t)INT32_MAX));
            for (size_t i = 0; i < n; i++) {
                const wf_val *kv = &v->of.agg.items[i];
                if (kv->of.agg.len != 2) continue;
                push_val(L, &kv->of.agg.items[0], t->elem->fields[0].type, depth + 1);
                push_val(L, &kv->of.agg.items[1], t->elem->fields[1].type, depth + 1);
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
