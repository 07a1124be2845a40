/* test_signals.c - the engine's SIGSEGV/SIGBUS handling as an embedder
 * sees it (the contract in wasmfn.h, "Signals"): an embedder's handler
 * installed before the engine's first call, or after it (chaining, or
 * followed by wf_signals_install), gets the faults outside wasm while
 * out-of-bounds accesses in wasm still trap and deep recursion still ends
 * in "call stack exhausted"; SIG_DFL and SIG_IGN keep their meaning.
 *
 * The first test must run before anything in this process uses the engine.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "wasmfn.h"

static const char WAT[] =
    "(module (memory 1)"
    " (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))"
    " (func $rec (export \"rec\") (param i32) (result i32)"
    "   (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))";

typedef struct engine {
    wf_module *m;
    wf_store *s;
    wf_func *load, *rec;
} engine;

/* No wf_signals_install here: the engine installs its handler by itself. */
static void engine_open(engine *e)
{
    wf_error *err = wf_module_from_wat(WAT, strlen(WAT), &e->m);
    if (err) fail_msg("module: %s", err->message);
    e->s = wf_store_new();
    wf_instance *inst;
    err = wf_instance_new(e->s, e->m, NULL, 0, &inst);
    if (err) fail_msg("instance: %s", err->message);
    wf_extern x;
    assert_true(wf_instance_export(inst, "load", 4, &x));
    e->load = x.of.func;
    assert_true(wf_instance_export(inst, "rec", 3, &x));
    e->rec = x.of.func;
}

static void engine_close(engine *e)
{
    wf_store_free(e->s);
    wf_module_free(e->m);
}

/* The message of the error a one-argument call ends with, or "ok". */
static char g_msg[128];
static const char *call(wf_func *f, int32_t arg)
{
    wf_value a = { .type = WF_TYPE_I32, .of.i32 = arg }, r;
    wf_error *err = wf_func_call(f, &a, 1, &r, 1);
    snprintf(g_msg, sizeof g_msg, "%s", err ? err->message : "ok");
    wf_error_free(err);
    return g_msg;
}

/* Wasm still traps: out of bounds, deep recursion, and in bounds is fine. */
static void expect_wasm_traps(engine *e)
{
    assert_string_equal(call(e->load, 65536), "out of bounds memory access");
    assert_string_equal(call(e->load, -4), "out of bounds memory access");
    assert_string_equal(call(e->rec, 0), "call stack exhausted");
    assert_string_equal(call(e->load, 8), "ok");
}

/* ---- The embedder's side: two pages whose touch faults outside wasm ---- */

static void *g_segv_page;   /* PROT_NONE: SIGSEGV */
static void *g_bus_page;    /* a shared mapping past the end of its file: SIGBUS */
static sigjmp_buf g_jmp;
static volatile sig_atomic_t g_hits;
static struct sigaction g_replaced[2];   /* what the embedder's handler replaced */

static void make_pages(void)
{
    if (g_segv_page) return;
    g_segv_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g_segv_page != MAP_FAILED);
    int fd = memfd_create("empty", 0);
    assert_true(fd >= 0);
    g_bus_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(g_bus_page != MAP_FAILED);
    close(fd);
}

static bool ours_addr(const siginfo_t *si)
{
    return si->si_addr == g_segv_page || si->si_addr == g_bus_page;
}

/* A SA_SIGINFO handler that chains what is not its own to the one it
 * replaced, as wasmfn.h asks. */
static void chaining(int sig, siginfo_t *si, void *ctx)
{
    if (ours_addr(si)) {
        g_hits++;
        siglongjmp(g_jmp, 1);
    }
    const struct sigaction *old = &g_replaced[sig == SIGBUS];
    if (old->sa_flags & SA_SIGINFO)
        old->sa_sigaction(sig, si, ctx);
    else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
        old->sa_handler(sig);
    else
        signal(sig, SIG_DFL);
}

/* A plain handler that knows nothing of anyone else. */
static void plain(int sig)
{
    (void)sig;
    g_hits++;
    siglongjmp(g_jmp, 1);
}

