/*
 * translate.c - validated WebAssembly function bodies to LLVM IR (the
 * compiled tier's front end; jit_int.h has the calling convention).
 *
 * The body is read again from the module's bytes: it was validated when the
 * module was decoded, so this reader trusts it and keeps only what code
 * generation needs: a stack of LLVM values and a stack of control frames.
 * Locals, block results and loop parameters live in allocas, which LLVM's
 * mem2reg turns into SSA values. Code after an unconditional branch is
 * skipped up to the end of its block.
 *
 * Memory accesses are not bounds checked: the instance's memory lies in a
 * guard reservation (runtime.h), base + 33-bit address, so an access past
 * the end faults and trap.c turns the fault into a trap, as for the
 * interpreter. That makes every access a possible trap, which LLVM does not
 * know of a plain load or store: it deletes a load whose value is unused and
 * moves accesses across each other, so an out-of-bounds access would not
 * trap, or trap after a store that follows it. Every access is therefore
 * volatile: LLVM keeps each one and their order (heap_access). Interrupts
 * are checked at function entries and loop headers (a load and a branch),
 * the native stack at function entries.
 *
 * A module is translated in units (unit.c): calls to a function of the
 * unit are direct; calls to another defined function load its native
 * entry from wf_module.jit_natives (atomically: it is set when that
 * function's unit is installed, maybe while this code runs) and go
 * through wf_jit_rt_call while it is NULL. call_indirect and call_ref do
 * the same for a callee of the same instance. A cheap unit (unit.c) calls its own
 * functions so too, and counts each function's heat (count_heat): jit.c
 * may upgrade any of them later, alone, and every caller must then reach
 * the new code. An upgrade's unit pulls in copies of the small functions
 * it calls (pull_callee), called directly, so they may be inlined.
 *
 * Tail calls: to a compiled function of the same native type (of this
 * unit, or another's once installed, or through a table or reference of
 * this instance) a native jump (musttail). Any other (to a function still
 * interpreted, a host function, another instance's, another signature)
 * cannot be a jump: the function leaves it pending (wf_jit_rt_tail, the
 * callee and its arguments in the thread) and returns at once; whoever
 * called it natively makes the call in its place: the interpreter's
 * JIT_ENTER as one of its own tail calls, rt.c's call helpers, and a
 * compiled call site of a function with tail calls (finish_pending). So a
 * chain of tail calls crossing the tiers runs in constant stack, and code
 * without tail calls pays nothing.
 *
 * v128 (SIMD) values are LLVM <2 x i64> vectors, bitcast to the lane shape
 * each instruction works on (translate_simd below); in engine slots they
 * take two (slot_index).
 *
 * Exceptions: throw and throw_ref call helpers that raise (exn.h);
 * try_table sets a catch point (op_try_table).
 *
 * What the tier does not translate (an unknown opcode, a SIMD instruction
 * without a translation) makes the function fail here: it stays
 * interpreted and callers reach it through a stub calling wf_jit_rt_call.
 */
#include <stddef.h>
#include <stdio.h>

#include "base/vec.h"
#include "wasm/jit/llvm/llvm_int.h"
#include "wasm/leb.h"

enum { K_BLOCK, K_LOOP, K_IF, K_FUNC };

typedef struct ctl {
    uint8_t kind;
    uint32_t nparams, nresults;
    LLVMTypeRef *ptypes, *rtypes;   /* owned */
    LLVMValueRef *res;              /* allocas: results (branch to a block, its end) */
    LLVMValueRef *lvars;            /* allocas: a loop's parameters (branch to a loop) */
    LLVMValueRef *if_params;        /* an if's parameters, for its else arm */
    LLVMBasicBlockRef head, end, els;
    uint32_t height;                /* value stack height under the parameters */
    bool unreachable;               /* the rest of the current arm is dead code */
    uint32_t skip;                  /* nested blocks opened inside dead code */
    LLVMValueRef try_outer;         /* a try_table's: the catch point outside it (wf_thread.exn_jmp) */
    bool end_reached;
} ctl;

/* Module-wide translation state. */
typedef struct tmod {
    const wf_module *m;
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, vd, v128;
    LLVMTypeRef *fty;               /* per function index: native type (NULL: v128) */
    LLVMValueRef *fn;               /* per function index: native function (this unit's only) */
    LLVMValueRef rt[WF_JIT_RT_COUNT_];
    LLVMTypeRef rt_ty[WF_JIT_RT_COUNT_];
    /* Alias classes (TBAA): the wasm memory and the engine's own state
     * (thread, instance, memory and table objects, globals) never overlap,
     * so a store to the wasm memory keeps the memory size, the interrupt
     * flag's address or a global in a register. */
    unsigned md_tbaa, md_invariant;
    LLVMValueRef tbaa_heap, tbaa_engine, md_empty;
    LLVMValueRef intr_slow;         /* the interrupt slow path (interrupt_slow_path) */
    bool any_tail;                  /* a function of the module has tail calls (wf_code.tail_calls) */
    bool cheap;                     /* a cheap unit: counts heat, calls through jit_natives (count_heat) */
    /* An upgrade (pull_callee): the small functions its bodies call
     * directly, pulled in as internal copies; off while they translate. */
    bool pull;
    WF_VEC(uint32_t) pulled;
    const char *prefix;
} tmod;

/* Per-function state. */
typedef struct tfn {
    tmod *tm;
    const wf_functype *ft;
    uint32_t index;
    LLVMValueRef fn, t, inst, mb;
    uint32_t memidx;                /* the memory of the access being translated (read_memarg) */
    LLVMValueRef self_target;       /* where the body's direct calls of itself go (NULL: fn) */
    uint32_t self_calls;            /* direct calls of itself seen */
    LLVMBasicBlockRef allocas;      /* the entry block: allocas only, then a branch */
    LLVMBuilderRef AB;              /* positioned in allocas */
    LLVMValueRef callbuf;           /* placeholder for the slots buffer of helper calls */
    LLVMValueRef natives;           /* the module's wf_module.jit_natives, loaded at entry */
    LLVMValueRef heat;              /* cheap: this function's counter in wf_module.jit_heat */
    uint32_t callbuf_slots;
    LLVMValueRef *locals;
    LLVMTypeRef *local_ty;
    uint32_t nlocals;
    LLVMBasicBlockRef traps[WF_JIT_TRAP_COUNT_];
    bool has_try;                   /* a try_table: locals live in memory (op_try_table) */
    WF_VEC(LLVMValueRef) st;
    WF_VEC(ctl) cs;
    wf_reader r;
    char why[160];
} tfn;

/* An inline-asm operand in a float register, tied to the result. */
#if defined(__aarch64__)
#define WF_FREG_CONSTRAINT "=w,0"
#else
#define WF_FREG_CONSTRAINT "=x,0"
#endif

/* Recursion unrolling (unroll_recursion): the body size in bytes up to
 * which a function calling itself is unrolled, and how many copies. */
#define WF_JIT_RECURSION_BODY_MAX 160
#define WF_JIT_RECURSION_COPIES 3

#define FAIL(f, ...) do { snprintf((f)->why, sizeof (f)->why, __VA_ARGS__); return false; } while (0)

/* ---- types ----------------------------------------------------------- */

static LLVMTypeRef val_type(tmod *tm, wf_valtype v)
{
    switch (v.kind) {
    case WF_I32: return tm->i32;
    case WF_I64: return tm->i64;
    case WF_F32: return tm->f32;
    case WF_F64: return tm->f64;
    case WF_REF: return tm->ptr;
    case WF_V128: return tm->v128;
    default: return NULL;
    }
}

/* The engine slot where value i of vs[] starts (a v128 takes two). */
static uint32_t slot_index(const wf_valtype *vs, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < i; k++) n += wf_valtype_slots(vs[k]);
    return n;
}

static LLVMTypeRef ret_type(tmod *tm, const wf_functype *ft)
{
    if (ft->nresults == 0) return tm->vd;
    LLVMTypeRef el[ft->nresults];
    for (uint32_t i = 0; i < ft->nresults; i++)
        if (!(el[i] = val_type(tm, ft->results[i]))) return NULL;
    if (ft->nresults == 1) return el[0];
    return LLVMStructTypeInContext(tm->C, el, ft->nresults, 0);
}

/* The native type of functions of type ft; NULL when a value is v128. */
static LLVMTypeRef native_type(tmod *tm, const wf_functype *ft)
{
    LLVMTypeRef ret = ret_type(tm, ft);
    if (!ret) return NULL;
    uint32_t n = 3 + ft->nparams;
    LLVMTypeRef ps[n];
    ps[0] = ps[1] = ps[2] = tm->ptr;
    for (uint32_t i = 0; i < ft->nparams; i++)
        if (!(ps[3 + i] = val_type(tm, ft->params[i]))) return NULL;
    return LLVMFunctionType(ret, ps, n, 0);
}

/* ---- small builders ---------------------------------------------------- */

static LLVMValueRef k32(tmod *tm, uint64_t v) { return LLVMConstInt(tm->i32, v, 0); }
static LLVMValueRef k64(tmod *tm, uint64_t v) { return LLVMConstInt(tm->i64, v, 0); }

/* base + off, as a pointer. */
static LLVMValueRef at(tfn *f, LLVMValueRef base, uint64_t off)
{
    if (!off) return base;
    LLVMValueRef idx = k64(f->tm, off);
    return LLVMBuildInBoundsGEP2(f->tm->B, f->tm->i8, base, &idx, 1, "");
}

/* The same with builder b. */
static LLVMValueRef at_in(tfn *f, LLVMBuilderRef b, LLVMValueRef base, uint64_t off)
{
    if (!off) return base;
    LLVMValueRef idx = k64(f->tm, off);
    return LLVMBuildInBoundsGEP2(b, f->tm->i8, base, &idx, 1, "");
}

/* An access to the engine's state (not the wasm memory); fixed: the
 * location never changes while the instance lives (its arrays of memories,
 * tables, globals and functions, a function's fields), so LLVM may load it
 * once and hoist it anywhere. */
static LLVMValueRef engine_access(tfn *f, LLVMValueRef access, bool fixed)
{
    tmod *tm = f->tm;
    LLVMSetMetadata(access, tm->md_tbaa, tm->tbaa_engine);
    if (fixed) LLVMSetMetadata(access, tm->md_invariant, tm->md_empty);
    return access;
}

static LLVMValueRef load_at(tfn *f, LLVMTypeRef ty, LLVMValueRef base, uint64_t off)
{
    return engine_access(f, LLVMBuildLoad2(f->tm->B, ty, at(f, base, off), ""), false);
}

static LLVMValueRef load_fixed(tfn *f, LLVMTypeRef ty, LLVMValueRef base, uint64_t off)
{
    return engine_access(f, LLVMBuildLoad2(f->tm->B, ty, at(f, base, off), ""), true);
}

/* ptrs[i] of an array of pointers at base + off (the array's address is
 * fixed; its elements when elems_fixed). */
static LLVMValueRef load_elem(tfn *f, LLVMValueRef base, uint64_t off, LLVMValueRef i, bool elems_fixed)
{
    tmod *tm = f->tm;
    LLVMValueRef arr = load_fixed(f, tm->ptr, base, off);
    LLVMValueRef p = LLVMBuildInBoundsGEP2(tm->B, tm->ptr, arr, &i, 1, "");
    return engine_access(f, LLVMBuildLoad2(tm->B, tm->ptr, p, ""), elems_fixed);
}

/* ptrs[i] of an array of pointers whose address is at base + off and may
 * change (a table's elements, moved when it grows). */
static LLVMValueRef load_elem_var(tfn *f, LLVMValueRef base, uint64_t off, LLVMValueRef i)
{
    tmod *tm = f->tm;
    LLVMValueRef arr = load_at(f, tm->ptr, base, off);
    LLVMValueRef p = LLVMBuildInBoundsGEP2(tm->B, tm->ptr, arr, &i, 1, "");
    return engine_access(f, LLVMBuildLoad2(tm->B, tm->ptr, p, ""), false);
}

static LLVMValueRef call_rt(tfn *f, int which, LLVMValueRef *args, unsigned n)
{
    tmod *tm = f->tm;
    return LLVMBuildCall2(tm->B, tm->rt_ty[which], tm->rt[which], args, n, "");
}

static LLVMValueRef intrinsic(tfn *f, const char *name, LLVMTypeRef *tys, unsigned ntys,
                              LLVMValueRef *args, unsigned nargs)
{
    tmod *tm = f->tm;
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(tm->M, id, tys, ntys);
    LLVMTypeRef fty = LLVMIntrinsicGetType(tm->C, id, tys, ntys);
    return LLVMBuildCall2(tm->B, fty, fn, args, nargs, "");
}

static LLVMValueRef new_alloca(tfn *f, LLVMTypeRef ty)
{
    return LLVMBuildAlloca(f->AB, ty, "");
}

static LLVMBasicBlockRef new_block(tfn *f, const char *name)
{
    return LLVMAppendBasicBlockInContext(f->tm->C, f->fn, name);
}

/* A block that raises trap `code` (one per function and code). */
static LLVMBasicBlockRef trap_block(tfn *f, int code)
{
    if (f->traps[code]) return f->traps[code];
    tmod *tm = f->tm;
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(tm->B);
    LLVMBasicBlockRef bb = new_block(f, "trap");
    LLVMPositionBuilderAtEnd(tm->B, bb);
    LLVMValueRef args[2] = { f->t, k32(tm, (uint64_t)code) };
    call_rt(f, WF_JIT_RT_wf_jit_rt_trap, args, 2);
    LLVMBuildUnreachable(tm->B);
    LLVMPositionBuilderAtEnd(tm->B, cur);
    f->traps[code] = bb;
    return bb;
}

/* Trap with `code` when cond holds; continue in a fresh block. */
static void trap_if(tfn *f, LLVMValueRef cond, int code)
{
    LLVMBasicBlockRef ok = new_block(f, "ok");
    LLVMBuildCondBr(f->tm->B, cond, trap_block(f, code), ok);
    LLVMPositionBuilderAtEnd(f->tm->B, ok);
}

/* The interrupt flag is read at every function entry and loop header: one
 * load (the flag's address stays in a register), a compare and a branch to
 * interrupt_slow_path, which keeps every register of the loop: a float
 * kept in a register across the loop is not spilled for a call that almost
 * never happens. */
