/*
 * wasm_fn.c - the WASM function kind: a core module's export called in a
 * pristine instance per call (a fresh store + instance made by `prepare`),
 * through the Canonical ABI when the function has a `wit` signature, else
 * with numbers converted to its core parameter types.
 *
 * Slots (slots.h): unless it imports WASI preview 1, an instance is made once per
 * slot and reset to a snapshot of the first one (wasm/image.h) when its
 * call ends; a module whose start function calls a host function gets a
 * fresh instance per call (one calling none is part of the template: it
 * computes the same in every instance) unless the entry asks for `preinit` (the start function, then an
 * exported `_initialize` or `wizer.initialize`, run once at add time, and
 * every call starts from the state they leave). With preview 1 each call
 * gets a fresh instance and context (the context holds host handles), whose
 * memory still maps the module's data image.
 *
 * Limits: max_memory_mb caps every memory of the call's store (memory.grow
 * fails beyond it, an initial size beyond it fails instantiation with
 * LIMIT); max_stack_kb bounds the interpreter's stack on the calling thread
 * (wf_exec_set_stack_limit); max_execution_ms is the runtime's (wf_rt_exec).
 *
 * Imports (SPEC §4): the only host for core modules is WASI preview 1, so a
 * module may import wasi_snapshot_preview1 functions and nothing else (an
 * unknown import fails wf_runtime_add_wasm). With preview 1 enabled
 * (cfg->wasi.preview1) each instance gets its own context (runtime.h says
 * what it holds); otherwise every preview 1 import is a stub that traps
 * naming itself and the `imports` word that would enable it. The guest's
 * stdout/stderr are logged line by line, prefixed with the function ID.
 */
#include <math.h>
#include <stdio.h>

#include "runtime/runtime.h"
#include "runtime/slots.h"
#include "base/buf.h"
#include "component/cabi/cabi.h"
#include "component/val_conv.h"
#include "wasi/wasi.h"
#include "wasm/code.h"
#include "runtime/wasi_cfg.h"
#include "wasm/image.h"
#include "wasm/runtime.h"

typedef struct wasm_fn {
    char *id;
    const wf_module *module;
    char *method;
    const wf_wit_func *wit;
    wf_cabi_plan plan;          /* wit's flattening, checked against core */
    const wf_functype *core;
    wf_wasm_limits limits;
    bool p1;                    /* the module imports wasi_snapshot_preview1 */
    bool preview1;
    wf_rt_wasi wasi;            /* the WASI config, deep-copied (env_ud, log_ud borrowed) */
    char **stub_msg;            /* per import: the trap of one not enabled, or NULL */
    wf_runtime *rt;             /* for the funcs imports */
    bool funcs;                 /* `funcs` enabled */
    bool preinit;
    pthread_mutex_t tmpl_mu;    /* making the template */
    bool tmpl_done;             /* tried: tmpl is the outcome */
    wf_snapshot *tmpl;          /* NULL: a fresh instance per call */
    wf_slots idle;
} wasm_fn;

typedef struct wasm_inst {
    const wasm_fn *fn;
    wf_store *store;
    wf_instance *inst;
    wf_func *func;
    wf_func *post;              /* its cabi_post_ function, or NULL */
    wf_wasi_ctx *ctx;           /* preview 1 enabled and imported, else NULL */
    wf_rt_outlog out;           /* guest stdout, stderr */
    bool slot;                  /* reset to the template and kept on release */
} wasm_inst;

/* ---- Imports ------------------------------------------------------------------ */

wf_error *wf_wasm_check_imports(const wf_module *m)
{
    uint32_t n = wf_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(m, i);
        if (wf_funcs_host_is_import(d.module, d.module_len, d.name, d.name_len)) {
            wf_error *e = wf_funcs_host_check_import(d.name, d.name_len, d.func_type);
            if (e) return e;
            continue;
        }
        if (!wf_wasi_p1_is_module(d.module, d.module_len))
            return wf_error_new(WF_ERR_UNLINKABLE, "the module imports `%.*s`.`%.*s`, which no "
                                "host provides (core modules may import wasi_snapshot_preview1 "
                                "and wippy:runtime/funcs@0.1.0 functions only)", (int)d.module_len,
                                d.module, (int)d.name_len, d.name);
    }
    return wf_wasi_p1_check(m);
}

