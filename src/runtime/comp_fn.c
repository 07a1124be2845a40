/*
 * comp_fn.c - the component function kind: an export of a component
 * (component/component.h), `method` naming a top-level function ("eval") or
 * a function of an exported interface ("ops#greet", "wasmfn:calc/ops#greet"),
 * called in a fresh component instance per call.
 *
 * The component is decoded, validated and compiled once by the caller (the
 * registry) and borrowed. Instances live in slots (slots.h): the first
 * instantiation is the template, its state is snapshotted (wasm/image.h), and
 * every call gets a slot reset to that snapshot, made bare (no segments, no
 * start) and reset the first time, reset again when its call ends (memories
 * back to their copy-on-write images, globals, tables, handle tables, a new
 * WASI 0.2 context). So no
 * state survives a call, and an instance costs a reset, not an
 * instantiation. Code run while instantiating (a core start function, a
 * component start; WASI adapters have one) is part of the template when it
 * called no host function (it computes the same in every fresh instance);
 * one that did makes every call get a fresh instance instead, unless the
 * entry asks for `preinit`: then that code runs once, in the template, and
 * its result is what every call starts from. The template is
 * made at the first call, or at add time with preinit (its errors are load
 * errors).
 *
 * Values: the export's own type (a wf_wit_func from the component) is the
 * function's signature, so the Lua, JSON and HTTP converters build
 * arguments exactly as for a `wit` field; wf_cinstance_call lowers and lifts
 * them through the component's canonical options.
 *
 * Limits: max_memory_mb caps every memory of the store, hence of every core
 * instance inside the component; max_stack_kb bounds the interpreter's stack;
 * max_execution_ms is the runtime's (wf_rt_exec interrupts any core code).
 *
 * Imports (SPEC §4): with `funcs` enabled, wippy:runtime/funcs@0.1.0 is
 * served (funcs_host.c); WASI 0.2 (wasi/p2.h) defines every WASI resource
 * type and the functions of the enabled WASI packages, over a context per
 * instance made from the entry's `wasi` block (args with the ID as argv[0],
 * cwd, env looked up per call, mounts, network) whose stdout and stderr go
 * to the log as `[ns:name] line`, as for core modules. Every other function
 * a component imports is linked to a stub that traps, naming the import and
 * the `imports` word that would enable it (or saying that no word does).
 *
 * A `method` that is wasi:http/incoming-handler#handle (any 0.2.x) makes
 * the function an HTTP proxy: its caller (http/proxy.c) passes the
 * exchange as wf_call_opts.host (a wf_p2_http_incoming) and the call gets
 * the incoming-request and response-outparam made from it (wasi/p2_http.h).
 *
 * wasi:cli/exit ends the call as preview 1's proc_exit does: status 0 from a
 * function without results is a normal return, anything else a TRAP
 * "exited with status N" carrying exit_code N.
 */
#include <stdio.h>

#include "runtime/runtime.h"
#include "runtime/slots.h"
#include "runtime/wasi_cfg.h"
#include "component/component.h"
#include "wasi/p2.h"
#include "wasi/p2_http.h"
#include "wasm/code.h"
#include "wasm/image.h"
#include "wasm/runtime.h"

typedef struct comp_fn {
    char *id;
    const wf_component *comp;
    char *method;
    const wf_wit_func *func;
    wf_wasm_limits limits;
    char **enabled; size_t nenabled;   /* `imports` words, e.g. "wasi:cli" */
    wf_clinker *linker;
    wf_p2_host *p2;                     /* WASI 0.2 (always: its types grant nothing) */
    wf_rt_wasi wasi;                    /* the entry's `wasi` block */
    bool preinit;
    bool proxy;                         /* method is wasi:http/incoming-handler#handle */
    pthread_mutex_t tmpl_mu;            /* making the template */
    bool tmpl_done;                     /* tried: tmpl is the outcome */
    wf_snapshot *tmpl;                  /* NULL: a fresh instance per call */
    wf_slots idle;
} comp_fn;

typedef struct comp_inst {
    wf_store *store;
    wf_cinstance *inst;
    wf_cinstance_func *func;            /* the method, found once (NULL: not exported) */
    wf_p2_ctx *p2;
    wf_rt_outlog out;                   /* the guest's stdout, stderr */
    bool slot;                          /* reset to the template and kept on release */
} comp_inst;

/* ---- Imports ------------------------------------------------------------- */

