/*
 * wasm_fn.c - the WASM function kind: a core module's export called in a
 * pristine instance per call (a fresh store + instance made by `prepare`),
 * through the Canonical ABI when the function has a `wit` signature, else
 * with numbers converted to its core parameter types.
 *
 * Limits: max_memory_mb caps every memory of the call's store (memory.grow
 * fails beyond it, an initial size beyond it fails instantiation with
 * LIMIT); max_stack_kb bounds the interpreter's stack on the calling thread
 * (wf_exec_set_stack_limit); max_execution_ms is the runtime's (rt_exec).
 */
#include <math.h>
#include <stdio.h>

#include "runtime/runtime.h"
#include "component/cabi.h"
#include "wasm/code.h"
#include "wasm/runtime.h"

typedef struct wasm_fn {
    char *id;
    const wf_module *module;
    char *method;
    const wf_wit_func *wit;
    const wf_functype *core;
    wf_wasm_limits limits;
    char *import_problem;       /* the first import we cannot satisfy, or NULL */
} wasm_fn;

typedef struct wasm_inst {
    wf_store *store;
    wf_instance *inst;
    wf_func *func;
} wasm_inst;

/* ---- Core numbers ---------------------------------------------------------- */

static bool is_int_kind(uint8_t k)
{
    return k >= WF_VAL_S8 && k <= WF_VAL_U64;
}

static bool is_signed_kind(uint8_t k)
{
    return k >= WF_VAL_S8 && k <= WF_VAL_S64;
}

static const char *core_name(wf_valkind k)
{
    switch (k) {
    case WF_I32: return "i32";
    case WF_I64: return "i64";
    case WF_F32: return "f32";
    case WF_F64: return "f64";
    default: return "reference or vector";
    }
}

/* Convert arg (parameter i, 1-based in messages) to a slot of type want. */
static wf_error *to_core(const wasm_fn *w, size_t i, const wf_val *a, wf_valkind want, wf_slot *out)
{
    const char *tn = core_name(want);
    if (want != WF_I32 && want != WF_I64 && want != WF_F32 && want != WF_F64)
        return wf_error_new(WF_ERR_UNSUPPORTED, "%s: parameter %zu: %s parameters cannot be passed "
                            "without a `wit` signature", w->id, i + 1, tn);
    bool isint = is_int_kind(a->kind), isfloat = a->kind == WF_VAL_F32 || a->kind == WF_VAL_F64;
    if (!isint && !isfloat && a->kind != WF_VAL_BOOL)
        return wf_error_new(WF_ERR_INVALID, "%s: parameter %zu: expected a number (%s), got %s",
                            w->id, i + 1, tn, wf_val_kind_name(a->kind));
    if (want == WF_F32 || want == WF_F64) {
        double d = a->kind == WF_VAL_F32 ? a->of.f32 : a->kind == WF_VAL_F64 ? a->of.f64
                 : a->kind == WF_VAL_BOOL ? a->of.b
                 : is_signed_kind(a->kind) ? (double)a->of.s : (double)a->of.u;
        if (want == WF_F32) {
            float f = a->kind == WF_VAL_F32 ? a->of.f32 : (float)d;
            if (isfinite(d) && !isfinite(f))
                return wf_error_new(WF_ERR_INVALID, "%s: parameter %zu: %g is out of range for f32",
                                    w->id, i + 1, d);
            out->u64 = 0;
            out->f32 = f;
        } else {
            out->f64 = d;
        }
        return NULL;
    }
    /* Integers: a signed value, or an unsigned one, or an integral float. */
    bool neg;
    uint64_t mag;
    if (a->kind == WF_VAL_BOOL) {
        neg = false;
        mag = a->of.b;
    } else if (is_signed_kind(a->kind)) {
        neg = a->of.s < 0;
        mag = neg ? (uint64_t)0 - (uint64_t)a->of.s : (uint64_t)a->of.s;
    } else if (isint) {
        neg = false;
        mag = a->of.u;
    } else {
        double d = a->kind == WF_VAL_F32 ? a->of.f32 : a->of.f64;
        if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 18446744073709551616.0)
            return wf_error_new(WF_ERR_INVALID, "%s: parameter %zu: %g is not an integer in range "
                                "for %s", w->id, i + 1, d, tn);
        neg = d < 0;
        mag = neg ? (uint64_t)(-(d + 1)) + 1 : (uint64_t)d;
    }
    /* i32 takes -2^31 .. 2^32-1 (signed or unsigned readings), i64 likewise. */
    uint64_t maxpos = want == WF_I32 ? UINT32_MAX : UINT64_MAX;
    uint64_t maxneg = want == WF_I32 ? (uint64_t)1 << 31 : (uint64_t)1 << 63;
    if ((neg && mag > maxneg) || (!neg && mag > maxpos)) {
        if (neg)
            return wf_error_new(WF_ERR_INVALID, "%s: parameter %zu: -%llu is out of range for %s",
                                w->id, i + 1, (unsigned long long)mag, tn);
        return wf_error_new(WF_ERR_INVALID, "%s: parameter %zu: %llu is out of range for %s",
                            w->id, i + 1, (unsigned long long)mag, tn);
    }
    uint64_t bits = neg ? (uint64_t)0 - mag : mag;
    out->u64 = want == WF_I32 ? (uint32_t)bits : bits;
    return NULL;
}

