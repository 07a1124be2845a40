/*
 * p2_sock_net.c - wasi:sockets/network and instance-network: the `network`
 * resource (a capability token: the policy decides what it reaches), the
 * error-code enum from host errnos (and network-error-code for the error
 * resources of socket streams), ip-socket-address / ip-address values to
 * and from sockaddrs, and the `wasi.network` policy of p2_sock_int.h, whose
 * pattern matching is the HTTP client's (wf_http_client_policy_allows), so
 * sockets and outgoing HTTP read `wasi.network` the same way.
 */
#include "wasi/p2_sock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "http/client.h"

static const char *const code_names[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
    "address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused",
    "connection-reset", "connection-aborted", "datagram-too-large", "name-unresolvable",
    "temporary-resolver-failure", "permanent-resolver-failure",
};

wf_net_code wf_p2_net_code_of_errno(int err)
{
    switch (err) {
    case EACCES: case EPERM: return WF_NET_ACCESS_DENIED;
    case EOPNOTSUPP: case EAFNOSUPPORT: case EPROTONOSUPPORT: case ENOPROTOOPT:
        return WF_NET_NOT_SUPPORTED;
    case EINVAL: case EDESTADDRREQ: return WF_NET_INVALID_ARGUMENT;
    case ENOMEM: case ENOBUFS: return WF_NET_OUT_OF_MEMORY;
    case ETIMEDOUT: return WF_NET_TIMEOUT;
    case EALREADY: return WF_NET_CONCURRENCY_CONFLICT;
    case EAGAIN: case EINPROGRESS: return WF_NET_WOULD_BLOCK;
    case EISCONN: case ENOTCONN: return WF_NET_INVALID_STATE;
    case EMFILE: case ENFILE: return WF_NET_NEW_SOCKET_LIMIT;
    case EADDRNOTAVAIL: return WF_NET_ADDRESS_NOT_BINDABLE;
    case EADDRINUSE: return WF_NET_ADDRESS_IN_USE;
    case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: case EHOSTDOWN: return WF_NET_REMOTE_UNREACHABLE;
    case ECONNREFUSED: return WF_NET_CONNECTION_REFUSED;
    case ECONNRESET: case EPIPE: return WF_NET_CONNECTION_RESET;
    case ECONNABORTED: return WF_NET_CONNECTION_ABORTED;
    case EMSGSIZE: return WF_NET_DATAGRAM_TOO_LARGE;
    default: return WF_NET_UNKNOWN;
    }
}

wf_val wf_p2_net_code(wf_net_code c)
{
    if ((size_t)c >= WF_COUNT(code_names)) c = WF_NET_UNKNOWN;
    return wf_val_case(WF_VAL_ENUM, (uint32_t)c, code_names[c], NULL);
}

wf_val wf_p2_net_err(wf_net_code c)
{
    wf_val v = wf_p2_net_code(c);
    return wf_p2_err(v);
}

wf_error *wf_p2_net_fail(wf_val *result, wf_net_code c)
{
    *result = wf_p2_net_err(c);
    return NULL;
}

wf_error *wf_p2_net_fail_errno(wf_val *result, int err)
{
    return wf_p2_net_fail(result, wf_p2_net_code_of_errno(err));
}

int wf_p2_net_af(int wit_family) { return wit_family == 0 ? AF_INET : AF_INET6; }

wf_val wf_p2_net_family_val(int af)
{
    return af == AF_INET ? wf_val_case(WF_VAL_ENUM, 0, "ipv4", NULL) : wf_val_case(WF_VAL_ENUM, 1, "ipv6", NULL);
}

wf_error *wf_p2_net_arg_family(const wf_wit_func *type, const wf_val *args, size_t i, int *af)
{
    const wf_val *v = &args[i];
    if (v->kind != WF_VAL_ENUM || v->of.cas.index > 1)
        return wf_p2_trap(type, "parameter %zu: expected an ip-address-family, got %s", i + 1,
                          wf_val_kind_name((wf_val_kind)v->kind));
    *af = wf_p2_net_af((int)v->of.cas.index);
    return NULL;
}

