/*
 * memory.c - linear memories: address-space reservation with guard pages,
 * growth, and the public wf_memory_* accessors.
 *
 * Every 32-bit memory reserves WF_MEM_RESERVE + WF_MEM_GUARD bytes of address
 * space (PROT_NONE, MAP_NORESERVE, so it costs no RAM or swap) and makes only
 * the first `size` bytes readable and writable. The interpreter computes
 * base + addr + offset + access size with addr, offset < 2^32 and size <= 16,
 * so every access ends below base + 2^33 + 16: inside the reservation, where
 * an access past `size` faults instead of touching someone else's memory.
 * Growing is an mprotect of more pages; the base never moves.
 */
#include <sys/mman.h>

#include "base/error.h"
#include "wasm/runtime.h"

/* The largest page count a memory of this store may ever have. */
static uint64_t page_cap(const wf_store *s, const wf_limits *l)
{
    uint64_t cap = WF_MAX_MEMORY_PAGES;
    if (l->has_max && l->max < cap) cap = l->max;
    if (s && s->memory_limit_pages && s->memory_limit_pages < cap) cap = s->memory_limit_pages;
    return cap;
}

/* Make [from, to) bytes of m accessible. */
static bool make_accessible(wf_memory *m, uint64_t from, uint64_t to)
{
    if (to <= from) return true;
    return mprotect(m->base + from, (size_t)(to - from), PROT_READ | PROT_WRITE) == 0;
}

/* Allocates a wf_memory owned by s (freed by wf_store_free, which unmaps it). */
wf_error *wf_memory_create(wf_store *s, const wf_memtype *type, wf_memory **out)
{
    *out = NULL;
    if (type->limits.is64)
        return wf_error_new(WF_ERR_UNSUPPORTED, "64-bit memories are not supported");
    uint64_t min = type->limits.min;
    if (min > WF_MAX_MEMORY_PAGES)
        return wf_error_new(WF_ERR_LIMIT, "memory size %llu pages exceeds the engine limit of %u pages",
                            (unsigned long long)min, WF_MAX_MEMORY_PAGES);
    if (s->memory_limit_pages && min > s->memory_limit_pages)
        return wf_error_new(WF_ERR_LIMIT, "memory size %llu pages exceeds the limit of %llu pages",
                            (unsigned long long)min, (unsigned long long)s->memory_limit_pages);

    size_t reserved = WF_MEM_RESERVE + WF_MEM_GUARD;
    void *p = mmap(NULL, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return wf_error_new(WF_ERR_LIMIT, "cannot reserve address space for a memory");

    wf_memory *m = wf_xcalloc(1, sizeof *m);
    m->base = p;
    m->reserved = reserved;
    m->type = *type;
    m->max_pages = page_cap(s, &type->limits);
    m->limit_pages = s->memory_limit_pages;
    if (!make_accessible(m, 0, min * WF_PAGE_SIZE)) {
        munmap(p, reserved);
        free(m);
        return wf_error_new(WF_ERR_LIMIT, "cannot commit %llu pages of memory", (unsigned long long)min);
    }
    m->size = min * WF_PAGE_SIZE;
    m->type.limits.min = min;
    wf_vec_push(&s->memories, m);
    *out = m;
    return NULL;
}

wf_memory *wf_memory_new(wf_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max)
{
    wf_memtype t = { .limits = { .min = min_pages, .max = max_pages, .has_max = has_max } };
    if (has_max && max_pages < min_pages) return NULL;
    wf_memory *m;
    wf_error *e = wf_memory_create(s, &t, &m);
    if (e) {
        wf_error_free(e);
        return NULL;
    }
    return m;
}

int64_t wf_memory_grow(wf_memory *m, uint64_t delta)
{
    uint64_t old = m->size / WF_PAGE_SIZE;
    if (delta > m->max_pages || old + delta > m->max_pages) return -1;
    if (delta == 0) return (int64_t)old;
    uint64_t new_size = (old + delta) * WF_PAGE_SIZE;
    if (new_size > WF_MEM_RESERVE || !make_accessible(m, m->size, new_size)) return -1;
    m->size = new_size;
    m->type.limits.min = old + delta;
    return (int64_t)old;
}

uint8_t *wf_memory_data(wf_memory *m) { return m->base; }

uint64_t wf_memory_size(const wf_memory *m) { return m->size; }

/* Called by wf_store_free only. */
void wf_memory_release(wf_memory *m)
{
    if (!m) return;
    if (m->base) munmap(m->base, m->reserved);
    free(m);
}
