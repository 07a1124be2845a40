/*
 * simd.h - the semantics of the fixed-width SIMD instructions (0xFD): one
 * C function an instruction, over frame slots, which the interpreter's two
 * SIMD handlers call (interp.c: V128_OP and V128_MEM; compile_simd.c
 * emits them). A v128 value takes two adjacent slots: bytes 0..7 of the
 * vector in the first, 8..15 in the second (lane 0 lowest, as in memory).
 */
#ifndef WF_SIMD_H
#define WF_SIMD_H

#include "wasm/interp.h"
#include "wasm/opcodes.h"

/* A register operation: result in d (two slots for a v128, one for a
 * scalar), operands a, b, c (v128 or scalar slots, as the instruction's
 * signature says; unused ones may point anywhere readable), imm the
 * immediates: imm[0] a lane index, or imm[0..1] the 16 lane indices of
 * i8x16.shuffle (byte k of the pair is lane k). d may alias an operand. */
typedef void (*wf_simd_fn)(wf_slot *d, const wf_slot *a, const wf_slot *b, const wf_slot *c,
                           const wf_word *imm);
/* A memory operation at p (checked in bounds for its width): a load
 * writes d (the lane forms start from the vector v), a store reads v. */
typedef void (*wf_simd_mem_fn)(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane);

/* Run the V128_OP at pc (interp.h: i fn, s dst, s a, s b, s c, i imm0,
 * i imm1) on frame fp. */
void wf_simd_exec(wf_slot *fp, const wf_word *pc);
/* Run the V128_MEM at pc (i fn, s dst, s addr, s vec, i offset, i width,
 * i lane) on frame fp and memory mem; false, touching nothing, when the
 * access would leave the memory (a store crossing the end writes no byte). */
bool wf_simd_exec_mem(wf_slot *fp, const wf_word *pc, wf_memory *mem);

/* The function of a register instruction, NULL for the others. */
wf_simd_fn wf_simd_op(wf_opcode op);
/* The function of a load or store, NULL for the others; *width gets the
 * bytes it accesses, *align its natural alignment (log2), *lanes the lane
 * count of its lane index (0 without one), *store whether it writes. */
wf_simd_mem_fn wf_simd_mem_op(wf_opcode op, uint32_t *width, uint32_t *align, uint32_t *lanes,
                              bool *store);
/* The lane count of an extract_lane/replace_lane instruction's index. */
uint32_t wf_simd_lane_count(wf_opcode op);

#endif
