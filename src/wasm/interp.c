/*
 * interp.c - the interpreter: one function running the internal code of
 * compile.c by direct threading (each instruction word is the address of its
 * handler label). Calls never recurse on the C stack: a call pushes a
 * wf_frame on the thread's frame stack and continues in the callee; host
 * functions are called from here and may re-enter through wf_exec_call.
 *
 * The hot state (pc, fp, memory base) lives in locals so the compiler keeps
 * it in registers. The frame stack's top is also stored to t->fsp at each
 * call and return: a guard-page fault's backtrace (trace.c) finds it there
 * when the compiler kept it in no register. Memory accesses are not bounds checked: an address past
 * the memory's end lands in its guard reservation and the fault handler of
 * trap.c turns the fault into a trap.
 */
#include "wasm/interp.h"
#include "wasm/simd.h"
#include "wasm/exn.h"
#include "wasm/gc.h"
#include <stdio.h>
#include "wasm/trace.h"
#include "wasm/trap.h"
#ifdef WF_INTERP_PROF
#include "wasm/interp_prof.h"
#endif

static const void *const *g_labels;

static wf_error *interp(wf_thread *t, wf_func *f, wf_slot *fp0, bool init);

const void *const *wf_interp_labels(void)
{
    const void *const *l = __atomic_load_n(&g_labels, __ATOMIC_ACQUIRE);
    if (!l) {
        interp(NULL, NULL, NULL, true);
        l = __atomic_load_n(&g_labels, __ATOMIC_ACQUIRE);
    }
    return l;
}

const char *wf_iop_name(wf_iop op)
{
    static const char *const names[] = {
#define WF_IOP_ENTRY(n) #n,
        WF_IOP_LIST
#undef WF_IOP_ENTRY
    };
    _Static_assert(WF_COUNT(names) == WF_IOP_COUNT_, "a name per wf_iop");
    return (unsigned)op < WF_IOP_COUNT_ ? names[op] : "?";
}

wf_error *wf_interp_run(wf_thread *t, wf_func *f, wf_slot *fp)
{
    return interp(t, f, fp, false);
}

#define MSG_EXHAUSTED "call stack exhausted"
#define MSG_DIVZ      "integer divide by zero"
#define MSG_OVERFLOW  "integer overflow"
#define MSG_INVCONV   "invalid conversion to integer"
#define MSG_OOB_MEM   "out of bounds memory access"
#define MSG_OOB_TABLE "out of bounds table access"

