/*
 * fuzz_decode.c - libFuzzer target for the binary decoder (not part of
 * CTest). Build by hand, e.g.:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *     tests/fuzz/fuzz_decode.c src/wasm/*.c src/base/*.c -lcrypto -lpthread -lm
 */
#include "wasm/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wf_module *m = NULL;
    wf_error *e = wf_module_new(data, size, &m);
    if (e) wf_error_free(e);
    wf_module_free(m);
    return 0;
}
