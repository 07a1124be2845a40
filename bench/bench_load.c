/*
 * bench_load.c - what loading costs: wf_registry_load (what `wasmfn check`
 * does: parse, hash, decode, validate every function body) of a project
 * holding one trivial WAT module and of one holding a large component (the
 * componentize-js build of bench/jscalc: SpiderMonkey, about 12 MB), each
 * as the median wall time and mean CPU time of repeated loads. Function
 * bodies are translated on their first call, not at load: for the trivial
 * module the first call after a load (translation included) is timed too.
 *
 *   bench_load [--tier=compiled] [COMPONENT.wasm]   (without it, the trivial module only)
 *
 * --tier=compiled: the compiled tier (src/wasm/jit) with the code cache in
 * force ($WASMFN_CACHE_DIR...): the first load compiles what the cache
 * lacks (timed alone), the later ones load it from the cache.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/sha256.h"
#include "registry/registry.h"
#include "runtime/runtime.h"
#include "runtime/timer.h"
#include "wasm/jit.h"

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static const char *TRIVIAL =
    "namespace: bench\n"
    "entries:\n"
    "  - name: add\n"
    "    kind: function.wat\n"
    "    source: |\n"
    "      (module (func (export \"add\") (param i32 i32) (result i32)\n"
    "        local.get 0 local.get 1 i32.add))\n"
    "    wit: |\n"
    "      add: func(a: s32, b: s32) -> s32;\n"
    "    method: add\n"
    "    pool: {type: inline}\n";

/* dir/_index.yaml with a function.wasm entry for dir/wasm/c.wasm (a copy of src). */
static bool component_project(const char *dir, const char *src)
{
    uint8_t *bytes;
    size_t len;
    wf_error *e = wf_file_read(src, &bytes, &len);
    if (e) {
        fprintf(stderr, "bench_load: %s\n", e->message);
        wf_error_free(e);
        return false;
    }
    char *wdir = wf_xasprintf("%s/wasm", dir), *wpath = wf_xasprintf("%s/wasm/c.wasm", dir);
    FILE *f = mkdir(wdir, 0755) == 0 ? fopen(wpath, "wb") : NULL;
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    uint8_t digest[WF_SHA256_LEN];
    char hash[WF_SHA256_TEXT_LEN];
    wf_error_free(wf_sha256(bytes, len, digest));
    wf_sha256_format(digest, hash);
    char *yaml = wf_xasprintf("namespace: bench\n"
                              "entries:\n"
                              "  - name: wasm\n"
                              "    kind: fs.directory\n"
                              "    directory: wasm\n"
                              "  - name: js\n"
                              "    kind: function.wasm\n"
                              "    fs: wasm\n"
                              "    path: c.wasm\n"
                              "    hash: %s\n"
                              "    method: add\n"
                              "    pool: {type: inline}\n", hash);
    char *ipath = wf_xasprintf("%s/_index.yaml", dir);
    ok = ok && write_text(ipath, yaml);
    free(bytes);
    free(wdir);
    free(wpath);
    free(yaml);
    free(ipath);
    return ok;
}

/* Loads dir `runs` times: median wall ms, mean CPU ms. With call_id, also
 * the median of register + first call after each load. */
static int time_loads(const char *what, const char *dir, int runs, const char *call_id)
{
    uint64_t wall[runs], first[runs], cpu = 0;
    for (int i = 0; i < runs; i++) {
        uint64_t t0 = wf_now_ns(), c0 = cpu_ns();
        wf_registry *reg = NULL;
        wf_error *e = wf_registry_load(dir, &reg);
        wall[i] = wf_now_ns() - t0;
        cpu += cpu_ns() - c0;
        first[i] = 0;
        if (!e && call_id) {
            wf_runtime *rt = wf_runtime_new();
            e = wf_registry_register(reg, rt);
            wf_val args[2] = { wf_val_sint(WF_VAL_S32, 40), wf_val_sint(WF_VAL_S32, 2) }, r;
            uint64_t f0 = wf_now_ns();
            if (!e) e = wf_runtime_call(rt, call_id, args, 2, &r, NULL);
            first[i] = wf_now_ns() - f0;
            if (!e && r.of.s != 42) e = wf_error_new(WF_ERR_INTERNAL, "%s returned %lld", call_id,
                                                     (long long)r.of.s);
            if (!e) wf_val_free(&r);
            wf_runtime_free(rt);
        }
        wf_registry_free(reg);
        if (e) {
            fprintf(stderr, "bench_load: %s: %s\n", what, e->message);
            wf_error_free(e);
            return 1;
        }
    }
    qsort(wall, (size_t)runs, sizeof wall[0], cmp_u64);
    qsort(first, (size_t)runs, sizeof first[0], cmp_u64);
    printf("%-34s load median %8.2f ms (cpu %8.2f ms)", what, wall[runs / 2] / 1e6,
           (double)cpu / runs / 1e6);
    if (call_id) printf("  first call (translation included) %6.1f us", first[runs / 2] / 1e3);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/wf_bench_load_XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_load: cannot make a directory in /tmp\n");
        return 1;
    }
    int status = 1;
    const char *tier = "interp";
    if (argc > 1 && !strncmp(argv[1], "--tier=", 7)) {
        wf_tier t;
        tier = argv[1] + 7;
        wf_error *e = wf_tier_parse(tier, &t) ? wf_jit_set_tier(t)
                                              : wf_error_new(WF_ERR_INVALID, "unknown tier %s", tier);
        if (e) {
            fprintf(stderr, "bench_load: %s\n", e->message);
            wf_error_free(e);
            return 1;
        }
        argc--;
        argv++;
    }
    bool compiled = strcmp(tier, "interp") != 0;
    char *tdir = wf_xasprintf("%s/trivial", dir), *cdir = wf_xasprintf("%s/component", dir);
    char *tyaml = wf_xasprintf("%s/_index.yaml", tdir);
    if (mkdir(tdir, 0755) != 0 || !write_text(tyaml, TRIVIAL)) goto out;
    if (compiled) printf("tier %s\n", tier);
    status = time_loads("trivial WAT module", tdir, compiled ? 41 : 401, "bench:add");
    if (argc > 1) {
        if (mkdir(cdir, 0755) != 0 || !component_project(cdir, argv[1])) { status = 1; goto out; }
        if (compiled) status |= time_loads("component, first (compiles)", cdir, 1, NULL);
        status |= time_loads(compiled ? "component (12 MB), from the cache" : "componentize-js component (12 MB)",
                             cdir, 9, NULL);
    } else {
        printf("componentize-js component: not built (bench/js-component needs scripts/setup)\n");
    }
out:
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tdir);
    free(cdir);
    free(tyaml);
    return status;
}
