/*
 * bench_instance.c - what a pristine instance per call costs for a large
 * component (DESIGN.md "Pristine instance per call, made cheap"): a
 * componentize-js component (SpiderMonkey, ~12 MB, `add(a, b) -> s32`, built
 * by bench/js-component, as bench/instance/run does) beside a trivial WAT
 * module.
 *
 * Per function, in one run:
 *   load          decode + validate + compile (wf_component_new): CPU ms of
 *                 the whole process (the validation and the compiled tier
 *                 use helper threads) and wall ms;
 *   call          one call through wf_runtime_call on the inline pool (a
 *                 pristine instance per call: a slot reset to the snapshot),
 *                 median CPU µs, without and with `preinit`;
 *   fresh call    split on a slot: the call on a freshly reset slot (the
 *                 guest's work: the interpreter running SpiderMonkey's first
 *                 call after a reset, plus the page faults its first touches
 *                 take, counted) and the reset (the host's part: putting the
 *                 slot back to its snapshot, what release does), median CPU
 *                 µs each; with the pages a call wrote copied back from the
 *                 image (the default) and dropped with madvise (before);
 *   warm call     the guest's work without a fresh instance: the same
 *                 instance called again without a reset;
 *   fresh         a full instantiation with the module's memory image and
 *                 its free, no slot (the cost slots avoid);
 *   new slot      how a pool grows: a bare instantiation reset to the
 *                 snapshot, then its first call (the faults it takes: the
 *                 pages the image's working-set hint did not cover);
 *   pages         how many host pages of the guest's memory a fresh call
 *                 changes (what a reset must put back), and a warm one;
 *   warm image    for comparison only, never what the runtime does: the
 *                 fresh call as it would cost if the snapshot were taken
 *                 after a first call (SpiderMonkey's lazy setup done), which
 *                 would carry that call's state into every later call;
 *   page costs    what the kernel charges on this machine per host page: a
 *                 read fault and a write (copy-on-write) fault on a memfd
 *                 mapped MAP_PRIVATE, a write fault on anonymous memory,
 *                 MADV_POPULATE_WRITE, copying a page back, and mapping the
 *                 image again over a used memory (the alternatives to the
 *                 reset's copy-back);
 *   memory        Pss (/proc/self/smaps_rollup: shared pages counted once)
 *                 per idle slot (new, and once used: a reset keeps the pages
 *                 its call wrote) and per in-flight instance (a slot after
 *                 its call, before its reset), measured on N slots held at
 *                 once (default 1,000), plus the template's images; and
 *                 the N in-flight instances in all, Pss and Rss, against
 *                 the machine's RAM.
 * --tier=compiled runs the guest on the compiled tier (src/wasm/jit).
 * --profile (a build with -DWF_INTERP_PROF, interp_prof.h) prints instead
 * the interpreter's profile of the first call on a freshly reset slot, then
 * of a second call on the same instance: which guest functions ran and how
 * many instructions each.
 *
 * --spin=fresh|warm|reset N, for a profiler (perf record -e cpu-clock),
 * instead runs N calls of one kind back to back and nothing else: a call
 * on a reset slot then its reset, a warm call, or the reset alone of a
 * slot after a call (the call untimed), and prints the mean CPU per call
 * (fresh and warm: the whole loop's CPU over N, so no clock read is in
 * the figure or the profile; reset: each reset timed); it first writes
 * bench_instance.syms, "ADDRESS SIZE NAME [LEVEL, BYTES B]" per compiled
 * guest function (the name section's name, else mK.fI: module K of the
 * component, function I; its level, O2, cheap or upgraded, and its bytes
 * of wasm code), for profiles of code the profiler cannot name (the
 * compiled tier's code is mapped from its cache files).
 *
 * --trivial prints the trivial module's lines alone (no component needed):
 * quick enough to run under callgrind (`--toggle-collect=wf_runtime_call`)
 * or interleaved with another binary's; with an ID (wat:add,
 * wat:add_preinit, watc:add) it calls that function alone.
 *
 * --settle (after --tier) first makes fresh calls in rounds until the
 * compiled tier's tier-up settles (src/wasm/jit/jit.c: hot cheap functions
 * compiled again at -O2 in the background): no function past the heat
 * threshold waiting for three rounds in a row, at most 600 s; it prints
 * the calls and time that took, the functions upgraded (from the code
 * cache) and the background CPU the upgrades took. The figures (or the
 * spin) then measure the upgraded code.
 *
 * Usage: bench_instance [--tier=interp|compiled|auto] [--settle] [--profile | --spin=KIND N] COMPONENT.wasm [N]
 *        bench_instance [--tier=interp|compiled|auto] --trivial [CALLS [ID]]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "cli/cwat.h"
#include "component/component.h"
#include "runtime/runtime.h"
#include "runtime/timer.h"
#include "wasm/image.h"
#include "wasm/interp.h"   /* a function's body_len (write_syms) */
#include "wasm/jit.h"
#include "wasm/runtime.h"

