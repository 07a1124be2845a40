/*
 * kinds.c - the fields of every entry kind: which exist, which are required,
 * their types, defaults, and the references they hold (checked once every
 * entry is known). Each problem becomes one diagnostic at the field's line.
 */
#include "registry/internal.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/sha256.h"
#include "component/component.h"
#include "component/wit/wit.h"
#include "wasi/wasi.h"
#include <unistd.h>

static const char *const kind_names[WF_REG_KIND_COUNT] = {
    [WF_REG_FS_DIRECTORY] = "fs.directory",
    [WF_REG_ENV_STORAGE_OS] = "env.storage.os",
    [WF_REG_ENV_STORAGE_STATIC] = "env.storage.static",
    [WF_REG_ENV_STORAGE_MEMORY] = "env.storage.memory",
    [WF_REG_ENV_STORAGE_FILE] = "env.storage.file",
    [WF_REG_ENV_VARIABLE] = "env.variable",
    [WF_REG_FUNCTION_WAT] = "function.wat",
    [WF_REG_FUNCTION_WASM] = "function.wasm",
    [WF_REG_FUNCTION_LUA] = "function.lua",
    [WF_REG_LIBRARY_LUA] = "library.lua",
    [WF_REG_HTTP_SERVICE] = "http.service",
    [WF_REG_HTTP_ROUTER] = "http.router",
    [WF_REG_HTTP_ENDPOINT] = "http.endpoint",
    [WF_REG_HTTP_STATIC] = "http.static",
};

const char *wf_reg_kind_name(wf_reg_kind k)
{
    return (unsigned)k < WF_REG_KIND_COUNT ? kind_names[k] : "?";
}

/* Kinds upstream Wippy defines that wasmfn does not serve: a project written
 * for upstream loads with a warning for each such entry (SPEC §1). */
static const char *const upstream_kinds[] = {
    "registry.entry", "ns.definition", "ns.requirement", "ns.dependency",
    "fs.embed", "env.storage.router",
    "process.lua", "process.wasm", "process.host", "process.service", "workflow.lua",
    "db.sql.sqlite", "db.sql.postgres", "db.sql.mysql", "db.sql.mssql", "db.sql.oracle",
    "store.memory", "store.sql", "queue.driver.memory", "queue.queue", "queue.consumer",
    "security.policy", "security.policy.expr", "security.token_store",
    "template.set", "template.jet", "cloudstorage.s3", "config.aws", "exec.native",
    "contract.definition", "contract.binding", "temporal.client", "temporal.worker",
    "terminal.host",
};

bool wf_reg_kind_upstream(const char *s)
{
    for (size_t i = 0; i < WF_COUNT(upstream_kinds); i++)
        if (!strcmp(upstream_kinds[i], s)) return true;
    return false;
}

/* Edit distance with transpositions (optimal string alignment): "lau" is
 * one step from "lua". Names longer than 63 bytes are far from all. */
size_t wf_reg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

void wf_reg_closest_in(const char *s, const char *const *names, size_t n, const char **best, size_t *bd)
{
    for (size_t i = 0; i < n; i++) {
        size_t d = wf_reg_edit_distance(s, names[i]);
        if (d < *bd) *bd = d, *best = names[i];
    }
}

const char *wf_reg_kind_closest(const char *s)
{
    const char *best = kind_names[0];
    size_t bd = SIZE_MAX;
    wf_reg_closest_in(s, kind_names, WF_REG_KIND_COUNT, &best, &bd);
    wf_reg_closest_in(s, upstream_kinds, WF_COUNT(upstream_kinds), &best, &bd);
    return best;
}

wf_reg_kind wf_reg_kind_parse(const char *s, bool *ok)
{
    for (int k = 0; k < WF_REG_KIND_COUNT; k++)
        if (!strcmp(kind_names[k], s)) {
            *ok = true;
            return (wf_reg_kind)k;
        }
    *ok = false;
    return 0;
}

/* ---- field access with diagnostics ------------------------------------- */

typedef struct fctx {
    wf_registry *r;
    reg_entry *e;
    const char *where;      /* "" or "pool: " etc, prefixed to field names */
} fctx;

#define DIAG(c, node, ...) wf_reg_diagf((c)->r, (c)->e->file, (node)->line, (c)->e->pub.id, __VA_ARGS__)
#define WARN(c, node, ...) wf_reg_warn((c)->r, (c)->e->file, (node)->line, (c)->e->pub.id, __VA_ARGS__)

static const wf_reg_node *field(fctx *c, const wf_reg_node *m, const char *key, bool required)
{
    const wf_reg_node *n = wf_reg_node_get(m, key);
    if (!n && required) DIAG(c, m, "missing required field '%s%s'", c->where, key);
    return n;
}

static bool want(fctx *c, const wf_reg_node *n, const char *key, wf_reg_node_type t)
{
    if (n->type == t) return true;
    static const char *const names[] = { "a string", "a list", "a map" };
    DIAG(c, n, "field '%s%s' must be %s, not %s", c->where, key, names[t], wf_reg_node_type_name(n));
    return false;
}

static char *get_str(fctx *c, const wf_reg_node *m, const char *key, bool required, bool *bad)
{
    const wf_reg_node *n = field(c, m, key, required);
    if (!n) {
        if (required) *bad = true;
        return NULL;
    }
    if (!want(c, n, key, WF_NODE_SCALAR)) {
        *bad = true;
        return NULL;
    }
    if (required && !n->len) {
        DIAG(c, n, "field '%s%s' must not be empty", c->where, key);
        *bad = true;
        return NULL;
    }
    return wf_xstrdup(n->str);
}

static bool get_bool(fctx *c, const wf_reg_node *m, const char *key, bool dflt, bool *bad)
{
    const wf_reg_node *n = field(c, m, key, false);
    if (!n) return dflt;
    if (n->type == WF_NODE_SCALAR && n->plain && !strcmp(n->str, "true")) return true;
    if (n->type == WF_NODE_SCALAR && n->plain && !strcmp(n->str, "false")) return false;
    DIAG(c, n, "field '%s%s' must be true or false", c->where, key);
    *bad = true;
    return dflt;
}

/* A positive integer (1 .. 2^31-1). 0 when absent. */
static uint32_t get_pos(fctx *c, const wf_reg_node *m, const char *key, bool *bad)
{
    const wf_reg_node *n = field(c, m, key, false);
    if (!n) return 0;
    if (n->type == WF_NODE_SCALAR && n->len && n->len <= 10) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(n->str, &end, 10);
        if (!*end && n->str[0] >= '0' && n->str[0] <= '9' && !errno && v >= 1 && v <= 0x7fffffff)
            return (uint32_t)v;
    }
    DIAG(c, n, "field '%s%s' must be a positive integer", c->where, key);
    *bad = true;
    return 0;
}

/* Unknown fields are warnings, not errors: upstream Wippy ignores fields it
 * does not know (`lifecycle`, `options`, ...), so its projects must load;
 * the warning still catches a misspelt optional field (and `check --strict`
 * makes it an error). */
