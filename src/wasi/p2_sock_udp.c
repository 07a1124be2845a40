/*
 * p2_sock_udp.c - wasi:sockets/udp and udp-create-socket: the `udp-socket`
 * resource over a non-blocking host socket (bind, then `stream` with or
 * without a fixed remote address), its options, and the datagram streams:
 * incoming-datagram-stream.receive and outgoing-datagram-stream
 * check-send / send, each with a pollable on the socket's readiness.
 *
 * The policy (p2_sock_int.h): a bind to a fixed port is inbound and needs
 * a grant; `stream(remote)` and every datagram's destination are outbound
 * and are checked before anything is sent: a refused destination is
 * access-denied (send stops there; what went before it was sent).
 */
#include "wasi/p2_sock_int.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

/* The largest datagram (IPv4's limit; IPv6 jumbograms aside). */
#define UDP_MAX_DATAGRAM 65535u
/* check-send's permit when the socket is writable. */
#define UDP_SEND_PERMIT 64u
/* receive returns at most this many datagrams per call. */
#define UDP_RECEIVE_MAX 64u

typedef enum { UDP_UNBOUND, UDP_BIND_STARTED, UDP_BOUND } udp_state;

typedef struct p2_udp {
    wf_p2_sockfd *sock;
    int af;
    udp_state st;
    bool connected;
    wf_p2_sockaddr remote;        /* when connected */
} p2_udp;

static void udp_free(void *p)
{
    p2_udp *u = p;
    wf_p2_sockfd_unref(u->sock);
    free(u);
}

const wf_p2_kind wf_p2_kind_udp_socket = { "udp-socket", udp_free };

/* A datagram stream: the socket's fd, the remote address it was made with
 * (a later `stream` call does not change what this one sends to), and
 * outgoing's permit. */
typedef struct udp_stream {
    wf_p2_sockfd *sock;
    int af;
    bool connected;
    wf_p2_sockaddr remote;
    uint64_t permit;
    bool checked;
} udp_stream;

static void stream_free(void *p)
{
    udp_stream *s = p;
    wf_p2_sockfd_unref(s->sock);
    free(s);
}

const wf_p2_kind wf_p2_kind_incoming_datagram_stream = { "incoming-datagram-stream", stream_free };
const wf_p2_kind wf_p2_kind_outgoing_datagram_stream = { "outgoing-datagram-stream", stream_free };

static wf_error *udp_begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           size_t want, wf_p2_call *c, p2_udp **u)
{
    wf_error *e = wf_p2_begin(inst, type, args, nargs, want, &wf_p2_kind_udp_socket, c);
    if (!e) *u = c->self;
    return e;
}

static WF_P2_FN(create_udp_socket)
{
    (void)env;
    wf_p2_ctx *cx;
    int af;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_net_arg_family(type, args, 0, &af)))
        return e;
    int fd = wf_p2_net_socket(af, SOCK_DGRAM, IPPROTO_UDP);
    if (fd < 0) return wf_p2_net_fail_errno(result, errno);
    p2_udp *u = wf_xcalloc(1, sizeof *u);
    u->sock = wf_p2_sockfd_new(fd);
    u->af = af;
    wf_val h;
    if ((e = wf_p2_new_handle(cx, &wf_p2_kind_udp_socket, u, 0, &h))) return e;
    *result = wf_p2_ok(h);
    return NULL;
}

