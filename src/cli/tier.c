/*
 * tier.c - the `--tier=auto|interp|compiled` option shared by the commands
 * that run wasm (exec, call, run, wast): which engine tier runs the modules
 * they load (wasm/jit.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "wasm/jit.h"

int wf_cli_tier_option(const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    if (!strncmp(a, "--tier=", 7)) v = a + 7;
    else if (!strcmp(a, "--tier") && *i + 1 < argc) v = argv[++*i];
    else return 0;
    wf_tier t;
    if (!wf_tier_parse(v, &t)) {
        fprintf(stderr, "wasmfn %s: --tier takes auto, interp or compiled, got '%s'\n", cmd, v);
        return -1;
    }
    /* auto: the interpreter alone where this build has no compiled tier. */
    if (t == WF_TIER_AUTO && !wf_jit_available()) t = WF_TIER_INTERP;
    wf_error *e = wf_jit_set_tier(t);
    if (e) {
        fprintf(stderr, "wasmfn %s: --tier=%s: %s\n", cmd, v, e->message);
        wf_error_free(e);
        return -1;
    }
    return 1;
}