static void only_fields(fctx *c, const wf_reg_node *m, const char *const *allowed, const char *what)
{
    for (size_t i = 0; i < m->n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(*a, m->keys[i]);
        if (!ok) WARN(c, m->items[i], "unknown field '%s%s' for %s (ignored)", c->where, m->keys[i], what);
    }
}

static char *get_ref(fctx *c, const wf_reg_node *m, const char *key, bool required, bool *bad)
{
    char *s = get_str(c, m, key, required, bad);
    if (!s) return NULL;
    char *id = wf_reg_ref_resolve(c->e->pub.ns, s);
    free(s);
    return id;
}

/* ---- shared blocks: pool, limits, imports, wasi ------------------------ */

/* Pool sizes become threads, ready instances (each with its own memory
 * reservation) and queue slots: bound them to what one host can hold. */
#define WF_POOL_MAX_WORKERS 1024u
#define WF_POOL_MAX_BUFFER  1000000u

static uint32_t get_pool_count(fctx *c, const wf_reg_node *m, const char *key, uint32_t max,
                               bool *bad)
{
    uint32_t v = get_pos(c, m, key, bad);
    if (v > max) {
        DIAG(c, wf_reg_node_get(m, key), "field '%s%s' must be at most %u", c->where, key, max);
        *bad = true;
        return 0;
    }
    return v;
}

/* SPEC §5. `type` may be omitted (as upstream): static when `size`,
 * `workers` or `buffer` says so, else lazy. */
static void parse_pool(fctx *c, const wf_reg_node *n, wf_reg_pool *p, bool *bad)
{
    fctx pc = *c;
    pc.where = "pool.";
    if (!want(c, n, "pool", WF_NODE_MAP)) {
        *bad = true;
        return;
    }
    char *type = get_str(&pc, n, "type", false, bad);
    if (!type && !wf_reg_node_get(n, "type"))
        type = wf_xstrdup(wf_reg_node_get(n, "size") || wf_reg_node_get(n, "workers") ||
                                  wf_reg_node_get(n, "buffer")
                              ? "static"
                              : "lazy");
    if (!type) return;
    static const char *const f_inline[] = { "type", NULL };
    static const char *const f_lazy[] = { "type", "max_size", NULL };
    static const char *const f_static[] = { "type", "size", "workers", "buffer", NULL };
    static const char *const f_adaptive[] = { "type", "max_size", "warm_start", NULL };
    size_t before = c->r->nerrors;
    if (!strcmp(type, "inline")) {
        p->type = WF_POOL_INLINE;
        only_fields(&pc, n, f_inline, "pool type inline");
    } else if (!strcmp(type, "lazy")) {
        p->type = WF_POOL_LAZY;
        only_fields(&pc, n, f_lazy, "pool type lazy");
        p->max_size = get_pool_count(&pc, n, "max_size", WF_POOL_MAX_WORKERS, bad);
        if (!p->max_size) p->max_size = 16;
    } else if (!strcmp(type, "static")) {
        p->type = WF_POOL_STATIC;
        only_fields(&pc, n, f_static, "pool type static");
        p->size = get_pool_count(&pc, n, "size", WF_POOL_MAX_WORKERS, bad);
        p->workers = get_pool_count(&pc, n, "workers", WF_POOL_MAX_WORKERS, bad);
        p->buffer = get_pool_count(&pc, n, "buffer", WF_POOL_MAX_BUFFER, bad);
        if (!p->workers) p->workers = p->size ? p->size : 8;
        if (!p->size) p->size = p->workers;
        if (!p->buffer) p->buffer = p->workers * 64;
        if (p->workers > p->size) {
            DIAG(c, n, "pool: workers (%u) must not exceed size (%u)", p->workers, p->size);
            *bad = true;
        }
    } else if (!strcmp(type, "adaptive")) {
        p->type = WF_POOL_ADAPTIVE;
        only_fields(&pc, n, f_adaptive, "pool type adaptive");
        p->max_size = get_pool_count(&pc, n, "max_size", WF_POOL_MAX_WORKERS, bad);
        if (!p->max_size) p->max_size = 16;
        p->warm_start = get_bool(&pc, n, "warm_start", false, bad);
    } else {
        DIAG(c, wf_reg_node_get(n, "type"),
             "unknown pool type '%s' (expected inline, lazy, static or adaptive)", type);
        *bad = true;
    }
    if (c->r->nerrors != before) *bad = true;
    free(type);
}

/* An entry without `pool` gets upstream's default: an elastic pool of at
 * most 100 workers (SPEC §5). */
static void default_pool(wf_reg_pool *p)
{
    memset(p, 0, sizeof *p);
    p->type = WF_POOL_LAZY;
    p->max_size = 100;
}

static void parse_limits(fctx *c, const wf_reg_node *n, wf_reg_limits *l, bool *bad)
{
    fctx lc = *c;
    lc.where = "limits.";
    if (!want(c, n, "limits", WF_NODE_MAP)) {
        *bad = true;
        return;
    }
    static const char *const f[] = { "max_execution_ms", "max_memory_mb", "max_stack_kb", NULL };
    size_t before = c->r->nerrors;
    only_fields(&lc, n, f, "limits");
    l->max_execution_ms = get_pos(&lc, n, "max_execution_ms", bad);
    l->max_memory_mb = get_pos(&lc, n, "max_memory_mb", bad);
    l->max_stack_kb = get_pos(&lc, n, "max_stack_kb", bad);
    if (c->r->nerrors != before) *bad = true;
}

/* The `imports` words; the first word of a bit is its canonical one. */
static const struct { const char *w; uint32_t bit; } words[] = {
    { "wasi:cli", WF_IMPORT_WASI_CLI },       { "wasi:io", WF_IMPORT_WASI_IO },
    { "wasi:poll", WF_IMPORT_WASI_POLL },     { "wasi:clocks", WF_IMPORT_WASI_CLOCKS },
    { "wasi:random", WF_IMPORT_WASI_RANDOM }, { "wasi:filesystem", WF_IMPORT_WASI_FILESYSTEM },
    { "wasi:sockets", WF_IMPORT_WASI_SOCKETS }, { "wasi:http", WF_IMPORT_WASI_HTTP },
    { "wasi_snapshot_preview1", WF_IMPORT_WASI_P1 }, { "wasi1", WF_IMPORT_WASI_P1 },
    { "preview1", WF_IMPORT_WASI_P1 },        { "wasi-preview1", WF_IMPORT_WASI_P1 },
    { "funcs", WF_IMPORT_FUNCS },             { "wippy:runtime/funcs", WF_IMPORT_FUNCS },
};

size_t wf_reg_import_words(uint32_t bits, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < WF_COUNT(words) && n < cap; i++)
        if ((bits & words[i].bit) && (i == 0 || words[i - 1].bit != words[i].bit))
            out[n++] = words[i].w;
    return n;
}

/* "wasi:io", "wasi:io@0.2.3", "wasi:io/streams@0.2.3" -> bit; 0 if unknown.
 * "wippy:runtime/funcs" (upstream's interface name, also with @0.1.0) is
 * one word. */
