/*
 * opcodes.h - the table of WebAssembly instructions wasmfn knows, shared by
 * the text compiler (names to encodings), the validator/translator and the
 * disassembly in error messages. One row an instruction:
 *
 *   WF_OP(ENUM, "text name", prefix, code, IMMEDIATE, "inputs", "outputs")
 *
 * prefix is 0 for one-byte opcodes, else 0xFC (numeric/bulk) and so on; code
 * is the opcode byte (or the LEB u32 after the prefix). IMMEDIATE names the
 * kind of immediate operands (wf_imm below). inputs/outputs spell the operand
 * types of instructions with a fixed signature, one letter a value: i = i32,
 * l = i64, f = f32, d = f64, v = v128; "*" marks instructions the validator types by
 * hand (control, variables, references, calls, tables, bulk memory).
 * Loads and stores list their address as "i"; memory64 widens it.
 *
 * The fixed-width SIMD instructions (0xFD) are listed apart
 * (WF_OPCODES_SIMD), in opcode order, the relaxed SIMD ones (0x100..0x113)
 * last; their semantics are simd.c's. GC's (0xFB) are gc.h's and
 * interp_gc.c's. Out of scope for now and absent here: threads (0xFE),
 * and the legacy exception instructions try/catch/delegate.
 */
#ifndef WF_OPCODES_H
#define WF_OPCODES_H

typedef enum wf_imm {
    WF_IMM_NONE,
    WF_IMM_BLOCK,         /* block type: empty, a value type or a type index */
    WF_IMM_LABEL,         /* label index */
    WF_IMM_BR_TABLE,      /* vector of labels, then the default label */
    WF_IMM_FUNC,          /* function index */
    WF_IMM_CALL_INDIRECT, /* type index, table index */
    WF_IMM_TYPE,          /* type index */
    WF_IMM_SELECT_T,      /* vector of value types (exactly one) */
    WF_IMM_LOCAL,         /* local index */
    WF_IMM_GLOBAL,        /* global index */
    WF_IMM_TABLE,         /* table index */
    WF_IMM_MEMORY,        /* memory index (a zero byte before multi-memory) */
    WF_IMM_MEMARG,        /* alignment (with the memory-index flag) and offset */
    WF_IMM_I32, WF_IMM_I64, WF_IMM_F32, WF_IMM_F64,
    WF_IMM_HEAPTYPE,      /* heap type */
    WF_IMM_MEMORY_INIT,   /* data index, memory index */
    WF_IMM_DATA,          /* data index */
    WF_IMM_MEMORY_COPY,   /* destination memory, source memory */
    WF_IMM_TABLE_INIT,    /* element index, table index */
    WF_IMM_ELEM,          /* element index */
    WF_IMM_TABLE_COPY,    /* destination table, source table */
    WF_IMM_TAG,           /* tag index */
    WF_IMM_TRY_TABLE,     /* block type and catch clauses */
    WF_IMM_V128,          /* 16 bytes: v128.const */
    WF_IMM_SHUFFLE,       /* 16 lane indices (bytes below 32): i8x16.shuffle */
    WF_IMM_LANE,          /* one lane index byte */
    WF_IMM_MEMARG_LANE,   /* a memarg, then a lane index byte */
    WF_IMM_CAST,          /* heap type; the text's reference type picks the nullable form */
    WF_IMM_BR_ON_CAST,    /* nullability flags, label, source and target heap types */
    WF_IMM_FIELD,         /* type index, field index */
    WF_IMM_TYPE_N,        /* type index, u32 count */
    WF_IMM_TYPE_DATA,     /* type index, data index */
    WF_IMM_TYPE_ELEM,     /* type index, element index */
    WF_IMM_TYPE_TYPE,     /* two type indices */
} wf_imm;

