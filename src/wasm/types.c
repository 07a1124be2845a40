/*
 * types.c - the process-wide canonical registry of defined types
 * (function, struct and array types in hash-consed recursion groups), value
 * type subtyping and type names.
 *
 * A recursion group is canonicalised iso-recursively: references to types of
 * the same group are compared by their position in the group, references to
 * other types by canonical id. Registered groups and their types are never
 * freed (they are reachable from static roots for the life of the process).
 */
#include <pthread.h>
#include <stdio.h>

#include "wasm/types.h"

typedef struct wf_ctype {
    wf_functype ft;                 /* first: a wf_functype * is a wf_ctype * */
    const struct wf_ctype *super;
    bool final;
    uint8_t kind;                   /* WF_COMP_* */
    uint32_t nfields;               /* struct and array */
    wf_fieldtype *fields;
    uint32_t *offsets;              /* struct: per field */
    uint32_t size;                  /* struct: bytes; array: bytes an element */
    wf_valtype vals[];              /* params, then results */
} wf_ctype;

typedef struct wf_rgroup {
    uint64_t hash;
    uint32_t first, n;              /* ids first .. first+n-1 */
    wf_ctype *types[];
} wf_rgroup;

/* id -> type, in fixed chunks so readers never see a moving array. */
#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 4096u

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static wf_ctype **by_id[MAX_CHUNKS];
static uint32_t next_id;
static wf_rgroup **groups;          /* open addressing, power-of-two size */
static size_t ngroups, groups_cap;

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_val(uint64_t h, wf_valtype v)
{
    h = mix(h, (uint64_t)v.kind | (uint64_t)v.heap << 8 | (uint64_t)v.nullable << 16);
    if (v.kind == WF_REF && v.heap == WF_HEAP_TYPE) h = mix(h, v.index);
    return h;
}

static uint64_t hash_desc(const wf_subtype_desc *d, uint32_t n)
{
    uint64_t h = mix(0, n);
    for (uint32_t i = 0; i < n; i++) {
        h = mix(h, (uint64_t)d[i].kind << 32 | d[i].nfields);
        for (uint32_t j = 0; j < d[i].nfields; j++) {
            h = hash_val(h, d[i].fields[j].type);
            h = mix(h, (uint64_t)d[i].fields[j].packed << 1 | d[i].fields[j].mut);
        }
        h = mix(h, (uint64_t)d[i].nparams << 32 | d[i].nresults);
        h = mix(h, (uint64_t)d[i].final << 1 | d[i].has_super);
        if (d[i].has_super) h = mix(h, d[i].super);
        for (uint32_t j = 0; j < d[i].nparams; j++) h = hash_val(h, d[i].params[j]);
        for (uint32_t j = 0; j < d[i].nresults; j++) h = hash_val(h, d[i].results[j]);
    }
    return h;
}

/* Does a stored reference to canonical id s (in group g) denote what the
 * description's reference d denotes? */
static bool ref_match(const wf_rgroup *g, uint32_t s, uint32_t d)
{
    bool inside = s - g->first < g->n;
    if (d & WF_REC_BIT) return inside && s - g->first == (d & ~WF_REC_BIT);
    return !inside && s == d;
}

static bool val_match(const wf_rgroup *g, wf_valtype s, wf_valtype d)
{
    if (s.kind != d.kind) return false;
    if (s.kind != WF_REF) return true;
    if (s.heap != d.heap || s.nullable != d.nullable) return false;
    return s.heap != WF_HEAP_TYPE || ref_match(g, s.index, d.index);
}

static bool group_match(const wf_rgroup *g, uint64_t hash, const wf_subtype_desc *d, uint32_t n)
{
    if (g->hash != hash || g->n != n) return false;
    for (uint32_t i = 0; i < n; i++) {
        const wf_ctype *t = g->types[i];
        if (t->ft.nparams != d[i].nparams || t->ft.nresults != d[i].nresults) return false;
        if (t->kind != d[i].kind || t->nfields != d[i].nfields) return false;
        for (uint32_t j = 0; j < d[i].nfields; j++)
            if (t->fields[j].packed != d[i].fields[j].packed || t->fields[j].mut != d[i].fields[j].mut ||
                !val_match(g, t->fields[j].type, d[i].fields[j].type))
                return false;
        if (t->final != d[i].final || (t->super != NULL) != d[i].has_super) return false;
        if (t->super && !ref_match(g, t->super->ft.id, d[i].super)) return false;
        for (uint32_t j = 0; j < d[i].nparams; j++)
            if (!val_match(g, t->ft.params[j], d[i].params[j])) return false;
        for (uint32_t j = 0; j < d[i].nresults; j++)
            if (!val_match(g, t->ft.results[j], d[i].results[j])) return false;
    }
    return true;
}

