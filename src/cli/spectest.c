/*
 * spectest.c - the `spectest` host module that spec scripts import from:
 * silent print functions, four constant globals (666 / 666.6), a funcref
 * table of 10..20 elements and a memory of 1..2 pages, as the reference
 * interpreter defines them. The objects belong to the script's store.
 */
#include "cli/wast.h"
#include "wasm/runtime.h"

static wf_error *print_nothing(wf_caller *caller, void *env, wf_slot *slots)
{
    return NULL;
}

static wf_func *host(wf_store *s, const wf_valtype *params, uint32_t n)
{
    return wf_func_new_host(s, wf_functype_get(params, n, NULL, 0), print_nothing, NULL);
}

static void make(wast_spectest *st, wf_store *s)
{
    static const wf_valtype i32[] = { WF_TYPE_I32 }, i64[] = { WF_TYPE_I64 },
                            f32[] = { WF_TYPE_F32 }, f64[] = { WF_TYPE_F64 },
                            i32_f32[] = { WF_TYPE_I32, WF_TYPE_F32 },
                            f64_f64[] = { WF_TYPE_F64, WF_TYPE_F64 };
    memset(st, 0, sizeof *st);
    st->store = s;
    st->print = host(s, NULL, 0);
    st->print_i32 = host(s, i32, 1);
    st->print_i64 = host(s, i64, 1);
    st->print_f32 = host(s, f32, 1);
    st->print_f64 = host(s, f64, 1);
    st->print_i32_f32 = host(s, i32_f32, 2);
    st->print_f64_f64 = host(s, f64_f64, 2);

    wf_value v = { .type = WF_TYPE_I32, .of.i32 = 666 };
    st->global_i32 = wf_global_new(s, v.type, false, v);
    v = (wf_value){ .type = WF_TYPE_I64, .of.i64 = 666 };
    st->global_i64 = wf_global_new(s, v.type, false, v);
    v = (wf_value){ .type = WF_TYPE_F32, .of.f32 = 666.6f };
    st->global_f32 = wf_global_new(s, v.type, false, v);
    v = (wf_value){ .type = WF_TYPE_F64, .of.f64 = 666.6 };
    st->global_f64 = wf_global_new(s, v.type, false, v);

    st->table = wf_table_new(s, WF_TYPE_FUNCREF, 10, 20, true, NULL);
    /* table64: the same limits with i64 indices (the reference interpreter's) */
    wf_tabletype t64 = { .elem = WF_TYPE_FUNCREF, .limits = { .min = 10, .max = 20, .has_max = true, .is64 = true } };
    wf_error *e = wf_table_create(s, &t64, NULL, &st->table64);
    if (e) {
        wf_error_free(e);
        st->table64 = NULL;
    }
    st->memory = wf_memory_new(s, 1, 2, true);
}

bool wf_wast_spectest_lookup(wast_spectest *st, wf_store *s, const char *name, size_t len,
                          wf_extern *out)
{
    if (st->store != s) make(st, s);
    const struct {
        const char *name;
        wf_extern_kind kind;
        void *ptr;
    } exports[] = {
        { "print", WF_EXTERN_FUNC, st->print },
        { "print_i32", WF_EXTERN_FUNC, st->print_i32 },
        { "print_i64", WF_EXTERN_FUNC, st->print_i64 },
        { "print_f32", WF_EXTERN_FUNC, st->print_f32 },
        { "print_f64", WF_EXTERN_FUNC, st->print_f64 },
        { "print_i32_f32", WF_EXTERN_FUNC, st->print_i32_f32 },
        { "print_f64_f64", WF_EXTERN_FUNC, st->print_f64_f64 },
        { "global_i32", WF_EXTERN_GLOBAL, st->global_i32 },
        { "global_i64", WF_EXTERN_GLOBAL, st->global_i64 },
        { "global_f32", WF_EXTERN_GLOBAL, st->global_f32 },
        { "global_f64", WF_EXTERN_GLOBAL, st->global_f64 },
        { "table", WF_EXTERN_TABLE, st->table },
        { "table64", WF_EXTERN_TABLE, st->table64 },
        { "memory", WF_EXTERN_MEMORY, st->memory },
    };
    for (size_t i = 0; i < WF_COUNT(exports); i++) {
        if (strlen(exports[i].name) != len || memcmp(exports[i].name, name, len)) continue;
        if (!exports[i].ptr) return false; /* the engine refused to make it */
        out->kind = exports[i].kind;
        out->of.ptr = exports[i].ptr;
        return true;
    }
    return false;
}
