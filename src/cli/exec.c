/*
 * exec.c - `wasmfn exec [--dir HOST[::GUEST[::ro]]]... [--env NAME=VALUE]...
 * FILE.wasm [ARG...]`: run a WASI command with the process's stdin, stdout
 * and stderr, and exit with the guest's status: a preview 1 command
 * module's `_start`, or a WASI 0.2 command component's `wasi:cli/run#run`
 * (any 0.2.x; every WASI 0.2 package enabled, the --dir mounts given to
 * wasi:filesystem).
 *
 * Exit: the guest's exit status (proc_exit / wasi:cli/exit; 0 when _start
 * returns or run returns ok, 1 when run returns err); 134 after a trap
 * (printed with its backtrace when there is one); 2 usage error; 3 the
 * module or component cannot be loaded or linked (an import that is not
 * WASI is a load error).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/file.h"
#include "base/vec.h"
#include "cli/cli.h"
#include "component/component.h"
#include "wasi/p2.h"
#include "wasi/wasi.h"

enum { EXEC_TRAP = 134 };

static void usage(FILE *out)
{
    fprintf(out,
        "usage: wasmfn exec [--dir HOST[::GUEST][::ro]]... [--env NAME=VALUE]... FILE [ARG...]\n"
        "\n"
        "Run the WASI command FILE: a preview 1 command module (.wasm, or .wat text;\n"
        "its _start) or a WASI 0.2 command component (its wasi:cli/run export), with\n"
        "ARG... as arguments after FILE, this process's stdin, stdout and stderr, and\n"
        "an environment holding only the --env variables.\n"
        "\n"
        "  --dir HOST[::GUEST][::ro]  give the guest the host directory HOST as GUEST\n"
        "                             (an absolute path; default: HOST as written);\n"
        "                             ::ro makes it read-only\n"
        "  --env NAME=VALUE           set an environment variable for the guest\n"
        "\n"
        "exit status: the guest's (proc_exit or wasi:cli/exit; 0 when _start returns or\n"
        "run returns ok, 1 when run returns err), 134 after a trap, 2 usage error, 3 the\n"
        "module or component cannot be loaded or linked\n");
}

static int load_error(const char *file, wf_error *e)
{
    char *s = wf_error_format(e);
    fprintf(stderr, "wasmfn exec: %s: %s: %s\n", file, wf_error_kind_name(e->kind), s);
    free(s);
    wf_error_free(e);
    return WF_EXIT_LOAD;
}

/* "HOST[::GUEST][::ro]" -> a mount. Anything else is a usage error: a mode
 * other than exactly `ro` (a typo must not mount writable), an empty host,
 * an explicit guest path that is empty or relative (GUEST defaults to HOST
 * as written). */
typedef struct exec_mount {
    char *host, *guest;
    bool ro;
} exec_mount;

static wf_error *parse_dir(const char *spec, exec_mount *out)
{
    char *parts[3] = { 0 };
    size_t n = 0;
    char *copy = wf_xstrdup(spec), *p = copy;
    wf_error *e = NULL;
    for (;;) {
        char *sep = strstr(p, "::");
        if (n == 3) {
            e = wf_error_new(WF_ERR_INVALID, "too many '::' (HOST[::GUEST][::ro])");
            break;
        }
        parts[n++] = p;
        if (!sep) break;
        *sep = 0;
        p = sep + 2;
    }
    bool ro = false;
    const char *host = parts[0], *guest = parts[0];
    if (!e && n == 3) {
        guest = parts[1];
        if (strcmp(parts[2], "ro"))
            e = wf_error_new(WF_ERR_INVALID, "unknown mode '%s': the only one is ::ro", parts[2]);
        ro = true;
    } else if (!e && n == 2) {
        ro = !strcmp(parts[1], "ro");
        if (!ro) guest = parts[1];
    }
    if (!e && !*host) e = wf_error_new(WF_ERR_INVALID, "empty host directory");
    if (!e && guest != host && guest[0] != '/')
        e = wf_error_new(WF_ERR_INVALID, "the guest path must be absolute, not '%s'", guest);
    if (!e) *out = (exec_mount){ wf_xstrdup(host), wf_xstrdup(guest), ro };
    free(copy);
    return e;
}

typedef struct exec_opts {
    WF_VEC(exec_mount) dirs;
    WF_VEC(const char *) env;     /* "NAME=VALUE", argv's */
} exec_opts;

