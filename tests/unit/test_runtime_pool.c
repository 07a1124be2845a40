/*
 * test_runtime_pool.c - the pools' ready instances, seen through a counting
 * function kind: a static pool keeps `size` pristine instances ready, never
 * hands one instance to two calls, and releases every instance it made;
 * a lazy pool's call made by a task at the top of its chain runs on that
 * task's thread (at most max_size at once, while its calls are short),
 * any other on the pool's.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "runtime/rt_int.h"
#include "runtime/runtime.h"
#include "runtime/sched.h"

/* A kind whose instances are numbered; it counts what the pool does. */
typedef struct counter {
    pthread_mutex_t mu;
    uint32_t prepared, called, released;
} counter;

typedef struct instance {
    uint32_t serial;
    bool used;
} instance;

static wf_error *k_prepare(void *fn, void **out)
{
    counter *c = fn;
    instance *in = wf_xcalloc(1, sizeof *in);
    pthread_mutex_lock(&c->mu);
    in->serial = ++c->prepared;
    pthread_mutex_unlock(&c->mu);
    *out = in;
    return NULL;
}

static wf_error *k_call(void *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                        const wf_fn_ctx *ctx)
{
    counter *c = fn;
    instance *in = inst;
    if (in->used) return wf_error_new(WF_ERR_INTERNAL, "instance %u used twice", in->serial);
    in->used = true;
    pthread_mutex_lock(&c->mu);
    c->called++;
    pthread_mutex_unlock(&c->mu);
    *result = wf_val_uint(WF_VAL_U32, in->serial);
    return NULL;
}

static void k_release(void *fn, void *inst)
{
    counter *c = fn;
    pthread_mutex_lock(&c->mu);
    c->released++;
    pthread_mutex_unlock(&c->mu);
    free(inst);
}

static const wf_fn_kind counting_kind = {
    .name = "test.counting", .prepare = k_prepare, .call = k_call, .release = k_release,
};

static uint32_t prepared(counter *c)
{
    pthread_mutex_lock(&c->mu);
    uint32_t n = c->prepared;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Wait up to 2 s for the pool's workers to fill their stash. */
static uint32_t prepared_after_settling(counter *c, uint32_t want)
{
    for (int i = 0; i < 200 && prepared(c) < want; i++) nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    nanosleep(&(struct timespec){ 0, 50000000 }, NULL); /* and no more than that */
    return prepared(c);
}

static void test_static_pool_keeps_size_ready(void **state)
{
    (void)state;
    counter c = { .mu = PTHREAD_MUTEX_INITIALIZER };
    wf_runtime *rt = wf_runtime_new();
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_STATIC, .size = 3, .workers = 1 } };
    wf_error *e = wf_runtime_add(rt, "t:count", &counting_kind, &c, &o);
    if (e) fail_msg("add: %s", e->message);

    /* Before any call, `size` instances are made ready, and no more. */
    assert_int_equal(prepared_after_settling(&c, 3), 3);

    /* Each call takes one ready instance; the stash refills to 3. */
    for (uint32_t i = 1; i <= 5; i++) {
        wf_val r;
        e = wf_runtime_call(rt, "t:count", NULL, 0, &r, NULL);
        if (e) fail_msg("call %u: %s", i, e->message);
        wf_val_free(&r);
        assert_int_equal(prepared_after_settling(&c, 3 + i), 3 + i);
    }
    assert_int_equal(c.called, 5);
    wf_runtime_free(rt);
    /* Everything made was released: 5 used, 3 still ready at the end. */
    assert_int_equal(c.released, 8);
}

static void test_lazy_pool_keeps_nothing_ready(void **state)
{
    (void)state;
    counter c = { .mu = PTHREAD_MUTEX_INITIALIZER };
    wf_runtime *rt = wf_runtime_new();
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_LAZY, .max_size = 4 } };
    wf_error *e = wf_runtime_add(rt, "t:count", &counting_kind, &c, &o);
    if (e) fail_msg("add: %s", e->message);
    assert_int_equal(prepared_after_settling(&c, 1), 0);
    wf_val r;
    e = wf_runtime_call(rt, "t:count", NULL, 0, &r, NULL);
    if (e) fail_msg("call: %s", e->message);
    assert_int_equal(r.of.u, 1);
    wf_val_free(&r);
    wf_runtime_free(rt);
    assert_int_equal(c.released, 1);
}

