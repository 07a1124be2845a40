/*
 * p2.h - WASI 0.2 (preview 2) for components: a host (per linker: which
 * packages are enabled, the runtime types of its resources) and a context
 * (per instance: arguments, environment, cwd, mounts, network grants,
 * stdio, and the instance's resources: streams, pollables, errors, ...).
 *
 *   wf_p2_host *h = wf_p2_host_new(words, nwords);   // `imports` words
 *   wf_p2_host_define(h, linker);                     // before instantiating
 *   wf_p2_ctx *cx = wf_p2_ctx_new(h, &cfg);
 *   wf_cinstance_new_with(store, comp, linker, cx, &inst);
 *   ... calls ...
 *   wf_cinstance_free(inst); wf_p2_ctx_free(cx);
 *   wf_clinker_free(linker); wf_p2_host_free(h);
 *
 * Every WASI 0.2 version links: interfaces are defined as @0.2.12 and the
 * linker matches any 0.2.x import (component.h). Resource types are always
 * defined (a type grants nothing); the functions of a package only when its
 * `imports` word is enabled ("wasi:io", "wasi:clocks", "wasi:random",
 * "wasi:cli"; "wasi:poll" enables wasi:io/poll), the others are left to the
 * linker's missing-import stubs.
 *
 * wasi:cli/exit ends the call with a WF_ERR_EXIT error whose exit_code is
 * the status (exit(ok) 0, exit(err) 1, exit-with-code n), as preview 1's
 * proc_exit does.
 */
#ifndef WF_P2_H
#define WF_P2_H

#include "component/component.h"
#include "wasi/wasi.h"

typedef struct wf_p2_host wf_p2_host;
typedef struct wf_p2_ctx wf_p2_ctx;

/* enabled: `imports` words (copied); "all" enables every package. */
wf_p2_host *wf_p2_host_new(const char *const *enabled, size_t n);
void wf_p2_host_free(wf_p2_host *h);
/* Define every WASI 0.2 resource type and the functions of the enabled
 * packages in l (h must outlive l's instances). */
void wf_p2_host_define(wf_p2_host *h, wf_clinker *l);
/* True when the p2 host implements interface `name` (any 0.2.x version) and
 * its package is enabled in h. */
bool wf_p2_host_provides(const wf_p2_host *h, const char *name);
/* True when the p2 host implements interface `name` (any 0.2.x version),
 * enabled or not: a load check tells a misspelt interface from one the
 * entry did not enable. */
bool wf_p2_host_knows(const char *name);

typedef struct wf_p2_mount_config {
    const char *host;      /* host directory */
    const char *guest;     /* absolute guest path */
    bool read_only;
} wf_p2_mount_config;

typedef struct wf_p2_config {
    const char *const *argv; size_t argc;    /* argv[0]: the program name */
    const char *const *env; size_t nenv;     /* "NAME=VALUE" */
    const char *cwd;                          /* initial-cwd, or NULL */
    const wf_p2_mount_config *mounts; size_t nmounts;   /* for wasi:filesystem */
    const char *const *network; size_t nnetwork;        /* wasi.network patterns */
    /* stdio: host fds (not closed by the context), -1 for none: stdin then
     * reads EOF, stdout/stderr write to out(out_ud, 1 or 2, ...) when set,
     * else are discarded. */
    int stdin_fd, stdout_fd, stderr_fd;
    wf_wasi_out_fn out; void *out_ud;
} wf_p2_config;

/* A context for one instance (everything copied). */
wf_p2_ctx *wf_p2_ctx_new(wf_p2_host *h, const wf_p2_config *cfg);
void wf_p2_ctx_free(wf_p2_ctx *cx);
/* Make cx what wf_p2_ctx_new made it, for a reset instance: every resource
 * and every interface's per-instance state freed (the guest's handles are
 * gone with its handle tables), no environment (set per call), a new
 * insecure seed; the configuration (arguments, cwd, mounts, network, stdio
 * sinks) kept. Cheaper than a free and a new: the table's memory stays. */
void wf_p2_ctx_reset(wf_p2_ctx *cx);
/* Replace the environment ("NAME=VALUE", copied): the runtime looks the
 * entry's variables up per call, after the instance was made. */
void wf_p2_ctx_set_env(wf_p2_ctx *cx, const char *const *env, size_t n);

#endif
