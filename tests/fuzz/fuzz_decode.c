/*
 * fuzz_decode.c - libFuzzer target for the core binary decoder and
 * validator: any bytes give a module or an error, never a crash.
 */
#include "fuzz.h"
#include "wasm/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_module *m = NULL;
    wf_error *e = wf_module_new(data, size, &m);
    if (e) wf_error_free(e);
    wf_module_free(m);
    return 0;
}
