/*
 * sched.h - the scheduler: tasks on fibers, run by groups of worker
 * threads, parked and woken through wasm/wait.h, with one timer for every
 * deadline and wake-up. Every pooled call runs on it (pool.c: a pool is a
 * group); so do later waits that must not hold a worker: Lua channels and
 * futures, WASI 0.2 pollables and streams, HTTP handlers (their event loop
 * wakes, or is woken by, tasks through a wf_waker of its own).
 *
 * A task is work to run on a fiber of its own. Its owner embeds a wf_task,
 * sets run (and done, interrupt), and submits it to a group. A worker of
 * that group runs it; whenever it waits (wf_park, wf_waitq_wait,
 * wf_sleep_until: e.g. a nested call's future, WASI poll_oneoff) its fiber
 * is suspended and the worker takes other tasks. A wake, from any thread,
 * puts it on its group's resume queue, ahead of tasks not yet started; it
 * resumes on whichever worker is free. So a thousand sleeping calls need
 * no more threads than their pool's workers, and a call that waits for
 * another call of its own pool never holds the worker that call needs.
 *
 * A group is a set of worker threads with bounds (a pool's, SPEC §5):
 * min..max threads, started on demand (a task queued or woken with no idle
 * worker), idle ones beyond min leaving after idle_ns; and a queue of
 * tasks not yet started, bounded by queue_cap: submitting to a full queue
 * waits for room (parking, so a task that submits frees its worker) until
 * the submitter's deadline. Nothing queued is dropped: a group's end runs
 * every task to its end first.
 *
 * A task's stop: it parks only while its call may go on. Once *interrupt is
 * set (a cancel: set it, then wf_task_wake) or deadline_ns passes (the
 * scheduler then sets *interrupt), its parks return WF_PARK_STOPPED at once.
 *
 * Threads: everything here is thread-safe. Lock order: a waited object's
 * mutex, then the timer's, then a group's (a wake takes its group's lock);
 * done and the idle hook run with no scheduler lock held.
 */
#ifndef WF_RUNTIME_SCHED_H
#define WF_RUNTIME_SCHED_H

#include "runtime/timer.h"
#include "wasm/fiber.h"
#include "wasm/wait.h"

typedef struct wf_sched wf_sched;
typedef struct wf_sched_group wf_sched_group;
typedef struct wf_task wf_task;
typedef void (*wf_task_fn)(wf_task *t);

struct wf_task {
    /* Set by the owner before submitting (zero the rest). */
    wf_task_fn run;                 /* on the task's fiber: the work */
    /* On the worker, after run returned (the fiber is gone, the scheduler
     * is done with t: the owner may free it). May be NULL. no_stack tells
     * it that run never ran: no fiber stack could be mapped. */
    wf_task_fn done;
    volatile uint32_t *interrupt;   /* the stop flag, or NULL */
    uint64_t deadline_ns;           /* parks end STOPPED from then; 0 = none.
                                     * Changed only by the task itself. */
    void *local;                    /* the task's slot (wf_sched_local) */
    /* Where a woken task goes, or NULL: the resume queue. When set, a
     * wake of the parked task calls it (with the group's lock held: it
     * may take only locks no scheduler code holds while taking the
     * group's, and must not call into the scheduler); true: the owner
     * took the task and will call wf_sched_resume_here (or
     * wf_sched_send_back) for it soon; false: the workers resume it. A
     * task the watchdog of its thread made yield goes to the workers. */
    bool (*home)(wf_task *t);
    bool no_stack;
    /* True while the task has run only on the thread that started it by
     * wf_sched_run_here and never left it (no park, no yield) nor
     * submitted another task: no other thread can have seen it, so what it
     * shares with its owner on that thread needs no lock (http's exchange).
     * Set by wf_sched_run_here, cleared by the scheduler on that thread
     * before the task can reach another, or before a task it submits can
     * run (that one may be given what the task shares with its owner: an
     * HTTP handler's pooled call writes its exchange from a worker); the
     * group's lock then orders it for the other thread. Never set again.
     * Read-only for the owner. */
    bool solo;
    /* Set by the owner just before wf_sched_run_here or
     * wf_sched_resume_here when its thread bounds the slice: by this time
     * (wf_now_ns) a watchdog asks the call running in it to yield
     * (wf_exec_request_yield), so the slice ends then at the latest, by a
     * yield. 0: not bounded. Cleared by the scheduler when the slice ends.
     * A call of a bounded slice whose deadline comes after its end arms no
     * timer while the slice runs (wf_task_deadline_add). */
    uint64_t slice_end_ns;
    /* The scheduler's own. */
    wf_deadline *held;              /* deadlines the slice holds back, innermost first */
    wf_waker waker;
    wf_sched_group *g;
    wf_fiber *fiber;
    wf_deadline wake_at;            /* the timer's wake-up of a park */
    uint64_t park_until;
    wf_task *next;
    int state;
    bool permit, parking;
};