static void check_interrupt(tfn *f)
{
    tmod *tm = f->tm;
    /* The flag's address is fixed while this frame runs: a nested call that
     * sets another (runtime.c) restores it before it returns. */
    LLVMValueRef flagp = load_fixed(f, tm->ptr, f->t, offsetof(wf_thread, interrupt));
    LLVMValueRef v = LLVMBuildLoad2(tm->B, tm->i32, flagp, "");
    LLVMSetOrdering(v, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(v, 4);
    engine_access(f, v, false);
    /* Nonzero: the runtime decides (a yield request goes on after it). */
    LLVMBasicBlockRef slow = new_block(f, "interrupt"), ok = new_block(f, "ok");
    LLVMBuildCondBr(tm->B, LLVMBuildICmp(tm->B, LLVMIntNE, v, k32(tm, 0), ""), slow, ok);
    LLVMPositionBuilderAtEnd(tm->B, slow);
    LLVMTypeRef sty = LLVMGlobalGetValueType(tm->intr_slow);
    LLVMValueRef call = LLVMBuildCall2(tm->B, sty, tm->intr_slow, &f->t, 1, "");
    LLVMSetInstructionCallConv(call, LLVMGetFunctionCallConv(tm->intr_slow));
    LLVMBuildBr(tm->B, ok);
    LLVMPositionBuilderAtEnd(tm->B, ok);
}

/* Cheap code counts its heat (jit.c upgrades the hottest functions): one
 * increment of the function's counter in wf_module.jit_heat at its entry
 * and at each loop header. Relaxed, not atomic: increments racing on
 * several threads may lose a few, which a measure of heat allows. The
 * counter's address is computed once, in the entry block. */
static void count_heat(tfn *f)
{
    tmod *tm = f->tm;
    if (!tm->cheap) return;
    if (!f->heat) {
        LLVMValueRef mod = LLVMBuildLoad2(f->AB, tm->ptr, at_in(f, f->AB, f->inst, offsetof(wf_instance, module)), "");
        engine_access(f, mod, true);
        LLVMValueRef arr = LLVMBuildLoad2(f->AB, tm->ptr, at_in(f, f->AB, mod, offsetof(wf_module, jit_heat)), "heat");
        engine_access(f, arr, true);
        LLVMValueRef k = k64(tm, f->index - tm->m->nfunc_imports);
        f->heat = LLVMBuildInBoundsGEP2(f->AB, tm->i32, arr, &k, 1, "");
    }
    LLVMValueRef v = LLVMBuildLoad2(tm->B, tm->i32, f->heat, "");
    LLVMSetOrdering(v, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(v, 4);
    engine_access(f, v, false);
    LLVMValueRef st = LLVMBuildStore(tm->B, LLVMBuildAdd(tm->B, v, k32(tm, 1), ""), f->heat);
    LLVMSetOrdering(st, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(st, 4);
    engine_access(f, st, false);
}

/* The native stack pointer, for the stack check at function entries. The
 * stack register itself where LLVM can read it: llvm.frameaddress would
 * make every function keep a frame pointer, one register less. */
static LLVMValueRef stack_pointer(tfn *f)
{
    tmod *tm = f->tm;
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
    const char *reg = "rsp";
#else
    const char *reg = "sp";
#endif
    LLVMMetadataRef name = LLVMMDStringInContext2(tm->C, reg, strlen(reg));
    LLVMValueRef md = LLVMMetadataAsValue(tm->C, LLVMMDNodeInContext2(tm->C, &name, 1));
    return intrinsic(f, "llvm.read_register", &tm->i64, 1, &md, 1);
#else
    LLVMValueRef zero = k32(tm, 0);
    LLVMValueRef fa = intrinsic(f, "llvm.frameaddress", &tm->ptr, 1, &zero, 1);
    return LLVMBuildPtrToInt(tm->B, fa, tm->i64, "");
#endif
}

/* ---- the value stack --------------------------------------------------- */

static void push(tfn *f, LLVMValueRef v) { wf_vec_push(&f->st, v); }
static LLVMValueRef pop(tfn *f) { return f->st.data[--f->st.len]; }
static LLVMValueRef top(tfn *f) { return f->st.data[f->st.len - 1]; }

/* Values as engine slots (8 bytes each) and back, for helper calls. */
static void to_slot(tfn *f, LLVMValueRef v, LLVMValueRef slotp)
{
    tmod *tm = f->tm;
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (ty == tm->i32) v = LLVMBuildZExt(tm->B, v, tm->i64, "");
    else if (ty == tm->f32) v = LLVMBuildZExt(tm->B, LLVMBuildBitCast(tm->B, v, tm->i32, ""), tm->i64, "");
    else if (ty == tm->f64) v = LLVMBuildBitCast(tm->B, v, tm->i64, "");
    LLVMValueRef s = LLVMBuildStore(tm->B, v, slotp);
    LLVMSetAlignment(s, 8);     /* a v128's two slots are 8-aligned */
    engine_access(f, s, false);
}

static LLVMValueRef from_slot(tfn *f, LLVMTypeRef ty, LLVMValueRef slotp)
{
    LLVMValueRef l = LLVMBuildLoad2(f->tm->B, ty, slotp, "");
    LLVMSetAlignment(l, 8);
    return engine_access(f, l, false);
}

static LLVMValueRef slot_ptr(tfn *f, LLVMValueRef base, uint32_t i)
{
    return at(f, base, (uint64_t)i * 8);
}

/* The shared slots buffer of helper calls, with room for n slots. */
static LLVMValueRef callbuf(tfn *f, uint32_t n)
{
    if (n > f->callbuf_slots) f->callbuf_slots = n;
    return f->callbuf;
}

/* Call through the slots buffer: arguments from the stack, the helper
 * called by emit_helper, results back onto the stack. */
static void slots_call(tfn *f, const wf_functype *ft, int helper, LLVMValueRef arg3)
{
    tmod *tm = f->tm;
    uint32_t np = ft->nparams, nr = ft->nresults;
    LLVMValueRef buf = callbuf(f, WF_MAX(ft->param_slots, ft->result_slots));
    for (uint32_t i = np; i-- > 0;) to_slot(f, pop(f), slot_ptr(f, buf, slot_index(ft->params, i)));
    LLVMValueRef args[4] = { f->t, f->inst, arg3, buf };
    call_rt(f, helper, args, 4);
    for (uint32_t i = 0; i < nr; i++)
        push(f, from_slot(f, val_type(tm, ft->results[i]), slot_ptr(f, buf, slot_index(ft->results, i))));
}

/* throw (exn.h): the tag's parameters to the slots buffer, then the
 * helper, which does not return. */
static void op_throw(tfn *f, uint32_t tag)
{
    tmod *tm = f->tm;
    const wf_functype *ft = tm->m->tags[tag];
    LLVMValueRef buf = callbuf(f, ft->param_slots);
    for (uint32_t i = ft->nparams; i-- > 0;) to_slot(f, pop(f), slot_ptr(f, buf, slot_index(ft->params, i)));
    LLVMValueRef args[4] = { f->t, f->inst, k32(tm, tag), buf };
    call_rt(f, WF_JIT_RT_wf_jit_rt_throw, args, 4);
    LLVMBuildUnreachable(tm->B);
}

/* ---- control ------------------------------------------------------------- */

static bool read_blocktype(tfn *f, const wf_functype **ft_out, wf_valtype *single, int *kind)
{
    /* kind 0: empty, 1: one value type, 2: a type index */
    uint8_t b;
    if (!wf_peek_u8(&f->r, &b)) return false;
    if (b == 0x40) {
        f->r.p++;
        *kind = 0;
        return true;
    }
    if (b == 0x7F || b == 0x7E || b == 0x7D || b == 0x7C || b == 0x7B || b == 0x70 ||
        b == 0x6F || b == 0x63 || b == 0x64 || (b >= 0x69 && b <= 0x74)) {
        f->r.p++;
        *kind = 1;
        switch (b) {
        case 0x7F: *single = WF_TYPE_I32; break;
        case 0x7E: *single = WF_TYPE_I64; break;
        case 0x7D: *single = WF_TYPE_F32; break;
        case 0x7C: *single = WF_TYPE_F64; break;
        case 0x7B: *single = (wf_valtype){ WF_V128, 0, 0, 0 }; break;
        case 0x63: case 0x64: {
            int64_t ht;
            if (!wf_read_s33(&f->r, &ht)) return false;
            *single = WF_TYPE_FUNCREF;
            break;
        }
        default: *single = WF_TYPE_FUNCREF; break;     /* any reference: a pointer */
        }
        return true;
    }
    int64_t idx;
    if (!wf_read_s33(&f->r, &idx)) return false;
    *kind = 2;
    *ft_out = f->tm->m->types[idx].func;
    return true;
}

static ctl *push_ctl(tfn *f, uint8_t kind, const wf_functype *ft, int bkind, wf_valtype single)
{
    tmod *tm = f->tm;
    ctl c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (bkind == 2) {
        c.nparams = ft->nparams;
        c.nresults = ft->nresults;
    } else {
        c.nresults = bkind == 1;
    }
    c.ptypes = wf_xcalloc(c.nparams + 1, sizeof *c.ptypes);
    c.rtypes = wf_xcalloc(c.nresults + 1, sizeof *c.rtypes);
    for (uint32_t i = 0; i < c.nparams; i++) c.ptypes[i] = val_type(tm, ft->params[i]);
    if (bkind == 2)
        for (uint32_t i = 0; i < c.nresults; i++) c.rtypes[i] = val_type(tm, ft->results[i]);
    else if (bkind == 1)
        c.rtypes[0] = val_type(tm, single);
    c.res = wf_xcalloc(c.nresults + 1, sizeof *c.res);
    for (uint32_t i = 0; i < c.nresults; i++) c.res[i] = new_alloca(f, c.rtypes[i]);
    c.height = (uint32_t)f->st.len - c.nparams;
    wf_vec_push(&f->cs, c);
    return &f->cs.data[f->cs.len - 1];
}

static void free_ctl(ctl *c)
{
    free(c->ptypes);
    free(c->rtypes);
    free(c->res);
    free(c->lvars);
    free(c->if_params);
}

static bool types_ok(tfn *f, LLVMTypeRef *tys, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!tys[i]) FAIL(f, "v128 values are not compiled");
    return true;
}

/* Return the top nresults values of the stack from the function. */
static void build_return(tfn *f)
{
    tmod *tm = f->tm;
    uint32_t n = f->ft->nresults;
    if (n == 0) {
        LLVMBuildRetVoid(tm->B);
        return;
    }
    LLVMValueRef *v = &f->st.data[f->st.len - n];
    if (n == 1) {
        LLVMBuildRet(tm->B, v[0]);
        return;
    }
    LLVMBuildAggregateRet(tm->B, v, n);
}

/* Branch to label depth d with the values on top of the stack (they stay
 * there: br_if and br_table continue with them). */
static void leave_tries(tfn *f, uint32_t d);
static void branch_to(tfn *f, uint32_t d)
{
    tmod *tm = f->tm;
    leave_tries(f, d);
    ctl *c = &f->cs.data[f->cs.len - 1 - d];
    if (c->kind == K_FUNC) {
        build_return(f);
        return;
    }
    if (c->kind == K_LOOP) {
        for (uint32_t i = 0; i < c->nparams; i++)
            LLVMBuildStore(tm->B, f->st.data[f->st.len - c->nparams + i], c->lvars[i]);
        LLVMBuildBr(tm->B, c->head);
        return;
    }
    for (uint32_t i = 0; i < c->nresults; i++)
        LLVMBuildStore(tm->B, f->st.data[f->st.len - c->nresults + i], c->res[i]);
    c->end_reached = true;
    LLVMBuildBr(tm->B, c->end);
}

static ctl *cur(tfn *f) { return &f->cs.data[f->cs.len - 1]; }

/* The thread's innermost catch point (wf_thread.exn_jmp) becomes v. */
static void set_catch_point(tfn *f, LLVMValueRef v)
{
    LLVMBuildStore(f->tm->B, v, at(f, f->t, offsetof(wf_thread, exn_jmp)));
}

/* A branch to label depth d leaves the try_tables up to it (its own too:
 * a branch to a try_table's label is to its end): the catch point goes
 * back to the one outside the outermost. */
static void leave_tries(tfn *f, uint32_t d)
{
    if (!f->has_try) return;
    LLVMValueRef outer = NULL;
    for (uint32_t i = 0; i <= d && i < f->cs.len; i++)
        if (f->cs.data[f->cs.len - 1 - i].try_outer) outer = f->cs.data[f->cs.len - 1 - i].try_outer;
    if (outer) set_catch_point(f, outer);
}

/* The rest of the current arm is dead. */
static void set_unreachable(tfn *f)
{
    cur(f)->unreachable = true;
    cur(f)->skip = 0;
}

static bool op_block(tfn *f, uint8_t op)
{
    tmod *tm = f->tm;
    const wf_functype *bft = NULL;
    wf_valtype single = WF_TYPE_I32;
    int bkind;
    if (!read_blocktype(f, &bft, &single, &bkind)) return false;
    if (cur(f)->unreachable) {
        cur(f)->skip++;
        return true;
    }
    LLVMValueRef cond = op == 0x04 ? pop(f) : NULL;
    ctl *c = push_ctl(f, op == 0x02 ? K_BLOCK : op == 0x03 ? K_LOOP : K_IF, bft, bkind, single);
    if (!types_ok(f, c->ptypes, c->nparams) || !types_ok(f, c->rtypes, c->nresults)) return false;
    c->end = new_block(f, "end");
    if (op == 0x03) {
        c->lvars = wf_xcalloc(c->nparams + 1, sizeof *c->lvars);
        for (uint32_t i = 0; i < c->nparams; i++) {
            c->lvars[i] = new_alloca(f, c->ptypes[i]);
            LLVMBuildStore(tm->B, f->st.data[c->height + i], c->lvars[i]);
        }
        c->head = new_block(f, "loop");
        LLVMBuildBr(tm->B, c->head);
        LLVMPositionBuilderAtEnd(tm->B, c->head);
        f->st.len = c->height;
        for (uint32_t i = 0; i < c->nparams; i++)
            push(f, LLVMBuildLoad2(tm->B, c->ptypes[i], c->lvars[i], ""));
        check_interrupt(f);
        count_heat(f);
    } else if (op == 0x04) {
        c->if_params = wf_xcalloc(c->nparams + 1, sizeof *c->if_params);
        for (uint32_t i = 0; i < c->nparams; i++) c->if_params[i] = f->st.data[c->height + i];
        LLVMBasicBlockRef then = new_block(f, "then");
        c->els = new_block(f, "else");
        LLVMValueRef b = LLVMBuildICmp(tm->B, LLVMIntNE, cond, k32(tm, 0), "");
        LLVMBuildCondBr(tm->B, b, then, c->els);
        LLVMPositionBuilderAtEnd(tm->B, then);
    }
    return true;
}

/* Fall out of the current arm into its end block with the results. */
static void fall_to_end(tfn *f, ctl *c)
{
    tmod *tm = f->tm;
    if (c->unreachable) return;
    for (uint32_t i = 0; i < c->nresults; i++)
        LLVMBuildStore(tm->B, f->st.data[f->st.len - c->nresults + i], c->res[i]);
    c->end_reached = true;
    LLVMBuildBr(tm->B, c->end);
}

static bool op_else(tfn *f)
{
    tmod *tm = f->tm;
    ctl *c = cur(f);
    if (c->unreachable && c->skip) return true;     /* a nested dead if's */
    fall_to_end(f, c);
    f->st.len = c->height;
    for (uint32_t i = 0; i < c->nparams; i++) push(f, c->if_params[i]);
    LLVMPositionBuilderAtEnd(tm->B, c->els);
    c->els = NULL;
    c->unreachable = false;
    return true;
}

/* `end`; *done when it ended the function. */
static bool op_end(tfn *f, bool *done)
{
    tmod *tm = f->tm;
    ctl *c = cur(f);
    if (c->unreachable && c->skip) {
        c->skip--;
        return true;
    }
    /* falling out of a try_table leaves it */
    if (c->try_outer && !c->unreachable) set_catch_point(f, c->try_outer);
    fall_to_end(f, c);
    if (c->els) {
        /* An if without else passes its parameters through. */
        LLVMPositionBuilderAtEnd(tm->B, c->els);
        for (uint32_t i = 0; i < c->nresults; i++) LLVMBuildStore(tm->B, c->if_params[i], c->res[i]);
        c->end_reached = true;
        LLVMBuildBr(tm->B, c->end);
    }
    LLVMPositionBuilderAtEnd(tm->B, c->end);
    f->st.len = c->height;
    bool reached = c->end_reached;
    if (reached)
        for (uint32_t i = 0; i < c->nresults; i++)
            push(f, LLVMBuildLoad2(tm->B, c->rtypes[i], c->res[i], ""));
    bool is_func = c->kind == K_FUNC;
    ctl done_c = *c;
    f->cs.len--;
    free_ctl(&done_c);
    if (is_func) {
        if (reached) build_return(f);
        else LLVMBuildUnreachable(tm->B);
        *done = true;
        return true;
    }
    if (!reached) {
        LLVMBuildUnreachable(tm->B);
        set_unreachable(f);
    }
    return true;
}

static void op_br_if(tfn *f, uint32_t d)
{
    tmod *tm = f->tm;
    LLVMValueRef cond = pop(f);
    LLVMBasicBlockRef taken = new_block(f, "br"), cont = new_block(f, "cont");
    LLVMBuildCondBr(tm->B, LLVMBuildICmp(tm->B, LLVMIntNE, cond, k32(tm, 0), ""), taken, cont);
    LLVMPositionBuilderAtEnd(tm->B, taken);
    branch_to(f, d);
    LLVMPositionBuilderAtEnd(tm->B, cont);
}

static bool op_br_table(tfn *f)
{
    tmod *tm = f->tm;
    uint32_t n;
    if (!wf_read_u32(&f->r, &n)) return false;
    uint32_t *labels = wf_xmalloc(((size_t)n + 1) * sizeof *labels);
    for (uint32_t i = 0; i <= n; i++)
        if (!wf_read_u32(&f->r, &labels[i])) {
            free(labels);
            return false;
        }
    if (cur(f)->unreachable) {
        free(labels);
        return true;
    }
    LLVMValueRef idx = pop(f);
    /* One block per distinct depth. */
    uint32_t ndepth = (uint32_t)f->cs.len;
    LLVMBasicBlockRef *per = wf_xcalloc(ndepth, sizeof *per);
    LLVMBasicBlockRef here = LLVMGetInsertBlock(tm->B);
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t d = labels[i];
        if (per[d]) continue;
        per[d] = new_block(f, "brt");
        LLVMPositionBuilderAtEnd(tm->B, per[d]);
        branch_to(f, d);
    }
    LLVMPositionBuilderAtEnd(tm->B, here);
    LLVMValueRef sw = LLVMBuildSwitch(tm->B, idx, per[labels[n]], n);
    for (uint32_t i = 0; i < n; i++) LLVMAddCase(sw, k32(tm, i), per[labels[i]]);
    free(per);
    free(labels);
    set_unreachable(f);
    return true;
}

/* try_table (exn.h). Entering it makes a catch point: a jmp_buf in the
 * frame, the thread's exn_jmp pointing at it (the one outside kept),
 * _setjmp. An exception raised below (a throw here or in a callee, of
 * either tier) comes back from _setjmp a second time into the dispatch,
 * which puts the outer catch point back and tries the catch clauses in
 * order (wf_jit_rt_catch), branching to the first that matches with the
 * payload (and the exnref), else raising the exception on. Every way
 * out of the body puts the outer catch point back too (leave_tries,
 * op_end). The locals of a function with a try_table are read and
 * written volatile: after the second return from _setjmp they must hold
 * what the body last stored, not what registers held at the first; the
 * stack values the dispatch uses were all made before the _setjmp. */
static bool op_try_table(tfn *f)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    const wf_functype *bft = NULL;
    wf_valtype single = WF_TYPE_I32;
    int bkind;
    uint32_t n;
    if (!read_blocktype(f, &bft, &single, &bkind) || !wf_read_u32(&f->r, &n)) return false;
    if (n > wf_reader_left(&f->r)) FAIL(f, "unreadable try_table");
    struct clause { uint8_t kind; uint32_t tag, depth; } *k = wf_xmalloc(((size_t)n + 1) * sizeof *k);
    for (uint32_t i = 0; i < n; i++) {
        k[i].tag = UINT32_MAX;
        if (!wf_read_u8(&f->r, &k[i].kind) || (k[i].kind < 2 && !wf_read_u32(&f->r, &k[i].tag)) ||
            !wf_read_u32(&f->r, &k[i].depth)) {
            free(k);
            return false;
        }
    }
    if (cur(f)->unreachable) {
        cur(f)->skip++;
        free(k);
        return true;
    }
    LLVMValueRef slot = at(f, f->t, offsetof(wf_thread, exn_jmp));
    LLVMValueRef outer = LLVMBuildLoad2(B, tm->ptr, slot, "outer");
    LLVMValueRef jb = LLVMBuildAlloca(f->AB, LLVMArrayType(tm->i8, sizeof(jmp_buf)), "jb");
    LLVMSetAlignment(jb, 16);
    LLVMBuildStore(B, jb, slot);
    LLVMValueRef again = call_rt(f, WF_JIT_RT__setjmp, &jb, 1);
    unsigned rt2 = LLVMGetEnumAttributeKindForName("returns_twice", 13);
    LLVMAddCallSiteAttribute(again, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(tm->C, rt2, 0));
    LLVMBasicBlockRef body_bb = new_block(f, "try"), disp = new_block(f, "catch");
    LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, again, k32(tm, 0), ""), disp, body_bb);

    LLVMPositionBuilderAtEnd(B, disp);
    LLVMBuildStore(B, outer, slot);
    LLVMValueRef exn = LLVMBuildLoad2(B, tm->ptr, at(f, f->t, offsetof(wf_thread, exn)), "exn");
    for (uint32_t i = 0; i < n; i++) {
        const wf_functype *tt = k[i].kind < 2 ? tm->m->tags[k[i].tag] : NULL;
        LLVMValueRef buf = callbuf(f, tt ? tt->param_slots : 1);
        uint32_t clause = (k[i].kind < 2 ? k[i].tag : WF_JIT_CATCH_ANY) | (k[i].kind & 1 ? WF_JIT_CATCH_REF : 0);
        LLVMValueRef args[4] = { f->t, f->inst, k32(tm, clause), buf };
        LLVMValueRef hit = call_rt(f, WF_JIT_RT_wf_jit_rt_catch, args, 4);
        LLVMBasicBlockRef yes = new_block(f, "caught"), no = new_block(f, "next");
        LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, hit, k32(tm, 0), ""), yes, no);
        LLVMPositionBuilderAtEnd(B, yes);
        size_t height = f->st.len;
        if (tt)
            for (uint32_t p = 0; p < tt->nparams; p++)
                push(f, from_slot(f, val_type(tm, tt->params[p]), slot_ptr(f, buf, slot_index(tt->params, p))));
        if (k[i].kind & 1) push(f, exn);
        branch_to(f, k[i].depth);
        f->st.len = height;
        LLVMPositionBuilderAtEnd(B, no);
    }
    LLVMValueRef on[2] = { f->t, exn };
    call_rt(f, WF_JIT_RT_wf_jit_rt_throw_ref, on, 2);
    LLVMBuildUnreachable(B);
    free(k);

    LLVMPositionBuilderAtEnd(B, body_bb);
    ctl *c = push_ctl(f, K_BLOCK, bft, bkind, single);
    if (!types_ok(f, c->ptypes, c->nparams) || !types_ok(f, c->rtypes, c->nresults)) return false;
    c->end = new_block(f, "end");
    c->try_outer = outer;
    return true;
}