#define WF_OPCODES(WF_OP) \
    WF_OP(UNREACHABLE, "unreachable", 0x00, 0x00, NONE, "*", "*") \
    WF_OP(NOP, "nop", 0x00, 0x01, NONE, "", "") \
    WF_OP(BLOCK, "block", 0x00, 0x02, BLOCK, "*", "*") \
    WF_OP(LOOP, "loop", 0x00, 0x03, BLOCK, "*", "*") \
    WF_OP(IF, "if", 0x00, 0x04, BLOCK, "*", "*") \
    WF_OP(ELSE, "else", 0x00, 0x05, NONE, "*", "*") \
    WF_OP(THROW, "throw", 0x00, 0x08, TAG, "*", "*") \
    WF_OP(THROW_REF, "throw_ref", 0x00, 0x0A, NONE, "*", "*") \
    WF_OP(END, "end", 0x00, 0x0B, NONE, "*", "*") \
    WF_OP(BR, "br", 0x00, 0x0C, LABEL, "*", "*") \
    WF_OP(BR_IF, "br_if", 0x00, 0x0D, LABEL, "*", "*") \
    WF_OP(BR_TABLE, "br_table", 0x00, 0x0E, BR_TABLE, "*", "*") \
    WF_OP(RETURN, "return", 0x00, 0x0F, NONE, "*", "*") \
    WF_OP(CALL, "call", 0x00, 0x10, FUNC, "*", "*") \
    WF_OP(CALL_INDIRECT, "call_indirect", 0x00, 0x11, CALL_INDIRECT, "*", "*") \
    WF_OP(RETURN_CALL, "return_call", 0x00, 0x12, FUNC, "*", "*") \
    WF_OP(RETURN_CALL_INDIRECT, "return_call_indirect", 0x00, 0x13, CALL_INDIRECT, "*", "*") \
    WF_OP(CALL_REF, "call_ref", 0x00, 0x14, TYPE, "*", "*") \
    WF_OP(RETURN_CALL_REF, "return_call_ref", 0x00, 0x15, TYPE, "*", "*") \
    WF_OP(DROP, "drop", 0x00, 0x1A, NONE, "*", "*") \
    WF_OP(SELECT, "select", 0x00, 0x1B, NONE, "*", "*") \
    WF_OP(SELECT_T, "select", 0x00, 0x1C, SELECT_T, "*", "*") \
    WF_OP(TRY_TABLE, "try_table", 0x00, 0x1F, TRY_TABLE, "*", "*") \
    WF_OP(LOCAL_GET, "local.get", 0x00, 0x20, LOCAL, "*", "*") \
    WF_OP(LOCAL_SET, "local.set", 0x00, 0x21, LOCAL, "*", "*") \
    WF_OP(LOCAL_TEE, "local.tee", 0x00, 0x22, LOCAL, "*", "*") \
    WF_OP(GLOBAL_GET, "global.get", 0x00, 0x23, GLOBAL, "*", "*") \
    WF_OP(GLOBAL_SET, "global.set", 0x00, 0x24, GLOBAL, "*", "*") \
    WF_OP(TABLE_GET, "table.get", 0x00, 0x25, TABLE, "*", "*") \
    WF_OP(TABLE_SET, "table.set", 0x00, 0x26, TABLE, "*", "*") \
    WF_OP(I32_LOAD, "i32.load", 0x00, 0x28, MEMARG, "i", "i") \
    WF_OP(I64_LOAD, "i64.load", 0x00, 0x29, MEMARG, "i", "l") \
    WF_OP(F32_LOAD, "f32.load", 0x00, 0x2A, MEMARG, "i", "f") \
    WF_OP(F64_LOAD, "f64.load", 0x00, 0x2B, MEMARG, "i", "d") \
    WF_OP(I32_LOAD8_S, "i32.load8_s", 0x00, 0x2C, MEMARG, "i", "i") \
    WF_OP(I32_LOAD8_U, "i32.load8_u", 0x00, 0x2D, MEMARG, "i", "i") \
    WF_OP(I32_LOAD16_S, "i32.load16_s", 0x00, 0x2E, MEMARG, "i", "i") \
    WF_OP(I32_LOAD16_U, "i32.load16_u", 0x00, 0x2F, MEMARG, "i", "i") \
    WF_OP(I64_LOAD8_S, "i64.load8_s", 0x00, 0x30, MEMARG, "i", "l") \
    WF_OP(I64_LOAD8_U, "i64.load8_u", 0x00, 0x31, MEMARG, "i", "l") \
    WF_OP(I64_LOAD16_S, "i64.load16_s", 0x00, 0x32, MEMARG, "i", "l") \
    WF_OP(I64_LOAD16_U, "i64.load16_u", 0x00, 0x33, MEMARG, "i", "l") \
    WF_OP(I64_LOAD32_S, "i64.load32_s", 0x00, 0x34, MEMARG, "i", "l") \
    WF_OP(I64_LOAD32_U, "i64.load32_u", 0x00, 0x35, MEMARG, "i", "l") \
    WF_OP(I32_STORE, "i32.store", 0x00, 0x36, MEMARG, "ii", "") \
    WF_OP(I64_STORE, "i64.store", 0x00, 0x37, MEMARG, "il", "") \
    WF_OP(F32_STORE, "f32.store", 0x00, 0x38, MEMARG, "if", "") \
    WF_OP(F64_STORE, "f64.store", 0x00, 0x39, MEMARG, "id", "") \
    WF_OP(I32_STORE8, "i32.store8", 0x00, 0x3A, MEMARG, "ii", "") \
    WF_OP(I32_STORE16, "i32.store16", 0x00, 0x3B, MEMARG, "ii", "") \
    WF_OP(I64_STORE8, "i64.store8", 0x00, 0x3C, MEMARG, "il", "") \
    WF_OP(I64_STORE16, "i64.store16", 0x00, 0x3D, MEMARG, "il", "") \
    WF_OP(I64_STORE32, "i64.store32", 0x00, 0x3E, MEMARG, "il", "") \
    WF_OP(MEMORY_SIZE, "memory.size", 0x00, 0x3F, MEMORY, "", "i") \
    WF_OP(MEMORY_GROW, "memory.grow", 0x00, 0x40, MEMORY, "i", "i") \
    WF_OP(I32_CONST, "i32.const", 0x00, 0x41, I32, "", "i") \
    WF_OP(I64_CONST, "i64.const", 0x00, 0x42, I64, "", "l") \
    WF_OP(F32_CONST, "f32.const", 0x00, 0x43, F32, "", "f") \
    WF_OP(F64_CONST, "f64.const", 0x00, 0x44, F64, "", "d") \
    WF_OP(I32_EQZ, "i32.eqz", 0x00, 0x45, NONE, "i", "i") \
    WF_OP(I32_EQ, "i32.eq", 0x00, 0x46, NONE, "ii", "i") \
    WF_OP(I32_NE, "i32.ne", 0x00, 0x47, NONE, "ii", "i") \
    WF_OP(I32_LT_S, "i32.lt_s", 0x00, 0x48, NONE, "ii", "i") \
    WF_OP(I32_LT_U, "i32.lt_u", 0x00, 0x49, NONE, "ii", "i") \
    WF_OP(I32_GT_S, "i32.gt_s", 0x00, 0x4A, NONE, "ii", "i") \
    WF_OP(I32_GT_U, "i32.gt_u", 0x00, 0x4B, NONE, "ii", "i") \
    WF_OP(I32_LE_S, "i32.le_s", 0x00, 0x4C, NONE, "ii", "i") \
    WF_OP(I32_LE_U, "i32.le_u", 0x00, 0x4D, NONE, "ii", "i") \
    WF_OP(I32_GE_S, "i32.ge_s", 0x00, 0x4E, NONE, "ii", "i") \
    WF_OP(I32_GE_U, "i32.ge_u", 0x00, 0x4F, NONE, "ii", "i") \
    WF_OP(I64_EQZ, "i64.eqz", 0x00, 0x50, NONE, "l", "i") \
    WF_OP(I64_EQ, "i64.eq", 0x00, 0x51, NONE, "ll", "i") \
    WF_OP(I64_NE, "i64.ne", 0x00, 0x52, NONE, "ll", "i") \
    WF_OP(I64_LT_S, "i64.lt_s", 0x00, 0x53, NONE, "ll", "i") \
    WF_OP(I64_LT_U, "i64.lt_u", 0x00, 0x54, NONE, "ll", "i") \
    WF_OP(I64_GT_S, "i64.gt_s", 0x00, 0x55, NONE, "ll", "i") \
    WF_OP(I64_GT_U, "i64.gt_u", 0x00, 0x56, NONE, "ll", "i") \
    WF_OP(I64_LE_S, "i64.le_s", 0x00, 0x57, NONE, "ll", "i") \
    WF_OP(I64_LE_U, "i64.le_u", 0x00, 0x58, NONE, "ll", "i") \
    WF_OP(I64_GE_S, "i64.ge_s", 0x00, 0x59, NONE, "ll", "i") \
    WF_OP(I64_GE_U, "i64.ge_u", 0x00, 0x5A, NONE, "ll", "i") \
    WF_OP(F32_EQ, "f32.eq", 0x00, 0x5B, NONE, "ff", "i") \
    WF_OP(F32_NE, "f32.ne", 0x00, 0x5C, NONE, "ff", "i") \
    WF_OP(F32_LT, "f32.lt", 0x00, 0x5D, NONE, "ff", "i") \
    WF_OP(F32_GT, "f32.gt", 0x00, 0x5E, NONE, "ff", "i") \
    WF_OP(F32_LE, "f32.le", 0x00, 0x5F, NONE, "ff", "i") \
    WF_OP(F32_GE, "f32.ge", 0x00, 0x60, NONE, "ff", "i") \
    WF_OP(F64_EQ, "f64.eq", 0x00, 0x61, NONE, "dd", "i") \
    WF_OP(F64_NE, "f64.ne", 0x00, 0x62, NONE, "dd", "i") \
    WF_OP(F64_LT, "f64.lt", 0x00, 0x63, NONE, "dd", "i") \
    WF_OP(F64_GT, "f64.gt", 0x00, 0x64, NONE, "dd", "i") \
    WF_OP(F64_LE, "f64.le", 0x00, 0x65, NONE, "dd", "i") \
    WF_OP(F64_GE, "f64.ge", 0x00, 0x66, NONE, "dd", "i") \
    WF_OP(I32_CLZ, "i32.clz", 0x00, 0x67, NONE, "i", "i") \
    WF_OP(I32_CTZ, "i32.ctz", 0x00, 0x68, NONE, "i", "i") \
    WF_OP(I32_POPCNT, "i32.popcnt", 0x00, 0x69, NONE, "i", "i") \
    WF_OP(I32_ADD, "i32.add", 0x00, 0x6A, NONE, "ii", "i") \
    WF_OP(I32_SUB, "i32.sub", 0x00, 0x6B, NONE, "ii", "i") \
    WF_OP(I32_MUL, "i32.mul", 0x00, 0x6C, NONE, "ii", "i") \
    WF_OP(I32_DIV_S, "i32.div_s", 0x00, 0x6D, NONE, "ii", "i") \
    WF_OP(I32_DIV_U, "i32.div_u", 0x00, 0x6E, NONE, "ii", "i") \
    WF_OP(I32_REM_S, "i32.rem_s", 0x00, 0x6F, NONE, "ii", "i") \
    WF_OP(I32_REM_U, "i32.rem_u", 0x00, 0x70, NONE, "ii", "i") \
    WF_OP(I32_AND, "i32.and", 0x00, 0x71, NONE, "ii", "i") \
    WF_OP(I32_OR, "i32.or", 0x00, 0x72, NONE, "ii", "i") \
    WF_OP(I32_XOR, "i32.xor", 0x00, 0x73, NONE, "ii", "i") \
    WF_OP(I32_SHL, "i32.shl", 0x00, 0x74, NONE, "ii", "i") \
    WF_OP(I32_SHR_S, "i32.shr_s", 0x00, 0x75, NONE, "ii", "i") \
    WF_OP(I32_SHR_U, "i32.shr_u", 0x00, 0x76, NONE, "ii", "i") \
    WF_OP(I32_ROTL, "i32.rotl", 0x00, 0x77, NONE, "ii", "i") \
    WF_OP(I32_ROTR, "i32.rotr", 0x00, 0x78, NONE, "ii", "i") \
    WF_OP(I64_CLZ, "i64.clz", 0x00, 0x79, NONE, "l", "l") \
    WF_OP(I64_CTZ, "i64.ctz", 0x00, 0x7A, NONE, "l", "l") \
    WF_OP(I64_POPCNT, "i64.popcnt", 0x00, 0x7B, NONE, "l", "l") \
    WF_OP(I64_ADD, "i64.add", 0x00, 0x7C, NONE, "ll", "l") \
    WF_OP(I64_SUB, "i64.sub", 0x00, 0x7D, NONE, "ll", "l") \
    WF_OP(I64_MUL, "i64.mul", 0x00, 0x7E, NONE, "ll", "l") \
    WF_OP(I64_DIV_S, "i64.div_s", 0x00, 0x7F, NONE, "ll", "l") \
    WF_OP(I64_DIV_U, "i64.div_u", 0x00, 0x80, NONE, "ll", "l") \
    WF_OP(I64_REM_S, "i64.rem_s", 0x00, 0x81, NONE, "ll", "l") \
    WF_OP(I64_REM_U, "i64.rem_u", 0x00, 0x82, NONE, "ll", "l") \
    WF_OP(I64_AND, "i64.and", 0x00, 0x83, NONE, "ll", "l") \
    WF_OP(I64_OR, "i64.or", 0x00, 0x84, NONE, "ll", "l") \
    WF_OP(I64_XOR, "i64.xor", 0x00, 0x85, NONE, "ll", "l") \
    WF_OP(I64_SHL, "i64.shl", 0x00, 0x86, NONE, "ll", "l") \
    WF_OP(I64_SHR_S, "i64.shr_s", 0x00, 0x87, NONE, "ll", "l") \
    WF_OP(I64_SHR_U, "i64.shr_u", 0x00, 0x88, NONE, "ll", "l") \
    WF_OP(I64_ROTL, "i64.rotl", 0x00, 0x89, NONE, "ll", "l") \
    WF_OP(I64_ROTR, "i64.rotr", 0x00, 0x8A, NONE, "ll", "l") \
    WF_OP(F32_ABS, "f32.abs", 0x00, 0x8B, NONE, "f", "f") \
    WF_OP(F32_NEG, "f32.neg", 0x00, 0x8C, NONE, "f", "f") \
    WF_OP(F32_CEIL, "f32.ceil", 0x00, 0x8D, NONE, "f", "f") \
    WF_OP(F32_FLOOR, "f32.floor", 0x00, 0x8E, NONE, "f", "f") \
    WF_OP(F32_TRUNC, "f32.trunc", 0x00, 0x8F, NONE, "f", "f") \
    WF_OP(F32_NEAREST, "f32.nearest", 0x00, 0x90, NONE, "f", "f") \
    WF_OP(F32_SQRT, "f32.sqrt", 0x00, 0x91, NONE, "f", "f") \
    WF_OP(F32_ADD, "f32.add", 0x00, 0x92, NONE, "ff", "f") \
    WF_OP(F32_SUB, "f32.sub", 0x00, 0x93, NONE, "ff", "f") \
    WF_OP(F32_MUL, "f32.mul", 0x00, 0x94, NONE, "ff", "f") \
    WF_OP(F32_DIV, "f32.div", 0x00, 0x95, NONE, "ff", "f") \
    WF_OP(F32_MIN, "f32.min", 0x00, 0x96, NONE, "ff", "f") \
    WF_OP(F32_MAX, "f32.max", 0x00, 0x97, NONE, "ff", "f") \
    WF_OP(F32_COPYSIGN, "f32.copysign", 0x00, 0x98, NONE, "ff", "f") \
    WF_OP(F64_ABS, "f64.abs", 0x00, 0x99, NONE, "d", "d") \
    WF_OP(F64_NEG, "f64.neg", 0x00, 0x9A, NONE, "d", "d") \
    WF_OP(F64_CEIL, "f64.ceil", 0x00, 0x9B, NONE, "d", "d") \
    WF_OP(F64_FLOOR, "f64.floor", 0x00, 0x9C, NONE, "d", "d") \
    WF_OP(F64_TRUNC, "f64.trunc", 0x00, 0x9D, NONE, "d", "d") \
    WF_OP(F64_NEAREST, "f64.nearest", 0x00, 0x9E, NONE, "d", "d") \
    WF_OP(F64_SQRT, "f64.sqrt", 0x00, 0x9F, NONE, "d", "d") \
    WF_OP(F64_ADD, "f64.add", 0x00, 0xA0, NONE, "dd", "d") \
    WF_OP(F64_SUB, "f64.sub", 0x00, 0xA1, NONE, "dd", "d") \
    WF_OP(F64_MUL, "f64.mul", 0x00, 0xA2, NONE, "dd", "d") \
    WF_OP(F64_DIV, "f64.div", 0x00, 0xA3, NONE, "dd", "d") \
    WF_OP(F64_MIN, "f64.min", 0x00, 0xA4, NONE, "dd", "d") \
    WF_OP(F64_MAX, "f64.max", 0x00, 0xA5, NONE, "dd", "d") \
    WF_OP(F64_COPYSIGN, "f64.copysign", 0x00, 0xA6, NONE, "dd", "d") \
    WF_OP(I32_WRAP_I64, "i32.wrap_i64", 0x00, 0xA7, NONE, "l", "i") \
    WF_OP(I32_TRUNC_F32_S, "i32.trunc_f32_s", 0x00, 0xA8, NONE, "f", "i") \
    WF_OP(I32_TRUNC_F32_U, "i32.trunc_f32_u", 0x00, 0xA9, NONE, "f", "i") \
    WF_OP(I32_TRUNC_F64_S, "i32.trunc_f64_s", 0x00, 0xAA, NONE, "d", "i") \
    WF_OP(I32_TRUNC_F64_U, "i32.trunc_f64_u", 0x00, 0xAB, NONE, "d", "i") \
    WF_OP(I64_EXTEND_I32_S, "i64.extend_i32_s", 0x00, 0xAC, NONE, "i", "l") \
    WF_OP(I64_EXTEND_I32_U, "i64.extend_i32_u", 0x00, 0xAD, NONE, "i", "l") \
    WF_OP(I64_TRUNC_F32_S, "i64.trunc_f32_s", 0x00, 0xAE, NONE, "f", "l") \
    WF_OP(I64_TRUNC_F32_U, "i64.trunc_f32_u", 0x00, 0xAF, NONE, "f", "l") \
    WF_OP(I64_TRUNC_F64_S, "i64.trunc_f64_s", 0x00, 0xB0, NONE, "d", "l") \
    WF_OP(I64_TRUNC_F64_U, "i64.trunc_f64_u", 0x00, 0xB1, NONE, "d", "l") \
    WF_OP(F32_CONVERT_I32_S, "f32.convert_i32_s", 0x00, 0xB2, NONE, "i", "f") \
    WF_OP(F32_CONVERT_I32_U, "f32.convert_i32_u", 0x00, 0xB3, NONE, "i", "f") \
    WF_OP(F32_CONVERT_I64_S, "f32.convert_i64_s", 0x00, 0xB4, NONE, "l", "f") \
    WF_OP(F32_CONVERT_I64_U, "f32.convert_i64_u", 0x00, 0xB5, NONE, "l", "f") \
    WF_OP(F32_DEMOTE_F64, "f32.demote_f64", 0x00, 0xB6, NONE, "d", "f") \
    WF_OP(F64_CONVERT_I32_S, "f64.convert_i32_s", 0x00, 0xB7, NONE, "i", "d") \
    WF_OP(F64_CONVERT_I32_U, "f64.convert_i32_u", 0x00, 0xB8, NONE, "i", "d") \
    WF_OP(F64_CONVERT_I64_S, "f64.convert_i64_s", 0x00, 0xB9, NONE, "l", "d") \
    WF_OP(F64_CONVERT_I64_U, "f64.convert_i64_u", 0x00, 0xBA, NONE, "l", "d") \
    WF_OP(F64_PROMOTE_F32, "f64.promote_f32", 0x00, 0xBB, NONE, "f", "d") \
    WF_OP(I32_REINTERPRET_F32, "i32.reinterpret_f32", 0x00, 0xBC, NONE, "f", "i") \
    WF_OP(I64_REINTERPRET_F64, "i64.reinterpret_f64", 0x00, 0xBD, NONE, "d", "l") \
    WF_OP(F32_REINTERPRET_I32, "f32.reinterpret_i32", 0x00, 0xBE, NONE, "i", "f") \
    WF_OP(F64_REINTERPRET_I64, "f64.reinterpret_i64", 0x00, 0xBF, NONE, "l", "d") \
    WF_OP(I32_EXTEND8_S, "i32.extend8_s", 0x00, 0xC0, NONE, "i", "i") \
    WF_OP(I32_EXTEND16_S, "i32.extend16_s", 0x00, 0xC1, NONE, "i", "i") \
    WF_OP(I64_EXTEND8_S, "i64.extend8_s", 0x00, 0xC2, NONE, "l", "l") \
    WF_OP(I64_EXTEND16_S, "i64.extend16_s", 0x00, 0xC3, NONE, "l", "l") \
    WF_OP(I64_EXTEND32_S, "i64.extend32_s", 0x00, 0xC4, NONE, "l", "l") \
    WF_OP(REF_NULL, "ref.null", 0x00, 0xD0, HEAPTYPE, "*", "*") \
    WF_OP(REF_IS_NULL, "ref.is_null", 0x00, 0xD1, NONE, "*", "*") \
    WF_OP(REF_FUNC, "ref.func", 0x00, 0xD2, FUNC, "*", "*") \
    WF_OP(REF_EQ, "ref.eq", 0x00, 0xD3, NONE, "*", "*") \
    WF_OP(REF_AS_NON_NULL, "ref.as_non_null", 0x00, 0xD4, NONE, "*", "*") \
    WF_OP(BR_ON_NULL, "br_on_null", 0x00, 0xD5, LABEL, "*", "*") \
    WF_OP(BR_ON_NON_NULL, "br_on_non_null", 0x00, 0xD6, LABEL, "*", "*") \
    WF_OP(STRUCT_NEW, "struct.new", 0xFB, 0x00, TYPE, "*", "*") \
    WF_OP(STRUCT_NEW_DEFAULT, "struct.new_default", 0xFB, 0x01, TYPE, "*", "*") \
    WF_OP(STRUCT_GET, "struct.get", 0xFB, 0x02, FIELD, "*", "*") \
    WF_OP(STRUCT_GET_S, "struct.get_s", 0xFB, 0x03, FIELD, "*", "*") \
    WF_OP(STRUCT_GET_U, "struct.get_u", 0xFB, 0x04, FIELD, "*", "*") \
    WF_OP(STRUCT_SET, "struct.set", 0xFB, 0x05, FIELD, "*", "*") \
    WF_OP(ARRAY_NEW, "array.new", 0xFB, 0x06, TYPE, "*", "*") \
    WF_OP(ARRAY_NEW_DEFAULT, "array.new_default", 0xFB, 0x07, TYPE, "*", "*") \
    WF_OP(ARRAY_NEW_FIXED, "array.new_fixed", 0xFB, 0x08, TYPE_N, "*", "*") \
    WF_OP(ARRAY_NEW_DATA, "array.new_data", 0xFB, 0x09, TYPE_DATA, "*", "*") \
    WF_OP(ARRAY_NEW_ELEM, "array.new_elem", 0xFB, 0x0A, TYPE_ELEM, "*", "*") \
    WF_OP(ARRAY_GET, "array.get", 0xFB, 0x0B, TYPE, "*", "*") \
    WF_OP(ARRAY_GET_S, "array.get_s", 0xFB, 0x0C, TYPE, "*", "*") \
    WF_OP(ARRAY_GET_U, "array.get_u", 0xFB, 0x0D, TYPE, "*", "*") \
    WF_OP(ARRAY_SET, "array.set", 0xFB, 0x0E, TYPE, "*", "*") \
    WF_OP(ARRAY_LEN, "array.len", 0xFB, 0x0F, NONE, "*", "*") \
    WF_OP(ARRAY_FILL, "array.fill", 0xFB, 0x10, TYPE, "*", "*") \
    WF_OP(ARRAY_COPY, "array.copy", 0xFB, 0x11, TYPE_TYPE, "*", "*") \
    WF_OP(ARRAY_INIT_DATA, "array.init_data", 0xFB, 0x12, TYPE_DATA, "*", "*") \
    WF_OP(ARRAY_INIT_ELEM, "array.init_elem", 0xFB, 0x13, TYPE_ELEM, "*", "*") \
    WF_OP(REF_TEST, "ref.test", 0xFB, 0x14, CAST, "*", "*") \
    WF_OP(REF_TEST_NULL, "ref.test", 0xFB, 0x15, CAST, "*", "*") \
    WF_OP(REF_CAST, "ref.cast", 0xFB, 0x16, CAST, "*", "*") \
    WF_OP(REF_CAST_NULL, "ref.cast", 0xFB, 0x17, CAST, "*", "*") \
    WF_OP(BR_ON_CAST, "br_on_cast", 0xFB, 0x18, BR_ON_CAST, "*", "*") \
    WF_OP(BR_ON_CAST_FAIL, "br_on_cast_fail", 0xFB, 0x19, BR_ON_CAST, "*", "*") \
    WF_OP(ANY_CONVERT_EXTERN, "any.convert_extern", 0xFB, 0x1A, NONE, "*", "*") \
    WF_OP(EXTERN_CONVERT_ANY, "extern.convert_any", 0xFB, 0x1B, NONE, "*", "*") \
    WF_OP(REF_I31, "ref.i31", 0xFB, 0x1C, NONE, "*", "*") \
    WF_OP(I31_GET_S, "i31.get_s", 0xFB, 0x1D, NONE, "*", "*") \
    WF_OP(I31_GET_U, "i31.get_u", 0xFB, 0x1E, NONE, "*", "*") \
    WF_OP(I32_TRUNC_SAT_F32_S, "i32.trunc_sat_f32_s", 0xFC, 0x00, NONE, "f", "i") \
    WF_OP(I32_TRUNC_SAT_F32_U, "i32.trunc_sat_f32_u", 0xFC, 0x01, NONE, "f", "i") \
    WF_OP(I32_TRUNC_SAT_F64_S, "i32.trunc_sat_f64_s", 0xFC, 0x02, NONE, "d", "i") \
    WF_OP(I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u", 0xFC, 0x03, NONE, "d", "i") \
    WF_OP(I64_TRUNC_SAT_F32_S, "i64.trunc_sat_f32_s", 0xFC, 0x04, NONE, "f", "l") \
    WF_OP(I64_TRUNC_SAT_F32_U, "i64.trunc_sat_f32_u", 0xFC, 0x05, NONE, "f", "l") \
    WF_OP(I64_TRUNC_SAT_F64_S, "i64.trunc_sat_f64_s", 0xFC, 0x06, NONE, "d", "l") \
    WF_OP(I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u", 0xFC, 0x07, NONE, "d", "l") \
    WF_OP(MEMORY_INIT, "memory.init", 0xFC, 0x08, MEMORY_INIT, "*", "*") \
    WF_OP(DATA_DROP, "data.drop", 0xFC, 0x09, DATA, "*", "*") \
    WF_OP(MEMORY_COPY, "memory.copy", 0xFC, 0x0A, MEMORY_COPY, "*", "*") \
    WF_OP(MEMORY_FILL, "memory.fill", 0xFC, 0x0B, MEMORY, "*", "*") \
    WF_OP(TABLE_INIT, "table.init", 0xFC, 0x0C, TABLE_INIT, "*", "*") \
    WF_OP(ELEM_DROP, "elem.drop", 0xFC, 0x0D, ELEM, "*", "*") \
    WF_OP(TABLE_COPY, "table.copy", 0xFC, 0x0E, TABLE_COPY, "*", "*") \
    WF_OP(TABLE_GROW, "table.grow", 0xFC, 0x0F, TABLE, "*", "*") \
    WF_OP(TABLE_SIZE, "table.size", 0xFC, 0x10, TABLE, "*", "*") \
    WF_OP(TABLE_FILL, "table.fill", 0xFC, 0x11, TABLE, "*", "*") \
    WF_OPCODES_SIMD(WF_OP)

