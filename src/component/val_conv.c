/*
 * val_conv.c - a wf_val against a WIT type, in one walk (val_conv.h): the
 * conversion of untyped values (Lua, JSON) into values of the type, and the
 * check of typed ones before they are lowered into a guest; the one number
 * rule; and the paths that messages point with.
 *
 * The conversion works in place: numbers change kind, strings and items are
 * moved, not copied, so turning a Lua or JSON argument into its typed value
 * costs one walk. The check is the same walk over the typed form: it takes
 * exactly what the Canonical ABI lowers (val.h's kinds, any integer kind in
 * range for an integer type, a STRING for list<u8>, records with exactly
 * their fields) and changes nothing; every step that would convert first
 * returns when checking.
 */
#include "component/val_conv.h"
#include "base/error.h"
#include "base/utf8.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* ---- paths ------------------------------------------------------------------ */

enum { STEP_INDEX, STEP_FIELD, STEP_KEY, STEP_INT, STEP_UINT, STEP_FLOAT, STEP_KEY_INDEX };

void wf_val_path_init(wf_val_path *p, const char *what, bool one_based)
{
    p->what = what;
    p->param = NULL;
    p->host_fn = NULL;
    p->one_based = one_based;
    p->depth = 0;
    p->text[0] = 0;
}

static size_t step(wf_val_path *p, uint8_t kind, const char *s, uint64_t u)
{
    size_t old = p->depth;
    if (p->depth < WF_VAL_PATH_DEPTH) {
        struct wf_val_step *st = &p->step[p->depth];
        st->kind = kind;
        st->s = s;
        st->n.u = u;
    }
    p->depth++;
    return old;
}

size_t wf_val_path_index(wf_val_path *p, size_t i) { return step(p, STEP_INDEX, NULL, i); }
size_t wf_val_path_field(wf_val_path *p, const char *name) { return step(p, STEP_FIELD, name, 0); }
size_t wf_val_path_key(wf_val_path *p, const char *key) { return step(p, STEP_KEY, key, 0); }
size_t wf_val_path_int(wf_val_path *p, int64_t k) { return step(p, STEP_INT, NULL, (uint64_t)k); }
size_t wf_val_path_uint(wf_val_path *p, uint64_t k) { return step(p, STEP_UINT, NULL, k); }
size_t wf_val_path_key_index(wf_val_path *p, size_t i) { return step(p, STEP_KEY_INDEX, NULL, i); }

size_t wf_val_path_float(wf_val_path *p, double k)
{
    size_t old = step(p, STEP_FLOAT, NULL, 0);
    if (old < WF_VAL_PATH_DEPTH) p->step[old].n.d = k;
    return old;
}

void wf_val_path_pop(wf_val_path *p, size_t depth)
{
    p->depth = depth;
}

const char *wf_val_path_str(wf_val_path *p)
{
    size_t cap = sizeof p->text, len = 0;
    char *t = p->text;
#define ADD(...) do { if (len < cap) { int n_ = snprintf(t + len, cap - len, __VA_ARGS__); \
                                       if (n_ > 0) len = WF_MIN(len + (size_t)n_, cap - 1); } } while (0)
    t[0] = 0;
    if (p->param) ADD("parameter `%s`", p->param);
    else if (p->host_fn) ADD("result of host function `%s`", p->host_fn);
    else if (p->what) ADD("%s", p->what);
    size_t base = p->one_based;
    for (size_t k = 0; k < p->depth && k < WF_VAL_PATH_DEPTH; k++) {
        const struct wf_val_step *st = &p->step[k];
        const char *s = st->s ? st->s : "?";
        switch (st->kind) {
        case STEP_INDEX: ADD("[%llu]", (unsigned long long)(st->n.u + base)); break;
        case STEP_FIELD: ADD(".%s", s); break;
        case STEP_KEY: ADD("[%s]", s); break;
        case STEP_INT: ADD("[%lld]", (long long)st->n.i); break;
        case STEP_UINT: ADD("[%llu]", (unsigned long long)st->n.u); break;
        case STEP_FLOAT: {   /* as Lua shows a float key: 1.5, 2.0 */
            char f[40];
            snprintf(f, sizeof f, "%.14g", st->n.d);
            if (!strpbrk(f, ".eni")) strcat(f, ".0");
            ADD("[%s]", f);
            break;
        }
        default: ADD("[key %llu]", (unsigned long long)(st->n.u + base)); break;
        }
    }
    if (p->depth > WF_VAL_PATH_DEPTH) ADD("...");
#undef ADD
    return t;
}

wf_error *wf_val_path_fail(wf_val_path *p, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *where = wf_val_path_str(p);
    if (!*where) return wf_error_new(WF_ERR_INVALID, "%s", msg);   /* the caller names the place */
    return wf_error_new(WF_ERR_INVALID, "%s: %s", where, msg);
}

/* ---- the walk's state ----------------------------------------------------------- */

typedef struct cx {
    wf_val_path path;
    bool lua;     /* the form is Lua (else JSON or typed) */
    bool typed;   /* checking a typed value: change nothing, convert nothing */
} cx;

