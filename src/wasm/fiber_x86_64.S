/*
 * fiber_x86_64.S - the fiber stack switch for x86-64 (System V ABI).
 *
 * void wf_fiber_switch(void **save_sp, void *new_sp)
 *   Pushes the callee-saved registers (rbp, rbx, r12-r15) and the control
 *   words the ABI says a callee preserves (MXCSR, x87 control word) on the
 *   current stack, stores the stack pointer in *save_sp, loads new_sp and
 *   pops the same set from there: it returns into whatever context saved
 *   new_sp (or into wf_fiber_boot for a new fiber, see fiber.c).
 *
 * wf_fiber_boot: a new fiber's first return address. fiber.c lays out the
 *   initial frame so that rbx holds the entry function and r12 its argument;
 *   the entry never returns (it switches away for the last time).
 */
#if defined(__x86_64__)
        .text
        .globl  wf_fiber_switch
        .type   wf_fiber_switch, @function
        .p2align 4
wf_fiber_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   wf_fiber_switch, .-wf_fiber_switch

        .globl  wf_fiber_boot
        .type   wf_fiber_boot, @function
        .p2align 4
wf_fiber_boot:
        .cfi_startproc
        .cfi_undefined rip              /* the bottom of the fiber's stack: backtraces stop here */
        movq    %r12, %rdi
        callq   *%rbx
        ud2                             /* the entry never returns */
        .cfi_endproc
        .size   wf_fiber_boot, .-wf_fiber_boot
#endif
        .section .note.GNU-stack,"",@progbits
