/*
 * arena.h - the one arena: many small allocations that live and die
 * together (a parse tree, a component's types, a compiler's temporaries).
 * Allocation is a pointer bump in a block; wf_arena_free releases them all.
 *
 *   wf_arena a = {0};
 *   node *n = wf_arena_alloc(&a, sizeof *n);     zeroed, 16-byte aligned
 *   wf_arena_free(&a);
 *
 * Not thread-safe: one arena belongs to one owner at a time.
 */
#ifndef WF_ARENA_H
#define WF_ARENA_H

#include "base/base.h"

typedef struct wf_arena_block wf_arena_block;
typedef struct wf_arena { wf_arena_block *head; } wf_arena;

/* n zeroed bytes (n may be 0), aligned for any type; never NULL. */
void *wf_arena_alloc(wf_arena *a, size_t n);
/* A copy of n bytes at p (p may be NULL when n is 0); never NULL. */
void *wf_arena_dup(wf_arena *a, const void *p, size_t n);
/* s[0..n) and a terminating NUL. */
char *wf_arena_strndup(wf_arena *a, const char *s, size_t n);
/* Release every allocation; the arena is empty and reusable after. */
void wf_arena_free(wf_arena *a);

#endif
