/*
 * comp_canon.c - canonical definitions (section 8): lift, lower,
 * resource.new/drop/rep, decoded and validated per CanonicalABI.md
 * "Canonical definitions" (options, required memory/realloc, the core
 * function types flatten_functype gives). The async, stream, future,
 * error-context and thread built-ins are decoded (so a binary using them is
 * well formed) and refused as not supported.
 */
#include "component/binary/comp_int.h"

#define MAX_FLAT_PARAMS 16
#define MAX_FLAT_RESULTS 1

static bool read_opts(cctx *x, wf_copts *o)
{
    uint32_t n;
    bool seen_enc = false;
    memset(o, 0, sizeof *o);
    if (!wf_cread_count(x, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t at = OFF(x);
        uint8_t b;
        if (!wf_read_u8(&x->r, &b)) return false;
        switch (b) {
        case 0x00: case 0x01: case 0x02:
            if (seen_enc) return wf_cinvalid(x, at, "canonical encoding option `%s` conflicts with a previous encoding option",
                                             b == 0 ? "utf8" : b == 1 ? "utf16" : "latin1+utf16");
            seen_enc = true;
            o->encoding = b;
            break;
        case 0x03:
            if (o->has_memory) return wf_cinvalid(x, at, "`memory` is specified more than once");
            o->has_memory = true;
            if (!wf_read_u32(&x->r, &o->memory)) return false;
            break;
        case 0x04:
            if (o->has_realloc) return wf_cinvalid(x, at, "`realloc` is specified more than once");
            o->has_realloc = true;
            if (!wf_read_u32(&x->r, &o->realloc)) return false;
            break;
        case 0x05:
            if (o->has_post_return) return wf_cinvalid(x, at, "`post-return` is specified more than once");
            o->has_post_return = true;
            if (!wf_read_u32(&x->r, &o->post_return)) return false;
            break;
        case 0x06:
            if (o->async) return wf_cinvalid(x, at, "`async` is specified more than once");
            o->async = true;
            break;
        case 0x07:
            if (o->has_callback) return wf_cinvalid(x, at, "`callback` is specified more than once");
            o->has_callback = true;
            if (!wf_read_u32(&x->r, &o->callback)) return false;
            break;
        default:
            return wf_cmalformed(x, at, "invalid leading byte (0x%x) for canonical option", b);
        }
    }
    return true;
}

/* Does t contain a list or string? */
static bool has_list_or_string(const wf_wit_type *t, int depth)
{
    if (!t || depth > 200) return false;
    if ((t->kind == WF_WIT_LIST && !t->len) || t->kind == WF_WIT_MAP || t->kind == WF_WIT_STRING) return true;
    if (t->kind == WF_WIT_OWN || t->kind == WF_WIT_BORROW) return false;
    if (has_list_or_string(t->elem, depth + 1) || has_list_or_string(t->err, depth + 1)) return true;
    for (size_t i = 0; i < t->nfields; i++)
        if (has_list_or_string(t->fields[i].type, depth + 1)) return true;
    return false;
}

static bool fields_have_ls(const wf_wit_field *fs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (has_list_or_string(fs[i].type, 0)) return true;
    return false;
}

static size_t nflat(const wf_wit_field *fs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += fs[i].type->nflat;
    return k;
}

static wf_valtype core_of(wf_flat f)
{
    switch (f) {
    case WF_FLAT_I64: return WF_TYPE_I64;
    case WF_FLAT_F32: return WF_TYPE_F32;
    case WF_FLAT_F64: return WF_TYPE_F64;
    default: return WF_TYPE_I32;
    }
}

static size_t append_flat(wf_valtype *out, const wf_wit_field *fs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < fs[i].type->nflat; j++) out[k++] = core_of(fs[i].type->flat[j]);
    return k;
}

