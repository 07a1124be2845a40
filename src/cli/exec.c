/*
 * exec.c - `wasmfn exec [--dir HOST[::GUEST[::ro]]]... [--env NAME=VALUE]...
 * [--net HOST:PORT]... FILE.wasm [ARG...]`: run a WASI preview 1 command module's `_start` with
 * the process's stdin, stdout and stderr, and exit with the guest's status.
 * A WASI 0.2 command component (wasi:cli/run) goes to exec_comp.c with the
 * same options, its mounts checked here by the preview 1 context first.
 *
 * Exit: the guest's proc_exit status (0 when _start returns); 134 after a
 * trap (printed with its backtrace when there is one); 2 usage error;
 * 3 the module cannot be loaded or linked.
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/file.h"
#include "cli/cli.h"
#include "cli/exec.h"
#include "component/component.h"
#include "wasi/wasi.h"

enum { EXEC_TRAP = 134 };

static void usage(FILE *out)
{
    fprintf(out,
        "usage: wasmfn exec [--dir HOST[::GUEST][::ro]]... [--env NAME=VALUE]... [--net HOST:PORT]...\n"
        "                   [--tier=T] FILE [ARG...]\n"
        "\n"
        "Run the WASI preview 1 command module FILE (.wasm, or .wat text): its _start,\n"
        "or the WASI 0.2 command component FILE: its wasi:cli/run, with ARG... as\n"
        "arguments after FILE, this process's stdin, stdout and stderr, and an\n"
        "environment holding only the --env variables.\n"
        "\n"
        "  --dir HOST[::GUEST][::ro]  give the guest the host directory HOST as GUEST\n"
        "                             (an absolute path; default: HOST as written);\n"
        "                             ::ro makes it read-only\n"
        "  --env NAME=VALUE           set an environment variable for the guest\n"
        "  --net HOST:PORT            let a component's wasi:sockets reach (or serve on)\n"
        "                             HOST:PORT, `*` wildcards allowed (wasi.network);\n"
        "                             without it no network is reachable\n"
        WF_CLI_TIER_HELP
        "\n"
        "exit status: the guest's (proc_exit, or 0 when _start returns), 134 after a\n"
        "trap, 2 usage error, 3 the module cannot be loaded or linked\n");
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
static wf_error *add_dir(wf_wasi_ctx *c, const char *spec, wf_cli_mount *out)
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
    if (!e) e = wf_wasi_ctx_mount(c, host, guest, ro);
    if (!e) *out = (wf_cli_mount){ wf_xstrdup(host), wf_xstrdup(guest), ro };
    free(copy);
    return e;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The options as exec_comp.c takes them (freed by opts_free). */
static void opts_free(wf_cli_exec_opts *o)
{
    for (size_t k = 0; k < o->nmounts; k++) {
        free(o->mounts[k].host);
        free(o->mounts[k].guest);
    }
    free((void *)o->mounts);
    free((void *)o->env);
    free((void *)o->network);
}

static int exec_main(int argc, char **argv, wf_cli_exec_opts *o)
{
    wf_wasi_ctx *ctx = wf_wasi_ctx_new(0, 1, 2);
    wf_cli_mount *mounts = wf_xcalloc((size_t)argc, sizeof *mounts);
    const char **env = wf_xcalloc((size_t)argc, sizeof *env);
    const char **net = wf_xcalloc((size_t)argc, sizeof *net);
    o->mounts = mounts;
    o->env = env;
    o->network = net;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            wf_wasi_ctx_free(ctx);
            return WF_EXIT_OK;
        }
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        int tr = wf_cli_tier_option("exec", argc, argv, &i);
        if (tr) {
            if (tr > 0) continue;
            wf_wasi_ctx_free(ctx);
            return WF_EXIT_USAGE;
        }
        if (!strcmp(a, "--net") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!*v || strchr(v, ' ')) {
                fprintf(stderr, "wasmfn exec: --net wants a HOST:PORT pattern, got '%s'\n", v);
                wf_wasi_ctx_free(ctx);
                return WF_EXIT_USAGE;
            }
            net[o->nnetwork++] = v;
            continue;
        }
        if ((!strcmp(a, "--dir") || !strcmp(a, "--env")) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 'e') {
                if (!strchr(v, '=')) {
                    fprintf(stderr, "wasmfn exec: --env wants NAME=VALUE, got '%s'\n", v);
                    wf_wasi_ctx_free(ctx);
                    return WF_EXIT_USAGE;
                }
                wf_wasi_ctx_add_env(ctx, v);
                env[o->nenv++] = v;
                continue;
            }
            wf_error *e = add_dir(ctx, v, &mounts[o->nmounts]);
            if (!e) o->nmounts++;
            if (e) {
                fprintf(stderr, "wasmfn exec: --dir %s: %s\n", v, e->message);
                wf_error_free(e);
                wf_wasi_ctx_free(ctx);
                return WF_EXIT_USAGE;
            }
            continue;
        }
        fprintf(stderr, "wasmfn exec: unknown or incomplete option '%s'\n", a);
        usage(stderr);
        wf_wasi_ctx_free(ctx);
        return WF_EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        wf_wasi_ctx_free(ctx);
        return WF_EXIT_USAGE;
    }
    const char *file = argv[i];
    wf_wasi_ctx_set_args(ctx, (const char *const *)argv + i, (size_t)(argc - i));

    uint8_t *bytes = NULL;
    size_t len = 0;
    wf_module *m = NULL;
    wf_error *e = wf_file_read(file, &bytes, &len);
    if (!e && wf_component_is_binary(bytes, len)) {
        o->argv = (const char *const *)argv + i;
        o->argc = (size_t)(argc - i);
        int status = wf_cli_exec_component(file, bytes, len, o);
        free(bytes);
        wf_wasi_ctx_free(ctx);
        return status;
    }
    if (!e) {
        e = ends_with(file, ".wat") ? wf_module_from_wat((const char *)bytes, len, &m)
                                    : wf_module_new(bytes, len, &m);
    }
    free(bytes);
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
    if (e) {
        if (e->kind == WF_ERR_EXIT) {
            status = e->exit_code & 0xff;
        } else {
            fprintf(stderr, "wasmfn exec: %s: %s: %s\n", file, wf_error_kind_name(e->kind),
                    e->message);
            if (e->trace) fprintf(stderr, "backtrace:\n%s\n", e->trace);
            status = e->kind == WF_ERR_TRAP ? EXEC_TRAP : WF_EXIT_FAIL;
        }
        wf_error_free(e);
    }
    free(imports);
    wf_store_free(store);
    wf_module_free(m);
    wf_wasi_ctx_free(ctx);
    return status;
}

int wf_cli_exec(int argc, char **argv)
{
    wf_cli_exec_opts o = { 0 };
    int status = exec_main(argc, argv, &o);
    opts_free(&o);
    return status;
}
