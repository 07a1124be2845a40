/*
 * p2_http_fields.c - the `fields` resource of wasi:http/types (headers and
 * trailers): an ordered multimap of lower-case names to byte values, with
 * WASI's rules as wasmtime applies them: names are RFC 9110 tokens and
 * values bytes without CR, LF or NUL (else header-error.invalid-syntax);
 * names the host owns (connection, host, transfer-encoding, ...) are
 * header-error.forbidden; the headers of a request or response (what
 * `headers()` gives, and what incoming messages carry) are immutable:
 * set, append and delete fail with header-error.immutable. `get` of a
 * name that is not a token gives nothing; `clone` is mutable.
 */
#include <ctype.h>
#include <strings.h>

#include "wasi/p2_http_int.h"

static void fields_free(void *obj) { wf_p2h_fields_free(obj); }
const wf_p2_kind wf_p2h_kind_fields = { "fields", fields_free };

wf_p2h_fields *wf_p2h_fields_new(bool immutable)
{
    wf_p2h_fields *f = wf_xcalloc(1, sizeof *f);
    f->immutable = immutable;
    return f;
}

static void field_clear(wf_p2h_field *x)
{
    free(x->name);
    free(x->value);
}

void wf_p2h_fields_free(wf_p2h_fields *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->v.len; i++) field_clear(&f->v.data[i]);
    wf_vec_free(&f->v);
    free(f);
}

void wf_p2h_fields_append(wf_p2h_fields *f, const char *name, size_t nlen, const void *value, size_t len)
{
    wf_p2h_field x = { wf_xmalloc(nlen + 1), wf_xmalloc(len + 1), len };
    for (size_t i = 0; i < nlen; i++) x.name[i] = (char)tolower((unsigned char)name[i]);
    x.name[nlen] = 0;
    if (len) memcpy(x.value, value, len);
    x.value[len] = 0;
    wf_vec_push(&f->v, x);
}

wf_p2h_fields *wf_p2h_fields_copy(const wf_p2h_fields *f, bool immutable)
{
    wf_p2h_fields *c = wf_p2h_fields_new(immutable);
    for (size_t i = 0; f && i < f->v.len; i++)
        wf_p2h_fields_append(c, f->v.data[i].name, strlen(f->v.data[i].name), f->v.data[i].value,
                             f->v.data[i].len);
    return c;
}

static bool same_name(const char *a, const char *b, size_t blen)
{
    return strlen(a) == blen && !strncasecmp(a, b, blen);
}

const wf_p2h_field *wf_p2h_fields_find(const wf_p2h_fields *f, const char *name)
{
    for (size_t i = 0; i < f->v.len; i++)
        if (same_name(f->v.data[i].name, name, strlen(name))) return &f->v.data[i];
    return NULL;
}

wf_error *wf_p2h_fields_handle(wf_p2_ctx *cx, wf_p2h_fields *f, uint32_t parent, wf_val *out)
{
    return wf_p2_new_handle(cx, &wf_p2h_kind_fields, f, parent, out);
}

bool wf_p2h_forbidden(const char *name, size_t len)
{
    static const char *const names[] = {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "transfer-encoding", "upgrade", "host", "http2-settings",
    };
    for (size_t i = 0; i < WF_COUNT(names); i++)
        if (same_name(names[i], name, len)) return true;
    return false;
}

static bool value_ok(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == '\r' || v[i] == '\n' || v[i] == 0 || v[i] == 0x7f ||
            (v[i] < 0x20 && v[i] != '\t'))
            return false;
    return true;
}

/* ---- arguments --------------------------------------------------------------- */

/* header-error case i: invalid-syntax 0, forbidden 1, immutable 2. */
static wf_val header_error(unsigned i)
{
    static const char *const names[] = { "invalid-syntax", "forbidden", "immutable" };
    return wf_val_case(WF_VAL_VARIANT, i, names[i], NULL);
}
#define HE_SYNTAX 0
#define HE_FORBIDDEN 1
#define HE_IMMUTABLE 2

/* A string argument (field-name): its bytes. */
static bool str_of(const wf_val *v, const char **s, size_t *n)
{
    if (v->kind != WF_VAL_STRING) return false;
    *s = v->of.str.data;
    *n = v->of.str.len;
    return true;
}

