/*
 * comp_read.c - the bottom of the component decoder (comp_int.h): recording
 * errors in the reader (malformed, invalid, unsupported, each at its byte
 * offset), the binary's small shared forms (counts, names, sorts) and the
 * scopes whose index spaces every definition is checked against, including
 * outer aliases into enclosing scopes. Every other comp_*.c file uses these;
 * they use none of them.
 */
#include "component/binary/comp_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/utf8.h"

/* ---- Errors ---------------------------------------------------------------- */

static bool cfail(cctx *x, size_t at, wf_error_kind k, const char *fmt, va_list ap)
{
    if (x->r.err) return false;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    x->r.err = wf_error_at_offset(k, (int64_t)at, "%s", msg);
    return false;
}

bool wf_cinvalid(cctx *x, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfail(x, at, WF_ERR_INVALID, fmt, ap);
    va_end(ap);
    return false;
}

bool wf_cunsupported(cctx *x, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfail(x, at, WF_ERR_UNSUPPORTED, fmt, ap);
    va_end(ap);
    return false;
}

bool wf_cmalformed(cctx *x, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfail(x, at, WF_ERR_MALFORMED, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- Reading ---------------------------------------------------------------- */

bool wf_cread_count(cctx *x, uint32_t *n)
{
    size_t at = OFF(x);
    if (!wf_read_u32(&x->r, n)) return false;
    if (*n > wf_reader_left(&x->r)) return wf_cmalformed(x, at, "unexpected end-of-file (length out of bounds)");
    return true;
}

bool wf_cread_name(cctx *x, char **out)
{
    size_t at = OFF(x);
    uint32_t n;
    const uint8_t *p;
    *out = NULL;
    if (!wf_read_u32(&x->r, &n)) return false;
    if (n > wf_reader_left(&x->r)) return wf_cmalformed(x, at, "unexpected end-of-file");
    if (!wf_read_bytes(&x->r, n, &p)) return false;
    if (!wf_utf8_valid(p, n)) return wf_cmalformed(x, at, "malformed UTF-8 encoding");
    *out = wf_arena_strndup(&x->arena->mem, (const char *)p, n);
    if (memchr(p, 0, n)) return wf_cinvalid(x, at, "name contains a NUL character");
    return true;
}

bool wf_cread_core_sort(cctx *x, uint8_t *sort)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    switch (b) {
    case 0x00: *sort = WF_CSORT_CORE_FUNC; return true;
    case 0x01: *sort = WF_CSORT_CORE_TABLE; return true;
    case 0x02: *sort = WF_CSORT_CORE_MEMORY; return true;
    case 0x03: *sort = WF_CSORT_CORE_GLOBAL; return true;
    case 0x04: *sort = WF_CSORT_CORE_TAG; return true;
    case 0x10: *sort = WF_CSORT_CORE_TYPE; return true;
    case 0x11: *sort = WF_CSORT_CORE_MODULE; return true;
    case 0x12: *sort = WF_CSORT_CORE_INSTANCE; return true;
    default: return wf_cmalformed(x, at, "invalid leading byte (0x%x) for core sort", b);
    }
}

bool wf_cread_sort(cctx *x, uint8_t *sort)
{
    size_t at = OFF(x);
    uint8_t b;
    if (!wf_read_u8(&x->r, &b)) return false;
    switch (b) {
    case 0x00: return wf_cread_core_sort(x, sort);
    case 0x01: *sort = WF_CSORT_FUNC; return true;
    case 0x02: *sort = WF_CSORT_VALUE; return true;
    case 0x03: *sort = WF_CSORT_TYPE; return true;
    case 0x04: *sort = WF_CSORT_COMPONENT; return true;
    case 0x05: *sort = WF_CSORT_INSTANCE; return true;
    default: return wf_cmalformed(x, at, "invalid leading byte (0x%x) for component external kind", b);
    }
}

/* ---- Scopes --------------------------------------------------------------- */

void wf_cscope_init(cscope *s, cscope_kind kind, cscope *parent)
{
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    s->parent = parent;
}

void wf_cscope_fini(cscope *s)
{
    for (int i = 0; i < WF_CSORT_COUNT; i++) wf_vec_free(&s->space[i]);
    wf_vec_free(&s->imports);
    wf_vec_free(&s->exports);
    wf_vec_free(&s->core_imports);
    wf_vec_free(&s->core_exports);
    wf_vec_free(&s->bound);
    wf_cphash_free(&s->vis_imports);
    wf_cphash_free(&s->vis_all);
}

citem *wf_cscope_push(cscope *s, uint8_t sort)
{
    citem z;
    memset(&z, 0, sizeof z);
    wf_vec_push(&s->space[sort], z);
    return &wf_vec_last(&s->space[sort]);
}

const citem *wf_cscope_get(cctx *x, cscope *s, uint8_t sort, uint32_t idx, size_t at)
{
    if (sort >= WF_CSORT_COUNT || idx >= s->space[sort].len) {
        wf_cinvalid(x, at, "%s index out of bounds: %u (%zu defined)", wf_csort_name(sort), idx,
                    sort < WF_CSORT_COUNT ? s->space[sort].len : (size_t)0);
        return NULL;
    }
    return &s->space[sort].data[idx];
}

/* Resolve an outer alias from scope `from`: the target item (or NULL). */
const citem *wf_cresolve_outer(cctx *x, cscope *from, uint8_t sort, uint32_t count, uint32_t idx,
                               size_t at)
{
    cscope *s = from;
    bool crossed_component = false;
    for (uint32_t i = 0; i < count; i++) {
        if (s->kind == CSCOPE_COMPONENT) crossed_component = true;
        s = s->parent;
        if (!s) {
            wf_cinvalid(x, at, "invalid outer alias count of %u", count);
            return NULL;
        }
    }
    const citem *it = wf_cscope_get(x, s, sort, idx, at);
    if (!it) return NULL;
    if (crossed_component && sort == WF_CSORT_TYPE && it->has_resource) {
        wf_cinvalid(x, at, "refers to resources not defined in the current component");
        return NULL;
    }
    return it;
}
