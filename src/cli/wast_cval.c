/*
 * wast_cval.c - component values in spec scripts: `u32.const 1`,
 * `str.const "a"`, `list.const v*`, `record.const (field "n" v)*`,
 * `variant.const "c" v?`, `option.some v`, `result.ok v?`, `flags.const
 * "a"*`, ... read as wf_val of a given WIT type (the function's parameter or
 * result type gives case indices and field order), compared, and printed.
 *
 * A value is either a list `(u32.const 1)` or, inside record fields and
 * where the suite writes it so, the bare form `u32.const 1`: an atom
 * followed by its arguments up to the end of the enclosing list.
 */
#include "cli/wast.h"

#include <math.h>
#include <stdio.h>

#include "base/utf8.h"
#include "component/json.h"
#include "component/val.h"
#include "component/wit.h"
#include "wasm/wat_lex.h"

static wf_error *bad(const wast_node *n, const char *what)
{
    return wf_error_at_line(WF_ERR_MALFORMED, n->line, n->col, "%s: %.*s", what,
                            (int)WF_MIN(n->len, 80), n->start);
}

static bool atom_is(const wast_node *n, const char *w)
{
    return wast_is_atom(n, w);
}

static wf_error *parse_items(const wast_node *const *items, size_t n, const wast_node *at,
                             const wf_wit_type *t, wf_val *out);

/* One value from items[*k]: a list, or an atom taking the rest. */
static wf_error *parse_one(const wast_node *const *items, size_t n, size_t *k,
                           const wast_node *at, const wf_wit_type *t, wf_val *out)
{
    if (*k >= n) return bad(at, "expected a value");
    const wast_node *v = items[*k];
    if (v->kind == WAST_LIST) {
        (*k)++;
        return parse_items((const wast_node *const *)v->items, v->nitems, v, t, out);
    }
    wf_error *e = parse_items(items + *k, n - *k, v, t, out);
    *k = n;
    return e;
}

static int case_index(const wf_wit_type *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (t->fields[i].name && strlen(t->fields[i].name) == len && !memcmp(t->fields[i].name, name, len))
            return (int)i;
    return -1;
}