#define fail(c, ...) wf_val_path_fail(&(c)->path, __VA_ARGS__)

bool wf_val_is_pairs(const wf_val *v)
{
    if (v->kind != WF_VAL_LIST || !v->of.agg.len) return false;
    for (size_t i = 0; i < v->of.agg.len; i++)
        if (v->of.agg.items[i].kind != WF_VAL_TUPLE || v->of.agg.items[i].of.agg.len != 2) return false;
    return true;
}

/* What a value is, in its form's words, for "expected X, got Y". */
static const char *got(const cx *c, const wf_val *v)
{
    if (c->typed) return wf_val_kind_name((wf_val_kind)v->kind);
    switch ((wf_val_kind)v->kind) {
    case WF_VAL_BOOL: return "a boolean";
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64:
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64:
        return c->lua ? "an integer" : "a number";
    case WF_VAL_F32: case WF_VAL_F64: return c->lua ? "a float" : "a number";
    case WF_VAL_STRING: return "a string";
    case WF_VAL_LIST:
        if (c->lua && wf_val_is_pairs(v)) return "a table with keys other than 1..n";
        return c->lua ? "a table" : "an array";
    case WF_VAL_TUPLE: return c->lua ? "a table" : "an array";
    case WF_VAL_RECORD: return c->lua ? "a table" : "an object";
    case WF_VAL_OPTION: return v->of.cas.payload ? "an option" : c->lua ? "nil" : "null";
    default: return wf_val_kind_name((wf_val_kind)v->kind);
    }
}

/* "expected T, got Y"; form: how the outside form writes T (typed: the type). */
static wf_error *mismatch(cx *c, const wf_wit_type *t, const wf_val *v, const char *form)
{
    char *ts = form && !c->typed ? NULL : wf_wit_type_str(t);
    wf_error *e = fail(c, "expected %s, got %s", ts ? ts : form, got(c, v));
    free(ts);
    return e;
}

static const char *tname(const wf_wit_type *t)
{
    return t->name ? t->name : wf_val_kind_name((wf_val_kind)t->kind);
}

/* A WIT name against a key: kebab-case, snake_case accepted. */
static bool name_eq(const char *wit, const char *key)
{
    if (!key) return false;
    for (; *wit && *key; wit++, key++)
        if (*wit != *key && !(*wit == '-' && *key == '_')) return false;
    return *wit == *key;
}

static long find_case(const wf_wit_type *t, const char *name)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (name_eq(t->fields[i].name, name)) return (long)i;
    return -1;
}

/* ---- numbers --------------------------------------------------------------- */