static uint64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Every thread's: the load validates on helper threads (compile_par.c). */
static uint64_t process_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
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

/* A field of the whole process's /proc/self/smaps_rollup ("Pss:", "Rss:"), kB. */
static long rollup_kb(const char *field)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) {
            kb = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static long pss_kb(void) { return rollup_kb("Pss:"); }
static long rss_kb(void) { return rollup_kb("Rss:"); }

static void die(const char *what, wf_error *e)
{
    fprintf(stderr, "bench_instance: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

/* Minor page faults of this thread so far. */
static long faults_now(void)
{
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return r.ru_minflt;
}

static const wf_val ARGS[2] = { { .kind = WF_VAL_S32, .of.s = 6 }, { .kind = WF_VAL_S32, .of.s = 7 } };

/* Median CPU µs of one wf_runtime_call of id (add(6, 7) == 13). Calls of
 * under a microsecond are timed in batches of RUNTIME_CALL_BATCH (the
 * median of the batches' means): a pair of clock reads (a system call
 * here) costs more than such a call, so timing each call measured mostly
 * the clock. A caller asking for fewer than 20 batches' worth times each
 * call (the JavaScript component's, tens of µs). */
#define RUNTIME_CALL_BATCH 100
static int runtime_call_batch(int calls)
{
    return calls >= 20 * RUNTIME_CALL_BATCH ? RUNTIME_CALL_BATCH : 1;
}

static double runtime_call_us(wf_runtime *rt, const char *id, int calls)
{
    int per = runtime_call_batch(calls), nb = calls / per;
    uint64_t *ns = wf_xcalloc((size_t)nb, sizeof *ns);
    for (int b = -nb / 10 - 1; b < nb; b++) {
        uint64_t t0 = cpu_ns();
        for (int i = 0; i < per; i++) {
            wf_val r;
            wf_error *e = wf_runtime_call(rt, id, ARGS, 2, &r, NULL);
            if (e || r.of.s != 13) die(id, e);
            wf_val_free(&r);
        }
        uint64_t t1 = cpu_ns();
        if (b >= 0) ns[b] = (t1 - t0) / (uint64_t)per;
    }
    double us = median_us(ns, (size_t)nb);
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

/* Host pages of s's memories that differ from before, counted then
 * remembered in before (one buffer per memory, made on first use). */
static size_t pages_changed(slot *s, uint8_t **before)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    for (size_t k = 0; k < s->store->memories.len; k++) {
        wf_memory *m = s->store->memories.data[k];
        if (!before[k]) before[k] = wf_xcalloc(1, (size_t)m->size + 1);
        for (uint64_t o = 0; o < m->size; o += pg)
            if (memcmp(before[k] + o, m->base + o, pg)) {
                n++;
                memcpy(before[k] + o, m->base + o, pg);
            }
    }
    return n;
}

static void page_figures(const char *label, slot *t, const wf_snapshot *snap)
{
    uint8_t *before[16] = { 0 };
    if (t->store->memories.len > 16) return;
    uint64_t total = 0;
    for (size_t k = 0; k < t->store->memories.len; k++) total += t->store->memories.data[k]->size;
    pages_changed(t, before);
    slot_call(t);
    size_t fresh = pages_changed(t, before);
    slot_call(t);
    size_t warm = pages_changed(t, before);
    slot_reset(t, snap);
    printf("%-26s pages (%zu B): memory %llu pages; a fresh call changes %zu (the reset puts "
           "them back), a warm call %zu\n", label, (size_t)sysconf(_SC_PAGESIZE),
           (unsigned long long)(total / (uint64_t)sysconf(_SC_PAGESIZE)), fresh, warm);
    for (size_t k = 0; k < t->store->memories.len; k++) free(before[k]);
}

/* For comparison only (see the header): a snapshot taken after one call,
 * the fresh call from it split as above. */
static void warm_image_figures(const char *label, const wf_component *c, int calls)
{
    slot t = slot_new(c, NULL);
    slot_call(&t);
    wf_snapshot *warm;
    wf_error *e = wf_snapshot_take(t.store, &warm);
    if (e) die("snapshot", e);
    slot_reset(&t, warm);
    slot_call(&t);
    slot_reset(&t, warm);
    uint64_t *cns = wf_xcalloc((size_t)calls, sizeof *cns), *rns = wf_xcalloc((size_t)calls, sizeof *rns);
    for (int i = 0; i < calls; i++) {
        uint64_t t0 = cpu_ns();
        slot_call(&t);
        uint64_t t1 = cpu_ns();
        slot_reset(&t, warm);
        cns[i] = t1 - t0;
        rns[i] = cpu_ns() - t1;
    }
    double call = median_us(cns, (size_t)calls), rst = median_us(rns, (size_t)calls);
    printf("%-26s NOT DONE, for comparison: from a snapshot taken after a first call (it would "
           "leak that call's state): fresh call %8.2f us = call %8.2f us + reset %7.2f us\n",
           label, call + rst, call, rst);
    free(cns);
    free(rns);
    wf_snapshot_free(warm);
    slot_free(&t);
}

static void component_figures(const char *label, const wf_component *c, int calls, int nslots)
{
    slot t = slot_new(c, NULL);
    wf_snapshot *snap;
    wf_error *e = wf_snapshot_take(t.store, &snap);
    if (e) die("snapshot", e);
    uint64_t *ns = wf_xcalloc((size_t)calls, sizeof *ns);

    /* a fresh call split: the call on a reset slot (the guest's first call
     * after a reset, and the faults its first touches of pages take), then
     * the reset (the host's part); with the written pages copied back (the
     * default), then dropped with madvise as before PAGEMAP_SCAN */
    const char *how[2] = { "pages copied back", "pages dropped (madvise)" };
    for (int k = 0; k < 2; k++) {
        uint64_t old = wf_memimage_keep_resident(k ? 0 : WF_IMAGE_KEEP_RESIDENT);
        slot_call(&t);
        slot_reset(&t, snap);
        uint64_t *cns = wf_xcalloc((size_t)calls, sizeof *cns);
        long cf = 0, rf = 0;
        for (int i = 0; i < calls; i++) {
            long f0 = faults_now();
            uint64_t t0 = cpu_ns();
            slot_call(&t);
            uint64_t t1 = cpu_ns();
            long f1 = faults_now();
            slot_reset(&t, snap);
            uint64_t t2 = cpu_ns();
            rf += faults_now() - f1;
            cf += f1 - f0;
            cns[i] = t1 - t0;
            ns[i] = t2 - t1;
        }
        double call = median_us(cns, (size_t)calls), rst = median_us(ns, (size_t)calls);
        printf("%-26s fresh call %8.2f us = call on a reset slot %8.2f us (%ld faults) + reset "
               "%7.2f us (%ld faults), %s\n", label, call + rst, call, cf / calls, rst, rf / calls,
               how[k]);
        free(cns);
        wf_memimage_keep_resident(old);
    }
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
    printf("%-26s warm call (guest work, no reset) %8.2f us   fresh instantiation (no slot) "
           "%8.2f us\n", label, warm, fresh);
    /* a new slot (how a pool grows): a bare instantiation reset to the
     * snapshot (the written pages of the image's hint made its own), then
     * its first call, with the faults it takes */
    uint64_t *cns = wf_xcalloc((size_t)nfresh, sizeof *cns);
    long nf = 0;
    for (int i = 0; i < nfresh; i++) {
        uint64_t t0 = cpu_ns();
        slot f = slot_new(c, snap);
        uint64_t t1 = cpu_ns();
        long f0 = faults_now();
        slot_call(&f);
        nf += faults_now() - f0;
        ns[i] = t1 - t0;
        cns[i] = cpu_ns() - t1;
        slot_free(&f);
    }
    double made = median_us(ns, (size_t)nfresh), first = median_us(cns, (size_t)nfresh);
    printf("%-26s new slot %8.2f us (bare instantiation + reset) + its first call %8.2f us "
           "(%ld faults) = %8.2f us\n", label, made, first, nf / nfresh, made + first);
    free(cns);
    page_figures(label, &t, snap);
    warm_image_figures(label, c, calls);

    /* memory: nslots slots idle, then each after its call */
    slot *slots = wf_xcalloc((size_t)nslots, sizeof *slots);
    long p0 = pss_kb(), r0 = rss_kb();
    for (int i = 0; i < nslots; i++) slots[i] = slot_new(c, snap);
    long p1 = pss_kb();
    for (int i = 0; i < nslots; i++) slot_call(&slots[i]);
    long p2 = pss_kb(), r2 = rss_kb();
    for (int i = 0; i < nslots; i++) slot_reset(&slots[i], snap);
    long p3 = pss_kb();
    printf("%-26s memory: images %.1f MB shared; per idle slot %.1f kB new, %.1f kB once used "
           "(its written pages kept), per in-flight instance %.1f kB (%d held: %.2f GB in all)\n",
           label, wf_snapshot_image_bytes(snap) / 1048576.0, (double)(p1 - p0) / nslots,
           (double)(p3 - p0) / nslots, (double)(p2 - p0) / nslots, nslots, (p2 - p0) / 1048576.0);
    /* Rss beside it counts a shared page once per mapping, so it overstates
     * what they take; Pss is the figure to hold against the machine's RAM */
    double ram_kb = (double)sysconf(_SC_PHYS_PAGES) * (double)(sysconf(_SC_PAGESIZE) / 1024);
    printf("%-26s memory: %d in-flight instances: Pss %.2f GB (%.1f%% of the machine's %.1f GB), "
           "Rss %.2f GB\n", label, nslots, (p2 - p0) / 1048576.0,
           100.0 * (double)(p2 - p0) / ram_kb, ram_kb / 1048576.0, (r2 - r0) / 1048576.0);
    for (int i = 0; i < nslots; i++) slot_free(&slots[i]);
    free(slots);
    free(ns);
    wf_snapshot_free(snap);
    slot_free(&t);
}

/* ---- What the kernel charges per page ------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Per host page, the best of 5 rounds over 8 MB (ns): see the header. */
static void page_costs(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = (size_t)8 << 20, np = len / pg;
    int fd = memfd_create("bench-image", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)len) != 0) return;
    uint8_t *w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED) return;
    for (size_t i = 0; i < len; i++) w[i] = (uint8_t)(i | 1);
    enum { READ, COW, COW_READ, ANON, POPULATE, COPY, REMAP, N };
    double best[N];
    for (int k = 0; k < N; k++) best[k] = 1e30;
    volatile uint8_t sink = 0;
    for (int round = 0; round < 5; round++) {
        double t[N];
        uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        uint64_t t0 = mono_ns();
        for (size_t i = 0; i < len; i += pg) sink += m[i];
        t[READ] = (double)(mono_ns() - t0);
        t0 = mono_ns();
        for (size_t i = 0; i < len; i += pg) m[i] = 1;
        t[COW_READ] = (double)(mono_ns() - t0);
        t0 = mono_ns();
        memcpy(m, w, len);   /* the reset's copy-back: pages present and private */
        t[COPY] = (double)(mono_ns() - t0);
        t0 = mono_ns();
        mmap(m, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
        t[REMAP] = (double)(mono_ns() - t0);
        t0 = mono_ns();
        for (size_t i = 0; i < len; i += pg) m[i] = 1;
        t[COW] = (double)(mono_ns() - t0);
        munmap(m, len);
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        t0 = mono_ns();
        t[POPULATE] = madvise(m, len, MADV_POPULATE_WRITE) ? 0 : (double)(mono_ns() - t0);
        munmap(m, len);
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        t0 = mono_ns();
        for (size_t i = 0; i < len; i += pg) m[i] = 1;
        t[ANON] = (double)(mono_ns() - t0);
        munmap(m, len);
        for (int k = 0; k < N; k++)
            if (t[k] / (double)np < best[k]) best[k] = t[k] / (double)np;
    }
    (void)sink;
    munmap(w, len);
    close(fd);
    printf("page costs (ns per %zu B page, memfd MAP_PRIVATE unless said): read fault %.0f "
           "(with the kernel's fault-around), write fault %.0f (copy-on-write), write after a "
           "read %.0f, anonymous write fault %.0f, MADV_POPULATE_WRITE %.0f, copy back %.0f, "
           "mmap the image again over written pages %.0f\n", pg, best[READ], best[COW],
           best[COW_READ], best[ANON], best[POPULATE], best[COPY], best[REMAP]);
}

/* ---- --settle: the tier-up given its time ------------------------------------------ */

/* The tier-up's figures summed over the modules of s's instances. */
static void tierup_totals(const wf_store *s, wf_jit_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (size_t k = 0; k < s->instances.len; k++) {
        const wf_module *m = s->instances.data[k]->module;
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++) seen = s->instances.data[j]->module == m;
        wf_jit_stats st;
        if (seen || !wf_jit_module_stats(m, &st)) continue;
        sum->nupgraded += st.nupgraded;
        sum->nupgraded_cached += st.nupgraded_cached;
        sum->upgrade_cpu_ms += st.upgrade_cpu_ms;
        sum->upgrade_candidates += st.upgrade_candidates;
    }
}

