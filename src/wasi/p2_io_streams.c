/*
 * p2_io_streams.c - wasi:io/streams: the `input-stream` and `output-stream`
 * resources over any source or sink (wf_p2_input_ops / wf_p2_output_ops:
 * stdio here, files, sockets and HTTP bodies elsewhere), with every method
 * the WIT has: non-blocking read/skip/check-write/write/flush/write-zeroes/
 * splice, their blocking forms (suspension, p2_wait.c) and subscribe (a
 * pollable that is the stream's child).
 *
 * The rules the WIT states and wasmtime enforces: `write` may not exceed
 * the last check-write's permit (a trap), blocking-write-and-flush and
 * blocking-write-zeroes-and-flush take at most 4096 bytes (a trap).
 */
#include "wasi/p2_int.h"

#define P2_BLOCKING_WRITE_MAX 4096u

typedef struct p2_input {
    const wf_p2_input_ops *ops;
    void *obj;
} p2_input;

typedef struct p2_output {
    const wf_p2_output_ops *ops;
    void *obj;
    uint64_t permit;              /* what the last check-write allowed, less what was written */
} p2_output;

static void input_free(void *p)
{
    p2_input *s = p;
    if (s->ops->free) s->ops->free(s->obj);
    free(s);
}

static void output_free(void *p)
{
    p2_output *s = p;
    if (s->ops->free) s->ops->free(s->obj);
    free(s);
}

const wf_p2_kind wf_p2_kind_input_stream = { "input-stream", input_free };
const wf_p2_kind wf_p2_kind_output_stream = { "output-stream", output_free };

wf_error *wf_p2_input_new(wf_p2_ctx *cx, const wf_p2_input_ops *ops, void *obj, uint32_t parent,
                          wf_val *out)
{
    p2_input *s = wf_xcalloc(1, sizeof *s);
    *s = (p2_input){ ops, obj };
    return wf_p2_new_handle(cx, &wf_p2_kind_input_stream, s, parent, out);
}

wf_error *wf_p2_output_new(wf_p2_ctx *cx, const wf_p2_output_ops *ops, void *obj, uint32_t parent,
                           wf_val *out)
{
    p2_output *s = wf_xcalloc(1, sizeof *s);
    *s = (p2_output){ ops, obj, 0 };
    return wf_p2_new_handle(cx, &wf_p2_kind_output_stream, s, parent, out);
}

wf_error *wf_p2_stream_error(wf_p2_ctx *cx, wf_p2_status st, const wf_p2_ioerr *err, wf_val *out)
{
    if (st == WF_P2_CLOSED) {
        *out = wf_val_case(WF_VAL_VARIANT, 1, "closed", NULL);
        return NULL;
    }
    wf_val h;
    wf_error *e = wf_p2_error_new(cx, err ? err->code : 0, err ? err->msg : NULL, &h);
    if (e) return e;
    *out = wf_val_case(WF_VAL_VARIANT, 0, "last-operation-failed", &h);
    return NULL;
}

/* *result = err(stream-error) for st. */
static wf_error *fail(wf_p2_ctx *cx, wf_p2_status st, const wf_p2_ioerr *err, wf_val *result)
{
    wf_val se;
    wf_error *e = wf_p2_stream_error(cx, st, err, &se);
    if (!e) *result = wf_p2_err(se);
    return e;
}

/* The pollable side of a stream (a child pollable's ops over the stream). */
static bool in_ready(void *p) { p2_input *s = p; return s->ops->ready(s->obj); }
static void in_wait(void *p, wf_p2_wait *w) { p2_input *s = p; s->ops->wait(s->obj, w); }
static const wf_p2_poll_ops in_poll = { in_ready, in_wait };
static bool out_ready(void *p) { p2_output *s = p; return s->ops->ready(s->obj); }
static void out_wait(void *p, wf_p2_wait *w) { p2_output *s = p; s->ops->wait(s->obj, w); }
static const wf_p2_poll_ops out_poll = { out_ready, out_wait };

