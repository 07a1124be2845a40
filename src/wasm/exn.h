/*
 * exn.h - exception handling (the exnref proposal of Wasm 3.0): the
 * exception objects `throw` makes and an exnref points to, and how a
 * thrown exception travels between the interpreter and compiled code.
 *
 * An exception is its tag and its payload (the tag's parameters, in slots
 * as the engine stores them). While one is in flight it is the thread's
 * t->exn. The interpreter unwinds its own frames (interp.c: the handler
 * tables compile.c emits for each try_table); an exception that leaves an
 * interpreter run returns from it as the error "uncaught exception" with
 * t->exn still set. In native code an exception raised (a compiled throw,
 * or one a helper passes up: jit/rt.c) jumps straight to the thread's
 * innermost catch point (t->exn_jmp): a compiled try_table's
 * (jit/translate.c: op_try_table), or the native call the interpreter
 * made through wf_exn_call_native, which then unwinds on from that
 * frame; compiled frames in between, which have no handler, are skipped
 * at no cost to them. Whatever
 * reaches a top-level call (wf_exec_call) is its error, WF_ERR_TRAP
 * "uncaught exception: tag N of FUNC" (a host function in between sees
 * it as an error, never as an exception it could let through).
 *
 * Exceptions belong to the store of the instance that threw them and are
 * freed with it, or when the store is reset to a snapshot (an exnref a
 * snapshot would have to keep makes the snapshot refuse: snapshot.c).
 */
#ifndef WF_EXN_H
#define WF_EXN_H

#include "wasm/interp.h"
#include "wasm/runtime.h"

/* The message of an uncaught exception's error (its start). */
#define WF_MSG_UNCAUGHT "uncaught exception"
/* throw_ref of a null exnref, on both tiers */
#define WF_MSG_NULL_EXNREF "null exception reference"

typedef struct wf_exn {
    struct wf_exn *next;        /* the store's list */
    wf_store *store;
    bool referenced;            /* an exnref to it was made (catch_ref, catch_all_ref) */
    const wf_tag *tag;
    uint32_t nslots;            /* tag->type->param_slots */
    wf_slot payload[];
} wf_exn;

/* A new exception of tag with its payload (nslots slots), owned by s. */
wf_exn *wf_exn_new(wf_store *s, const wf_tag *tag, const wf_slot *payload);
/* Free every exception of s (the store goes, or is reset). */
void wf_exn_free_all(wf_store *s);

/* x was caught (wf_exn_catch): by a clause that makes an exnref of it
 * (keep), or by one that does not, and then, when no exnref was ever made
 * of it and it is the store's newest, it is freed at once (a loop that
 * throws and catches does not pile exceptions up in its store). */
void wf_exn_caught(wf_exn *x, bool keep);

/* Try one catch clause on t->exn (set), for both tiers (interp.c's
 * handler tables, jit/rt.c's wf_jit_rt_catch): tag, the clause's tag
 * (NULL: catch_all, catch_all_ref); ref, whether it makes an exnref
 * (catch_ref, catch_all_ref). On a match the payload goes to payload (a
 * tagged clause only; x->nslots slots), the exception is no longer in
 * flight and is caught (wf_exn_caught), and true; else false and nothing
 * changes. With ref the exnref (the t->exn the caller read before) is the
 * caller's to place. Inline: the interpreter's dispatch runs it per
 * clause. */
static inline bool wf_exn_catch(wf_thread *t, const wf_tag *tag, bool ref, wf_slot *payload)
{
    wf_exn *x = t->exn;
    if (tag) {
        if (x->tag != tag) return false;
        /* a few slots: a loop, not a call into the C library's memcpy */
        for (uint32_t i = 0; i < x->nslots; i++) payload[i] = x->payload[i];
    }
    t->exn = NULL;
    wf_exn_caught(x, ref);
    return true;
}

/* A module with throw, throw_ref or try_table was validated (compile.c):
 * from now on the interpreter's native calls catch exceptions. */
void wf_exn_note_used(void);
bool wf_exn_used(void);

/* The error for t->exn leaving the function running at inst (the tag's
 * index there, when it has one). */
wf_error *wf_exn_error(const wf_thread *t, const wf_instance *inst);

/* Call the compiled entry on frame fp as the interpreter's JIT_ENTER does,
 * catching an exception raised natively below: true when one was (t->exn
 * set; the frames in between are gone). */
bool wf_exn_call_native(wf_thread *t, wf_jit_entry_fn entry, wf_instance *inst, wf_slot *fp);
/* Raise t->exn (already set) in native code: jump to the innermost
 * wf_exn_call_native, or, with none, leave the call as a trap. */
_Noreturn void wf_exn_raise_native(wf_thread *t);

#endif
