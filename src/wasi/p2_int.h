/*
 * p2_int.h - what the WASI 0.2 host files (p2_*.c) share: the per-instance
 * context and its resource table, the stream and pollable interfaces every
 * stream or pollable implements (stdio here; files, sockets and HTTP bodies
 * in their own files), waiting by suspension, and the helpers that read a
 * host function's arguments and build its results.
 *
 * Layout: one file per purpose. p2_ctx.c the context and resource table;
 * p2_link.c the interface tables and the linker; p2_wait.c blocking (park
 * on deadlines, fds, wait queues); p2_reactor.c fd readiness; p2_vals.c the
 * argument and result helpers; p2_io_*.c wasi:io (error, poll, streams);
 * p2_stdio.c the stdio streams; p2_clocks.c, p2_random.c, p2_cli.c;
 * p2_fs_*.c wasi:filesystem (p2_fs_int.h).
 *
 * ADDING AN INTERFACE (wasi:filesystem, wasi:sockets, wasi:http): write
 * p2_<pkg>_<what>.c with a `const wf_p2_iface wf_p2_iface_<name>` table
 * (its resources with their kinds, its functions), list it in p2_link.c's
 * table, and give each resource kind its wf_p2_kind (name + free). Streams
 * and pollables of your objects: fill a wf_p2_input_ops / wf_p2_output_ops
 * / wf_p2_poll_ops and make them with wf_p2_input_new, wf_p2_output_new,
 * wf_p2_pollable_new; everything else (read/write/blocking/subscribe/poll,
 * errors, child tracking) is done here.
 *
 * Threads: a context belongs to one instance, used by one call at a time;
 * a call may move between worker threads while suspended, so nothing here
 * is thread-local.
 */
#ifndef WF_P2_INT_H
#define WF_P2_INT_H

#include <pthread.h>

#include "base/base.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/vec.h"
#include "component/component.h"
#include "wasi/p2.h"
#include "wasm/wait.h"

/* ---- Resource kinds and the per-instance table --------------------------- */

/* One resource type the host implements. `name` is the WIT resource name
 * ("output-stream"); free releases an object of it (its table entry was
 * dropped or the context is freed). */
typedef struct wf_p2_kind {
    const char *name;
    void (*free)(void *obj);
} wf_p2_kind;

/* The kinds of wasi:io and wasi:cli (other files declare theirs). */
extern const wf_p2_kind wf_p2_kind_error, wf_p2_kind_pollable, wf_p2_kind_input_stream,
    wf_p2_kind_output_stream, wf_p2_kind_terminal_input, wf_p2_kind_terminal_output;

/* One live resource of an instance: rep = its index in the table (1-based). */
typedef struct wf_p2_entry {
    const wf_p2_kind *kind;       /* NULL: a free slot */
    void *obj;
    uint32_t parent;              /* rep this one is a child of (a stream's pollable), or 0 */
    uint32_t children;            /* live children: the entry cannot be dropped until 0 */
} wf_p2_entry;

/* A resource interface of an instance import: what the host defines for it
 * (`pkg` is "wasi:io", the `imports` word that enables its functions). */
typedef struct wf_p2_res_def { const char *name; const wf_p2_kind *kind; } wf_p2_res_def;
typedef struct wf_p2_fn_def { const char *name; wf_chost_fn fn; } wf_p2_fn_def;
typedef struct wf_p2_iface {
    const char *pkg;              /* "wasi:io" */
    const char *name;             /* "wasi:io/streams@0.2.12" */
    const wf_p2_res_def *res;     /* terminated by { NULL } */
    const wf_p2_fn_def *fns;      /* terminated by { NULL } */
} wf_p2_iface;

/* Per linker: the runtime types of the kinds (wf_chost_resource), by kind. */
struct wf_p2_host {
    WF_VEC(struct { const wf_p2_kind *kind; wf_chost_resource *res; }) kinds;
    char **enabled; size_t nenabled;
};

typedef struct wf_p2_mount {
    char *host, *guest;
    bool read_only;
} wf_p2_mount;

struct wf_p2_ctx {
    wf_p2_host *host;
    WF_VEC(wf_p2_entry) table;    /* [0] unused */
    WF_VEC(uint32_t) free;        /* free reps, reused last first */
    /* the configuration, copied */
    char **argv; size_t argc;
    char **env; size_t nenv;      /* "NAME=VALUE" */
    char *cwd;
    wf_p2_mount *mounts; size_t nmounts;
    char **network; size_t nnetwork;   /* wasi.network host:port patterns */
    int stdio_fd[3];              /* -1: none (stdin at EOF; stdout/stderr to `out`) */
    wf_wasi_out_fn out; void *out_ud;
    /* The stdio streams, made on first get-stdin/stdout/stderr and shared
     * by later gets (each get gives a new handle to a new stream object over
     * the same sink). */
    uint64_t insecure_seed[2];
    /* Free for the interfaces that need per-instance state of their own
     * (filesystem preopens, sockets' network): keyed by an address of theirs. */
    WF_VEC(struct { const void *key; void *val; void (*free)(void *); }) ext;
};

