/*
 * trap.h - turning faults in a memory's guard reservation into traps.
 *
 * trap.c installs (once per process) a SIGSEGV/SIGBUS handler. When the
 * faulting address lies in the reservation of the memory the current
 * thread's interpreter is accessing, it jumps to the running call's trap
 * point (wf_thread.trap_jmp); any other fault is passed on to the previous
 * handler, or dies by the signal as the real crash it is. The embedder's
 * side of this (wf_signals_install) is in include/wasmfn.h.
 */
#ifndef WF_TRAP_H
#define WF_TRAP_H

#include "wasm/interp.h"

/* Install the process-wide handler the first time (thread-safe; later
 * calls cost a load: the call path never asks the kernel). */
void wf_trap_init(void);
/* Give the calling thread an alternate signal stack if it has none.
 * Returns the stack to free at thread exit (or NULL). */
void *wf_trap_thread_init(void);
/* The calling thread's state if it has one (safe in a signal handler). */
wf_thread *wf_thread_peek(void);

#endif