static void groups_insert(wf_rgroup *g)
{
    if ((ngroups + 1) * 2 > groups_cap) {
        size_t cap = groups_cap ? groups_cap * 2 : 256;
        wf_rgroup **tab = wf_xcalloc(cap, sizeof *tab);
        for (size_t i = 0; i < groups_cap; i++) {
            wf_rgroup *o = groups[i];
            if (!o) continue;
            size_t k = (size_t)o->hash & (cap - 1);
            while (tab[k]) k = (k + 1) & (cap - 1);
            tab[k] = o;
        }
        free(groups);
        groups = tab;
        groups_cap = cap;
    }
    size_t k = (size_t)g->hash & (groups_cap - 1);
    while (groups[k]) k = (k + 1) & (groups_cap - 1);
    groups[k] = g;
    ngroups++;
}

static wf_valtype resolve(wf_valtype v, uint32_t first)
{
    if (v.kind == WF_REF && v.heap == WF_HEAP_TYPE && (v.index & WF_REC_BIT))
        v.index = first + (v.index & ~WF_REC_BIT);
    return v;
}

uint32_t wf_fieldtype_bytes(const wf_fieldtype *f)
{
    if (f->packed) return f->packed;
    switch (f->type.kind) {
    case WF_I32: case WF_F32: return 4;
    case WF_V128: return 16;
    default: return 8;
    }
}

/* A struct's or array's fields (rec references resolved) and layout. */
static void set_fields(wf_ctype *t, const wf_subtype_desc *d, uint32_t first)
{
    t->nfields = d->nfields;
    if (!d->nfields) return;
    t->fields = wf_xmalloc(d->nfields * sizeof *t->fields);
    for (uint32_t j = 0; j < d->nfields; j++) {
        t->fields[j] = d->fields[j];
        t->fields[j].type = resolve(d->fields[j].type, first);
    }
    if (t->kind == WF_COMP_ARRAY) {
        t->size = wf_fieldtype_bytes(&t->fields[0]);
        return;
    }
    t->offsets = wf_xmalloc(d->nfields * sizeof *t->offsets);
    for (uint32_t j = 0; j < d->nfields; j++) {
        t->offsets[j] = t->size;
        t->size += t->fields[j].type.kind == WF_V128 ? 16 : 8;
    }
}

static void set_by_id(uint32_t id, wf_ctype *t)
{
    uint32_t c = id >> CHUNK_BITS;
    if (!by_id[c]) __atomic_store_n(&by_id[c], wf_xcalloc(CHUNK_SIZE, sizeof(wf_ctype *)), __ATOMIC_RELEASE);
    __atomic_store_n(&by_id[c][id & (CHUNK_SIZE - 1)], t, __ATOMIC_RELEASE);
}

void wf_types_rec_group(const wf_subtype_desc *d, uint32_t n, const wf_functype **out)
{
    uint64_t hash = hash_desc(d, n);
    pthread_mutex_lock(&reg_lock);
    if (groups_cap) {
        for (size_t k = (size_t)hash & (groups_cap - 1); groups[k]; k = (k + 1) & (groups_cap - 1)) {
            wf_rgroup *g = groups[k];
            if (group_match(g, hash, d, n)) {
                for (uint32_t i = 0; i < n; i++) out[i] = &g->types[i]->ft;
                pthread_mutex_unlock(&reg_lock);
                return;
            }
        }
    }
    if ((uint64_t)next_id + n > (uint64_t)MAX_CHUNKS * CHUNK_SIZE) {
        /* 16M distinct types: only a hostile process gets here */
        pthread_mutex_unlock(&reg_lock);
        fprintf(stderr, "wasmfn: too many distinct function types\n");
        abort();
    }
    wf_rgroup *g = wf_xmalloc(sizeof *g + n * sizeof(wf_ctype *));
    g->hash = hash;
    g->first = next_id;
    g->n = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nv = d[i].nparams + d[i].nresults;
        wf_ctype *t = wf_xcalloc(1, sizeof *t + nv * sizeof(wf_valtype));
        t->ft.id = g->first + i;
        t->ft.nparams = d[i].nparams;
        t->ft.nresults = d[i].nresults;
        for (uint32_t j = 0; j < d[i].nparams; j++) t->vals[j] = resolve(d[i].params[j], g->first);
        for (uint32_t j = 0; j < d[i].nresults; j++)
            t->vals[d[i].nparams + j] = resolve(d[i].results[j], g->first);
        t->ft.params = t->vals;
        t->ft.results = t->vals + d[i].nparams;
        for (uint32_t j = 0; j < d[i].nparams; j++) t->ft.param_slots += wf_valtype_slots(t->ft.params[j]);
        for (uint32_t j = 0; j < d[i].nresults; j++) t->ft.result_slots += wf_valtype_slots(t->ft.results[j]);
        t->final = d[i].final;
        t->kind = d[i].kind;
        set_fields(t, &d[i], g->first);
        g->types[i] = t;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!d[i].has_super) continue;
        uint32_t s = d[i].super;
        if (s & WF_REC_BIT) {
            g->types[i]->super = g->types[s & ~WF_REC_BIT];
        } else {
            uint32_t c = s >> CHUNK_BITS;
            g->types[i]->super = by_id[c] ? by_id[c][s & (CHUNK_SIZE - 1)] : NULL;
        }
    }
    for (uint32_t i = 0; i < n; i++) set_by_id(g->first + i, g->types[i]);
    next_id += n;
    groups_insert(g);
    for (uint32_t i = 0; i < n; i++) out[i] = &g->types[i]->ft;
    pthread_mutex_unlock(&reg_lock);
}

