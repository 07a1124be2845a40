/*
 * trap.c - the SIGSEGV/SIGBUS handler that turns out-of-bounds accesses to
 * a linear memory (faults in its guard reservation) into traps, and keeping
 * it installed cheaply.
 *
 * Keeping it installed: a test framework (cmocka, around every test) or a
 * host program may replace our handler; each outermost call must find it
 * back in place (wf_trap_ensure, from wf_exec_call at nesting depth 0).
 * Asking the kernel costs a system call per signal and call (about 150 ns
 * each here, over the 50 ns a whole host -> wasm call may cost), so this
 * file also defines signal() and sigaction(): they pass every request on
 * to the C library's (through dlsym RTLD_NEXT, so a sanitizer's own
 * interceptor still sees it) and, after the change is made, count changes
 * to SIGSEGV/SIGBUS in a generation; wf_trap_ensure asks the kernel only
 * when the generation moved (reading it before asking, so a change made
 * meanwhile moves it again and the next call looks once more). A handler
 * replaced while a call runs is noticed by the next outermost call.
 *
 * That holds only while these definitions are the ones the whole process
 * uses: the executable exports them (CMakeLists.txt), and the dynamic
 * linker then binds every library's signal()/sigaction() to them. install
 * checks that with dlsym and otherwise asks the kernel at every outermost
 * call. Not seen (documented limits): changes made by a raw system call,
 * sigset/sysv_signal/bsd_signal, or code bound to the C library's symbols
 * directly (a static libc, -Bsymbolic); a host doing those must not
 * replace the SIGSEGV/SIGBUS handlers while wasmfn runs calls.
 *
 * The real functions are looked up by a constructor, so the interposed
 * ones never call dlsym later (dlsym is not async-signal-safe, sigaction
 * is). Reinstalling keeps the handler found in place (to chain faults that
 * are not ours to it) under a lock; the fault handler reads it unlocked,
 * which a fault racing a reinstall could see half-written.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include "wasm/trap.h"

static struct sigaction g_old_segv, g_old_bus;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);
/* glibc's other names of its own (used if dlsym finds none). */
extern int __sigaction(int, const struct sigaction *, struct sigaction *);
extern sighandler_t bsd_signal(int, sighandler_t);
static sigaction_fn g_real_sigaction;
static signal_fn g_real_signal;

/* Changes of the SIGSEGV/SIGBUS disposition made through signal() or
 * sigaction(); g_seen: the generation wf_trap_ensure last checked. */
static unsigned g_gen = 1, g_seen;
/* Whether this file's signal() and sigaction() are the process's. */
static bool g_fast;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static sigaction_fn real_sigaction_fn(void)
{
    sigaction_fn fn = __atomic_load_n(&g_real_sigaction, __ATOMIC_ACQUIRE);
    if (WF_UNLIKELY(!fn)) {
        fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
        if (!fn) fn = __sigaction;
        __atomic_store_n(&g_real_sigaction, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

static signal_fn real_signal_fn(void)
{
    signal_fn fn = __atomic_load_n(&g_real_signal, __ATOMIC_ACQUIRE);
    if (WF_UNLIKELY(!fn)) {
        fn = (signal_fn)dlsym(RTLD_NEXT, "signal");
        if (!fn) fn = bsd_signal;
        __atomic_store_n(&g_real_signal, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

/* Before main (and before any signal handler could call sigaction): the
 * real functions, so the interposed ones never need dlsym later. */
__attribute__((constructor)) static void resolve_real(void)
{
    real_sigaction_fn();
    real_signal_fn();
}

static void bump(int sig)
{
    if (sig == SIGSEGV || sig == SIGBUS) __atomic_add_fetch(&g_gen, 1, __ATOMIC_RELEASE);
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old)
{
    int r = real_sigaction_fn()(sig, act, old);
    if (act) bump(sig);
    return r;
}

sighandler_t signal(int sig, sighandler_t handler)
{
    sighandler_t r = real_signal_fn()(sig, handler);
    bump(sig);
    return r;
}

/* Keep the interrupted registers for the backtrace (trace.c). */
static void save_registers(wf_thread *t, void *uctx)
{
    const ucontext_t *uc = uctx;
    int n = 0;
#if defined(__x86_64__)
    for (int i = 0; i < NGREG && n < (int)WF_COUNT(t->fault_regs); i++)
        t->fault_regs[n++] = (uintptr_t)uc->uc_mcontext.gregs[i];
#elif defined(__aarch64__)
    for (int i = 0; i < 31 && n < (int)WF_COUNT(t->fault_regs); i++)
        t->fault_regs[n++] = (uintptr_t)uc->uc_mcontext.regs[i];
#else
    (void)uc;
#endif
    t->nfault_regs = n;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    wf_thread *t = wf_thread_peek();
    if (t && t->in_wasm && t->trap_jmp && t->mem && t->mem->reserved) {
        uintptr_t a = (uintptr_t)si->si_addr, b = (uintptr_t)t->mem->base;
        if (a >= b && a - b < t->mem->reserved) {
            save_registers(t, uctx);
            siglongjmp(*t->trap_jmp, 1);
        }
    }
    /* Not ours: a real crash. Hand it to whoever was there before (ASan's
     * reporter, say), else restore the default so the fault repeats and
     * kills the process with the right signal. */
    struct sigaction *old = sig == SIGSEGV ? &g_old_segv : &g_old_bus;
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, uctx);
        return;
    }
    if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* Resolved by install: no dlsym in a signal handler. */
    g_real_signal(sig, SIG_DFL);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: we leave the handler by siglongjmp without restoring the
     * signal mask, so the signal must not stay blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    real_signal_fn();
    g_seen = __atomic_load_n(&g_gen, __ATOMIC_ACQUIRE);
    real_sigaction_fn()(SIGSEGV, &sa, &g_old_segv);
    real_sigaction_fn()(SIGBUS, &sa, &g_old_bus);
    g_fast = dlsym(RTLD_DEFAULT, "sigaction") == (void *)sigaction &&
             dlsym(RTLD_DEFAULT, "signal") == (void *)signal;
}

void wf_trap_init(void)
{
    pthread_once(&g_once, install);
}

/* Our handler back for sig if someone (a test framework, say) replaced it,
 * chaining to theirs for faults that are not ours. */
static void ensure_one(sigaction_fn real, int sig, struct sigaction *old)
{
    struct sigaction cur;
    if (real(sig, NULL, &cur) != 0) return;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    pthread_mutex_lock(&g_lock);
    struct sigaction prev;
    if (real(sig, &sa, &prev) == 0 && !((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction == on_fault))
        *old = prev;
    pthread_mutex_unlock(&g_lock);
}

void wf_trap_ensure(void)
{
    unsigned gen = __atomic_load_n(&g_gen, __ATOMIC_ACQUIRE);
    if (WF_LIKELY(g_fast) && gen == __atomic_load_n(&g_seen, __ATOMIC_RELAXED)) return;
    /* Read before looking: a change made meanwhile moves it again. */
    __atomic_store_n(&g_seen, gen, __ATOMIC_RELAXED);
    sigaction_fn real = real_sigaction_fn();
    ensure_one(real, SIGSEGV, &g_old_segv);
    ensure_one(real, SIGBUS, &g_old_bus);
}

void *wf_trap_thread_init(void)
{
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)) return NULL;
    size_t size = 64 * 1024;
    stack_t ss = { .ss_sp = wf_xmalloc(size), .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        free(ss.ss_sp);
        return NULL;
    }
    return ss.ss_sp;
}