/* ---- Addresses ------------------------------------------------------------- */

/* Items of a tuple of n unsigned integers of at most max each. */
static bool tuple_of(const wf_val *t, size_t n, uint64_t max, uint64_t *out)
{
    if (!t || t->kind != WF_VAL_TUPLE || t->of.agg.len != n) return false;
    for (size_t i = 0; i < n; i++) {
        const wf_val *x = &t->of.agg.items[i];
        if (x->kind < WF_VAL_U8 || x->kind > WF_VAL_U64 || x->of.u > max) return false;
        out[i] = x->of.u;
    }
    return true;
}

static bool uint_of(const wf_val *x, uint64_t max, uint64_t *out)
{
    if (x->kind < WF_VAL_U8 || x->kind > WF_VAL_U64 || x->of.u > max) return false;
    *out = x->of.u;
    return true;
}

wf_error *wf_p2_net_arg_sockaddr(const wf_wit_func *type, const wf_val *v, wf_p2_sockaddr *out)
{
    memset(out, 0, sizeof *out);
    const wf_val *rec = v->kind == WF_VAL_VARIANT ? v->of.cas.payload : NULL;
    if (!rec || rec->kind != WF_VAL_RECORD || v->of.cas.index > 1)
        return wf_p2_trap(type, "expected an ip-socket-address, got %s", wf_val_kind_name((wf_val_kind)v->kind));
    /* fields by position: the WIT's order (port, address / port, flow-info, address, scope-id) */
    const wf_val *f = rec->of.agg.items;
    uint64_t port, parts[8], flow, scope;
    if (v->of.cas.index == 0) {
        if (rec->of.agg.len != 2 || !uint_of(&f[0], 65535, &port) || !tuple_of(&f[1], 4, 255, parts))
            return wf_p2_trap(type, "malformed ipv4-socket-address");
        out->u.v4.sin_family = AF_INET;
        out->u.v4.sin_port = htons((uint16_t)port);
        uint8_t *b = (uint8_t *)&out->u.v4.sin_addr;
        for (int i = 0; i < 4; i++) b[i] = (uint8_t)parts[i];
        out->len = sizeof out->u.v4;
        return NULL;
    }
    if (rec->of.agg.len != 4 || !uint_of(&f[0], 65535, &port) || !uint_of(&f[1], UINT32_MAX, &flow) ||
        !tuple_of(&f[2], 8, 65535, parts) || !uint_of(&f[3], UINT32_MAX, &scope))
        return wf_p2_trap(type, "malformed ipv6-socket-address");
    out->u.v6.sin6_family = AF_INET6;
    out->u.v6.sin6_port = htons((uint16_t)port);
    out->u.v6.sin6_flowinfo = htonl((uint32_t)flow);
    out->u.v6.sin6_scope_id = (uint32_t)scope;
    uint8_t *b = out->u.v6.sin6_addr.s6_addr;
    for (int i = 0; i < 8; i++) {
        b[2 * i] = (uint8_t)(parts[i] >> 8);
        b[2 * i + 1] = (uint8_t)parts[i];
    }
    out->len = sizeof out->u.v6;
    return NULL;
}

/* The address tuple of a (ipv4: 4 u8, ipv6: 8 u16). */
static wf_val addr_tuple(const wf_p2_sockaddr *a)
{
    if (a->u.sa.sa_family == AF_INET) {
        wf_val t = wf_val_agg(WF_VAL_TUPLE, 4);
        const uint8_t *b = (const uint8_t *)&a->u.v4.sin_addr;
        for (int i = 0; i < 4; i++) t.of.agg.items[i] = wf_val_uint(WF_VAL_U8, b[i]);
        return t;
    }
    wf_val t = wf_val_agg(WF_VAL_TUPLE, 8);
    const uint8_t *b = a->u.v6.sin6_addr.s6_addr;
    for (int i = 0; i < 8; i++)
        t.of.agg.items[i] = wf_val_uint(WF_VAL_U16, (uint64_t)b[2 * i] << 8 | b[2 * i + 1]);
    return t;
}

