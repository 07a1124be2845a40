/*
 * types.c - the process-wide canonical registry of function types
 * (hash-consed recursion groups), value type subtyping and type names.
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

bool wf_functype_matches(const wf_functype *a, const wf_functype *b)
{
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

/* The top of each heap type hierarchy. */
static uint8_t heap_top(uint8_t h)
{
    switch (h) {
    case WF_HEAP_FUNC: case WF_HEAP_NOFUNC: case WF_HEAP_TYPE: return WF_HEAP_FUNC;
    case WF_HEAP_EXTERN: case WF_HEAP_NOEXTERN: return WF_HEAP_EXTERN;
    case WF_HEAP_EXN: case WF_HEAP_NOEXN: return WF_HEAP_EXN;
    default: return WF_HEAP_ANY;
    }
}

uint8_t wf_heaptype_top(wf_valtype t)
{
    return heap_top(t.heap);
}

static bool heap_is_bottom(uint8_t h)
{
    return h == WF_HEAP_NOFUNC || h == WF_HEAP_NOEXTERN || h == WF_HEAP_NONE || h == WF_HEAP_NOEXN;
}

static bool heap_sub(wf_valtype a, wf_valtype b)
{
    uint8_t ha = a.heap, hb = b.heap;
    if (heap_top(ha) != heap_top(hb)) return false;
    if (ha == hb) {
        if (ha != WF_HEAP_TYPE || a.index == b.index) return true;
        const wf_functype *fa = wf_functype_by_id(a.index), *fb = wf_functype_by_id(b.index);
        return fa && fb && wf_functype_sub(fa, fb);
    }
    if (heap_is_bottom(ha)) return true;
    if (hb == heap_top(hb)) return true;    /* everything is below its top */
    /* any hierarchy: i31, struct and array are below eq */
    if (hb == WF_HEAP_EQ) return ha == WF_HEAP_I31 || ha == WF_HEAP_STRUCT || ha == WF_HEAP_ARRAY;
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
