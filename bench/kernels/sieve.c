/* sieve.c - sieve of Eratosthenes: byte loads and stores in tight loops. */
#include "kernel.h"

#define LIMIT 1000000
static unsigned char composite[LIMIT + 1];

KERNEL_EXPORT unsigned bench_run(unsigned rounds)
{
    unsigned count = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i <= LIMIT; i++) composite[i] = 0;
        count = 0;
        for (unsigned i = 2; i <= LIMIT; i++) {
            if (composite[i]) continue;
            count++;
            for (unsigned j = i + i; j <= LIMIT; j += i) composite[j] = 1;
        }
    }
    return count;
}
