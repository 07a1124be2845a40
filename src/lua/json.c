/*
 * json.c - the `json` built-in Lua module: json.encode(v) and json.decode(s),
 * written here (no lua-cjson). Both return (nil, err) on bad input, err an
 * error value of kind INVALID; neither raises.
 *
 * Mapping (documented in docs of SPEC §8 behaviour):
 *   encode: nil and json.null -> null; booleans; integers exactly, floats
 *   with 17 significant digits (NaN and infinities are errors); strings must
 *   be UTF-8; a table whose keys are exactly 1..n is an array, the empty
 *   table is [] (as in §3: an empty table is an empty list); any other table
 *   is an object whose keys must be strings (or integers, written as their
 *   decimal text), emitted in sorted order so output is deterministic.
 *   decode: strict RFC 8259; objects and arrays to tables; numbers without
 *   fraction or exponent that fit int64 to integers, others to floats;
 *   null to json.null inside arrays (so positions survive) and to a missing
 *   key inside objects; a top-level null to json.null.
 * Nesting deeper than WF_LUA_MAX_DEPTH is an error both ways (a cyclic
 * table is reported as too deep).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "base/utf8.h"
#include "base/buf.h"
#include "lua/lua_int.h"

bool wf_lua_is_json_null(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/* ---- encode ------------------------------------------------------------ */

typedef struct enc {
    lua_State *L;
    wf_buf out;
    char err[256];
} enc;

static bool enc_string(enc *e, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    wf_buf_byte(&e->out, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t len = wf_utf8_decode((const uint8_t *)s + i, n - i, NULL);
            if (!len) {
                snprintf(e->err, sizeof e->err, "json.encode: string is not valid UTF-8 (byte %zu)", i + 1);
                return false;
            }
            wf_buf_bytes(&e->out, s + i, len);
            i += len;
            continue;
        }
        switch (c) {
        case '"': wf_buf_str(&e->out, "\\\""); break;
        case '\\': wf_buf_str(&e->out, "\\\\"); break;
        case '\n': wf_buf_str(&e->out, "\\n"); break;
        case '\r': wf_buf_str(&e->out, "\\r"); break;
        case '\t': wf_buf_str(&e->out, "\\t"); break;
        case '\b': wf_buf_str(&e->out, "\\b"); break;
        case '\f': wf_buf_str(&e->out, "\\f"); break;
        default:
            if (c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                wf_buf_bytes(&e->out, u, 6);
            } else {
                wf_buf_byte(&e->out, c);
            }
        }
        i++;
    }
    wf_buf_byte(&e->out, '"');
    return true;
}

/* Shortest of %.15g/%.16g/%.17g that reads back exactly, so 0.1 stays 0.1. */
static void enc_float(enc *e, double d)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* Keep floats recognisable as floats when they read back (1.0, not 1). */
    if (!strpbrk(tmp, ".eE")) strcat(tmp, ".0");
    wf_buf_str(&e->out, tmp);
}

static bool enc_value(enc *e, int idx, int depth);

static int cmp_keys(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

static bool enc_object(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    /* Gather keys as strings in a fresh table (key text -> original key),
     * then emit sorted. */
    size_t nkeys = 0, cap = 16;
    const char **keys = wf_xmalloc(cap * sizeof *keys);
    lua_newtable(L);
    int map = lua_gettop(L);
    bool ok = true;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int kt = lua_type(L, -1);
        if (kt == LUA_TSTRING) {
            lua_pushvalue(L, -1);
        } else if (kt == LUA_TNUMBER && lua_isinteger(L, -1)) {
            lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -1));
        } else {
            snprintf(e->err, sizeof e->err, "json.encode: object key must be a string, not a %s",
                     luaL_typename(L, -1));
            lua_pop(L, 1);
            ok = false;
            break;
        }
        lua_pushvalue(L, -2);
        lua_settable(L, map);
    }
    if (ok) {
        lua_pushnil(L);
        while (lua_next(L, map)) {
            lua_pop(L, 1);
            if (nkeys == cap) keys = wf_xrealloc(keys, (cap *= 2) * sizeof *keys);
            keys[nkeys++] = lua_tostring(L, -1);  /* anchored in map */
        }
        qsort(keys, nkeys, sizeof *keys, cmp_keys);
        wf_buf_byte(&e->out, '{');
        for (size_t i = 0; i < nkeys && ok; i++) {
            if (i) wf_buf_byte(&e->out, ',');
            ok = enc_string(e, keys[i], strlen(keys[i]));
            if (!ok) break;
            wf_buf_byte(&e->out, ':');
            lua_getfield(L, map, keys[i]);
            lua_gettable(L, idx);
            ok = enc_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        wf_buf_byte(&e->out, '}');
    }
    free(keys);
    lua_settop(L, map - 1);
    return ok;
}

