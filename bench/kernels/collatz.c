/* collatz.c - a loop-heavy integer kernel: branches, shifts, 64-bit math. */
#include "kernel.h"

KERNEL_EXPORT unsigned bench_run(unsigned limit)
{
    unsigned best = 0, best_len = 0;
    for (unsigned i = 1; i < limit; i++) {
        unsigned long long x = i;
        unsigned len = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            len++;
        }
        if (len > best_len) { best_len = len; best = i; }
    }
    return best * 1000 + best_len;
}
