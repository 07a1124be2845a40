/*
 * cabi.h - calling core WebAssembly functions through the Canonical ABI
 * (docs/component-model/CanonicalABI.md, synchronous `canon lift` with UTF-8
 * strings and a 32-bit memory).
 *
 * The host lowers wf_val arguments into core values (strings and lists go
 * into guest memory allocated by the exported `wf_cabi_realloc`; more than 16
 * flat params are spilled to memory and passed by pointer), calls the core
 * export, lifts the result (more than 1 flat result: the callee returned a
 * pointer to them), validating every pointer, length, char, discriminant and
 * UTF-8 string the guest hands back (WF_ERR_TRAP, never a crash), then calls
 * `cabi_post_<export>` if the instance exports it.
 */
#ifndef WF_CABI_H
#define WF_CABI_H

#include "base/base.h"
#include "wasmfn.h"
#include "component/val.h"
#include "component/wit/wit.h"

/* Call fn (the export `export_name` of inst) with typed args.
 *
 * args must match sig->params in count and shape (wf_val kind, record field
 * count, case index < case count, ...): otherwise WF_ERR_INVALID naming the
 * parameter, e.g. "parameter `users`: expected list<user>, got string", and
 * nothing is executed. Numeric range checks are the converters' job; cabi
 * truncates nothing silently either: a value outside its kind's range is
 * also WF_ERR_INVALID.
 *
 * The result: with no results (sig->nresults == 0) *result is an empty tuple;
 * with one unnamed result it is that value; with named results a tuple of
 * them in order. On error *result is false (owns nothing). */
wf_error *wf_cabi_call(wf_instance *inst, wf_func *fn, const char *export_name,
                       const wf_wit_func *sig, const wf_val *args, size_t nargs,
                       wf_val *result);
/* The same with the export's cabi_post_ function already found (by
 * wf_cabi_post_return: NULL when the module has none), for a caller that
 * calls the same export many times. */
wf_func *wf_cabi_post_return(wf_instance *inst, const char *export_name);
/* What a call works out from sig alone, worked out once (at add time):
 * the core signature sig flattens to, checked against the function's core
 * type ft (the error wf_cabi_check_type gives). */
typedef struct wf_cabi_plan {
    wf_flat ps[17], rs[1];      /* WF_CABI_MAX_FLAT_PARAMS + 1, WF_CABI_MAX_FLAT_RESULTS */
    uint32_t np, nr, nflat;
} wf_cabi_plan;
wf_error *wf_cabi_plan_make(const wf_functype *ft, const wf_wit_func *sig, wf_cabi_plan *out);
/* plan: sig's, from wf_cabi_plan_make against fn's type; NULL: made here. */
wf_error *wf_cabi_call_post(wf_instance *inst, wf_func *fn, wf_func *post, const wf_cabi_plan *plan,
                            const char *export_name, const wf_wit_func *sig, const wf_val *args,
                            size_t nargs, wf_val *result);

/* Check at load time that a core function's type is the flattening of sig
 * (after spilling); WF_ERR_INVALID saying both types otherwise. */
wf_error *wf_cabi_check_type(const wf_functype *ft, const wf_wit_func *sig);

/* A core module without WIT: args are numbers (any integer or float wf_val
 * kind) converted to fn's core param types with range checks (an integer
 * into i32 must fit s32 or u32; into f32/f64 any number; a float into an
 * integer type must be integral and in range). Results: none → empty tuple,
 * one → S32/S64/F32/F64, several → tuple. Reference/v128 params are
 * WF_ERR_UNSUPPORTED. */
wf_error *wf_cabi_call_core(wf_func *fn, const wf_val *args, size_t nargs, wf_val *result);

#endif
