/*
 * fiber.h - fibers: a call's own C stack, switched by a small assembly
 * routine (fiber_x86_64.S, fiber_aarch64.S), so a call can suspend inside a
 * host import and be resumed later, on any thread (DESIGN.md "Every call
 * runs on a fiber").
 *
 * Stacks come from a process-wide pool: mmap'd with a PROT_NONE guard page
 * below, reused after a fiber ends. A fiber also carries the engine's
 * execution state of its call (value stack, frame stack: exec.c), so a
 * suspended call keeps its stacks wherever it resumes.
 *
 * Rules:
 *   - wf_fiber_resume switches from the current context (a thread's own
 *     stack, or another fiber) into f and returns when f suspends or ends;
 *     a fiber is resumed by one thread at a time;
 *   - wf_fiber_suspend, on a fiber, switches back to whoever resumed it;
 *   - a fiber's function returns to end it; then wf_fiber_free (or free an
 *     unstarted one). Freeing a suspended fiber is a bug (its stack holds
 *     live frames).
 * AddressSanitizer (WF_SANITIZE) and valgrind are told about every switch
 * and every stack.
 *
 * Sleeping (the hook WASI's poll_oneoff and any host import use):
 * wf_fiber_sleep_until suspends the current call when it runs on a fiber
 * that has a sleeper (the runtime's scheduler sets one: the worker thread
 * is free meanwhile), else it sleeps the thread.
 */
#ifndef WF_FIBER_H
#define WF_FIBER_H

#include "base/base.h"
#include "base/error.h"

typedef struct wf_fiber wf_fiber;
typedef void (*wf_fiber_fn)(void *arg);

/* How a scheduler suspends a fiber until a time: it must arrange a resume
 * at deadline_ns (CLOCK_MONOTONIC) or earlier, call wf_fiber_suspend, and
 * return NULL, or an error (TIMEOUT when the call's own deadline passed
 * first: the call then fails with it). */
typedef struct wf_fiber_sleeper {
    wf_error *(*sleep_until)(void *ctx, wf_fiber *f, uint64_t deadline_ns);
    void *ctx;
} wf_fiber_sleeper;

/* A fiber that will run fn(arg); NULL when no stack can be mapped. */
wf_fiber *wf_fiber_new(wf_fiber_fn fn, void *arg);
/* Switch into f (first run or after a suspend); true once fn returned. */
bool wf_fiber_resume(wf_fiber *f);
/* On a fiber: switch back to the context that resumed it. */
void wf_fiber_suspend(void);
/* The fiber running on this thread, or NULL on a thread's own stack. */
wf_fiber *wf_fiber_current(void);
bool wf_fiber_done(const wf_fiber *f);
/* Give f's stack back to the pool. f must be done or never started. */
void wf_fiber_free(wf_fiber *f);

/* The scheduler's hook on f (NULL: sleeping blocks the thread). */
void wf_fiber_set_sleeper(wf_fiber *f, const wf_fiber_sleeper *s);

/* Sleep until deadline_ns on CLOCK_MONOTONIC: suspends the current call's
 * fiber when a scheduler runs it (see above), else sleeps the thread.
 * Returns NULL when the time came, or the error that ends the call (TIMEOUT:
 * its max_execution_ms passed while it slept). */
wf_error *wf_fiber_sleep_until(uint64_t deadline_ns);
/* CLOCK_MONOTONIC now, in ns. */
uint64_t wf_fiber_now_ns(void);

/* ---- Engine internals (exec.c) ------------------------------------------ */

/* The execution state slot of f: exec.c's, kept with the pooled stack and
 * freed by wf_exec_state_free when the pool drops the stack. */
void **wf_fiber_exec_slot(wf_fiber *f);
void wf_exec_state_free(void *state);
/* Back to defaults (no interrupt flag, full stack limits) when the stack
 * returns to the pool. */
void wf_exec_state_reset(void *state);
/* After a trap left frames by siglongjmp: forget the sanitizer's marks on
 * the current fiber's stack below addr (the frames given up), as a reused
 * stack must not carry them into later calls. No-op unless sanitized. */
void wf_fiber_unwound_below(const void *addr);
/* Bytes of usable C stack per fiber. */
size_t wf_fiber_stack_size(void);

#endif