void wf_val_float_str(char *buf, size_t n, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

static bool is_sint(uint8_t k) { return k >= WF_VAL_S8 && k <= WF_VAL_S64; }
static bool is_uint(uint8_t k) { return k >= WF_VAL_U8 && k <= WF_VAL_U64; }
static bool is_float(uint8_t k) { return k == WF_VAL_F32 || k == WF_VAL_F64; }

/* A number as sign and magnitude, or why it is not an integer. */
typedef struct num {
    bool neg;
    uint64_t mag;
    char shown[40];   /* the value as messages show it: filled by num_shown */
} num;

/* Fill n->shown from v, for a message (only on the error path: every
 * argument of every call comes through int_of, and formatting it there
 * was a measurable part of a trivial component call). */
static const char *num_shown(const wf_val *v, num *n)
{
    if (is_sint(v->kind)) snprintf(n->shown, sizeof n->shown, "%lld", (long long)v->of.s);
    else if (is_uint(v->kind)) snprintf(n->shown, sizeof n->shown, "%llu", (unsigned long long)v->of.u);
    else wf_val_float_str(n->shown, sizeof n->shown, v->kind == WF_VAL_F32 ? v->of.f32 : v->of.f64);
    return n->shown;
}

static const char *int_of(const wf_val *v, num *n)
{
    if (is_sint(v->kind)) {
        n->neg = v->of.s < 0;
        n->mag = n->neg ? (uint64_t)0 - (uint64_t)v->of.s : (uint64_t)v->of.s;
        return NULL;
    }
    if (is_uint(v->kind)) {
        n->neg = false;
        n->mag = v->of.u;
        return NULL;
    }
    double d = v->kind == WF_VAL_F32 ? v->of.f32 : v->of.f64;
    if (!isfinite(d) || d != floor(d)) return "is not an integer";
    n->neg = d < 0;
    double a = fabs(d);
    if (a >= 18446744073709551616.0) return "is out of range";
    n->mag = (uint64_t)a;
    return NULL;
}

/* Range of an integer type as largest magnitudes, negative and positive. */
static void int_range(wf_val_kind k, uint64_t *neg, uint64_t *pos)
{
    static const uint8_t bits[] = { [WF_VAL_S8] = 8, [WF_VAL_S16] = 16, [WF_VAL_S32] = 32,
                                    [WF_VAL_S64] = 64, [WF_VAL_U8] = 8, [WF_VAL_U16] = 16,
                                    [WF_VAL_U32] = 32, [WF_VAL_U64] = 64 };
    unsigned b = bits[k];
    if (is_sint((uint8_t)k)) {
        *neg = (uint64_t)1 << (b - 1);
        *pos = *neg - 1;
    } else {
        *neg = 0;
        *pos = b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1;
    }
}

/* An integer type takes integers in range, and (not when checking a typed
 * value) integral floats. */
static wf_error *to_int(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (!is_sint(v->kind) && !is_uint(v->kind) && (c->typed || !is_float(v->kind))) return mismatch(c, t, v, NULL);
    wf_val_kind k = (wf_val_kind)t->kind;
    num n;
    const char *why = int_of(v, &n);
    uint64_t maxneg, maxpos;
    int_range(k, &maxneg, &maxpos);
    if (!why && (n.neg ? n.mag > maxneg : n.mag > maxpos)) why = "is out of range";
    if (why) {
        if (!strcmp(why, "is not an integer")) return fail(c, "%s is not an integer, expected %s", num_shown(v, &n), wf_val_kind_name(k));
        return fail(c, "%s is out of range for %s", num_shown(v, &n), wf_val_kind_name(k));
    }
    if (c->typed) return NULL;
    if (is_sint((uint8_t)k)) *v = wf_val_sint(k, n.neg ? (int64_t)((uint64_t)0 - n.mag) : (int64_t)n.mag);
    else *v = wf_val_uint(k, n.mag);
    return NULL;
}

/* A float from any number; f32 refuses finite values beyond its range. */
static const char *float_of(const wf_val *v, bool f32, double *out, char *shown, size_t n)
{
    double d;
    if (is_sint(v->kind)) d = (double)v->of.s;
    else if (is_uint(v->kind)) d = (double)v->of.u;
    else if (v->kind == WF_VAL_F32) d = v->of.f32;
    else if (v->kind == WF_VAL_F64) d = v->of.f64;
    else if (v->kind == WF_VAL_STRING && !strcmp(v->of.str.data, "nan")) d = NAN;
    else if (v->kind == WF_VAL_STRING && !strcmp(v->of.str.data, "inf")) d = INFINITY;
    else if (v->kind == WF_VAL_STRING && !strcmp(v->of.str.data, "-inf")) d = -INFINITY;
    else return "mismatch";
    *out = d;
    if (f32 && isfinite(d) && fabs(d) > FLT_MAX) {
        /* beyond the largest f32 only by rounding still rounds to it */
        if (!isfinite((float)d)) {
            wf_val_float_str(shown, n, d);
            return "is out of range for f32";
        }
    }
    return NULL;
}

static wf_error *to_float(cx *c, const wf_wit_type *t, wf_val *v)
{
    double d;
    char shown[40];
    bool f32 = t->kind == WF_WIT_F32;
    if (c->typed && v->kind == WF_VAL_STRING) return mismatch(c, t, v, NULL);   /* "nan" is JSON's form */
    const char *why = float_of(v, f32, &d, shown, sizeof shown);
    if (why && !strcmp(why, "mismatch")) return mismatch(c, t, v, NULL);
    if (why) return fail(c, "%s %s", shown, why);
    if (c->typed) return NULL;
    wf_val_free(v);
    *v = f32 ? wf_val_f32((float)d) : wf_val_f64(d);
    return NULL;
}

wf_error *wf_val_to_core(const wf_val *v, wf_valkind t, const wf_val_conv *conv, uint64_t *bits)
{
    /* The common case first, before the error path's context is set up (a
     * call's arguments come here on every call): an integer in range of an
     * integer type, converted as the general path below does. */
    if (t == WF_I32 || t == WF_I64) {
        if (is_sint(v->kind) && (t == WF_I64 || (v->of.s >= INT32_MIN && v->of.s <= (int64_t)UINT32_MAX))) {
            *bits = t == WF_I32 ? (uint32_t)v->of.s : (uint64_t)v->of.s;
            return NULL;
        }
        if (is_uint(v->kind) && (t == WF_I64 || v->of.u <= UINT32_MAX)) {
            *bits = v->of.u;
            return NULL;
        }
    }
    const char *tn = t == WF_I32 ? "i32" : t == WF_I64 ? "i64" : t == WF_F32 ? "f32" : "f64";
    cx c = { .lua = conv->form == WF_VAL_FORM_LUA };
    const char *what = conv->what;
    if (!is_sint(v->kind) && !is_uint(v->kind) && !is_float(v->kind))
        return wf_error_new(WF_ERR_INVALID, "%s: expected a number (%s), got %s", what, tn, got(&c, v));
    if (t == WF_F32 || t == WF_F64) {
        double d;
        char shown[40];
        const char *why = float_of(v, t == WF_F32, &d, shown, sizeof shown);
        if (why) return wf_error_new(WF_ERR_INVALID, "%s: %s %s", what, shown, why);
        if (t == WF_F32) {
            float f = v->kind == WF_VAL_F32 ? v->of.f32 : (float)d;
            uint32_t b;
            memcpy(&b, &f, 4);
            *bits = b;
        } else {
            memcpy(bits, &d, 8);
        }
        return NULL;
    }
    /* i32/i64 have no sign: they take the signed and the unsigned ranges */
    num n;
    const char *why = int_of(v, &n);
    uint64_t maxneg = t == WF_I32 ? (uint64_t)1 << 31 : (uint64_t)1 << 63;
    uint64_t maxpos = t == WF_I32 ? UINT32_MAX : UINT64_MAX;
    if (!why && (n.neg ? n.mag > maxneg : n.mag > maxpos)) why = "is out of range";
    if (why && !strcmp(why, "is not an integer"))
        return wf_error_new(WF_ERR_INVALID, "%s: %s is not an integer, expected %s", what, num_shown(v, &n), tn);
    if (why) return wf_error_new(WF_ERR_INVALID, "%s: %s is out of range for %s", what, num_shown(v, &n), tn);
    uint64_t x = n.neg ? (uint64_t)0 - n.mag : n.mag;
    *bits = t == WF_I32 ? (uint32_t)x : x;
    return NULL;
}

/* ---- the walk ------------------------------------------------------------------ */

static wf_error *coerce(cx *c, const wf_wit_type *t, wf_val *v);

/* Coerce item i of an aggregate, its position in the path. */
static wf_error *coerce_item(cx *c, const wf_wit_type *t, wf_val *v, size_t i)
{
    size_t old = wf_val_path_index(&c->path, i);
    wf_error *e = coerce(c, t, v);
    wf_val_path_pop(&c->path, old);
    return e;
}

/* Coerce v as the value at .name. */
static wf_error *coerce_field(cx *c, const wf_wit_type *t, wf_val *v, const char *name)
{
    size_t old = wf_val_path_field(&c->path, name);
    wf_error *e = coerce(c, t, v);
    wf_val_path_pop(&c->path, old);
    return e;
}

static wf_error *to_char(cx *c, const wf_wit_type *t, wf_val *v)
{
    uint32_t cp = 0;
    if (v->kind == WF_VAL_STRING && !c->typed) {
        size_t n = v->of.str.len ? wf_utf8_decode((const uint8_t *)v->of.str.data, v->of.str.len, &cp) : 0;
        if (!n || n != v->of.str.len)
            return fail(c, "expected char (a string of one character), got a string of %zu bytes", v->of.str.len);
    } else if (v->kind == WF_VAL_CHAR || (!c->typed && (is_sint(v->kind) || is_uint(v->kind)))) {
        /* upstream's form: the code point */
        if (is_sint(v->kind) && v->of.s < 0) return fail(c, "%lld is not a Unicode scalar value", (long long)v->of.s);
        if (v->of.u > 0x10ffff || (v->of.u >= 0xd800 && v->of.u <= 0xdfff))
            return fail(c, "%llu is not a Unicode scalar value", (unsigned long long)v->of.u);
        cp = (uint32_t)v->of.u;
    } else {
        return mismatch(c, t, v, NULL);
    }
    if (c->typed) return NULL;
    wf_val_free(v);
    *v = wf_val_char(cp);
    return NULL;
}

static wf_error *to_list(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (v->kind == WF_VAL_STRING && t->elem->kind == WF_WIT_U8 && (!c->typed || !t->len)) {
        /* list<u8> from a string: its bytes */
        if (t->len && v->of.str.len != t->len)
            return fail(c, "expected %u bytes, got a string of %zu", t->len, v->of.str.len);
        if (c->typed) return NULL;   /* lowered as it is */
        wf_val l = wf_val_agg(WF_VAL_LIST, v->of.str.len);
        for (size_t i = 0; i < v->of.str.len; i++) l.of.agg.items[i] = wf_val_uint(WF_VAL_U8, (uint8_t)v->of.str.data[i]);
        wf_val_free(v);
        *v = l;
        return NULL;
    }
    if (c->lua && (v->kind == WF_VAL_RECORD || wf_val_is_pairs(v)))
        return fail(c, "expected a list (a table with keys 1..n)");
    if (v->kind != WF_VAL_LIST) return mismatch(c, t, v, NULL);
    if (t->len && v->of.agg.len != t->len)
        return fail(c, "expected a list of exactly %u values, got %zu", t->len, v->of.agg.len);
    for (size_t i = 0; i < v->of.agg.len; i++) {
        wf_error *e = coerce_item(c, t->elem, &v->of.agg.items[i], i);
        if (e) return e;
    }
    return NULL;
}

static wf_error *to_tuple(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->lua && (v->kind == WF_VAL_RECORD || wf_val_is_pairs(v)))
        return fail(c, "expected a tuple (a table with keys 1..n)");
    if (v->kind != WF_VAL_LIST && v->kind != WF_VAL_TUPLE) return mismatch(c, t, v, NULL);
    if (v->of.agg.len != t->nfields)
        return fail(c, "expected a tuple of %zu values, got %zu", t->nfields, v->of.agg.len);
    if (!c->typed) v->kind = WF_VAL_TUPLE;
    for (size_t i = 0; i < t->nfields; i++) {
        wf_error *e = coerce_item(c, t->fields[i].type, &v->of.agg.items[i], i);
        if (e) return e;
    }
    return NULL;
}

