/*
 * slots.c - idle instance slots of a function (slots.h): one in an atomic
 * cell, served first, the others on a locked stack, last in first out, so
 * a recently used slot (its page tables and structures warm in the caches)
 * serves the next call.
 *
 * The cell is emptied by an atomic exchange (whoever swaps a slot out owns
 * it) and filled by a compare-and-swap from NULL only, never from a pointer
 * read earlier, so there is no ABA. A function called one call at a time (an
 * HTTP loop's inline pool: the common case) takes and puts its slot there
 * with one atomic operation each and never takes the lock.
 */
#include "runtime/slots.h"

void wf_slots_init(wf_slots *s)
{
    memset(s, 0, sizeof *s);
    atomic_init(&s->hot, NULL);
    pthread_mutex_init(&s->mu, NULL);
}

void *wf_slots_take(wf_slots *s)
{
    void *slot = atomic_exchange_explicit(&s->hot, NULL, memory_order_acquire);
    if (slot) return slot;
    pthread_mutex_lock(&s->mu);
    slot = s->n ? s->idle[--s->n] : NULL;
    pthread_mutex_unlock(&s->mu);
    return slot;
}

bool wf_slots_put(wf_slots *s, void *slot)
{
    /* Into the cell when it is empty (a compare-and-swap from NULL: it
     * depends on no pointer read before, so no ABA either), else onto the
     * stack, which keeps WF_SLOTS_MAX - 1 (with the cell's, WF_SLOTS_MAX). */
    void *empty = NULL;
    if (atomic_compare_exchange_strong_explicit(&s->hot, &empty, slot, memory_order_release, memory_order_relaxed))
        return true;
    pthread_mutex_lock(&s->mu);
    bool kept = s->n < WF_SLOTS_MAX - 1;
    if (kept) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->idle = wf_xrealloc(s->idle, s->cap * sizeof *s->idle);
        }
        s->idle[s->n++] = slot;
    }
    pthread_mutex_unlock(&s->mu);
    return kept;
}

void wf_slots_fini(wf_slots *s, void (*free_slot)(void *ud, void *slot), void *ud)
{
    void *hot = atomic_exchange_explicit(&s->hot, NULL, memory_order_acquire);
    if (hot) free_slot(ud, hot);
    for (size_t i = 0; i < s->n; i++) free_slot(ud, s->idle[i]);
    free(s->idle);
    s->idle = NULL;
    s->n = s->cap = 0;
    pthread_mutex_destroy(&s->mu);
}