/* ---- Input ------------------------------------------------------------------- */

typedef struct call {
    wf_p2_ctx *cx;
    void *self;
    uint32_t rep;
} call;

static wf_error *begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                       size_t want, const wf_p2_kind *k, call *c)
{
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, want)) || (e = wf_p2_cx(inst, &c->cx))) return e;
    return wf_p2_get_rep(c->cx, k, &args[0], "self", &c->self, &c->rep);
}

/* Read up to len bytes into a new list (blocking: wait until at least one
 * byte, EOF or an error). discard: skip, giving the count. */
static wf_error *do_read(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         wf_val *result, bool blocking, bool discard)
{
    call c;
    uint64_t len;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 2, &wf_p2_kind_input_stream, &c)) ||
        (e = wf_p2_arg_u64(type, args, 1, &len)))
        return e;
    p2_input *s = c.self;
    size_t want = (size_t)WF_MIN(len, (uint64_t)WF_P2_MAX_IO);
    uint8_t *buf = wf_xmalloc(WF_MAX(want, 1));
    size_t n = 0;
    wf_p2_ioerr err = {0};
    wf_p2_status st;
    for (;;) {
        st = s->ops->read(s->obj, buf, want, &n, &err);
        if (st != WF_P2_OK || n > 0 || want == 0 || !blocking) break;
        if ((e = wf_p2_block_on(&in_poll, s))) break;
    }
    if (!e) {
        if (st != WF_P2_OK) e = fail(c.cx, st, &err, result);
        else *result = wf_p2_ok(discard ? wf_p2_u64(n) : wf_p2_bytes(buf, n));
    }
    free(buf);
    return e;
}

static WF_P2_FN(in_read) { (void)env; return do_read(inst, type, args, nargs, result, false, false); }
static WF_P2_FN(in_blocking_read) { (void)env; return do_read(inst, type, args, nargs, result, true, false); }
static WF_P2_FN(in_skip) { (void)env; return do_read(inst, type, args, nargs, result, false, true); }
static WF_P2_FN(in_blocking_skip) { (void)env; return do_read(inst, type, args, nargs, result, true, true); }

static WF_P2_FN(in_subscribe)
{
    (void)env;
    call c;
    wf_error *e = begin(inst, type, args, nargs, 1, &wf_p2_kind_input_stream, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &in_poll, c.self, NULL, c.rep, result);
}

/* ---- Output ------------------------------------------------------------------ */

static WF_P2_FN(out_check_write)
{
    (void)env;
    call c;
    wf_error *e = begin(inst, type, args, nargs, 1, &wf_p2_kind_output_stream, &c);
    if (e) return e;
    p2_output *s = c.self;
    wf_p2_ioerr err = {0};
    uint64_t n = 0;
    wf_p2_status st = s->ops->check_write(s->obj, &n, &err);
    if (st != WF_P2_OK) return fail(c.cx, st, &err, result);
    s->permit = n;
    *result = wf_p2_ok(wf_p2_u64(n));
    return NULL;
}

/* Write data (len within the permit: the caller checked). */
static wf_error *write_now(call *c, const uint8_t *data, size_t len, bool flush, wf_val *result)
{
    p2_output *s = c->self;
    wf_p2_ioerr err = {0};
    wf_p2_status st = len ? s->ops->write(s->obj, data, len, &err) : WF_P2_OK;
    s->permit -= WF_MIN(s->permit, len);
    if (st == WF_P2_OK && flush) st = s->ops->flush(s->obj, &err);
    if (st != WF_P2_OK) return fail(c->cx, st, &err, result);
    *result = wf_p2_ok_empty();
    return NULL;
}