/* A record given for a map<string, V>: its (key, value) pairs. */
static void record_to_pairs(wf_val *v)
{
    size_t n = v->of.agg.len;
    wf_val m = wf_val_agg(WF_VAL_LIST, n);
    for (size_t i = 0; i < n; i++) {
        wf_val *kv = &m.of.agg.items[i];
        *kv = wf_val_agg(WF_VAL_TUPLE, 2);
        const char *k = v->of.agg.names[i] ? v->of.agg.names[i] : "";
        kv->of.agg.items[0] = wf_val_string(k, strlen(k));
        kv->of.agg.items[1] = v->of.agg.items[i];
        v->of.agg.items[i] = (wf_val){0};
    }
    wf_val_free(v);
    *v = m;
}

/* map<K, V>: a list of (key, value) pairs, or a record when K is string. */
static wf_error *to_map(cx *c, const wf_wit_type *t, wf_val *v)
{
    const wf_wit_type *kt = t->elem->fields[0].type, *vt = t->elem->fields[1].type;
    wf_val_path *p = &c->path;
    if (v->kind == WF_VAL_RECORD && kt->kind == WF_WIT_STRING && !c->typed) {
        record_to_pairs(v);
        for (size_t i = 0; i < v->of.agg.len; i++) {
            wf_val *kv = &v->of.agg.items[i];
            size_t old = wf_val_path_key(p, kv->of.agg.items[0].of.str.data);
            wf_error *e = coerce(c, vt, &kv->of.agg.items[1]);
            wf_val_path_pop(p, old);
            if (e) return e;
        }
        return NULL;
    }
    if (v->kind != WF_VAL_LIST)
        return mismatch(c, t, v, c->lua ? "a table" : "a map (a list of [key, value] pairs)");
    if (c->lua && !wf_val_is_pairs(v)) {
        /* a Lua table with keys 1..n: those are its keys */
        for (size_t i = 0; i < v->of.agg.len; i++) {
            wf_val kv = wf_val_agg(WF_VAL_TUPLE, 2);
            kv.of.agg.items[0] = wf_val_sint(WF_VAL_S64, (int64_t)i + 1);
            kv.of.agg.items[1] = v->of.agg.items[i];
            v->of.agg.items[i] = kv;
        }
    }
    for (size_t i = 0; i < v->of.agg.len; i++) {
        wf_val *kv = &v->of.agg.items[i];
        wf_error *e = NULL;
        size_t old = wf_val_path_index(p, i);
        if ((kv->kind != WF_VAL_LIST && kv->kind != WF_VAL_TUPLE) || kv->of.agg.len != 2)
            e = fail(c, "expected a [key, value] pair, got %s", got(c, kv));
        wf_val_path_pop(p, old);
        if (e) return e;
        if (!c->typed) kv->kind = WF_VAL_TUPLE;
        old = wf_val_path_key_index(p, i);
        e = coerce(c, kt, &kv->of.agg.items[0]);
        wf_val_path_pop(p, old);
        if (e) return e;
        /* the value's position: its key when the key reads as one */
        const wf_val *k = &kv->of.agg.items[0];
        if (k->kind == WF_VAL_STRING) old = wf_val_path_key(p, k->of.str.data);
        else if (is_sint(k->kind)) old = wf_val_path_int(p, k->of.s);
        else if (is_uint(k->kind)) old = wf_val_path_uint(p, k->of.u);
        else old = wf_val_path_index(p, i);
        e = coerce(c, vt, &kv->of.agg.items[1]);
        wf_val_path_pop(p, old);
        if (e) return e;
    }
    return NULL;
}

