/*
 * register.c - handing the loaded function.wat / function.wasm entries to the
 * runtime (its WASM function kind, or the component kind for a component
 * binary), with their pool, limits, parsed WIT and
 * WASI preview 1 config. The runtime borrows the modules, the WIT and the
 * registry itself (env values are looked up per call): the registry must
 * outlive it.
 *
 * When preview 1 is enabled (SPEC §4): an entry whose `imports` lists
 * wasi_snapshot_preview1 (wasi1, preview1), or that has a `wasi` block (a
 * grant only preview 1 can serve for a core module), or that has no
 * `imports` field at all (SPEC: core modules importing preview 1 get it).
 * Only an explicit `imports` list without the word and no `wasi` block
 * leaves preview 1 disabled: its imports are then stubs that trap naming
 * the import and the word.
 *
 * Components get the same `wasi` block (args, cwd, env, mounts, network)
 * for WASI 0.2 (runtime/comp_fn.c).
 *
 * Registering is also when the project starts to run, so it is where the
 * missing fs.directory entries with auto_init, and env.storage.file
 * files with auto_create, are made (loading never writes: `wasmfn check`
 * loads only).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "runtime/runtime.h"

/* mkdir -p path: the last level with mode, the levels above it with at
 * least owner access (so the last can be made inside them). */
static int mkdirs(const char *path, mode_t mode)
{
    char *p = wf_xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && !rc; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, mode | 0700) != 0 && errno != EEXIST) rc = -1;
            *s = '/';
        }
    if (!rc && mkdir(p, mode) != 0 && errno != EEXIST) rc = -1;
    free(p);
    return rc;
}

/* Every fs.directory with auto_init that does not exist yet, made. */
static wf_error *make_auto_dirs(wf_registry *r)
{
    for (size_t i = 0; i < r->entries.len; i++) {
        const wf_reg_entry *e = &r->entries.data[i]->pub;
        if (e->kind != WF_REG_FS_DIRECTORY || !e->u.fs.auto_init || !e->u.fs.path) continue;
        struct stat st;
        if (stat(e->u.fs.path, &st) == 0) continue;
        if (mkdirs(e->u.fs.path, (mode_t)e->u.fs.mode) != 0)
            return wf_error_new(WF_ERR_IO, "%s:%d: %s: cannot create directory '%s': %s", e->file,
                                e->line, e->id, e->u.fs.directory, strerror(errno));
    }
    return NULL;
}

static wf_error *env_lookup(void *ud, const char *id, char **value)
{
    return wf_registry_env_get(ud, id, value);
}

/* Fill cfg's WASI part from entry e; the arrays are the caller's to free
 * (their strings stay the entry's). */
static void wasi_config(wf_registry *r, const wf_reg_entry *e, wf_wasi_config *cfg)
{
    const wf_reg_wasm *w = &e->u.wasm;
    cfg->preview1 = (w->imports & WF_IMPORT_WASI_P1) || w->has_wasi ||
                    !wf_reg_node_get(e->node, "imports");
    cfg->args = (const char *const *)w->wasi.args;
    cfg->nargs = w->wasi.nargs;
    cfg->cwd = w->wasi.cwd;
    wf_wasi_env_var *env = wf_xcalloc(w->wasi.nenv + 1, sizeof *env);
    for (size_t i = 0; i < w->wasi.nenv; i++)
        env[i] = (wf_wasi_env_var){ w->wasi.env[i].id, w->wasi.env[i].name, w->wasi.env[i].required };
    cfg->env = env;
    cfg->nenv = w->wasi.nenv;
    cfg->env_lookup = env_lookup;
    cfg->env_ud = r;
    wf_wasi_mount_config *m = wf_xcalloc(w->wasi.nmounts + 1, sizeof *m);
    for (size_t i = 0; i < w->wasi.nmounts; i++)
        m[i] = (wf_wasi_mount_config){ w->wasi.mounts[i].host, w->wasi.mounts[i].guest,
                                       w->wasi.mounts[i].read_only };
    cfg->mounts = m;
    cfg->nmounts = w->wasi.nmounts;
    cfg->network = (const char *const *)w->wasi.network;
    cfg->nnetwork = w->wasi.nnetwork;
}

/* Every env.storage.file with auto_create whose file does not exist yet,
 * made empty with its file_mode (upstream's auto_create). */
static wf_error *make_auto_files(wf_registry *r)
{
    for (size_t i = 0; i < r->entries.len; i++) {
        const wf_reg_entry *e = &r->entries.data[i]->pub;
        const wf_reg_storage *st = &e->u.storage;
        if (e->kind != WF_REG_ENV_STORAGE_FILE || !st->auto_create || !st->file_path) continue;
        int fd = open(st->file_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)st->file_mode);
        if (fd >= 0) {
            close(fd);
        } else if (errno != EEXIST) {
            return wf_error_new(WF_ERR_IO, "%s:%d: %s: cannot create file_path '%s': %s", e->file, e->line,
                                e->id, st->file_path, strerror(errno));
        }
    }
    return NULL;
}

wf_error *wf_registry_register(wf_registry *r, wf_runtime *rt)
{
    wf_error *derr = make_auto_dirs(r);
    if (!derr) derr = make_auto_files(r);
    if (derr) return derr;
    for (size_t i = 0; i < r->entries.len; i++) {
        const wf_reg_entry *e = &r->entries.data[i]->pub;
        if (e->kind != WF_REG_FUNCTION_WAT && e->kind != WF_REG_FUNCTION_WASM) continue;
        const wf_reg_wasm *w = &e->u.wasm;
        /* same order of pool types on both sides (runtime.h says so) */
        wf_pool_config pool = { .type = (wf_pool_type)w->pool.type, .max_size = w->pool.max_size,
                                .size = w->pool.size, .workers = w->pool.workers,
                                .buffer = w->pool.buffer, .warm_start = w->pool.warm_start };
        wf_wasm_limits limits = { w->limits.max_execution_ms, w->limits.max_memory_mb,
                                  w->limits.max_stack_kb };
        if (w->component) {
            const char *words[16];
            wf_component_config cc = { .method = w->method, .pool = pool, .limits = limits,
                                        .imports = words, .preinit = w->preinit };
            cc.nimports = wf_reg_import_words(w->imports, words, WF_COUNT(words));
            wasi_config(r, e, &cc.wasi);
            wf_error *err = wf_runtime_add_component(rt, e->id, w->component, &cc);
            free((void *)cc.wasi.env);
            free((void *)cc.wasi.mounts);
            if (err) return wf_error_wrap(err, "%s:%d", e->file, e->line);
            continue;
        }
        if (!w->module) continue;   /* not loaded: its file reported an error */
        wf_wasm_config cfg = {
            .method = w->method,
            .funcs = (w->imports & WF_IMPORT_FUNCS) != 0,
            .wit = w->wit_func,
            .pool = pool,
            .limits = limits,
            .preinit = w->preinit,
        };
        wasi_config(r, e, &cfg.wasi);
        wf_error *err = wf_runtime_add_wasm(rt, e->id, w->module, &cfg);
        free((void *)cfg.wasi.env);
        free((void *)cfg.wasi.mounts);
        if (err) return wf_error_wrap(err, "%s:%d", e->file, e->line);
    }
    return NULL;
}