static wf_error *interp(wf_thread *t, wf_func *f, wf_slot *fp0, bool init)
{
    static const void *const labels[] = {
#define WF_IOP_ENTRY(n) &&L_##n,
        WF_IOP_LIST
#undef WF_IOP_ENTRY
    };
    _Static_assert(WF_COUNT(labels) == WF_IOP_COUNT_, "label table matches wf_iop");
    if (init) {
        __atomic_store_n(&g_labels, labels, __ATOMIC_RELEASE);
        return NULL;
    }

    const wf_word *pc = __atomic_load_n(&f->code->words, __ATOMIC_ACQUIRE);
    wf_slot *fp = fp0;
    wf_instance *inst = f->inst;
    wf_memory *mem;
    uint8_t *mb;
    wf_frame *const fbase = t->fsp;
    wf_frame *fsp = fbase;
    wf_frame *const fend = t->frames_end;
    wf_slot *const send = t->stack_end;
    volatile uint32_t *const intr = t->interrupt;
    const char *trapmsg;
    char msgbuf[64];
    wf_error *err;
    wf_func *callee;
    wf_slot *nfp;
    const wf_word *npc;
    const wf_word *exn_tab;

#ifdef WF_INTERP_PROF
#define NEXT()     do { prof_hit((const void *)*pc); prof_func(inst, pc); goto *(void *)*pc; } while (0)
#else
#define NEXT()     goto *(void *)*pc
#endif
    /* Another thread (the deadline timer) sets the flag: an atomic read, as
     * cheap as a plain load, keeps that a well-defined race. */
#define INTERRUPTED() __atomic_load_n(intr, __ATOMIC_RELAXED)
#define S(n)       fp[pc[n]]
    /* A taken branch. Branches to a loop land after its LOOP_HEAD, so every
     * taken branch checks the interrupt flag instead (a load and a predicted
     * test, cheaper than dispatching LOOP_HEAD each iteration). */
#define JUMP(to)                                                              \
    do {                                                                      \
        pc = (const wf_word *)(to);                                           \
        if (WF_UNLIKELY(INTERRUPTED()) && wf_exec_interrupt_hit(intr))        \
            TRAP("interrupted");                                              \
        NEXT();                                                               \
    } while (0)
#define TRAP(msg)  do { trapmsg = (msg); goto trap; } while (0)
#define LOAD_MEM()                                                            \
    do {                                                                      \
        mem = inst->module->nmems ? inst->mems[0] : NULL;                     \
        mb = mem ? mem->base : NULL;                                          \
        t->mem = mem;                                                         \
    } while (0)
    /* A host call: slots at `at`; the thread state tells a nested
     * wf_exec_call where free frames and slots begin. */
#define HOST_CALL(at)                                                         \
    do {                                                                      \
        wf_caller caller_ = { .inst = inst };                                 \
        const wf_functype *ht_ = callee->type;                                \
        t->fsp = fsp;                                                         \
        t->sp = (at) + WF_MAX(ht_->param_slots, ht_->result_slots);                   \
        t->in_wasm = 0;                                                       \
        inst->store->host_calls++;                                            \
        err = callee->host(&caller_, callee->env, (at));                      \
        t->in_wasm = 1;                                                       \
        t->mem = mem;                                                         \
        if (err) goto fail;                                                   \
    } while (0)

    /* call_indirect and return_call_indirect: table pc[1], expected type
     * pc[2], element index in slot pc[4]; sets callee or traps. */
#define CALLEE_FROM_TABLE()                                                   \
    do {                                                                      \
        wf_table *tb_ = inst->tables[pc[1]];                                  \
        uint32_t i_ = S(4).u32;                                               \
        if (i_ >= tb_->size) TRAP("undefined element");                       \
        callee = tb_->elems[i_];                                              \
        if (!callee) {                                                        \
            snprintf(msgbuf, sizeof msgbuf, "uninitialized element %u", i_);  \
            TRAP(msgbuf);                                                     \
        }                                                                     \
        const wf_functype *want_ = (const wf_functype *)pc[2];               \
        if (callee->type != want_ && !wf_functype_sub(callee->type, want_))   \
            TRAP("indirect call type mismatch");                              \
    } while (0)

    LOAD_MEM();
    NEXT();

L_ENTER_COUNTED: {
    /* The call counter sits before the template (compile.c): a relaxed
     * load and store, a plain increment (a lost count is allowed). */
    wf_slot *calls = (wf_slot *)pc[4] - 1;
    __atomic_store_n(&calls->u64, __atomic_load_n(&calls->u64, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}
    /* fall through */
L_ENTER: {
    if (WF_UNLIKELY(INTERRUPTED()) && wf_exec_interrupt_hit(intr)) TRAP("interrupted");
    if (WF_UNLIKELY(fp + pc[3] > send)) TRAP(MSG_EXHAUSTED);
    /* declared locals start at zero; the constant slots get their values */
    wf_slot *d = fp + pc[1];
    const wf_slot *src = (const wf_slot *)pc[4];
    for (wf_word n = pc[2]; n; n--) *d++ = *src++;
    pc += WF_ENTER_WORDS;
    NEXT();
}
/* The stub of a function not yet translated (its ENTER set up nothing but
 * the arguments): translate it, and make the CALL that came here (the
 * caller's return address follows its operands: callee, argbase) call the
 * translated words directly from now on. Calls through tables and imports
 * read the code's words, which now are the translated ones. */
L_JIT_ENTER: {
    /* The function was compiled (jit/), maybe while this code ran: run
     * it natively on this frame's slots (arguments in, results out), then
     * return as the interpreted body would. A trap inside leaves by the
     * call's trap point. The entry was stored before this opcode was
     * (jit.c): the acquire orders the read of the opcode before it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (WF_UNLIKELY(INTERRUPTED()) && wf_exec_interrupt_hit(intr)) TRAP("interrupted");
    if (WF_UNLIKELY(fp + pc[3] > send)) TRAP(MSG_EXHAUSTED);
    t->fsp = fsp;
    t->sp = fp + pc[3];
    if (WF_UNLIKELY(wf_exn_used())) {
        /* an exception raised in compiled code below comes back here:
         * it left this (compiled) function; on to its caller */
        if (wf_exn_call_native(t, (wf_jit_entry_fn)pc[5], inst, fp)) {
            t->mem = mem;
            t->fsp = fsp;
            goto exn_leave_frame;
        }
    } else {
        ((wf_jit_entry_fn)pc[5])(t, inst, fp);
    }
    t->mem = mem;
    if (WF_UNLIKELY(t->tail_callee != NULL)) {
        /* It ended with a tail call it could not make natively (to an
         * interpreted or host function, ...): made here, from this frame,
         * as the interpreter's own tail calls are. */
        callee = t->tail_callee;
        t->tail_callee = NULL;
        uint32_t np = callee->type->param_slots;
        if (WF_UNLIKELY(fp + np > send)) TRAP(MSG_EXHAUSTED);
        memcpy(fp, t->tail_args, np * sizeof *fp);
        nfp = fp;
        goto do_tail_call;
    }
    goto L_RETURN;
}
L_LAZY: {
    struct wf_code *code = (struct wf_code *)pc[1];
    const wf_word *stub = pc - WF_ENTER_WORDS;
    npc = wf_code_translated(code, &err);
    if (!npc) goto fail;
    if (fsp != fbase) {
        /* Other returns (calls through tables, imports and references)
         * hold a slot or index there, never a stub's address. */
        wf_word *site = (wf_word *)fsp[-1].pc - 2;
        if (__atomic_load_n(site, __ATOMIC_RELAXED) == (wf_word)stub)
            __atomic_store_n(site, (wf_word)npc, __ATOMIC_RELEASE);
    }
    pc = npc;
    /* ENTER, or JIT_ENTER when the module was compiled (jit/) */
    NEXT();
}
L_LOOP_HEAD:
    if (WF_UNLIKELY(INTERRUPTED()) && wf_exec_interrupt_hit(intr)) TRAP("interrupted");
    pc += 1;
    NEXT();
L_UNREACHABLE:
    TRAP("unreachable");
L_NOP:
    pc += 1;
    NEXT();
L_MOVE:
    S(1) = S(2);
    pc += 3;
    NEXT();
L_CONST:
    S(1).u64 = pc[2];
    pc += 3;
    NEXT();
L_BR:
    JUMP(pc[1]);
L_BR_IF:
    if (S(1).u32) JUMP(pc[2]);
    pc += 3;
    NEXT();
L_BR_IF_NOT:
    if (!S(1).u32) JUMP(pc[2]);
    pc += 3;
    NEXT();
#define WF_BRCMP2_OP(n, fi, cond)                                             \
L_##n: {                                                                      \
    __typeof__(fp->fi) a = S(1).fi, b = S(2).fi;                              \
    if (cond) JUMP(pc[3]);                                                    \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_BRCMP2(WF_BRCMP2_OP)
#undef WF_BRCMP2_OP
    /* b an immediate: the word holds the constant's bits, read through a
     * slot so each field sees them as a frame slot would. */
#define WF_BRCMP2K_OP(n, fi, cond)                                            \
L_##n##_K: {                                                                  \
    wf_slot k_ = { .u64 = pc[2] };                                            \
    __typeof__(fp->fi) a = S(1).fi, b = k_.fi;                                \
    if (cond) JUMP(pc[3]);                                                    \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_BRCMP2(WF_BRCMP2K_OP)
#undef WF_BRCMP2K_OP
#define WF_BRCMP1_OP(n, fi, cond)                                             \
L_##n: {                                                                      \
    __typeof__(fp->fi) a = S(1).fi;                                           \
    if (cond) JUMP(pc[2]);                                                    \
    pc += 3;                                                                  \
    NEXT();                                                                   \
}
    WF_BRCMP1(WF_BRCMP1_OP)
#undef WF_BRCMP1_OP
L_BR_TABLE: {
    uint32_t i = S(1).u32, n = (uint32_t)pc[2];
    if (i > n) i = n;
    JUMP(pc[3 + i]);
}
L_RETURN:
    if (fsp == fbase) return NULL;
    --fsp;
    t->fsp = fsp;
    pc = fsp->pc;
    fp = fsp->fp;
    if (fsp->inst != inst) { inst = fsp->inst; LOAD_MEM(); }
    NEXT();

L_CALL:
    if (WF_UNLIKELY(fsp == fend)) TRAP(MSG_EXHAUSTED);
    fsp->pc = pc + 3;
    fsp->fp = fp;
    fsp->inst = inst;
    fsp++;
    t->fsp = fsp;
    fp += pc[2];
    pc = (const wf_word *)pc[1];
    /* ENTER, or JIT_ENTER once the callee is compiled */
    NEXT();
L_CALL_ANY:
    callee = inst->funcs[pc[1]];
    nfp = fp + pc[2];
    npc = pc + 3;
    goto do_call;
L_CALL_INDIRECT: {
    CALLEE_FROM_TABLE();
    nfp = fp + pc[3];
    npc = pc + 5;
    goto do_call;
}
L_CALL_REF:
    callee = S(1).ref;
    if (!callee) TRAP("null function reference");
    nfp = fp + pc[2];
    npc = pc + 3;
    goto do_call;
do_call:
    if (callee->host) {
        HOST_CALL(nfp);
        pc = npc;
        NEXT();
    }
    if (WF_UNLIKELY(fsp == fend)) TRAP(MSG_EXHAUSTED);
    fsp->pc = npc;
    fsp->fp = fp;
    fsp->inst = inst;
    fsp++;
    t->fsp = fsp;
    fp = nfp;
    if (callee->inst != inst) { inst = callee->inst; LOAD_MEM(); }
    pc = __atomic_load_n(&callee->code->words, __ATOMIC_ACQUIRE);
    NEXT();

L_RETURN_CALL:
    callee = inst->funcs[pc[1]];
    nfp = fp + pc[2];
    goto do_tail_call;
L_RETURN_CALL_INDIRECT: {
    CALLEE_FROM_TABLE();
    nfp = fp + pc[3];
    goto do_tail_call;
}
L_RETURN_CALL_REF:
    callee = S(1).ref;
    if (!callee) TRAP("null function reference");
    nfp = fp + pc[2];
    goto do_tail_call;
do_tail_call:
    if (callee->host) {
        HOST_CALL(nfp);
        memmove(fp, nfp, callee->type->result_slots * sizeof(wf_slot));
        goto L_RETURN;
    }
    memmove(fp, nfp, callee->type->param_slots * sizeof(wf_slot));
    if (callee->inst != inst) { inst = callee->inst; LOAD_MEM(); }
    pc = __atomic_load_n(&callee->code->words, __ATOMIC_ACQUIRE);
    NEXT();

L_SELECT:
    S(1) = S(4).u32 ? S(2) : S(3);
    pc += 5;
    NEXT();
L_GLOBAL_GET:
    S(1) = inst->globals[pc[2]]->value;
    pc += 3;
    NEXT();
L_GLOBAL_SET:
    inst->globals[pc[1]]->value = S(2);
    pc += 3;
    NEXT();
L_GLOBAL_GET2: {
    const wf_global *g = inst->globals[pc[2]];
    S(1) = g->value;
    fp[pc[1] + 1] = g->hi;
    pc += 3;
    NEXT();
}
L_GLOBAL_SET2: {
    wf_global *g = inst->globals[pc[1]];
    g->value = S(2);
    g->hi = fp[pc[2] + 1];
    pc += 3;
    NEXT();
}
    /* SIMD (simd.h): one call per instruction, which decodes the operands
     * itself (few values live across the call: the interpreter's registers
     * stay as they are, which the fault handler's backtrace relies on). */
L_V128_OP:
    wf_simd_exec(fp, pc);
    pc += 8;
    NEXT();
L_V128_MEM:
    if (WF_UNLIKELY(!wf_simd_exec_mem(fp, pc, mem))) TRAP(MSG_OOB_MEM);
    pc += 8;
    NEXT();
L_V128_MEM_M:
    if (WF_UNLIKELY(!wf_simd_exec_mem(fp, pc, inst->mems[pc[8]]))) TRAP(MSG_OOB_MEM);
    pc += 9;
    NEXT();

L_TABLE_GET: {
    wf_table *tb = inst->tables[pc[3]];
    uint32_t i = S(2).u32;
    if (i >= tb->size) TRAP(MSG_OOB_TABLE);
    S(1).ref = tb->elems[i];
    pc += 4;
    NEXT();
}
L_TABLE_SET: {
    wf_table *tb = inst->tables[pc[3]];
    uint32_t i = S(1).u32;
    if (i >= tb->size) TRAP(MSG_OOB_TABLE);
    tb->elems[i] = S(2).ref;
    tb->dirty = true;
    pc += 4;
    NEXT();
}
L_TABLE_SIZE:
    S(1).u64 = inst->tables[pc[2]]->size;
    pc += 3;
    NEXT();
L_TABLE_GROW: {
    int64_t r = wf_table_grow(inst->tables[pc[4]], S(3).u32, S(2).ref);
    S(1).u64 = (uint32_t)(int32_t)r;
    pc += 5;
    NEXT();
}
L_TABLE_FILL: {
    wf_table *tb = inst->tables[pc[1]];
    uint64_t d = S(2).u32, n = S(4).u32;
    void *v = S(3).ref;
    if (d + n > tb->size) TRAP(MSG_OOB_TABLE);
    for (uint64_t i = 0; i < n; i++) tb->elems[d + i] = v;
    tb->dirty = true;
    pc += 5;
    NEXT();
}
L_TABLE_COPY: {
    wf_table *dt = inst->tables[pc[1]], *st = inst->tables[pc[2]];
    uint64_t d = S(3).u32, s = S(4).u32, n = S(5).u32;
    if (d + n > dt->size || s + n > st->size) TRAP(MSG_OOB_TABLE);
    if (n) memmove(dt->elems + d, st->elems + s, n * sizeof(void *));
    dt->dirty = true;
    pc += 6;
    NEXT();
}
L_TABLE_INIT: {
    wf_table *tb = inst->tables[pc[2]];
    uint64_t d = S(3).u32, s = S(4).u32, n = S(5).u32;
    if (s + n > inst->elem_len[pc[1]] || d + n > tb->size) TRAP(MSG_OOB_TABLE);
    if (n) memcpy(tb->elems + d, inst->elem_items[pc[1]] + s, n * sizeof(void *));
    tb->dirty = true;
    pc += 6;
    NEXT();
}
L_ELEM_DROP:
    inst->elem_len[pc[1]] = 0;
    pc += 2;
    NEXT();

L_MEMORY_SIZE:
    S(1).u64 = mem->size / WF_PAGE_SIZE;
    pc += 2;
    NEXT();
L_MEMORY_GROW: {
    int64_t r = wf_memory_grow(mem, S(2).u32);
    S(1).u64 = (uint32_t)(int32_t)r;
    mb = mem->base;
    pc += 3;
    NEXT();
}
L_MEMORY_FILL: {
    uint64_t d = S(1).u32, n = S(3).u32;
    if (d + n > mem->size) TRAP(MSG_OOB_MEM);
    memset(mb + d, (int)(S(2).u32 & 0xff), n);
    pc += 4;
    NEXT();
}
L_MEMORY_COPY: {
    uint64_t d = S(1).u32, s = S(2).u32, n = S(3).u32;
    if (d + n > mem->size || s + n > mem->size) TRAP(MSG_OOB_MEM);
    memmove(mb + d, mb + s, n);
    pc += 4;
    NEXT();
}
L_MEMORY_INIT: {
    const wf_dataseg *ds = &inst->module->datas[pc[1]];
    uint64_t len = inst->data_dropped[pc[1]] ? 0 : ds->len;
    uint64_t d = S(2).u32, s = S(3).u32, n = S(4).u32;
    if (s + n > len || !mem || d + n > mem->size) TRAP(MSG_OOB_MEM);
    if (n) memcpy(mb + d, ds->bytes + s, n);
    pc += 5;
    NEXT();
}
    /* The same in a memory other than 0 (its index the last operand):
     * memory 0's base in mb stays valid (a base never moves). */
L_MEMORY_SIZE_M:
    S(1).u64 = inst->mems[pc[2]]->size / WF_PAGE_SIZE;
    pc += 3;
    NEXT();
L_MEMORY_GROW_M:
    S(1).u64 = (uint32_t)(int32_t)wf_memory_grow(inst->mems[pc[3]], S(2).u32);
    pc += 4;
    NEXT();
L_MEMORY_FILL_M: {
    wf_memory *m = inst->mems[pc[4]];
    uint64_t d = S(1).u32, n = S(3).u32;
    if (d + n > m->size) TRAP(MSG_OOB_MEM);
    memset(m->base + d, (int)(S(2).u32 & 0xff), n);
    pc += 5;
    NEXT();
}
L_MEMORY_COPY_M: {
    wf_memory *dm = inst->mems[pc[4]], *sm = inst->mems[pc[5]];
    uint64_t d = S(1).u32, s = S(2).u32, n = S(3).u32;
    if (d + n > dm->size || s + n > sm->size) TRAP(MSG_OOB_MEM);
    memmove(dm->base + d, sm->base + s, n);
    pc += 6;
    NEXT();
}
L_MEMORY_INIT_M:
    if (!wf_instance_memory_init(inst, inst->mems[pc[5]], (uint32_t)pc[1], S(2).u32, S(3).u32, S(4).u32))
        TRAP(MSG_OOB_MEM);
    pc += 6;
    NEXT();
L_SAT_U32:
    S(1).u64 = S(2).u64 > UINT32_MAX ? UINT32_MAX : S(2).u64;
    pc += 3;
    NEXT();
L_LOAD_MEM:
    if (WF_UNLIKELY(!wf_interp_load_mem(fp, pc, inst))) TRAP(MSG_OOB_MEM);
    pc += 6;
    NEXT();
L_STORE_MEM:
    if (WF_UNLIKELY(!wf_interp_store_mem(fp, pc, inst))) TRAP(MSG_OOB_MEM);
    pc += 6;
    NEXT();
L_DATA_DROP:
    inst->data_dropped[pc[1]] = 1;
    pc += 2;
    NEXT();

L_REF_IS_NULL:
    S(1).u64 = S(2).ref == NULL;
    pc += 3;
    NEXT();
L_REF_FUNC:
    S(1).ref = inst->funcs[pc[2]];
    pc += 3;
    NEXT();
L_REF_AS_NON_NULL:
    if (!S(1).ref) TRAP("null reference");
    pc += 2;
    NEXT();
L_BR_ON_NULL:
    if (!S(1).ref) JUMP(pc[2]);
    pc += 3;
    NEXT();
L_BR_ON_NON_NULL:
    if (S(1).ref) JUMP(pc[2]);
    pc += 3;
    NEXT();

    /* GC references (gc.h) */
L_REF_EQ:
    S(1).u64 = S(2).ref == S(3).ref;
    pc += 4;
    NEXT();
L_REF_I31:
    S(1).ref = wf_gc_i31_new(S(2).u32);
    pc += 3;
    NEXT();
L_I31_GET_S:
    if (WF_UNLIKELY(!S(2).ref)) TRAP("null i31 reference");
    S(1).u64 = (uint32_t)wf_gc_i31_get_s(S(2).ref);
    pc += 3;
    NEXT();
L_I31_GET_U:
    if (WF_UNLIKELY(!S(2).ref)) TRAP("null i31 reference");
    S(1).u64 = wf_gc_i31_get_u(S(2).ref);
    pc += 3;
    NEXT();
L_REF_CONVERT:
    S(1).ref = wf_gc_convert(S(2).ref);
    pc += 3;
    NEXT();
L_REF_TEST:
    S(1).u64 = wf_gc_ref_test(S(2).ref, pc[3]);
    pc += 4;
    NEXT();
L_REF_CAST:
    if (WF_UNLIKELY(!wf_gc_ref_test(S(1).ref, pc[2]))) TRAP("cast failure");
    pc += 3;
    NEXT();
L_BR_ON_CAST:
    if (wf_gc_ref_test(S(1).ref, pc[2])) JUMP(pc[3]);
    pc += 4;
    NEXT();
L_BR_ON_CAST_FAIL:
    if (!wf_gc_ref_test(S(1).ref, pc[2])) JUMP(pc[3]);
    pc += 4;
    NEXT();
L_STRUCT_NEW:
    if (WF_UNLIKELY((trapmsg = wf_interp_struct_new(fp, pc, inst)))) goto trap;
    pc += 5;
    NEXT();
L_STRUCT_GET: {
    const wf_gcobj *o = S(2).ref;
    if (WF_UNLIKELY(!o)) TRAP("null structure reference");
    wf_gc_load_val(&S(1), o->data + pc[3], (uint32_t)pc[4], pc[5]);
    pc += 6;
    NEXT();
}
L_STRUCT_SET: {
    wf_gcobj *o = S(1).ref;
    if (WF_UNLIKELY(!o)) TRAP("null structure reference");
    wf_gc_store_val(o->data + pc[3], (uint32_t)pc[4], &S(2));
    pc += 5;
    NEXT();
}
L_ARRAY_NEW:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_new(fp, pc, inst)))) goto trap;
    pc += 6;
    NEXT();
