/*
 * compile.c - `wasmfn compile [-v] [--cache-dir DIR] FILE...`: fill the
 * compiled tier's code cache (wasm/jit.h, jit/cache.c) ahead of time, so
 * that later runs load native code instead of compiling. FILE is a core
 * module (.wasm, .wat) or a component, whose core modules are all
 * compiled. One line per file says what was done; on a terminal a
 * progress line shows a compilation that takes over a second.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "cli/cli.h"
#include "component/component.h"
#include "wasm/jit.h"
#include "wasm/module.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: wasmfn compile [-v] [--cache-dir DIR] FILE...\n\n"
            "Compile each FILE (a core module, .wasm or .wat, or a component: all its core\n"
            "modules) with the compiled tier and store the native code in the code cache,\n"
            "so that `--tier=compiled` and `--tier=auto` load it instead of compiling.\n"
            "The cache is DIR, else $WASMFN_CACHE_DIR, else $XDG_CACHE_HOME/wasmfn, else\n"
            "$HOME/.cache/wasmfn. A module already in the cache is only checked.\n"
            "  -v    name the functions left interpreted\n"
            "Exits 0; 1 when a FILE cannot be read or compiled, or there is no cache;\n"
            "2 on a usage error.\n");
}

/* What the compiling thread reports, read by the progress thread. */
typedef struct progress {
    pthread_mutex_t mu;
    const char *file;
    uint32_t module;            /* modules of the file started so far */
    const char *phase;
    uint32_t done, total;
    double module_start;        /* when the module began, ms */
    uint32_t nmodules, ncompiled, ndefined, ncached;
    bool stop, shown;
} progress;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_progress(void *ctx, const char *phase, uint32_t done, uint32_t total)
{
    progress *p = ctx;
    pthread_mutex_lock(&p->mu);
    if (!strcmp(phase, "translate") && done == 0) {
        p->module++;
        p->module_start = now_ms();
    }
    if (!strcmp(phase, "compiled") || !strcmp(phase, "loaded")) {
        p->nmodules++;
        p->ncompiled += done;
        p->ndefined += total;
        p->ncached += !strcmp(phase, "loaded");
        p->phase = NULL;
    } else {
        p->phase = phase;
        p->done = done;
        p->total = total;
    }
    pthread_mutex_unlock(&p->mu);
}

/* Every 200 ms: a module compiling for over a second gets a line. */
static void *ticker(void *arg)
{
    progress *p = arg;
    for (;;) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        double secs = (now_ms() - p->module_start) / 1e3;
        if (p->phase && secs > 1.0) {
            if (!strcmp(p->phase, "units"))
                fprintf(stderr, "\r\033[K%s: module %u: %u of %u units compiled, %.1f s", p->file, p->module,
                        p->done, p->total, secs);
            else
                fprintf(stderr, "\r\033[K%s: module %u: translating (%u functions), %.1f s", p->file, p->module,
                        p->total, secs);
            p->shown = true;
        }
        pthread_mutex_unlock(&p->mu);
    }
}

static wf_error *compile_file(const char *file)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    wf_error *e = wf_file_read(file, &bytes, &len);
    if (e) return e;
    size_t n = strlen(file);
    if (wf_component_is_binary(bytes, len)) {
        wf_component *c = NULL;
        e = wf_component_new(bytes, len, &c);
        if (c) wf_component_free(c);
    } else {
        wf_module *m = NULL;
        e = n > 4 && !strcmp(file + n - 4, ".wat") ? wf_module_from_wat((const char *)bytes, len, &m)
                                                    : wf_module_new(bytes, len, &m);
        if (m) wf_module_free(m);
    }
    free(bytes);
    return e;
}

int wf_cli_compile(int argc, char **argv)
{
    int first = 1;
    const char *dir = NULL;
    bool verbose = false;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return WF_EXIT_OK;
        } else if (!strcmp(a, "-v")) {
            verbose = true;
        } else if (!strcmp(a, "--cache-dir") && first + 1 < argc) {
            dir = argv[++first];
        } else if (!strncmp(a, "--cache-dir=", 12)) {
            dir = a + 12;
        } else {
            fprintf(stderr, "wasmfn compile: unknown option '%s'\n", a);
            help(stderr);
            return WF_EXIT_USAGE;
        }
    }
    if (first >= argc) {
        help(stderr);
        return WF_EXIT_USAGE;
    }
    /* no tier: this build has none, or its compiler library is missing */
    if (!wf_jit_available()) {
        wf_error *e = wf_jit_set_tier(WF_TIER_COMPILED);
        fprintf(stderr, "wasmfn compile: %s\n", e ? e->message : "this build has no compiled tier");
        wf_error_free(e);
        return WF_EXIT_FAIL;
    }
    if (dir) wf_jit_set_cache_dir(dir);
    char *cache = wf_jit_cache_dir();
    if (!cache) {
        fprintf(stderr, "wasmfn compile: no code cache (WASMFN_CACHE_DIR is off, or neither XDG_CACHE_HOME "
                        "nor HOME is set): use --cache-dir DIR\n");
        return WF_EXIT_FAIL;
    }
    wf_error *e = wf_jit_set_tier(WF_TIER_COMPILED);
    if (e) {
        fprintf(stderr, "wasmfn compile: %s\n", e->message);
        wf_error_free(e);
        free(cache);
        return WF_EXIT_FAIL;
    }
    wf_jit_set_verbose(verbose);
    progress p = { .mu = PTHREAD_MUTEX_INITIALIZER };
    wf_jit_set_progress(on_progress, &p);
    pthread_t tick;
    bool ticking = isatty(2) && !pthread_create(&tick, NULL, ticker, &p);
    int status = WF_EXIT_OK;
    for (int i = first; i < argc; i++) {
        pthread_mutex_lock(&p.mu);
        p.file = argv[i];
        p.module = p.nmodules = p.ncompiled = p.ndefined = p.ncached = 0;
        pthread_mutex_unlock(&p.mu);
        double t0 = now_ms();
        e = compile_file(argv[i]);
        pthread_mutex_lock(&p.mu);
        if (p.shown) fprintf(stderr, "\r\033[K");
        p.shown = false;
        pthread_mutex_unlock(&p.mu);
        if (e) {
            fprintf(stderr, "wasmfn compile: %s: %s\n", argv[i], e->message);
            wf_error_free(e);
            status = WF_EXIT_FAIL;
            continue;
        }
        printf("%s: %u of %u functions compiled in %u module%s (%u from the cache), %.0f ms\n", argv[i],
               p.ncompiled, p.ndefined, p.nmodules, p.nmodules == 1 ? "" : "s", p.ncached, now_ms() - t0);
        fflush(stdout);
    }
    if (ticking) {
        pthread_mutex_lock(&p.mu);
        p.stop = true;
        pthread_mutex_unlock(&p.mu);
        pthread_join(tick, NULL);
    }
    wf_jit_set_progress(NULL, NULL);
    if (verbose) fprintf(stderr, "wasmfn compile: code cache %s\n", cache);
    free(cache);
    return status;
}
