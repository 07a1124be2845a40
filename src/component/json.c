/*
 * json.c - JSON text <-> wf_val (json.h).
 *
 * Input is parsed into an untyped wf_val tree (objects as RECORD, arrays
 * as LIST, numbers as S64/U64/F64, null as none), with nesting bounded by
 * WF_JSON_MAX_DEPTH; a typed argument is then made of its WIT type by the
 * one conversion, wf_val_coerce (val_conv.h). Output prints any wf_val
 * without its type.
 */
#include "base/utf8.h"
#include "component/json.h"
#include "component/val_conv.h"
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

/* Numbers keep what the text says: integers exactly (S64, U64 above
 * INT64_MAX), -0 as the float -0, an integer written with a zero fraction
 * ("9223372036854775807.0") exactly when a double cannot hold it, other
 * numbers as F64. A number no 64-bit integer (when written as one) or no
 * double can hold is an error here, where its text is still at hand. */
static wf_error *parse_number(jp *j, wf_val *out)
{
    const char *start = j->p;
    bool is_int = true, zero_frac = true;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) return jerr(j, "invalid number");
    if (*j->p == '0') j->p++;
    else while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    size_t int_len = (size_t)(j->p - start);
    if (j->p < j->end && *j->p == '.') {
        is_int = false;
        j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9')) return jerr(j, "invalid number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') zero_frac &= *j->p++ == '0';
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        is_int = zero_frac = false;
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
    if (is_int || zero_frac) {
        char digits[400];
        memcpy(digits, buf, int_len);
        digits[int_len] = 0;
        bool neg = digits[0] == '-';
        errno = 0;
        long long s = neg ? strtoll(digits, NULL, 10) : 0;
        unsigned long long u = neg ? 0 : strtoull(digits, NULL, 10);
        if (errno && is_int)
            return wf_error_new(WF_ERR_INVALID, "%s: %s is out of range (integers are 64-bit)", j->what, buf);
        bool exact_double = neg ? (s >= -(1LL << 53)) : (u <= (1ULL << 53));
        if (!errno && (is_int || !exact_double)) {
            if (neg && s == 0) *out = wf_val_f64(-0.0);   /* "-0": the sign is kept */
            else if (neg) *out = wf_val_sint(WF_VAL_S64, s);
            else *out = u <= INT64_MAX ? wf_val_sint(WF_VAL_S64, (int64_t)u) : wf_val_uint(WF_VAL_U64, u);
            return NULL;
        }
    }
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE && isinf(d))
        return wf_error_new(WF_ERR_INVALID, "%s: %s is out of range for f64", j->what, buf);
    *out = wf_val_f64(d);
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

wf_error *wf_json_to_val(const char *text, size_t len, const wf_wit_type *type, const char *what, wf_val *out)
{
    char *w = wf_xasprintf("parameter `%s`", what ? what : "?");
    wf_error *e = parse_doc(text, len, w, out);
    if (!e) {
        wf_val_conv c = { .what = w, .form = WF_VAL_FORM_JSON };
        e = wf_val_coerce(type, out, &c);
        if (e) wf_val_free(out);
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

static void out_float(wf_buf *b, double d, bool single, unsigned flags)
{
    if (isnan(d)) { wf_buf_str(b, "\"nan\""); return; }
    if (isinf(d)) { wf_buf_str(b, d > 0 ? "\"inf\"" : "\"-inf\""); return; }
    char s[40];
    /* the fewest digits that read back as the same value */
    for (int prec = single ? 6 : 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, d);
        if (single ? strtof(s, NULL) == (float)d : strtod(s, NULL) == d) break;
    }
    if ((flags & WF_JSON_FLOAT_FRACTION) && !strpbrk(s, ".eE")) strcat(s, ".0");
    wf_buf_str(b, s);
}

static void out_val(wf_buf *b, const wf_val *v, unsigned flags)
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
    case WF_VAL_F32: out_float(b, v->of.f32, true, flags); return;
    case WF_VAL_F64: out_float(b, v->of.f64, false, flags); return;
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
            out_val(b, &v->of.agg.items[i], flags);
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
            out_val(b, &v->of.agg.items[i], flags);
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
        if (v->of.cas.payload) out_val(b, v->of.cas.payload, flags);
        else wf_buf_str(b, "null");
        return;
    case WF_VAL_VARIANT: case WF_VAL_RESULT: {
        const char *n = v->of.cas.name ? v->of.cas.name
                      : v->kind == WF_VAL_RESULT ? (v->of.cas.index ? "err" : "ok") : "";
        wf_buf_byte(b, '{');
        out_str(b, n, strlen(n));
        wf_buf_byte(b, ':');
        if (v->of.cas.payload) out_val(b, v->of.cas.payload, flags);
        else wf_buf_str(b, v->kind == WF_VAL_RESULT ? "null" : "true");
        wf_buf_byte(b, '}');
        return;
    }
    }
    wf_buf_str(b, "null");
}

char *wf_json_from_val(const wf_val *v)
{
    return wf_json_print(v, 0);
}

char *wf_json_print(const wf_val *v, unsigned flags)
{
    wf_buf b = {0};
    out_val(&b, v, flags);
    wf_buf_byte(&b, 0);
    size_t n;
    return (char *)wf_buf_take(&b, &n);
}
