/*
 * fiber.c - fibers (fiber.h): the pooled stacks, resume/suspend around the
 * assembly switch, the sanitizer and valgrind notes, and the parker hook.
 *
 * Thread-local state and migration: a suspended fiber may resume on another
 * thread, and a compiler may keep the address of a thread-local variable in
 * a register across a call. So thread-locals are read and written only in
 * the small out-of-line functions below, never across a switch in one
 * function body.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wasm/fiber.h"
#include "wasm/trap.h"

#if defined(WF_SANITIZE)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define WF_ASAN 1
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WF_VALGRIND 1
#endif
#endif

#if defined(__clang__)
#define WF_OUT_OF_LINE __attribute__((noinline))
#else
#define WF_OUT_OF_LINE __attribute__((noinline, noipa))
#endif

/* The interpreter never recurses on the C stack; what a fiber's stack holds
 * is host -> wasm re-entry (bounded by exec.c), host functions and compiled
 * code (jit/), whose wasm calls are native calls: its recursion must reach
 * as deep as the interpreter's (100,000 frames of its own stack), or a
 * program that runs interpreted would trap once `auto` swapped its
 * functions for compiled ones. Pages are only committed when touched (and
 * a deep stack is given back before it is pooled: trim_deep). Sanitized
 * frames are several times larger. */
#if defined(WF_ASAN)
#define FIBER_STACK (32u << 20)
#else
#define FIBER_STACK (8u << 20)
#endif
/* The stack every call may keep committed while pooled; below it, pages a
 * deep recursion touched are dropped. */
#define STACK_SHALLOW (512u << 10)
#define POOL_KEEP 256   /* idle stacks kept for reuse; beyond, unmapped */

void wf_fiber_switch(void **save_sp, void *new_sp);
void wf_fiber_boot(void);

struct wf_fiber {
    void *sp;                   /* saved stack pointer while switched out */
    void *caller_sp;            /* the resumer's, while this fiber runs */
    wf_fiber_fn fn;
    void *arg;
    bool started, done;
    uint8_t *map;               /* guard page + stack */
    size_t map_len;
    uint8_t *lo;                /* usable stack: [lo, lo + size) */
    size_t size;
    void *exec;                 /* exec.c's state, kept with the stack */
    wf_fiber_parker parker;
    wf_fiber *next_free;
#if defined(WF_VALGRIND)
    unsigned vg_id;
#endif
#if defined(WF_ASAN)
    void *fake;                 /* ASan's fake stack of this fiber while out */
    const void *caller_lo;      /* the resumer's stack, for switching back */
    size_t caller_size;
#endif
};

static pthread_mutex_t g_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static wf_fiber *g_pool;
static size_t g_pool_n;

/* The page size, asked once (sysconf per fiber showed in the served
 * request's profile). */
static size_t page_size(void)
{
    static size_t page;
    size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);
    if (!p) {
        p = (size_t)sysconf(_SC_PAGESIZE);
        __atomic_store_n(&page, p, __ATOMIC_RELAXED);
    }
    return p;
}

static __thread wf_fiber *tls_current;
/* One free fiber kept by the thread that freed it, for its next
 * wf_fiber_new: a thread running one short call after another (an HTTP
 * loop) takes and gives back the same stack without the pool's lock (two
 * lock round trips a call). Given back to the pool at thread exit. */
static __thread wf_fiber *tls_spare;
/* tls_spare was kept without trim_deep's probe: the probe (a 4 KiB
 * comparison, the largest part of a free) waits until the thread goes
 * idle (wf_fiber_trim_spare) or the spare leaves it (pool_put), instead
 * of coming with every free: a loop serving a batch of requests probes
 * once a batch. Until then a deep spare keeps its pages, which the next
 * call on the thread may use again. */
static __thread bool tls_spare_unprobed;
/* Set by the thread's exit (the key's destructor): a fiber freed after it
 * (by another key's destructor, exec.c's) goes to the pool, not tls_spare. */
static __thread bool tls_exiting;
static __thread bool tls_ready;
static __thread void *tls_altstack;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

WF_OUT_OF_LINE wf_fiber *wf_fiber_current(void)
{
    return tls_current;
}

WF_OUT_OF_LINE static void set_current(wf_fiber *f)
{
    tls_current = f;
}

static void pool_put(wf_fiber *f);
static void trim_deep(wf_fiber *f);

static void thread_exit(void *p)
{
    (void)p;
    tls_exiting = true;
    if (tls_spare) {
        if (tls_spare_unprobed) trim_deep(tls_spare);
        pool_put(tls_spare);
        tls_spare = NULL;
    }
    if (tls_altstack) {
        stack_t ss = { .ss_flags = SS_DISABLE };
        sigaltstack(&ss, NULL);
        free(tls_altstack);
        tls_altstack = NULL;
    }
}

