/*
 * sched.h - the scheduler: worker threads running tasks on fibers, a run
 * queue, and a timer, so a call that sleeps (wf_fiber_sleep_until, e.g.
 * WASI poll_oneoff on clocks) frees its worker thread until a timer wakes
 * it, on whichever worker is free then.
 *
 * A task is fn(arg) on its own fiber (wasm/fiber.h). While a task runs under
 * the scheduler, wf_fiber_sleep_until suspends it: the worker moves on to
 * the next runnable task, and the timer puts it back on the run queue at its
 * wake-up time. A task's deadline (the call's max_execution_ms, CLOCK_
 * MONOTONIC ns) also bounds its sleeps: a task asleep when its deadline
 * passes is woken then and its sleep returns TIMEOUT, which fails the call.
 *
 * Threads: wf_sched_spawn and wf_sched_wait_idle are thread-safe (and may
 * be called from tasks, except wait_idle). wf_sched_free waits for every
 * task to end.
 *
 * The runtime's pools (pool.c) schedule calls the same way with their own
 * workers (a pool's bounds are per function, SPEC §5): each pooled call
 * runs on a fiber with a sleeper, a sleeping call frees its worker, and the
 * runtime's timer puts it on the pool's resume queue. This standalone
 * scheduler serves direct engine use (tests, bench_sleep's first figure).
 */
#ifndef WF_RUNTIME_SCHED_H
#define WF_RUNTIME_SCHED_H

#include "base/base.h"
#include "base/error.h"

typedef struct wf_sched wf_sched;
typedef void (*wf_sched_fn)(void *arg);

/* nworkers 0: one per core. NULL when no worker thread can be started. */
wf_sched *wf_sched_new(unsigned nworkers);
/* Waits for all tasks, stops the workers and the timer, frees s. */
void wf_sched_free(wf_sched *s);
unsigned wf_sched_workers(const wf_sched *s);

/* Run fn(arg) as a task on a fiber; deadline_ns 0 = none. LIMIT when no
 * fiber stack can be mapped (nothing runs then). */
wf_error *wf_sched_spawn(wf_sched *s, wf_sched_fn fn, void *arg, uint64_t deadline_ns);
/* Block until no task is queued, running or asleep. */
void wf_sched_wait_idle(wf_sched *s);

/* Figures since wf_sched_new: tasks run to the end, suspensions, and the
 * most tasks alive at once. */
typedef struct wf_sched_stats {
    uint64_t tasks_done, sleeps;
    uint32_t max_alive;
} wf_sched_stats;
void wf_sched_stats_get(wf_sched *s, wf_sched_stats *out);

#endif
