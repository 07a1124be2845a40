/*
 * table.c - tables of references: creation, growth (capped at
 * WF_MAX_TABLE_ELEMS) and the public wf_table_* functions.
 */
#include "base/error.h"
#include "wasm/runtime.h"

static uint32_t size_cap(const wf_limits *l)
{
    uint64_t cap = WF_MAX_TABLE_ELEMS;
    if (l->has_max && l->max < cap) cap = l->max;
    return (uint32_t)cap;
}

/* Allocates a wf_table owned by s (freed by wf_store_free). */
wf_error *wf_table_create(wf_store *s, const wf_tabletype *type, void *init, wf_table **out)
{
    *out = NULL;
    uint64_t min = type->limits.min;
    if (min > WF_MAX_TABLE_ELEMS)
        return wf_error_new(WF_ERR_LIMIT, "table size %llu exceeds the engine limit of %u elements",
                            (unsigned long long)min, WF_MAX_TABLE_ELEMS);
    wf_table *t = wf_xcalloc(1, sizeof *t);
    t->type = *type;
    t->max = size_cap(&type->limits);
    t->size = (uint32_t)min;
    t->cap = t->size;
    /* calloc leaves a large null-filled table untouched (lazily zeroed
     * pages), so an unused big table costs address space, not RAM. */
    t->elems = wf_xcalloc(t->cap ? t->cap : 1, sizeof *t->elems);
    if (init)
        for (uint32_t i = 0; i < t->size; i++) t->elems[i] = init;
    wf_vec_push(&s->tables, t);
    *out = t;
    return NULL;
}

wf_table *wf_table_new(wf_store *s, wf_valtype elem, uint32_t min, uint32_t max, bool has_max,
                       void *init)
{
    if (has_max && max < min) return NULL;
    wf_tabletype type = { .elem = elem, .limits = { .min = min, .max = max, .has_max = has_max } };
    wf_table *t;
    wf_error *e = wf_table_create(s, &type, init, &t);
    if (e) {
        wf_error_free(e);
        return NULL;
    }
    return t;
}

int64_t wf_table_grow(wf_table *t, uint64_t delta, void *init)
{
    uint32_t old = t->size;
    if (delta > t->max || old + delta > t->max) return -1;
    uint32_t n = (uint32_t)(old + delta);
    if (n > t->cap) {
        /* Doubling keeps repeated small grows linear overall. */
        uint64_t cap = (uint64_t)t->cap * 2;
        if (cap < n) cap = n;
        if (cap > t->max) cap = t->max;
        t->elems = wf_xrealloc(t->elems, (size_t)cap * sizeof *t->elems);
        t->cap = (uint32_t)cap;
    }
    for (uint32_t i = old; i < n; i++) t->elems[i] = init;
    t->dirty = true;
    t->size = n;
    t->type.limits.min = n;
    return old;
}

uint32_t wf_table_size(const wf_table *t) { return t->size; }

void wf_table_release(wf_table *t)
{
    if (!t) return;
    free(t->elems);
    free(t->pristine);
    free(t);
}