/* ---- calls ---------------------------------------------------------------- */

static LLVMValueRef *pop_args(tfn *f, uint32_t np, LLVMValueRef *args)
{
    args[0] = f->t;
    args[1] = f->inst;
    args[2] = f->mb;
    for (uint32_t i = np; i-- > 0;) args[3 + i] = pop(f);
    return args;
}

static bool same_native(tfn *f, const wf_functype *ft)
{
    return native_type(f->tm, ft) == native_type(f->tm, f->ft);
}

static bool call_native_or(tfn *f, LLVMValueRef fp, LLVMValueRef native, const wf_functype *ft, uint32_t fi,
                           LLVMValueRef ref, bool tail);

/* The module's table of native functions (wf_module.jit_natives), loaded
 * once in the entry block on first use. */
static LLVMValueRef natives(tfn *f)
{
    tmod *tm = f->tm;
    if (!f->natives) {
        LLVMValueRef mod = LLVMBuildLoad2(f->AB, tm->ptr, at_in(f, f->AB, f->inst, offsetof(wf_instance, module)), "");
        f->natives = LLVMBuildLoad2(f->AB, tm->ptr, at_in(f, f->AB, mod, offsetof(wf_module, jit_natives)), "natives");
    }
    return f->natives;
}

/* natives[k]: another thread may install the entry while this code runs
 * (jit.c): an atomic (unordered) load, NULL until then. */
static LLVMValueRef native_entry(tfn *f, LLVMValueRef k)
{
    tmod *tm = f->tm;
    LLVMValueRef p = LLVMBuildInBoundsGEP2(tm->B, tm->ptr, natives(f), &k, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(tm->B, tm->ptr, p, "");
    LLVMSetOrdering(v, LLVMAtomicOrderingUnordered);
    LLVMSetAlignment(v, 8);
    return v;
}

/* Whether a native call of function fi may return with a tail call
 * pending (its body has tail calls). */
static bool may_pend(tmod *tm, uint32_t fi)
{
    return fi >= tm->m->nfunc_imports && tm->m->funcs[fi].code->tail_calls;
}

/* vals[0..nr): the results of a native call just made (in the current
 * block). When it left a tail call pending (wf_thread.tail_callee), make
 * that call (wf_jit_rt_tail_finish) and take its results instead; vals
 * then hold the joined values. */
static void finish_pending(tfn *f, const wf_functype *ft, LLVMValueRef *vals)
{
    tmod *tm = f->tm;
    uint32_t nr = ft->nresults;
    LLVMValueRef pend = load_at(f, tm->ptr, f->t, offsetof(wf_thread, tail_callee));
    LLVMBasicBlockRef done = new_block(f, "returned"), finish = new_block(f, "tail_pending");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(tm->B);
    LLVMValueRef br = LLVMBuildCondBr(tm->B, LLVMBuildIsNull(tm->B, pend, ""), done, finish);
    (void)br;
    LLVMPositionBuilderAtEnd(tm->B, finish);
    LLVMValueRef buf = callbuf(f, ft->result_slots);
    LLVMValueRef args[3] = { f->t, f->inst, buf };
    call_rt(f, WF_JIT_RT_wf_jit_rt_tail_finish, args, 3);
    LLVMValueRef svals[nr + 1];
    for (uint32_t i = 0; i < nr; i++)
        svals[i] = from_slot(f, val_type(tm, ft->results[i]), slot_ptr(f, buf, slot_index(ft->results, i)));
    LLVMBasicBlockRef finish_end = LLVMGetInsertBlock(tm->B);
    LLVMBuildBr(tm->B, done);
    LLVMPositionBuilderAtEnd(tm->B, done);
    for (uint32_t i = 0; i < nr; i++) {
        LLVMValueRef phi = LLVMBuildPhi(tm->B, val_type(tm, ft->results[i]), "");
        LLVMValueRef v[2] = { vals[i], svals[i] };
        LLVMBasicBlockRef bbs[2] = { from, finish_end };
        LLVMAddIncoming(phi, v, bbs, 2);
        vals[i] = phi;
    }
}

/* The results of a native call as values (void, a value or a struct). */
static void call_results(tfn *f, LLVMValueRef call, uint32_t nr, LLVMValueRef *vals)
{
    for (uint32_t i = 0; i < nr; i++) vals[i] = nr == 1 ? call : LLVMBuildExtractValue(f->tm->B, call, i, "");
}

/* A tail call of the wf_func * callee (of type ft, its arguments on the
 * stack) that cannot be a native jump: left pending (wf_jit_rt_tail) for
 * this function's native caller to make, and return. */
static void pend_tail(tfn *f, LLVMValueRef callee, const wf_functype *ft)
{
    tmod *tm = f->tm;
    uint32_t np = ft->nparams;
    LLVMValueRef buf = callbuf(f, ft->param_slots);
    for (uint32_t i = np; i-- > 0;) to_slot(f, pop(f), slot_ptr(f, buf, slot_index(ft->params, i)));
    LLVMValueRef args[4] = { f->t, f->inst, callee, buf };
    call_rt(f, WF_JIT_RT_wf_jit_rt_tail, args, 4);
    /* The results are the callee's, delivered by whoever makes the call. */
    uint32_t nr = f->ft->nresults;
    for (uint32_t i = 0; i < nr; i++) push(f, LLVMConstNull(val_type(tm, f->ft->results[i])));
    build_return(f);
    f->st.len -= nr;
    set_unreachable(f);
}

/* inst->funcs[fi], the wf_func * of function fi. */
static LLVMValueRef func_object(tfn *f, uint32_t fi)
{
    return load_elem(f, f->inst, offsetof(wf_instance, funcs), k64(f->tm, fi), true);
}

/* An upgrade is one function compiled alone (jit.c's tier-up), so the
 * small functions it calls (most of them at the full level already, in
 * other units) would be calls through jit_natives: copies of them in its
 * unit (internal, not in its table) are called directly and LLVM may
 * inline them. Functions up to WF_JIT_PULL_BYTES of code, one level deep. */
#define WF_JIT_PULL_BYTES 512u
#define WF_JIT_PULL_MAX 64u

static void pull_callee(tmod *tm, uint32_t fi)
{
    const wf_module *m = tm->m;
    if (!tm->pull || tm->fn[fi] || fi < m->nfunc_imports || !tm->fty[fi] || tm->pulled.len >= WF_JIT_PULL_MAX ||
        m->funcs[fi].code->body_len > WF_JIT_PULL_BYTES)
        return;
    char name[96];
    snprintf(name, sizeof name, "%sp%u", tm->prefix, fi);
    tm->fn[fi] = LLVMAddFunction(tm->M, name, tm->fty[fi]);
    LLVMSetLinkage(tm->fn[fi], LLVMInternalLinkage);
    wf_vec_push(&tm->pulled, fi);
}

static bool op_call(tfn *f, uint32_t fi, bool tail)
{
    tmod *tm = f->tm;
    const wf_module *m = tm->m;
    const wf_functype *ft = m->funcs[fi].type;
    if (!tm->fty[fi]) FAIL(f, "calls a function with v128 values");
    pull_callee(tm, fi);
    if (tail && (fi < m->nfunc_imports || !same_native(f, ft))) {
        /* An import or another signature: never a native jump. */
        pend_tail(f, func_object(f, fi), ft);
        return true;
    }
    if (fi < m->nfunc_imports) {
        slots_call(f, ft, WF_JIT_RT_wf_jit_rt_call, k32(tm, fi));
        return true;
    }
    if (!tm->fn[fi] || tm->cheap) {
        /* Another unit's function: natively once it is compiled, else
         * through the helper. A cheap unit calls its own functions so
         * too: any of them may be upgraded later (jit.c), and every
         * caller must then reach the new code. */
        LLVMValueRef fp = native_entry(f, k64(tm, fi - m->nfunc_imports));
        return call_native_or(f, fp, LLVMBuildIsNotNull(tm->B, fp, ""), ft, fi, NULL, tail);
    }
    LLVMValueRef args[3 + ft->nparams];
    pop_args(f, ft->nparams, args);
    LLVMValueRef callee = tm->fn[fi];
    if (fi == f->index) {
        f->self_calls++;
        if (f->self_target && !tail) callee = f->self_target;
    }
    LLVMValueRef call = LLVMBuildCall2(tm->B, tm->fty[fi], callee, args, 3 + ft->nparams, "");
    /* A wasm call takes stack: never let LLVM turn it into a jump (a
     * recursion must still exhaust the stack). */
    if (!tail) LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
    if (tail) {
        LLVMSetTailCallKind(call, LLVMTailCallKindMustTail);
        if (ft->nresults) LLVMBuildRet(tm->B, call);
        else LLVMBuildRetVoid(tm->B);
        set_unreachable(f);
        return true;
    }
    LLVMValueRef vals[ft->nresults + 1];
    call_results(f, call, ft->nresults, vals);
    if (may_pend(tm, fi)) finish_pending(f, ft, vals);
    for (uint32_t i = 0; i < ft->nresults; i++) push(f, vals[i]);
    return true;
}

/* A call of type ft: natively to fp where `native` holds, else through
 * the helper: wf_jit_rt_call of function fi, or (fi UINT32_MAX)
 * wf_jit_rt_call_ref of the wf_func * ref. A tail call jumps natively
 * (same native type: checked by the caller) or is left pending. */
static bool call_native_or(tfn *f, LLVMValueRef fp, LLVMValueRef native, const wf_functype *ft, uint32_t fi,
                           LLVMValueRef ref, bool tail)
{
    tmod *tm = f->tm;
    LLVMTypeRef nty = native_type(tm, ft);
    uint32_t np = ft->nparams, nr = ft->nresults;
    LLVMValueRef args[3 + np];
    pop_args(f, np, args);
    LLVMBasicBlockRef fast = new_block(f, "native"), slow = new_block(f, "helper"),
                      join = new_block(f, "called");
    LLVMBuildCondBr(tm->B, native, fast, slow);

    LLVMPositionBuilderAtEnd(tm->B, fast);
    LLVMValueRef fres = LLVMBuildCall2(tm->B, nty, fp, args, 3 + np, "");
    LLVMValueRef fvals[nr + 1];
    if (tail) {
        LLVMSetTailCallKind(fres, LLVMTailCallKindMustTail);
        if (nr) LLVMBuildRet(tm->B, fres);
        else LLVMBuildRetVoid(tm->B);
    } else {
        LLVMSetTailCallKind(fres, LLVMTailCallKindNoTail);
        call_results(f, fres, nr, fvals);
        /* The callee's tail calls may be left pending: any function of the
         * module's when the callee is not known. */
        if (fi == UINT32_MAX ? tm->any_tail : may_pend(tm, fi)) finish_pending(f, ft, fvals);
        LLVMBuildBr(tm->B, join);
    }
    LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(tm->B);

    LLVMPositionBuilderAtEnd(tm->B, slow);
    for (uint32_t i = 0; i < np; i++) push(f, args[3 + i]);
    if (tail) {
        pend_tail(f, fi == UINT32_MAX ? ref : func_object(f, fi), ft);
        LLVMDeleteBasicBlock(join);
        return true;
    }
    if (fi == UINT32_MAX) slots_call(f, ft, WF_JIT_RT_wf_jit_rt_call_ref, ref);
    else slots_call(f, ft, WF_JIT_RT_wf_jit_rt_call, k32(tm, fi));
    LLVMValueRef sres[nr + 1];
    for (uint32_t i = nr; i-- > 0;) sres[i] = pop(f);
    LLVMBuildBr(tm->B, join);
    LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(tm->B);

    LLVMPositionBuilderAtEnd(tm->B, join);
    for (uint32_t i = 0; i < nr; i++) {
        LLVMValueRef phi = LLVMBuildPhi(tm->B, val_type(tm, ft->results[i]), "");
        LLVMValueRef vals[2] = { fvals[i], sres[i] };
        LLVMBasicBlockRef bbs[2] = { fast_end, slow_end };
        LLVMAddIncoming(phi, vals, bbs, 2);
        push(f, phi);
    }
    return true;
}

/* A call to the wf_func * callee of type ft (checked): natively when it is
 * a compiled function of this instance, else through wf_jit_rt_call_ref. */
static bool call_funcref(tfn *f, LLVMValueRef callee, const wf_functype *ft, bool tail)
{
    tmod *tm = f->tm;
    if (!native_type(tm, ft)) FAIL(f, "an indirect call with v128 values");
    if (tail && !same_native(f, ft)) {
        /* Never a native jump: left pending. */
        pend_tail(f, callee, ft);
        return true;
    }
    LLVMValueRef finst = load_fixed(f, tm->ptr, callee, offsetof(wf_func, inst));
    LLVMBasicBlockRef local = new_block(f, "local"), decided = new_block(f, "decided");
    LLVMBasicBlockRef from = LLVMGetInsertBlock(tm->B);
    LLVMBuildCondBr(tm->B, LLVMBuildICmp(tm->B, LLVMIntEQ, finst, f->inst, ""), local, decided);
    LLVMPositionBuilderAtEnd(tm->B, local);
    LLVMValueRef idx = load_fixed(f, tm->i32, callee, offsetof(wf_func, index));
    idx = LLVMBuildSub(tm->B, idx, k32(tm, tm->m->nfunc_imports), "");
    LLVMValueRef fp_local = native_entry(f, LLVMBuildZExt(tm->B, idx, tm->i64, ""));
    LLVMBuildBr(tm->B, decided);
    LLVMPositionBuilderAtEnd(tm->B, decided);
    LLVMValueRef fp = LLVMBuildPhi(tm->B, tm->ptr, "");
    LLVMValueRef vals[2] = { LLVMConstNull(tm->ptr), fp_local };
    LLVMBasicBlockRef bbs[2] = { from, local };
    LLVMAddIncoming(fp, vals, bbs, 2);
    return call_native_or(f, fp, LLVMBuildIsNotNull(tm->B, fp, ""), ft, UINT32_MAX, callee, tail);
}

static LLVMValueRef as32(tfn *f, LLVMValueRef v);

static bool op_call_indirect(tfn *f, bool tail)
{
    tmod *tm = f->tm;
    uint32_t ti, table;
    if (!wf_read_u32(&f->r, &ti) || !wf_read_u32(&f->r, &table)) return false;
    if (cur(f)->unreachable) return true;
    const wf_functype *want = tm->m->types[ti].func;
    LLVMValueRef i = as32(f, pop(f));
    LLVMValueRef tb = load_elem(f, f->inst, offsetof(wf_instance, tables), k64(tm, table), true);
    LLVMValueRef size = load_at(f, tm->i32, tb, offsetof(wf_table, size));
    trap_if(f, LLVMBuildICmp(tm->B, LLVMIntUGE, i, size, ""), WF_JIT_TRAP_UNDEF_ELEM);
    LLVMValueRef callee = load_elem_var(f, tb, offsetof(wf_table, elems), LLVMBuildZExt(tm->B, i, tm->i64, ""));
    /* null: "uninitialized element N" */
    LLVMBasicBlockRef null_bb = new_block(f, "uninit"), ok = new_block(f, "elem");
    LLVMBuildCondBr(tm->B, LLVMBuildIsNull(tm->B, callee, ""), null_bb, ok);
    LLVMPositionBuilderAtEnd(tm->B, null_bb);
    LLVMValueRef a[2] = { f->t, i };
    call_rt(f, WF_JIT_RT_wf_jit_rt_trap_uninit, a, 2);
    LLVMBuildUnreachable(tm->B);
    LLVMPositionBuilderAtEnd(tm->B, ok);
    /* The type: canonical, so equal types are one pointer; else subtyping. */
    LLVMValueRef have = load_fixed(f, tm->ptr, callee, offsetof(wf_func, type));
    /* The canonical type is read from the running instance's module, not
     * baked in as a constant: the code does not depend on this process's
     * addresses, so it can be cached on disk (jit/cache.c) and shared by
     * every module with the same bytes. */
    _Static_assert(sizeof(wf_typedef) == sizeof(void *), "wf_typedef is one pointer");
    LLVMValueRef mod = load_fixed(f, tm->ptr, f->inst, offsetof(wf_instance, module));
    LLVMValueRef wantp = load_elem(f, mod, offsetof(wf_module, types), k64(tm, ti), true);
    LLVMBasicBlockRef check = new_block(f, "sub"), typed = new_block(f, "typed");
    LLVMBuildCondBr(tm->B, LLVMBuildICmp(tm->B, LLVMIntEQ, have, wantp, ""), typed, check);
    LLVMPositionBuilderAtEnd(tm->B, check);
    LLVMValueRef sa[3] = { f->t, callee, wantp };
    call_rt(f, WF_JIT_RT_wf_jit_rt_sig_check, sa, 3);
    LLVMBuildBr(tm->B, typed);
    LLVMPositionBuilderAtEnd(tm->B, typed);
    return call_funcref(f, callee, want, tail);
}

static bool op_call_ref(tfn *f, bool tail)
{
    tmod *tm = f->tm;
    uint32_t ti;
    if (!wf_read_u32(&f->r, &ti)) return false;
    if (cur(f)->unreachable) return true;
    LLVMValueRef callee = pop(f);
    trap_if(f, LLVMBuildIsNull(tm->B, callee, ""), WF_JIT_TRAP_NULL_FUNC);
    return call_funcref(f, callee, tm->m->types[ti].func, tail);
}

/* ---- memory --------------------------------------------------------------- */

/* An address, index or length operand as i32: an i64 one (a 64-bit
 * memory or table) saturated to 2^32 - 1, which is out of bounds exactly
 * when the i64 is (memories and tables stay below 2^32 - 1 bytes or
 * elements: memory.c, table.c). */
static LLVMValueRef as32(tfn *f, LLVMValueRef v)
{
    tmod *tm = f->tm;
    if (LLVMTypeOf(v) != tm->i64) return v;
    LLVMValueRef big = LLVMBuildICmp(tm->B, LLVMIntUGT, v, k64(tm, UINT32_MAX), "");
    return LLVMBuildTrunc(tm->B, LLVMBuildSelect(tm->B, big, k64(tm, UINT32_MAX), v, ""), tm->i32, "");
}

/* A memarg: its memory index into f->memidx (0 unless bit 6 of the
 * alignment field says one follows), its offset. */
static bool read_memarg(tfn *f, uint64_t *offset)
{
    uint32_t align, mem = 0;
    if (!wf_read_u32(&f->r, &align)) return false;
    if (align & 0x40) {
        if (!wf_read_u32(&f->r, &mem)) return false;
    }
    if (!wf_read_u64(&f->r, offset)) return false;
    /* only a 64-bit memory validates with such an offset: one that always
     * traps, as 2^32 - 1 does (the memory stays under 4 GiB) */
    if (*offset > UINT32_MAX) *offset = UINT32_MAX;
    f->memidx = mem;
    return true;
}

static LLVMValueRef memory_n(tfn *f, uint32_t i)
{
    return load_elem(f, f->inst, offsetof(wf_instance, mems), k64(f->tm, i), true);
}

/* The bytes an access of type ty reads or writes. */
static uint64_t access_bytes(LLVMTypeRef ty)
{
    switch (LLVMGetTypeKind(ty)) {
    case LLVMIntegerTypeKind: return LLVMGetIntTypeWidth(ty) / 8;
    case LLVMFloatTypeKind: return 4;
    case LLVMDoubleTypeKind: return 8;
    case LLVMVectorTypeKind: return LLVMGetVectorSize(ty) * access_bytes(LLVMGetElementType(ty));
    default: return 16;
    }
}

/* The address of an access of type ty at addr + offset in memory
 * f->memidx. Memory 0: mem_base + zext(addr) + offset, inside the guard
 * reservation (no check). Another memory: its base read (fixed: a base
 * never moves) and the access checked against its current size, since
 * the fault handler knows only memory 0's reservation. */
static LLVMValueRef effective(tfn *f, LLVMValueRef addr, uint64_t offset, LLVMTypeRef ty)
{
    tmod *tm = f->tm;
    LLVMValueRef a = LLVMBuildZExt(tm->B, as32(f, addr), tm->i64, "");
    if (offset) a = LLVMBuildAdd(tm->B, a, k64(tm, offset), "");
    if (f->memidx == 0) return LLVMBuildGEP2(tm->B, tm->i8, f->mb, &a, 1, "");
    LLVMValueRef m = memory_n(f, f->memidx);
    LLVMValueRef base = load_fixed(f, tm->ptr, m, offsetof(wf_memory, base));
    LLVMValueRef size = load_at(f, tm->i64, m, offsetof(wf_memory, size));
    LLVMValueRef end = LLVMBuildAdd(tm->B, a, k64(tm, access_bytes(ty)), "");
    trap_if(f, LLVMBuildICmp(tm->B, LLVMIntUGT, end, size, ""), WF_JIT_TRAP_OOB_MEM);
    return LLVMBuildGEP2(tm->B, tm->i8, base, &a, 1, "");
}

/* A wasm memory access may trap: LLVM must neither delete it (a load
 * whose value goes unused) nor reorder it with another access (a store
 * done before an earlier access traps). Volatile gives both; the guard
 * reservation does the bounds check. (Explicit bounds checks instead, with
 * plain accesses, measured slower: up to 1.5 times on sightglass's
 * ed25519 and matrix.) In the wasm memory's alias class: the engine's
 * state stays in registers across it. */
static void heap_access(tfn *f, LLVMValueRef access)
{
    LLVMSetVolatile(access, 1);
    LLVMSetMetadata(access, f->tm->md_tbaa, f->tm->tbaa_heap);
}

static bool op_load(tfn *f, LLVMTypeRef mty, LLVMTypeRef rty, bool sign)
{
    tmod *tm = f->tm;
    uint64_t off;
    if (!read_memarg(f, &off)) return false;
    if (cur(f)->unreachable) return true;
    LLVMValueRef p = effective(f, pop(f), off, mty);
    LLVMValueRef v = LLVMBuildLoad2(tm->B, mty, p, "");
    LLVMSetAlignment(v, 1);
    heap_access(f, v);
    if (mty != rty) v = sign ? LLVMBuildSExt(tm->B, v, rty, "") : LLVMBuildZExt(tm->B, v, rty, "");
    push(f, v);
    return true;
}

static bool op_store(tfn *f, LLVMTypeRef mty)
{
    tmod *tm = f->tm;
    uint64_t off;
    if (!read_memarg(f, &off)) return false;
    if (cur(f)->unreachable) return true;
    LLVMValueRef v = pop(f);
    LLVMValueRef p = effective(f, pop(f), off, mty);
    if (LLVMTypeOf(v) != mty) v = LLVMBuildTrunc(tm->B, v, mty, "");
    LLVMValueRef s = LLVMBuildStore(tm->B, v, p);
    LLVMSetAlignment(s, 1);
    heap_access(f, s);
    return true;
}

static LLVMValueRef memory0(tfn *f)
{
    return memory_n(f, 0);
}

/* ---- numbers -------------------------------------------------------------- */

static LLVMValueRef bool32(tfn *f, LLVMValueRef b) { return LLVMBuildZExt(f->tm->B, b, f->tm->i32, ""); }

static void icmp(tfn *f, LLVMIntPredicate p)
{
    LLVMValueRef b = pop(f), a = pop(f);
    push(f, bool32(f, LLVMBuildICmp(f->tm->B, p, a, b, "")));
}

static void fcmp(tfn *f, LLVMRealPredicate p)
{
    LLVMValueRef b = pop(f), a = pop(f);
    push(f, bool32(f, LLVMBuildFCmp(f->tm->B, p, a, b, "")));
}

static void unary_intr(tfn *f, const char *name)
{
    LLVMValueRef a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    push(f, intrinsic(f, name, &ty, 1, &a, 1));
}

static void binary_intr(tfn *f, const char *name)
{
    LLVMValueRef b = pop(f), a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, b };
    push(f, intrinsic(f, name, &ty, 1, args, 2));
}

