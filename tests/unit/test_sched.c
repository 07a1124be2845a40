/* test_sched.c - the scheduler (src/runtime/sched.c): sleeping tasks free
 * their workers, a task's deadline wakes it with TIMEOUT, wasm calls that
 * sleep in a host import move between workers and still trap cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/sched.h"
#include "runtime/timer.h"
#include "wasm/fiber.h"
#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wasm/types.h"

typedef struct nap {
    uint64_t ms, deadline_ns, woke_ns;
    wf_error *err;
    int steps;
} nap;

static void nap_main(void *arg)
{
    nap *n = arg;
    for (int i = 0; i < 2 && !n->err; i++) {
        n->err = wf_fiber_sleep_until(wf_now_ns() + n->ms * 1000000u);
        n->steps++;
    }
    n->woke_ns = wf_now_ns();
}

static void test_sleepers_free_workers(void **state)
{
    (void)state;
    enum { N = 200 };
    wf_sched *s = wf_sched_new(2);
    assert_non_null(s);
    assert_int_equal(wf_sched_workers(s), 2);
    static nap naps[N];
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < N; i++) {
        naps[i] = (nap){ .ms = 200 };
        assert_null(wf_sched_spawn(s, nap_main, &naps[i], 0));
    }
    wf_sched_wait_idle(s);
    uint64_t took = wf_now_ns() - t0;
    for (int i = 0; i < N; i++) {
        assert_null(naps[i].err);
        assert_int_equal(naps[i].steps, 2);
        assert_true(naps[i].woke_ns - t0 >= 400000000u);
    }
    /* 200 tasks x 2 sleeps of 200 ms on 2 threads: ~400 ms, where threads
     * blocked in their sleeps would take 40 s. */
    assert_true(took < 4000000000u);
    wf_sched_stats st;
    wf_sched_stats_get(s, &st);
    assert_int_equal(st.tasks_done, N);
    assert_int_equal(st.sleeps, 2 * N);
    /* Far more calls asleep at once than threads. (Not exactly N: on a
     * loaded machine the first tasks may finish before the last start.) */
    assert_true(st.max_alive >= N / 2);
    wf_sched_free(s);
}

static void test_deadline_wakes_sleeper(void **state)
{
    (void)state;
    wf_sched *s = wf_sched_new(1);
    uint64_t t0 = wf_now_ns();
    nap n = { .ms = 5000 };
    assert_null(wf_sched_spawn(s, nap_main, &n, t0 + 50000000u));
    nap ok = { .ms = 10 };
    assert_null(wf_sched_spawn(s, nap_main, &ok, t0 + 5000000000u));
    wf_sched_wait_idle(s);
    assert_non_null(n.err);
    assert_int_equal(n.err->kind, WF_ERR_TIMEOUT);
    assert_int_equal(n.steps, 1);
    assert_true(n.woke_ns - t0 >= 50000000u);
    assert_true(n.woke_ns - t0 < 2000000000u);
    wf_error_free(n.err);
    assert_null(ok.err);
    /* A deadline already past fails the sleep at once. */
    n = (nap){ .ms = 10 };
    assert_null(wf_sched_spawn(s, nap_main, &n, 1));
    wf_sched_wait_idle(s);
    assert_non_null(n.err);
    assert_int_equal(n.err->kind, WF_ERR_TIMEOUT);
    wf_error_free(n.err);
    wf_sched_free(s);
}

/* ---- wasm on scheduler fibers ------------------------------------------------ */

static const char *WAT =
    "(module (import \"env\" \"sleep_ms\" (func $sleep (param i32) (result i32))) (memory 1)"
    "  (func (export \"run\") (param i32) (result i32) (local i32)"
    "    (i32.store (i32.const 64) (local.get 0))"
    "    (local.set 1 (call $sleep (i32.const 5)))"
    "    (local.set 1 (i32.add (local.get 1) (call $sleep (i32.const 5))))"
    "    (i32.add (local.get 1) (i32.load (i32.const 64))))"
    "  (func (export \"oob\") (param i32) (result i32)"
    "    (drop (call $sleep (i32.const 5))) (i32.load (i32.const 65536))))";

/* Returns 1 when the call came back on another thread than it left. */
static wf_error *sleep_ms(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    long before = syscall(SYS_gettid);
    wf_error *e = wf_fiber_sleep_until(wf_now_ns() + (uint64_t)slots[0].u32 * 1000000u);
    slots[0].i32 = syscall(SYS_gettid) != before;
    return e;
}

typedef struct wcall {
    wf_module *m;
    const char *name;
    int32_t arg, res;
    wf_error *err;
} wcall;

static void wcall_main(void *arg)
{
    wcall *w = arg;
    wf_store *s = wf_store_new();
    wf_valtype t = WF_TYPE_I32;
    wf_extern im = { .kind = WF_EXTERN_FUNC,
                     .of.func = wf_func_new_host(s, wf_functype_get(&t, 1, &t, 1), sleep_ms, NULL) };
    wf_instance *inst;
    w->err = wf_instance_new(s, w->m, &im, 1, &inst);
    wf_extern x;
    if (!w->err && !wf_instance_export(inst, w->name, strlen(w->name), &x))
        w->err = wf_error_new(WF_ERR_NOT_FOUND, "no export");
    if (!w->err) {
        wf_value a = { .type = WF_TYPE_I32 }, r;
        a.of.i32 = w->arg;
        w->err = wf_func_call(x.of.func, &a, 1, &r, 1);
        if (!w->err) w->res = r.of.i32;
    }
    wf_store_free(s);
}

static void test_wasm_calls_migrate(void **state)
{
    (void)state;
    enum { N = 64 };
    /* cmocka replaced our fault handlers for this test (see wat_env.h). */
    wf_signals_install();
    wf_module *m;
    wf_error *err = wf_module_from_wat(WAT, strlen(WAT), &m);
    if (err) fail_msg("%s", err->message);
    wf_sched *s = wf_sched_new(2);
    static wcall calls[N];
    for (int i = 0; i < N; i++) {
        calls[i] = (wcall){ .m = m, .name = i % 4 == 3 ? "oob" : "run", .arg = 1000 * i };
        assert_null(wf_sched_spawn(s, wcall_main, &calls[i], 0));
    }
    wf_sched_wait_idle(s);
    int moved = 0;
    for (int i = 0; i < N; i++) {
        if (i % 4 == 3) {
            assert_non_null(calls[i].err);
            assert_string_equal(calls[i].err->message, "out of bounds memory access");
            wf_error_free(calls[i].err);
            continue;
        }
        if (calls[i].err) fail_msg("call %d: %s", i, calls[i].err->message);
        int r = calls[i].res - 1000 * i;
        assert_true(r >= 0 && r <= 2);
        moved += r;
    }
    /* With 48 calls sleeping twice on 2 workers, some resumed elsewhere. */
    assert_true(moved > 0);
    wf_sched_free(s);
    wf_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleepers_free_workers),
        cmocka_unit_test(test_deadline_wakes_sleeper),
        cmocka_unit_test(test_wasm_calls_migrate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