static uint32_t import_bit(const char *s)
{
    size_t n = strcspn(s, "@/");
    if (!strncmp(s, "wippy:runtime/funcs", 19) && (s[19] == 0 || s[19] == '@')) n = 19;
    const char *at = strchr(s, '@');
    if (at) {
        /* a version: digits and dots, optionally a -pre/+build suffix */
        const char *v = at + 1;
        if (!(*v >= '0' && *v <= '9')) return 0;
        for (; *v; v++)
            if (!((*v >= '0' && *v <= '9') || *v == '.' || *v == '-' || *v == '+' ||
                  (*v >= 'a' && *v <= 'z')))
                return 0;
    }
    if (s[n] == '/') {
        /* an interface path: letters, digits and '-' up to the version */
        for (const char *p = s + n + 1; *p && *p != '@'; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return 0;
    }
    for (size_t i = 0; i < WF_COUNT(words); i++)
        if (strlen(words[i].w) == n && !strncmp(words[i].w, s, n)) {
            if (s[n] == '/' && words[i].bit & (WF_IMPORT_WASI_P1 | WF_IMPORT_FUNCS)) return 0;
            return words[i].bit;
        }
    return 0;
}

static void parse_imports(fctx *c, const wf_reg_node *n, uint32_t *bits, bool *bad)
{
    if (!want(c, n, "imports", WF_NODE_SEQ)) {
        *bad = true;
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const wf_reg_node *it = n->items[i];
        if (it->type != WF_NODE_SCALAR) {
            DIAG(c, it, "imports: item %zu must be a string", i + 1);
            *bad = true;
            continue;
        }
        uint32_t b = import_bit(it->str);
        if (!b) {
            DIAG(c, it,
                 "unknown import '%s' (known: wasi:cli, wasi:io, wasi:poll, wasi:clocks, wasi:random, "
                 "wasi:filesystem, wasi:sockets, wasi:http, wasi_snapshot_preview1, wasi1, preview1, "
                 "wasi-preview1, funcs, wippy:runtime/funcs)",
                 it->str);
            *bad = true;
        }
        *bits |= b;
    }
}

static void parse_wasi(fctx *c, const wf_reg_node *n, wf_reg_wasi *w, bool *bad)
{
    fctx wc = *c;
    wc.where = "wasi.";
    if (!want(c, n, "wasi", WF_NODE_MAP)) {
        *bad = true;
        return;
    }
    static const char *const f[] = { "args", "cwd", "env", "mounts", "network", NULL };
    size_t before = c->r->nerrors;
    only_fields(&wc, n, f, "wasi");
    const wf_reg_node *args = wf_reg_node_get(n, "args");
    if (args && want(&wc, args, "args", WF_NODE_SEQ)) {
        w->args = wf_xcalloc(args->n + 1, sizeof *w->args);
        for (size_t i = 0; i < args->n; i++) {
            if (args->items[i]->type != WF_NODE_SCALAR) {
                DIAG(c, args->items[i], "wasi.args: item %zu must be a string", i + 1);
                continue;
            }
            w->args[w->nargs++] = wf_xstrdup(args->items[i]->str);
        }
    }
    /* network: host:port patterns (`*` wildcards) that wasi:sockets and
     * outgoing HTTP may reach (SPEC §4); the default grants nothing */
    const wf_reg_node *net = wf_reg_node_get(n, "network");
    if (net && want(&wc, net, "network", WF_NODE_SEQ)) {
        w->network = wf_xcalloc(net->n + 1, sizeof *w->network);
        for (size_t i = 0; i < net->n; i++) {
            if (net->items[i]->type != WF_NODE_SCALAR || !net->items[i]->len) {
                DIAG(c, net->items[i], "wasi.network: item %zu must be a host:port pattern", i + 1);
                continue;
            }
            w->network[w->nnetwork++] = wf_xstrdup(net->items[i]->str);
        }
    }
    w->cwd = get_str(&wc, n, "cwd", false, bad);
    if (w->cwd && w->cwd[0] != '/')
        DIAG(c, wf_reg_node_get(n, "cwd"), "wasi.cwd must be an absolute path, not '%s'", w->cwd);
    const wf_reg_node *env = wf_reg_node_get(n, "env");
    if (env && want(&wc, env, "env", WF_NODE_SEQ)) {
        w->env = wf_xcalloc(env->n + 1, sizeof *w->env);
        fctx ec = *c;
        ec.where = "wasi.env[].";
        for (size_t i = 0; i < env->n; i++) {
            const wf_reg_node *it = env->items[i];
            if (!want(&ec, it, "", WF_NODE_MAP)) continue;
            static const char *const fe[] = { "id", "name", "required", NULL };
            only_fields(&ec, it, fe, "wasi.env");
            wf_reg_wasi_env *ev = &w->env[w->nenv++];
            ev->id = get_ref(&ec, it, "id", true, bad);
            ev->name = get_str(&ec, it, "name", false, bad);
            ev->required = get_bool(&ec, it, "required", false, bad);
        }
    }
    const wf_reg_node *mounts = wf_reg_node_get(n, "mounts");
    if (mounts && want(&wc, mounts, "mounts", WF_NODE_SEQ)) {
        w->mounts = wf_xcalloc(mounts->n + 1, sizeof *w->mounts);
        fctx mc = *c;
        mc.where = "wasi.mounts[].";
        for (size_t i = 0; i < mounts->n; i++) {
            const wf_reg_node *it = mounts->items[i];
            if (!want(&mc, it, "", WF_NODE_MAP)) continue;
            static const char *const fm[] = { "fs", "guest", "read_only", NULL };
            only_fields(&mc, it, fm, "wasi.mounts");
            wf_reg_wasi_mount *m = &w->mounts[w->nmounts++];
            m->fs = get_ref(&mc, it, "fs", true, bad);
            m->guest = get_str(&mc, it, "guest", true, bad);
            m->read_only = get_bool(&mc, it, "read_only", false, bad);
            if (!m->guest) continue;
            const wf_reg_node *g = wf_reg_node_get(it, "guest");
            if (m->guest[0] != '/') {
                DIAG(c, g, "wasi.mounts: guest path must be absolute, not '%s'", m->guest);
                continue;
            }
            for (size_t j = 0; j + 1 < w->nmounts; j++)
                if (w->mounts[j].guest && !strcmp(w->mounts[j].guest, m->guest))
                    DIAG(c, g, "wasi.mounts: guest path '%s' is mounted twice", m->guest);
        }
    }
    if (c->r->nerrors != before) *bad = true;
}

/* ---- per kind ----------------------------------------------------------- */

static bool parse_mode(const wf_reg_node *n, uint32_t *mode)
{
    if (n->type != WF_NODE_SCALAR || !n->len || n->len > 5) return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n->len; i++) {
        if (n->str[i] < '0' || n->str[i] > '7') return false;
        v = v * 8 + (uint32_t)(n->str[i] - '0');
    }
    if (v > 07777) return false;
    *mode = v;
    return true;
}

