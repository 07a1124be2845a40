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
 * Parking (wait.h): a scheduler gives the fibers it runs a parker, so a
 * wait on such a fiber suspends it and frees the worker thread; a wait on
 * a fiber without one (a thread's own call fiber) blocks the thread.
 */
#ifndef WF_FIBER_H
#define WF_FIBER_H

#include "base/base.h"
#include "base/error.h"

typedef struct wf_fiber wf_fiber;
typedef void (*wf_fiber_fn)(void *arg);

struct wf_waker;

/* How a scheduler parks the fibers it runs (wait.h's wf_park on them):
 * park suspends the fiber until waker is woken or until_ns passes and
 * returns a WF_PARK_* value; waker is the one that resumes this fiber. */
typedef struct wf_fiber_parker {
    int (*park)(void *ctx, uint64_t until_ns);
    struct wf_waker *waker;
    void *ctx;
} wf_fiber_parker;

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
/* The thread is about to wait (idle): the free fiber it keeps for its next
 * wf_fiber_new gives back the pages a deep call committed below the
 * shallow part of its stack, if it has not been looked at since. Cheap
 * when there is nothing to do. */
void wf_fiber_trim_spare(void);

/* The scheduler's parker of f (NULL: a wait blocks the thread). */
void wf_fiber_set_parker(wf_fiber *f, const wf_fiber_parker *p);
/* The parker of the running fiber, or NULL (no fiber, or none set). */
const wf_fiber_parker *wf_fiber_parker_current(void);

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
/* The lowest usable address of f's stack (it grows down towards it). */
const void *wf_fiber_stack_lo(const wf_fiber *f);
/* Bytes of usable C stack per fiber. */
size_t wf_fiber_stack_size(void);

#endif
