/*
 * bench_micro.c - in-process micro benchmarks of the engine's fixed costs:
 *
 *   compile      MB/s of code section from binary to ready-to-run module
 *                (decode, validate, translate) over the kernels of WASM_DIR
 *                and a large generated module
 *   instantiate  fresh store + instance + one call of a trivial export,
 *                without and with a 1-page memory and a data segment (median)
 *   host->wasm   one call of a trivial export of a live instance, through
 *                the public wf_func_call and the engine's wf_exec_call
 *   wasm->host   one call of an imported host function from a wasm loop
 *
 * usage: bench_micro [WASM_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/vec.h"
#include "wasm/code.h"
#include "wasmfn.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int check(wf_error *e, const char *what)
{
    if (!e) return 0;
    char *msg = wf_error_format(e);
    fprintf(stderr, "bench_micro: %s: %s\n", what, msg);
    free(msg);
    wf_error_free(e);
    return 1;
}

/* ---- compile throughput ---------------------------------------------------- */

typedef WF_VEC(uint8_t) bytes;

static void put_u32(bytes *b, uint32_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        wf_vec_push(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}
static void put_s32(bytes *b, int32_t v)
{
    for (;;) {
        uint8_t x = v & 0x7f;
        v >>= 7;
        if ((v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40))) { wf_vec_push(b, x); return; }
        wf_vec_push(b, (uint8_t)(x | 0x80));
    }
}
static void put_bytes(bytes *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) wf_vec_push(b, ((const uint8_t *)p)[i]);
}
static void put_section(bytes *out, uint8_t id, const bytes *content)
{
    wf_vec_push(out, id);
    put_u32(out, (uint32_t)content->len);
    put_bytes(out, content->data, content->len);
}

/* nfuncs functions (i32 i32) -> i32, each a loop of integer arithmetic on
 * locals with constants, a memory access and a compare-and-branch. */
