/* loops.c - integer loop kernel: Collatz trajectory lengths of 1..N
 * (branchy 64-bit arithmetic in a tight loop) mixed with a bit-twiddling
 * hash. usage: loops [N]   default 300000; prints the total steps, the
 * longest trajectory and the hash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 300000;
    uint64_t total = 0;
    uint32_t best = 0, best_len = 0, h = 2166136261u;
    for (uint32_t i = 1; i <= n; i++) {
        uint64_t x = i;
        uint32_t len = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            len++;
        }
        total += len;
        if (len > best_len) {
            best_len = len;
            best = i;
        }
        h = (h ^ len) * 16777619u;
        h ^= h >> 13;
        h = (h << 5) | (h >> 27);
    }
    printf("collatz 1..%u: steps %llu, longest %u (%u steps), hash %08x\n", n,
           (unsigned long long)total, best, best_len, h);
    return 0;
}
