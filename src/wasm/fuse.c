/*
 * fuse.c - the fusion rules: translating one instruction, the compiler may
 * merge it with the code just emitted into one fused instruction, so the
 * interpreter dispatches once where it would dispatch two or three times
 * (and reads fewer operands). The rules are local and of two kinds:
 *
 * - Taking over a producer: a value consumed right after the instruction
 *   that computed it into its stack slot (is_prod: a temporary, used only
 *   here, no label in between) lets the consumer take the producer's
 *   operands and the producer be cut off (a compare into its branch, an
 *   add into a load's address, a load into f64 arithmetic, ...).
 * - Merging into the last instruction: one whose result stays live (a
 *   local) can have the next one merged into it (can_merge: the opcode word
 *   changes, the operands are appended; never across a label, and the
 *   merged form does both in the original order): moves, a counter's add
 *   and its loop test, an argument and its call.
 *
 * Every fused instruction gives exactly the unfused result
 * (tests/unit/test_interp_fused.c checks each is used and agrees).
 *
 * Gain (each rule's comment): how many more instructions a workload's
 * interpreted part executes with the rule off (WF_FUSE_OFF=rule) than with
 * every rule on, counted by callgrind (repeatable on a shared machine; it
 * counts instructions, not the mispredicted dispatches fusion also saves).
 * Measured when this file was split out, on the kernels of bench/wasi with
 * reduced arguments (fib 25, sieve 131072, matmul 40, sha256 64, nbody 3000,
 * hashtab 15000, parse 1500, loops 2000; the interpreted part is the run
 * less one with a trivial argument) and on the sightglass modules gimli and
 * xblabla20 (whole run); workloads under 0.5% are not named. All rules off
 * together: matmul 75%, hashtab 43%, fib 36%, xblabla20 33%, sieve 30%,
 * nbody 29%, sha256 27%, loops 25%, parse 24%, gimli 1.4%. "Under 0.5%":
 * the workload the rule was made for is not among these (sightglass
 * modules that need input files, which callgrind cannot open, or too long
 * to run under it); not measured there.
 */
#include "wasm/fuse.h"
#include <stdlib.h>
#include <string.h>

/* ---- switching rules off (WF_FUSE_OFF) ------------------------------------ */

#define WF_FUSE_RULES(X)                                                      \
    X(move2) X(move_br) X(return_s) X(add_ret) X(call_arg) X(cmp_br)          \
    X(bit_test) X(range) X(add_br) X(load_br) X(add2k) X(addr_k) X(addr_x)    \
    X(xor_rotl) X(add_xor_rotl) X(xor_shift) X(muladd_kk) X(madd) X(add3)     \
    X(add_shru) X(extend_cmp) X(f64_m) X(f64_acc) X(entry_const) X(zero_store)

enum {
#define R(n) R_##n,
    WF_FUSE_RULES(R)
#undef R
    R_COUNT_
};
_Static_assert(R_COUNT_ <= 32, "one bit a rule");

static uint32_t g_off;          /* rules switched off */
static int g_off_ready;

