/*
 * p2_sock_tcp.c - wasi:sockets/tcp and tcp-create-socket: the `tcp-socket`
 * resource over a non-blocking host socket, its state machine as the WIT
 * states it (unbound -> bind-started -> bound -> listen-started ->
 * listening; unbound/bound -> connecting -> connected; a failed connect
 * closes it), every option getter and setter, subscribe, shutdown, and the
 * connected socket's byte streams as wasi:io input/output streams
 * (p2_io_streams.c does the stream methods, blocking forms included).
 *
 * Nothing here blocks a thread: connect and accept are non-blocking, and
 * the guest waits on the socket's pollable (fd readiness through the
 * reactor, suspending the call's fiber). Each start-bind / start-connect /
 * start-listen asks the `wasi.network` policy first (p2_sock_int.h):
 * refused is access-denied and no packet leaves.
 *
 * The output stream buffers what the socket did not take at once (a write
 * takes all check-write permitted); check-write is 0 until that went out,
 * its pollable fires when the socket is writable. Dropping the output
 * stream shuts the sending side (the peer reads EOF), as wasmtime does.
 */
#include "wasi/p2_sock_int.h"

#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <poll.h>
#include <unistd.h>

/* check-write's permit when nothing is pending. */
#define TCP_WRITE_PERMIT (64u * 1024u)
#define TCP_DEFAULT_BACKLOG 128

typedef enum {
    TCP_UNBOUND, TCP_BIND_STARTED, TCP_BOUND, TCP_LISTEN_STARTED, TCP_LISTENING,
    TCP_CONNECTING, TCP_CONNECTED, TCP_CLOSED,
} tcp_state;

typedef struct p2_tcp {
    wf_p2_sockfd *sock;
    int af;
    tcp_state st;
    int backlog;
} p2_tcp;

static void tcp_free(void *p)
{
    p2_tcp *t = p;
    wf_p2_sockfd_unref(t->sock);
    free(t);
}

const wf_p2_kind wf_p2_kind_tcp_socket = { "tcp-socket", tcp_free };

/* ---- The streams of a connected socket ------------------------------------------ */

typedef struct tcp_in {
    wf_p2_sockfd *sock;
    bool eof;
} tcp_in;

