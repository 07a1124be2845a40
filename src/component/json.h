/*
 * json.h - JSON text <-> wf_val (SPEC §9, the `wasmfn call` arguments and
 * result).
 *
 * Input is parsed into an untyped wf_val; a typed argument is then made of
 * its WIT type by the one conversion, wf_val_coerce (val_conv.h, which
 * lists the forms: objects for records, [key, value] pairs or objects for
 * maps, case names or indexes for enums, ...). Numbers keep what the text
 * says: integers exactly, -0 as the float -0; an integer beyond 64 bits or a
 * number beyond f64 is an error. Errors are WF_ERR_INVALID naming `what`
 * (the parameter) and the path: "parameter `users`[1].name: expected
 * string, got a number".
 *
 * Output is one line, no spaces: records objects, lists and tuples arrays
 * (a map, a list of (key, value) tuples in wf_val, prints as an array of
 * [key, value] pairs),
 * none null, results {"ok":v}/{"err":e} (no payload: null), variants
 * {"case":payload} ({"case":true} without payload), enums strings, flags
 * objects of true, chars one-character strings, list<u8> an array of numbers,
 * u64/s64 exact integers, floats in the shortest form that round-trips
 * (an integral float prints without a fraction: 3), NaN and ±infinity as
 * the strings "nan", "inf", "-inf" (JSON has no such numbers). Input nesting is bounded (WF_JSON_MAX_DEPTH):
 * deeper input is an error, never a stack overflow.
 */
#ifndef WF_JSON_H
#define WF_JSON_H

#include "base/base.h"
#include "wasmfn.h"
#include "component/val.h"
#include "component/wit/wit.h"

#define WF_JSON_MAX_DEPTH 200

/* One JSON value (surrounding whitespace allowed) converted to type. */
wf_error *wf_json_to_val(const char *text, size_t len, const wf_wit_type *type,
                         const char *what, wf_val *out);

/* Without a type: integers → S64 (U64 above INT64_MAX), other numbers → F64,
 * strings → STRING, true/false → BOOL, null → none (OPTION), arrays → LIST,
 * objects → RECORD. For core modules without `wit`. */
wf_error *wf_json_to_val_untyped(const char *text, size_t len, const char *what, wf_val *out);

/* v as one line of JSON, NUL-terminated; the caller frees it. */
char *wf_json_from_val(const wf_val *v);

/* Printing options: an integral float keeps a fraction ("1.0"), so that it
 * reads back as a float (Lua's json.encode). */
#define WF_JSON_FLOAT_FRACTION 1u
/* wf_json_from_val with options (WF_JSON_*). */
char *wf_json_print(const wf_val *v, unsigned flags);

#endif