static void make_key(void)
{
    pthread_key_create(&g_key, thread_exit);
}

/* Once per thread that runs a fiber: the trap handler and an alternate
 * signal stack (sigaltstack is per thread, and a fiber may land on any). */
WF_OUT_OF_LINE static void thread_ready(void)
{
    if (WF_LIKELY(tls_ready)) return;
    tls_ready = true;
    wf_trap_init();
    pthread_once(&g_key_once, make_key);
    tls_altstack = wf_trap_thread_init();
    /* A non-NULL value makes the key's destructor run at thread exit. */
    pthread_setspecific(g_key, (void *)1);
}

const void *wf_fiber_stack_lo(const wf_fiber *f) { return f->lo; }

size_t wf_fiber_stack_size(void)
{
    return FIBER_STACK;
}

static void unmap(wf_fiber *f)
{
#if defined(WF_VALGRIND)
    VALGRIND_STACK_DEREGISTER(f->vg_id);
#endif
    if (f->exec) wf_exec_state_free(f->exec);
    munmap(f->map, f->map_len);
    free(f);
}

static wf_fiber *map_new(void)
{
    size_t page = page_size();
    size_t len = page + FIBER_STACK;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) return NULL;
    /* The guard page: running off the bottom faults instead of writing
     * into whatever lies below. */
    if (mprotect(m, page, PROT_NONE) != 0) {
        munmap(m, len);
        return NULL;
    }
    wf_fiber *f = wf_xcalloc(1, sizeof *f);
    f->map = m;
    f->map_len = len;
    f->lo = m + page;
    f->size = FIBER_STACK;
#if defined(WF_VALGRIND)
    f->vg_id = VALGRIND_STACK_REGISTER(f->lo, f->lo + f->size);
#endif
    return f;
}

static void fiber_entry(void *arg);

wf_fiber *wf_fiber_new(wf_fiber_fn fn, void *arg)
{
    wf_fiber *f = tls_spare;
    tls_spare = NULL;
    tls_spare_unprobed = false;   /* reused as it is: a deep stack is useful again */
    if (!f) {
        pthread_mutex_lock(&g_pool_mu);
        f = g_pool;
        if (f) {
            g_pool = f->next_free;
            g_pool_n--;
        }
        pthread_mutex_unlock(&g_pool_mu);
    }
    if (!f && !(f = map_new())) return NULL;
#if defined(WF_ASAN)
    /* A stack left by a call that trapped out of its frames (siglongjmp)
     * may still carry poisoned redzones. */
    ASAN_UNPOISON_MEMORY_REGION(f->lo, f->size);
    f->fake = NULL;
    f->caller_lo = NULL;
    f->caller_size = 0;
#endif
    f->fn = fn;
    f->arg = arg;
    f->started = f->done = false;
    f->next_free = NULL;
    f->caller_sp = NULL;
    memset(&f->parker, 0, sizeof f->parker);

    /* The initial frame, as wf_fiber_switch pops it, returning into
     * wf_fiber_boot with the entry function and its argument in
     * callee-saved registers. top stays 16-byte aligned. */
    uintptr_t top = ((uintptr_t)(f->lo + f->size) & ~(uintptr_t)15) - 64;
    void **sp = (void **)top;
#if defined(__x86_64__)
    sp[-1] = (void *)wf_fiber_boot;     /* return address: rsp = top after ret */
    sp[-2] = NULL;                      /* rbp */
    sp[-3] = (void *)fiber_entry;       /* rbx */
    sp[-4] = f;                         /* r12 */
    sp[-5] = sp[-6] = sp[-7] = NULL;    /* r13, r14, r15 */
    uint32_t csr[2] = { 0x1F80u, 0x037Fu };  /* MXCSR and x87 control word defaults */
    memcpy(&sp[-8], csr, sizeof csr);
    f->sp = &sp[-8];
#elif defined(__aarch64__)
    void **fr = sp - 20;                /* 160 bytes: x19..x30, d8..d15 */
    memset(fr, 0, 160);
    fr[0] = (void *)fiber_entry;        /* x19 */
    fr[1] = f;                          /* x20 */
    fr[11] = (void *)wf_fiber_boot;     /* x30 */
    f->sp = fr;
#else
#error "fibers need a stack switch for this architecture"
#endif
    return f;
}

/* Give back the pages of f's stack deeper than STACK_SHALLOW when a call
 * went there. The probe page at that depth tells: a recursion passing
 * through left return addresses in it (frames are smaller than a page),
 * and reading it when untouched maps the zero page, committing nothing. */
