/*
 * module.c - the life cycle of a wf_module (made from a binary or from text,
 * freed with everything it owns) and its import/export accessors.
 */
#include <stdio.h>

#include "wasm/code.h"
#include "wasm/decode.h"
#include "wasm/jit.h"
#include "wasm/image.h"

/* m (its bytes set) decoded, validated and, under a compiled tier, compiled. */
static wf_error *module_make(wf_module *m, wf_module **out)
{
    wf_error *e = wf_decode_module(m);
    if (e) {
        wf_module_free(m);
        return e;
    }
    if (wf_jit_tier() != WF_TIER_INTERP) {
        /* A module the tier fails on still runs, interpreted. */
        e = wf_jit_compile_module(m);
        if (e) {
            fprintf(stderr, "wasmfn: compiled tier: %s (the module stays interpreted)\n", e->message);
            wf_error_free(e);
        }
    }
    *out = m;
    return NULL;
}

/* The module owns a private copy of the bytes; *out is the caller's. */
wf_error *wf_module_new(const uint8_t *bytes, size_t len, wf_module **out)
{
    *out = NULL;
    wf_module *m = wf_xcalloc(1, sizeof *m);
    m->bytes = wf_xmalloc(len ? len : 1);
    if (len) memcpy(m->bytes, bytes, len);
    m->len = len;
    return module_make(m, out);
}

wf_error *wf_module_new_borrowed(const uint8_t *bytes, size_t len, wf_module **out)
{
    *out = NULL;
    wf_module *m = wf_xcalloc(1, sizeof *m);
    m->bytes = (uint8_t *)bytes;  /* read only: decoding and translation never write it */
    m->len = len;
    m->bytes_borrowed = true;
    return module_make(m, out);
}

static void free_const(wf_constexpr *c)
{
    free(c->code);
}

void wf_module_free(wf_module *m)
{
    if (!m) return;
    wf_jit_module_free(m);
    free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (m->funcs[i].code) wf_code_free(m->funcs[i].code);
        free(m->funcs[i].name);
    }
    free(m->funcs);
    for (uint32_t i = 0; i < m->ntables; i++) free_const(&m->tables[i].init);
    free(m->tables);
    free(m->mems);
    for (uint32_t i = 0; i < m->nglobals; i++) free_const(&m->globals[i].init);
    free(m->globals);
    free(m->tags);
    for (uint32_t i = 0; i < m->nexports; i++) free(m->exports[i].name);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++) {
        free_const(&m->elems[i].offset);
        for (uint32_t k = 0; k < m->elems[i].nitems; k++) free_const(&m->elems[i].items[k]);
        free(m->elems[i].items);
        free(m->elems[i].funcs);
    }
    free(m->elems);
    for (uint32_t i = 0; i < m->ndatas; i++) free_const(&m->datas[i].offset);
    free(m->datas);
    free(m->func_declared);
    wf_module_images_free(m);
    if (!m->bytes_borrowed) free(m->bytes);
    free(m);
}

uint32_t wf_module_import_count(const wf_module *m) { return m->nimports; }

wf_import_desc wf_module_import(const wf_module *m, uint32_t i)
{
    const wf_import *im = &m->imports[i];
    return (wf_import_desc){
        .module = im->module, .module_len = im->module_len,
        .name = im->name, .name_len = im->name_len,
        .kind = (wf_extern_kind)im->kind,
        .func_type = im->kind == WF_EXTERN_FUNC ? im->type.func : NULL,
    };
}

uint32_t wf_module_export_count(const wf_module *m) { return m->nexports; }

wf_export_desc wf_module_export(const wf_module *m, uint32_t i)
{
    const wf_export *e = &m->exports[i];
    return (wf_export_desc){
        .name = e->name, .name_len = e->name_len,
        .kind = (wf_extern_kind)e->kind, .index = e->index,
    };
}

const wf_export *wf_module_find_export(const wf_module *m, const char *name, size_t len)
{
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wf_export *e = &m->exports[i];
        if (e->name_len == len && !memcmp(e->name, name, len)) return e;
    }
    return NULL;
}
