/*
 * cabi_check.c - the shape check of host values against WIT types, run on
 * every argument before the guest executes anything (cabi_int.h).
 *
 * Integers of any wf_val integer kind are accepted for any integer type when
 * in range; floats take any number; list<u8> also takes a STRING (its bytes).
 * Records match fields by name ('-' and '_' equal), variants by case name
 * when the value has one, else by index.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"
#include "base/utf8.h"
#include "component/val_conv.h"

#include <stdarg.h>
#include <stdio.h>

/* The path is a stack of frames rendered only when a message needs it: a
 * call walks every element of every argument, and formatting each step
 * eagerly cost more than the copying itself. */
static size_t frame(cabi_cx *cx, uint8_t kind, const char *s, size_t i)
{
    size_t old = cx->frames.len;
    wf_vec_push(&cx->frames, ((cabi_frame){ kind, s, i }));
    return old;
}

size_t wf_cabi_path_index(cabi_cx *cx, size_t i) { return frame(cx, CABI_FRAME_INDEX, NULL, i); }
size_t wf_cabi_path_field(cabi_cx *cx, const char *name) { return frame(cx, CABI_FRAME_FIELD, name, 0); }
size_t wf_cabi_path_param(cabi_cx *cx, const char *name) { return frame(cx, CABI_FRAME_PARAM, name, 0); }
size_t wf_cabi_path_label(cabi_cx *cx, const char *s) { return frame(cx, CABI_FRAME_LABEL, s, 0); }
size_t wf_cabi_path_plural(cabi_cx *cx, const char *s) { return frame(cx, CABI_FRAME_PLURAL, s, 0); }

size_t wf_cabi_path_push(cabi_cx *cx, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return frame(cx, CABI_FRAME_OWNED, wf_xstrdup(tmp), 0);
}

void wf_cabi_path_pop(cabi_cx *cx, size_t depth)
{
    while (cx->frames.len > depth) {
        cabi_frame *f = &cx->frames.data[--cx->frames.len];
        if (f->kind == CABI_FRAME_OWNED) free((char *)f->s);
    }
}

const char *wf_cabi_path(cabi_cx *cx)
{
    if (!cx->frames.len) return "value";
    cx->path.len = 0;
    char num[32];
    for (size_t k = 0; k < cx->frames.len; k++) {
        const cabi_frame *f = &cx->frames.data[k];
        const char *s = f->s ? f->s : "?";
        switch (f->kind) {
        case CABI_FRAME_INDEX:
            snprintf(num, sizeof num, "[%zu]", f->i);
            wf_buf_str(&cx->path, num);
            break;
        case CABI_FRAME_FIELD: wf_buf_byte(&cx->path, '.'); wf_buf_str(&cx->path, s); break;
        case CABI_FRAME_PARAM:
            wf_buf_str(&cx->path, "parameter `");
            wf_buf_str(&cx->path, s);
            wf_buf_byte(&cx->path, '`');
            break;
        case CABI_FRAME_PLURAL: wf_buf_str(&cx->path, s); wf_buf_byte(&cx->path, 's'); break;
        default: wf_buf_str(&cx->path, s); break;
        }
    }
    wf_buf_byte(&cx->path, 0);
    return (const char *)cx->path.data;
}

wf_error *wf_cabi_trap(cabi_cx *cx, const char *what, const char *detail_fmt, ...)
{
    char detail[256] = "";
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        vsnprintf(detail, sizeof detail, detail_fmt, ap);
        va_end(ap);
    }
    return wf_error_new(WF_ERR_TRAP, "%s (%s%s%s)", what, wf_cabi_path(cx), *detail ? ": " : "", detail);
}

void wf_cabi_cx_init(cabi_cx *cx, const wf_cabi_opts *o, cabi_inst *ci)
{
    memset(cx, 0, sizeof *cx);
    cx->mem = o->memory;
    cx->realloc = o->realloc;
    cx->enc = o->enc;
    cx->ci = ci;
}

void wf_cabi_cx_fini(cabi_cx *cx)
{
    wf_cabi_path_pop(cx, 0);
    wf_vec_free(&cx->frames);
    wf_buf_free(&cx->path);
}

static bool name_eq(const char *a, const char *b)
{
    if (!a || !b) return false;
    for (; *a && *b; a++, b++)
        if ((*a == '_' ? '-' : *a) != (*b == '_' ? '-' : *b)) return false;
    return *a == *b;
}

const wf_val *wf_cabi_record_item(const wf_wit_type *t, const wf_val *v, size_t i)
{
    const char *want = t->fields[i].name;
    if (v->kind == WF_VAL_TUPLE) return i < v->of.agg.len ? &v->of.agg.items[i] : NULL;
    if (!v->of.agg.names) return NULL;
    if (i < v->of.agg.len && name_eq(v->of.agg.names[i], want)) return &v->of.agg.items[i];
    for (size_t j = 0; j < v->of.agg.len; j++)
        if (name_eq(v->of.agg.names[j], want)) return &v->of.agg.items[j];
    return NULL;
}

