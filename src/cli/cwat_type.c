/*
 * cwat_type.c - the types of the component text format: value types
 * (primitive, indices and inline defined types, which wasm-tools turns into
 * type definitions placed before their use), defined, function, component,
 * instance and resource types, extern types and type uses, and the core
 * types of components: function types and module types with their decls.
 */
#include "cli/cwat_int.h"

static const struct { const char *name; uint8_t code; } prims[] = {
    { "bool", 0x7f }, { "s8", 0x7e }, { "u8", 0x7d }, { "s16", 0x7c }, { "u16", 0x7b },
    { "s32", 0x7a }, { "u32", 0x79 }, { "s64", 0x78 }, { "u64", 0x77 }, { "f32", 0x76 },
    { "float32", 0x76 }, { "f64", 0x75 }, { "float64", 0x75 }, { "char", 0x74 },
    { "string", 0x73 }, { "error-context", 0x64 },
};

static int prim_code(cw *c, size_t i)
{
    if (c->w.tok[i].kind != WF_TOK_KEYWORD) return -1;
    for (size_t k = 0; k < WF_COUNT(prims); k++)
        if (wf_cwat_kw(c, i, prims[k].name)) return prims[k].code;
    return -1;
}

bool wf_cwat_is_prim(cw *c, size_t i)
{
    return prim_code(c, i) >= 0;
}

/* Define the type whose body runs from i to end (keyword at kw) before the
 * current field, as wasm-tools does with inline types: first the inline
 * types nested in it, then itself. Called in EXPAND mode. */
static uint32_t prepend(cw *c, cw_scope *s, size_t key, size_t kw, size_t i, size_t end,
                        bool core)
{
    wf_buf *scratch = wf_wat_tbuf(&c->w);
    if (core) {
        wf_cwat_core_deftype(c, s, kw, i, end, scratch);
    } else {
        wf_cwat_deftype(c, s, kw, i, end, 0, scratch);
    }
    c->mode = MODE_EMIT;
    wf_buf *b = wf_wat_tbuf(&c->w);
    if (core) wf_cwat_core_deftype(c, s, kw, i, end, b);
    else wf_cwat_deftype(c, s, kw, i, end, 0, b);
    wf_cwat_emit(c, s, core ? SEC_CTYPE : SEC_TYPE, b);
    uint32_t idx = wf_cwat_define(c, s, core ? NS_CTYPE : NS_TYPE, 0);
    c->inl[key] = idx;
    c->mode = MODE_EXPAND;
    return idx;
}

static void typeidx_val(wf_buf *out, uint32_t idx)
{
    /* a valtype's type index shares the s33 space with the type codes */
    wf_buf_s64leb(out, idx);
}

void wf_cwat_valtype(cw *c, cw_scope *s, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    int p = prim_code(c, i);
    if (p >= 0) {
        wf_buf_byte(out, (uint8_t)p);
        *pos = i + 1;
        return;
    }
    if (c->w.tok[i].kind == WF_TOK_LPAREN) {
        size_t end = c->w.match[i];
        if (c->mode == MODE_EXPAND) prepend(c, s, i, i + 1, i + 2, end, false);
        else typeidx_val(out, c->inl[i]);
        *pos = end + 1;
        return;
    }
    if (c->w.tok[i].kind == WF_TOK_KEYWORD)
        wat_malformed(&c->w, i, "unknown type %.*s", (int)c->w.tok[i].len, c->w.tok[i].text);
    typeidx_val(out, wf_cwat_ref(c, s, NS_TYPE, pos));
}

/* label strings from i to end */
static void labels(cw *c, size_t i, size_t end, wf_buf *out)
{
    wf_buf *tmp = wf_wat_tbuf(&c->w);
    uint32_t n = 0;
    while (i < end) {
        if (c->w.tok[i].kind != WF_TOK_STRING) wf_cwat_unexpected(c, i);
        wf_cwat_name(c, &i, tmp);
        n++;
    }
    wf_buf_u32leb(out, n);
    wf_buf_bytes(out, tmp->data, tmp->len);
    wf_buf_free(tmp);
}