static void bit_count(tfn *f, const char *name)
{
    LLVMValueRef a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, LLVMConstInt(f->tm->i1, 0, 0) };
    push(f, intrinsic(f, name, &ty, 1, args, 2));
}

static void shift(tfn *f, LLVMOpcode op)
{
    tmod *tm = f->tm;
    LLVMValueRef b = pop(f), a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    b = LLVMBuildAnd(tm->B, b, LLVMConstInt(ty, ty == tm->i32 ? 31 : 63, 0), "");
    push(f, LLVMBuildBinOp(tm->B, op, a, b, ""));
}

static void rotate(tfn *f, const char *name)
{
    LLVMValueRef b = pop(f), a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[3] = { a, a, b };
    push(f, intrinsic(f, name, &ty, 1, args, 3));
}

static void divide(tfn *f, LLVMOpcode op)
{
    tmod *tm = f->tm;
    LLVMValueRef b = pop(f), a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    unsigned bits = ty == tm->i32 ? 32 : 64;
    LLVMValueRef zero = LLVMConstInt(ty, 0, 0), minus1 = LLVMConstAllOnes(ty);
    trap_if(f, LLVMBuildICmp(tm->B, LLVMIntEQ, b, zero, ""), WF_JIT_TRAP_DIVZ);
    if (op == LLVMSDiv) {
        LLVMValueRef min = LLVMConstInt(ty, 1ull << (bits - 1), 0);
        LLVMValueRef ovf = LLVMBuildAnd(tm->B, LLVMBuildICmp(tm->B, LLVMIntEQ, a, min, ""),
                                        LLVMBuildICmp(tm->B, LLVMIntEQ, b, minus1, ""), "");
        trap_if(f, ovf, WF_JIT_TRAP_OVERFLOW);
    } else if (op == LLVMSRem) {
        /* x rem -1 is 0; INT_MIN srem -1 would fault. */
        b = LLVMBuildSelect(tm->B, LLVMBuildICmp(tm->B, LLVMIntEQ, b, minus1, ""),
                            LLVMConstInt(ty, 1, 0), b, "");
    }
    push(f, LLVMBuildBinOp(tm->B, op, a, b, ""));
}

/* A trapping float-to-int conversion: NaN is an invalid conversion, a value
 * outside (lo, hi) an overflow (lo_incl: lo itself is in range). */
static void trunc_checked(tfn *f, LLVMTypeRef rty, bool sign, double lo, bool lo_incl, double hi)
{
    tmod *tm = f->tm;
    LLVMValueRef a = pop(f);
    LLVMTypeRef fty = LLVMTypeOf(a);
    trap_if(f, LLVMBuildFCmp(tm->B, LLVMRealUNO, a, a, ""), WF_JIT_TRAP_INVCONV);
    LLVMValueRef in_lo = LLVMBuildFCmp(tm->B, lo_incl ? LLVMRealOGE : LLVMRealOGT, a,
                                       LLVMConstReal(fty, lo), "");
    LLVMValueRef in_hi = LLVMBuildFCmp(tm->B, LLVMRealOLT, a, LLVMConstReal(fty, hi), "");
    trap_if(f, LLVMBuildNot(tm->B, LLVMBuildAnd(tm->B, in_lo, in_hi, ""), ""), WF_JIT_TRAP_OVERFLOW);
    push(f, sign ? LLVMBuildFPToSI(tm->B, a, rty, "") : LLVMBuildFPToUI(tm->B, a, rty, ""));
}

static void trunc_sat(tfn *f, LLVMTypeRef rty, bool sign)
{
    LLVMValueRef a = pop(f);
    LLVMTypeRef tys[2] = { rty, LLVMTypeOf(a) };
    push(f, intrinsic(f, sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &a, 1));
}

static void sext_from(tfn *f, LLVMTypeRef narrow)
{
    tmod *tm = f->tm;
    LLVMValueRef a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    push(f, LLVMBuildSExt(tm->B, LLVMBuildTrunc(tm->B, a, narrow, ""), ty, ""));
}

static LLVMValueRef fconst_bits(tfn *f, LLVMTypeRef ity, LLVMTypeRef fty, uint64_t bits)
{
    return LLVMConstBitCast(LLVMConstInt(ity, bits, 0), fty);
}

/* ---- the 0xFC prefix -------------------------------------------------------- */

static bool op_prefix_fc(tfn *f)
{
    tmod *tm = f->tm;
    uint32_t sub, a = 0, b = 0;
    if (!wf_read_u32(&f->r, &sub)) return false;
    /* immediates first, so dead code is skipped the same way */
    switch (sub) {
    case 8: case 12: case 14:
        if (!wf_read_u32(&f->r, &a) || !wf_read_u32(&f->r, &b)) return false;
        break;
    case 9: case 10: case 11: case 13: case 15: case 16: case 17:
        if (!wf_read_u32(&f->r, &a)) return false;
        if (sub == 10 && !wf_read_u32(&f->r, &b)) return false;
        break;
    default:
        if (sub > 7) FAIL(f, "instruction 0xFC %u", sub);
    }
    if (cur(f)->unreachable) return true;
    LLVMBuilderRef B = tm->B;
    switch (sub) {
    case 0: trunc_sat(f, tm->i32, true); break;
    case 1: trunc_sat(f, tm->i32, false); break;
    case 2: trunc_sat(f, tm->i32, true); break;
    case 3: trunc_sat(f, tm->i32, false); break;
    case 4: trunc_sat(f, tm->i64, true); break;
    case 5: trunc_sat(f, tm->i64, false); break;
    case 6: trunc_sat(f, tm->i64, true); break;
    case 7: trunc_sat(f, tm->i64, false); break;
    case 8: { /* memory.init seg mem */
        LLVMValueRef n = as32(f, pop(f)), s = as32(f, pop(f)), d = as32(f, pop(f));
        LLVMValueRef args[7] = { f->t, f->inst, k32(tm, a), k32(tm, b), d, s, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_memory_init, args, 7);
        break;
    }
    case 9: {
        LLVMValueRef args[2] = { f->inst, k32(tm, a) };
        call_rt(f, WF_JIT_RT_wf_jit_rt_data_drop, args, 2);
        break;
    }
    case 10: { /* memory.copy dst src */
        LLVMValueRef n = as32(f, pop(f)), s = as32(f, pop(f)), d = as32(f, pop(f));
        LLVMValueRef args[7] = { f->t, f->inst, k32(tm, a), k32(tm, b), d, s, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_memory_copy, args, 7);
        break;
    }
    case 11: { /* memory.fill mem */
        LLVMValueRef n = as32(f, pop(f)), v = pop(f), d = as32(f, pop(f));
        LLVMValueRef args[6] = { f->t, f->inst, k32(tm, a), d, v, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_memory_fill, args, 6);
        break;
    }
    case 12: { /* table.init seg table */
        LLVMValueRef n = as32(f, pop(f)), s = as32(f, pop(f)), d = as32(f, pop(f));
        LLVMValueRef args[7] = { f->t, f->inst, k32(tm, a), k32(tm, b), d, s, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_table_init, args, 7);
        break;
    }
    case 13: {
        LLVMValueRef args[2] = { f->inst, k32(tm, a) };
        call_rt(f, WF_JIT_RT_wf_jit_rt_elem_drop, args, 2);
        break;
    }
    case 14: {
        LLVMValueRef n = as32(f, pop(f)), s = as32(f, pop(f)), d = as32(f, pop(f));
        LLVMValueRef args[7] = { f->t, f->inst, k32(tm, a), k32(tm, b), d, s, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_table_copy, args, 7);
        break;
    }
    case 15: {
        LLVMValueRef n = as32(f, pop(f)), init = pop(f);
        LLVMValueRef args[4] = { f->inst, k32(tm, a), init, n };
        LLVMValueRef r = call_rt(f, WF_JIT_RT_wf_jit_rt_table_grow, args, 4);
        push(f, tm->m->tables[a].type.limits.is64 ? LLVMBuildSExt(B, r, tm->i64, "") : r);
        break;
    }
    case 16: {
        LLVMValueRef args[2] = { f->inst, k32(tm, a) };
        LLVMValueRef r = call_rt(f, WF_JIT_RT_wf_jit_rt_table_size, args, 2);
        push(f, tm->m->tables[a].type.limits.is64 ? LLVMBuildZExt(B, r, tm->i64, "") : r);
        break;
    }
    case 17: {
        LLVMValueRef n = as32(f, pop(f)), v = pop(f), d = as32(f, pop(f));
        LLVMValueRef args[6] = { f->t, f->inst, k32(tm, a), d, v, n };
        call_rt(f, WF_JIT_RT_wf_jit_rt_table_fill, args, 6);
        break;
    }
    }
    (void)B;
    return true;
}

