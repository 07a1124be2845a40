/*
 * cabi_lift.c - guest core values and memory into host values (lifting,
 * CanonicalABI.md "Flat Lifting" and "Loading").
 *
 * Everything read here comes from the guest and is untrusted: every pointer
 * and length is bounds- and alignment-checked, chars must be scalar values,
 * strings valid UTF-8 and discriminants in range. Failures are WF_ERR_TRAP
 * naming where in the result they were found. The total number of host
 * values built is capped (WF_CABI_MAX_ITEMS) so a guest cannot exhaust host
 * memory.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"


static wf_error *count(cabi_cx *cx, uint64_t n)
{
    cx->items += n;
    if (cx->items > WF_CABI_MAX_ITEMS)
        return wf_error_new(WF_ERR_LIMIT, "%s: the result is too large (more than %u values)",
                            wf_cabi_path(cx), WF_CABI_MAX_ITEMS);
    return NULL;
}

wf_error *wf_cabi_count_items(cabi_cx *cx, uint64_t n) { return count(cx, n); }

static wf_error *lift_char(cabi_cx *cx, uint32_t c, wf_val *out)
{
    if (c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF))
        return wf_cabi_trap(cx, "invalid `char` bit pattern", "0x%x is not a Unicode scalar value", c);
    *out = wf_val_char(c);
    return NULL;
}

static wf_error *load_list(cabi_cx *cx, const wf_wit_type *et, uint32_t ptr, uint32_t len, wf_val *out)
{
    wf_error *e = wf_cabi_need_memory(cx, "to return a list");
    if (e) return e;
    const char *oob = cx->adapter ? "list content out-of-bounds" : "list pointer/length out of bounds of memory";
    if ((uint64_t)len * et->size > WF_CABI_MAX_BYTES)
        return wf_cabi_trap(cx, oob, "%u elements of %u bytes is more than the maximum list size", len, et->size);
    if ((e = wf_cabi_check_range(cx, ptr, (uint64_t)len * et->size, et->align, "unaligned pointer", oob)))
        return e;
    if (et->kind == WF_WIT_U8 && cx->bytes_as_string) {
        if ((e = count(cx, 1))) return e;
        *out = wf_val_string((const char *)wf_memory_data(cx->mem) + ptr, len);
        return NULL;
    }
    if ((e = count(cx, len))) return e;
    *out = wf_val_agg(WF_VAL_LIST, len);
    for (uint32_t i = 0; i < len; i++) {
        size_t p = wf_cabi_path_index(cx, i);
        e = wf_cabi_load(cx, et, ptr + i * et->size, &out->of.agg.items[i]);
        wf_cabi_path_pop(cx, p);
        if (e) { wf_val_free(out); return e; }
    }
    return NULL;
}

/* list<T, N>: N elements lifted like the fields of a tuple, from flat
 * values (in) or from memory at ptr. */
static wf_error *lift_fixed(cabi_cx *cx, const wf_wit_type *t, wf_val *out, const uint64_t *in, uint32_t ptr)
{
    const wf_wit_type *et = t->elem;
    wf_error *e = count(cx, t->len);
    if (e) return e;
    *out = wf_val_agg(WF_VAL_LIST, t->len);
    for (uint32_t i = 0; i < t->len; i++) {
        size_t p = wf_cabi_path_index(cx, i);
        e = in ? wf_cabi_lift_flat(cx, et, in + (size_t)i * et->nflat, &out->of.agg.items[i])
               : wf_cabi_load(cx, et, ptr + i * et->size, &out->of.agg.items[i]);
        wf_cabi_path_pop(cx, p);
        if (e) { wf_val_free(out); return e; }
    }
    return NULL;
}

static wf_val flags_val(const wf_wit_type *t, uint32_t bits)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nfields; i++) n += bits >> i & 1;
    wf_val v = wf_val_agg(WF_VAL_FLAGS, n);
    n = 0;
    for (size_t i = 0; i < t->nfields; i++)
        if (bits >> i & 1) wf_val_set_name(&v, n++, t->fields[i].name);
    return v;
}



static const char *case_name(const wf_wit_type *t, size_t i)
{
    if (t->kind == WF_WIT_OPTION) return i ? "some" : "none";
    if (t->kind == WF_WIT_RESULT) return i ? "err" : "ok";
    return t->fields[i].name;
}

