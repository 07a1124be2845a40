/*
 * exec.c - calls into wasm: wf_exec_call (the engine's one entry, used by
 * instances and host re-entry), the public wf_func_call (typed values), and
 * the execution state of a call (value stack, frame stack, trap point).
 *
 * Every call runs on a fiber (fiber.h). A top-level call from a thread's own
 * stack runs on the thread's call fiber (kept for the thread's next calls);
 * a call already on a fiber (a scheduler's, or host -> wasm re-entry) runs
 * on it directly.
 * The execution state belongs to the fiber, not to the thread: a call that
 * suspends inside a host import keeps its stacks and may resume on another
 * thread. The C stack of a fiber holds only host -> wasm re-entry (the
 * interpreter never recurses), bounded by WF_MAX_NESTING.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include "wasm/fiber.h"
#include "wasm/interp.h"
#include "wasm/trace.h"
#include "wasm/trap.h"
#include "wasm/types.h"

/* Bounds: deep recursion traps with "call stack exhausted" well before the
 * host runs out of memory. */
#define WF_STACK_SLOTS   (1u << 20)  /* 8 MiB of value slots */
#define WF_MAX_FRAMES    100000u
#define WF_MAX_NESTING   200          /* host -> wasm re-entry depth */
#define WF_FRAME_COST    64u          /* bytes one call counts against a stack limit */
#define WF_JIT_STACK_MARGIN (128u << 10) /* fiber stack compiled code leaves free */

#define STATE_MAP_LEN ((size_t)WF_STACK_SLOTS * sizeof(wf_slot) + (size_t)WF_MAX_FRAMES * sizeof(wf_frame))

static volatile uint32_t g_no_interrupt;

/* Settings made on a thread's own stack (no fiber yet) for the thread's
 * next top-level calls: they are copied into the call's fiber. */
static __thread volatile uint32_t *tls_next_interrupt;
static __thread size_t tls_next_stack_limit;

/* A fresh state: value stack and frame stack in one lazily committed
 * mapping. NULL when it cannot be mapped. Freed by wf_exec_state_free. */
