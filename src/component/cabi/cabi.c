/*
 * cabi.c - one call of a core function through the Canonical ABI (cabi.h):
 * argument checks, flattening with spilling, the call, result lifting and
 * post-return; and the untyped numeric call for modules without WIT.
 */
#include "component/cabi/cabi_int.h"
#include "component/val_conv.h"
#include "base/error.h"

#include <math.h>
#include <stdio.h>

static const wf_valtype flat_valtype[] = {
    [WF_FLAT_I32] = { WF_I32, 0, 0, 0 }, [WF_FLAT_I64] = { WF_I64, 0, 0, 0 },
    [WF_FLAT_F32] = { WF_F32, 0, 0, 0 }, [WF_FLAT_F64] = { WF_F64, 0, 0, 0 },
};

/* Layout of a tuple of the given fields' types (the spill area). */
static void tuple_layout(const wf_wit_field *fs, size_t n, uint32_t *offs, uint32_t *size, uint32_t *align)
{
    uint32_t off = 0, al = 1;
    for (size_t i = 0; i < n; i++) {
        const wf_wit_type *t = fs[i].type;
        off = (off + t->align - 1) / t->align * t->align;
        offs[i] = off;
        off += t->size;
        al = WF_MAX(al, t->align);
    }
    *align = al;
    *size = (off + al - 1) / al * al;
}

uint32_t wf_cabi_count_flat(const wf_wit_field *fs, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) k += fs[i].type->nflat;
    return k;
}

wf_valtype wf_cabi_flat_valtype(wf_flat f) { return flat_valtype[f]; }

void wf_cabi_core_sig(const wf_wit_func *sig, bool lower, wf_flat *params, uint32_t *np,
                   wf_flat *results, uint32_t *nr)
{
    uint32_t fp = wf_cabi_count_flat(sig->params, sig->nparams), fr = wf_cabi_count_flat(sig->results, sig->nresults);
    if (fp > WF_CABI_MAX_FLAT_PARAMS) {
        params[0] = WF_FLAT_I32;
        *np = 1;
    } else {
        *np = 0;
        for (size_t i = 0; i < sig->nparams; i++)
            for (uint32_t j = 0; j < sig->params[i].type->nflat; j++) params[(*np)++] = sig->params[i].type->flat[j];
    }
    *nr = 0;
    if (fr > WF_CABI_MAX_FLAT_RESULTS) {
        /* lift: the callee returns a pointer; lower: the caller passes one */
        if (lower) params[(*np)++] = WF_FLAT_I32;
        else results[(*nr)++] = WF_FLAT_I32;
    } else {
        for (size_t i = 0; i < sig->nresults; i++)
            for (uint32_t j = 0; j < sig->results[i].type->nflat; j++) results[(*nr)++] = sig->results[i].type->flat[j];
    }
}

static const char *flat_name(wf_flat f)
{
    static const char *const n[] = { "i32", "i64", "f32", "f64" };
    return n[f];
}

static const char *valtype_name(wf_valtype t)
{
    switch (t.kind) {
    case WF_I32: return "i32";
    case WF_I64: return "i64";
    case WF_F32: return "f32";
    case WF_F64: return "f64";
    case WF_V128: return "v128";
    default: return "ref";
    }
}

static void append_types(wf_buf *b, const wf_flat *fl, const wf_valtype *vt, uint32_t n)
{
    wf_buf_str(b, "(");
    for (uint32_t i = 0; i < n; i++) {
        if (i) wf_buf_str(b, ", ");
        wf_buf_str(b, fl ? flat_name(fl[i]) : valtype_name(vt[i]));
    }
    wf_buf_str(b, ")");
}