static void decl(cw *c, cw_scope *s, size_t open);

/* The decls of a component or instance type, from i to end. */
static void type_decls(cw *c, cw_scope *s, int kind, size_t i, size_t end, size_t idtok,
                       wf_buf *out)
{
    if (c->mode == MODE_EXPAND) return; /* expanded within its own scope */
    cw_scope *in = wf_cwat_scope_new(c, s, kind, idtok);
    for (; i < end; i = c->w.match[i] + 1) {
        if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
        wf_cwat_run(c, in, i, decl);
    }
    wf_buf_byte(out, kind == SC_CTYPE ? 0x41 : 0x42);
    wf_buf_u32leb(out, in->ndecls);
    wf_buf_bytes(out, in->body.data, in->body.len);
    wf_cwat_scope_free(in);
}

static void functype(cw *c, cw_scope *s, size_t i, size_t end, wf_buf *out)
{
    bool async = wf_cwat_kw(c, i, "async");
    if (async) i++;
    wf_buf_byte(out, async ? 0x43 : 0x40);
    wf_buf *params = wf_wat_tbuf(&c->w);
    uint32_t n = 0;
    while (wf_cwat_lkw(c, i, "param")) {
        size_t pe = c->w.match[i];
        size_t q = i + 2;
        wf_cwat_name(c, &q, params);
        wf_cwat_valtype(c, s, &q, params);
        if (q != pe) wf_cwat_unexpected(c, q);
        n++;
        i = pe + 1;
    }
    wf_buf_u32leb(out, n);
    wf_buf_bytes(out, params->data, params->len);
    wf_buf_free(params);
    wf_cwat_resultlist(c, s, &i, out);
    if (i != end) wf_cwat_unexpected(c, i);
}

void wf_cwat_resultlist(cw *c, cw_scope *s, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (wf_cwat_lkw(c, i, "result")) {
        size_t re = c->w.match[i];
        size_t q = i + 2;
        wf_buf_byte(out, 0x00);
        wf_cwat_valtype(c, s, &q, out);
        if (q != re) wf_cwat_unexpected(c, q);
        *pos = re + 1;
    } else {
        wf_buf_byte(out, 0x01);
        wf_buf_byte(out, 0x00);
    }
}

/* An optional valtype: present when i < end. */
static void opt_valtype(cw *c, cw_scope *s, size_t *i, size_t end, wf_buf *out)
{
    if (*i < end) {
        wf_buf_byte(out, 0x01);
        wf_cwat_valtype(c, s, i, out);
    } else {
        wf_buf_byte(out, 0x00);
    }
}

