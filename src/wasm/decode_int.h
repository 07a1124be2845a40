/*
 * decode_int.h - the decoder's private state and helpers, shared by the
 * files of the decoder (decode.c, decode_const.c).
 */
#ifndef WF_DECODE_INT_H
#define WF_DECODE_INT_H

#include <inttypes.h>

#include "wasm/decode.h"
#include "wasm/leb.h"

/* Engine limit on the locals (parameters included) of one function. */
#define WF_MAX_LOCALS 50000u

typedef struct wf_decoder {
    wf_module *m;
    wf_reader r;                /* the whole module; its error is the result */
    const uint8_t *sec_end;     /* end of the current section */
    /* type section state: indices below type_limit are known; those from
     * group_start on (while in_group) belong to the group being decoded */
    uint32_t type_limit, group_start;
    bool in_group;
    uint32_t nfunc_decls;       /* entries of the function section */
    uint32_t ncode;             /* entries of the code section */
    uint32_t data_count;
    bool seen_code, seen_data, code_ready;
    uint32_t cap_types, cap_funcs, cap_tables, cap_mems, cap_globals, cap_tags;
} wf_decoder;

/* A vector length: fails with "length out of bounds" when it exceeds the
 * bytes left. */
bool wf_dec_count(wf_decoder *d, uint32_t *n);
bool wf_dec_valtype(wf_decoder *d, wf_valtype *t);
bool wf_dec_reftype(wf_decoder *d, wf_valtype *t);
bool wf_dec_heaptype(wf_decoder *d, wf_valtype *t);
/* Mark func as declared for ref.func in code. */
void wf_dec_declare(wf_decoder *d, uint32_t func);
/* A constant expression up to its `end`, validated to produce one value of
 * type `expect`; out->code is allocated (the caller frees it even on error). */
bool wf_dec_const(wf_decoder *d, wf_constexpr *out, wf_valtype expect);

#endif
