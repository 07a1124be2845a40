/*
 * fuse.h - the fusion rules (fuse.c): where the compiler, translating one
 * instruction, may instead merge it with the code just emitted into one
 * fused instruction (interp.h's WF_IOPS_SUPER and the _A, _X, ADDK_, ADD_
 * and BR_ forms). Each entry point either does the fused translation and
 * returns true, or changes nothing and returns false, and the compiler
 * then emits the plain instruction.
 *
 * WF_FUSE_OFF (environment, read once; a developer's knob): rule names
 * separated by commas, or "all", turns those rules off, to measure what
 * each one gains (fuse.c gives the figures) or to compare results.
 */
#ifndef WF_FUSE_H
#define WF_FUSE_H

#include "wasm/compile_int.h"

/* The rules WF_FUSE_OFF switches off, one bit a rule (read once). */
uint32_t wf_fuse_off(void);

/* A move (dst <- src) right after another move: one MOVE2. */
bool wf_fuse_move(cc *c, uint32_t dst, uint32_t src);
/* An unconditional branch right after a move: MOVE_BR (target follows). */
bool wf_fuse_br(cc *c);
/* The return of one value v that is not where the result goes. */
bool wf_fuse_return_slot(cc *c, const sval *v);
/* The return after the result's producer was retargeted to slot 0. */
bool wf_fuse_return_add(cc *c);
/* A direct call (callee and argbase follow) right after its last argument
 * was computed. */
bool wf_fuse_call(cc *c);
/* A conditional branch on the popped i32 `cond`: its operands ops[0..nops)
 * and the branch taken when the condition is true (yes) or false (no). The
 * plain ones (cond; BR_IF / BR_IF_NOT) unless the producer of cond fuses. */
void wf_fuse_cond(cc *c, const sval *cond, wf_word *ops, int *nops, wf_iop *yes, wf_iop *no);
/* The opcode and operands of a conditional branch (its target follows). */
bool wf_fuse_branch_head(cc *c, wf_iop op, const wf_word *ops, int nops);
/* Binary operation k (an immediate form) of a and the immediate bits,
 * its result in dst (already pushed). */
bool wf_fuse_binop_k(cc *c, wf_iop k, const sval *a, uint64_t bits, uint32_t dst);
/* Binary operation iop of two popped slot operands a and b (its result
 * not pushed yet). */
bool wf_fuse_binop(cc *c, wf_iop iop, sval *a, sval *b);
/* Unary operation iop of the popped a (its result not pushed yet). */
bool wf_fuse_unop(cc *c, wf_iop iop, const sval *a);
/* A load or store `iop` at the popped address a: the form to emit (iop
 * itself when nothing fuses; else a's slot changed and *extra is the form's
 * last operand). */
wf_iop wf_fuse_addr(cc *c, wf_iop iop, bool load, sval *a, wf_word *extra);
/* A store `iop` of value b at address a + offset. */
bool wf_fuse_store(cc *c, wf_iop iop, const sval *a, const sval *b, uint64_t offset);
/* local.set x of the popped a: true when nothing needs emitting. */
bool wf_fuse_local_set(cc *c, uint32_t x, const sval *a);

#endif