void wf_cwat_deftype(cw *c, cw_scope *s, size_t kw, size_t i, size_t end, size_t idtok, wf_buf *out)
{
    if (wf_cwat_kw(c, kw, "record")) {
        wf_buf_byte(out, 0x72);
        wf_buf *tmp = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        for (; i < end; i = c->w.match[i] + 1) {
            if (!wf_cwat_lkw(c, i, "field")) wf_cwat_unexpected(c, i);
            size_t q = i + 2;
            wf_cwat_name(c, &q, tmp);
            wf_cwat_valtype(c, s, &q, tmp);
            if (q != c->w.match[i]) wf_cwat_unexpected(c, q);
            n++;
        }
        wf_buf_u32leb(out, n);
        wf_buf_bytes(out, tmp->data, tmp->len);
        wf_buf_free(tmp);
    } else if (wf_cwat_kw(c, kw, "variant")) {
        wf_buf_byte(out, 0x71);
        wf_buf *tmp = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        for (; i < end; i = c->w.match[i] + 1) {
            if (!wf_cwat_lkw(c, i, "case")) wf_cwat_unexpected(c, i);
            size_t ce = c->w.match[i];
            size_t q = i + 2;
            if (wf_cwat_is_id(c, q)) q++;
            wf_cwat_name(c, &q, tmp);
            if (q < ce && !wf_cwat_lkw(c, q, "refines")) {
                wf_buf_byte(tmp, 0x01);
                wf_cwat_valtype(c, s, &q, tmp);
            } else {
                wf_buf_byte(tmp, 0x00);
            }
            if (wf_cwat_lkw(c, q, "refines")) q = c->w.match[q] + 1;
            wf_buf_byte(tmp, 0x00);
            if (q != ce) wf_cwat_unexpected(c, q);
            n++;
        }
        wf_buf_u32leb(out, n);
        wf_buf_bytes(out, tmp->data, tmp->len);
        wf_buf_free(tmp);
    } else if (wf_cwat_kw(c, kw, "list")) {
        wf_buf *tmp = wf_wat_tbuf(&c->w);
        size_t q = i;
        wf_cwat_valtype(c, s, &q, tmp);
        if (q < end) {
            uint32_t len = wf_cwat_u32(c, &q);
            wf_buf_byte(out, 0x67);
            wf_buf_bytes(out, tmp->data, tmp->len);
            wf_buf_u32leb(out, len);
        } else {
            wf_buf_byte(out, 0x70);
            wf_buf_bytes(out, tmp->data, tmp->len);
        }
        wf_buf_free(tmp);
        if (q != end) wf_cwat_unexpected(c, q);
    } else if (wf_cwat_kw(c, kw, "tuple")) {
        wf_buf_byte(out, 0x6f);
        wf_buf *tmp = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        while (i < end) {
            wf_cwat_valtype(c, s, &i, tmp);
            n++;
        }
        wf_buf_u32leb(out, n);
        wf_buf_bytes(out, tmp->data, tmp->len);
        wf_buf_free(tmp);
    } else if (wf_cwat_kw(c, kw, "flags") || wf_cwat_kw(c, kw, "enum")) {
        wf_buf_byte(out, wf_cwat_kw(c, kw, "flags") ? 0x6e : 0x6d);
        labels(c, i, end, out);
    } else if (wf_cwat_kw(c, kw, "option")) {
        wf_buf_byte(out, 0x6b);
        wf_cwat_valtype(c, s, &i, out);
        if (i != end) wf_cwat_unexpected(c, i);
    } else if (wf_cwat_kw(c, kw, "result")) {
        wf_buf_byte(out, 0x6a);
        if (i < end && !wf_cwat_lkw(c, i, "error")) {
            wf_buf_byte(out, 0x01);
            wf_cwat_valtype(c, s, &i, out);
        } else {
            wf_buf_byte(out, 0x00);
        }
        if (wf_cwat_lkw(c, i, "error")) {
            size_t ee = c->w.match[i];
            size_t q = i + 2;
            wf_buf_byte(out, 0x01);
            wf_cwat_valtype(c, s, &q, out);
            if (q != ee) wf_cwat_unexpected(c, q);
            i = ee + 1;
        } else {
            wf_buf_byte(out, 0x00);
        }
        if (i != end) wf_cwat_unexpected(c, i);
    } else if (wf_cwat_kw(c, kw, "own") || wf_cwat_kw(c, kw, "borrow")) {
        wf_buf_byte(out, wf_cwat_kw(c, kw, "own") ? 0x69 : 0x68);
        wf_buf_u32leb(out, wf_cwat_ref(c, s, NS_TYPE, &i));
        if (i != end) wf_cwat_unexpected(c, i);
    } else if (wf_cwat_kw(c, kw, "stream") || wf_cwat_kw(c, kw, "future")) {
        wf_buf_byte(out, wf_cwat_kw(c, kw, "stream") ? 0x66 : 0x65);
        opt_valtype(c, s, &i, end, out);
        if (i != end) wf_cwat_unexpected(c, i);
    } else if (wf_cwat_kw(c, kw, "map")) {
        wf_buf_byte(out, 0x63);
        wf_cwat_valtype(c, s, &i, out);
        wf_cwat_valtype(c, s, &i, out);
        if (i != end) wf_cwat_unexpected(c, i);
    } else if (wf_cwat_kw(c, kw, "func")) {
        functype(c, s, i, end, out);
    } else if (wf_cwat_kw(c, kw, "component")) {
        type_decls(c, s, SC_CTYPE, i, end, idtok, out);
    } else if (wf_cwat_kw(c, kw, "instance")) {
        type_decls(c, s, SC_ITYPE, i, end, idtok, out);
    } else if (wf_cwat_kw(c, kw, "resource")) {
        wf_buf_byte(out, 0x3f);
        if (!wf_cwat_lkw(c, i, "rep")) wf_cwat_unexpected(c, i);
        size_t q = i + 2;
        if (wf_cwat_kw(c, q, "i32")) wf_buf_byte(out, 0x7f);
        else if (wf_cwat_kw(c, q, "i64")) wf_buf_byte(out, 0x7e);
        else wf_cwat_unexpected(c, q);
        q++;
        wf_cwat_rparen(c, &q);
        i = q;
        if (wf_cwat_lkw(c, i, "dtor")) {
            size_t de = c->w.match[i];
            q = i + 2;
            wf_buf_byte(out, 0x01);
            uint32_t f = wf_cwat_core_ref(c, s, NS_CFUNC, &q, de);
            wf_buf_u32leb(out, f);
            if (q != de) wf_cwat_unexpected(c, q);
            i = de + 1;
        } else {
            wf_buf_byte(out, 0x00);
        }
        if (i != end) wf_cwat_unexpected(c, i);
    } else {
        int p = prim_code(c, kw);
        if (p < 0 || i != end) wf_cwat_unexpected(c, kw);
        wf_buf_byte(out, (uint8_t)p);
    }
}

