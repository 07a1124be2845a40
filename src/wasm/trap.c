/*
 * trap.c - the SIGSEGV/SIGBUS handler that turns out-of-bounds accesses to
 * a linear memory (faults in its guard reservation) into traps, and chains
 * every other fault to the handler that was there before ours.
 *
 * The contract with an embedder is in include/wasmfn.h ("Signals"). In
 * short: ours goes on top once per process (the first time a thread gets
 * ready to run wasm, or when the embedder calls wf_signals_install), and is
 * never checked again on the call path: a call costs no system call for
 * signals. A fault is ours only when the faulting thread is inside the
 * interpreter (its wf_thread.in_wasm, a thread-local marker) and the
 * address lies in the reservation of the memory it is accessing; we then
 * jump to the running call's trap point (wf_thread.trap_jmp). Anything
 * else goes to the previous handler, with its own semantics (SA_SIGINFO or
 * plain, its mask, SIG_DFL and SIG_IGN as the kernel would apply them).
 *
 * The previous handler is read by the fault handler without a lock while
 * wf_signals_install may replace it: each one is written to a fresh slot
 * of a small ring and published by pointer, so a reader sees a whole one
 * (a reader would have to stall across PREV_SLOTS reinstalls to see a slot
 * rewritten).
 */
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include "wasm/trap.h"
#include "wasmfn.h"

enum { NSIGS = 2, PREV_SLOTS = 16 };
static const int k_sigs[NSIGS] = { SIGSEGV, SIGBUS };

/* Zeroed: SIG_DFL, until install finds what was there. */
static const struct sigaction k_default;
static struct sigaction g_prev_slot[NSIGS][PREV_SLOTS];
static unsigned g_prev_next[NSIGS];
static const struct sigaction *g_prev[NSIGS] = { &k_default, &k_default };

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_fault(int sig, siginfo_t *si, void *uctx);

/* SA_NODEFER: the signal is not blocked while ours runs, so a trap that
 * leaves by siglongjmp finds it unblocked when ours was called directly.
 * SA_ONSTACK: a fault may come from a thread whose stack is exhausted. */
enum { OUR_FLAGS = SA_SIGINFO | SA_ONSTACK | SA_NODEFER };

/* Ours, whatever the flags: a framework that saved our handler through
 * signal() puts it back as a plain one (cmocka does, around each test). */
static bool is_ours(const struct sigaction *sa)
{
    return (void *)sa->sa_sigaction == (void *)on_fault;
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

/* The default action of sig for the fault or signal si: death by sig. */
static void die_by(int sig, const siginfo_t *si)
{
    struct sigaction dfl = k_default;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* A fault repeats when we return, now meeting the default; a signal
     * sent by a process (si_code <= 0) does not, so send it again. */
    if (si->si_code <= 0) raise(sig);
}

/* Pass a fault that is not ours to the handler that was there before. */
static void chain(int i, int sig, siginfo_t *si, void *uctx)
{
    const struct sigaction *prev = __atomic_load_n(&g_prev[i], __ATOMIC_ACQUIRE);
    bool info = prev->sa_flags & SA_SIGINFO;
    /* One union: a NULL sa_sigaction is SIG_DFL too. */
    if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
        /* The kernel ignores a sent signal under SIG_IGN but never a
         * fault (it would only repeat): a fault dies either way. */
        if (prev->sa_handler == SIG_IGN && si->si_code <= 0) return;
        die_by(sig, si);
        return;
    }
    /* What the kernel would block while their handler runs; returning
     * restores the interrupted mask. */
    sigset_t mask = prev->sa_mask;
    if (!(prev->sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    if (info) {
        void (*fn)(int, siginfo_t *, void *) = prev->sa_sigaction;
        if (prev->sa_flags & SA_RESETHAND) __atomic_store_n(&g_prev[i], &k_default, __ATOMIC_RELEASE);
        fn(sig, si, uctx);
    } else {
        void (*fn)(int) = prev->sa_handler;
        if (prev->sa_flags & SA_RESETHAND) __atomic_store_n(&g_prev[i], &k_default, __ATOMIC_RELEASE);
        fn(sig);
    }
}

/* The trap point is set without saving the signal mask (that would be a
 * system call per call), so put back the mask the fault interrupted before
 * jumping there: the kernel blocked more for the handler that runs (the
 * signal itself and its sa_mask, when an embedder's handler on top of ours
 * passed the fault on). A system call per trap, none per call. */
static void restore_mask(void *uctx)
{
    if (uctx) {
        pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uctx)->uc_sigmask, NULL);
        return;
    }
    sigset_t ours;
    sigemptyset(&ours);
    for (int i = 0; i < NSIGS; i++) sigaddset(&ours, k_sigs[i]);
    pthread_sigmask(SIG_UNBLOCK, &ours, NULL);
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    wf_thread *t = wf_thread_peek();
    /* si_code > 0: raised by the hardware, not sent by kill(). */
    if (si->si_code > 0 && t && t->in_wasm && t->trap_jmp && t->mem && t->mem->reserved) {
        uintptr_t a = (uintptr_t)si->si_addr, b = (uintptr_t)t->mem->base;
        if (a >= b && a - b < t->mem->reserved) {
            save_registers(t, uctx);
            restore_mask(uctx);
            siglongjmp(*t->trap_jmp, 1);
        }
    }
    chain(sig == SIGSEGV ? 0 : 1, sig, si, uctx);
}

/* Under g_lock: ours on top of each signal, remembering the handler found
 * there (unless it is ours) to chain to. */
static void put_on_top(void)
{
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_fault;
    ours.sa_flags = OUR_FLAGS;
    sigemptyset(&ours.sa_mask);
    for (int i = 0; i < NSIGS; i++) {
        struct sigaction cur, prev;
        if (sigaction(k_sigs[i], NULL, &cur) != 0) continue;
        if (is_ours(&cur) && (cur.sa_flags & OUR_FLAGS) == OUR_FLAGS) continue;
        if (sigaction(k_sigs[i], &ours, &prev) != 0 || is_ours(&prev)) continue;
        struct sigaction *slot = &g_prev_slot[i][g_prev_next[i]++ % PREV_SLOTS];
        *slot = prev;
        __atomic_store_n(&g_prev[i], slot, __ATOMIC_RELEASE);
    }
}

static void install_once(void)
{
    wf_signals_install();
}

void wf_trap_init(void)
{
    pthread_once(&g_once, install_once);
}

void wf_signals_install(void)
{
    pthread_mutex_lock(&g_lock);
    put_on_top();
    pthread_mutex_unlock(&g_lock);
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