static void gen_module(bytes *out, uint32_t nfuncs, uint32_t reps)
{
    static const uint8_t magic[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    put_bytes(out, magic, 8);
    bytes sec = { 0 };
    static const uint8_t type[] = { 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f };
    put_bytes(&sec, type, sizeof type);
    put_section(out, 1, &sec);
    sec.len = 0;
    put_u32(&sec, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) put_u32(&sec, 0);
    put_section(out, 3, &sec);
    sec.len = 0;
    static const uint8_t mem[] = { 1, 0, 1 };
    put_bytes(&sec, mem, sizeof mem);
    put_section(out, 5, &sec);
    sec.len = 0;
    put_u32(&sec, nfuncs);
    bytes body = { 0 };
    for (uint32_t f = 0; f < nfuncs; f++) {
        body.len = 0;
        static const uint8_t locals[] = { 1, 2, 0x7f };
        put_bytes(&body, locals, sizeof locals);
        wf_vec_push(&body, 0x03); wf_vec_push(&body, 0x40);     /* loop */
        for (uint32_t r = 0; r < reps; r++) {
            static const uint8_t a[] = { 0x20, 0, 0x20, 1, 0x6a, 0x21, 2 };   /* l2 = l0 + l1 */
            put_bytes(&body, a, sizeof a);
            wf_vec_push(&body, 0x20); wf_vec_push(&body, 2);
            wf_vec_push(&body, 0x41); put_s32(&body, (int32_t)(r * 7 + f));
            wf_vec_push(&body, 0x6c);                              /* i32.mul */
            wf_vec_push(&body, 0x21); wf_vec_push(&body, 3);
            static const uint8_t m[] = { 0x20, 3, 0x28, 2, 16, 0x21, 1 };     /* l1 = load l3+16 */
            put_bytes(&body, m, sizeof m);
        }
        static const uint8_t tail[] = { 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x41, 0, 0x4a, 0x0d, 0,
                                        0x0b, 0x20, 1, 0x0b };
        put_bytes(&body, tail, sizeof tail);
        put_u32(&sec, (uint32_t)body.len);
        put_bytes(&sec, body.data, body.len);
    }
    put_section(out, 10, &sec);
    wf_vec_free(&sec);
    wf_vec_free(&body);
}

/* The size of the code section of a module binary (0 when none). */
static size_t code_bytes(const uint8_t *p, size_t len)
{
    size_t i = 8;
    while (i < len) {
        uint8_t id = p[i++];
        uint32_t size = 0;
        for (int shift = 0; i < len; shift += 7) {
            uint8_t b = p[i++];
            size |= (uint32_t)(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        if (id == 10) return size;
        i += size;
    }
    return 0;
}

static int bench_compile(const char *name, const uint8_t *p, size_t len)
{
    size_t code = code_bytes(p, len);
    double best = -1;
    for (int i = 0; i < 5; i++) {
        wf_module *m;
        double t0 = now_ns();
        if (check(wf_module_new(p, len, &m), name)) return 1;
        double t = now_ns() - t0;
        wf_module_free(m);
        if (best < 0 || t < best) best = t;
    }
    printf("compile %-22s %9zu bytes of code  %8.1f MB/s\n", name, code, code / best * 1e3);
    return 0;
}

static int compile_all(const char *dir)
{
    static const char *const kernels[] = { "fib", "sieve", "matmul", "sha256", "loops", "parse" };
    int rc = 0;
    for (size_t k = 0; dir && k < sizeof kernels / sizeof *kernels; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wasm", dir, kernels[k]);
        uint8_t *p;
        size_t len;
        if (check(wf_file_read(path, &p, &len), path)) { rc = 1; continue; }
        rc |= bench_compile(kernels[k], p, len);
        free(p);
    }
    bytes gen = { 0 };
    gen_module(&gen, 2000, 40);
    rc |= bench_compile("generated (2000 funcs)", gen.data, gen.len);
    wf_vec_free(&gen);
    return rc;
}

/* ---- instantiate + call -------------------------------------------------- */

#define INST_RUNS 20000

static int bench_instantiate(const char *label, const char *wat)
{
    wf_module *m;
    if (check(wf_module_from_wat(wat, strlen(wat), &m), label)) return 1;
    static double ns[INST_RUNS];
    for (int i = -1000; i < INST_RUNS; i++) {
        double t0 = now_ns();
        wf_store *s = wf_store_new();
        wf_instance *inst;
        wf_extern ex;
        wf_error *e = wf_instance_new(s, m, NULL, 0, &inst);
        if (!e && !wf_instance_export(inst, "f", 1, &ex)) e = wf_error_new(WF_ERR_NOT_FOUND, "no f");
        wf_value res;
        if (!e) e = wf_func_call(ex.of.func, NULL, 0, &res, 1);
        wf_store_free(s);
        double t = now_ns() - t0;
        if (check(e, label)) return 1;
        if (i >= 0) ns[i] = t;
    }
    qsort(ns, INST_RUNS, sizeof *ns, cmp_double);
    printf("instantiate+call %-25s median %7.2f us  p90 %7.2f us\n", label,
           ns[INST_RUNS / 2] / 1e3, ns[INST_RUNS * 9 / 10] / 1e3);
    wf_module_free(m);
    return 0;
}

/* ---- host -> wasm, wasm -> host ------------------------------------------ */

#define CALL_RUNS 2000000

static wf_error *host_add(wf_caller *caller, void *env, wf_slot *slots)
{
    (void)caller;
    (void)env;
    slots[0].u32 = slots[0].u32 + slots[1].u32;
    return NULL;
}

static int bench_calls(void)
{
    static const char wat[] =
        "(module (import \"h\" \"add\" (func $h (param i32 i32) (result i32)))"
        " (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
        " (func (export \"loop_host\") (param $n i32) (result i32) (local $s i32)"
        "  (loop $l (local.set $s (call $h (local.get $s) (local.get $n)))"
        "   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) (local.get $s))"
        " (func $w (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
        " (func (export \"loop_wasm\") (param $n i32) (result i32) (local $s i32)"
        "  (loop $l (local.set $s (call $w (local.get $s) (local.get $n)))"
        "   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) (local.get $s)))";
    wf_module *m;
    if (check(wf_module_from_wat(wat, strlen(wat), &m), "calls module")) return 1;
    wf_store *s = wf_store_new();
    wf_valtype p2[2] = { WF_TYPE_I32, WF_TYPE_I32 };
    wf_extern imp = { .kind = WF_EXTERN_FUNC };
    imp.of.func = wf_func_new_host(s, wf_functype_get(p2, 2, p2, 1), host_add, NULL);
    wf_instance *inst;
    wf_extern add, lh, lw;
    if (check(wf_instance_new(s, m, &imp, 1, &inst), "calls instance")) return 1;
    wf_instance_export(inst, "add", 3, &add);
    wf_instance_export(inst, "loop_host", 9, &lh);
    wf_instance_export(inst, "loop_wasm", 9, &lw);

    wf_value args[2] = { { .type = WF_TYPE_I32, .of.i32 = 6 }, { .type = WF_TYPE_I32, .of.i32 = 7 } }, res;
    double best = -1;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_ns();
        for (int i = 0; i < CALL_RUNS; i++) wf_func_call(add.of.func, args, 2, &res, 1);
        double t = (now_ns() - t0) / CALL_RUNS;
        if (best < 0 || t < best) best = t;
    }
    printf("host->wasm wf_func_call      %7.1f ns/call\n", best);
    best = -1;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_ns();
        for (int i = 0; i < CALL_RUNS; i++) {
            wf_slot sl[2] = { { .u32 = 6 }, { .u32 = 7 } };
            wf_exec_call(add.of.func, sl);
        }
        double t = (now_ns() - t0) / CALL_RUNS;
        if (best < 0 || t < best) best = t;
    }
    printf("host->wasm wf_exec_call      %7.1f ns/call\n", best);

    double per[2];
    wf_extern loops[2] = { lh, lw };
    for (int k = 0; k < 2; k++) {
        wf_value n = { .type = WF_TYPE_I32, .of.i32 = 10000000 };
        double t0 = now_ns();
        if (check(wf_func_call(loops[k].of.func, &n, 1, &res, 1), "loop")) return 1;
        per[k] = (now_ns() - t0) / n.of.i32;
    }
    printf("wasm->host call              %7.1f ns/call (a wasm->wasm call of the same loop: %.1f ns)\n",
           per[0], per[1]);
    wf_store_free(s);
    wf_module_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = compile_all(argc > 1 ? argv[1] : NULL);
    rc |= bench_instantiate("(no memory)",
                            "(module (func (export \"f\") (result i32) i32.const 42))");
    rc |= bench_instantiate("(1-page memory + data)",
                            "(module (memory 1) (data (i32.const 16) \"hello, world\")"
                            " (func (export \"f\") (result i32) (i32.load (i32.const 16))))");
    rc |= bench_calls();
    return rc;
}
