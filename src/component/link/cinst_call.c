/*
 * cinst_call.c - calls across the component boundary (CanonicalABI.md
 * Store.lift / canon_lift, Store.lower / canon_lower, the resource
 * built-ins): a component function called with wf_vals, the core functions
 * `canon lower` makes, and wf_cinstance_call for the host.
 */
#include "component/link/cinst_int.h"
#include "base/error.h"

#include <stdio.h>
#include "component/val_conv.h"

static wf_error *check_args(const wf_wit_func *type, const wf_val *args, size_t nargs)
{
    if (nargs != type->nparams)
        return wf_error_new(WF_ERR_INVALID, "`%s` takes %zu argument%s, got %zu",
                            type->name ? type->name : "function", type->nparams,
                            type->nparams == 1 ? "" : "s", nargs);
    wf_error *e = NULL;
    for (size_t i = 0; !e && i < nargs; i++)
        e = wf_val_check(type->params[i].type, &args[i],
                         &(wf_val_conv){ .param = type->params[i].name ? type->params[i].name : "?" });
    return e;
}

/* canon_lift of a sync function, entered from caller (NULL: the host). */
static wf_error *call_lifted(cfunc *f, crt *caller, const wf_val *args, wf_val *results)
{
    cabi_inst *ci = &f->inst->ci, *from = caller ? &caller->ci : NULL;
    const wf_wit_func *t = f->type;
    if (wf_cabi_is_poisoned(ci)) return wf_cabi_poisoned_trap();
    if (!wf_cabi_may_enter(ci, from)) return wf_error_new(WF_ERR_TRAP, "cannot enter component instance");
    wf_cabi_enter(ci, from, true);
    cabi_task task = {0};
    cabi_cx cx;
    wf_cabi_cx_init(&cx, &f->opts, ci);
    cx.task = &task;
    cx.adapter = caller != NULL;
    uint32_t nflat = wf_cabi_count_flat(t->params, t->nparams), nraw = 0;
    /* on the stack for the usual few flat parameters: this runs for every call */
    uint64_t raw_small[WF_CABI_MAX_FLAT_PARAMS + 1] = {0};
    uint64_t *raw = nflat <= WF_COUNT(raw_small) ? raw_small : wf_xcalloc(nflat, sizeof *raw);
    const wf_flat *ps = f->ps;
    uint32_t np = f->np, nr = f->nr;
    wf_value cargs[WF_CABI_MAX_FLAT_PARAMS + 1], cres[WF_CABI_MAX_FLAT_RESULTS];
    wf_error *e = wf_cabi_lower_values(&cx, t->params, t->nparams, WF_CABI_MAX_FLAT_PARAMS, args,
                                    "parameter", raw, &nraw, NULL);
    if (!e) {
        for (uint32_t i = 0; i < np; i++) cargs[i] = wf_cabi_to_value(ps[i], raw[i]);
        e = wf_func_call(f->core, cargs, np, cres, nr);
    }
    if (!e) {
        uint64_t rraw[WF_CABI_MAX_FLAT_RESULTS] = {0};
        for (uint32_t i = 0; i < nr; i++) rraw[i] = wf_cabi_from_value(&cres[i]);
        e = wf_cabi_lift_values(&cx, t->results, t->nresults, WF_CABI_MAX_FLAT_RESULTS, rraw, "result", results);
    }
    if (!e && task.borrows)   /* Task.return_: every borrow lent in must be dropped */
        e = wf_error_new(WF_ERR_TRAP, "borrow handles still remain at the end of the call");
    if (!e && f->opts.post_return) {
        ci->may_leave = false;
        e = wf_func_call(f->opts.post_return, cres, nr, NULL, 0);
        ci->may_leave = true;
    }
    if (e) {
        for (size_t i = 0; i < t->nresults; i++) wf_val_free(&results[i]);
        /* whatever failed once the call began (a guest trap, a Canonical ABI
         * trap, an interrupt) may have left the instance half-updated */
        wf_cabi_poison(ci);
    }
    wf_cabi_enter(ci, from, false);
    if (raw != raw_small) free(raw);
    wf_cabi_cx_fini(&cx);
    return e;
}

