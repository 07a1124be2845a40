/*
 * jit.c - the compiled tier's driver: the process-wide tier setting, the
 * linker (link.c's own on x86-64: a unit's object becomes an image that is
 * cached and mapped; elsewhere, or with WASMFN_JIT_LINKER=orc, one LLVM
 * ORC LLJIT for the process, made on first use, with the helpers of rt.c
 * as absolute symbols, fed the object files), and per module its units of
 * compilation (unit.c): each from the on-disk code cache (cache.c) or
 * compiled, linked and installed, function by
 * function, in the module's table of native functions (wf_module.
 * jit_natives, which compiled code calls through) and in the interpreter's
 * code (JIT_ENTER, wf_code_set_native), so both tiers reach it.
 *
 * The tiers:
 *   compiled  wf_jit_compile_module compiles every unit before it returns,
 *             on one thread per CPU;
 *   auto      it leaves every unit to one background thread, which loads
 *             it from the disk cache or compiles it while the module
 *             runs interpreted, the units whose functions were called
 *             the most so far first (the interpreter counts the calls of
 *             each function, ENTER_COUNTED). A function switches to native
 *             code when its unit is installed: calls in flight finish in
 *             the tier they started in.
 *
 * A module's native code (jit_code) is named after its cache key and
 * shared by every module of the process with the same bytes; it is owned
 * by its units' mappings (or a resource tracker of the ORC JIT) and
 * released with the last of them
 * (wf_jit_module_free). g_lock guards the list of codes and their state;
 * LLVM work runs outside it.
 *
 * Tier-up (upgrade_batch): the cheap units' code (unit.c: the fast pipeline
 * a big function, and every function of a module over 2 MB of code, gets)
 * counts each function's heat in wf_module.jit_heat (an increment at its
 * entry and at each loop header, translate.c's count_heat) and calls every
 * defined function through wf_module.jit_natives, never directly. Once a
 * code's units are all installed, the background thread (also started by
 * the compiled tier for a code with such functions) looks at the counters
 * every WF_JIT_TIERUP_POLL_MS, halves them every WASMFN_JIT_TIERUP_DECAY_MS
 * (decay_heat: what is hot now counts), and compiles the hottest functions
 * past the threshold (WASMFN_JIT_TIERUP_HEAT) again at the full level, up
 * to WASMFN_JIT_TIERUP_BATCH of them together in a unit of their own
 * (pick_upgrades; level UPGRADE, symbols of its own prefix), links it with
 * the tier's linker and installs it as a unit is installed: in jit_natives,
 * so every compiled caller reaches it at its next call, and in the
 * interpreter's code. Calls in flight finish in the code they started in;
 * the old code stays mapped until the code is freed. Bounds: after each
 * upgrade the thread rests as long as the upgrade took (at most half a
 * CPU, at nice 10); at most WASMFN_JIT_TIERUP_MAX functions per module; a
 * function over WASMFN_JIT_TIERUP_BYTES stays cheap (-O2 is super-linear
 * in its size). An upgrade's unit holds copies of the small functions its
 * functions call (translate.c's pull_callee), so LLVM may inline them as
 * inside a unit. Each upgrade unit goes into the disk cache (key: the
 * module's, the functions, the level) and so does a record of the
 * module's upgrade units, which the
 * next process reads once the units are installed (load_upgrades) to
 * install them from the cache at load: no recompilation, no warm-up again.
 * WASMFN_JIT_TIERUP=0 turns it off (cheap code still counts: the code in
 * the cache is the same either way).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/vec.h"
#include "wasm/jit/jit_int.h"

/* The background compilation's nice value (10: about a tenth of a
 * foreground thread's share of a busy CPU). */
#define WF_JIT_BACKGROUND_NICE 10

static wf_tier g_tier = WF_TIER_INTERP;
static bool g_verbose;
static int g_opt_level = 2;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;  /* a unit done, a module no longer read */
static bool g_ready;
static char *g_init_error;             /* why the JIT could not be made */
static bool g_own_linker;              /* link.c, not ORC */
static unsigned g_serial;

struct jit_code;
struct up_map {
    uint8_t *map;
    size_t len;
};

typedef struct jit_module {
    struct jit_code *code;
    wf_jit_stats stats;
} jit_module;

/* The tier-up's settings (tierup_settings): WASMFN_JIT_TIERUP=0 turns it
 * off; WASMFN_JIT_TIERUP_HEAT, the heat (calls and loop iterations) that
 * makes a function a candidate (0, for tests: every candidate upgraded at
 * load, on the compiled tier); WASMFN_JIT_TIERUP_MAX, the most functions
 * upgraded per module. */
#define WF_JIT_TIERUP_HEAT 10000u
#define WF_JIT_TIERUP_MAX 256u
/* How often the background thread looks for hot functions (ms). */
#define WF_JIT_TIERUP_POLL_MS 100
/* WASMFN_JIT_TIERUP_BYTES: the largest function upgraded (bytes of wasm
 * code; -O2's time grows faster than the code, see docs/instances.md);
 * WASMFN_JIT_TIERUP_BATCH: the most functions upgraded together in one
 * unit (one LLVM run, calls between them direct, the callees they pull
 * in copied once), up to WF_JIT_TIERUP_UNIT_BYTES unless one function
 * alone is bigger; WASMFN_JIT_TIERUP_DECAY_MS: every heat counter is
 * halved this often (0: never), so the upgrades go to the functions hot
 * now. */
#define WF_JIT_TIERUP_BYTES (96u << 10)
#define WF_JIT_TIERUP_BATCH 8u
#define WF_JIT_TIERUP_BATCH_MAX 64u
#define WF_JIT_TIERUP_UNIT_BYTES (48u << 10)
#define WF_JIT_TIERUP_DECAY_MS 1000u
static struct {
    bool read, on;
    uint32_t heat, max, bytes, batch, decay_ms;
} g_tierup;
static double g_decay_next;     /* the heat's next halving (now_ms) */
static double g_up_next;        /* no upgrade before (now_ms): the rate bound */

static wf_jit_progress_fn g_progress;
static void *g_progress_ctx;
static char *g_cpu, *g_features;       /* the host's, for cache keys */

/* The tier is there when its compiler library is (lib.c: found, not
 * loaded; a library that then fails to load is reported at the first
 * compilation, and the modules stay interpreted). */
bool wf_jit_available(void) { return wf_jit_lib_found(NULL); }

wf_error *wf_jit_set_tier(wf_tier t)
{
    const char *why;
    if (t == WF_TIER_COMPILED && !wf_jit_lib_found(&why))
        return wf_error_new(WF_ERR_UNSUPPORTED, "the compiled tier is unavailable: %s", why);
    g_tier = t;
    /* auto compiles the most called units first: the interpreter counts */
    wf_code_count_calls(t == WF_TIER_AUTO);
    return NULL;
}

wf_tier wf_jit_tier(void) { return g_tier; }

