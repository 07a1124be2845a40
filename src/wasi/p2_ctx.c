/*
 * p2_ctx.c - the WASI 0.2 context of one instance (p2.h): its copied
 * configuration and its resource table, the host side of every handle the
 * guest holds (rep = table index), with parent/child links so that a
 * stream cannot be dropped while a pollable of it lives (the WIT says a
 * pollable is a child resource of its stream).
 */
#include "wasi/p2_int.h"

#include <time.h>

/* Handles one instance may hold at once (a guest leaking them traps). */
#define P2_MAX_RESOURCES (1u << 20)

static char **copy_strs(const char *const *v, size_t n)
{
    char **out = wf_xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = wf_xstrdup(v[i]);
    return out;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

/* splitmix64's finaliser: a well-mixed 64-bit value from a counter. */
static uint64_t mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* insecure-seed: the same two values for the instance's life (the WIT asks
 * for a per-instance constant), different per instance (a reset instance is
 * a new one): a counter over a base taken from the clock once per process,
 * mixed (no clock read per instance: a reset happens at every call). */
static void new_seed(wf_p2_ctx *cx)
{
    static uint64_t base, made;
    uint64_t b = __atomic_load_n(&base, __ATOMIC_RELAXED);
    if (!b) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        b = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)&base) | 1;
        __atomic_store_n(&base, b, __ATOMIC_RELAXED);   /* two threads racing here both store a fine base */
    }
    uint64_t n = __atomic_add_fetch(&made, 2, __ATOMIC_RELAXED);
    cx->insecure_seed[0] = mix64(b + n * 0x9E3779B97F4A7C15ull);
    cx->insecure_seed[1] = mix64(b + (n + 1) * 0x9E3779B97F4A7C15ull);
}

wf_p2_ctx *wf_p2_ctx_new(wf_p2_host *h, const wf_p2_config *cfg)
{
    wf_p2_ctx *cx = wf_xcalloc(1, sizeof *cx);
    cx->host = h;
    wf_vec_push(&cx->table, (wf_p2_entry){0});   /* rep 0 is never a resource */
    cx->argv = copy_strs(cfg->argv, cfg->argc);
    cx->argc = cfg->argc;
    cx->env = copy_strs(cfg->env, cfg->nenv);
    cx->nenv = cfg->nenv;
    cx->cwd = cfg->cwd ? wf_xstrdup(cfg->cwd) : NULL;
    cx->mounts = wf_xcalloc(cfg->nmounts + 1, sizeof *cx->mounts);
    for (size_t i = 0; i < cfg->nmounts; i++)
        cx->mounts[i] = (wf_p2_mount){ wf_xstrdup(cfg->mounts[i].host), wf_xstrdup(cfg->mounts[i].guest),
                                       cfg->mounts[i].read_only };
    cx->nmounts = cfg->nmounts;
    cx->network = copy_strs(cfg->network, cfg->nnetwork);
    cx->nnetwork = cfg->nnetwork;
    cx->stdio_fd[0] = cfg->stdin_fd;
    cx->stdio_fd[1] = cfg->stdout_fd;
    cx->stdio_fd[2] = cfg->stderr_fd;
    cx->out = cfg->out;
    cx->out_ud = cfg->out_ud;
    new_seed(cx);
    return cx;
}

/* Free entry i and its object (its children are freed on their own). */
static void entry_free(wf_p2_ctx *cx, uint32_t i)
{
    wf_p2_entry e = cx->table.data[i];
    cx->table.data[i] = (wf_p2_entry){0};
    wf_vec_push(&cx->free, i);
    if (e.parent && e.parent < cx->table.len && cx->table.data[e.parent].kind)
        cx->table.data[e.parent].children--;
    if (e.kind && e.kind->free) e.kind->free(e.obj);
}

/* Free every resource of the table and the interfaces' per-instance state
 * (what a guest took: streams, files, timers, preopens, sockets), keeping
 * the memory of the table itself. */
static void drop_all(wf_p2_ctx *cx)
{
    /* children first (pollables before their streams): every child was made
     * after its parent, so from the highest rep down... except reused
     * slots; loop until no entry with children is left to free. */
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = cx->table.len; i-- > 1;) {
            wf_p2_entry *e = &cx->table.data[i];
            if (!e->kind) continue;
            if (e->children) {
                again = true;
                continue;
            }
            entry_free(cx, (uint32_t)i);
        }
    }
    cx->table.len = 1;   /* rep 0 stays: never a resource */
    cx->free.len = 0;
    for (size_t i = cx->ext.len; i-- > 0;)
        if (cx->ext.data[i].free) cx->ext.data[i].free(cx->ext.data[i].val);
    cx->ext.len = 0;
}

void wf_p2_ctx_free(wf_p2_ctx *cx)
{
    if (!cx) return;
    drop_all(cx);
    wf_vec_free(&cx->table);
    wf_vec_free(&cx->free);
    wf_vec_free(&cx->ext);
    free_strs(cx->argv, cx->argc);
    free_strs(cx->env, cx->nenv);
    free(cx->cwd);
    for (size_t i = 0; i < cx->nmounts; i++) {
        free(cx->mounts[i].host);
        free(cx->mounts[i].guest);
    }
    free(cx->mounts);
    free_strs(cx->network, cx->nnetwork);
    free(cx);
}

void wf_p2_ctx_reset(wf_p2_ctx *cx)
{
    drop_all(cx);
    wf_p2_ctx_set_env(cx, NULL, 0);
    new_seed(cx);
}

