/*
 * llvm_int.h - the compiler library's internals (libwasmfn-jit.so, the
 * part of the compiled tier that needs LLVM): translate.c (a validated
 * function body to LLVM IR) and compile.c (a unit to an object file, ORC,
 * the library's table).
 */
#ifndef WF_JIT_LLVM_INT_H
#define WF_JIT_LLVM_INT_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "wasm/jit/jit_int.h"

/* A target machine for this host's CPU and features. */
LLVMTargetMachineRef wf_jit_host_machine(LLVMCodeGenOptLevel level);

/* Translate the defined functions funcs[0..count) (counted from the
 * first defined function, ascending) of m into M (made in C), one unit of
 * compilation: f<i> for each, and for each that compiled an entry e<i>;
 * symbols named with prefix (unique per module in the JIT). Calls within
 * the unit are direct; calls to other functions of the module go through
 * wf_module.jit_natives (NULL entry: not compiled yet, through the
 * helpers; level CHEAP: every call of a defined function so, and each function
 * counts its heat in wf_module.jit_heat). The unit exports one table, <prefix>u<funcs[0]>: per function
 * the addresses of f<i> and e<i>, NULL for one left interpreted.
 * compiled[k] tells which did; for one that did not, why[k] a malloc'd
 * reason. */
void wf_jit_translate_unit(const wf_module *m, LLVMContextRef C, LLVMModuleRef M, const char *prefix,
                           const uint32_t *funcs, uint32_t count, int level, bool *compiled, char **why);

#endif