void wf_jit_set_verbose(bool on) { g_verbose = on; }

void wf_jit_set_opt_level(int level) { g_opt_level = level < 0 ? 0 : level > 3 ? 3 : level; }

/* The host's CPU name and features as LLVM sees them, once the compiler
 * library is loaded (load_compiler). */
static char *g_llvm_cpu, *g_llvm_features;
static bool g_host_recorded;           /* g_cpu came from the cache's record (host.c) */
static char *g_host_features;          /* the record's features */
static pthread_once_t g_compiler_once = PTHREAD_ONCE_INIT;
static const wf_jit_compiler *g_compiler;
static const char *g_compiler_why;

static void load_compiler(void)
{
    const wf_jit_compiler *jc = wf_jit_compiler_get(&g_compiler_why);
    if (!jc) return;
    if (!jc->init(&g_llvm_cpu, &g_llvm_features)) {
        g_compiler_why = "LLVM has no native target";
        return;
    }
    if (g_verbose) fprintf(stderr, "wasmfn: compiled tier: the compiler library is loaded\n");
    /* A recorded host that LLVM does not confirm is recorded again (this
     * process's keys are off: it compiles what it does not find). */
    if (g_host_recorded && (strcmp(g_cpu, g_llvm_cpu) || strcmp(g_host_features, g_llvm_features))) {
        if (g_verbose) fprintf(stderr, "wasmfn: compiled tier: the code cache's record of this CPU was wrong\n");
        wf_jit_host_store(g_llvm_cpu, g_llvm_features);
    }
    g_compiler = jc;
}

/* The compiler library, loaded and LLVM's target made ready on first need
 * (lib.c); NULL and *err set when it is unavailable. Any thread. */
static const wf_jit_compiler *compiler(wf_error **err)
{
    pthread_once(&g_compiler_once, load_compiler);
    if (!g_compiler) *err = wf_error_new(WF_ERR_UNSUPPORTED, "the compiler library is unavailable: %s", g_compiler_why);
    return g_compiler;
}

/* Under g_lock: the tier made ready once: the host's CPU for the cache
 * keys, and the linker. The host as the code cache recorded it when an
 * earlier process asked LLVM (host.c): a load whose units all come from
 * the cache then never loads the compiler library (ORC always needs it). */