L_ARRAY_NEW_FIXED:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_new_fixed(fp, pc, inst)))) goto trap;
    pc += 5;
    NEXT();
L_ARRAY_NEW_SEG:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_new_seg(fp, pc, inst)))) goto trap;
    pc += 7;
    NEXT();
L_ARRAY_GET: {
    const wf_gcobj *o = S(2).ref;
    uint32_t i = S(3).u32;
    if (WF_UNLIKELY(!o)) TRAP("null array reference");
    if (WF_UNLIKELY(i >= o->len)) TRAP("out of bounds array access");
    wf_gc_load_val(&S(1), o->data + (size_t)i * pc[4], (uint32_t)pc[4], pc[5]);
    pc += 6;
    NEXT();
}
L_ARRAY_SET: {
    wf_gcobj *o = S(1).ref;
    uint32_t i = S(2).u32;
    if (WF_UNLIKELY(!o)) TRAP("null array reference");
    if (WF_UNLIKELY(i >= o->len)) TRAP("out of bounds array access");
    wf_gc_store_val(o->data + (size_t)i * pc[4], (uint32_t)pc[4], &S(3));
    pc += 5;
    NEXT();
}
L_ARRAY_LEN:
    if (WF_UNLIKELY(!S(2).ref)) TRAP("null array reference");
    S(1).u64 = ((const wf_gcobj *)S(2).ref)->len;
    pc += 3;
    NEXT();
