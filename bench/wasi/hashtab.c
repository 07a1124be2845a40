/* hashtab.c - an open-addressing hash table (linear probing, power-of-two
 * capacity, growth at 1/2 load) of uint32 keys to counters, fed by an LCG:
 * pseudo-random memory access, hashing, unpredictable branches.
 * usage: hashtab [N]   N operations (default 2000000); prints the number of
 * distinct keys, a checksum of the counters and the hit count. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct slot {
    uint32_t key; /* 0: empty (keys are made non-zero) */
    uint32_t count;
};

static struct slot *tab;
static uint32_t cap, used;

static uint32_t hash(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352d;
    k ^= k >> 15;
    k *= 0x846ca68b;
    return k ^ (k >> 16);
}

static struct slot *find(uint32_t key)
{
    uint32_t i = hash(key) & (cap - 1);
    while (tab[i].key && tab[i].key != key) i = (i + 1) & (cap - 1);
    return &tab[i];
}

static void grow(void)
{
    struct slot *old = tab;
    uint32_t oldcap = cap;
    cap = cap ? cap * 2 : 1024;
    tab = calloc(cap, sizeof *tab);
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i].key) *find(old[i].key) = old[i];
    free(old);
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 2000000;
    uint32_t seed = 12345, hits = 0;
    grow();
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t key = ((seed >> 8) % (n / 2 + 1)) + 1;
        struct slot *s = find(key);
        if (s->key) {
            hits++;
            s->count++;
            continue;
        }
        if ((used + 1) * 2 > cap) {
            grow();
            s = find(key);
        }
        s->key = key;
        s->count = 1;
        used++;
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < cap; i++)
        if (tab[i].key) sum += (uint64_t)tab[i].key * tab[i].count;
    printf("hashtab %u ops: %u keys, %u hits, checksum %llu\n", n, used, hits,
           (unsigned long long)sum);
    free(tab);
    return 0;
}