static void settle(const wf_component *c)
{
    slot t = slot_new(c, NULL);
    wf_snapshot *snap;
    wf_error *e = wf_snapshot_take(t.store, &snap);
    if (e) die("snapshot", e);
    uint64_t w0 = wall_ns();
    long calls = 0;
    int quiet = 0;
    wf_jit_stats sum;
    for (;;) {
        for (int i = 0; i < 200; i++) {
            slot_call(&t);
            slot_reset(&t, snap);
        }
        calls += 200;
        tierup_totals(t.store, &sum);
        quiet = sum.upgrade_candidates ? 0 : quiet + 1;
        if (quiet >= 3 || wall_ns() - w0 > 600ull * 1000 * 1000 * 1000) break;
        /* the background thread's turn on a busy machine */
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    printf("tier-up settled after %ld fresh calls, %.1f s: %u functions upgraded (%u from the code cache), "
           "%.0f ms of background CPU%s\n", calls, (wall_ns() - w0) / 1e9, sum.nupgraded, sum.nupgraded_cached,
           sum.upgrade_cpu_ms, quiet >= 3 ? "" : " (not settled: 600 s)");
    fflush(stdout);
    wf_snapshot_free(snap);
    slot_free(&t);
}

/* ---- --spin: one kind of call in a loop, for a profiler --------------------------- */

typedef struct sym { uintptr_t at; const char *name; uint32_t k, i; } sym;

static int cmp_sym(const void *a, const void *b)
{
    uintptr_t x = ((const sym *)a)->at, y = ((const sym *)b)->at;
    return x < y ? -1 : x > y;
}

/* bench_instance.syms: each compiled function of s's modules, sized up to
 * the next one (a unit's functions lie together), named with its level
 * (O2, cheap, upgraded) and its bytes of wasm code. */
static void write_syms(const wf_store *s)
{
    size_t n = 0, cap = 0;
    sym *v = NULL;
    for (size_t k = 0; k < s->instances.len; k++) {
        const wf_module *m = s->instances.data[k]->module;
        if (!m->jit_natives) continue;
        for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
            void *at = m->jit_natives[i - m->nfunc_imports];
            if (!at) continue;
            if (n == cap) v = wf_xrealloc(v, (cap = cap ? cap * 2 : 1024) * sizeof *v);
            v[n++] = (sym){ (uintptr_t)at, m->funcs[i].name, (uint32_t)k, i };
        }
    }
    qsort(v, n, sizeof *v, cmp_sym);
    FILE *f = fopen("bench_instance.syms", "w");
    if (!f) die("bench_instance.syms", NULL);
    for (size_t j = 0; j < n; j++) {
        uintptr_t size = j + 1 < n && v[j + 1].at - v[j].at < (1u << 20) ? v[j + 1].at - v[j].at : 4096;
        const wf_module *m = s->instances.data[v[j].k]->module;
        const char *level = wf_jit_func_level(m, v[j].i - m->nfunc_imports);
        size_t bytes = m->funcs[v[j].i].code->body_len;
        if (v[j].name) fprintf(f, "%lx %lx %s", (unsigned long)v[j].at, (unsigned long)size, v[j].name);
        else fprintf(f, "%lx %lx m%u.f%u", (unsigned long)v[j].at, (unsigned long)size, v[j].k, v[j].i);
        fprintf(f, " [%s, %zu B]\n", level ? level : "?", bytes);
    }
    fclose(f);
    free(v);
    fprintf(stderr, "bench_instance: %zu compiled functions in bench_instance.syms\n", n);
}