/* A float constant LLVM cannot see: x - 0.0, x * 1.0, x / -1.0 and the
 * like fold to x or -x in LLVM, which passes a signalling NaN through
 * where WebAssembly's arithmetic must give a quiet one. */
static LLVMValueRef opaque_identity(tfn *f, LLVMValueRef v)
{
    if (!LLVMIsAConstantFP(v)) return v;
    LLVMBool lost;
    double d = LLVMConstRealGetDouble(v, &lost);
    if (d != 0.0 && d != 1.0 && d != -1.0) return v;
    LLVMTypeRef ty = LLVMTypeOf(v);
    LLVMTypeRef fty = LLVMFunctionType(ty, &ty, 1, 0);
    LLVMValueRef asm_ = LLVMGetInlineAsm(fty, "", 0, WF_FREG_CONSTRAINT, 4, 0, 0, LLVMInlineAsmDialectATT, 0);
    return LLVMBuildCall2(f->tm->B, fty, asm_, &v, 1, "");
}

static void float_bin(tfn *f, LLVMOpcode op)
{
    LLVMValueRef b = pop(f), a = pop(f);
    a = opaque_identity(f, a);
    b = opaque_identity(f, b);
    push(f, LLVMBuildBinOp(f->tm->B, op, a, b, ""));
}

/* min/max: x86 passes a NaN operand through as it is; WebAssembly wants a
 * quiet NaN, which an addition of the operands gives. */
static void min_max(tfn *f, const char *name)
{
    tmod *tm = f->tm;
    LLVMValueRef b = pop(f), a = pop(f);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, b };
    LLVMValueRef r = intrinsic(f, name, &ty, 1, args, 2);
    LLVMValueRef nan = LLVMBuildFCmp(tm->B, LLVMRealUNO, a, b, "");
    push(f, LLVMBuildSelect(tm->B, nan, LLVMBuildFAdd(tm->B, a, b, ""), r, ""));
}

/* The numeric instructions 0x45 .. 0xC4 (no immediates). */
static bool numeric(tfn *f, uint8_t op)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    LLVMValueRef a, b;
#define BIN(llop) do { b = pop(f); a = pop(f); push(f, LLVMBuildBinOp(B, llop, a, b, "")); } while (0)
    switch (op) {
    case 0x45: case 0x50:
        a = pop(f);
        push(f, bool32(f, LLVMBuildICmp(B, LLVMIntEQ, a, LLVMConstInt(LLVMTypeOf(a), 0, 0), "")));
        break;
    case 0x46: case 0x51: icmp(f, LLVMIntEQ); break;
    case 0x47: case 0x52: icmp(f, LLVMIntNE); break;
    case 0x48: case 0x53: icmp(f, LLVMIntSLT); break;
    case 0x49: case 0x54: icmp(f, LLVMIntULT); break;
    case 0x4A: case 0x55: icmp(f, LLVMIntSGT); break;
    case 0x4B: case 0x56: icmp(f, LLVMIntUGT); break;
    case 0x4C: case 0x57: icmp(f, LLVMIntSLE); break;
    case 0x4D: case 0x58: icmp(f, LLVMIntULE); break;
    case 0x4E: case 0x59: icmp(f, LLVMIntSGE); break;
    case 0x4F: case 0x5A: icmp(f, LLVMIntUGE); break;
    case 0x5B: case 0x61: fcmp(f, LLVMRealOEQ); break;
    case 0x5C: case 0x62: fcmp(f, LLVMRealUNE); break;
    case 0x5D: case 0x63: fcmp(f, LLVMRealOLT); break;
    case 0x5E: case 0x64: fcmp(f, LLVMRealOGT); break;
    case 0x5F: case 0x65: fcmp(f, LLVMRealOLE); break;
    case 0x60: case 0x66: fcmp(f, LLVMRealOGE); break;
    case 0x67: case 0x79: bit_count(f, "llvm.ctlz"); break;
    case 0x68: case 0x7A: bit_count(f, "llvm.cttz"); break;
    case 0x69: case 0x7B: unary_intr(f, "llvm.ctpop"); break;
    case 0x6A: case 0x7C: BIN(LLVMAdd); break;
    case 0x6B: case 0x7D: BIN(LLVMSub); break;
    case 0x6C: case 0x7E: BIN(LLVMMul); break;
    case 0x6D: case 0x7F: divide(f, LLVMSDiv); break;
    case 0x6E: case 0x80: divide(f, LLVMUDiv); break;
    case 0x6F: case 0x81: divide(f, LLVMSRem); break;
    case 0x70: case 0x82: divide(f, LLVMURem); break;
    case 0x71: case 0x83: BIN(LLVMAnd); break;
    case 0x72: case 0x84: BIN(LLVMOr); break;
    case 0x73: case 0x85: BIN(LLVMXor); break;
    case 0x74: case 0x86: shift(f, LLVMShl); break;
    case 0x75: case 0x87: shift(f, LLVMAShr); break;
    case 0x76: case 0x88: shift(f, LLVMLShr); break;
    case 0x77: case 0x89: rotate(f, "llvm.fshl"); break;
    case 0x78: case 0x8A: rotate(f, "llvm.fshr"); break;
    case 0x8B: case 0x99: unary_intr(f, "llvm.fabs"); break;
    case 0x8C: case 0x9A: push(f, LLVMBuildFNeg(B, pop(f), "")); break;
    case 0x8D: case 0x9B: unary_intr(f, "llvm.ceil"); break;
    case 0x8E: case 0x9C: unary_intr(f, "llvm.floor"); break;
    case 0x8F: case 0x9D: unary_intr(f, "llvm.trunc"); break;
    case 0x90: case 0x9E: unary_intr(f, "llvm.roundeven"); break;
    case 0x91: case 0x9F: unary_intr(f, "llvm.sqrt"); break;
    case 0x92: case 0xA0: float_bin(f, LLVMFAdd); break;
    case 0x93: case 0xA1: float_bin(f, LLVMFSub); break;
    case 0x94: case 0xA2: float_bin(f, LLVMFMul); break;
    case 0x95: case 0xA3: float_bin(f, LLVMFDiv); break;
    case 0x96: case 0xA4: min_max(f, "llvm.minimum"); break;
    case 0x97: case 0xA5: min_max(f, "llvm.maximum"); break;
    case 0x98: case 0xA6: binary_intr(f, "llvm.copysign"); break;
    case 0xA7: push(f, LLVMBuildTrunc(B, pop(f), tm->i32, "")); break;
    /* trapping truncations: the open or half-open range of each */
    case 0xA8: trunc_checked(f, tm->i32, true, -2147483648.0, true, 2147483648.0); break;
    case 0xA9: trunc_checked(f, tm->i32, false, -1.0, false, 4294967296.0); break;
    case 0xAA: trunc_checked(f, tm->i32, true, -2147483649.0, false, 2147483648.0); break;
    case 0xAB: trunc_checked(f, tm->i32, false, -1.0, false, 4294967296.0); break;
    case 0xAC: push(f, LLVMBuildSExt(B, pop(f), tm->i64, "")); break;
    case 0xAD: push(f, LLVMBuildZExt(B, pop(f), tm->i64, "")); break;
    case 0xAE: trunc_checked(f, tm->i64, true, -9223372036854775808.0, true, 9223372036854775808.0); break;
    case 0xAF: trunc_checked(f, tm->i64, false, -1.0, false, 18446744073709551616.0); break;
    case 0xB0: trunc_checked(f, tm->i64, true, -9223372036854775808.0, true, 9223372036854775808.0); break;
    case 0xB1: trunc_checked(f, tm->i64, false, -1.0, false, 18446744073709551616.0); break;
    case 0xB2: case 0xB4: push(f, LLVMBuildSIToFP(B, pop(f), tm->f32, "")); break;
    case 0xB3: case 0xB5: push(f, LLVMBuildUIToFP(B, pop(f), tm->f32, "")); break;
    case 0xB6: { /* demote: LLVM folds demote(promote(x)) to x, NaNs unquieted */
        a = pop(f);
        if (LLVMIsAFPExtInst(a)) {
            LLVMTypeRef ty = tm->f64, fty = LLVMFunctionType(ty, &ty, 1, 0);
            a = LLVMBuildCall2(B, fty, LLVMGetInlineAsm(fty, "", 0, WF_FREG_CONSTRAINT, 4, 0, 0, LLVMInlineAsmDialectATT, 0),
                               &a, 1, "");
        }
        push(f, LLVMBuildFPTrunc(B, a, tm->f32, ""));
        break;
    }
    case 0xB7: case 0xB9: push(f, LLVMBuildSIToFP(B, pop(f), tm->f64, "")); break;
    case 0xB8: case 0xBA: push(f, LLVMBuildUIToFP(B, pop(f), tm->f64, "")); break;
    case 0xBB: push(f, LLVMBuildFPExt(B, pop(f), tm->f64, "")); break;
    case 0xBC: push(f, LLVMBuildBitCast(B, pop(f), tm->i32, "")); break;
    case 0xBD: push(f, LLVMBuildBitCast(B, pop(f), tm->i64, "")); break;
    case 0xBE: push(f, LLVMBuildBitCast(B, pop(f), tm->f32, "")); break;
    case 0xBF: push(f, LLVMBuildBitCast(B, pop(f), tm->f64, "")); break;
    case 0xC0: case 0xC2: sext_from(f, tm->i8); break;
    case 0xC1: case 0xC3: sext_from(f, tm->i16); break;
    case 0xC4: sext_from(f, tm->i32); break;
    default: FAIL(f, "instruction 0x%02X", op);
    }
#undef BIN
    return true;
}

/* ---- the instruction loop ------------------------------------------------ */

/* ---- SIMD (0xFD) ------------------------------------------------------------
 * A v128 is an LLVM <2 x i64> on the stack, in locals and in signatures;
 * each instruction bitcasts it to its lane shape, and most are then one
 * LLVM instruction or intrinsic. Saturation, min/max and rounding use
 * LLVM's intrinsics (whose semantics are WebAssembly's: llvm.minimum
 * propagates NaN and orders -0 below +0, fptosi.sat saturates). */

enum { S_I8, S_I16, S_I32, S_I64, S_F32, S_F64 };
static const unsigned g_lanes[] = { 16, 8, 4, 2, 4, 2 };

static LLVMTypeRef lane_el(tmod *tm, int s)
{
    switch (s) {
    case S_I8: return tm->i8;
    case S_I16: return tm->i16;
    case S_I32: return tm->i32;
    case S_I64: return tm->i64;
    case S_F32: return tm->f32;
    default: return tm->f64;
    }
}
static LLVMTypeRef shape(tmod *tm, int s) { return LLVMVectorType(lane_el(tm, s), g_lanes[s]); }
static LLVMValueRef as_shape(tfn *f, LLVMValueRef v, int s) { return LLVMBuildBitCast(f->tm->B, v, shape(f->tm, s), ""); }
static LLVMValueRef vpop(tfn *f, int s) { return as_shape(f, pop(f), s); }
static void vpush(tfn *f, LLVMValueRef v) { push(f, LLVMBuildBitCast(f->tm->B, v, f->tm->v128, "")); }

/* A constant vector of n i32 (shuffle masks). */
static LLVMValueRef mask_of(tfn *f, const unsigned *idx, unsigned n)
{
    LLVMValueRef k[16];
    for (unsigned i = 0; i < n; i++) k[i] = k32(f->tm, idx[i]);
    return LLVMConstVector(k, n);
}
/* lanes first..first+n-1 of v (n-lane vector) */
static LLVMValueRef lanes_of(tfn *f, LLVMValueRef v, unsigned first, unsigned n)
{
    unsigned idx[16];
    for (unsigned i = 0; i < n; i++) idx[i] = first + i;
    return LLVMBuildShuffleVector(f->tm->B, v, LLVMGetUndef(LLVMTypeOf(v)), mask_of(f, idx, n), "");
}
/* a and b (n lanes each) joined, or v widened with zero lanes (b NULL) */
static LLVMValueRef concat(tfn *f, LLVMValueRef a, LLVMValueRef b, unsigned n)
{
    unsigned idx[16];
    for (unsigned i = 0; i < 2 * n; i++) idx[i] = i;
    if (!b) b = LLVMConstNull(LLVMTypeOf(a));
    return LLVMBuildShuffleVector(f->tm->B, a, b, mask_of(f, idx, 2 * n), "");
}
static LLVMValueRef splat_of(tfn *f, LLVMValueRef x, int s)
{
    tmod *tm = f->tm;
    LLVMValueRef v = LLVMBuildInsertElement(tm->B, LLVMGetUndef(shape(tm, s)), x, k32(tm, 0), "");
    unsigned idx[16] = { 0 };
    return LLVMBuildShuffleVector(tm->B, v, LLVMGetUndef(shape(tm, s)), mask_of(f, idx, g_lanes[s]), "");
}
static LLVMValueRef vintr(tfn *f, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, b };
    return intrinsic(f, name, &ty, 1, args, b ? 2 : 1);
}
/* v's lanes as a <n x i1> mask by predicate p against zero, as an iN */
static LLVMValueRef lane_bits(tfn *f, LLVMValueRef v, int s, LLVMIntPredicate p)
{
    tmod *tm = f->tm;
    LLVMValueRef m = LLVMBuildICmp(tm->B, p, v, LLVMConstNull(shape(tm, s)), "");
    return LLVMBuildBitCast(tm->B, m, LLVMIntTypeInContext(tm->C, g_lanes[s]), "");
}
/* narrow a, b (shape s + 1) to shape s, saturating (signed or unsigned) */
static LLVMValueRef narrow(tfn *f, LLVMValueRef a, LLVMValueRef b, int s, bool sign)
{
    tmod *tm = f->tm;
    unsigned n = g_lanes[s + 1], bits = 8u << s;
    LLVMValueRef w = concat(f, a, b, n);
    LLVMTypeRef wel = lane_el(tm, s + 1);
    int64_t lo = sign ? -((int64_t)1 << (bits - 1)) : 0;
    int64_t hi = sign ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1;
    LLVMValueRef vlo[16], vhi[16];
    for (unsigned i = 0; i < 2 * n; i++) {
        vlo[i] = LLVMConstInt(wel, (uint64_t)lo, 1);
        vhi[i] = LLVMConstInt(wel, (uint64_t)hi, 1);
    }
    w = vintr(f, "llvm.smax", w, LLVMConstVector(vlo, 2 * n));
    w = vintr(f, "llvm.smin", w, LLVMConstVector(vhi, 2 * n));
    return LLVMBuildTrunc(tm->B, w, shape(tm, s), "");
}
/* half (0 low, 1 high) of v (shape s - 1) widened to shape s */
static LLVMValueRef widen(tfn *f, LLVMValueRef v, int s, int half, bool sign)
{
    tmod *tm = f->tm;
    unsigned n = g_lanes[s];
    LLVMValueRef h = lanes_of(f, v, half ? n : 0, n);
    return sign ? LLVMBuildSExt(tm->B, h, shape(tm, s), "") : LLVMBuildZExt(tm->B, h, shape(tm, s), "");
}

/* A SIMD memory access at the address popped (volatile like the scalar
 * ones: heap_access). */
static LLVMValueRef simd_load(tfn *f, LLVMTypeRef ty, LLVMValueRef addr, uint64_t off)
{
    LLVMValueRef v = LLVMBuildLoad2(f->tm->B, ty, effective(f, addr, off, ty), "");
    LLVMSetAlignment(v, 1);
    heap_access(f, v);
    return v;
}
static void simd_store(tfn *f, LLVMValueRef v, LLVMValueRef addr, uint64_t off)
{
    LLVMValueRef st = LLVMBuildStore(f->tm->B, v, effective(f, addr, off, LLVMTypeOf(v)));
    LLVMSetAlignment(st, 1);
    heap_access(f, st);
}


static const LLVMIntPredicate g_icmp[10] = {
    LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntULT, LLVMIntSGT,
    LLVMIntUGT, LLVMIntSLE, LLVMIntULE, LLVMIntSGE, LLVMIntUGE,
};
static const LLVMRealPredicate g_fcmp[6] = {
    LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT, LLVMRealOGT, LLVMRealOLE, LLVMRealOGE,
};

/* Integer lane instructions 0x60..0xDF: shape (op - 0x60) / 32, the
 * operation (op - 0x60) % 32 as the spec lays them out per shape. */
