/*
 * bench_wasi.c - times one run of a WASI preview 1 command module in
 * wasmfn (or, with --native, of a native program), for bench/wasi_bench.
 *
 * usage: bench_wasi [--time FILE] [--dir DIR] [--tier T] FILE.wasm [ARG...]
 *        bench_wasi [--time FILE] --native PROG [ARG...]
 *
 * The module gets this process's stdin/stdout/stderr, ARG... as arguments,
 * DIR (if given) preopened as "." (sightglass reads its inputs as
 * "./NAME"), and a `bench` host module whose start/end record timestamps.
 * The time written to FILE (milliseconds, then "region" or "run") is the
 * CPU time (user + system) this process spent from bench.start to bench.end
 * when the module called both, else in the whole _start call: time other
 * programs on a busy machine take from it does not count. Compiling and
 * instantiating are never included: the CPU time of loading the module
 * (decoding, validating and, with --tier compiled, compiling it with LLVM)
 * follows as a third field. A native program's time is the CPU
 * time of its whole process (its start included, well under 1 ms).
 * Exit status: the guest's (or program's); 134 after a trap; 3 when the
 * module cannot be loaded or linked; 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "wasi/wasi.h"
#include "wasm/jit.h"
#include "wasmfn.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* bench.start / bench.end: the first start and the last end count. */
struct region {
    double start, end;
    int starts, ends;
};

static wf_error *bench_start(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c, (void)slots;
    struct region *r = env;
    if (!r->starts++) r->start = now_ms();
    return NULL;
}

static wf_error *bench_end(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c, (void)slots;
    struct region *r = env;
    r->end = now_ms();
    r->ends++;
    return NULL;
}

static int fail(const char *file, wf_error *e)
{
    char *s = wf_error_format(e);
    fprintf(stderr, "bench_wasi: %s: %s\n", file, s);
    if (e->trace) fprintf(stderr, "backtrace:\n%s\n", e->trace);
    free(s);
    int status = e->kind == WF_ERR_TRAP ? 134 : 3;
    wf_error_free(e);
    return status;
}

/* Links wasi_snapshot_preview1 and bench; anything else is an error. */
static wf_error *link_imports(wf_store *s, const wf_module *m, wf_wasi_ctx *ctx, struct region *r,
                      wf_extern *imports)
{
    wf_error *e = wf_wasi_p1_link(s, m, ctx, imports);
    const wf_functype *unit = wf_functype_get(NULL, 0, NULL, 0);
    for (uint32_t k = 0; !e && k < wf_module_import_count(m); k++) {
        if (imports[k].of.ptr) continue;
        wf_import_desc d = wf_module_import(m, k);
        bool bench = d.module_len == 5 && !memcmp(d.module, "bench", 5) &&
                     d.kind == WF_EXTERN_FUNC && d.func_type == unit;
        if (bench && d.name_len == 5 && !memcmp(d.name, "start", 5)) {
            imports[k].kind = WF_EXTERN_FUNC;
            imports[k].of.func = wf_func_new_host(s, unit, bench_start, r);
        } else if (bench && d.name_len == 3 && !memcmp(d.name, "end", 3)) {
            imports[k].kind = WF_EXTERN_FUNC;
            imports[k].of.func = wf_func_new_host(s, unit, bench_end, r);
        } else {
            e = wf_error_new(WF_ERR_UNLINKABLE, "unknown import: %.*s::%.*s",
                             (int)d.module_len, d.module, (int)d.name_len, d.name);
        }
    }
    return e;
}

static int run_wasm(const char *dir, int argc, char **argv, double *ms, const char **what,
                    double *load_ms)
{
    const char *file = argv[0];
    uint8_t *bytes = NULL;
    size_t len = 0;
    wf_module *m = NULL;
    wf_error *e = wf_file_read(file, &bytes, &len);
    double l0 = now_ms();
    if (!e) e = wf_module_new(bytes, len, &m);
    *load_ms = now_ms() - l0;
    free(bytes);
    if (e) return fail(file, e);

    wf_wasi_ctx *ctx = wf_wasi_ctx_new(0, 1, 2);
    wf_wasi_ctx_set_args(ctx, (const char *const *)argv, (size_t)argc);
    if (dir) e = wf_wasi_ctx_mount(ctx, dir, ".", true);
    wf_store *store = wf_store_new();
    uint32_t nimp = wf_module_import_count(m);
    wf_extern *imports = calloc(nimp ? nimp : 1, sizeof *imports);
    struct region r = { 0 };
    wf_instance *inst = NULL;
    wf_extern start;
    if (!e) e = link_imports(store, m, ctx, &r, imports);
    if (!e) e = wf_instance_new(store, m, imports, nimp, &inst);
    if (!e && (!wf_instance_export(inst, "_start", 6, &start) || start.kind != WF_EXTERN_FUNC))
        e = wf_error_new(WF_ERR_NOT_FOUND, "no _start function");
    int status = 0;
    if (!e) {
        double t0 = now_ms();
        e = wf_func_call(start.of.func, NULL, 0, NULL, 0);
        double t1 = now_ms();
        bool region = r.starts == 1 && r.ends == 1 && r.end >= r.start;
        *ms = region ? r.end - r.start : t1 - t0;
        *what = region ? "region" : "run";
        if (e && e->kind == WF_ERR_EXIT) {
            status = e->exit_code & 0xff;
            wf_error_free(e);
            e = NULL;
        }
    }
    fflush(stdout);
    if (e) status = fail(file, e);
    free(imports);
    wf_store_free(store);
    wf_module_free(m);
    wf_wasi_ctx_free(ctx);
    return status;
}

static int run_native(char **argv, double *ms)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_wasi: fork");
        return 3;
    }
    if (pid == 0) {
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
    }
    *ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
          (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    const char *time_file = NULL, *dir = NULL;
    bool native = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--time") && i + 1 < argc) time_file = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--native")) native = true;
        else if (!strcmp(argv[i], "--tier") && i + 1 < argc) {
            wf_tier t;
            wf_error *e = NULL;
            if (!wf_tier_parse(argv[++i], &t) || (e = wf_jit_set_tier(t))) {
                fprintf(stderr, "bench_wasi: --tier %s: %s\n", argv[i], e ? e->message : "unknown tier");
                return 2;
            }
        } else break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: bench_wasi [--time FILE] [--dir DIR] [--tier T] FILE.wasm [ARG...]\n"
                        "       bench_wasi [--time FILE] --native PROG [ARG...]\n");
        return 2;
    }
    double ms = -1, load_ms = 0;
    const char *what = "run";
    int status = native ? run_native(argv + i, &ms)
                        : run_wasm(dir, argc - i, argv + i, &ms, &what, &load_ms);
    if (time_file && ms >= 0) {
        FILE *f = fopen(time_file, "w");
        if (f) {
            fprintf(f, "%.3f %s %.1f\n", ms, what, load_ms);
            fclose(f);
        }
    }
    return status;
}