static void trim_deep(wf_fiber *f)
{
#if defined(WF_ASAN)
    (void)f;   /* the probe would read redzones; sanitized runs are short */
#else
    /* Compared with zeros by memcmp (vectorized by libc) in ZERO_CHUNK
     * pieces: a word-by-word loop here was ~2,600 instructions, a tenth of
     * a served request's (every inline handler frees its fiber). */
    enum { ZERO_CHUNK = 4096 };
    static const uint8_t zeros[ZERO_CHUNK];
    size_t page = page_size();
    if (f->size <= STACK_SHALLOW + page) return;
    const uint8_t *probe = f->lo + f->size - STACK_SHALLOW - page;
    for (size_t off = 0; off < page; off += ZERO_CHUNK) {
        size_t n = WF_MIN((size_t)ZERO_CHUNK, page - off);
        if (memcmp(probe + off, zeros, n)) {
            madvise(f->lo, (size_t)(probe + page - f->lo), MADV_DONTNEED);
            return;
        }
    }
#endif
}

/* Into the pool, or unmapped when it holds enough. */
static void pool_put(wf_fiber *f)
{
    pthread_mutex_lock(&g_pool_mu);
    if (g_pool_n < POOL_KEEP) {
        f->next_free = g_pool;
        g_pool = f;
        g_pool_n++;
        f = NULL;
    }
    pthread_mutex_unlock(&g_pool_mu);
    if (f) unmap(f);
}

void wf_fiber_free(wf_fiber *f)
{
    if (!f) return;
    if (f->exec) wf_exec_state_reset(f->exec);
    /* Kept by this thread only when its exit gives it back (thread_ready
     * set the key whose destructor does); probed later. */
    if (tls_ready && !tls_exiting && !tls_spare) {
        tls_spare = f;
        tls_spare_unprobed = true;
        return;
    }
    trim_deep(f);
    pool_put(f);
}

void wf_fiber_trim_spare(void)
{
    if (!tls_spare || !tls_spare_unprobed) return;
    tls_spare_unprobed = false;
    trim_deep(tls_spare);
}

bool wf_fiber_done(const wf_fiber *f)
{
    return f->done;
}

void **wf_fiber_exec_slot(wf_fiber *f)
{
    return &f->exec;
}

void wf_fiber_set_parker(wf_fiber *f, const wf_fiber_parker *p)
{
    if (p) f->parker = *p;
    else memset(&f->parker, 0, sizeof f->parker);
}

const wf_fiber_parker *wf_fiber_parker_current(void)
{
    wf_fiber *f = wf_fiber_current();
    return f && f->parker.park ? &f->parker : NULL;
}

/* The first code on a new fiber's stack (through wf_fiber_boot). */
static void fiber_entry(void *arg)
{
    wf_fiber *f = arg;
#if defined(WF_ASAN)
    __sanitizer_finish_switch_fiber(NULL, &f->caller_lo, &f->caller_size);
#endif
    f->fn(f->arg);
    f->done = true;
#if defined(WF_ASAN)
    /* NULL: this fiber's fake stack goes away with it. */
    __sanitizer_start_switch_fiber(NULL, f->caller_lo, f->caller_size);
#endif
    wf_fiber_switch(&f->sp, f->caller_sp);
    __builtin_unreachable();
}

bool wf_fiber_resume(wf_fiber *f)
{
    if (f->done) return true;
    thread_ready();
    wf_fiber *prev = wf_fiber_current();
    set_current(f);
    f->started = true;
#if defined(WF_ASAN)
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->lo, f->size);
#endif
    wf_fiber_switch(&f->caller_sp, f->sp);
#if defined(WF_ASAN)
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    /* Back on the thread that called us (only its resume holds caller_sp). */
    set_current(prev);
    return f->done;
}

void wf_fiber_suspend(void)
{
    wf_fiber *f = wf_fiber_current();
    if (!f) return;
#if defined(WF_ASAN)
    __sanitizer_start_switch_fiber(&f->fake, f->caller_lo, f->caller_size);
#endif
    wf_fiber_switch(&f->sp, f->caller_sp);
    /* Resumed, maybe on another thread: wf_fiber_resume set the current
     * fiber there before switching. */
#if defined(WF_ASAN)
    __sanitizer_finish_switch_fiber(f->fake, &f->caller_lo, &f->caller_size);
#endif
}

void wf_fiber_unwound_below(const void *addr)
{
#if defined(WF_ASAN)
    wf_fiber *f = wf_fiber_current();
    const uint8_t *a = addr;
    if (f && a > f->lo && a <= f->lo + f->size) ASAN_UNPOISON_MEMORY_REGION(f->lo, (size_t)(a - f->lo));
#else
    (void)addr;
#endif
}