static void check_fs(fctx *c, const wf_reg_node *n, wf_reg_fs *fs, bool *bad)
{
    fs->directory = get_str(c, n, "directory", true, bad);
    fs->auto_init = get_bool(c, n, "auto_init", false, bad);
    fs->mode = 0755;
    const wf_reg_node *m = wf_reg_node_get(n, "mode");
    if (m && !parse_mode(m, &fs->mode)) {
        DIAG(c, m, "field 'mode' must be an octal permission such as 0755");
        *bad = true;
    }
    if (!fs->directory) return;
    const char *why = NULL;
    const char *d = fs->directory;
    while (d[0] == '.' && d[1] == '/') d += 2;     /* "./wasm" */
    fs->path = wf_reg_path_confined(c->r->root, c->r->root, *d ? d : ".", &why);
    const wf_reg_node *dn = wf_reg_node_get(n, "directory");
    if (!fs->path) {
        DIAG(c, dn, "directory '%s': %s", fs->directory, why);
        *bad = true;
        return;
    }
    /* Loading never writes (`wasmfn check` must not): a missing auto_init
     * directory is made when the project is registered to run
     * (register.c). */
    struct stat st;
    if (stat(fs->path, &st) != 0) {
        if (fs->auto_init) return;
        DIAG(c, dn, "directory '%s' does not exist (set auto_init: true to create it)", fs->directory);
        *bad = true;
    } else if (!S_ISDIR(st.st_mode)) {
        DIAG(c, dn, "directory '%s' is not a directory", fs->directory);
        *bad = true;
    }
}

/* KEY=VALUE lines; '#' comments, blank lines, optional `export `, quotes. */
static void parse_dotenv(const char *text, wf_reg_storage *st)
{
    const char *p = text;
    WF_VEC(wf_reg_kv) kv = { 0 };
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        const char *s = p;
        while (s < eol && (*s == ' ' || *s == '\t')) s++;
        if (!strncmp(s, "export ", 7)) s += 7;
        const char *eq = memchr(s, '=', (size_t)(eol - s));
        if (s < eol && *s != '#' && eq) {
            const char *ke = eq;
            while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
            const char *v = eq + 1, *ve = eol;
            if (ve > v && ve[-1] == '\r') ve--;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
                v++;
                ve--;
            }
            wf_reg_kv x = { wf_xstrndup(s, (size_t)(ke - s)), wf_xstrndup(v, (size_t)(ve - v)) };
            wf_vec_push(&kv, x);
        }
        p = *eol ? eol + 1 : eol;
    }
    st->values = kv.data;
    st->nvalues = kv.len;
}

static void check_storage(fctx *c, const wf_reg_node *n, wf_reg_storage *st, wf_reg_kind k, bool *bad)
{
    if (k == WF_REG_ENV_STORAGE_STATIC || k == WF_REG_ENV_STORAGE_MEMORY) {
        const wf_reg_node *v = wf_reg_node_get(n, "values");
        if (!v) return;
        if (!want(c, v, "values", WF_NODE_MAP)) {
            *bad = true;
            return;
        }
        st->values = wf_xcalloc(v->n + 1, sizeof *st->values);
        for (size_t i = 0; i < v->n; i++) {
            if (v->items[i]->type != WF_NODE_SCALAR) {
                DIAG(c, v->items[i], "values.%s must be a string", v->keys[i]);
                *bad = true;
                continue;
            }
            st->values[st->nvalues].key = wf_xstrdup(v->keys[i]);
            st->values[st->nvalues++].value = wf_xstrdup(v->items[i]->str);
        }
    } else if (k == WF_REG_ENV_STORAGE_FILE) {
        st->auto_create = get_bool(c, n, "auto_create", false, bad);
        st->file_mode = 0600;
        const wf_reg_node *m = wf_reg_node_get(n, "file_mode");
        if (m && !parse_mode(m, &st->file_mode)) {
            DIAG(c, m, "field 'file_mode' must be an octal permission such as 0600");
            *bad = true;
        }
        char *fp = get_str(c, n, "file_path", true, bad);
        if (!fp) return;
        const char *why = NULL;
        const wf_reg_node *fn = wf_reg_node_get(n, "file_path");
        const char *rel = fp;
        while (rel[0] == '.' && rel[1] == '/') rel += 2;
        st->file_path = wf_reg_path_confined(c->r->root, c->r->root, rel, &why);
        if (!st->file_path) {
            DIAG(c, fn, "file_path '%s': %s", fp, why);
            *bad = true;
        } else if (access(st->file_path, F_OK) == 0) {
            /* A missing file is an empty storage (writes may create it). */
            uint8_t *data;
            size_t len;
            wf_error *e = wf_file_read(st->file_path, &data, &len);
            if (e) {
                DIAG(c, fn, "cannot read file_path '%s'", fp);
                wf_error_free(e);
                *bad = true;
            } else {
                parse_dotenv((char *)data, st);
                free(data);
            }
        }
        free(fp);
    }
}

static void check_wasm(fctx *c, const wf_reg_node *n, wf_reg_wasm *w, bool wat, bool *bad)
{
    if (wat) {
        w->source = get_str(c, n, "source", true, bad);
    } else {
        w->fs = get_ref(c, n, "fs", true, bad);
        w->path = get_str(c, n, "path", true, bad);
        char *hash = get_str(c, n, "hash", true, bad);
        if (hash && !wf_sha256_parse(hash, w->hash)) {
            DIAG(c, wf_reg_node_get(n, "hash"), "field 'hash' must be sha256:<64 hex digits>, not '%s'", hash);
            *bad = true;
        }
        free(hash);
    }
    w->method = get_str(c, n, "method", true, bad);
    const wf_reg_node *wit = wf_reg_node_get(n, "wit");
    if (wit && want(c, wit, "wit", WF_NODE_SCALAR)) {
        w->wit = wf_xstrdup(wit->str);
        w->wit_line = wit->line;
    } else if (wit) {
        *bad = true;
    }
    w->preinit = get_bool(c, n, "preinit", false, bad);
    const wf_reg_node *x;
    if ((x = wf_reg_node_get(n, "pool"))) parse_pool(c, x, &w->pool, bad);
    else default_pool(&w->pool);
    if ((x = wf_reg_node_get(n, "limits"))) parse_limits(c, x, &w->limits, bad);
    if ((x = wf_reg_node_get(n, "imports"))) parse_imports(c, x, &w->imports, bad);
    if ((x = wf_reg_node_get(n, "wasi"))) {
        w->has_wasi = true;
        parse_wasi(c, x, &w->wasi, bad);
    }
    char *t = get_str(c, n, "transport", false, bad);
    if (t) {
        if (!strcmp(t, "payload")) w->transport = WF_TRANSPORT_PAYLOAD;
        else if (!strcmp(t, "wasi-http")) w->transport = WF_TRANSPORT_WASI_HTTP;
        else {
            DIAG(c, wf_reg_node_get(n, "transport"), "unknown transport '%s' (expected payload or wasi-http)", t);
            *bad = true;
        }
        free(t);
    }
}

