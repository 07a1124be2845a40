/* test_fiber.c - fibers (src/wasm/fiber.c) and wasm calls on them (exec.c):
 * many fibers switching, host -> wasm re-entry nested deep on one fiber,
 * traps inside fibers, a call suspended in a host import and resumed on
 * another thread, the guard page below a fiber's stack, sleeping off a
 * scheduler. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "wasm/fiber.h"
#include "wasm/wait.h"
#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wasm/types.h"
#include "wat_env.h"

static const wf_functype *ft_i32_i32(void)
{
    wf_valtype t = WF_TYPE_I32;
    return wf_functype_get(&t, 1, &t, 1);
}

static wf_value i32v(int32_t v) { wf_value x = { .type = WF_TYPE_I32 }; x.of.i32 = v; return x; }

/* ---- many fibers ------------------------------------------------------------ */

typedef struct counter { int n, rounds; } counter;

static void count_main(void *arg)
{
    counter *c = arg;
    for (int i = 0; i < c->rounds; i++) {
        c->n++;
        wf_fiber_suspend();
    }
}

static void test_many_fibers(void **state)
{
    (void)state;
    enum { N = 500, ROUNDS = 20 };
    static counter cs[N];
    wf_fiber *fs[N];
    for (int i = 0; i < N; i++) {
        cs[i] = (counter){ 0, ROUNDS };
        fs[i] = wf_fiber_new(count_main, &cs[i]);
        assert_non_null(fs[i]);
    }
    assert_null(wf_fiber_current());
    for (int r = 0; r <= ROUNDS; r++)
        for (int i = 0; i < N; i++) {
            bool done = wf_fiber_resume(fs[i]);
            assert_int_equal(cs[i].n, WF_MIN(r + 1, ROUNDS));
            assert_int_equal(done, r == ROUNDS);
        }
    for (int i = 0; i < N; i++) wf_fiber_free(fs[i]);
    assert_null(wf_fiber_current());
}

/* A fiber resuming another: each returns to its own resumer. */
static wf_fiber *g_inner;
static int g_trace[8], g_ntrace;
static void inner_main(void *arg) { (void)arg; g_trace[g_ntrace++] = 2; wf_fiber_suspend(); g_trace[g_ntrace++] = 4; }
static void outer_main(void *arg)
{
    (void)arg;
    g_trace[g_ntrace++] = 1;
    wf_fiber *me = wf_fiber_current();
    assert_false(wf_fiber_resume(g_inner));
    assert_ptr_equal(wf_fiber_current(), me);
    g_trace[g_ntrace++] = 3;
    assert_true(wf_fiber_resume(g_inner));
    g_trace[g_ntrace++] = 5;
}