L_ARRAY_FILL:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_fill(fp, pc)))) goto trap;
    pc += 6;
    NEXT();
L_ARRAY_COPY:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_copy(fp, pc)))) goto trap;
    pc += 7;
    NEXT();
L_ARRAY_INIT_SEG:
    if (WF_UNLIKELY((trapmsg = wf_interp_array_init_seg(fp, pc, inst)))) goto trap;
    pc += 7;
    NEXT();

    /* Exceptions (exn.h). A handler table (compile_ctrl.c: op_try_table)
     * is the enclosing try_table's table (or 0), the number of catch
     * clauses, then per clause: its kind (0 catch, 1 catch_ref, 2
     * catch_all, 3 catch_all_ref), tag index, first label slot and
     * target. The first clause that matches, innermost try_table first,
     * gets the payload (and the exnref) in its label's slots and the
     * branch; with none, the frame goes and its caller's call site says
     * where to look on (an EXN_CHECK after it, inside a try_table). */
L_THROW: {
    const wf_tag *tag = inst->tags[pc[1]];
    t->exn = wf_exn_new(inst->store, tag, fp + pc[2]);
    exn_tab = (const wf_word *)pc[3];
    goto exn_dispatch;
}
L_THROW_REF:
    if (!S(1).ref) TRAP(WF_MSG_NULL_EXNREF);
    t->exn = S(1).ref;
    exn_tab = (const wf_word *)pc[2];
    goto exn_dispatch;
