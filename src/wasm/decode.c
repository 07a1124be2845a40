/*
 * decode.c - the binary decoder and module-level validator: the module
 * header, the section sequence and every section except function bodies
 * (handed to wf_code_compile) and constant expressions (decode_const.c).
 *
 * Like the spec's reference decoder, the contents of a section are read from
 * the module's byte stream (a read past the section's end is noticed when
 * the section ends: "section size mismatch"); only custom sections and
 * constant expressions are bounded by their section. Every count read from
 * the input is bounded by the bytes left before anything is allocated.
 */
#include "wasm/decode_int.h"

#include "base/map.h"
#include "wasm/code.h"
#include "wasm/compile_par.h"

/* ---- Small helpers ------------------------------------------------------ */

bool wf_dec_count(wf_decoder *d, uint32_t *n)
{
    size_t at = wf_reader_offset(&d->r);
    if (!wf_read_u32(&d->r, n)) return false;
    /* every element of every vector takes at least one byte */
    if (*n > wf_reader_left(&d->r))
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "%s", d->r.eof_msg);
    return true;
}

/* A name: a NUL-terminated copy (the caller frees it) and its length. */
static bool read_name(wf_decoder *d, char **out, uint32_t *len)
{
    size_t at = wf_reader_offset(&d->r);
    uint32_t n;
    const uint8_t *p;
    if (!wf_read_u32(&d->r, &n)) return false;
    if (n > wf_reader_left(&d->r))
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "length out of bounds");
    if (!wf_read_bytes(&d->r, n, &p)) return false;
    if (!wf_utf8_valid(p, n))
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed UTF-8 encoding");
    *out = wf_xstrndup((const char *)p, n);
    *len = n;
    return true;
}

#define GROW(arr, len, cap)                                                     \
    do {                                                                        \
        if ((len) == (cap)) {                                                   \
            (cap) = (cap) ? (cap) * 2 : 8;                                      \
            (arr) = wf_xrealloc((arr), (size_t)(cap) * sizeof(*(arr)));         \
        }                                                                       \
    } while (0)

/* ---- Types -------------------------------------------------------------- */

/* A type index seen inside a value type: a canonical id, or a reference
 * into the recursion group being decoded. */
static bool type_ref(wf_decoder *d, int64_t idx, size_t at, uint32_t *out)
{
    if (idx < 0 || (uint64_t)idx >= d->type_limit)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown type %" PRId64, idx);
    uint32_t i = (uint32_t)idx;
    if (i >= d->group_start && d->in_group) {
        *out = WF_REC_REF(i - d->group_start);
        return true;
    }
    *out = d->m->types[i].func->id;
    return true;
}

static bool abstract_heap(int64_t code, uint8_t *heap)
{
    switch (code) {
    case -0x10: *heap = WF_HEAP_FUNC; return true;      /* 0x70 */
    case -0x11: *heap = WF_HEAP_EXTERN; return true;    /* 0x6f */
    case -0x0d: *heap = WF_HEAP_NOFUNC; return true;    /* 0x73 */
    case -0x0e: *heap = WF_HEAP_NOEXTERN; return true;  /* 0x72 */
    case -0x0f: *heap = WF_HEAP_NONE; return true;      /* 0x71 */
    case -0x12: *heap = WF_HEAP_ANY; return true;       /* 0x6e */
    case -0x13: *heap = WF_HEAP_EQ; return true;        /* 0x6d */
    case -0x14: *heap = WF_HEAP_I31; return true;       /* 0x6c */
    case -0x15: *heap = WF_HEAP_STRUCT; return true;    /* 0x6b */
    case -0x16: *heap = WF_HEAP_ARRAY; return true;     /* 0x6a */
    case -0x17: *heap = WF_HEAP_EXN; return true;       /* 0x69 */
    case -0x0c: *heap = WF_HEAP_NOEXN; return true;     /* 0x74 */
    default: return false;
    }
}

bool wf_dec_heaptype(wf_decoder *d, wf_valtype *t)
{
    size_t at = wf_reader_offset(&d->r);
    int64_t code;
    if (!wf_read_s33(&d->r, &code)) return false;
    t->kind = WF_REF;
    t->index = 0;
    if (code >= 0) {
        t->heap = WF_HEAP_TYPE;
        return type_ref(d, code, at, &t->index);
    }
    if (!abstract_heap(code, &t->heap))
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed heap type");
    return true;
}

/* A reference type; `what` names the context in the malformed message. */
static bool read_reftype_(wf_decoder *d, wf_valtype *t, const char *msg)
{
    size_t at = wf_reader_offset(&d->r);
    uint8_t b;
    if (!wf_read_u8(&d->r, &b)) return false;
    if (b == 0x64 || b == 0x63) {
        if (!wf_dec_heaptype(d, t)) return false;
        t->nullable = b == 0x63;
        return true;
    }
    t->kind = WF_REF;
    t->nullable = 1;
    t->index = 0;
    if (!abstract_heap((int64_t)b - 0x80, &t->heap))
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "%s", msg);
    return true;
}

