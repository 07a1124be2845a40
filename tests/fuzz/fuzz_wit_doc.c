/*
 * fuzz_wit_doc.c - libFuzzer target for WIT documents (packages,
 * interfaces, worlds, `use`): parse, resolve, summarise.
 */
#include "fuzz.h"
#include "base/buf.h"
#include "component/wit/wit_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_wit_doc *d = NULL;
    wf_error *e = wf_wit_doc_parse("fuzz.wit", (const char *)data, size, &d);
    if (!e) {
        wf_buf out = { 0 };
        wf_wit_doc_summary(d, &out);
        wf_buf_free(&out);
    }
    wf_error_free(e);
    wf_wit_doc_free(d);
    return 0;
}