L_EXN_CHECK:
    pc += 2;
    NEXT();
exn_dispatch: {
    wf_exn *x = t->exn;
    for (const wf_word *tb = exn_tab; tb; tb = (const wf_word *)tb[0]) {
        const wf_word *cl = tb + 2;
        for (wf_word k = tb[1]; k; k--, cl += 4) {
            const wf_tag *tag = cl[0] < 2 ? inst->tags[cl[1]] : NULL;
            wf_slot *d = fp + cl[2];
            if (!wf_exn_catch(t, tag, cl[0] & 1, d)) continue;
            /* the exnref after the payload (x is kept: wf_exn_catch) */
            if (cl[0] & 1) d[tag ? x->nslots : 0].ref = x;
            JUMP(cl[3]);
        }
    }
}
exn_leave_frame:
    if (fsp == fbase) {
        err = wf_exn_error(t, inst);
        goto fail;
    }
    --fsp;
    t->fsp = fsp;
    pc = fsp->pc;
    fp = fsp->fp;
    if (fsp->inst != inst) { inst = fsp->inst; LOAD_MEM(); }
    exn_tab = *pc == (wf_word)&&L_EXN_CHECK ? (const wf_word *)pc[1] : NULL;
    goto exn_dispatch;

#define WF_UNOP(n, fi, fo, expr)                                              \
L_##n: {                                                                      \
    __typeof__(fp->fi) a = S(2).fi;                                           \
    S(1).fo = (expr);                                                         \
    pc += 3;                                                                  \
    NEXT();                                                                   \
}
    WF_UNOPS(WF_UNOP)