bool wf_dec_reftype(wf_decoder *d, wf_valtype *t)
{
    return read_reftype_(d, t, "malformed reference type");
}

bool wf_dec_valtype(wf_decoder *d, wf_valtype *t)
{
    uint8_t b;
    if (!wf_peek_u8(&d->r, &b)) return false;
    *t = (wf_valtype){ 0, 0, 0, 0 };
    switch (b) {
    case 0x7f: d->r.p++; t->kind = WF_I32; return true;
    case 0x7e: d->r.p++; t->kind = WF_I64; return true;
    case 0x7d: d->r.p++; t->kind = WF_F32; return true;
    case 0x7c: d->r.p++; t->kind = WF_F64; return true;
    case 0x7b: d->r.p++; t->kind = WF_V128; return true;
    default:
        return read_reftype_(d, t, "malformed value type");
    }
}

/* A decoder around a body's reader, for the helpers below. */
static bool with_module(wf_reader *r, const wf_module *m, wf_valtype *t,
                        bool (*fn)(wf_decoder *, wf_valtype *))
{
    wf_decoder d = { .m = (wf_module *)m, .r = *r, .type_limit = m->ntypes };
    bool ok = fn(&d, t);
    *r = d.r;
    return ok;
}

bool wf_read_valtype(wf_reader *r, const wf_module *m, wf_valtype *t)
{
    return with_module(r, m, t, wf_dec_valtype);
}

bool wf_read_heaptype(wf_reader *r, const wf_module *m, wf_valtype *t)
{
    return with_module(r, m, t, wf_dec_heaptype);
}

static bool read_valtypes(wf_decoder *d, wf_valtype **out, uint32_t *n)
{
    *out = NULL;
    if (!wf_dec_count(d, n)) return false;
    *out = *n ? wf_xmalloc(*n * sizeof(wf_valtype)) : NULL;
    for (uint32_t i = 0; i < *n; i++)
        if (!wf_dec_valtype(d, &(*out)[i])) return false;
    return true;
}

typedef struct subdesc {
    wf_subtype_desc desc;
    wf_valtype *vals;       /* owns params and results */
    wf_fieldtype *fields;   /* owns the fields */
    uint32_t super_index;   /* module-local */
} subdesc;

/* A struct's fields (vec) or an array's element (one): storage type
 * (a value type, or i8 / i16 packed) and mutability. */
static bool read_fields(wf_decoder *d, uint8_t form, subdesc *s)
{
    uint32_t n = 1;
    if (form == 0x5f && !wf_dec_count(d, &n)) return false;
    if (n > wf_reader_left(&d->r)) return wf_reader_fail(&d->r, WF_ERR_MALFORMED, "length out of bounds");
    s->fields = wf_xcalloc(n ? n : 1, sizeof *s->fields);
    for (uint32_t k = 0; k < n; k++) {
        wf_fieldtype *f = &s->fields[k];
        uint8_t st, mut;
        if (!wf_peek_u8(&d->r, &st)) return false;
        if (st == 0x78 || st == 0x77) {     /* i8, i16 */
            d->r.p++;
            f->type = WF_TYPE_I32;
            f->packed = st == 0x78 ? 1 : 2;
        } else if (!wf_dec_valtype(d, &f->type)) {
            return false;
        }
        size_t mat = wf_reader_offset(&d->r);
        if (!wf_read_u8(&d->r, &mut)) return false;
        if (mut > 1) return wf_reader_fail_at(&d->r, mat, WF_ERR_MALFORMED, "malformed mutability");
        f->mut = mut;
    }
    s->desc.kind = form == 0x5f ? WF_COMP_STRUCT : WF_COMP_ARRAY;
    s->desc.fields = s->fields;
    s->desc.nfields = n;
    return true;
}

static bool read_subtype(wf_decoder *d, uint32_t self, subdesc *s)
{
    uint8_t b;
    size_t at = wf_reader_offset(&d->r);
    s->desc.final = true;
    if (!wf_read_u8(&d->r, &b)) return false;
    if (b == 0x50 || b == 0x4f) {
        s->desc.final = b == 0x4f;
        uint32_t n;
        if (!wf_dec_count(d, &n)) return false;
        if (n > 1) return wf_reader_fail(&d->r, WF_ERR_UNSUPPORTED, "multiple supertypes");
        if (n == 1) {
            size_t sat = wf_reader_offset(&d->r);
            uint32_t sup;
            if (!wf_read_u32(&d->r, &sup)) return false;
            if (sup >= self)
                return wf_reader_fail_at(&d->r, sat, WF_ERR_INVALID, "unknown type %u", sup);
            if (!type_ref(d, sup, sat, &s->desc.super)) return false;
            s->desc.has_super = true;
            s->super_index = sup;
        }
        at = wf_reader_offset(&d->r);
        if (!wf_read_u8(&d->r, &b)) return false;
    }
    if (b & 0x80)   /* the form is a one-byte signed LEB128 */
        return wf_reader_fail_at(&d->r, at + 1, WF_ERR_MALFORMED, "integer representation too long");
    if (b == 0x5f || b == 0x5e) return read_fields(d, b, s);
    if (b != 0x60) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed function type");
    wf_valtype *params = NULL, *results = NULL;
    uint32_t np = 0, nr = 0;
    if (!read_valtypes(d, &params, &np)) { free(params); return false; }
    if (!read_valtypes(d, &results, &nr)) { free(params); free(results); return false; }
    s->vals = wf_xmalloc((np + nr + 1) * sizeof(wf_valtype));
    if (np) memcpy(s->vals, params, np * sizeof(wf_valtype));
    if (nr) memcpy(s->vals + np, results, nr * sizeof(wf_valtype));
    free(params);
    free(results);
    s->desc.params = s->vals;
    s->desc.nparams = np;
    s->desc.results = s->vals + np;
    s->desc.nresults = nr;
    return true;
}