/* A kind that records the thread each call runs on; a call of "relay"
 * calls "leaf" (a nested call); a call of "gate" waits until two calls of
 * it are in (or 5 s). */
typedef struct where {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wf_runtime *rt;
    const char *nested;     /* what a call calls, or NULL */
    bool gate;
    uint32_t sleep_us;      /* each call takes at least this */
    uint32_t in, n;
    pthread_t threads[64];
} where;

static wf_error *w_prepare(void *fn, void **out)
{
    (void)fn;
    *out = wf_xcalloc(1, 1);
    return NULL;
}

static wf_error *w_call(void *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                        const wf_fn_ctx *ctx)
{
    (void)inst, (void)args, (void)nargs, (void)ctx;
    where *w = fn;
    pthread_mutex_lock(&w->mu);
    if (w->n < 64) w->threads[w->n++] = pthread_self();
    w->in++;
    pthread_cond_broadcast(&w->cv);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    while (w->gate && w->in < 2 && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0) {}
    uint32_t us = w->sleep_us;
    pthread_mutex_unlock(&w->mu);
    if (us) nanosleep(&(struct timespec){ 0, (long)us * 1000 }, NULL);
    *result = wf_val_uint(WF_VAL_U32, 0);
    if (w->nested) return wf_runtime_call(w->rt, w->nested, NULL, 0, result, NULL);
    return NULL;
}

static void w_release(void *fn, void *inst)
{
    (void)fn;
    free(inst);
}

static const wf_fn_kind where_kind = {
    .name = "test.where", .prepare = w_prepare, .call = w_call, .release = w_release,
};

/* A task that calls `id` and notes its own thread. */
typedef struct caller {
    wf_task task;
    wf_runtime *rt;
    const char *id;
    pthread_t thread;
    wf_error *err;
} caller;

static void caller_run(wf_task *t)
{
    caller *c = (caller *)t;
    c->thread = pthread_self();
    wf_val r;
    c->err = wf_runtime_call(c->rt, c->id, NULL, 0, &r, NULL);
    if (!c->err) wf_val_free(&r);
}

static uint32_t pool_workers(wf_runtime *rt, const char *id)
{
    wf_rt_pool_gauges g;
    wf_rt_pool_gauges_of(rt, id, &g);
    return g.workers;
}

static void test_lazy_pool_runs_a_tasks_call_on_its_fiber(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    where leaf = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .rt = rt };
    where relay = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .rt = rt,
                    .nested = "t:leaf" };
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_LAZY, .max_size = 4 } };
    assert_null(wf_runtime_add(rt, "t:leaf", &where_kind, &leaf, &o));
    assert_null(wf_runtime_add(rt, "t:relay", &where_kind, &relay, &o));
    wf_sched_group *g;
    wf_sched_group_config gc = { .max_workers = 1 };
    assert_null(wf_sched_group_new(wf_runtime_sched(rt), &gc, &g));

    /* From a task: on the task's thread, no pool worker started. */
    caller c = { .task = { .run = caller_run }, .rt = rt, .id = "t:leaf" };
    assert_int_equal(wf_sched_submit(g, &c.task, 0), WF_SUBMIT_OK);
    wf_sched_group_wait_idle(g);
    assert_null(c.err);
    assert_int_equal(leaf.n, 1);
    assert_true(pthread_equal(leaf.threads[0], c.thread));
    assert_int_equal(pool_workers(rt, "t:leaf"), 0);

    /* A nested call (the relay's call of leaf) goes to leaf's pool. */
    caller c2 = { .task = { .run = caller_run }, .rt = rt, .id = "t:relay" };
    assert_int_equal(wf_sched_submit(g, &c2.task, 0), WF_SUBMIT_OK);
    wf_sched_group_wait_idle(g);
    assert_null(c2.err);
    assert_true(pthread_equal(relay.threads[0], c2.thread));
    assert_int_equal(leaf.n, 2);
    assert_false(pthread_equal(leaf.threads[1], c2.thread));
    assert_int_equal(pool_workers(rt, "t:leaf"), 1);
    assert_int_equal(pool_workers(rt, "t:relay"), 0);

    /* From a thread that runs no task: the pool's. */
    wf_val r;
    assert_null(wf_runtime_call(rt, "t:relay", NULL, 0, &r, NULL));
    assert_false(pthread_equal(relay.threads[1], pthread_self()));
    assert_int_equal(pool_workers(rt, "t:relay"), 1);

    wf_sched_group_free(g);
    wf_runtime_free(rt);
}

