/*
 * main.c - the wasmfn command: dispatches to a subcommand; the helpers
 * several subcommands share (cli.h: one-operand usage, load diagnostics).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/jit.h"
#include "cli/cli.h"
#include "registry/registry.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "wast", wf_cli_wast, "run WebAssembly spec scripts (.wast)" },
    { "check", wf_cli_check, "validate a project's registry without running it" },
    { "hash", wf_cli_hash, "print a file's sha256: value for a function.wasm entry" },
    { "call", wf_cli_call, "call a function of a project once: wasmfn call DIR ID [ARG...]" },
    { "run", wf_cli_run, "serve a project's HTTP endpoints: wasmfn run DIR" },
    { "exec", wf_cli_exec, "run a WASI command module: wasmfn exec [--dir D] FILE.wasm [ARG...]" },
    { "compile", wf_cli_compile, "fill the compiled tier's code cache: wasmfn compile FILE..." },
    { "wit", wf_cli_wit, "parse and resolve a WIT file or directory, print a summary" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: wasmfn COMMAND [ARG...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`wasmfn COMMAND --help` describes a command.\n");
}

int wf_cli_one_operand(int argc, char **argv, void (*help)(FILE *out))
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help(stdout);
        return WF_EXIT_OK;
    }
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
        help(stderr);
        return WF_EXIT_USAGE;
    }
    return -1;
}

size_t wf_cli_print_diags(struct wf_registry *reg)
{
    size_t n = reg ? wf_registry_diag_count(reg) : 0;
    for (size_t i = 0; i < n; i++) {
        const wf_reg_diag *d = wf_registry_diag(reg, i);
        char *s = wf_reg_diag_format(d);
        fprintf(stderr, "%s: %s\n", d->warning ? "warning" : "error", s);
        free(s);
    }
    return n - (reg ? wf_registry_warning_count(reg) : 0);
}

#ifdef WF_SANITIZE
void wf_cli_registry_done(struct wf_registry *reg) { wf_registry_free(reg); }
#else
/* wf_cli_registry_done's registry: still referenced at exit, so not a
 * leak to a checker that looks then. */
static struct wf_registry *registry_left_to_exit;

void wf_cli_registry_done(struct wf_registry *reg) { registry_left_to_exit = reg; }
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return WF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int status = commands[i].run(argc - 1, argv + 1);
            /* The auto tier's background compilation must not run into
             * exit's destructors. */
            wf_jit_exit(status);
            return status;
        }
    fprintf(stderr, "wasmfn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return WF_EXIT_USAGE;
}