static bool simd_int(tfn *f, uint32_t op)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    int s = (int)(op - 0x60) / 32;
    unsigned rel = (op - 0x60) % 32, bits = 8u << s;
    LLVMTypeRef ty = shape(tm, s);
    LLVMValueRef a, b, r;
    switch (rel) {
    case 0x00: r = vintr(f, "llvm.abs", vpop(f, s), LLVMConstInt(tm->i1, 0, 0)); break;
    case 0x01: r = LLVMBuildNeg(B, vpop(f, s), ""); break;
    case 0x02:
        if (s == S_I8) {
            r = vintr(f, "llvm.ctpop", vpop(f, s), NULL);
        } else { /* i16x8.q15mulr_sat_s: (a * b + 0x4000) >> 15, saturated */
            LLVMTypeRef w = LLVMVectorType(tm->i32, 8);
            b = LLVMBuildSExt(B, vpop(f, s), w, "");
            a = LLVMBuildSExt(B, vpop(f, s), w, "");
            LLVMValueRef k[8], sh[8];
            for (int i = 0; i < 8; i++) { k[i] = k32(tm, 0x4000); sh[i] = k32(tm, 15); }
            LLVMValueRef p = LLVMBuildAdd(B, LLVMBuildMul(B, a, b, ""), LLVMConstVector(k, 8), "");
            p = LLVMBuildAShr(B, p, LLVMConstVector(sh, 8), "");
            r = narrow(f, lanes_of(f, p, 0, 4), lanes_of(f, p, 4, 4), S_I16, true);
        }
        break;
    case 0x03: /* all_true */
        a = lane_bits(f, vpop(f, s), s, LLVMIntNE);
        push(f, LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntEQ, a, LLVMConstAllOnes(LLVMTypeOf(a)), ""),
                              tm->i32, ""));
        return true;
    case 0x04: /* bitmask */
        push(f, LLVMBuildZExt(B, lane_bits(f, vpop(f, s), s, LLVMIntSLT), tm->i32, ""));
        return true;
    case 0x05: case 0x06: /* narrow (i8x16, i16x8) */
        b = vpop(f, s + 1);
        a = vpop(f, s + 1);
        r = narrow(f, a, b, s, rel == 0x05);
        break;
    case 0x07: case 0x08: case 0x09: case 0x0a: /* extend low/high, s/u */
        r = widen(f, vpop(f, s - 1), s, (rel - 7) & 1, rel < 9);
        break;
    case 0x0b: case 0x0c: case 0x0d: { /* shifts: the count modulo the lane width */
        LLVMValueRef k = LLVMBuildAnd(B, pop(f), k32(tm, bits - 1), "");
        LLVMTypeRef el = lane_el(tm, s);
        k = bits < 32 ? LLVMBuildTrunc(B, k, el, "") : bits > 32 ? LLVMBuildZExt(B, k, el, "") : k;
        k = splat_of(f, k, s);
        a = vpop(f, s);
        r = rel == 0x0b ? LLVMBuildShl(B, a, k, "") : rel == 0x0c ? LLVMBuildAShr(B, a, k, "")
                                                             : LLVMBuildLShr(B, a, k, "");
        break;
    }
    case 0x1c: case 0x1d: case 0x1e: case 0x1f: { /* extmul low/high, s/u */
        b = widen(f, vpop(f, s - 1), s, (rel - 0x1c) & 1, rel < 0x1e);
        a = widen(f, vpop(f, s - 1), s, (rel - 0x1c) & 1, rel < 0x1e);
        r = LLVMBuildMul(B, a, b, "");
        break;
    }
    default: {
        static const char *const intr[32] = {
            [0x0f] = "llvm.sadd.sat", [0x10] = "llvm.uadd.sat", [0x12] = "llvm.ssub.sat",
            [0x13] = "llvm.usub.sat", [0x16] = "llvm.smin", [0x17] = "llvm.umin",
            [0x18] = "llvm.smax", [0x19] = "llvm.umax",
        };
        b = vpop(f, s);
        a = vpop(f, s);
        if (rel == 0x0e) r = LLVMBuildAdd(B, a, b, "");
        else if (rel == 0x11) r = LLVMBuildSub(B, a, b, "");
        else if (rel == 0x15) r = LLVMBuildMul(B, a, b, "");
        else if (intr[rel]) r = vintr(f, intr[rel], a, b);
        else if (rel == 0x1b) { /* avgr_u: (a + b + 1) / 2 without overflow, in a lane twice as wide */
            LLVMTypeRef wide = LLVMVectorType(LLVMIntTypeInContext(tm->C, bits * 2), g_lanes[s]);
            LLVMValueRef wa = LLVMBuildZExt(B, a, wide, ""), wb = LLVMBuildZExt(B, b, wide, "");
            LLVMValueRef one[16];
            for (unsigned i = 0; i < g_lanes[s]; i++) one[i] = LLVMConstInt(LLVMGetElementType(wide), 1, 0);
            LLVMValueRef sum = LLVMBuildAdd(B, LLVMBuildAdd(B, wa, wb, ""), LLVMConstVector(one, g_lanes[s]), "");
            r = LLVMBuildTrunc(B, LLVMBuildLShr(B, sum, LLVMConstVector(one, g_lanes[s]), ""), ty, "");
        } else {
            FAIL(f, "SIMD instruction 0xFD %u", op);
        }
    }
    }
    vpush(f, r);
    return true;
}

/* The relaxed instructions that are no non-relaxed one (simd.c has the
 * same choices): multiply-add unfused (no contract flag: LLVM keeps the
 * two roundings), the dot products with both operands signed. */
static bool simd_relaxed(tfn *f, uint32_t op)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    LLVMValueRef a, b, c, r;
    switch (op) {
    case 0x105: case 0x106: case 0x107: case 0x108: {
        int s = op <= 0x106 ? S_F32 : S_F64;
        c = vpop(f, s);
        b = vpop(f, s);
        a = vpop(f, s);
        r = LLVMBuildFMul(B, a, b, "");
        if (op == 0x106 || op == 0x108) r = LLVMBuildFNeg(B, r, "");
        vpush(f, LLVMBuildFAdd(B, r, c, ""));
        return true;
    }
    case 0x112: { /* i16x8.relaxed_dot_i8x16_i7x16_s: pairs of products, wrapping */
        b = LLVMBuildSExt(B, vpop(f, S_I8), LLVMVectorType(tm->i16, 16), "");
        a = LLVMBuildSExt(B, vpop(f, S_I8), LLVMVectorType(tm->i16, 16), "");
        LLVMValueRef p = LLVMBuildMul(B, a, b, "");
        unsigned ev[8], od[8];
        for (unsigned i = 0; i < 8; i++) { ev[i] = 2 * i; od[i] = 2 * i + 1; }
        LLVMValueRef e = LLVMBuildShuffleVector(B, p, LLVMGetUndef(LLVMTypeOf(p)), mask_of(f, ev, 8), "");
        LLVMValueRef o = LLVMBuildShuffleVector(B, p, LLVMGetUndef(LLVMTypeOf(p)), mask_of(f, od, 8), "");
        vpush(f, LLVMBuildAdd(B, e, o, ""));
        return true;
    }
    case 0x113: { /* i32x4.relaxed_dot_i8x16_i7x16_add_s: quads of products, plus c */
        c = vpop(f, S_I32);
        b = LLVMBuildSExt(B, vpop(f, S_I8), LLVMVectorType(tm->i32, 16), "");
        a = LLVMBuildSExt(B, vpop(f, S_I8), LLVMVectorType(tm->i32, 16), "");
        LLVMValueRef p = LLVMBuildMul(B, a, b, "");
        r = c;
        for (unsigned k = 0; k < 4; k++) {
            unsigned q[4];
            for (unsigned i = 0; i < 4; i++) q[i] = 4 * i + k;
            r = LLVMBuildAdd(B, r, LLVMBuildShuffleVector(B, p, LLVMGetUndef(LLVMTypeOf(p)), mask_of(f, q, 4), ""), "");
        }
        vpush(f, r);
        return true;
    }
    default:
        FAIL(f, "SIMD instruction 0xFD %u", op);
    }
}

static bool translate_simd(tfn *f)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    uint32_t op;
    uint64_t off = 0;
    uint8_t imm[16] = { 0 };
    if (!wf_read_u32(&f->r, &op)) return false;
    /* immediates first, so dead code is skipped the same way */
    bool mem = op <= 0x0b || (op >= 0x54 && op <= 0x5d);
    if (mem && !read_memarg(f, &off)) return false;
    unsigned nimm = op == 0x0c || op == 0x0d ? 16 : (op >= 0x15 && op <= 0x22) || (op >= 0x54 && op <= 0x5b) ? 1 : 0;
    for (unsigned i = 0; i < nimm; i++)
        if (!wf_read_u8(&f->r, &imm[i])) return false;
    if (cur(f)->unreachable) return true;
    if (op >= 0x100) {
        /* relaxed SIMD: the non-relaxed instruction where it is one of the
         * allowed results, as the interpreter (simd.c) */
        static const uint16_t as[0x14] = {
            [0x00] = 0x0e, [0x01] = 0xf8, [0x02] = 0xf9, [0x03] = 0xfc, [0x04] = 0xfd,
            [0x09] = 0x52, [0x0a] = 0x52, [0x0b] = 0x52, [0x0c] = 0x52,
            [0x0d] = 0xe8, [0x0e] = 0xe9, [0x0f] = 0xf4, [0x10] = 0xf5, [0x11] = 0x82,
        };
        if (op < 0x114 && as[op - 0x100]) op = as[op - 0x100];
        else if (op < 0x114) return simd_relaxed(f, op);
    }

    LLVMValueRef a, b, c, r;
    switch (op) {
    case 0x00: vpush(f, simd_load(f, tm->v128, pop(f), off)); return true;
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06: {
        int s = S_I16 + (int)(op - 1) / 2;
        a = simd_load(f, LLVMVectorType(lane_el(tm, s - 1), g_lanes[s]), pop(f), off);
        vpush(f, op & 1 ? LLVMBuildSExt(B, a, shape(tm, s), "") : LLVMBuildZExt(B, a, shape(tm, s), ""));
        return true;
    }
    case 0x07: case 0x08: case 0x09: case 0x0a: {
        int s = (int)(op - 0x07);
        vpush(f, splat_of(f, simd_load(f, lane_el(tm, s), pop(f), off), s));
        return true;
    }
    case 0x0b:
        a = pop(f);
        simd_store(f, a, pop(f), off);
        return true;
    case 0x54: case 0x55: case 0x56: case 0x57: { /* load lane */
        int s = (int)(op - 0x54);
        a = vpop(f, s);
        b = simd_load(f, lane_el(tm, s), pop(f), off);
        vpush(f, LLVMBuildInsertElement(B, a, b, k32(tm, imm[0]), ""));
        return true;
    }
    case 0x58: case 0x59: case 0x5a: case 0x5b: { /* store lane */
        int s = (int)(op - 0x58);
        a = LLVMBuildExtractElement(B, vpop(f, s), k32(tm, imm[0]), "");
        simd_store(f, a, pop(f), off);
        return true;
    }
    case 0x5c: case 0x5d: { /* load zero */
        int s = op == 0x5c ? S_I32 : S_I64;
        a = simd_load(f, lane_el(tm, s), pop(f), off);
        vpush(f, LLVMBuildInsertElement(B, LLVMConstNull(shape(tm, s)), a, k32(tm, 0), ""));
        return true;
    }
    case 0x0c: {
        uint64_t lo, hi;
        memcpy(&lo, imm, 8);
        memcpy(&hi, imm + 8, 8);
        LLVMValueRef k[2] = { k64(tm, lo), k64(tm, hi) };
        push(f, LLVMConstVector(k, 2));
        return true;
    }
    case 0x0d: {
        unsigned idx[16];
        for (int i = 0; i < 16; i++) idx[i] = imm[i];
        b = vpop(f, S_I8);
        a = vpop(f, S_I8);
        vpush(f, LLVMBuildShuffleVector(B, a, b, mask_of(f, idx, 16), ""));
        return true;
    }
    case 0x0e: { /* swizzle: lane i is a[b[i]], or 0 when b[i] > 15 */
        b = vpop(f, S_I8);
        a = vpop(f, S_I8);
        r = LLVMConstNull(shape(tm, S_I8));
        for (unsigned i = 0; i < 16; i++) {
            LLVMValueRef k = LLVMBuildExtractElement(B, b, k32(tm, i), "");
            LLVMValueRef in = LLVMBuildICmp(B, LLVMIntULT, k, LLVMConstInt(tm->i8, 16, 0), "");
            LLVMValueRef idx = LLVMBuildZExt(B, LLVMBuildAnd(B, k, LLVMConstInt(tm->i8, 15, 0), ""), tm->i32, "");
            LLVMValueRef v = LLVMBuildExtractElement(B, a, idx, "");
            v = LLVMBuildSelect(B, in, v, LLVMConstInt(tm->i8, 0, 0), "");
            r = LLVMBuildInsertElement(B, r, v, k32(tm, i), "");
        }
        vpush(f, r);
        return true;
    }
    case 0x0f: case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: {
        int s = (int)(op - 0x0f);
        a = pop(f);
        if (s < S_I32) a = LLVMBuildTrunc(B, a, lane_el(tm, s), "");
        vpush(f, splat_of(f, a, s));
        return true;
    }
    case 0x15: case 0x16: case 0x18: case 0x19: { /* i8/i16 extract_lane_s/u */
        int s = op < 0x18 ? S_I8 : S_I16;
        a = LLVMBuildExtractElement(B, vpop(f, s), k32(tm, imm[0]), "");
        bool sign = op == 0x15 || op == 0x18;
        push(f, sign ? LLVMBuildSExt(B, a, tm->i32, "") : LLVMBuildZExt(B, a, tm->i32, ""));
        return true;
    }
    case 0x1b: case 0x1d: case 0x1f: case 0x21: {
        int s = op == 0x1b ? S_I32 : op == 0x1d ? S_I64 : op == 0x1f ? S_F32 : S_F64;
        push(f, LLVMBuildExtractElement(B, vpop(f, s), k32(tm, imm[0]), ""));
        return true;
    }
    case 0x17: case 0x1a: case 0x1c: case 0x1e: case 0x20: case 0x22: {
        int s = op == 0x17 ? S_I8 : op == 0x1a ? S_I16 : op == 0x1c ? S_I32
              : op == 0x1e ? S_I64 : op == 0x20 ? S_F32 : S_F64;
        b = pop(f);
        if (s < S_I32) b = LLVMBuildTrunc(B, b, lane_el(tm, s), "");
        a = vpop(f, s);
        vpush(f, LLVMBuildInsertElement(B, a, b, k32(tm, imm[0]), ""));
        return true;
    }
    case 0x4d: vpush(f, LLVMBuildNot(B, pop(f), "")); return true;
    case 0x4e: case 0x4f: case 0x50: case 0x51:
        b = pop(f);
        a = pop(f);
        r = op == 0x4e ? LLVMBuildAnd(B, a, b, "") : op == 0x4f ? LLVMBuildAnd(B, a, LLVMBuildNot(B, b, ""), "")
          : op == 0x50 ? LLVMBuildOr(B, a, b, "") : LLVMBuildXor(B, a, b, "");
        push(f, r);
        return true;
    case 0x52:
        c = pop(f);
        b = pop(f);
        a = pop(f);
        push(f, LLVMBuildOr(B, LLVMBuildAnd(B, a, c, ""), LLVMBuildAnd(B, b, LLVMBuildNot(B, c, ""), ""), ""));
        return true;
    case 0x53:
        a = LLVMBuildBitCast(B, pop(f), LLVMIntTypeInContext(tm->C, 128), "");
        push(f, LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntNE, a, LLVMConstNull(LLVMTypeOf(a)), ""), tm->i32, ""));
        return true;
    case 0x5e: /* f32x4.demote_f64x2_zero */
        a = LLVMBuildFPTrunc(B, vpop(f, S_F64), LLVMVectorType(tm->f32, 2), "");
        vpush(f, concat(f, a, NULL, 2));
        return true;
    case 0x5f: /* f64x2.promote_low_f32x4 */
        vpush(f, LLVMBuildFPExt(B, lanes_of(f, vpop(f, S_F32), 0, 2), shape(tm, S_F64), ""));
        return true;
    case 0x67: case 0x68: case 0x69: case 0x6a: case 0x74: case 0x75: case 0x7a: case 0x94: {
        static const char *const rn[] = { "llvm.ceil", "llvm.floor", "llvm.trunc", "llvm.roundeven" };
        int s = op <= 0x6a ? S_F32 : S_F64;
        int k = op <= 0x6a ? (int)(op - 0x67) : op == 0x74 ? 0 : op == 0x75 ? 1 : op == 0x7a ? 2 : 3;
        vpush(f, vintr(f, rn[k], vpop(f, s), NULL));
        return true;
    }
    case 0x7c: case 0x7d: case 0x7e: case 0x7f: { /* extadd_pairwise */
        int s = op <= 0x7d ? S_I16 : S_I32;
        bool sign = !(op & 1);
        a = vpop(f, s - 1);
        unsigned n = g_lanes[s], ev[8], od[8];
        for (unsigned i = 0; i < n; i++) { ev[i] = 2 * i; od[i] = 2 * i + 1; }
        LLVMValueRef e = LLVMBuildShuffleVector(B, a, LLVMGetUndef(LLVMTypeOf(a)), mask_of(f, ev, n), "");
        LLVMValueRef o = LLVMBuildShuffleVector(B, a, LLVMGetUndef(LLVMTypeOf(a)), mask_of(f, od, n), "");
        e = sign ? LLVMBuildSExt(B, e, shape(tm, s), "") : LLVMBuildZExt(B, e, shape(tm, s), "");
        o = sign ? LLVMBuildSExt(B, o, shape(tm, s), "") : LLVMBuildZExt(B, o, shape(tm, s), "");
        vpush(f, LLVMBuildAdd(B, e, o, ""));
        return true;
    }
    case 0xba: { /* i32x4.dot_i16x8_s */
        b = LLVMBuildSExt(B, vpop(f, S_I16), LLVMVectorType(tm->i32, 8), "");
        a = LLVMBuildSExt(B, vpop(f, S_I16), LLVMVectorType(tm->i32, 8), "");
        LLVMValueRef p = LLVMBuildMul(B, a, b, "");
        unsigned ev[4] = { 0, 2, 4, 6 }, od[4] = { 1, 3, 5, 7 };
        LLVMValueRef e = LLVMBuildShuffleVector(B, p, LLVMGetUndef(LLVMTypeOf(p)), mask_of(f, ev, 4), "");
        LLVMValueRef o = LLVMBuildShuffleVector(B, p, LLVMGetUndef(LLVMTypeOf(p)), mask_of(f, od, 4), "");
        vpush(f, LLVMBuildAdd(B, e, o, ""));
        return true;
    }
    case 0xd6: case 0xd7: case 0xd8: case 0xd9: case 0xda: case 0xdb: {
        static const LLVMIntPredicate p64[6] = { LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSGT, LLVMIntSLE, LLVMIntSGE };
        b = vpop(f, S_I64);
        a = vpop(f, S_I64);
        vpush(f, LLVMBuildSExt(B, LLVMBuildICmp(B, p64[op - 0xd6], a, b, ""), shape(tm, S_I64), ""));
        return true;
    }
    case 0xf8: case 0xf9: { /* i32x4.trunc_sat_f32x4 */
        LLVMTypeRef tys[2] = { shape(tm, S_I32), shape(tm, S_F32) };
        LLVMValueRef x = vpop(f, S_F32);
        vpush(f, intrinsic(f, op == 0xf8 ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &x, 1));
        return true;
    }
    case 0xfa: case 0xfb:
        a = vpop(f, S_I32);
        vpush(f, op == 0xfa ? LLVMBuildSIToFP(B, a, shape(tm, S_F32), "") : LLVMBuildUIToFP(B, a, shape(tm, S_F32), ""));
        return true;
    case 0xfc: case 0xfd: { /* i32x4.trunc_sat_f64x2_zero */
        LLVMTypeRef tys[2] = { LLVMVectorType(tm->i32, 2), shape(tm, S_F64) };
        LLVMValueRef x = vpop(f, S_F64);
        r = intrinsic(f, op == 0xfc ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &x, 1);
        vpush(f, concat(f, r, NULL, 2));
        return true;
    }
    case 0xfe: case 0xff:
        a = lanes_of(f, vpop(f, S_I32), 0, 2);
        vpush(f, op == 0xfe ? LLVMBuildSIToFP(B, a, shape(tm, S_F64), "") : LLVMBuildUIToFP(B, a, shape(tm, S_F64), ""));
        return true;
    default: break;
    }
    if (op >= 0x23 && op <= 0x40) { /* integer comparisons */
        int s = (int)(op - 0x23) / 10;
        b = vpop(f, s);
        a = vpop(f, s);
        vpush(f, LLVMBuildSExt(B, LLVMBuildICmp(B, g_icmp[(op - 0x23) % 10], a, b, ""), shape(tm, s), ""));
        return true;
    }
    if (op >= 0x41 && op <= 0x4c) { /* float comparisons: lanes of all ones or zeros */
        int s = op <= 0x46 ? S_F32 : S_F64;
        b = vpop(f, s);
        a = vpop(f, s);
        LLVMValueRef m = LLVMBuildFCmp(B, g_fcmp[(op - 0x41) % 6], a, b, "");
        vpush(f, LLVMBuildSExt(B, m, shape(tm, s == S_F32 ? S_I32 : S_I64), ""));
        return true;
    }
    if (op >= 0x60 && op <= 0xdf) return simd_int(f, op);
    if (op >= 0xe0 && op <= 0xf7) { /* float arithmetic */
        int s = op < 0xec ? S_F32 : S_F64;
        unsigned rel = (op - 0xe0) % 12;
        if (rel <= 3) {
            a = vpop(f, s);
            r = rel == 0 ? vintr(f, "llvm.fabs", a, NULL) : rel == 1 ? LLVMBuildFNeg(B, a, "")
                                                                  : vintr(f, "llvm.sqrt", a, NULL);
        } else {
            b = vpop(f, s);
            a = vpop(f, s);
            switch (rel) {
            case 4: r = LLVMBuildFAdd(B, a, b, ""); break;
            case 5: r = LLVMBuildFSub(B, a, b, ""); break;
            case 6: r = LLVMBuildFMul(B, a, b, ""); break;
            case 7: r = LLVMBuildFDiv(B, a, b, ""); break;
            case 8: case 9: {
                /* a NaN lane gives a quiet NaN (the sum), as min_max does */
                r = vintr(f, rel == 8 ? "llvm.minimum" : "llvm.maximum", a, b);
                LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, a, b, "");
                r = LLVMBuildSelect(B, nan, LLVMBuildFAdd(B, a, b, ""), r, "");
                break;
            }
            case 10: r = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, b, a, ""), b, a, ""); break;
            default: r = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, a, b, ""), b, a, ""); break;
            }
        }
        vpush(f, r);
        return true;
    }
    FAIL(f, "SIMD instruction 0xFD %u", op);
}

