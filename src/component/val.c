/*
 * val.c - wf_val constructors, deep copy and free (val.h).
 *
 * Free and copy walk the tree with an explicit work stack, not recursion, so
 * a value nested as deep as memory allows (a guest can return one) cannot
 * overflow the C stack.
 */
#include "component/val.h"
#include "base/vec.h"

static const char *const kind_names[] = {
    "bool", "s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64", "f32", "f64",
    "char", "string", "list", "tuple", "record", "variant", "enum", "option",
    "result", "flags", "handle",
};

const char *wf_val_kind_name(wf_val_kind k)
{
    return (size_t)k < WF_COUNT(kind_names) ? kind_names[k] : "?";
}

wf_val wf_val_bool(bool b) { wf_val v = { .kind = WF_VAL_BOOL }; v.of.b = b; return v; }
wf_val wf_val_sint(wf_val_kind k, int64_t x) { wf_val v = { .kind = (uint8_t)k }; v.of.s = x; return v; }
wf_val wf_val_uint(wf_val_kind k, uint64_t x) { wf_val v = { .kind = (uint8_t)k }; v.of.u = x; return v; }
wf_val wf_val_f32(float x) { wf_val v = { .kind = WF_VAL_F32 }; v.of.f32 = x; return v; }
wf_val wf_val_f64(double x) { wf_val v = { .kind = WF_VAL_F64 }; v.of.f64 = x; return v; }
wf_val wf_val_char(uint32_t c) { wf_val v = { .kind = WF_VAL_CHAR }; v.of.u = c; return v; }

wf_val wf_val_string(const char *s, size_t len)
{
    wf_val v = { .kind = WF_VAL_STRING };
    v.of.str.data = wf_xmalloc(len + 1);
    if (len) memcpy(v.of.str.data, s, len);
    v.of.str.data[len] = 0;
    v.of.str.len = len;
    return v;
}

wf_val wf_val_agg(wf_val_kind k, size_t len)
{
    wf_val v = { .kind = (uint8_t)k };
    v.of.agg.len = len;
    if (k != WF_VAL_FLAGS && len) v.of.agg.items = wf_xcalloc(len, sizeof(wf_val));
    if ((k == WF_VAL_RECORD || k == WF_VAL_FLAGS) && len)
        v.of.agg.names = wf_xcalloc(len, sizeof(char *));
    return v;
}

void wf_val_set_name(wf_val *agg, size_t i, const char *name)
{
    free(agg->of.agg.names[i]);
    agg->of.agg.names[i] = wf_xstrdup(name);
}

wf_val wf_val_case(wf_val_kind k, uint32_t index, const char *name, wf_val *payload)
{
    wf_val v = { .kind = (uint8_t)k };
    v.of.cas.index = index;
    v.of.cas.name = name ? wf_xstrdup(name) : NULL;
    if (payload) {
        v.of.cas.payload = wf_xmalloc(sizeof(wf_val));
        *v.of.cas.payload = *payload;
        memset(payload, 0, sizeof *payload);
    }
    return v;
}

wf_val wf_val_none(void) { return wf_val_case(WF_VAL_OPTION, 0, "none", NULL); }
wf_val wf_val_some(wf_val *p) { return wf_val_case(WF_VAL_OPTION, 1, "some", p); }
wf_val wf_val_ok(wf_val *p) { return wf_val_case(WF_VAL_RESULT, 0, "ok", p); }
wf_val wf_val_err(wf_val *p) { return wf_val_case(WF_VAL_RESULT, 1, "err", p); }

const wf_val *wf_val_field(const wf_val *rec, const char *name)
{
    if (rec->kind != WF_VAL_RECORD) return NULL;
    for (size_t i = 0; i < rec->of.agg.len; i++)
        if (rec->of.agg.names[i] && strcmp(rec->of.agg.names[i], name) == 0)
            return &rec->of.agg.items[i];
    return NULL;
}

/* Release v's own storage; push the children that own more onto the stack
 * (their array is freed later, when popped, since the stack holds pointers
 * into it: arrays are pushed as "free this block" entries after children). */
typedef struct free_work { wf_val *val; void *block; } free_work;