/* The `imports` word of a WASI interface name: "wasi:cli/stdout@0.2.0" ->
 * "wasi:cli" (written into buf); NULL for a name outside the wasi package
 * namespace, which no word enables. */
static const char *import_word(const char *name, char *buf, size_t cap)
{
    if (!strncmp(name, "wippy:runtime/funcs", 19)) return "funcs";
    if (strncmp(name, "wasi:", 5)) return NULL;
    size_t n = strcspn(name, "/@");
    if (n >= cap) return NULL;
    memcpy(buf, name, n);
    buf[n] = 0;
    return buf;
}

/* The trap message of an import no host provides (wf_cmissing_fn; called at
 * every instantiation, on any thread: it only reads fn). */
static char *missing_import(void *env, const char *import, const char *func)
{
    const comp_fn *c = env;
    char what[512];
    if (func) snprintf(what, sizeof what, "import `%s` function `%s`", import, func);
    else snprintf(what, sizeof what, "import `%s`", import);
    char wb[128];
    const char *word = import_word(import, wb, sizeof wb);
    if (!word)
        return wf_xasprintf("%s: %s is not provided: no `imports` word enables it (only WASI "
                            "interfaces and wippy:runtime/funcs can be enabled)", c->id, what);
    for (size_t i = 0; i < c->nenabled; i++)
        if (!strcmp(c->enabled[i], word)) {
            if (!strncmp(import, "wasi:", 5) && strstr(import, "@0.2.") &&
                wf_p2_host_provides(c->p2, import))
                return wf_xasprintf("%s: %s: WASI 0.2 has no such function", c->id, what);
            return wf_xasprintf("%s: %s: `%s` is enabled but wasmfn has no component host for it "
                                "yet", c->id, what, word);
        }
    return wf_xasprintf("%s: %s is not enabled: add `%s` to the entry's `imports`", c->id, what,
                        word);
}

/* The WASI 0.2 packages the `imports` words name (SPEC §4). */
static bool known_wasi_package(const char *name)
{
    static const char *const pkgs[] = { "wasi:cli/", "wasi:io/", "wasi:poll/", "wasi:clocks/",
                                        "wasi:random/", "wasi:filesystem/", "wasi:sockets/",
                                        "wasi:http/" };
    /* wasi:sockets is complete: an interface it does not have is a typo or
     * a newer WASI, not a package left disabled */
    if (!strncmp(name, "wasi:sockets/", 13)) return wf_p2_host_knows(name);
    for (size_t i = 0; i < WF_COUNT(pkgs); i++)
        if (!strncmp(name, pkgs[i], strlen(pkgs[i]))) return true;
    return false;
}

wf_error *wf_component_check_imports(const wf_component *comp)
{
    for (size_t i = 0; i < wf_component_import_count(comp); i++) {
        const wf_cextern *x = wf_component_import(comp, i);
        const char *n = x->name;
        if (x->kind == WF_CEXTERN_TYPE) continue;   /* a type import is its bound (an `eq` type) */
        if (!strncmp(n, "wippy:runtime/funcs", 19) && (n[19] == 0 || n[19] == '@')) continue;
        if (known_wasi_package(n)) continue;
        return wf_error_new(WF_ERR_UNLINKABLE, "unknown import `%s`: components may import WASI 0.2 "
                            "(wasi:cli, io, clocks, random, filesystem, sockets, http) and "
                            "wippy:runtime/funcs", n);
    }
    return NULL;
}

/* ---- The kind ------------------------------------------------------------ */

static void comp_inst_free(comp_inst *ci)
{
    wf_cinstance_free(ci->inst);
    wf_store_free(ci->store);
    wf_p2_ctx_free(ci->p2);
    wf_rt_outlog_flush(&ci->out);
    wf_rt_outlog_free(&ci->out);
    free(ci);
}

/* The instance's WASI 0.2 context: the entry's `wasi` block (env comes per
 * call), stdio to the log. */