/* A list<u8> value (lifted as a byte string, or a list of u8): a copy. */
static bool bytes_of(const wf_val *v, uint8_t **out, size_t *len)
{
    if (v->kind == WF_VAL_STRING) {
        *len = v->of.str.len;
        *out = wf_xmalloc(*len + 1);
        memcpy(*out, v->of.str.data, *len);
        return true;
    }
    if (v->kind != WF_VAL_LIST) return false;
    *len = v->of.agg.len;
    *out = wf_xmalloc(*len + 1);
    for (size_t i = 0; i < *len; i++) {
        if (v->of.agg.items[i].kind != WF_VAL_U8) {
            free(*out);
            return false;
        }
        (*out)[i] = (uint8_t)v->of.agg.items[i].of.u;
    }
    return true;
}

/* Check a name for set/append/delete/from-list: -1 ok, else the header-error. */
static int check_name(const char *n, size_t len)
{
    if (!wf_http_token(n, len)) return HE_SYNTAX;
    if (wf_p2h_forbidden(n, len)) return HE_FORBIDDEN;
    return -1;
}

typedef struct fcall {
    wf_p2_ctx *cx;
    wf_p2h_fields *f;
} fcall;

static wf_error *fbegin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                        size_t want, fcall *c)
{
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, want)) || (e = wf_p2_cx(inst, &c->cx))) return e;
    void *obj;
    if ((e = wf_p2_get(c->cx, &wf_p2h_kind_fields, &args[0], "self", &obj))) return e;
    c->f = obj;
    return NULL;
}

static void remove_name(wf_p2h_fields *f, const char *n, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < f->v.len; i++) {
        if (same_name(f->v.data[i].name, n, len)) field_clear(&f->v.data[i]);
        else f->v.data[w++] = f->v.data[i];
    }
    f->v.len = w;
}

/* ---- the resource -------------------------------------------------------------- */

static WF_P2_FN(fields_new)
{
    (void)env; (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    return wf_p2h_fields_handle(cx, wf_p2h_fields_new(false), 0, result);
}

static WF_P2_FN(fields_from_list)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    if (args[0].kind != WF_VAL_LIST) return wf_p2_trap(type, "entries must be a list");
    wf_p2h_fields *f = wf_p2h_fields_new(false);
    for (size_t i = 0; i < args[0].of.agg.len; i++) {
        const wf_val *t = &args[0].of.agg.items[i];
        const char *n;
        size_t nl, vl;
        uint8_t *v;
        if (t->kind != WF_VAL_TUPLE || t->of.agg.len != 2 || !str_of(&t->of.agg.items[0], &n, &nl) ||
            !bytes_of(&t->of.agg.items[1], &v, &vl)) {
            wf_p2h_fields_free(f);
            return wf_p2_trap(type, "entry %zu is not a (field-name, field-value) pair", i);
        }
        int bad = check_name(n, nl);
        if (bad < 0 && !value_ok(v, vl)) bad = HE_SYNTAX;
        if (bad >= 0) {
            free(v);
            wf_p2h_fields_free(f);
            *result = wf_p2_err(header_error((unsigned)bad));
            return NULL;
        }
        wf_p2h_fields_append(f, n, nl, v, vl);
        free(v);
    }
    wf_val h;
    if ((e = wf_p2h_fields_handle(cx, f, 0, &h))) return e;
    *result = wf_p2_ok(h);
    return NULL;
}

static WF_P2_FN(fields_get)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 2, &c);
    if (e) return e;
    const char *n;
    size_t nl;
    if (!str_of(&args[1], &n, &nl)) return wf_p2_trap(type, "name must be a string");
    size_t count = 0;
    for (size_t i = 0; i < c.f->v.len; i++) count += same_name(c.f->v.data[i].name, n, nl);
    *result = wf_val_agg(WF_VAL_LIST, count);
    for (size_t i = 0, k = 0; i < c.f->v.len; i++)
        if (same_name(c.f->v.data[i].name, n, nl))
            result->of.agg.items[k++] = wf_p2_bytes(c.f->v.data[i].value, c.f->v.data[i].len);
    return NULL;
}

static WF_P2_FN(fields_has)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 2, &c);
    if (e) return e;
    const char *n;
    size_t nl;
    if (!str_of(&args[1], &n, &nl)) return wf_p2_trap(type, "name must be a string");
    bool has = false;
    for (size_t i = 0; i < c.f->v.len && !has; i++) has = same_name(c.f->v.data[i].name, n, nl);
    *result = wf_val_bool(has);
    return NULL;
}

