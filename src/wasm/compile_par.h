/*
 * compile_par.h - validating a code section's bodies, on several threads
 * when it is large (compile_par.c).
 */
#ifndef WF_COMPILE_PAR_H
#define WF_COMPILE_PAR_H

#include "wasm/module.h"

typedef struct wf_code_job {
    uint32_t func_index;
    const uint8_t *body;    /* inside m->bytes */
    size_t len, offset;
    wf_error *err;          /* out: the body's error, or NULL */
} wf_code_job;

/* wf_code_compile for each job (in any order, possibly on several
 * threads). Returns the index of the first job with an error (its err set;
 * later jobs may have errors too, or may not have run), or njobs. */
size_t wf_code_compile_all(wf_module *m, wf_code_job *jobs, size_t njobs);

#endif