void wf_p2_ctx_set_env(wf_p2_ctx *cx, const char *const *env, size_t n)
{
    /* an empty environment stays as it is (the common case, at every call
     * and every reset: no allocation); cx->env is never NULL */
    if (!n && !cx->nenv) return;
    free_strs(cx->env, cx->nenv);
    cx->env = copy_strs(env, n);
    cx->nenv = n;
}

wf_error *wf_p2_cx(wf_cinstance *inst, wf_p2_ctx **out)
{
    *out = wf_cinstance_data(inst);
    if (!*out) return wf_error_new(WF_ERR_TRAP, "wasi: the instance has no WASI 0.2 context");
    return NULL;
}

wf_error *wf_p2_add(wf_p2_ctx *cx, const wf_p2_kind *k, void *obj, uint32_t parent, uint32_t *rep)
{
    uint32_t i;
    if (cx->free.len) {
        i = wf_vec_pop(&cx->free);
    } else {
        if (cx->table.len > P2_MAX_RESOURCES) {
            if (k->free) k->free(obj);
            return wf_error_new(WF_ERR_TRAP, "wasi: too many live resources (%u): the guest does "
                                "not drop its handles", P2_MAX_RESOURCES);
        }
        i = (uint32_t)cx->table.len;
        wf_vec_push(&cx->table, (wf_p2_entry){0});
    }
    cx->table.data[i] = (wf_p2_entry){ .kind = k, .obj = obj, .parent = parent };
    if (parent) cx->table.data[parent].children++;
    *rep = i;
    return NULL;
}

static wf_chost_resource *host_res(const wf_p2_host *h, const wf_p2_kind *k)
{
    for (size_t i = 0; i < h->kinds.len; i++)
        if (h->kinds.data[i].kind == k) return h->kinds.data[i].res;
    return NULL;
}

wf_val wf_p2_handle(wf_p2_ctx *cx, const wf_p2_kind *k, uint32_t rep)
{
    wf_chost_resource *r = host_res(cx->host, k);
    wf_val v = {0};
    if (r) v = wf_chost_handle(r, rep);
    else v.kind = WF_VAL_HANDLE;   /* no type: lowering it traps ("unknown handle") */
    return v;
}

wf_error *wf_p2_new_handle(wf_p2_ctx *cx, const wf_p2_kind *k, void *obj, uint32_t parent, wf_val *out)
{
    uint32_t rep;
    wf_error *e = wf_p2_add(cx, k, obj, parent, &rep);
    if (e) return e;
    *out = wf_p2_handle(cx, k, rep);
    return NULL;
}

wf_error *wf_p2_get_rep(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what,
                        void **obj, uint32_t *rep)
{
    wf_chost_resource *r = host_res(cx->host, k);
    uint32_t i;
    if (!r || !wf_chost_handle_rep(r, v, &i) || i == 0 || i >= cx->table.len ||
        cx->table.data[i].kind != k)
        return wf_error_new(WF_ERR_TRAP, "wasi: %s is not a live %s handle", what, k->name);
    *obj = cx->table.data[i].obj;
    if (rep) *rep = i;
    return NULL;
}

wf_error *wf_p2_get(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what, void **obj)
{
    return wf_p2_get_rep(cx, k, v, what, obj, NULL);
}

wf_error *wf_p2_take(wf_p2_ctx *cx, const wf_p2_kind *k, const wf_val *v, const char *what, void **obj)
{
    uint32_t rep;
    wf_error *e = wf_p2_get_rep(cx, k, v, what, obj, &rep);
    if (e) return e;
    wf_p2_entry *en = &cx->table.data[rep];
    if (en->children)
        return wf_error_new(WF_ERR_TRAP, "wasi: resource has children: %s %u still has %u (drop "
                            "its streams or headers first)", k->name, rep, en->children);
    uint32_t parent = en->parent;
    *en = (wf_p2_entry){0};
    wf_vec_push(&cx->free, rep);
    if (parent && parent < cx->table.len && cx->table.data[parent].kind) cx->table.data[parent].children--;
    return NULL;
}

wf_error *wf_p2_drop(void *env, wf_cinstance *inst, uint32_t rep)
{
    const wf_p2_kind *k = env;
    wf_p2_ctx *cx;
    wf_error *e = wf_p2_cx(inst, &cx);
    if (e) return e;
    if (rep == 0 || rep >= cx->table.len || cx->table.data[rep].kind != k)
        return wf_error_new(WF_ERR_TRAP, "wasi: dropping %s %u: no such resource", k->name, rep);
    if (cx->table.data[rep].children)
        return wf_error_new(WF_ERR_TRAP, "wasi: resource has children: %s %u still has %u "
                            "(drop its pollables or streams first)", k->name, rep,
                            cx->table.data[rep].children);
    entry_free(cx, rep);
    return NULL;
}

void *wf_p2_ext(wf_p2_ctx *cx, const void *key, void *(*make)(wf_p2_ctx *cx), void (*free_fn)(void *))
{
    for (size_t i = 0; i < cx->ext.len; i++)
        if (cx->ext.data[i].key == key) return cx->ext.data[i].val;
    void *v = make(cx);
    wf_vec_reserve(&cx->ext, 1);
    cx->ext.data[cx->ext.len].key = key;
    cx->ext.data[cx->ext.len].val = v;
    cx->ext.data[cx->ext.len].free = free_fn;
    cx->ext.len++;
    return v;
}