static void install_chaining(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = chaining;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(sig, &sa, &g_replaced[sig == SIGBUS]), 0);
}

/* Touch page from C (outside wasm): true when the embedder's handler got it. */
static bool fault_reaches_embedder(void *page)
{
    sig_atomic_t before = g_hits;
    if (sigsetjmp(g_jmp, 1) == 0) {
        *(volatile char *)page = 1;
        return false;
    }
    return g_hits == before + 1;
}

/* ---- Tests ------------------------------------------------------------- */

static void test_embedder_handler_before_engine(void **state)
{
    (void)state;
    make_pages();
    install_chaining(SIGSEGV);
    install_chaining(SIGBUS);
    engine e;
    engine_open(&e);
    expect_wasm_traps(&e);
    /* The engine is on top now, and chains to the embedder's. */
    struct sigaction cur;
    assert_int_equal(sigaction(SIGSEGV, NULL, &cur), 0);
    assert_true(cur.sa_sigaction != chaining);
    assert_true(fault_reaches_embedder(g_segv_page));
    assert_true(fault_reaches_embedder(g_bus_page));
    expect_wasm_traps(&e);
    engine_close(&e);
}

static void test_embedder_handler_after_engine_chaining(void **state)
{
    (void)state;
    /* cmocka put its handler in for this test: the engine's back on top,
     * as in a program with nobody else. */
    wf_signals_install();
    engine e;
    engine_open(&e);
    expect_wasm_traps(&e);
    install_chaining(SIGSEGV);
    install_chaining(SIGBUS);
    /* The embedder's is on top, and passes wasm's faults to the engine's. */
    struct sigaction cur;
    assert_int_equal(sigaction(SIGSEGV, NULL, &cur), 0);
    assert_true(cur.sa_sigaction == chaining);
    expect_wasm_traps(&e);
    assert_true(fault_reaches_embedder(g_segv_page));
    assert_true(fault_reaches_embedder(g_bus_page));
    for (int i = 0; i < 100; i++) assert_string_equal(call(e.load, 65536 + i), "out of bounds memory access");
    engine_close(&e);
}

static void *install_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) wf_signals_install();
    return NULL;
}

static void test_embedder_handler_after_engine_reinstall(void **state)
{
    (void)state;
    engine e;
    engine_open(&e);
    /* A handler that does not chain, then the engine's back on top of it
     * (from several threads at once: idempotent, never chaining to itself). */
    assert_true(signal(SIGSEGV, plain) != SIG_ERR);
    assert_true(signal(SIGBUS, plain) != SIG_ERR);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, install_many, NULL), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    expect_wasm_traps(&e);
    assert_true(fault_reaches_embedder(g_segv_page));
    assert_true(fault_reaches_embedder(g_bus_page));
    expect_wasm_traps(&e);
    engine_close(&e);
}

/* In a child (no core file): disposition for SIGSEGV, the engine's on top
 * of it, a wasm trap, then what: returns the child's wait status. */
static int in_child(void (*disposition)(int), void (*what)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGSEGV, disposition);
        wf_signals_install();
        engine e;
        engine_open(&e);
        if (strcmp(call(e.load, 65536), "out of bounds memory access") != 0) _exit(3);
        what();
        _exit(7);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void touch_segv_page(void)
{
    *(volatile char *)g_segv_page = 1;
}

static void raise_segv(void)
{
    raise(SIGSEGV);
}

static void test_default_and_ignore(void **state)
{
    (void)state;
    /* SIG_DFL: a fault outside wasm kills by SIGSEGV, a sent one too. */
    int st = in_child(SIG_DFL, touch_segv_page);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = in_child(SIG_DFL, raise_segv);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    /* SIG_IGN: a sent SIGSEGV is ignored, a real fault still kills. */
    st = in_child(SIG_IGN, raise_segv);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
    st = in_child(SIG_IGN, touch_segv_page);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedder_handler_before_engine),
        cmocka_unit_test(test_embedder_handler_after_engine_chaining),
        cmocka_unit_test(test_embedder_handler_after_engine_reinstall),
        cmocka_unit_test(test_default_and_ignore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
