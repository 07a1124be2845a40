/*
 * arena.c - the one arena (arena.h). Blocks are filled front to back; the
 * first is small and each next one twice the last, up to 16 KiB, so the
 * many tiny arenas (a registry `wit` field each) stay tiny. A request
 * larger than a quarter of the largest block gets a block of its own,
 * linked behind the current one so the current block's free space is kept.
 */
#include "base/arena.h"

struct wf_arena_block {
    wf_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

enum { FIRST_BLOCK = 512, BLOCK = 16384, ALIGN = 16 };

static wf_arena_block *block_new(size_t cap)
{
    wf_arena_block *b = wf_xmalloc(sizeof *b + cap);
    b->used = 0;
    b->cap = cap;
    b->next = NULL;
    return b;
}

void *wf_arena_alloc(wf_arena *a, size_t n)
{
    if (n > SIZE_MAX - ALIGN) wf_xmalloc(SIZE_MAX);   /* reports out of memory */
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    wf_arena_block *b = a->head;
    if (n > BLOCK / 4) {
        wf_arena_block *big = block_new(n);
        big->used = n;
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            a->head = big;
        }
        memset(big->data, 0, n);
        return big->data;
    }
    if (!b || b->cap - b->used < n) {
        size_t cap = b ? WF_MIN(b->cap * 2, (size_t)BLOCK) : FIRST_BLOCK;
        while (cap < n) cap *= 2;
        b = block_new(cap);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *wf_arena_dup(wf_arena *a, const void *p, size_t n)
{
    void *q = wf_arena_alloc(a, n);
    if (n) memcpy(q, p, n);
    return q;
}

char *wf_arena_strndup(wf_arena *a, const char *s, size_t n)
{
    char *p = wf_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    return p;
}

void wf_arena_free(wf_arena *a)
{
    while (a->head) {
        wf_arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}