static wf_p2_status in_read(void *obj, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err)
{
    tcp_in *s = obj;
    *n = 0;
    if (s->eof) return WF_P2_CLOSED;
    if (len == 0) return WF_P2_OK;
    ssize_t r = recv(s->sock->fd, buf, len, MSG_DONTWAIT);
    if (r > 0) {
        *n = (size_t)r;
        return WF_P2_OK;
    }
    if (r == 0) {
        s->eof = true;
        return WF_P2_CLOSED;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return WF_P2_OK;
    err->code = errno;
    snprintf(err->msg, sizeof err->msg, "tcp receive: %s", strerror(errno));
    s->eof = true;   /* a failed stream stays closed */
    return WF_P2_FAILED;
}

static bool in_ready(void *obj)
{
    tcp_in *s = obj;
    return s->eof || wf_p2_fd_ready(s->sock->fd, POLLIN);
}

static void in_wait(void *obj, wf_p2_wait *w)
{
    tcp_in *s = obj;
    w->fd = s->sock->fd;
    w->events = POLLIN;
}

static void in_free(void *obj)
{
    tcp_in *s = obj;
    wf_p2_sockfd_unref(s->sock);
    free(s);
}

static const wf_p2_input_ops tcp_in_ops = { in_read, in_ready, in_wait, in_free };

typedef struct tcp_out {
    wf_p2_sockfd *sock;
    wf_buf pending;               /* written, not yet taken by the socket */
    size_t sent;                  /* of pending */
    int failed;                   /* errno of a failed send: the stream is done */
} tcp_out;

/* Push pending bytes without blocking: false when the socket failed. */
static bool out_push(tcp_out *s)
{
    while (!s->failed && s->sent < s->pending.len) {
        ssize_t r = send(s->sock->fd, s->pending.data + s->sent, s->pending.len - s->sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r > 0) {
            s->sent += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            s->failed = r < 0 ? errno : EPIPE;
        }
    }
    if (s->sent == s->pending.len) {
        s->pending.len = 0;
        s->sent = 0;
    }
    return !s->failed;
}

static wf_p2_status out_status(tcp_out *s, wf_p2_ioerr *err)
{
    if (!s->failed) return WF_P2_OK;
    if (s->failed == EPIPE) return WF_P2_CLOSED;
    err->code = s->failed;
    snprintf(err->msg, sizeof err->msg, "tcp send: %s", strerror(s->failed));
    return WF_P2_FAILED;
}

static wf_p2_status out_check_write(void *obj, uint64_t *n, wf_p2_ioerr *err)
{
    tcp_out *s = obj;
    out_push(s);
    *n = s->pending.len == 0 ? TCP_WRITE_PERMIT : 0;
    return out_status(s, err);
}

static wf_p2_status out_write(void *obj, const uint8_t *data, size_t len, wf_p2_ioerr *err)
{
    tcp_out *s = obj;
    if (s->failed) return out_status(s, err);
    wf_buf_bytes(&s->pending, data, len);
    out_push(s);
    return out_status(s, err);
}

static wf_p2_status out_flush(void *obj, wf_p2_ioerr *err)
{
    tcp_out *s = obj;
    out_push(s);
    return out_status(s, err);
}

static bool out_ready(void *obj)
{
    tcp_out *s = obj;
    out_push(s);
    return s->failed || s->pending.len == 0;
}

static void out_wait(void *obj, wf_p2_wait *w)
{
    tcp_out *s = obj;
    w->fd = s->sock->fd;
    w->events = POLLOUT;
}

static void out_free(void *obj)
{
    tcp_out *s = obj;
    out_push(s);
    if (!s->failed) shutdown(s->sock->fd, SHUT_WR);
    wf_buf_free(&s->pending);
    wf_p2_sockfd_unref(s->sock);
    free(s);
}

static const wf_p2_output_ops tcp_out_ops = { out_check_write, out_write, out_flush, out_ready, out_wait,
                                              out_free };

/* The (input-stream, output-stream) pair of a connected socket, children
 * of its resource rep. */
static wf_error *stream_pair(wf_p2_ctx *cx, wf_p2_sockfd *sock, uint32_t rep, wf_val *in, wf_val *out)
{
    tcp_in *i = wf_xcalloc(1, sizeof *i);
    i->sock = wf_p2_sockfd_ref(sock);
    wf_error *e = wf_p2_input_new(cx, &tcp_in_ops, i, rep, in);
    if (e) return e;
    tcp_out *o = wf_xcalloc(1, sizeof *o);
    o->sock = wf_p2_sockfd_ref(sock);
    return wf_p2_output_new(cx, &tcp_out_ops, o, rep, out);
}

/* ---- create-tcp-socket ---------------------------------------------------------- */

static wf_error *new_socket(int af, int fd, tcp_state st, p2_tcp **out)
{
    p2_tcp *t = wf_xcalloc(1, sizeof *t);
    t->sock = wf_p2_sockfd_new(fd);
    t->af = af;
    t->st = st;
    t->backlog = TCP_DEFAULT_BACKLOG;
    *out = t;
    return NULL;
}

static WF_P2_FN(create_tcp_socket)
{
    (void)env;
    wf_p2_ctx *cx;
    int af;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_net_arg_family(type, args, 0, &af)))
        return e;
    int fd = wf_p2_net_socket(af, SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0) return wf_p2_net_fail_errno(result, errno);
    p2_tcp *t;
    new_socket(af, fd, TCP_UNBOUND, &t);
    wf_val h;
    if ((e = wf_p2_new_handle(cx, &wf_p2_kind_tcp_socket, t, 0, &h))) return e;
    *result = wf_p2_ok(h);
    return NULL;
}