const wf_functype *wf_functype_get(const wf_valtype *params, uint32_t nparams,
                                   const wf_valtype *results, uint32_t nresults)
{
    wf_subtype_desc d = {
        .params = params, .results = results, .nparams = nparams, .nresults = nresults,
        .final = true,
    };
    const wf_functype *t;
    wf_types_rec_group(&d, 1, &t);
    return t;
}

const wf_functype *wf_functype_by_id(uint32_t id)
{
    uint32_t c = id >> CHUNK_BITS;
    if (c >= MAX_CHUNKS) return NULL;
    wf_ctype **chunk = __atomic_load_n(&by_id[c], __ATOMIC_ACQUIRE);
    if (!chunk) return NULL;
    wf_ctype *t = __atomic_load_n(&chunk[id & (CHUNK_SIZE - 1)], __ATOMIC_ACQUIRE);
    return t ? &t->ft : NULL;
}

uint8_t wf_type_kind(const wf_functype *t)
{
    return ((const wf_ctype *)t)->kind;
}

const wf_fieldtype *wf_type_fields(const wf_functype *t, uint32_t *n)
{
    const wf_ctype *c = (const wf_ctype *)t;
    *n = c->nfields;
    return c->fields;
}

uint32_t wf_type_field_offset(const wf_functype *t, uint32_t i)
{
    return ((const wf_ctype *)t)->offsets[i];
}

uint32_t wf_type_struct_size(const wf_functype *t)
{
    return ((const wf_ctype *)t)->size;
}

uint32_t wf_type_elem_size(const wf_functype *t)
{
    return ((const wf_ctype *)t)->size;
}

const wf_functype *wf_functype_super(const wf_functype *t)
{
    const wf_ctype *c = (const wf_ctype *)t;
    return c->super ? &c->super->ft : NULL;
}

bool wf_functype_final(const wf_functype *t)
{
    return ((const wf_ctype *)t)->final;
}

bool wf_functype_sub(const wf_functype *a, const wf_functype *b)
{
    for (const wf_ctype *c = (const wf_ctype *)a; c; c = c->super)
        if (&c->ft == b) return true;
    return false;
}

/* A field of a subtype against the supertype's: mutability the same; a
 * mutable one of the same type, an immutable one a subtype. */
static bool field_matches(const wf_fieldtype *a, const wf_fieldtype *b)
{
    if (a->mut != b->mut || a->packed != b->packed) return false;
    return a->mut ? wf_valtype_eq(a->type, b->type) : wf_valtype_sub(a->type, b->type);
}

bool wf_functype_matches(const wf_functype *a, const wf_functype *b)
{
    const wf_ctype *ca = (const wf_ctype *)a, *cb = (const wf_ctype *)b;
    if (ca->kind != cb->kind) return false;
    if (ca->kind != WF_COMP_FUNC) {
        if (ca->nfields < cb->nfields || (ca->kind == WF_COMP_ARRAY && ca->nfields != cb->nfields))
            return false;
        for (uint32_t i = 0; i < cb->nfields; i++)
            if (!field_matches(&ca->fields[i], &cb->fields[i])) return false;
        return true;
    }
    if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (!wf_valtype_sub(b->params[i], a->params[i])) return false;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (!wf_valtype_sub(a->results[i], b->results[i])) return false;
    return true;
}

