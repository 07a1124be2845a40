/*
 * bench_registry.c - what a project's size costs: projects of N
 * function.wat entries (1,000 per _index.yaml, one namespace per file) are
 * generated in a temporary directory, then timed as `wasmfn check` and
 * `wasmfn call` use them: wf_registry_load (check: parse, check, compile
 * every module), registering everything into a runtime, and then calls
 * through the runtime API: the median of single wf_runtime_call timings of
 * entries spread over the project, and of lookups alone
 * (wf_runtime_signature). A call should cost the same whatever N is.
 * Load times are shown as wall time and as the process's CPU time. The
 * entries run inline (on the caller's thread), so a call's figure is the
 * lookup and the call itself, not a hand-off to a worker.
 *
 *   bench_registry [N...]        (default: 10 1000 10000 100000)
 */
#include <ftw.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/runtime.h"
#include "runtime/timer.h"

enum { PER_FILE = 1000, CALLS = 20000, LOOKUPS = 200000 };

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static char *entry_id(size_t i)
{
    return wf_xasprintf("bench.f%zu:add%zu", i / PER_FILE, i);
}

/* dir/fK/_index.yaml for each block of PER_FILE entries; entry i adds i. */
static bool generate(const char *dir, size_t n)
{
    for (size_t f = 0; f * PER_FILE < n; f++) {
        char *sub = wf_xasprintf("%s/f%zu", dir, f);
        char *path = wf_xasprintf("%s/_index.yaml", sub);
        FILE *out = mkdir(sub, 0755) == 0 ? fopen(path, "w") : NULL;
        free(sub);
        free(path);
        if (!out) return false;
        fprintf(out, "namespace: bench.f%zu\nentries:\n", f);
        for (size_t i = f * PER_FILE; i < n && i < (f + 1) * PER_FILE; i++)
            fprintf(out,
                    "  - name: add%zu\n"
                    "    kind: function.wat\n"
                    "    source: |\n"
                    "      (module (func (export \"add\") (param i32) (result i32)\n"
                    "        local.get 0 i32.const %zu i32.add))\n"
                    "    wit: |\n"
                    "      add: func(x: s32) -> s32;\n"
                    "    method: add\n"
                    "    pool: {type: inline}\n",
                    i, i % 1000);
        if (fclose(out) != 0) return false;
    }
    return true;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static double ms(uint64_t ns) { return ns / 1e6; }

/* CPU time of the process: on a loaded machine wall time says more about
 * the neighbours than about the load (which runs on one thread). */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run(size_t n)
{
    char dir[] = "/tmp/wf_bench_registry_XXXXXX";
    if (!mkdtemp(dir) || !generate(dir, n)) {
        fprintf(stderr, "bench_registry: cannot write the project in /tmp\n");
        return 1;
    }
    int status = 1;
    uint64_t t0 = wf_now_ns(), u0 = cpu_ns();
    wf_registry *reg = NULL;
    wf_error *e = wf_registry_load(dir, &reg);
    uint64_t t1 = wf_now_ns(), u1 = cpu_ns();
    wf_runtime *rt = wf_runtime_new();
    if (!e) e = wf_registry_register(reg, rt);
    if (!e) e = wf_lua_register(reg, rt);
    uint64_t t2 = wf_now_ns(), u2 = cpu_ns();
    if (e) {
        fprintf(stderr, "bench_registry: %s\n", e->message);
        goto out;
    }

    /* calls: entries spread evenly over the project, each checked */
    enum { SPREAD = 64 };
    char *ids[SPREAD];
    for (size_t k = 0; k < SPREAD; k++) ids[k] = entry_id(k * (n - 1) / (SPREAD - 1));
    static uint64_t ns[CALLS];
    wf_val arg = wf_val_sint(WF_VAL_S32, 5);
    for (int i = -1000; i < CALLS; i++) {   /* the first 1000 warm up */
        size_t k = (size_t)(i + 1000) % SPREAD;
        size_t entry = k * (n - 1) / (SPREAD - 1);
        wf_val r;
        uint64_t c0 = wf_now_ns();
        e = wf_runtime_call(rt, ids[k], &arg, 1, &r, NULL);
        uint64_t c1 = wf_now_ns();
        if (e || r.of.s != (int64_t)(5 + entry % 1000)) {
            fprintf(stderr, "bench_registry: wrong result from %s\n", ids[k]);
            goto free_ids;
        }
        wf_val_free(&r);
        if (i >= 0) ns[i] = c1 - c0;
    }
    qsort(ns, CALLS, sizeof ns[0], cmp_u64);
    double call_us = ns[CALLS / 2] / 1000.0;

    /* lookups alone, batched (one lookup is below the clock's resolution) */
    uint64_t l0 = wf_now_ns();
    for (int i = 0; i < LOOKUPS; i++) {
        wf_fn_sig sig;
        e = wf_runtime_signature(rt, ids[i % SPREAD], &sig);
        if (e) goto free_ids;
    }
    double lookup_ns = (double)(wf_now_ns() - l0) / LOOKUPS;

    printf("%7zu entries  check %8.1f ms (cpu %8.1f)  register %7.1f ms (cpu %7.1f)  "
           "call median %5.2f us  lookup %5.1f ns\n",
           n, ms(t1 - t0), ms(u1 - u0), ms(t2 - t1), ms(u2 - u1), call_us, lookup_ns);
    status = 0;
free_ids:
    for (size_t k = 0; k < SPREAD; k++) free(ids[k]);
out:
    if (e) {
        if (status) fprintf(stderr, "bench_registry: %s\n", e->message);
        wf_error_free(e);
    }
    wf_runtime_free(rt);
    wf_registry_free(reg);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return status;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = { 10, 1000, 10000, 100000 };
    int status = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            long n = strtol(argv[i], NULL, 10);
            if (n < 2) {
                fprintf(stderr, "usage: bench_registry [N...]   (N >= 2 entries)\n");
                return 2;
            }
            status |= run((size_t)n);
        }
    } else {
        for (size_t i = 0; i < WF_COUNT(sizes); i++) status |= run(sizes[i]);
    }
    return status;
}
