/*
 * p2_sock_int.h - what the wasi:sockets files share (p2_sock_*.c): the
 * `network` resource, socket addresses between WIT values and sockaddrs,
 * the error-code enum from a host errno, and the `wasi.network` policy
 * (SPEC §4) every socket operation that reaches or opens a port asks.
 *
 * Files: p2_sock_net.c (network, instance-network, error codes, addresses,
 * policy), p2_sock_tcp.c (tcp-create-socket, tcp; its streams are
 * wasi:io streams of p2_io_streams.c), p2_sock_udp.c (udp-create-socket,
 * udp and the datagram streams), p2_sock_dns.c (ip-name-lookup: the
 * lookup runs on a helper thread, the guest waits on a pollable).
 *
 * The policy, by direction:
 *   - outbound (tcp start-connect, udp stream(remote) and each datagram's
 *     destination): the remote address:port must match a pattern, by its
 *     IP text or by a name this instance resolved to that IP;
 *   - inbound (tcp start-listen, and a bind to a fixed port): the local
 *     address:port must match (binding to port 0, an ephemeral port a
 *     client socket takes anyway, needs no grant);
 *   - lookups: the name must match the host part of a pattern.
 * A refusal is the WIT's access-denied and nothing reaches the network.
 */
#ifndef WF_P2_SOCK_INT_H
#define WF_P2_SOCK_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "wasi/p2_int.h"

extern const wf_p2_kind wf_p2_kind_network, wf_p2_kind_tcp_socket, wf_p2_kind_udp_socket,
    wf_p2_kind_incoming_datagram_stream, wf_p2_kind_outgoing_datagram_stream,
    wf_p2_kind_resolve_address_stream;

/* error-code, in the WIT's order. */
typedef enum {
    WF_NET_UNKNOWN, WF_NET_ACCESS_DENIED, WF_NET_NOT_SUPPORTED, WF_NET_INVALID_ARGUMENT,
    WF_NET_OUT_OF_MEMORY, WF_NET_TIMEOUT, WF_NET_CONCURRENCY_CONFLICT, WF_NET_NOT_IN_PROGRESS,
    WF_NET_WOULD_BLOCK, WF_NET_INVALID_STATE, WF_NET_NEW_SOCKET_LIMIT, WF_NET_ADDRESS_NOT_BINDABLE,
    WF_NET_ADDRESS_IN_USE, WF_NET_REMOTE_UNREACHABLE, WF_NET_CONNECTION_REFUSED,
    WF_NET_CONNECTION_RESET, WF_NET_CONNECTION_ABORTED, WF_NET_DATAGRAM_TOO_LARGE,
    WF_NET_NAME_UNRESOLVABLE, WF_NET_TEMPORARY_RESOLVER_FAILURE, WF_NET_PERMANENT_RESOLVER_FAILURE,
} wf_net_code;

/* The error-code of a host errno (unknown when the WIT has no name for it). */
wf_net_code wf_p2_net_code_of_errno(int err);
/* The enum value, and result::err(code). */
wf_val wf_p2_net_code(wf_net_code c);
wf_val wf_p2_net_err(wf_net_code c);
/* *result = err(code of errno) and NULL: the host functions' `return`. */
wf_error *wf_p2_net_fail_errno(wf_val *result, int err);
wf_error *wf_p2_net_fail(wf_val *result, wf_net_code c);

/* ip-address-family: 0 ipv4, 1 ipv6 (the WIT's order). */
int wf_p2_net_af(int wit_family);                  /* AF_INET / AF_INET6 */
wf_val wf_p2_net_family_val(int af);
/* Argument i as an ip-address-family: AF_INET or AF_INET6. */
wf_error *wf_p2_net_arg_family(const wf_wit_func *type, const wf_val *args, size_t i, int *af);

/* A socket address, either family. */
typedef struct wf_p2_sockaddr {
    union { struct sockaddr sa; struct sockaddr_in v4; struct sockaddr_in6 v6; struct sockaddr_storage ss; } u;
    socklen_t len;
} wf_p2_sockaddr;

