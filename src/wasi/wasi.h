/*
 * wasi.h - WASI preview 1 for the engine: a context (arguments,
 * environment, mounts, the guest's file descriptors) and the linker that
 * resolves a module's `wasi_snapshot_preview1` imports to host functions
 * reading and writing through that context.
 *
 * A context belongs to one instance at a time and one thread at a time.
 * proc_exit ends the call with a WF_ERR_EXIT error whose exit_code is the
 * guest's status (not a trap).
 */
#ifndef WF_WASI_H
#define WF_WASI_H

#include "wasmfn.h"

typedef struct wf_wasi_ctx wf_wasi_ctx;

/* A fresh context: no arguments, an empty environment, no mounts, and the
 * guest's fds 0, 1, 2 bound to the host fds given (-1: closed). The host
 * fds are not closed by the context. */
wf_wasi_ctx *wf_wasi_ctx_new(int stdin_fd, int stdout_fd, int stderr_fd);
void wf_wasi_ctx_free(wf_wasi_ctx *c);

/* argv[0] is the program name as the guest sees it. Copied. */
void wf_wasi_ctx_set_args(wf_wasi_ctx *c, const char *const *argv, size_t argc);
/* Add one "NAME=VALUE" variable. Copied. */
void wf_wasi_ctx_add_env(wf_wasi_ctx *c, const char *name_eq_value);
/* Preopen the host directory host_path as guest_path (fds 3, 4, ... in
 * call order). read_only: every write beneath it fails with `rofs`.
 * WF_ERR_IO when the directory cannot be opened. */
wf_error *wf_wasi_ctx_mount(wf_wasi_ctx *c, const char *host_path, const char *guest_path,
                            bool read_only);

/* A read-only mount at ro_host inside (or equal to) a writable mount at
 * rw_host would be writable through it, so wf_wasi_ctx_mount refuses the
 * pair (WF_ERR_INVALID). This says in advance whether it will: true when
 * ro_host is rw_host or lies beneath it (false when either cannot be
 * opened: the mount itself will say so). */
bool wf_wasi_mounts_overlap(const char *ro_host, const char *rw_host);

/* Make the guest's fd `fd` (1 or 2) a stream whose writes go to out(ud,
 * fd, bytes, len) instead of a host fd: a character device to the guest
 * (so wasi-libc line-buffers it), writable only, not seekable. Used by the
 * runtime to capture a function call's stdout/stderr into its log. */
typedef void (*wf_wasi_out_fn)(void *ud, int fd, const uint8_t *data, size_t len);
void wf_wasi_ctx_set_output(wf_wasi_ctx *c, int fd, wf_wasi_out_fn out, void *ud);

/* True when m imports anything from wasi_snapshot_preview1. */
bool wf_wasi_p1_imported(const wf_module *m);

/* Fill imports_out[i] for every import i of m from module
 * wasi_snapshot_preview1 with a host function bound to c (made in s),
 * leaving other imports untouched. An unknown name or a wrong type is
 * WF_ERR_UNLINKABLE naming the import. imports_out has
 * wf_module_import_count(m) entries. */
wf_error *wf_wasi_p1_link(wf_store *s, const wf_module *m, wf_wasi_ctx *c,
                          wf_extern *imports_out);

/* Check, without linking, that every wasi_snapshot_preview1 import of m
 * names a preview 1 function with its witx type: WF_ERR_UNLINKABLE naming
 * the first one that does not. */
wf_error *wf_wasi_p1_check(const wf_module *m);
/* True when module name (len bytes) is "wasi_snapshot_preview1". */
bool wf_wasi_p1_is_module(const char *name, size_t len);

#endif
