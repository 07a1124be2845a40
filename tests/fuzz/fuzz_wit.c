/*
 * fuzz_wit.c - libFuzzer target for WIT in a registry entry's `wit` field
 * (function declarations and types): parse and resolve (which lays every
 * type out for the Canonical ABI), then find every function by its name
 * and print its types.
 */
#include "fuzz.h"
#include "component/wit/wit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_wit *w = NULL;
    wf_error *e = wf_wit_parse((const char *)data, size, &w);
    if (e) {
        wf_error_free(e);
        return 0;
    }
    for (size_t i = 0; i < w->nfuncs; i++) {
        const wf_wit_func *f = &w->funcs[i];
        FUZZ_CHECK(wf_wit_find_func(w, f->name), "function %s not found by name", f->name);
        for (size_t k = 0; k < f->nparams + f->nresults; k++) {
            const wf_wit_field *fd = k < f->nparams ? &f->params[k] : &f->results[k - f->nparams];
            free(wf_wit_type_str(fd->type));
        }
    }
    wf_wit_free(w);
    return 0;
}
