/*
 * wat.c - wf_wat_compile: the text format's module fields compiled to the
 * binary format. Owns the token array, index spaces and names, types and
 * type uses, and the sections. Instructions live in wat_instr.c.
 *
 * Two passes over the fields: the first gives every definition its index
 * (so names may be used before they are defined), encodes the explicit
 * types; the second emits the sections in text order.
 */
#include "base/utf8.h"
#include "wasm/wat.h"
#include "wasm/wat_int.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- Context, errors --------------------------------------------------- */

void wf_wat_fail(wat *w, size_t at, wf_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    int line = 0, col = 0;
    if (w->tok && at < w->ntok) {
        line = w->tok[at].line;
        col = w->tok[at].col;
    }
    w->err = wf_error_at_line(kind, line, col, "%s", msg ? msg : fmt);
    free(msg);
    longjmp(w->jb, 1);
}

wf_buf *wf_wat_tbuf(wat *w)
{
    if (w->ntbufs == w->captbufs) {
        w->captbufs = w->captbufs ? w->captbufs * 2 : 64;
        w->tbufs = wf_xrealloc(w->tbufs, w->captbufs * sizeof *w->tbufs);
    }
    wf_buf *b = wf_xcalloc(1, sizeof *b);
    w->tbufs[w->ntbufs++] = b;
    return b;
}

void *wf_wat_temp(wat *w, size_t n)
{
    return wf_arena_alloc(&w->temps, n);
}

void wf_wat_unexpected(wat *w, size_t at)
{
    if (w->tok[at].kind == WF_TOK_EOF) wat_malformed(w, at, "unexpected end");
    /* the reference parser reads a reserved token where it wants an
     * operator or a literal, and names it so */
    if (w->tok[at].kind == WF_TOK_RESERVED) wat_malformed(w, at, "unknown operator");
    wat_malformed(w, at, "unexpected token");
}

bool wf_wat_kw(wat *w, size_t i, const char *kw)
{
    return i < w->ntok && wf_wat_tok_is(&w->tok[i], kw);
}

bool wf_wat_lkw(wat *w, size_t i, const char *kw)
{
    return i + 1 < w->ntok && w->tok[i].kind == WF_TOK_LPAREN && wf_wat_tok_is(&w->tok[i + 1], kw);
}

void wf_wat_expect(wat *w, size_t *pos, wf_wat_tok_kind kind)
{
    if (w->tok[*pos].kind != kind) wf_wat_unexpected(w, *pos);
    (*pos)++;
}

void wf_wat_expect_rparen(wat *w, size_t *pos)
{
    wf_wat_expect(w, pos, WF_TOK_RPAREN);
}

/* ---- Names ------------------------------------------------------------- */

const char *wf_wat_id(wat *w, size_t i, size_t *len)
{
    wf_buf b = {0};
    wf_wat_id_name(&w->tok[i], &b);
    char *p = wf_wat_temp(w, b.len);
    if (b.len) memcpy(p, b.data, b.len);
    *len = b.len;
    wf_buf_free(&b);
    return p;
}

static const char *const space_name[SP_COUNT] = {
    "type", "function", "table", "memory", "global", "tag", "elem segment", "data segment",
};
static const char *const space_dup[SP_COUNT] = {
    "type", "func", "table", "memory", "global", "tag", "elem", "data",
};

/* Give the definition at tok[i] (an id, or not) the next index of space. */
static uint32_t define(wat *w, size_t i, int space)
{
    uint32_t idx = w->count[space]++;
    if (w->tok[i].kind == WF_TOK_ID) {
        size_t len;
        const char *n = wf_wat_id(w, i, &len);
        if (!wf_map_add_index(&w->names[space], n, len, idx))
            wat_malformed(w, i, "duplicate %s", space_dup[space]);
    }
    return idx;
}

bool wf_wat_is_index(wat *w, size_t i)
{
    return w->tok[i].kind == WF_TOK_ID ||
           (w->tok[i].kind == WF_TOK_NUMBER && wf_wat_is_int(w->tok[i].text, w->tok[i].len) &&
            w->tok[i].text[0] != '-' && w->tok[i].text[0] != '+');
}

uint32_t wf_wat_index(wat *w, size_t *pos, int space)
{
    size_t i = *pos;
    const wf_wat_token *t = &w->tok[i];
    uint32_t idx;
    if (t->kind == WF_TOK_ID) {
        size_t len;
        const char *n = wf_wat_id(w, i, &len);
        if (!wf_map_find_index(&w->names[space], n, len, &idx))
            wat_malformed(w, i, "unknown %s", space_name[space]);
    } else if (t->kind == WF_TOK_NUMBER && t->text[0] != '-' && t->text[0] != '+') {
        if (!wf_wat_num_u32(t->text, t->len, &idx)) {
            if (wf_wat_is_int(t->text, t->len)) wat_malformed(w, i, "constant out of range");
            wf_wat_unexpected(w, i);
        }
    } else {
        wf_wat_unexpected(w, i);
    }
    *pos = i + 1;
    return idx;
}

/* ---- Tokens ------------------------------------------------------------ */

void wf_wat_tokenize(wat *w, const char *src, size_t len)
{
    wf_wat_lexer lx;
    wf_wat_lex_init(&lx, src, len);
    size_t cap = 256, n = 0;
    w->tok = wf_xmalloc(cap * sizeof *w->tok);
    size_t *stack = NULL, sp = 0, scap = 0;
    for (;;) {
        if (n + 4 > cap) {
            cap *= 2;
            w->tok = wf_xrealloc(w->tok, cap * sizeof *w->tok);
        }
        wf_wat_token *t = &w->tok[n];
        wf_error *e = wf_wat_lex_next(&lx, t);
        if (e) {
            free(stack);
            w->err = e;
            longjmp(w->jb, 1);
        }
        if (t->kind == WF_TOK_EOF) break;
        n++;
    }
    /* padding so lookahead past the end always sees EOF */
    for (int k = 0; k < 4; k++) w->tok[n + k] = w->tok[n];
    w->ntok = n + 1;
    w->match = wf_xcalloc(n + 4, sizeof *w->match);
    for (size_t i = 0; i < n; i++) {
        if (w->tok[i].kind == WF_TOK_LPAREN) {
            if (sp == scap) {
                scap = scap ? scap * 2 : 64;
                stack = wf_xrealloc(stack, scap * sizeof *stack);
            }
            stack[sp++] = i;
        } else if (w->tok[i].kind == WF_TOK_RPAREN) {
            if (!sp) {
                free(stack);
                wat_malformed(w, i, "unexpected token");
            }
            w->match[stack[--sp]] = (uint32_t)i;
        }
    }
    free(stack);
    if (sp) wat_malformed(w, n, "unexpected end");
    if (n > UINT32_MAX - 8) wat_malformed(w, 0, "text too large");
}

/* ---- Types ------------------------------------------------------------- */