static bool add_group(wf_decoder *d, uint32_t n)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    if (m->ntypes + (uint64_t)n > wf_reader_left(&d->r) + m->ntypes + 1)
        return wf_reader_fail(&d->r, WF_ERR_MALFORMED, "length out of bounds");
    subdesc *s = wf_xcalloc(n ? n : 1, sizeof *s);
    d->group_start = m->ntypes;
    d->type_limit = m->ntypes + n;
    d->in_group = true;
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) ok = read_subtype(d, m->ntypes + i, &s[i]);
    d->in_group = false;
    if (ok && n) {
        wf_subtype_desc *descs = wf_xmalloc(n * sizeof *descs);
        const wf_functype **out = wf_xmalloc(n * sizeof *out);
        for (uint32_t i = 0; i < n; i++) descs[i] = s[i].desc;
        wf_types_rec_group(descs, n, out);
        for (uint32_t i = 0; i < n; i++) {
            GROW(m->types, m->ntypes, d->cap_types);
            m->types[m->ntypes++].func = out[i];
        }
        for (uint32_t i = 0; i < n && ok; i++) {
            const wf_functype *sup = wf_functype_super(out[i]);
            if (!sup) continue;
            if (wf_functype_final(sup) || !wf_functype_matches(out[i], sup))
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID,
                                       "sub type %u does not match super type %u",
                                       d->group_start + i, s[i].super_index);
        }
        free(descs);
        free(out);
    }
    for (uint32_t i = 0; i < n; i++) {
        free(s[i].vals);
        free(s[i].fields);
    }
    free(s);
    d->type_limit = m->ntypes;
    return ok;
}

static bool sec_type(wf_decoder *d)
{
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b;
        if (!wf_peek_u8(&d->r, &b)) return false;
        if (b == 0x4e) {
            d->r.p++;
            uint32_t k;
            if (!wf_dec_count(d, &k)) return false;
            if (!add_group(d, k)) return false;
        } else if (!add_group(d, 1)) {
            return false;
        }
    }
    return true;
}

/* A function type by module-local index. */
static bool functype_at(wf_decoder *d, uint32_t idx, size_t at, const wf_functype **out)
{
    *out = NULL;
    if (idx >= d->m->ntypes)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown type %u", idx);
    if (wf_type_kind(d->m->types[idx].func) != WF_COMP_FUNC)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "type %u is not a function type", idx);
    *out = d->m->types[idx].func;
    return true;
}

/* ---- Imports, functions, tables, memories, tags, globals ----------------- */

static bool read_limits(wf_decoder *d, wf_limits *l, bool memory)
{
    size_t at = wf_reader_offset(&d->r);
    uint8_t flags;
    if (!wf_read_u8(&d->r, &flags)) return false;
    if (flags > 7) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed limits flags");
    l->has_max = flags & 1;
    l->shared = (flags & 2) != 0;
    l->is64 = (flags & 4) != 0;   /* memory64 / table64: i64 addresses */
    if (l->shared) {
        if (!memory) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed limits flags");
        return wf_reader_fail_at(&d->r, at, WF_ERR_UNSUPPORTED, "shared memory (threads) is not supported");
    }
    /* read as 64-bit (the encoding memory64 and table64 share) and range
     * checked by validation */
    if (!wf_read_u64(&d->r, &l->min)) return false;
    l->max = 0;
    if (l->has_max && !wf_read_u64(&d->r, &l->max)) return false;
    if (memory && l->is64) {
        if (l->min > (1ull << 48) || (l->has_max && l->max > (1ull << 48)))
            return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID,
                                     "memory size must be at most 2^48 pages");
    } else if (memory) {
        if (l->min > 65536 || (l->has_max && l->max > 65536))
            return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID,
                                     "memory size must be at most 65536 pages (4GiB)");
    } else if (!l->is64 && (l->min > UINT32_MAX || (l->has_max && l->max > UINT32_MAX))) {
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "table size must be at most 2^32-1");
    }
    if (l->has_max && l->min > l->max)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID,
                                 "size minimum must not be greater than maximum");
    return true;
}

