/*
 * compile.c - validation of function bodies and their translation to the
 * interpreter's internal code (skeleton; grows into the full validator).
 */
#include "wasm/code.h"
#include "wasm/interp.h"

wf_error *wf_code_compile(wf_module *m, uint32_t func_index,
                          const uint8_t *body, size_t len, size_t offset)
{
    (void)m; (void)func_index; (void)body; (void)len;
    return wf_error_at_offset(WF_ERR_UNSUPPORTED, (int64_t)offset, "function bodies not yet supported");
}

void wf_code_free(struct wf_code *code)
{
    if (!code) return;
    free(code->words);
    free(code);
}
