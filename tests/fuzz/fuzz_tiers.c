/*
 * fuzz_tiers.c - differential libFuzzer target for the engine's two tiers:
 * a module (seeded from the spec suite's modules, mutated by libFuzzer)
 * that decodes and has no imports is instantiated once interpreted and once
 * compiled with LLVM (src/wasm/jit); every exported function taking and
 * returning numbers is called with the same arguments in both, in export
 * order, and the results, the traps (their messages) and afterwards every
 * exported memory's bytes must be equal. A NaN equals any NaN (their bits
 * may differ, as the spec allows). A call that runs past a short deadline
 * is interrupted and ends the comparison of that input, as does stack
 * exhaustion on either side.
 *
 * Not a finding, but reported as one: a NaN's sign or payload that reaches
 * an integer (reinterpret) or memory, which the spec leaves open and LLVM's
 * constant folding sets differently from the CPU. The committed corpus
 * (tests/fuzz/corpus/tiers: integer and memory modules of the spec suite)
 * keeps away from floats for that reason.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "wasm/code.h"
#include "wasm/jit.h"
#include "wasmfn.h"

#define CALL_MS 200

static volatile uint32_t g_stop;
static volatile uint64_t g_deadline_ms;    /* 0: no call running */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Stops a call running past its deadline (a loop that never ends). */
static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        uint64_t d = __atomic_load_n(&g_deadline_ms, __ATOMIC_ACQUIRE);
        if (d && now_ms() > d) __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static bool numeric(const wf_valtype *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (t[i].kind != WF_I32 && t[i].kind != WF_I64 && t[i].kind != WF_F32 && t[i].kind != WF_F64) return false;
    return true;
}

/* The k-th argument of a call: values near the edges that matter for
 * memory bounds, division and conversions. */
static wf_value arg(wf_valtype t, uint32_t k)
{
    static const int64_t ints[] = { 0, 1, -1, 7, 65535, 65536, 0x7fffffff, (int64_t)0x80000000u, -65536, 100 };
    static const double floats[] = { 0.0, 1.5, -1.0, 1e10, -0.0, 3.0e9, 0.5, -2.5e-3, 65536.0, 100.0 };
    wf_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    uint32_t i = k % 10;
    switch (t.kind) {
    case WF_I32: v.of.i32 = (int32_t)ints[i]; break;
    case WF_I64: v.of.i64 = (int64_t)((uint64_t)ints[i] * (k > 10 ? 4294967296ull : 1)); break; /* wraps */
    case WF_F32: v.of.f32 = (float)floats[i]; break;
    default: v.of.f64 = floats[i]; break;
    }
    return v;
}

static bool same_value(const wf_value *a, const wf_value *b)
{
    switch (a->type.kind) {
    case WF_I32: return a->of.i32 == b->of.i32;
    case WF_I64: return a->of.i64 == b->of.i64;
    case WF_F32: return a->of.f32 != a->of.f32 ? b->of.f32 != b->of.f32 : a->of.f32_bits == b->of.f32_bits;
    default: return a->of.f64 != a->of.f64 ? b->of.f64 != b->of.f64 : a->of.f64_bits == b->of.f64_bits;
    }
}

typedef struct side {
    wf_module *m;
    wf_store *s;
    wf_instance *inst;
} side;

static void side_free(side *x)
{
    if (x->s) wf_store_free(x->s);
    if (x->m) wf_module_free(x->m);
}

static wf_error *instantiate(const uint8_t *data, size_t size, wf_tier tier, side *x)
{
    wf_error *e = wf_jit_set_tier(tier);
    if (!e) e = wf_module_new(data, size, &x->m);
    if (e) return e;
    x->s = wf_store_new();
    g_stop = 0;
    __atomic_store_n(&g_deadline_ms, now_ms() + CALL_MS, __ATOMIC_RELEASE);
    e = wf_instance_new(x->s, x->m, NULL, 0, &x->inst);
    __atomic_store_n(&g_deadline_ms, 0, __ATOMIC_RELEASE);
    return e;
}

/* Errors that end the comparison of an input: a deadline, and stack
 * exhaustion, whose depth the tiers set differently (the interpreter counts
 * frames, compiled code the native stack): both are resource limits. */
