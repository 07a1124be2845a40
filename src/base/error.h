/*
 * error.h - wf_error, the one error value of wasmfn (declared in the public
 * header): a kind, a message and, for inputs, where.
 */
#ifndef WF_ERROR_H
#define WF_ERROR_H

#include "base/base.h"
#include "wasmfn.h"

/* Prefix e's message with "context: " and return e (NULL stays NULL). */
wf_error *wf_error_wrap(wf_error *e, const char *fmt, ...) WF_PRINTF(2, 3);

#endif