static bool enc_value(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    if (depth >= WF_LUA_MAX_DEPTH) {
        snprintf(e->err, sizeof e->err, "json.encode: nesting deeper than %d (or a cyclic table)",
                 WF_LUA_MAX_DEPTH);
        return false;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: wf_buf_str(&e->out, "null"); return true;
    case LUA_TBOOLEAN: wf_buf_str(&e->out, lua_toboolean(L, idx) ? "true" : "false"); return true;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, idx));
            wf_buf_str(&e->out, tmp);
        } else {
            double d = lua_tonumber(L, idx);
            if (!isfinite(d)) {
                snprintf(e->err, sizeof e->err, "json.encode: %s has no JSON form",
                         isnan(d) ? "NaN" : "infinity");
                return false;
            }
            enc_float(e, d);
        }
        return true;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return enc_string(e, s, n);
    }
    case LUA_TLIGHTUSERDATA:
        if (wf_lua_is_json_null(L, idx)) {
            wf_buf_str(&e->out, "null");
            return true;
        }
        break;
    case LUA_TTABLE: {
        luaL_checkstack(L, 8, "json.encode");
        size_t n;
        if (!wf_lua_seq_len(L, idx, &n)) return enc_object(e, idx, depth);
        wf_buf_byte(&e->out, '[');
        for (size_t i = 1; i <= n; i++) {
            if (i > 1) wf_buf_byte(&e->out, ',');
            lua_rawgeti(L, idx, (lua_Integer)i);
            bool ok = enc_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
            if (!ok) return false;
        }
        wf_buf_byte(&e->out, ']');
        return true;
    }
    default:
        break;
    }
    snprintf(e->err, sizeof e->err, "json.encode: cannot encode a %s", luaL_typename(L, idx));
    return false;
}

static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    enc e = {.L = L};
    bool ok = enc_value(&e, 1, 0);
    if (!ok) {
        wf_buf_free(&e.out);
        return wf_lua_fail(L, WF_ERR_INVALID, "%s", e.err);
    }
    lua_pushlstring(L, (const char *)e.out.data, e.out.len);
    wf_buf_free(&e.out);
    return 1;
}

/* ---- decode ------------------------------------------------------------ */

typedef struct dec {
    lua_State *L;
    const char *s, *p, *end;
    wf_buf tmp;
    char err[256];
} dec;

static bool dec_fail(dec *d, const char *what)
{
    if (d->p >= d->end)
        snprintf(d->err, sizeof d->err, "json.decode: %s at end of input", what);
    else
        snprintf(d->err, sizeof d->err, "json.decode: %s at byte %zu", what,
                 (size_t)(d->p - d->s) + 1);
    return false;
}