/* The context of the instance calling a host function (trap when the
 * instance was made without one). */
wf_error *wf_p2_cx(wf_cinstance *inst, wf_p2_ctx **out);

/* Add obj of kind k (child of `parent` rep, 0 for none): its rep. The table
 * owns obj from then (k->free on drop). A full table is a trap. */
wf_error *wf_p2_add(wf_p2_ctx *cx, const wf_p2_kind *k, void *obj, uint32_t parent, uint32_t *rep);
/* The object of handle v when it is a live resource of kind k, else a trap
 * naming `what` ("self"). */
wf_error *wf_p2_get(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what, void **obj);
/* Like wf_p2_get, also giving the rep. */
wf_error *wf_p2_get_rep(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what,
                        void **obj, uint32_t *rep);
/* The handle value of rep (kind k, defined by the context's host). */
wf_val wf_p2_handle(wf_p2_ctx *cx, const wf_p2_kind *k, uint32_t rep);
/* Add obj and make its handle in one step (*out a handle value). */
wf_error *wf_p2_new_handle(wf_p2_ctx *cx, const wf_p2_kind *k, void *obj, uint32_t parent,
                           wf_val *out);
/* Take the object of own handle v (kind k) out of the table, as a host
 * function that consumes an own argument does: the entry goes without
 * kind->free, the object is the caller's. A trap when v is not a live
 * handle of k, or when it still has children (its streams or headers). */
wf_error *wf_p2_take(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what, void **obj);
/* The host destructor of every kind: drop rep (trap when it has children). */
wf_error *wf_p2_drop(void *env, wf_cinstance *inst, uint32_t rep);

/* Per-instance state of another interface: the value for key, made by
 * make() on first use; freed by free_fn with the context. */
void *wf_p2_ext(wf_p2_ctx *cx, const void *key, void *(*make)(wf_p2_ctx *cx), void (*free_fn)(void *));

/* ---- Waiting --------------------------------------------------------------- */

/* What a pollable that is not ready waits on: any of a time (ready at
 * until_ns on CLOCK_MONOTONIC), an fd's readiness (events POLLIN/POLLOUT),
 * a wait queue that whoever changes its state wakes (guarded by mu), or a
 * source with its own watch (an outgoing HTTP call, http/client.h):
 * watch(wobj, n, w) has w woken once when wobj changes, unwatch removes n. */
typedef struct wf_p2_wait {
    uint64_t until_ns;            /* 0: no time */
    int fd;                       /* -1: no fd */
    short events;
    pthread_mutex_t *mu;          /* NULL: no queue */
    wf_waitq *q;
    void (*watch)(void *wobj, wf_wait_node *n, wf_waker *w);   /* NULL: none */
    void (*unwatch)(void *wobj, wf_wait_node *n);
    void *wobj;
} wf_p2_wait;

/* A pollable source: ready now (never blocks), and what to wait on when
 * not (fill w; its fields start as none). */
typedef struct wf_p2_poll_ops {
    bool (*ready)(void *obj);
    void (*wait)(void *obj, wf_p2_wait *w);
} wf_p2_poll_ops;

/* A pollable as the guest sees it: ops over obj (obj belongs to whoever made
 * it: a stream, the pollable itself when own_obj). */
typedef struct wf_p2_pollable {
    const wf_p2_poll_ops *ops;
    void *obj;
    void (*free_obj)(void *obj);  /* non-NULL: the pollable owns obj */
} wf_p2_pollable;

/* A new pollable resource over (ops, obj), child of `parent` rep (0: none):
 * its handle in *out. free_obj: called on obj when the pollable is dropped
 * (NULL when obj belongs to the parent). */
wf_error *wf_p2_pollable_new(wf_p2_ctx *cx, const wf_p2_poll_ops *ops, void *obj,
                             void (*free_obj)(void *), uint32_t parent, wf_val *out);
/* A pollable ready at a time (monotonic ns). */
wf_error *wf_p2_pollable_at(wf_p2_ctx *cx, uint64_t at_ns, wf_val *out);

/* Block until at least one of the n pollables is ready: suspends the call's
 * fiber (its worker runs other calls meanwhile) or, off the scheduler, the
 * thread. NULL when one is ready; TIMEOUT when the call's deadline passed
 * or it was cancelled while waiting. */
wf_error *wf_p2_block(wf_p2_pollable *const *ps, size_t n);
/* One pollable: ops over obj. */
wf_error *wf_p2_block_on(const wf_p2_poll_ops *ops, void *obj);

/* fd readiness (p2_reactor.c): wake `w` once fd has one of events (or an
 * error / hang-up). A watch fires once; remove it before its memory goes
 * (removing a fired one is fine). */