/* Wait until the stream takes want bytes (blocking forms): the permit. */
static wf_error *wait_permit(call *c, uint64_t want, wf_val *result, bool *failed)
{
    p2_output *s = c->self;
    *failed = false;
    for (;;) {
        wf_p2_ioerr err = {0};
        uint64_t n = 0;
        wf_p2_status st = s->ops->check_write(s->obj, &n, &err);
        if (st != WF_P2_OK) {
            *failed = true;
            return fail(c->cx, st, &err, result);
        }
        if (n >= want || (n > 0 && want == 0)) {
            s->permit = n;
            return NULL;
        }
        if (want == 0) {
            s->permit = 0;
            return NULL;
        }
        wf_error *e = wf_p2_block_on(&out_poll, s);
        if (e) return e;
    }
}

static wf_error *do_write(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          wf_val *result, bool blocking, bool zeroes)
{
    call c;
    wf_error *e = begin(inst, type, args, nargs, 2, &wf_p2_kind_output_stream, &c);
    if (e) return e;
    uint8_t *data = NULL;
    size_t len = 0;
    if (zeroes) {
        uint64_t n;
        if ((e = wf_p2_arg_u64(type, args, 1, &n))) return e;
        if (n > (blocking ? P2_BLOCKING_WRITE_MAX : WF_P2_MAX_IO) || (!blocking && n > ((p2_output *)c.self)->permit))
            return wf_p2_trap(type, "%llu bytes is more than the stream permits (%llu)",
                              (unsigned long long)n,
                              (unsigned long long)(blocking ? P2_BLOCKING_WRITE_MAX : ((p2_output *)c.self)->permit));
        len = (size_t)n;
        data = wf_xcalloc(WF_MAX(len, 1), 1);
    } else if ((e = wf_p2_arg_bytes(type, args, 1, &data, &len))) {
        return e;
    }
    p2_output *s = c.self;
    if (blocking && len > P2_BLOCKING_WRITE_MAX) {
        e = wf_p2_trap(type, "%zu bytes: blocking writes take at most %u", len, P2_BLOCKING_WRITE_MAX);
    } else if (!blocking && len > s->permit) {
        e = wf_p2_trap(type, "%zu bytes is more than the last check-write permitted (%llu)", len,
                       (unsigned long long)s->permit);
    } else if (!blocking) {
        e = write_now(&c, data, len, false, result);
    } else {
        /* blocking: wait for room, write, flush, wait until flushed */
        size_t done = 0;
        bool failed = false;
        while (!e && !failed && done < len) {
            if ((e = wait_permit(&c, 1, result, &failed)) || failed) break;
            size_t n = (size_t)WF_MIN((uint64_t)(len - done), s->permit);
            wf_p2_ioerr err = {0};
            wf_p2_status st = s->ops->write(s->obj, data + done, n, &err);
            if (st != WF_P2_OK) {
                e = fail(c.cx, st, &err, result);
                failed = true;
            }
            s->permit -= WF_MIN(s->permit, n);
            done += n;
        }
        if (!e && !failed) e = write_now(&c, NULL, 0, true, result);
        if (!e && result->kind == WF_VAL_RESULT && result->of.cas.index == 0 && !s->ops->ready(s->obj))
            e = wf_p2_block_on(&out_poll, s);   /* until the flush completes */
    }
    free(data);
    return e;
}

static WF_P2_FN(out_write) { (void)env; return do_write(inst, type, args, nargs, result, false, false); }
static WF_P2_FN(out_blocking_write_and_flush)
{
    (void)env;
    return do_write(inst, type, args, nargs, result, true, false);
}
static WF_P2_FN(out_write_zeroes) { (void)env; return do_write(inst, type, args, nargs, result, false, true); }
static WF_P2_FN(out_blocking_write_zeroes_and_flush)
{
    (void)env;
    return do_write(inst, type, args, nargs, result, true, true);
}

static wf_error *do_flush(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                          wf_val *result, bool blocking)
{
    call c;
    wf_error *e = begin(inst, type, args, nargs, 1, &wf_p2_kind_output_stream, &c);
    if (e) return e;
    e = write_now(&c, NULL, 0, true, result);
    p2_output *s = c.self;
    if (!e && blocking && result->of.cas.index == 0 && !s->ops->ready(s->obj))
        e = wf_p2_block_on(&out_poll, s);
    return e;
}