/* set, delete, append: the checks they share (a result set on failure). */
static bool modify_ok(fcall *c, const char *n, size_t nl, wf_val *result)
{
    int bad = c->f->immutable ? HE_IMMUTABLE : check_name(n, nl);
    if (bad < 0) return true;
    *result = wf_p2_err(header_error((unsigned)bad));
    return false;
}

static WF_P2_FN(fields_set)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 3, &c);
    if (e) return e;
    const char *n;
    size_t nl;
    if (!str_of(&args[1], &n, &nl) || args[2].kind != WF_VAL_LIST)
        return wf_p2_trap(type, "expects a name and a list of values");
    if (!modify_ok(&c, n, nl, result)) return NULL;
    size_t nv = args[2].of.agg.len;
    uint8_t **vals = wf_xcalloc(nv + 1, sizeof *vals);
    size_t *lens = wf_xcalloc(nv + 1, sizeof *lens);
    bool syntax = false, ok = true;
    for (size_t i = 0; i < nv && ok; i++) {
        ok = bytes_of(&args[2].of.agg.items[i], &vals[i], &lens[i]);
        if (ok && !value_ok(vals[i], lens[i])) syntax = true;
    }
    if (ok && !syntax) {
        remove_name(c.f, n, nl);
        for (size_t i = 0; i < nv; i++) wf_p2h_fields_append(c.f, n, nl, vals[i], lens[i]);
        *result = wf_p2_ok_empty();
    } else if (ok) {
        *result = wf_p2_err(header_error(HE_SYNTAX));
    }
    for (size_t i = 0; i < nv; i++) free(vals[i]);
    free(vals);
    free(lens);
    return ok ? NULL : wf_p2_trap(type, "values must be lists of bytes");
}

static WF_P2_FN(fields_delete)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 2, &c);
    if (e) return e;
    const char *n;
    size_t nl;
    if (!str_of(&args[1], &n, &nl)) return wf_p2_trap(type, "name must be a string");
    if (!modify_ok(&c, n, nl, result)) return NULL;
    remove_name(c.f, n, nl);
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(fields_append)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 3, &c);
    if (e) return e;
    const char *n;
    size_t nl, vl;
    uint8_t *v;
    if (!str_of(&args[1], &n, &nl) || !bytes_of(&args[2], &v, &vl))
        return wf_p2_trap(type, "expects a name and a value");
    if (modify_ok(&c, n, nl, result)) {
        if (!value_ok(v, vl)) {
            *result = wf_p2_err(header_error(HE_SYNTAX));
        } else {
            wf_p2h_fields_append(c.f, n, nl, v, vl);
            *result = wf_p2_ok_empty();
        }
    }
    free(v);
    return NULL;
}

static WF_P2_FN(fields_entries)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 1, &c);
    if (e) return e;
    *result = wf_val_agg(WF_VAL_LIST, c.f->v.len);
    for (size_t i = 0; i < c.f->v.len; i++) {
        wf_val t = wf_val_agg(WF_VAL_TUPLE, 2);
        t.of.agg.items[0] = wf_p2_str(c.f->v.data[i].name);
        t.of.agg.items[1] = wf_p2_bytes(c.f->v.data[i].value, c.f->v.data[i].len);
        result->of.agg.items[i] = t;
    }
    return NULL;
}

static WF_P2_FN(fields_clone)
{
    (void)env;
    fcall c;
    wf_error *e = fbegin(inst, type, args, nargs, 1, &c);
    if (e) return e;
    return wf_p2h_fields_handle(c.cx, wf_p2h_fields_copy(c.f, false), 0, result);
}

static const wf_p2_fn_def fns[] = {
    { "[constructor]fields", fields_new },
    { "[static]fields.from-list", fields_from_list },
    { "[method]fields.get", fields_get },
    { "[method]fields.has", fields_has },
    { "[method]fields.set", fields_set },
    { "[method]fields.delete", fields_delete },
    { "[method]fields.append", fields_append },
    { "[method]fields.entries", fields_entries },
    { "[method]fields.clone", fields_clone },
    { NULL, NULL },
};

/* Part of wasi:http/types (p2_http_types.c defines its resource types). */
static const wf_p2_res_def no_res[] = { { NULL, NULL } };
const wf_p2_iface wf_p2_iface_http_fields = { "wasi:http", "wasi:http/types@0.2.12", no_res, fns };