/* ---- bind, connect, listen, accept ----------------------------------------------- */

static wf_error *tcp_begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           size_t want, wf_p2_call *c, p2_tcp **t)
{
    wf_error *e = wf_p2_begin(inst, type, args, nargs, want, &wf_p2_kind_tcp_socket, c);
    if (!e) *t = c->self;
    return e;
}

static WF_P2_FN(start_bind)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_p2_sockaddr a;
    wf_error *e;
    if ((e = tcp_begin(inst, type, args, nargs, 3, &c, &t)) || (e = wf_p2_net_arg_network(c.cx, args, 1)) ||
        (e = wf_p2_net_arg_sockaddr(type, &args[2], &a)))
        return e;
    if (t->st != TCP_UNBOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    /* a listener's port is free again at once after it closes (TIME_WAIT
     * of its old connections does not hold it) */
    wf_p2_sockopt_set(t->sock->fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (!wf_p2_net_bind(c.cx, t->sock->fd, t->af, &a, result)) return NULL;
    t->st = TCP_BIND_STARTED;
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(finish_bind)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    if (t->st != TCP_BIND_STARTED) return wf_p2_net_fail(result, WF_NET_NOT_IN_PROGRESS);
    t->st = TCP_BOUND;
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(start_connect)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_p2_sockaddr a;
    wf_error *e;
    if ((e = tcp_begin(inst, type, args, nargs, 3, &c, &t)) || (e = wf_p2_net_arg_network(c.cx, args, 1)) ||
        (e = wf_p2_net_arg_sockaddr(type, &args[2], &a)))
        return e;
    if (t->st == TCP_CONNECTING || t->st == TCP_BIND_STARTED || t->st == TCP_LISTEN_STARTED)
        return wf_p2_net_fail(result, WF_NET_CONCURRENCY_CONFLICT);
    if (t->st != TCP_UNBOUND && t->st != TCP_BOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    if (wf_p2_net_check_remote(t->af, &a) != WF_NET_UNKNOWN) return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
    if (!wf_p2_net_may_reach(c.cx, &a)) return wf_p2_net_fail(result, WF_NET_ACCESS_DENIED);
    if (connect(t->sock->fd, &a.u.sa, a.len) && errno != EINPROGRESS) {
        int err = errno;
        t->st = TCP_CLOSED;
        return wf_p2_net_fail_errno(result, err);
    }
    t->st = TCP_CONNECTING;   /* finish-connect reads the outcome */
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(finish_connect)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    if (t->st != TCP_CONNECTING) return wf_p2_net_fail(result, WF_NET_NOT_IN_PROGRESS);
    if (!wf_p2_fd_ready(t->sock->fd, POLLOUT)) return wf_p2_net_fail(result, WF_NET_WOULD_BLOCK);
    int soerr = 0;
    int r = wf_p2_sockopt_get(t->sock->fd, SOL_SOCKET, SO_ERROR, &soerr);
    if (r || soerr) {
        t->st = TCP_CLOSED;
        return wf_p2_net_fail_errno(result, r ? r : soerr);
    }
    t->st = TCP_CONNECTED;
    wf_val pair = wf_val_agg(WF_VAL_TUPLE, 2);
    if ((e = stream_pair(c.cx, t->sock, c.rep, &pair.of.agg.items[0], &pair.of.agg.items[1]))) {
        wf_val_free(&pair);
        return e;
    }
    *result = wf_p2_ok(pair);
    return NULL;
}

static WF_P2_FN(start_listen)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    if (t->st == TCP_BIND_STARTED || t->st == TCP_CONNECTING || t->st == TCP_LISTEN_STARTED)
        return wf_p2_net_fail(result, WF_NET_CONCURRENCY_CONFLICT);
    if (t->st != TCP_BOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    wf_p2_sockaddr local = { .len = sizeof local.u };
    if (getsockname(t->sock->fd, &local.u.sa, &local.len)) return wf_p2_net_fail_errno(result, errno);
    if (!wf_p2_net_may_serve(c.cx, &local)) return wf_p2_net_fail(result, WF_NET_ACCESS_DENIED);
    if (listen(t->sock->fd, t->backlog)) return wf_p2_net_fail_errno(result, errno);
    t->st = TCP_LISTEN_STARTED;
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(finish_listen)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    if (t->st != TCP_LISTEN_STARTED) return wf_p2_net_fail(result, WF_NET_NOT_IN_PROGRESS);
    t->st = TCP_LISTENING;
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(accept_conn)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    if (t->st != TCP_LISTENING) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    int fd;
    do fd = accept4(t->sock->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return wf_p2_net_fail_errno(result, errno);
    p2_tcp *n;
    new_socket(t->af, fd, TCP_CONNECTED, &n);
    uint32_t rep;
    if ((e = wf_p2_add(c.cx, &wf_p2_kind_tcp_socket, n, 0, &rep))) return e;
    wf_val triple = wf_val_agg(WF_VAL_TUPLE, 3);
    triple.of.agg.items[0] = wf_p2_handle(c.cx, &wf_p2_kind_tcp_socket, rep);
    if ((e = stream_pair(c.cx, n->sock, rep, &triple.of.agg.items[1], &triple.of.agg.items[2]))) {
        wf_val_free(&triple);
        return e;
    }
    *result = wf_p2_ok(triple);
    return NULL;
}

/* ---- addresses and state --------------------------------------------------------- */

static wf_error *address(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         wf_val *result, bool remote)
{
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    bool ok = remote ? t->st == TCP_CONNECTED
                     : t->st != TCP_UNBOUND && t->st != TCP_BIND_STARTED && t->st != TCP_CLOSED;
    if (!ok) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    return wf_p2_net_address(t->sock->fd, remote, result);
}

static WF_P2_FN(local_address) { (void)env; return address(inst, type, args, nargs, result, false); }
static WF_P2_FN(remote_address) { (void)env; return address(inst, type, args, nargs, result, true); }

static WF_P2_FN(is_listening)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    *result = wf_val_bool(t->st == TCP_LISTENING);
    return NULL;
}

static WF_P2_FN(address_family)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    *result = wf_p2_net_family_val(t->af);
    return NULL;
}

static WF_P2_FN(set_listen_backlog_size)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    uint64_t v;
    wf_error *e;
    if ((e = tcp_begin(inst, type, args, nargs, 2, &c, &t)) || (e = wf_p2_arg_u64(type, args, 1, &v))) return e;
    if (v == 0) return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
    if (t->st == TCP_CONNECTING || t->st == TCP_CONNECTED) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    t->backlog = (int)WF_MIN(v, (uint64_t)INT_MAX);
    if (t->st == TCP_LISTENING && listen(t->sock->fd, t->backlog)) return wf_p2_net_fail_errno(result, errno);
    *result = wf_p2_ok_empty();
    return NULL;
}