static const struct { const char *name; uint8_t code; } heap_kw[] = {
    { "func", 0x70 }, { "extern", 0x6F }, { "nofunc", 0x73 }, { "noextern", 0x72 },
    { "any", 0x6E }, { "eq", 0x6D }, { "i31", 0x6C }, { "struct", 0x6B },
    { "array", 0x6A }, { "none", 0x71 }, { "exn", 0x69 }, { "noexn", 0x74 },
};
static const struct { const char *name; uint8_t code; } val_kw[] = {
    { "i32", 0x7F }, { "i64", 0x7E }, { "f32", 0x7D }, { "f64", 0x7C },
    { "funcref", 0x70 }, { "externref", 0x6F }, { "nullfuncref", 0x73 },
    { "nullexternref", 0x72 }, { "anyref", 0x6E }, { "eqref", 0x6D },
    { "i31ref", 0x6C }, { "structref", 0x6B }, { "arrayref", 0x6A },
    { "nullref", 0x71 }, { "exnref", 0x69 }, { "nullexnref", 0x74 },
};

void wf_wat_heaptype(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (w->tok[i].kind == WF_TOK_KEYWORD) {
        for (size_t k = 0; k < WF_COUNT(heap_kw); k++)
            if (wf_wat_kw(w, i, heap_kw[k].name)) {
                wf_buf_byte(out, heap_kw[k].code);
                *pos = i + 1;
                return;
            }
        wf_wat_unexpected(w, i);
    }
    uint32_t idx = wf_wat_index(w, pos, SP_TYPE);
    wf_buf_s64leb(out, idx);
}

bool wf_wat_is_valtype(wat *w, size_t i)
{
    if (wf_wat_lkw(w, i, "ref")) return true;
    if (w->tok[i].kind != WF_TOK_KEYWORD) return false;
    if (wf_wat_kw(w, i, "v128")) return true;
    for (size_t k = 0; k < WF_COUNT(val_kw); k++)
        if (wf_wat_kw(w, i, val_kw[k].name)) return true;
    return false;
}

void wf_wat_valtype(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (wf_wat_lkw(w, i, "ref")) {
        i += 2;
        bool null = false;
        if (wf_wat_kw(w, i, "null")) {
            null = true;
            i++;
        }
        wf_buf_byte(out, null ? 0x63 : 0x64);
        wf_wat_heaptype(w, &i, out);
        wf_wat_expect_rparen(w, &i);
        *pos = i;
        return;
    }
    if (wf_wat_kw(w, i, "v128")) {
        wf_buf_byte(out, 0x7B);
        *pos = i + 1;
        return;
    }
    for (size_t k = 0; k < WF_COUNT(val_kw); k++)
        if (wf_wat_kw(w, i, val_kw[k].name)) {
            wf_buf_byte(out, val_kw[k].code);
            *pos = i + 1;
            return;
        }
    if (w->tok[i].kind == WF_TOK_KEYWORD)
        wat_malformed(w, i, "unknown operator %.*s", (int)w->tok[i].len, w->tok[i].text);
    wf_wat_unexpected(w, i);
}

static wat_type *new_type(wat *w)
{
    if (w->ntypes == w->captypes) {
        w->captypes = w->captypes ? w->captypes * 2 : 16;
        w->types = wf_xrealloc(w->types, w->captypes * sizeof *w->types);
    }
    wat_type *t = &w->types[w->ntypes++];
    memset(t, 0, sizeof *t);
    return t;
}

/* Parse (param ..)* (result ..)* at *pos into a signature 0x60 vec vec.
 * With locals, param ids are added to w->locals. */
static void parse_sig(wat *w, size_t *pos, bool locals, wf_buf *sig, uint32_t *np, uint32_t *nr)
{
    uint32_t nparams = 0, nresults = 0;
    size_t i = *pos;
    wf_buf *pb = wf_wat_tbuf(w), *rb = wf_wat_tbuf(w);
    while (wf_wat_lkw(w, i, "param")) {
        size_t open = i;
        i += 2;
        if (w->tok[i].kind == WF_TOK_ID) {
            size_t idt = i++;
            if (!locals) wf_wat_unexpected(w, idt);
            size_t len;
            const char *n = wf_wat_id(w, idt, &len);
            if (!wf_map_add_index(&w->locals, n, len, w->nlocals)) wat_malformed(w, idt, "duplicate local");
            w->nlocals++;
            wf_wat_valtype(w, &i, pb);
            nparams++;
        } else {
            while (w->tok[i].kind != WF_TOK_RPAREN) {
                wf_wat_valtype(w, &i, pb);
                nparams++;
                if (locals) w->nlocals++;
            }
        }
        if (i != w->match[open]) wf_wat_unexpected(w, i);
        i++;
    }
    while (wf_wat_lkw(w, i, "result")) {
        size_t open = i;
        i += 2;
        while (w->tok[i].kind != WF_TOK_RPAREN) {
            wf_wat_valtype(w, &i, rb);
            nresults++;
        }
        if (i != w->match[open]) wf_wat_unexpected(w, i);
        i++;
    }
    if (wf_wat_lkw(w, i, "param")) wf_wat_unexpected(w, i);
    wf_buf_byte(sig, 0x60);
    wf_buf_u32leb(sig, nparams);
    wf_buf_bytes(sig, pb->data, pb->len);
    wf_buf_u32leb(sig, nresults);
    wf_buf_bytes(sig, rb->data, rb->len);
    wf_buf_free(pb);
    wf_buf_free(rb);
    *pos = i;
    if (np) *np = nparams;
    if (nr) *nr = nresults;
}

static uint32_t find_or_add_type(wat *w, const wf_buf *sig, uint32_t nparams)
{
    for (size_t k = 0; k < w->ntypes; k++) {
        wat_type *t = &w->types[k];
        if (t->plain && t->sig.len == sig->len && !memcmp(t->sig.data, sig->data, sig->len))
            return (uint32_t)k;
    }
    wat_type *t = new_type(w);
    wf_buf_bytes(&t->sig, sig->data, sig->len);
    t->is_func = t->plain = true;
    t->nparams = nparams;
    wf_buf_bytes(&w->sec_type, sig->data, sig->len);
    w->ntype_entries++;
    return (uint32_t)(w->ntypes - 1);
}

uint32_t wf_wat_typeuse(wat *w, size_t *pos, bool locals, uint32_t *nparams)
{
    size_t i = *pos;
    bool explicit = false;
    uint32_t idx = 0;
    size_t at = i;
    if (wf_wat_lkw(w, i, "type")) {
        size_t open = i;
        i += 2;
        idx = wf_wat_index(w, &i, SP_TYPE);
        if (i != w->match[open]) wf_wat_unexpected(w, i);
        i++;
        explicit = true;
    }
    size_t sig_at = i;
    wf_buf *sig = wf_wat_tbuf(w);
    uint32_t np, nr;
    uint32_t locals_before = w->nlocals;
    parse_sig(w, &i, locals, sig, &np, &nr);
    bool inline_sig = i != sig_at;
    if (explicit) {
        if (idx < w->ntypes && w->types[idx].is_func) {
            wat_type *t = &w->types[idx];
            if (inline_sig && (t->sig.len != sig->len || memcmp(t->sig.data, sig->data, sig->len))) {
                wf_buf_free(sig);
                wat_malformed(w, at, "inline function type");
            }
            if (!inline_sig && locals) w->nlocals = locals_before + t->nparams;
            np = t->nparams;
        } else if (inline_sig) {
            wf_buf_free(sig);
            if (idx >= w->ntypes) wat_malformed(w, at + 2, "unknown type");
            wat_malformed(w, at, "inline function type");
        }
    } else {
        idx = find_or_add_type(w, sig, np);
    }
    wf_buf_free(sig);
    if (nparams) *nparams = np;
    *pos = i;
    return idx;
}