static bool jit_ready(void)
{
    if (g_ready) return !g_init_error;
    g_ready = true;
    const char *linker = getenv("WASMFN_JIT_LINKER");
    g_own_linker = wf_jit_image_supported() && !(linker && !strcmp(linker, "orc"));
    char *cpu = NULL, *features = NULL;
    g_host_recorded = g_own_linker && wf_jit_host_load(&cpu, &features);
    if (!g_host_recorded) {
        wf_error *err = NULL;
        if (!compiler(&err)) {
            g_init_error = wf_xstrdup(err->message);
            wf_error_free(err);
            return false;
        }
        cpu = wf_xstrdup(g_llvm_cpu);
        features = wf_xstrdup(g_llvm_features);
        wf_jit_host_store(cpu, features);
    }
    /* The linker is part of the cache key: its entries are images or
     * object files. */
    g_cpu = cpu;
    g_features = wf_xasprintf("%s|%s", features, g_own_linker ? "image" : "orc");
    g_host_features = features;
    /* Our own linker needs no LLVM object to map a cached unit: a load
     * whose units all come from the cache makes none (each compilation
     * makes its own target machine, and reports a host LLVM cannot
     * target). ORC needs its JIT, made here, with the helpers compiled
     * code calls. */
    if (g_own_linker) return true;
    static void *const helpers[] = {
#define WF_H_(n, sig) (void *)n,
        WF_JIT_RT_HELPERS(WF_H_)
#undef WF_H_
    };
    char *e = g_compiler->orc_init(helpers);
    if (e) g_init_error = wf_xasprintf("the LLVM JIT is unavailable: %s", e);
    free(e);
    return !e;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *func_name(const wf_module *m, uint32_t fi)
{
    return m->funcs[fi].name ? m->funcs[fi].name : "";
}

enum { UNIT_PENDING, UNIT_BUSY, UNIT_DONE };

/* A module using a code, and how many workers are translating from it
 * (it is not freed meanwhile). */
typedef struct user {
    struct user *next;
    wf_module *m;
    unsigned readers;
} user;

/* A module's native code in the JIT, shared by every module of this
 * process with the same bytes (the same key): its symbols are named after
 * the key, so they can be defined once only. Under g_lock. */
typedef struct jit_code {
    struct jit_code *next;
    uint8_t key[WF_SHA256_LEN];
    bool keyed;                 /* key is a cache key (else a serial prefix) */
    char prefix[40];
    unsigned refs;              /* users and workers */
    user *users;
    void *rt;                   /* ORC: its resource tracker */
    uint8_t **maps;             /* link.c: per unit, its mapping (NULL: none) */
    size_t *map_lens;
    uint32_t ndef, nimports;
    void **natives;             /* per defined function: f<i>, NULL: interpreted (wf_module.jit_natives) */
    wf_word *entries;           /* per defined function: e<i>, 0: interpreted */
    wf_jit_unit *units;
    uint8_t *state;             /* per unit */
    uint32_t nunits, npending, nbusy;
    uint32_t ncompiled;         /* functions installed */
    uint32_t nloaded;           /* units from the disk cache */
    double t_attach;            /* when it was made (now_ms), for WASMFN_JIT_TRACE */
    bool background;            /* its pending units are the background thread's */
    /* Tier-up (upgrade_batch): */
    uint32_t *heat;             /* per defined function, counted by cheap code (wf_module.jit_heat) */
    uint8_t *up;                /* per defined function: UP_* */
    char up_prefix[48];         /* the upgrades' symbols */
    bool tierup;                /* it has functions to upgrade, under the limit */
    bool up_loaded;             /* the cache's record of upgrades was read (load_upgrades) */
    uint32_t nupgraded, nupgraded_cached;
    uint32_t decays;            /* heat halvings (decay_heat) */
    double up_cpu_ms;           /* CPU spent compiling upgrades */
    WF_VEC(struct up_map) up_maps;  /* link.c: the upgrades' mappings */
    WF_VEC(wf_jit_unit) up_units;   /* the upgrade units installed (their funcs owned) */
} jit_code;

/* A function's tier-up state: not (yet) upgraded, being upgraded,
 * upgraded, or never (not cheap code, too big, or it failed). */
enum { UP_NONE, UP_BUSY, UP_DONE, UP_NEVER };

static jit_code *g_codes;
static bool g_bg_started, g_exiting;
static unsigned g_bg_busy;      /* the background thread is inside LLVM */

static void report(const char *phase, uint32_t done, uint32_t total)
{
    if (g_progress) g_progress(g_progress_ctx, phase, done, total);
}

static char *unit_why(const wf_jit_unit *u)
{
    return wf_xasprintf("too big for the compiled tier (%u bytes of code)", u->bytes);
}

/* Under g_lock: unit u's functions run natively in every module using c
 * (addresses from the unit's table). */
static void install_unit(jit_code *c, const wf_jit_unit *u, void *const *table)
{
    for (uint32_t k = 0; k < u->count; k++) {
        uint32_t d = u->funcs[k];
        void *fn = table[2 * k], *entry = table[2 * k + 1];
        if (!fn || !entry) continue;
        if (c->up[d] == UP_DONE) {
            /* upgraded already (from the cache, before this unit: auto) */
            c->ncompiled++;
            continue;
        }
        c->entries[d] = (wf_word)entry;
        __atomic_store_n(&c->natives[d], fn, __ATOMIC_RELEASE);
        c->ncompiled++;
        for (user *us = c->users; us; us = us->next)
            wf_code_set_native(us->m->funcs[us->m->nfunc_imports + d].code, (wf_word)entry);
    }
}

/* ORC: add unit u's object to the JIT and find its table. */
static wf_error *orc_link(jit_code *c, const wf_jit_unit *u, const char *prefix, const uint8_t *obj, size_t len,
                          void *const **table)
{
    char name[64];
    snprintf(name, sizeof name, "%su%u", prefix, u->funcs[0]);
    wf_error *err = NULL;
    const wf_jit_compiler *jc = compiler(&err);
    return jc ? jc->orc_link(c->rt, obj, len, name, table) : err;
}

/* Unit u of c (its symbols named with prefix), compiled into object
 * bytes[0..len) (taken): stored in the disk cache when c is keyed, linked
 * (our linker: mapped at *map, *maplen), its table found. */
static wf_error *link_obj(jit_code *c, const wf_jit_unit *u, const char *prefix, uint8_t *bytes, size_t len,
                          bool verbose, uint8_t **map, size_t *maplen, void *const **table)
{
    uint8_t ukey[WF_SHA256_LEN];
    if (c->keyed) wf_jit_cache_unit_key(c->key, u, ukey);
    if (!g_own_linker) {
        if (c->keyed) {
            wf_error *se = wf_jit_cache_store(ukey, u->count, NULL, 0, bytes, len);
            if (se && verbose) fprintf(stderr, "wasmfn: compiled tier: %s\n", se->message);
            wf_error_free(se);
        }
        wf_error *err = orc_link(c, u, prefix, bytes, len, table);
        free(bytes);
        return err;
    }
    char name[64];
    snprintf(name, sizeof name, "%su%u", prefix, u->funcs[0]);
    wf_buf desc = { 0 }, image = { 0 };
    wf_error *err = wf_jit_image_link(bytes, len, name, &desc, &image);
    free(bytes);
    if (!err && c->keyed) {
        wf_error *se = wf_jit_cache_store(ukey, u->count, desc.data, desc.len, image.data, image.len);
        if (se && verbose) fprintf(stderr, "wasmfn: compiled tier: %s\n", se->message);
        wf_error_free(se);
    }
    if (!err) err = wf_jit_image_map(image.data, image.len, desc.data, desc.len, map, maplen, table);
    wf_buf_free(&desc);
    wf_buf_free(&image);
    return err;
}

/* Unit u of c (symbols named with prefix) from the disk cache, linked
 * (our linker: mapped at *map, *maplen); false when it is not there. */
static bool load_cached_obj(jit_code *c, const wf_jit_unit *u, const char *prefix, uint8_t **map, size_t *maplen,
                            void *const **table)
{
    if (!c->keyed) return false;
    uint8_t ukey[WF_SHA256_LEN];
    wf_jit_cache_unit_key(c->key, u, ukey);
    wf_jit_entry en;
    wf_jit_cache_status cs = wf_jit_cache_load(ukey, u->count, &en);
    /* an entry of the other linker's kind is of no use here */
    if (cs == WF_JIT_CACHE_HIT && (en.desclen != 0) != g_own_linker) {
        munmap(en.map, en.map_len);
        cs = WF_JIT_CACHE_BAD;
    }
    if (cs == WF_JIT_CACHE_BAD && g_verbose)
        fprintf(stderr, "wasmfn: compiled tier: a damaged code cache entry is ignored and rebuilt\n");
    if (cs != WF_JIT_CACHE_HIT) return false;
    wf_error *e;
    if (g_own_linker) {
        /* Where it lies in the file's mapping; a copy where the cache's file
         * system does not let code run from it (noexec). */
        e = wf_jit_image_place(en.blob, en.bloblen, en.desc, en.desclen, table);
        if (!e) {
            *map = en.map;
            *maplen = en.map_len;
        } else {
            wf_error_free(e);
            e = wf_jit_image_map(en.blob, en.bloblen, en.desc, en.desclen, map, maplen, table);
            munmap(en.map, en.map_len);
        }
    } else {
        e = orc_link(c, u, prefix, en.blob, en.bloblen, table);
        munmap(en.map, en.map_len);
    }
    if (e) {
        if (g_verbose) fprintf(stderr, "wasmfn: compiled tier: a cached unit: %s\n", e->message);
        wf_error_free(e);
        return false;
    }
    return true;
}

static bool load_cached(jit_code *c, uint32_t ui, void *const **table)
{
    return load_cached_obj(c, &c->units[ui], c->prefix, &c->maps[ui], &c->map_lens[ui], table);
}

typedef struct reading {
    user *us;
    bool done;
} reading;

/* The unit's translation no longer reads the module. */
static void translated(void *ctx)
{
    reading *r = ctx;
    if (r->done) return;
    r->done = true;
    pthread_mutex_lock(&g_lock);
    r->us->readers--;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_lock);
}

static void code_release(jit_code *c);

/* How hot unit u is: the interpreted calls of its functions counted so
 * far (ENTER_COUNTED, interp.c), plus one per function called at all
 * (translated at its first call, which is not counted). */
static uint64_t unit_heat(const jit_code *c, const wf_jit_unit *u)
{
    const wf_module *m = c->users->m;
    uint64_t n = 0;
    for (uint32_t k = 0; k < u->count; k++) {
        const struct wf_code *code = m->funcs[m->nfunc_imports + u->funcs[k]].code;
        n += wf_code_is_translated(code) + wf_code_calls(code);
    }
    return n;
}

/* Under g_lock: the settings, read once. */
static void tierup_settings(void)
{
    if (g_tierup.read) return;
    g_tierup.read = true;
    const char *on = getenv("WASMFN_JIT_TIERUP");
    g_tierup.on = !(on && !strcmp(on, "0"));
    g_tierup.heat = wf_jit_env_u32("WASMFN_JIT_TIERUP_HEAT", WF_JIT_TIERUP_HEAT);
    g_tierup.max = wf_jit_env_u32("WASMFN_JIT_TIERUP_MAX", WF_JIT_TIERUP_MAX);
    g_tierup.bytes = wf_jit_env_u32("WASMFN_JIT_TIERUP_BYTES", WF_JIT_TIERUP_BYTES);
    g_tierup.batch = WF_MIN(WF_MAX(wf_jit_env_u32("WASMFN_JIT_TIERUP_BATCH", WF_JIT_TIERUP_BATCH), 1u),
                            WF_JIT_TIERUP_BATCH_MAX);
    g_tierup.decay_ms = wf_jit_env_u32("WASMFN_JIT_TIERUP_DECAY_MS", WF_JIT_TIERUP_DECAY_MS);
}

