/*
 * cabi_handle.c - resources (CanonicalABI.md "Table State", "Resource
 * State", lift_own/lift_borrow/lower_own/lower_borrow and the
 * resource.new/drop/rep built-ins) and the reentrance flags of component
 * instances (may_enter_from, enter_from, leave_to).
 *
 * A handle leaving a component for the host or for another component is, as
 * in the spec, its resource type and representation; as a wf_val it is a
 * WF_VAL_HANDLE whose 64 bits are the type's registry id (high half) and the
 * rep (low half). The registry maps ids to live types so that a value the
 * host kept cannot name a freed type: lowering it then traps.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"

#include <pthread.h>

/* ---- The registry of runtime resource types ---------------------------------- */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static WF_VEC(cabi_rtype *) reg;       /* [id - 1] */
static WF_VEC(uint32_t) reg_free;

cabi_rtype *wf_cabi_rtype_new(cabi_inst *impl, wf_func *dtor)
{
    cabi_rtype *rt = wf_xcalloc(1, sizeof *rt);
    rt->impl = impl;
    rt->dtor = dtor;
    pthread_mutex_lock(&reg_mu);
    if (reg_free.len) {
        rt->id = wf_vec_pop(&reg_free);
        reg.data[rt->id - 1] = rt;
    } else {
        wf_vec_push(&reg, rt);
        rt->id = (uint32_t)reg.len;
    }
    pthread_mutex_unlock(&reg_mu);
    return rt;
}

void wf_cabi_rtype_free(cabi_rtype *rt)
{
    if (!rt) return;
    pthread_mutex_lock(&reg_mu);
    reg.data[rt->id - 1] = NULL;
    wf_vec_push(&reg_free, rt->id);
    pthread_mutex_unlock(&reg_mu);
    free(rt);
}

wf_val wf_cabi_handle_val(const cabi_rtype *rt, uint32_t rep)
{
    wf_val v = {0};
    v.kind = WF_VAL_HANDLE;
    v.of.u = (uint64_t)rt->id << 32 | rep;
    return v;
}

bool wf_cabi_handle_parse(const wf_val *v, cabi_rtype **rt, uint32_t *rep)
{
    uint64_t id = v->of.u >> 32;
    *rep = (uint32_t)v->of.u;
    pthread_mutex_lock(&reg_mu);
    *rt = id >= 1 && id <= reg.len ? reg.data[id - 1] : NULL;
    pthread_mutex_unlock(&reg_mu);
    return *rt != NULL;
}

/* ---- Instances and their tables ----------------------------------------------- */

void wf_cabi_inst_init(cabi_inst *ci, cabi_inst *parent)
{
    memset(ci, 0, sizeof *ci);
    ci->parent = parent;
    ci->may_enter = ci->may_leave = true;
    wf_vec_push(&ci->handles, (cabi_handle){0});   /* index 0 is never a handle */
}

void wf_cabi_inst_fini(cabi_inst *ci)
{
    wf_vec_free(&ci->handles);
    wf_vec_free(&ci->free);
}

static wf_error *leave_trap(void)
{
    return wf_error_new(WF_ERR_TRAP, "cannot leave component instance");
}

static wf_error *unknown(uint32_t i)
{
    return wf_error_new(WF_ERR_TRAP, "unknown handle index %u", i);
}

static wf_error *wrong_type(uint32_t i)
{
    return wf_error_new(WF_ERR_TRAP, "handle index %u used with the wrong type, expected guest-defined "
                        "resource but found a different guest-defined resource", i);
}

static cabi_handle *table_get(cabi_inst *ci, uint32_t i)
{
    if (i >= ci->handles.len || !ci->handles.data[i].rt) return NULL;
    return &ci->handles.data[i];
}

static wf_error *table_add(cabi_inst *ci, cabi_handle h, uint32_t *out)
{
    if (ci->free.len) {
        *out = wf_vec_pop(&ci->free);
        ci->handles.data[*out] = h;
        return NULL;
    }
    if (ci->handles.len > WF_CABI_MAX_HANDLES)
        return wf_error_new(WF_ERR_TRAP, "the handle table is full (%u entries)", WF_CABI_MAX_HANDLES);
    *out = (uint32_t)ci->handles.len;
    wf_vec_push(&ci->handles, h);
    return NULL;
}

static void table_remove(cabi_inst *ci, uint32_t i)
{
    ci->handles.data[i] = (cabi_handle){0};
    wf_vec_push(&ci->free, i);
}

/* ---- Reentrance ----------------------------------------------------------------- */

static bool in_chain(const cabi_inst *x, const cabi_inst *chain)
{
    for (; chain; chain = chain->parent)
        if (chain == x) return true;
    return false;
}

bool wf_cabi_may_enter(cabi_inst *ci, cabi_inst *caller)
{
    for (cabi_inst *x = ci; x; x = x->parent)
        if (!in_chain(x, caller) && !x->may_enter) return false;
    return true;
}

bool wf_cabi_is_poisoned(const cabi_inst *ci)
{
    for (; ci; ci = ci->parent)
        if (ci->poisoned) return true;
    return false;
}

void wf_cabi_poison(cabi_inst *ci)
{
    for (; ci; ci = ci->parent) ci->poisoned = true;
}

wf_error *wf_cabi_poisoned_trap(void)
{
    return wf_error_new(WF_ERR_TRAP, "cannot enter component instance: it trapped in an earlier call "
                        "(a trap poisons the instance)");
}

