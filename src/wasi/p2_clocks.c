/*
 * p2_clocks.c - wasi:clocks: monotonic-clock (now, resolution, and the
 * subscribe-instant / subscribe-duration pollables that sleeping guests
 * block on: time pollables of p2_io_poll.c, so a sleep suspends the call)
 * and wall-clock (now, resolution as datetime records).
 *
 * The monotonic clock is CLOCK_MONOTONIC in ns, the clock of every deadline
 * in wasmfn (wf_now_ns), so an instant needs no conversion.
 */
#include "wasi/p2_int.h"

#include <time.h>

static uint64_t ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static wf_error *subscribe(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           bool relative, wf_val *result)
{
    wf_p2_ctx *cx;
    uint64_t when;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_arg_u64(type, args, 0, &when)))
        return e;
    if (relative) {
        uint64_t now = wf_now_ns();
        when = when > UINT64_MAX - now ? UINT64_MAX : now + when;
    }
    return wf_p2_pollable_at(cx, when, result);
}

static WF_P2_FN(subscribe_instant) { (void)env; return subscribe(inst, type, args, nargs, false, result); }
static WF_P2_FN(subscribe_duration) { (void)env; return subscribe(inst, type, args, nargs, true, result); }

static wf_val datetime(const struct timespec *ts)
{
    wf_val r = wf_val_agg(WF_VAL_RECORD, 2);
    wf_val_set_name(&r, 0, "seconds");
    wf_val_set_name(&r, 1, "nanoseconds");
    r.of.agg.items[0] = wf_p2_u64((uint64_t)ts->tv_sec);
    r.of.agg.items[1] = wf_val_uint(WF_VAL_U32, (uint64_t)ts->tv_nsec);
    return r;
}

/* now and resolution of either clock: no arguments; the monotonic clock in
 * ns (an instant or a duration), the wall clock as a datetime. */
static wf_error *clock_value(const wf_wit_func *type, size_t nargs, clockid_t clock,
                             bool resolution, wf_val *result)
{
    wf_error *e = wf_p2_nargs(type, nargs, 0);
    if (e) return e;
    struct timespec ts;   /* CLOCK_MONOTONIC's now is wf_now_ns */
    if (resolution) clock_getres(clock, &ts);
    else clock_gettime(clock, &ts);
    *result = clock == CLOCK_MONOTONIC ? wf_p2_u64(ts_ns(&ts)) : datetime(&ts);
    return NULL;
}

#define CLOCK_FN(name, clock, resolution)                                    \
    static WF_P2_FN(name)                                                    \
    {                                                                        \
        (void)env;                                                           \
        (void)inst;                                                          \
        (void)args;                                                          \
        return clock_value(type, nargs, clock, resolution, result);          \
    }
CLOCK_FN(mono_now, CLOCK_MONOTONIC, false)
CLOCK_FN(mono_resolution, CLOCK_MONOTONIC, true)
CLOCK_FN(wall_now, CLOCK_REALTIME, false)
CLOCK_FN(wall_resolution, CLOCK_REALTIME, true)

static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def mono_fns[] = {
    { "now", mono_now },
    { "resolution", mono_resolution },
    { "subscribe-instant", subscribe_instant },
    { "subscribe-duration", subscribe_duration },
    { NULL, NULL },
};
static const wf_p2_fn_def wall_fns[] = {
    { "now", wall_now },
    { "resolution", wall_resolution },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_clocks_monotonic = { "wasi:clocks", "wasi:clocks/monotonic-clock@0.2.12",
                                                   no_res, mono_fns };
const wf_p2_iface wf_p2_iface_clocks_wall = { "wasi:clocks", "wasi:clocks/wall-clock@0.2.12", no_res,
                                              wall_fns };