wf_error *wf_cfunc_call(cfunc *f, crt *caller, const wf_val *args, wf_val *results)
{
    if (f->lifted) return call_lifted(f, caller, args, results);
    if (f->stub) return wf_error_new(WF_ERR_TRAP, "%s", f->stub);
    wf_val r = {0};
    wf_error *e = f->fn(f->env, f->root, f->type, args, f->type->nparams, &r);
    if (e) {
        wf_val_free(&r);
        return e;
    }
    if (f->type->nresults == 0) {
        wf_val_free(&r);
        return NULL;
    }
    /* a host result is checked like an argument: it is lowered next; its
     * name goes into a message only when there is one (this runs for every
     * host call a guest makes) */
    const char *name = f->type->name ? f->type->name : "?";
    wf_val_conv rc = { .host_fn = name };
    if (f->type->nresults == 1) {
        e = wf_val_check(f->type->results[0].type, &r, &rc);
        if (!e) results[0] = r;
    } else if (r.kind != WF_VAL_TUPLE || r.of.agg.len != f->type->nresults) {
        e = wf_error_new(WF_ERR_INVALID, "result of host function `%s`: expected a tuple of %zu results", name,
                         f->type->nresults);
    } else {
        for (size_t i = 0; !e && i < f->type->nresults; i++)
            e = wf_val_check(f->type->results[i].type, &r.of.agg.items[i], &rc);
        for (size_t i = 0; !e && i < f->type->nresults; i++) {
            results[i] = r.of.agg.items[i];
            r.of.agg.items[i] = (wf_val){0};
        }
    }
    if (e || f->type->nresults != 1) wf_val_free(&r);
    return e;
}

/* ---- canon lower ------------------------------------------------------------------ */

typedef struct lowered {
    crt *inst;
    cfunc *callee;
    const wf_wit_func *type;
    wf_cabi_opts opts;
    wf_flat ps[WF_CABI_MAX_FLAT_PARAMS + 1];
    uint32_t np;
    wf_flat rs[WF_CABI_MAX_FLAT_RESULTS];
    uint32_t nr;
    /* `async` lowering: params past 4 flat values and every result go
     * through memory and the call returns its subtask state. The callees
     * here are sync and never block, so that state is always RETURNED. */
    bool async;
} lowered;

#define CABI_MAX_FLAT_ASYNC_PARAMS 4
#define CABI_SUBTASK_RETURNED 2