static WF_P2_FN(start_bind)
{
    (void)env;
    wf_p2_call c;
    p2_udp *u;
    wf_p2_sockaddr a;
    wf_error *e;
    if ((e = udp_begin(inst, type, args, nargs, 3, &c, &u)) || (e = wf_p2_net_arg_network(c.cx, args, 1)) ||
        (e = wf_p2_net_arg_sockaddr(type, &args[2], &a)))
        return e;
    if (u->st != UDP_UNBOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    if (!wf_p2_net_bind(c.cx, u->sock->fd, u->af, &a, result)) return NULL;
    u->st = UDP_BIND_STARTED;
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(finish_bind)
{
    (void)env;
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, 1, &c, &u);
    if (e) return e;
    if (u->st != UDP_BIND_STARTED) return wf_p2_net_fail(result, WF_NET_NOT_IN_PROGRESS);
    u->st = UDP_BOUND;
    *result = wf_p2_ok_empty();
    return NULL;
}

/* stream(remote-address): connect to remote (or dissolve an earlier
 * connection) and give a new pair of datagram streams. */
static WF_P2_FN(stream_fn)
{
    (void)env;
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, 2, &c, &u);
    if (e) return e;
    const wf_val *opt = &args[1];
    if (opt->kind != WF_VAL_OPTION) return wf_p2_trap(type, "parameter 2: expected option<ip-socket-address>");
    wf_p2_sockaddr a = {0};
    bool have = opt->of.cas.index == 1 && opt->of.cas.payload;
    if (have && (e = wf_p2_net_arg_sockaddr(type, opt->of.cas.payload, &a))) return e;
    if (u->st != UDP_BOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    if (have) {
        if (wf_p2_net_check_remote(u->af, &a) != WF_NET_UNKNOWN)
            return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
        if (!wf_p2_net_may_reach(c.cx, &a)) return wf_p2_net_fail(result, WF_NET_ACCESS_DENIED);
        if (connect(u->sock->fd, &a.u.sa, a.len)) return wf_p2_net_fail_errno(result, errno);
        u->connected = true;
        u->remote = a;
    } else if (u->connected) {
        struct sockaddr none = { .sa_family = AF_UNSPEC };
        if (connect(u->sock->fd, &none, sizeof none) && errno != EAFNOSUPPORT)
            return wf_p2_net_fail_errno(result, errno);
        u->connected = false;
    }
    wf_val pair = wf_val_agg(WF_VAL_TUPLE, 2);
    for (int i = 0; i < 2 && !e; i++) {
        udp_stream *s = wf_xcalloc(1, sizeof *s);
        *s = (udp_stream){ .sock = wf_p2_sockfd_ref(u->sock), .af = u->af, .connected = u->connected,
                           .remote = u->remote };
        e = wf_p2_new_handle(c.cx, i == 0 ? &wf_p2_kind_incoming_datagram_stream : &wf_p2_kind_outgoing_datagram_stream,
                             s, c.rep, &pair.of.agg.items[i]);
    }
    if (e) {
        wf_val_free(&pair);
        return e;
    }
    *result = wf_p2_ok(pair);
    return NULL;
}

static wf_error *address(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                         wf_val *result, bool remote)
{
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, 1, &c, &u);
    if (e) return e;
    if (remote ? !u->connected : u->st != UDP_BOUND) return wf_p2_net_fail(result, WF_NET_INVALID_STATE);
    return wf_p2_net_address(u->sock->fd, remote, result);
}

static WF_P2_FN(local_address) { (void)env; return address(inst, type, args, nargs, result, false); }
static WF_P2_FN(remote_address) { (void)env; return address(inst, type, args, nargs, result, true); }

static WF_P2_FN(address_family)
{
    (void)env;
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, 1, &c, &u);
    if (e) return e;
    *result = wf_p2_net_family_val(u->af);
    return NULL;
}

/* An integer option (hop limit, buffer sizes): level/name per family. */
static wf_error *opt(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                     wf_val *result, bool set, int level, int name, wf_val_kind kind, uint64_t max)
{
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, set ? 2 : 1, &c, &u);
    if (e) return e;
    if (level == IPPROTO_IP && u->af == AF_INET6) {
        level = IPPROTO_IPV6;
        name = IPV6_UNICAST_HOPS;
    }
    if (!set) {
        int v = 0;
        int r = wf_p2_sockopt_get(u->sock->fd, level, name, &v);
        if (r) return wf_p2_net_fail_errno(result, r);
        *result = wf_p2_ok(wf_val_uint(kind, (uint64_t)(v < 0 ? 0 : v)));
        return NULL;
    }
    uint64_t v;
    if ((e = wf_p2_arg_u64(type, args, 1, &v))) return e;
    if (v == 0) return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
    int r = wf_p2_sockopt_set(u->sock->fd, level, name, (int)WF_MIN(v, max));
    if (r) return wf_p2_net_fail_errno(result, r);
    *result = wf_p2_ok_empty();
    return NULL;
}

static WF_P2_FN(get_hops) { (void)env; return opt(inst, type, args, nargs, result, false, IPPROTO_IP, IP_TTL, WF_VAL_U8, 255); }
static WF_P2_FN(set_hops) { (void)env; return opt(inst, type, args, nargs, result, true, IPPROTO_IP, IP_TTL, WF_VAL_U8, 255); }
static WF_P2_FN(get_rcvbuf)
{
    (void)env;
    return opt(inst, type, args, nargs, result, false, SOL_SOCKET, SO_RCVBUF, WF_VAL_U64, INT_MAX / 2);
}
static WF_P2_FN(set_rcvbuf)
{
    (void)env;
    return opt(inst, type, args, nargs, result, true, SOL_SOCKET, SO_RCVBUF, WF_VAL_U64, INT_MAX / 2);
}
static WF_P2_FN(get_sndbuf)
{
    (void)env;
    return opt(inst, type, args, nargs, result, false, SOL_SOCKET, SO_SNDBUF, WF_VAL_U64, INT_MAX / 2);
}
static WF_P2_FN(set_sndbuf)
{
    (void)env;
    return opt(inst, type, args, nargs, result, true, SOL_SOCKET, SO_SNDBUF, WF_VAL_U64, INT_MAX / 2);
}

