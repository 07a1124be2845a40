/*
 * arena.c - a Lua state's memory in one region of its own at a fixed
 * address (lua_int.h), so that a state can be put back to a snapshot of
 * itself by copying bytes: fn.c builds a sandboxed state once per slot,
 * snapshots it, and after each call copies the snapshot back instead of
 * closing the state and building a new one (which cost ~300k instructions
 * per call, mostly allocation and the libraries' tables). Every pointer of
 * the state points into the region or at static code and data, and the
 * region never moves, so the copy is the pristine state again.
 *
 * The allocator keeps everything it knows inside the region (its header
 * first), so the snapshot holds it too: blocks come from a bump pointer,
 * freed blocks go to a free list per size class (Lua says the size of the
 * block it frees or resizes, so no block carries a header). Sizes up to
 * 1 KiB are rounded to 16 bytes, larger ones to a power of two. The
 * region is reserved (MAP_NORESERVE) at twice the state's memory limit
 * plus 1 MiB, so class rounding cannot make it fail before the limit does;
 * the limit itself counts the bytes Lua asked for, as limited_alloc
 * (state.c) does. Pages a call dirtied beyond the snapshot are given back
 * to the kernel on restore when there are more than RELEASE_SLACK of them.
 */
#include <sys/mman.h>

#include "lua/lua_int.h"

#define SMALL_MAX 1024u
#define SMALL_STEP 16u
#define NSMALL (SMALL_MAX / SMALL_STEP)        /* classes 1..NSMALL: 16..1024 */
#define NCLASSES (NSMALL + 1 + 48)              /* then 2^11, 2^12, ... */
#define RELEASE_SLACK ((size_t)1 << 20)

typedef struct arena_head {
    size_t used;                  /* bump offset from the region's start */
    size_t mem_used, mem_limit;   /* bytes Lua holds, and its limit */
    size_t free_list[NCLASSES];   /* offset of the first free block, 0: none */
    wf_lua_ctx ctx;               /* the state's context lives here too */
} arena_head;

struct wf_lua_arena {
    uint8_t *base;
    size_t size;                  /* bytes reserved */
    uint8_t *snap;                /* region bytes [0, snap_len) when snapshotted */
    size_t snap_len;
    size_t high;                  /* highest bump offset seen since the last restore */
};

static arena_head *head_of(wf_lua_arena *a)
{
    return (arena_head *)a->base;
}

static unsigned class_of(size_t n, size_t *block)
{
    if (n <= SMALL_MAX) {
        unsigned c = (unsigned)((n + SMALL_STEP - 1) / SMALL_STEP);
        if (!c) c = 1;
        *block = (size_t)c * SMALL_STEP;
        return c;
    }
    unsigned k = 11;
    while (((size_t)1 << k) < n) k++;
    *block = (size_t)1 << k;
    return NSMALL + 1 + (k - 11);
}

wf_lua_arena *wf_lua_arena_new(size_t mem_limit)
{
    size_t size = 2 * mem_limit + ((size_t)1 << 20);
    size = (size + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    wf_lua_arena *a = wf_xcalloc(1, sizeof *a);
    a->base = p;
    a->size = size;
    arena_head *h = head_of(a);
    h->used = (sizeof *h + 15) & ~(size_t)15;
    h->mem_limit = mem_limit;
    a->high = h->used;
    return a;
}

void wf_lua_arena_free(wf_lua_arena *a)
{
    if (!a) return;
    munmap(a->base, a->size);
    free(a->snap);
    free(a);
}

wf_lua_ctx *wf_lua_arena_ctx(wf_lua_arena *a)
{
    return &head_of(a)->ctx;
}

static void *take(wf_lua_arena *a, size_t n)
{
    arena_head *h = head_of(a);
    if (h->mem_used + n > h->mem_limit) return NULL;
    size_t block;
    unsigned c = class_of(n, &block);
    uint8_t *p;
    if (h->free_list[c]) {
        p = a->base + h->free_list[c];
        memcpy(&h->free_list[c], p, sizeof(size_t));
    } else {
        if (block > a->size - h->used) return NULL;
        p = a->base + h->used;
        h->used += block;
        if (h->used > a->high) a->high = h->used;
    }
    h->mem_used += n;
    return p;
}

static void give(wf_lua_arena *a, void *ptr, size_t n)
{
    arena_head *h = head_of(a);
    size_t block;
    unsigned c = class_of(n, &block);
    memcpy(ptr, &h->free_list[c], sizeof(size_t));
    h->free_list[c] = (size_t)((uint8_t *)ptr - a->base);
    h->mem_used -= n;
}

void *wf_lua_arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    wf_lua_arena *a = ud;
    if (!ptr) return nsize ? take(a, nsize) : NULL;   /* osize is then a type tag */
    if (!nsize) {
        give(a, ptr, osize);
        return NULL;
    }
    size_t ob, nb;
    if (class_of(osize, &ob) == class_of(nsize, &nb)) {
        arena_head *h = head_of(a);
        if (nsize > osize && h->mem_used + (nsize - osize) > h->mem_limit) return NULL;
        h->mem_used = h->mem_used - osize + nsize;
        return ptr;
    }
    void *q = take(a, nsize);
    if (!q) {
        if (nsize > osize) return NULL;
        /* A shrink must not fail: keep the block (it is large enough). Its
         * tail is lost until the next restore, as the class of nsize. */
        arena_head *h = head_of(a);
        h->mem_used = h->mem_used - osize + nsize;
        return ptr;
    }
    memcpy(q, ptr, WF_MIN(osize, nsize));
    give(a, ptr, osize);
    return q;
}

void wf_lua_arena_snapshot(wf_lua_arena *a)
{
    free(a->snap);
    a->snap_len = head_of(a)->used;
    a->snap = wf_xmalloc(a->snap_len);
    memcpy(a->snap, a->base, a->snap_len);
    a->high = a->snap_len;
}

void wf_lua_arena_restore(wf_lua_arena *a)
{
    memcpy(a->base, a->snap, a->snap_len);
    size_t from = (a->snap_len + 4095) & ~(size_t)4095;
    if (a->high > from + RELEASE_SLACK) madvise(a->base + from, a->high - from, MADV_DONTNEED);
    a->high = a->snap_len;
}