void wf_wat_blocktype(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (!wf_wat_lkw(w, i, "type") && !wf_wat_lkw(w, i, "param")) {
        if (!wf_wat_lkw(w, i, "result")) {
            wf_buf_byte(out, 0x40);
            return;
        }
        /* one result, no params: the value type itself */
        size_t j = i + 2;
        if (wf_wat_is_valtype(w, j)) {
            size_t k = j;
            wf_buf *tp = wf_wat_tbuf(w);
            wf_wat_valtype(w, &k, tp);
            if (w->tok[k].kind == WF_TOK_RPAREN && !wf_wat_lkw(w, k + 1, "result")) {
                wf_buf_bytes(out, tp->data, tp->len);
                wf_buf_free(tp);
                *pos = k + 1;
                return;
            }
            wf_buf_free(tp);
        } else if (w->tok[j].kind == WF_TOK_RPAREN && !wf_wat_lkw(w, j + 1, "result")) {
            wf_buf_byte(out, 0x40);
            *pos = j + 1;
            return;
        }
    }
    uint32_t idx = wf_wat_typeuse(w, pos, false, NULL);
    wf_buf_s64leb(out, idx);
}

/* ---- Module fields ----------------------------------------------------- */

typedef struct mod {
    wf_buf imports, funcs, tables, mems, tags, globals, exports, elems, code, datas, names;
    uint32_t nimports, nfuncs, ntables, nmems, ntags, nglobals, nexports, nelems, ndatas;
    uint32_t nnames;
    bool has_start;
    uint32_t start;
    int first_def;       /* space of the first definition, -1 none */
} mod;

static void check_import_order(wat *w, mod *m, size_t at)
{
    static const char *const what[SP_COUNT] = { "", "function", "table", "memory", "global", "tag", "", "" };
    if (m->first_def >= 0) wat_malformed(w, at, "import after %s", what[m->first_def]);
}

void wf_wat_name_string(wat *w, size_t i, wf_buf *out)
{
    if (w->tok[i].kind != WF_TOK_STRING) wf_wat_unexpected(w, i);
    wf_buf b = {0};
    wf_wat_string_decode(w->tok[i].text, w->tok[i].len, &b);
    bool ok = wf_utf8_valid(b.data, b.len);
    if (ok) wf_buf_name(out, (const char *)b.data, b.len);
    wf_buf_free(&b);
    if (!ok) wat_malformed(w, i, "malformed UTF-8 encoding");
}

/* Inline (export "n")* after a definition's id. */
static void inline_exports(wat *w, mod *m, size_t *pos, uint8_t kind, uint32_t idx)
{
    while (wf_wat_lkw(w, *pos, "export")) {
        size_t i = *pos + 2;
        wf_wat_name_string(w, i, &m->exports);
        wf_buf_byte(&m->exports, kind);
        wf_buf_u32leb(&m->exports, idx);
        m->nexports++;
        i++;
        wf_wat_expect_rparen(w, &i);
        *pos = i;
    }
}

/* Inline (import "m" "n"): true if present (emits module and field names). */
static bool inline_import(wat *w, mod *m, size_t *pos)
{
    if (!wf_wat_lkw(w, *pos, "import")) return false;
    size_t i = *pos + 2;
    check_import_order(w, m, *pos);
    wf_wat_name_string(w, i++, &m->imports);
    wf_wat_name_string(w, i++, &m->imports);
    wf_wat_expect_rparen(w, &i);
    *pos = i;
    m->nimports++;
    return true;
}

static void limits(wat *w, size_t *pos, wf_buf *out, bool mem)
{
    size_t i = *pos;
    bool is64 = wf_wat_kw(w, i, "i64");   /* memory64 / table64 */
    if (is64 || wf_wat_kw(w, i, "i32")) i++;
    /* limits are u64 in the binary format; the validator checks the range
     * ("memory size", "table size") */
    uint64_t min, max = 0;
    const wf_wat_token *t = &w->tok[i];
    if (t->kind != WF_TOK_NUMBER || !wf_wat_is_int(t->text, t->len)) wf_wat_unexpected(w, i);
    if (!wf_wat_num_u64(t->text, t->len, &min)) wat_malformed(w, i, "constant out of range");
    i++;
    bool has_max = false;
    t = &w->tok[i];
    if (t->kind == WF_TOK_NUMBER) {
        if (!wf_wat_num_u64(t->text, t->len, &max)) wat_malformed(w, i, "constant out of range");
        has_max = true;
        i++;
    }
    bool shared = false;
    if (mem && wf_wat_kw(w, i, "shared")) {
        shared = true;
        i++;
    } else if (mem && wf_wat_kw(w, i, "unshared")) {
        i++;
    }
    if (mem && wf_wat_lkw(w, i, "pagesize"))
        wf_wat_fail(w, i, WF_ERR_UNSUPPORTED, "custom page sizes are not supported");
    wf_buf_byte(out, (uint8_t)((has_max ? 1 : 0) | (shared ? 2 : 0) | (is64 ? 4 : 0)));
    wf_buf_u64leb(out, min);
    if (has_max) wf_buf_u64leb(out, max);
    *pos = i;
}

static void globaltype(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (wf_wat_lkw(w, i, "mut")) {
        size_t open = i;
        i += 2;
        wf_wat_valtype(w, &i, out);
        if (i != w->match[open]) wf_wat_unexpected(w, i);
        wf_buf_byte(out, 1);
        *pos = i + 1;
        return;
    }
    wf_wat_valtype(w, &i, out);
    wf_buf_byte(out, 0);
    *pos = i;
}

/* An element expression list item: (item instr*) or one folded instr. */
static void elem_exprs(wat *w, size_t *pos, size_t end, wf_buf *out, uint32_t *n)
{
    size_t i = *pos;
    while (i < end) {
        if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
        size_t close = w->match[i];
        if (wf_wat_kw(w, i + 1, "item")) {
            size_t j = i + 2;
            wf_wat_expr(w, &j, close, out);
        } else {
            size_t j = i;
            wf_wat_expr(w, &j, close + 1, out);
        }
        (*n)++;
        i = close + 1;
    }
    *pos = i;
}

static void func_indices(wat *w, size_t *pos, size_t end, wf_buf *out, uint32_t *n)
{
    size_t i = *pos;
    while (i < end) {
        uint32_t f = wf_wat_index(w, &i, SP_FUNC);
        wf_buf_u32leb(out, f);
        (*n)++;
    }
    *pos = i;
}

/* The element list of a segment, from *pos to end (a ")"): emits elemkind or
 * reftype (when with_kind), then the vector. Returns via *exprs whether it
 * is an expression list. The vector goes to a temp buffer first. */