static bool interrupted(const wf_error *e)
{
    return e && (strstr(e->message, "interrupted") || strstr(e->message, "call stack exhausted"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        ready = true;
        if (!wf_jit_available()) return 0;
        wf_jit_set_cache_dir(NULL);    /* never the user's code cache */
        wf_exec_set_interrupt(&g_stop);
        pthread_t w;
        pthread_create(&w, NULL, watchdog, NULL);
        pthread_detach(w);
    }
    if (!wf_jit_available()) return 0;
    side a = { 0 }, b = { 0 };
    wf_error *ea = instantiate(data, size, WF_TIER_INTERP, &a);
    if (!a.m || wf_module_import_count(a.m) || interrupted(ea)) {
        wf_error_free(ea);
        side_free(&a);
        wf_jit_set_tier(WF_TIER_INTERP);
        return 0;
    }
    wf_error *eb = instantiate(data, size, WF_TIER_COMPILED, &b);
    wf_jit_set_tier(WF_TIER_INTERP);
    FUZZ_CHECK(b.m, "the module decoded interpreted but not for the compiled tier");
    bool stop = interrupted(eb);
    if (!stop) {
        FUZZ_CHECK(!ea == !eb, "instantiation: interpreted %s, compiled %s", ea ? ea->message : "ok",
                   eb ? eb->message : "ok");
        if (ea) FUZZ_CHECK(!strcmp(ea->message, eb->message), "instantiation trap: %s vs %s", ea->message, eb->message);
    }
    if (ea || eb) stop = true;
    wf_error_free(ea);
    wf_error_free(eb);

    uint32_t nexp = stop ? 0 : wf_module_export_count(a.m);
    for (uint32_t i = 0; i < nexp && !stop; i++) {
        wf_export_desc d = wf_module_export(a.m, i);
        if (d.kind != WF_EXTERN_FUNC) continue;
        wf_extern fa, fb;
        if (!wf_instance_export(a.inst, d.name, d.name_len, &fa) || !wf_instance_export(b.inst, d.name, d.name_len, &fb))
            continue;
        const wf_functype *ft = wf_func_type(fa.of.func);
        if (!numeric(ft->params, ft->nparams) || !numeric(ft->results, ft->nresults) || ft->nparams > 8 ||
            ft->nresults > 8)
            continue;
        for (uint32_t round = 0; round < 2 && !stop; round++) {
            wf_value args[8], ra[8], rb[8];
            for (uint32_t k = 0; k < ft->nparams; k++) args[k] = arg(ft->params[k], (uint32_t)(size + i + k * 3 + round * 7));
            wf_error *ca, *cb;
            g_stop = 0;
            __atomic_store_n(&g_deadline_ms, now_ms() + CALL_MS, __ATOMIC_RELEASE);
            ca = wf_func_call(fa.of.func, args, ft->nparams, ra, ft->nresults);
            g_stop = 0;
            __atomic_store_n(&g_deadline_ms, now_ms() + CALL_MS, __ATOMIC_RELEASE);
            cb = wf_func_call(fb.of.func, args, ft->nparams, rb, ft->nresults);
            __atomic_store_n(&g_deadline_ms, 0, __ATOMIC_RELEASE);
            if (interrupted(ca) || interrupted(cb)) {
                stop = true;    /* the instances' states may now differ */
            } else {
                FUZZ_CHECK(!ca == !cb, "%.*s: interpreted %s, compiled %s", (int)d.name_len, d.name,
                           ca ? ca->message : "returned", cb ? cb->message : "returned");
                if (ca) {
                    FUZZ_CHECK(ca->kind == cb->kind && !strcmp(ca->message, cb->message), "%.*s: trap %s vs %s",
                               (int)d.name_len, d.name, ca->message, cb->message);
                } else {
                    for (uint32_t k = 0; k < ft->nresults; k++)
                        FUZZ_CHECK(same_value(&ra[k], &rb[k]), "%.*s: result %u differs: %llx vs %llx",
                                   (int)d.name_len, d.name, k, (unsigned long long)ra[k].of.i64,
                                   (unsigned long long)rb[k].of.i64);
                }
            }
            wf_error_free(ca);
            wf_error_free(cb);
        }
    }
    /* Every exported memory: the same bytes (unless a call was cut short). */
    for (uint32_t i = 0; i < nexp && !stop; i++) {
        wf_export_desc d = wf_module_export(a.m, i);
        wf_extern ma, mb;
        if (d.kind != WF_EXTERN_MEMORY || !wf_instance_export(a.inst, d.name, d.name_len, &ma) ||
            !wf_instance_export(b.inst, d.name, d.name_len, &mb))
            continue;
        uint64_t n = wf_memory_size(ma.of.memory);
        FUZZ_CHECK(n == wf_memory_size(mb.of.memory), "memory %.*s: size differs", (int)d.name_len, d.name);
        FUZZ_CHECK(!memcmp(wf_memory_data(ma.of.memory), wf_memory_data(mb.of.memory), n),
                   "memory %.*s: contents differ", (int)d.name_len, d.name);
    }
    side_free(&b);
    side_free(&a);
    return 0;
}
