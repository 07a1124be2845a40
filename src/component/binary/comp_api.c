/*
 * comp_api.c - a wf_component as the rest of wasmfn sees it (component.h):
 * recognised and made by decoding a binary (comp_decode.c), its imports and
 * exports as wf_cextern, and exported functions found by name. The top of
 * the decoder: nothing in it is used by another comp_*.c file.
 */
#include "component/binary/comp_int.h"

/* ---- Life cycle ----------------------------------------------------------- */

bool wf_component_is_binary(const uint8_t *bytes, size_t len)
{
    static const uint8_t pre[8] = { 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00 };
    return bytes && len >= 8 && memcmp(bytes, pre, 8) == 0;
}

wf_error *wf_component_new(const uint8_t *bytes, size_t len, wf_component **out)
{
    return wf_comp_decode(bytes, len, out);
}

wf_error *wf_component_new_owned(uint8_t *bytes, size_t len, wf_component **out)
{
    wf_error *e = wf_comp_decode_borrowing(bytes, len, out);
    if (e) {
        free(bytes);
        return e;
    }
    (*out)->owned_bytes = bytes;
    return NULL;
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