#undef WF_UNOP
#define WF_BINOP(n, fi, fo, expr)                                             \
L_##n: {                                                                      \
    __typeof__(fp->fi) a = S(2).fi, b = S(3).fi;                              \
    S(1).fo = (expr);                                                         \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_BINOPS(WF_BINOP)
#undef WF_BINOP
#define WF_BINOPK(n, fi, fo, expr)                                            \
L_##n##_K: {                                                                  \
    wf_slot k_ = { .u64 = pc[3] };                                            \
    __typeof__(fp->fi) a = S(2).fi, b = k_.fi;                                \
    S(1).fo = (expr);                                                         \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_BINOPS(WF_BINOPK)
#undef WF_BINOPK

#define WF_SDIVOP(n, f, T, MIN, expr, ovf_traps)                            \
L_##n: {                                                                      \
    T a = S(2).f, b = S(3).f;                                                 \
    if (WF_UNLIKELY(b == 0)) TRAP(MSG_DIVZ);                                  \
    if (WF_UNLIKELY(a == MIN && b == -1)) {                                   \
        if (ovf_traps) TRAP(MSG_OVERFLOW);                                    \
        S(1).f = 0;                                                           \
    } else {                                                                  \
        S(1).f = expr;                                                        \
    }                                                                         \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
#define WF_UDIVOP(n, f, T, expr)                                              \
L_##n: {                                                                      \
    T a = S(2).f, b = S(3).f;                                                 \
    if (WF_UNLIKELY(b == 0)) TRAP(MSG_DIVZ);                                  \
    S(1).f = expr;                                                            \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_SDIVOP(I32_DIV_S, i32, int32_t, INT32_MIN, a / b, 1)
    WF_UDIVOP(I32_DIV_U, u32, uint32_t, a / b)
    WF_SDIVOP(I32_REM_S, i32, int32_t, INT32_MIN, a % b, 0)
    WF_UDIVOP(I32_REM_U, u32, uint32_t, a % b)
    WF_SDIVOP(I64_DIV_S, i64, int64_t, INT64_MIN, a / b, 1)
    WF_UDIVOP(I64_DIV_U, u64, uint64_t, a / b)
    WF_SDIVOP(I64_REM_S, i64, int64_t, INT64_MIN, a % b, 0)
    WF_UDIVOP(I64_REM_U, u64, uint64_t, a % b)
#undef WF_SDIVOP
#undef WF_UDIVOP

    /* Trapping truncations: the value must lie strictly between lo and hi
     * (bounds exact in double for both f32 and f64 inputs). */
#define WF_TRUNCOP(n, fi, fo, T, lo, hi)                                      \
L_##n: {                                                                      \
    double a = S(2).fi;                                                       \
    if (WF_UNLIKELY(a != a)) TRAP(MSG_INVCONV);                               \
    if (WF_UNLIKELY(!(a > (lo) && a < (hi)))) TRAP(MSG_OVERFLOW);             \
    S(1).fo = (T)a;                                                           \
    pc += 3;                                                                  \
    NEXT();                                                                   \
}
    WF_TRUNCOP(I32_TRUNC_F32_S, f32, i32, int32_t, -2147483649.0, 2147483648.0)
    WF_TRUNCOP(I32_TRUNC_F32_U, f32, u32, uint32_t, -1.0, 4294967296.0)
    WF_TRUNCOP(I32_TRUNC_F64_S, f64, i32, int32_t, -2147483649.0, 2147483648.0)
    WF_TRUNCOP(I32_TRUNC_F64_U, f64, u32, uint32_t, -1.0, 4294967296.0)
    WF_TRUNCOP(I64_TRUNC_F32_S, f32, i64, int64_t, -9223372036854777856.0, 9223372036854775808.0)
    WF_TRUNCOP(I64_TRUNC_F32_U, f32, u64, uint64_t, -1.0, 18446744073709551616.0)
    WF_TRUNCOP(I64_TRUNC_F64_S, f64, i64, int64_t, -9223372036854777856.0, 9223372036854775808.0)
    WF_TRUNCOP(I64_TRUNC_F64_U, f64, u64, uint64_t, -1.0, 18446744073709551616.0)