void wf_val_free(wf_val *v)
{
    /* Most values freed are numbers and strings (every call's arguments
     * and results): no work stack for them. */
    if (v->kind < WF_VAL_STRING || v->kind == WF_VAL_HANDLE || v->kind == WF_VAL_STRING) {
        if (v->kind == WF_VAL_STRING) free(v->of.str.data);
        memset(v, 0, sizeof *v);
        return;
    }
    WF_VEC(free_work) st = {0};
    wf_vec_push(&st, ((free_work){ v, NULL }));
    while (st.len) {
        free_work w = wf_vec_pop(&st);
        if (w.block) { free(w.block); continue; }
        wf_val *x = w.val;
        switch (x->kind) {
        case WF_VAL_STRING:
            free(x->of.str.data);
            break;
        case WF_VAL_LIST: case WF_VAL_TUPLE: case WF_VAL_RECORD: case WF_VAL_FLAGS:
            if (x->of.agg.names) {
                for (size_t i = 0; i < x->of.agg.len; i++) free(x->of.agg.names[i]);
                free(x->of.agg.names);
            }
            if (x->of.agg.items) {
                /* the block is freed after all its items (stack order) */
                wf_vec_push(&st, ((free_work){ NULL, x->of.agg.items }));
                for (size_t i = 0; i < x->of.agg.len; i++) {
                    uint8_t k = x->of.agg.items[i].kind;
                    if (k >= WF_VAL_STRING && k != WF_VAL_HANDLE)
                        wf_vec_push(&st, ((free_work){ &x->of.agg.items[i], NULL }));
                }
            }
            break;
        case WF_VAL_VARIANT: case WF_VAL_ENUM: case WF_VAL_OPTION: case WF_VAL_RESULT:
            free(x->of.cas.name);
            if (x->of.cas.payload) {
                wf_vec_push(&st, ((free_work){ NULL, x->of.cas.payload }));
                wf_vec_push(&st, ((free_work){ x->of.cas.payload, NULL }));
            }
            break;
        default:
            break;
        }
        memset(x, 0, sizeof *x);
    }
    wf_vec_free(&st);
}

/* Copy: a work list of (dst, src) pairs; each step copies one node shallowly
 * and queues its children. */
typedef struct copy_work { wf_val *dst; const wf_val *src; } copy_work;

void wf_val_copy(wf_val *dst, const wf_val *src)
{
    WF_VEC(copy_work) st = {0};
    wf_vec_push(&st, ((copy_work){ dst, src }));
    while (st.len) {
        copy_work w = wf_vec_pop(&st);
        const wf_val *s = w.src;
        wf_val *d = w.dst;
        *d = *s;
        switch (s->kind) {
        case WF_VAL_STRING:
            *d = wf_val_string(s->of.str.data, s->of.str.len);
            break;
        case WF_VAL_LIST: case WF_VAL_TUPLE: case WF_VAL_RECORD: case WF_VAL_FLAGS: {
            size_t n = s->of.agg.len;
            d->of.agg.items = NULL;
            d->of.agg.names = NULL;
            if (s->of.agg.names && n) {
                d->of.agg.names = wf_xcalloc(n, sizeof(char *));
                for (size_t i = 0; i < n; i++)
                    if (s->of.agg.names[i]) d->of.agg.names[i] = wf_xstrdup(s->of.agg.names[i]);
            }
            if (s->of.agg.items && n) {
                d->of.agg.items = wf_xcalloc(n, sizeof(wf_val));
                for (size_t i = 0; i < n; i++)
                    wf_vec_push(&st, ((copy_work){ &d->of.agg.items[i], &s->of.agg.items[i] }));
            }
            break;
        }
        case WF_VAL_VARIANT: case WF_VAL_ENUM: case WF_VAL_OPTION: case WF_VAL_RESULT:
            d->of.cas.name = s->of.cas.name ? wf_xstrdup(s->of.cas.name) : NULL;
            if (s->of.cas.payload) {
                d->of.cas.payload = wf_xcalloc(1, sizeof(wf_val));
                wf_vec_push(&st, ((copy_work){ d->of.cas.payload, s->of.cas.payload }));
            }
            break;
        default:
            break;
        }
    }
    wf_vec_free(&st);
}
