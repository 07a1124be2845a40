/*
 * json.c - JSON text <-> wf_val (json.h).
 *
 * Input is parsed first into an untyped wf_val tree (objects as RECORD,
 * arrays as LIST, numbers as S64/U64/F64, null as none), with nesting
 * bounded by WF_JSON_MAX_DEPTH; the typed conversion then walks that tree
 * along the WIT type. Output prints any wf_val without its type.
 */
#include "base/utf8.h"
#include "component/json.h"
#include "base/buf.h"
#include "base/vec.h"
#include "base/error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* ---- Parsing ------------------------------------------------------------ */

typedef struct jp {
    const char *s, *p, *end;
    const char *what;
} jp;

static wf_error *jerr(jp *j, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *jerr(jp *j, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_new(WF_ERR_INVALID, "%s: invalid JSON at offset %zu: %s", j->what,
                        (size_t)(j->p - j->s), msg);
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static bool lit(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n)) return false;
    j->p += n;
    return true;
}

static int hex4(const char *p)
{
    int x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= c - '0';
        else if (c >= 'a' && c <= 'f') x |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') x |= c - 'A' + 10;
        else return -1;
    }
    return x;
}

static wf_error *parse_string(jp *j, wf_val *out)
{
    wf_buf b = {0};
    j->p++;   /* the opening quote */
    for (;;) {
        if (j->p >= j->end) { wf_buf_free(&b); return jerr(j, "unterminated string"); }
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') { j->p++; break; }
        if (c < 0x20) { wf_buf_free(&b); return jerr(j, "control character in string"); }
        if (c != '\\') {
            uint32_t cp;
            size_t n = wf_utf8_decode((const uint8_t *)j->p, (size_t)(j->end - j->p), &cp);
            if (!n) { wf_buf_free(&b); return jerr(j, "invalid UTF-8 in string"); }
            wf_buf_bytes(&b, j->p, n);
            j->p += n;
            continue;
        }
        if (j->end - j->p < 2) { wf_buf_free(&b); return jerr(j, "unterminated string"); }
        char e = j->p[1];
        j->p += 2;
        const char *simple = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = strchr(simple, e);
        if (e && k) { wf_buf_byte(&b, (uint8_t)to[k - simple]); continue; }
        if (e != 'u') { j->p -= 2; wf_buf_free(&b); return jerr(j, "invalid escape `\\%c`", e); }
        int u = j->end - j->p >= 4 ? hex4(j->p) : -1;
        if (u < 0) { wf_buf_free(&b); return jerr(j, "invalid \\u escape"); }
        j->p += 4;
        uint32_t cp = (uint32_t)u;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' ? hex4(j->p + 2) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) { wf_buf_free(&b); return jerr(j, "unpaired surrogate in \\u escape"); }
            j->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            wf_buf_free(&b);
            return jerr(j, "unpaired surrogate in \\u escape");
        }
        wf_utf8_put(&b, cp);
    }
    *out = wf_val_string(b.data ? (const char *)b.data : "", b.len);
    wf_buf_free(&b);
    return NULL;
}

static wf_error *parse_number(jp *j, wf_val *out)
{
    const char *start = j->p;
    bool is_int = true;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) return jerr(j, "invalid number");
    if (*j->p == '0') j->p++;
    else while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    if (j->p < j->end && *j->p == '.') {
        is_int = false;
        j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) return jerr(j, "invalid number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        is_int = false;
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) return jerr(j, "invalid number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    char buf[400];
    size_t n = (size_t)(j->p - start);
    if (n >= sizeof buf) return jerr(j, "number too long");
    memcpy(buf, start, n);
    buf[n] = 0;
    errno = 0;
    if (is_int && buf[0] == '-') {
        long long x = strtoll(buf, NULL, 10);
        if (!errno) { *out = wf_val_sint(WF_VAL_S64, x); return NULL; }
    } else if (is_int) {
        unsigned long long x = strtoull(buf, NULL, 10);
        if (!errno) {
            *out = x <= INT64_MAX ? wf_val_sint(WF_VAL_S64, (int64_t)x) : wf_val_uint(WF_VAL_U64, x);
            return NULL;
        }
    }
    *out = wf_val_f64(strtod(buf, NULL));
    return NULL;
}

