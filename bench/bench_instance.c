/*
 * bench_instance.c - what a pristine instance per call costs for a large
 * component (DESIGN.md "Pristine instance per call, made cheap"): a
 * componentize-js component (SpiderMonkey, ~12 MB, `add(a, b) -> s32`, built
 * by bench/js-component, as bench/instance/run does) beside a trivial WAT
 * module.
 *
 * Per function, in one run:
 *   load          decode + validate + compile (wf_component_new), ms;
 *   call          one call through wf_runtime_call on the inline pool (a
 *                 pristine instance per call: a slot reset to the snapshot),
 *                 median CPU µs, without and with `preinit`;
 *   reset         the instance part of a call alone: putting a used slot
 *                 back to its snapshot (what release does), median µs;
 *   warm call     the guest's own work: the same instance called again
 *                 without a reset (what no fresh instance would cost);
 *   fresh         a full instantiation with the module's memory image and
 *                 its free, no slot (the cost slots avoid);
 *   memory        Pss (/proc/self/smaps_rollup: shared pages counted once)
 *                 per idle slot and per in-flight instance (a slot after its
 *                 call, before its reset), measured on N slots held at once
 *                 (default 1,000), plus the template's images.
 *
 * Usage: bench_instance COMPONENT.wasm [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/file.h"
#include "component/component.h"
#include "runtime/runtime.h"
#include "runtime/timer.h"
#include "wasm/image.h"
#include "wasm/runtime.h"

static uint64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double median_us(uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, cmp_u64);
    return ns[n / 2] / 1000.0;
}

/* Pss of the whole process, kB. */
static long pss_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Pss:", 4)) {
            kb = strtol(line + 4, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static void die(const char *what, wf_error *e)
{
    fprintf(stderr, "bench_instance: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

static const wf_val ARGS[2] = { { .kind = WF_VAL_S32, .of.s = 6 }, { .kind = WF_VAL_S32, .of.s = 7 } };

/* Median CPU µs of one wf_runtime_call of id (add(6, 7) == 13). */
static double runtime_call_us(wf_runtime *rt, const char *id, int calls)
{
    uint64_t *ns = wf_xcalloc((size_t)calls, sizeof *ns);
    for (int i = -calls / 10 - 1; i < calls; i++) {
        wf_val r;
        uint64_t t0 = cpu_ns();
        wf_error *e = wf_runtime_call(rt, id, ARGS, 2, &r, NULL);
        uint64_t t1 = cpu_ns();
        if (e || r.of.s != 13) die(id, e);
        wf_val_free(&r);
        if (i >= 0) ns[i] = t1 - t0;
    }
    double us = median_us(ns, (size_t)calls);
    free(ns);
    return us;
}

typedef struct slot {
    wf_store *store;
    wf_cinstance *inst;
} slot;

static slot slot_new(const wf_component *c, const wf_snapshot *snap)
{
    slot s = { wf_store_new(), NULL };
    s.store->bare = snap != NULL;
    wf_error *e = wf_cinstance_new(s.store, c, NULL, &s.inst);
    s.store->bare = false;
    if (e) die("instantiate", e);
    if (snap && (e = wf_snapshot_reset(snap, s.store))) die("reset", e);
    return s;
}

static void slot_free(slot *s)
{
    wf_cinstance_free(s->inst);
    wf_store_free(s->store);
}

static void slot_call(slot *s)
{
    wf_val r;
    wf_error *e = wf_cinstance_call(s->inst, "add", ARGS, 2, &r);
    if (e || r.of.s != 13) die("call", e);
    wf_val_free(&r);
}

static void slot_reset(slot *s, const wf_snapshot *snap)
{
    wf_cinstance_reset(s->inst);
    wf_error *e = wf_snapshot_reset(snap, s->store);
    if (e) die("reset", e);
}

static void component_figures(const char *label, const wf_component *c, int calls, int nslots)
{
    slot t = slot_new(c, NULL);
    wf_snapshot *snap;
    wf_error *e = wf_snapshot_take(t.store, &snap);
    if (e) die("snapshot", e);
    uint64_t *ns = wf_xcalloc((size_t)calls, sizeof *ns);

    /* reset after a call */
    for (int i = 0; i < calls; i++) {
        slot_call(&t);
        uint64_t t0 = cpu_ns();
        slot_reset(&t, snap);
        ns[i] = cpu_ns() - t0;
    }
    double reset = median_us(ns, (size_t)calls);
    /* the guest's work alone */
    for (int i = 0; i < calls; i++) {
        uint64_t t0 = cpu_ns();
        slot_call(&t);
        ns[i] = cpu_ns() - t0;
    }
    double warm = median_us(ns, (size_t)calls);
    slot_reset(&t, snap);
    /* a full instantiation (memory image included) and its free */
    int nfresh = calls < 50 ? calls : 50;
    for (int i = 0; i < nfresh; i++) {
        uint64_t t0 = cpu_ns();
        slot f = slot_new(c, NULL);
        slot_free(&f);
        ns[i] = cpu_ns() - t0;
    }
    double fresh = median_us(ns, (size_t)nfresh);
    printf("%-26s reset after a call %8.2f us   warm call (guest work) %8.2f us   "
           "fresh instantiation %8.2f us\n", label, reset, warm, fresh);

    /* memory: nslots slots idle, then each after its call */
    slot *slots = wf_xcalloc((size_t)nslots, sizeof *slots);
    long p0 = pss_kb();
    for (int i = 0; i < nslots; i++) slots[i] = slot_new(c, snap);
    long p1 = pss_kb();
    for (int i = 0; i < nslots; i++) slot_call(&slots[i]);
    long p2 = pss_kb();
    printf("%-26s memory: images %.1f MB shared; per idle slot %.1f kB, per in-flight instance "
           "%.1f kB (%d held: %.2f GB in all)\n", label,
           wf_snapshot_image_bytes(snap) / 1048576.0, (double)(p1 - p0) / nslots,
           (double)(p2 - p0) / nslots, nslots, (p2 - p0) / 1048576.0);
    for (int i = 0; i < nslots; i++) slot_free(&slots[i]);
    free(slots);
    free(ns);
    wf_snapshot_free(snap);
    slot_free(&t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_instance COMPONENT.wasm [N]\n");
        return 2;
    }
    int nslots = argc > 2 ? atoi(argv[2]) : 1000;
    uint8_t *bytes;
    size_t len;
    wf_error *e = wf_file_read(argv[1], &bytes, &len);
    if (e) die(argv[1], e);
    uint64_t t0 = cpu_ns();
    wf_component *js;
    if ((e = wf_component_new(bytes, len, &js))) die("load", e);
    double load_ms = (cpu_ns() - t0) / 1e6;
    free(bytes);

    const char *wat = "(module (func (export \"add\") (param i32 i32) (result i32)"
                      " local.get 0 local.get 1 i32.add))";
    wf_module *triv;
    if ((e = wf_module_from_wat(wat, strlen(wat), &triv))) die("wat", e);

    wf_runtime *rt = wf_runtime_new();
    wf_component_config cc = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    if ((e = wf_runtime_add_component(rt, "js:add", js, &cc))) die("add", e);
    cc.preinit = true;
    t0 = cpu_ns();
    if ((e = wf_runtime_add_component(rt, "js:add_preinit", js, &cc))) die("add preinit", e);
    double preinit_ms = (cpu_ns() - t0) / 1e6;
    wf_wasm_config wc = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    if ((e = wf_runtime_add_wasm(rt, "wat:add", triv, &wc))) die("add wat", e);
    wc.preinit = true;
    if ((e = wf_runtime_add_wasm(rt, "wat:add_preinit", triv, &wc))) die("add wat preinit", e);

    printf("componentize-js add (%.1f MB): load %.1f ms (CPU), preinit at add %.1f ms\n",
           len / 1048576.0, load_ms, preinit_ms);
    printf("%-26s %8.2f us   with preinit %8.2f us   (median CPU per call, inline pool)\n",
           "js add via wf_runtime_call", runtime_call_us(rt, "js:add", 200),
           runtime_call_us(rt, "js:add_preinit", 200));
    printf("%-26s %8.2f us   with preinit %8.2f us\n", "wat add via wf_runtime_call",
           runtime_call_us(rt, "wat:add", 20000), runtime_call_us(rt, "wat:add_preinit", 20000));
    wf_runtime_free(rt);
    component_figures("js add slot", js, 200, nslots);
    wf_component_free(js);
    wf_module_free(triv);
    return 0;
}