static void check_lua(fctx *c, const wf_reg_node *n, wf_reg_lua *l, bool fn, bool *bad)
{
    l->source = get_str(c, n, "source", true, bad);
    if (fn) l->method = get_str(c, n, "method", true, bad);
    const wf_reg_node *m = wf_reg_node_get(n, "modules");
    if (m && want(c, m, "modules", WF_NODE_SEQ)) {
        l->has_modules = true;
        l->modules = wf_xcalloc(m->n + 1, sizeof *l->modules);
        for (size_t i = 0; i < m->n; i++) {
            if (m->items[i]->type != WF_NODE_SCALAR) {
                DIAG(c, m->items[i], "modules: item %zu must be a string", i + 1);
                *bad = true;
                continue;
            }
            /* An upstream module wasmfn does not provide warns (SPEC §1, as
             * upstream kinds do); require() of it fails at run time. Names
             * nobody defines are the Lua layer's load error (fn.c). */
            if (wf_registry_lua_module_upstream(m->items[i]->str))
                WARN(c, m->items[i], "module '%s' is an upstream Wippy module wasmfn does not provide: "
                     "require('%s') will fail", m->items[i]->str, m->items[i]->str);
            l->modules[l->nmodules++] = wf_xstrdup(m->items[i]->str);
        }
    } else if (m) {
        *bad = true;
    }
    const wf_reg_node *im = wf_reg_node_get(n, "imports");
    if (im && want(c, im, "imports", WF_NODE_MAP)) {
        l->imports = wf_xcalloc(im->n + 1, sizeof *l->imports);
        for (size_t i = 0; i < im->n; i++) {
            if (im->items[i]->type != WF_NODE_SCALAR) {
                DIAG(c, im->items[i], "imports.%s must be a library ID", im->keys[i]);
                *bad = true;
                continue;
            }
            l->imports[l->nimports].alias = wf_xstrdup(im->keys[i]);
            l->imports[l->nimports++].id = wf_reg_ref_resolve(c->e->pub.ns, im->items[i]->str);
        }
    } else if (im) {
        *bad = true;
    }
    const wf_reg_node *p = wf_reg_node_get(n, "pool");
    if (p) parse_pool(c, p, &l->pool, bad);
    else default_pool(&l->pool);
}

/* A duration as upstream writes them ("5s", "250ms", "1m", "1m30s", "2h");
 * 0 when absent. A bare number has no unit and is refused, but for a field
 * where zero means "off" (`zero`, returned for "0", "0s", ...; as Go's
 * time.ParseDuration, a bare 0 needs no unit). */
static uint32_t get_duration_ms(fctx *c, const wf_reg_node *m, const char *key, uint32_t zero, bool *bad)
{
    const wf_reg_node *n = wf_reg_node_get(m, key);
    if (!n) return 0;
    if (zero && n->type == WF_NODE_SCALAR && n->plain && !strcmp(n->str, "0")) return zero;
    if (n->type == WF_NODE_SCALAR && n->len) {
        const char *p = n->str;
        double total = 0;
        bool ok = true;
        while (*p && ok) {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || errno || v < 0) {
                ok = false;
                break;
            }
            p = end;
            double unit;
            if (!strncmp(p, "ms", 2)) unit = 1, p += 2;
            else if (!strncmp(p, "us", 2)) unit = 0.001, p += 2;
            else if (*p == 's') unit = 1000, p++;
            else if (*p == 'm') unit = 60000, p++;
            else if (*p == 'h') unit = 3600000, p++;
            else {
                ok = false;   /* no unit: nothing to add */
                break;
            }
            total += v * unit;
        }
        if (ok && total >= 1 && total <= 0x7fffffff) return (uint32_t)total;
        if (ok && total == 0 && zero) return zero;
    }
    DIAG(c, n, "field '%s%s' must be a duration %s (got '%s')", c->where, key,
         zero ? "such as 5s, 250ms or 1m, or 0 (off)" : "of at least 1ms such as 5s, 250ms or 1m",
         n->type == WF_NODE_SCALAR ? n->str : wf_reg_node_type_name(n));
    *bad = true;
    return 0;
}

/* A byte count: 65536, or with a unit 64KB, 10MB, 1GB (also K, M, G, KiB,
 * MiB, GiB; powers of 1024). 0 when absent. */