/* ---- options ------------------------------------------------------------------------ */

/* One integer option: its level and name per family (the hop limit differs). */
typedef struct tcp_opt {
    int level4, name4, level6, name6;
    uint64_t scale;               /* the WIT value per host unit (ns per s: durations) */
    uint64_t max;                 /* the largest host value */
    wf_val_kind kind;             /* the WIT type of the value */
} tcp_opt;

static const tcp_opt opt_keepalive = { SOL_SOCKET, SO_KEEPALIVE, SOL_SOCKET, SO_KEEPALIVE, 1, 1, WF_VAL_BOOL };
static const tcp_opt opt_idle = { IPPROTO_TCP, TCP_KEEPIDLE, IPPROTO_TCP, TCP_KEEPIDLE, 1000000000u, 32767, WF_VAL_U64 };
static const tcp_opt opt_interval = { IPPROTO_TCP, TCP_KEEPINTVL, IPPROTO_TCP, TCP_KEEPINTVL, 1000000000u, 32767,
                                      WF_VAL_U64 };
static const tcp_opt opt_count = { IPPROTO_TCP, TCP_KEEPCNT, IPPROTO_TCP, TCP_KEEPCNT, 1, 127, WF_VAL_U32 };
static const tcp_opt opt_hops = { IPPROTO_IP, IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1, 255, WF_VAL_U8 };
static const tcp_opt opt_rcvbuf = { SOL_SOCKET, SO_RCVBUF, SOL_SOCKET, SO_RCVBUF, 1, INT_MAX / 2, WF_VAL_U64 };
static const tcp_opt opt_sndbuf = { SOL_SOCKET, SO_SNDBUF, SOL_SOCKET, SO_SNDBUF, 1, INT_MAX / 2, WF_VAL_U64 };