static wf_error *lower_trampoline(wf_caller *caller, void *env, wf_slot *slots)
{
    (void)caller;
    lowered *l = env;
    cabi_inst *ci = &l->inst->ci;
    const wf_wit_func *t = l->type;
    if (!ci->may_leave) return wf_error_new(WF_ERR_TRAP, "cannot leave component instance");
    uint64_t raw[WF_CABI_MAX_FLAT_PARAMS + 1];
    for (uint32_t i = 0; i < l->np; i++)
        raw[i] = l->ps[i] == WF_FLAT_I32 || l->ps[i] == WF_FLAT_F32 ? slots[i].u32 : slots[i].u64;
    cabi_lends lends = {0};
    cabi_cx cx;
    wf_cabi_cx_init(&cx, &l->opts, ci);
    cx.lends = &lends;
    cx.adapter = l->callee->lifted;
    cx.bytes_as_string = !l->callee->lifted;   /* a host function's arguments */
    /* on the stack for the usual few values: this runs for every host call
     * (a wasi:http request makes dozens) */
    wf_val args_small[8] = {0}, res_small[4] = {0};
    wf_val *args = t->nparams <= WF_COUNT(args_small) ? args_small : wf_xcalloc(t->nparams, sizeof *args);
    wf_val *res = t->nresults <= WF_COUNT(res_small) ? res_small : wf_xcalloc(t->nresults, sizeof *res);
    uint32_t max_params = l->async ? CABI_MAX_FLAT_ASYNC_PARAMS : WF_CABI_MAX_FLAT_PARAMS;
    uint32_t max_results = l->async ? 0 : WF_CABI_MAX_FLAT_RESULTS;
    wf_error *e = wf_cabi_lift_values(&cx, t->params, t->nparams, max_params, raw, "parameter", args);
    if (!e) e = wf_cfunc_call(l->callee, l->inst, args, res);
    if (!e) {
        uint64_t out[WF_CABI_MAX_FLAT_RESULTS];
        uint32_t nout = 0, retptr;
        bool spill = wf_cabi_count_flat(t->results, t->nresults) > max_results;
        if (spill) retptr = (uint32_t)raw[l->np - 1];
        e = wf_cabi_lower_values(&cx, t->results, t->nresults, max_results, res, "result",
                              out, &nout, spill ? &retptr : NULL);
        if (l->async) slots[0].u64 = CABI_SUBTASK_RETURNED;
        else for (uint32_t i = 0; !e && i < l->nr; i++) slots[i].u64 = out[i];
    }
    wf_cabi_lends_release(&lends);   /* Subtask.deliver_resolve */
    for (size_t i = 0; i < t->nparams; i++) wf_val_free(&args[i]);
    for (size_t i = 0; i < t->nresults; i++) wf_val_free(&res[i]);
    if (args != args_small) free(args);
    if (res != res_small) free(res);
    wf_cabi_cx_fini(&cx);
    return e;
}

static const wf_functype *functype_of(const wf_flat *ps, uint32_t np, const wf_flat *rs, uint32_t nr)
{
    wf_valtype p[WF_CABI_MAX_FLAT_PARAMS + 1], r[WF_CABI_MAX_FLAT_RESULTS + 1];
    for (uint32_t i = 0; i < np; i++) p[i] = wf_cabi_flat_valtype(ps[i]);
    for (uint32_t i = 0; i < nr; i++) r[i] = wf_cabi_flat_valtype(rs[i]);
    return wf_functype_get(p, np, r, nr);
}

wf_func *wf_cinst_lower(wf_cinstance *root, crt *r, cfunc *callee, const wf_wit_func *type,
                     const wf_cabi_opts *opts, bool async)
{
    lowered *l = wf_xcalloc(1, sizeof *l);
    wf_vec_push(&root->allocs, l);
    l->inst = r;
    l->callee = callee;
    l->type = type;
    l->opts = *opts;
    l->async = async;
    if (async) {   /* flatten_functype(opts, ft, 'lower') with async */
        uint32_t fp = wf_cabi_count_flat(type->params, type->nparams);
        l->np = 0;
        if (fp > CABI_MAX_FLAT_ASYNC_PARAMS) l->ps[l->np++] = WF_FLAT_I32;
        else
            for (size_t i = 0; i < type->nparams; i++)
                for (uint32_t j = 0; j < type->params[i].type->nflat; j++)
                    l->ps[l->np++] = type->params[i].type->flat[j];
        if (wf_cabi_count_flat(type->results, type->nresults)) l->ps[l->np++] = WF_FLAT_I32;
        l->rs[0] = WF_FLAT_I32;
        l->nr = 1;
    } else {
        wf_cabi_core_sig(type, true, l->ps, &l->np, l->rs, &l->nr);
    }
    return wf_func_new_host(root->store, functype_of(l->ps, l->np, l->rs, l->nr), lower_trampoline, l);
}

/* ---- Resource built-ins ------------------------------------------------------------ */

typedef struct builtin {
    crt *inst;
    cabi_rtype *rt;
} builtin;

static wf_error *res_new(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c;
    builtin *b = env;
    uint32_t h;
    wf_error *e = wf_cabi_resource_new(&b->inst->ci, b->rt, slots[0].u32, &h);
    if (!e) slots[0].u64 = h;
    return e;
}

static wf_error *res_drop(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c;
    builtin *b = env;
    return wf_cabi_resource_drop(&b->inst->ci, b->rt, slots[0].u32);
}