static uint64_t get_size(fctx *c, const wf_reg_node *m, const char *key, bool *bad)
{
    const wf_reg_node *n = wf_reg_node_get(m, key);
    if (!n) return 0;
    if (n->type == WF_NODE_SCALAR && n->len && n->str[0] >= '0' && n->str[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(n->str, &end, 10);
        while (*end == ' ') end++;
        uint64_t mul = 0;
        if (!*end || !strcasecmp(end, "B")) mul = 1;
        else if (!strcasecmp(end, "K") || !strcasecmp(end, "KB") || !strcasecmp(end, "KiB")) mul = 1u << 10;
        else if (!strcasecmp(end, "M") || !strcasecmp(end, "MB") || !strcasecmp(end, "MiB")) mul = 1u << 20;
        else if (!strcasecmp(end, "G") || !strcasecmp(end, "GB") || !strcasecmp(end, "GiB")) mul = 1u << 30;
        if (mul && !errno && v >= 1 && v <= (1ull << 40) / mul) return v * mul;
    }
    DIAG(c, n, "field '%s%s' must be a size in bytes such as 65536, 64KB or 10MB", c->where, key);
    *bad = true;
    return 0;
}

/* An http.service's fields that upstream's supervisor and listener read.
 * `lifecycle` (upstream's guides/supervision.md): `auto_start: false`
 * leaves the service unstarted, as upstream does; wasmfn starts a service
 * without it (SPEC §9: `run` starts the services). `stop_timeout` bounds
 * the drain at SIGTERM. The rest has nothing to act on here: every entry
 * loads before any service starts (`requires`, `depends_on`,
 * `start_timeout`) and a listener that started does not fail and restart
 * (`restart`, `stable_threshold`). `security` would give requests an
 * actor and policies that nothing in wasmfn checks: a warning, so
 * `check --strict` refuses it. `tls` and `network` change who can reach
 * the service; serving plain TCP instead would expose it, so both are load
 * errors (`tls` with an empty `mode` is upstream's plain HTTP). `host`
 * sizes upstream's WebSocket relay, which wasmfn does not have. */
static void check_service_upstream(fctx *c, const wf_reg_node *n, wf_reg_http *h, bool *bad)
{
    const wf_reg_node *lc = wf_reg_node_get(n, "lifecycle");
    if (lc && want(c, lc, "lifecycle", WF_NODE_MAP)) {
        fctx sub = *c;
        sub.where = "lifecycle.";
        static const char *const fl[] = { "auto_start", "start_timeout", "stop_timeout", "stable_threshold",
                                          "requires", "depends_on", "restart", "security", NULL };
        only_fields(&sub, lc, fl, "lifecycle");
        h->not_started = !get_bool(&sub, lc, "auto_start", true, bad);
        get_duration_ms(&sub, lc, "start_timeout", 0, bad);
        get_duration_ms(&sub, lc, "stable_threshold", 0, bad);
        h->stop_timeout_ms = get_duration_ms(&sub, lc, "stop_timeout", 0, bad);
        const wf_reg_node *sec = wf_reg_node_get(lc, "security");
        if (sec)
            WARN(&sub, sec, "field 'lifecycle.security' is not enforced by wasmfn (no actor or policy checks); "
                 "the service is served without it");
    } else if (lc) {
        *bad = true;
    }
    const wf_reg_node *tls = wf_reg_node_get(n, "tls");
    if (tls && want(c, tls, "tls", WF_NODE_MAP)) {
        const wf_reg_node *mode = wf_reg_node_get(tls, "mode");
        if (mode && !(mode->type == WF_NODE_SCALAR && !mode->len)) {
            DIAG(c, tls, "TLS termination ('tls.mode: %s') is not supported by wasmfn: serve plain HTTP "
                 "behind a TLS proxy such as nginx, and leave 'tls' out",
                 mode->type == WF_NODE_SCALAR ? mode->str : wf_reg_node_type_name(mode));
            *bad = true;
        }
    } else if (tls) {
        *bad = true;
    }
    const wf_reg_node *net = wf_reg_node_get(n, "network");
    if (net) {
        DIAG(c, net, "network overlays ('network') are not supported by wasmfn: the service would listen on "
             "the host's network instead; leave 'network' out to serve on 'addr'");
        *bad = true;
    }
}

static void check_http(fctx *c, const wf_reg_node *n, wf_reg_http *h, wf_reg_kind k, bool *bad)
{
    const wf_reg_node *meta = wf_reg_node_get(n, "meta");
    if (meta && meta->type != WF_NODE_MAP) meta = NULL;    /* reported by the caller */
    fctx mc = *c;
    mc.where = "meta.";
    if (k == WF_REG_HTTP_SERVICE) {
        h->addr = get_str(c, n, "addr", true, bad);
        if (h->addr && (!strchr(h->addr, ':') || !strrchr(h->addr, ':')[1])) {
            DIAG(c, wf_reg_node_get(n, "addr"), "field 'addr' must be host:port or :port (got '%s')", h->addr);
            *bad = true;
        }
        const wf_reg_node *t = wf_reg_node_get(n, "timeouts");
        if (t && want(c, t, "timeouts", WF_NODE_MAP)) {
            fctx tc = *c;
            tc.where = "timeouts.";
            static const char *const ft[] = { "read", "write", "idle", NULL };
            only_fields(&tc, t, ft, "timeouts");
            h->read_timeout_ms = get_duration_ms(&tc, t, "read", WF_REG_TIMEOUT_OFF, bad);
            h->write_timeout_ms = get_duration_ms(&tc, t, "write", WF_REG_TIMEOUT_OFF, bad);
            h->idle_timeout_ms = get_duration_ms(&tc, t, "idle", WF_REG_TIMEOUT_OFF, bad);
        } else if (t) {
            *bad = true;
        }
        const wf_reg_node *l = wf_reg_node_get(n, "limits");
        if (l && want(c, l, "limits", WF_NODE_MAP)) {
            fctx lc = *c;
            lc.where = "limits.";
            static const char *const fl[] = { "max_header_bytes", "max_body_bytes", NULL };
            only_fields(&lc, l, fl, "limits");
            h->max_header_bytes = get_size(&lc, l, "max_header_bytes", bad);
            h->max_body_bytes = get_size(&lc, l, "max_body_bytes", bad);
        } else if (l) {
            *bad = true;
        }
        check_service_upstream(c, n, h, bad);
    } else if (k == WF_REG_HTTP_ROUTER) {
        h->prefix = get_str(c, n, "prefix", false, bad);
        if (meta) h->server = get_ref(&mc, meta, "server", false, bad);
        if (h->prefix && h->prefix[0] && h->prefix[0] != '/') {
            DIAG(c, wf_reg_node_get(n, "prefix"), "field 'prefix' must start with '/' (got '%s')", h->prefix);
            *bad = true;
        }
    } else {
        h->path = get_str(c, n, "path", true, bad);
        if (meta) h->router = get_ref(&mc, meta, "router", false, bad);
        if (k == WF_REG_HTTP_ENDPOINT) {
            h->method = get_str(c, n, "method", true, bad);
            h->func = get_ref(c, n, "func", true, bad);
            if (h->method) {
                for (char *p = h->method; *p; p++) *p = (char)toupper((unsigned char)*p);
                if (!strcmp(h->method, "ANY")) strcpy(h->method, "*");
                static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                                       "OPTIONS", "*", NULL };
                bool ok = false;
                for (const char *const *m = methods; *m && !ok; m++) ok = !strcmp(*m, h->method);
                if (!ok) {
                    DIAG(c, wf_reg_node_get(n, "method"),
                         "field 'method' must be GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY (got '%s')",
                         h->method);
                    *bad = true;
                }
            }
        } else {
            h->fs = get_ref(c, n, "fs", true, bad);
            h->directory = get_str(c, n, "directory", false, bad);
            h->index = get_str(c, n, "index", false, bad);
            if (meta) h->server = get_ref(&mc, meta, "server", false, bad);
            if (h->server && h->router) {
                DIAG(c, meta, "give meta.router or meta.server, not both");
                *bad = true;
            }
        }
        if (h->path && h->path[0] != '/') {
            DIAG(c, wf_reg_node_get(n, "path"), "field 'path' must start with '/'");
            *bad = true;
        }
    }
}

void wf_reg_check_entry(wf_registry *r, reg_entry *e)
{
    static const char *const common[] = { "name", "kind", "meta" };
    static const char *const fields[WF_REG_KIND_COUNT][14] = {
        [WF_REG_FS_DIRECTORY] = { "directory", "auto_init", "mode" },
        [WF_REG_ENV_STORAGE_OS] = { 0 },
        [WF_REG_ENV_STORAGE_STATIC] = { "values" },
        [WF_REG_ENV_STORAGE_MEMORY] = { "values" },
        [WF_REG_ENV_STORAGE_FILE] = { "file_path", "auto_create", "file_mode" },
        [WF_REG_ENV_VARIABLE] = { "variable", "storage", "default", "readonly", "read_only" },
        [WF_REG_FUNCTION_WAT] = { "source", "method", "wit", "pool", "transport", "imports", "wasi", "limits",
                                  "preinit" },
        [WF_REG_FUNCTION_WASM] = { "fs", "path", "hash", "method", "wit", "pool", "transport", "imports",
                                   "wasi", "limits", "preinit" },
        [WF_REG_FUNCTION_LUA] = { "source", "method", "modules", "imports", "pool" },
        [WF_REG_LIBRARY_LUA] = { "source", "modules", "imports" },
        [WF_REG_HTTP_SERVICE] = { "addr", "timeouts", "limits", "lifecycle", "tls", "network", "host" },
        [WF_REG_HTTP_ROUTER] = { "prefix" },
        [WF_REG_HTTP_ENDPOINT] = { "method", "path", "func" },
        [WF_REG_HTTP_STATIC] = { "path", "fs", "directory", "index" },
    };
    fctx c = { r, e, "" };
    const wf_reg_node *n = e->pub.node;
    size_t before = r->nerrors;
    bool bad = false;

    const char *allowed[20];
    size_t na = 0;
    for (size_t i = 0; i < 3; i++) allowed[na++] = common[i];
    for (size_t i = 0; fields[e->pub.kind][i]; i++) allowed[na++] = fields[e->pub.kind][i];
    allowed[na] = NULL;
    only_fields(&c, n, allowed, wf_reg_kind_name(e->pub.kind));

    const wf_reg_node *meta = wf_reg_node_get(n, "meta");
    if (meta && want(&c, meta, "meta", WF_NODE_MAP)) e->pub.meta = meta;

    switch (e->pub.kind) {
    case WF_REG_FS_DIRECTORY: check_fs(&c, n, &e->pub.u.fs, &bad); break;
    case WF_REG_ENV_STORAGE_OS:
    case WF_REG_ENV_STORAGE_STATIC:
    case WF_REG_ENV_STORAGE_MEMORY:
    case WF_REG_ENV_STORAGE_FILE: check_storage(&c, n, &e->pub.u.storage, e->pub.kind, &bad); break;
    case WF_REG_ENV_VARIABLE: {
        wf_reg_variable *v = &e->pub.u.var;
        v->variable = get_str(&c, n, "variable", false, &bad);
        if (!v->variable) v->variable = wf_xstrdup(e->pub.name);
        v->storage = get_ref(&c, n, "storage", false, &bad);
        v->default_value = get_str(&c, n, "default", false, &bad);
        /* Both spellings read (upstream's docs use both), each checked. */
        bool readonly = get_bool(&c, n, "readonly", false, &bad);
        bool read_only = get_bool(&c, n, "read_only", false, &bad);
        v->readonly = readonly || read_only;
        break;
    }
    case WF_REG_FUNCTION_WAT:
    case WF_REG_FUNCTION_WASM:
        check_wasm(&c, n, &e->pub.u.wasm, e->pub.kind == WF_REG_FUNCTION_WAT, &bad);
        break;
    case WF_REG_FUNCTION_LUA:
    case WF_REG_LIBRARY_LUA:
        check_lua(&c, n, &e->pub.u.lua, e->pub.kind == WF_REG_FUNCTION_LUA, &bad);
        break;
    default: check_http(&c, n, &e->pub.u.http, e->pub.kind, &bad); break;
    }
    e->checked = !bad && r->nerrors == before;
}

