/*
 * p2_stdio.c - the stdio streams of wasi:cli/stdin, stdout, stderr: an
 * input stream over the context's stdin fd (EOF when it has none) and
 * output streams over its stdout/stderr fds or, without fds, its `out`
 * callback (the runtime's log: `[ns:name] line`).
 *
 * Reading stdin never blocks the thread: readiness is poll() with no wait,
 * and a blocking read suspends on the fd through the reactor. Writes to an
 * fd are written whole (a pipe that is full blocks the thread, as preview
 * 1's fd_write does).
 */
#include "wasi/p2_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

typedef struct stdio_stream {
    wf_p2_ctx *cx;
    int which;                    /* 0 stdin, 1 stdout, 2 stderr */
} stdio_stream;

static void set_err(wf_p2_ioerr *err, int code, const char *what)
{
    err->code = code;
    snprintf(err->msg, sizeof err->msg, "%s: %s", what, strerror(code));
}

/* ---- stdin ------------------------------------------------------------------- */

static bool in_ready(void *obj)
{
    stdio_stream *s = obj;
    int fd = s->cx->stdio_fd[0];
    if (fd < 0) return true;      /* EOF */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) != 0;   /* data, EOF, an error: read says which */
}

static void in_wait(void *obj, wf_p2_wait *w)
{
    stdio_stream *s = obj;
    w->fd = s->cx->stdio_fd[0];
    w->events = POLLIN;
}

static wf_p2_status in_read(void *obj, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err)
{
    stdio_stream *s = obj;
    int fd = s->cx->stdio_fd[0];
    *n = 0;
    if (fd < 0) return WF_P2_CLOSED;
    if (len == 0) return WF_P2_OK;
    if (!in_ready(obj)) return WF_P2_OK;
    for (;;) {
        ssize_t r = read(fd, buf, len);
        if (r > 0) {
            *n = (size_t)r;
            return WF_P2_OK;
        }
        if (r == 0) return WF_P2_CLOSED;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return WF_P2_OK;
        set_err(err, errno, "stdin");
        return WF_P2_FAILED;
    }
}

static const wf_p2_input_ops stdin_ops = { in_read, in_ready, in_wait, free };

/* ---- stdout, stderr ---------------------------------------------------------- */

static wf_p2_status out_check(void *obj, uint64_t *n, wf_p2_ioerr *err)
{
    (void)obj;
    (void)err;
    *n = WF_P2_MAX_IO;
    return WF_P2_OK;
}

static wf_p2_status out_write(void *obj, const uint8_t *data, size_t len, wf_p2_ioerr *err)
{
    stdio_stream *s = obj;
    wf_p2_ctx *cx = s->cx;
    int fd = cx->stdio_fd[s->which];
    if (fd < 0) {
        if (cx->out) cx->out(cx->out_ud, s->which, data, len);
        return WF_P2_OK;
    }
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EPIPE) return WF_P2_CLOSED;
        if (w < 0) {
            set_err(err, errno, s->which == 1 ? "stdout" : "stderr");
            return WF_P2_FAILED;
        }
        data += w;
        len -= (size_t)w;
    }
    return WF_P2_OK;
}

static wf_p2_status out_flush(void *obj, wf_p2_ioerr *err)
{
    (void)obj;
    (void)err;
    return WF_P2_OK;
}

static bool out_ready(void *obj)
{
    (void)obj;
    return true;
}

static void out_wait(void *obj, wf_p2_wait *w)
{
    (void)obj;
    (void)w;
}

static const wf_p2_output_ops stdout_ops = { out_check, out_write, out_flush, out_ready, out_wait, free };

/* ---- The interfaces ---------------------------------------------------------- */

static wf_error *get_stream(wf_cinstance *inst, const wf_wit_func *type, size_t nargs, int which,
                            wf_val *result)
{
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    stdio_stream *s = wf_xcalloc(1, sizeof *s);
    *s = (stdio_stream){ cx, which };
    if (which == 0) return wf_p2_input_new(cx, &stdin_ops, s, 0, result);
    return wf_p2_output_new(cx, &stdout_ops, s, 0, result);
}

static WF_P2_FN(get_stdin) { (void)env; (void)args; return get_stream(inst, type, nargs, 0, result); }
static WF_P2_FN(get_stdout) { (void)env; (void)args; return get_stream(inst, type, nargs, 1, result); }
static WF_P2_FN(get_stderr) { (void)env; (void)args; return get_stream(inst, type, nargs, 2, result); }

static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def stdin_fns[] = { { "get-stdin", get_stdin }, { NULL, NULL } };
static const wf_p2_fn_def stdout_fns[] = { { "get-stdout", get_stdout }, { NULL, NULL } };
static const wf_p2_fn_def stderr_fns[] = { { "get-stderr", get_stderr }, { NULL, NULL } };
const wf_p2_iface wf_p2_iface_cli_stdin = { "wasi:cli", "wasi:cli/stdin@0.2.12", no_res, stdin_fns };
const wf_p2_iface wf_p2_iface_cli_stdout = { "wasi:cli", "wasi:cli/stdout@0.2.12", no_res, stdout_fns };
const wf_p2_iface wf_p2_iface_cli_stderr = { "wasi:cli", "wasi:cli/stderr@0.2.12", no_res, stderr_fns };
