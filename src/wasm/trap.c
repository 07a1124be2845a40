/*
 * trap.c - the SIGSEGV/SIGBUS handler that turns out-of-bounds accesses to
 * a linear memory (faults in its guard reservation) into traps.
 */
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include "wasm/trap.h"

static struct sigaction g_old_segv, g_old_bus;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

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
    signal(sig, SIG_DFL);
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
    sigaction(SIGSEGV, &sa, &g_old_segv);
    sigaction(SIGBUS, &sa, &g_old_bus);
}

void wf_trap_init(void)
{
    pthread_once(&g_once, install);
}

void wf_trap_ensure(void)
{
    struct sigaction cur;
    if (sigaction(SIGSEGV, NULL, &cur) == 0 &&
        (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_fault)) {
        /* Someone (a test framework, say) replaced the handler: chain to
         * theirs from ours again. */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        struct sigaction prev;
        if (sigaction(SIGSEGV, &sa, &prev) == 0 && prev.sa_sigaction != on_fault) g_old_segv = prev;
        if (sigaction(SIGBUS, &sa, &prev) == 0 && prev.sa_sigaction != on_fault) g_old_bus = prev;
    }
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