static wf_p2_ctx *p2_context(comp_fn *c, comp_inst *ci)
{
    const wf_rt_wasi *w = &c->wasi;
    const char **argv = wf_xcalloc(w->nargs + 1, sizeof *argv);
    argv[0] = c->id;
    for (size_t i = 0; i < w->nargs; i++) argv[i + 1] = w->args[i];
    wf_p2_mount_config *m = wf_xcalloc(w->nmounts + 1, sizeof *m);
    for (size_t i = 0; i < w->nmounts; i++)
        m[i] = (wf_p2_mount_config){ w->mounts[i].host, w->mounts[i].guest, w->mounts[i].read_only };
    wf_p2_config pc = {
        .argv = argv, .argc = w->nargs + 1,
        .cwd = w->cwd,
        .mounts = m, .nmounts = w->nmounts,
        .network = (const char *const *)w->network, .nnetwork = w->nnetwork,
        .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
        .out = wf_rt_outlog_write, .out_ud = &ci->out,
    };
    wf_p2_ctx *cx = wf_p2_ctx_new(c->p2, &pc);
    free(argv);
    free(m);
    return cx;
}

static void slot_free(void *ud, void *slot)
{
    (void)ud;
    comp_inst_free(slot);
}

/* Instantiate in a new store; bare: to be reset to the template. */
static wf_error *inst_new(comp_fn *c, bool bare, comp_inst **out)
{
    comp_inst *ci = wf_xcalloc(1, sizeof *ci);
    ci->out = (wf_rt_outlog){ .id = c->id, .log = c->wasi.log, .log_ud = c->wasi.log_ud };
    ci->store = wf_store_new();
    ci->store->bare = bare;
    if (c->limits.max_memory_mb)
        ci->store->memory_limit_pages = (uint64_t)c->limits.max_memory_mb * 16;
    ci->p2 = p2_context(c, ci);
    wf_error *err = wf_cinstance_new_with(ci->store, c->comp, c->linker, ci->p2, &ci->inst);
    ci->store->bare = false;
    if (err) {
        comp_inst_free(ci);
        return wf_error_wrap(err, "%s: instantiation", c->id);
    }
    ci->func = wf_cinstance_find(ci->inst, c->method);
    *out = ci;
    return NULL;
}

/* Back to pristine: the template's core state, empty handle tables, and a
 * WASI 0.2 context as new (the old one's files, streams, timers and output
 * go; wf_p2_ctx_reset keeps its configuration and its table's memory, so a
 * call allocates nothing for it). */
static wf_error *slot_reset(comp_fn *c, comp_inst *ci)
{
    wf_cinstance_reset(ci->inst);
    wf_error *e = wf_snapshot_reset(c->tmpl, ci->store);
    if (e) return e;
    wf_rt_outlog_flush(&ci->out);
    wf_p2_ctx_reset(ci->p2);
    return NULL;
}

/* What a preinit snapshot may not hold: resources handed out (WASI
 * streams, files; the guest's own), whose handles would point at state of
 * the one template instance and its host context. */
static wf_error *preinit_check(comp_fn *c, comp_inst *ci)
{
    size_t open = wf_cinstance_open_handles(ci->inst);
    if (open)
        return wf_error_new(WF_ERR_UNSUPPORTED, "%s: preinit: the initialisation left %zu resource "
                            "handle%s open (host handles such as WASI streams or files, or the "
                            "component's own resources); a snapshot cannot hold resources", c->id,
                            open, open == 1 ? "" : "s");
    return NULL;
}

/* The template, made once: instantiate, snapshot, and keep the instance as
 * the first idle slot. A component that runs code while instantiating has
 * no template unless preinit (then the snapshot is taken after that code). */
static wf_error *ensure_template(comp_fn *c)
{
    if (__atomic_load_n(&c->tmpl_done, __ATOMIC_ACQUIRE)) return NULL;   /* the common case: no lock */
    pthread_mutex_lock(&c->tmpl_mu);
    if (c->tmpl_done) {
        pthread_mutex_unlock(&c->tmpl_mu);
        return NULL;
    }
    comp_inst *ci;
    wf_error *err = inst_new(c, false, &ci);
    if (err) {
        pthread_mutex_unlock(&c->tmpl_mu);
        return c->preinit ? wf_error_wrap(err, "preinit") : err;
    }
    /* Start code that called no host function is deterministic: its result
     * is what every fresh instance would compute, so it may be the template. */
    if (!ci->store->ran_code || !ci->store->host_calls || c->preinit) {
        if (c->preinit) err = preinit_check(c, ci);
        if (!err) err = wf_snapshot_take(ci->store, &c->tmpl);
        if (err && c->preinit) {
            comp_inst_free(ci);
            pthread_mutex_unlock(&c->tmpl_mu);
            return wf_error_wrap(err, "%s: preinit", c->id);
        }
        wf_error_free(err);   /* no snapshot: fresh instances */
        err = NULL;
    }
    if (c->tmpl) {
        err = slot_reset(c, ci);
        ci->slot = true;
    }
    if (c->tmpl && !err && wf_slots_put(&c->idle, ci)) ci = NULL;
    wf_error_free(err);
    if (ci) comp_inst_free(ci);
    __atomic_store_n(&c->tmpl_done, true, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->tmpl_mu);
    return NULL;
}

