/*
 * decode.h - the binary decoder and module-level validator: fills a
 * wf_module from its bytes (module.c owns the module's life cycle).
 */
#ifndef WF_DECODE_H
#define WF_DECODE_H

#include "base/utf8.h"
#include "wasm/module.h"

/* Decode and validate m->bytes[0..m->len) into m (which is zeroed except for
 * bytes/len). On error the partly filled module must still be released with
 * wf_module_free. Function bodies are handed to wf_code_compile (code.h). */
wf_error *wf_decode_module(wf_module *m);

/* For function bodies (compile.c): read a value type / a heap type (after
 * ref.null) with module-local type indices turned into canonical ids
 * ("unknown type" when out of range, "malformed value type" etc.).
 * Errors are left in r->err (leb.h). */
struct wf_reader;
bool wf_read_valtype(struct wf_reader *r, const wf_module *m, wf_valtype *t);
bool wf_read_heaptype(struct wf_reader *r, const wf_module *m, wf_valtype *t);

#endif
