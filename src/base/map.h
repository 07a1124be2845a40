/*
 * map.h - the one hash map: byte-string keys (names, IDs) to pointer or
 * index values, open addressing with linear probing, doubling at half full.
 *
 *   wf_map m = {0};
 *   wf_map_add(&m, "demo:answer", 11, fn);        false if the key is taken
 *   void *v; if (wf_map_find(&m, "demo:answer", 11, &v)) ...
 *   wf_map_free(&m);
 *
 * Keys are not copied: the bytes a key points to must stay unchanged while
 * the map holds it (they usually belong to the value, or to an arena).
 * Entries are never removed one by one; wf_map_clear empties the map.
 *
 * Threads: lookups (wf_map_find, wf_map_get, wf_map_count) may run on any
 * number of threads while one writer adds or sets, without a lock: an entry becomes
 * visible whole (its hash is stored last, with release order), and a table
 * that the map outgrows stays allocated until wf_map_clear or wf_map_free,
 * so a reader still probing it reads valid memory (it may miss entries
 * added since, as if it had looked a moment earlier). Writers (add, set) must
 * be serialized by the caller; clear and free must not run beside readers.
 */
#ifndef WF_MAP_H
#define WF_MAP_H

#include "base/base.h"

typedef struct wf_map_table wf_map_table;

typedef struct wf_map {
    wf_map_table *table;     /* NULL while empty; replaced (not freed) on growth */
    size_t count;
    wf_map_table *retired;   /* outgrown tables, chained, freed with the map */
} wf_map;

/* Add key -> val. False (and nothing changes) when the key is present. */
bool wf_map_add(wf_map *m, const void *key, size_t len, void *val);
/* Add key -> val, or give a present key the value val (its stored key
 * pointer stays the first one's). A concurrent reader sees the old value or
 * the new one. */
void wf_map_set(wf_map *m, const void *key, size_t len, void *val);
/* The value of key in *val (val may be NULL); false when absent. */
bool wf_map_find(const wf_map *m, const void *key, size_t len, void **val);
/* The value of a NUL-terminated key, or NULL when absent. */
void *wf_map_get(const wf_map *m, const char *key);
size_t wf_map_count(const wf_map *m);
/* Every entry, in table order (not beside an add):
 *   size_t pos = 0; const void *k; size_t n; void *v;
 *   while (wf_map_next(m, &pos, &k, &n, &v)) ...                        */
bool wf_map_next(const wf_map *m, size_t *pos, const void **key, size_t *len, void **val);
/* Remove every entry, keeping the current table's memory for reuse. */
void wf_map_clear(wf_map *m);
void wf_map_free(wf_map *m);

/* Index values (positions in an array) stored as pointer-sized integers. */
static inline bool wf_map_add_index(wf_map *m, const void *key, size_t len, size_t idx)
{
    return wf_map_add(m, key, len, (void *)(uintptr_t)idx);
}

static inline bool wf_map_find_index(const wf_map *m, const void *key, size_t len, uint32_t *idx)
{
    void *v;
    if (!wf_map_find(m, key, len, &v)) return false;
    *idx = (uint32_t)(uintptr_t)v;
    return true;
}

#endif