/* items[0] is the constructor atom, the rest its arguments. */
static wf_error *parse_items(const wast_node *const *items, size_t n, const wast_node *at,
                             const wf_wit_type *t, wf_val *out)
{
    if (!n || items[0]->kind != WAST_ATOM) return bad(at, "expected a component value");
    const wast_node *h = items[0];
    char head[32];
    snprintf(head, sizeof head, "%.*s", (int)WF_MIN(h->len, sizeof head - 1), h->start);
    if (!t) return bad(at, "value for no type");
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW)
        return wf_error_new(WF_ERR_UNSUPPORTED, "resource handle values in scripts");

    static const struct { const char *name; wf_wit_kind kind; } nums[] = {
        { "u8.const", WF_WIT_U8 }, { "u16.const", WF_WIT_U16 }, { "u32.const", WF_WIT_U32 },
        { "u64.const", WF_WIT_U64 }, { "s8.const", WF_WIT_S8 }, { "s16.const", WF_WIT_S16 },
        { "s32.const", WF_WIT_S32 }, { "s64.const", WF_WIT_S64 },
    };
    for (size_t i = 0; i < WF_COUNT(nums); i++) {
        if (strcmp(head, nums[i].name)) continue;
        if (t->kind != nums[i].kind) return bad(at, "value of another type");
        if (n != 2 || items[1]->kind != WAST_ATOM) return bad(at, "expected one number");
        uint64_t u;
        const wast_node *a = items[1];
        if (!wf_wat_num_i64(a->start, a->len, &u)) return bad(a, "bad number");
        bool neg = a->start[0] == '-';
        int bits = t->kind == WF_WIT_U8 || t->kind == WF_WIT_S8 ? 8
                 : t->kind == WF_WIT_U16 || t->kind == WF_WIT_S16 ? 16
                 : t->kind == WF_WIT_U32 || t->kind == WF_WIT_S32 ? 32 : 64;
        bool sign = t->kind >= WF_WIT_S8 && t->kind <= WF_WIT_S64;
        if (sign) {
            int64_t s = (int64_t)u;
            if (!neg && bits == 64 && (u >> 63)) return bad(a, "out of range");
            if (bits < 64 && (s < -(INT64_C(1) << (bits - 1)) || s >= (INT64_C(1) << (bits - 1))))
                return bad(a, "out of range");
            *out = wf_val_sint((wf_val_kind)t->kind, s);
        } else {
            if (neg || (bits < 64 && (u >> bits))) return bad(a, "out of range");
            *out = wf_val_uint((wf_val_kind)t->kind, u);
        }
        return NULL;
    }
    if (!strcmp(head, "bool.const")) {
        if (t->kind != WF_WIT_BOOL || n != 2) return bad(at, "expected a bool");
        if (!atom_is(items[1], "true") && !atom_is(items[1], "false")) return bad(at, "expected true or false");
        *out = wf_val_bool(atom_is(items[1], "true"));
        return NULL;
    }
    if (!strcmp(head, "f32.const") || !strcmp(head, "f64.const")) {
        bool f32 = head[1] == '3';
        if (t->kind != (f32 ? WF_WIT_F32 : WF_WIT_F64) || n != 2 || items[1]->kind != WAST_ATOM)
            return bad(at, "expected a float");
        const wast_node *a = items[1];
        if (f32) {
            uint32_t b;
            if (!wast_parse_f32(a->start, a->len, &b)) return bad(a, "bad float");
            float f;
            memcpy(&f, &b, 4);
            *out = wf_val_f32(f);
        } else {
            uint64_t b;
            if (!wast_parse_f64(a->start, a->len, &b)) return bad(a, "bad float");
            double d;
            memcpy(&d, &b, 8);
            *out = wf_val_f64(d);
        }
        return NULL;
    }
    if (!strcmp(head, "char.const")) {
        if (t->kind != WF_WIT_CHAR || n != 2 || items[1]->kind != WAST_STRING) return bad(at, "expected a char");
        uint32_t cp;
        size_t l = wf_utf8_decode((const uint8_t *)items[1]->str, items[1]->str_len, &cp);
        if (!l || l != items[1]->str_len) return bad(at, "expected one character");
        *out = wf_val_char(cp);
        return NULL;
    }
    if (!strcmp(head, "str.const")) {
        if (t->kind != WF_WIT_STRING || n != 2 || items[1]->kind != WAST_STRING) return bad(at, "expected a string");
        *out = wf_val_string(items[1]->str, items[1]->str_len);
        return NULL;
    }
    if (!strcmp(head, "list.const") || !strcmp(head, "tuple.const")) {
        bool list = head[0] == 'l';
        if (t->kind != (list ? WF_WIT_LIST : WF_WIT_TUPLE)) return bad(at, "value of another type");
        /* each element is a list (a bare form would swallow the rest) */
        size_t cnt = n - 1;
        if (!list && cnt != t->nfields) return bad(at, "tuple of another length");
        *out = wf_val_agg(list ? WF_VAL_LIST : WF_VAL_TUPLE, cnt);
        for (size_t i = 0; i < cnt; i++) {
            size_t k = 1 + i;
            const wast_node *v = items[k];
            if (v->kind != WAST_LIST) {
                wf_val_free(out);
                return bad(v, "expected a value in parentheses");
            }
            wf_error *e = parse_items((const wast_node *const *)v->items, v->nitems, v,
                                      list ? t->elem : t->fields[i].type, &out->of.agg.items[i]);
            if (e) {
                wf_val_free(out);
                return e;
            }
        }
        return NULL;
    }
    if (!strcmp(head, "record.const")) {
        if (t->kind != WF_WIT_RECORD) return bad(at, "value of another type");
        if (n - 1 != t->nfields) return bad(at, "record with another number of fields");
        *out = wf_val_agg(WF_VAL_RECORD, t->nfields);
        bool *seen = wf_xcalloc(t->nfields + 1, 1);
        for (size_t i = 1; i < n; i++) {
            const wast_node *f = items[i];
            wf_error *e = NULL;
            int idx = -1;
            if (!wast_head_is(f, "field") || f->nitems < 3 || f->items[1]->kind != WAST_STRING ||
                (idx = case_index(t, f->items[1]->str, f->items[1]->str_len)) < 0 || seen[idx]) {
                e = bad(f, "expected (field \"name\" value) of the record");
            } else {
                seen[idx] = true;
                size_t k = 2;
                e = parse_one((const wast_node *const *)f->items, f->nitems, &k, f,
                              t->fields[idx].type, &out->of.agg.items[idx]);
                if (!e && k != f->nitems) e = bad(f, "expected one value");
            }
            if (e) {
                free(seen);
                wf_val_free(out);
                return e;
            }
        }
        free(seen);
        for (size_t i = 0; i < t->nfields; i++) wf_val_set_name(out, i, t->fields[i].name);
        return NULL;
    }
    if (!strcmp(head, "variant.const") || !strcmp(head, "enum.const")) {
        bool variant = head[0] == 'v';
        if (t->kind != (variant ? WF_WIT_VARIANT : WF_WIT_ENUM)) return bad(at, "value of another type");
        if (n < 2 || items[1]->kind != WAST_STRING) return bad(at, "expected a case name");
        int idx = case_index(t, items[1]->str, items[1]->str_len);
        if (idx < 0) return bad(items[1], "no such case");
        const wf_wit_type *pt = t->fields[idx].type;
        wf_val payload = { 0 }, *pp = NULL;
        if (variant && pt) {
            size_t k = 2;
            wf_error *e = parse_one(items, n, &k, at, pt, &payload);
            if (e) return e;
            if (k != n) {
                wf_val_free(&payload);
                return bad(at, "expected one payload");
            }
            pp = &payload;
        } else if (n != 2) {
            return bad(at, "a case without payload");
        }
        *out = wf_val_case(variant ? WF_VAL_VARIANT : WF_VAL_ENUM, (uint32_t)idx, t->fields[idx].name, pp);
        return NULL;
    }
    if (!strcmp(head, "option.none") || !strcmp(head, "option.some")) {
        if (t->kind != WF_WIT_OPTION) return bad(at, "value of another type");
        if (head[7] == 'n') {
            if (n != 1) return bad(at, "none takes nothing");
            *out = wf_val_none();
            return NULL;
        }
        size_t k = 1;
        wf_val p = { 0 };
        wf_error *e = parse_one(items, n, &k, at, t->elem, &p);
        if (e) return e;
        if (k != n) {
            wf_val_free(&p);
            return bad(at, "expected one value");
        }
        *out = wf_val_some(&p);
        return NULL;
    }
    if (!strcmp(head, "result.ok") || !strcmp(head, "result.err")) {
        if (t->kind != WF_WIT_RESULT) return bad(at, "value of another type");
        bool ok = head[7] == 'o';
        const wf_wit_type *pt = ok ? t->elem : t->err;
        wf_val p = { 0 }, *pp = NULL;
        if (pt) {
            size_t k = 1;
            wf_error *e = parse_one(items, n, &k, at, pt, &p);
            if (e) return e;
            if (k != n) {
                wf_val_free(&p);
                return bad(at, "expected one value");
            }
            pp = &p;
        } else if (n != 1) {
            return bad(at, "a case without payload");
        }
        *out = ok ? wf_val_ok(pp) : wf_val_err(pp);
        return NULL;
    }
    if (!strcmp(head, "flags.const")) {
        if (t->kind != WF_WIT_FLAGS) return bad(at, "value of another type");
        bool *set = wf_xcalloc(t->nfields + 1, 1);
        size_t cnt = 0;
        for (size_t i = 1; i < n; i++) {
            int idx = items[i]->kind == WAST_STRING ? case_index(t, items[i]->str, items[i]->str_len) : -1;
            if (idx < 0 || set[idx]) {
                free(set);
                return bad(items[i], "expected a flag of the type, once");
            }
            set[idx] = true;
            cnt++;
        }
        *out = wf_val_agg(WF_VAL_FLAGS, cnt);
        /* in the type's order, as lifting produces them */
        for (size_t i = 0, j = 0; i < t->nfields; i++)
            if (set[i]) wf_val_set_name(out, j++, t->fields[i].name);
        free(set);
        return NULL;
    }
    return bad(at, "unknown component value");
}