/* A typed record: exactly the type's fields, by name, each checked. */
static wf_error *check_record(cx *c, const wf_wit_type *t, wf_val *v)
{
    for (size_t i = 0; i < t->nfields; i++) {
        const wf_wit_field *f = &t->fields[i];
        wf_val *given = NULL;
        if (i < v->of.agg.len && name_eq(f->name, v->of.agg.names[i])) given = &v->of.agg.items[i];
        for (size_t k = 0; k < v->of.agg.len && !given; k++)
            if (name_eq(f->name, v->of.agg.names[k])) given = &v->of.agg.items[k];
        if (!given) return fail(c, "missing field `%s` of %s", f->name, tname(t));
        wf_error *e = coerce_field(c, f->type, given, f->name);
        if (e) return e;
    }
    if (v->of.agg.len == t->nfields) return NULL;
    for (size_t k = 0; k < v->of.agg.len; k++)
        if (find_case(t, v->of.agg.names[k]) < 0)
            return fail(c, "unknown field `%s` for %s", v->of.agg.names[k] ? v->of.agg.names[k] : "?", tname(t));
    return fail(c, "duplicate fields for %s", tname(t));
}

/* A table with string and other keys, given for a record: the other keys
 * are ones the record lacks, so they are ignored. */
static void pairs_to_record(wf_val *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->of.agg.len; i++) n += v->of.agg.items[i].of.agg.items[0].kind == WF_VAL_STRING;
    wf_val r = wf_val_agg(WF_VAL_RECORD, n);
    n = 0;
    for (size_t i = 0; i < v->of.agg.len; i++) {
        wf_val *kv = v->of.agg.items[i].of.agg.items;
        if (kv[0].kind != WF_VAL_STRING) continue;
        wf_val_set_name(&r, n, kv[0].of.str.data);
        r.of.agg.items[n++] = kv[1];
        kv[1] = (wf_val){0};
    }
    wf_val_free(v);
    *v = r;
}