static wf_error *check_core(const wasm_fn *w, const wf_val *args, size_t nargs, wf_slot *slots)
{
    const wf_functype *ft = w->core;
    if (nargs != ft->nparams)
        return wf_error_new(WF_ERR_INVALID, "%s: expected %u argument%s, got %zu", w->id,
                            ft->nparams, ft->nparams == 1 ? "" : "s", nargs);
    for (size_t i = 0; i < nargs; i++) {
        wf_slot s;
        wf_error *e = to_core(w, i, &args[i], ft->params[i].kind, slots ? &slots[i] : &s);
        if (e) return e;
    }
    return NULL;
}

static wf_val from_core(wf_valtype t, wf_slot s)
{
    switch (t.kind) {
    case WF_I32: return wf_val_sint(WF_VAL_S32, s.i32);
    case WF_I64: return wf_val_sint(WF_VAL_S64, s.i64);
    case WF_F32: return wf_val_f32(s.f32);
    default: return wf_val_f64(s.f64);
    }
}

static wf_error *call_core(const wasm_fn *w, wf_func *f, const wf_val *args, size_t nargs,
                           wf_val *result)
{
    const wf_functype *ft = w->core;
    for (uint32_t i = 0; i < ft->nresults; i++) {
        wf_valkind k = ft->results[i].kind;
        if (k != WF_I32 && k != WF_I64 && k != WF_F32 && k != WF_F64)
            return wf_error_new(WF_ERR_UNSUPPORTED, "%s: result %u is a %s: it needs a `wit` "
                                "signature", w->id, i + 1, core_name(k));
    }
    size_t n = WF_MAX(ft->nparams, ft->nresults);
    wf_slot small[16];
    wf_slot *slots = n <= WF_COUNT(small) ? small : wf_xcalloc(n, sizeof(wf_slot));
    wf_error *err = check_core(w, args, nargs, slots);
    if (!err) err = wf_exec_call(f, slots);
    if (!err) {
        if (ft->nresults == 1) {
            *result = from_core(ft->results[0], slots[0]);
        } else {
            *result = wf_val_agg(WF_VAL_TUPLE, ft->nresults);
            for (uint32_t i = 0; i < ft->nresults; i++)
                result->of.agg.items[i] = from_core(ft->results[i], slots[i]);
        }
    }
    if (slots != small) free(slots);
    return err;
}

/* ---- The kind --------------------------------------------------------------- */

static wf_error *wasm_check(void *fn, const wf_val *args, size_t nargs)
{
    wasm_fn *w = fn;
    if (w->wit) return NULL;   /* wf_cabi_call checks before it runs anything */
    return check_core(w, args, nargs, NULL);
}