/* flatten_functype(ft, lift|lower) (sync). */
static const wf_functype *flatten(const wf_wit_func *ft, bool lift)
{
    size_t np = nflat(ft->params, ft->nparams), nr = nflat(ft->results, ft->nresults);
    wf_valtype *ps = wf_xcalloc(np + 2, sizeof *ps), *rs = wf_xcalloc(nr + 1, sizeof *rs);
    size_t kp, kr;
    if (np > MAX_FLAT_PARAMS) {
        ps[0] = WF_TYPE_I32;
        kp = 1;
    } else {
        kp = append_flat(ps, ft->params, ft->nparams);
    }
    if (nr > MAX_FLAT_RESULTS) {
        if (lift) {
            rs[0] = WF_TYPE_I32;
            kr = 1;
        } else {
            ps[kp++] = WF_TYPE_I32;
            kr = 0;
        }
    } else {
        kr = append_flat(rs, ft->results, ft->nresults);
    }
    const wf_functype *t = wf_functype_get(ps, (uint32_t)kp, rs, (uint32_t)kr);
    free(ps);
    free(rs);
    return t;
}

static const wf_functype *core_func_type(cctx *x, uint32_t idx, size_t at)
{
    const citem *it = wf_cscope_get(x, x->scope, WF_CSORT_CORE_FUNC, idx, at);
    return it ? it->core.type.func : NULL;
}

static char *functype_str(const wf_functype *t)
{
    char buf[512], tmp[64];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "(func");
    for (uint32_t i = 0; i < t->nparams && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " (param %s)", wf_valtype_name(t->params[i], tmp, sizeof tmp));
    for (uint32_t i = 0; i < t->nresults && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " (result %s)", wf_valtype_name(t->results[i], tmp, sizeof tmp));
    if (n < sizeof buf) snprintf(buf + n, sizeof buf - n, ")");
    return wf_xstrdup(buf);
}

/* General option checks plus the required ones for a lift (lift == true) or
 * lower of ft. */
static bool check_opts(cctx *x, const wf_copts *o, const wf_wit_func *ft, bool lift, size_t at)
{
    if (o->async) return wf_cunsupported(x, at, "the `async` option is not supported (async is not implemented)");
    if (o->has_callback) return wf_cinvalid(x, at, "cannot specify callback without async");
    if (o->has_memory) {
        const citem *m = wf_cscope_get(x, x->scope, WF_CSORT_CORE_MEMORY, o->memory, at);
        if (!m) return false;
        if (m->core.type.mem.limits.is64)
            return wf_cunsupported(x, at, "64-bit memories are not supported as canonical `memory`");
    }
    if (o->has_realloc) {
        const wf_functype *t = core_func_type(x, o->realloc, at);
        if (!t) return false;
        static const wf_valtype i4[4] = { { WF_I32, 0, 0, 0 }, { WF_I32, 0, 0, 0 },
                                          { WF_I32, 0, 0, 0 }, { WF_I32, 0, 0, 0 } };
        if (t != wf_functype_get(i4, 4, i4, 1)) {
            char *s = functype_str(t);
            bool r = wf_cinvalid(x, at, "canonical option `realloc` uses a core function with an incorrect signature %s, expected (func (param i32 i32 i32 i32) (result i32))", s);
            free(s);
            return r;
        }
        if (!o->has_memory) return wf_cinvalid(x, at, "canonical option `realloc` requires `memory`");
    }
    if (o->has_post_return && !lift)
        return wf_cinvalid(x, at, "canonical option `post-return` is not allowed on `canon lower`");
    size_t np = nflat(ft->params, ft->nparams), nr = nflat(ft->results, ft->nresults);
    bool p_ls = fields_have_ls(ft->params, ft->nparams), r_ls = fields_have_ls(ft->results, ft->nresults);
    /* lift: params are lifted into the callee (realloc), results lowered out (memory);
     * lower: params lowered from the caller (memory), results lifted in (realloc) */
    bool need_realloc = lift ? (p_ls || np > MAX_FLAT_PARAMS) : r_ls;
    bool need_memory = need_realloc || p_ls || r_ls || np > MAX_FLAT_PARAMS || nr > MAX_FLAT_RESULTS;
    if (need_memory && !o->has_memory)
        return wf_cinvalid(x, at, "canonical option `memory` is required (the function passes strings, lists or spilled values)");
    if (need_realloc && !o->has_realloc)
        return wf_cinvalid(x, at, "canonical option `realloc` is required (the function passes strings or lists into linear memory)");
    return true;
}