/* A variant-like value of case i whose payload (if any) is lifted by `lift`. */
static wf_error *lift_case(cabi_cx *cx, const wf_wit_type *t, uint64_t disc, wf_val *out,
                           wf_error *(*lift)(cabi_cx *, const wf_wit_type *, const void *, wf_val *),
                           const void *src)
{
    if (disc >= wf_cabi_case_count(t))
        return wf_cabi_trap(cx, "invalid variant discriminant", "%llu for %s of %zu cases",
                         (unsigned long long)disc,
                         t->name ? t->name : wf_val_kind_name((wf_val_kind)t->kind), wf_cabi_case_count(t));
    const wf_wit_type *ct = wf_cabi_case_type(t, disc);
    const char *cn = case_name(t, disc);
    if (!ct) {
        *out = wf_val_case((wf_val_kind)t->kind, (uint32_t)disc, cn, NULL);
        return NULL;
    }
    wf_val payload = {0};
    size_t p = wf_cabi_path_field(cx, cn);
    wf_error *e = lift(cx, ct, src, &payload);
    wf_cabi_path_pop(cx, p);
    if (e) return e;
    *out = wf_val_case((wf_val_kind)t->kind, (uint32_t)disc, cn, &payload);
    return NULL;
}

static wf_error *lift_flat_cb(cabi_cx *cx, const wf_wit_type *t, const void *src, wf_val *out)
{
    return wf_cabi_lift_flat(cx, t, src, out);
}

static wf_error *load_cb(cabi_cx *cx, const wf_wit_type *t, const void *src, wf_val *out)
{
    return wf_cabi_load(cx, t, *(const uint32_t *)src, out);
}

static wf_val int_val(wf_wit_kind k, uint64_t x)
{
    switch (k) {
    case WF_WIT_S8: return wf_val_sint(WF_VAL_S8, (int8_t)x);
    case WF_WIT_S16: return wf_val_sint(WF_VAL_S16, (int16_t)x);
    case WF_WIT_S32: return wf_val_sint(WF_VAL_S32, (int32_t)x);
    case WF_WIT_S64: return wf_val_sint(WF_VAL_S64, (int64_t)x);
    case WF_WIT_U8: return wf_val_uint(WF_VAL_U8, (uint8_t)x);
    case WF_WIT_U16: return wf_val_uint(WF_VAL_U16, (uint16_t)x);
    case WF_WIT_U32: return wf_val_uint(WF_VAL_U32, (uint32_t)x);
    default: return wf_val_uint(WF_VAL_U64, x);
    }
}

static wf_error *lift_record(cabi_cx *cx, const wf_wit_type *t, wf_val *out, const uint64_t *in, uint32_t ptr)
{
    *out = wf_val_agg((wf_val_kind)t->kind, t->nfields);
    uint32_t k = 0;
    for (size_t i = 0; i < t->nfields; i++) {
        const wf_wit_type *ft = t->fields[i].type;
        size_t p;
        if (t->kind == WF_WIT_RECORD) {
            wf_val_set_name(out, i, t->fields[i].name);
            p = wf_cabi_path_field(cx, t->fields[i].name);
        } else {
            p = wf_cabi_path_index(cx, i);
        }
        wf_error *e = in ? wf_cabi_lift_flat(cx, ft, in + k, &out->of.agg.items[i])
                         : wf_cabi_load(cx, ft, ptr + t->fields[i].offset, &out->of.agg.items[i]);
        wf_cabi_path_pop(cx, p);
        if (e) { wf_val_free(out); return e; }
        k += ft->nflat;
    }
    return count(cx, t->nfields);
}

