/*
 * test_runtime_pool.c - the pools' ready instances, seen through a counting
 * function kind: a static pool keeps `size` pristine instances ready, never
 * hands one instance to two calls, and releases every instance it made.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "runtime/runtime.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_pool_keeps_size_ready),
        cmocka_unit_test(test_lazy_pool_keeps_nothing_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