/* ft against sig's flattening (ps/np, rs/nr, from wf_cabi_core_sig). */
static wf_error *check_flat_type(const wf_functype *ft, const wf_wit_func *sig, const wf_flat *ps,
                                 uint32_t np, const wf_flat *rs, uint32_t nr)
{
    bool ok = ft->nparams == np && ft->nresults == nr;
    for (uint32_t i = 0; ok && i < np; i++) ok = ft->params[i].kind == flat_valtype[ps[i]].kind;
    for (uint32_t i = 0; ok && i < nr; i++) ok = ft->results[i].kind == flat_valtype[rs[i]].kind;
    if (ok) return NULL;
    wf_buf b = {0};
    append_types(&b, NULL, ft->params, ft->nparams);
    wf_buf_str(&b, " -> ");
    append_types(&b, NULL, ft->results, ft->nresults);
    wf_buf_str(&b, ", but its WIT signature needs ");
    append_types(&b, ps, NULL, np);
    wf_buf_str(&b, " -> ");
    append_types(&b, rs, NULL, nr);
    wf_buf_byte(&b, 0);
    wf_error *e = wf_error_new(WF_ERR_INVALID, "core function `%s` has type %s", sig->name, (char *)b.data);
    wf_buf_free(&b);
    return e;
}

_Static_assert(WF_CABI_MAX_FLAT_PARAMS + 1 == 17 && WF_CABI_MAX_FLAT_RESULTS == 1,
               "wf_cabi_plan's arrays (cabi.h) follow the flattening limits");

wf_error *wf_cabi_plan_make(const wf_functype *ft, const wf_wit_func *sig, wf_cabi_plan *out)
{
    wf_cabi_core_sig(sig, false, out->ps, &out->np, out->rs, &out->nr);
    out->nflat = wf_cabi_count_flat(sig->params, sig->nparams);
    return check_flat_type(ft, sig, out->ps, out->np, out->rs, out->nr);
}

wf_error *wf_cabi_check_type(const wf_functype *ft, const wf_wit_func *sig)
{
    wf_flat ps[WF_CABI_MAX_FLAT_PARAMS + 1], rs[WF_CABI_MAX_FLAT_RESULTS];
    uint32_t np, nr;
    wf_cabi_core_sig(sig, false, ps, &np, rs, &nr);
    return check_flat_type(ft, sig, ps, np, rs, nr);
}

wf_value wf_cabi_to_value(wf_flat f, uint64_t raw)
{
    wf_value v = { .type = flat_valtype[f] };
    switch (f) {
    case WF_FLAT_I32: v.of.i32 = (int32_t)(uint32_t)raw; break;
    case WF_FLAT_I64: v.of.i64 = (int64_t)raw; break;
    case WF_FLAT_F32: v.of.f32_bits = (uint32_t)raw; break;
    case WF_FLAT_F64: v.of.f64_bits = raw; break;
    }
    return v;
}

uint64_t wf_cabi_from_value(const wf_value *v)
{
    switch (v->type.kind) {
    case WF_I32: return (uint32_t)v->of.i32;
    case WF_F32: return v->of.f32_bits;
    default: return (uint64_t)v->of.i64;
    }
}

static const char *field_label(const wf_wit_field *f, const char *label)
{
    return f->name ? f->name : label;
}

/* A value of type t that wf_cabi_lower_flat (lower) or wf_cabi_lift_flat
 * (!lower) turns into its flat form or back without any check that can
 * fail (a checked value's number, bool or, lowered, char): it needs no path
 * frame for a message, so a call of the usual scalars pushes none. */
static bool flat_cannot_fail(const wf_wit_type *t, bool lower)
{
    switch (t->kind) {
    case WF_WIT_BOOL:
    case WF_WIT_S8: case WF_WIT_S16: case WF_WIT_S32: case WF_WIT_S64:
    case WF_WIT_U8: case WF_WIT_U16: case WF_WIT_U32: case WF_WIT_U64:
    case WF_WIT_F32: case WF_WIT_F64:
        return true;
    case WF_WIT_CHAR: return lower;   /* lifting checks the code point */
    default: return false;
    }
}