static wf_thread *state_new(void)
{
    uint8_t *m = mmap(NULL, STATE_MAP_LEN, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    wf_thread *t = wf_xcalloc(1, sizeof *t);
    t->stack = (wf_slot *)m;
    t->frames = (wf_frame *)(m + (size_t)WF_STACK_SLOTS * sizeof(wf_slot));
    wf_exec_state_reset(t);
    return t;
}

void wf_exec_state_reset(void *p)
{
    wf_thread *t = p;
    t->stack_end = t->stack + WF_STACK_SLOTS;
    t->stack_limit_bytes = 0;
    t->sp = t->stack;
    t->frames_end = t->frames + WF_MAX_FRAMES;
    t->fsp = t->frames;
    t->interrupt = &g_no_interrupt;
    t->mem = NULL;
    t->trap_jmp = NULL;
    t->in_wasm = 0;
    t->depth = 0;
    t->tail_callee = NULL;
}

void wf_exec_state_free(void *p)
{
    wf_thread *t = p;
    if (!t) return;
    munmap(t->stack, STATE_MAP_LEN);
    free(t->tail_args);
    free(t);
}

/* The state of the call running on this thread (safe in a signal handler:
 * never allocates). */
wf_thread *wf_thread_peek(void)
{
    wf_fiber *f = wf_fiber_current();
    return f ? *wf_fiber_exec_slot(f) : NULL;
}

static wf_thread *fiber_state(wf_fiber *f)
{
    void **slot = wf_fiber_exec_slot(f);
    if (!*slot) *slot = state_new();
    return *slot;
}

/* The running fiber's state, made on first use and kept with the fiber's
 * pooled stack; NULL off a fiber or when the stacks cannot be mapped. */
wf_thread *wf_thread_get(void)
{
    wf_fiber *f = wf_fiber_current();
    return f ? fiber_state(f) : NULL;
}

static void set_stack_limit(wf_thread *t, size_t bytes)
{
    size_t slots = WF_STACK_SLOTS, frames = WF_MAX_FRAMES;
    if (bytes) {
        slots = WF_MIN(slots, WF_MAX(bytes / sizeof(wf_slot), (size_t)256));
        frames = WF_MIN(frames, WF_MAX(bytes / WF_FRAME_COST, (size_t)16));
    }
    t->stack_end = t->stack + slots;
    t->frames_end = t->frames + frames;
    t->stack_limit_bytes = bytes;
}

void wf_exec_set_interrupt(volatile uint32_t *flag)
{
    wf_fiber *f = wf_fiber_current();
    if (!f) {
        tls_next_interrupt = flag;
        return;
    }
    wf_thread *t = fiber_state(f);
    if (t) t->interrupt = flag ? flag : &g_no_interrupt;
}

bool wf_exec_interrupt_hit(volatile uint32_t *flag)
{
    uint32_t v = WF_INTERRUPT_YIELD;
    if (__atomic_load_n(flag, __ATOMIC_RELAXED) != WF_INTERRUPT_YIELD ||
        !__atomic_compare_exchange_n(flag, &v, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
    /* Only a scheduler's fiber may be suspended here: it resumes it. A
     * thread's own call fiber would return to its caller mid-call. */
    if (wf_fiber_parker_current()) wf_fiber_suspend();
    return wf_interrupt_stops(flag);
}

void wf_exec_request_yield(void)
{
    volatile uint32_t *flag = wf_exec_get_interrupt();
    uint32_t zero = 0;
    if (flag && flag != &g_no_interrupt)
        __atomic_compare_exchange_n(flag, &zero, WF_INTERRUPT_YIELD, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

volatile uint32_t *wf_exec_get_interrupt(void)
{
    wf_fiber *f = wf_fiber_current();
    if (!f) return tls_next_interrupt;
    wf_thread *t = *wf_fiber_exec_slot(f);
    return t && t->interrupt != &g_no_interrupt ? t->interrupt : NULL;
}

void wf_exec_set_stack_limit(size_t bytes)
{
    wf_fiber *f = wf_fiber_current();
    if (!f) {
        tls_next_stack_limit = bytes;
        return;
    }
    wf_thread *t = fiber_state(f);
    /* Only between top-level calls: the interpreter compares fsp == fend,
     * so the end must never move below a frame in use. */
    if (!t || t->depth != 0) return;
    set_stack_limit(t, bytes);
}

typedef struct fiber_call {
    wf_func *f;
    wf_slot *slots;
    wf_error *err;
    bool done;
} fiber_call;

/* A thread's call fiber: it runs the thread's top-level calls one after
 * another, so a call from a thread's own stack costs two switches and no
 * pool round-trip. It is only ever resumed by call_on_fiber on its own
 * thread (nobody else can see it), so it never migrates and is free again
 * as soon as a call returns. Ended and freed at thread exit. */
typedef struct call_server {
    wf_fiber *fb;
    wf_thread *state;
    fiber_call *req;            /* the call to run next; NULL: end */
} call_server;

static __thread call_server *tls_server;
static pthread_key_t g_server_key;
static pthread_once_t g_server_once = PTHREAD_ONCE_INIT;

static void server_main(void *arg)
{
    call_server *s = arg;
    for (;;) {
        fiber_call *c = s->req;
        if (!c) return;
        c->err = wf_exec_call(c->f, c->slots);
        c->done = true;
        /* Back to call_on_fiber; the next resume brings the next call. */
        wf_fiber_suspend();
    }
}

static void server_end(void *p)
{
    call_server *s = p;
    if (!s) return;
    s->req = NULL;
    while (!wf_fiber_resume(s->fb)) {
    }
    wf_fiber_free(s->fb);
    free(s);
    tls_server = NULL;
}

static void server_key_make(void)
{
    pthread_key_create(&g_server_key, server_end);
}

/* This thread's call fiber, made on first use; NULL when no stack or
 * value stack can be mapped. */
static call_server *server_get(void)
{
    call_server *s = tls_server;
    if (WF_LIKELY(s)) return s;
    s = wf_xcalloc(1, sizeof *s);
    s->fb = wf_fiber_new(server_main, s);
    if (!s->fb) {
        free(s);
        return NULL;
    }
    s->state = fiber_state(s->fb);
    if (!s->state) {
        wf_fiber_free(s->fb);
        free(s);
        return NULL;
    }
    pthread_once(&g_server_once, server_key_make);
    pthread_setspecific(g_server_key, s);
    tls_server = s;
    return s;
}

/* A top-level call from a thread's own stack: run it on the thread's call
 * fiber. */
static wf_error *call_on_fiber(wf_func *f, wf_slot *slots)
{
    call_server *s = server_get();
    if (!s) return wf_error_new(WF_ERR_LIMIT, "cannot map a fiber stack");
    wf_thread *t = s->state;
    volatile uint32_t *flag = tls_next_interrupt;
    t->interrupt = flag ? flag : &g_no_interrupt;
    set_stack_limit(t, tls_next_stack_limit);
    fiber_call c = { .f = f, .slots = slots };
    s->req = &c;
    /* A host function that suspends the fiber directly (not through
     * wf_park, which blocks the thread here: no parker) just yields, and
     * is resumed at once. */
    while (!wf_fiber_resume(s->fb) && !c.done) {
    }
    s->req = NULL;
    return c.err;
}

/* Where compiled code's native stack ends for a top-level call starting
 * here: the configured limit (wf_exec_set_stack_limit) below this frame,
 * but never closer to the fiber stack's end than WF_JIT_STACK_MARGIN,
 * room kept for the host functions, helpers and interpreted calls it
 * makes. */
static uintptr_t jit_stack_limit(const wf_thread *t, wf_fiber *fb)
{
    uintptr_t floor = (uintptr_t)wf_fiber_stack_lo(fb) + WF_JIT_STACK_MARGIN;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    size_t bytes = t->stack_limit_bytes;
    if (bytes && here > floor && here - floor > bytes) return here - bytes;
    return floor;
}

wf_error *wf_exec_call(wf_func *f, wf_slot *slots)
{
    if (f->host) {
        wf_caller c = { .inst = NULL };
        return f->host(&c, f->env, slots);
    }
    /* its state is no longer what instantiation made: a snapshot must
     * record its memories' content, not their data images (snapshot.c) */
    f->inst->store->ran_code = true;
    wf_fiber *fb = wf_fiber_current();
    if (!fb) return call_on_fiber(f, slots);
    wf_thread *t = fiber_state(fb);
    if (!t) return wf_error_new(WF_ERR_LIMIT, "cannot map the value stack");
    const wf_functype *ft = f->type;
    if (t->depth >= WF_MAX_NESTING) return wf_error_new(WF_ERR_TRAP, "call stack exhausted");
    wf_slot *fp = t->sp;
    if ((size_t)(t->stack_end - fp) < (size_t)WF_MAX(ft->param_slots, ft->result_slots) + 1)
        return wf_error_new(WF_ERR_TRAP, "call stack exhausted");
    /* A few slots: a loop, not a call into the C library's memcpy. */
    for (uint32_t i = 0, n = ft->param_slots; i < n; i++) fp[i] = slots[i];

    wf_slot *const old_sp = t->sp;
    wf_frame *const old_fsp = t->fsp;
    sigjmp_buf *const old_jmp = t->trap_jmp;
    jmp_buf *const old_exn_jmp = t->exn_jmp;
    wf_memory *const old_mem = t->mem;
    const int old_in_wasm = t->in_wasm;
    sigjmp_buf jb;
    wf_error *err;
    if (t->depth == 0) {
        /* Compiled code (jit/) runs on this fiber's stack: it traps when
         * its native stack passes the limit. */
        t->jit_stack_limit = jit_stack_limit(t, fb);
    }
    t->depth++;
    t->trap_jmp = &jb;
    t->jit_err = NULL;
    /* exceptions raised natively in this call stop at its own frames */
    t->exn_jmp = NULL;
    if (sigsetjmp(jb, 0) == 0) {
        t->in_wasm = 1;
        err = wf_interp_run(t, f, fp);
    } else if (t->jit_err) {
        /* A trap raised by compiled code, or an error it passed on. */
        wf_fiber_unwound_below(__builtin_frame_address(0));
        err = t->jit_err;
        t->jit_err = NULL;
    } else {
        /* The frames below this one were left by siglongjmp. */
        wf_fiber_unwound_below(__builtin_frame_address(0));
        err = wf_error_new(WF_ERR_TRAP, "out of bounds memory access");
        /* the frame stack's top as the interpreter stored it, a
         * candidate beside the registers' */
        if (t->nfault_regs < (int)WF_COUNT(t->fault_regs))
            t->fault_regs[t->nfault_regs++] = (uintptr_t)t->fsp;
        err->trace = wf_trace_from_fault(f->inst, old_fsp, t->frames_end, t->fault_regs,
                                         t->nfault_regs);
    }
    /* an exception that got this far is the call's error (exn.h): the
     * caller, a host function maybe, sees no exception in flight */
    t->exn = NULL;
    t->in_wasm = old_in_wasm;
    t->trap_jmp = old_jmp;
    t->exn_jmp = old_exn_jmp;
    t->mem = old_mem;
    t->fsp = old_fsp;
    t->sp = old_sp;
    t->depth--;
    if (!err)
        for (uint32_t i = 0, n = ft->result_slots; i < n; i++) slots[i] = fp[i];
    return err;
}

static bool value_fits(const wf_value *v, wf_valtype want)
{
    if (v->type.kind != want.kind) return false;
    if (want.kind != WF_REF) return true;
    if (!v->of.ref) return want.nullable;
    return true;
}

wf_error *wf_func_call(wf_func *f, const wf_value *args, size_t nargs,
                       wf_value *results, size_t nresults)
{
    const wf_functype *ft = f->type;
    if (nargs != ft->nparams)
        return wf_error_new(WF_ERR_INVALID, "expected %u arguments, got %zu", ft->nparams, nargs);
    if (nresults < ft->nresults)
        return wf_error_new(WF_ERR_INVALID, "room for %zu results, the function has %u",
                            nresults, ft->nresults);
    size_t n = WF_MAX(ft->param_slots, ft->result_slots);
    wf_slot small[16];
    wf_slot *slots = n <= WF_COUNT(small) ? small : wf_xmalloc(n * sizeof(wf_slot));
    for (uint32_t i = 0, at = 0; i < ft->nparams; at += wf_valtype_slots(ft->params[i]), i++) {
        if (!value_fits(&args[i], ft->params[i])) {
            char want[64];
            if (slots != small) free(slots);
            return wf_error_new(WF_ERR_INVALID, "argument %u: expected %s", i,
                                wf_valtype_name(ft->params[i], want, sizeof want));
        }
        switch (ft->params[i].kind) {
        case WF_I32: slots[at].u64 = (uint32_t)args[i].of.i32; break;
        case WF_F32: slots[at].u64 = args[i].of.f32_bits; break;
        case WF_REF: slots[at].ref = args[i].of.ref; break;
        case WF_V128: memcpy(&slots[at], args[i].of.v128, 16); break;
        default: slots[at].u64 = (uint64_t)args[i].of.i64; break;
        }
    }
    wf_error *err = wf_exec_call(f, slots);
    if (!err) {
        for (uint32_t i = 0, at = 0; i < ft->nresults; at += wf_valtype_slots(ft->results[i]), i++) {
            wf_value *r = &results[i];
            memset(r, 0, sizeof *r);
            r->type = ft->results[i];
            switch (r->type.kind) {
            case WF_I32: r->of.i32 = slots[at].i32; break;
            case WF_F32: r->of.f32_bits = slots[at].u32; break;
            case WF_REF: r->of.ref = slots[at].ref; break;
            case WF_V128: memcpy(r->of.v128, &slots[at], 16); break;
            default: r->of.i64 = slots[at].i64; break;
            }
        }
    }
    if (slots != small) free(slots);
    return err;
}
