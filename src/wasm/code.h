/*
 * code.h - function bodies: validation + translation to the interpreter's
 * internal code (compile.c), and execution (interp.c, exec.c).
 *
 * Contract with the decoder (decode.c): after every section that precedes
 * the code section has been decoded (types, imports, functions, tables,
 * memories, tags, globals, exports, start, elements, data count) the decoder
 * calls wf_code_compile once per defined function body, in order. At that
 * point m->ndatas holds the data count (when a data count section was given)
 * and m->func_declared marks the functions ref.func may name.
 *
 * Contract with instances (instance.c): start functions and every other call
 * go through wf_exec_call, which runs wasm and host functions alike.
 */
#ifndef WF_CODE_H
#define WF_CODE_H

#include "wasm/module.h"
#include "wasm/runtime.h"

/* Validate the body of defined function func_index (an index in the
 * module's function space, so >= m->nfunc_imports) and give it its code:
 * m->funcs[func_index].code, whose translation to the interpreter's code
 * waits for the function's first call (interp.h: wf_code_translated), so a
 * large module loads at the cost of validating it. body/len is the body
 * after its size field, inside m->bytes (kept for the translation); offset
 * is its position in the binary, for error offsets.
 * Errors: WF_ERR_MALFORMED for encoding errors, WF_ERR_INVALID for type
 * errors (spec messages: "type mismatch", "unknown local", ...). */
wf_error *wf_code_compile(wf_module *m, uint32_t func_index,
                          const uint8_t *body, size_t len, size_t offset);
void wf_code_free(struct wf_code *code);

/* Run f: arguments in slots[0..nparams), results written to
 * slots[0..nresults); slots has room for max(nparams, nresults). Returns NULL
 * or the error that stopped the call (a trap: WF_ERR_TRAP with the spec's
 * message, "call stack exhausted" for exhaustion). Safe to re-enter from a
 * host function. */
wf_error *wf_exec_call(wf_func *f, wf_slot *slots);

/* Make the calling thread's running wasm code stop with a trap
 * ("interrupted") as soon as *flag becomes nonzero; checked at function
 * entries and loop headers. NULL removes the flag. */
void wf_exec_set_interrupt(volatile uint32_t *flag);
/* A flag's values: 0 runs on; WF_INTERRUPT_YIELD asks the code to let its
 * thread go once: at its next check it clears the flag and, on a fiber a
 * scheduler runs (one with a parker), suspends it (a yield: the scheduler
 * resumes it on one of its workers), then goes on; anything else stops it.
 * How an event loop that ran a call's first slice itself hands a call that
 * runs long to the workers (http/server_h2o.c). A yield is only ever asked
 * with a compare-and-swap from 0, so it never hides a stop. */
#define WF_INTERRUPT_YIELD 2u
/* Whether *flag asks the call to stop (a yield request does not). */
static inline bool wf_interrupt_stops(const volatile uint32_t *flag)
{
    uint32_t v = __atomic_load_n(flag, __ATOMIC_RELAXED);
    return v && v != WF_INTERRUPT_YIELD;
}
/* The slow path of a check that found *flag nonzero: yields for a yield
 * request (see above), then tells whether the code must stop now. */
bool wf_exec_interrupt_hit(volatile uint32_t *flag);
/* Ask the call running on this thread, if any, to yield (a signal handler
 * may call it: it takes no lock). */
void wf_exec_request_yield(void);
/* The flag set by wf_exec_set_interrupt for the current call (kept with the
 * call's fiber, so it follows a call that moves between threads), or NULL. */
volatile uint32_t *wf_exec_get_interrupt(void);

/* Bound the calling thread's wasm stack to about `bytes` (0: the engine's
 * default): 8 bytes per local and operand slot, and each call counts 64
 * bytes of frame; deeper calls trap "call stack exhausted". Applies to the
 * thread's later top-level calls; ignored while wasm runs on the thread. */
void wf_exec_set_stack_limit(size_t bytes);

#endif