static void elem_list(wat *w, size_t *pos, size_t end, wf_buf *head, wf_buf *body,
                      uint32_t *n, bool *exprs)
{
    size_t i = *pos;
    *n = 0;
    if (wf_wat_kw(w, i, "func")) {
        i++;
        *exprs = false;
        wf_buf_byte(head, 0x00);
        func_indices(w, &i, end, body, n);
    } else if (wf_wat_is_valtype(w, i)) {
        *exprs = true;
        wf_wat_valtype(w, &i, head);
        elem_exprs(w, &i, end, body, n);
    } else {
        /* legacy: bare function indices */
        *exprs = false;
        wf_buf_byte(head, 0x00);
        func_indices(w, &i, end, body, n);
    }
    *pos = i;
}

/* (offset instr*) or a single folded instruction: the offset expression. */
static bool offset_expr(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    if (wf_wat_lkw(w, i, "offset")) {
        size_t j = i + 2;
        wf_wat_expr(w, &j, w->match[i], out);
        *pos = w->match[i] + 1;
        return true;
    }
    if (w->tok[i].kind == WF_TOK_LPAREN && !wf_wat_lkw(w, i, "item") && !wf_wat_lkw(w, i, "ref")) {
        size_t j = i;
        wf_wat_expr(w, &j, w->match[i] + 1, out);
        *pos = w->match[i] + 1;
        return true;
    }
    return false;
}

static void field_elem(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    w->count[SP_ELEM]++;
    wf_buf *head = wf_wat_tbuf(w), *body = wf_wat_tbuf(w),
           *off = wf_wat_tbuf(w);
    uint32_t n;
    bool exprs;
    if (wf_wat_kw(w, i, "declare")) {
        i++;
        elem_list(w, &i, end, head, body, &n, &exprs);
        wf_buf_byte(&m->elems, exprs ? 7 : 3);
    } else {
        bool has_table = false;
        uint32_t table = 0;
        if (wf_wat_lkw(w, i, "table")) {
            size_t j = i + 2;
            table = wf_wat_index(w, &j, SP_TABLE);
            if (j != w->match[i]) wf_wat_unexpected(w, j);
            i = j + 1;
            has_table = true;
        } else if (wf_wat_is_index(w, i)) {
            table = wf_wat_index(w, &i, SP_TABLE);
            has_table = true;
        }
        if (offset_expr(w, &i, off)) {
            elem_list(w, &i, end, head, body, &n, &exprs);
            bool deftype = head->len == 1 && head->data[0] == (exprs ? 0x70 : 0x00);
            if (!has_table && deftype) { /* as wasm-tools: a written table stays explicit */
                wf_buf_byte(&m->elems, exprs ? 4 : 0);
                wf_buf_bytes(&m->elems, off->data, off->len);
            } else {
                wf_buf_byte(&m->elems, exprs ? 6 : 2);
                wf_buf_u32leb(&m->elems, table);
                wf_buf_bytes(&m->elems, off->data, off->len);
                wf_buf_bytes(&m->elems, head->data, head->len);
            }
            head->len = 0;
        } else {
            if (has_table) wf_wat_unexpected(w, i);
            elem_list(w, &i, end, head, body, &n, &exprs);
            wf_buf_byte(&m->elems, exprs ? 5 : 1);
        }
    }
    wf_buf_bytes(&m->elems, head->data, head->len);
    wf_buf_u32leb(&m->elems, n);
    wf_buf_bytes(&m->elems, body->data, body->len);
    m->nelems++;
    if (i != end) wf_wat_unexpected(w, i);
    wf_buf_free(head);
    wf_buf_free(body);
    wf_buf_free(off);
}

void wf_wat_strings(wat *w, size_t *pos, size_t end, wf_buf *out)
{
    size_t i = *pos;
    while (i < end) {
        if (w->tok[i].kind != WF_TOK_STRING) wf_wat_unexpected(w, i);
        wf_wat_string_decode(w->tok[i].text, w->tok[i].len, out);
        i++;
    }
    *pos = i;
}

static void field_data(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    w->count[SP_DATA]++;
    wf_buf *bytes = wf_wat_tbuf(w), *off = wf_wat_tbuf(w);
    bool has_mem = false;
    uint32_t mem = 0;
    if (wf_wat_lkw(w, i, "memory")) {
        size_t j = i + 2;
        mem = wf_wat_index(w, &j, SP_MEM);
        if (j != w->match[i]) wf_wat_unexpected(w, j);
        i = j + 1;
        has_mem = true;
    } else if (wf_wat_is_index(w, i)) {
        mem = wf_wat_index(w, &i, SP_MEM);
        has_mem = true;
    }
    if (offset_expr(w, &i, off)) {
        if (mem == 0) {
            wf_buf_byte(&m->datas, 0);
        } else {
            wf_buf_byte(&m->datas, 2);
            wf_buf_u32leb(&m->datas, mem);
        }
        wf_buf_bytes(&m->datas, off->data, off->len);
    } else {
        if (has_mem) wf_wat_unexpected(w, i);
        wf_buf_byte(&m->datas, 1);
    }
    wf_wat_strings(w, &i, end, bytes);
    wf_buf_u32leb(&m->datas, (uint32_t)bytes->len);
    wf_buf_bytes(&m->datas, bytes->data, bytes->len);
    m->ndatas++;
    wf_buf_free(bytes);
    wf_buf_free(off);
}

static void def_seen(mod *m, int space)
{
    if (m->first_def < 0) m->first_def = space;
}

static void add_func_name(wat *w, mod *m, size_t idtok, uint32_t idx)
{
    if (w->tok[idtok].kind != WF_TOK_ID) return;
    size_t len;
    const char *n = wf_wat_id(w, idtok, &len);
    wf_buf_u32leb(&m->names, idx);
    wf_buf_name(&m->names, n, len);
    m->nnames++;
}

static void field_func(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    size_t idtok = i;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    uint32_t idx = w->count[SP_FUNC]++;
    add_func_name(w, m, idtok, idx);
    inline_exports(w, m, &i, 0, idx);
    if (inline_import(w, m, &i)) {
        wf_buf_byte(&m->imports, 0);
        wf_buf_u32leb(&m->imports, wf_wat_typeuse(w, &i, false, NULL));
        if (i != end) wf_wat_unexpected(w, i);
        return;
    }
    def_seen(m, SP_FUNC);
    wf_map_clear(&w->locals);
    w->nlocals = 0;
    uint32_t type = wf_wat_typeuse(w, &i, true, NULL);
    wf_buf_u32leb(&m->funcs, type);
    m->nfuncs++;
    /* locals: runs of equal types */
    wf_buf *locals = wf_wat_tbuf(w), *body = wf_wat_tbuf(w),
           *cur = wf_wat_tbuf(w), *prev = wf_wat_tbuf(w);
    uint32_t nruns = 0, runlen = 0;
    while (wf_wat_lkw(w, i, "local")) {
        size_t lopen = i;
        i += 2;
        bool named = w->tok[i].kind == WF_TOK_ID;
        if (named) {
            size_t len;
            const char *n = wf_wat_id(w, i, &len);
            if (!wf_map_add_index(&w->locals, n, len, w->nlocals)) wat_malformed(w, i, "duplicate local");
            i++;
        }
        size_t count = 0;
        while (w->tok[i].kind != WF_TOK_RPAREN) {
            cur->len = 0;
            wf_wat_valtype(w, &i, cur);
            count++;
            w->nlocals++;
            if (runlen && cur->len == prev->len && !memcmp(cur->data, prev->data, cur->len)) {
                runlen++;
            } else {
                if (runlen) {
                    wf_buf_u32leb(locals, runlen);
                    wf_buf_bytes(locals, prev->data, prev->len);
                    nruns++;
                }
                prev->len = 0;
                wf_buf_bytes(prev, cur->data, cur->len);
                runlen = 1;
            }
        }
        if (named && count != 1) wf_wat_unexpected(w, i);
        if (i != w->match[lopen]) wf_wat_unexpected(w, i);
        i++;
    }
    if (runlen) {
        wf_buf_u32leb(locals, runlen);
        wf_buf_bytes(locals, prev->data, prev->len);
        nruns++;
    }
    wf_buf_u32leb(body, nruns);
    wf_buf_bytes(body, locals->data, locals->len);
    w->out = body;
    w->in_func = true;
    wf_wat_instrs(w, &i, end);
    w->in_func = false;
    wf_buf_byte(body, 0x0B);
    wf_buf_u32leb(&m->code, (uint32_t)body->len);
    wf_buf_bytes(&m->code, body->data, body->len);
    wf_buf_free(locals);
    wf_buf_free(body);
    wf_buf_free(cur);
    wf_buf_free(prev);
}