static wf_error *to_record(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->typed) return v->kind == WF_VAL_RECORD ? check_record(c, t, v) : mismatch(c, t, v, NULL);
    if (v->kind == WF_VAL_LIST && v->of.agg.len == 0) {
        /* an empty table or array: a record with no keys given */
        wf_val_free(v);
        *v = wf_val_agg(WF_VAL_RECORD, 0);
    }
    if (wf_val_is_pairs(v)) pairs_to_record(v);
    if (v->kind != WF_VAL_RECORD) return mismatch(c, t, v, NULL);
    wf_val r = wf_val_agg(WF_VAL_RECORD, t->nfields);
    wf_error *e = NULL;
    for (size_t i = 0; i < t->nfields && !e; i++) {
        const wf_wit_field *f = &t->fields[i];
        wf_val_set_name(&r, i, f->name);
        wf_val *given = NULL;
        /* the same position first: typed records and sorted keys hit at once */
        if (i < v->of.agg.len && name_eq(f->name, v->of.agg.names[i])) given = &v->of.agg.items[i];
        for (size_t k = 0; k < v->of.agg.len && !given; k++)
            if (name_eq(f->name, v->of.agg.names[k])) given = &v->of.agg.items[k];
        if (!given && f->type->kind == WF_WIT_OPTION) {
            r.of.agg.items[i] = wf_val_none();   /* an absent optional field is none */
        } else if (!given) {
            size_t old = wf_val_path_field(&c->path, f->name);
            e = fail(c, "missing field");
            wf_val_path_pop(&c->path, old);
        } else {
            r.of.agg.items[i] = *given;
            *given = (wf_val){0};
            e = coerce_field(c, f->type, &r.of.agg.items[i], f->name);
        }
    }
    /* keys the record lacks are dropped with the rest of the given table */
    wf_val_free(v);
    *v = r;
    return e;
}

/* Case i of a variant, result, option or enum: its payload type (NULL: none)
 * and name. */
static const wf_wit_type *case_type(const wf_wit_type *t, long i, const char **name)
{
    switch (t->kind) {
    case WF_WIT_OPTION: *name = i ? "some" : "none"; return i ? t->elem : NULL;
    case WF_WIT_RESULT: *name = i ? "err" : "ok"; return i ? t->err : t->elem;
    case WF_WIT_ENUM: *name = t->fields[i].name; return NULL;
    default: *name = t->fields[i].name; return t->fields[i].type;
    }
}

/* A typed case value (variant, enum, option, result): its case by name when
 * it has one (variant, enum), else by index, and its payload. */
static wf_error *check_case(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (v->kind != (uint8_t)t->kind) return mismatch(c, t, v, NULL);
    bool named = (t->kind == WF_WIT_VARIANT || t->kind == WF_WIT_ENUM) && v->of.cas.name;
    size_t n = t->kind == WF_WIT_OPTION || t->kind == WF_WIT_RESULT ? 2 : t->nfields;
    long i = named ? find_case(t, v->of.cas.name) : v->of.cas.index < n ? (long)v->of.cas.index : -1;
    if (i < 0 && named) return fail(c, "`%s` is not a case of %s", v->of.cas.name, tname(t));
    if (i < 0) return fail(c, "case index %u out of range for %s", v->of.cas.index, tname(t));
    const char *name;
    const wf_wit_type *pt = case_type(t, i, &name);
    if (!pt && v->of.cas.payload) return fail(c, "case `%s` has no payload", name);
    if (pt && !v->of.cas.payload) return fail(c, "case `%s` needs a payload", name);
    return pt ? coerce_field(c, pt, v->of.cas.payload, name) : NULL;
}

/* A case given as {name: payload} (payload may be absent: a bare name). */
static wf_error *to_case(cx *c, const wf_wit_type *t, wf_val *v, long i, const char *name,
                         wf_val *payload, bool bare)
{
    const wf_wit_type *pt = t->kind == WF_WIT_RESULT ? (i ? t->err : t->elem) : t->fields[i].type;
    wf_val p = {0};
    if (pt) {
        if (bare) return fail(c, c->lua ? "case `%s` needs a payload: {%s = value}"
                                        : "case `%s` needs a payload: {\"%s\": value}", name, name);
        p = *payload;
        *payload = (wf_val){0};
        wf_error *e = coerce_field(c, pt, &p, name);
        if (e) {
            wf_val_free(&p);
            return e;
        }
    }
    /* a case without payload ignores what it is given ({none = true}) */
    wf_val out = wf_val_case((wf_val_kind)t->kind, (uint32_t)i, name, pt ? &p : NULL);
    wf_val_free(v);
    *v = out;
    return NULL;
}