const wf_wit_type *wf_cabi_case_type(const wf_wit_type *t, size_t i)
{
    switch (t->kind) {
    case WF_WIT_OPTION: return i == 1 ? t->elem : NULL;
    case WF_WIT_RESULT: return i == 0 ? t->elem : t->err;
    case WF_WIT_VARIANT: return t->fields[i].type;
    default: return NULL;
    }
}

size_t wf_cabi_case_count(const wf_wit_type *t)
{
    return t->kind == WF_WIT_OPTION || t->kind == WF_WIT_RESULT ? 2 : t->nfields;
}

long wf_cabi_case_index(const wf_wit_type *t, const wf_val *v)
{
    size_t n = wf_cabi_case_count(t);
    if ((t->kind == WF_WIT_VARIANT || t->kind == WF_WIT_ENUM) && v->of.cas.name) {
        for (size_t i = 0; i < n; i++)
            if (name_eq(t->fields[i].name, v->of.cas.name)) return (long)i;
        return -1;
    }
    return v->of.cas.index < n ? (long)v->of.cas.index : -1;
}

static bool is_int_kind(uint8_t k) { return k >= WF_VAL_S8 && k <= WF_VAL_U64; }

static wf_error *mismatch(cabi_cx *cx, const wf_wit_type *t, const wf_val *v)
{
    char *ts = wf_wit_type_str(t);
    wf_error *e = wf_error_new(WF_ERR_INVALID, "%s: expected %s, got %s", wf_cabi_path(cx), ts,
                               wf_val_kind_name((wf_val_kind)v->kind));
    free(ts);
    return e;
}

/* A number against a numeric type by the one number rule (val_conv.h), on
 * a copy (a number owns nothing); the path is rendered only for an error. */
static wf_error *check_number(cabi_cx *cx, const wf_wit_type *t, const wf_val *v)
{
    wf_val tmp = *v;
    wf_error *e = wf_val_coerce(t, &tmp, NULL);
    if (!e) return NULL;
    wf_error *r = wf_error_new(WF_ERR_INVALID, "%s: %s", wf_cabi_path(cx), e->message);
    wf_error_free(e);
    return r;
}

static wf_error *check_int(cabi_cx *cx, const wf_wit_type *t, const wf_val *v)
{
    if (!is_int_kind(v->kind)) return mismatch(cx, t, v);
    return check_number(cx, t, v);
}

