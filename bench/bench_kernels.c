/*
 * bench_kernels.c - runs each kernel of bench/kernels natively and in wasmfn's
 * interpreter within one process, checks that both return the same checksum,
 * and prints the times, the ratio to native and the geometric mean.
 *
 * usage: bench_kernels WASM_DIR
 * Each kernel K is linked in natively as K_bench_run and loaded from
 * WASM_DIR/K.wasm. Times are the best of REPEAT runs of one call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "wasmfn.h"

#define REPEAT 3

#define KERNELS(X)        \
    X(fib, 37)            \
    X(sieve, 20)          \
    X(matmul, 32)         \
    X(sha256, 16)         \
    X(collatz, 200000)

#define DECLARE(name, arg) unsigned name##_bench_run(unsigned);
KERNELS(DECLARE)

static const struct kernel {
    const char *name;
    unsigned (*native)(unsigned);
    unsigned arg;
} kernels[] = {
#define ENTRY(name, arg) { #name, name##_bench_run, arg },
    KERNELS(ENTRY)
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs the kernel's wasm build; returns the best time, or a negative number
 * after printing why it could not run. */
static double run_wasm(const char *dir, const struct kernel *k, unsigned *result)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, k->name);
    uint8_t *bytes;
    size_t len;
    wf_module *m = NULL;
    wf_error *e = wf_file_read(path, &bytes, &len);
    if (!e) {
        e = wf_module_new(bytes, len, &m);
        free(bytes);
    }
    double best = -1;
    wf_store *s = NULL;
    wf_instance *inst = NULL;
    wf_extern run;
    if (!e) {
        s = wf_store_new();
        e = wf_instance_new(s, m, NULL, 0, &inst);
    }
    if (!e && !wf_instance_export(inst, "bench_run", 9, &run))
        e = wf_error_new(WF_ERR_NOT_FOUND, "no export bench_run");
    for (int i = 0; !e && i < REPEAT; i++) {
        wf_value arg = { .type = WF_TYPE_I32, .of.i32 = (int32_t)k->arg }, res;
        double t0 = now_ms();
        e = wf_func_call(run.of.func, &arg, 1, &res, 1);
        double t = now_ms() - t0;
        if (best < 0 || t < best) best = t;
        *result = (unsigned)res.of.i32;
    }
    if (e) {
        char *msg = wf_error_format(e);
        fprintf(stderr, "%s: %s: %s\n", k->name, wf_error_kind_name(e->kind), msg);
        free(msg);
        wf_error_free(e);
        best = -1;
    }
    if (s) wf_store_free(s);
    if (m) wf_module_free(m);
    return best;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_kernels WASM_DIR\n");
        return 2;
    }
    printf("%-10s %12s %12s %8s\n", "kernel", "native ms", "wasmfn ms", "ratio");
    double log_sum = 0;
    int n = 0, failed = 0;
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        const struct kernel *k = &kernels[i];
        double native = -1;
        unsigned want = 0, got = 0;
        for (int r = 0; r < REPEAT; r++) {
            double t0 = now_ms();
            want = k->native(k->arg);
            double t = now_ms() - t0;
            if (native < 0 || t < native) native = t;
        }
        double wasm = run_wasm(argv[1], k, &got);
        if (wasm < 0 || got != want) {
            if (wasm >= 0) printf("%-10s wrong result: native %u, wasmfn %u\n", k->name, want, got);
            failed = 1;
            continue;
        }
        double ratio = wasm / native;
        printf("%-10s %12.2f %12.2f %8.2f\n", k->name, native, wasm, ratio);
        log_sum += log(ratio);
        n++;
    }
    if (n) printf("%-10s %12s %12s %8.2f\n", "geomean", "", "", exp(log_sum / n));
    return failed;
}