/* pick_upgrades (below), among the functions of at most max_len bytes. */
static uint32_t pick_upgrades_within(const jit_code *c, uint32_t *out, uint32_t *heat, uint32_t max_len)
{
    const wf_module *m = c->users ? c->users->m : NULL;
    uint32_t n = 0, bytes = 0, below = UINT32_MAX;
    *heat = 0;
    uint32_t room = g_tierup.max > c->nupgraded ? g_tierup.max - c->nupgraded : 0;
    while (n < g_tierup.batch && n < room) {
        /* the hottest candidate below the last one taken (ties: the lower
         * index first) */
        uint32_t pick = UINT32_MAX, best = 0;
        for (uint32_t d = 0; d < c->ndef; d++) {
            if (c->up[d] != UP_NONE || !c->natives[d]) continue;
            if (m && m->funcs[m->nfunc_imports + d].code->body_len > max_len) continue;
            uint32_t h = __atomic_load_n(&c->heat[d], __ATOMIC_RELAXED);
            if (h < g_tierup.heat || h > below || (pick != UINT32_MAX && h <= best)) continue;
            bool taken = false;
            for (uint32_t k = 0; k < n && !taken; k++) taken = out[k] == d;
            if (taken) continue;
            pick = d;
            best = h;
        }
        if (pick == UINT32_MAX) break;
        uint32_t len = m ? (uint32_t)m->funcs[m->nfunc_imports + pick].code->body_len : 0;
        if (n && bytes + len > WF_JIT_TIERUP_UNIT_BYTES) break;
        if (!n) *heat = best;
        out[n++] = pick;
        bytes += len;
        below = best;
    }
    /* index order: the unit's cache key names the same set the same way */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t k = i; k > 0 && out[k - 1] > out[k]; k--) {
            uint32_t t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

/* Under g_lock: c's hottest functions to upgrade together (at most
 * g_tierup.batch, the hottest first, and after the first only while the
 * unit stays within WF_JIT_TIERUP_UNIT_BYTES) into out, in index order;
 * their count (0: none has passed the threshold), the hottest's heat in
 * *heat. A function bigger than a unit goes only when no smaller one has
 * passed the threshold: its -O2 takes seconds (5-7 s of CPU for a 72 KB
 * one), on a busy machine more than a short process lives, and a process
 * that ends first loses it and every upgrade queued behind it. */
static uint32_t pick_upgrades(const jit_code *c, uint32_t *out, uint32_t *heat)
{
    uint32_t n = pick_upgrades_within(c, out, heat, WF_JIT_TIERUP_UNIT_BYTES);
    return n ? n : pick_upgrades_within(c, out, heat, UINT32_MAX);
}

/* Under g_lock: every cheap function's heat of c halved, every
 * g_tierup.decay_ms: a function must be hot now to be upgraded, not have
 * been once (a racing increment may be lost, as any). */
static void decay_heat(jit_code *c)
{
    for (uint32_t d = 0; d < c->ndef; d++) {
        if (c->up[d] != UP_NONE) continue;
        uint32_t h = __atomic_load_n(&c->heat[d], __ATOMIC_RELAXED);
        if (h) __atomic_store_n(&c->heat[d], h / 2, __ATOMIC_RELAXED);
    }
    c->decays++;
}

/* The upgrade unit of functions ds[0..n) (index order), at the upgrade's
 * level (its cache key names the module, the functions and the level). */
static wf_jit_unit upgrade_unit(uint32_t *ds, uint32_t n)
{
    wf_jit_unit u = { .funcs = ds, .count = n, .level = WF_JIT_LEVEL_UPGRADE };
    return u;
}

/* The key of c's record of upgrades: a unit of no functions at the
 * upgrade's level. */
static void record_key(const jit_code *c, uint8_t key[WF_SHA256_LEN])
{
    wf_jit_unit none = { .funcs = NULL, .count = 0, .level = WF_JIT_LEVEL_UPGRADE };
    wf_jit_cache_unit_key(c->key, &none, key);
}

/* Under g_lock: function d of c runs its upgrade (f, e) in every module
 * using c, for calls made from now on. */
static void install_upgrade(jit_code *c, uint32_t d, void *fn, void *entry)
{
    c->entries[d] = (wf_word)entry;
    __atomic_store_n(&c->natives[d], fn, __ATOMIC_RELEASE);
    for (user *us = c->users; us; us = us->next)
        wf_code_set_native(us->m->funcs[us->m->nfunc_imports + d].code, (wf_word)entry);
}

/* Under g_lock (released meanwhile): c's record of upgrades, its upgrade
 * units and then the new one, written to the disk cache, so that the next
 * process installs them at load (load_upgrades): per upgrade unit, its
 * count of functions and their indices (u32 little-endian each). */
static void save_record(jit_code *c, const wf_jit_unit *new_unit)
{
    if (!c->keyed) return;
    wf_buf b = { 0 };
    for (size_t i = 0; i <= c->up_units.len; i++) {
        const wf_jit_unit *u = i < c->up_units.len ? &c->up_units.data[i] : new_unit;
        wf_buf_u32le(&b, u->count);
        for (uint32_t k = 0; k < u->count; k++) wf_buf_u32le(&b, u->funcs[k]);
    }
    uint8_t key[WF_SHA256_LEN];
    record_key(c, key);
    pthread_mutex_unlock(&g_lock);
    wf_error *e = wf_jit_cache_store(key, 0, NULL, 0, b.data, b.len);
    if (e && g_verbose) fprintf(stderr, "wasmfn: compiled tier: %s\n", e->message);
    wf_error_free(e);
    wf_buf_free(&b);
    pthread_mutex_lock(&g_lock);
}

static uint32_t read_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Under g_lock: upgrade unit u of c (funcs taken) installed from table
 * (f, e per function); a function without code in it stays as it was
 * (never: a failed compile). */
static void install_upgrade_unit(jit_code *c, wf_jit_unit u, void *const *table, uint8_t failed)
{
    for (uint32_t k = 0; k < u.count; k++) {
        uint32_t d = u.funcs[k];
        if (table[2 * k] && table[2 * k + 1]) {
            c->up[d] = UP_DONE;
            install_upgrade(c, d, table[2 * k], table[2 * k + 1]);
            c->nupgraded++;
        } else {
            c->up[d] = failed;
        }
    }
    wf_vec_push(&c->up_units, u);
}

/* Under g_lock (released meanwhile), every unit of c done: the upgrade
 * units an earlier process made (the cache's record), installed from the
 * cache; the functions of one no longer there stay candidates. */
static void load_upgrades(jit_code *c)
{
    c->up_loaded = true;
    if (!c->keyed || !c->tierup) return;
    uint8_t key[WF_SHA256_LEN];
    record_key(c, key);
    c->refs++;
    pthread_mutex_unlock(&g_lock);
    wf_jit_entry rec;
    uint32_t n = 0, *list = NULL;
    if (wf_jit_cache_load(key, 0, &rec) == WF_JIT_CACHE_HIT) {
        n = (uint32_t)(rec.bloblen / 4);
        list = wf_xcalloc(n + 1, sizeof *list);
        for (uint32_t i = 0; i < n; i++) list[i] = read_u32le(rec.blob + 4 * i);
        munmap(rec.map, rec.map_len);
    }
    pthread_mutex_lock(&g_lock);
    for (uint32_t i = 0; i < n;) {
        uint32_t count = list[i++];
        if (!count || count > n - i) break;  /* not a record of this engine's */
        uint32_t *ds = wf_xcalloc(count, sizeof *ds);
        memcpy(ds, list + i, count * sizeof *ds);
        i += count;
        bool ok = c->nupgraded + count <= g_tierup.max;
        for (uint32_t k = 0; k < count && ok; k++)
            ok = ds[k] < c->ndef && c->up[ds[k]] == UP_NONE && c->natives[ds[k]];
        if (!ok) {
            free(ds);
            continue;
        }
        for (uint32_t k = 0; k < count; k++) c->up[ds[k]] = UP_BUSY;
        pthread_mutex_unlock(&g_lock);
        wf_jit_unit u = upgrade_unit(ds, count);
        struct up_map um = { 0 };
        void *const *table = NULL;
        bool hit = load_cached_obj(c, &u, c->up_prefix, &um.map, &um.len, &table);
        pthread_mutex_lock(&g_lock);
        if (um.map) wf_vec_push(&c->up_maps, um);
        if (hit) {
            uint32_t before = c->nupgraded;
            install_upgrade_unit(c, u, table, UP_NONE);
            c->nupgraded_cached += c->nupgraded - before;
        } else {
            for (uint32_t k = 0; k < count; k++) c->up[ds[k]] = UP_NONE;
            free(ds);
        }
    }
    free(list);
    if (c->nupgraded_cached && g_verbose)
        fprintf(stderr, "wasmfn: compiled tier: %u functions upgraded from the code cache\n", c->nupgraded_cached);
    if (c->nupgraded >= g_tierup.max) c->tierup = false;
    code_release(c);
}

/* Under g_lock (released meanwhile): compile functions ds[0..n) of c
 * (index order; their heat passed the threshold) at the full
 * level, together in one unit of their own, link it, store it in the
 * disk cache with the record of c's upgrades, and install it. Calls in
 * flight finish in the code they started in; the old code stays mapped
 * until c is freed. */
static void upgrade_batch(jit_code *c, const uint32_t *ds, uint32_t n)
{
    uint32_t *funcs = wf_xcalloc(n, sizeof *funcs);
    memcpy(funcs, ds, n * sizeof *funcs);
    for (uint32_t k = 0; k < n; k++) c->up[funcs[k]] = UP_BUSY;
    c->refs++;
    reading r = { .us = c->users, .done = false };
    r.us->readers++;
    wf_module *m = r.us->m;
    bool verbose = g_verbose;
    int opt = g_opt_level;
    pthread_mutex_unlock(&g_lock);

    double c0 = thread_cpu_ms();
    wf_jit_unit u = upgrade_unit(funcs, n);
    for (uint32_t k = 0; k < n; k++) u.bytes += (uint32_t)m->funcs[m->nfunc_imports + funcs[k]].code->body_len;
    bool *compiled = wf_xcalloc(n, sizeof *compiled);
    char **why = wf_xcalloc(n, sizeof *why);
    uint32_t ncompiled = 0;
    uint8_t *obj = NULL;
    size_t objlen = 0;
    wf_error *err = NULL;
    const wf_jit_compiler *jc = compiler(&err);
    if (jc)
        err = jc->build_unit(m, &u, c->up_prefix, opt, verbose, translated, &r, compiled, why, &ncompiled, &obj,
                             &objlen);
    translated(&r);
    struct up_map um = { 0 };
    void *const *table = NULL;
    if (!err && ncompiled) err = link_obj(c, &u, c->up_prefix, obj, objlen, verbose, &um.map, &um.len, &table);
    else free(obj);
    double cpu = thread_cpu_ms() - c0;

    pthread_mutex_lock(&g_lock);
    c->up_cpu_ms += cpu;
    /* The rate bound: the thread rests as long as the upgrade took, so
     * upgrades take at most half of a CPU. */
    g_up_next = now_ms() + cpu;
    if (um.map) wf_vec_push(&c->up_maps, um);
    if (!err && table) {
        uint32_t before = c->nupgraded;
        /* The record first: once the upgrade shows (stats), a new process
         * finds it; then the code (a function it has no code for: never). */
        save_record(c, &u);
        install_upgrade_unit(c, u, table, UP_NEVER);
        for (uint32_t k = 0; k < n && verbose; k++) {
            uint32_t fi = m->nfunc_imports + funcs[k];
            if (c->up[funcs[k]] == UP_DONE)
                fprintf(stderr, "wasmfn: compiled tier: function %u %s upgraded to -O%d (heat %u, %u bytes; "
                        "%u of %u functions in %.0f ms CPU)\n", fi, func_name(m, fi), opt,
                        __atomic_load_n(&c->heat[funcs[k]], __ATOMIC_RELAXED), (unsigned)m->funcs[fi].code->body_len,
                        c->nupgraded - before, n, cpu);
        }
    } else {
        for (uint32_t k = 0; k < n; k++) c->up[funcs[k]] = UP_NEVER;
        if (verbose)
            fprintf(stderr, "wasmfn: compiled tier: %u functions from %u stay cheap: %s\n", n,
                    c->nimports + funcs[0], err ? err->message : "not compiled");
        free(funcs);
    }
    for (uint32_t k = 0; k < n; k++) {
        if (why[k] && verbose) fprintf(stderr, "wasmfn: compiled tier: %s\n", why[k]);
        free(why[k]);
    }
    free(why);
    free(compiled);
    if (c->nupgraded >= g_tierup.max) c->tierup = false;
    wf_error_free(err);
    code_release(c);
}

/* Under g_lock: c's upgrades may run (its units all done, a module to
 * read). */
static bool tierup_ready(const jit_code *c)
{
    return c->tierup && c->users && !c->npending && !c->nbusy;
}

/* Under g_lock: c's pending unit to take next (UINT32_MAX: none); hot:
 * the hottest (its heat in *heat), else the first. */
static uint32_t pick_unit(const jit_code *c, bool hot, uint64_t *heat)
{
    uint32_t pick = UINT32_MAX;
    *heat = 0;
    if (!c->npending || !c->users) return pick;
    for (uint32_t i = 0; i < c->nunits; i++) {
        if (c->state[i] != UNIT_PENDING) continue;
        if (!hot) return i;
        uint64_t h = unit_heat(c, &c->units[i]);
        if (pick == UINT32_MAX || h > *heat) {
            pick = i;
            *heat = h;
        }
    }
    return pick;
}

/* Under g_lock: take a pending unit of c and compile (or load) it, then
 * install it; false when c has none or no module to read it from.
 * hot: the unit whose functions were called the most so far first. */
static bool work_one(jit_code *c, bool hot)
{
    uint64_t best;
    uint32_t pick = pick_unit(c, hot, &best);
    if (pick == UINT32_MAX) return false;
    const wf_jit_unit *u = &c->units[pick];
    double t_attach = c->t_attach;
    c->state[pick] = UNIT_BUSY;
    c->npending--;
    c->nbusy++;
    c->refs++;
    reading r = { .us = c->users, .done = false };
    r.us->readers++;
    wf_module *m = r.us->m;
    bool verbose = g_verbose;
    int opt = g_opt_level;
    pthread_mutex_unlock(&g_lock);

    void *const *table = NULL;
    wf_error *err = NULL;
    bool cached = load_cached(c, pick, &table);
    uint32_t ncompiled = 0;
    if (cached) {
        translated(&r);
    } else {
        bool *compiled = wf_xcalloc(u->count + 1, sizeof *compiled);
        char **why = wf_xcalloc(u->count + 1, sizeof *why);
        uint8_t *obj = NULL;
        size_t objlen = 0;
        double t0 = now_ms(), c0 = thread_cpu_ms();
        const wf_jit_compiler *jc = compiler(&err);
        if (jc)
            err = jc->build_unit(m, u, c->prefix, opt, verbose, translated, &r, compiled, why, &ncompiled, &obj,
                                 &objlen);
        translated(&r);
        if (getenv("WASMFN_JIT_TRACE"))
            fprintf(stderr, "wasmfn: compiled tier: unit of %u functions from %u (%u bytes, level %d, heat %llu): "
                    "%.0f ms, %.0f ms CPU, done %.0f ms after the module's load\n",
                    u->count, u->funcs[0], u->bytes, u->level, (unsigned long long)best, now_ms() - t0,
                    thread_cpu_ms() - c0, now_ms() - t_attach);
        for (uint32_t k = 0; k < u->count; k++) {
            if (why[k] && verbose)
                fprintf(stderr, "wasmfn: compiled tier: %s\n", why[k]);
            free(why[k]);
        }
        free(why);
        free(compiled);
        if (!err) err = link_obj(c, u, c->prefix, obj, objlen, verbose, &c->maps[pick], &c->map_lens[pick], &table);
        else free(obj);
    }
    if (err) {
        fprintf(stderr, "wasmfn: compiled tier: %u functions from %u on stay interpreted: %s\n", u->count,
                c->nimports + u->funcs[0], err->message);
        wf_error_free(err);
    }

    pthread_mutex_lock(&g_lock);
    if (table) install_unit(c, u, table);
    if (cached) c->nloaded++;
    c->state[pick] = UNIT_DONE;
    c->nbusy--;
    pthread_cond_broadcast(&g_cv);
    code_release(c);
    return true;
}

/* Under g_lock: drop a reference; the last one frees c's code. */
static void code_release(jit_code *c)
{
    if (--c->refs) return;
    for (jit_code **p = &g_codes; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    if (c->rt) g_compiler->orc_release(c->rt);
    for (uint32_t i = 0; c->maps && i < c->nunits; i++)
        if (c->maps[i]) munmap(c->maps[i], c->map_lens[i]);
    free(c->maps);
    free(c->map_lens);
    for (size_t i = 0; i < c->up_maps.len; i++) munmap(c->up_maps.data[i].map, c->up_maps.data[i].len);
    wf_vec_free(&c->up_maps);
    for (size_t i = 0; i < c->up_units.len; i++) free(c->up_units.data[i].funcs);
    wf_vec_free(&c->up_units);
    free(c->heat);
    free(c->up);
    free(c->natives);
    free(c->entries);
    wf_jit_units_free(c->units, c->nunits);
    free(c->state);
    free(c);
}

/* Under g_lock: whether a code has functions still to upgrade. */
static bool tierup_active(void)
{
    for (jit_code *k = g_codes; k; k = k->next)
        if (tierup_ready(k)) return true;
    return false;
}

/* Under g_lock: one step of the tier-up, false when there was none to
 * take: a code's record of upgrades read (load_upgrades), or the hottest
 * function of them all past the threshold upgraded (once the rate bound
 * allows). */
static bool tierup_step(void)
{
    for (jit_code *k = g_codes; k; k = k->next)
        if (tierup_ready(k) && !k->up_loaded) {
            g_bg_busy++;
            load_upgrades(k);
            g_bg_busy--;
            pthread_cond_broadcast(&g_cv);
            return true;
        }
    if (g_tierup.decay_ms && now_ms() >= g_decay_next) {
        for (jit_code *k = g_codes; k; k = k->next)
            if (tierup_ready(k)) decay_heat(k);
        g_decay_next = now_ms() + g_tierup.decay_ms;
    }
    if (now_ms() < g_up_next) return false;
    jit_code *c = NULL;
    uint32_t best = 0, n = 0, ds[WF_JIT_TIERUP_BATCH_MAX], ks[WF_JIT_TIERUP_BATCH_MAX];
    for (jit_code *k = g_codes; k; k = k->next) {
        if (!tierup_ready(k)) continue;
        uint32_t h, nk = pick_upgrades(k, ks, &h);
        if (nk && h > best) {
            c = k;
            best = h;
            n = nk;
            memcpy(ds, ks, nk * sizeof *ds);
        }
    }
    if (!c) return false;
    g_bg_busy++;
    upgrade_batch(c, ds, n);
    g_bg_busy--;
    pthread_cond_broadcast(&g_cv);
    return true;
}

/* The background thread of the auto tier: the pending units of every
 * code marked background, one at a time, the hottest of them all first
 * (the modules of a component compete). */
static void *background(void *unused)
{
    (void)unused;
    /* Below the threads running wasm: on a busy CPU (the threads of a
     * process share one scheduling group) the compilation took half of
     * the interpreter's time, doubling a short run's wall time; on an idle
     * core it runs at full speed all the same. (Linux: a thread's own
     * nice value.) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WF_JIT_BACKGROUND_NICE) && g_verbose)
        fprintf(stderr, "wasmfn: compiled tier: the background thread keeps its priority\n");
    pthread_mutex_lock(&g_lock);
    for (;;) {
        jit_code *c = NULL;
        uint64_t best = 0, h;
        if (!g_exiting)
            for (jit_code *k = g_codes; k; k = k->next)
                if (k->background && pick_unit(k, true, &h) != UINT32_MAX && (!c || h > best)) {
                    c = k;
                    best = h;
                }
        if (!c && !g_exiting && tierup_step()) continue;
        if (!c) {
            if (!g_exiting && tierup_active()) {
                /* a look at the heat again a little later */
                double wait = WF_MAX(g_up_next - now_ms(), (double)WF_JIT_TIERUP_POLL_MS);
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)(wait * 1e6);
                ts.tv_sec += (time_t)(ns / 1000000000u);
                ts.tv_nsec = (long)(ns % 1000000000u);
                pthread_cond_timedwait(&g_cv, &g_lock, &ts);
            } else {
                pthread_cond_wait(&g_cv, &g_lock);
            }
            continue;
        }
        g_bg_busy++;
        work_one(c, true);  /* unlocks and locks again */
        g_bg_busy--;
        pthread_cond_broadcast(&g_cv);
    }
    return NULL;
}

