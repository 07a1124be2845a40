/*
 * cabi_lower.c - host values into guest core values and memory (lowering,
 * CanonicalABI.md "Flat Lowering" and "Storing"), plus the allocator calls.
 *
 * Values were shape-checked first (cabi_check.c), so only the guest can make
 * lowering fail here: a trapping or misbehaving wf_cabi_realloc.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"

#include <math.h>
#include <stdio.h>

wf_error *wf_cabi_need_memory(cabi_cx *cx, const char *why)
{
    if (cx->mem) return NULL;
    wf_extern ex;
    if (!cx->inst)   /* component mode: validation requires the option */
        return wf_error_new(WF_ERR_INVALID, "%s: no `memory` canonical option %s", wf_cabi_path(cx), why);
    if (!wf_instance_export(cx->inst, "memory", 6, &ex) || ex.kind != WF_EXTERN_MEMORY)
        return wf_error_new(WF_ERR_INVALID, "the module must export a memory named `memory` %s", why);
    cx->mem = ex.of.memory;
    return NULL;
}

wf_error *wf_cabi_need_realloc(cabi_cx *cx, const char *why)
{
    wf_error *e = wf_cabi_need_memory(cx, why);
    if (e || cx->realloc) return e;
    wf_extern ex;
    if (!cx->inst)
        return wf_error_new(WF_ERR_INVALID, "%s: no `realloc` canonical option %s", wf_cabi_path(cx), why);
    if (!wf_instance_export(cx->inst, "cabi_realloc", 12, &ex) || ex.kind != WF_EXTERN_FUNC)
        return wf_error_new(WF_ERR_INVALID, "the module must export `cabi_realloc` %s", why);
    const wf_functype *ft = wf_func_type(ex.of.func);
    bool ok = ft->nparams == 4 && ft->nresults == 1 && ft->results[0].kind == WF_I32;
    for (uint32_t i = 0; ok && i < 4; i++) ok = ft->params[i].kind == WF_I32;
    if (!ok)
        return wf_error_new(WF_ERR_INVALID, "`cabi_realloc` must have type "
                            "(i32, i32, i32, i32) -> i32");
    cx->realloc = ex.of.func;
    return NULL;
}

wf_error *wf_cabi_check_range(cabi_cx *cx, uint64_t ptr, uint64_t size, uint32_t align,
                           const char *unaligned, const char *oob)
{
    if (align > 1 && ptr % align)
        return wf_cabi_trap(cx, unaligned, "0x%llx is not a multiple of %u", (unsigned long long)ptr, align);
    uint64_t msize = wf_memory_size(cx->mem);
    if (ptr > msize || size > msize - ptr)
        return wf_cabi_trap(cx, oob, "0x%llx + %llu > memory size %llu",
                         (unsigned long long)ptr, (unsigned long long)size, (unsigned long long)msize);
    return NULL;
}

wf_error *wf_cabi_realloc(cabi_cx *cx, uint32_t old, uint32_t old_size, uint32_t align, uint32_t size,
                       const char *what, uint32_t *ptr)
{
    wf_value args[4] = {
        { .type = WF_TYPE_I32, .of.i32 = (int32_t)old }, { .type = WF_TYPE_I32, .of.i32 = (int32_t)old_size },
        { .type = WF_TYPE_I32, .of.i32 = (int32_t)align }, { .type = WF_TYPE_I32, .of.i32 = (int32_t)size },
    };
    wf_value res;
    /* realloc runs with may_leave cleared: it must not call imports */
    bool leave = cx->ci ? cx->ci->may_leave : false;
    if (cx->ci) cx->ci->may_leave = false;
    wf_error *e = wf_func_call(cx->realloc, args, 4, &res, 1);
    if (cx->ci) cx->ci->may_leave = leave;
    if (e) return wf_error_wrap(e, "%s: realloc", wf_cabi_path(cx));
    *ptr = (uint32_t)res.of.i32;
    /* From the host the checks name realloc; between components (a fused
     * adapter in other engines) they name what was being stored. */
    if (cx->adapter) {
        char oob[64];
        snprintf(oob, sizeof oob, "%s content out-of-bounds", what);
        return wf_cabi_check_range(cx, *ptr, size, align, "unaligned pointer", oob);
    }
    return wf_cabi_check_range(cx, *ptr, size, align, "realloc return: result not aligned",
                            "realloc return: beyond end of memory");
}

wf_error *wf_cabi_alloc(cabi_cx *cx, uint32_t align, uint32_t size, const char *what, uint32_t *ptr)
{
    return wf_cabi_realloc(cx, 0, 0, align, size, what, ptr);
}