static void opts_free(exec_opts *o)
{
    for (size_t i = 0; i < o->dirs.len; i++) {
        free(o->dirs.data[i].host);
        free(o->dirs.data[i].guest);
    }
    wf_vec_free(&o->dirs);
    wf_vec_free(&o->env);
}

static int report(const char *file, wf_error *e)
{
    int status;
    if (e->kind == WF_ERR_EXIT) {
        status = e->exit_code & 0xff;
    } else {
        fprintf(stderr, "wasmfn exec: %s: %s: %s\n", file, wf_error_kind_name(e->kind), e->message);
        if (e->trace) fprintf(stderr, "backtrace:\n%s\n", e->trace);
        status = e->kind == WF_ERR_TRAP ? EXEC_TRAP : WF_EXIT_FAIL;
    }
    wf_error_free(e);
    return status;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* ---- Preview 1 command modules ------------------------------------------------ */

static int exec_module(const char *file, const uint8_t *bytes, size_t len, const exec_opts *o, int argc,
                       char **argv)
{
    wf_wasi_ctx *ctx = wf_wasi_ctx_new(0, 1, 2);
    for (size_t k = 0; k < o->env.len; k++) wf_wasi_ctx_add_env(ctx, o->env.data[k]);
    wf_wasi_ctx_set_args(ctx, (const char *const *)argv, (size_t)argc);
    for (size_t k = 0; k < o->dirs.len; k++) {
        const exec_mount *d = &o->dirs.data[k];
        wf_error *e = wf_wasi_ctx_mount(ctx, d->host, d->guest, d->ro);
        if (e) {
            fprintf(stderr, "wasmfn exec: --dir %s: %s\n", d->host, e->message);
            wf_error_free(e);
            wf_wasi_ctx_free(ctx);
            return WF_EXIT_USAGE;
        }
    }
    wf_module *m = NULL;
    wf_error *e = ends_with(file, ".wat") ? wf_module_from_wat((const char *)bytes, len, &m)
                                          : wf_module_new(bytes, len, &m);
    if (e) {
        wf_wasi_ctx_free(ctx);
        return load_error(file, e);
    }

    int status = WF_EXIT_OK;
    wf_store *store = wf_store_new();
    uint32_t nimp = wf_module_import_count(m);
    wf_extern *imports = wf_xcalloc(nimp ? nimp : 1, sizeof *imports);
    wf_instance *inst = NULL;
    e = wf_wasi_p1_link(store, m, ctx, imports);
    for (uint32_t k = 0; !e && k < nimp; k++) {
        if (imports[k].of.ptr) continue;
        wf_import_desc d = wf_module_import(m, k);
        e = wf_error_new(WF_ERR_UNLINKABLE, "unknown import: %.*s::%.*s", (int)d.module_len,
                         d.module, (int)d.name_len, d.name);
    }
    if (!e) e = wf_instance_new(store, m, imports, nimp, &inst);
    wf_extern start;
    if (!e && (!wf_instance_export(inst, "_start", 6, &start) || start.kind != WF_EXTERN_FUNC))
        e = wf_error_new(WF_ERR_NOT_FOUND, "no _start function: not a WASI command module");
    if (e && e->kind != WF_ERR_TRAP && e->kind != WF_ERR_EXIT) {
        status = load_error(file, e);
        e = NULL;
    } else if (!e) {
        e = wf_func_call(start.of.func, NULL, 0, NULL, 0);
    }
    if (e) status = report(file, e);
    free(imports);
    wf_store_free(store);
    wf_module_free(m);
    wf_wasi_ctx_free(ctx);
    return status;
}

/* ---- WASI 0.2 command components ----------------------------------------------- */

/* The trap of a WASI import the p2 host does not implement (yet). */
static char *missing_wasi(void *env, const char *import, const char *func)
{
    (void)env;
    return func ? wf_xasprintf("import `%s` function `%s`: wasmfn has no WASI 0.2 host for it", import, func)
                : wf_xasprintf("import `%s`: wasmfn has no WASI 0.2 host for it", import);
}

/* Every import is a WASI one: anything else is a load error. */
static wf_error *check_imports(const wf_component *c)
{
    for (size_t k = 0; k < wf_component_import_count(c); k++) {
        const char *n = wf_component_import(c, k)->name;
        if (strncmp(n, "wasi:", 5))
            return wf_error_new(WF_ERR_UNLINKABLE, "unknown import `%s`: `wasmfn exec` provides WASI "
                                "only", n);
    }
    return NULL;
}

static int exec_component(const char *file, const uint8_t *bytes, size_t len, const exec_opts *o,
                          int argc, char **argv)
{
    wf_component *c = NULL;
    wf_error *e = wf_component_new(bytes, len, &c);
    if (!e) e = check_imports(c);
    const char *run = "wasi:cli/run#run";
    if (!e && !wf_component_find_func(c, run))
        e = wf_error_new(WF_ERR_NOT_FOUND, "no wasi:cli/run export: not a WASI command component");
    if (!e) {
        const wf_wit_func *f = wf_component_find_func(c, run);
        if (f->nparams || f->nresults != 1 || f->results[0].type->kind != WF_WIT_RESULT)
            e = wf_error_new(WF_ERR_UNLINKABLE, "wasi:cli/run#run must be `func() -> result`");
    }
    for (size_t k = 0; !e && k < o->dirs.len; k++) {
        struct stat st;
        if (stat(o->dirs.data[k].host, &st) || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "wasmfn exec: --dir %s: not a directory\n", o->dirs.data[k].host);
            wf_component_free(c);
            return WF_EXIT_USAGE;
        }
    }
    if (e) {
        wf_component_free(c);
        return load_error(file, e);
    }
    static const char *const all[] = { "all" };
    wf_p2_host *h = wf_p2_host_new(all, 1);
    wf_clinker *l = wf_clinker_new();
    wf_clinker_stub_missing(l, missing_wasi, NULL);
    wf_p2_host_define(h, l);
    wf_p2_mount_config *m = wf_xcalloc(o->dirs.len + 1, sizeof *m);
    for (size_t k = 0; k < o->dirs.len; k++)
        m[k] = (wf_p2_mount_config){ o->dirs.data[k].host, o->dirs.data[k].guest, o->dirs.data[k].ro };
    wf_p2_config pc = {
        .argv = (const char *const *)argv, .argc = (size_t)argc,
        .env = o->env.data, .nenv = o->env.len,
        .mounts = m, .nmounts = o->dirs.len,
        .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2,
    };
    wf_p2_ctx *cx = wf_p2_ctx_new(h, &pc);
    free(m);
    wf_store *store = wf_store_new();
    wf_cinstance *inst = NULL;
    int status = WF_EXIT_OK;
    e = wf_cinstance_new_with(store, c, l, cx, &inst);
    if (e && e->kind != WF_ERR_TRAP && e->kind != WF_ERR_EXIT) {
        status = load_error(file, e);
        e = NULL;
    } else if (!e) {
        wf_val r;
        e = wf_cinstance_call(inst, run, NULL, 0, &r);
        if (!e) status = r.kind == WF_VAL_RESULT && r.of.cas.index == 0 ? WF_EXIT_OK : WF_EXIT_FAIL;
        if (!e) wf_val_free(&r);
    }
    if (e) status = report(file, e);
    fflush(stdout);
    wf_cinstance_free(inst);
    wf_store_free(store);
    wf_p2_ctx_free(cx);
    wf_clinker_free(l);
    wf_p2_host_free(h);
    wf_component_free(c);
    return status;
}