/* At exit: LLVM's static objects are destroyed after this runs (they
 * were made before it was registered); the background thread must not be
 * inside LLVM then. It takes no other unit; when it is inside one, the
 * process ends here, after flushing its streams, with the status exit was
 * given: waiting for the unit would make a short run as slow as the
 * compilation it did not need. (A cache entry being written is a
 * temporary file, never a partial entry.) */
static void stop_background(int status, void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g_lock);
    g_exiting = true;
    bool busy = g_bg_busy > 0;
    pthread_mutex_unlock(&g_lock);
    if (busy) {
        /* said under -v: a run that ends so has not seen its upgrade, which
         * a later process compiles again (bench/instance/run's settling
         * must not take it for a run with nothing left to upgrade) */
        if (g_verbose)
            fprintf(stderr, "wasmfn: compiled tier: exiting with a unit still compiling in the background: "
                            "its work is dropped\n");
        fflush(NULL);
        _exit(status);
    }
}

void wf_jit_exit(int status)
{
    stop_background(status, NULL);
}

/* Under g_lock. */
static void start_background(void)
{
    if (g_bg_started) return;
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (!pthread_create(&th, &a, background, NULL)) {
        g_bg_started = true;
        on_exit(stop_background, NULL);
    }
    pthread_attr_destroy(&a);
}