static wf_error *to_variant(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->typed) return check_case(c, t, v);
    bool result = t->kind == WF_WIT_RESULT;
    const char *form = result ? (c->lua ? "a result {ok = v} or {err = e}" : "a result {\"ok\": v} or {\"err\": e}")
                              : (c->lua ? "a variant {case = payload}" : "a variant {\"case\": payload}");
    if (v->kind == (uint8_t)t->kind) {   /* typed already: check the case and payload */
        long i = result ? (long)v->of.cas.index : v->of.cas.name ? find_case(t, v->of.cas.name)
                       : v->of.cas.index < t->nfields ? (long)v->of.cas.index : -1;
        if (i < 0 || (result && i > 1))
            return fail(c, "`%s` is not a case of %s", v->of.cas.name ? v->of.cas.name : "?", tname(t));
        const char *name = result ? (i ? "err" : "ok") : t->fields[i].name;
        wf_val *p = v->of.cas.payload;
        v->of.cas.payload = NULL;
        wf_val none = wf_val_none();
        wf_error *e = to_case(c, t, v, i, name, p ? p : &none, !p);
        if (p) wf_val_free(p);
        free(p);
        return e;
    }
    const char *key;
    wf_val *payload = NULL;
    if (v->kind == WF_VAL_STRING) {
        key = v->of.str.data;
    } else if (v->kind == WF_VAL_RECORD && v->of.agg.len == 1) {
        key = v->of.agg.names[0] ? v->of.agg.names[0] : "";
        payload = &v->of.agg.items[0];
    } else if (v->kind == WF_VAL_RECORD || (v->kind == WF_VAL_LIST && !v->of.agg.len)) {
        return fail(c, "expected %s, got %s with %s", form, got(c, v), v->of.agg.len ? "several keys" : "no keys");
    } else {
        return mismatch(c, t, v, form);
    }
    long i;
    if (result) {
        i = !strcmp(key, "ok") ? 0 : !strcmp(key, "err") ? 1 : -1;
        if (i < 0) return fail(c, "expected %s, got key `%s`", form, key);
    } else {
        i = find_case(t, key);
        if (i < 0) return fail(c, "unknown case `%s` of %s", key, tname(t));
    }
    const char *name = result ? (i ? "err" : "ok") : t->fields[i].name;
    return to_case(c, t, v, i, name, payload, !payload);
}

static wf_error *to_enum(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->typed) return check_case(c, t, v);
    long i;
    if (v->kind == WF_VAL_STRING || v->kind == WF_VAL_ENUM) {
        const char *name = v->kind == WF_VAL_STRING ? v->of.str.data : v->of.cas.name;
        i = find_case(t, name);
        if (i < 0) return fail(c, "unknown case `%s` of %s", name ? name : "?", tname(t));
    } else if (is_sint(v->kind) || is_uint(v->kind)) {
        /* upstream's form: the case index */
        if ((is_sint(v->kind) && v->of.s < 0) || v->of.u >= t->nfields)
            return fail(c, "case index %s%llu out of range for %s (%zu cases)", is_sint(v->kind) && v->of.s < 0 ? "-" : "",
                        is_sint(v->kind) && v->of.s < 0 ? (unsigned long long)-(v->of.s + 1) + 1 : (unsigned long long)v->of.u,
                        tname(t), t->nfields);
        i = (long)v->of.u;
    } else {
        return mismatch(c, t, v, NULL);
    }
    wf_val_free(v);
    *v = wf_val_case(WF_VAL_ENUM, (uint32_t)i, t->fields[i].name, NULL);
    return NULL;
}

static wf_error *to_option(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->typed) return check_case(c, t, v);
    if (v->kind == WF_VAL_OPTION && !v->of.cas.payload) return NULL;   /* none */
    wf_val p;
    if (v->kind == WF_VAL_OPTION) {   /* typed already: some(payload) */
        p = *v->of.cas.payload;
        *v->of.cas.payload = (wf_val){0};
        wf_val_free(v);
    } else {
        p = *v;
    }
    *v = (wf_val){0};
    wf_error *e = coerce(c, t->elem, &p);
    *v = wf_val_some(&p);
    return e;
}

static wf_error *set_flag(cx *c, const wf_wit_type *t, const char *name, bool *set)
{
    long i = find_case(t, name);
    if (i < 0) return fail(c, "unknown flag `%s` of %s", name ? name : "?", tname(t));
    set[i] = true;
    return NULL;
}

