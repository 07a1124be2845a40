/*
 * call.c - `wasmfn call DIR ID [ARG...]`: load the project DIR, call the
 * function ID once with each ARG parsed as one JSON value (typed by the
 * function's WIT signature, or numbers for a core module without one), and
 * print the result as one line of JSON (SPEC §9).
 *
 * Exit: 0 success; 1 call error (`error: KIND: message` on stderr,
 * arguments that do not fit the signature included); 2 usage; 3 load error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "lua/wflua.h"
#include "project/project.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: wasmfn call [--timeout MS] [--tier=T] DIR ID [ARG...]\n"
        "\n"
        "Load the project in DIR, call function ID (namespace:name) once and print\n"
        "its result as one line of JSON. Each ARG is one JSON value: numbers, strings\n"
        "(quote them for the shell: '\"text\"'), arrays for lists and tuples, objects\n"
        "for records, null for none, {\"ok\": v} / {\"err\": e} for results,\n"
        "{\"case\": v} for variants.\n"
        "\n"
        "  --timeout MS   give up (TIMEOUT) after MS milliseconds, queue included\n"
        WF_CLI_TIER_HELP
        "\n"
        "exit status: 0 success, 1 call error, 2 usage error, 3 load error\n");
}

static int call_error(wf_error *e)
{
    fprintf(stderr, "error: %s: %s\n", wf_error_kind_name(e->kind), e->message);
    wf_error_free(e);
    return WF_EXIT_FAIL;
}

static int load_error(wf_registry *reg, wf_error *e)
{
    if (!wf_cli_print_diags(reg)) {
        char *s = wf_error_format(e);
        fprintf(stderr, "error: %s\n", s);
        free(s);
    }
    wf_error_free(e);
    return WF_EXIT_LOAD;
}

int wf_cli_call(int argc, char **argv)
{
    uint32_t timeout_ms = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return WF_EXIT_OK;
        }
        int tr = wf_cli_tier_option("call", argc, argv, &i);
        if (tr) {
            if (tr > 0) continue;
            return WF_EXIT_USAGE;
        }
        if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || !*argv[i] || v == 0 || v > UINT32_MAX) {
                fprintf(stderr, "wasmfn call: --timeout takes a number of milliseconds > 0, got '%s'\n",
                        argv[i]);
                return WF_EXIT_USAGE;
            }
            timeout_ms = (uint32_t)v;
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        /* A negative number is an argument, not an option. */
        if (argv[i][1] >= '0' && argv[i][1] <= '9') break;
        fprintf(stderr, "wasmfn call: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    if (argc - i < 2) {
        fprintf(stderr, "wasmfn call: expected a project directory and a function ID\n");
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    const char *dir = argv[i], *id = argv[i + 1];
    char **args_text = argv + i + 2;
    size_t nargs = (size_t)(argc - i - 2);

    wf_registry *reg = NULL;
    wf_error *e = wf_registry_load(dir, &reg);
    if (e) {
        int rc = load_error(reg, e);
        wf_registry_free(reg);
        return rc;
    }
    wf_cli_print_diags(reg);   /* warnings only */
    wf_runtime *rt = wf_runtime_new();
    int rc = WF_EXIT_OK;
    e = wf_registry_register(reg, rt);
    if (!e) e = wf_lua_register(reg, rt);
    if (e) {
        rc = load_error(NULL, e);
        goto done;
    }

    wf_fn_sig sig;
    e = wf_runtime_signature(rt, id, &sig);
    if (e) {
        rc = call_error(e);
        goto done;
    }
    wf_val *args = wf_xcalloc(nargs ? nargs : 1, sizeof *args);
    e = wf_project_json_args(&sig, (const char *const *)args_text, nargs, args);
    if (!e) {
        wf_val result;
        wf_call_opts opts = { .timeout_ms = timeout_ms };
        e = wf_runtime_call(rt, id, args, nargs, &result, &opts);
        if (!e) {
            char *json = wf_project_json_result(&result);
            printf("%s\n", json);
            free(json);
            wf_val_free(&result);
        }
        for (size_t k = 0; k < nargs; k++) wf_val_free(&args[k]);
    }
    free(args);
    if (e) rc = call_error(e);
done:
    wf_runtime_free(rt);
    wf_cli_registry_done(reg);
    return rc;
}