#define WF_OPCODES_SIMD(WF_OP) \
    WF_OP(V128_LOAD, "v128.load", 0xFD, 0x00, MEMARG, "i", "v") \
    WF_OP(V128_LOAD8X8_S, "v128.load8x8_s", 0xFD, 0x01, MEMARG, "i", "v") \
    WF_OP(V128_LOAD8X8_U, "v128.load8x8_u", 0xFD, 0x02, MEMARG, "i", "v") \
    WF_OP(V128_LOAD16X4_S, "v128.load16x4_s", 0xFD, 0x03, MEMARG, "i", "v") \
    WF_OP(V128_LOAD16X4_U, "v128.load16x4_u", 0xFD, 0x04, MEMARG, "i", "v") \
    WF_OP(V128_LOAD32X2_S, "v128.load32x2_s", 0xFD, 0x05, MEMARG, "i", "v") \
    WF_OP(V128_LOAD32X2_U, "v128.load32x2_u", 0xFD, 0x06, MEMARG, "i", "v") \
    WF_OP(V128_LOAD8_SPLAT, "v128.load8_splat", 0xFD, 0x07, MEMARG, "i", "v") \
    WF_OP(V128_LOAD16_SPLAT, "v128.load16_splat", 0xFD, 0x08, MEMARG, "i", "v") \
    WF_OP(V128_LOAD32_SPLAT, "v128.load32_splat", 0xFD, 0x09, MEMARG, "i", "v") \
    WF_OP(V128_LOAD64_SPLAT, "v128.load64_splat", 0xFD, 0x0A, MEMARG, "i", "v") \
    WF_OP(V128_STORE, "v128.store", 0xFD, 0x0B, MEMARG, "iv", "") \
    WF_OP(V128_CONST, "v128.const", 0xFD, 0x0C, V128, "", "v") \
    WF_OP(I8X16_SHUFFLE, "i8x16.shuffle", 0xFD, 0x0D, SHUFFLE, "vv", "v") \
    WF_OP(I8X16_SWIZZLE, "i8x16.swizzle", 0xFD, 0x0E, NONE, "vv", "v") \
    WF_OP(I8X16_SPLAT, "i8x16.splat", 0xFD, 0x0F, NONE, "i", "v") \
    WF_OP(I16X8_SPLAT, "i16x8.splat", 0xFD, 0x10, NONE, "i", "v") \
    WF_OP(I32X4_SPLAT, "i32x4.splat", 0xFD, 0x11, NONE, "i", "v") \
    WF_OP(I64X2_SPLAT, "i64x2.splat", 0xFD, 0x12, NONE, "l", "v") \
    WF_OP(F32X4_SPLAT, "f32x4.splat", 0xFD, 0x13, NONE, "f", "v") \
    WF_OP(F64X2_SPLAT, "f64x2.splat", 0xFD, 0x14, NONE, "d", "v") \
    WF_OP(I8X16_EXTRACT_LANE_S, "i8x16.extract_lane_s", 0xFD, 0x15, LANE, "v", "i") \
    WF_OP(I8X16_EXTRACT_LANE_U, "i8x16.extract_lane_u", 0xFD, 0x16, LANE, "v", "i") \
    WF_OP(I8X16_REPLACE_LANE, "i8x16.replace_lane", 0xFD, 0x17, LANE, "vi", "v") \
    WF_OP(I16X8_EXTRACT_LANE_S, "i16x8.extract_lane_s", 0xFD, 0x18, LANE, "v", "i") \
    WF_OP(I16X8_EXTRACT_LANE_U, "i16x8.extract_lane_u", 0xFD, 0x19, LANE, "v", "i") \
    WF_OP(I16X8_REPLACE_LANE, "i16x8.replace_lane", 0xFD, 0x1A, LANE, "vi", "v") \
    WF_OP(I32X4_EXTRACT_LANE, "i32x4.extract_lane", 0xFD, 0x1B, LANE, "v", "i") \
    WF_OP(I32X4_REPLACE_LANE, "i32x4.replace_lane", 0xFD, 0x1C, LANE, "vi", "v") \
    WF_OP(I64X2_EXTRACT_LANE, "i64x2.extract_lane", 0xFD, 0x1D, LANE, "v", "l") \
    WF_OP(I64X2_REPLACE_LANE, "i64x2.replace_lane", 0xFD, 0x1E, LANE, "vl", "v") \
    WF_OP(F32X4_EXTRACT_LANE, "f32x4.extract_lane", 0xFD, 0x1F, LANE, "v", "f") \
    WF_OP(F32X4_REPLACE_LANE, "f32x4.replace_lane", 0xFD, 0x20, LANE, "vf", "v") \
    WF_OP(F64X2_EXTRACT_LANE, "f64x2.extract_lane", 0xFD, 0x21, LANE, "v", "d") \
    WF_OP(F64X2_REPLACE_LANE, "f64x2.replace_lane", 0xFD, 0x22, LANE, "vd", "v") \
    WF_OP(I8X16_EQ, "i8x16.eq", 0xFD, 0x23, NONE, "vv", "v") \
    WF_OP(I8X16_NE, "i8x16.ne", 0xFD, 0x24, NONE, "vv", "v") \
    WF_OP(I8X16_LT_S, "i8x16.lt_s", 0xFD, 0x25, NONE, "vv", "v") \
    WF_OP(I8X16_LT_U, "i8x16.lt_u", 0xFD, 0x26, NONE, "vv", "v") \
    WF_OP(I8X16_GT_S, "i8x16.gt_s", 0xFD, 0x27, NONE, "vv", "v") \
    WF_OP(I8X16_GT_U, "i8x16.gt_u", 0xFD, 0x28, NONE, "vv", "v") \
    WF_OP(I8X16_LE_S, "i8x16.le_s", 0xFD, 0x29, NONE, "vv", "v") \
    WF_OP(I8X16_LE_U, "i8x16.le_u", 0xFD, 0x2A, NONE, "vv", "v") \
    WF_OP(I8X16_GE_S, "i8x16.ge_s", 0xFD, 0x2B, NONE, "vv", "v") \
    WF_OP(I8X16_GE_U, "i8x16.ge_u", 0xFD, 0x2C, NONE, "vv", "v") \
    WF_OP(I16X8_EQ, "i16x8.eq", 0xFD, 0x2D, NONE, "vv", "v") \
    WF_OP(I16X8_NE, "i16x8.ne", 0xFD, 0x2E, NONE, "vv", "v") \
    WF_OP(I16X8_LT_S, "i16x8.lt_s", 0xFD, 0x2F, NONE, "vv", "v") \
    WF_OP(I16X8_LT_U, "i16x8.lt_u", 0xFD, 0x30, NONE, "vv", "v") \
    WF_OP(I16X8_GT_S, "i16x8.gt_s", 0xFD, 0x31, NONE, "vv", "v") \
    WF_OP(I16X8_GT_U, "i16x8.gt_u", 0xFD, 0x32, NONE, "vv", "v") \
    WF_OP(I16X8_LE_S, "i16x8.le_s", 0xFD, 0x33, NONE, "vv", "v") \
    WF_OP(I16X8_LE_U, "i16x8.le_u", 0xFD, 0x34, NONE, "vv", "v") \
    WF_OP(I16X8_GE_S, "i16x8.ge_s", 0xFD, 0x35, NONE, "vv", "v") \
    WF_OP(I16X8_GE_U, "i16x8.ge_u", 0xFD, 0x36, NONE, "vv", "v") \
    WF_OP(I32X4_EQ, "i32x4.eq", 0xFD, 0x37, NONE, "vv", "v") \
    WF_OP(I32X4_NE, "i32x4.ne", 0xFD, 0x38, NONE, "vv", "v") \
    WF_OP(I32X4_LT_S, "i32x4.lt_s", 0xFD, 0x39, NONE, "vv", "v") \
    WF_OP(I32X4_LT_U, "i32x4.lt_u", 0xFD, 0x3A, NONE, "vv", "v") \
    WF_OP(I32X4_GT_S, "i32x4.gt_s", 0xFD, 0x3B, NONE, "vv", "v") \
    WF_OP(I32X4_GT_U, "i32x4.gt_u", 0xFD, 0x3C, NONE, "vv", "v") \
    WF_OP(I32X4_LE_S, "i32x4.le_s", 0xFD, 0x3D, NONE, "vv", "v") \
    WF_OP(I32X4_LE_U, "i32x4.le_u", 0xFD, 0x3E, NONE, "vv", "v") \
    WF_OP(I32X4_GE_S, "i32x4.ge_s", 0xFD, 0x3F, NONE, "vv", "v") \
    WF_OP(I32X4_GE_U, "i32x4.ge_u", 0xFD, 0x40, NONE, "vv", "v") \
    WF_OP(F32X4_EQ, "f32x4.eq", 0xFD, 0x41, NONE, "vv", "v") \
    WF_OP(F32X4_NE, "f32x4.ne", 0xFD, 0x42, NONE, "vv", "v") \
    WF_OP(F32X4_LT, "f32x4.lt", 0xFD, 0x43, NONE, "vv", "v") \
    WF_OP(F32X4_GT, "f32x4.gt", 0xFD, 0x44, NONE, "vv", "v") \
    WF_OP(F32X4_LE, "f32x4.le", 0xFD, 0x45, NONE, "vv", "v") \
    WF_OP(F32X4_GE, "f32x4.ge", 0xFD, 0x46, NONE, "vv", "v") \
    WF_OP(F64X2_EQ, "f64x2.eq", 0xFD, 0x47, NONE, "vv", "v") \
    WF_OP(F64X2_NE, "f64x2.ne", 0xFD, 0x48, NONE, "vv", "v") \
    WF_OP(F64X2_LT, "f64x2.lt", 0xFD, 0x49, NONE, "vv", "v") \
    WF_OP(F64X2_GT, "f64x2.gt", 0xFD, 0x4A, NONE, "vv", "v") \
    WF_OP(F64X2_LE, "f64x2.le", 0xFD, 0x4B, NONE, "vv", "v") \
    WF_OP(F64X2_GE, "f64x2.ge", 0xFD, 0x4C, NONE, "vv", "v") \
    WF_OP(V128_NOT, "v128.not", 0xFD, 0x4D, NONE, "v", "v") \
    WF_OP(V128_AND, "v128.and", 0xFD, 0x4E, NONE, "vv", "v") \
    WF_OP(V128_ANDNOT, "v128.andnot", 0xFD, 0x4F, NONE, "vv", "v") \
    WF_OP(V128_OR, "v128.or", 0xFD, 0x50, NONE, "vv", "v") \
    WF_OP(V128_XOR, "v128.xor", 0xFD, 0x51, NONE, "vv", "v") \
    WF_OP(V128_BITSELECT, "v128.bitselect", 0xFD, 0x52, NONE, "vvv", "v") \
    WF_OP(V128_ANY_TRUE, "v128.any_true", 0xFD, 0x53, NONE, "v", "i") \
    WF_OP(V128_LOAD8_LANE, "v128.load8_lane", 0xFD, 0x54, MEMARG_LANE, "iv", "v") \
    WF_OP(V128_LOAD16_LANE, "v128.load16_lane", 0xFD, 0x55, MEMARG_LANE, "iv", "v") \
    WF_OP(V128_LOAD32_LANE, "v128.load32_lane", 0xFD, 0x56, MEMARG_LANE, "iv", "v") \
    WF_OP(V128_LOAD64_LANE, "v128.load64_lane", 0xFD, 0x57, MEMARG_LANE, "iv", "v") \
    WF_OP(V128_STORE8_LANE, "v128.store8_lane", 0xFD, 0x58, MEMARG_LANE, "iv", "") \
    WF_OP(V128_STORE16_LANE, "v128.store16_lane", 0xFD, 0x59, MEMARG_LANE, "iv", "") \
    WF_OP(V128_STORE32_LANE, "v128.store32_lane", 0xFD, 0x5A, MEMARG_LANE, "iv", "") \
    WF_OP(V128_STORE64_LANE, "v128.store64_lane", 0xFD, 0x5B, MEMARG_LANE, "iv", "") \
    WF_OP(V128_LOAD32_ZERO, "v128.load32_zero", 0xFD, 0x5C, MEMARG, "i", "v") \
    WF_OP(V128_LOAD64_ZERO, "v128.load64_zero", 0xFD, 0x5D, MEMARG, "i", "v") \
    WF_OP(F32X4_DEMOTE_F64X2_ZERO, "f32x4.demote_f64x2_zero", 0xFD, 0x5E, NONE, "v", "v") \
    WF_OP(F64X2_PROMOTE_LOW_F32X4, "f64x2.promote_low_f32x4", 0xFD, 0x5F, NONE, "v", "v") \
    WF_OP(I8X16_ABS, "i8x16.abs", 0xFD, 0x60, NONE, "v", "v") \
    WF_OP(I8X16_NEG, "i8x16.neg", 0xFD, 0x61, NONE, "v", "v") \
    WF_OP(I8X16_POPCNT, "i8x16.popcnt", 0xFD, 0x62, NONE, "v", "v") \
    WF_OP(I8X16_ALL_TRUE, "i8x16.all_true", 0xFD, 0x63, NONE, "v", "i") \
    WF_OP(I8X16_BITMASK, "i8x16.bitmask", 0xFD, 0x64, NONE, "v", "i") \
    WF_OP(I8X16_NARROW_I16X8_S, "i8x16.narrow_i16x8_s", 0xFD, 0x65, NONE, "vv", "v") \
    WF_OP(I8X16_NARROW_I16X8_U, "i8x16.narrow_i16x8_u", 0xFD, 0x66, NONE, "vv", "v") \
    WF_OP(F32X4_CEIL, "f32x4.ceil", 0xFD, 0x67, NONE, "v", "v") \
    WF_OP(F32X4_FLOOR, "f32x4.floor", 0xFD, 0x68, NONE, "v", "v") \
    WF_OP(F32X4_TRUNC, "f32x4.trunc", 0xFD, 0x69, NONE, "v", "v") \
    WF_OP(F32X4_NEAREST, "f32x4.nearest", 0xFD, 0x6A, NONE, "v", "v") \
    WF_OP(I8X16_SHL, "i8x16.shl", 0xFD, 0x6B, NONE, "vi", "v") \
    WF_OP(I8X16_SHR_S, "i8x16.shr_s", 0xFD, 0x6C, NONE, "vi", "v") \
    WF_OP(I8X16_SHR_U, "i8x16.shr_u", 0xFD, 0x6D, NONE, "vi", "v") \
    WF_OP(I8X16_ADD, "i8x16.add", 0xFD, 0x6E, NONE, "vv", "v") \
    WF_OP(I8X16_ADD_SAT_S, "i8x16.add_sat_s", 0xFD, 0x6F, NONE, "vv", "v") \
    WF_OP(I8X16_ADD_SAT_U, "i8x16.add_sat_u", 0xFD, 0x70, NONE, "vv", "v") \
    WF_OP(I8X16_SUB, "i8x16.sub", 0xFD, 0x71, NONE, "vv", "v") \
    WF_OP(I8X16_SUB_SAT_S, "i8x16.sub_sat_s", 0xFD, 0x72, NONE, "vv", "v") \
    WF_OP(I8X16_SUB_SAT_U, "i8x16.sub_sat_u", 0xFD, 0x73, NONE, "vv", "v") \
    WF_OP(F64X2_CEIL, "f64x2.ceil", 0xFD, 0x74, NONE, "v", "v") \
    WF_OP(F64X2_FLOOR, "f64x2.floor", 0xFD, 0x75, NONE, "v", "v") \
    WF_OP(I8X16_MIN_S, "i8x16.min_s", 0xFD, 0x76, NONE, "vv", "v") \
    WF_OP(I8X16_MIN_U, "i8x16.min_u", 0xFD, 0x77, NONE, "vv", "v") \
    WF_OP(I8X16_MAX_S, "i8x16.max_s", 0xFD, 0x78, NONE, "vv", "v") \
    WF_OP(I8X16_MAX_U, "i8x16.max_u", 0xFD, 0x79, NONE, "vv", "v") \
    WF_OP(F64X2_TRUNC, "f64x2.trunc", 0xFD, 0x7A, NONE, "v", "v") \
    WF_OP(I8X16_AVGR_U, "i8x16.avgr_u", 0xFD, 0x7B, NONE, "vv", "v") \
    WF_OP(I16X8_EXTADD_PAIRWISE_I8X16_S, "i16x8.extadd_pairwise_i8x16_s", 0xFD, 0x7C, NONE, "v", "v") \
    WF_OP(I16X8_EXTADD_PAIRWISE_I8X16_U, "i16x8.extadd_pairwise_i8x16_u", 0xFD, 0x7D, NONE, "v", "v") \
    WF_OP(I32X4_EXTADD_PAIRWISE_I16X8_S, "i32x4.extadd_pairwise_i16x8_s", 0xFD, 0x7E, NONE, "v", "v") \
    WF_OP(I32X4_EXTADD_PAIRWISE_I16X8_U, "i32x4.extadd_pairwise_i16x8_u", 0xFD, 0x7F, NONE, "v", "v") \
    WF_OP(I16X8_ABS, "i16x8.abs", 0xFD, 0x80, NONE, "v", "v") \
    WF_OP(I16X8_NEG, "i16x8.neg", 0xFD, 0x81, NONE, "v", "v") \
    WF_OP(I16X8_Q15MULR_SAT_S, "i16x8.q15mulr_sat_s", 0xFD, 0x82, NONE, "vv", "v") \
    WF_OP(I16X8_ALL_TRUE, "i16x8.all_true", 0xFD, 0x83, NONE, "v", "i") \
    WF_OP(I16X8_BITMASK, "i16x8.bitmask", 0xFD, 0x84, NONE, "v", "i") \
    WF_OP(I16X8_NARROW_I32X4_S, "i16x8.narrow_i32x4_s", 0xFD, 0x85, NONE, "vv", "v") \
    WF_OP(I16X8_NARROW_I32X4_U, "i16x8.narrow_i32x4_u", 0xFD, 0x86, NONE, "vv", "v") \
    WF_OP(I16X8_EXTEND_LOW_I8X16_S, "i16x8.extend_low_i8x16_s", 0xFD, 0x87, NONE, "v", "v") \
    WF_OP(I16X8_EXTEND_HIGH_I8X16_S, "i16x8.extend_high_i8x16_s", 0xFD, 0x88, NONE, "v", "v") \
    WF_OP(I16X8_EXTEND_LOW_I8X16_U, "i16x8.extend_low_i8x16_u", 0xFD, 0x89, NONE, "v", "v") \
    WF_OP(I16X8_EXTEND_HIGH_I8X16_U, "i16x8.extend_high_i8x16_u", 0xFD, 0x8A, NONE, "v", "v") \
    WF_OP(I16X8_SHL, "i16x8.shl", 0xFD, 0x8B, NONE, "vi", "v") \
    WF_OP(I16X8_SHR_S, "i16x8.shr_s", 0xFD, 0x8C, NONE, "vi", "v") \
    WF_OP(I16X8_SHR_U, "i16x8.shr_u", 0xFD, 0x8D, NONE, "vi", "v") \
    WF_OP(I16X8_ADD, "i16x8.add", 0xFD, 0x8E, NONE, "vv", "v") \
    WF_OP(I16X8_ADD_SAT_S, "i16x8.add_sat_s", 0xFD, 0x8F, NONE, "vv", "v") \
    WF_OP(I16X8_ADD_SAT_U, "i16x8.add_sat_u", 0xFD, 0x90, NONE, "vv", "v") \
    WF_OP(I16X8_SUB, "i16x8.sub", 0xFD, 0x91, NONE, "vv", "v") \
    WF_OP(I16X8_SUB_SAT_S, "i16x8.sub_sat_s", 0xFD, 0x92, NONE, "vv", "v") \
    WF_OP(I16X8_SUB_SAT_U, "i16x8.sub_sat_u", 0xFD, 0x93, NONE, "vv", "v") \
    WF_OP(F64X2_NEAREST, "f64x2.nearest", 0xFD, 0x94, NONE, "v", "v") \
    WF_OP(I16X8_MUL, "i16x8.mul", 0xFD, 0x95, NONE, "vv", "v") \
    WF_OP(I16X8_MIN_S, "i16x8.min_s", 0xFD, 0x96, NONE, "vv", "v") \
    WF_OP(I16X8_MIN_U, "i16x8.min_u", 0xFD, 0x97, NONE, "vv", "v") \
    WF_OP(I16X8_MAX_S, "i16x8.max_s", 0xFD, 0x98, NONE, "vv", "v") \
    WF_OP(I16X8_MAX_U, "i16x8.max_u", 0xFD, 0x99, NONE, "vv", "v") \
    WF_OP(I16X8_AVGR_U, "i16x8.avgr_u", 0xFD, 0x9B, NONE, "vv", "v") \
    WF_OP(I16X8_EXTMUL_LOW_I8X16_S, "i16x8.extmul_low_i8x16_s", 0xFD, 0x9C, NONE, "vv", "v") \
    WF_OP(I16X8_EXTMUL_HIGH_I8X16_S, "i16x8.extmul_high_i8x16_s", 0xFD, 0x9D, NONE, "vv", "v") \
    WF_OP(I16X8_EXTMUL_LOW_I8X16_U, "i16x8.extmul_low_i8x16_u", 0xFD, 0x9E, NONE, "vv", "v") \
    WF_OP(I16X8_EXTMUL_HIGH_I8X16_U, "i16x8.extmul_high_i8x16_u", 0xFD, 0x9F, NONE, "vv", "v") \
    WF_OP(I32X4_ABS, "i32x4.abs", 0xFD, 0xA0, NONE, "v", "v") \
    WF_OP(I32X4_NEG, "i32x4.neg", 0xFD, 0xA1, NONE, "v", "v") \
    WF_OP(I32X4_ALL_TRUE, "i32x4.all_true", 0xFD, 0xA3, NONE, "v", "i") \
    WF_OP(I32X4_BITMASK, "i32x4.bitmask", 0xFD, 0xA4, NONE, "v", "i") \
    WF_OP(I32X4_EXTEND_LOW_I16X8_S, "i32x4.extend_low_i16x8_s", 0xFD, 0xA7, NONE, "v", "v") \
    WF_OP(I32X4_EXTEND_HIGH_I16X8_S, "i32x4.extend_high_i16x8_s", 0xFD, 0xA8, NONE, "v", "v") \
    WF_OP(I32X4_EXTEND_LOW_I16X8_U, "i32x4.extend_low_i16x8_u", 0xFD, 0xA9, NONE, "v", "v") \
    WF_OP(I32X4_EXTEND_HIGH_I16X8_U, "i32x4.extend_high_i16x8_u", 0xFD, 0xAA, NONE, "v", "v") \
    WF_OP(I32X4_SHL, "i32x4.shl", 0xFD, 0xAB, NONE, "vi", "v") \
    WF_OP(I32X4_SHR_S, "i32x4.shr_s", 0xFD, 0xAC, NONE, "vi", "v") \
    WF_OP(I32X4_SHR_U, "i32x4.shr_u", 0xFD, 0xAD, NONE, "vi", "v") \
    WF_OP(I32X4_ADD, "i32x4.add", 0xFD, 0xAE, NONE, "vv", "v") \
    WF_OP(I32X4_SUB, "i32x4.sub", 0xFD, 0xB1, NONE, "vv", "v") \
    WF_OP(I32X4_MUL, "i32x4.mul", 0xFD, 0xB5, NONE, "vv", "v") \
    WF_OP(I32X4_MIN_S, "i32x4.min_s", 0xFD, 0xB6, NONE, "vv", "v") \
    WF_OP(I32X4_MIN_U, "i32x4.min_u", 0xFD, 0xB7, NONE, "vv", "v") \
    WF_OP(I32X4_MAX_S, "i32x4.max_s", 0xFD, 0xB8, NONE, "vv", "v") \
    WF_OP(I32X4_MAX_U, "i32x4.max_u", 0xFD, 0xB9, NONE, "vv", "v") \
    WF_OP(I32X4_DOT_I16X8_S, "i32x4.dot_i16x8_s", 0xFD, 0xBA, NONE, "vv", "v") \
    WF_OP(I32X4_EXTMUL_LOW_I16X8_S, "i32x4.extmul_low_i16x8_s", 0xFD, 0xBC, NONE, "vv", "v") \
    WF_OP(I32X4_EXTMUL_HIGH_I16X8_S, "i32x4.extmul_high_i16x8_s", 0xFD, 0xBD, NONE, "vv", "v") \
    WF_OP(I32X4_EXTMUL_LOW_I16X8_U, "i32x4.extmul_low_i16x8_u", 0xFD, 0xBE, NONE, "vv", "v") \
    WF_OP(I32X4_EXTMUL_HIGH_I16X8_U, "i32x4.extmul_high_i16x8_u", 0xFD, 0xBF, NONE, "vv", "v") \
    WF_OP(I64X2_ABS, "i64x2.abs", 0xFD, 0xC0, NONE, "v", "v") \
    WF_OP(I64X2_NEG, "i64x2.neg", 0xFD, 0xC1, NONE, "v", "v") \
    WF_OP(I64X2_ALL_TRUE, "i64x2.all_true", 0xFD, 0xC3, NONE, "v", "i") \
    WF_OP(I64X2_BITMASK, "i64x2.bitmask", 0xFD, 0xC4, NONE, "v", "i") \
    WF_OP(I64X2_EXTEND_LOW_I32X4_S, "i64x2.extend_low_i32x4_s", 0xFD, 0xC7, NONE, "v", "v") \
    WF_OP(I64X2_EXTEND_HIGH_I32X4_S, "i64x2.extend_high_i32x4_s", 0xFD, 0xC8, NONE, "v", "v") \
    WF_OP(I64X2_EXTEND_LOW_I32X4_U, "i64x2.extend_low_i32x4_u", 0xFD, 0xC9, NONE, "v", "v") \
    WF_OP(I64X2_EXTEND_HIGH_I32X4_U, "i64x2.extend_high_i32x4_u", 0xFD, 0xCA, NONE, "v", "v") \
    WF_OP(I64X2_SHL, "i64x2.shl", 0xFD, 0xCB, NONE, "vi", "v") \
    WF_OP(I64X2_SHR_S, "i64x2.shr_s", 0xFD, 0xCC, NONE, "vi", "v") \
    WF_OP(I64X2_SHR_U, "i64x2.shr_u", 0xFD, 0xCD, NONE, "vi", "v") \
    WF_OP(I64X2_ADD, "i64x2.add", 0xFD, 0xCE, NONE, "vv", "v") \
    WF_OP(I64X2_SUB, "i64x2.sub", 0xFD, 0xD1, NONE, "vv", "v") \
    WF_OP(I64X2_MUL, "i64x2.mul", 0xFD, 0xD5, NONE, "vv", "v") \
    WF_OP(I64X2_EQ, "i64x2.eq", 0xFD, 0xD6, NONE, "vv", "v") \
    WF_OP(I64X2_NE, "i64x2.ne", 0xFD, 0xD7, NONE, "vv", "v") \
    WF_OP(I64X2_LT_S, "i64x2.lt_s", 0xFD, 0xD8, NONE, "vv", "v") \
    WF_OP(I64X2_GT_S, "i64x2.gt_s", 0xFD, 0xD9, NONE, "vv", "v") \
    WF_OP(I64X2_LE_S, "i64x2.le_s", 0xFD, 0xDA, NONE, "vv", "v") \
    WF_OP(I64X2_GE_S, "i64x2.ge_s", 0xFD, 0xDB, NONE, "vv", "v") \
    WF_OP(I64X2_EXTMUL_LOW_I32X4_S, "i64x2.extmul_low_i32x4_s", 0xFD, 0xDC, NONE, "vv", "v") \
    WF_OP(I64X2_EXTMUL_HIGH_I32X4_S, "i64x2.extmul_high_i32x4_s", 0xFD, 0xDD, NONE, "vv", "v") \
    WF_OP(I64X2_EXTMUL_LOW_I32X4_U, "i64x2.extmul_low_i32x4_u", 0xFD, 0xDE, NONE, "vv", "v") \
    WF_OP(I64X2_EXTMUL_HIGH_I32X4_U, "i64x2.extmul_high_i32x4_u", 0xFD, 0xDF, NONE, "vv", "v") \
    WF_OP(F32X4_ABS, "f32x4.abs", 0xFD, 0xE0, NONE, "v", "v") \
    WF_OP(F32X4_NEG, "f32x4.neg", 0xFD, 0xE1, NONE, "v", "v") \
    WF_OP(F32X4_SQRT, "f32x4.sqrt", 0xFD, 0xE3, NONE, "v", "v") \
    WF_OP(F32X4_ADD, "f32x4.add", 0xFD, 0xE4, NONE, "vv", "v") \
    WF_OP(F32X4_SUB, "f32x4.sub", 0xFD, 0xE5, NONE, "vv", "v") \
    WF_OP(F32X4_MUL, "f32x4.mul", 0xFD, 0xE6, NONE, "vv", "v") \
    WF_OP(F32X4_DIV, "f32x4.div", 0xFD, 0xE7, NONE, "vv", "v") \
    WF_OP(F32X4_MIN, "f32x4.min", 0xFD, 0xE8, NONE, "vv", "v") \
    WF_OP(F32X4_MAX, "f32x4.max", 0xFD, 0xE9, NONE, "vv", "v") \
    WF_OP(F32X4_PMIN, "f32x4.pmin", 0xFD, 0xEA, NONE, "vv", "v") \
    WF_OP(F32X4_PMAX, "f32x4.pmax", 0xFD, 0xEB, NONE, "vv", "v") \
    WF_OP(F64X2_ABS, "f64x2.abs", 0xFD, 0xEC, NONE, "v", "v") \
    WF_OP(F64X2_NEG, "f64x2.neg", 0xFD, 0xED, NONE, "v", "v") \
    WF_OP(F64X2_SQRT, "f64x2.sqrt", 0xFD, 0xEF, NONE, "v", "v") \
    WF_OP(F64X2_ADD, "f64x2.add", 0xFD, 0xF0, NONE, "vv", "v") \
    WF_OP(F64X2_SUB, "f64x2.sub", 0xFD, 0xF1, NONE, "vv", "v") \
    WF_OP(F64X2_MUL, "f64x2.mul", 0xFD, 0xF2, NONE, "vv", "v") \
    WF_OP(F64X2_DIV, "f64x2.div", 0xFD, 0xF3, NONE, "vv", "v") \
    WF_OP(F64X2_MIN, "f64x2.min", 0xFD, 0xF4, NONE, "vv", "v") \
    WF_OP(F64X2_MAX, "f64x2.max", 0xFD, 0xF5, NONE, "vv", "v") \
    WF_OP(F64X2_PMIN, "f64x2.pmin", 0xFD, 0xF6, NONE, "vv", "v") \
    WF_OP(F64X2_PMAX, "f64x2.pmax", 0xFD, 0xF7, NONE, "vv", "v") \
    WF_OP(I32X4_TRUNC_SAT_F32X4_S, "i32x4.trunc_sat_f32x4_s", 0xFD, 0xF8, NONE, "v", "v") \
    WF_OP(I32X4_TRUNC_SAT_F32X4_U, "i32x4.trunc_sat_f32x4_u", 0xFD, 0xF9, NONE, "v", "v") \
    WF_OP(F32X4_CONVERT_I32X4_S, "f32x4.convert_i32x4_s", 0xFD, 0xFA, NONE, "v", "v") \
    WF_OP(F32X4_CONVERT_I32X4_U, "f32x4.convert_i32x4_u", 0xFD, 0xFB, NONE, "v", "v") \
    WF_OP(I32X4_TRUNC_SAT_F64X2_S_ZERO, "i32x4.trunc_sat_f64x2_s_zero", 0xFD, 0xFC, NONE, "v", "v") \
    WF_OP(I32X4_TRUNC_SAT_F64X2_U_ZERO, "i32x4.trunc_sat_f64x2_u_zero", 0xFD, 0xFD, NONE, "v", "v") \
    WF_OP(F64X2_CONVERT_LOW_I32X4_S, "f64x2.convert_low_i32x4_s", 0xFD, 0xFE, NONE, "v", "v") \
    WF_OP(F64X2_CONVERT_LOW_I32X4_U, "f64x2.convert_low_i32x4_u", 0xFD, 0xFF, NONE, "v", "v") \
    WF_OP(I8X16_RELAXED_SWIZZLE, "i8x16.relaxed_swizzle", 0xFD, 0x100, NONE, "vv", "v") \
    WF_OP(I32X4_RELAXED_TRUNC_F32X4_S, "i32x4.relaxed_trunc_f32x4_s", 0xFD, 0x101, NONE, "v", "v") \
    WF_OP(I32X4_RELAXED_TRUNC_F32X4_U, "i32x4.relaxed_trunc_f32x4_u", 0xFD, 0x102, NONE, "v", "v") \
    WF_OP(I32X4_RELAXED_TRUNC_F64X2_S_ZERO, "i32x4.relaxed_trunc_f64x2_s_zero", 0xFD, 0x103, NONE, "v", "v") \
    WF_OP(I32X4_RELAXED_TRUNC_F64X2_U_ZERO, "i32x4.relaxed_trunc_f64x2_u_zero", 0xFD, 0x104, NONE, "v", "v") \
    WF_OP(F32X4_RELAXED_MADD, "f32x4.relaxed_madd", 0xFD, 0x105, NONE, "vvv", "v") \
    WF_OP(F32X4_RELAXED_NMADD, "f32x4.relaxed_nmadd", 0xFD, 0x106, NONE, "vvv", "v") \
    WF_OP(F64X2_RELAXED_MADD, "f64x2.relaxed_madd", 0xFD, 0x107, NONE, "vvv", "v") \
    WF_OP(F64X2_RELAXED_NMADD, "f64x2.relaxed_nmadd", 0xFD, 0x108, NONE, "vvv", "v") \
    WF_OP(I8X16_RELAXED_LANESELECT, "i8x16.relaxed_laneselect", 0xFD, 0x109, NONE, "vvv", "v") \
    WF_OP(I16X8_RELAXED_LANESELECT, "i16x8.relaxed_laneselect", 0xFD, 0x10A, NONE, "vvv", "v") \
    WF_OP(I32X4_RELAXED_LANESELECT, "i32x4.relaxed_laneselect", 0xFD, 0x10B, NONE, "vvv", "v") \
    WF_OP(I64X2_RELAXED_LANESELECT, "i64x2.relaxed_laneselect", 0xFD, 0x10C, NONE, "vvv", "v") \
    WF_OP(F32X4_RELAXED_MIN, "f32x4.relaxed_min", 0xFD, 0x10D, NONE, "vv", "v") \
    WF_OP(F32X4_RELAXED_MAX, "f32x4.relaxed_max", 0xFD, 0x10E, NONE, "vv", "v") \
    WF_OP(F64X2_RELAXED_MIN, "f64x2.relaxed_min", 0xFD, 0x10F, NONE, "vv", "v") \
    WF_OP(F64X2_RELAXED_MAX, "f64x2.relaxed_max", 0xFD, 0x110, NONE, "vv", "v") \
    WF_OP(I16X8_RELAXED_Q15MULR_S, "i16x8.relaxed_q15mulr_s", 0xFD, 0x111, NONE, "vv", "v") \
    WF_OP(I16X8_RELAXED_DOT_I8X16_I7X16_S, "i16x8.relaxed_dot_i8x16_i7x16_s", 0xFD, 0x112, NONE, "vv", "v") \
    WF_OP(I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S, "i32x4.relaxed_dot_i8x16_i7x16_add_s", 0xFD, 0x113, NONE, "vvv", "v") \

typedef enum wf_opcode {
#define WF_OP_ENUM(e, name, prefix, code, imm, in, out) WF_OP_##e,
    WF_OPCODES(WF_OP_ENUM)
#undef WF_OP_ENUM
    WF_OP_COUNT_
} wf_opcode;

#endif
