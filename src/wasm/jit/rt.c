/*
 * rt.c - the runtime helpers compiled code calls (jit/): traps, calls that
 * leave the compiled module (imports, host functions, other instances,
 * functions left interpreted), and the table and bulk-memory instructions
 * that are not worth inlining. Each helper works on the same instance
 * layout and thread state as the interpreter (interp.h), and a trap leaves
 * the same way a guard-page fault does: siglongjmp to the call's trap point
 * (wf_exec_call), with the error in t->jit_err.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/exn.h"
#include "wasm/jit/jit_int.h"

static const char *const k_trap_msgs[] = {
    [WF_JIT_TRAP_UNREACHABLE] = "unreachable",
    [WF_JIT_TRAP_DIVZ] = "integer divide by zero",
    [WF_JIT_TRAP_OVERFLOW] = "integer overflow",
    [WF_JIT_TRAP_INVCONV] = "invalid conversion to integer",
    [WF_JIT_TRAP_OOB_MEM] = "out of bounds memory access",
    [WF_JIT_TRAP_OOB_TABLE] = "out of bounds table access",
    [WF_JIT_TRAP_UNDEF_ELEM] = "undefined element",
    [WF_JIT_TRAP_SIG] = "indirect call type mismatch",
    [WF_JIT_TRAP_NULL_FUNC] = "null function reference",
    [WF_JIT_TRAP_NULL_REF] = "null reference",
    [WF_JIT_TRAP_EXHAUSTED] = "call stack exhausted",
    [WF_JIT_TRAP_INTERRUPTED] = "interrupted",
};

/* Leave compiled code with err: to the trap point of the running call. */
static _Noreturn void raise_error(wf_thread *t, wf_error *err)
{
    t->jit_err = err;
    siglongjmp(*t->trap_jmp, 1);
}

void wf_jit_rt_trap(wf_thread *t, uint32_t code)
{
    const char *msg = code < WF_COUNT(k_trap_msgs) && k_trap_msgs[code] ? k_trap_msgs[code] : "trap";
    raise_error(t, wf_error_new(WF_ERR_TRAP, "%s", msg));
}

uint32_t wf_jit_rt_interrupt(wf_thread *t)
{
    return wf_exec_interrupt_hit(t->interrupt);
}

void wf_jit_rt_trap_uninit(wf_thread *t, uint32_t index)
{
    raise_error(t, wf_error_new(WF_ERR_TRAP, "uninitialized element %u", index));
}

void wf_jit_rt_sig_check(wf_thread *t, const wf_func *f, const wf_functype *want)
{
    if (!wf_functype_sub(f->type, want)) wf_jit_rt_trap(t, WF_JIT_TRAP_SIG);
}

static wf_memory *memory0(const wf_instance *inst)
{
    return inst && inst->module->nmems ? inst->mems[0] : NULL;
}

/* Call f (any kind) once with its arguments in slots, which have room for
 * its results, which come back there; NULL or its error. It may leave a
 * tail call pending (t->tail_callee). */
static wf_error *call_once(wf_thread *t, wf_instance *caller, wf_func *f, wf_slot *slots)
{
    wf_error *err = NULL;
    if (f->host) {
        wf_caller c = { .inst = caller };
        t->in_wasm = 0;
        err = f->host(&c, f->env, slots);
        t->in_wasm = 1;
    } else if (__atomic_load_n(&__atomic_load_n(&f->code->words, __ATOMIC_ACQUIRE)[0], __ATOMIC_ACQUIRE) ==
               (wf_word)wf_interp_labels()[WF_IOP_JIT_ENTER]) {
        t->mem = memory0(f->inst);
        ((wf_jit_entry_fn)f->code->words[5])(t, f->inst, slots);
    } else {
        /* Interpreted: a frame on the value stack above everything in use,
         * as a nested call of the interpreter would get. */
        const struct wf_code *code = f->code;
        wf_slot *fp = t->sp;
        if ((size_t)(t->stack_end - fp) < (size_t)code->frame_slots + 1)
            wf_jit_rt_trap(t, WF_JIT_TRAP_EXHAUSTED);
        for (uint32_t i = 0; i < code->nparams; i++) fp[i] = slots[i];
        err = wf_interp_run(t, f, fp);
        if (!err)
            for (uint32_t i = 0; i < code->nresults; i++) slots[i] = fp[i];
    }
    return err;
}