/* An import that is not enabled: trap, naming it (the message is the env). */
static wf_error *stub_trap(wf_caller *caller, void *env, wf_slot *slots)
{
    (void)caller;
    (void)slots;
    return wf_error_new(WF_ERR_TRAP, "%s", (const char *)env);
}

/* The environment of this call: NOT_FOUND naming every required variable
 * that has no value (the call does not run). */
static wf_error *wasi_env(const wasm_fn *w, wf_wasi_ctx *c)
{
    char **env;
    size_t n;
    wf_error *e = wf_rt_wasi_env(&w->wasi, w->id, &env, &n);
    if (e) return e;
    for (size_t i = 0; i < n; i++) wf_wasi_ctx_add_env(c, env[i]);
    wf_rt_wasi_env_free(env, n);
    return NULL;
}

/* Imports of a fresh instance: the preview 1 host over a new context, or
 * the trapping stubs. */
static wf_error *link_imports(const wasm_fn *w, wasm_inst *wi, wf_extern *imports)
{
    uint32_t n = wf_module_import_count(w->module);
    /* A module importing nothing of preview 1 needs a context only for the
     * check of required env variables. */
    if (w->preview1 && (w->p1 || w->wasi.nenv)) {
        wi->ctx = wf_wasi_ctx_new(-1, -1, -1);
        const char **argv = wf_xcalloc(w->wasi.nargs + 1, sizeof *argv);
        argv[0] = w->id;
        for (size_t i = 0; i < w->wasi.nargs; i++) argv[i + 1] = w->wasi.args[i];
        wf_wasi_ctx_set_args(wi->ctx, argv, w->wasi.nargs + 1);
        free(argv);
        wf_wasi_ctx_set_output(wi->ctx, 1, wf_rt_outlog_write, &wi->out);
        wf_wasi_ctx_set_output(wi->ctx, 2, wf_rt_outlog_write, &wi->out);
        for (size_t i = 0; i < w->wasi.nmounts; i++) {
            wf_error *e = wf_wasi_ctx_mount(wi->ctx, w->wasi.mounts[i].host, w->wasi.mounts[i].guest,
                                            w->wasi.mounts[i].read_only);
            if (e) return wf_error_wrap(e, "mount %s", w->wasi.mounts[i].guest);
        }
        wf_error *e = wf_wasi_p1_link(wi->store, w->module, wi->ctx, imports);
        if (e) return e;
    }
    /* The funcs imports, and the trapping stubs of what is not enabled. */
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(w->module, i);
        if (w->stub_msg && w->stub_msg[i]) {
            imports[i].kind = WF_EXTERN_FUNC;
            imports[i].of.func = wf_func_new_host(wi->store, d.func_type, stub_trap, w->stub_msg[i]);
        } else if (wf_funcs_host_is_import(d.module, d.module_len, d.name, d.name_len)) {
            imports[i].kind = WF_EXTERN_FUNC;
            imports[i].of.func = wf_funcs_host_core(wi->store, d.name, d.name_len, w->rt);
        }
    }
    return NULL;
}

/* ---- Core numbers ---------------------------------------------------------- */

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

/* Convert arg (parameter i, 1-based in messages) to a slot of type want,
 * by the one number rule (component/val_conv.h). */
