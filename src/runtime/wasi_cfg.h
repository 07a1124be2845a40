/*
 * wasi_cfg.h - what the WASM function kinds share about an entry's `wasi`
 * block (runtime.h wf_wasi_config): a deep copy of it, the environment of
 * one call (env.variable values looked up per call, required ones checked),
 * and the capture of a call's stdout/stderr into the log as `[ns:name]
 * line` (`[ns:name] (stderr) line`).
 */
#ifndef WF_RUNTIME_WASI_CFG_H
#define WF_RUNTIME_WASI_CFG_H

#include "base/buf.h"
#include "runtime/runtime.h"

typedef struct wf_rt_wasi {
    char **args; size_t nargs;
    char *cwd;
    wf_wasi_env_var *env; size_t nenv;
    wf_wasi_env_lookup env_lookup; void *env_ud;
    wf_wasi_mount_config *mounts; size_t nmounts;
    char **network; size_t nnetwork;
    wf_log_fn log; void *log_ud;
} wf_rt_wasi;

void wf_rt_wasi_copy(wf_rt_wasi *dst, const wf_wasi_config *src);
void wf_rt_wasi_free(wf_rt_wasi *w);

/* The environment of a call of function `id` now: "NAME=VALUE" strings in
 * *out (free with wf_rt_wasi_env_free), PWD=cwd last when a cwd is set;
 * *out NULL and *n 0 for an entry without env and cwd (no allocation: this
 * runs for every call).
 * NOT_FOUND naming every required variable without a value (nothing runs). */
wf_error *wf_rt_wasi_env(const wf_rt_wasi *w, const char *id, char ***out, size_t *n);
void wf_rt_wasi_env_free(char **env, size_t n);

/* A call's captured stdout (fd 1) and stderr (fd 2): bytes since the last
 * newline, per stream. A line longer than WF_RT_OUT_LINE_MAX is logged in
 * pieces (a guest cannot grow the buffer without bound). */
#define WF_RT_OUT_LINE_MAX 16384
typedef struct wf_rt_outlog {
    const char *id;               /* the function's ID (borrowed) */
    wf_log_fn log; void *log_ud;  /* NULL log: the process's stderr */
    wf_buf pending[2];
} wf_rt_outlog;

/* wf_wasi_out_fn: ud is a wf_rt_outlog. */
void wf_rt_outlog_write(void *ud, int fd, const uint8_t *data, size_t len);
/* The call ended: what is left of each stream as a last line. */
void wf_rt_outlog_flush(wf_rt_outlog *o);
void wf_rt_outlog_free(wf_rt_outlog *o);

#endif
