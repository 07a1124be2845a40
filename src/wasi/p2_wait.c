/*
 * p2_wait.c - blocking in WASI 0.2 is suspension: pollable.block, poll and
 * the blocking stream operations wait here for any of a set of pollables.
 *
 * Each pollable says what it waits on (wf_p2_wait: a time, an fd's
 * readiness, a wait queue, a watch of its own). The waiter registers its waker (the running
 * task's, wasm/wait.h) on every queue and fd (p2_reactor.c), re-checks
 * readiness (a change between the first check and the registration woke
 * the registered waker, or is seen now), then parks until the earliest
 * time: on a scheduler task the fiber is suspended and its worker runs
 * other calls; elsewhere the thread sleeps (looking at the call's interrupt
 * flag every 10 ms: nothing else tells it of a deadline). A call stopped
 * meanwhile (its deadline, a cancel) ends the wait with TIMEOUT, as
 * poll_oneoff does.
 */
#include "wasi/p2_int.h"

#include <poll.h>

#include "wasm/code.h"
#include "wasm/fiber.h"

/* Off the scheduler (an inline call parks its own thread) nothing wakes a
 * wait when the call's deadline passes or it is cancelled: such a wait
 * looks at the call's interrupt flag this often. */
#define P2_STOP_POLL_NS 10000000u

static bool any_ready(wf_p2_pollable *const *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i]->ops->ready(ps[i]->obj)) return true;
    return false;
}

wf_error *wf_p2_block(wf_p2_pollable *const *ps, size_t n)
{
    if (any_ready(ps, n)) return NULL;
    wf_p2_wait *ws = wf_xcalloc(WF_MAX(n, 1), sizeof *ws);
    wf_wait_node *nodes = wf_xcalloc(WF_MAX(n, 1), sizeof *nodes);
    wf_p2_fdwatch *fds = wf_xcalloc(WF_MAX(n, 1), sizeof *fds);
    wf_error *err = NULL;
    for (;;) {
        wf_waker *wk = wf_waker_current();
        uint64_t earliest = 0;
        for (size_t i = 0; i < n; i++) {
            ws[i] = (wf_p2_wait){ .fd = -1 };
            ps[i]->ops->wait(ps[i]->obj, &ws[i]);
            if (ws[i].until_ns && (!earliest || ws[i].until_ns < earliest)) earliest = ws[i].until_ns;
            if (ws[i].mu) {
                pthread_mutex_lock(ws[i].mu);
                nodes[i] = (wf_wait_node){ .waker = wk };
                wf_waitq_add(ws[i].q, &nodes[i]);
                pthread_mutex_unlock(ws[i].mu);
            }
            if (ws[i].fd >= 0) {
                fds[i] = (wf_p2_fdwatch){ .fd = ws[i].fd, .events = ws[i].events, .waker = wk };
                wf_p2_fdwatch_add(&fds[i]);
            }
            if (ws[i].watch) {
                nodes[i] = (wf_wait_node){ .waker = wk };
                ws[i].watch(ws[i].wobj, &nodes[i], wk);
            }
        }
        bool ready = any_ready(ps, n);
        int r = WF_PARK_WOKEN;
        volatile uint32_t *stop = wf_fiber_parker_current() ? NULL : wf_exec_get_interrupt();
        if (!ready && stop && wf_interrupt_stops(stop)) {
            r = WF_PARK_STOPPED;
        } else if (!ready) {
            uint64_t until = earliest;
            if (stop) {
                uint64_t slice = wf_now_ns() + P2_STOP_POLL_NS;
                if (!until || slice < until) until = slice;
            }
            if (until && wf_now_ns() >= until) r = WF_PARK_TIMEOUT;
            else r = wf_park(until);
            if (stop && wf_interrupt_stops(stop)) r = WF_PARK_STOPPED;
        }
        for (size_t i = 0; i < n; i++) {
            if (ws[i].mu) {
                pthread_mutex_lock(ws[i].mu);
                wf_waitq_remove(ws[i].q, &nodes[i]);
                pthread_mutex_unlock(ws[i].mu);
            }
            if (ws[i].fd >= 0) wf_p2_fdwatch_remove(&fds[i]);
            if (ws[i].watch) ws[i].unwatch(ws[i].wobj, &nodes[i]);
        }
        if (ready || any_ready(ps, n)) break;
        if (r == WF_PARK_STOPPED) {
            err = wf_error_new(WF_ERR_TIMEOUT, "the call was stopped while it waited (wasi:io/poll)");
            break;
        }
    }
    free(ws);
    free(nodes);
    free(fds);
    return err;
}

wf_error *wf_p2_block_on(const wf_p2_poll_ops *ops, void *obj)
{
    wf_p2_pollable p = { ops, obj, NULL };
    wf_p2_pollable *pp = &p;
    return wf_p2_block(&pp, 1);
}
