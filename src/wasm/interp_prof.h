/*
 * interp_prof.h - a developer's dynamic profile of the interpreter: how often
 * each internal instruction and each pair of consecutive instructions ran,
 * printed to stderr at exit. Only built with -DWF_INTERP_PROF (e.g. a build
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
    unsigned long long tot = 0;
    for (int i = 0; i < PROF_N; i++) tot += prof_single[i];
    fprintf(stderr, "== total %llu\n", tot);
    prof_dump_funcs(tot);
    for (int k = 0; k < 30; k++) {
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
}
/* Per function: dispatches, by the function whose code holds pc (a
 * linear search from the last hit: slow, but only in this build). */
#define PROF_FUNCS 4096
static unsigned long long prof_fn[PROF_FUNCS];
static const char *prof_fn_name[PROF_FUNCS];
static const struct wf_code *prof_last;
static uint32_t prof_last_i;
static void prof_func(const wf_instance *inst, const wf_word *pc)
{
    if (!(prof_last && pc >= prof_last->words && pc < prof_last->words + prof_last->len)) {
        const wf_module *m = inst->module;
        prof_last = NULL;
        for (uint32_t i = m->nfunc_imports; i < m->nfuncs && i < PROF_FUNCS; i++) {
            const struct wf_code *c = m->funcs[i].code;
            if (c && pc >= c->words && pc < c->words + c->len) {
                prof_last = c;
                prof_last_i = i;
                prof_fn_name[i] = m->funcs[i].name;
                break;
            }
        }
        if (!prof_last) return;
    }
    prof_fn[prof_last_i]++;
}
static void prof_dump_funcs(unsigned long long tot)
{
    fprintf(stderr, "== functions\n");
    for (int k = 0; k < 25; k++) {
        int b = -1;
        for (int i = 0; i < PROF_FUNCS; i++) if (prof_fn[i] && (b < 0 || prof_fn[i] > prof_fn[b])) b = i;
        if (b < 0) break;
        fprintf(stderr, "%6.2f%% %s (func %d)\n", 100.0 * prof_fn[b] / tot, prof_fn_name[b] ? prof_fn_name[b] : "?", b);
        prof_fn[b] = 0;
    }
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