wf_error *wf_cabi_lower_values(cabi_cx *cx, const wf_wit_field *fs, size_t n, uint32_t max_flat,
                            const wf_val *vs, const char *label, uint64_t *raw, uint32_t *nraw,
                            const uint32_t *out_param)
{
    wf_error *e = NULL;
    *nraw = 0;
    if (wf_cabi_count_flat(fs, n) <= max_flat) {
        for (size_t i = 0; !e && i < n; i++) {
            if (flat_cannot_fail(fs[i].type, true)) {
                (void)wf_cabi_lower_flat(cx, fs[i].type, &vs[i], raw + *nraw);
            } else {
                bool params = !strcmp(label, "parameter");
                size_t p = params ? wf_cabi_path_param(cx, field_label(&fs[i], "?"))
                                  : wf_cabi_path_label(cx, field_label(&fs[i], label));
                e = wf_cabi_lower_flat(cx, fs[i].type, &vs[i], raw + *nraw);
                wf_cabi_path_pop(cx, p);
            }
            *nraw += fs[i].type->nflat;
        }
        return e;
    }
    bool params = !strcmp(label, "parameter");
    uint32_t offs_small[8], size, align, ptr = 0;
    uint32_t *offs = n <= WF_COUNT(offs_small) ? offs_small : wf_xcalloc(n, sizeof *offs);
    tuple_layout(fs, n, offs, &size, &align);
    size_t p = wf_cabi_path_plural(cx, label);
    if (out_param) {
        ptr = *out_param;
        if (!(e = wf_cabi_need_memory(cx, "to return results in memory")))
            e = wf_cabi_check_range(cx, ptr, size, align, "unaligned pointer", "pointer out of bounds of memory");
    } else if (!(e = wf_cabi_need_realloc(cx, "to pass more than 16 flat parameters"))) {
        e = wf_cabi_alloc(cx, align, size, "tuple", &ptr);
        raw[(*nraw)++] = ptr;
    }
    wf_cabi_path_pop(cx, p);
    for (size_t i = 0; !e && i < n; i++) {
        p = params ? wf_cabi_path_param(cx, field_label(&fs[i], "?"))
                   : wf_cabi_path_label(cx, field_label(&fs[i], label));
        e = wf_cabi_store(cx, fs[i].type, &vs[i], ptr + offs[i]);
        wf_cabi_path_pop(cx, p);
    }
    if (offs != offs_small) free(offs);
    return e;
}

wf_error *wf_cabi_lift_values(cabi_cx *cx, const wf_wit_field *fs, size_t n, uint32_t max_flat,
                           const uint64_t *raw, const char *label, wf_val *vals)
{
    wf_error *e = NULL;
    if (wf_cabi_count_flat(fs, n) <= max_flat) {
        uint32_t k = 0;
        for (size_t i = 0; !e && i < n; i++) {
            if (flat_cannot_fail(fs[i].type, false)) {
                (void)wf_cabi_lift_flat(cx, fs[i].type, raw + k, &vals[i]);
            } else {
                bool params = !strcmp(label, "parameter");
                size_t p = params ? wf_cabi_path_param(cx, field_label(&fs[i], "?"))
                                  : wf_cabi_path_label(cx, field_label(&fs[i], label));
                e = wf_cabi_lift_flat(cx, fs[i].type, raw + k, &vals[i]);
                wf_cabi_path_pop(cx, p);
            }
            k += fs[i].type->nflat;
        }
        return e;
    }
    bool params = !strcmp(label, "parameter");
    uint32_t offs_small[8], size, align;
    uint32_t *offs = n <= WF_COUNT(offs_small) ? offs_small : wf_xcalloc(n, sizeof *offs);
    tuple_layout(fs, n, offs, &size, &align);
    uint32_t ptr = (uint32_t)raw[0];
    if (!(e = wf_cabi_need_memory(cx, "to pass values in memory"))) {
        size_t p = wf_cabi_path_plural(cx, label);
        e = wf_cabi_check_range(cx, ptr, size, align, "unaligned pointer", "pointer out of bounds of memory");
        wf_cabi_path_pop(cx, p);
    }
    for (size_t i = 0; !e && i < n; i++) {
        size_t p = params ? wf_cabi_path_param(cx, field_label(&fs[i], "?"))
                          : wf_cabi_path_label(cx, field_label(&fs[i], label));
        e = wf_cabi_load(cx, fs[i].type, ptr + offs[i], &vals[i]);
        wf_cabi_path_pop(cx, p);
    }
    if (e)
        for (size_t i = 0; i < n; i++) wf_val_free(&vals[i]);
    if (offs != offs_small) free(offs);
    return e;
}