typedef struct wf_p2_fdwatch {
    int fd;
    short events;
    wf_waker *waker;
    bool queued, fired;
    struct wf_p2_fdwatch *next;
} wf_p2_fdwatch;
void wf_p2_fdwatch_add(wf_p2_fdwatch *w);
void wf_p2_fdwatch_remove(wf_p2_fdwatch *w);

/* ---- Streams ------------------------------------------------------------------ */

/* An operation's outcome: done, the stream is closed (EOF, peer gone), or it
 * failed (last-operation-failed: the error resource carries errno `code`, 0
 * when none, and a message). */
typedef enum { WF_P2_OK, WF_P2_CLOSED, WF_P2_FAILED } wf_p2_status;
typedef struct wf_p2_ioerr {
    int code;                     /* host errno, for filesystem-error-code & co */
    char msg[160];
} wf_p2_ioerr;

/* An input stream's source. read: up to len bytes into buf without
 * blocking (*n 0 = nothing now, try again after the pollable is ready).
 * ready/wait: data (or EOF / an error) available. free with the stream. */
typedef struct wf_p2_input_ops {
    wf_p2_status (*read)(void *obj, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err);
    bool (*ready)(void *obj);
    void (*wait)(void *obj, wf_p2_wait *w);
    void (*free)(void *obj);
} wf_p2_input_ops;

/* An output stream's sink. check_write: bytes writable now without
 * blocking (0: wait for the pollable); write: exactly len bytes (len never
 * exceeds what check_write gave); flush: begin pushing buffered bytes out;
 * ready/wait: writable again (and flushed). free with the stream. */
typedef struct wf_p2_output_ops {
    wf_p2_status (*check_write)(void *obj, uint64_t *n, wf_p2_ioerr *err);
    wf_p2_status (*write)(void *obj, const uint8_t *data, size_t len, wf_p2_ioerr *err);
    wf_p2_status (*flush)(void *obj, wf_p2_ioerr *err);
    bool (*ready)(void *obj);
    void (*wait)(void *obj, wf_p2_wait *w);
    void (*free)(void *obj);
} wf_p2_output_ops;

/* New stream resources over (ops, obj), child of `parent` rep (0: none; a
 * file's stream is not, a socket's is the socket's): their handles. */
wf_error *wf_p2_input_new(wf_p2_ctx *cx, const wf_p2_input_ops *ops, void *obj, uint32_t parent,
                          wf_val *out);
wf_error *wf_p2_output_new(wf_p2_ctx *cx, const wf_p2_output_ops *ops, void *obj, uint32_t parent,
                           wf_val *out);

/* The most bytes one write or read moves (check-write's promise; reads are
 * clamped to it). */
#define WF_P2_MAX_IO (1u << 20)

/* stream-error for a failed status: `closed`, or last-operation-failed with
 * a new error resource (err's code and message). */
wf_error *wf_p2_stream_error(wf_p2_ctx *cx, wf_p2_status st, const wf_p2_ioerr *err, wf_val *out);
/* An error resource (wasi:io/error) with errno code and message. */
wf_error *wf_p2_error_new(wf_p2_ctx *cx, int code, const char *msg, wf_val *out);
/* The errno of an error resource handle (filesystem-error-code & co):
 * false when v is not a live error or it has none. */
bool wf_p2_error_code(wf_p2_ctx *cx, const wf_val *v, int *code);

/* ---- Host function helpers (p2_vals.c) ---------------------------------------- */

#define WF_P2_FN(name)                                                                 \
    wf_error *name(void *env, wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, \
                   size_t nargs, wf_val *result)

/* Check that a host function got n arguments (the component's import type
 * could differ from WASI's): a trap naming the function otherwise. */
wf_error *wf_p2_nargs(const wf_wit_func *type, size_t nargs, size_t n);
/* Argument i as an unsigned integer (any integer kind, must be >= 0). */
wf_error *wf_p2_arg_u64(const wf_wit_func *type, const wf_val *args, size_t i, uint64_t *out);
/* Argument i as bytes (list<u8>): a malloc'd copy (free it), *len its size. */
wf_error *wf_p2_arg_bytes(const wf_wit_func *type, const wf_val *args, size_t i, uint8_t **out,
                          size_t *len);
/* A trap "wasi: `f`: <what>" for a host function's misuse. */
wf_error *wf_p2_trap(const wf_wit_func *type, const char *fmt, ...) WF_PRINTF(2, 3);

/* Result builders. */
wf_val wf_p2_bytes(const uint8_t *data, size_t len);   /* list<u8> (as a byte string) */
wf_val wf_p2_u64(uint64_t x);
wf_val wf_p2_ok(wf_val v);                             /* result::ok(v) */
wf_val wf_p2_ok_empty(void);                           /* result<_, E>::ok */
wf_val wf_p2_err(wf_val v);                            /* result::err(v) */
wf_val wf_p2_str(const char *s);

#endif
