/* kernel.c - a 64-bit WebAssembly (wasm64, memory64) workload for
 * tests/e2e/memory64.sh: a sieve, a byte-wise insertion sort, memcpy and
 * memmove (memory.copy with i64 operands under -mbulk-memory), memset
 * (memory.fill), memory.grow and a write into the new page. Built natively
 * it prints the checksum; built for wasm64 (no libc: WASI preview 1 has no
 * 64-bit ABI) it exits with it, so the two must agree. With an argument-free
 * build flag TRAP_AT it instead reads at that address, which must trap. */
#ifdef __wasm__
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit")))
void proc_exit(int code);
#else
#include <stdio.h>
#include <string.h>
#endif

static unsigned char sieve[300000];
static unsigned char buf[4096], copy[4096];

static unsigned long long work(void)
{
    unsigned long n = sizeof sieve, count = 0, sum = 0;
    for (unsigned long i = 2; i < n; i++) sieve[i] = 1;
    for (unsigned long i = 2; i * i < n; i++)
        if (sieve[i])
            for (unsigned long j = i * i; j < n; j += i) sieve[j] = 0;
    for (unsigned long i = 2; i < n; i++)
        if (sieve[i]) { count++; sum += i; }
    unsigned x = 12345;
    for (unsigned long i = 0; i < sizeof buf; i++) { x = x * 1103515245u + 12345u; buf[i] = (unsigned char)(x >> 16); }
    for (unsigned long i = 1; i < 512; i++) {      /* insertion sort of the first 512 bytes */
        unsigned char v = buf[i];
        unsigned long j = i;
        while (j > 0 && buf[j - 1] > v) { buf[j] = buf[j - 1]; j--; }
        buf[j] = v;
    }
    __builtin_memcpy(copy, buf, sizeof buf);
    __builtin_memmove(copy + 7, copy, 1000);
    unsigned long long h = count * 31 + sum;
    for (unsigned long i = 0; i < sizeof copy; i++) h = h * 131 + copy[i] + i % 7;
#ifdef __wasm__
    /* one more page: the old size comes back, the new page reads zero and takes a write */
    unsigned long old = __builtin_wasm_memory_grow(0, 1);
    volatile unsigned char *page = (volatile unsigned char *)(old * 65536);
    h += page[100];
    page[100] = 42;
    h += page[100] - 42 + (__builtin_wasm_memory_size(0) - old);   /* + 1 */
#else
    h += 1;
#endif
    return h;
}

#ifdef __wasm__
void _start(void)
{
#ifdef TRAP_AT
    volatile unsigned char *p = (volatile unsigned char *)(unsigned long)TRAP_AT;
    proc_exit(*p);
#endif
    proc_exit((int)(work() % 251));
}
#else
int main(void)
{
    printf("%d\n", (int)(work() % 251));
    return 0;
}
#endif