static void spin(const wf_component *c, const char *kind, int n)
{
    slot t = slot_new(c, NULL);
    wf_snapshot *snap;
    wf_error *e = wf_snapshot_take(t.store, &snap);
    if (e) die("snapshot", e);
    slot_call(&t);
    slot_reset(&t, snap);
    write_syms(t.store);
    /* fresh and warm: the loop's CPU over n, so the figure holds no clock
     * read (a system call here, 1 to 2.5 us a pair on this VM: a quarter
     * of a warm call's figure when each call was timed); reset: each reset
     * timed, its call not. */
    uint64_t spent = 0;
    if (strcmp(kind, "reset")) {
        bool fresh = !strcmp(kind, "fresh");
        uint64_t t0 = cpu_ns();
        for (int i = 0; i < n; i++) {
            slot_call(&t);
            if (fresh) slot_reset(&t, snap);
        }
        spent = cpu_ns() - t0;
    } else {
        for (int i = 0; i < n; i++) {
            slot_call(&t);
            uint64_t t0 = cpu_ns();
            slot_reset(&t, snap);
            spent += cpu_ns() - t0;
        }
    }
    printf("%d %s: %.2f us each (mean CPU)\n", n, kind, spent / 1e3 / n);
    wf_snapshot_free(snap);
    slot_free(&t);
}