static bool lift(cctx *x, wf_cdef *def, size_t at)
{
    uint32_t f, ti;
    wf_copts o;
    if (!wf_read_u32(&x->r, &f) || !read_opts(x, &o)) return false;
    size_t tat = OFF(x);
    if (!wf_read_u32(&x->r, &ti)) return false;
    const wf_functype *core = core_func_type(x, f, at);
    if (!core) return false;
    const citem *t = wf_cscope_get(x, x->scope, WF_CSORT_TYPE, ti, tat);
    if (!t) return false;
    if (t->type->kind != WF_CTYPE_FUNC) return wf_cinvalid(x, tat, "type index %u is not a function type", ti);
    const wf_wit_func *ft = t->type->func;
    if (!check_opts(x, &o, ft, true, at)) return false;
    const wf_functype *want = flatten(ft, true);
    if (core != want) {
        char *a = functype_str(core), *b = functype_str(want);
        wf_cinvalid(x, at, "lowered function type mismatch: core function %u has type %s, `canon lift` expects %s", f, a, b);
        free(a);
        free(b);
        return false;
    }
    if (o.has_post_return) {
        const wf_functype *pr = core_func_type(x, o.post_return, at);
        if (!pr) return false;
        if (pr != wf_functype_get(want->results, want->nresults, NULL, 0)) {
            char *a = functype_str(pr);
            wf_cinvalid(x, at, "canonical option `post-return` uses a core function with an incorrect signature %s", a);
            free(a);
            return false;
        }
    }
    def->u.canon.kind = WF_CANON_LIFT;
    def->u.canon.func = f;
    def->u.canon.type = ti;
    def->u.canon.opts = o;
    def->u.canon.func_type = ft;
    def->sort = WF_CSORT_FUNC;
    wf_cscope_push(x->scope, WF_CSORT_FUNC)->type = t->type;
    return true;
}

static void push_core_func(cctx *x, wf_cdef *def, const wf_functype *t)
{
    def->sort = WF_CSORT_CORE_FUNC;
    citem *it = wf_cscope_push(x->scope, WF_CSORT_CORE_FUNC);
    it->core.kind = WF_EXTERN_FUNC;
    it->core.type.func = t;
    wf_ctype *ct = wf_carena_ctype(x->arena, WF_CTYPE_CORE_FUNC);
    ct->core_func = t;
    it->type = ct;
}

static bool lower(cctx *x, wf_cdef *def, size_t at)
{
    uint32_t f;
    wf_copts o;
    if (!wf_read_u32(&x->r, &f) || !read_opts(x, &o)) return false;
    const citem *fi = wf_cscope_get(x, x->scope, WF_CSORT_FUNC, f, at);
    if (!fi) return false;
    const wf_wit_func *ft = fi->type->func;
    if (!check_opts(x, &o, ft, false, at)) return false;
    def->u.canon.kind = WF_CANON_LOWER;
    def->u.canon.func = f;
    def->u.canon.opts = o;
    def->u.canon.func_type = ft;
    push_core_func(x, def, flatten(ft, false));
    return true;
}

