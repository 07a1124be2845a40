/*
 * comp.c - the storage of a component tree (comp_int.h): the type arena
 * every node of a wf_component is allocated from (with the own/borrow
 * flags of value types), the pointer-pair hash the type walks memoize in,
 * the names of sorts, and freeing a whole wf_component. The bottom of the
 * decoder: it uses no other comp_*.c file.
 */
#include "component/binary/comp_int.h"

/* ---- Pointer-pair hash ----------------------------------------------------- */

const void *wf_cphash_get(const cphash *h, const void *a, const void *b)
{
    const void *key[2] = { a, b };
    void *val;
    return wf_map_find(&h->map, key, sizeof key, &val) ? val : NULL;
}

void wf_cphash_put(cphash *h, const void *a, const void *b, const void *val)
{
    const void *key[2] = { a, b };
    if (wf_map_find(&h->map, key, sizeof key, NULL)) {
        wf_map_set(&h->map, key, sizeof key, (void *)val);
        return;
    }
    wf_map_add(&h->map, wf_arena_dup(&h->keys, key, sizeof key), sizeof key, (void *)val);
}

void wf_cphash_free(cphash *h)
{
    wf_map_free(&h->map);
    wf_arena_free(&h->keys);
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

/* ---- Freeing a component -------------------------------------------------- */

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
    free(c->owned_bytes);   /* after the modules that read it */
    free(c);
}