static bool read_tabletype(wf_decoder *d, wf_tabletype *t)
{
    return wf_dec_reftype(d, &t->elem) && read_limits(d, &t->limits, false);
}

static bool add_memory(wf_decoder *d, size_t at)
{
    /* multi-memory: any number, each index below 2^32 */
    if (d->m->nmems == UINT32_MAX)
        return wf_reader_fail_at(&d->r, at, WF_ERR_LIMIT, "too many memories");
    return true;
}

static bool read_globaltype(wf_decoder *d, wf_globaltype *g)
{
    if (!wf_dec_valtype(d, &g->type)) return false;
    size_t at = wf_reader_offset(&d->r);
    uint8_t b;
    if (!wf_read_u8(&d->r, &b)) return false;
    if (b > 1) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed mutability");
    g->mut = b;
    return true;
}

static bool read_tagtype(wf_decoder *d, const wf_functype **t)
{
    size_t at = wf_reader_offset(&d->r);
    uint8_t attr;
    uint32_t idx;
    if (!wf_read_u8(&d->r, &attr)) return false;
    if (attr != 0) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed tag attribute");
    at = wf_reader_offset(&d->r);
    if (!wf_read_u32(&d->r, &idx) || !functype_at(d, idx, at, t)) return false;
    if ((*t)->nresults != 0)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "non-empty tag result type");
    return true;
}

static bool sec_import(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    m->imports = wf_xcalloc(n ? n : 1, sizeof(wf_import));
    for (uint32_t i = 0; i < n; i++) {
        wf_import *im = &m->imports[m->nimports++];
        if (!read_name(d, &im->module, &im->module_len)) return false;
        if (!read_name(d, &im->name, &im->name_len)) return false;
        size_t at = wf_reader_offset(&d->r);
        if (!wf_read_u8(&d->r, &im->kind)) return false;
        switch (im->kind) {
        case WF_EXTERN_FUNC: {
            uint32_t idx;
            size_t tat = wf_reader_offset(&d->r);
            if (!wf_read_u32(&d->r, &idx) || !functype_at(d, idx, tat, &im->type.func)) return false;
            GROW(m->funcs, m->nfuncs, d->cap_funcs);
            m->funcs[m->nfuncs++] = (wf_funcdef){ .type = im->type.func, .type_index = idx };
            m->nfunc_imports++;
            break;
        }
        case WF_EXTERN_TABLE:
            if (!read_tabletype(d, &im->type.table)) return false;
            GROW(m->tables, m->ntables, d->cap_tables);
            m->tables[m->ntables++] = (wf_tabledef){ .type = im->type.table };
            m->ntable_imports++;
            break;
        case WF_EXTERN_MEMORY:
            if (!read_limits(d, &im->type.mem.limits, true) || !add_memory(d, at)) return false;
            GROW(m->mems, m->nmems, d->cap_mems);
            m->mems[m->nmems++] = im->type.mem;
            m->nmem_imports++;
            break;
        case WF_EXTERN_GLOBAL:
            if (!read_globaltype(d, &im->type.global)) return false;
            GROW(m->globals, m->nglobals, d->cap_globals);
            m->globals[m->nglobals++] = (wf_globaldef){ .type = im->type.global };
            m->nglobal_imports++;
            break;
        case WF_EXTERN_TAG:
            if (!read_tagtype(d, &im->type.func)) return false;
            GROW(m->tags, m->ntags, d->cap_tags);
            m->tags[m->ntags++] = im->type.func;
            m->ntag_imports++;
            break;
        default:
            return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed import kind");
        }
    }
    return true;
}

static bool sec_function(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    d->nfunc_decls = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        const wf_functype *t = NULL;
        size_t at = wf_reader_offset(&d->r);
        if (!wf_read_u32(&d->r, &idx) || !functype_at(d, idx, at, &t)) return false;
        GROW(m->funcs, m->nfuncs, d->cap_funcs);
        m->funcs[m->nfuncs++] = (wf_funcdef){ .type = t, .type_index = idx };
    }
    return true;
}

static bool sec_table(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        GROW(m->tables, m->ntables, d->cap_tables);
        wf_tabledef *t = &m->tables[m->ntables++];
        *t = (wf_tabledef){ 0 };
        uint8_t b;
        size_t at = wf_reader_offset(&d->r);
        if (!wf_peek_u8(&d->r, &b)) return false;
        if (b == 0x40) {
            d->r.p++;
            if (!wf_read_u8(&d->r, &b)) return false;
            if (b != 0) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed table");
            if (!read_tabletype(d, &t->type)) return false;
            if (!wf_dec_const(d, &t->init, t->type.elem)) return false;
        } else {
            if (!read_tabletype(d, &t->type)) return false;
            if (!t->type.elem.nullable)
                return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "type mismatch");
        }
    }
    return true;
}

static bool sec_memory(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        wf_memtype mt;
        size_t at = wf_reader_offset(&d->r);
        if (!read_limits(d, &mt.limits, true) || !add_memory(d, at)) return false;
        GROW(m->mems, m->nmems, d->cap_mems);
        m->mems[m->nmems++] = mt;
    }
    return true;
}

