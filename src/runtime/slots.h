/*
 * slots.h - idle instance slots of a function (DESIGN.md "Pristine instance
 * per call, made cheap"): instances already reset to their function's
 * snapshot (wasm/image.h), waiting for a call. A kind's `prepare` takes one
 * (or makes one, bare, and resets it), its `release` resets the instance and
 * puts it back; so memory reservations, tables, globals and the instance's
 * structures are made once per slot, never once per call, and an idle slot
 * is always pristine. Thread-safe.
 */
#ifndef WF_RUNTIME_SLOTS_H
#define WF_RUNTIME_SLOTS_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/base.h"

/* Idle slots kept per function; more are freed on release. Each holds its
 * memories' address-space reservations (8 GiB per memory, memory.c): the
 * bound keeps many functions after a burst of concurrent calls from
 * exhausting the address space; a slot made anew costs a bare
 * instantiation and a reset. */
#define WF_SLOTS_MAX 32

typedef struct wf_slots {
    _Atomic(void *) hot;    /* one idle slot, taken and put without the lock */
    pthread_mutex_t mu;     /* guards the others */
    void **idle;
    size_t n, cap;
} wf_slots;

void wf_slots_init(wf_slots *s);
/* An idle slot, or NULL. */
void *wf_slots_take(wf_slots *s);
/* Keep slot (already reset); false when enough are kept: the caller frees it. */
bool wf_slots_put(wf_slots *s, void *slot);
/* Free every idle slot with free_slot(ud, slot). */
void wf_slots_fini(wf_slots *s, void (*free_slot)(void *ud, void *slot), void *ud);

#endif