/* ---- Core types -------------------------------------------------------- */

static void core_results(cw *c, size_t *pos, size_t end, wf_buf *out, bool params)
{
    const char *kw = params ? "param" : "result";
    wf_buf *tmp = wf_wat_tbuf(&c->w);
    uint32_t n = 0;
    size_t i = *pos;
    while (i < end && wf_cwat_lkw(c, i, kw)) {
        size_t pe = c->w.match[i];
        size_t q = i + 2;
        if (params && wf_cwat_is_id(c, q)) q++;
        while (q < pe) {
            wf_wat_valtype(&c->w, &q, tmp);
            n++;
        }
        i = pe + 1;
    }
    wf_buf_u32leb(out, n);
    wf_buf_bytes(out, tmp->data, tmp->len);
    wf_buf_free(tmp);
    *pos = i;
}

static void core_functype(cw *c, size_t *pos, size_t end, wf_buf *out)
{
    wf_buf_byte(out, 0x60);
    core_results(c, pos, end, out, true);
    core_results(c, pos, end, out, false);
}

static void module_decl(cw *c, cw_scope *s, size_t open);

void wf_cwat_core_deftype(cw *c, cw_scope *s, size_t kw, size_t i, size_t end, wf_buf *out)
{
    if (wf_cwat_kw(c, kw, "func")) {
        core_functype(c, &i, end, out);
        if (i != end) wf_cwat_unexpected(c, i);
        return;
    }
    if (wf_cwat_kw(c, kw, "module")) {
        if (c->mode == MODE_EXPAND) return;
        cw_scope *in = wf_cwat_scope_new(c, s, SC_MTYPE, 0);
        for (; i < end; i = c->w.match[i] + 1) {
            if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
            module_decl(c, in, i);
        }
        wf_buf_byte(out, 0x50);
        wf_buf_u32leb(out, in->ndecls);
        wf_buf_bytes(out, in->body.data, in->body.len);
        wf_cwat_scope_free(in);
        return;
    }
    if (wf_cwat_kw(c, kw, "struct") || wf_cwat_kw(c, kw, "array") || wf_cwat_kw(c, kw, "sub") || wf_cwat_kw(c, kw, "rec"))
        wf_wat_fail(&c->w, kw, WF_ERR_UNSUPPORTED, "GC core types in components are not supported");
    wf_cwat_unexpected(c, kw);
}

/* A module type's func type written inline: declared right before its use
 * (wasm-tools declares one per use, without reuse). */
