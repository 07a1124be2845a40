/*
 * exn.c - exception objects and the native side of throwing (exn.h).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/exn.h"
#include "wasm/fiber.h"

static bool g_used;

void wf_exn_note_used(void)
{
    if (!__atomic_load_n(&g_used, __ATOMIC_RELAXED)) __atomic_store_n(&g_used, true, __ATOMIC_RELEASE);
}

bool wf_exn_used(void)
{
    return __atomic_load_n(&g_used, __ATOMIC_ACQUIRE);
}

wf_exn *wf_exn_new(wf_store *s, const wf_tag *tag, const wf_slot *payload)
{
    uint32_t n = tag->type->param_slots;
    wf_exn *x = wf_xmalloc(sizeof *x + n * sizeof(wf_slot));
    x->tag = tag;
    x->store = s;
    x->referenced = false;
    x->nslots = n;
    if (n) memcpy(x->payload, payload, n * sizeof(wf_slot));
    x->next = s->exns;
    s->exns = x;
    return x;
}

void wf_exn_free_all(wf_store *s)
{
    for (wf_exn *x = s->exns, *next; x; x = next) {
        next = x->next;
        free(x);
    }
    s->exns = NULL;
}

void wf_exn_caught(wf_exn *x, bool keep)
{
    if (keep) {
        x->referenced = true;
    } else if (!x->referenced && x->store->exns == x) {
        x->store->exns = x->next;
        free(x);
    }
}

wf_error *wf_exn_error(const wf_thread *t, const wf_instance *inst)
{
    const wf_exn *x = t->exn;
    if (inst && x)
        for (uint32_t i = 0; i < inst->module->ntags; i++)
            if (inst->tags[i] == x->tag) return wf_error_new(WF_ERR_TRAP, WF_MSG_UNCAUGHT " (tag %u)", i);
    return wf_error_new(WF_ERR_TRAP, WF_MSG_UNCAUGHT);
}

/* Not inlined into the interpreter: the setjmp stays in this small frame,
 * whose locals do not change between the setjmp and a longjmp. */
__attribute__((noinline))
bool wf_exn_call_native(wf_thread *t, wf_jit_entry_fn entry, wf_instance *inst, wf_slot *fp)
{
    jmp_buf jb;
    jmp_buf *const outer = t->exn_jmp;
    if (_setjmp(jb)) {
        /* the frames below this one were left by longjmp */
        wf_fiber_unwound_below(__builtin_frame_address(0));
        t->exn_jmp = outer;
        return true;
    }
    t->exn_jmp = &jb;
    entry(t, inst, fp);
    t->exn_jmp = outer;
    return false;
}

_Noreturn void wf_exn_raise_native(wf_thread *t)
{
    if (t->exn_jmp) _longjmp(*t->exn_jmp, 1);
    /* no interpreter frame to go back to in this call: it ends here */
    t->jit_err = wf_exn_error(t, NULL);
    t->exn = NULL;
    siglongjmp(*t->trap_jmp, 1);
}