static void test_nested_resume(void **state)
{
    (void)state;
    g_inner = wf_fiber_new(inner_main, NULL);
    wf_fiber *outer = wf_fiber_new(outer_main, NULL);
    assert_true(wf_fiber_resume(outer));
    assert_int_equal(g_ntrace, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(g_trace[i], i + 1);
    wf_fiber_free(outer);
    wf_fiber_free(g_inner);
}

/* ---- host -> wasm re-entry nested on one fiber ------------------------------ */

static const char *REENTER_WAT =
    "(module (import \"h\" \"reenter\" (func $re (param i32) (result i32)))"
    "  (func (export \"down\") (param i32) (result i32)"
    "    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "      (else (i32.add (call $re (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))";

static wf_func *g_down;
static wf_fiber *g_seen_fiber;

static wf_error *reenter(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    if (wf_fiber_current() != g_seen_fiber) return wf_error_new(WF_ERR_INTERNAL, "left the fiber");
    wf_value arg = i32v(slots[0].i32), res;
    wf_error *e = wf_func_call(g_down, &arg, 1, &res, 1);
    if (e) return e;
    slots[0].i32 = res.of.i32;
    return NULL;
}

static wf_error *note_fiber(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    if (!wf_fiber_current()) return wf_error_new(WF_ERR_INTERNAL, "not on a fiber");
    if (g_seen_fiber && g_seen_fiber != wf_fiber_current())
        return wf_error_new(WF_ERR_INTERNAL, "left the fiber");
    g_seen_fiber = wf_fiber_current();
    wf_value arg = i32v(slots[0].i32), res;
    wf_error *e = wf_func_call(g_down, &arg, 1, &res, 1);
    if (!e) slots[0].i32 = res.of.i32;
    return e;
}

static void test_reentry_depth(void **state)
{
    (void)state;
    env e;
    wf_store *hs = wf_store_new();
    wf_extern im = { .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(hs, ft_i32_i32(), note_fiber, NULL) };
    load(&e, REENTER_WAT, &im, 1);
    g_down = fn(&e, "down");
    /* The first level notes the fiber the top-level call made; then every
     * level must stay on it. */
    g_seen_fiber = NULL;
    wf_value arg = i32v(150), res;
    wf_error *err = wf_func_call(g_down, &arg, 1, &res, 1);
    assert_null(err);
    assert_int_equal(res.of.i32, 150);
    assert_non_null(g_seen_fiber);
    assert_null(wf_fiber_current());
    unload(&e);
    wf_store_free(hs);
}

typedef struct deep_call { wf_func *f; int32_t n; wf_error *err; int32_t res; } deep_call;

static void deep_main(void *arg)
{
    deep_call *d = arg;
    g_seen_fiber = wf_fiber_current();
    wf_value a = i32v(d->n), r;
    d->err = wf_func_call(d->f, &a, 1, &r, 1);
    if (!d->err) d->res = r.of.i32;
}

static void test_reentry_bound_on_fiber(void **state)
{
    (void)state;
    env e;
    wf_store *hs = wf_store_new();
    wf_extern im = { .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(hs, ft_i32_i32(), reenter, NULL) };
    load(&e, REENTER_WAT, &im, 1);
    g_down = fn(&e, "down");
    deep_call d = { .f = g_down, .n = 190 };
    wf_fiber *f = wf_fiber_new(deep_main, &d);
    assert_true(wf_fiber_resume(f));
    wf_fiber_free(f);
    if (d.err) fail_msg("190 levels: %s", d.err->message);
    assert_int_equal(d.res, 190);

    /* Unbounded re-entry traps cleanly instead of overflowing the C stack. */
    for (int i = 0; i < 3; i++) {
        d = (deep_call){ .f = g_down, .n = 1000000 };
        f = wf_fiber_new(deep_main, &d);
        assert_true(wf_fiber_resume(f));
        wf_fiber_free(f);
        assert_non_null(d.err);
        assert_int_equal(d.err->kind, WF_ERR_TRAP);
        assert_non_null(strstr(d.err->message, "call stack exhausted"));
        wf_error_free(d.err);
    }
    unload(&e);
    wf_store_free(hs);
}

/* ---- traps inside fibers ---------------------------------------------------- */

static const char *TRAP_WAT =
    "(module (memory 1)"
    "  (func $rec (export \"rec\") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))"
    "  (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0))))";

static void test_traps(void **state)
{
    (void)state;
    env e;
    load(&e, TRAP_WAT, NULL, 0);
    for (int i = 0; i < 50; i++) {
        wf_value a = i32v(65536 + i * 4096), r;
        wf_error *err = wf_func_call(fn(&e, "load"), &a, 1, &r, 1);
        assert_non_null(err);
        assert_string_equal(err->message, "out of bounds memory access");
        wf_error_free(err);
        a = i32v(1);
        err = wf_func_call(fn(&e, "rec"), &a, 1, &r, 1);
        assert_non_null(err);
        assert_string_equal(err->message, "call stack exhausted");
        wf_error_free(err);
        a = i32v(8);
        assert_null(wf_func_call(fn(&e, "load"), &a, 1, &r, 1));
        assert_int_equal(r.of.i32, 0);
    }
    unload(&e);
}

static void expect_oob(env *e)
{
    wf_value a = i32v(65536), r;
    wf_error *err = wf_func_call(fn(e, "load"), &a, 1, &r, 1);
    assert_non_null(err);
    assert_string_equal(err->message, "out of bounds memory access");
    wf_error_free(err);
}

/* Each thread's top-level calls run on its own call fiber, ended when the
 * thread exits: many short-lived threads, each making calls. */
static void *thread_calls(void *arg)
{
    env *e = arg;
    for (int i = 0; i < 100; i++) {
        wf_value a = i32v(8), r;
        wf_error *err = wf_func_call(fn(e, "load"), &a, 1, &r, 1);
        if (err || r.of.i32 != 0) return (void *)1;
    }
    return NULL;
}

static void test_call_fiber_per_thread(void **state)
{
    (void)state;
    env e;
    load(&e, TRAP_WAT, NULL, 0);
    for (int round = 0; round < 20; round++) {
        pthread_t th[4];
        for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, thread_calls, &e), 0);
        for (int i = 0; i < 4; i++) {
            void *rv;
            pthread_join(th[i], &rv);
            assert_null(rv);
        }
    }
    expect_oob(&e);
    unload(&e);
}

/* ---- suspension in a host import, resumed on another thread ---------------- */

static const char *PAUSE_WAT =
    "(module (import \"h\" \"pause\" (func $p (param i32) (result i32))) (memory 1)"
    "  (func (export \"run\") (param i32) (result i32) (local i32)"
    "    (i32.store (i32.const 16) (local.get 0))"
    "    (local.set 1 (call $p (local.get 0)))"
    "    (i32.add (local.get 1) (i32.load (i32.const 16))))"
    "  (func (export \"oob\") (param i32) (result i32)"
    "    (drop (call $p (local.get 0))) (i32.load (i32.const 70000))))";

/* gettid, not pthread_self: the compiler may fold two pthread_self() calls
 * across the switch into one (it is declared const). */
static long g_before, g_after;

static wf_error *pause_host(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    g_before = syscall(SYS_gettid);
    wf_fiber_suspend();
    g_after = syscall(SYS_gettid);
    slots[0].i32 = slots[0].i32 * 2;
    return NULL;
}

typedef struct run_call { wf_func *f; int32_t arg, res; wf_error *err; } run_call;

static void run_main(void *arg)
{
    run_call *c = arg;
    wf_value a = i32v(c->arg), r;
    c->err = wf_func_call(c->f, &a, 1, &r, 1);
    if (!c->err) c->res = r.of.i32;
}

static void *resume_thread(void *arg)
{
    return (void *)(uintptr_t)wf_fiber_resume(arg);
}

static void test_suspend_resume_other_thread(void **state)
{
    (void)state;
    env e;
    wf_store *hs = wf_store_new();
    wf_extern im = { .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(hs, ft_i32_i32(), pause_host, NULL) };
    load(&e, PAUSE_WAT, &im, 1);

    run_call c = { .f = fn(&e, "run"), .arg = 21 };
    wf_fiber *f = wf_fiber_new(run_main, &c);
    assert_false(wf_fiber_resume(f));          /* suspended inside the import */
    assert_null(wf_fiber_current());
    pthread_t th;
    void *done;
    assert_int_equal(pthread_create(&th, NULL, resume_thread, f), 0);
    pthread_join(th, &done);
    assert_true((uintptr_t)done);
    assert_true(g_before != g_after);
    assert_null(c.err);
    assert_int_equal(c.res, 21 * 2 + 21);
    wf_fiber_free(f);

    /* A trap after migrating: the new thread's fault handler finds the
     * call's state through the fiber. */
    c = (run_call){ .f = fn(&e, "oob"), .arg = 1 };
    f = wf_fiber_new(run_main, &c);
    assert_false(wf_fiber_resume(f));
    assert_int_equal(pthread_create(&th, NULL, resume_thread, f), 0);
    pthread_join(th, &done);
    assert_true((uintptr_t)done);
    assert_non_null(c.err);
    assert_string_equal(c.err->message, "out of bounds memory access");
    wf_error_free(c.err);
    wf_fiber_free(f);
    unload(&e);
    wf_store_free(hs);
}

/* ---- sleeping off a scheduler ------------------------------------------------ */

static wf_error *sleep_host(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    return wf_sleep_until(wf_now_ns() + (uint64_t)slots[0].i32 * 1000000u);
}

static void test_sleep_blocks_thread(void **state)
{
    (void)state;
    env e;
    wf_store *hs = wf_store_new();
    wf_extern im = { .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(hs, ft_i32_i32(), sleep_host, NULL) };
    load(&e, PAUSE_WAT, &im, 1);
    uint64_t t0 = wf_now_ns();
    wf_value a = i32v(30), r;
    /* sleep_host leaves slots[0] alone: pause returns its argument */
    assert_null(wf_func_call(fn(&e, "run"), &a, 1, &r, 1));
    assert_int_equal(r.of.i32, 60);
    assert_true(wf_now_ns() - t0 >= 30000000u);
    unload(&e);
    wf_store_free(hs);
}

/* ---- the guard page ---------------------------------------------------------- */

static int burn(int n)
{
    volatile char buf[4096];
    buf[0] = (char)n;
    if (n > (1 << 28)) return n;   /* never: the guard page comes first */
    return n + burn(n + 1) + buf[0];
}

static void burn_main(void *arg)
{
    *(int *)arg = burn(0);
}

static void test_guard_page(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int r = 0;
        wf_fiber *f = wf_fiber_new(burn_main, &r);
        wf_fiber_resume(f);
        _exit(0);   /* not reached: the guard page stops the recursion */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    /* Killed by SIGSEGV, or (under ASan) reported as a stack overflow. */
    assert_true((WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) ||
                (WIFEXITED(st) && WEXITSTATUS(st) != 0));
}

/* ---- a deep call's pages ---------------------------------------------------- */
#if !defined(WF_SANITIZE)   /* sanitized stacks are not trimmed (redzones) */

static const char *volatile dug;   /* the deepest frame's buffer */

static int dig(int n, int depth)
{
    volatile char buf[1024];
    for (size_t i = 0; i < sizeof buf; i += 64) buf[i] = (char)(n | 1);
    if (n >= depth) {
        dug = (const char *)buf;
        return buf[0];
    }
    return buf[0] + dig(n + 1, depth);
}

static void dig_main(void *arg)
{
    *(int *)arg = dig(0, 1024);   /* ~1 MiB of stack: past the shallow 512 KiB */
}

static bool resident(const char *page)
{
    unsigned char v = 0;
    assert_int_equal(mincore((void *)page, (size_t)sysconf(_SC_PAGESIZE), &v), 0);
    return v & 1;
}

/* A fiber freed after a deep call is kept by its thread (the next
 * wf_fiber_new's) and gives the deep pages back when the thread goes
 * idle (wf_fiber_trim_spare); its shallow pages stay. */
static void test_deep_pages_given_back(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int r = 0;
    wf_fiber *f = wf_fiber_new(dig_main, &r);   /* takes the thread's spare, if any */
    assert_non_null(f);
    assert_true(wf_fiber_resume(f));
    const char *lo = wf_fiber_stack_lo(f), *hi = lo + wf_fiber_stack_size();
    const char *deep = hi - (768u << 10), *shallow = hi - 2 * page;
    /* The recursion went that deep (its frames' addresses escape, so it is
     * not turned into a loop with an accumulator). */
    assert_true(dug > lo && dug < deep);
    assert_true(resident(deep));
    wf_fiber_free(f);             /* the thread's spare now */
    wf_fiber_trim_spare();
    assert_false(resident(deep));
    assert_true(resident(shallow));
    wf_fiber_trim_spare();        /* nothing more to do */
    /* The stack is the thread's next fiber's (the spare). */
    wf_fiber *g = wf_fiber_new(dig_main, &r);
    assert_ptr_equal(wf_fiber_stack_lo(g), lo);
    wf_fiber_free(g);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_fibers),
        cmocka_unit_test(test_nested_resume),
        cmocka_unit_test(test_reentry_depth),
        cmocka_unit_test(test_reentry_bound_on_fiber),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_call_fiber_per_thread),
        cmocka_unit_test(test_suspend_resume_other_thread),
        cmocka_unit_test(test_sleep_blocks_thread),
        cmocka_unit_test(test_guard_page),
#if !defined(WF_SANITIZE)
        cmocka_unit_test(test_deep_pages_given_back),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