static wf_error *template_now(void *c) { return ensure_template(c); }

static wf_error *comp_prepare(void *fn, void **out)
{
    comp_fn *c = fn;
    wf_error *err = ensure_template(c);
    if (err) return err;
    comp_inst *ci = c->tmpl ? wf_slots_take(&c->idle) : NULL;
    if (!ci) {
        if ((err = inst_new(c, c->tmpl != NULL, &ci))) return err;
        if (c->tmpl && (err = wf_snapshot_reset(c->tmpl, ci->store))) {
            comp_inst_free(ci);
            return wf_error_wrap(err, "%s: instantiation", c->id);
        }
        ci->slot = c->tmpl != NULL;
    }
    *out = ci;
    return NULL;
}

static wf_error *comp_call(void *fn, void *inst, const wf_val *args, size_t nargs,
                           wf_val *result, const wf_fn_ctx *ctx)
{
    comp_fn *c = fn;
    comp_inst *ci = inst;
    (void)ctx;   /* the interrupt flag is already set on this thread (wf_rt_exec) */
    char **env;
    size_t nenv;
    wf_error *err = wf_rt_wasi_env(&c->wasi, c->id, &env, &nenv);
    if (err) return err;
    wf_p2_ctx_set_env(ci->p2, (const char *const *)env, nenv);
    wf_rt_wasi_env_free(env, nenv);
    /* A proxy is called with the request and the response-outparam of the
     * exchange its HTTP endpoint hands over (wf_p2_http_incoming). */
    wf_val proxy_args[2];
    if (c->proxy) {
        if (!ctx || !ctx->host)
            return wf_error_new(WF_ERR_INVALID, "%s serves HTTP (wasi:http/incoming-handler): call it "
                                "through an http.endpoint of `wasmfn run`", c->id);
        if ((err = wf_p2_http_proxy_args(ci->p2, ctx->host, proxy_args))) return err;
        args = proxy_args;
        nargs = 2;
    }
    wf_exec_set_stack_limit((size_t)c->limits.max_stack_kb * 1024);
    err = ci->func ? wf_cinstance_call_func(ci->func, args, nargs, result)
                   : wf_cinstance_call(ci->inst, c->method, args, nargs, result);   /* its NOT_FOUND */
    wf_exec_set_stack_limit(0);
    wf_rt_outlog_flush(&ci->out);
    if (err && err->kind == WF_ERR_EXIT) {
        int code = err->exit_code;
        wf_error_free(err);
        if (code == 0 && c->func->nresults == 0) {
            *result = wf_val_agg(WF_VAL_TUPLE, 0);
            return NULL;
        }
        /* A command's `run: func() -> result` (wasi:cli/run, the preview 1
         * adapter's: a program that ends with exit(0)) succeeded. */
        const wf_wit_type *rt = c->func->nresults == 1 ? c->func->results[0].type : NULL;
        if (code == 0 && rt && rt->kind == WF_WIT_RESULT && !rt->elem && !rt->err) {
            *result = wf_val_ok(NULL);
            return NULL;
        }
        err = wf_error_new(WF_ERR_TRAP, "%s: exited with status %d%s", c->id, code,
                           code == 0 ? " before returning its result" : "");
        err->exit_code = code;
        return err;
    }
    if (err && (err->kind == WF_ERR_TRAP || err->kind == WF_ERR_INVALID))
        err = wf_error_wrap(err, "%s", c->id);
    return err;
}

/* A slot is reset here, at the end of its call (a trap or a timeout
 * included), so an idle slot is never dirty; one that cannot be reset is freed. */
static void comp_release(void *fn, void *inst)
{
    comp_fn *c = fn;
    comp_inst *ci = inst;
    if (!ci) return;
    if (ci->slot) {
        wf_error *e = slot_reset(c, ci);
        if (!e && wf_slots_put(&c->idle, ci)) return;
        wf_error_free(e);
    }
    comp_inst_free(ci);
}

static void comp_signature(void *fn, wf_fn_sig *out)
{
    comp_fn *c = fn;
    out->wit = c->func;
    out->core = NULL;
}