wf_val wf_p2_net_sockaddr_val(const wf_p2_sockaddr *a)
{
    bool v4 = a->u.sa.sa_family == AF_INET;
    wf_val rec = wf_val_agg(WF_VAL_RECORD, v4 ? 2 : 4);
    wf_val *f = rec.of.agg.items;
    if (v4) {
        wf_val_set_name(&rec, 0, "port");
        wf_val_set_name(&rec, 1, "address");
        f[0] = wf_val_uint(WF_VAL_U16, ntohs(a->u.v4.sin_port));
        f[1] = addr_tuple(a);
        return wf_val_case(WF_VAL_VARIANT, 0, "ipv4", &rec);
    }
    wf_val_set_name(&rec, 0, "port");
    wf_val_set_name(&rec, 1, "flow-info");
    wf_val_set_name(&rec, 2, "address");
    wf_val_set_name(&rec, 3, "scope-id");
    f[0] = wf_val_uint(WF_VAL_U16, ntohs(a->u.v6.sin6_port));
    f[1] = wf_val_uint(WF_VAL_U32, ntohl(a->u.v6.sin6_flowinfo));
    f[2] = addr_tuple(a);
    f[3] = wf_val_uint(WF_VAL_U32, a->u.v6.sin6_scope_id);
    return wf_val_case(WF_VAL_VARIANT, 1, "ipv6", &rec);
}

wf_val wf_p2_net_ipaddr_val(const wf_p2_sockaddr *a)
{
    wf_val t = addr_tuple(a);
    return a->u.sa.sa_family == AF_INET ? wf_val_case(WF_VAL_VARIANT, 0, "ipv4", &t)
                                        : wf_val_case(WF_VAL_VARIANT, 1, "ipv6", &t);
}

void wf_p2_net_ip_text(const wf_p2_sockaddr *a, char *buf, size_t n)
{
    const void *src = a->u.sa.sa_family == AF_INET ? (const void *)&a->u.v4.sin_addr
                                                   : (const void *)&a->u.v6.sin6_addr;
    if (!inet_ntop(a->u.sa.sa_family, src, buf, (socklen_t)n)) snprintf(buf, n, "?");
}

unsigned wf_p2_net_port(const wf_p2_sockaddr *a)
{
    return ntohs(a->u.sa.sa_family == AF_INET ? a->u.v4.sin_port : a->u.v6.sin6_port);
}

bool wf_p2_net_same(const wf_p2_sockaddr *a, const wf_p2_sockaddr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family || wf_p2_net_port(a) != wf_p2_net_port(b)) return false;
    if (a->u.sa.sa_family == AF_INET) return a->u.v4.sin_addr.s_addr == b->u.v4.sin_addr.s_addr;
    return !memcmp(&a->u.v6.sin6_addr, &b->u.v6.sin6_addr, sizeof a->u.v6.sin6_addr);
}

static bool is_v4_mapped(const wf_p2_sockaddr *a)
{
    return a->u.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->u.v6.sin6_addr);
}

static bool is_multicast(const wf_p2_sockaddr *a)
{
    if (a->u.sa.sa_family == AF_INET) return IN_MULTICAST(ntohl(a->u.v4.sin_addr.s_addr));
    return IN6_IS_ADDR_MULTICAST(&a->u.v6.sin6_addr);
}

wf_net_code wf_p2_net_check_local(int af, const wf_p2_sockaddr *a)
{
    if (a->u.sa.sa_family != af || is_v4_mapped(a) || is_multicast(a)) return WF_NET_INVALID_ARGUMENT;
    return WF_NET_UNKNOWN;
}

wf_net_code wf_p2_net_check_remote(int af, const wf_p2_sockaddr *a)
{
    if (wf_p2_net_check_local(af, a) != WF_NET_UNKNOWN || wf_p2_net_port(a) == 0)
        return WF_NET_INVALID_ARGUMENT;
    if (af == AF_INET && (a->u.v4.sin_addr.s_addr == htonl(INADDR_ANY) ||
                          a->u.v4.sin_addr.s_addr == htonl(INADDR_BROADCAST)))
        return WF_NET_INVALID_ARGUMENT;
    if (af == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a->u.v6.sin6_addr)) return WF_NET_INVALID_ARGUMENT;
    return WF_NET_UNKNOWN;
}