bool wf_valtype_eq(wf_valtype a, wf_valtype b)
{
    if (a.kind != b.kind) return false;
    if (a.kind != WF_REF) return true;
    if (a.heap != b.heap || a.nullable != b.nullable) return false;
    return a.heap != WF_HEAP_TYPE || a.index == b.index;
}

/* A concrete type's kind (function when the id is unknown, which only a
 * broken caller makes). */
static uint8_t kind_of(uint32_t id)
{
    const wf_functype *t = wf_functype_by_id(id);
    return t ? wf_type_kind(t) : WF_COMP_FUNC;
}

/* The top of each heap type hierarchy. */
static uint8_t heap_top(wf_valtype t)
{
    switch (t.heap) {
    case WF_HEAP_FUNC: case WF_HEAP_NOFUNC: return WF_HEAP_FUNC;
    case WF_HEAP_TYPE: return kind_of(t.index) == WF_COMP_FUNC ? WF_HEAP_FUNC : WF_HEAP_ANY;
    case WF_HEAP_EXTERN: case WF_HEAP_NOEXTERN: return WF_HEAP_EXTERN;
    case WF_HEAP_EXN: case WF_HEAP_NOEXN: return WF_HEAP_EXN;
    default: return WF_HEAP_ANY;
    }
}

uint8_t wf_heaptype_top(wf_valtype t)
{
    return heap_top(t);
}

static bool heap_is_bottom(uint8_t h)
{
    return h == WF_HEAP_NOFUNC || h == WF_HEAP_NOEXTERN || h == WF_HEAP_NONE || h == WF_HEAP_NOEXN;
}

static bool heap_sub(wf_valtype a, wf_valtype b)
{
    uint8_t ha = a.heap, hb = b.heap;
    if (heap_top(a) != heap_top(b)) return false;
    if (ha == hb) {
        if (ha != WF_HEAP_TYPE || a.index == b.index) return true;
        const wf_functype *fa = wf_functype_by_id(a.index), *fb = wf_functype_by_id(b.index);
        return fa && fb && wf_functype_sub(fa, fb);
    }
    if (heap_is_bottom(ha)) return true;
    if (hb == heap_top(b)) return true;     /* everything is below its top */
    if (heap_is_bottom(hb) || hb == WF_HEAP_TYPE || hb == WF_HEAP_I31) return false;
    /* any hierarchy: struct types below struct, array types below array,
     * and i31, struct and array below eq */
    uint8_t k = ha == WF_HEAP_TYPE ? kind_of(a.index) : 0xFF;
    if (hb == WF_HEAP_STRUCT) return k == WF_COMP_STRUCT;
    if (hb == WF_HEAP_ARRAY) return k == WF_COMP_ARRAY;
    if (hb == WF_HEAP_EQ)
        return ha == WF_HEAP_I31 || ha == WF_HEAP_STRUCT || ha == WF_HEAP_ARRAY ||
               k == WF_COMP_STRUCT || k == WF_COMP_ARRAY;
    return false;
}

bool wf_valtype_sub(wf_valtype a, wf_valtype b)
{
    if (a.kind != b.kind) return false;
    if (a.kind != WF_REF) return true;
    if (a.nullable && !b.nullable) return false;
    return heap_sub(a, b);
}

static const char *heap_name(uint8_t h)
{
    static const char *const names[] = {
        [WF_HEAP_FUNC] = "func", [WF_HEAP_EXTERN] = "extern", [WF_HEAP_TYPE] = "type",
        [WF_HEAP_NOFUNC] = "nofunc", [WF_HEAP_NOEXTERN] = "noextern", [WF_HEAP_ANY] = "any",
        [WF_HEAP_EQ] = "eq", [WF_HEAP_I31] = "i31", [WF_HEAP_STRUCT] = "struct",
        [WF_HEAP_ARRAY] = "array", [WF_HEAP_NONE] = "none", [WF_HEAP_EXN] = "exn",
        [WF_HEAP_NOEXN] = "noexn",
    };
    return h < WF_COUNT(names) && names[h] ? names[h] : "?";
}

const char *wf_valtype_name(wf_valtype t, char *buf, size_t size)
{
    static const char *const nums[] = { "i32", "i64", "f32", "f64", "v128" };
    if (t.kind != WF_REF)
        snprintf(buf, size, "%s", t.kind < WF_COUNT(nums) ? nums[t.kind] : "?");
    else if (t.heap == WF_HEAP_TYPE)
        snprintf(buf, size, "(ref %s%u)", t.nullable ? "null " : "", t.index);
    else
        snprintf(buf, size, "(ref %s%s)", t.nullable ? "null " : "", heap_name(t.heap));
    return buf;
}
