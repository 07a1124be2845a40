/*
 * fiber_aarch64.S - the fiber stack switch for AArch64 (AAPCS64).
 *
 * void wf_fiber_switch(void **save_sp, void *new_sp)
 *   Stores the callee-saved registers (x19-x28, the frame pointer x29, the
 *   link register x30, and the low halves d8-d15 of v8-v15) in a 160-byte
 *   frame on the current stack, stores sp in *save_sp, loads new_sp and
 *   restores the same frame from there, returning through x30 into the
 *   context that saved new_sp (or into wf_fiber_boot for a new fiber).
 *
 * wf_fiber_boot: a new fiber's first x30. fiber.c lays out the initial
 *   frame so that x19 holds the entry function and x20 its argument; the
 *   entry never returns.
 */
#if defined(__aarch64__)
        .text
        .globl  wf_fiber_switch
        .type   wf_fiber_switch, %function
        .p2align 4
wf_fiber_switch:
        .cfi_startproc
        sub     sp, sp, #160
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8,  d9,  [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mov     x2, sp
        str     x2, [x0]
        mov     sp, x1
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8,  d9,  [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #160
        ret
        .cfi_endproc
        .size   wf_fiber_switch, .-wf_fiber_switch

        .globl  wf_fiber_boot
        .type   wf_fiber_boot, %function
        .p2align 4
wf_fiber_boot:
        .cfi_startproc
        .cfi_undefined x30              /* the bottom of the fiber's stack */
        mov     x0, x20
        blr     x19
        brk     #0                      /* the entry never returns */
        .cfi_endproc
        .size   wf_fiber_boot, .-wf_fiber_boot
#endif
        .section .note.GNU-stack,"",%progbits
