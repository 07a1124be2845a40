/*
 * store.c - stores: the owner of every instance and runtime object made in
 * them, all freed together by wf_store_free.
 */
#include "wasm/runtime.h"
#include "wasm/exn.h"
#include "wasm/gc.h"

/* Allocates an empty store; the caller frees it with wf_store_free. */
wf_store *wf_store_new(void)
{
    return wf_xcalloc(1, sizeof(wf_store));
}

static void instance_free(wf_instance *inst)
{
    free(inst->funcs);
    free(inst->tables);
    free(inst->mems);
    free(inst->globals);
    free(inst->tags);
    if (inst->elem_items)
        for (uint32_t i = 0; i < inst->nelems; i++) free(inst->elem_items[i]);
    free(inst->elem_items);
    free(inst->elem_len);
    free(inst->data_dropped);
    free(inst->func_block);
    free(inst);
}

void wf_store_free(wf_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->instances.len; i++) instance_free(s->instances.data[i]);
    for (size_t i = 0; i < s->funcs.len; i++) free(s->funcs.data[i]);
    for (size_t i = 0; i < s->tables.len; i++) wf_table_release(s->tables.data[i]);
    for (size_t i = 0; i < s->memories.len; i++) wf_memory_release(s->memories.data[i]);
    for (size_t i = 0; i < s->globals.len; i++) free(s->globals.data[i]);
    for (size_t i = 0; i < s->tags.len; i++) free(s->tags.data[i]);
    wf_exn_free_all(s);
    wf_gc_free_all(s);
    wf_vec_free(&s->instances);
    wf_vec_free(&s->funcs);
    wf_vec_free(&s->tables);
    wf_vec_free(&s->memories);
    wf_vec_free(&s->globals);
    wf_vec_free(&s->tags);
    free(s);
}
