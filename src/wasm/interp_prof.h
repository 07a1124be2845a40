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
static const char *const prof_names[] = {
#define PN(n, ...) #n,
    WF_IOPS_CONTROL(PN) WF_BRCMP2(PN) WF_BRCMP1(PN) WF_UNOPS(PN) WF_BINOPS(PN) WF_TRAPOPS(PN) WF_LOADOPS(PN) WF_STOREOPS(PN)
#undef PN
#define PN(n, ...) #n "_K",
    WF_BRCMP2(PN) WF_BINOPS(PN)
#undef PN
#define PN(n, ...) #n "_A",
    WF_LOADOPS(PN) WF_STOREOPS(PN)
#undef PN
#define PN(n, ...) #n,
    WF_IOPS_SUPER(PN)
#undef PN
#define PN(n, ...) "ADDK_" #n,
    WF_BRCMP_I32(PN)
#undef PN
#define PN(n, ...) "ADDK_" #n "_K",
    WF_BRCMP_I32(PN)
#undef PN
#define PN(n, ...) "ADD_" #n,
    WF_BRCMP_I32(PN)
#undef PN
#define PN(n, ...) "ADD_" #n "_K",
    WF_BRCMP_I32(PN)
#undef PN
#define PN(n, ...) #n "_X",
    WF_LOADOPS(PN)
#undef PN
};
#define PROF_N WF_IOP_COUNT_
static unsigned long long prof_single[PROF_N], prof_pair[PROF_N][PROF_N];
static int prof_prev = 0;
static const void *const *prof_labels;
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
    for (int k = 0; k < 30; k++) {
        int b = -1;
        for (int i = 0; i < PROF_N; i++) if (prof_single[i] && (b < 0 || prof_single[i] > prof_single[b])) b = i;
        if (b < 0) break;
        fprintf(stderr, "%6.2f%% %s\n", 100.0 * prof_single[b] / tot, prof_names[b]);
        prof_single[b] = 0;
    }
    fprintf(stderr, "== pairs\n");
    for (int k = 0; k < 40; k++) {
        int bi = -1, bj = -1; unsigned long long bv = 0;
        for (int i = 0; i < PROF_N; i++) for (int j = 0; j < PROF_N; j++) if (prof_pair[i][j] > bv) { bv = prof_pair[i][j]; bi = i; bj = j; }
        if (bi < 0) break;
        fprintf(stderr, "%6.2f%% %s -> %s\n", 100.0 * bv / tot, prof_names[bi], prof_names[bj]);
        prof_pair[bi][bj] = 0;
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