static bool read_valtype_skip(tfn *f, LLVMTypeRef *out)
{
    uint8_t b;
    if (!wf_read_u8(&f->r, &b)) return false;
    switch (b) {
    case 0x7F: *out = f->tm->i32; return true;
    case 0x7E: *out = f->tm->i64; return true;
    case 0x7D: *out = f->tm->f32; return true;
    case 0x7C: *out = f->tm->f64; return true;
    case 0x7B: *out = f->tm->v128; return true;
    case 0x63: case 0x64: {
        int64_t ht;
        if (!wf_read_s33(&f->r, &ht)) return false;
        *out = f->tm->ptr;
        return true;
    }
    default: *out = f->tm->ptr; return true;
    }
}

static bool body(tfn *f)
{
    tmod *tm = f->tm;
    LLVMBuilderRef B = tm->B;
    for (;;) {
        uint8_t op;
        if (!wf_read_u8(&f->r, &op)) FAIL(f, "unexpected end of the body");
        bool dead = cur(f)->unreachable;
        uint32_t u;
        switch (op) {
        case 0x00: /* unreachable */
            if (dead) break;
            LLVMBuildBr(B, trap_block(f, WF_JIT_TRAP_UNREACHABLE));
            set_unreachable(f);
            break;
        case 0x01: break;
        case 0x02: case 0x03: case 0x04:
            if (!op_block(f, op)) return false;
            break;
        case 0x08: /* throw: the payload through the slots buffer */
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            op_throw(f, u);
            set_unreachable(f);
            break;
        case 0x0A: { /* throw_ref */
            if (dead) break;
            LLVMValueRef args[2] = { f->t, pop(f) };
            call_rt(f, WF_JIT_RT_wf_jit_rt_throw_ref, args, 2);
            LLVMBuildUnreachable(B);
            set_unreachable(f);
            break;
        }
        case 0x1F:
            if (!op_try_table(f)) return false;
            break;
        case 0x05:
            if (!op_else(f)) return false;
            break;
        case 0x0B: {
            bool done = false;
            if (!op_end(f, &done)) return false;
            if (done) return true;
            break;
        }
        case 0x0C:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            branch_to(f, u);
            set_unreachable(f);
            break;
        case 0x0D:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            op_br_if(f, u);
            break;
        case 0x0E:
            if (!op_br_table(f)) return false;
            break;
        case 0x0F:
            if (dead) break;
            leave_tries(f, (uint32_t)f->cs.len - 1);
            build_return(f);
            set_unreachable(f);
            break;
        case 0x10: case 0x12:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            if (!op_call(f, u, op == 0x12)) return false;
            break;
        case 0x11: case 0x13:
            if (!op_call_indirect(f, op == 0x13)) return false;
            break;
        case 0x14: case 0x15:
            if (!op_call_ref(f, op == 0x15)) return false;
            break;
        case 0x1A: /* drop */
            if (!dead) pop(f);   /* a dropped load's bounds check stays: effective */
            break;
        case 0x1B: case 0x1C: {
            if (op == 0x1C) {
                uint32_t n;
                LLVMTypeRef ty;
                if (!wf_read_u32(&f->r, &n)) return false;
                for (uint32_t i = 0; i < n; i++)
                    if (!read_valtype_skip(f, &ty)) return false;
            }
            if (dead) break;
            LLVMValueRef c = pop(f), b = pop(f), a = pop(f);
            push(f, LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntNE, c, k32(tm, 0), ""), a, b, ""));
            break;
        }
        case 0x20: case 0x21: case 0x22:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            if (op == 0x20) {
                LLVMValueRef l = LLVMBuildLoad2(B, f->local_ty[u], f->locals[u], "");
                if (f->has_try) LLVMSetVolatile(l, 1);
                push(f, l);
            } else {
                LLVMValueRef s = LLVMBuildStore(B, op == 0x21 ? pop(f) : top(f), f->locals[u]);
                if (f->has_try) LLVMSetVolatile(s, 1);
            }
            break;
        case 0x23: case 0x24: {
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            LLVMValueRef g = load_elem(f, f->inst, offsetof(wf_instance, globals), k64(tm, u), true);
            LLVMValueRef vp = at(f, g, offsetof(wf_global, value));
            LLVMTypeRef ty = val_type(tm, tm->m->globals[u].type.type);
            if (!ty) FAIL(f, "a global of an unknown type");
            /* An immutable global's value is fixed once instantiated. (A
             * v128's value and hi are its 16 bytes, 8-aligned.) */
            if (op == 0x23) {
                LLVMValueRef l = LLVMBuildLoad2(B, ty, vp, "");
                LLVMSetAlignment(l, 8);
                push(f, engine_access(f, l, !tm->m->globals[u].type.mut));
            } else {
                to_slot(f, pop(f), vp);
            }
            break;
        }
        case 0x25: case 0x26: {
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            if (op == 0x25) {
                LLVMValueRef i = as32(f, pop(f));
                LLVMValueRef args[4] = { f->t, f->inst, k32(tm, u), i };
                push(f, call_rt(f, WF_JIT_RT_wf_jit_rt_table_get, args, 4));
            } else {
                LLVMValueRef v = pop(f), i = as32(f, pop(f));
                LLVMValueRef args[5] = { f->t, f->inst, k32(tm, u), i, v };
                call_rt(f, WF_JIT_RT_wf_jit_rt_table_set, args, 5);
            }
            break;
        }
        case 0x28: if (!op_load(f, tm->i32, tm->i32, false)) return false; break;
        case 0x29: if (!op_load(f, tm->i64, tm->i64, false)) return false; break;
        case 0x2A: if (!op_load(f, tm->f32, tm->f32, false)) return false; break;
        case 0x2B: if (!op_load(f, tm->f64, tm->f64, false)) return false; break;
        case 0x2C: if (!op_load(f, tm->i8, tm->i32, true)) return false; break;
        case 0x2D: if (!op_load(f, tm->i8, tm->i32, false)) return false; break;
        case 0x2E: if (!op_load(f, tm->i16, tm->i32, true)) return false; break;
        case 0x2F: if (!op_load(f, tm->i16, tm->i32, false)) return false; break;
        case 0x30: if (!op_load(f, tm->i8, tm->i64, true)) return false; break;
        case 0x31: if (!op_load(f, tm->i8, tm->i64, false)) return false; break;
        case 0x32: if (!op_load(f, tm->i16, tm->i64, true)) return false; break;
        case 0x33: if (!op_load(f, tm->i16, tm->i64, false)) return false; break;
        case 0x34: if (!op_load(f, tm->i32, tm->i64, true)) return false; break;
        case 0x35: if (!op_load(f, tm->i32, tm->i64, false)) return false; break;
        case 0x36: if (!op_store(f, tm->i32)) return false; break;
        case 0x37: if (!op_store(f, tm->i64)) return false; break;
        case 0x38: if (!op_store(f, tm->f32)) return false; break;
        case 0x39: if (!op_store(f, tm->f64)) return false; break;
        case 0x3A: if (!op_store(f, tm->i8)) return false; break;
        case 0x3B: if (!op_store(f, tm->i16)) return false; break;
        case 0x3C: if (!op_store(f, tm->i8)) return false; break;
        case 0x3D: if (!op_store(f, tm->i16)) return false; break;
        case 0x3E: if (!op_store(f, tm->i32)) return false; break;
        case 0x3F: case 0x40:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            bool m64 = tm->m->mems[u].limits.is64;
            if (op == 0x3F) {
                LLVMValueRef size = load_at(f, tm->i64, memory_n(f, u), offsetof(wf_memory, size));
                LLVMValueRef pages = LLVMBuildLShr(B, size, k64(tm, 16), "");
                push(f, m64 ? pages : LLVMBuildTrunc(B, pages, tm->i32, ""));
            } else {
                LLVMValueRef args[3] = { f->inst, k32(tm, u), as32(f, pop(f)) };
                LLVMValueRef r = call_rt(f, WF_JIT_RT_wf_jit_rt_memory_grow, args, 3);
                push(f, m64 ? LLVMBuildSExt(B, r, tm->i64, "") : r);
            }
            break;
        case 0x41: {
            int32_t v;
            if (!wf_read_s32(&f->r, &v)) return false;
            if (!dead) push(f, k32(tm, (uint32_t)v));
            break;
        }
        case 0x42: {
            int64_t v;
            if (!wf_read_s64(&f->r, &v)) return false;
            if (!dead) push(f, k64(tm, (uint64_t)v));
            break;
        }
        case 0x43: {
            uint32_t bits;
            if (!wf_read_f32(&f->r, &bits)) return false;
            if (!dead) push(f, fconst_bits(f, tm->i32, tm->f32, bits));
            break;
        }
        case 0x44: {
            uint64_t bits;
            if (!wf_read_f64(&f->r, &bits)) return false;
            if (!dead) push(f, fconst_bits(f, tm->i64, tm->f64, bits));
            break;
        }
        case 0xD0: { /* ref.null ht */
            int64_t ht;
            if (!wf_read_s33(&f->r, &ht)) return false;
            if (!dead) push(f, LLVMConstNull(tm->ptr));
            break;
        }
        case 0xD1:
            if (!dead) push(f, bool32(f, LLVMBuildIsNull(B, pop(f), "")));
            break;
        case 0xD2:
            if (!wf_read_u32(&f->r, &u)) return false;
            if (!dead) push(f, load_elem(f, f->inst, offsetof(wf_instance, funcs), k64(tm, u), true));
            break;
        case 0xD3:
            if (!dead) icmp(f, LLVMIntEQ);
            break;
        case 0xD4:
            if (!dead) trap_if(f, LLVMBuildIsNull(B, top(f), ""), WF_JIT_TRAP_NULL_REF);
            break;
        case 0xD5: case 0xD6: {
            if (!wf_read_u32(&f->r, &u)) return false;
            if (dead) break;
            /* br_on_null: branch without the ref; br_on_non_null: with it. */
            LLVMValueRef ref = top(f);
            LLVMBasicBlockRef taken = new_block(f, "br"), cont = new_block(f, "cont");
            LLVMValueRef isnull = LLVMBuildIsNull(B, ref, "");
            LLVMBuildCondBr(B, isnull, op == 0xD5 ? taken : cont, op == 0xD5 ? cont : taken);
            LLVMPositionBuilderAtEnd(B, taken);
            if (op == 0xD5) {
                pop(f);
                branch_to(f, u);
                push(f, ref);
            } else {
                branch_to(f, u);
            }
            LLVMPositionBuilderAtEnd(B, cont);
            if (op == 0xD6) pop(f);
            break;
        }
        case 0xFC:
            if (!op_prefix_fc(f)) return false;
            break;
        case 0xFD:
            if (!translate_simd(f)) return false;
            break;
        default:
            if (op >= 0x45 && op <= 0xC4) {
                if (dead) break;
                if (!numeric(f, op)) return false;
                break;
            }
            FAIL(f, "instruction 0x%02X", op);
        }
    }
}

/* ---- functions ---------------------------------------------------------------- */

/* Locals: params from the arguments, declared ones zero. */
static bool setup_locals(tfn *f)
{
    tmod *tm = f->tm;
    uint32_t ngroups;
    if (!wf_read_u32(&f->r, &ngroups)) return false;
    uint32_t np = f->ft->nparams;
    uint32_t total = np;
    const uint8_t *save = f->r.p;
    for (uint32_t g = 0; g < ngroups; g++) {
        uint32_t n;
        LLVMTypeRef ty;
        if (!wf_read_u32(&f->r, &n) || !read_valtype_skip(f, &ty)) return false;
        total += n;
    }
    f->nlocals = total;
    f->locals = wf_xcalloc(total + 1, sizeof *f->locals);
    f->local_ty = wf_xcalloc(total + 1, sizeof *f->local_ty);
    for (uint32_t i = 0; i < np; i++) {
        f->local_ty[i] = val_type(tm, f->ft->params[i]);
        f->locals[i] = new_alloca(f, f->local_ty[i]);
        LLVMBuildStore(f->AB, LLVMGetParam(f->fn, 3 + i), f->locals[i]);
    }
    f->r.p = save;
    uint32_t k = np;
    for (uint32_t g = 0; g < ngroups; g++) {
        uint32_t n;
        LLVMTypeRef ty;
        if (!wf_read_u32(&f->r, &n) || !read_valtype_skip(f, &ty)) return false;
        for (uint32_t i = 0; i < n; i++, k++) {
            f->local_ty[k] = ty;
            f->locals[k] = new_alloca(f, ty);
            LLVMBuildStore(f->AB, LLVMConstNull(ty), f->locals[k]);
        }
    }
    return true;
}

static void free_fn(tfn *f)
{
    for (size_t i = 0; i < f->cs.len; i++) free_ctl(&f->cs.data[i]);
    wf_vec_free(&f->cs);
    wf_vec_free(&f->st);
    free(f->locals);
    free(f->local_ty);
    if (f->AB) LLVMDisposeBuilder(f->AB);
    wf_reader_dispose(&f->r);
}

