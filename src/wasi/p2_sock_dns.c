/*
 * p2_sock_dns.c - wasi:sockets/ip-name-lookup: resolve-addresses starts a
 * lookup and gives a resolve-address-stream; resolve-next-address hands
 * out its addresses one by one (would-block until the lookup is done),
 * subscribe gives a pollable ready when it is.
 *
 * getaddrinfo blocks, so it runs on a helper thread of its own (detached;
 * lookups are few): no worker ever waits on DNS, the guest's fiber is
 * suspended on the stream's wait queue, woken when the thread is done.
 * The lookup is shared by the thread and the resource (a count of two
 * holders under its mutex), so dropping the stream mid-lookup is fine.
 *
 * An IP address literal needs no lookup; a name must match the host part
 * of a `wasi.network` pattern (else access-denied, nothing is asked), and
 * the addresses it gives count as that name for the policy of later
 * connects (p2_sock_net.c).
 */
#include "wasi/p2_sock_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>

typedef struct lookup {
    pthread_mutex_t mu;
    wf_waitq q;
    int holders;                  /* the thread and the resource */
    bool done;
    int gai;                      /* getaddrinfo's result when done */
    char *name;
    WF_VEC(wf_p2_sockaddr) addrs;
    size_t next;                  /* the resource's cursor */
} lookup;

static void release(lookup *l)
{
    pthread_mutex_lock(&l->mu);
    bool last = --l->holders == 0;
    pthread_mutex_unlock(&l->mu);
    if (!last) return;
    pthread_mutex_destroy(&l->mu);
    free(l->name);
    wf_vec_free(&l->addrs);
    free(l);
}

static void lookup_free(void *p) { release(p); }

const wf_p2_kind wf_p2_kind_resolve_address_stream = { "resolve-address-stream", lookup_free };

static void *resolver(void *arg)
{
    lookup *l = arg;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    int r = getaddrinfo(l->name, NULL, &hints, &res);
    WF_VEC(wf_p2_sockaddr) found = {0};
    for (struct addrinfo *ai = res; !r && ai; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof(wf_p2_sockaddr))
            continue;
        wf_p2_sockaddr a = { .len = ai->ai_addrlen };
        memcpy(&a.u, ai->ai_addr, ai->ai_addrlen);
        bool dup = false;
        for (size_t i = 0; i < found.len && !dup; i++) dup = wf_p2_net_same(&found.data[i], &a);
        if (!dup) wf_vec_push(&found, a);
    }
    if (res) freeaddrinfo(res);
    pthread_mutex_lock(&l->mu);
    l->addrs.data = found.data;
    l->addrs.len = found.len;
    l->addrs.cap = found.cap;
    l->gai = r;
    l->done = true;
    wf_waitq_wake_all(&l->q);
    pthread_mutex_unlock(&l->mu);
    release(l);
    return NULL;
}

/* A host name as DNS spells it (letters, digits, '-', '_', '.'). */
static bool plausible_name(const char *s, size_t n)
{
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_') return false;
    return true;
}