/* The socket's own pollable has nothing to wait for (bind finishes at
 * once): always ready, as the WIT allows. */
static bool always_ready(void *obj) { (void)obj; return true; }
static void no_wait(void *obj, wf_p2_wait *w) { (void)obj; (void)w; }
static const wf_p2_poll_ops ready_poll = { always_ready, no_wait };

static WF_P2_FN(subscribe)
{
    (void)env;
    wf_p2_call c;
    p2_udp *u;
    wf_error *e = udp_begin(inst, type, args, nargs, 1, &c, &u);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &ready_poll, u, NULL, c.rep, result);
}

/* ---- incoming-datagram-stream ---------------------------------------------------- */

static WF_P2_FN(receive)
{
    (void)env;
    wf_p2_call c;
    uint64_t max;
    wf_error *e;
    if ((e = wf_p2_begin(inst, type, args, nargs, 2, &wf_p2_kind_incoming_datagram_stream, &c)) ||
        (e = wf_p2_arg_u64(type, args, 1, &max)))
        return e;
    udp_stream *s = c.self;
    max = WF_MIN(max, (uint64_t)UDP_RECEIVE_MAX);
    WF_VEC(wf_val) got = {0};
    uint8_t *buf = wf_xmalloc(UDP_MAX_DATAGRAM);
    int fail = 0;
    while (got.len < max) {
        wf_p2_sockaddr from = { .len = sizeof from.u };
        ssize_t r = recvfrom(s->sock->fd, buf, UDP_MAX_DATAGRAM, MSG_DONTWAIT, &from.u.sa, &from.len);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) fail = errno;
            break;
        }
        wf_val d = wf_val_agg(WF_VAL_RECORD, 2);
        wf_val_set_name(&d, 0, "data");
        wf_val_set_name(&d, 1, "remote-address");
        d.of.agg.items[0] = wf_p2_bytes(buf, (size_t)r);
        d.of.agg.items[1] = wf_p2_net_sockaddr_val(&from);
        wf_vec_push(&got, d);
    }
    free(buf);
    if (fail && got.len == 0) {
        wf_vec_free(&got);
        return wf_p2_net_fail_errno(result, fail);
    }
    wf_val list = wf_val_agg(WF_VAL_LIST, got.len);
    for (size_t i = 0; i < got.len; i++) list.of.agg.items[i] = got.data[i];
    wf_vec_free(&got);
    *result = wf_p2_ok(list);
    return NULL;
}

static bool in_ready(void *obj) { udp_stream *s = obj; return wf_p2_fd_ready(s->sock->fd, POLLIN); }
static void in_wait(void *obj, wf_p2_wait *w)
{
    udp_stream *s = obj;
    w->fd = s->sock->fd;
    w->events = POLLIN;
}
static const wf_p2_poll_ops in_poll = { in_ready, in_wait };

static WF_P2_FN(in_subscribe)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 1, &wf_p2_kind_incoming_datagram_stream, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &in_poll, c.self, NULL, c.rep, result);
}

/* ---- outgoing-datagram-stream ---------------------------------------------------- */

static bool out_ready(void *obj) { udp_stream *s = obj; return wf_p2_fd_ready(s->sock->fd, POLLOUT); }
static void out_wait(void *obj, wf_p2_wait *w)
{
    udp_stream *s = obj;
    w->fd = s->sock->fd;
    w->events = POLLOUT;
}
static const wf_p2_poll_ops out_poll = { out_ready, out_wait };

static WF_P2_FN(check_send)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 1, &wf_p2_kind_outgoing_datagram_stream, &c);
    if (e) return e;
    udp_stream *s = c.self;
    s->permit = out_ready(s) ? UDP_SEND_PERMIT : 0;
    s->checked = true;
    *result = wf_p2_ok(wf_p2_u64(s->permit));
    return NULL;
}

/* Send one outgoing-datagram record: 0, an errno, or -code for a refusal
 * of ours (invalid-argument, access-denied). */