#ifdef WF_INTERP_PROF
/* The guest functions of a fresh instance's first call, then of a warm one. */
static void profile(const wf_component *c)
{
    slot t = slot_new(c, NULL);
    wf_snapshot *snap;
    wf_error *e = wf_snapshot_take(t.store, &snap);
    if (e) die("snapshot", e);
    slot_call(&t);   /* every function the call needs translated */
    slot_reset(&t, snap);
    wf_interp_prof_report("setup (instantiation, translation call)");
    uint64_t h0 = t.store->host_calls;
    slot_call(&t);
    uint64_t h1 = t.store->host_calls;
    wf_interp_prof_report("first call on a freshly reset slot");
    slot_call(&t);
    wf_interp_prof_report("second call on the same instance");
    fprintf(stderr, "host functions called: %llu by the first call, %llu by the second\n",
            (unsigned long long)(h1 - h0), (unsigned long long)(t.store->host_calls - h1));
    wf_snapshot_free(snap);
    slot_free(&t);
}
#endif

/* The trivial add(a, b) as a core module and as a component. */
static void trivial_new(wf_module **core, wf_component **comp)
{
    wf_error *e;
    const char *wat = "(module (func (export \"add\") (param i32 i32) (result i32)"
                      " local.get 0 local.get 1 i32.add))";
    if ((e = wf_module_from_wat(wat, strlen(wat), core))) die("wat", e);

    /* the same add as a component: what a component call costs the host */
    const char *cwat =
        "(component (core module $M (func (export \"add\") (param i32 i32) (result i32)"
        " local.get 0 local.get 1 i32.add)) (core instance $m (instantiate $M))"
        " (func (export \"add\") (param \"a\" s32) (param \"b\" s32) (result s32)"
        " (canon lift (core func $m \"add\"))))";
    wf_buf cb = { 0 };
    if ((e = wf_cwat_compile(cwat, strlen(cwat), &cb))) die("component wat", e);
    if ((e = wf_component_new(cb.data, cb.len, comp))) die("component", e);
    wf_buf_free(&cb);
}

