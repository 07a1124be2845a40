/* fib.c - recursive Fibonacci: call-heavy integer code. */
#include "kernel.h"

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

KERNEL_EXPORT unsigned bench_run(unsigned n) { return fib(n); }
