/*
 * exec.h - what `wasmfn exec` (exec.c) hands to its WASI 0.2 half
 * (exec_comp.c) when FILE is a component: the parsed options.
 */
#ifndef WF_CLI_EXEC_H
#define WF_CLI_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wf_cli_mount {
    char *host, *guest;
    bool read_only;
} wf_cli_mount;

typedef struct wf_cli_exec_opts {
    const char *const *argv;      /* argv[0]: FILE as given */
    size_t argc;
    const char *const *env;       /* "NAME=VALUE" */
    size_t nenv;
    const wf_cli_mount *mounts;   /* checked already (exec.c: the preview 1 context) */
    size_t nmounts;
    const char *const *network;   /* --net host:port patterns (wasi.network, SPEC §4) */
    size_t nnetwork;
} wf_cli_exec_opts;

/* Run the command component FILE (bytes): the exit status. */
int wf_cli_exec_component(const char *file, const uint8_t *bytes, size_t len,
                          const wf_cli_exec_opts *o);

#endif