/* ---- What both protocols' sockets do -------------------------------------------- */

int wf_p2_net_socket(int af, int type, int protocol)
{
    int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd >= 0 && af == AF_INET6) wf_p2_sockopt_set(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    return fd;
}

bool wf_p2_net_bind(wf_p2_ctx *cx, int fd, int af, const wf_p2_sockaddr *a, wf_val *result)
{
    wf_net_code refused = WF_NET_UNKNOWN;
    if (wf_p2_net_check_local(af, a) != WF_NET_UNKNOWN) refused = WF_NET_INVALID_ARGUMENT;
    else if (wf_p2_net_port(a) != 0 && !wf_p2_net_may_serve(cx, a)) refused = WF_NET_ACCESS_DENIED;
    if (refused != WF_NET_UNKNOWN) {
        wf_p2_net_fail(result, refused);
        return false;
    }
    if (bind(fd, &a->u.sa, a->len)) {
        wf_p2_net_fail_errno(result, errno);
        return false;
    }
    return true;
}

wf_error *wf_p2_net_address(int fd, bool remote, wf_val *result)
{
    wf_p2_sockaddr a = { .len = sizeof a.u };
    int r = remote ? getpeername(fd, &a.u.sa, &a.len) : getsockname(fd, &a.u.sa, &a.len);
    if (r) return wf_p2_net_fail_errno(result, errno);
    *result = wf_p2_ok(wf_p2_net_sockaddr_val(&a));
    return NULL;
}

/* ---- Policy ------------------------------------------------------------------ */

/* Names this instance resolved, with the addresses they gave. */
typedef struct resolved {
    WF_VEC(struct { char *name; char ip[INET6_ADDRSTRLEN]; }) v;
} resolved;

static const int resolved_key;

static void *resolved_make(wf_p2_ctx *cx)
{
    (void)cx;
    return wf_xcalloc(1, sizeof(resolved));
}

static void resolved_free(void *p)
{
    resolved *r = p;
    for (size_t i = 0; i < r->v.len; i++) free(r->v.data[i].name);
    wf_vec_free(&r->v);
    free(r);
}

static bool allows(wf_p2_ctx *cx, const char *host, unsigned port)
{
    wf_http_client_policy p = { (const char *const *)cx->network, cx->nnetwork };
    return wf_http_client_policy_allows(&p, host, port);
}

bool wf_p2_net_may_reach(wf_p2_ctx *cx, const wf_p2_sockaddr *a)
{
    char ip[INET6_ADDRSTRLEN];
    wf_p2_net_ip_text(a, ip, sizeof ip);
    unsigned port = wf_p2_net_port(a);
    if (allows(cx, ip, port)) return true;
    resolved *r = wf_p2_ext(cx, &resolved_key, resolved_make, resolved_free);
    for (size_t i = 0; i < r->v.len; i++)
        if (!strcmp(r->v.data[i].ip, ip) && allows(cx, r->v.data[i].name, port)) return true;
    return false;
}

bool wf_p2_net_may_serve(wf_p2_ctx *cx, const wf_p2_sockaddr *a)
{
    return wf_p2_net_may_reach(cx, a);
}

bool wf_p2_net_may_lookup(wf_p2_ctx *cx, const char *name)
{
    /* a pattern grants the lookup when its host part matches the name:
     * ask the same matcher with the pattern's port part made `*` */
    for (size_t i = 0; i < cx->nnetwork; i++) {
        const char *pat = cx->network[i];
        size_t hostlen = strlen(pat);
        if (pat[0] == '[') {
            const char *close = strchr(pat, ']');
            if (close) hostlen = (size_t)(close - pat) + 1;
        } else {
            const char *colon = strchr(pat, ':');
            if (colon && !strchr(colon + 1, ':')) hostlen = (size_t)(colon - pat);
        }
        char *any_port = wf_xmalloc(hostlen + 3);
        memcpy(any_port, pat, hostlen);
        memcpy(any_port + hostlen, ":*", 3);
        const char *one[1] = { any_port };
        wf_http_client_policy p = { one, 1 };
        bool ok = wf_http_client_policy_allows(&p, name, 1);
        free(any_port);
        if (ok) return true;
    }
    return false;
}

