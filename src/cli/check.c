/*
 * check.c - `wasmfn check [--strict] DIR`: load the registry (hashes
 * verified, modules compiled, references resolved) without running
 * anything, and list every problem, one per line: `file:line: entry ID:
 * problem`, warnings (upstream kinds wasmfn does not serve, unknown fields)
 * prefixed `warning: `. --strict makes any warning fail the check.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: wasmfn check [--strict] DIR\n\n"
            "Validate the registry in DIR: every _index.yaml below it, every entry's\n"
            "fields and references, file:// values, ${env:..} placeholders, function.wasm\n"
            "hashes, and compile every WAT/WASM module. Nothing runs.\n\n"
            "Prints a one-line summary and exits 0 when the registry is sound; otherwise\n"
            "prints every error on stderr as `file:line: entry ID: problem` (file relative\n"
            "to DIR) and exits 3. A usage error exits 2.\n\n"
            "Warnings (an entry of an upstream Wippy kind wasmfn does not serve, which is\n"
            "skipped; a field wasmfn does not know, which is ignored) are printed as\n"
            "`warning: file:line: entry ID: problem` and do not fail the check.\n\n"
            "  --strict   treat every warning as an error (exit 3)\n");
}

/* Lua sources are compiled (not run) by adding them to a throwaway runtime,
 * so syntax errors and unknown modules are found here, as a call would. */
static wf_error *check_lua(wf_registry *r)
{
    wf_runtime *rt = wf_runtime_new();
    wf_error *e = wf_lua_register(r, rt);
    wf_runtime_free(rt);
    return e;
}

int wf_cli_check(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help(stdout);
        return WF_EXIT_OK;
    }
    bool strict = argc == 3 && !strcmp(argv[1], "--strict");
    if (strict) argv++, argc--;
    if (argc != 2 || argv[1][0] == '-') {
        help(stderr);
        return WF_EXIT_USAGE;
    }
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(argv[1], &r);
    if (!r) {
        fprintf(stderr, "wasmfn check: %s\n", e->message);
        wf_error_free(e);
        return WF_EXIT_LOAD;
    }
    int status = WF_EXIT_OK;
    size_t warnings = wf_registry_warning_count(r);
    for (size_t i = 0; i < wf_registry_diag_count(r); i++) {
        const wf_reg_diag *d = wf_registry_diag(r, i);
        char *line = wf_reg_diag_format(d);
        fprintf(stderr, "%s%s\n", d->warning && !strict ? "warning: " : "", line);
        free(line);
    }
    if (e) {
        fprintf(stderr, "wasmfn check: %s\n", e->message);
        wf_error_free(e);
        status = WF_EXIT_LOAD;
    } else if (strict && warnings) {
        fprintf(stderr, "wasmfn check: %zu warning%s (--strict) in %s\n", warnings,
                warnings == 1 ? "" : "s", argv[1]);
        status = WF_EXIT_LOAD;
    } else if ((e = check_lua(r))) {
        fprintf(stderr, "%s\n", e->message);
        wf_error_free(e);
        status = WF_EXIT_LOAD;
    } else {
        size_t funcs = 0;
        for (size_t i = 0; i < wf_registry_count(r); i++) {
            wf_reg_kind k = wf_registry_at(r, i)->kind;
            funcs += k == WF_REG_FUNCTION_WAT || k == WF_REG_FUNCTION_WASM || k == WF_REG_FUNCTION_LUA;
        }
        printf("ok: %zu entries, %zu functions\n", wf_registry_count(r), funcs);
    }
    wf_cli_registry_done(r);
    return status;
}
