/*
 * val.h - wf_val, the one host value model (DESIGN.md "One value model").
 * The type and its functions are public (include/wasmfn.h, "Values"), as
 * embedders call functions with them; val.c implements them.
 *
 * What Lua, JSON, HTTP and the Canonical ABI convert to and from. A wf_val
 * is self-describing enough to print as JSON without its WIT type: records
 * carry field names, variants and enums their case names, flags their set
 * names. Lua and JSON convert into untyped values; the one conversion to a
 * WIT type, wf_val_coerce (val_conv.h), makes them exactly that shape.
 *
 * Ownership: a wf_val owns everything it points to; wf_val_free releases a
 * whole tree without recursion (an explicit stack), so any depth is safe.
 * A zero-filled wf_val is `false` (WF_VAL_BOOL) and owns nothing.
 */
#ifndef WF_VAL_H
#define WF_VAL_H

#include "base/base.h"
#include "wasmfn.h"

#endif