static uint64_t int_bits(const wf_val *v)
{
    return v->kind >= WF_VAL_S8 && v->kind <= WF_VAL_S64 ? (uint64_t)v->of.s : v->of.u;
}

static double num_f64(const wf_val *v)
{
    switch (v->kind) {
    case WF_VAL_F32: return v->of.f32;
    case WF_VAL_F64: return v->of.f64;
    case WF_VAL_S8: case WF_VAL_S16: case WF_VAL_S32: case WF_VAL_S64: return (double)v->of.s;
    default: return (double)v->of.u;
    }
}

static uint32_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t f64_bits(double f) { uint64_t b; memcpy(&b, &f, 8); return b; }

static uint32_t flags_bits(const wf_wit_type *t, const wf_val *v)
{
    uint32_t bits = 0;
    for (size_t j = 0; j < v->of.agg.len; j++)
        for (size_t i = 0; i < t->nfields; i++) {
            const char *a = v->of.agg.names[j], *b = t->fields[i].name;
            for (; *a && *b && (*a == '_' ? '-' : *a) == (*b == '_' ? '-' : *b); a++, b++) {}
            if (!*a && !*b) bits |= 1u << i;
        }
    return bits;
}


/* Copy a string (or a list<u8> given as a string) or store list elements
 * into fresh guest memory; *ptr and *len are what the guest receives. */
static wf_error *lower_seq(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t *ptr, uint32_t *len)
{
    wf_error *e = wf_cabi_need_realloc(cx, t->kind == WF_WIT_STRING ? "to pass a string" : "to pass a list");
    if (e) return e;
    if (t->kind == WF_WIT_STRING) return wf_cabi_store_string(cx, v, ptr, len);
    if (v->kind == WF_VAL_STRING) {   /* list<u8> from a string's bytes */
        if (v->of.str.len > WF_CABI_MAX_BYTES)
            return wf_error_new(WF_ERR_LIMIT, "%s: list too long for a 32-bit memory", wf_cabi_path(cx));
        if ((e = wf_cabi_alloc(cx, 1, (uint32_t)v->of.str.len, "list", ptr))) return e;
        if (v->of.str.len) memcpy(wf_memory_data(cx->mem) + *ptr, v->of.str.data, v->of.str.len);
        *len = (uint32_t)v->of.str.len;
        return NULL;
    }
    const wf_wit_type *et = t->elem;
    uint64_t bytes = (uint64_t)v->of.agg.len * et->size;
    if (bytes > WF_CABI_MAX_BYTES)
        return wf_error_new(WF_ERR_LIMIT, "%s: list too long for a 32-bit memory", wf_cabi_path(cx));
    if ((e = wf_cabi_alloc(cx, et->align, (uint32_t)bytes, "list", ptr))) return e;
    uint32_t base = *ptr;
    for (size_t i = 0; i < v->of.agg.len; i++) {
        size_t p = wf_cabi_path_index(cx, i);
        e = wf_cabi_store(cx, et, &v->of.agg.items[i], base + (uint32_t)i * et->size);
        wf_cabi_path_pop(cx, p);
        if (e) return e;
    }
    *len = (uint32_t)v->of.agg.len;
    return NULL;
}

wf_error *wf_cabi_lower_flat(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint64_t *out)
{
    wf_error *e = NULL;
    switch (t->kind) {
    case WF_WIT_BOOL: out[0] = v->of.b ? 1 : 0; return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32:
        out[0] = (uint32_t)int_bits(v);
        return NULL;
    case WF_WIT_S64: case WF_WIT_U64: out[0] = int_bits(v); return NULL;
    case WF_WIT_F32: out[0] = f32_bits((float)num_f64(v)); return NULL;
    case WF_WIT_F64: out[0] = f64_bits(num_f64(v)); return NULL;
    case WF_WIT_CHAR: out[0] = (uint32_t)v->of.u; return NULL;
    case WF_WIT_LIST: case WF_WIT_MAP:
        if (t->len) {   /* list<T, N>: like a tuple of N T's */
            const wf_wit_type *et = t->elem;
            for (uint32_t i = 0; i < t->len; i++) {
                size_t p = wf_cabi_path_index(cx, i);
                e = wf_cabi_lower_flat(cx, et, &v->of.agg.items[i], out + (size_t)i * et->nflat);
                wf_cabi_path_pop(cx, p);
                if (e) return e;
            }
            return NULL;
        }
        /* fall through */
    case WF_WIT_STRING: {
        uint32_t ptr = 0, len = 0;
        if ((e = lower_seq(cx, t, v, &ptr, &len))) return e;
        out[0] = ptr;
        out[1] = len;
        return NULL;
    }
    case WF_WIT_RECORD: case WF_WIT_TUPLE: {
        uint32_t k = 0;
        for (size_t i = 0; i < t->nfields; i++) {
            const wf_wit_type *ft = t->fields[i].type;
            size_t p = t->kind == WF_WIT_RECORD ? wf_cabi_path_field(cx, t->fields[i].name)
                                                : wf_cabi_path_index(cx, i);
            e = wf_cabi_lower_flat(cx, ft, wf_cabi_record_item(t, v, i), out + k);
            wf_cabi_path_pop(cx, p);
            if (e) return e;
            k += ft->nflat;
        }
        return NULL;
    }
    case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_OPTION: case WF_WIT_RESULT: {
        long i = wf_cabi_case_index(t, v);
        memset(out, 0, t->nflat * sizeof *out);
        out[0] = (uint64_t)i;
        const wf_wit_type *ct = wf_cabi_case_type(t, (size_t)i);
        /* raw bits are zero-extended, so a payload flat value fits its joined
         * slot as is (i32 in i64, f32 bits in i32/i64, f64 bits in i64) */
        return ct ? wf_cabi_lower_flat(cx, ct, v->of.cas.payload, out + 1) : NULL;
    }
    case WF_WIT_FLAGS: out[0] = flags_bits(t, v); return NULL;
    case WF_WIT_OWN: case WF_WIT_BORROW: {
        uint32_t h = 0;
        e = wf_cabi_lower_handle(cx, t, v, &h);
        out[0] = h;
        return e;
    }
    }
    return wf_error_new(WF_ERR_INTERNAL, "unknown WIT type kind %d", t->kind);
}

