/*
 * map.c - the one hash map (map.h). A table is a power-of-two array of
 * slots; a slot's hash is 0 while it is empty, so a reader needs only that
 * one word to know whether the rest of the slot is written.
 */
#include "base/map.h"

typedef struct wf_map_slot {
    uint64_t hash;           /* 0 = empty; written last when the slot fills */
    const void *key;
    size_t len;
    void *val;
} wf_map_slot;

struct wf_map_table {
    size_t mask;             /* slots - 1 */
    wf_map_table *next;      /* chain of retired tables */
    wf_map_slot slot[];
};

enum { FIRST_SLOTS = 16 };

/* Eight bytes a step (FNV-1a's byte a step was ~5 instructions a byte, and
 * a served request looks up a few keys of 10-30 bytes), each step mixed
 * by a multiply and a shift, the end by murmur3's finalizer so that the
 * low bits the mask keeps depend on every byte. Never 0, which marks an
 * empty slot. */
static uint64_t hash_key(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)len * 0xC2B2AE3D27D4EB4Full);
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    if (len) {
        uint64_t w = 0;
        for (size_t i = 0; i < len; i++) w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h ? h : 1;
}

static wf_map_table *table_new(size_t nslots)
{
    wf_map_table *t = wf_xcalloc(1, sizeof *t + nslots * sizeof(wf_map_slot));
    t->mask = nslots - 1;
    return t;
}

/* The slot holding key, or the empty slot where it would go; *found says
 * which, as seen by this probe (a reader must not look at the slot's hash
 * again: a writer may fill that empty slot with another key meanwhile). */
static wf_map_slot *probe(const wf_map_table *t, uint64_t h, const void *key, size_t len, bool *found)
{
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        const wf_map_slot *s = &t->slot[i];
        uint64_t sh = __atomic_load_n(&s->hash, __ATOMIC_ACQUIRE);
        *found = sh != 0;
        if (!sh || (sh == h && s->len == len && (!len || !memcmp(s->key, key, len))))
            return (wf_map_slot *)s;
    }
}

/* Fill an empty slot so that a concurrent reader sees all of it or none. */
static void fill(wf_map_slot *s, uint64_t h, const void *key, size_t len, void *val)
{
    s->key = key;
    s->len = len;
    s->val = val;
    __atomic_store_n(&s->hash, h, __ATOMIC_RELEASE);
}

/* Move every entry into a table twice as large and publish it; the old one
 * is retired, not freed, since readers may still be probing it. */
static void grow(wf_map *m)
{
    wf_map_table *old = m->table;
    wf_map_table *t = table_new(old ? (old->mask + 1) * 2 : FIRST_SLOTS);
    if (old) {
        for (size_t i = 0; i <= old->mask; i++) {
            const wf_map_slot *s = &old->slot[i];
            bool taken;
            if (s->hash) *probe(t, s->hash, s->key, s->len, &taken) = *s;
        }
        old->next = m->retired;
        m->retired = old;
    }
    __atomic_store_n(&m->table, t, __ATOMIC_RELEASE);
}

/* key's slot: filled with val when new; given val when present and replace
 * is set. True when the key was new. */
static bool put(wf_map *m, const void *key, size_t len, void *val, bool replace)
{
    uint64_t h = hash_key(key, len);
    bool found;
    if (m->table) {
        wf_map_slot *s = probe(m->table, h, key, len, &found);
        if (found) {
            if (replace) __atomic_store_n(&s->val, val, __ATOMIC_RELEASE);
            return false;
        }
    }
    /* at most half full: probes stay short and an empty slot always exists */
    if (!m->table || (m->count + 1) * 2 > m->table->mask + 1) grow(m);
    fill(probe(m->table, h, key, len, &found), h, key, len, val);
    __atomic_store_n(&m->count, m->count + 1, __ATOMIC_RELAXED);
    return true;
}

bool wf_map_add(wf_map *m, const void *key, size_t len, void *val)
{
    return put(m, key, len, val, false);
}

void wf_map_set(wf_map *m, const void *key, size_t len, void *val)
{
    put(m, key, len, val, true);
}

bool wf_map_find(const wf_map *m, const void *key, size_t len, void **val)
{
    const wf_map_table *t = __atomic_load_n(&m->table, __ATOMIC_ACQUIRE);
    if (!t) return false;
    bool found;
    const wf_map_slot *s = probe(t, hash_key(key, len), key, len, &found);
    if (!found) return false;
    if (val) *val = __atomic_load_n(&s->val, __ATOMIC_ACQUIRE);
    return true;
}

void *wf_map_get(const wf_map *m, const char *key)
{
    void *v = NULL;
    wf_map_find(m, key, strlen(key), &v);
    return v;
}

size_t wf_map_count(const wf_map *m)
{
    return __atomic_load_n(&m->count, __ATOMIC_RELAXED);
}

bool wf_map_next(const wf_map *m, size_t *pos, const void **key, size_t *len, void **val)
{
    const wf_map_table *t = m->table;
    for (; t && *pos <= t->mask; (*pos)++) {
        const wf_map_slot *s = &t->slot[*pos];
        if (!s->hash) continue;
        *key = s->key;
        *len = s->len;
        *val = s->val;
        (*pos)++;
        return true;
    }
    return false;
}

static void free_retired(wf_map *m)
{
    while (m->retired) {
        wf_map_table *n = m->retired->next;
        free(m->retired);
        m->retired = n;
    }
}

void wf_map_clear(wf_map *m)
{
    if (m->table) memset(m->table->slot, 0, (m->table->mask + 1) * sizeof(wf_map_slot));
    free_retired(m);
    m->count = 0;
}

void wf_map_free(wf_map *m)
{
    free(m->table);
    free_retired(m);
    memset(m, 0, sizeof *m);
}
