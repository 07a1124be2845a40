/*
 * trace.h - backtraces of function names for traps: from the interpreter's
 * pc and frame stack to "at name (innermost)\n at caller\n ...".
 */
#ifndef WF_TRACE_H
#define WF_TRACE_H

#include "wasm/interp.h"

/* The backtrace of a trap at pc in inst, with the callers' frames
 * [base, top) (top-1 is the innermost caller). A fresh string the caller
 * frees, or NULL when nothing is known. */
char *wf_trace_build(const wf_instance *inst, const wf_word *pc,
                     const wf_frame *base, const wf_frame *top);

/* The same after a guard-page fault, when the interpreter's pc and frame
 * stack pointer are known only through the registers saved at the fault:
 * best effort (a register pointing into a function's code is taken for the
 * pc, the deepest one pointing at a frame boundary for the frame top). inst
 * is the instance of the outermost function of the call. */
char *wf_trace_from_fault(const wf_instance *inst, const wf_frame *base, const wf_frame *end,
                          const uintptr_t *regs, int nregs);

#endif