/* An ip-socket-address value (args[i], or an option's payload) as a sockaddr. */
wf_error *wf_p2_net_arg_sockaddr(const wf_wit_func *type, const wf_val *v, wf_p2_sockaddr *out);
/* The ip-socket-address value of a sockaddr, and the ip-address value of one. */
wf_val wf_p2_net_sockaddr_val(const wf_p2_sockaddr *a);
wf_val wf_p2_net_ipaddr_val(const wf_p2_sockaddr *a);
/* The address as text ("127.0.0.1", "::1") and its port. */
void wf_p2_net_ip_text(const wf_p2_sockaddr *a, char *buf, size_t n);
unsigned wf_p2_net_port(const wf_p2_sockaddr *a);
bool wf_p2_net_same(const wf_p2_sockaddr *a, const wf_p2_sockaddr *b);

/* Checks of a remote address (connect, send) on a socket of family af:
 * WF_NET_UNKNOWN (as "fine") or invalid-argument for a wrong family, the
 * unspecified address, port 0, a multicast or broadcast address, an
 * IPv4-mapped IPv6 address (sockets are IPv6-only). */
wf_net_code wf_p2_net_check_remote(int af, const wf_p2_sockaddr *a);
/* Checks of a local address (bind): wrong family, multicast, IPv4-mapped. */
wf_net_code wf_p2_net_check_local(int af, const wf_p2_sockaddr *a);

/* The policy (see the header): may this instance reach a (outbound), serve
 * on a (inbound), look up name? */
bool wf_p2_net_may_reach(wf_p2_ctx *cx, const wf_p2_sockaddr *a);
bool wf_p2_net_may_serve(wf_p2_ctx *cx, const wf_p2_sockaddr *a);
bool wf_p2_net_may_lookup(wf_p2_ctx *cx, const char *name);
/* Remember that name resolved to a (so a pattern naming the host grants
 * its addresses). */
void wf_p2_net_note_resolved(wf_p2_ctx *cx, const char *name, const wf_p2_sockaddr *a);

/* A non-blocking socket of family af (type SOCK_STREAM or SOCK_DGRAM),
 * IPv6-only when IPv6: an IPv4-mapped address is no way around an IPv4
 * pattern of the policy. -1 with errno when there is none. */
int wf_p2_net_socket(int af, int type, int protocol);
/* The part of start-bind both protocols share, once the socket's state
 * allows it: bind fd (of family af) to a, unless a is no local address of
 * af (invalid-argument) or a fixed port the policy does not let this
 * instance serve on (access-denied). true once bound; false with *result
 * the error-code. */
bool wf_p2_net_bind(wf_p2_ctx *cx, int fd, int af, const wf_p2_sockaddr *a, wf_val *result);
/* local-address (remote false) or remote-address of fd, once the socket's
 * state has one: *result ok(ip-socket-address) or the errno's error-code. */
wf_error *wf_p2_net_address(int fd, bool remote, wf_val *result);

/* Argument i as a borrowed network handle (the grant itself is the policy:
 * any live network works). */
wf_error *wf_p2_net_arg_network(wf_p2_ctx *cx, const wf_val *args, size_t i);

/* A socket fd shared by a socket and the streams over it: closed when the
 * last holder lets go (streams may outlive nothing, but the table frees a
 * context's entries in any order). */
typedef struct wf_p2_sockfd {
    int fd;
    int refs;
} wf_p2_sockfd;
wf_p2_sockfd *wf_p2_sockfd_new(int fd);
wf_p2_sockfd *wf_p2_sockfd_ref(wf_p2_sockfd *s);
void wf_p2_sockfd_unref(wf_p2_sockfd *s);
/* fd has one of events now (poll with no wait). */
bool wf_p2_fd_ready(int fd, short events);

/* Socket options both protocols have (buffer sizes, hop limit): getsockopt
 * as an int, setsockopt of an int; 0 or an errno. */
int wf_p2_sockopt_get(int fd, int level, int name, int *out);
int wf_p2_sockopt_set(int fd, int level, int name, int v);

/* The "self" argument of a socket method and the context. */
typedef struct wf_p2_call {
    wf_p2_ctx *cx;
    void *self;
    uint32_t rep;
} wf_p2_call;
wf_error *wf_p2_begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args, size_t nargs,
                      size_t want, const wf_p2_kind *k, wf_p2_call *c);

#endif