static bool sec_tag(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        const wf_functype *t = NULL;
        if (!read_tagtype(d, &t)) return false;
        GROW(m->tags, m->ntags, d->cap_tags);
        m->tags[m->ntags++] = t;
    }
    return true;
}

static bool sec_global(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        wf_globaldef g = { 0 };
        if (!read_globaltype(d, &g.type)) return false;
        if (!wf_dec_const(d, &g.init, g.type.type)) { free(g.init.code); return false; }
        GROW(m->globals, m->nglobals, d->cap_globals);
        m->globals[m->nglobals++] = g;
    }
    return true;
}

/* ---- Exports, start ---------------------------------------------------- */

void wf_dec_declare(wf_decoder *d, uint32_t func)
{
    if (!d->m->func_declared) d->m->func_declared = wf_xcalloc(d->m->nfuncs + 1, 1);
    if (func < d->m->nfuncs) d->m->func_declared[func] = 1;
}

static bool sec_export(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    m->exports = wf_xcalloc(n ? n : 1, sizeof(wf_export));
    wf_map seen = { 0 };   /* names so far; keys point into m->exports */
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) {
        wf_export *e = &m->exports[m->nexports];
        size_t at = wf_reader_offset(&d->r);
        if (!(ok = read_name(d, &e->name, &e->name_len))) break;
        m->nexports++;
        size_t kat = wf_reader_offset(&d->r);
        if (!(ok = wf_read_u8(&d->r, &e->kind))) break;
        size_t iat = wf_reader_offset(&d->r);
        if (!(ok = wf_read_u32(&d->r, &e->index))) break;
        uint32_t limit;
        const char *what;
        switch (e->kind) {
        case WF_EXTERN_FUNC: limit = m->nfuncs; what = "function"; break;
        case WF_EXTERN_TABLE: limit = m->ntables; what = "table"; break;
        case WF_EXTERN_MEMORY: limit = m->nmems; what = "memory"; break;
        case WF_EXTERN_GLOBAL: limit = m->nglobals; what = "global"; break;
        case WF_EXTERN_TAG: limit = m->ntags; what = "tag"; break;
        default:
            ok = wf_reader_fail_at(&d->r, kat, WF_ERR_MALFORMED, "malformed export kind");
            continue;
        }
        if (e->index >= limit) {
            ok = wf_reader_fail_at(&d->r, iat, WF_ERR_INVALID, "unknown %s %u", what, e->index);
            continue;
        }
        if (e->kind == WF_EXTERN_FUNC) wf_dec_declare(d, e->index);
        if (!wf_map_add(&seen, e->name, e->name_len, e))
            ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "duplicate export name");
    }
    wf_map_free(&seen);
    return ok;
}

static bool sec_start(wf_decoder *d)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    if (!wf_read_u32(&d->r, &m->start)) return false;
    if (m->start >= m->nfuncs)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown function %u", m->start);
    const wf_functype *t = m->funcs[m->start].type;
    if (t->nparams || t->nresults)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "start function");
    m->has_start = true;
    return true;
}

/* ---- Element and data segments ----------------------------------------- */

static bool read_func_items(wf_decoder *d, wf_elemseg *s)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    s->items = wf_xcalloc(n ? n : 1, sizeof(wf_constexpr));
    s->funcs = wf_xmalloc((n ? n : 1) * sizeof *s->funcs);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f;
        size_t at = wf_reader_offset(&d->r);
        if (!wf_read_u32(&d->r, &f)) return false;
        if (f >= m->nfuncs)
            return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown function %u", f);
        wf_dec_declare(d, f);
        s->funcs[s->nitems] = f;
        wf_constexpr *c = &s->items[s->nitems++];
        c->code = wf_xmalloc(sizeof(wf_cinstr));
        c->code[0] = (wf_cinstr){ .op = WF_COP_REF_FUNC, .imm = f };
        c->len = 1;
    }
    return true;
}

static bool read_expr_items(wf_decoder *d, wf_elemseg *s)
{
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    s->items = wf_xcalloc(n ? n : 1, sizeof(wf_constexpr));
    for (uint32_t i = 0; i < n; i++) {
        if (!wf_dec_const(d, &s->items[s->nitems], s->type)) {
            free(s->items[s->nitems].code);
            return false;
        }
        s->nitems++;
    }
    /* Items that are all one ref.func or ref.null: the index form. */
    uint32_t k = 0;
    while (k < n && s->items[k].len == 1 &&
           (s->items[k].code[0].op == WF_COP_REF_FUNC || s->items[k].code[0].op == WF_COP_REF_NULL))
        k++;
    if (k == n && n) {
        s->funcs = wf_xmalloc(n * sizeof *s->funcs);
        for (k = 0; k < n; k++)
            s->funcs[k] = s->items[k].code[0].op == WF_COP_REF_NULL ? WF_ELEM_NULL
                                                                    : (uint32_t)s->items[k].code[0].imm;
    }
    return true;
}