/* ---- The scheduler ------------------------------------------------------- */

wf_sched *wf_sched_new(void);
/* Every group must be freed first. */
void wf_sched_free(wf_sched *s);
/* The timer (deadlines of running calls set interrupt flags through it). */
wf_timer *wf_sched_timer(wf_sched *s);

/* ---- Groups ----------------------------------------------------------------- */

typedef struct wf_sched_group_config {
    uint32_t min_workers;       /* never fewer (once started) */
    uint32_t max_workers;       /* never more; 0 means 1 */
    uint32_t start_workers;     /* started by wf_sched_group_new */
    uint64_t idle_ns;           /* idle workers beyond min leave after this; 0 = never */
    size_t queue_cap;           /* tasks not yet started; 0 = no bound */
    /* An idle worker calls it (no lock held) before it waits for work, with
     * the number of workers then: true when it did some (a pool refills its
     * ready instances). May be NULL. */
    bool (*idle)(void *ud, uint32_t nworkers);
    void *ud;
} wf_sched_group_config;

/* LIMIT when the start workers cannot be started. */
wf_error *wf_sched_group_new(wf_sched *s, const wf_sched_group_config *c, wf_sched_group **out);
/* Refuse new tasks, run every queued, running and parked task to its end,
 * stop the workers. Called from a thread, not from one of its tasks. */
void wf_sched_group_free(wf_sched_group *g);
/* Worker threads alive now. */
uint32_t wf_sched_group_workers(wf_sched_group *g);
/* Wait (parking) until no task of g is queued, running or parked. */
void wf_sched_group_wait_idle(wf_sched_group *g);

/* Figures since the group started: tasks run to their end, parks, and the
 * most tasks alive (queued, running or parked) at once. */
typedef struct wf_sched_stats {
    uint64_t tasks_done, parks;
    uint32_t max_alive;
} wf_sched_stats;
void wf_sched_group_stats(wf_sched_group *g, wf_sched_stats *out);

/* ---- Tasks --------------------------------------------------------------------- */

enum {
    WF_SUBMIT_OK,
    WF_SUBMIT_FULL,         /* the queue stayed full until until_ns (or the submitter's stop) */
    WF_SUBMIT_STOPPED,      /* the group is ending */
    WF_SUBMIT_NO_WORKER,    /* no worker thread could be started */
};
/* Queue t to run on g; with queue_cap tasks waiting, wait for room until
 * until_ns (0 = no bound). The task is g's until its done runs. A solo
 * task that submits stops being solo first. */
int wf_sched_submit(wf_sched_group *g, wf_task *t, uint64_t until_ns);
/* Run t now, on this thread (one that is none of g's workers: an event
 * loop), on a fiber of its own, as a task of g. Returns once it ended (its
 * done ran here, before the return), parked or yielded: from then on it is
 * g's like any task (a wake resumes it on g's workers), so a task that
 * waits never holds this thread. WF_SUBMIT_STOPPED when g is ending
 * (nothing ran). *ended (may be NULL) tells whether it ended here. */
int wf_sched_run_here(wf_sched_group *g, wf_task *t, bool *ended);
/* A task its home hook took (above): resume it on this thread until it
 * ends (true: its done ran here), parks or yields, as wf_sched_run_here. */
bool wf_sched_resume_here(wf_task *t);
/* A task its home hook took, handed to g's workers after all (its home
 * cannot run it: it is closing). */
void wf_sched_send_back(wf_task *t);
/* Take back a task not started yet (its done is not called); false once it
 * started (or ended). */
bool wf_sched_unqueue(wf_task *t);
/* Wake t (any thread): a parked task runs again, a running one's next park
 * returns at once. */
void wf_task_wake(wf_task *t);
/* The task running on this thread, or NULL. */
wf_task *wf_task_current(void);
/* Arm a call's deadline d (at_ns and flag set) in timer, for a call
 * running on task t (the current one, or NULL: a thread's own call). In a
 * bounded slice (slice_end_ns) that ends before d->at_ns, d is held back
 * instead: the scheduler arms it when the slice ends (a park or a yield)
 * before the call does; most calls end within their first slice, and so
 * never take the timer's lock. The call itself then still stops at d: it
 * cannot reach d without the slice ending first. */
void wf_task_deadline_add(wf_timer *timer, wf_task *t, wf_deadline *d);
/* The call of wf_task_deadline_add ended: d leaves the timer, or t's held
 * ones. */
void wf_task_deadline_remove(wf_timer *timer, wf_task *t, wf_deadline *d);
/* A slot that belongs to the running task, or to this thread when it runs
 * none: the runtime keeps its call chain there (it follows the task when it
 * moves to another worker). */
void **wf_sched_local(void);

#endif
