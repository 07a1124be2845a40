/*
 * decode.h - the binary decoder and module-level validator: fills a
 * wf_module from its bytes (module.c owns the module's life cycle).
 */
#ifndef WF_DECODE_H
#define WF_DECODE_H

#include "wasm/module.h"

/* Decode and validate m->bytes[0..m->len) into m (which is zeroed except for
 * bytes/len). On error the partly filled module must still be released with
 * wf_module_free. Function bodies are handed to wf_code_compile (code.h). */
wf_error *wf_decode_module(wf_module *m);

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF)? */
bool wf_utf8_valid(const uint8_t *s, size_t n);

#endif
