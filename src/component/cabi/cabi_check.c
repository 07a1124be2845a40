/*
 * cabi_check.c - what lifting and lowering share about host values: the
 * path of the value being moved (for trap messages), and a record's field,
 * a case's index and payload type looked up in a wf_val (cabi_int.h).
 *
 * The check of host values against their WIT types, run on every argument
 * before the guest executes anything, is wf_val_check (val_conv.h): the one
 * walk that also converts Lua and JSON values.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

/* The path is a stack of frames rendered only when a message needs it: a
 * call walks every element of every argument, and formatting each step
 * eagerly cost more than the copying itself. */
static size_t frame(cabi_cx *cx, uint8_t kind, const char *s, size_t i)
{
    size_t old = cx->frames.len;
    if (!cx->frames.cap) {
        cx->frames.data = cx->first;
        cx->frames.cap = WF_COUNT(cx->first);
    } else if (old == cx->frames.cap && cx->frames.data == cx->first) {
        cabi_frame *heap = wf_xmalloc(2 * old * sizeof *heap);
        memcpy(heap, cx->first, old * sizeof *heap);
        cx->frames.data = heap;
        cx->frames.cap = 2 * old;
    }
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
    if (cx->frames.data != cx->first) free(cx->frames.data);
    cx->frames.data = NULL;
    cx->frames.len = cx->frames.cap = 0;
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
