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
 * Growing is an mprotect of more pages; the base never moves. A 64-bit
 * memory (memory64) is made the same way and capped one page under 4 GiB:
 * its i64 addresses reach the engine saturated to 32 bits, which keeps
 * every access inside that reservation too.
 *
 * Reservations are recycled: mapping and unmapping 8 GiB per instance costs
 * far more than running a small function. A released memory's used pages
 * are given back to the kernel (MADV_DONTNEED: they read as zero again; a
 * small memory is simply cleared with memset) and
 * its reservation, still accessible up to its old size, waits in a small
 * process-wide cache; the next memory adjusts the accessible part with one
 * mprotect, or none when the sizes match.
 *
 * A memory may instead start from an image (image.h), mapped over the first
 * part of its reservation; wf_memory_release turns that part back into
 * anonymous, inaccessible pages before the reservation is cached.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "base/error.h"
#include "wasm/runtime.h"

/* The largest page count a memory of this store may ever have. A 64-bit
 * memory (memory64) stays one page under 4 GiB: its i64 addresses and
 * lengths reach the engine saturated to 32 bits (compile.c), and 2^32 - 1
 * must lie past its end so that a saturated address still traps. */
static uint64_t page_cap(const wf_store *s, const wf_limits *l)
{
    uint64_t cap = l->is64 ? WF_MAX_MEMORY_PAGES - 1 : WF_MAX_MEMORY_PAGES;
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

#define WF_MEM_CACHE_SLOTS 64
#define WF_MEM_CACHE_MAX_SIZE (64ull << 20)   /* larger memories are unmapped */
#define WF_MEM_CLEAR_MAX (256ull << 10)       /* up to this, memset instead of madvise */

typedef struct cached_mem {
    uint8_t *base;
    uint64_t acc;   /* bytes accessible (and zero) from base */
} cached_mem;

static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_mem g_cache[WF_MEM_CACHE_SLOTS];
static size_t g_ncache;

/* A reservation with [0, bytes) accessible and zero, [bytes, end) not; NULL
 * when none can be made. */
static uint8_t *reserve(uint64_t bytes)
{
    cached_mem cm = { NULL, 0 };
    pthread_mutex_lock(&g_cache_lock);
    if (g_ncache) cm = g_cache[--g_ncache];
    pthread_mutex_unlock(&g_cache_lock);
    if (cm.base) {
        bool ok = true;
        if (cm.acc > bytes)
            ok = mprotect(cm.base + bytes, (size_t)(cm.acc - bytes), PROT_NONE) == 0;
        else if (cm.acc < bytes)
            ok = mprotect(cm.base + cm.acc, (size_t)(bytes - cm.acc), PROT_READ | PROT_WRITE) == 0;
        if (ok) return cm.base;
        munmap(cm.base, WF_MEM_RESERVE + WF_MEM_GUARD);
    }
    void *p = mmap(NULL, WF_MEM_RESERVE + WF_MEM_GUARD, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (bytes && mprotect(p, (size_t)bytes, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, WF_MEM_RESERVE + WF_MEM_GUARD);
        return NULL;
    }
    return p;
}

/* Give a reservation back: to the cache when it is small and there is room. */
static void unreserve(uint8_t *base, uint64_t acc)
{
    /* Small memories are cleared in place: cheaper than the madvise plus
     * a page fault for each page touched again. */
    bool clear = acc <= WF_MEM_CLEAR_MAX;
    if (clear) memset(base, 0, (size_t)acc);
    if (acc <= WF_MEM_CACHE_MAX_SIZE && (clear || madvise(base, (size_t)acc, MADV_DONTNEED) == 0)) {
        pthread_mutex_lock(&g_cache_lock);
        if (g_ncache < WF_MEM_CACHE_SLOTS) {
            g_cache[g_ncache++] = (cached_mem){ base, acc };
            base = NULL;
        }
        pthread_mutex_unlock(&g_cache_lock);
        if (!base) return;
    }
    munmap(base, WF_MEM_RESERVE + WF_MEM_GUARD);
}

/* Allocates a wf_memory owned by s (freed by wf_store_free, which releases it). */
wf_error *wf_memory_create(wf_store *s, const wf_memtype *type, wf_memory **out)
{
    *out = NULL;
    uint64_t min = type->limits.min;
    uint64_t engine_max = type->limits.is64 ? WF_MAX_MEMORY_PAGES - 1 : WF_MAX_MEMORY_PAGES;
    if (min > engine_max)
        return wf_error_new(WF_ERR_LIMIT, "memory size %llu pages exceeds the engine limit of %llu pages",
                            (unsigned long long)min, (unsigned long long)engine_max);
    if (s->memory_limit_pages && min > s->memory_limit_pages)
        return wf_error_new(WF_ERR_LIMIT, "memory size %llu pages exceeds the limit of %llu pages",
                            (unsigned long long)min, (unsigned long long)s->memory_limit_pages);

    uint8_t *p = reserve(min * WF_PAGE_SIZE);
    if (!p)
        return wf_error_new(WF_ERR_LIMIT, "cannot reserve address space for %llu pages of memory",
                            (unsigned long long)min);

    wf_memory *m = wf_xcalloc(1, sizeof *m);
    m->base = p;
    m->reserved = WF_MEM_RESERVE + WF_MEM_GUARD;
    m->type = *type;
    m->max_pages = page_cap(s, &type->limits);
    m->limit_pages = s->memory_limit_pages;
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

/* Called by wf_store_free only. A memory mapped from an image (image.h)
 * gets anonymous, inaccessible pages back over the mapping first: a
 * reservation in the cache is anonymous and zero throughout. */
void wf_memory_release(wf_memory *m)
{
    if (!m) return;
    if (m->base && m->image_len) {
        uint64_t len = WF_MAX(m->image_len, m->size);
        if (mmap(m->base, (size_t)len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                 -1, 0) == MAP_FAILED) {
            munmap(m->base, WF_MEM_RESERVE + WF_MEM_GUARD);
        } else {
            unreserve(m->base, 0);
        }
    } else if (m->base) {
        unreserve(m->base, m->size);
    }
    free(m->owned);
    free(m);
}
