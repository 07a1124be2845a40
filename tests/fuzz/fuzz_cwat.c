/*
 * fuzz_cwat.c - libFuzzer target for the component text format: any text
 * gives a component binary or an error; a binary it makes is decoded and
 * validated too.
 */
#include "fuzz.h"
#include "base/buf.h"
#include "component/component.h"
#include "cli/cwat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_buf out = { 0 };
    wf_error *e = wf_cwat_compile((const char *)data, size, &out);
    if (!e) {
        wf_component *c = NULL;
        e = wf_component_new(out.data, out.len, &c);
        wf_component_free(c);
    }
    wf_error_free(e);
    wf_buf_free(&out);
    return 0;
}