static uint32_t module_sig(cw *c, cw_scope *s, size_t *pos, size_t end)
{
    wf_buf *sig = wf_wat_tbuf(&c->w);
    core_functype(c, pos, end, sig);
    wf_cwat_emit(c, s, SEC_CTYPE, sig);
    return wf_cwat_define(c, s, NS_CTYPE, 0);
}

static void core_limits(cw *c, size_t *pos, size_t end, wf_buf *out, bool mem)
{
    size_t i = *pos;
    uint8_t flags = 0;
    if (mem && wf_cwat_kw(c, i, "i64")) {
        flags |= 0x04;
        i++;
    }
    const wf_wat_token *t = &c->w.tok[i];
    uint64_t min = 0, max = 0;
    if (t->kind != WF_TOK_NUMBER || !wf_wat_num_u64(t->text, t->len, &min)) wf_cwat_unexpected(c, i);
    i++;
    t = &c->w.tok[i];
    bool has_max = t->kind == WF_TOK_NUMBER;
    if (has_max) {
        if (!wf_wat_num_u64(t->text, t->len, &max)) wf_cwat_unexpected(c, i);
        i++;
        flags |= 0x01;
    }
    if (mem && i < end && wf_cwat_kw(c, i, "shared")) {
        flags |= 0x02;
        i++;
    }
    wf_buf_byte(out, flags);
    wf_buf_u64leb(out, min);
    if (has_max) wf_buf_u64leb(out, max);
    *pos = i;
}

/* A core externtype (func/table/memory/global/tag $id? ...) in a module
 * type. */