static wf_error *to_core(const wasm_fn *w, size_t i, const wf_val *a, wf_valkind want, wf_slot *out)
{
    if (want != WF_I32 && want != WF_I64 && want != WF_F32 && want != WF_F64)
        return wf_error_new(WF_ERR_UNSUPPORTED, "%s: parameter %zu: %s parameters cannot be passed "
                            "without a `wit` signature", w->id, i + 1, core_name(want));
    /* The message's label is only formatted for a failure: a call's
     * arguments are converted on every call. */
    wf_val_conv c = { .form = WF_VAL_FORM_JSON };
    uint64_t bits;
    wf_error *e = wf_val_to_core(a, want, &c, &bits);
    if (e) {
        wf_error_free(e);
        char what[300];
        snprintf(what, sizeof what, "%s: parameter %zu", w->id, i + 1);
        c.what = what;
        e = wf_val_to_core(a, want, &c, &bits);
        if (e) return e;
    }
    out->u64 = bits;
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

static void inst_free(wasm_inst *wi)
{
    wf_rt_outlog_flush(&wi->out);
    wf_store_free(wi->store);
    wf_wasi_ctx_free(wi->ctx);
    wf_rt_outlog_free(&wi->out);
    free(wi);
}

static void slot_free(void *ud, void *slot)
{
    (void)ud;
    inst_free(slot);
}

/* Instantiate in a new store; bare: to be reset to the template. */
static wf_error *inst_new(wasm_fn *w, bool bare, wasm_inst **out)
{
    wasm_inst *wi = wf_xcalloc(1, sizeof *wi);
    wi->fn = w;
    wi->out = (wf_rt_outlog){ .id = w->id, .log = w->wasi.log, .log_ud = w->wasi.log_ud };
    wi->store = wf_store_new();
    wi->store->bare = bare;
    if (w->limits.max_memory_mb)
        wi->store->memory_limit_pages = (uint64_t)w->limits.max_memory_mb * 16;
    uint32_t nim = wf_module_import_count(w->module);
    wf_extern *imports = nim ? wf_xcalloc(nim, sizeof *imports) : NULL;
    wf_error *err = nim ? link_imports(w, wi, imports) : NULL;
    if (!err) err = wf_instance_new(wi->store, w->module, imports, nim, &wi->inst);
    free(imports);
    wi->store->bare = false;
    if (!err) {
        wf_extern x;
        if (!wf_instance_export(wi->inst, w->method, strlen(w->method), &x) ||
            x.kind != WF_EXTERN_FUNC)
            err = wf_error_new(WF_ERR_NOT_FOUND, "no exported function `%s`", w->method);
        else
            wi->func = x.of.func;
        if (!err && w->wit) wi->post = wf_cabi_post_return(wi->inst, w->method);
    }
    if (err) {
        inst_free(wi);
        return wf_error_wrap(err, "%s: instantiation", w->id);
    }
    *out = wi;
    return NULL;
}

/* preinit: after the start function, the module's exported initialiser. */
static wf_error *run_initializer(wasm_fn *w, wasm_inst *wi)
{
    static const char *const names[] = { "_initialize", "wizer.initialize" };
    for (size_t i = 0; i < WF_COUNT(names); i++) {
        wf_extern x;
        if (!wf_instance_export(wi->inst, names[i], strlen(names[i]), &x) || x.kind != WF_EXTERN_FUNC)
            continue;
        const wf_functype *ft = x.of.func->type;
        if (ft->nparams || ft->nresults)
            return wf_error_new(WF_ERR_INVALID, "%s: preinit: `%s` must take and return nothing",
                                w->id, names[i]);
        wf_slot none[1] = { { .u64 = 0 } };
        wf_error *e = wf_exec_call(x.of.func, none);
        if (e) return wf_error_wrap(e, "%s: preinit: `%s`", w->id, names[i]);
        return NULL;
    }
    return NULL;
}

/* The template, made once: instantiate, snapshot, and keep the instance as
 * the first idle slot. */
static wf_error *ensure_template(wasm_fn *w)
{
    if (__atomic_load_n(&w->tmpl_done, __ATOMIC_ACQUIRE)) return NULL;   /* the common case: no lock */
    pthread_mutex_lock(&w->tmpl_mu);
    if (w->tmpl_done) {
        pthread_mutex_unlock(&w->tmpl_mu);
        return NULL;
    }
    wasm_inst *wi;
    wf_error *err = inst_new(w, false, &wi);
    if (err) {
        pthread_mutex_unlock(&w->tmpl_mu);
        return w->preinit ? wf_error_wrap(err, "preinit") : err;
    }
    if (w->preinit) {
        wf_exec_set_stack_limit((size_t)w->limits.max_stack_kb * 1024);
        err = run_initializer(w, wi);
        wf_exec_set_stack_limit(0);
        if (!err) err = wf_snapshot_take(wi->store, &w->tmpl);
        if (err) {
            inst_free(wi);
            pthread_mutex_unlock(&w->tmpl_mu);
            return err->kind == WF_ERR_UNSUPPORTED ? wf_error_wrap(err, "%s: preinit", w->id) : err;
        }
    } else if (!wi->store->ran_code || !wi->store->host_calls) {
        /* Start code that called no host function is deterministic: its
         * result is what every fresh instance would compute. */
        err = wf_snapshot_take(wi->store, &w->tmpl);
        wf_error_free(err);   /* no snapshot: fresh instances */
        err = NULL;
    }
    if (w->tmpl) err = wf_snapshot_reset(w->tmpl, wi->store);
    if (w->tmpl && !err && wf_slots_put(&w->idle, wi)) wi = NULL;
    wf_error_free(err);
    if (wi) inst_free(wi);
    __atomic_store_n(&w->tmpl_done, true, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&w->tmpl_mu);
    return NULL;
}

static wf_error *template_now(void *w) { return ensure_template(w); }

static wf_error *wasm_prepare(void *fn, void **out)
{
    wasm_fn *w = fn;
    /* A preview 1 context holds host handles: only a module that imports
     * nothing of preview 1 (and needs no env check) can share slots. */
    bool pooled = !w->preview1 || (!w->p1 && !w->wasi.nenv);
    wf_error *err = pooled ? ensure_template(w) : NULL;
    if (err) return err;
    bool slot = pooled && w->tmpl;
    wasm_inst *wi = slot ? wf_slots_take(&w->idle) : NULL;
    if (!wi) {
        if ((err = inst_new(w, slot, &wi))) return err;
        if (slot && (err = wf_snapshot_reset(w->tmpl, wi->store))) {
            inst_free(wi);
            return wf_error_wrap(err, "%s: instantiation", w->id);
        }
        wi->slot = slot;
    }
    *out = wi;
    return NULL;
}

static wf_error *wasm_call(void *fn, void *inst, const wf_val *args, size_t nargs,
                           wf_val *result, const wf_fn_ctx *ctx)
{
    wasm_fn *w = fn;
    wasm_inst *wi = inst;
    (void)ctx;   /* the interrupt flag is already set on this thread (wf_rt_exec) */
    if (wi->ctx) {
        wf_error *e = wasi_env(w, wi->ctx);
        if (e) return e;
    }
    wf_exec_set_stack_limit((size_t)w->limits.max_stack_kb * 1024);
    wf_error *err;
    if (w->wit) {
        err = wf_cabi_call_post(wi->inst, wi->func, wi->post, &w->plan, w->method, w->wit, args, nargs,
                                result);
    } else {
        err = call_core(w, wi->func, args, nargs, result);
    }
    wf_exec_set_stack_limit(0);
    wf_rt_outlog_flush(&wi->out);
    if (err && err->kind == WF_ERR_EXIT) {
        /* proc_exit(0) from a function that owes no result is a normal
         * return; anything else failed (runtime.h). */
        int code = err->exit_code;
        wf_error_free(err);
        if (code == 0 && w->core->nresults == 0) {
            *result = wf_val_agg(WF_VAL_TUPLE, 0);
            return NULL;
        }
        err = wf_error_new(WF_ERR_TRAP, "%s: exited with status %d%s", w->id, code,
                           code == 0 ? " before returning its result" : "");
        err->exit_code = code;
        return err;
    }
    if (err && err->kind == WF_ERR_TRAP) err = wf_error_wrap(err, "%s", w->id);
    return err;
}

/* A slot is reset here, at the end of its call (a trap or a timeout
 * included), so an idle slot is never dirty; one that cannot be reset is freed. */
static void wasm_release(void *fn, void *inst)
{
    wasm_fn *w = fn;
    wasm_inst *wi = inst;
    if (!wi) return;
    if (wi->slot) {
        wf_rt_outlog_flush(&wi->out);
        wf_error *e = wf_snapshot_reset(w->tmpl, wi->store);
        if (!e && wf_slots_put(&w->idle, wi)) return;
        wf_error_free(e);
    }
    inst_free(wi);
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
    wf_slots_fini(&w->idle, slot_free, NULL);
    wf_snapshot_free(w->tmpl);
    pthread_mutex_destroy(&w->tmpl_mu);
    free(w->id);
    free(w->method);
    wf_rt_wasi_free(&w->wasi);
    if (w->stub_msg) {
        for (uint32_t i = 0; i < wf_module_import_count(w->module); i++) free(w->stub_msg[i]);
        free(w->stub_msg);
    }
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

static void copy_wasi(wasm_fn *w, const wf_wasi_config *c)
{
    w->p1 = wf_wasi_p1_imported(w->module);
    w->preview1 = c->preview1;
    wf_rt_wasi_copy(&w->wasi, c);
    /* Imports not enabled trap when called, saying which word enables them. */
    uint32_t n = wf_module_import_count(w->module);
    w->stub_msg = wf_xcalloc(n + 1, sizeof *w->stub_msg);
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(w->module, i);
        if (wf_funcs_host_is_import(d.module, d.module_len, d.name, d.name_len)) {
            if (!w->funcs)
                w->stub_msg[i] = wf_xasprintf("import %.*s::%.*s is not enabled: add `funcs` to the "
                                              "entry's `imports`", (int)d.module_len, d.module,
                                              (int)d.name_len, d.name);
        } else if (!w->preview1) {
            w->stub_msg[i] = wf_xasprintf("import %.*s::%.*s is not enabled: add "
                                          "`wasi_snapshot_preview1` (or wasi1, preview1) to the "
                                          "entry's `imports`", (int)d.module_len, d.module,
                                          (int)d.name_len, d.name);
        }
    }
}

wf_error *wf_runtime_add_wasm(wf_runtime *rt, const char *id, const wf_module *module,
                              const wf_wasm_config *cfg)
{
    if (!cfg->method || !*cfg->method)
        return wf_error_new(WF_ERR_INVALID, "%s: no method", id);
    if (strchr(cfg->method, '#'))
        return wf_error_new(WF_ERR_INVALID, "%s: method `%s`: interface methods (iface#func) "
                            "name functions of components, and this is a core module", id,
                            cfg->method);
    const wf_export *ex = wf_module_find_export(module, cfg->method, strlen(cfg->method));
    if (!ex || ex->kind != WF_EXTERN_FUNC)
        return wf_error_new(WF_ERR_NOT_FOUND, "%s: the module exports no function `%s`", id,
                            cfg->method);
    const wf_functype *ft = module->funcs[ex->index].type;
    wf_cabi_plan plan = {0};
    if (cfg->wit) {
        wf_error *e = wf_cabi_plan_make(ft, cfg->wit, &plan);
        if (e) return wf_error_wrap(e, "%s: method `%s` does not match its `wit`", id, cfg->method);
    }
    wf_error *ie = wf_wasm_check_imports(module);
    if (ie) return wf_error_wrap(ie, "%s", id);
    wasm_fn *w = wf_xcalloc(1, sizeof *w);
    w->id = wf_xstrdup(id);
    w->module = module;
    w->method = wf_xstrdup(cfg->method);
    w->wit = cfg->wit;
    w->plan = plan;
    w->core = ft;
    w->limits = cfg->limits;
    w->rt = rt;
    w->funcs = cfg->funcs;
    copy_wasi(w, &cfg->wasi);
    w->preinit = cfg->preinit;
    pthread_mutex_init(&w->tmpl_mu, NULL);
    wf_slots_init(&w->idle);
    if (w->preinit && w->preview1 && w->p1) {
        wasm_destroy(w);
        return wf_error_new(WF_ERR_UNSUPPORTED, "%s: preinit cannot be combined with WASI preview 1: "
                            "the snapshot would hold host handles (open files, arguments, "
                            "environment)", id);
    }
    if (w->preinit) {
        wf_error *pe = wf_runtime_preinit(rt, id, cfg->limits.max_execution_ms, template_now, w);
        if (pe) {
            wasm_destroy(w);
            return pe;
        }
    }
    wf_fn_options opts = { .pool = cfg->pool, .max_execution_ms = cfg->limits.max_execution_ms };
    wf_error *e = wf_runtime_add(rt, id, &wasm_kind, w, &opts);
    if (e) wasm_destroy(w);
    return e;
}
