/*
 * fuzz_wat.c - libFuzzer target for the WAT compiler: any text gives a
 * binary or an error; a binary it makes is then decoded and validated too.
 */
#include "fuzz.h"
#include "base/buf.h"
#include "wasm/module.h"
#include "wasm/wat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_buf out = { 0 };
    wf_error *e = wf_wat_compile((const char *)data, size, &out);
    if (!e) {
        wf_module *m = NULL;
        e = wf_module_new(out.data, out.len, &m);
        wf_module_free(m);
    }
    wf_error_free(e);
    wf_buf_free(&out);
    return 0;
}