void wf_cabi_enter(cabi_inst *ci, cabi_inst *caller, bool enter)
{
    for (cabi_inst *x = ci; x; x = x->parent)
        if (!in_chain(x, caller)) x->may_enter = !enter;
}

/* ---- Built-ins -------------------------------------------------------------------- */

wf_error *wf_cabi_resource_new(cabi_inst *ci, cabi_rtype *rt, uint32_t rep, uint32_t *out)
{
    if (!ci->may_leave) return leave_trap();
    return table_add(ci, (cabi_handle){ .rt = rt, .rep = rep, .own = true }, out);
}

wf_error *wf_cabi_resource_rep(cabi_inst *ci, cabi_rtype *rt, uint32_t i, uint32_t *out)
{
    cabi_handle *h = table_get(ci, i);
    if (!h) return unknown(i);
    if (h->rt != rt) return wrong_type(i);
    *out = h->rep;
    return NULL;
}

wf_error *wf_cabi_resource_drop(cabi_inst *ci, cabi_rtype *rt, uint32_t i)
{
    if (!ci->may_leave) return leave_trap();
    cabi_handle *h = table_get(ci, i);
    if (!h) return unknown(i);
    if (h->rt != rt) return wrong_type(i);
    if (h->lends) return wf_error_new(WF_ERR_TRAP, "cannot remove owned resource while borrowed");
    cabi_handle d = *h;
    table_remove(ci, i);
    if (!d.own) {
        if (d.scope) d.scope->borrows--;
        return NULL;
    }
    return wf_cabi_run_dtor(rt, d.rep, ci);
}

wf_error *wf_cabi_run_dtor(cabi_rtype *rt, uint32_t rep, cabi_inst *ci)
{
    if (rt->host_dtor) return rt->host_dtor(rt->host_env, ci, rep);
    if (!rt->dtor) return NULL;
    /* the destructor is called like a lifted export of rt->impl lowered into ci */
    if (wf_cabi_is_poisoned(rt->impl)) return wf_cabi_poisoned_trap();
    if (!wf_cabi_may_enter(rt->impl, ci))
        return wf_error_new(WF_ERR_TRAP, "cannot enter component instance (resource destructor)");
    wf_cabi_enter(rt->impl, ci, true);
    wf_value arg = { .type = WF_TYPE_I32, .of.i32 = (int32_t)rep };
    wf_error *e = wf_func_call(rt->dtor, &arg, 1, NULL, 0);
    wf_cabi_enter(rt->impl, ci, false);
    if (e) wf_cabi_poison(rt->impl);
    return e;
}

void wf_cabi_lends_release(cabi_lends *l)
{
    for (size_t i = 0; i < l->len; i++) {
        cabi_handle *h = table_get(l->data[i].inst, l->data[i].index);
        if (h && h->lends) h->lends--;
    }
    wf_vec_free(l);
}

/* ---- Lifting and lowering handles ------------------------------------------------ */

static wf_error *need_inst(cabi_cx *cx, const wf_wit_type *t, cabi_rtype **rt)
{
    if (!cx->ci || !t->resource)
        return wf_error_new(WF_ERR_INVALID, "%s: resource handles need a component instance", wf_cabi_path(cx));
    *rt = cx->ci->resource(cx->ci, t->resource);
    if (!*rt) return wf_error_new(WF_ERR_INTERNAL, "%s: resource type not instantiated", wf_cabi_path(cx));
    return NULL;
}

wf_error *wf_cabi_lift_handle(cabi_cx *cx, const wf_wit_type *t, uint32_t i, wf_val *out)
{
    cabi_rtype *rt;
    wf_error *e = need_inst(cx, t, &rt);
    if (e) return e;
    cabi_handle *h = table_get(cx->ci, i);
    if (!h) return unknown(i);
    if (h->rt != rt) return wrong_type(i);
    if (t->kind == WF_WIT_OWN) {   /* lift_own: ownership moves out */
        if (h->lends) return wf_error_new(WF_ERR_TRAP, "cannot remove owned resource while borrowed");
        if (!h->own) return wf_cabi_trap(cx, "cannot lift an owned handle from a borrowed one", "index %u", i);
        *out = wf_cabi_handle_val(rt, h->rep);
        table_remove(cx->ci, i);
        return NULL;
    }
    if (cx->lends) {               /* lift_borrow: the source stays, lent until the call ends */
        h->lends++;
        wf_vec_push(cx->lends, ((cabi_lend){ cx->ci, i }));
    }
    *out = wf_cabi_handle_val(rt, h->rep);
    return NULL;
}

wf_error *wf_cabi_lower_handle(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t *out)
{
    cabi_rtype *rt, *vrt;
    uint32_t rep;
    wf_error *e = need_inst(cx, t, &rt);
    if (e) return e;
    if (!wf_cabi_handle_parse(v, &vrt, &rep))
        return wf_cabi_trap(cx, "unknown handle", "0x%llx names no live resource type",
                         (unsigned long long)v->of.u);
    if (vrt != rt)
        return wf_cabi_trap(cx, "handle used with the wrong type", "expected a different resource type");
    if (t->kind == WF_WIT_OWN)
        return table_add(cx->ci, (cabi_handle){ .rt = rt, .rep = rep, .own = true }, out);
    if (cx->ci == rt->impl) {      /* the implementation only needs the rep */
        *out = rep;
        return NULL;
    }
    if (cx->task) cx->task->borrows++;
    return table_add(cx->ci, (cabi_handle){ .rt = rt, .rep = rep, .scope = cx->task }, out);
}
