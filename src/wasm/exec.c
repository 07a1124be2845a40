/*
 * exec.c - calls into wasm: wf_exec_call (the engine's one entry, used by
 * instances and host re-entry), the public wf_func_call (typed values), and
 * the per-thread execution state (value stack, frame stack, trap point).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include "wasm/interp.h"
#include "wasm/trap.h"
#include "wasm/types.h"

/* Bounds: deep recursion traps with "call stack exhausted" well before the
 * host runs out of memory. */
#define WF_STACK_SLOTS   (1u << 20)  /* 8 MiB of value slots */
#define WF_MAX_FRAMES    100000u
#define WF_MAX_NESTING   200          /* host -> wasm re-entry depth */
#define WF_FRAME_COST    64u          /* bytes one call counts against a stack limit */

static __thread wf_thread *tls_thread;
static __thread void *tls_altstack;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static volatile uint32_t g_no_interrupt;

static void thread_free(void *p)
{
    wf_thread *t = p;
    if (!t) return;
    munmap(t->stack, (size_t)WF_STACK_SLOTS * sizeof(wf_slot));
    free(t->frames);
    free(t);
    if (tls_altstack) {
        stack_t ss = { .ss_flags = SS_DISABLE };
        sigaltstack(&ss, NULL);
        free(tls_altstack);
        tls_altstack = NULL;
    }
    tls_thread = NULL;
}

static void make_key(void)
{
    pthread_key_create(&g_key, thread_free);
}

wf_thread *wf_thread_peek(void)
{
    return tls_thread;
}

/* The calling thread's state, made on first use; owned by the thread and
 * freed at its exit. NULL when the value stack cannot be mapped. */
wf_thread *wf_thread_get(void)
{
    if (WF_LIKELY(tls_thread != NULL)) return tls_thread;
    wf_trap_init();
    pthread_once(&g_key_once, make_key);
    void *stack = mmap(NULL, (size_t)WF_STACK_SLOTS * sizeof(wf_slot), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) return NULL;
    wf_thread *t = wf_xcalloc(1, sizeof *t);
    t->stack = stack;
    t->stack_end = t->stack + WF_STACK_SLOTS;
    t->sp = t->stack;
    t->frames = wf_xcalloc(WF_MAX_FRAMES, sizeof(wf_frame));
    t->frames_end = t->frames + WF_MAX_FRAMES;
    t->fsp = t->frames;
    t->interrupt = &g_no_interrupt;
    tls_altstack = wf_trap_thread_init();
    tls_thread = t;
    pthread_setspecific(g_key, t);
    return t;
}

void wf_exec_set_interrupt(volatile uint32_t *flag)
{
    wf_thread *t = wf_thread_get();
    if (t) t->interrupt = flag ? flag : &g_no_interrupt;
}

void wf_exec_set_stack_limit(size_t bytes)
{
    wf_thread *t = wf_thread_get();
    /* Only between top-level calls: the interpreter compares fsp == fend,
     * so the end must never move below a frame in use. */
    if (!t || t->depth != 0) return;
    size_t slots = WF_STACK_SLOTS, frames = WF_MAX_FRAMES;
    if (bytes) {
        slots = WF_MIN(slots, WF_MAX(bytes / sizeof(wf_slot), (size_t)256));
        frames = WF_MIN(frames, WF_MAX(bytes / WF_FRAME_COST, (size_t)16));
    }
    t->stack_end = t->stack + slots;
    t->frames_end = t->frames + frames;
}

wf_error *wf_exec_call(wf_func *f, wf_slot *slots)
{
    if (f->host) {
        wf_caller c = { .inst = NULL };
        return f->host(&c, f->env, slots);
    }
    wf_thread *t = wf_thread_get();
    if (!t) return wf_error_new(WF_ERR_LIMIT, "cannot map the value stack");
    const wf_functype *ft = f->type;
    if (t->depth >= WF_MAX_NESTING) return wf_error_new(WF_ERR_TRAP, "call stack exhausted");
    if (t->depth == 0) wf_trap_ensure();
    wf_slot *fp = t->sp;
    if ((size_t)(t->stack_end - fp) < (size_t)WF_MAX(ft->nparams, ft->nresults) + 1)
        return wf_error_new(WF_ERR_TRAP, "call stack exhausted");
    memcpy(fp, slots, ft->nparams * sizeof(wf_slot));

    wf_slot *const old_sp = t->sp;
    wf_frame *const old_fsp = t->fsp;
    sigjmp_buf *const old_jmp = t->trap_jmp;
    wf_memory *const old_mem = t->mem;
    const int old_in_wasm = t->in_wasm;
    sigjmp_buf jb;
    wf_error *err;
    t->depth++;
    t->trap_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
        t->in_wasm = 1;
        err = wf_interp_run(t, f, fp);
    } else {
        err = wf_error_new(WF_ERR_TRAP, "out of bounds memory access");
    }
    t->in_wasm = old_in_wasm;
    t->trap_jmp = old_jmp;
    t->mem = old_mem;
    t->fsp = old_fsp;
    t->sp = old_sp;
    t->depth--;
    if (!err) memcpy(slots, fp, ft->nresults * sizeof(wf_slot));
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
    size_t n = WF_MAX(ft->nparams, ft->nresults);
    wf_slot small[16];
    wf_slot *slots = n <= WF_COUNT(small) ? small : wf_xmalloc(n * sizeof(wf_slot));
    for (uint32_t i = 0; i < ft->nparams; i++) {
        if (!value_fits(&args[i], ft->params[i])) {
            char want[64];
            if (slots != small) free(slots);
            return wf_error_new(WF_ERR_INVALID, "argument %u: expected %s", i,
                                wf_valtype_name(ft->params[i], want, sizeof want));
        }
        switch (ft->params[i].kind) {
        case WF_I32: slots[i].u64 = (uint32_t)args[i].of.i32; break;
        case WF_F32: slots[i].u64 = args[i].of.f32_bits; break;
        case WF_REF: slots[i].ref = args[i].of.ref; break;
        default: slots[i].u64 = (uint64_t)args[i].of.i64; break;
        }
    }
    wf_error *err = wf_exec_call(f, slots);
    if (!err) {
        for (uint32_t i = 0; i < ft->nresults; i++) {
            wf_value *r = &results[i];
            memset(r, 0, sizeof *r);
            r->type = ft->results[i];
            switch (r->type.kind) {
            case WF_I32: r->of.i32 = slots[i].i32; break;
            case WF_F32: r->of.f32_bits = slots[i].u32; break;
            case WF_REF: r->of.ref = slots[i].ref; break;
            default: r->of.i64 = slots[i].i64; break;
            }
        }
    }
    if (slots != small) free(slots);
    return err;
}