static wf_error *send_one(wf_p2_ctx *cx, const wf_wit_func *type, udp_stream *s, const wf_val *d, int *err,
                          wf_net_code *code)
{
    *err = 0;
    *code = WF_NET_UNKNOWN;
    if (d->kind != WF_VAL_RECORD || d->of.agg.len != 2 || d->of.agg.items[1].kind != WF_VAL_OPTION)
        return wf_p2_trap(type, "expected an outgoing-datagram record");
    const wf_val *opt = &d->of.agg.items[1];
    wf_p2_sockaddr to = {0};
    bool have = opt->of.cas.index == 1 && opt->of.cas.payload;
    wf_error *e;
    if (have && (e = wf_p2_net_arg_sockaddr(type, opt->of.cas.payload, &to))) return e;
    uint8_t *data;
    size_t len;
    if ((e = wf_p2_arg_bytes(type, d->of.agg.items, 0, &data, &len))) return e;
    if (!have && !s->connected) *code = WF_NET_INVALID_ARGUMENT;
    else if (have && s->connected && !wf_p2_net_same(&to, &s->remote)) *code = WF_NET_INVALID_ARGUMENT;
    else if (have && wf_p2_net_check_remote(s->af, &to) != WF_NET_UNKNOWN) *code = WF_NET_INVALID_ARGUMENT;
    else if (have && !s->connected && !wf_p2_net_may_reach(cx, &to)) *code = WF_NET_ACCESS_DENIED;
    else if (len > UDP_MAX_DATAGRAM) *code = WF_NET_DATAGRAM_TOO_LARGE;
    if (*code == WF_NET_UNKNOWN) {
        ssize_t r;
        do r = s->connected ? send(s->sock->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                            : sendto(s->sock->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, &to.u.sa, to.len);
        while (r < 0 && errno == EINTR);
        if (r < 0) *err = errno;
    }
    free(data);
    return NULL;
}

static WF_P2_FN(send_fn)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 2, &wf_p2_kind_outgoing_datagram_stream, &c);
    if (e) return e;
    udp_stream *s = c.self;
    const wf_val *list = &args[1];
    if (list->kind != WF_VAL_LIST) return wf_p2_trap(type, "parameter 2: expected list<outgoing-datagram>");
    size_t n = list->of.agg.len;
    if (n == 0) {
        *result = wf_p2_ok(wf_p2_u64(0));
        return NULL;
    }
    if (!s->checked || n > s->permit)
        return wf_p2_trap(type, "%zu datagrams is more than the last check-send permitted (%llu)", n,
                          (unsigned long long)(s->checked ? s->permit : 0));
    size_t sent = 0;
    int err = 0;
    wf_net_code code = WF_NET_UNKNOWN;
    for (; sent < n; sent++) {
        if ((e = send_one(c.cx, type, s, &list->of.agg.items[sent], &err, &code))) return e;
        if (err || code != WF_NET_UNKNOWN) break;
    }
    s->permit -= WF_MIN(s->permit, (uint64_t)sent);
    if (sent == 0 && code != WF_NET_UNKNOWN) return wf_p2_net_fail(result, code);
    if (sent == 0 && err) return wf_p2_net_fail_errno(result, err);
    *result = wf_p2_ok(wf_p2_u64(sent));
    return NULL;
}

static WF_P2_FN(out_subscribe)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 1, &wf_p2_kind_outgoing_datagram_stream, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &out_poll, c.self, NULL, c.rep, result);
}

static const wf_p2_res_def udp_res[] = {
    { "udp-socket", &wf_p2_kind_udp_socket },
    { "incoming-datagram-stream", &wf_p2_kind_incoming_datagram_stream },
    { "outgoing-datagram-stream", &wf_p2_kind_outgoing_datagram_stream },
    { NULL, NULL },
};
static const wf_p2_fn_def udp_fns[] = {
    { "[method]udp-socket.start-bind", start_bind },
    { "[method]udp-socket.finish-bind", finish_bind },
    { "[method]udp-socket.stream", stream_fn },
    { "[method]udp-socket.local-address", local_address },
    { "[method]udp-socket.remote-address", remote_address },
    { "[method]udp-socket.address-family", address_family },
    { "[method]udp-socket.unicast-hop-limit", get_hops },
    { "[method]udp-socket.set-unicast-hop-limit", set_hops },
    { "[method]udp-socket.receive-buffer-size", get_rcvbuf },
    { "[method]udp-socket.set-receive-buffer-size", set_rcvbuf },
    { "[method]udp-socket.send-buffer-size", get_sndbuf },
    { "[method]udp-socket.set-send-buffer-size", set_sndbuf },
    { "[method]udp-socket.subscribe", subscribe },
    { "[method]incoming-datagram-stream.receive", receive },
    { "[method]incoming-datagram-stream.subscribe", in_subscribe },
    { "[method]outgoing-datagram-stream.check-send", check_send },
    { "[method]outgoing-datagram-stream.send", send_fn },
    { "[method]outgoing-datagram-stream.subscribe", out_subscribe },
    { NULL, NULL },
};
static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def create_fns[] = { { "create-udp-socket", create_udp_socket }, { NULL, NULL } };

const wf_p2_iface wf_p2_iface_sockets_udp = { "wasi:sockets", "wasi:sockets/udp@0.2.12", udp_res, udp_fns };
const wf_p2_iface wf_p2_iface_sockets_udp_create = { "wasi:sockets", "wasi:sockets/udp-create-socket@0.2.12",
                                                     no_res, create_fns };
