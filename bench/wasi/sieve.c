/* sieve.c - Sieve of Eratosthenes over a byte array: byte loads/stores in
 * strided loops. usage: sieve [N]   counts the primes below N (default 2^24)
 * and prints the count and the largest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1u << 24;
    unsigned char *composite = calloc(n, 1);
    if (!composite) return 1;
    for (unsigned i = 2; (unsigned long)i * i < n; i++)
        if (!composite[i])
            for (unsigned j = i * i; j < n; j += i) composite[j] = 1;
    unsigned count = 0, last = 0;
    for (unsigned i = 2; i < n; i++)
        if (!composite[i]) {
            count++;
            last = i;
        }
    printf("primes below %u: %u, largest %u\n", n, count, last);
    free(composite);
    return 0;
}