static wf_error *parse_value(jp *j, wf_val *out, int depth)
{
    ws(j);
    if (j->p >= j->end) return jerr(j, "unexpected end of input");
    if (depth > WF_JSON_MAX_DEPTH) return jerr(j, "nested more than %d levels deep", WF_JSON_MAX_DEPTH);
    char c = *j->p;
    wf_error *e = NULL;
    if (c == '"') return parse_string(j, out);
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(j, out);
    if (lit(j, "true")) { *out = wf_val_bool(true); return NULL; }
    if (lit(j, "false")) { *out = wf_val_bool(false); return NULL; }
    if (lit(j, "null")) { *out = wf_val_none(); return NULL; }
    if (c != '[' && c != '{') return jerr(j, "unexpected character `%c`", c);
    bool obj = c == '{';
    j->p++;
    WF_VEC(wf_val) items = {0};
    WF_VEC(char *) names = {0};
    ws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
        j->p++;
    } else {
        for (;;) {
            ws(j);
            if (obj) {
                wf_val key;
                if (j->p >= j->end || *j->p != '"') { e = jerr(j, "expected a string key"); break; }
                if ((e = parse_string(j, &key))) break;
                for (size_t i = 0; i < names.len; i++)
                    if (strcmp(names.data[i], key.of.str.data) == 0) {
                        e = jerr(j, "duplicate key \"%s\"", key.of.str.data);
                        break;
                    }
                wf_vec_push(&names, key.of.str.data);   /* take the string */
                if (e) break;
                ws(j);
                if (j->p >= j->end || *j->p != ':') { e = jerr(j, "expected `:`"); break; }
                j->p++;
            }
            wf_val v = {0};
            if ((e = parse_value(j, &v, depth + 1))) break;
            wf_vec_push(&items, v);
            ws(j);
            if (j->p < j->end && *j->p == ',') { j->p++; continue; }
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) { j->p++; break; }
            e = jerr(j, obj ? "expected `,` or `}`" : "expected `,` or `]`");
            break;
        }
    }
    wf_val v = wf_val_agg(obj ? WF_VAL_RECORD : WF_VAL_LIST, 0);
    v.of.agg.items = items.data;
    v.of.agg.len = items.len;
    if (obj) {
        /* names may be one longer than items when the error hit after a key */
        for (size_t i = items.len; i < names.len; i++) free(names.data[i]);
        v.of.agg.names = names.data;
    }
    if (e) { wf_val_free(&v); return e; }
    *out = v;
    return NULL;
}

static wf_error *parse_doc(const char *text, size_t len, const char *what, wf_val *out)
{
    jp j = { text, text, text + len, what ? what : "value" };
    memset(out, 0, sizeof *out);
    wf_error *e = parse_value(&j, out, 0);
    if (e) return e;
    ws(&j);
    if (j.p < j.end) {
        wf_val_free(out);
        return jerr(&j, "unexpected text after the value");
    }
    return NULL;
}

wf_error *wf_json_to_val_untyped(const char *text, size_t len, const char *what, wf_val *out)
{
    return parse_doc(text, len, what, out);
}

/* ---- Typed conversion ----------------------------------------------------- */

typedef struct conv {
    wf_buf path;   /* "parameter `x`[1].name", NUL-terminated */
} conv;

static size_t cpush(conv *c, const char *fmt, ...) WF_PRINTF(2, 3);
static size_t cpush(conv *c, const char *fmt, ...)
{
    size_t old = c->path.len;
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (old) c->path.len--;
    wf_buf_bytes(&c->path, tmp, (size_t)WF_MIN(n, (int)sizeof tmp - 1));
    wf_buf_byte(&c->path, 0);
    return old;
}

static void cpop(conv *c, size_t len)
{
    c->path.len = len;
    if (len) c->path.data[len - 1] = 0;
}

