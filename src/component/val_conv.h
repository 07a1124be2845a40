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
 * inside it ("parameter `users`[1].name"), kept by a wf_val_path (below),
 * which the Lua conversion uses too.
 *
 * The check (wf_val_check) is the same walk over values already typed.
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
    const char *param;    /* or, instead of what: "parameter `param`", made
                           * only for a message */
    const char *host_fn;  /* or: "result of host function `host_fn`", made
                           * only for a message (checked at every host call) */
    wf_val_form form;     /* JSON: positions from 0; Lua: from 1 */
} wf_val_conv;

/* Is v a list of (key, value) tuples (the untyped form of a table with
 * other keys than 1..n or strings)? */
bool wf_val_is_pairs(const wf_val *v);

/* Make *v a value of exactly type t, in place. On error *v is still a
 * value its owner frees as usual. c NULL (or c->what NULL): messages of a
 * scalar carry no place, for a caller that adds its own. */
wf_error *wf_val_coerce(const wf_wit_type *t, wf_val *v, const wf_val_conv *c);

/* Check that v is a value of exactly type t in the typed form that
 * embedders, spec scripts and host functions give and the Canonical ABI
 * lowers (val.h's kinds; any integer kind in range for an integer type, any
 * number for a float; a STRING also for list<u8>; records with exactly the
 * type's fields by name; cases by name or index), changing nothing: the
 * same walk as wf_val_coerce, and the one check before a value enters a
 * guest. Messages name kinds ("expected string, got u32"). */
wf_error *wf_val_check(const wf_wit_type *t, const wf_val *v, const wf_val_conv *c);

/* A number for a core parameter of type t (i32 takes -2^31 .. 2^32-1, i64
 * likewise, f32/f64 any number in range): its bits in *bits (i32/f32 in the
 * low 32). c->what starts messages ("parameter 2"). */
wf_error *wf_val_to_core(const wf_val *v, wf_valkind t, const wf_val_conv *c, uint64_t *bits);

/* ---- paths: where in a value a message points ----------------------------- */

/* "parameter `users`[2].name": a start (`what`) and a stack of steps,
 * formatted only when a message needs them (a walk pushes a step for every
 * item and field, and formatting each at once cost more than the walk).
 * Each push returns the depth to pop back to. Steps deeper than
 * WF_VAL_PATH_DEPTH are counted, not kept, and show as "...". */
#define WF_VAL_PATH_DEPTH 48

typedef struct wf_val_path {
    const char *what;       /* the start: "parameter `x`"; NULL: none */
    const char *param;      /* instead of what: "parameter `param`" */
    const char *host_fn;    /* instead of what: "result of host function `host_fn`" */
    bool one_based;         /* positions count from 1 (Lua), else 0 */
    size_t depth;
    struct wf_val_step {
        uint8_t kind;
        const char *s;
        union { uint64_t u; int64_t i; double d; } n;
    } step[WF_VAL_PATH_DEPTH];
    char text[320];         /* the last rendering */
} wf_val_path;

void wf_val_path_init(wf_val_path *p, const char *what, bool one_based);
size_t wf_val_path_index(wf_val_path *p, size_t i);         /* [i], i counted from 0 */
size_t wf_val_path_field(wf_val_path *p, const char *name); /* .name */
size_t wf_val_path_key(wf_val_path *p, const char *key);    /* [key] */
size_t wf_val_path_int(wf_val_path *p, int64_t k);          /* [k] */
size_t wf_val_path_uint(wf_val_path *p, uint64_t k);        /* [k] */
size_t wf_val_path_float(wf_val_path *p, double k);         /* [1.5] */
size_t wf_val_path_key_index(wf_val_path *p, size_t i);     /* [key i], i from 0 */
void wf_val_path_pop(wf_val_path *p, size_t depth);
/* The path as text (valid until the next call); "" when it has nothing. */
const char *wf_val_path_str(wf_val_path *p);
/* WF_ERR_INVALID "PATH: message" ("message" for an empty path). */
wf_error *wf_val_path_fail(wf_val_path *p, const char *fmt, ...) WF_PRINTF(2, 3);

/* The shortest decimal text that reads back as d, for messages. */
void wf_val_float_str(char *buf, size_t n, double d);

#endif
