/*
 * wat.h - the WebAssembly text format, compiled to the binary format.
 *
 * Text never reaches the engine directly: wf_wat_compile emits a binary that
 * the one decoder/validator reads (DESIGN.md, "WAT goes through the binary").
 */
#ifndef WF_WAT_H
#define WF_WAT_H

#include "base/buf.h"
#include "base/error.h"

/* Compile a module written in the text format, either a whole `(module ...)`
 * form (an optional $id, and `binary`/`quote` forms allowed) or a sequence of
 * bare module fields, appending the binary to out. Errors are
 * WF_ERR_MALFORMED with line:column (of the text given; 1-based), or
 * WF_ERR_UNSUPPORTED for constructs of out-of-scope proposals. */
wf_error *wf_wat_compile(const char *text, size_t len, wf_buf *out);

#endif