static void field_table(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    uint32_t idx = w->count[SP_TABLE]++;
    inline_exports(w, m, &i, 1, idx);
    if (inline_import(w, m, &i)) {
        wf_buf_byte(&m->imports, 1);
        size_t j = i;
        wf_buf *tt = wf_wat_tbuf(w);
        limits(w, &j, tt, false);
        wf_wat_valtype(w, &j, &m->imports);
        wf_buf_bytes(&m->imports, tt->data, tt->len);
        wf_buf_free(tt);
        if (j != end) wf_wat_unexpected(w, j);
        return;
    }
    def_seen(m, SP_TABLE);
    m->ntables++;
    /* [i32|i64] reftype (elem ...): the abbreviation; else limits */
    size_t r = wf_wat_kw(w, i, "i32") || wf_wat_kw(w, i, "i64") ? i + 1 : i;
    bool abbrev = w->tok[r].kind != WF_TOK_NUMBER && wf_wat_is_valtype(w, r);
    bool t64 = abbrev && wf_wat_kw(w, i, "i64");
    if (abbrev) {
        i = r;
        /* reftype (elem ...) */
        wf_buf *rt = wf_wat_tbuf(w), *body = wf_wat_tbuf(w);
        wf_wat_valtype(w, &i, rt);
        if (!wf_wat_lkw(w, i, "elem")) wf_wat_unexpected(w, i);
        size_t eopen = i, eend = w->match[i];
        i += 2;
        uint32_t n = 0;
        bool exprs = w->tok[i].kind == WF_TOK_LPAREN;
        if (exprs) {
            elem_exprs(w, &i, eend, body, &n);
        } else if (!(rt->len == 1 && rt->data[0] == 0x70)) {
            /* indices into a table of another reference type: ref.func
             * expressions typed as the table */
            exprs = true;
            while (i < eend) {
                wf_buf_byte(body, 0xD2);
                wf_buf_u32leb(body, wf_wat_index(w, &i, SP_FUNC));
                wf_buf_byte(body, 0x0B);
                n++;
            }
        } else {
            func_indices(w, &i, eend, body, &n);
        }
        (void)eopen;
        i = eend + 1;
        wf_buf_bytes(&m->tables, rt->data, rt->len);
        wf_buf_byte(&m->tables, t64 ? 5 : 1);
        wf_buf_u32leb(&m->tables, n);
        wf_buf_u32leb(&m->tables, n);
        /* the active segment at offset 0 */
        w->count[SP_ELEM]++;
        bool deftype = rt->len == 1 && rt->data[0] == 0x70;
        if (!exprs) {
            if (idx == 0) wf_buf_byte(&m->elems, 0);
            else { wf_buf_byte(&m->elems, 2); wf_buf_u32leb(&m->elems, idx); }
        } else if (idx == 0 && deftype) {
            wf_buf_byte(&m->elems, 4);
        } else {
            wf_buf_byte(&m->elems, 6);
            wf_buf_u32leb(&m->elems, idx);
        }
        /* offset 0 of the table's index type */
        wf_buf_bytes(&m->elems, (const uint8_t[]){ t64 ? 0x42 : 0x41, 0x00, 0x0B }, 3);
        if (!exprs && idx != 0) wf_buf_byte(&m->elems, 0x00);
        if (exprs && !(idx == 0 && deftype)) wf_buf_bytes(&m->elems, rt->data, rt->len);
        wf_buf_u32leb(&m->elems, n);
        wf_buf_bytes(&m->elems, body->data, body->len);
        m->nelems++;
        wf_buf_free(rt);
        wf_buf_free(body);
    } else {
        wf_buf *tt = wf_wat_tbuf(w), *rt = wf_wat_tbuf(w);
        limits(w, &i, tt, false);
        wf_wat_valtype(w, &i, rt);
        if (i != end) {
            /* an init expression */
            wf_buf_byte(&m->tables, 0x40);
            wf_buf_byte(&m->tables, 0x00);
            wf_buf_bytes(&m->tables, rt->data, rt->len);
            wf_buf_bytes(&m->tables, tt->data, tt->len);
            wf_wat_expr(w, &i, end, &m->tables);
        } else {
            wf_buf_bytes(&m->tables, rt->data, rt->len);
            wf_buf_bytes(&m->tables, tt->data, tt->len);
        }
        wf_buf_free(tt);
        wf_buf_free(rt);
    }
    if (i != end) wf_wat_unexpected(w, i);
}

static void field_memory(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    uint32_t idx = w->count[SP_MEM]++;
    inline_exports(w, m, &i, 2, idx);
    if (inline_import(w, m, &i)) {
        wf_buf_byte(&m->imports, 2);
        limits(w, &i, &m->imports, true);
        if (i != end) wf_wat_unexpected(w, i);
        return;
    }
    def_seen(m, SP_MEM);
    m->nmems++;
    bool m64 = wf_wat_kw(w, i, "i64") && wf_wat_lkw(w, i + 1, "data");
    if ((m64 || wf_wat_kw(w, i, "i32")) && wf_wat_lkw(w, i + 1, "data")) i++;
    if (wf_wat_lkw(w, i, "data")) {
        size_t dend = w->match[i];
        i += 2;
        wf_buf *bytes = wf_wat_tbuf(w);
        wf_wat_strings(w, &i, dend, bytes);
        i = dend + 1;
        uint64_t pages = (bytes->len + 65535) / 65536;
        wf_buf_byte(&m->mems, m64 ? 5 : 1);
        wf_buf_u32leb(&m->mems, (uint32_t)pages);
        wf_buf_u32leb(&m->mems, (uint32_t)pages);
        w->count[SP_DATA]++;
        if (idx == 0) {
            wf_buf_byte(&m->datas, 0);
        } else {
            wf_buf_byte(&m->datas, 2);
            wf_buf_u32leb(&m->datas, idx);
        }
        /* offset 0 of the memory's address type */
        wf_buf_bytes(&m->datas, (const uint8_t[]){ m64 ? 0x42 : 0x41, 0x00, 0x0B }, 3);
        wf_buf_u32leb(&m->datas, (uint32_t)bytes->len);
        wf_buf_bytes(&m->datas, bytes->data, bytes->len);
        m->ndatas++;
        wf_buf_free(bytes);
    } else {
        limits(w, &i, &m->mems, true);
    }
    if (i != end) wf_wat_unexpected(w, i);
}

