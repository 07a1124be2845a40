/*
 * project.c - wf_project_* and wf_function_* (include/wasmfn.h,
 * "Projects"): a project directory loaded and registered into a runtime of
 * its own, its functions looked up by ID and called with values or JSON.
 *
 * Loading is `wasmfn call`'s: the registry (every file checked, modules
 * compiled), then its WASM functions and its Lua functions registered into
 * the runtime (which also makes the auto_init directories). A function
 * handle is the runtime's signature of the ID, made at the first lookup and
 * kept by the project (under a lock: lookups may come from any thread).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdio.h>

#include "project/project.h"
#include "base/vec.h"
#include "component/json.h"
#include "component/wit/wit.h"
#include "lua/wflua.h"
#include "registry/registry.h"

struct wf_project {
    wf_registry *reg;
    wf_runtime *rt;
    pthread_mutex_t lock;           /* guards fns */
    WF_VEC(wf_function *) fns;
};

struct wf_function {
    wf_project *p;
    char *id;
    wf_fn_sig sig;
};

/* The registry's error with every load problem in its message, one a line
 * (warnings, which do not fail a load, left out). */
static wf_error *load_error(wf_registry *reg, wf_error *e)
{
    size_t n = reg ? wf_registry_diag_count(reg) : 0;
    char *text = NULL;
    for (size_t i = 0; i < n; i++) {
        const wf_reg_diag *d = wf_registry_diag(reg, i);
        if (d->warning) continue;
        char *line = wf_reg_diag_format(d);
        char *joined = text ? wf_xasprintf("%s\n%s", text, line) : wf_xstrdup(line);
        free(line);
        free(text);
        text = joined;
    }
    if (!text) text = wf_error_format(e);
    wf_error *out = wf_error_new(e->kind, "%s", text);
    free(text);
    wf_error_free(e);
    return out;
}

wf_error *wf_project_load_into(const char *dir, wf_runtime *rt, wf_registry **out)
{
    *out = NULL;
    wf_registry *reg = NULL;
    wf_error *e = wf_registry_load(dir, &reg);
    if (e) {
        e = load_error(reg, e);
        wf_registry_free(reg);
        return e;
    }
    e = wf_registry_register(reg, rt);
    if (!e) e = wf_lua_register(reg, rt);
    if (e) {
        /* the caller frees rt first: functions added may borrow reg */
        *out = reg;
        return e;
    }
    *out = reg;
    return NULL;
}

wf_error *wf_project_load(const char *dir, wf_project **out)
{
    *out = NULL;
    wf_project *p = wf_xcalloc(1, sizeof *p);
    p->rt = wf_runtime_new();
    pthread_mutex_init(&p->lock, NULL);
    wf_error *e = wf_project_load_into(dir, p->rt, &p->reg);
    if (e) {
        wf_project_close(p);
        return e;
    }
    *out = p;
    return NULL;
}

void wf_project_close(wf_project *p)
{
    if (!p) return;
    /* The runtime first: its pools wait for running calls, which borrow
     * the registry's modules. */
    wf_runtime_free(p->rt);
    wf_registry_free(p->reg);
    for (size_t i = 0; i < p->fns.len; i++) {
        free(p->fns.data[i]->id);
        free(p->fns.data[i]);
    }
    wf_vec_free(&p->fns);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

wf_error *wf_project_function(wf_project *p, const char *id, wf_function **out)
{
    *out = NULL;
    pthread_mutex_lock(&p->lock);
    wf_error *e = NULL;
    for (size_t i = 0; i < p->fns.len && !*out; i++)
        if (!strcmp(p->fns.data[i]->id, id)) *out = p->fns.data[i];
    if (!*out) {
        wf_fn_sig sig;
        e = wf_runtime_signature(p->rt, id, &sig);
        if (!e) {
            wf_function *f = wf_xcalloc(1, sizeof *f);
            *f = (wf_function){ .p = p, .id = wf_xstrdup(id), .sig = sig };
            wf_vec_push(&p->fns, f);
            *out = f;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return e;
}

wf_error *wf_function_call(wf_function *f, const wf_val *args, size_t nargs, uint32_t timeout_ms,
                           wf_val *result)
{
    wf_call_opts opts = { .timeout_ms = timeout_ms };
    return wf_runtime_call(f->p->rt, f->id, args, nargs, result, &opts);
}

wf_error *wf_function_call_json(wf_function *f, const char *const *args_json, size_t nargs,
                                uint32_t timeout_ms, char **result_json)
{
    *result_json = NULL;
    wf_val *args = wf_xcalloc(nargs ? nargs : 1, sizeof *args);
    wf_error *e = wf_project_json_args(&f->sig, args_json, nargs, args);
    if (!e) {
        wf_val result;
        e = wf_function_call(f, args, nargs, timeout_ms, &result);
        if (!e) {
            *result_json = wf_project_json_result(&result);
            wf_val_free(&result);
        }
        for (size_t i = 0; i < nargs; i++) wf_val_free(&args[i]);
    }
    free(args);
    return e;
}

/* ---- The JSON rules shared with `wasmfn call` ---------------------------- */

/* The count is checked first, in the Canonical ABI's words (cabi.c), so a
 * missing argument is not reported as a bad one. */
static wf_error *json_arg(const wf_fn_sig *sig, size_t i, size_t n, const char *text, wf_val *out)
{
    if (sig->wit) {
        const struct wf_wit_func *f = sig->wit;
        if (n != f->nparams)
            return wf_error_new(WF_ERR_INVALID, "`%s` takes %zu argument%s, got %zu", f->name,
                                f->nparams, f->nparams == 1 ? "" : "s", n);
        return wf_json_to_val(text, strlen(text), f->params[i].type, f->params[i].name, out);
    }
    char what[32];
    snprintf(what, sizeof what, "parameter %zu", i + 1);
    return wf_json_to_val_untyped(text, strlen(text), what, out);
}

wf_error *wf_project_json_args(const wf_fn_sig *sig, const char *const *texts, size_t n,
                               wf_val *args)
{
    for (size_t i = 0; i < n; i++) {
        wf_error *e = json_arg(sig, i, n, texts[i], &args[i]);
        if (e) {
            while (i--) wf_val_free(&args[i]);
            return e;
        }
    }
    return NULL;
}

char *wf_project_json_result(const wf_val *result)
{
    bool nothing = result->kind == WF_VAL_TUPLE && result->of.agg.len == 0;
    return nothing ? wf_xstrdup("null") : wf_json_from_val(result);
}
