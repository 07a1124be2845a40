/*
 * exec.c - calls into wasm: wf_exec_call (the engine's one entry) and the
 * public wf_func_call (typed arguments and results).
 */
#include "wasm/code.h"
#include "wasm/interp.h"

wf_error *wf_exec_call(wf_func *f, wf_slot *slots)
{
    if (f->host) {
        wf_caller c = { .inst = NULL };
        return f->host(&c, f->env, slots);
    }
    return wf_error_new(WF_ERR_UNSUPPORTED, "interpreter not yet available");
}

wf_error *wf_func_call(wf_func *f, const wf_value *args, size_t nargs,
                       wf_value *results, size_t nresults)
{
    (void)f; (void)args; (void)nargs; (void)results; (void)nresults;
    return wf_error_new(WF_ERR_UNSUPPORTED, "interpreter not yet available");
}