static void field_global(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    uint32_t idx = w->count[SP_GLOBAL]++;
    inline_exports(w, m, &i, 3, idx);
    if (inline_import(w, m, &i)) {
        wf_buf_byte(&m->imports, 3);
        globaltype(w, &i, &m->imports);
        if (i != end) wf_wat_unexpected(w, i);
        return;
    }
    def_seen(m, SP_GLOBAL);
    m->nglobals++;
    globaltype(w, &i, &m->globals);
    wf_wat_expr(w, &i, end, &m->globals);
}

static void field_tag(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    uint32_t idx = w->count[SP_TAG]++;
    inline_exports(w, m, &i, 4, idx);
    wf_buf *dst;
    if (inline_import(w, m, &i)) {
        wf_buf_byte(&m->imports, 4);
        dst = &m->imports;
    } else {
        def_seen(m, SP_TAG);
        m->ntags++;
        dst = &m->tags;
    }
    wf_buf_byte(dst, 0);
    wf_buf_u32leb(dst, wf_wat_typeuse(w, &i, false, NULL));
    if (i != end) wf_wat_unexpected(w, i);
}

static void field_import(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    check_import_order(w, m, open);
    wf_wat_name_string(w, i++, &m->imports);
    wf_wat_name_string(w, i++, &m->imports);
    m->nimports++;
    if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
    size_t dopen = i, dend = w->match[i];
    i += 2;
    size_t idtok = i;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    if (wf_wat_kw(w, dopen + 1, "func")) {
        uint32_t idx = w->count[SP_FUNC]++;
        add_func_name(w, m, idtok, idx);
        wf_buf_byte(&m->imports, 0);
        wf_buf_u32leb(&m->imports, wf_wat_typeuse(w, &i, false, NULL));
    } else if (wf_wat_kw(w, dopen + 1, "table")) {
        w->count[SP_TABLE]++;
        wf_buf_byte(&m->imports, 1);
        wf_buf *tt = wf_wat_tbuf(w);
        limits(w, &i, tt, false);
        wf_wat_valtype(w, &i, &m->imports);
        wf_buf_bytes(&m->imports, tt->data, tt->len);
        wf_buf_free(tt);
    } else if (wf_wat_kw(w, dopen + 1, "memory")) {
        w->count[SP_MEM]++;
        wf_buf_byte(&m->imports, 2);
        limits(w, &i, &m->imports, true);
    } else if (wf_wat_kw(w, dopen + 1, "global")) {
        w->count[SP_GLOBAL]++;
        wf_buf_byte(&m->imports, 3);
        globaltype(w, &i, &m->imports);
    } else if (wf_wat_kw(w, dopen + 1, "tag")) {
        w->count[SP_TAG]++;
        wf_buf_byte(&m->imports, 4);
        wf_buf_byte(&m->imports, 0);
        wf_buf_u32leb(&m->imports, wf_wat_typeuse(w, &i, false, NULL));
    } else {
        wf_wat_unexpected(w, dopen + 1);
    }
    if (i != dend) wf_wat_unexpected(w, i);
    i++;
    if (i != end) wf_wat_unexpected(w, i);
}

static void field_export(wat *w, mod *m, size_t open)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    wf_wat_name_string(w, i++, &m->exports);
    if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
    size_t dend = w->match[i];
    static const char *const kinds[] = { "func", "table", "memory", "global", "tag" };
    static const int spaces[] = { SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_TAG };
    size_t k;
    for (k = 0; k < 5; k++)
        if (wf_wat_kw(w, i + 1, kinds[k])) break;
    if (k == 5) wf_wat_unexpected(w, i + 1);
    i += 2;
    uint32_t idx = wf_wat_index(w, &i, spaces[k]);
    if (i != dend) wf_wat_unexpected(w, i);
    wf_buf_byte(&m->exports, (uint8_t)k);
    wf_buf_u32leb(&m->exports, idx);
    m->nexports++;
    i++;
    if (i != end) wf_wat_unexpected(w, i);
}

static void field_start(wat *w, mod *m, size_t open)
{
    size_t i = open + 2;
    if (m->has_start) wat_malformed(w, open, "multiple start sections");
    m->start = wf_wat_index(w, &i, SP_FUNC);
    m->has_start = true;
    if (i != w->match[open]) wf_wat_unexpected(w, i);
}

/* ---- Pass 1: indices and names; explicit types ------------------------ */

static int field_space(wat *w, size_t kw)
{
    static const char *const kws[] = { "func", "table", "memory", "global", "tag" };
    static const int sp[] = { SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_TAG };
    for (int k = 0; k < 5; k++)
        if (wf_wat_kw(w, kw, kws[k])) return sp[k];
    return -1;
}

/* A field's storage type at *pos: i8, i16 or a value type, optionally
 * (mut ...): its encoding and the mutability byte. */
static void fieldtype(wat *w, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    bool mut = false;
    size_t close = 0;
    if (wf_wat_lkw(w, i, "mut")) {
        mut = true;
        close = w->match[i];
        i += 2;
    }
    if (wf_wat_kw(w, i, "i8")) {
        wf_buf_byte(out, 0x78);
        i++;
    } else if (wf_wat_kw(w, i, "i16")) {
        wf_buf_byte(out, 0x77);
        i++;
    } else {
        wf_wat_valtype(w, &i, out);
    }
    if (mut) {
        if (i != close) wf_wat_unexpected(w, i);
        i++;
    }
    wf_buf_byte(out, mut ? 1 : 0);
    *pos = i;
}

/* (struct (field $name? st*)*) or (array st) at open: t->sig, and the
 * struct's field names. */
static void struct_or_array(wat *w, size_t open, wat_type *t)
{
    size_t end = w->match[open], i = open + 2;
    if (wf_wat_kw(w, open + 1, "array")) {
        wf_buf_byte(&t->sig, 0x5E);
        if (wf_wat_lkw(w, i, "field")) {     /* (array (field st)) */
            size_t close = w->match[i];
            i += 2;
            fieldtype(w, &i, &t->sig);
            if (i != close) wf_wat_unexpected(w, i);
            i++;
        } else {
            fieldtype(w, &i, &t->sig);
        }
        if (i != end) wf_wat_unexpected(w, i);
        return;
    }
    wf_buf *fields = wf_wat_tbuf(w);
    uint32_t n = 0;
    while (wf_wat_lkw(w, i, "field")) {
        size_t close = w->match[i];
        i += 2;
        if (w->tok[i].kind == WF_TOK_ID) {
            size_t len;
            const char *name = wf_wat_id(w, i, &len);
            if (!wf_map_add_index(&t->fields, name, len, n)) wat_malformed(w, i, "duplicate field");
            i++;
            fieldtype(w, &i, fields);
            n++;
        } else {
            while (i < close) {
                fieldtype(w, &i, fields);
                n++;
            }
        }
        if (i != close) wf_wat_unexpected(w, i);
        i = close + 1;
    }
    if (i != end) wf_wat_unexpected(w, i);
    wf_buf_byte(&t->sig, 0x5F);
    wf_buf_u32leb(&t->sig, n);
    wf_buf_bytes(&t->sig, fields->data, fields->len);
    wf_buf_free(fields);
}

