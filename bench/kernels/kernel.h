/*
 * kernel.h - what a benchmark kernel is: one freestanding C file with
 * `unsigned bench_run(unsigned n)` returning a checksum of its work. The same
 * file is built natively (gcc -O2, entry renamed per kernel) and for wasm32
 * (clang -O2, no libc), so both run identical source.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#ifdef __wasm__
#define KERNEL_EXPORT __attribute__((export_name("bench_run")))
#else
#define KERNEL_EXPORT
#endif

#endif
