/*
 * p2_vals.c - reading a WASI 0.2 host function's arguments and building its
 * results (p2_int.h). The argument values were lifted with the component's
 * own import type, which need not be WASI's: every accessor checks the
 * value's kind and traps naming the function rather than misread it.
 */
#include "wasi/p2_int.h"

#include <stdarg.h>
#include <stdio.h>

wf_error *wf_p2_trap(const wf_wit_func *type, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wf_error_new(WF_ERR_TRAP, "wasi: `%s`: %s", type && type->name ? type->name : "?", msg);
}

wf_error *wf_p2_nargs(const wf_wit_func *type, size_t nargs, size_t n)
{
    if (nargs == n) return NULL;
    return wf_p2_trap(type, "imported with %zu parameters, WASI 0.2 has %zu", nargs, n);
}

wf_error *wf_p2_arg_u64(const wf_wit_func *type, const wf_val *args, size_t i, uint64_t *out)
{
    const wf_val *v = &args[i];
    if (v->kind >= WF_VAL_U8 && v->kind <= WF_VAL_U64) {
        *out = v->of.u;
        return NULL;
    }
    if (v->kind >= WF_VAL_S8 && v->kind <= WF_VAL_S64 && v->of.s >= 0) {
        *out = (uint64_t)v->of.s;
        return NULL;
    }
    return wf_p2_trap(type, "parameter %zu: expected an unsigned integer, got %s", i + 1,
                      wf_val_kind_name((wf_val_kind)v->kind));
}

wf_error *wf_p2_arg_bytes(const wf_wit_func *type, const wf_val *args, size_t i, uint8_t **out,
                          size_t *len)
{
    const wf_val *v = &args[i];
    if (v->kind == WF_VAL_STRING) {   /* not WASI's type, but bytes all the same */
        *out = wf_xmalloc(v->of.str.len + 1);
        memcpy(*out, v->of.str.data, v->of.str.len);
        *len = v->of.str.len;
        return NULL;
    }
    if (v->kind != WF_VAL_LIST)
        return wf_p2_trap(type, "parameter %zu: expected list<u8>, got %s", i + 1,
                          wf_val_kind_name((wf_val_kind)v->kind));
    uint8_t *b = wf_xmalloc(v->of.agg.len + 1);
    for (size_t k = 0; k < v->of.agg.len; k++) {
        if (v->of.agg.items[k].kind != WF_VAL_U8) {
            free(b);
            return wf_p2_trap(type, "parameter %zu: expected list<u8>, got a list of %s", i + 1,
                              wf_val_kind_name((wf_val_kind)v->of.agg.items[k].kind));
        }
        b[k] = (uint8_t)v->of.agg.items[k].of.u;
    }
    *out = b;
    *len = v->of.agg.len;
    return NULL;
}

wf_val wf_p2_bytes(const uint8_t *data, size_t len)
{
    /* A byte string, which a list<u8> result accepts: lowered by one copy
     * rather than a wf_val per byte (a megabyte read from a stream). */
    return wf_val_string((const char *)data, len);
}

wf_val wf_p2_u64(uint64_t x) { return wf_val_uint(WF_VAL_U64, x); }

wf_val wf_p2_ok(wf_val v) { return wf_val_ok(&v); }

wf_val wf_p2_ok_empty(void) { return wf_val_ok(NULL); }

wf_val wf_p2_err(wf_val v) { return wf_val_err(&v); }

wf_val wf_p2_str(const char *s) { return wf_val_string(s, strlen(s)); }