static void test_lazy_pool_direct_calls_bounded(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    where gate = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .rt = rt, .gate = true };
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_LAZY, .max_size = 1 } };
    assert_null(wf_runtime_add(rt, "t:gate", &where_kind, &gate, &o));
    wf_sched_group *g;
    wf_sched_group_config gc = { .max_workers = 2, .start_workers = 2 };
    assert_null(wf_sched_group_new(wf_runtime_sched(rt), &gc, &g));

    /* Two tasks on two threads call at once; with max_size 1 only one runs
     * on its caller's thread, the other on the pool's one worker. */
    caller a = { .task = { .run = caller_run }, .rt = rt, .id = "t:gate" };
    caller b = { .task = { .run = caller_run }, .rt = rt, .id = "t:gate" };
    assert_int_equal(wf_sched_submit(g, &a.task, 0), WF_SUBMIT_OK);
    assert_int_equal(wf_sched_submit(g, &b.task, 0), WF_SUBMIT_OK);
    wf_sched_group_wait_idle(g);
    assert_null(a.err);
    assert_null(b.err);
    assert_int_equal(gate.n, 2);
    uint32_t on_callers = 0;
    for (int i = 0; i < 2; i++)
        on_callers += pthread_equal(gate.threads[i], a.thread) || pthread_equal(gate.threads[i], b.thread);
    assert_int_equal(on_callers, 1);
    assert_int_equal(pool_workers(rt, "t:gate"), 1);

    wf_sched_group_free(g);
    wf_runtime_free(rt);
}

/* Calls of "t:w" from one task, on a thread of its own. */
typedef struct caller_n {
    wf_task task;
    wf_runtime *rt;
    uint32_t n;
    pthread_t thread;
} caller_n;

static void caller_n_run(wf_task *t)
{
    caller_n *c = (caller_n *)t;
    c->thread = pthread_self();
    for (uint32_t i = 0; i < c->n; i++) {
        wf_val r;
        wf_error *e = wf_runtime_call(c->rt, "t:w", NULL, 0, &r, NULL);
        if (e) fail_msg("call %u: %s", i, e->message);
        wf_val_free(&r);
    }
}

static void calls_from_a_task(wf_runtime *rt, wf_sched_group *g, uint32_t n, pthread_t *task_thread)
{
    caller_n c = { .task = { .run = caller_n_run }, .rt = rt, .n = n };
    assert_int_equal(wf_sched_submit(g, &c.task, 0), WF_SUBMIT_OK);
    wf_sched_group_wait_idle(g);
    *task_thread = c.thread;
}

/* Calls that take long (here 1 ms, over the 50 us bound) go to the pool
 * once the average says so, and come back once calls are short again. */
static void test_lazy_pool_long_calls_go_to_the_pool(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    where w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .rt = rt, .sleep_us = 1000 };
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_LAZY, .max_size = 4 } };
    assert_null(wf_runtime_add(rt, "t:w", &where_kind, &w, &o));
    wf_sched_group *g;
    wf_sched_group_config gc = { .max_workers = 1 };
    assert_null(wf_sched_group_new(wf_runtime_sched(rt), &gc, &g));

    pthread_t task;
    calls_from_a_task(rt, g, 4, &task);
    assert_int_equal(w.n, 4);
    assert_true(pthread_equal(w.threads[0], task));   /* nothing known yet: direct */
    for (int i = 1; i < 4; i++)                       /* 1/8 of 1 ms is over the bound already */
        assert_false(pthread_equal(w.threads[i], task));

    w.sleep_us = 0;
    calls_from_a_task(rt, g, 40, &task);
    assert_false(pthread_equal(w.threads[4], task));
    assert_true(pthread_equal(w.threads[43], task));  /* the average decayed: direct again */

    wf_sched_group_free(g);
    wf_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_pool_keeps_size_ready),
        cmocka_unit_test(test_lazy_pool_keeps_nothing_ready),
        cmocka_unit_test(test_lazy_pool_runs_a_tasks_call_on_its_fiber),
        cmocka_unit_test(test_lazy_pool_direct_calls_bounded),
        cmocka_unit_test(test_lazy_pool_long_calls_go_to_the_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
