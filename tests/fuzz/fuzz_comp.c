/*
 * fuzz_comp.c - libFuzzer target for the component binary decoder and
 * validator: any bytes give a component or an error, never a crash. A
 * component is then looked at as `wasmfn check` and `call` do: every
 * exported function found again by the name a registry's `method` uses,
 * and every function type printed.
 */
#include "fuzz.h"
#include "base/base.h"
#include "component/component.h"

static void print_func(const wf_wit_func *f)
{
    if (!f) return;
    for (size_t k = 0; k < f->nparams + f->nresults; k++) {
        const wf_wit_field *fd = k < f->nparams ? &f->params[k] : &f->results[k - f->nparams];
        free(wf_wit_type_str(fd->type));
    }
}

static void walk(const wf_component *c, const wf_cextern *x, const char *iface)
{
    if (x->kind == WF_CEXTERN_FUNC) {
        print_func(x->func);
        char *method = iface ? wf_xasprintf("%s#%s", iface, x->name) : wf_xstrdup(x->name);
        FUZZ_CHECK(wf_component_find_func(c, method), "exported function %s not found", method);
        free(method);
    }
    if (x->kind == WF_CEXTERN_INSTANCE && !iface)
        for (size_t i = 0; i < x->nmembers; i++) walk(c, &x->members[i], x->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_component *c = NULL;
    wf_error *e = wf_component_new(data, size, &c);
    if (e) {
        wf_error_free(e);
        return 0;
    }
    for (size_t i = 0; i < wf_component_import_count(c); i++) {
        const wf_cextern *x = wf_component_import(c, i);
        if (x->kind == WF_CEXTERN_FUNC) print_func(x->func);
    }
    for (size_t i = 0; i < wf_component_export_count(c); i++)
        walk(c, wf_component_export(c, i), NULL);
    wf_component_free(c);
    return 0;
}