static const char *jkind(const wf_val *j)
{
    switch (j->kind) {
    case WF_VAL_BOOL: return "a boolean";
    case WF_VAL_S64: case WF_VAL_U64: case WF_VAL_F64: return "a number";
    case WF_VAL_STRING: return "a string";
    case WF_VAL_LIST: return "an array";
    case WF_VAL_RECORD: return "an object";
    default: return "null";
    }
}

static wf_error *cerr(conv *c, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *cerr(conv *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_new(WF_ERR_INVALID, "%s: %s", (const char *)c->path.data, msg);
}

static wf_error *expected(conv *c, const wf_wit_type *t, const wf_val *j, const char *form)
{
    char *ts = wf_wit_type_str(t);
    wf_error *e = cerr(c, "expected %s%s, got %s", form ? form : ts, form ? "" : "", jkind(j));
    free(ts);
    return e;
}

static bool key_eq(const char *key, const char *name)
{
    for (; *key && *name; key++, name++)
        if ((*key == '_' ? '-' : *key) != *name) return false;
    return *key == *name;
}

static bool is_null(const wf_val *j) { return j->kind == WF_VAL_OPTION; }

static wf_error *to_typed(conv *c, const wf_wit_type *t, const wf_val *j, wf_val *out);

static wf_error *to_int(conv *c, const wf_wit_type *t, const wf_val *j, wf_val *out)
{
    static const struct { int64_t lo; uint64_t hi; } range[] = {
        [WF_WIT_S8] = { INT8_MIN, INT8_MAX }, [WF_WIT_S16] = { INT16_MIN, INT16_MAX },
        [WF_WIT_S32] = { INT32_MIN, INT32_MAX }, [WF_WIT_S64] = { INT64_MIN, INT64_MAX },
        [WF_WIT_U8] = { 0, UINT8_MAX }, [WF_WIT_U16] = { 0, UINT16_MAX },
        [WF_WIT_U32] = { 0, UINT32_MAX }, [WF_WIT_U64] = { 0, UINT64_MAX },
    };
    const char *tn = wf_val_kind_name((wf_val_kind)t->kind);
    bool neg;
    int64_t s = 0;
    uint64_t u = 0;
    if (j->kind == WF_VAL_S64) { neg = j->of.s < 0; s = j->of.s; u = (uint64_t)j->of.s; }
    else if (j->kind == WF_VAL_U64) { neg = false; u = j->of.u; }
    else if (j->kind == WF_VAL_F64) {
        double d = j->of.f64;
        if (d != floor(d) || !isfinite(d)) return cerr(c, "%g is not an integer (expected %s)", d, tn);
        if (d < -9223372036854775808.0 || d >= 18446744073709551616.0)
            return cerr(c, "%g is out of range for %s", d, tn);
        neg = d < 0;
        if (neg) s = (int64_t)d; else u = (uint64_t)d;
    } else {
        return expected(c, t, j, NULL);
    }
    bool ok = neg ? s >= range[t->kind].lo : u <= range[t->kind].hi;
    if (!ok) {
        if (neg) return cerr(c, "%lld is out of range for %s", (long long)s, tn);
        return cerr(c, "%llu is out of range for %s", (unsigned long long)u, tn);
    }
    bool is_signed = t->kind <= WF_WIT_S64;
    *out = is_signed ? wf_val_sint((wf_val_kind)t->kind, neg ? s : (int64_t)u)
                     : wf_val_uint((wf_val_kind)t->kind, u);
    return NULL;
}

static wf_error *to_float(conv *c, const wf_wit_type *t, const wf_val *j, wf_val *out)
{
    double d;
    if (j->kind == WF_VAL_S64) d = (double)j->of.s;
    else if (j->kind == WF_VAL_U64) d = (double)j->of.u;
    else if (j->kind == WF_VAL_F64) d = j->of.f64;
    else if (j->kind == WF_VAL_STRING && strcmp(j->of.str.data, "nan") == 0) d = NAN;
    else if (j->kind == WF_VAL_STRING && strcmp(j->of.str.data, "inf") == 0) d = INFINITY;
    else if (j->kind == WF_VAL_STRING && strcmp(j->of.str.data, "-inf") == 0) d = -INFINITY;
    else return expected(c, t, j, NULL);
    *out = t->kind == WF_WIT_F32 ? wf_val_f32((float)d) : wf_val_f64(d);
    return NULL;
}

/* Payload of case i of a variant-like type. */
static const wf_wit_type *payload_type(const wf_wit_type *t, size_t i)
{
    if (t->kind == WF_WIT_RESULT) return i == 0 ? t->elem : t->err;
    return t->fields[i].type;
}

static wf_error *to_case(conv *c, const wf_wit_type *t, uint32_t i, const char *name,
                         const wf_val *payload, wf_val *out)
{
    const wf_wit_type *pt = payload_type(t, i);
    if (!pt) {
        if (payload && !is_null(payload) && !(payload->kind == WF_VAL_BOOL && payload->of.b))
            return cerr(c, "case `%s` has no payload (give true or null)", name);
        *out = wf_val_case((wf_val_kind)t->kind, i, name, NULL);
        return NULL;
    }
    wf_val p = {0};
    size_t old = cpush(c, ".%s", name);
    wf_error *e = to_typed(c, pt, payload, &p);
    cpop(c, old);
    if (e) return e;
    *out = wf_val_case((wf_val_kind)t->kind, i, name, &p);
    return NULL;
}

static wf_error *to_typed(conv *c, const wf_wit_type *t, const wf_val *j, wf_val *out)
{
    wf_error *e = NULL;
    switch (t->kind) {
    case WF_WIT_BOOL:
        if (j->kind != WF_VAL_BOOL) return expected(c, t, j, NULL);
        *out = wf_val_bool(j->of.b);
        return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        return to_int(c, t, j, out);
    case WF_WIT_F32: case WF_WIT_F64:
        return to_float(c, t, j, out);
    case WF_WIT_CHAR: {
        uint32_t cp = 0;
        if (j->kind != WF_VAL_STRING) return expected(c, t, j, NULL);
        size_t n = j->of.str.len ? wf_utf8_decode((const uint8_t *)j->of.str.data, j->of.str.len, &cp) : 0;
        if (!n || n != j->of.str.len) return cerr(c, "expected a string of exactly one character");
        *out = wf_val_char(cp);
        return NULL;
    }
    case WF_WIT_STRING:
        if (j->kind != WF_VAL_STRING) return expected(c, t, j, NULL);
        *out = wf_val_string(j->of.str.data, j->of.str.len);
        return NULL;
    case WF_WIT_MAP:
        if (j->kind == WF_VAL_RECORD && t->elem->fields[0].type->kind == WF_WIT_STRING) {
            /* map<string, V> from an object: one (key, value) entry a member, in order */
            *out = wf_val_agg(WF_VAL_LIST, j->of.agg.len);
            for (size_t i = 0; !e && i < j->of.agg.len; i++) {
                wf_val *kv = &out->of.agg.items[i];
                *kv = wf_val_agg(WF_VAL_TUPLE, 2);
                const char *k = j->of.agg.names[i] ? j->of.agg.names[i] : "";
                kv->of.agg.items[0] = wf_val_string(k, strlen(k));
                size_t old = cpush(c, ".%s", k);
                e = to_typed(c, t->elem->fields[1].type, &j->of.agg.items[i], &kv->of.agg.items[1]);
                cpop(c, old);
            }
            if (e) wf_val_free(out);
            return e;
        }
        /* else an array of [key, value] pairs, as list<tuple<K, V>> */
        if (j->kind != WF_VAL_LIST) return expected(c, t, j, "an array of [key, value] pairs");
        /* fall through */
    case WF_WIT_LIST:
        if (t->kind == WF_WIT_LIST && j->kind == WF_VAL_STRING && t->elem->kind == WF_WIT_U8 &&
            (!t->len || j->of.str.len == t->len)) {
            *out = wf_val_agg(WF_VAL_LIST, j->of.str.len);
            for (size_t i = 0; i < j->of.str.len; i++)
                out->of.agg.items[i] = wf_val_uint(WF_VAL_U8, (uint8_t)j->of.str.data[i]);
            return NULL;
        }
        /* fall through */
    case WF_WIT_TUPLE: {
        if (j->kind != WF_VAL_LIST) return expected(c, t, j, t->kind == WF_WIT_LIST ? "an array" : NULL);
        if (t->kind == WF_WIT_TUPLE && j->of.agg.len != t->nfields)
            return cerr(c, "expected an array of %zu items, got %zu", t->nfields, j->of.agg.len);
        if (t->kind == WF_WIT_LIST && t->len && j->of.agg.len != t->len)
            return cerr(c, "expected an array of %u items, got %zu", t->len, j->of.agg.len);
        *out = wf_val_agg(t->kind == WF_WIT_TUPLE ? WF_VAL_TUPLE : WF_VAL_LIST, j->of.agg.len);
        for (size_t i = 0; !e && i < j->of.agg.len; i++) {
            size_t old = cpush(c, "[%zu]", i);
            e = to_typed(c, t->kind != WF_WIT_TUPLE ? t->elem : t->fields[i].type, &j->of.agg.items[i],
                         &out->of.agg.items[i]);
            cpop(c, old);
        }
        if (e) wf_val_free(out);
        return e;
    }
    case WF_WIT_RECORD: {
        if (j->kind != WF_VAL_RECORD) return expected(c, t, j, NULL);
        for (size_t k = 0; k < j->of.agg.len; k++) {
            bool known = false;
            for (size_t i = 0; i < t->nfields && !known; i++) known = key_eq(j->of.agg.names[k], t->fields[i].name);
            if (!known) return cerr(c, "unknown field \"%s\" for %s", j->of.agg.names[k], t->name);
        }
        *out = wf_val_agg(WF_VAL_RECORD, t->nfields);
        for (size_t i = 0; !e && i < t->nfields; i++) {
            wf_val_set_name(out, i, t->fields[i].name);
            const wf_val *f = NULL;
            for (size_t k = 0; k < j->of.agg.len && !f; k++)
                if (key_eq(j->of.agg.names[k], t->fields[i].name)) f = &j->of.agg.items[k];
            if (!f && t->fields[i].type->kind == WF_WIT_OPTION) {
                out->of.agg.items[i] = wf_val_none();   /* an absent optional field is none */
                continue;
            }
            if (!f) { e = cerr(c, "missing field \"%s\" of %s", t->fields[i].name, t->name); break; }
            size_t old = cpush(c, ".%s", t->fields[i].name);
            e = to_typed(c, t->fields[i].type, f, &out->of.agg.items[i]);
            cpop(c, old);
        }
        if (e) wf_val_free(out);
        return e;
    }
    case WF_WIT_ENUM:
        if (j->kind != WF_VAL_STRING) return expected(c, t, j, NULL);
        for (size_t i = 0; i < t->nfields; i++)
            if (key_eq(j->of.str.data, t->fields[i].name)) {
                *out = wf_val_case(WF_VAL_ENUM, (uint32_t)i, t->fields[i].name, NULL);
                return NULL;
            }
        return cerr(c, "\"%s\" is not a case of %s", j->of.str.data, t->name);
    case WF_WIT_VARIANT: case WF_WIT_RESULT: {
        const char *key;
        const wf_val *payload = NULL;
        if (j->kind == WF_VAL_STRING) key = j->of.str.data;      /* a case without payload */
        else if (j->kind == WF_VAL_RECORD && j->of.agg.len == 1) {
            key = j->of.agg.names[0];
            payload = &j->of.agg.items[0];
        } else {
            return expected(c, t, j, t->kind == WF_WIT_RESULT ? "{\"ok\": ...} or {\"err\": ...}"
                                                               : "an object with one case");
        }
        if (t->kind == WF_WIT_RESULT) {
            if (strcmp(key, "ok") && strcmp(key, "err"))
                return cerr(c, "expected {\"ok\": ...} or {\"err\": ...}, got \"%s\"", key);
            uint32_t i = strcmp(key, "ok") ? 1 : 0;
            if (!payload && payload_type(t, i)) return cerr(c, "case `%s` needs a payload", key);
            return to_case(c, t, i, i ? "err" : "ok", payload, out);
        }
        for (size_t i = 0; i < t->nfields; i++)
            if (key_eq(key, t->fields[i].name)) {
                if (!payload && t->fields[i].type) return cerr(c, "case `%s` needs a payload", t->fields[i].name);
                return to_case(c, t, (uint32_t)i, t->fields[i].name, payload, out);
            }
        return cerr(c, "\"%s\" is not a case of %s", key, t->name);
    }
    case WF_WIT_OPTION: {
        if (is_null(j)) { *out = wf_val_none(); return NULL; }
        wf_val p = {0};
        if ((e = to_typed(c, t->elem, j, &p))) return e;
        *out = wf_val_some(&p);
        return NULL;
    }
    case WF_WIT_FLAGS: {
        WF_VEC(const char *) set = {0};
        if (j->kind == WF_VAL_RECORD) {
            for (size_t k = 0; k < j->of.agg.len; k++) {
                const wf_val *b = &j->of.agg.items[k];
                if (b->kind != WF_VAL_BOOL) { e = cerr(c, "flag \"%s\": expected true or false", j->of.agg.names[k]); break; }
                if (b->of.b) wf_vec_push(&set, j->of.agg.names[k]);
            }
        } else if (j->kind == WF_VAL_LIST) {
            for (size_t k = 0; k < j->of.agg.len && !e; k++) {
                if (j->of.agg.items[k].kind != WF_VAL_STRING) e = cerr(c, "expected flag names");
                else wf_vec_push(&set, j->of.agg.items[k].of.str.data);
            }
        } else {
            return expected(c, t, j, "an object of true (flags)");
        }
        uint32_t bits = 0;
        for (size_t k = 0; !e && k < set.len; k++) {
            size_t i = 0;
            while (i < t->nfields && !key_eq(set.data[k], t->fields[i].name)) i++;
            if (i == t->nfields) e = cerr(c, "\"%s\" is not a flag of %s", set.data[k], t->name);
            else bits |= 1u << i;
        }
        wf_vec_free(&set);
        if (e) return e;
        size_t n = 0;
        for (size_t i = 0; i < t->nfields; i++) n += bits >> i & 1;
        *out = wf_val_agg(WF_VAL_FLAGS, n);
        n = 0;
        for (size_t i = 0; i < t->nfields; i++)
            if (bits >> i & 1) wf_val_set_name(out, n++, t->fields[i].name);
        return NULL;
    }
    case WF_WIT_OWN: case WF_WIT_BORROW:
        /* a handle only means something inside the instance that made it */
        return cerr(c, "resource handles cannot be given as JSON");
    }
    return cerr(c, "unsupported type kind %d", t->kind);
}

wf_error *wf_json_to_val(const char *text, size_t len, const wf_wit_type *type, const char *what, wf_val *out)
{
    char *w = wf_xasprintf("parameter `%s`", what ? what : "?");
    wf_val j;
    wf_error *e = parse_doc(text, len, w, &j);
    memset(out, 0, sizeof *out);
    if (!e) {
        conv c = {0};
        cpush(&c, "%s", w);
        e = to_typed(&c, type, &j, out);
        wf_buf_free(&c.path);
        wf_val_free(&j);
    }
    free(w);
    return e;
}

/* ---- Output ------------------------------------------------------------- */

static void out_str(wf_buf *b, const char *s, size_t n)
{
    wf_buf_byte(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') { wf_buf_byte(b, '\\'); wf_buf_byte(b, ch); }
        else if (ch == '\n') wf_buf_str(b, "\\n");
        else if (ch == '\r') wf_buf_str(b, "\\r");
        else if (ch == '\t') wf_buf_str(b, "\\t");
        else if (ch < 0x20 || ch == 0x7f) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", ch);
            wf_buf_str(b, u);
        } else {
            wf_buf_byte(b, ch);
        }
    }
    wf_buf_byte(b, '"');
}