static bool read_table_index(wf_decoder *d, uint32_t *t)
{
    size_t at = wf_reader_offset(&d->r);
    if (!wf_read_u32(&d->r, t)) return false;
    if (*t >= d->m->ntables)
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown table %u", *t);
    return true;
}

static bool read_elem(wf_decoder *d, wf_elemseg *s)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    uint32_t flags;
    if (!wf_read_u32(&d->r, &flags)) return false;
    if (flags > 7) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed elements segment kind");
    bool passive_or_decl = flags & 1, explicit = flags & 2, exprs = flags & 4;
    s->mode = !passive_or_decl ? WF_SEG_ACTIVE : explicit ? WF_SEG_DECLARATIVE : WF_SEG_PASSIVE;
    s->table = 0;
    size_t tat = wf_reader_offset(&d->r);
    if (s->mode == WF_SEG_ACTIVE) {
        if (explicit) {
            if (!read_table_index(d, &s->table)) return false;
        } else if (m->ntables == 0) {
            return wf_reader_fail_at(&d->r, tat, WF_ERR_INVALID, "unknown table 0");
        }
        /* the offset has the table's index type */
        if (!wf_dec_const(d, &s->offset, m->tables[s->table].type.limits.is64 ? WF_TYPE_I64 : WF_TYPE_I32))
            return false;
    }
    /* flags 0 and 4 have no element type/kind byte */
    bool has_type = passive_or_decl || explicit;
    if (!exprs) {
        s->type = (wf_valtype){ WF_REF, WF_HEAP_FUNC, 0, 0 };
        if (has_type) {
            size_t kat = wf_reader_offset(&d->r);
            uint8_t kind;
            if (!wf_read_u8(&d->r, &kind)) return false;
            if (kind != 0) return wf_reader_fail_at(&d->r, kat, WF_ERR_MALFORMED, "malformed element kind");
        }
        if (!read_func_items(d, s)) return false;
    } else {
        s->type = WF_TYPE_FUNCREF;
        if (has_type && !wf_dec_reftype(d, &s->type)) return false;
        if (!read_expr_items(d, s)) return false;
    }
    if (s->mode == WF_SEG_ACTIVE && !wf_valtype_sub(s->type, m->tables[s->table].type.elem))
        return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "type mismatch");
    return true;
}

static bool sec_elem(wf_decoder *d)
{
    wf_module *m = d->m;
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    m->elems = wf_xcalloc(n ? n : 1, sizeof(wf_elemseg));
    for (uint32_t i = 0; i < n; i++) {
        m->nelems++;
        if (!read_elem(d, &m->elems[i])) return false;
    }
    return true;
}

static bool sec_datacount(wf_decoder *d)
{
    if (!wf_read_u32(&d->r, &d->data_count)) return false;
    d->m->has_data_count = true;
    return true;
}

static bool read_data(wf_decoder *d, wf_dataseg *s)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    uint32_t flags;
    if (!wf_read_u32(&d->r, &flags)) return false;
    if (flags > 2) return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "malformed data segment kind");
    s->mode = flags == 1 ? WF_SEG_PASSIVE : WF_SEG_ACTIVE;
    s->memory = 0;
    if (s->mode == WF_SEG_ACTIVE) {
        size_t mat = wf_reader_offset(&d->r);
        if (flags == 2 && !wf_read_u32(&d->r, &s->memory)) return false;
        if (s->memory >= m->nmems)
            return wf_reader_fail_at(&d->r, mat, WF_ERR_INVALID, "unknown memory %u", s->memory);
        /* the offset has the memory's address type */
        if (!wf_dec_const(d, &s->offset, m->mems[s->memory].limits.is64 ? WF_TYPE_I64 : WF_TYPE_I32))
            return false;
    }
    const uint8_t *p;
    if (!wf_read_u32(&d->r, &s->len) || !wf_read_bytes(&d->r, s->len, &p)) return false;
    s->bytes = p;
    return true;
}

static bool sec_data(wf_decoder *d)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    if (m->has_data_count && n != d->data_count)
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED,
                                 "data count and data section have inconsistent lengths");
    if (!m->has_data_count) {
        m->datas = wf_xcalloc(n ? n : 1, sizeof(wf_dataseg));
        m->ndatas = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        wf_dataseg *s = &m->datas[i];
        free(s->offset.code);
        *s = (wf_dataseg){ 0 };
        if (!m->has_data_count) m->ndatas++;
        if (!read_data(d, s)) return false;
    }
    d->seen_data = true;
    return true;
}

/* ---- Code ---------------------------------------------------------------- */

/* Everything the code section's validation sees must be in place first. */
static void before_code(wf_decoder *d)
{
    wf_module *m = d->m;
    if (d->code_ready) return;
    d->code_ready = true;
    if (!m->func_declared) m->func_declared = wf_xcalloc(m->nfuncs + 1, 1);
    if (m->has_data_count && !m->datas) {
        /* placeholders until the data section fills them in */
        m->datas = wf_xcalloc(d->data_count ? d->data_count : 1, sizeof(wf_dataseg));
        m->ndatas = d->data_count;
    }
}

