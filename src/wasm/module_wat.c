/*
 * module_wat.c - a module from WebAssembly text: compiled to the binary by
 * wat.c, then decoded like any binary (kept apart from module.c so that
 * binary-only users do not link the text compiler).
 */
#include "base/buf.h"
#include "wasm/wat.h"

wf_error *wf_module_from_wat(const char *text, size_t len, wf_module **out)
{
    *out = NULL;
    wf_buf b = { 0 };
    wf_error *e = wf_wat_compile(text, len, &b);
    if (!e) e = wf_module_new(b.data, b.len, out);
    wf_buf_free(&b);
    return e;
}