wf_error *wast_parse_cval(const wast_node *n, const wf_wit_type *t, wf_val *out)
{
    if (n->kind != WAST_LIST) return bad(n, "expected a value in parentheses");
    return parse_items((const wast_node *const *)n->items, n->nitems, n, t, out);
}

bool wast_cval_equal(const wf_val *a, const wf_val *b)
{
    if (a->kind != b->kind) return false;
    switch ((wf_val_kind)a->kind) {
    case WF_VAL_BOOL: return a->of.b == b->of.b;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64: return a->of.s == b->of.s;
    case WF_VAL_U8: case WF_VAL_U16: case WF_VAL_U32: case WF_VAL_U64: case WF_VAL_CHAR:
    case WF_VAL_HANDLE:
        return a->of.u == b->of.u;
    /* the component model canonicalizes NaNs: any NaN equals any NaN */
    case WF_VAL_F32:
        return (isnan(a->of.f32) && isnan(b->of.f32)) || !memcmp(&a->of.f32, &b->of.f32, 4);
    case WF_VAL_F64:
        return (isnan(a->of.f64) && isnan(b->of.f64)) || !memcmp(&a->of.f64, &b->of.f64, 8);
    case WF_VAL_STRING:
        return a->of.str.len == b->of.str.len && !memcmp(a->of.str.data, b->of.str.data, a->of.str.len);
    case WF_VAL_FLAGS:
        if (a->of.agg.len != b->of.agg.len) return false;
        for (size_t i = 0; i < a->of.agg.len; i++)
            if (strcmp(a->of.agg.names[i], b->of.agg.names[i])) return false;
        return true;
    case WF_VAL_LIST: case WF_VAL_TUPLE: case WF_VAL_RECORD:
        if (a->of.agg.len != b->of.agg.len) return false;
        for (size_t i = 0; i < a->of.agg.len; i++)
            if (!wast_cval_equal(&a->of.agg.items[i], &b->of.agg.items[i])) return false;
        return true;
    case WF_VAL_VARIANT: case WF_VAL_ENUM: case WF_VAL_OPTION: case WF_VAL_RESULT:
        if (a->of.cas.index != b->of.cas.index) return false;
        if (!a->of.cas.payload || !b->of.cas.payload) return !a->of.cas.payload && !b->of.cas.payload;
        return wast_cval_equal(a->of.cas.payload, b->of.cas.payload);
    }
    return false;
}

char *wast_cval_str(const wf_val *v)
{
    return wf_json_from_val(v);
}