uint32_t wf_wat_field_index(wat *w, size_t *pos, uint32_t type)
{
    size_t i = *pos;
    uint32_t idx = 0;
    if (w->tok[i].kind == WF_TOK_ID) {
        size_t len;
        const char *n = wf_wat_id(w, i, &len);
        if (type >= w->ntypes || !wf_map_find_index(&w->types[type].fields, n, len, &idx))
            wat_malformed(w, i, "unknown field");
        *pos = i + 1;
        return idx;
    }
    const wf_wat_token *t = &w->tok[i];
    if (t->kind != WF_TOK_NUMBER || !wf_wat_num_u32(t->text, t->len, &idx)) wf_wat_unexpected(w, i);
    *pos = i + 1;
    return idx;
}

/* One (type ...) definition in a rec group: encode its subtype. */
static void type_def(wat *w, size_t open, bool in_group)
{
    size_t end = w->match[open];
    size_t i = open + 2;
    if (w->tok[i].kind == WF_TOK_ID) i++;
    wat_type *t = new_type(w);
    size_t tindex = w->ntypes - 1;
    if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
    size_t copen = i, sub_open = i;
    bool sub = false, final = true;
    wf_buf *supers = wf_wat_tbuf(w);
    uint32_t nsupers = 0;
    if (wf_wat_kw(w, i + 1, "sub")) {
        sub = true;
        final = false;
        i += 2;
        if (wf_wat_kw(w, i, "final")) {
            final = true;
            i++;
        }
        while (wf_wat_is_index(w, i)) {
            wf_buf_u32leb(supers, wf_wat_index(w, &i, SP_TYPE));
            nsupers++;
        }
        if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
        copen = i;
    }
    size_t cend = w->match[copen];
    if (wf_wat_kw(w, copen + 1, "cont"))
        wf_wat_fail(w, copen + 1, WF_ERR_UNSUPPORTED, "continuation types are not supported");
    if (wf_wat_kw(w, copen + 1, "struct") || wf_wat_kw(w, copen + 1, "array")) {
        struct_or_array(w, copen, &w->types[tindex]);
        t = &w->types[tindex];
        t->plain = final && nsupers == 0 && !in_group;
        i = cend + 1;
        goto encode;
    }
    if (!wf_wat_kw(w, copen + 1, "func")) wf_wat_unexpected(w, copen + 1);
    size_t j = copen + 2;
    if (w->tok[j].kind == WF_TOK_ID) j++;
    /* param names in a type definition are allowed and ignored */
    wf_map saved = w->locals;
    uint32_t saved_n = w->nlocals;
    memset(&w->locals, 0, sizeof w->locals);
    wat_type *tt = &w->types[tindex];
    uint32_t np;
    parse_sig(w, &j, true, &tt->sig, &np, NULL);
    wf_map_free(&w->locals);
    w->locals = saved;
    w->nlocals = saved_n;
    t = &w->types[tindex];
    t->is_func = true;
    t->nparams = np;
    t->plain = final && nsupers == 0 && !in_group;
    if (j != cend) wf_wat_unexpected(w, j);
    i = cend + 1;
encode:
    if (sub) {
        if (i != w->match[sub_open]) wf_wat_unexpected(w, i);
        i++;
        wf_buf_byte(&w->sec_type, final ? 0x4F : 0x50);
        wf_buf_u32leb(&w->sec_type, nsupers);
        wf_buf_bytes(&w->sec_type, supers->data, supers->len);
    }
    if (i != end) wf_wat_unexpected(w, i);
    wf_buf_bytes(&w->sec_type, t->sig.data, t->sig.len);
    wf_buf_free(supers);
}

static void collect(wat *w, size_t start, size_t stop, mod *m)
{
    (void)m;
    for (size_t i = start; i < stop; i = w->match[i] + 1) {
        if (w->tok[i].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, i);
        size_t kw = i + 1;
        int sp = field_space(w, kw);
        if (sp >= 0) {
            define(w, kw + 1, sp);
            /* inline elem / data segments take the next segment index */
            size_t j = kw + 1;
            if (w->tok[j].kind == WF_TOK_ID) j++;
            while (wf_wat_lkw(w, j, "export")) j = w->match[j] + 1;
            if (sp == SP_TABLE && !wf_wat_lkw(w, j, "import")) {
                if (wf_wat_kw(w, j, "i32") || wf_wat_kw(w, j, "i64")) j++;
                if (wf_wat_is_valtype(w, j)) {
                    j = wf_wat_lkw(w, j, "ref") ? w->match[j] + 1 : j + 1;
                    if (wf_wat_lkw(w, j, "elem")) w->count[SP_ELEM]++;
                }
            }
            if (sp == SP_MEM) {
                if (wf_wat_kw(w, j, "i32") || wf_wat_kw(w, j, "i64")) j++;
                if (wf_wat_lkw(w, j, "data")) w->count[SP_DATA]++;
            }
        } else if (wf_wat_kw(w, kw, "import")) {
            size_t d = kw + 3;
            if (w->tok[d].kind != WF_TOK_LPAREN) wf_wat_unexpected(w, d);
            int dsp = field_space(w, d + 1);
            if (dsp < 0) wf_wat_unexpected(w, d + 1);
            define(w, d + 2, dsp);
        } else if (wf_wat_kw(w, kw, "type")) {
            define(w, kw + 1, SP_TYPE);
        } else if (wf_wat_kw(w, kw, "rec")) {
            for (size_t j = kw + 1; j < w->match[i]; j = w->match[j] + 1) {
                if (!wf_wat_lkw(w, j, "type")) wf_wat_unexpected(w, j);
                define(w, j + 2, SP_TYPE);
            }
        } else if (wf_wat_kw(w, kw, "elem")) {
            define(w, kw + 1, SP_ELEM);
        } else if (wf_wat_kw(w, kw, "data")) {
            define(w, kw + 1, SP_DATA);
        } else if (wf_wat_kw(w, kw, "export") || wf_wat_kw(w, kw, "start")) {
        } else {
            wf_wat_unexpected(w, kw);
        }
    }
    /* the explicit types, in order */
    for (size_t i = start; i < stop; i = w->match[i] + 1) {
        size_t kw = i + 1;
        if (wf_wat_kw(w, kw, "type")) {
            type_def(w, i, false);
            w->ntype_entries++;
        } else if (wf_wat_kw(w, kw, "rec")) {
            size_t n = 0;
            for (size_t j = kw + 1; j < w->match[i]; j = w->match[j] + 1) n++;
            wf_buf_byte(&w->sec_type, 0x4E);
            wf_buf_u32leb(&w->sec_type, (uint32_t)n);
            for (size_t j = kw + 1; j < w->match[i]; j = w->match[j] + 1) type_def(w, j, n != 1);
            w->ntype_entries++;
        }
    }
    memset(w->count, 0, sizeof w->count);
}

/* ---- Emitting ---------------------------------------------------------- */

