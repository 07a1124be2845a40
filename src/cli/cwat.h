/*
 * cwat.h - the component model text format, compiled to the component
 * binary format.
 *
 * As for core modules (wasm/wat.h), text never reaches the engine: the
 * compiler emits the binary (Binary.md) and the one component decoder reads
 * it. Nested `(core module ...)` forms go through the core WAT compiler.
 * Desugaring follows the choices wasm-tools makes, so that the bytes match
 * its output (inline types become type definitions placed before their use,
 * inline `(export "n")` sugar becomes exports at the end of the component,
 * references to outer definitions become outer aliases, and so on).
 *
 * Tooling: its users are `wasmfn wast` (wast_comp.c) and tests; nothing that
 * loads or runs functions reads component text, so it lives with the CLI.
 */
#ifndef WF_CWAT_H
#define WF_CWAT_H

#include "base/buf.h"
#include "base/error.h"

/* Compile a whole `(component $id? ...)` form (also `(component definition
 * $id? ...)`, `(component binary "..."*)` and `(component quote "..."*)`),
 * or a sequence of bare component fields, appending the component binary to
 * out. Errors are WF_ERR_MALFORMED with line:column of the text given
 * (unknown $name, unexpected token, unbalanced parentheses, bad string, ...),
 * or WF_ERR_UNSUPPORTED for the few forms not implemented (value
 * definitions, GC core types in components). out is unchanged on error. */
wf_error *wf_cwat_compile(const char *text, size_t len, wf_buf *out);

#endif