#undef WF_TRUNCOP

#define WF_LOADOP(n, T, f)                                                    \
L_##n: {                                                                      \
    T v_;                                                                     \
    memcpy(&v_, mb + (uint64_t)S(2).u32 + pc[3], sizeof v_);                  \
    S(1).f = v_;                                                              \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_LOADOPS(WF_LOADOP)
#undef WF_LOADOP
#define WF_STOREOP(n, T, f)                                                   \
L_##n: {                                                                      \
    T v_ = (T)S(2).f;                                                         \
    memcpy(mb + (uint64_t)S(1).u32 + pc[3], &v_, sizeof v_);                  \
    pc += 4;                                                                  \
    NEXT();                                                                   \
}
    WF_STOREOPS(WF_STOREOP)
#undef WF_STOREOP
    /* Address i32.add(S(2), pc[4]) as a wasm i32 (wrapping), then the
     * offset as usual. */
#define WF_LOADOP_A(n, T, f)                                                  \
L_##n##_A: {                                                                  \
    T v_;                                                                     \
    memcpy(&v_, mb + (uint64_t)(uint32_t)(S(2).u32 + (uint32_t)pc[4]) + pc[3], sizeof v_); \
    S(1).f = v_;                                                              \
    pc += 5;                                                                  \
    NEXT();                                                                   \
}
    WF_LOADOPS(WF_LOADOP_A)
#undef WF_LOADOP_A
#define WF_STOREOP_A(n, T, f)                                                 \
L_##n##_A: {                                                                  \
    T v_ = (T)S(2).f;                                                         \
    memcpy(mb + (uint64_t)(uint32_t)(S(1).u32 + (uint32_t)pc[4]) + pc[3], &v_, sizeof v_); \
    pc += 5;                                                                  \
    NEXT();                                                                   \
}
    WF_STOREOPS(WF_STOREOP_A)
#undef WF_STOREOP_A

L_MOVE2:
    S(1) = S(2);
    S(3) = S(4);
    pc += 5;
    NEXT();
L_ADD2_K:
    S(1).u32 = S(2).u32 + (uint32_t)pc[3];
    S(4).u32 = S(5).u32 + (uint32_t)pc[6];
    pc += 7;
    NEXT();
L_RETURN_S:
    fp[0] = S(1);
    goto L_RETURN;
L_BR_I32_TEST_K:
    if (S(1).u32 & (uint32_t)pc[2]) JUMP(pc[3]);
    pc += 4;
    NEXT();
L_BR_I32_TESTZ_K:
    if (!(S(1).u32 & (uint32_t)pc[2])) JUMP(pc[3]);
    pc += 4;
    NEXT();
L_I32_RANGE_K:
    S(1).u64 = S(2).u32 + (uint32_t)pc[3] < (uint32_t)pc[4];
    pc += 5;
    NEXT();
#define WF_LOADBR(n, T, field, cond)                                          \
L_##n: {                                                                      \
    T v_;                                                                     \
    memcpy(&v_, mb + (uint64_t)S(2).u32 + pc[3], sizeof v_);                  \
    S(1).field = v_;                                                          \
    if (cond) JUMP(pc[4]);                                                    \
    pc += 5;                                                                  \
    NEXT();                                                                   \
}
    WF_LOADBR(I32_LOAD8_U_BR_NZ, uint8_t, u32, v_ != 0)
    WF_LOADBR(I32_LOAD8_U_BR_Z, uint8_t, u32, v_ == 0)
    WF_LOADBR(I32_LOAD_BR_NZ, uint32_t, u32, v_ != 0)
    WF_LOADBR(I32_LOAD_BR_Z, uint32_t, u32, v_ == 0)
#undef WF_LOADBR
#define WF_ADDBR1(n, B, cond)                                                 \
L_##n: {                                                                      \
    uint32_t d_ = S(2).u32 + (B);                                             \
    S(1).u32 = d_;                                                            \
    if (cond) JUMP(pc[4]);                                                    \
    pc += 5;                                                                  \
    NEXT();                                                                   \
}
    WF_ADDBR1(ADDK_BR_NZ, (uint32_t)pc[3], d_ != 0)
    WF_ADDBR1(ADDK_BR_Z, (uint32_t)pc[3], d_ == 0)
    WF_ADDBR1(ADD_BR_NZ, S(3).u32, d_ != 0)
    WF_ADDBR1(ADD_BR_Z, S(3).u32, d_ == 0)
#undef WF_ADDBR1
L_I32_MADD:
    S(1).u32 = S(2).u32 + S(3).u32 * S(4).u32;
    pc += 5;
    NEXT();
L_I64_MADD:
    S(1).u64 = S(2).u64 + S(3).u64 * S(4).u64;
    pc += 5;
    NEXT();
L_I32_ADD_XOR_ROTL_K: {
    S(1).u32 = S(2).u32 + S(3).u32;
    uint32_t a = S(5).u32 ^ S(6).u32, b = (uint32_t)pc[7];
    S(4).u32 = WF_ROTL32(a, b);
    pc += 8;
    NEXT();
}
L_I64_ADD_XOR_ROTL_K: {
    S(1).u64 = S(2).u64 + S(3).u64;
    uint64_t a = S(5).u64 ^ S(6).u64, b = pc[7];
    S(4).u64 = WF_ROTL64(a, b);
    pc += 8;
    NEXT();
}
L_I32_XOR_ROTLK: {
    uint32_t a = S(3).u32, b = (uint32_t)pc[4];
    S(1).u32 = S(2).u32 ^ WF_ROTL32(a, b);
    pc += 5;
    NEXT();
}
L_I32_XOR_SHRUK:
    S(1).u32 = S(2).u32 ^ (S(3).u32 >> (pc[4] & 31));
    pc += 5;
    NEXT();