static wf_error *wasm_prepare(void *fn, void **out)
{
    wasm_fn *w = fn;
    if (w->import_problem)
        return wf_error_new(WF_ERR_NOT_FOUND, "%s: %s", w->id, w->import_problem);
    wasm_inst *wi = wf_xcalloc(1, sizeof *wi);
    wi->store = wf_store_new();
    if (w->limits.max_memory_mb)
        wi->store->memory_limit_pages = (uint64_t)w->limits.max_memory_mb * 16;
    wf_error *err = wf_instance_new(wi->store, w->module, NULL, 0, &wi->inst);
    if (!err) {
        wf_extern x;
        if (!wf_instance_export(wi->inst, w->method, strlen(w->method), &x) ||
            x.kind != WF_EXTERN_FUNC)
            err = wf_error_new(WF_ERR_NOT_FOUND, "no exported function `%s`", w->method);
        else
            wi->func = x.of.func;
    }
    if (err) {
        wf_store_free(wi->store);
        free(wi);
        return wf_error_wrap(err, "%s: instantiation", w->id);
    }
    *out = wi;
    return NULL;
}

static wf_error *wasm_call(void *fn, void *inst, const wf_val *args, size_t nargs,
                           wf_val *result, const wf_fn_ctx *ctx)
{
    wasm_fn *w = fn;
    wasm_inst *wi = inst;
    (void)ctx;   /* the interrupt flag is already set on this thread (rt_exec) */
    wf_exec_set_stack_limit((size_t)w->limits.max_stack_kb * 1024);
    wf_error *err;
    if (w->wit) {
        err = wf_cabi_call(wi->inst, wi->func, w->method, w->wit, args, nargs, result);
    } else {
        err = call_core(w, wi->func, args, nargs, result);
    }
    wf_exec_set_stack_limit(0);
    if (err && err->kind == WF_ERR_TRAP) err = wf_error_wrap(err, "%s", w->id);
    return err;
}

static void wasm_release(void *fn, void *inst)
{
    wasm_inst *wi = inst;
    if (!wi) return;
    wf_store_free(wi->store);
    free(wi);
}

static void wasm_signature(void *fn, wf_fn_sig *out)
{
    wasm_fn *w = fn;
    out->wit = w->wit;
    out->core = w->wit ? NULL : w->core;
}

static void wasm_destroy(void *fn)
{
    wasm_fn *w = fn;
    free(w->id);
    free(w->method);
    free(w->import_problem);
    free(w);
}

static const wf_fn_kind wasm_kind = {
    .name = "function.wasm",
    .check = wasm_check,
    .prepare = wasm_prepare,
    .call = wasm_call,
    .release = wasm_release,
    .signature = wasm_signature,
    .destroy = wasm_destroy,
};

wf_error *wf_runtime_add_wasm(wf_runtime *rt, const char *id, const wf_module *module,
                              const wf_wasm_config *cfg)
{
    if (!cfg->method || !*cfg->method)
        return wf_error_new(WF_ERR_INVALID, "%s: no method", id);
    if (strchr(cfg->method, '#'))
        return wf_error_new(WF_ERR_UNSUPPORTED, "%s: method `%s`: functions of component "
                            "interfaces are not supported yet", id, cfg->method);
    const wf_export *ex = wf_module_find_export(module, cfg->method, strlen(cfg->method));
    if (!ex || ex->kind != WF_EXTERN_FUNC)
        return wf_error_new(WF_ERR_NOT_FOUND, "%s: the module exports no function `%s`", id,
                            cfg->method);
    const wf_functype *ft = module->funcs[ex->index].type;
    if (cfg->wit) {
        wf_error *e = wf_cabi_check_type(ft, cfg->wit);
        if (e) return wf_error_wrap(e, "%s: method `%s` does not match its `wit`", id, cfg->method);
    }
    wasm_fn *w = wf_xcalloc(1, sizeof *w);
    w->id = wf_xstrdup(id);
    w->module = module;
    w->method = wf_xstrdup(cfg->method);
    w->wit = cfg->wit;
    w->core = ft;
    w->limits = cfg->limits;
    if (module->nimports > 0) {
        const wf_import *im = &module->imports[0];
        w->import_problem = wf_xasprintf("the module imports `%.*s`.`%.*s`, which nothing provides "
                                         "(host imports are not available yet)",
                                         (int)im->module_len, im->module, (int)im->name_len, im->name);
    }
    wf_fn_options opts = { .pool = cfg->pool, .max_execution_ms = cfg->limits.max_execution_ms };
    wf_error *e = wf_runtime_add(rt, id, &wasm_kind, w, &opts);
    if (e) wasm_destroy(w);
    return e;
}