static wf_error *res_rep(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c;
    builtin *b = env;
    uint32_t rep;
    wf_error *e = wf_cabi_resource_rep(&b->inst->ci, b->rt, slots[0].u32, &rep);
    if (!e) slots[0].u64 = rep;
    return e;
}

wf_func *wf_cinst_builtin(wf_cinstance *root, crt *r, uint8_t canon_kind, cabi_rtype *rt)
{
    builtin *b = wf_xcalloc(1, sizeof *b);
    wf_vec_push(&root->allocs, b);
    b->inst = r;
    b->rt = rt;
    wf_flat i32 = WF_FLAT_I32;
    switch (canon_kind) {
    case WF_CANON_RESOURCE_NEW: return wf_func_new_host(root->store, functype_of(&i32, 1, &i32, 1), res_new, b);
    case WF_CANON_RESOURCE_DROP: return wf_func_new_host(root->store, functype_of(&i32, 1, NULL, 0), res_drop, b);
    default: return wf_func_new_host(root->store, functype_of(&i32, 1, &i32, 1), res_rep, b);
    }
}

/* ---- From the host ----------------------------------------------------------------- */

/* "ns:pkg/iface@1.0.0" matches itself, "ns:pkg/iface" and "iface". */
static bool iface_matches(const char *full, const char *want, size_t wlen)
{
    size_t flen = strlen(full);
    const char *at = strchr(full, '@');
    size_t base = at ? (size_t)(at - full) : flen;
    if ((flen == wlen || base == wlen) && !memcmp(full, want, wlen)) return true;
    const char *slash = memrchr(full, '/', base);
    return slash && base - (size_t)(slash + 1 - full) == wlen && !memcmp(slash + 1, want, wlen);
}

cfunc *wf_cinst_find_func(const cexports *ex, const char *name)
{
    const char *hash = strchr(name, '#');
    for (size_t i = 0; i < ex->n; i++) {
        const cnamed *e = &ex->items[i];
        if (!hash) {
            if (e->item.sort == WF_CSORT_FUNC && !strcmp(e->name, name)) return e->item.of.func;
            continue;
        }
        if (e->item.sort != WF_CSORT_INSTANCE || !iface_matches(e->name, name, (size_t)(hash - name)))
            continue;
        cfunc *f = wf_cinst_find_func(e->item.of.inst, hash + 1);
        if (f) return f;
    }
    return NULL;
}

wf_cinstance_func *wf_cinstance_find(wf_cinstance *inst, const char *name)
{
    return wf_cinst_find_func(&inst->exports, name);
}

wf_error *wf_cinstance_call(wf_cinstance *inst, const char *name, const wf_val *args, size_t nargs,
                            wf_val *result)
{
    memset(result, 0, sizeof *result);
    cfunc *f = wf_cinst_find_func(&inst->exports, name);
    if (!f) return wf_error_new(WF_ERR_NOT_FOUND, "the component exports no function `%s`", name);
    return wf_cinstance_call_func(f, args, nargs, result);
}

wf_error *wf_cinstance_call_func(wf_cinstance_func *f, const wf_val *args, size_t nargs, wf_val *result)
{
    memset(result, 0, sizeof *result);
    const wf_wit_func *t = f->type;
    wf_error *e = check_args(t, args, nargs);
    if (e) return e;
    wf_val vals_small[4] = {0};
    wf_val *vals = t->nresults <= WF_COUNT(vals_small) ? vals_small : wf_xcalloc(t->nresults, sizeof *vals);
    e = wf_cfunc_call(f, NULL, args, vals);
    if (!e) {
        if (t->nresults == 1 && !t->named_results) {
            *result = vals[0];
        } else {
            *result = wf_val_agg(WF_VAL_TUPLE, t->nresults);
            for (size_t i = 0; i < t->nresults; i++) result->of.agg.items[i] = vals[i];
        }
    }
    if (vals != vals_small) free(vals);
    return e;
}