/* The locals declarations: their total must fit in 32 bits (malformed) and
 * in the engine's limit. */
static bool check_locals(wf_decoder *d, const uint8_t *body, size_t len, size_t offset,
                         uint32_t nparams)
{
    wf_reader r;
    wf_reader_init(&r, body, len, offset);
    r.eof_msg = WF_MSG_EOF_SECTION;
    uint32_t groups;
    uint64_t total = 0;
    bool ok = wf_read_u32(&r, &groups);
    for (uint32_t i = 0; ok && i < groups; i++) {
        uint32_t k;
        wf_valtype t;
        if (!(ok = wf_read_u32(&r, &k))) break;
        total += k;
        if (total > UINT32_MAX) {
            ok = wf_reader_fail(&r, WF_ERR_MALFORMED, "too many locals");
            break;
        }
        /* the value type is checked by the compiler; skip its bytes here */
        wf_reader saved = d->r;
        d->r = r;
        ok = wf_dec_valtype(d, &t);
        r = d->r;
        d->r = saved;
    }
    if (ok && total + nparams > WF_MAX_LOCALS)
        ok = wf_reader_fail_at(&r, offset, WF_ERR_LIMIT, "too many locals");
    if (!ok && !d->r.err) d->r.err = wf_reader_take_error(&r);
    wf_reader_dispose(&r);
    return ok;
}

static bool sec_code(wf_decoder *d)
{
    wf_module *m = d->m;
    size_t at = wf_reader_offset(&d->r);
    uint32_t n;
    if (!wf_dec_count(d, &n)) return false;
    /* fewer bodies than functions is reported after the last section, as
     * the reference decoder does; more cannot be compiled at all */
    if (n > d->nfunc_decls)
        return wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED,
                                 "function and code section have inconsistent lengths");
    d->seen_code = true;
    d->ncode = n;
    before_code(d);
    /* First the bodies' framing and locals, in order, up to the first
     * error; then the bodies before it are validated (compile_par.c, on
     * several threads when they are large). A body's validation error
     * comes first when it precedes the framing error. */
    wf_code_job *jobs = wf_xmalloc((n ? n : 1) * sizeof *jobs);
    uint32_t nok = 0;
    bool framed = true;
    for (; nok < n; nok++) {
        size_t sat = wf_reader_offset(&d->r);
        uint32_t size;
        const uint8_t *body;
        if (!wf_read_u32(&d->r, &size)) { framed = false; break; }
        if (size > wf_reader_left(&d->r)) {
            framed = wf_reader_fail_at(&d->r, sat, WF_ERR_MALFORMED, "length out of bounds");
            break;
        }
        size_t bat = wf_reader_offset(&d->r);
        if (!wf_read_bytes(&d->r, size, &body)) { framed = false; break; }
        uint32_t fi = m->nfunc_imports + nok;
        if (!check_locals(d, body, size, bat, m->funcs[fi].type->nparams)) { framed = false; break; }
        jobs[nok] = (wf_code_job){ .func_index = fi, .body = body, .len = size, .offset = bat };
    }
    wf_error *framing = framed ? NULL : wf_reader_take_error(&d->r);
    size_t bad = wf_code_compile_all(m, jobs, nok);
    if (bad == nok) {
        free(jobs);
        if (framing) {
            d->r.err = framing;
            return false;
        }
        return true;
    }
    wf_error *e = jobs[bad].err;
    for (size_t i = bad + 1; i < nok; i++) wf_error_free(jobs[i].err);
    wf_error_free(framing);
    const uint8_t *body = jobs[bad].body;
    uint32_t size = (uint32_t)jobs[bad].len;
    size_t bat = jobs[bad].offset;
    free(jobs);
    /* where a sequential pass would stand: after the failing body */
    d->r.p = body + size;
    if ((size == 0 || body[size - 1] != 0x0b) && !strncmp(e->message, "unexpected end", 14)) {
        /* A body without its final `end`: the reference decoder reads
         * on into what follows, so say what it would have met there. */
        const char *msg = wf_reader_eof(&d->r) ? WF_MSG_EOF_SECTION
                          : *d->r.p == 0x0b ? "section size mismatch" : "END opcode expected";
        wf_error_free(e);
        e = wf_error_at_offset(WF_ERR_MALFORMED, (int64_t)(bat + size), "%s", msg);
    }
    d->r.err = e;
    return false;
}

/* ---- Custom sections ----------------------------------------------------- */

