/*
 * comp.c - the life cycle of a wf_component and the embedder's view of it
 * (component.h: is_binary, new/free, imports/exports as wf_cextern,
 * find_func), plus the type arena every component tree allocates from.
 */
#include "component/binary/comp_int.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- Pointer-pair hash ----------------------------------------------------- */

static size_t ph_slot(const cphash *h, const void *a, const void *b)
{
    uint64_t k = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)b * 0xc2b2ae3d27d4eb4full;
    k ^= k >> 29;
    return (size_t)k & (h->cap - 1);
}

const void *wf_cphash_get(const cphash *h, const void *a, const void *b)
{
    if (!h->cap) return NULL;
    for (size_t i = ph_slot(h, a, b);; i = (i + 1) & (h->cap - 1)) {
        if (!h->k1[i] && !h->k2[i]) return NULL;
        if (h->k1[i] == a && h->k2[i] == b) return h->val[i];
    }
}

void wf_cphash_put(cphash *h, const void *a, const void *b, const void *val)
{
    if ((h->len + 1) * 2 > h->cap) {
        cphash n = { 0 };
        n.cap = h->cap ? h->cap * 2 : 64;
        n.k1 = wf_xcalloc(n.cap, sizeof *n.k1);
        n.k2 = wf_xcalloc(n.cap, sizeof *n.k2);
        n.val = wf_xcalloc(n.cap, sizeof *n.val);
        for (size_t i = 0; i < h->cap; i++)
            if (h->k1[i] || h->k2[i]) wf_cphash_put(&n, h->k1[i], h->k2[i], h->val[i]);
        wf_cphash_free(h);
        *h = n;
    }
    size_t i = ph_slot(h, a, b);
    for (;; i = (i + 1) & (h->cap - 1)) {
        if (!h->k1[i] && !h->k2[i]) { h->len++; break; }
        if (h->k1[i] == a && h->k2[i] == b) break;
    }
    h->k1[i] = a;
    h->k2[i] = b;
    h->val[i] = val;
}

void wf_cphash_free(cphash *h)
{
    free(h->k1);
    free(h->k2);
    free(h->val);
    memset(h, 0, sizeof *h);
}

/* ---- Arena ---------------------------------------------------------------- */

uint32_t wf_carena_flags(const wf_carena *a, const wf_wit_type *t)
{
    if (!t) return 0;
    return (uint32_t)(uintptr_t)wf_cphash_get(&a->flags, t, NULL);
}

void wf_carena_flag(wf_carena *a, const wf_wit_type *t)
{
    uint32_t f = 0;
    if (t->kind == WF_WIT_OWN) f = CFLAG_RES;
    else if (t->kind == WF_WIT_BORROW) f = CFLAG_RES | CFLAG_BORROW;
    f |= wf_carena_flags(a, t->elem) | wf_carena_flags(a, t->err);
    for (size_t i = 0; i < t->nfields; i++) f |= wf_carena_flags(a, t->fields[i].type);
    if (f) wf_cphash_put(&a->flags, t, NULL, (const void *)(uintptr_t)f);
}

wf_wit_type *wf_carena_wit(wf_carena *a, wf_wit_kind k)
{
    wf_wit_type *t = wf_arena_alloc(&a->mem, sizeof *t);
    t->kind = k;
    wf_vec_push(&a->wit, t);
    return t;
}

wf_ctype *wf_carena_ctype(wf_carena *a, wf_ctype_kind k)
{
    wf_ctype *t = wf_arena_alloc(&a->mem, sizeof *t);
    t->kind = (uint8_t)k;
    return t;
}

wf_cresource *wf_carena_resource(wf_carena *a, wf_cres_kind k, const char *name)
{
    wf_cresource *r = wf_arena_alloc(&a->mem, sizeof *r);
    r->kind = (uint8_t)k;
    r->id = a->next_resource_id++;
    r->name = name;
    r->rep = WF_FLAT_I32;
    return r;
}

void wf_carena_free(wf_carena *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->wit.len; i++) free(a->wit.data[i]->flat);
    wf_arena_free(&a->mem);
    wf_vec_free(&a->wit);
    wf_cphash_free(&a->flags);
    free(a);
}

/* ---- Names of sorts ------------------------------------------------------- */

const char *wf_csort_name(int sort)
{
    static const char *const names[WF_CSORT_COUNT] = {
        "core func", "core table", "core memory", "core global", "core tag",
        "core type", "core module", "core instance",
        "func", "value", "type", "component", "instance",
    };
    return sort >= 0 && sort < WF_CSORT_COUNT ? names[sort] : "?";
}

/* ---- Life cycle ----------------------------------------------------------- */

bool wf_component_is_binary(const uint8_t *bytes, size_t len)
{
    static const uint8_t pre[8] = { 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00 };
    return bytes && len >= 8 && memcmp(bytes, pre, 8) == 0;
}

void wf_component_free(wf_component *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->ndefs; i++) {
        wf_cdef *d = &c->defs[i];
        if (d->kind == WF_CDEF_CORE_MODULE) wf_module_free(d->u.core_module.module);
        else if (d->kind == WF_CDEF_COMPONENT) wf_component_free(d->u.component.component);
    }
    free(c->defs);
    for (int s = 0; s < WF_CSORT_COUNT; s++) free(c->space[s]);
    wf_carena_free(c->arena);
    free(c);
}

wf_error *wf_component_new(const uint8_t *bytes, size_t len, wf_component **out)
{
    return wf_comp_decode(bytes, len, out);
}

/* ---- The embedder's view ------------------------------------------------- */

size_t wf_component_import_count(const wf_component *c) { return c->nimports; }
size_t wf_component_export_count(const wf_component *c) { return c->nexports; }

const wf_cextern *wf_component_import(const wf_component *c, size_t i)
{
    return i < c->nimports ? &c->imports[i] : NULL;
}

const wf_cextern *wf_component_export(const wf_component *c, size_t i)
{
    return i < c->nexports ? &c->exports[i] : NULL;
}

/* "ns:pkg/iface@1.0.0" matches itself, "ns:pkg/iface" and "iface". */
static bool iface_name_matches(const char *full, const char *want, size_t wlen)
{
    size_t flen = strlen(full);
    if (flen == wlen && memcmp(full, want, wlen) == 0) return true;
    const char *at = strchr(full, '@');
    size_t base = at ? (size_t)(at - full) : flen;
    if (base == wlen && memcmp(full, want, wlen) == 0) return true;
    const char *slash = memrchr(full, '/', base);
    if (slash) {
        const char *last = slash + 1;
        size_t llen = base - (size_t)(last - full);
        if (llen == wlen && memcmp(last, want, wlen) == 0) return true;
    }
    return false;
}

const wf_wit_func *wf_component_find_func(const wf_component *c, const char *name)
{
    const char *hash = strchr(name, '#');
    for (size_t i = 0; i < c->nexports; i++) {
        const wf_cextern *e = &c->exports[i];
        if (!hash) {
            if (e->kind == WF_CEXTERN_FUNC && strcmp(e->name, name) == 0) return e->func;
            continue;
        }
        if (e->kind != WF_CEXTERN_INSTANCE ||
            !iface_name_matches(e->name, name, (size_t)(hash - name)))
            continue;
        for (size_t j = 0; j < e->nmembers; j++)
            if (e->members[j].kind == WF_CEXTERN_FUNC && strcmp(e->members[j].name, hash + 1) == 0)
                return e->members[j].func;
    }
    return NULL;
}