/* ---- references -------------------------------------------------------- */

static reg_entry *ref_to(wf_registry *r, reg_entry *e, int line, const char *field, const char *id,
                         wf_reg_kind lo, wf_reg_kind hi, const char *want_what)
{
    if (!id) return NULL;
    reg_entry *t = wf_reg_find_any(r, id);
    if (!t) {
        wf_reg_diagf(r, e->file, line, e->pub.id, "%s '%s': no such entry", field, id);
        return NULL;
    }
    if (t->pub.kind < lo || t->pub.kind > hi) {
        wf_reg_diagf(r, e->file, line, e->pub.id, "%s '%s' has kind %s, not %s", field, id,
                 wf_reg_kind_name(t->pub.kind), want_what);
        return NULL;
    }
    return t;
}

/* The ID of the project's first ns.dependency entry when id names nothing
 * and no entry of the project (skipped ones included) has id's namespace:
 * only a dependency could bring it. NULL otherwise. */
static const char *dependency_brings(wf_registry *r, const char *id)
{
    const char *colon = strchr(id, ':');
    if (!colon || wf_reg_find_any(r, id)) return NULL;
    size_t nl = (size_t)(colon - id);
    const char *dep = NULL;
    for (size_t i = 0; i < r->listing.len; i++) {
        const wf_reg_listed *l = &r->listing.data[i]->pub;
        if (strlen(l->ns) == nl && !strncmp(l->ns, id, nl)) return NULL;
        if (!dep && !strcmp(l->kind, "ns.dependency")) dep = l->id;
    }
    return dep;
}

static int line_of(const wf_reg_node *m, const char *key, int dflt)
{
    const wf_reg_node *n = wf_reg_node_get(m, key);
    return n ? n->line : dflt;
}

/* A read-only mount inside a writable mount of the same entry would be
 * writable through it (src/wasi/sandbox.c): a load error at the mount. */
static void check_mount_overlap(wf_registry *r, reg_entry *e, const wf_reg_node *mounts)
{
    const wf_reg_wasm *w = &e->pub.u.wasm;
    for (size_t i = 0; i < w->wasi.nmounts; i++) {
        const wf_reg_wasi_mount *ro = &w->wasi.mounts[i];
        if (!ro->read_only || !ro->host || !ro->guest) continue;
        for (size_t j = 0; j < w->wasi.nmounts; j++) {
            const wf_reg_wasi_mount *rw = &w->wasi.mounts[j];
            if (rw->read_only || !rw->host || !rw->guest ||
                !wf_wasi_mounts_overlap(ro->host, rw->host))
                continue;
            int line = mounts && i < mounts->n ? mounts->items[i]->line : e->pub.line;
            wf_reg_diagf(r, e->file, line, e->pub.id,
                     "wasi.mounts: read-only mount %s lies within writable mount %s, which "
                     "would make it writable", ro->guest, rw->guest);
        }
    }
}

/* The one entry of kind k in the whole project, for a reference left out
 * (`meta.router` of an endpoint, `meta.server` of a router): its ID, or
 * NULL when there is none (the implicit one of `wasmfn run` serves it);
 * several are a load error naming them. */
static char *only_one(wf_registry *r, reg_entry *e, wf_reg_kind k, const char *field, const char *what)
{
    reg_entry *found = NULL;
    size_t count = 0;
    wf_buf names = { 0 };
    for (size_t i = 0; i < r->all.len; i++) {
        reg_entry *o = r->all.data[i];
        if (o->pub.kind != k) continue;
        if (!found) found = o;
        if (count++) wf_buf_str(&names, ", ");
        wf_buf_str(&names, o->pub.id);
    }
    char *id = NULL;
    if (count > 1) {
        wf_buf_byte(&names, 0);
        wf_reg_diagf(r, e->file, e->pub.line, e->pub.id, "no %s given and the project has %zu %s entries (%s): "
                     "name one", field, count, what, (const char *)names.data);
    } else if (found) {
        id = wf_xstrdup(found->pub.id);
    }
    wf_buf_free(&names);
    return id;
}