L_F64_ADD_M_ST: {
    uint8_t *p_ = mb + (uint64_t)(uint32_t)(S(2).u32 + (uint32_t)pc[4]) + pc[3];
    double v_;
    memcpy(&v_, p_, sizeof v_);
    v_ = S(1).f64 + v_;
    memcpy(p_, &v_, sizeof v_);
    pc += 5;
    NEXT();
}
L_I32_MULADD_KK:
    S(1).u32 = S(2).u32 * (uint32_t)pc[3] + (uint32_t)pc[4];
    pc += 5;
    NEXT();
L_I64_MULADD_KK:
    S(1).u64 = S(2).u64 * pc[3] + pc[4];
    pc += 5;
    NEXT();
L_I64_ADD_SHRUK:
    S(1).u64 = S(2).u64 + (S(3).u64 >> (pc[4] & 63));
    pc += 5;
    NEXT();
L_I32_ADD3:
    S(1).u32 = S(2).u32 + S(3).u32 + S(4).u32;
    pc += 5;
    NEXT();
L_MOVE_BR:
    S(1) = S(2);
    JUMP(pc[3]);
L_I32_ADD_RET:
    S(1).u32 = S(2).u32 + S(3).u32;
    goto L_RETURN;
L_I32_ADDK_RET:
    S(1).u32 = S(2).u32 + (uint32_t)pc[3];
    goto L_RETURN;
L_ADDK_CALL:
    S(1).u32 = S(2).u32 + (uint32_t)pc[3];
    pc += 3;
    goto L_CALL;
L_MOVE_CALL:
    S(1) = S(2);
    pc += 2;
    goto L_CALL;
L_I32_XOR_ROTL_K: {
    uint32_t a = S(2).u32 ^ S(3).u32, b = (uint32_t)pc[4];
    S(1).u32 = WF_ROTL32(a, b);
    pc += 5;
    NEXT();
}
L_I64_XOR_ROTL_K: {
    uint64_t a = S(2).u64 ^ S(3).u64, b = pc[4];
    S(1).u64 = WF_ROTL64(a, b);
    pc += 5;
    NEXT();
}
    /* f64 arithmetic with its second operand loaded from memory: the
     * address is i32.add(addr, k) (k = 0 for a plain load) + offset. */
#define WF_F64_M(n, OP)                                                       \
L_##n: {                                                                      \
    double v_;                                                                \
    memcpy(&v_, mb + (uint64_t)(uint32_t)(S(3).u32 + (uint32_t)pc[5]) + pc[4], sizeof v_); \
    S(1).f64 = S(2).f64 OP v_;                                                \
    pc += 6;                                                                  \
    NEXT();                                                                   \
}
    WF_F64_M(F64_ADD_M, +)
    WF_F64_M(F64_SUB_M, -)
    WF_F64_M(F64_MUL_M, *)
#undef WF_F64_M
#define WF_LOADOP_X(n, T, f)                                                  \
L_##n##_X: {                                                                  \
    T v_;                                                                     \
    memcpy(&v_, mb + (uint64_t)(uint32_t)(S(2).u32 + S(4).u32) + pc[3], sizeof v_); \
    S(1).f = v_;                                                              \
    pc += 5;                                                                  \
    NEXT();                                                                   \
}
    WF_LOADOPS(WF_LOADOP_X)
#undef WF_LOADOP_X
    /* d = a + k, then branch on d against b (a slot read after the write,
     * so b may be d itself; or an immediate). */
#define WF_ADDBR_OP(n, fi, cond)                                              \
L_ADDK_##n: {                                                                 \
    wf_slot d_ = { .u32 = S(2).u32 + (uint32_t)pc[3] };                       \
    S(1).u32 = d_.u32;                                                        \
    __typeof__(fp->fi) a = d_.fi, b = S(4).fi;                                \
    if (cond) JUMP(pc[5]);                                                    \
    pc += 6;                                                                  \
    NEXT();                                                                   \
}                                                                             \
L_ADDK_##n##_K: {                                                             \
    wf_slot d_ = { .u32 = S(2).u32 + (uint32_t)pc[3] }, k_ = { .u64 = pc[4] }; \
    S(1).u32 = d_.u32;                                                        \
    __typeof__(fp->fi) a = d_.fi, b = k_.fi;                                  \
    if (cond) JUMP(pc[5]);                                                    \
    pc += 6;                                                                  \
    NEXT();                                                                   \
}
    WF_BRCMP_I32(WF_ADDBR_OP)
#undef WF_ADDBR_OP
#define WF_ADDBR_OP(n, fi, cond)                                              \
L_ADD_##n: {                                                                  \
    wf_slot d_ = { .u32 = S(2).u32 + S(3).u32 };                              \
    S(1).u32 = d_.u32;                                                        \
    __typeof__(fp->fi) a = d_.fi, b = S(4).fi;                                \
    if (cond) JUMP(pc[5]);                                                    \
    pc += 6;                                                                  \
    NEXT();                                                                   \
}                                                                             \
L_ADD_##n##_K: {                                                              \
    wf_slot d_ = { .u32 = S(2).u32 + S(3).u32 }, k_ = { .u64 = pc[4] };       \
    S(1).u32 = d_.u32;                                                        \
    __typeof__(fp->fi) a = d_.fi, b = k_.fi;                                  \
    if (cond) JUMP(pc[5]);                                                    \
    pc += 6;                                                                  \
    NEXT();                                                                   \
}
    WF_BRCMP_I32(WF_ADDBR_OP)
#undef WF_ADDBR_OP

trap:
    err = wf_error_new(WF_ERR_TRAP, "%s", trapmsg);
    err->trace = wf_trace_build(inst, pc, fbase, fsp);
fail:
    t->fsp = fbase;
    return err;
}
