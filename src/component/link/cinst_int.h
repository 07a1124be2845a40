/*
 * cinst_int.h - component instances at run time (cinst*.c): the runtime
 * objects of each index space, component functions (a lifted core function
 * or a host function), and the per-instance state the Canonical ABI needs.
 *
 * Instantiation (cinst.c) walks a component's definitions in order and
 * appends one runtime item per definition to the index space it names
 * (comp.h); calls (cinst_call.c) go through wf_cfunc_call, which is the spec's
 * FuncInst: canon_lift for lifted functions, a plain call for host ones.
 * Component-to-component calls are a lowered core function (a host function
 * of the core engine) that lifts its arguments to wf_val, calls the callee
 * cfunc and lowers the results back.
 */
#ifndef WF_CINST_INT_H
#define WF_CINST_INT_H

#include "component/binary/comp.h"
#include "component/cabi/cabi_int.h"

typedef struct cfunc cfunc;
typedef struct crt crt;
typedef struct cexports cexports;

/* A runtime item of any sort. */
typedef struct citem {
    uint8_t sort;                    /* wf_csort */
    union {
        wf_extern core;              /* core func/table/memory/global/tag */
        const wf_module *module;     /* core module */
        struct ccore *core_inst;     /* core instance */
        cfunc *func;                 /* func */
        cabi_rtype *rt;              /* type: the runtime resource type, or NULL */
        struct {                     /* component: a closure over where it was defined */
            const wf_component *c;
            crt *env;
        } component;
        cexports *inst;              /* instance */
    } of;
} citem;

typedef WF_VEC(citem) citem_vec;

/* A named item (an instance's export, an argument). */
typedef struct cnamed {
    const char *name;
    citem item;
} cnamed;

/* A component instance as a value: its exports by name. */
struct cexports {
    cnamed *items;
    size_t n;
};

/* A core instance: a module instance, or a bag of inline exports. */
typedef struct ccore {
    wf_instance *inst;
    cnamed *items;
    size_t n;
} ccore;

/* A component function: the spec's FuncInst. */
struct cfunc {
    const wf_wit_func *type;
    bool lifted;
    /* lifted: core callee, canonopts, the instance that lifted it, and the
     * callee's flat signature (wf_cabi_core_sig of type, worked out once
     * when lifted instead of at every call) */
    wf_func *core;
    wf_cabi_opts opts;
    crt *inst;
    wf_flat ps[WF_CABI_MAX_FLAT_PARAMS + 1], rs[WF_CABI_MAX_FLAT_RESULTS];
    uint32_t np, nr;
    /* host: fn(env, root, ...), or stub: trap with `stub` */
    wf_chost_fn fn;
    void *env;
    char *stub;
    wf_cinstance *root;              /* host: the instance tree it was linked into */
};

/* The runtime state of one component instance (the root or a nested one):
 * its Canonical ABI state (handles, flags) and what its resource type nodes
 * resolve to. `ci` comes first so a cabi_inst * converts back. */
struct crt {
    cabi_inst ci;
    crt *parent;                     /* the instance that instantiated it */
    wf_cinstance *root;              /* the tree it belongs to */
    crt *lex;                        /* the instance its component was defined in:
                                      * what its outer aliases name */
    const wf_component *comp;
    WF_VEC(struct cbind { const wf_cresource *res; cabi_rtype *rt; }) res;
    citem_vec sp[WF_CSORT_COUNT];    /* its index spaces, kept for outer aliases */
};

/* The owner of everything an instance tree allocates. */
struct wf_cinstance {
    wf_store *store;
    const wf_component *comp;
    crt *root;
    cexports exports;                /* the root's exports */
    WF_VEC(void *) allocs;           /* freed with the instance */
    WF_VEC(crt *) crts;
    WF_VEC(cabi_rtype *) rts;
    void *data;                      /* the host's (wf_cinstance_new_with) */
};

struct lfunc { char *name, *func; wf_chost_fn fn; void *env; };
struct linst { char *name; wf_cinstance *inst; };

/* A host resource type: one runtime type (rt) shared by every instance. */
struct wf_chost_resource {
    char *name, *resource;
    wf_chost_dtor dtor;
    void *env;
    cabi_rtype *rt;
};

struct wf_clinker {
    WF_VEC(struct lfunc) funcs;
    WF_VEC(struct linst) insts;
    WF_VEC(wf_chost_resource *) res;
    wf_cmissing_fn missing;
    void *missing_env;
};

/* Bind a resource node to its runtime type in r; look one up (through the
 * enclosing instances, for outer aliases). */
void wf_crt_bind(crt *r, const wf_cresource *res, cabi_rtype *rt);
cabi_rtype *wf_crt_lookup(crt *r, const wf_cresource *res);

/* FuncInst call: caller is NULL from the host, else the calling instance.
 * args are checked (from the host: by wf_cinstance_call). results has
 * type->nresults slots; they are owned by the caller on success. */
wf_error *wf_cfunc_call(cfunc *f, crt *caller, const wf_val *args, wf_val *results);

/* Core functions made by `canon lower` and the resource built-ins. */
wf_func *wf_cinst_lower(wf_cinstance *root, crt *r, cfunc *callee, const wf_wit_func *type,
                     const wf_cabi_opts *opts, bool async);
wf_func *wf_cinst_builtin(wf_cinstance *root, crt *r, uint8_t canon_kind, cabi_rtype *rt);

/* A named export (by `method` rules, see wf_component_find_func). */
cfunc *wf_cinst_find_func(const cexports *ex, const char *name);

#endif