/* Call f (any kind) with its arguments in slots; results come back there.
 * A tail call f leaves pending is made here, and the one that leaves, and
 * so on (their arguments on the value stack above everything in use): a
 * chain of tail calls runs in this one native frame. */
static void call_func(wf_thread *t, wf_instance *caller, wf_func *f, wf_slot *slots)
{
    wf_slot *const sp = t->sp;
    wf_frame *const fsp = t->fsp;
    wf_memory *const mem = t->mem;
    uint32_t nresults = f->type->result_slots;
    wf_error *err = call_once(t, caller, f, slots);
    wf_slot *at = slots;
    while (!err && t->tail_callee) {
        f = t->tail_callee;
        caller = t->tail_caller;
        t->tail_callee = NULL;
        uint32_t np = f->type->param_slots, n = WF_MAX(np, nresults);
        if ((size_t)(t->stack_end - sp) < (size_t)n + 1) wf_jit_rt_trap(t, WF_JIT_TRAP_EXHAUSTED);
        at = sp;
        memcpy(at, t->tail_args, np * sizeof *at);
        t->sp = sp + n;
        t->fsp = fsp;
        t->mem = mem;
        err = call_once(t, caller, f, at);
    }
    if (!err && at != slots) memcpy(slots, at, nresults * sizeof *slots);
    t->sp = sp;
    t->fsp = fsp;
    t->mem = mem;
    if (err && t->exn) {
        /* an exception the callee did not catch: on to the interpreter
         * frame below the compiled ones (exn.h) */
        wf_error_free(err);
        wf_exn_raise_native(t);
    }
    if (err) raise_error(t, err);
}

void wf_jit_rt_throw(wf_thread *t, wf_instance *inst, uint32_t tag, const wf_slot *payload)
{
    t->exn = wf_exn_new(inst->store, inst->tags[tag], payload);
    wf_exn_raise_native(t);
}

uint32_t wf_jit_rt_catch(wf_thread *t, wf_instance *inst, uint32_t clause, wf_slot *payload)
{
    uint32_t tag = clause & WF_JIT_CATCH_ANY;
    return wf_exn_catch(t, tag == WF_JIT_CATCH_ANY ? NULL : inst->tags[tag], clause & WF_JIT_CATCH_REF, payload);
}

void wf_jit_rt_throw_ref(wf_thread *t, void *exn)
{
    if (!exn) raise_error(t, wf_error_new(WF_ERR_TRAP, WF_MSG_NULL_EXNREF));
    t->exn = exn;
    wf_exn_raise_native(t);
}

void wf_jit_rt_call(wf_thread *t, wf_instance *inst, uint32_t func, wf_slot *slots)
{
    call_func(t, inst, inst->funcs[func], slots);
}

void wf_jit_rt_call_ref(wf_thread *t, wf_instance *inst, wf_func *f, wf_slot *slots)
{
    call_func(t, inst, f, slots);
}

void wf_jit_rt_tail(wf_thread *t, wf_instance *inst, wf_func *f, const wf_slot *args)
{
    uint32_t np = f->type->param_slots;
    /* Allocated by the first tail call, even of no parameters: the copies
     * out of it (here, rt.c's callers, interp.c) may then pass it to memcpy. */
    if (np > t->tail_cap || !t->tail_args) {
        uint32_t cap = WF_MAX(np, 16u);
        wf_slot *a = realloc(t->tail_args, cap * sizeof *a);
        if (!a) wf_jit_rt_trap(t, WF_JIT_TRAP_EXHAUSTED);
        t->tail_args = a;
        t->tail_cap = cap;
    }
    memcpy(t->tail_args, args, np * sizeof *args);
    t->tail_caller = inst;
    t->tail_callee = f;
}

void wf_jit_rt_tail_finish(wf_thread *t, wf_instance *inst, wf_slot *slots)
{
    wf_func *f = t->tail_callee;
    (void)inst;     /* the caller is the instance that made the tail call */
    inst = t->tail_caller;
    t->tail_callee = NULL;
    wf_slot *const sp = t->sp;
    uint32_t np = f->type->param_slots, n = WF_MAX(np, f->type->result_slots);
    if ((size_t)(t->stack_end - sp) < (size_t)n + 1) wf_jit_rt_trap(t, WF_JIT_TRAP_EXHAUSTED);
    memcpy(sp, t->tail_args, np * sizeof *sp);
    t->sp = sp + n;
    call_func(t, inst, f, sp);
    t->sp = sp;
    memcpy(slots, sp, f->type->result_slots * sizeof *slots);
}