static void section(wf_buf *out, uint8_t id, uint32_t count, const wf_buf *body, bool always)
{
    if (!count && !always) return;
    wf_buf_byte(out, id);
    wf_buf tmp = {0};
    wf_buf_u32leb(&tmp, count);
    wf_buf_u32leb(out, (uint32_t)(tmp.len + body->len));
    wf_buf_bytes(out, tmp.data, tmp.len);
    wf_buf_bytes(out, body->data, body->len);
    wf_buf_free(&tmp);
}

static void mod_free(mod *m)
{
    wf_buf *bufs[] = { &m->imports, &m->funcs, &m->tables, &m->mems, &m->tags, &m->globals,
                       &m->exports, &m->elems, &m->code, &m->datas, &m->names };
    for (size_t k = 0; k < WF_COUNT(bufs); k++) wf_buf_free(bufs[k]);
}

static void compile_fields(wat *w, size_t start, size_t stop, wf_buf *out, mod *m)
{
    collect(w, start, stop, m);
    for (size_t i = start; i < stop; i = w->match[i] + 1) {
        size_t kw = i + 1;
        if (wf_wat_kw(w, kw, "func")) field_func(w, m, i);
        else if (wf_wat_kw(w, kw, "table")) field_table(w, m, i);
        else if (wf_wat_kw(w, kw, "memory")) field_memory(w, m, i);
        else if (wf_wat_kw(w, kw, "global")) field_global(w, m, i);
        else if (wf_wat_kw(w, kw, "tag")) field_tag(w, m, i);
        else if (wf_wat_kw(w, kw, "import")) field_import(w, m, i);
        else if (wf_wat_kw(w, kw, "export")) field_export(w, m, i);
        else if (wf_wat_kw(w, kw, "start")) field_start(w, m, i);
        else if (wf_wat_kw(w, kw, "elem")) field_elem(w, m, i);
        else if (wf_wat_kw(w, kw, "data")) field_data(w, m, i);
    }
    static const uint8_t header[] = { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    wf_buf_bytes(out, header, sizeof header);
    section(out, 1, w->ntype_entries, &w->sec_type, false);
    section(out, 2, m->nimports, &m->imports, false);
    section(out, 3, m->nfuncs, &m->funcs, false);
    section(out, 4, m->ntables, &m->tables, false);
    section(out, 5, m->nmems, &m->mems, false);
    section(out, 13, m->ntags, &m->tags, false);
    section(out, 6, m->nglobals, &m->globals, false);
    section(out, 7, m->nexports, &m->exports, false);
    if (m->has_start) {
        wf_buf_byte(out, 8);
        wf_buf tmp = {0};
        wf_buf_u32leb(&tmp, m->start);
        wf_buf_u32leb(out, (uint32_t)tmp.len);
        wf_buf_bytes(out, tmp.data, tmp.len);
        wf_buf_free(&tmp);
    }
    section(out, 9, m->nelems, &m->elems, false);
    /* only when an instruction needs it, as wasm-tools does, so that text
     * modules encode to the same bytes */
    if (w->uses_datacount) {
        wf_buf_byte(out, 12);
        wf_buf tmp = {0};
        wf_buf_u32leb(&tmp, m->ndatas);
        wf_buf_u32leb(out, (uint32_t)tmp.len);
        wf_buf_bytes(out, tmp.data, tmp.len);
        wf_buf_free(&tmp);
    }
    section(out, 10, m->nfuncs, &m->code, false);
    section(out, 11, m->ndatas, &m->datas, false);
    if (m->nnames) {
        /* custom "name" section, function names only */
        wf_buf body = {0}, sub = {0};
        wf_buf_name(&body, "name", 4);
        wf_buf_u32leb(&sub, m->nnames);
        wf_buf_bytes(&sub, m->names.data, m->names.len);
        wf_buf_byte(&body, 1);
        wf_buf_u32leb(&body, (uint32_t)sub.len);
        wf_buf_bytes(&body, sub.data, sub.len);
        wf_buf_byte(out, 0);
        wf_buf_u32leb(out, (uint32_t)body.len);
        wf_buf_bytes(out, body.data, body.len);
        wf_buf_free(&body);
        wf_buf_free(&sub);
    }
}

/* ---- Entry ------------------------------------------------------------- */

void wf_wat_ctx_free(wat *w)
{
    free(w->tok);
    free(w->match);
    for (int k = 0; k < SP_COUNT; k++) wf_map_free(&w->names[k]);
    wf_map_free(&w->locals);
    for (size_t k = 0; k < w->ntypes; k++) {
        wf_buf_free(&w->types[k].sig);
        wf_map_free(&w->types[k].fields);
    }
    free(w->types);
    wf_buf_free(&w->sec_type);
    wf_wat_instr_free(w);
    wf_arena_free(&w->temps);
    for (size_t k = 0; k < w->ntbufs; k++) {
        wf_buf_free(w->tbufs[k]);
        free(w->tbufs[k]);
    }
    free(w->tbufs);
}

/* Compile text; quote_ok allows (module quote ...). */
static wf_error *compile(const char *text, size_t len, wf_buf *out, bool quote_ok);

static void compile_module(wat *w, wf_buf *out, bool quote_ok, mod *m)
{
    size_t start = 0, stop = w->ntok - 1;
    if (wf_wat_lkw(w, 0, "module")) {
        if (w->match[0] != w->ntok - 2) wf_wat_unexpected(w, w->match[0] + 1);
        start = 2;
        stop = w->match[0];
        /* a .wast module definition reads as the module */
        if (wf_wat_kw(w, start, "definition")) start++;
        if (w->tok[start].kind == WF_TOK_ID) start++;
        if (wf_wat_kw(w, start, "binary") || (wf_wat_kw(w, start, "quote"))) {
            bool quote = wf_wat_kw(w, start, "quote");
            wf_buf *bytes = wf_wat_tbuf(w);
            size_t i = start + 1;
            wf_wat_strings(w, &i, stop, bytes);
            if (!quote) {
                wf_buf_bytes(out, bytes->data, bytes->len);
                wf_buf_free(bytes);
                return;
            }
            if (!quote_ok) {
                wf_buf_free(bytes);
                wf_wat_unexpected(w, start);
            }
            wf_error *e = compile((const char *)bytes->data, bytes->len, out, false);
            wf_buf_free(bytes);
            if (e) {
                w->err = e;
                longjmp(w->jb, 1);
            }
            return;
        }
    }
    compile_fields(w, start, stop, out, m);
}

static wf_error *compile(const char *text, size_t len, wf_buf *out, bool quote_ok)
{
    wat *w = wf_xcalloc(1, sizeof *w);
    mod *m = wf_xcalloc(1, sizeof *m);
    m->first_def = -1;
    w->src = text;
    w->srclen = len;
    size_t out_len = out->len;
    wf_error *err = NULL;
    if (setjmp(w->jb) == 0) {
        wf_wat_tokenize(w, text, len);
        compile_module(w, out, quote_ok, m);
    } else {
        err = w->err;
        out->len = out_len;
    }
    mod_free(m);
    free(m);
    wf_wat_ctx_free(w);
    free(w);
    return err;
}

wf_error *wf_wat_compile(const char *text, size_t len, wf_buf *out)
{
    return compile(text, len, out, true);
}