static WF_P2_FN(out_flush) { (void)env; return do_flush(inst, type, args, nargs, result, false); }
static WF_P2_FN(out_blocking_flush) { (void)env; return do_flush(inst, type, args, nargs, result, true); }

static WF_P2_FN(out_subscribe)
{
    (void)env;
    call c;
    wf_error *e = begin(inst, type, args, nargs, 1, &wf_p2_kind_output_stream, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &out_poll, c.self, NULL, c.rep, result);
}

/* splice: read up to len (and the permit) from src, write it to self. */
static wf_error *do_splice(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           wf_val *result, bool blocking)
{
    call c;
    uint64_t len;
    p2_input *src;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 3, &wf_p2_kind_output_stream, &c)) ||
        (e = wf_p2_get(c.cx, &wf_p2_kind_input_stream, &args[1], "src", (void **)&src)) ||
        (e = wf_p2_arg_u64(type, args, 2, &len)))
        return e;
    p2_output *s = c.self;
    bool failed = false;
    if (blocking) {
        if ((e = wait_permit(&c, 1, result, &failed)) || failed) return e;
    } else {
        wf_p2_ioerr err = {0};
        uint64_t n = 0;
        wf_p2_status st = s->ops->check_write(s->obj, &n, &err);
        if (st != WF_P2_OK) return fail(c.cx, st, &err, result);
        s->permit = n;
    }
    size_t want = (size_t)WF_MIN(WF_MIN(len, s->permit), (uint64_t)WF_P2_MAX_IO);
    uint8_t *buf = wf_xmalloc(WF_MAX(want, 1));
    size_t n = 0;
    wf_p2_ioerr err = {0};
    wf_p2_status st;
    for (;;) {
        st = src->ops->read(src->obj, buf, want, &n, &err);
        if (st != WF_P2_OK || n > 0 || want == 0 || !blocking) break;
        if ((e = wf_p2_block_on(&in_poll, src))) break;
    }
    if (!e && st != WF_P2_OK) e = fail(c.cx, st, &err, result);
    else if (!e) {
        st = n ? s->ops->write(s->obj, buf, n, &err) : WF_P2_OK;
        s->permit -= WF_MIN(s->permit, n);
        if (st != WF_P2_OK) e = fail(c.cx, st, &err, result);
        else *result = wf_p2_ok(wf_p2_u64(n));
    }
    free(buf);
    return e;
}

static WF_P2_FN(out_splice) { (void)env; return do_splice(inst, type, args, nargs, result, false); }
static WF_P2_FN(out_blocking_splice) { (void)env; return do_splice(inst, type, args, nargs, result, true); }

static const wf_p2_res_def res[] = {
    { "input-stream", &wf_p2_kind_input_stream },
    { "output-stream", &wf_p2_kind_output_stream },
    { NULL, NULL },
};
static const wf_p2_fn_def fns[] = {
    { "[method]input-stream.read", in_read },
    { "[method]input-stream.blocking-read", in_blocking_read },
    { "[method]input-stream.skip", in_skip },
    { "[method]input-stream.blocking-skip", in_blocking_skip },
    { "[method]input-stream.subscribe", in_subscribe },
    { "[method]output-stream.check-write", out_check_write },
    { "[method]output-stream.write", out_write },
    { "[method]output-stream.blocking-write-and-flush", out_blocking_write_and_flush },
    { "[method]output-stream.flush", out_flush },
    { "[method]output-stream.blocking-flush", out_blocking_flush },
    { "[method]output-stream.subscribe", out_subscribe },
    { "[method]output-stream.write-zeroes", out_write_zeroes },
    { "[method]output-stream.blocking-write-zeroes-and-flush", out_blocking_write_zeroes_and_flush },
    { "[method]output-stream.splice", out_splice },
    { "[method]output-stream.blocking-splice", out_blocking_splice },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_io_streams = { "wasi:io", "wasi:io/streams@0.2.12", res, fns };