static void skip_ws(dec *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(dec *d, uint32_t *out)
{
    if (d->end - d->p < 4) return dec_fail(d, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(d->p[i]);
        if (h < 0) return dec_fail(d, "bad \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    d->p += 4;
    *out = v;
    return true;
}

/* Push the string starting at d->p (just past the opening quote). */
static bool dec_string(dec *d)
{
    d->tmp.len = 0;
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            d->p++;
            lua_pushlstring(d->L, (const char *)d->tmp.data, d->tmp.len);
            return true;
        }
        if (c < 0x20) return dec_fail(d, "control character in string");
        if (c >= 0x80) {
            size_t len = wf_utf8_decode((const uint8_t *)d->p, (size_t)(d->end - d->p), NULL);
            if (!len) return dec_fail(d, "invalid UTF-8 in string");
            wf_buf_bytes(&d->tmp, d->p, len);
            d->p += len;
            continue;
        }
        if (c != '\\') {
            wf_buf_byte(&d->tmp, c);
            d->p++;
            continue;
        }
        d->p++;
        if (d->p >= d->end) break;
        char esc = *d->p++;
        switch (esc) {
        case '"': wf_buf_byte(&d->tmp, '"'); break;
        case '\\': wf_buf_byte(&d->tmp, '\\'); break;
        case '/': wf_buf_byte(&d->tmp, '/'); break;
        case 'b': wf_buf_byte(&d->tmp, '\b'); break;
        case 'f': wf_buf_byte(&d->tmp, '\f'); break;
        case 'n': wf_buf_byte(&d->tmp, '\n'); break;
        case 'r': wf_buf_byte(&d->tmp, '\r'); break;
        case 't': wf_buf_byte(&d->tmp, '\t'); break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(d, &cp)) return false;
            if (cp >= 0xdc00 && cp <= 0xdfff) return dec_fail(d, "lone low surrogate in \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (d->end - d->p < 2 || d->p[0] != '\\' || d->p[1] != 'u')
                    return dec_fail(d, "lone high surrogate in \\u escape");
                d->p += 2;
                if (!read_hex4(d, &lo)) return false;
                if (lo < 0xdc00 || lo > 0xdfff) return dec_fail(d, "bad surrogate pair in \\u escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            wf_utf8_put(&d->tmp, cp);
            break;
        }
        default:
            d->p--;
            return dec_fail(d, "bad escape in string");
        }
    }
    return dec_fail(d, "unterminated string");
}

static bool dec_number(dec *d)
{
    const char *start = d->p, *q = d->p;
    bool is_float = false;
    if (q < d->end && *q == '-') q++;
    if (q < d->end && *q == '0') {
        q++;
    } else if (q < d->end && *q >= '1' && *q <= '9') {
        while (q < d->end && *q >= '0' && *q <= '9') q++;
    } else {
        return dec_fail(d, "bad number");
    }
    if (q < d->end && *q == '.') {
        is_float = true;
        q++;
        if (q >= d->end || *q < '0' || *q > '9') { d->p = q; return dec_fail(d, "bad number"); }
        while (q < d->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < d->end && (*q == 'e' || *q == 'E')) {
        is_float = true;
        q++;
        if (q < d->end && (*q == '+' || *q == '-')) q++;
        if (q >= d->end || *q < '0' || *q > '9') { d->p = q; return dec_fail(d, "bad number"); }
        while (q < d->end && *q >= '0' && *q <= '9') q++;
    }
    size_t n = (size_t)(q - start);
    if (n > 400) return dec_fail(d, "number too long");
    char tmp[402];
    memcpy(tmp, start, n);
    tmp[n] = 0;
    d->p = q;
    if (!is_float) {
        /* Integers that fit int64 stay integers; larger ones become floats. */
        errno = 0;
        char *endp;
        long long v = strtoll(tmp, &endp, 10);
        if (errno == 0) {
            lua_pushinteger(d->L, (lua_Integer)v);
            return true;
        }
    }
    lua_pushnumber(d->L, strtod(tmp, NULL));
    return true;
}

static bool dec_value(dec *d, int depth);

static bool dec_literal(dec *d, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
        return dec_fail(d, "unexpected character");
    d->p += n;
    return true;
}

static bool dec_array(dec *d, int depth)
{
    lua_State *L = d->L;
    lua_newtable(L);
    lua_Integer i = 0;
    skip_ws(d);
    if (d->p < d->end && *d->p == ']') { d->p++; return true; }
    for (;;) {
        if (!dec_value(d, depth + 1)) return false;
        if (lua_isnil(L, -1)) {        /* null keeps its slot */
            lua_pop(L, 1);
            lua_pushlightuserdata(L, WF_LUA_JSON_NULL);
        }
        lua_rawseti(L, -2, ++i);
        skip_ws(d);
        if (d->p < d->end && *d->p == ',') { d->p++; continue; }
        if (d->p < d->end && *d->p == ']') { d->p++; return true; }
        return dec_fail(d, "expected ',' or ']'");
    }
}

static bool dec_object(dec *d, int depth)
{
    lua_State *L = d->L;
    lua_newtable(L);
    skip_ws(d);
    if (d->p < d->end && *d->p == '}') { d->p++; return true; }
    for (;;) {
        skip_ws(d);
        if (d->p >= d->end || *d->p != '"') return dec_fail(d, "expected a string key");
        d->p++;
        if (!dec_string(d)) return false;
        skip_ws(d);
        if (d->p >= d->end || *d->p != ':') return dec_fail(d, "expected ':'");
        d->p++;
        if (!dec_value(d, depth + 1)) return false;
        lua_rawset(L, -3);             /* a nil value (null) leaves the key absent */
        skip_ws(d);
        if (d->p < d->end && *d->p == ',') { d->p++; continue; }
        if (d->p < d->end && *d->p == '}') { d->p++; return true; }
        return dec_fail(d, "expected ',' or '}'");
    }
}

/* Push one value; JSON null pushes nil (callers decide its form). */
static bool dec_value(dec *d, int depth)
{
    if (depth >= WF_LUA_MAX_DEPTH) {
        snprintf(d->err, sizeof d->err, "json.decode: nesting deeper than %d", WF_LUA_MAX_DEPTH);
        return false;
    }
    luaL_checkstack(d->L, 6, "json.decode");
    skip_ws(d);
    if (d->p >= d->end) return dec_fail(d, "expected a value");
    switch (*d->p) {
    case '{': d->p++; return dec_object(d, depth);
    case '[': d->p++; return dec_array(d, depth);
    case '"': d->p++; return dec_string(d);
    case 't': if (!dec_literal(d, "true")) return false; lua_pushboolean(d->L, 1); return true;
    case 'f': if (!dec_literal(d, "false")) return false; lua_pushboolean(d->L, 0); return true;
    case 'n': if (!dec_literal(d, "null")) return false; lua_pushnil(d->L); return true;
    default:
        if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9')) return dec_number(d);
        return dec_fail(d, "unexpected character");
    }
}

static int json_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lua_settop(L, 1);
    dec d = {.L = L, .s = s, .p = s, .end = s + n};
    bool ok = dec_value(&d, 0);
    if (ok) {
        skip_ws(&d);
        if (d.p < d.end) ok = dec_fail(&d, "trailing characters");
    }
    wf_buf_free(&d.tmp);
    if (!ok) {
        lua_settop(L, 1);
        return wf_lua_fail(L, WF_ERR_INVALID, "%s", d.err);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushlightuserdata(L, WF_LUA_JSON_NULL);
    }
    return 1;
}

int wf_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"encode", json_encode}, {"decode", json_decode}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_pushlightuserdata(L, WF_LUA_JSON_NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