wf_error *wf_cabi_lift_flat(cabi_cx *cx, const wf_wit_type *t, const uint64_t *in, wf_val *out)
{
    uint32_t f32;
    switch (t->kind) {
    case WF_WIT_BOOL: *out = wf_val_bool((uint32_t)in[0] != 0); return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        *out = int_val(t->kind, in[0]);
        return NULL;
    case WF_WIT_F32:   /* NaNs are canonicalised (decode_i32_as_float) */
        f32 = (uint32_t)in[0];
        if ((f32 & 0x7f800000u) == 0x7f800000u && (f32 & 0x7fffffu)) f32 = 0x7fc00000u;
        *out = wf_val_f32(0);
        memcpy(&out->of.f32, &f32, 4);
        return NULL;
    case WF_WIT_F64: {
        uint64_t f64 = in[0];
        if ((f64 & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (f64 & 0xfffffffffffffull))
            f64 = 0x7ff8000000000000ull;
        *out = wf_val_f64(0);
        memcpy(&out->of.f64, &f64, 8);
        return NULL;
    }
    case WF_WIT_CHAR: return lift_char(cx, (uint32_t)in[0], out);
    case WF_WIT_STRING: return wf_cabi_load_string(cx, (uint32_t)in[0], (uint32_t)in[1], out);
    case WF_WIT_LIST: case WF_WIT_MAP:
        if (t->len) return lift_fixed(cx, t, out, in, 0);
        return load_list(cx, t->elem, (uint32_t)in[0], (uint32_t)in[1], out);
    case WF_WIT_RECORD: case WF_WIT_TUPLE: return lift_record(cx, t, out, in, 0);
    case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_OPTION: case WF_WIT_RESULT: {
        /* coerce the joined slots back to the case's own flat types: with
         * zero-extended raw bits that is keeping the low half for 32-bit ones */
        uint64_t disc = (uint32_t)in[0];
        const wf_wit_type *ct = disc < wf_cabi_case_count(t) ? wf_cabi_case_type(t, disc) : NULL;
        uint64_t tmp[t->nflat > 1 ? t->nflat - 1 : 1];
        for (uint32_t j = 0; ct && j < ct->nflat; j++)
            tmp[j] = ct->flat[j] == WF_FLAT_I32 || ct->flat[j] == WF_FLAT_F32 ? (uint32_t)in[1 + j] : in[1 + j];
        return lift_case(cx, t, disc, out, lift_flat_cb, tmp);
    }
    case WF_WIT_FLAGS: *out = flags_val(t, (uint32_t)in[0]); return NULL;
    case WF_WIT_OWN: case WF_WIT_BORROW: return wf_cabi_lift_handle(cx, t, (uint32_t)in[0], out);
    }
    return wf_error_new(WF_ERR_INTERNAL, "unknown WIT type kind %d", t->kind);
}

static uint64_t get(cabi_cx *cx, uint32_t ptr, uint32_t n)
{
    const uint8_t *p = wf_memory_data(cx->mem) + ptr;
    uint64_t x = 0;
    for (uint32_t i = 0; i < n; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

wf_error *wf_cabi_load(cabi_cx *cx, const wf_wit_type *t, uint32_t ptr, wf_val *out)
{
    uint64_t x;
    switch (t->kind) {
    case WF_WIT_BOOL: *out = wf_val_bool(get(cx, ptr, 1) != 0); return NULL;
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
        *out = int_val(t->kind, get(cx, ptr, t->size));
        return NULL;
    case WF_WIT_F32: case WF_WIT_F64: case WF_WIT_CHAR:
        x = get(cx, ptr, t->size);
        return wf_cabi_lift_flat(cx, t, &x, out);
    case WF_WIT_STRING:
        return wf_cabi_load_string(cx, (uint32_t)get(cx, ptr, 4), (uint32_t)get(cx, ptr + 4, 4), out);
    case WF_WIT_LIST: case WF_WIT_MAP:
        if (t->len) return lift_fixed(cx, t, out, NULL, ptr);
        return load_list(cx, t->elem, (uint32_t)get(cx, ptr, 4), (uint32_t)get(cx, ptr + 4, 4), out);
    case WF_WIT_RECORD: case WF_WIT_TUPLE: return lift_record(cx, t, out, NULL, ptr);
    case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_OPTION: case WF_WIT_RESULT: {
        size_t n = wf_cabi_case_count(t);
        uint64_t disc = get(cx, ptr, n <= 256 ? 1 : n <= 65536 ? 2 : 4);
        uint32_t pp = ptr + t->payload_offset;
        return lift_case(cx, t, disc, out, load_cb, &pp);
    }
    case WF_WIT_FLAGS: *out = flags_val(t, (uint32_t)get(cx, ptr, t->size)); return NULL;
    case WF_WIT_OWN: case WF_WIT_BORROW: return wf_cabi_lift_handle(cx, t, (uint32_t)get(cx, ptr, 4), out);
    }
    return wf_error_new(WF_ERR_INTERNAL, "unknown WIT type kind %d", t->kind);
}