static WF_P2_FN(resolve_addresses)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 2)) || (e = wf_p2_cx(inst, &cx)) || (e = wf_p2_net_arg_network(cx, args, 0)))
        return e;
    if (args[1].kind != WF_VAL_STRING) return wf_p2_trap(type, "parameter 2: expected a string");
    const char *name = args[1].of.str.data;
    size_t n = args[1].of.str.len;
    lookup *l = wf_xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->holders = 1;
    /* an address literal: the answer is itself */
    char lit[64] = "";
    if (n < sizeof lit && memchr(name, 0, n) == NULL) {
        memcpy(lit, name, n);
        lit[n] = 0;
        if (lit[0] == '[' && n > 2 && lit[n - 1] == ']') {
            memmove(lit, lit + 1, n - 2);
            lit[n - 2] = 0;
        }
    }
    wf_p2_sockaddr a = {0};
    if (lit[0] && inet_pton(AF_INET, lit, &a.u.v4.sin_addr) == 1) {
        a.u.v4.sin_family = AF_INET;
        a.len = sizeof a.u.v4;
    } else if (lit[0] && inet_pton(AF_INET6, lit, &a.u.v6.sin6_addr) == 1) {
        a.u.v6.sin6_family = AF_INET6;
        a.len = sizeof a.u.v6;
    }
    if (a.len) {
        wf_vec_push(&l->addrs, a);
        l->done = true;
    } else if (!plausible_name(name, n) || memchr(name, 0, n)) {
        release(l);
        return wf_p2_net_fail(result, WF_NET_INVALID_ARGUMENT);
    } else if (!wf_p2_net_may_lookup(cx, name)) {
        release(l);
        return wf_p2_net_fail(result, WF_NET_ACCESS_DENIED);
    } else {
        l->name = wf_xstrdup(name);
        l->holders = 2;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 256 * 1024);
        int r = pthread_create(&t, &at, resolver, l);
        pthread_attr_destroy(&at);
        if (r) {
            l->holders = 1;
            release(l);
            return wf_p2_net_fail(result, WF_NET_TEMPORARY_RESOLVER_FAILURE);
        }
    }
    wf_val h;
    if ((e = wf_p2_new_handle(cx, &wf_p2_kind_resolve_address_stream, l, 0, &h))) return e;
    *result = wf_p2_ok(h);
    return NULL;
}

static wf_net_code gai_code(int r)
{
    switch (r) {
    case EAI_NONAME: case EAI_NODATA: case EAI_ADDRFAMILY: return WF_NET_NAME_UNRESOLVABLE;
    case EAI_AGAIN: return WF_NET_TEMPORARY_RESOLVER_FAILURE;
    case EAI_MEMORY: return WF_NET_OUT_OF_MEMORY;
    default: return WF_NET_PERMANENT_RESOLVER_FAILURE;
    }
}

static WF_P2_FN(resolve_next_address)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 1, &wf_p2_kind_resolve_address_stream, &c);
    if (e) return e;
    lookup *l = c.self;
    pthread_mutex_lock(&l->mu);
    bool done = l->done;
    pthread_mutex_unlock(&l->mu);
    if (!done) return wf_p2_net_fail(result, WF_NET_WOULD_BLOCK);
    if (l->gai) return wf_p2_net_fail(result, gai_code(l->gai));
    if (l->next >= l->addrs.len) {
        *result = wf_p2_ok(wf_val_none());
        return NULL;
    }
    const wf_p2_sockaddr *a = &l->addrs.data[l->next++];
    if (l->name) wf_p2_net_note_resolved(c.cx, l->name, a);
    wf_val ip = wf_p2_net_ipaddr_val(a);
    *result = wf_p2_ok(wf_val_some(&ip));
    return NULL;
}

static bool lookup_ready(void *obj)
{
    lookup *l = obj;
    pthread_mutex_lock(&l->mu);
    bool done = l->done;
    pthread_mutex_unlock(&l->mu);
    return done;
}

static void lookup_wait(void *obj, wf_p2_wait *w)
{
    lookup *l = obj;
    w->mu = &l->mu;
    w->q = &l->q;
}

static const wf_p2_poll_ops lookup_poll = { lookup_ready, lookup_wait };

static WF_P2_FN(subscribe)
{
    (void)env;
    wf_p2_call c;
    wf_error *e = wf_p2_begin(inst, type, args, nargs, 1, &wf_p2_kind_resolve_address_stream, &c);
    if (e) return e;
    return wf_p2_pollable_new(c.cx, &lookup_poll, c.self, NULL, c.rep, result);
}

static const wf_p2_res_def dns_res[] = {
    { "resolve-address-stream", &wf_p2_kind_resolve_address_stream },
    { NULL, NULL },
};
static const wf_p2_fn_def dns_fns[] = {
    { "resolve-addresses", resolve_addresses },
    { "[method]resolve-address-stream.resolve-next-address", resolve_next_address },
    { "[method]resolve-address-stream.subscribe", subscribe },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_sockets_ip_name_lookup = { "wasi:sockets", "wasi:sockets/ip-name-lookup@0.2.12",
                                                         dns_res, dns_fns };
