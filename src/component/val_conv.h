/*
 * val_conv.h - the one place where a host value meets a type: an untyped
 * wf_val (what Lua and JSON give) made into a value of exactly a WIT type,
 * and the one number rule, also for core parameters (i32/i64/f32/f64).
 *
 * Untyped values are what the outside forms convert into without a type
 * (lua/conv.c, component/json.c): BOOL, S64 / U64 / F64 numbers, STRING,
 * LIST (arrays, Lua sequences), RECORD (objects, Lua tables with string
 * keys), a LIST of (key, value) TUPLEs (Lua tables with other keys), and
 * OPTION none (null, nil). Values already of the type (spec scripts,
 * embedders) pass unchanged.
 *
 * The rules (SPEC §3, upstream Wippy's forms included):
 *   numbers: integers and floats to any numeric type; integers range-checked,
 *     floats to integers only when integral and in range; f32 refuses finite
 *     values beyond its range; -0 stays -0; a boolean is not a number; the
 *     strings "nan", "inf", "-inf" give those floats;
 *   char: a string of exactly one scalar, or a code point;
 *   string: a string (UTF-8); list<u8>: also a string (its bytes);
 *   list / tuple: a list (a tuple of exactly its length);
 *   map: a list of [key, value] pairs, or for string keys a record;
 *   record: a record by field name ('_' matches '-'); keys the record lacks
 *     are ignored; an absent option field is none; an empty list is {};
 *   enum: its case name or case index (0-based);
 *   variant: {"case": payload}, or the bare case name without payload;
 *   result: {"ok": v} / {"err": e}; option: none, or the payload's value;
 *   flags: a record of booleans, a list of names, or an integer bit mask
 *     (bit i = flag i);
 *   resource handles only as handles.
 * Errors are WF_ERR_INVALID, "PATH: what": PATH is `what` and the position
 * inside it ("parameter `users`[1].name").
 */
#ifndef WF_VAL_CONV_H
#define WF_VAL_CONV_H

#include "base/base.h"
#include "component/val.h"
#include "component/wit/wit.h"
#include "wasm/types.h"

/* The outside form a value came from: messages speak its words ("an
 * object" / "a table", {"ok": v} / {ok = v}) and count its way. */
typedef enum wf_val_form { WF_VAL_FORM_JSON, WF_VAL_FORM_LUA } wf_val_form;

typedef struct wf_val_conv {
    const char *what;     /* starts every message: "parameter `x`" */
    wf_val_form form;     /* JSON: positions from 0; Lua: from 1 */
} wf_val_conv;

/* Is v a list of (key, value) tuples (the untyped form of a table with
 * other keys than 1..n or strings)? */
bool wf_val_is_pairs(const wf_val *v);

/* Make *v a value of exactly type t, in place. On error *v is still a
 * value its owner frees as usual. c NULL (or c->what NULL): messages of a
 * scalar carry no place, for a caller that adds its own. */
wf_error *wf_val_coerce(const wf_wit_type *t, wf_val *v, const wf_val_conv *c);

/* A number for a core parameter of type t (i32 takes -2^31 .. 2^32-1, i64
 * likewise, f32/f64 any number in range): its bits in *bits (i32/f32 in the
 * low 32). c->what starts messages ("parameter 2"). */
wf_error *wf_val_to_core(const wf_val *v, wf_valkind t, const wf_val_conv *c, uint64_t *bits);

/* The shortest decimal text that reads back as d, for messages. */
void wf_val_float_str(char *buf, size_t n, double d);

#endif