static void put(cabi_cx *cx, uint32_t ptr, uint64_t x, uint32_t n)
{
    uint8_t *p = wf_memory_data(cx->mem) + ptr;   /* re-read: realloc may have grown memory */
    for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)(x >> (8 * i));
}

wf_error *wf_cabi_store(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t ptr)
{
    wf_error *e = NULL;
    switch (t->kind) {
    case WF_WIT_BOOL: put(cx, ptr, v->of.b ? 1 : 0, 1); return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        put(cx, ptr, int_bits(v), t->size);
        return NULL;
    case WF_WIT_F32: put(cx, ptr, f32_bits((float)num_f64(v)), 4); return NULL;
    case WF_WIT_F64: put(cx, ptr, f64_bits(num_f64(v)), 8); return NULL;
    case WF_WIT_CHAR: put(cx, ptr, v->of.u, 4); return NULL;
    case WF_WIT_LIST: case WF_WIT_MAP:
        if (t->len) {
            const wf_wit_type *et = t->elem;
            for (uint32_t i = 0; i < t->len; i++) {
                size_t p = wf_cabi_path_index(cx, i);
                e = wf_cabi_store(cx, et, &v->of.agg.items[i], ptr + i * et->size);
                wf_cabi_path_pop(cx, p);
                if (e) return e;
            }
            return NULL;
        }
        /* fall through */
    case WF_WIT_STRING: {
        uint32_t p = 0, len = 0;
        if ((e = lower_seq(cx, t, v, &p, &len))) return e;
        put(cx, ptr, p, 4);
        put(cx, ptr + 4, len, 4);
        return NULL;
    }
    case WF_WIT_RECORD: case WF_WIT_TUPLE:
        for (size_t i = 0; i < t->nfields; i++) {
            size_t p = t->kind == WF_WIT_RECORD ? wf_cabi_path_field(cx, t->fields[i].name)
                                                : wf_cabi_path_index(cx, i);
            e = wf_cabi_store(cx, t->fields[i].type, wf_cabi_record_item(t, v, i), ptr + t->fields[i].offset);
            wf_cabi_path_pop(cx, p);
            if (e) return e;
        }
        return NULL;
    case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_OPTION: case WF_WIT_RESULT: {
        long i = wf_cabi_case_index(t, v);
        size_t n = t->kind == WF_WIT_OPTION || t->kind == WF_WIT_RESULT ? 2 : t->nfields;
        put(cx, ptr, (uint64_t)i, n <= 256 ? 1 : n <= 65536 ? 2 : 4);
        const wf_wit_type *ct = wf_cabi_case_type(t, (size_t)i);
        return ct ? wf_cabi_store(cx, ct, v->of.cas.payload, ptr + t->payload_offset) : NULL;
    }
    case WF_WIT_FLAGS: put(cx, ptr, flags_bits(t, v), t->size); return NULL;
    case WF_WIT_OWN: case WF_WIT_BORROW: {
        uint32_t h = 0;
        if ((e = wf_cabi_lower_handle(cx, t, v, &h))) return e;
        put(cx, ptr, h, 4);
        return NULL;
    }
    }
    return wf_error_new(WF_ERR_INTERNAL, "unknown WIT type kind %d", t->kind);
}