wf_error *wf_cabi_check_val(cabi_cx *cx, const wf_wit_type *t, const wf_val *v)
{
    wf_error *e = NULL;
    switch (t->kind) {
    case WF_WIT_BOOL:
        return v->kind == WF_VAL_BOOL ? NULL : mismatch(cx, t, v);
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        return check_int(cx, t, v);
    case WF_WIT_F32: case WF_WIT_F64:
        return v->kind == WF_VAL_F32 || v->kind == WF_VAL_F64 || is_int_kind(v->kind) ? check_number(cx, t, v)
             : mismatch(cx, t, v);
    case WF_WIT_CHAR:
        if (v->kind != WF_VAL_CHAR) return mismatch(cx, t, v);
        if (v->of.u >= 0x110000 || (v->of.u >= 0xD800 && v->of.u <= 0xDFFF))
            return wf_error_new(WF_ERR_INVALID, "%s: 0x%llx is not a Unicode scalar value",
                                wf_cabi_path(cx), (unsigned long long)v->of.u);
        return NULL;
    case WF_WIT_STRING:
        if (v->kind != WF_VAL_STRING) return mismatch(cx, t, v);
        if (!wf_utf8_valid((const uint8_t *)v->of.str.data, v->of.str.len))
            return wf_error_new(WF_ERR_INVALID, "%s: the string is not valid UTF-8", wf_cabi_path(cx));
        return NULL;
    case WF_WIT_LIST: case WF_WIT_MAP:
        if (v->kind == WF_VAL_STRING && t->kind == WF_WIT_LIST && t->elem->kind == WF_WIT_U8 && !t->len)
            return NULL;
        if (v->kind != WF_VAL_LIST) return mismatch(cx, t, v);
        if (t->len && v->of.agg.len != t->len)
            return wf_error_new(WF_ERR_INVALID, "%s: expected a list of exactly %u items, got %zu",
                                wf_cabi_path(cx), t->len, v->of.agg.len);
        for (size_t i = 0; !e && i < v->of.agg.len; i++) {
            size_t p = wf_cabi_path_index(cx, i);
            e = wf_cabi_check_val(cx, t->elem, &v->of.agg.items[i]);
            wf_cabi_path_pop(cx, p);
        }
        return e;
    case WF_WIT_TUPLE:
        if (v->kind != WF_VAL_TUPLE && v->kind != WF_VAL_LIST) return mismatch(cx, t, v);
        if (v->of.agg.len != t->nfields)
            return wf_error_new(WF_ERR_INVALID, "%s: expected a tuple of %zu, got %zu items",
                                wf_cabi_path(cx), t->nfields, v->of.agg.len);
        for (size_t i = 0; !e && i < t->nfields; i++) {
            size_t p = wf_cabi_path_index(cx, i);
            e = wf_cabi_check_val(cx, t->fields[i].type, &v->of.agg.items[i]);
            wf_cabi_path_pop(cx, p);
        }
        return e;
    case WF_WIT_RECORD:
        if (v->kind != WF_VAL_RECORD) return mismatch(cx, t, v);
        for (size_t i = 0; !e && i < t->nfields; i++) {
            const wf_val *f = wf_cabi_record_item(t, v, i);
            if (!f)
                return wf_error_new(WF_ERR_INVALID, "%s: missing field `%s` of %s", wf_cabi_path(cx),
                                    t->fields[i].name, t->name);
            size_t p = wf_cabi_path_field(cx, t->fields[i].name);
            e = wf_cabi_check_val(cx, t->fields[i].type, f);
            wf_cabi_path_pop(cx, p);
        }
        if (!e && v->of.agg.len != t->nfields) {
            for (size_t j = 0; j < v->of.agg.len; j++) {
                bool known = false;
                for (size_t i = 0; i < t->nfields; i++)
                    known |= name_eq(v->of.agg.names[j], t->fields[i].name);
                if (!known)
                    return wf_error_new(WF_ERR_INVALID, "%s: unknown field `%s` for %s", wf_cabi_path(cx),
                                        v->of.agg.names[j] ? v->of.agg.names[j] : "?", t->name);
            }
            return wf_error_new(WF_ERR_INVALID, "%s: duplicate fields for %s", wf_cabi_path(cx), t->name);
        }
        return e;
    case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_OPTION: case WF_WIT_RESULT: {
        if (v->kind != (uint8_t)t->kind) return mismatch(cx, t, v);
        long i = wf_cabi_case_index(t, v);
        if (i < 0) {
            if (v->of.cas.name && (t->kind == WF_WIT_VARIANT || t->kind == WF_WIT_ENUM))
                return wf_error_new(WF_ERR_INVALID, "%s: `%s` is not a case of %s", wf_cabi_path(cx),
                                    v->of.cas.name, t->name);
            return wf_error_new(WF_ERR_INVALID, "%s: case index %u out of range for %s", wf_cabi_path(cx),
                                v->of.cas.index, t->name ? t->name : wf_val_kind_name((wf_val_kind)t->kind));
        }
        const wf_wit_type *ct = wf_cabi_case_type(t, (size_t)i);
        const char *cn = t->kind == WF_WIT_OPTION ? (i ? "some" : "none")
                       : t->kind == WF_WIT_RESULT ? (i ? "err" : "ok") : t->fields[i].name;
        if (!ct) {
            if (v->of.cas.payload)
                return wf_error_new(WF_ERR_INVALID, "%s: case `%s` has no payload", wf_cabi_path(cx), cn);
            return NULL;
        }
        if (!v->of.cas.payload)
            return wf_error_new(WF_ERR_INVALID, "%s: case `%s` needs a payload", wf_cabi_path(cx), cn);
        size_t p = wf_cabi_path_field(cx, cn);
        e = wf_cabi_check_val(cx, ct, v->of.cas.payload);
        wf_cabi_path_pop(cx, p);
        return e;
    }
    case WF_WIT_FLAGS:
        if (v->kind != WF_VAL_FLAGS) return mismatch(cx, t, v);
        for (size_t j = 0; j < v->of.agg.len; j++) {
            bool known = false;
            for (size_t i = 0; i < t->nfields; i++) known |= name_eq(v->of.agg.names[j], t->fields[i].name);
            if (!known)
                return wf_error_new(WF_ERR_INVALID, "%s: `%s` is not a flag of %s", wf_cabi_path(cx),
                                    v->of.agg.names[j] ? v->of.agg.names[j] : "?", t->name);
        }
        return NULL;
    case WF_WIT_OWN: case WF_WIT_BORROW:
        return v->kind == WF_VAL_HANDLE ? NULL : mismatch(cx, t, v);
    }
    return wf_error_new(WF_ERR_INTERNAL, "%s: unknown WIT type kind %d", wf_cabi_path(cx), t->kind);
}