uint32_t wf_jit_rt_memory_grow(wf_instance *inst, uint32_t mem, uint32_t delta)
{
    return (uint32_t)(int32_t)wf_memory_grow(inst->mems[mem], delta);
}

void wf_jit_rt_memory_fill(wf_thread *t, wf_instance *inst, uint32_t mem, uint32_t d, uint32_t val,
                           uint32_t n)
{
    wf_memory *m = inst->mems[mem];
    if ((uint64_t)d + n > m->size) wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_MEM);
    memset(m->base + d, (int)(val & 0xff), n);
}

void wf_jit_rt_memory_copy(wf_thread *t, wf_instance *inst, uint32_t dmem, uint32_t smem, uint32_t d,
                           uint32_t s, uint32_t n)
{
    wf_memory *dm = inst->mems[dmem], *sm = inst->mems[smem];
    if ((uint64_t)d + n > dm->size || (uint64_t)s + n > sm->size) wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_MEM);
    memmove(dm->base + d, sm->base + s, n);
}

void wf_jit_rt_memory_init(wf_thread *t, wf_instance *inst, uint32_t seg, uint32_t mem, uint32_t d,
                           uint32_t s, uint32_t n)
{
    if (mem >= inst->module->nmems || !wf_instance_memory_init(inst, inst->mems[mem], seg, d, s, n))
        wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_MEM);
}

void wf_jit_rt_data_drop(wf_instance *inst, uint32_t seg) { inst->data_dropped[seg] = 1; }

void wf_jit_rt_elem_drop(wf_instance *inst, uint32_t seg) { inst->elem_len[seg] = 0; }

void *wf_jit_rt_table_get(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t i)
{
    wf_table *tb = inst->tables[table];
    if (i >= tb->size) wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_TABLE);
    return tb->elems[i];
}

void wf_jit_rt_table_set(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t i, void *v)
{
    wf_table *tb = inst->tables[table];
    if (i >= tb->size) wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_TABLE);
    tb->elems[i] = v;
    tb->dirty = true;
}

uint32_t wf_jit_rt_table_size(wf_instance *inst, uint32_t table) { return inst->tables[table]->size; }

uint32_t wf_jit_rt_table_grow(wf_instance *inst, uint32_t table, void *init, uint32_t n)
{
    return (uint32_t)(int32_t)wf_table_grow(inst->tables[table], n, init);
}

void wf_jit_rt_table_fill(wf_thread *t, wf_instance *inst, uint32_t table, uint32_t d, void *v,
                          uint32_t n)
{
    wf_table *tb = inst->tables[table];
    if ((uint64_t)d + n > tb->size) wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_TABLE);
    for (uint32_t i = 0; i < n; i++) tb->elems[d + i] = v;
    tb->dirty = true;
}

void wf_jit_rt_table_copy(wf_thread *t, wf_instance *inst, uint32_t dt, uint32_t st, uint32_t d,
                          uint32_t s, uint32_t n)
{
    wf_table *dtb = inst->tables[dt], *stb = inst->tables[st];
    if ((uint64_t)d + n > dtb->size || (uint64_t)s + n > stb->size)
        wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_TABLE);
    if (n) memmove(dtb->elems + d, stb->elems + s, (size_t)n * sizeof(void *));
    dtb->dirty = true;
}

void wf_jit_rt_table_init(wf_thread *t, wf_instance *inst, uint32_t seg, uint32_t table, uint32_t d,
                          uint32_t s, uint32_t n)
{
    wf_table *tb = inst->tables[table];
    if ((uint64_t)s + n > inst->elem_len[seg] || (uint64_t)d + n > tb->size)
        wf_jit_rt_trap(t, WF_JIT_TRAP_OOB_TABLE);
    if (n) memcpy(tb->elems + d, inst->elem_items[seg] + s, (size_t)n * sizeof(void *));
    tb->dirty = true;
}