void wf_p2_net_note_resolved(wf_p2_ctx *cx, const char *name, const wf_p2_sockaddr *a)
{
    resolved *r = wf_p2_ext(cx, &resolved_key, resolved_make, resolved_free);
    char ip[INET6_ADDRSTRLEN];
    wf_p2_net_ip_text(a, ip, sizeof ip);
    for (size_t i = 0; i < r->v.len; i++)
        if (!strcmp(r->v.data[i].ip, ip) && !strcasecmp(r->v.data[i].name, name)) return;
    wf_vec_reserve(&r->v, 1);
    r->v.data[r->v.len].name = wf_xstrdup(name);
    memcpy(r->v.data[r->v.len].ip, ip, sizeof ip);
    r->v.len++;
}

/* ---- Shared helpers ------------------------------------------------------------- */

wf_p2_sockfd *wf_p2_sockfd_new(int fd)
{
    wf_p2_sockfd *s = wf_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->refs = 1;
    return s;
}

wf_p2_sockfd *wf_p2_sockfd_ref(wf_p2_sockfd *s)
{
    s->refs++;
    return s;
}

void wf_p2_sockfd_unref(wf_p2_sockfd *s)
{
    if (!s || --s->refs > 0) return;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

bool wf_p2_fd_ready(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return poll(&p, 1, 0) > 0;
}

int wf_p2_sockopt_get(int fd, int level, int name, int *out)
{
    socklen_t len = sizeof *out;
    return getsockopt(fd, level, name, out, &len) ? errno : 0;
}

int wf_p2_sockopt_set(int fd, int level, int name, int v)
{
    return setsockopt(fd, level, name, &v, sizeof v) ? errno : 0;
}

wf_error *wf_p2_begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                      size_t want, const wf_p2_kind *k, wf_p2_call *c)
{
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, want)) || (e = wf_p2_cx(inst, &c->cx))) return e;
    return wf_p2_get_rep(c->cx, k, &args[0], "self", &c->self, &c->rep);
}

/* ---- network, instance-network ------------------------------------------------------ */

/* A network holds nothing: what it may reach is the context's policy. */
typedef struct p2_network { int unused; } p2_network;
const wf_p2_kind wf_p2_kind_network = { "network", free };

wf_error *wf_p2_net_arg_network(wf_p2_ctx *cx, const wf_val *args, size_t i)
{
    void *obj;
    return wf_p2_get(cx, &wf_p2_kind_network, &args[i], "network", &obj);
}

static WF_P2_FN(instance_network)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    return wf_p2_new_handle(cx, &wf_p2_kind_network, wf_xcalloc(1, sizeof(p2_network)), 0, result);
}

/* network-error-code: the code of an error resource a socket stream made
 * (none when it carries no errno). */
static WF_P2_FN(network_error_code)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    void *obj;
    if ((e = wf_p2_get(cx, &wf_p2_kind_error, &args[0], "err", &obj))) return e;
    int code = 0;
    if (!wf_p2_error_code(cx, &args[0], &code) || code == 0) {
        *result = wf_val_none();
        return NULL;
    }
    wf_val c = wf_p2_net_code(wf_p2_net_code_of_errno(code));
    *result = wf_val_some(&c);
    return NULL;
}

static const wf_p2_res_def net_res[] = { { "network", &wf_p2_kind_network }, { NULL, NULL } };
static const wf_p2_fn_def net_fns[] = {
    { "network-error-code", network_error_code },
    { NULL, NULL },
};
static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def inst_fns[] = {
    { "instance-network", instance_network },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_sockets_network = { "wasi:sockets", "wasi:sockets/network@0.2.12", net_res,
                                                  net_fns };
const wf_p2_iface wf_p2_iface_sockets_instance_network = {
    "wasi:sockets", "wasi:sockets/instance-network@0.2.12", no_res, inst_fns };