typedef struct helper_arg {
    jit_code *c;
} helper_arg;

static void *compile_helper(void *arg)
{
    jit_code *c = ((helper_arg *)arg)->c;
    pthread_mutex_lock(&g_lock);
    while (work_one(c, false)) {}
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* Under g_lock: the code for m's bytes, made (its units pending) or
 * shared; m is one of its users. */
static jit_code *attach(wf_module *m, const char **how)
{
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    uint8_t key[WF_SHA256_LEN];
    bool keyed = wf_jit_cache_key(m, g_cpu, g_features, g_opt_level, key);
    jit_code *c = NULL;
    if (keyed)
        for (c = g_codes; c; c = c->next)
            if (c->keyed && !memcmp(c->key, key, sizeof key) && c->ndef == ndef) break;
    *how = c ? "shared with an equal module" : NULL;
    if (!c) {
        c = wf_xcalloc(1, sizeof *c);
        memcpy(c->key, key, sizeof key);
        c->keyed = keyed;
        if (keyed) {
            snprintf(c->prefix, sizeof c->prefix, "w");
            for (int i = 0; i < 12; i++) snprintf(c->prefix + 1 + 2 * i, 3, "%02x", key[i]);
            strcat(c->prefix, "_");
        } else {
            snprintf(c->prefix, sizeof c->prefix, "w%u_", ++g_serial);
        }
        c->ndef = ndef;
        c->t_attach = now_ms();
        c->nimports = m->nfunc_imports;
        c->natives = wf_xcalloc(ndef + 1, sizeof *c->natives);
        c->entries = wf_xcalloc(ndef + 1, sizeof *c->entries);
        c->nunits = wf_jit_partition(m, &c->units);
        c->heat = wf_xcalloc(ndef + 1, sizeof *c->heat);
        c->up = wf_xcalloc(ndef + 1, 1);
        memset(c->up, UP_NEVER, ndef);
        snprintf(c->up_prefix, sizeof c->up_prefix, "%so", c->prefix);
        uint32_t up_max = g_tierup.bytes;
        for (uint32_t i = 0; i < c->nunits; i++) {
            if (c->units[i].level != WF_JIT_LEVEL_CHEAP) continue;
            for (uint32_t k = 0; k < c->units[i].count; k++) {
                uint32_t d = c->units[i].funcs[k];
                if (m->funcs[m->nfunc_imports + d].code->body_len > up_max) continue;
                c->up[d] = UP_NONE;
                c->tierup = g_tierup.on;
            }
        }
        c->state = wf_xcalloc(c->nunits + 1, 1);
        if (!g_own_linker) c->rt = g_compiler->orc_tracker();
        c->maps = wf_xcalloc(c->nunits + 1, sizeof *c->maps);
        c->map_lens = wf_xcalloc(c->nunits + 1, sizeof *c->map_lens);
        for (uint32_t i = 0; i < c->nunits; i++) {
            if (c->units[i].level == WF_JIT_LEVEL_NONE) {
                c->state[i] = UNIT_DONE;
                if (g_verbose) {
                    char *why = unit_why(&c->units[i]);
                    uint32_t fi = m->nfunc_imports + c->units[i].funcs[0];
                    fprintf(stderr, "wasmfn: compiled tier: function %u %s stays interpreted: %s\n", fi,
                            func_name(m, fi), why);
                    free(why);
                }
            } else {
                c->npending++;
            }
        }
        c->next = g_codes;
        g_codes = c;
    }
    user *us = wf_xcalloc(1, sizeof *us);
    us->m = m;
    us->next = c->users;
    c->users = us;
    c->refs++;
    m->jit_natives = c->natives;
    m->jit_heat = c->heat;
    /* What is compiled already runs natively in m too. */
    for (uint32_t d = 0; d < ndef; d++)
        if (c->entries[d]) wf_code_set_native(m->funcs[m->nfunc_imports + d].code, c->entries[d]);
    return c;
}

/* Under g_lock: every unit of c that the disk cache has, installed now. */
static void load_cached_units(jit_code *c)
{
    for (uint32_t i = 0; i < c->nunits; i++) {
        if (c->state[i] != UNIT_PENDING) continue;
        c->state[i] = UNIT_BUSY;
        c->npending--;
        c->nbusy++;
        pthread_mutex_unlock(&g_lock);
        void *const *table = NULL;
        bool hit = load_cached(c, i, &table);
        pthread_mutex_lock(&g_lock);
        c->nbusy--;
        if (hit) {
            install_unit(c, &c->units[i], table);
            c->state[i] = UNIT_DONE;
            c->nloaded++;
        } else {
            c->state[i] = UNIT_PENDING;
            c->npending++;
        }
    }
    pthread_cond_broadcast(&g_cv);
}

wf_error *wf_jit_compile_module(wf_module *m)
{
    if (m->jit || m->nfuncs == m->nfunc_imports) return NULL;
    /* WASMFN_JIT_VERBOSE=1: -v for the commands that have no -v. */
    const char *ev = getenv("WASMFN_JIT_VERBOSE");
    if (ev && *ev && *ev != '0') g_verbose = true;
    pthread_mutex_lock(&g_lock);
    if (!jit_ready()) {
        pthread_mutex_unlock(&g_lock);
        return wf_error_new(WF_ERR_INTERNAL, "%s", g_init_error);
    }
    double t0 = now_ms(), c0 = thread_cpu_ms();
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    tierup_settings();
    report("translate", 0, ndef);
    const char *how;
    jit_code *c = attach(m, &how);
    jit_module *jm = wf_xcalloc(1, sizeof *jm);
    jm->code = c;
    jm->stats.ndefined = ndef;
    m->jit = jm;
    /* auto: the cached units load in the background too, the hottest
     * first: loading all of a 12 MB component's (about 250 units, 44 MB)
     * before its first call took a second of CPU and several of wall,
     * five times a short interpreted call's. */
    if (!how && g_tier != WF_TIER_AUTO) load_cached_units(c);
    if (g_tier == WF_TIER_AUTO) {
        /* The rest in the background. */
        if (c->npending) {
            c->background = true;
            start_background();
            pthread_cond_broadcast(&g_cv);
        }
    } else {
        /* Everything before m runs: this thread and one helper per other
         * CPU; units the background thread took are waited for. */
        unsigned nhelpers = WF_MIN(cpu_count(), c->npending) - (c->npending > 0);
        pthread_t th[64];
        helper_arg ha = { c };
        unsigned started = 0;
        for (unsigned i = 0; i < nhelpers && i < 64; i++)
            if (!pthread_create(&th[started], NULL, compile_helper, &ha)) started++;
        uint32_t total = c->nunits;
        while (work_one(c, false)) report("units", total - c->npending - c->nbusy, total);
        while (c->nbusy) pthread_cond_wait(&g_cv, &g_lock);
        pthread_mutex_unlock(&g_lock);
        for (unsigned i = 0; i < started; i++) pthread_join(th[i], NULL);
        pthread_mutex_lock(&g_lock);
        /* The upgrades an earlier process made, before m runs. */
        if (tierup_ready(c) && !c->up_loaded) load_upgrades(c);
        /* WASMFN_JIT_TIERUP_HEAT=0 (tests): every candidate upgraded
         * now, so that the module runs its upgraded code from its first
         * call. */
        uint32_t ds[WF_JIT_TIERUP_BATCH_MAX], h, n;
        while (!g_tierup.heat && tierup_ready(c) && (n = pick_upgrades(c, ds, &h))) upgrade_batch(c, ds, n);
    }
    /* Hot cheap functions are upgraded in the background. */
    if (c->tierup) {
        start_background();
        pthread_cond_broadcast(&g_cv);
    }
    bool all_cached = c->nloaded == c->nunits;
    if (!how) how = all_cached ? "loaded from the code cache" : g_tier == WF_TIER_AUTO ? "loaded" : "compiled";
    jm->stats.ncompiled = c->ncompiled;
    jm->stats.ms = now_ms() - t0;
    jm->stats.cached = all_cached || strcmp(how, "compiled") != 0;
    report(all_cached ? "loaded" : "compiled", c->ncompiled, ndef);
    if (g_verbose) {
        if (g_tier == WF_TIER_AUTO)
            fprintf(stderr, "wasmfn: compiled tier: %u of %u functions %s in %.1f ms, %u units in the background\n",
                    c->ncompiled, ndef, how, jm->stats.ms, c->npending);
        else
            fprintf(stderr, "wasmfn: compiled tier: %u of %u functions %s in %.1f ms (%.1f ms CPU on this thread)\n",
                    c->ncompiled, ndef, how, jm->stats.ms, thread_cpu_ms() - c0);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

bool wf_jit_module_stats(const wf_module *m, wf_jit_stats *out)
{
    const jit_module *jm = m->jit;
    if (!jm) return false;
    pthread_mutex_lock(&g_lock);
    *out = jm->stats;
    out->ncompiled = jm->code->ncompiled;
    out->pending = jm->code->npending + jm->code->nbusy;
    out->nupgraded = jm->code->nupgraded;
    out->nupgraded_cached = jm->code->nupgraded_cached;
    out->upgrade_cpu_ms = jm->code->up_cpu_ms;
    out->heat_decays = jm->code->decays;
    uint32_t heat;
    uint32_t ds[WF_JIT_TIERUP_BATCH_MAX];
    out->upgrade_candidates = jm->code->tierup && pick_upgrades(jm->code, ds, &heat);
    for (uint32_t d = 0; d < jm->code->ndef; d++) out->upgrade_candidates += jm->code->up[d] == UP_BUSY;
    pthread_mutex_unlock(&g_lock);
    return true;
}

const char *wf_jit_func_level(const wf_module *m, uint32_t d)
{
    const jit_module *jm = m->jit;
    if (!jm || d >= jm->code->ndef) return NULL;
    const char *level = NULL;
    pthread_mutex_lock(&g_lock);
    const jit_code *c = jm->code;
    if (c->natives[d]) {
        if (c->up[d] == UP_DONE) level = "upgraded";
        for (uint32_t i = 0; i < c->nunits && !level; i++)
            for (uint32_t k = 0; k < c->units[i].count; k++)
                if (c->units[i].funcs[k] == d) level = c->units[i].level == WF_JIT_LEVEL_CHEAP ? "cheap" : "O2";
    }
    pthread_mutex_unlock(&g_lock);
    return level;
}

void wf_jit_set_progress(wf_jit_progress_fn fn, void *ctx)
{
    pthread_mutex_lock(&g_lock);
    g_progress = fn;
    g_progress_ctx = ctx;
    pthread_mutex_unlock(&g_lock);
}

void wf_jit_module_free(wf_module *m)
{
    jit_module *jm = m->jit;
    if (!jm) return;
    pthread_mutex_lock(&g_lock);
    jit_code *c = jm->code;
    user **p = &c->users;
    while (*p && (*p)->m != m) p = &(*p)->next;
    user *us = *p;
    /* A worker translating from m finishes first. */
    while (us->readers) pthread_cond_wait(&g_cv, &g_lock);
    *p = us->next;
    free(us);
    code_release(c);
    pthread_mutex_unlock(&g_lock);
    free(jm);
    m->jit = NULL;
    m->jit_natives = NULL;
    m->jit_heat = NULL;
}
