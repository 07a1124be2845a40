/*
 * p2_link.c - the WASI 0.2 host (p2.h): the table of every interface it
 * implements and their definition in a component linker. Resource types of
 * every interface are defined (each kind's runtime type, whose destructor
 * drops the entry from the calling instance's context); functions only for
 * the packages enabled by the entry's `imports` words.
 *
 * A new interface is one line here (its wf_p2_iface, see p2_int.h).
 */
#include "wasi/p2_int.h"

extern const wf_p2_iface wf_p2_iface_io_error, wf_p2_iface_io_poll, wf_p2_iface_io_streams;
extern const wf_p2_iface wf_p2_iface_clocks_monotonic, wf_p2_iface_clocks_wall;
extern const wf_p2_iface wf_p2_iface_random_random, wf_p2_iface_random_insecure, wf_p2_iface_random_seed;
extern const wf_p2_iface wf_p2_iface_cli_environment, wf_p2_iface_cli_exit, wf_p2_iface_cli_stdin,
    wf_p2_iface_cli_stdout, wf_p2_iface_cli_stderr, wf_p2_iface_cli_terminal_input,
    wf_p2_iface_cli_terminal_output, wf_p2_iface_cli_terminal_stdin, wf_p2_iface_cli_terminal_stdout,
    wf_p2_iface_cli_terminal_stderr;
extern const wf_p2_iface wf_p2_iface_fs_types, wf_p2_iface_fs_preopens;
extern const wf_p2_iface wf_p2_iface_sockets_network, wf_p2_iface_sockets_instance_network,
    wf_p2_iface_sockets_tcp, wf_p2_iface_sockets_tcp_create, wf_p2_iface_sockets_udp,
    wf_p2_iface_sockets_udp_create, wf_p2_iface_sockets_ip_name_lookup;
extern const wf_p2_iface wf_p2_iface_http_types, wf_p2_iface_http_fields, wf_p2_iface_http_future,
    wf_p2_iface_http_outgoing;

static const wf_p2_iface *const ifaces[] = {
    /* wasi:io */
    &wf_p2_iface_io_error, &wf_p2_iface_io_poll, &wf_p2_iface_io_streams,
    /* wasi:clocks */
    &wf_p2_iface_clocks_monotonic, &wf_p2_iface_clocks_wall,
    /* wasi:random */
    &wf_p2_iface_random_random, &wf_p2_iface_random_insecure, &wf_p2_iface_random_seed,
    /* wasi:cli */
    &wf_p2_iface_cli_environment, &wf_p2_iface_cli_exit, &wf_p2_iface_cli_stdin,
    &wf_p2_iface_cli_stdout, &wf_p2_iface_cli_stderr, &wf_p2_iface_cli_terminal_input,
    &wf_p2_iface_cli_terminal_output, &wf_p2_iface_cli_terminal_stdin,
    &wf_p2_iface_cli_terminal_stdout, &wf_p2_iface_cli_terminal_stderr,
    /* wasi:filesystem */
    &wf_p2_iface_fs_types, &wf_p2_iface_fs_preopens,
    /* wasi:sockets */
    &wf_p2_iface_sockets_network, &wf_p2_iface_sockets_instance_network, &wf_p2_iface_sockets_tcp,
    &wf_p2_iface_sockets_tcp_create, &wf_p2_iface_sockets_udp, &wf_p2_iface_sockets_udp_create,
    &wf_p2_iface_sockets_ip_name_lookup,
    /* wasi:http (types is three tables: fields, the rest, the outgoing future) */
    &wf_p2_iface_http_types, &wf_p2_iface_http_fields, &wf_p2_iface_http_future, &wf_p2_iface_http_outgoing,
};

wf_p2_host *wf_p2_host_new(const char *const *enabled, size_t n)
{
    wf_p2_host *h = wf_xcalloc(1, sizeof *h);
    h->enabled = wf_xcalloc(n + 1, sizeof *h->enabled);
    for (size_t i = 0; i < n; i++) h->enabled[i] = wf_xstrdup(enabled[i]);
    h->nenabled = n;
    return h;
}

void wf_p2_host_free(wf_p2_host *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->nenabled; i++) free(h->enabled[i]);
    free(h->enabled);
    wf_vec_free(&h->kinds);
    free(h);
}

static bool word_enabled(const wf_p2_host *h, const char *w)
{
    for (size_t i = 0; i < h->nenabled; i++)
        if (!strcmp(h->enabled[i], w) || !strcmp(h->enabled[i], "all")) return true;
    return false;
}

static bool iface_enabled(const wf_p2_host *h, const wf_p2_iface *f)
{
    if (word_enabled(h, f->pkg)) return true;
    /* wasi:io grants nothing by itself (its streams and pollables come from
     * the other packages) and every other package needs it */
    if (!strcmp(f->pkg, "wasi:io"))
        for (size_t i = 0; i < h->nenabled; i++)
            if (!strncmp(h->enabled[i], "wasi:", 5)) return true;
    /* `wasi:poll`, the word of WASI's early drafts, enables wasi:io/poll */
    return f == &wf_p2_iface_io_poll && word_enabled(h, "wasi:poll");
}

/* The interface's name without "@version" matches name's. */
static bool same_iface(const char *a, const char *b)
{
    size_t na = strcspn(a, "@"), nb = strcspn(b, "@");
    return na == nb && !strncmp(a, b, na);
}

bool wf_p2_host_provides(const wf_p2_host *h, const char *name)
{
    const char *at = strchr(name, '@');
    if (at && strncmp(at + 1, "0.2.", 4)) return false;
    for (size_t i = 0; i < WF_COUNT(ifaces); i++)
        if (same_iface(ifaces[i]->name, name)) return iface_enabled(h, ifaces[i]);
    return false;
}

bool wf_p2_host_knows(const char *name)
{
    const char *at = strchr(name, '@');
    if (at && strncmp(at + 1, "0.2.", 4)) return false;
    for (size_t i = 0; i < WF_COUNT(ifaces); i++)
        if (same_iface(ifaces[i]->name, name)) return true;
    return false;
}

void wf_p2_host_define(wf_p2_host *h, wf_clinker *l)
{
    for (size_t i = 0; i < WF_COUNT(ifaces); i++) {
        const wf_p2_iface *f = ifaces[i];
        for (const wf_p2_res_def *r = f->res; r->name; r++) {
            wf_chost_resource *res = wf_clinker_define_resource(l, f->name, r->name, wf_p2_drop,
                                                                (void *)r->kind);
            bool known = false;
            for (size_t k = 0; k < h->kinds.len && !known; k++) known = h->kinds.data[k].kind == r->kind;
            if (!known) {
                wf_vec_reserve(&h->kinds, 1);
                h->kinds.data[h->kinds.len].kind = r->kind;
                h->kinds.data[h->kinds.len].res = res;
                h->kinds.len++;
            }
        }
        if (!iface_enabled(h, f)) continue;
        for (const wf_p2_fn_def *d = f->fns; d->name; d++) wf_clinker_define_func(l, f->name, d->name, d->fn, h);
    }
}