wf_func *wf_cabi_post_return(wf_instance *inst, const char *export_name)
{
    if (!export_name) return NULL;
    char small[128], *name = small;
    size_t el = strlen(export_name);
    if (el + sizeof "cabi_post_" <= sizeof small) {
        memcpy(small, "cabi_post_", sizeof "cabi_post_" - 1);
        memcpy(small + sizeof "cabi_post_" - 1, export_name, el + 1);
    } else {
        name = wf_xasprintf("cabi_post_%s", export_name);
    }
    wf_extern ex;
    bool found = wf_instance_export(inst, name, strlen(name), &ex) && ex.kind == WF_EXTERN_FUNC;
    if (name != small) free(name);
    return found ? ex.of.func : NULL;
}

/* post(core results), post being the export's cabi_post_ function or NULL. */
static wf_error *post_return(wf_func *post, const char *export_name, const wf_value *res, uint32_t nres)
{
    if (!post) return NULL;
    const wf_functype *ft = wf_func_type(post);
    bool ok = ft->nparams == nres && ft->nresults == 0;
    for (uint32_t i = 0; ok && i < nres; i++) ok = ft->params[i].kind == res[i].type.kind;
    wf_error *e = ok ? wf_func_call(post, res, nres, NULL, 0)
                     : wf_error_new(WF_ERR_INVALID, "`cabi_post_%s` must take the function's core "
                                    "results and return nothing", export_name);
    if (e && ok) e = wf_error_wrap(e, "cabi_post_%s", export_name);
    return e;
}

wf_error *wf_cabi_call(wf_instance *inst, wf_func *fn, const char *export_name,
                       const wf_wit_func *sig, const wf_val *args, size_t nargs, wf_val *result)
{
    return wf_cabi_call_post(inst, fn, wf_cabi_post_return(inst, export_name), NULL, export_name, sig,
                             args, nargs, result);
}

wf_error *wf_cabi_call_post(wf_instance *inst, wf_func *fn, wf_func *post, const wf_cabi_plan *plan,
                            const char *export_name, const wf_wit_func *sig, const wf_val *args,
                            size_t nargs, wf_val *result)
{
    memset(result, 0, sizeof *result);
    if (nargs != sig->nparams)
        return wf_error_new(WF_ERR_INVALID, "`%s` takes %zu argument%s, got %zu", sig->name,
                            sig->nparams, sig->nparams == 1 ? "" : "s", nargs);
    wf_cabi_plan own;
    wf_error *e = NULL;
    if (!plan && (e = wf_cabi_plan_make(wf_func_type(fn), sig, &own))) return e;
    if (!plan) plan = &own;
    const wf_flat *ps = plan->ps;
    uint32_t np = plan->np, nr = plan->nr, nflat = plan->nflat, nraw;
    cabi_cx cx = { .inst = inst };
    for (size_t i = 0; !e && i < nargs; i++)
        e = wf_val_check(sig->params[i].type, &args[i], &(wf_val_conv){ .param = sig->params[i].name });
    /* On the stack for the usual few parameters and results: this runs for every call. */
    uint64_t raw_small[WF_CABI_MAX_FLAT_PARAMS + 1] = {0};
    wf_val vals_small[4];
    uint64_t *raw = nflat <= WF_COUNT(raw_small) ? raw_small : wf_xcalloc(nflat, sizeof *raw);
    wf_val *vals = sig->nresults <= WF_COUNT(vals_small) ? vals_small
                                                         : wf_xcalloc(sig->nresults, sizeof *vals);
    if (vals == vals_small) memset(vals_small, 0, sizeof vals_small);
    wf_value core_args[WF_CABI_MAX_FLAT_PARAMS], core_res[WF_CABI_MAX_FLAT_RESULTS + 1];
    if (!e) e = wf_cabi_lower_values(&cx, sig->params, sig->nparams, WF_CABI_MAX_FLAT_PARAMS, args,
                                  "parameter", raw, &nraw, NULL);
    if (!e) {
        for (uint32_t i = 0; i < np; i++) core_args[i] = wf_cabi_to_value(ps[i], raw[i]);
        e = wf_func_call(fn, core_args, np, core_res, nr);
    }
    if (!e) {
        uint64_t rraw[WF_CABI_MAX_FLAT_RESULTS + 1] = {0};
        for (uint32_t i = 0; i < nr; i++) rraw[i] = wf_cabi_from_value(&core_res[i]);
        e = wf_cabi_lift_values(&cx, sig->results, sig->nresults, WF_CABI_MAX_FLAT_RESULTS, rraw,
                             "result", vals);
    }
    if (!e) e = post_return(post, export_name, core_res, nr);
    if (!e) {
        if (sig->nresults == 1 && !sig->named_results) {
            *result = vals[0];
        } else {
            *result = wf_val_agg(WF_VAL_TUPLE, sig->nresults);
            for (size_t i = 0; i < sig->nresults; i++) result->of.agg.items[i] = vals[i];
        }
    } else {
        for (size_t i = 0; i < sig->nresults; i++) wf_val_free(&vals[i]);
    }
    if (vals != vals_small) free(vals);
    if (raw != raw_small) free(raw);
    wf_cabi_cx_fini(&cx);
    return e;
}

