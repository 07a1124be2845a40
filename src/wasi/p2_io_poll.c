/*
 * p2_io_poll.c - wasi:io/poll: the `pollable` resource (ready, block) and
 * poll(list<borrow<pollable>>). A pollable is ops over an object: a time
 * (made here, for monotonic-clock's subscribe-*), a stream's readiness
 * (a child of the stream), or whatever another interface plugs in through
 * wf_p2_pollable_new. Blocking is p2_wait.c's suspension.
 */
#include "wasi/p2_int.h"

#include <stdio.h>

/* A poll list longer than this is refused (each entry is a host object). */
#define P2_MAX_POLL (1u << 16)

static void pollable_free(void *obj)
{
    wf_p2_pollable *p = obj;
    if (p->free_obj) p->free_obj(p->obj);
    free(p);
}

const wf_p2_kind wf_p2_kind_pollable = { "pollable", pollable_free };

wf_error *wf_p2_pollable_new(wf_p2_ctx *cx, const wf_p2_poll_ops *ops, void *obj,
                             void (*free_obj)(void *), uint32_t parent, wf_val *out)
{
    wf_p2_pollable *p = wf_xcalloc(1, sizeof *p);
    *p = (wf_p2_pollable){ ops, obj, free_obj };
    return wf_p2_new_handle(cx, &wf_p2_kind_pollable, p, parent, out);
}

/* ---- A time ------------------------------------------------------------------ */

static bool time_ready(void *obj) { return wf_now_ns() >= *(uint64_t *)obj; }

static void time_wait(void *obj, wf_p2_wait *w) { w->until_ns = *(uint64_t *)obj; }

static const wf_p2_poll_ops time_ops = { time_ready, time_wait };

wf_error *wf_p2_pollable_at(wf_p2_ctx *cx, uint64_t at_ns, wf_val *out)
{
    uint64_t *at = wf_xmalloc(sizeof *at);
    *at = at_ns ? at_ns : 1;   /* 0 means "no time" to a wait: the past is 1 */
    return wf_p2_pollable_new(cx, &time_ops, at, free, 0, out);
}

/* ---- The interface ----------------------------------------------------------- */

static wf_error *self_pollable(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                               size_t nargs, wf_p2_pollable **p)
{
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    return wf_p2_get(cx, &wf_p2_kind_pollable, &args[0], "self", (void **)p);
}

static WF_P2_FN(pollable_ready)
{
    (void)env;
    wf_p2_pollable *p;
    wf_error *e = self_pollable(inst, type, args, nargs, &p);
    if (e) return e;
    *result = wf_val_bool(p->ops->ready(p->obj));
    return NULL;
}

static WF_P2_FN(pollable_block)
{
    (void)env;
    (void)result;
    wf_p2_pollable *p;
    wf_error *e = self_pollable(inst, type, args, nargs, &p);
    if (e) return e;
    return wf_p2_block(&p, 1);
}

static WF_P2_FN(poll)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    if (args[0].kind != WF_VAL_LIST) return wf_p2_trap(type, "expected a list of pollables");
    size_t n = args[0].of.agg.len;
    if (n == 0) return wf_p2_trap(type, "empty poll list (it would never return)");
    if (n > P2_MAX_POLL) return wf_p2_trap(type, "more than %u pollables", P2_MAX_POLL);
    wf_p2_pollable **ps = wf_xcalloc(n, sizeof *ps);
    for (size_t i = 0; i < n && !e; i++) {
        char what[32];
        snprintf(what, sizeof what, "pollable %zu", i);
        e = wf_p2_get(cx, &wf_p2_kind_pollable, &args[0].of.agg.items[i], what, (void **)&ps[i]);
    }
    if (!e) e = wf_p2_block(ps, n);
    if (!e) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) k += ps[i]->ops->ready(ps[i]->obj);
        *result = wf_val_agg(WF_VAL_LIST, k);
        k = 0;
        for (size_t i = 0; i < n && k < result->of.agg.len; i++)
            if (ps[i]->ops->ready(ps[i]->obj)) result->of.agg.items[k++] = wf_val_uint(WF_VAL_U32, i);
        result->of.agg.len = k;
    }
    free(ps);
    return e;
}

static const wf_p2_res_def res[] = { { "pollable", &wf_p2_kind_pollable }, { NULL, NULL } };
static const wf_p2_fn_def fns[] = {
    { "[method]pollable.ready", pollable_ready },
    { "[method]pollable.block", pollable_block },
    { "poll", poll },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_io_poll = { "wasi:io", "wasi:io/poll@0.2.12", res, fns };