void wf_reg_check_refs(wf_registry *r, reg_entry *e)
{
    const wf_reg_node *n = e->pub.node;
    switch (e->pub.kind) {
    case WF_REG_ENV_VARIABLE:
        ref_to(r, e, line_of(n, "storage", e->pub.line), "storage", e->pub.u.var.storage,
               WF_REG_ENV_STORAGE_OS, WF_REG_ENV_STORAGE_FILE, "an env.storage.*");
        break;
    case WF_REG_FUNCTION_WAT:
    case WF_REG_FUNCTION_WASM: {
        wf_reg_wasm *w = &e->pub.u.wasm;
        if (w->fs)
            ref_to(r, e, line_of(n, "fs", e->pub.line), "fs", w->fs, WF_REG_FS_DIRECTORY,
                   WF_REG_FS_DIRECTORY, "an fs.directory");
        const wf_reg_node *wasi = wf_reg_node_get(n, "wasi");
        const wf_reg_node *env = wf_reg_node_get(wasi, "env");
        for (size_t i = 0; i < w->wasi.nenv; i++) {
            int line = env && i < env->n ? env->items[i]->line : e->pub.line;
            reg_entry *v = ref_to(r, e, line, "wasi.env id", w->wasi.env[i].id, WF_REG_ENV_VARIABLE,
                                  WF_REG_ENV_VARIABLE, "an env.variable");
            if (v && !w->wasi.env[i].name && v->checked) w->wasi.env[i].name = wf_xstrdup(v->pub.u.var.variable);
        }
        const wf_reg_node *mounts = wf_reg_node_get(wasi, "mounts");
        for (size_t i = 0; i < w->wasi.nmounts; i++) {
            int line = mounts && i < mounts->n ? mounts->items[i]->line : e->pub.line;
            reg_entry *fs = ref_to(r, e, line, "wasi.mounts fs", w->wasi.mounts[i].fs, WF_REG_FS_DIRECTORY,
                                   WF_REG_FS_DIRECTORY, "an fs.directory");
            if (fs && fs->checked) w->wasi.mounts[i].host = wf_xstrdup(fs->pub.u.fs.path);
        }
        check_mount_overlap(r, e, mounts);
        break;
    }
    case WF_REG_FUNCTION_LUA:
    case WF_REG_LIBRARY_LUA: {
        const wf_reg_node *im = wf_reg_node_get(n, "imports");
        for (size_t i = 0; i < e->pub.u.lua.nimports; i++) {
            wf_reg_lua_import *imp = &e->pub.u.lua.imports[i];
            int line = line_of(im, imp->alias, e->pub.line);
            const char *dep = imp->absent ? NULL : dependency_brings(r, imp->id);
            if (dep) {
                imp->absent = true;
                wf_reg_warn(r, e->file, line, e->pub.id, "imports '%s': no entry of namespace '%.*s' is in the "
                            "project; the dependency %s would bring it, and wasmfn does not fetch dependencies: "
                            "require('%s') will fail", imp->id, (int)(strchr(imp->id, ':') - imp->id), imp->id,
                            dep, imp->alias);
                continue;
            }
            ref_to(r, e, line, "imports", imp->id, WF_REG_LIBRARY_LUA, WF_REG_LIBRARY_LUA, "a library.lua");
        }
        break;
    }
    case WF_REG_HTTP_ROUTER:
        if (e->pub.u.http.server)
            ref_to(r, e, line_of(e->pub.meta, "server", e->pub.line), "meta.server", e->pub.u.http.server,
                   WF_REG_HTTP_SERVICE, WF_REG_HTTP_SERVICE, "an http.service");
        else
            e->pub.u.http.server = only_one(r, e, WF_REG_HTTP_SERVICE, "meta.server", "http.service");
        break;
    case WF_REG_HTTP_ENDPOINT:
    case WF_REG_HTTP_STATIC: {
        wf_reg_http *h = &e->pub.u.http;
        if (h->router)
            ref_to(r, e, line_of(e->pub.meta, "router", e->pub.line), "meta.router", h->router,
                   WF_REG_HTTP_ROUTER, WF_REG_HTTP_ROUTER, "an http.router");
        else if (h->server)
            ref_to(r, e, line_of(e->pub.meta, "server", e->pub.line), "meta.server", h->server,
                   WF_REG_HTTP_SERVICE, WF_REG_HTTP_SERVICE, "an http.service");
        else
            h->router = only_one(r, e, WF_REG_HTTP_ROUTER, "meta.router", "http.router");
        if (e->pub.kind == WF_REG_HTTP_ENDPOINT) {
            ref_to(r, e, line_of(n, "func", e->pub.line), "func", h->func, WF_REG_FUNCTION_WAT,
                   WF_REG_FUNCTION_LUA, "a function");
            break;
        }
        reg_entry *fs = ref_to(r, e, line_of(n, "fs", e->pub.line), "fs", h->fs, WF_REG_FS_DIRECTORY,
                               WF_REG_FS_DIRECTORY, "an fs.directory");
        if (fs && fs->checked && fs->pub.u.fs.path) {
            const char *why = NULL;
            if (h->directory && h->directory[0]) {
                const char *sub = h->directory;
                while (*sub == '/') sub++;
                h->root = *sub ? wf_reg_path_confined(fs->pub.u.fs.path, fs->pub.u.fs.path, sub, &why)
                               : wf_xstrdup(fs->pub.u.fs.path);
                if (!h->root)
                    wf_reg_diagf(r, e->file, line_of(n, "directory", e->pub.line), e->pub.id,
                                 "directory '%s' %s", h->directory, why ? why : "is outside the fs.directory");
            } else {
                h->root = wf_xstrdup(fs->pub.u.fs.path);
            }
        }
        break;
    }
    default:
        break;
    }
}

/* ---- freeing ----------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void wf_reg_entry_free_fields(reg_entry *re)
{
    wf_reg_entry *e = &re->pub;
    switch (e->kind) {
    case WF_REG_FS_DIRECTORY:
        free(e->u.fs.directory);
        free(e->u.fs.path);
        break;
    case WF_REG_ENV_STORAGE_OS:
    case WF_REG_ENV_STORAGE_STATIC:
    case WF_REG_ENV_STORAGE_MEMORY:
    case WF_REG_ENV_STORAGE_FILE:
        for (size_t i = 0; i < e->u.storage.nvalues; i++) {
            free(e->u.storage.values[i].key);
            free(e->u.storage.values[i].value);
        }
        free(e->u.storage.values);
        free(e->u.storage.file_path);
        break;
    case WF_REG_ENV_VARIABLE:
        free(e->u.var.variable);
        free(e->u.var.storage);
        free(e->u.var.default_value);
        break;
    case WF_REG_FUNCTION_WAT:
    case WF_REG_FUNCTION_WASM: {
        wf_reg_wasm *w = &e->u.wasm;
        if (w->module && !w->shared) wf_module_free(w->module);
        if (w->component && !w->shared) wf_component_free(w->component);
        if (w->wit_doc) wf_wit_free(w->wit_doc);
        free(w->method);
        free(w->wit);
        free(w->source);
        free(w->fs);
        free(w->path);
        free(w->file);
        free_strv(w->wasi.args, w->wasi.nargs);
        free_strv(w->wasi.network, w->wasi.nnetwork);
        free(w->wasi.cwd);
        for (size_t i = 0; i < w->wasi.nenv; i++) {
            free(w->wasi.env[i].id);
            free(w->wasi.env[i].name);
        }
        free(w->wasi.env);
        for (size_t i = 0; i < w->wasi.nmounts; i++) {
            free(w->wasi.mounts[i].fs);
            free(w->wasi.mounts[i].host);
            free(w->wasi.mounts[i].guest);
        }
        free(w->wasi.mounts);
        break;
    }
    case WF_REG_FUNCTION_LUA:
    case WF_REG_LIBRARY_LUA:
        free(e->u.lua.source);
        free(e->u.lua.method);
        free_strv(e->u.lua.modules, e->u.lua.nmodules);
        for (size_t i = 0; i < e->u.lua.nimports; i++) {
            free(e->u.lua.imports[i].alias);
            free(e->u.lua.imports[i].id);
        }
        free(e->u.lua.imports);
        break;
    default:
        free(e->u.http.addr);
        free(e->u.http.server);
        free(e->u.http.prefix);
        free(e->u.http.router);
        free(e->u.http.method);
        free(e->u.http.path);
        free(e->u.http.func);
        free(e->u.http.fs);
        free(e->u.http.directory);
        free(e->u.http.root);
        free(e->u.http.index);
        break;
    }
}