static void comp_destroy(void *fn)
{
    comp_fn *c = fn;
    wf_slots_fini(&c->idle, slot_free, NULL);
    wf_snapshot_free(c->tmpl);
    pthread_mutex_destroy(&c->tmpl_mu);
    wf_clinker_free(c->linker);
    wf_p2_host_free(c->p2);
    wf_rt_wasi_free(&c->wasi);
    for (size_t i = 0; i < c->nenabled; i++) free(c->enabled[i]);
    free(c->enabled);
    free(c->id);
    free(c->method);
    free(c);
}

static const wf_fn_kind comp_kind = {
    .name = "function.wasm (component)",
    .prepare = comp_prepare,
    .call = comp_call,
    .release = comp_release,
    .signature = comp_signature,
    .destroy = comp_destroy,
};

/* "f, ops#g, ..." : what `method` may name, for a NOT_FOUND message. */
static char *method_list(const wf_component *comp)
{
    size_t cap = 1024, used = 0;
    char *s = wf_xcalloc(cap, 1);
    size_t n = wf_component_export_count(comp);
    for (size_t i = 0; i < n; i++) {
        const wf_cextern *x = wf_component_export(comp, i);
        if (x->kind == WF_CEXTERN_FUNC) {
            int w = snprintf(s + used, cap - used, "%s%s", used ? ", " : "", x->name);
            if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
        } else if (x->kind == WF_CEXTERN_INSTANCE) {
            for (size_t j = 0; j < x->nmembers; j++) {
                if (x->members[j].kind != WF_CEXTERN_FUNC) continue;
                int w = snprintf(s + used, cap - used, "%s%s#%s", used ? ", " : "", x->name,
                                 x->members[j].name);
                if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
            }
        }
    }
    if (!used) snprintf(s, cap, "none");
    return s;
}

wf_error *wf_component_method_check(const wf_component *comp, const char *method,
                                    const wf_wit_func **out)
{
    const wf_wit_func *f = method && *method ? wf_component_find_func(comp, method) : NULL;
    if (!f) {
        char *list = method_list(comp);
        wf_error *e = wf_error_new(WF_ERR_NOT_FOUND, "method '%s' is not a function the component "
                                   "exports (exported functions: %s)", method ? method : "",
                                   list);
        free(list);
        return e;
    }
    if (out) *out = f;
    return NULL;
}

wf_error *wf_runtime_add_component(wf_runtime *rt, const char *id, const wf_component *comp,
                                   const wf_component_config *cfg)
{
    const wf_wit_func *f;
    wf_error *e = wf_component_method_check(comp, cfg->method, &f);
    if (e) return wf_error_wrap(e, "%s", id);
    if ((e = wf_component_check_imports(comp))) return wf_error_wrap(e, "%s", id);
    comp_fn *c = wf_xcalloc(1, sizeof *c);
    c->id = wf_xstrdup(id);
    c->comp = comp;
    c->method = wf_xstrdup(cfg->method);
    c->func = f;
    c->limits = cfg->limits;
    c->enabled = wf_xcalloc(cfg->nimports + 1, sizeof *c->enabled);
    for (size_t i = 0; i < cfg->nimports; i++) c->enabled[i] = wf_xstrdup(cfg->imports[i]);
    c->nenabled = cfg->nimports;
    c->linker = wf_clinker_new();
    wf_clinker_stub_missing(c->linker, missing_import, c);
    wf_rt_wasi_copy(&c->wasi, &cfg->wasi);
    c->p2 = wf_p2_host_new(cfg->imports, cfg->nimports);
    wf_p2_host_define(c->p2, c->linker);
    for (size_t i = 0; i < cfg->nimports; i++)
        if (!strcmp(cfg->imports[i], "funcs")) wf_funcs_host_define(c->linker, rt);
    c->preinit = cfg->preinit;
    c->proxy = wf_p2_http_is_proxy_method(cfg->method);
    pthread_mutex_init(&c->tmpl_mu, NULL);
    wf_slots_init(&c->idle);
    if (c->preinit &&
        (e = wf_runtime_preinit(rt, id, cfg->limits.max_execution_ms, template_now, c))) {
        comp_destroy(c);
        return e;
    }
    wf_fn_options opts = { .pool = cfg->pool, .max_execution_ms = cfg->limits.max_execution_ms };
    e = wf_runtime_add(rt, id, &comp_kind, c, &opts);
    if (e) comp_destroy(c);
    return e;
}