static bool translate_body(tfn *f, const struct wf_code *code)
{
    tmod *tm = f->tm;
    f->allocas = new_block(f, "entry");
    f->AB = LLVMCreateBuilderInContext(tm->C);
    LLVMPositionBuilderAtEnd(f->AB, f->allocas);
    f->t = LLVMGetParam(f->fn, 0);
    f->inst = LLVMGetParam(f->fn, 1);
    f->mb = LLVMGetParam(f->fn, 2);
    f->callbuf = LLVMBuildAlloca(f->AB, tm->i64, "slots");
    /* (a tail call cannot leave a frame that holds a catch point) */
    if (code->try_tables && code->tail_calls) FAIL(f, "try_table and tail calls");
    f->has_try = code->try_tables;
    wf_reader_init(&f->r, code->body, code->body_len, 0);
    if (!setup_locals(f)) {
        if (!f->why[0]) snprintf(f->why, sizeof f->why, "unreadable locals");
        return false;
    }
    LLVMBasicBlockRef start = new_block(f, "start");
    LLVMPositionBuilderAtEnd(tm->B, start);
    /* Native stack and interrupt checks at every entry. */
    LLVMValueRef lim = load_at(f, tm->i64, f->t, offsetof(wf_thread, jit_stack_limit));
    trap_if(f, LLVMBuildICmp(tm->B, LLVMIntULT, stack_pointer(f), lim, ""), WF_JIT_TRAP_EXHAUSTED);
    check_interrupt(f);
    count_heat(f);
    ctl *c = push_ctl(f, K_FUNC, f->ft, 2, WF_TYPE_I32);
    c->nparams = 0;     /* the function's parameters are locals, not on the stack */
    c->height = 0;
    c->end = new_block(f, "ret");
    if (!body(f)) {
        if (!f->why[0]) snprintf(f->why, sizeof f->why, "unreadable body");
        return false;
    }
    /* The slots buffer, now that its size is known. */
    LLVMValueRef buf = LLVMBuildArrayAlloca(f->AB, tm->i64, k32(tm, WF_MAX(f->callbuf_slots, 1u)), "slots");
    LLVMSetAlignment(buf, 16);
    LLVMReplaceAllUsesWith(f->callbuf, buf);
    LLVMInstructionEraseFromParent(f->callbuf);
    LLVMBuildBr(f->AB, start);
    return true;
}

/* f<i> of a function left interpreted: its arguments through the slots
 * to wf_jit_rt_call, which runs it wherever it is. */
static void build_stub(tmod *tm, uint32_t fi)
{
    const wf_functype *ft = tm->m->funcs[fi].type;
    tfn f;
    memset(&f, 0, sizeof f);
    f.tm = tm;
    f.ft = ft;
    f.fn = tm->fn[fi];
    LLVMBasicBlockRef bb = new_block(&f, "stub");
    LLVMPositionBuilderAtEnd(tm->B, bb);
    f.t = LLVMGetParam(f.fn, 0);
    f.inst = LLVMGetParam(f.fn, 1);
    uint32_t n = WF_MAX(ft->param_slots, ft->result_slots);
    f.callbuf = LLVMBuildArrayAlloca(tm->B, tm->i64, k32(tm, WF_MAX(n, 1u)), "slots");
    for (uint32_t i = 0; i < ft->nparams; i++) push(&f, LLVMGetParam(f.fn, 3 + i));
    slots_call(&f, ft, WF_JIT_RT_wf_jit_rt_call, k32(tm, fi));
    build_return(&f);
    wf_vec_free(&f.st);
}

/* e<i>: the wf_jit_entry_fn of f<i>. */
static LLVMValueRef build_entry(tmod *tm, uint32_t fi, const char *name)
{
    const wf_functype *ft = tm->m->funcs[fi].type;
    LLVMTypeRef ps[3] = { tm->ptr, tm->ptr, tm->ptr };
    LLVMValueRef e = LLVMAddFunction(tm->M, name, LLVMFunctionType(tm->vd, ps, 3, 0));
    LLVMSetLinkage(e, LLVMInternalLinkage);
    tfn f;
    memset(&f, 0, sizeof f);
    f.tm = tm;
    f.fn = e;
    LLVMPositionBuilderAtEnd(tm->B, new_block(&f, "entry"));
    LLVMValueRef t = LLVMGetParam(e, 0), inst = LLVMGetParam(e, 1), fp = LLVMGetParam(e, 2);
    LLVMValueRef mb = LLVMConstNull(tm->ptr);
    if (tm->m->nmems) {
        f.inst = inst;
        mb = load_fixed(&f, tm->ptr, memory0(&f), offsetof(wf_memory, base));
    }
    uint32_t np = ft->nparams, nr = ft->nresults;
    LLVMValueRef args[3 + np];
    args[0] = t;
    args[1] = inst;
    args[2] = mb;
    for (uint32_t i = 0; i < np; i++)
        args[3 + i] = from_slot(&f, val_type(tm, ft->params[i]), slot_ptr(&f, fp, slot_index(ft->params, i)));
    LLVMValueRef r = LLVMBuildCall2(tm->B, tm->fty[fi], tm->fn[fi], args, 3 + np, "");
    for (uint32_t i = 0; i < nr; i++) {
        LLVMValueRef v = nr == 1 ? r : LLVMBuildExtractValue(tm->B, r, i, "");
        to_slot(&f, v, slot_ptr(&f, fp, slot_index(ft->results, i)));
    }
    LLVMBuildRetVoid(tm->B);
    return e;
}

static void declare_helpers(tmod *tm)
{
    static const char *const names[] = {
#define WF_N_(n, sig) #n,
        WF_JIT_RT_HELPERS(WF_N_)
#undef WF_N_
    };
    static const char *const sigs[] = {
#define WF_S_(n, sig) sig,
        WF_JIT_RT_HELPERS(WF_S_)
#undef WF_S_
    };
    for (int i = 0; i < WF_JIT_RT_COUNT_; i++) {
        const char *s = sigs[i];
        LLVMTypeRef ps[8];
        unsigned n = 0;
        for (const char *c = s + 1; *c; c++) ps[n++] = *c == 'i' ? tm->i32 : tm->ptr;
        LLVMTypeRef ret = s[0] == 'v' ? tm->vd : s[0] == 'i' ? tm->i32 : tm->ptr;
        tm->rt_ty[i] = LLVMFunctionType(ret, ps, n, 0);
        tm->rt[i] = LLVMAddFunction(tm->M, names[i], tm->rt_ty[i]);
    }
    /* _setjmp returns twice (op_try_table) */
    unsigned rt2 = LLVMGetEnumAttributeKindForName("returns_twice", 13);
    LLVMAddAttributeAtIndex(tm->rt[WF_JIT_RT__setjmp], LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(tm->C, rt2, 0));
    /* Traps never return and are cold: LLVM lays them out of the way. */
    const char *attrs[] = { "noreturn", "cold", "nounwind" };
    for (size_t a = 0; a < WF_COUNT(attrs); a++) {
        unsigned kind = LLVMGetEnumAttributeKindForName(attrs[a], strlen(attrs[a]));
        LLVMAttributeRef at = LLVMCreateEnumAttribute(tm->C, kind, 0);
        LLVMAddAttributeAtIndex(tm->rt[WF_JIT_RT_wf_jit_rt_trap], LLVMAttributeFunctionIndex, at);
        LLVMAddAttributeAtIndex(tm->rt[WF_JIT_RT_wf_jit_rt_trap_uninit], LLVMAttributeFunctionIndex, at);
    }
}

static void setup_alias_classes(tmod *tm)
{
    LLVMContextRef C = tm->C;
    tm->md_tbaa = LLVMGetMDKindIDInContext(C, "tbaa", 4);
    tm->md_invariant = LLVMGetMDKindIDInContext(C, "invariant.load", 14);
    tm->md_empty = LLVMMetadataAsValue(C, LLVMMDNodeInContext2(C, NULL, 0));
    LLVMMetadataRef root_name = LLVMMDStringInContext2(C, "wasmfn jit", 10);
    LLVMMetadataRef root = LLVMMDNodeInContext2(C, &root_name, 1);
    LLVMMetadataRef zero = LLVMValueAsMetadata(LLVMConstInt(tm->i64, 0, 0));
    const char *names[2] = { "wasm memory", "engine state" };
    LLVMValueRef *tags[2] = { &tm->tbaa_heap, &tm->tbaa_engine };
    for (int i = 0; i < 2; i++) {
        /* a scalar type under the root, and the access tag of it */
        LLVMMetadataRef ty_ops[3] = { LLVMMDStringInContext2(C, names[i], strlen(names[i])), root, zero };
        LLVMMetadataRef ty = LLVMMDNodeInContext2(C, ty_ops, 3);
        LLVMMetadataRef tag_ops[3] = { ty, ty, zero };
        *tags[i] = LLVMMetadataAsValue(C, LLVMMDNodeInContext2(C, tag_ops, 3));
    }
}

/* The interrupt flag was set: wf_jit_rt_interrupt decides; a trap when the
 * call must stop. Called with a convention that preserves every register
 * (where LLVM has one): the saving is done here, on the rare path. */
static void build_interrupt_slow_path(tmod *tm, const char *prefix)
{
    char name[96];
    snprintf(name, sizeof name, "%sinterrupt", prefix);
    LLVMTypeRef ty = LLVMFunctionType(tm->vd, &tm->ptr, 1, 0);
    LLVMValueRef fn = LLVMAddFunction(tm->M, name, ty);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
#if defined(__x86_64__)
    LLVMSetFunctionCallConv(fn, LLVMPreserveAllCallConv);
#endif
    const char *attrs[] = { "noinline", "cold", "nounwind" };
    for (size_t a = 0; a < WF_COUNT(attrs); a++) {
        unsigned kind = LLVMGetEnumAttributeKindForName(attrs[a], strlen(attrs[a]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(tm->C, kind, 0));
    }
    tfn f;
    memset(&f, 0, sizeof f);
    f.tm = tm;
    f.fn = fn;
    f.t = LLVMGetParam(fn, 0);
    LLVMPositionBuilderAtEnd(tm->B, new_block(&f, "entry"));
    LLVMValueRef stop = call_rt(&f, WF_JIT_RT_wf_jit_rt_interrupt, &f.t, 1);
    trap_if(&f, LLVMBuildICmp(tm->B, LLVMIntNE, stop, k32(tm, 0), ""), WF_JIT_TRAP_INTERRUPTED);
    LLVMBuildRetVoid(tm->B);
    tm->intr_slow = fn;
}

/* A small function calling itself: LLVM does not inline a function into
 * itself, so each wasm call of a recursion pays a whole native call. As
 * GCC does at -O2 (its recursive inlining), f<i>'s body is translated again
 * into WF_JIT_RECURSION_COPIES internal copies, f<i> calling the first,
 * each copy the next and the last f<i> again: LLVM's inliner folds the
 * chain into f<i>, several levels of the recursion per native call. The
 * body is read and translated as it was the first time, so it succeeds
 * again; each level keeps its own stack and interrupt checks. */
static void unroll_recursion(tmod *tm, uint32_t fi, const char *prefix)
{
    LLVMValueRef copies[WF_JIT_RECURSION_COPIES];
    char name[96];
    for (int j = 0; j < WF_JIT_RECURSION_COPIES; j++) {
        snprintf(name, sizeof name, "%sf%u_r%d", prefix, fi, j);
        copies[j] = LLVMAddFunction(tm->M, name, tm->fty[fi]);
        LLVMSetLinkage(copies[j], LLVMInternalLinkage);
    }
    LLVMBasicBlockRef bb;
    while ((bb = LLVMGetFirstBasicBlock(tm->fn[fi]))) LLVMDeleteBasicBlock(bb);
    for (int j = -1; j < WF_JIT_RECURSION_COPIES; j++) {
        tfn f;
        memset(&f, 0, sizeof f);
        f.tm = tm;
        f.ft = tm->m->funcs[fi].type;
        f.index = fi;
        f.fn = j < 0 ? tm->fn[fi] : copies[j];
        f.self_target = j + 1 < WF_JIT_RECURSION_COPIES ? copies[j + 1] : tm->fn[fi];
        bool ok = translate_body(&f, tm->m->funcs[fi].code);
        free_fn(&f);
        (void)ok;   /* as the first translation */
    }
}

/* Function fi's body into tm->fn[fi]; one that does not translate gets
 * the stub instead (build_stub: it stays interpreted), and false with the
 * reason in *why (when why is given). self_calls: whether it calls itself. */
static bool translate_or_stub(tmod *tm, uint32_t fi, char **why, bool *self_calls)
{
    tfn f;
    memset(&f, 0, sizeof f);
    f.tm = tm;
    f.ft = tm->m->funcs[fi].type;
    f.index = fi;
    f.fn = tm->fn[fi];
    bool ok = translate_body(&f, tm->m->funcs[fi].code);
    free_fn(&f);
    *self_calls = f.self_calls;
    if (ok) return true;
    if (why) *why = wf_xstrdup(f.why[0] ? f.why : "not translated");
    /* Start again with an empty body: the stub. */
    LLVMBasicBlockRef bb;
    while ((bb = LLVMGetFirstBasicBlock(tm->fn[fi]))) LLVMDeleteBasicBlock(bb);
    build_stub(tm, fi);
    return false;
}

/* The bodies of the unit's functions funcs[0..count); one that does not
 * translate stays interpreted, its f<i> a stub calling the interpreter. */
static void translate_functions(tmod *tm, const uint32_t *funcs, uint32_t count, const char *prefix,
                                bool *compiled, char **why)
{
    const wf_module *m = tm->m;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t fi = m->nfunc_imports + funcs[k];
        compiled[k] = false;
        why[k] = NULL;
        if (!tm->fty[fi]) {
            /* A placeholder body, never called: the unit's table has no
             * entry for it. */
            why[k] = wf_xstrdup("a type without a native form");
            LLVMPositionBuilderAtEnd(tm->B, LLVMAppendBasicBlockInContext(tm->C, tm->fn[fi], "none"));
            LLVMBuildUnreachable(tm->B);
            continue;
        }
        bool self_calls;
        compiled[k] = translate_or_stub(tm, fi, &why[k], &self_calls);
        if (compiled[k] && self_calls && m->funcs[fi].code->body_len <= WF_JIT_RECURSION_BODY_MAX)
            unroll_recursion(tm, fi, prefix);
    }
    /* The callees pulled in (pull_callee), translated as the unit's own
     * functions are; one that does not translate is a stub. */
    tm->pull = false;
    for (size_t k = 0; k < tm->pulled.len; k++) {
        bool self_calls;
        translate_or_stub(tm, tm->pulled.data[k], NULL, &self_calls);
    }
}

void wf_jit_translate_unit(const wf_module *m, LLVMContextRef C, LLVMModuleRef M, const char *prefix,
                           const uint32_t *funcs, uint32_t count, int level, bool *compiled, char **why)
{
    tmod tm;
    memset(&tm, 0, sizeof tm);
    tm.m = m;
    tm.cheap = level == WF_JIT_LEVEL_CHEAP;
    tm.pull = level == WF_JIT_LEVEL_UPGRADE;
    tm.prefix = prefix;
    tm.C = C;
    tm.M = M;
    tm.B = LLVMCreateBuilderInContext(C);
    tm.i1 = LLVMInt1TypeInContext(C);
    tm.i8 = LLVMInt8TypeInContext(C);
    tm.i16 = LLVMInt16TypeInContext(C);
    tm.i32 = LLVMInt32TypeInContext(C);
    tm.i64 = LLVMInt64TypeInContext(C);
    tm.f32 = LLVMFloatTypeInContext(C);
    tm.f64 = LLVMDoubleTypeInContext(C);
    tm.ptr = LLVMPointerTypeInContext(C, 0);
    tm.vd = LLVMVoidTypeInContext(C);
    tm.v128 = LLVMVectorType(tm.i64, 2);
    declare_helpers(&tm);
    setup_alias_classes(&tm);
    build_interrupt_slow_path(&tm, prefix);

    /* Native types of every function; bodies of this unit's only. */
    tm.fty = wf_xcalloc(m->nfuncs + 1, sizeof *tm.fty);
    tm.fn = wf_xcalloc(m->nfuncs + 1, sizeof *tm.fn);
    char name[96];
    for (uint32_t i = 0; i < m->nfuncs; i++) tm.fty[i] = native_type(&tm, m->funcs[i].type);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t fi = m->nfunc_imports + funcs[k];
        snprintf(name, sizeof name, "%sf%u", prefix, fi);
        LLVMTypeRef ty = tm.fty[fi] ? tm.fty[fi] : LLVMFunctionType(tm.vd, NULL, 0, 0);
        tm.fn[fi] = LLVMAddFunction(M, name, ty);
        LLVMSetLinkage(tm.fn[fi], LLVMInternalLinkage);
    }

    for (uint32_t i = m->nfunc_imports; i < m->nfuncs && !tm.any_tail; i++) tm.any_tail = may_pend(&tm, i);
    translate_functions(&tm, funcs, count, prefix, compiled, why);
    /* The unit's table: per function, f<i> and e<i>, NULL for one left
     * interpreted. */
    LLVMValueRef *elems = wf_xcalloc(2 * (size_t)count + 1, sizeof *elems);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t fi = m->nfunc_imports + funcs[k];
        elems[2 * k] = elems[2 * k + 1] = LLVMConstNull(tm.ptr);
        if (!compiled[k]) continue;
        snprintf(name, sizeof name, "%se%u", prefix, fi);
        elems[2 * k] = tm.fn[fi];
        elems[2 * k + 1] = build_entry(&tm, fi, name);
    }
    snprintf(name, sizeof name, "%su%u", prefix, funcs[0]);
    LLVMValueRef table = LLVMAddGlobal(M, LLVMArrayType2(tm.ptr, 2 * (uint64_t)count), name);
    LLVMSetInitializer(table, LLVMConstArray2(tm.ptr, elems, 2 * (uint64_t)count));
    LLVMSetGlobalConstant(table, 1);
    free(elems);
    free(tm.fty);
    free(tm.fn);
    wf_vec_free(&tm.pulled);
    LLVMDisposeBuilder(tm.B);
}
