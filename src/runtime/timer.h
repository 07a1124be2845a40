/*
 * timer.h - the runtime's deadline timer: one thread and a binary heap of
 * deadlines (CLOCK_MONOTONIC ns). When a deadline passes, the timer stores 1
 * in its flag (the running call's interrupt flag, see wf_exec_set_interrupt)
 * and drops it from the heap.
 *
 * A wf_deadline is owned by its user (embedded in a call); it must be
 * removed (wf_timer_remove) before its memory goes away. Removing one that
 * already fired is a no-op.
 */
#ifndef WF_RUNTIME_TIMER_H
#define WF_RUNTIME_TIMER_H

#include "base/base.h"
#include "wasm/wait.h"   /* wf_now_ns: the deadlines' clock */

typedef struct wf_deadline {
    uint64_t at_ns;
    volatile uint32_t *flag;
    /* When set, called instead of storing to flag, on the timer thread with
     * the timer's lock held (d is out of the heap already): it must be
     * short and must not call back into the timer. */
    void (*fire)(struct wf_deadline *d);
    size_t pos;             /* index in the heap + 1, 0 = not queued */
    /* A call's deadline a task's bounded slice holds back (sched.h,
     * wf_task_deadline_add): the task's list, whether d is on it, and the
     * timer it goes to (the call's: not always its scheduler's). */
    struct wf_deadline *next_held;
    struct wf_timer *held_timer;
    bool held;
} wf_deadline;

typedef struct wf_timer wf_timer;

wf_timer *wf_timer_new(void);
void wf_timer_free(wf_timer *t);   /* stops the thread; the heap must be empty */
void wf_timer_add(wf_timer *t, wf_deadline *d);
void wf_timer_remove(wf_timer *t, wf_deadline *d);

#endif
