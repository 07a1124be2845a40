/*
 * interp_prof.h - a developer's dynamic profile of the interpreter: how often
 * each internal instruction and each pair of consecutive instructions ran,
 * and how many instructions each guest function ran (by its name-section
 * name), printed to stderr at exit and by wf_interp_prof_report (which also
 * clears the counts: bench_instance --profile reports a fresh instance's
 * first call apart from a warm one). Only built with -DWF_INTERP_PROF (e.g. a build
 * dir configured with CMAKE_C_FLAGS=-DWF_INTERP_PROF); it makes every
 * dispatch far slower. Pairs are what super-instructions are chosen from.
 */
#ifndef WF_INTERP_PROF_H
#define WF_INTERP_PROF_H
#include <stdio.h>
#include <stdlib.h>
#define PROF_N WF_IOP_COUNT_
static unsigned long long prof_single[PROF_N], prof_pair[PROF_N][PROF_N];
static int prof_prev = 0;
static const void *const *prof_labels;
static void prof_dump_funcs(unsigned long long tot);
void wf_interp_prof_report(const char *title);
static int prof_idx(const void *a)
{
    static const void *ha[4096]; static int hi[4096];
    unsigned h = ((uintptr_t)a >> 2) & 4095;
    while (ha[h]) { if (ha[h] == a) return hi[h]; h = (h + 1) & 4095; }
    for (int i = 0; i < PROF_N; i++) if (prof_labels[i] == a) { ha[h] = a; hi[h] = i; return i; }
    return 0;
}
static void prof_dump(void)
{
    wf_interp_prof_report("at exit");
}
void wf_interp_prof_report(const char *title)
{
    unsigned long long tot = 0;
    for (int i = 0; i < PROF_N; i++) tot += prof_single[i];
    fprintf(stderr, "==== %s: total %llu dispatches\n", title, tot);
    prof_dump_funcs(tot);
    int nops = getenv("WF_INTERP_PROF_ALL") ? PROF_N : 30;
    for (int k = 0; k < nops; k++) {
        int b = -1;
        for (int i = 0; i < PROF_N; i++) if (prof_single[i] && (b < 0 || prof_single[i] > prof_single[b])) b = i;
        if (b < 0) break;
        fprintf(stderr, "%6.2f%% %s\n", 100.0 * prof_single[b] / tot, wf_iop_name((wf_iop)b));
        prof_single[b] = 0;
    }
    fprintf(stderr, "== pairs\n");
    for (int k = 0; k < 40; k++) {
        int bi = -1, bj = -1; unsigned long long bv = 0;
        for (int i = 0; i < PROF_N; i++) for (int j = 0; j < PROF_N; j++) if (prof_pair[i][j] > bv) { bv = prof_pair[i][j]; bi = i; bj = j; }
        if (bi < 0) break;
        fprintf(stderr, "%6.2f%% %s -> %s\n", 100.0 * bv / tot, wf_iop_name((wf_iop)bi), wf_iop_name((wf_iop)bj));
        prof_pair[bi][bj] = 0;
    }
    memset(prof_single, 0, sizeof prof_single);
    memset(prof_pair, 0, sizeof prof_pair);
}
/* Per function: dispatches and entries (a dispatch in a function other
 * than the previous one's: calls and returns into it), counted in the
 * function's wf_code; the code holding pc is found by a binary search of
 * the module's translated functions sorted by address, rebuilt when it
 * misses (a function translated since, another module). */
typedef struct prof_range { const wf_word *lo, *hi; struct wf_code *code; } prof_range;
static prof_range *prof_ranges;
static size_t prof_nranges;
static const wf_module *prof_ranges_of;
#define PROF_MODULES 64
static const wf_module *prof_modules[PROF_MODULES];
static struct wf_code *prof_last;
static int prof_range_cmp(const void *a, const void *b)
{
    const prof_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}
static void prof_index(const wf_module *m)
{
    free(prof_ranges);
    prof_ranges = calloc(m->nfuncs + 1, sizeof *prof_ranges);
    prof_nranges = 0;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        struct wf_code *c = m->funcs[i].code;
        if (c && wf_code_is_translated(c))
            prof_ranges[prof_nranges++] = (prof_range){ c->words, c->words + c->len, c };
    }
    qsort(prof_ranges, prof_nranges, sizeof *prof_ranges, prof_range_cmp);
    prof_ranges_of = m;
    for (int k = 0; k < PROF_MODULES; k++)
        if (prof_modules[k] == m || !prof_modules[k]) { prof_modules[k] = m; break; }
}
static struct wf_code *prof_find(const wf_word *pc)
{
    size_t lo = 0, hi = prof_nranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pc < prof_ranges[mid].lo) hi = mid;
        else if (pc >= prof_ranges[mid].hi) lo = mid + 1;
        else return prof_ranges[mid].code;
    }
    return NULL;
}
static void prof_func(const wf_instance *inst, const wf_word *pc)
{
    if (prof_last && pc >= prof_last->words && pc < prof_last->words + prof_last->len) {
        prof_last->prof_instr++;
        return;
    }
    struct wf_code *c = prof_ranges_of == inst->module ? prof_find(pc) : NULL;
    if (!c) {
        prof_index(inst->module);
        c = prof_find(pc);
    }
    prof_last = c;
    if (c) {
        c->prof_instr++;
        c->prof_enter++;
    }
}
static int prof_code_cmp(const void *a, const void *b)
{
    const struct wf_code *x = *(struct wf_code *const *)a, *y = *(struct wf_code *const *)b;
    return x->prof_instr > y->prof_instr ? -1 : x->prof_instr < y->prof_instr;
}
/* The functions that ran since the last report, most dispatches first
 * (every one when WF_INTERP_PROF_ALL is set, else the top 40), and their
 * counters cleared. */
static void prof_dump_funcs(unsigned long long tot)
{
    if (!tot) return;   /* at exit, after the modules were freed */
    size_t n = 0, cap = 0;
    struct wf_code **run = NULL;
    for (int k = 0; k < PROF_MODULES && prof_modules[k]; k++) {
        const wf_module *m = prof_modules[k];
        for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
            struct wf_code *c = m->funcs[i].code;
            if (!c || !c->prof_instr) continue;
            if (n == cap) run = realloc(run, (cap = cap ? 2 * cap : 256) * sizeof *run);
            run[n++] = c;
        }
    }
    qsort(run, n, sizeof *run, prof_code_cmp);
    fprintf(stderr, "== functions: %zu ran\n", n);
    size_t show = getenv("WF_INTERP_PROF_ALL") ? n : (n < 40 ? n : 40);
    for (size_t k = 0; k < n; k++) {
        struct wf_code *c = run[k];
        if (k < show) {
            const char *name = c->module->funcs[c->func_index].name;
            fprintf(stderr, "%6.2f%% %12llu instr %9llu entries  %s (module %p func %u)\n",
                    tot ? 100.0 * c->prof_instr / tot : 0.0, c->prof_instr, c->prof_enter,
                    name ? name : "?", (const void *)c->module, c->func_index);
        }
        c->prof_instr = c->prof_enter = 0;
    }
    free(run);
}
static void prof_hit(const void *a)
{
    if (!prof_labels) { prof_labels = wf_interp_labels(); atexit(prof_dump); }
    int i = prof_idx(a);
    prof_single[i]++;
    prof_pair[prof_prev][i]++;
    prof_prev = i;
}
#endif