/* The name section's function names; a malformed name section is ignored. */
static void name_section(wf_decoder *d, wf_reader *r)
{
    wf_module *m = d->m;
    while (!wf_reader_eof(r)) {
        uint8_t id;
        uint32_t size;
        wf_reader sub;
        if (!wf_read_u8(r, &id) || !wf_read_u32(r, &size) ||
            !wf_reader_sub(r, size, WF_MSG_EOF, &sub))
            return;
        if (id != 1) continue;
        uint32_t n;
        if (!wf_read_u32(&sub, &n)) { wf_reader_dispose(&sub); return; }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx, len;
            const uint8_t *p;
            if (!wf_read_u32(&sub, &idx) || !wf_read_u32(&sub, &len) ||
                !wf_read_bytes(&sub, len, &p)) {
                wf_reader_dispose(&sub);
                return;
            }
            if (idx < m->nfuncs && !m->funcs[idx].name && wf_utf8_valid(p, len))
                m->funcs[idx].name = wf_xstrndup((const char *)p, len);
        }
        wf_reader_dispose(&sub);
    }
}

static bool sec_custom(wf_decoder *d, uint32_t size)
{
    wf_reader r;
    if (!wf_reader_sub(&d->r, size, WF_MSG_EOF, &r)) return false;
    wf_reader saved = d->r;
    d->r = r;
    char *name = NULL;
    uint32_t len;
    bool ok = read_name(d, &name, &len);
    r = d->r;
    d->r = saved;
    if (!ok) {
        d->r.err = wf_reader_take_error(&r);
        return false;
    }
    if (len == 4 && !memcmp(name, "name", 4)) name_section(d, &r);
    wf_reader_dispose(&r);
    free(name);
    return true;
}

/* ---- The module -------------------------------------------------------- */

/* Section ids in their required order (the tag section, 13, sits between
 * memory and global; data count, 12, before code). */
static int section_rank(uint8_t id)
{
    static const int rank[] = {
        [1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5, [13] = 6, [6] = 7,
        [7] = 8, [8] = 9, [9] = 10, [12] = 11, [10] = 12, [11] = 13,
    };
    return rank[id];
}

static bool module_body(wf_decoder *d)
{
    wf_module *m = d->m;
    wf_reader *r = &d->r;
    const uint8_t *magic;
    if (!wf_read_bytes(r, 4, &magic)) return false;
    if (memcmp(magic, "\0asm", 4))
        return wf_reader_fail_at(r, 0, WF_ERR_MALFORMED, "magic header not detected");
    uint32_t version;
    if (!wf_read_f32(r, &version)) return false;
    if (version != 1)
        return wf_reader_fail_at(r, 4, WF_ERR_MALFORMED, "unknown binary version");
    int last = 0;
    while (!wf_reader_eof(r)) {
        size_t at = wf_reader_offset(r);
        uint8_t id;
        uint32_t size;
        r->eof_msg = WF_MSG_EOF;
        if (!wf_read_u8(r, &id)) return false;
        if (id > 13) return wf_reader_fail_at(r, at, WF_ERR_MALFORMED, "malformed section id");
        size_t sat = wf_reader_offset(r);
        if (!wf_read_u32(r, &size)) return false;
        if (size > wf_reader_left(r))
            return wf_reader_fail_at(r, sat, WF_ERR_MALFORMED, "length out of bounds");
        if (id == 0) {
            if (!sec_custom(d, size)) return false;
            continue;
        }
        int rank = section_rank(id);
        if (rank <= last)
            return wf_reader_fail_at(r, at, WF_ERR_MALFORMED, "unexpected content after last section");
        last = rank;
        r->eof_msg = WF_MSG_EOF_SECTION;
        const uint8_t *start = r->p;
        d->sec_end = r->p + size;
        if (id == 10 || id == 11) before_code(d);
        bool ok;
        switch (id) {
        case 1: ok = sec_type(d); break;
        case 2: ok = sec_import(d); break;
        case 3: ok = sec_function(d); break;
        case 4: ok = sec_table(d); break;
        case 5: ok = sec_memory(d); break;
        case 6: ok = sec_global(d); break;
        case 7: ok = sec_export(d); break;
        case 8: ok = sec_start(d); break;
        case 9: ok = sec_elem(d); break;
        case 10: ok = sec_code(d); break;
        case 11: ok = sec_data(d); break;
        case 12: ok = sec_datacount(d); break;
        case 13: ok = sec_tag(d); break;
        default: ok = false;
        }
        if (!ok) return false;
        if (r->p != start + size)
            return wf_reader_fail_at(r, (size_t)(start - r->start), WF_ERR_MALFORMED,
                                     "section size mismatch");
    }
    r->eof_msg = WF_MSG_EOF;
    if (d->ncode != d->nfunc_decls)
        return wf_reader_fail(r, WF_ERR_MALFORMED, "function and code section have inconsistent lengths");
    if (m->has_data_count && !d->seen_data && d->data_count)
        return wf_reader_fail(r, WF_ERR_MALFORMED,
                              "data count and data section have inconsistent lengths");
    before_code(d);
    return true;
}

wf_error *wf_decode_module(wf_module *m)
{
    wf_decoder d = { .m = m };
    wf_reader_init(&d.r, m->bytes, m->len, 0);
    bool ok = module_body(&d);
    wf_error *e = wf_reader_take_error(&d.r);
    if (!ok && !e) e = wf_error_new(WF_ERR_INTERNAL, "decoder failed without an error");
    if (ok && e) { wf_error_free(e); e = NULL; }
    return e;
}