/* Median CPU µs of an empty interval: the two reads of the thread's CPU
 * clock (a system call, 0.35 to 0.65 µs here) that a figure timed per call
 * includes (runtime_call_us's batches hold it once per batch). */
static double clock_overhead_us(int n)
{
    uint64_t *ns = wf_xcalloc((size_t)n, sizeof *ns);
    for (int i = 0; i < n; i++) {
        uint64_t t0 = cpu_ns();
        ns[i] = cpu_ns() - t0;
    }
    double us = median_us(ns, (size_t)n);
    free(ns);
    return us;
}

/* The trivial module's lines: a fresh instance per call through
 * wf_runtime_call (core module without and with preinit, and as a
 * component). */
static void trivial_lines(wf_runtime *rt, int calls)
{
    printf("%-26s %8.2f us   with preinit %8.2f us\n", "wat add via wf_runtime_call",
           runtime_call_us(rt, "wat:add", calls), runtime_call_us(rt, "wat:add_preinit", calls));
    printf("%-26s %8.2f us   (the host's part of a component call: slot reset, WASI context, "
           "lift and lower)\n", "wat component add", runtime_call_us(rt, "watc:add", calls));
    printf("%-26s %8.2f us   (two reads of the thread's CPU clock: in the js lines once per call, in "
           "the wat lines once per %d calls)\n", "timing overhead", clock_overhead_us(calls),
           runtime_call_batch(calls));
}

