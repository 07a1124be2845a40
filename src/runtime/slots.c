/*
 * slots.c - idle instance slots of a function (slots.h): a locked stack,
 * last in first out so the most recently used slot (its page tables and
 * structures warm in the caches) serves the next call.
 */
#include "runtime/slots.h"

void wf_slots_init(wf_slots *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

void *wf_slots_take(wf_slots *s)
{
    pthread_mutex_lock(&s->mu);
    void *slot = s->n ? s->idle[--s->n] : NULL;
    pthread_mutex_unlock(&s->mu);
    return slot;
}

bool wf_slots_put(wf_slots *s, void *slot)
{
    pthread_mutex_lock(&s->mu);
    bool kept = s->n < WF_SLOTS_MAX;
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
    for (size_t i = 0; i < s->n; i++) free_slot(ud, s->idle[i]);
    free(s->idle);
    s->idle = NULL;
    s->n = s->cap = 0;
    pthread_mutex_destroy(&s->mu);
}
