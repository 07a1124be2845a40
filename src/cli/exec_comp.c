/*
 * exec_comp.c - `wasmfn exec` of a WASI 0.2 command component (exec.c
 * hands it over when FILE is a component): its `wasi:cli/run` export's
 * `run`, with every WASI 0.2 package the host has, the --dir mounts as
 * wasi:filesystem preopens, the --env variables, the --net patterns as its
 * wasi:sockets grants (nothing else is reachable), ARG... after FILE, and
 * this process's stdin, stdout and stderr.
 *
 * Exit status as for a preview 1 module: wasi:cli/exit's status (exit(ok)
 * 0, exit(err) 1, exit-with-code n), else 0 when run returns ok and 1 when
 * it returns err; 134 after a trap; 3 when the component cannot be loaded
 * or linked (an import the host does not have) or exports no wasi:cli/run.
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "cli/cli.h"
#include "cli/exec.h"
#include "component/component.h"
#include "wasi/p2.h"

enum { EXEC_TRAP = 134 };

static const char RUN[] = "wasi:cli/run#run";

static int fail(const char *file, wf_error *e, int status)
{
    fprintf(stderr, "wasmfn exec: %s: %s: %s\n", file, wf_error_kind_name(e->kind), e->message);
    if (status == EXEC_TRAP && e->trace) fprintf(stderr, "backtrace:\n%s\n", e->trace);
    wf_error_free(e);
    return status;
}

int wf_cli_exec_component(const char *file, const uint8_t *bytes, size_t len,
                          const wf_cli_exec_opts *o)
{
    wf_component *comp;
    wf_error *e = wf_component_new(bytes, len, &comp);
    if (e) return fail(file, e, WF_EXIT_LOAD);
    if (!wf_component_find_func(comp, RUN)) {
        wf_component_free(comp);
        fprintf(stderr, "wasmfn exec: %s: NOT_FOUND: no wasi:cli/run export: not a WASI 0.2 "
                        "command component\n", file);
        return WF_EXIT_LOAD;
    }
    static const char *const all[] = { "all" };
    wf_p2_host *host = wf_p2_host_new(all, 1);
    wf_clinker *linker = wf_clinker_new();
    wf_p2_host_define(host, linker);
    wf_p2_mount_config *mounts = wf_xcalloc(o->nmounts + 1, sizeof *mounts);
    for (size_t i = 0; i < o->nmounts; i++)
        mounts[i] = (wf_p2_mount_config){ o->mounts[i].host, o->mounts[i].guest,
                                          o->mounts[i].read_only };
    wf_p2_config cfg = {
        .argv = o->argv, .argc = o->argc,
        .env = o->env, .nenv = o->nenv,
        .mounts = mounts, .nmounts = o->nmounts,
        .network = o->network, .nnetwork = o->nnetwork,
        .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2,
    };
    wf_p2_ctx *cx = wf_p2_ctx_new(host, &cfg);
    free(mounts);
    wf_store *store = wf_store_new();
    wf_cinstance *inst = NULL;
    int status = WF_EXIT_OK;
    e = wf_cinstance_new_with(store, comp, linker, cx, &inst);
    if (e && e->kind != WF_ERR_TRAP && e->kind != WF_ERR_EXIT) {
        status = fail(file, e, WF_EXIT_LOAD);
        e = NULL;
    } else if (!e) {
        wf_val result = { 0 };
        e = wf_cinstance_call(inst, RUN, NULL, 0, &result);
        /* run: func() -> result: err is a failure without a status of its own */
        if (!e && result.kind == WF_VAL_RESULT && result.of.cas.index == 1) status = WF_EXIT_FAIL;
        wf_val_free(&result);
    }
    if (e) {
        if (e->kind == WF_ERR_EXIT) {
            status = e->exit_code & 0xff;
            wf_error_free(e);
        } else {
            status = fail(file, e, e->kind == WF_ERR_TRAP ? EXEC_TRAP : WF_EXIT_FAIL);
        }
    }
    wf_cinstance_free(inst);
    wf_store_free(store);
    wf_p2_ctx_free(cx);
    wf_clinker_free(linker);
    wf_p2_host_free(host);
    wf_component_free(comp);
    return status;
}