static wf_error *to_flags(cx *c, const wf_wit_type *t, wf_val *v)
{
    if (c->typed && v->kind != WF_VAL_FLAGS) return mismatch(c, t, v, NULL);
    bool *set = wf_xcalloc(t->nfields ? t->nfields : 1, sizeof *set);
    wf_error *e = NULL;
    if (v->kind == WF_VAL_RECORD) {
        for (size_t k = 0; k < v->of.agg.len && !e; k++) {
            const wf_val *b = &v->of.agg.items[k];
            if (b->kind != WF_VAL_BOOL)
                e = fail(c, "a flags set takes booleans, got %s for `%s`", got(c, b), v->of.agg.names[k]);
            else if (b->of.b)
                e = set_flag(c, t, v->of.agg.names[k], set);
        }
    } else if (v->kind == WF_VAL_LIST) {
        for (size_t k = 0; k < v->of.agg.len && !e; k++) {
            const wf_val *n = &v->of.agg.items[k];
            if (n->kind != WF_VAL_STRING) e = fail(c, "expected flag names (strings), got %s", got(c, n));
            else e = set_flag(c, t, n->of.str.data, set);
        }
    } else if (v->kind == WF_VAL_FLAGS) {
        for (size_t k = 0; k < v->of.agg.len && !e; k++) e = set_flag(c, t, v->of.agg.names[k], set);
    } else if (is_sint(v->kind) || is_uint(v->kind)) {
        /* upstream's form: a bit mask, bit i for flag i */
        uint64_t mask = v->of.u;
        uint64_t all = t->nfields >= 64 ? UINT64_MAX : ((uint64_t)1 << t->nfields) - 1;
        if ((is_sint(v->kind) && v->of.s < 0) || (mask & ~all))
            e = fail(c, "bit mask %lld has bits beyond the %zu flags of %s", (long long)v->of.s, t->nfields,
                     tname(t));
        for (size_t i = 0; !e && i < t->nfields && i < 64; i++) set[i] = mask >> i & 1;
    } else {
        e = mismatch(c, t, v, "flags (a list of names, a set of booleans or a bit mask)");
    }
    if (!e && !c->typed) {
        size_t n = 0;
        for (size_t i = 0; i < t->nfields; i++) n += set[i];
        wf_val f = wf_val_agg(WF_VAL_FLAGS, n);
        n = 0;
        for (size_t i = 0; i < t->nfields; i++)
            if (set[i]) wf_val_set_name(&f, n++, t->fields[i].name);
        wf_val_free(v);
        *v = f;
    }
    free(set);
    return e;
}

static wf_error *coerce(cx *c, const wf_wit_type *t, wf_val *v)
{
    switch (t->kind) {
    case WF_WIT_BOOL:
        return v->kind == WF_VAL_BOOL ? NULL : mismatch(c, t, v, NULL);
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        return to_int(c, t, v);
    case WF_WIT_F32: case WF_WIT_F64:
        return to_float(c, t, v);
    case WF_WIT_CHAR:
        return to_char(c, t, v);
    case WF_WIT_STRING:
        if (v->kind != WF_VAL_STRING) return mismatch(c, t, v, NULL);
        if (!wf_utf8_valid((const uint8_t *)v->of.str.data, v->of.str.len))
            return fail(c, "string is not valid UTF-8");
        return NULL;
    case WF_WIT_LIST: return to_list(c, t, v);
    case WF_WIT_MAP: return to_map(c, t, v);
    case WF_WIT_TUPLE: return to_tuple(c, t, v);
    case WF_WIT_RECORD: return to_record(c, t, v);
    case WF_WIT_VARIANT: case WF_WIT_RESULT: return to_variant(c, t, v);
    case WF_WIT_ENUM: return to_enum(c, t, v);
    case WF_WIT_OPTION: return to_option(c, t, v);
    case WF_WIT_FLAGS: return to_flags(c, t, v);
    case WF_WIT_OWN: case WF_WIT_BORROW:
        /* a handle only means something inside the instance that made it */
        if (v->kind == WF_VAL_HANDLE) return NULL;
        return c->typed ? mismatch(c, t, v, NULL) : fail(c, "resource handles cannot be passed in");
    }
    return wf_error_new(WF_ERR_INTERNAL, "%s: unknown WIT type kind %d", wf_val_path_str(&c->path), t->kind);
}

static void cx_init(cx *c, const wf_val_conv *conv, bool typed)
{
    c->lua = conv && conv->form == WF_VAL_FORM_LUA;
    c->typed = typed;
    wf_val_path_init(&c->path, conv ? conv->what : NULL, c->lua);
    if (conv) {
        c->path.param = conv->param;
        c->path.host_fn = conv->host_fn;
    }
}

wf_error *wf_val_coerce(const wf_wit_type *t, wf_val *v, const wf_val_conv *conv)
{
    cx c;
    cx_init(&c, conv, false);
    return coerce(&c, t, v);
}

/* What the typed walk accepts of a bool or an integer type without a
 * message to make: a bool, an integer in the type's range. */
static bool scalar_ok(const wf_wit_type *t, const wf_val *v)
{
    if (t->kind == WF_WIT_BOOL) return v->kind == WF_VAL_BOOL;
    if (!is_sint(t->kind) && !is_uint(t->kind)) return false;
    if (!is_sint(v->kind) && !is_uint(v->kind)) return false;
    num n;
    int_of(v, &n);
    uint64_t maxneg, maxpos;
    int_range((wf_val_kind)t->kind, &maxneg, &maxpos);
    return n.neg ? n.mag <= maxneg : n.mag <= maxpos;
}

wf_error *wf_val_check(const wf_wit_type *t, const wf_val *v, const wf_val_conv *conv)
{
    /* the common case first, before the walk's context is set up (every
     * argument of every Canonical ABI call is checked here); anything else,
     * and every failure, takes the walk */
    if (scalar_ok(t, v)) return NULL;
    cx c;
    cx_init(&c, conv, true);
    /* the typed walk only reads: every step that would change v returns first */
    return coerce(&c, t, (wf_val *)v);
}