uint32_t wf_fuse_off(void)
{
    if (!__atomic_load_n(&g_off_ready, __ATOMIC_ACQUIRE)) {
        static const char *const names[] = {
#define R(n) #n,
            WF_FUSE_RULES(R)
#undef R
        };
        const char *s = getenv("WF_FUSE_OFF");
        uint32_t off = 0;
        while (s && *s) {
            size_t n = strcspn(s, ",");
            for (int i = 0; i < R_COUNT_; i++)
                if ((n == 3 && !strncmp(s, "all", 3)) ||
                    (strlen(names[i]) == n && !strncmp(s, names[i], n)))
                    off |= 1u << i;
            s += n + (s[n] == ',');
        }
        __atomic_store_n(&g_off, off, __ATOMIC_RELAXED);
        __atomic_store_n(&g_off_ready, 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&g_off, __ATOMIC_RELAXED);
}

/* The body being compiled has `rule` on (c->fuse_off, read when it began). */
#define ON(rule) (!(c->fuse_off & (1u << R_##rule)))

/* The producer's two operands after its dst (*x, *y); the producer is cut
 * off (its result is used only by the instruction being fused). */
static void take_prod(cc *c, wf_word *x, wf_word *y)
{
    *x = c->code.data[c->prod_op + 2];
    *y = c->code.data[c->prod_op + 3];
    cut_prod(c);
}

/* ---- moves, branches, returns and calls ------------------------------------ */

/* move2 - MOVE a b; MOVE c d -> MOVE2 a b c d (commit 1c28cf0). The two
 * moves still happen in order, so c may read a.
 * Gain: sha256 1.4%, parse 0.8%. */
bool wf_fuse_move(cc *c, uint32_t dst, uint32_t src)
{
    if (!ON(move2) || !can_merge(c, WF_IOP_MOVE, 3)) return false;
    retype_last(c, WF_IOP_MOVE2);
    emit(c, dst);
    emit(c, src);
    return true;
}

/* move_br - MOVE a b; BR L -> MOVE_BR a b L (commit f580593): a value
 * carried to a label, then the jump. Gain: under 0.5%. */
bool wf_fuse_br(cc *c)
{
    if (!ON(move_br) || !can_merge(c, WF_IOP_MOVE, 3)) return false;
    retype_last(c, WF_IOP_MOVE_BR);
    return true;
}

/* return_s - MOVE 0 s; RETURN -> RETURN_S s (commit 1c28cf0): returning a
 * local or constant. A value just computed is retargeted to slot 0
 * instead (no move at all). Gain: under 0.5%. */
bool wf_fuse_return_slot(cc *c, const sval *v)
{
    if (!ON(return_s) || v->slot == 0 || is_prod(c, v)) return false;
    emit_op(c, WF_IOP_RETURN_S);
    emit(c, v->slot);
    return true;
}

/* add_ret - I32_ADD[_K] 0 a b; RETURN -> I32_ADD[K]_RET 0 a b (commit
 * 9c134aa): the add computing the result, retargeted to slot 0, returns
 * too (fib's `fib(n-1) + fib(n-2)`). Gain: fib 1.1%. */
bool wf_fuse_return_add(cc *c)
{
    if (!ON(add_ret)) return false;
    bool add = can_merge(c, WF_IOP_I32_ADD, 4), addk = can_merge(c, WF_IOP_I32_ADD_K, 4);
    if (!(add || addk) || c->code.data[c->last_op + 1] != 0) return false;
    retype_last(c, add ? WF_IOP_I32_ADD_RET : WF_IOP_I32_ADDK_RET);
    no_prod(c);
    return true;
}

/* call_arg - I32_ADD_K d a k; CALL f base -> ADDK_CALL d a k f base, and
 * MOVE d s; CALL -> MOVE_CALL (commit 9aadcd0): the last argument computed
 * or moved into place, then the call (recursive fib's `fib(n - 1)`). The
 * argument is written before the callee runs, as before. Gain: fib 1.1%. */
bool wf_fuse_call(cc *c)
{
    if (!ON(call_arg)) return false;
    if (can_merge(c, WF_IOP_I32_ADD_K, 4)) {
        retype_last(c, WF_IOP_ADDK_CALL);
        return true;
    }
    if (can_merge(c, WF_IOP_MOVE, 3)) {
        retype_last(c, WF_IOP_MOVE_CALL);
        return true;
    }
    return false;
}

/* ---- conditions ------------------------------------------------------------ */

/* The branches for compare `cmp`: taken when true (yes), and when false. */
static bool cmp_branches(wf_iop cmp, wf_iop *yes, wf_iop *no)
{
    switch (cmp) {
    /* a compare with an immediate: the immediate form of the branch */
#define P(a, b) \
    case WF_IOP_##a: *yes = WF_IOP_BR_##a; *no = WF_IOP_BR_##b; return true; \
    case WF_IOP_##b: *yes = WF_IOP_BR_##b; *no = WF_IOP_BR_##a; return true; \
    case WF_IOP_##a##_K: *yes = WF_IOP_BR_##a##_K; *no = WF_IOP_BR_##b##_K; return true; \
    case WF_IOP_##b##_K: *yes = WF_IOP_BR_##b##_K; *no = WF_IOP_BR_##a##_K; return true;
    P(I32_EQ, I32_NE) P(I32_LT_S, I32_GE_S) P(I32_LT_U, I32_GE_U)
    P(I32_GT_S, I32_LE_S) P(I32_GT_U, I32_LE_U)
    P(I64_EQ, I64_NE) P(I64_LT_S, I64_GE_S) P(I64_LT_U, I64_GE_U)
    P(I64_GT_S, I64_LE_S) P(I64_GT_U, I64_LE_U)
#undef P
    case WF_IOP_I64_EQZ: *yes = WF_IOP_BR_I64_EQZ; *no = WF_IOP_BR_I64_NEZ; return true;
    case WF_IOP_I32_EQZ: *yes = WF_IOP_BR_I32_EQZ; *no = WF_IOP_BR_IF; return true;
    default: return false;
    }
}

void wf_fuse_cond(cc *c, const sval *cond, wf_word *ops, int *nops, wf_iop *yes, wf_iop *no)
{
    ops[0] = cond->slot;
    *nops = 1;
    *yes = WF_IOP_BR_IF;
    *no = WF_IOP_BR_IF_NOT;
    if (!is_prod(c, cond)) return;
    if (ON(range) && c->prod_iop == WF_IOP_I32_RANGE_K) {
        /* range (the branch half) - I32_RANGE_K t x k1 k2; BR_IF t ->
         * I32_ADD_K x' x k1; BR_I32_LT_U_K x' k2, which add_br then merges
         * (ADDK_BR_I32_LT_U_K): back to the add, whose result the range
         * check computed as a temporary anyway (the add's dst is the
         * temp). */
        size_t at = c->prod_op;
        ops[0] = c->code.data[at + 1];
        ops[1] = c->code.data[at + 4];
        *nops = 2;
        c->code.data[at] = (wf_word)c->lab[WF_IOP_I32_ADD_K];
        c->code.len = at + 4;
        c->last_op = at;
        c->last_iop = WF_IOP_I32_ADD_K;
        *yes = WF_IOP_BR_I32_LT_U_K;
        *no = WF_IOP_BR_I32_GE_U_K;
        no_prod(c);
        return;
    }
    if (ON(bit_test) && c->prod_iop == WF_IOP_I32_AND_K) {
        /* bit_test - I32_AND_K t x k; BR_IF t -> BR_I32_TEST_K x k (commit
         * 017c62b): x & k as a condition, the and used only there.
         * Gain: parse 3.2%. */
        take_prod(c, &ops[0], &ops[1]);
        *nops = 2;
        *yes = WF_IOP_BR_I32_TEST_K;
        *no = WF_IOP_BR_I32_TESTZ_K;
        return;
    }
    /* cmp_br - an integer compare (or eqz) into a temp, then a branch on
     * it -> one compare-and-branch BR_<cmp>[_K] (commit 3762cc0, the
     * immediate forms db2a986): the compare's 0/1 is used only by the
     * branch.
     * Gain: hashtab 29%, sieve 24%, fib 24%, parse 19%, matmul 17%, loops
     * 16%, sha256 5.6%, xblabla20 4.9%, nbody 2.2%. */
    if (!ON(cmp_br) || !cmp_branches(c->prod_iop, yes, no)) return;
    bool unary = c->prod_iop == WF_IOP_I32_EQZ || c->prod_iop == WF_IOP_I64_EQZ;
    ops[0] = c->code.data[c->prod_op + 2];
    ops[1] = unary ? 0 : c->code.data[c->prod_op + 3];
    *nops = unary ? 1 : 2;
    cut_prod(c);
    /* bit_test, its zero form - I32_AND_K t x k; BR_I32_EQZ t ->
     * BR_I32_TESTZ_K x k: (x & k) == 0, the and the instruction before the
     * eqz just taken, into a temporary (not a local, whose value must
     * stay). */
    if (ON(bit_test) && *yes == WF_IOP_BR_I32_EQZ && can_merge(c, WF_IOP_I32_AND_K, 4) &&
        c->code.data[c->last_op + 1] == ops[0] && ops[0] >= c->cbase + c->ccap) {
        size_t at = c->last_op;
        ops[0] = c->code.data[at + 2];
        ops[1] = c->code.data[at + 3];
        *nops = 2;
        *yes = WF_IOP_BR_I32_TESTZ_K;
        *no = WF_IOP_BR_I32_TEST_K;
        cut_code(c, at);
    }
}

/* load_br - I32_LOAD8_U d a off; BR_IF d (or its zero test) ->
 * I32_LOAD8_U_BR_NZ d a off L (_BR_Z), the same for I32_LOAD (commit
 * 9aadcd0): a loaded byte or word tested right away (a string scan's
 * `while (*p)`); d is still written. Gain: hashtab 3.9%, parse 0.5%. */
static bool load_br(cc *c, bool nz, const wf_word *ops)
{
    bool ld8 = can_merge(c, WF_IOP_I32_LOAD8_U, 4), ld32 = can_merge(c, WF_IOP_I32_LOAD, 4);
    if (!(ld8 || ld32) || c->code.data[c->last_op + 1] != ops[0]) return false;
    retype_last(c, ld8 ? (nz ? WF_IOP_I32_LOAD8_U_BR_NZ : WF_IOP_I32_LOAD8_U_BR_Z)
                       : (nz ? WF_IOP_I32_LOAD_BR_NZ : WF_IOP_I32_LOAD_BR_Z));
    return true;
}

/* add_br - an i32.add (immediate: I32_ADD_K, or of two slots: I32_ADD)
 * into d, then a branch on d: on d != 0 / d == 0 -> ADDK_BR_NZ / _Z (or
 * ADD_BR_*), comparing d with b -> ADDK_BR_<cmp>[_K] (ADD_BR_...) (commits
 * 017c62b, dad65a3, 0a14ce3): a loop counter stepped and tested. d is
 * still written (it is a local). Also (commit 023a2f4) the second add of
 * an ADD2_K is split off to merge so, and (commit de99940) a test written
 * bound-first (n != i, n > i) is turned round to compare i first.
 * Gain: sieve 6.8%, matmul 5.0%, fib 3.4%, hashtab 2.6%, xblabla20 1.1%,
 * gimli 1.0%, sha256 0.7%, nbody 0.7%. */
static bool add_br(cc *c, wf_iop op, const wf_word *ops, int nops, bool nz, bool z)
{
    bool slot_form = wf_iop_is_br_i32(op, false), any_form = wf_iop_is_br_i32(op, true);
    if ((nz || z || any_form) && can_merge(c, WF_IOP_ADD2_K, 7) &&
        c->code.data[c->last_op + 4] == ops[0]) {
        /* the branch tests the second add of an ADD2_K: split it off so
         * the branch merges with it (ADD_K, then ADDK_BR_*) */
        size_t at = c->last_op;
        c->code.data[at] = (wf_word)c->lab[WF_IOP_I32_ADD_K];
        wf_word d2 = c->code.data[at + 4], a2 = c->code.data[at + 5], k2 = c->code.data[at + 6];
        c->code.data[at + 4] = (wf_word)c->lab[WF_IOP_I32_ADD_K];
        c->code.data[at + 5] = d2;
        c->code.data[at + 6] = a2;
        wf_vec_push(&c->code, k2);
        c->last_op = at + 4;
        c->last_iop = WF_IOP_I32_ADD_K;
        c->prev_iop = -1;
    }
    bool addk = can_merge(c, WF_IOP_I32_ADD_K, 4), add = can_merge(c, WF_IOP_I32_ADD, 4);
    if (!(addk || add)) return false;
    wf_word d = c->code.data[c->last_op + 1];
    wf_word swapped[2];
    if (slot_form && nops == 2 && d == ops[1] && ops[0] != ops[1]) {
        /* n != i with i just stepped: compare i with n, the compare reversed */
        op = wf_iop_br_swapped(op);
        swapped[0] = ops[1];
        swapped[1] = ops[0];
        ops = swapped;
    }
    if (d != ops[0]) return false;
    if (nz || z) {
        /* a counter stepped and tested for zero */
        retype_last(c, addk ? (nz ? WF_IOP_ADDK_BR_NZ : WF_IOP_ADDK_BR_Z)
                            : (nz ? WF_IOP_ADD_BR_NZ : WF_IOP_ADD_BR_Z));
        return true;
    }
    if (!any_form) return false;
    retype_last(c, wf_iop_add_br_form(addk, op));
    emit(c, ops[1]);
    return true;
}

bool wf_fuse_branch_head(cc *c, wf_iop op, const wf_word *ops, int nops)
{
    bool nz = op == WF_IOP_BR_IF, z = op == WF_IOP_BR_IF_NOT || op == WF_IOP_BR_I32_EQZ;
    if (ON(load_br) && (nz || z) && load_br(c, nz, ops)) return true;
    return ON(add_br) && add_br(c, op, ops, nops, nz, z);
}

/* ---- arithmetic -------------------------------------------------------------- */

/* Emit `op dst x y z` (a fused instruction of three operands after dst)
 * as the producer of dst. */
static void emit4(cc *c, wf_iop op, uint32_t dst, wf_word x, wf_word y, wf_word z)
{
    size_t at = c->code.len;
    emit_op(c, op);
    emit(c, dst);
    emit(c, x);
    emit(c, y);
    emit(c, z);
    note_prod(c, at, op);
}

bool wf_fuse_binop_k(cc *c, wf_iop k, const sval *a, uint64_t bits, uint32_t dst)
{
    if (ON(range) && k == WF_IOP_I32_LT_U_K && is_prod_of(c, a, WF_IOP_I32_ADD_K)) {
        /* range - I32_ADD_K t x k1; I32_LT_U_K d t k2 -> I32_RANGE_K d x k1
         * k2 (commit 017c62b): (x + k1) <u k2, a range check (a character
         * class: c - 'a' < 26), the sum used only there.
         * Gain: under 0.5%. */
        wf_word x, k1;
        take_prod(c, &x, &k1);
        emit4(c, WF_IOP_I32_RANGE_K, dst, x, k1, (wf_word)bits);
        return true;
    }
    wf_iop xr = k == WF_IOP_I32_ROTL_K ? WF_IOP_I32_XOR : k == WF_IOP_I64_ROTL_K ? WF_IOP_I64_XOR
                                                                                  : WF_IOP_COUNT_;
    if (ON(xor_rotl) && xr != WF_IOP_COUNT_ && is_prod_of(c, a, xr)) {
        /* xor_rotl - XOR t x y; ROTL_K d t k -> XOR_ROTL_K d x y k, i32 and
         * i64 (commit dad65a3): a cipher round's step (chacha, gimli), the
         * xor used only there. Gain: xblabla20 27%. */
        bool w32 = xr == WF_IOP_I32_XOR;
        wf_word s1, s2;
        take_prod(c, &s1, &s2);
        wf_iop add = w32 ? WF_IOP_I32_ADD : WF_IOP_I64_ADD;
        if (ON(add_xor_rotl) && can_merge(c, add, 4)) {
            /* add_xor_rotl - ADD a a b; XOR_ROTL_K d x y k ->
             * ADD_XOR_ROTL_K a a b d x y k (commit 8a750f0): the round's
             * add (a += b) before it, whose result stays live; both in
             * order. The second half stays the producer: it is laid out as
             * an instruction at op + 3 whose dst is at op + 4.
             * Gain: xblabla20 6.2%. */
            size_t op = c->last_op;
            wf_iop m = w32 ? WF_IOP_I32_ADD_XOR_ROTL_K : WF_IOP_I64_ADD_XOR_ROTL_K;
            retype_last(c, m);
            emit(c, dst);
            emit(c, s1);
            emit(c, s2);
            emit(c, (wf_word)bits);
            c->prod_op = op + 3;
            c->prod_end = c->code.len;
            c->prod_slot = dst;
            c->prod_iop = m;
            return true;
        }
        emit4(c, w32 ? WF_IOP_I32_XOR_ROTL_K : WF_IOP_I64_XOR_ROTL_K, dst, s1, s2, (wf_word)bits);
        return true;
    }
    wf_iop mk = k == WF_IOP_I32_ADD_K ? WF_IOP_I32_MUL_K : k == WF_IOP_I64_ADD_K ? WF_IOP_I64_MUL_K
                                                                                : WF_IOP_COUNT_;
    if (ON(muladd_kk) && mk != WF_IOP_COUNT_ && is_prod_of(c, a, mk)) {
        /* muladd_kk - MUL_K t x k1; ADD_K d t k2 -> MULADD_KK d x k1 k2,
         * i32 and i64 (commit 94f6b44): an LCG step, the product used
         * only there. Gain: loops 9.9%, hashtab 1.5%. */
        wf_word x, k1;
        take_prod(c, &x, &k1);
        emit4(c, k == WF_IOP_I32_ADD_K ? WF_IOP_I32_MULADD_KK : WF_IOP_I64_MULADD_KK,
              dst, x, k1, (wf_word)bits);
        return true;
    }
    if (ON(add2k) && k == WF_IOP_I32_ADD_K && can_merge(c, WF_IOP_I32_ADD_K, 4)) {
        /* add2k - I32_ADD_K d1 a1 k1; I32_ADD_K d2 a2 k2 -> ADD2_K d1 a1 k1
         * d2 a2 k2 (commit 1c28cf0): two immediate adds in a row (pointer
         * and counter steps), both in order. The second half is laid out
         * as an I32_ADD_K at op + 3, so it stays the producer (retargeted,
         * or split off again for a load's address or a branch).
         * Gain: matmul 2.4%. */
        size_t op = c->last_op;
        retype_last(c, WF_IOP_ADD2_K);
        emit(c, dst);
        emit(c, a->slot);
        emit(c, (wf_word)bits);
        c->prod_op = op + 3;
        c->prod_end = c->code.len;
        c->prod_slot = dst;
        c->prod_iop = WF_IOP_ADD2_K;
        return true;
    }
    return false;
}

/* Of the popped operands a and b, the one produced by `op` (or `op2`) just
 * before becomes *b (a and b swapped when the operation commutes). */
static bool prod_second(const cc *c, sval *a, sval *b, wf_iop op, wf_iop op2, bool commutes)
{
    bool bp = is_prod(c, b) && (c->prod_iop == op || c->prod_iop == op2);
    if (bp) return true;
    if (!commutes || !is_prod(c, a) || !(c->prod_iop == op || c->prod_iop == op2)) return false;
    sval t = *a;
    *a = *b;
    *b = t;
    return true;
}

bool wf_fuse_binop(cc *c, wf_iop iop, sval *a, sval *b)
{
    if (ON(xor_shift) && iop == WF_IOP_I32_XOR &&
        prod_second(c, a, b, WF_IOP_I32_ROTL_K, WF_IOP_I32_SHR_U_K, true)) {
        /* xor_shift - ROTL_K t y k; XOR d x t -> I32_XOR_ROTLK d x y k, and
         * SHR_U_K -> I32_XOR_SHRUK (commit 7dff919): SHA-256's sigmas, the
         * shifted value used only there. Gain: sha256 10%, hashtab 7.1%. */
        wf_iop m = c->prod_iop == WF_IOP_I32_ROTL_K ? WF_IOP_I32_XOR_ROTLK : WF_IOP_I32_XOR_SHRUK;
        wf_word y, k;
        take_prod(c, &y, &k);
        emit4(c, m, push_result(c, vt(WF_I32)), a->slot, y, k);
        return true;
    }
    if (ON(add_shru) && iop == WF_IOP_I64_ADD &&
        prod_second(c, a, b, WF_IOP_I64_SHR_U_K, WF_IOP_I64_SHR_U_K, true)) {
        /* add_shru - I64_SHR_U_K t y k; I64_ADD d x t -> I64_ADD_SHRUK d x
         * y k (commit 758fad5): a carry added (bignum limbs), the shifted
         * value used only there. Gain: under 0.5%. */
        wf_word y, k;
        take_prod(c, &y, &k);
        emit4(c, WF_IOP_I64_ADD_SHRUK, push_result(c, vt(WF_I64)), a->slot, y, k);
        return true;
    }
    if (ON(add3) && iop == WF_IOP_I32_ADD &&
        prod_second(c, b, a, WF_IOP_I32_ADD, WF_IOP_I32_ADD, true)) {
        /* add3 - I32_ADD t x y; I32_ADD d t z -> I32_ADD3 d x y z (commit
         * 36e0e02): a + b + c, the first sum used only there.
         * Gain: sha256 2.8%. */
        wf_word x, y;
        take_prod(c, &x, &y);
        emit4(c, WF_IOP_I32_ADD3, push_result(c, vt(WF_I32)), x, y, b->slot);
        return true;
    }
    bool add32 = iop == WF_IOP_I32_ADD;
    if (ON(madd) && (add32 || iop == WF_IOP_I64_ADD) &&
        prod_second(c, a, b, add32 ? WF_IOP_I32_MUL : WF_IOP_I64_MUL, WF_IOP_COUNT_, true)) {
        /* madd - MUL t x y; ADD d c t -> MADD d c x y, i32 and i64 (commit
         * 8a750f0): a multiply-add (an index i * n + j), the product used
         * only there. Gain: hashtab 0.5%. */
        wf_word x, y;
        take_prod(c, &x, &y);
        emit4(c, add32 ? WF_IOP_I32_MADD : WF_IOP_I64_MADD,
              push_result(c, vt(add32 ? WF_I32 : WF_I64)), a->slot, x, y);
        return true;
    }
    bool f64 = iop == WF_IOP_F64_ADD || iop == WF_IOP_F64_SUB || iop == WF_IOP_F64_MUL;
    if (ON(f64_m) && f64 &&
        prod_second(c, a, b, WF_IOP_F64_LOAD, WF_IOP_F64_LOAD_A, iop != WF_IOP_F64_SUB)) {
        /* f64_m - F64_LOAD[_A] t addr off [k]; F64_ADD d a t ->
         * F64_ADD_M d a addr off k (k = 0 for a plain load), also SUB (the
         * loaded value second) and MUL (commit 55acb1e): arithmetic on a
         * value just loaded (matmul, nbody), used only there.
         * Gain: matmul 48%, nbody 19%. */
        size_t ld = c->prod_op;
        bool withk = c->prod_iop == WF_IOP_F64_LOAD_A;
        wf_word addr = c->code.data[ld + 2], off = c->code.data[ld + 3];
        wf_word k = withk ? c->code.data[ld + 4] : 0;
        cut_prod(c);
        wf_iop m = iop == WF_IOP_F64_ADD ? WF_IOP_F64_ADD_M
                 : iop == WF_IOP_F64_SUB ? WF_IOP_F64_SUB_M : WF_IOP_F64_MUL_M;
        uint32_t dst = push_result(c, vt(WF_F64));
        size_t at = c->code.len;
        emit_op(c, m);
        emit(c, dst);
        emit(c, a->slot);
        emit(c, addr);
        emit(c, off);
        emit(c, k);
        note_prod(c, at, m);
        return true;
    }
    return false;
}

bool wf_fuse_unop(cc *c, wf_iop iop, const sval *a)
{
    /* extend_cmp - a comparison, then i64.extend_i32_u of its result ->
     * the comparison alone (commit 758fad5): comparisons write their 0 or
     * 1 as a u64 (interp_ops.h), in the slot the result goes to.
     * Gain: under 0.5%. */
    if (!ON(extend_cmp) || iop != WF_IOP_I64_EXTEND_I32_U || !is_prod(c, a)) return false;
    wf_iop p = c->prod_iop;
    if (!wf_iop_is_compare(p) && p != WF_IOP_I32_EQZ && p != WF_IOP_I64_EQZ && p != WF_IOP_I32_RANGE_K)
        return false;
    push(c, vt(WF_I64));
    no_prod(c);
    return true;
}

/* ---- memory ------------------------------------------------------------------ */

wf_iop wf_fuse_addr(cc *c, wf_iop iop, bool load, sval *a, wf_word *extra)
{
    if (!is_prod(c, a)) return iop;
    size_t at = c->prod_op;
    if (ON(addr_k) && (c->prod_iop == WF_IOP_I32_ADD_K || c->prod_iop == WF_IOP_ADD2_K)) {
        /* addr_k - I32_ADD_K t a k; LOAD d t off -> LOAD_A d a off k, and
         * the same for stores (commit 1c28cf0): an address computed by an
         * add with an immediate, used only there; the access adds the two
         * as a wasm i32 (wrapping), then the offset, as the add would. The
         * value of a store, popped after the address, emitted no code in
         * between (else the add is not the last instruction). The second
         * add of an ADD2_K works too: the first stays as an I32_ADD_K.
         * Gain: nbody 6.7%, matmul 6.2%, sieve 4.5%, sha256 4.3%,
         * hashtab 3.6%, parse 0.7%. */
        a->slot = (uint32_t)c->code.data[at + 2];
        *extra = c->code.data[at + 3];
        if (c->prod_iop == WF_IOP_ADD2_K) {
            c->code.data[at - 3] = (wf_word)c->lab[WF_IOP_I32_ADD_K];
            c->code.len = at + 1;
            c->last_iop = WF_IOP_I32_ADD_K;
            c->prev_iop = -1;
            no_prod(c);
        } else {
            cut_prod(c);
        }
        return wf_iop_a_form(iop);
    }
    if (ON(addr_x) && load && c->prod_iop == WF_IOP_I32_ADD) {
        /* addr_x - I32_ADD t a b; LOAD d t off -> LOAD_X d a off b (commit
         * dad65a3): an address computed by an add of two slots (base +
         * index), used only there; wrapping kept.
         * Gain: sha256 1.8%, xblabla20 1.5%. */
        a->slot = (uint32_t)c->code.data[at + 2];
        *extra = c->code.data[at + 3];
        cut_prod(c);
        return wf_iop_x_form(iop);
    }
    return iop;
}

bool wf_fuse_store(cc *c, wf_iop iop, const sval *a, const sval *b, uint64_t offset)
{
    /* f64_acc - F64_ADD_M t v addr off 0; F64_STORE addr t off ->
     * F64_ADD_M_ST v addr off k (commit de99940): x[i] += v, the sum
     * stored back where its operand was loaded (the same address slot and
     * offset), used only there. Gain: matmul 24%, nbody 10%. */
    if (!ON(f64_acc) || iop != WF_IOP_F64_STORE || !is_prod_of(c, b, WF_IOP_F64_ADD_M)) return false;
    size_t am = c->prod_op;
    if (c->code.data[am + 3] != a->slot || c->code.data[am + 4] != offset ||
        c->code.data[am + 5] != 0)
        return false;
    wf_word v = c->code.data[am + 2], k = c->code.data[am + 5];
    cut_prod(c);
    emit_op(c, WF_IOP_F64_ADD_M_ST);
    emit(c, v);
    emit(c, a->slot);
    emit(c, offset);
    emit(c, k);
    return true;
}

/* ---- locals -------------------------------------------------------------------- */

bool wf_fuse_local_set(cc *c, uint32_t x, const sval *a)
{
    if (x < c->ft->param_slots || c->seen_loop || !is_const(c, a->slot)) return false;
    uint64_t bits = c->consts.data[a->slot - c->cbase];
    if (ON(entry_const) && c->live && c->code.len == WF_ENTER_WORDS && !c->pending[x]) {
        /* entry_const - a constant stored into a declared local before any
         * code ran (only ENTER so far) -> the local's initial value in
         * ENTER's template, which ENTER copies anyway (commit 9aadcd0).
         * Gain: under 0.5%. */
        c->lentry[x] = bits;
        return true;
    }
    /* zero_store - a zero stored into a declared local still holding its
     * initial zero (never written but with zero, before the first loop:
     * until then code runs once and in order) -> nothing (commit
     * 1c28cf0). Gain: fib 4.2%. */
    return ON(zero_store) && bits == 0 && !c->lnonzero[x];
}
