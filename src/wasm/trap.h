/*
 * trap.h - turning faults in a memory's guard reservation into traps.
 *
 * trap.c installs (once per process) a SIGSEGV/SIGBUS handler. When the
 * faulting address lies in the reservation of the memory the current
 * thread's interpreter is accessing, it jumps to the running call's trap
 * point (wf_thread.trap_jmp); any other fault is passed on to the previous
 * handler or re-raised as the real crash it is.
 */
#ifndef WF_TRAP_H
#define WF_TRAP_H

#include "wasm/interp.h"

/* Install the process-wide handler (idempotent, thread-safe). */
void wf_trap_init(void);
/* Reinstall the SIGSEGV and SIGBUS handlers if something replaced them
 * since (checked at each outermost call: a load and a compare while nothing
 * changed a SIGSEGV or SIGBUS handler through signal()/sigaction(), which
 * trap.c interposes; else, or when those are not the process's, two system
 * calls). */
void wf_trap_ensure(void);
/* Give the calling thread an alternate signal stack if it has none.
 * Returns the stack to free at thread exit (or NULL). */
void *wf_trap_thread_init(void);
/* The calling thread's state if it has one (safe in a signal handler). */
wf_thread *wf_thread_peek(void);

#endif