/* ---- Core modules without WIT ------------------------------------------ */

/* Argument i by the one number rule (val_conv.h). */
static wf_error *number_to_core(const wf_val *v, wf_valtype t, size_t i, wf_value *out)
{
    out->type = t;
    if (t.kind > WF_F64)
        return wf_error_new(WF_ERR_UNSUPPORTED, "argument %zu: %s parameters cannot be passed "
                            "without WIT", i + 1, valtype_name(t));
    char what[32];
    snprintf(what, sizeof what, "argument %zu", i + 1);
    wf_val_conv c = { .what = what, .form = WF_VAL_FORM_JSON };
    uint64_t bits;
    wf_error *e = wf_val_to_core(v, t.kind, &c, &bits);
    if (e) return e;
    uint32_t lo = (uint32_t)bits;
    switch (t.kind) {
    case WF_I32: out->of.i32 = (int32_t)lo; break;
    case WF_I64: out->of.i64 = (int64_t)bits; break;
    case WF_F32: memcpy(&out->of.f32, &lo, 4); break;
    default: memcpy(&out->of.f64, &bits, 8); break;
    }
    return NULL;
}

wf_error *wf_cabi_call_core(wf_func *fn, const wf_val *args, size_t nargs, wf_val *result)
{
    memset(result, 0, sizeof *result);
    const wf_functype *ft = wf_func_type(fn);
    if (nargs != ft->nparams)
        return wf_error_new(WF_ERR_INVALID, "the function takes %u argument%s, got %zu", ft->nparams,
                            ft->nparams == 1 ? "" : "s", nargs);
    for (uint32_t i = 0; i < ft->nresults; i++)
        if (ft->results[i].kind > WF_F64)
            return wf_error_new(WF_ERR_UNSUPPORTED, "%s results cannot be returned without WIT",
                                valtype_name(ft->results[i]));
    wf_value *cargs = wf_xcalloc(WF_MAX(nargs, 1), sizeof *cargs);
    wf_value *cres = wf_xcalloc(WF_MAX(ft->nresults, 1), sizeof *cres);
    wf_error *e = NULL;
    for (size_t i = 0; !e && i < nargs; i++) e = number_to_core(&args[i], ft->params[i], i, &cargs[i]);
    if (!e) e = wf_func_call(fn, cargs, nargs, cres, ft->nresults);
    if (!e) {
        wf_val *vals = wf_xcalloc(WF_MAX(ft->nresults, 1), sizeof *vals);
        for (uint32_t i = 0; i < ft->nresults; i++) {
            switch (cres[i].type.kind) {
            case WF_I32: vals[i] = wf_val_sint(WF_VAL_S32, cres[i].of.i32); break;
            case WF_I64: vals[i] = wf_val_sint(WF_VAL_S64, cres[i].of.i64); break;
            case WF_F32: vals[i] = wf_val_f32(cres[i].of.f32); break;
            default: vals[i] = wf_val_f64(cres[i].of.f64); break;
            }
        }
        if (ft->nresults == 1) {
            *result = vals[0];
        } else {
            *result = wf_val_agg(WF_VAL_TUPLE, ft->nresults);
            for (uint32_t i = 0; i < ft->nresults; i++) result->of.agg.items[i] = vals[i];
        }
        free(vals);
    }
    free(cargs);
    free(cres);
    return e;
}