static void out_float(wf_buf *b, double d, bool single)
{
    if (isnan(d)) { wf_buf_str(b, "\"nan\""); return; }
    if (isinf(d)) { wf_buf_str(b, d > 0 ? "\"inf\"" : "\"-inf\""); return; }
    char s[40];
    /* the fewest digits that read back as the same value */
    for (int prec = single ? 6 : 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, d);
        if (single ? strtof(s, NULL) == (float)d : strtod(s, NULL) == d) break;
    }
    wf_buf_str(b, s);
}

static void out_val(wf_buf *b, const wf_val *v)
{
    char num[32];
    switch (v->kind) {
    case WF_VAL_BOOL: wf_buf_str(b, v->of.b ? "true" : "false"); return;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64:
        snprintf(num, sizeof num, "%lld", (long long)v->of.s);
        wf_buf_str(b, num);
        return;
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64: case WF_VAL_HANDLE:
        snprintf(num, sizeof num, "%llu", (unsigned long long)v->of.u);
        wf_buf_str(b, num);
        return;
    case WF_VAL_F32: out_float(b, v->of.f32, true); return;
    case WF_VAL_F64: out_float(b, v->of.f64, false); return;
    case WF_VAL_CHAR: {
        wf_buf u = {0};
        wf_utf8_put(&u, (uint32_t)v->of.u);
        out_str(b, (const char *)u.data, u.len);
        wf_buf_free(&u);
        return;
    }
    case WF_VAL_STRING: out_str(b, v->of.str.data, v->of.str.len); return;
    case WF_VAL_LIST: case WF_VAL_TUPLE:
        wf_buf_byte(b, '[');
        for (size_t i = 0; i < v->of.agg.len; i++) {
            if (i) wf_buf_byte(b, ',');
            out_val(b, &v->of.agg.items[i]);
        }
        wf_buf_byte(b, ']');
        return;
    case WF_VAL_RECORD:
        wf_buf_byte(b, '{');
        for (size_t i = 0; i < v->of.agg.len; i++) {
            if (i) wf_buf_byte(b, ',');
            const char *n = v->of.agg.names && v->of.agg.names[i] ? v->of.agg.names[i] : "";
            out_str(b, n, strlen(n));
            wf_buf_byte(b, ':');
            out_val(b, &v->of.agg.items[i]);
        }
        wf_buf_byte(b, '}');
        return;
    case WF_VAL_FLAGS:
        wf_buf_byte(b, '{');
        for (size_t i = 0; i < v->of.agg.len; i++) {
            if (i) wf_buf_byte(b, ',');
            out_str(b, v->of.agg.names[i], strlen(v->of.agg.names[i]));
            wf_buf_str(b, ":true");
        }
        wf_buf_byte(b, '}');
        return;
    case WF_VAL_ENUM: {
        const char *n = v->of.cas.name ? v->of.cas.name : "";
        out_str(b, n, strlen(n));
        return;
    }
    case WF_VAL_OPTION:
        if (v->of.cas.payload) out_val(b, v->of.cas.payload);
        else wf_buf_str(b, "null");
        return;
    case WF_VAL_VARIANT: case WF_VAL_RESULT: {
        const char *n = v->of.cas.name ? v->of.cas.name
                      : v->kind == WF_VAL_RESULT ? (v->of.cas.index ? "err" : "ok") : "";
        wf_buf_byte(b, '{');
        out_str(b, n, strlen(n));
        wf_buf_byte(b, ':');
        if (v->of.cas.payload) out_val(b, v->of.cas.payload);
        else wf_buf_str(b, v->kind == WF_VAL_RESULT ? "null" : "true");
        wf_buf_byte(b, '}');
        return;
    }
    }
    wf_buf_str(b, "null");
}

char *wf_json_from_val(const wf_val *v)
{
    wf_buf b = {0};
    out_val(&b, v);
    wf_buf_byte(&b, 0);
    size_t n;
    return (char *)wf_buf_take(&b, &n);
}