int wf_cli_exec(int argc, char **argv)
{
    exec_opts o = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            opts_free(&o);
            return WF_EXIT_OK;
        }
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if ((!strcmp(a, "--dir") || !strcmp(a, "--env")) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 'e') {
                if (!strchr(v, '=')) {
                    fprintf(stderr, "wasmfn exec: --env wants NAME=VALUE, got '%s'\n", v);
                    opts_free(&o);
                    return WF_EXIT_USAGE;
                }
                wf_vec_push(&o.env, v);
                continue;
            }
            exec_mount d;
            wf_error *e = parse_dir(v, &d);
            if (e) {
                fprintf(stderr, "wasmfn exec: --dir %s: %s\n", v, e->message);
                wf_error_free(e);
                opts_free(&o);
                return WF_EXIT_USAGE;
            }
            wf_vec_push(&o.dirs, d);
            continue;
        }
        fprintf(stderr, "wasmfn exec: unknown or incomplete option '%s'\n", a);
        usage(stderr);
        opts_free(&o);
        return WF_EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        opts_free(&o);
        return WF_EXIT_USAGE;
    }
    const char *file = argv[i];
    uint8_t *bytes = NULL;
    size_t len = 0;
    wf_error *e = wf_file_read(file, &bytes, &len);
    if (e) {
        opts_free(&o);
        return load_error(file, e);
    }
    int status = wf_component_is_binary(bytes, len)
                     ? exec_component(file, bytes, len, &o, argc - i, argv + i)
                     : exec_module(file, bytes, len, &o, argc - i, argv + i);
    free(bytes);
    opts_free(&o);
    return status;
}