static wf_error *opt_get(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         wf_val *result, const tcp_opt *o)
{
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    int v = 0;
    bool v4 = t->af == AF_INET;
    int r = wf_p2_sockopt_get(t->sock->fd, v4 ? o->level4 : o->level6, v4 ? o->name4 : o->name6, &v);
    if (r) return wf_p2_net_fail_errno(result, r);
    if (o->kind == WF_VAL_BOOL) *result = wf_p2_ok(wf_val_bool(v != 0));
    else *result = wf_p2_ok(wf_val_uint(o->kind, (uint64_t)(v < 0 ? 0 : v) * o->scale));
    return NULL;
}

static wf_error *opt_set(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         wf_val *result, const tcp_opt *o)
{
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 2, &c, &t);
    if (e) return e;
    uint64_t v;
    if (o->kind == WF_VAL_BOOL) {
        if (args[1].kind != WF_VAL_BOOL) return wf_p2_trap(type, "parameter 2: expected a bool");
        v = args[1].of.b;
    } else {
        if ((e = wf_p2_arg_u64(type, args, 1, &v))) return e;
        if (v == 0) return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
        /* durations round up to whole seconds; too large values clamp, as
         * the WIT lets an implementation do */
        v = v / o->scale + (v % o->scale != 0);
        if (v > o->max) v = o->max;
    }
    bool v4 = t->af == AF_INET;
    int r = wf_p2_sockopt_set(t->sock->fd, v4 ? o->level4 : o->level6, v4 ? o->name4 : o->name6, (int)v);
    if (r) return wf_p2_net_fail_errno(result, r);
    *result = wf_p2_ok_empty();
    return NULL;
}

#define OPT_FNS(id, o)                                                                              \
    static WF_P2_FN(get_##id) { (void)env; return opt_get(inst, type, args, nargs, result, &o); } \
    static WF_P2_FN(set_##id) { (void)env; return opt_set(inst, type, args, nargs, result, &o); }
OPT_FNS(keepalive, opt_keepalive)
OPT_FNS(idle, opt_idle)
OPT_FNS(interval, opt_interval)
OPT_FNS(count, opt_count)
OPT_FNS(hops, opt_hops)
OPT_FNS(rcvbuf, opt_rcvbuf)
OPT_FNS(sndbuf, opt_sndbuf)

/* ---- subscribe, shutdown ------------------------------------------------------------- */

/* Ready when the pending operation can finish: a connect (writable), an
 * accept (readable); in any other state at once (the WIT's "ready"). */
static bool sock_ready(void *obj)
{
    p2_tcp *t = obj;
    if (t->st == TCP_CONNECTING) return wf_p2_fd_ready(t->sock->fd, POLLOUT);
    if (t->st == TCP_LISTENING) return wf_p2_fd_ready(t->sock->fd, POLLIN);
    return true;
}

static void sock_wait(void *obj, wf_p2_wait *w)
{
    p2_tcp *t = obj;
    if (t->st != TCP_CONNECTING && t->st != TCP_LISTENING) return;
    w->fd = t->sock->fd;
    w->events = t->st == TCP_CONNECTING ? POLLOUT : POLLIN;
}

static const wf_p2_poll_ops sock_poll = { sock_ready, sock_wait };

static WF_P2_FN(subscribe)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 1, &c, &t);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &sock_poll, t, NULL, c.rep, result);
}