static void trivial_add(wf_runtime *rt, wf_module *triv, wf_component *tcomp)
{
    wf_error *e;
    wf_wasm_config wc = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    if ((e = wf_runtime_add_wasm(rt, "wat:add", triv, &wc))) die("add wat", e);
    wc.preinit = true;
    if ((e = wf_runtime_add_wasm(rt, "wat:add_preinit", triv, &wc))) die("add wat preinit", e);
    wf_component_config cc = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    if ((e = wf_runtime_add_component(rt, "watc:add", tcomp, &cc))) die("add wat component", e);
}

static void trivial_figures(int calls, const char *only)
{
    wf_module *triv;
    wf_component *tcomp;
    trivial_new(&triv, &tcomp);
    wf_runtime *rt = wf_runtime_new();
    trivial_add(rt, triv, tcomp);
    if (only) printf("%-26s %8.2f us\n", only, runtime_call_us(rt, only, calls));
    else trivial_lines(rt, calls);
    wf_runtime_free(rt);
    wf_component_free(tcomp);
    wf_module_free(triv);
}

int main(int argc, char **argv)
{
    const char *tier_name = "interp";
    if (argc > 1 && !strncmp(argv[1], "--tier=", 7)) {
        wf_tier tier;
        tier_name = argv[1] + 7;
        if (!wf_tier_parse(tier_name, &tier)) {
            fprintf(stderr, "bench_instance: unknown tier %s\n", tier_name);
            return 2;
        }
        wf_error *e = wf_jit_set_tier(tier);
        if (e) die("tier", e);
        argc--;
        argv++;
    }
    if (argc > 1 && !strcmp(argv[1], "--trivial")) {
        trivial_figures(argc > 2 ? atoi(argv[2]) : 20000, argc > 3 ? argv[3] : NULL);
        return 0;
    }
    bool settle_first = argc > 1 && !strcmp(argv[1], "--settle");
    if (settle_first) {
        argc--;
        argv++;
    }
    bool prof = argc > 1 && !strcmp(argv[1], "--profile");
    if (prof) {
        argc--;
        argv++;
    }
    const char *spin_kind = NULL;
    int spin_n = 0;
    if (argc > 2 && !strncmp(argv[1], "--spin=", 7)) {
        spin_kind = argv[1] + 7;
        spin_n = atoi(argv[2]);
        if ((strcmp(spin_kind, "fresh") && strcmp(spin_kind, "warm") && strcmp(spin_kind, "reset")) ||
            spin_n < 1) {
            fprintf(stderr, "bench_instance: --spin=fresh|warm|reset N (N calls, at least 1)\n");
            return 2;
        }
        argc -= 2;
        argv += 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_instance [--tier=T] [--settle] [--profile | --spin=KIND N] COMPONENT.wasm [N]\n");
        return 2;
    }
    int nslots = argc > 2 ? atoi(argv[2]) : 1000;
    uint8_t *bytes;
    size_t len;
    wf_error *e = wf_file_read(argv[1], &bytes, &len);
    if (e) die(argv[1], e);
    uint64_t t0 = process_cpu_ns(), w0 = wall_ns();
    wf_component *js;
    /* as a project's load does (registry/modules.c): the component keeps
     * the bytes, its core modules read them in place */
    if ((e = wf_component_new_owned(bytes, len, &js))) die("load", e);
    double load_ms = (process_cpu_ns() - t0) / 1e6, load_wall_ms = (wall_ns() - w0) / 1e6;
    if (settle_first) settle(js);
    if (spin_kind) {
        spin(js, spin_kind, spin_n);
        wf_component_free(js);
        return 0;
    }
    if (prof) {
#ifdef WF_INTERP_PROF
        profile(js);
        wf_component_free(js);
        return 0;
#else
        fprintf(stderr, "bench_instance: --profile needs a build with -DWF_INTERP_PROF\n");
        return 2;
#endif
    }

    wf_module *triv;
    wf_component *tcomp;
    trivial_new(&triv, &tcomp);

    wf_runtime *rt = wf_runtime_new();
    wf_component_config cc = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    if ((e = wf_runtime_add_component(rt, "js:add", js, &cc))) die("add", e);
    cc.preinit = true;
    t0 = cpu_ns();
    if ((e = wf_runtime_add_component(rt, "js:add_preinit", js, &cc))) die("add preinit", e);
    double preinit_ms = (cpu_ns() - t0) / 1e6;
    trivial_add(rt, triv, tcomp);

    printf("tier %s; componentize-js add (%.1f MB): load %.1f ms (CPU, all threads; %.1f ms wall), "
           "preinit at add %.1f ms\n", tier_name, len / 1048576.0, load_ms, load_wall_ms, preinit_ms);
    printf("%-26s %8.2f us   with preinit %8.2f us   (median CPU per call, inline pool)\n",
           "js add via wf_runtime_call", runtime_call_us(rt, "js:add", 200),
           runtime_call_us(rt, "js:add_preinit", 200));
    trivial_lines(rt, 20000);
    wf_runtime_free(rt);
    component_figures("js add slot", js, 200, nslots);
    page_costs();
    wf_component_free(js);
    wf_component_free(tcomp);
    wf_module_free(triv);
    return 0;
}