static void core_externtype(cw *c, cw_scope *s, size_t *pos, wf_buf *out)
{
    size_t open = *pos;
    if (c->w.tok[open].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, open);
    size_t end = c->w.match[open];
    size_t kw = open + 1;
    size_t i = kw + 1;
    if (wf_cwat_is_id(c, i)) i++;
    if (wf_cwat_kw(c, kw, "func") || wf_cwat_kw(c, kw, "tag")) {
        bool tag = wf_cwat_kw(c, kw, "tag");
        wf_buf_byte(out, tag ? 0x04 : 0x00);
        if (tag) wf_buf_byte(out, 0x00);
        uint32_t t;
        if (wf_cwat_lkw(c, i, "type")) {
            size_t q = i + 2;
            t = wf_cwat_ref_local(c, s, NS_CTYPE, &q);
            wf_cwat_rparen(c, &q);
            /* a (param)/(result) after (type) only restates it */
            i = end;
        } else {
            t = module_sig(c, s, &i, end);
        }
        wf_buf_u32leb(out, t);
    } else if (wf_cwat_kw(c, kw, "table")) {
        /* text order is limits then reftype, binary the reverse */
        wf_buf *lim = wf_wat_tbuf(&c->w);
        wf_buf_byte(out, 0x01);
        core_limits(c, &i, end, lim, false);
        wf_wat_valtype(&c->w, &i, out);
        wf_buf_bytes(out, lim->data, lim->len);
        wf_buf_free(lim);
    } else if (wf_cwat_kw(c, kw, "memory")) {
        wf_buf_byte(out, 0x02);
        core_limits(c, &i, end, out, true);
    } else if (wf_cwat_kw(c, kw, "global")) {
        wf_buf_byte(out, 0x03);
        if (wf_cwat_lkw(c, i, "mut")) {
            size_t q = i + 2;
            wf_wat_valtype(&c->w, &q, out);
            wf_cwat_rparen(c, &q);
            wf_buf_byte(out, 0x01);
            i = q;
        } else {
            wf_wat_valtype(&c->w, &i, out);
            wf_buf_byte(out, 0x00);
        }
    } else {
        wf_cwat_unexpected(c, kw);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    *pos = end + 1;
}

static void module_decl(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    size_t kw = open + 1;
    size_t i = kw + 1;
    wf_buf *b = wf_wat_tbuf(&c->w);
    if (wf_cwat_kw(c, kw, "import")) {
        wf_cwat_name(c, &i, b);
        wf_cwat_name(c, &i, b);
        core_externtype(c, s, &i, b);
        if (i != end) wf_cwat_unexpected(c, i);
        wf_cwat_emit(c, s, SEC_IMPORT, b);
    } else if (wf_cwat_kw(c, kw, "export")) {
        wf_cwat_name(c, &i, b);
        core_externtype(c, s, &i, b);
        if (i != end) wf_cwat_unexpected(c, i);
        wf_cwat_emit(c, s, SEC_EXPORT, b);
    } else if (wf_cwat_kw(c, kw, "type")) {
        size_t idtok = 0;
        if (wf_cwat_is_id(c, i)) idtok = i++;
        if (!wf_cwat_lkw(c, i, "func")) wf_cwat_unexpected(c, i);
        size_t q = i + 2;
        core_functype(c, &q, c->w.match[i], b);
        if (q != c->w.match[i]) wf_cwat_unexpected(c, q);
        if (c->w.match[i] + 1 != end) wf_cwat_unexpected(c, c->w.match[i] + 1);
        wf_cwat_emit(c, s, SEC_CTYPE, b);
        wf_cwat_define(c, s, NS_CTYPE, idtok);
    } else if (wf_cwat_kw(c, kw, "alias")) {
        wf_cwat_alias(c, s, open, -1, 0);
    } else {
        wf_cwat_unexpected(c, kw);
    }
}

/* ---- Type uses, extern types, decls ------------------------------------ */

uint32_t wf_cwat_typeuse(cw *c, cw_scope *s, size_t key, size_t kw, size_t *pos, size_t end, bool core)
{
    size_t i = *pos;
    if (wf_cwat_lkw(c, i, "type") && c->w.match[i] + 1 == end) {
        size_t q = i + 2;
        uint32_t t = wf_cwat_ref(c, s, core ? NS_CTYPE : NS_TYPE, &q);
        wf_cwat_rparen(c, &q);
        *pos = q;
        return t;
    }
    *pos = end;
    if (c->mode == MODE_EXPAND) return prepend(c, s, key, kw, i, end, core);
    return c->inl[key];
}

void wf_cwat_externtype(cw *c, cw_scope *s, size_t *pos, wf_buf *out, int *nsout, size_t *idtok)
{
    size_t open = *pos;
    if (c->w.tok[open].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, open);
    size_t end = c->w.match[open];
    size_t i = open + 1;
    int ns = wf_cwat_parse_sort(c, &i);
    *idtok = 0;
    if (wf_cwat_is_id(c, i)) *idtok = i++;
    switch (ns) {
    case NS_CMODULE:
        wf_buf_byte(out, 0x00);
        wf_buf_byte(out, 0x11);
        wf_buf_u32leb(out, wf_cwat_typeuse(c, s, open, open + 2, &i, end, true));
        break;
    case NS_FUNC:
    case NS_COMPONENT:
    case NS_INSTANCE:
        wf_buf_byte(out, ns == NS_FUNC ? 0x01 : ns == NS_COMPONENT ? 0x04 : 0x05);
        wf_buf_u32leb(out, wf_cwat_typeuse(c, s, open, open + 1, &i, end, false));
        break;
    case NS_VALUE:
        wf_buf_byte(out, 0x02);
        if (wf_cwat_lkw(c, i, "eq")) {
            size_t q = i + 2;
            wf_buf_byte(out, 0x00);
            wf_buf_u32leb(out, wf_cwat_ref(c, s, NS_VALUE, &q));
            wf_cwat_rparen(c, &q);
            i = q;
        } else {
            wf_buf_byte(out, 0x01);
            wf_cwat_valtype(c, s, &i, out);
        }
        break;
    case NS_TYPE:
        wf_buf_byte(out, 0x03);
        if (wf_cwat_lkw(c, i, "eq")) {
            size_t q = i + 2;
            wf_buf_byte(out, 0x00);
            wf_buf_u32leb(out, wf_cwat_ref(c, s, NS_TYPE, &q));
            wf_cwat_rparen(c, &q);
            i = q;
        } else if (wf_cwat_lkw(c, i, "sub") && wf_cwat_kw(c, i + 2, "resource")) {
            size_t q = i + 3;
            wf_cwat_rparen(c, &q);
            wf_buf_byte(out, 0x01);
            i = q;
        } else {
            wf_cwat_unexpected(c, i);
        }
        break;
    default:
        wf_cwat_unexpected(c, open + 1);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    *nsout = ns;
    *pos = end + 1;
}

static void decl(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    size_t kw = open + 1;
    if (wf_cwat_kw(c, kw, "core") && wf_cwat_kw(c, kw + 1, "type")) {
        wf_cwat_type_field(c, s, open, true);
    } else if (wf_cwat_kw(c, kw, "type")) {
        wf_cwat_type_field(c, s, open, false);
    } else if (wf_cwat_kw(c, kw, "alias")) {
        if (c->mode == MODE_EMIT) wf_cwat_alias(c, s, open, -1, 0);
    } else if ((wf_cwat_kw(c, kw, "import") && s->kind == SC_CTYPE) || wf_cwat_kw(c, kw, "export")) {
        bool imp = wf_cwat_kw(c, kw, "import");
        size_t i = kw + 1;
        wf_buf *b = wf_wat_tbuf(&c->w);
        wf_cwat_nameattrs(c, &i, b);
        int ns;
        size_t idtok;
        wf_cwat_externtype(c, s, &i, b, &ns, &idtok);
        if (i != end) wf_cwat_unexpected(c, i);
        if (c->mode == MODE_EXPAND) return;
        wf_cwat_emit(c, s, imp ? SEC_IMPORT : SEC_EXPORT, b);
        wf_cwat_define(c, s, ns, idtok);
    } else {
        wf_cwat_unexpected(c, kw);
    }
}

/* (type $id? (export "n")* deftype) / (core type $id? coredeftype), also
 * the alias sugar (type $id (alias ...)). */
void wf_cwat_type_field(cw *c, cw_scope *s, size_t open, bool core)
{
    size_t end = c->w.match[open];
    size_t i = open + (core ? 3 : 2);
    size_t idtok = 0;
    if (wf_cwat_is_id(c, i)) idtok = i++;
    int ns = core ? NS_CTYPE : NS_TYPE;
    uint32_t myidx = s->count[ns];
    size_t exports = i;
    while (wf_cwat_lkw(c, i, "export")) i = c->w.match[i] + 1;
    if (wf_cwat_lkw(c, i, "alias")) {
        if (c->w.match[i] + 1 != end) wf_cwat_unexpected(c, c->w.match[i] + 1);
        if (c->mode == MODE_EMIT) wf_cwat_alias(c, s, i, ns, idtok);
        return;
    }
    wf_buf *b = wf_wat_tbuf(&c->w);
    size_t kw, body, bend;
    if (c->w.tok[i].kind == WF_TOK_LPAREN) {
        kw = i + 1;
        body = i + 2;
        bend = c->w.match[i];
        if (bend + 1 != end) wf_cwat_unexpected(c, bend + 1);
    } else {
        kw = i;
        body = i + 1;
        bend = body;
        if (body != end) wf_cwat_unexpected(c, body);
    }
    if (core) wf_cwat_core_deftype(c, s, kw, body, bend, b);
    else wf_cwat_deftype(c, s, kw, body, bend, idtok, b);
    if (c->mode == MODE_EXPAND) return;
    wf_cwat_emit(c, s, core ? SEC_CTYPE : SEC_TYPE, b);
    wf_cwat_define(c, s, ns, idtok);
    /* (export "n") sugar on a type: exports at the end of the component */
    for (size_t e = exports; wf_cwat_lkw(c, e, "export"); e = c->w.match[e] + 1) {
        size_t q = e + 2;
        wf_cwat_nameattrs(c, &q, &s->tail);
        if (q != c->w.match[e]) wf_cwat_unexpected(c, q);
        wf_cwat_sort(&s->tail, ns);
        wf_buf_u32leb(&s->tail, myidx);
        wf_buf_byte(&s->tail, 0x00);
        s->ntail++;
    }
}
