/*
 * cli.h - the wasmfn subcommands. Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 failure of what was asked (a failed test, a call error),
 * 2 usage error, 3 load error.
 */
#ifndef WF_CLI_H
#define WF_CLI_H

#include <stddef.h>
#include <stdio.h>

enum { WF_EXIT_OK = 0, WF_EXIT_FAIL = 1, WF_EXIT_USAGE = 2, WF_EXIT_LOAD = 3 };

/* For a subcommand of exactly one operand (hash FILE, wit PATH): -1 when
 * argv holds one, so the command goes on; else the exit status, help
 * printed (--help / -h: on stdout, 0; any other use: on stderr, 2). */
int wf_cli_one_operand(int argc, char **argv, void (*help)(FILE *out));

/* Every load problem of a project on stderr, `error: ` or `warning: `
 * first (none for NULL); returns how many were errors. */
struct wf_registry;
size_t wf_cli_print_diags(struct wf_registry *reg);

/* The end of a command's use of a loaded registry (NULL: none), right
 * before the process exits. Its memory is left to the exit, as clang's
 * driver leaves its ASTs (-disable-free): a registry of 100,000 entries is
 * millions of blocks, a fifth of a second to free one by one for nothing.
 * In a sanitizer build (WF_SANITIZE) it is freed, so the leak check still
 * covers everything a registry holds. */
void wf_cli_registry_done(struct wf_registry *reg);

int wf_cli_wast(int argc, char **argv);
int wf_cli_check(int argc, char **argv);
int wf_cli_hash(int argc, char **argv);
int wf_cli_compile(int argc, char **argv);
int wf_cli_call(int argc, char **argv);
int wf_cli_exec(int argc, char **argv);
int wf_cli_wit(int argc, char **argv);
int wf_cli_run(int argc, char **argv);

/* argv[*i] is `--tier=T` or `--tier T` (then *i moves past T): set the
 * engine tier. 1 when it was the option, 0 when not, -1 on a bad value
 * (said on stderr). */
int wf_cli_tier_option(const char *cmd, int argc, char **argv, int *i);
#define WF_CLI_TIER_HELP "  --tier=auto|interp|compiled\n" \
    "                 the engine tier: interp (the default) interprets, compiled compiles\n" \
    "                 each module with LLVM before it runs, auto interprets at once and\n" \
    "                 switches functions to compiled code as a background thread compiles them\n"

#endif