static bool resource_builtin(cctx *x, wf_cdef *def, uint8_t op, size_t at)
{
    uint32_t ti;
    if (!wf_read_u32(&x->r, &ti)) return false;
    const citem *t = wf_cscope_get(x, x->scope, WF_CSORT_TYPE, ti, at);
    if (!t) return false;
    if (t->type->kind != WF_CTYPE_RESOURCE) return wf_cinvalid(x, at, "type index %u is not a resource type", ti);
    const wf_cresource *r = t->type->resource;
    static const wf_valtype i32 = { WF_I32, 0, 0, 0 };
    const wf_functype *ft;
    if (op == 0x03) {
        def->u.canon.kind = WF_CANON_RESOURCE_DROP;
        ft = wf_functype_get(&i32, 1, NULL, 0);
    } else {
        if (r->kind != WF_CRES_DEFINED || r->owner != x->scope->comp)
            return wf_cinvalid(x, at, "resource.%s requires a resource type defined in this component (type %u is not)",
                               op == 0x02 ? "new" : "rep", ti);
        def->u.canon.kind = op == 0x02 ? WF_CANON_RESOURCE_NEW : WF_CANON_RESOURCE_REP;
        ft = wf_functype_get(&i32, 1, &i32, 1);
    }
    def->u.canon.type = ti;
    def->u.canon.resource = r;
    push_core_func(x, def, ft);
    return true;
}

/* Decode the immediates of the other built-ins so the entry's end is known. */
static bool other_builtin(cctx *x, uint8_t op, size_t at)
{
    uint8_t b;
    uint32_t u;
    wf_copts o;
    const wf_wit_type *vt;
    switch (op) {
    case 0x24: case 0x25: case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23:
    case 0x26: case 0x28:
        break;
    case 0x09: { /* task.return resultlist opts */
        if (!wf_read_u8(&x->r, &b)) return false;
        if (b == 0x00) { if (!wf_cread_valtype(x, &vt)) return false; }
        else if (b == 0x01) { if (!wf_read_u8(&x->r, &b)) return false; }
        else return wf_cmalformed(x, at, "invalid leading byte (0x%x) for result list", b);
        if (!read_opts(x, &o)) return false;
        break;
    }
    case 0x0a: case 0x0b:
        if (!wf_read_u8(&x->r, &b) || !wf_read_u32(&x->r, &u)) return false;
        break;
    case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
        if (!wf_read_u8(&x->r, &b)) return false;
        if (b > 1) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for boolean immediate", b);
        break;
    case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
        if (!wf_read_u32(&x->r, &u)) return false;
        break;
    case 0x0f: case 0x10: case 0x16: case 0x17:
        if (!wf_read_u32(&x->r, &u) || !read_opts(x, &o)) return false;
        break;
    case 0x11: case 0x12: case 0x18: case 0x19:
        if (!wf_read_u32(&x->r, &u) || !wf_read_u8(&x->r, &b)) return false;
        break;
    case 0x1c: case 0x1d:
        if (!read_opts(x, &o)) return false;
        break;
    case 0x20: case 0x21:
        if (!wf_read_u8(&x->r, &b) || !wf_read_u32(&x->r, &u)) return false;
        break;
    case 0x27:
        if (!wf_read_u32(&x->r, &u) || !wf_read_u32(&x->r, &u)) return false;
        break;
    case 0x40: case 0x42:
        if (!wf_read_u8(&x->r, &b) || (op == 0x40 && !wf_read_u32(&x->r, &u))) return false;
        break;
    case 0x41:
        if (!wf_read_u8(&x->r, &b) || !wf_read_u32(&x->r, &u) || !wf_read_u32(&x->r, &u)) return false;
        break;
    default:
        return wf_cmalformed(x, at, "invalid leading byte (0x%x) for canonical function", op);
    }
    return wf_cunsupported(x, at, "canonical built-in 0x%x (async, stream, future, error-context or thread) is not supported", op);
}

bool wf_cread_canon(cctx *x, wf_cdef *def)
{
    size_t at = OFF(x);
    uint8_t op, z;
    if (!wf_read_u8(&x->r, &op)) return false;
    def->u.canon.opcode = op;
    switch (op) {
    case 0x00: case 0x01:
        if (!wf_read_u8(&x->r, &z)) return false;
        if (z != 0x00) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for canonical function sort", z);
        return op == 0x00 ? lift(x, def, at) : lower(x, def, at);
    case 0x02: case 0x03: case 0x04:
        return resource_builtin(x, def, op, at);
    default:
        def->u.canon.kind = WF_CANON_OTHER;
        return other_builtin(x, op, at);
    }
}