static WF_P2_FN(shutdown_fn)
{
    (void)env;
    wf_p2_call c;
    p2_tcp *t;
    wf_error *e = tcp_begin(inst, type, args, nargs, 2, &c, &t);
    if (e) return e;
    if (args[1].kind != WF_VAL_ENUM || args[1].of.cas.index > 2)
        return wf_p2_trap(type, "parameter 2: expected a shutdown-type");
    if (t->st != TCP_CONNECTED) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    static const int how[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
    if (shutdown(t->sock->fd, how[args[1].of.cas.index]) && errno != ENOTCONN)
        return wf_p2_net_fail_errno(result, errno);
    *result = wf_p2_ok_empty();
    return NULL;
}

static const wf_p2_res_def tcp_res[] = { { "tcp-socket", &wf_p2_kind_tcp_socket }, { NULL, NULL } };
static const wf_p2_fn_def tcp_fns[] = {
    { "[method]tcp-socket.start-bind", start_bind },
    { "[method]tcp-socket.finish-bind", finish_bind },
    { "[method]tcp-socket.start-connect", start_connect },
    { "[method]tcp-socket.finish-connect", finish_connect },
    { "[method]tcp-socket.start-listen", start_listen },
    { "[method]tcp-socket.finish-listen", finish_listen },
    { "[method]tcp-socket.accept", accept_conn },
    { "[method]tcp-socket.local-address", local_address },
    { "[method]tcp-socket.remote-address", remote_address },
    { "[method]tcp-socket.is-listening", is_listening },
    { "[method]tcp-socket.address-family", address_family },
    { "[method]tcp-socket.set-listen-backlog-size", set_listen_backlog_size },
    { "[method]tcp-socket.keep-alive-enabled", get_keepalive },
    { "[method]tcp-socket.set-keep-alive-enabled", set_keepalive },
    { "[method]tcp-socket.keep-alive-idle-time", get_idle },
    { "[method]tcp-socket.set-keep-alive-idle-time", set_idle },
    { "[method]tcp-socket.keep-alive-interval", get_interval },
    { "[method]tcp-socket.set-keep-alive-interval", set_interval },
    { "[method]tcp-socket.keep-alive-count", get_count },
    { "[method]tcp-socket.set-keep-alive-count", set_count },
    { "[method]tcp-socket.hop-limit", get_hops },
    { "[method]tcp-socket.set-hop-limit", set_hops },
    { "[method]tcp-socket.receive-buffer-size", get_rcvbuf },
    { "[method]tcp-socket.set-receive-buffer-size", set_rcvbuf },
    { "[method]tcp-socket.send-buffer-size", get_sndbuf },
    { "[method]tcp-socket.set-send-buffer-size", set_sndbuf },
    { "[method]tcp-socket.subscribe", subscribe },
    { "[method]tcp-socket.shutdown", shutdown_fn },
    { NULL, NULL },
};
static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def create_fns[] = { { "create-tcp-socket", create_tcp_socket }, { NULL, NULL } };

const wf_p2_iface wf_p2_iface_sockets_tcp = { "wasi:sockets", "wasi:sockets/tcp@0.2.12", tcp_res, tcp_fns };
const wf_p2_iface wf_p2_iface_sockets_tcp_create = { "wasi:sockets", "wasi:sockets/tcp-create-socket@0.2.12",
                                                     no_res, create_fns };
