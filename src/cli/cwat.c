/*
 * cwat.c - wf_cwat_compile: component text to component binary. Owns the
 * scopes and their names, the section emitter, aliases (explicit, inline
 * export aliases and the outer aliases made for references to enclosing
 * scopes), and every component field except types (cwat_type.c).
 *
 * Errors leave by longjmp (as in the core text compiler, wat_int.h), so
 * scratch buffers come from wf_wat_tbuf: the context frees them whatever the
 * exit; freeing one early only returns its bytes sooner.
 */
#include "cli/cwat.h"
#include "cli/cwat_int.h"
#include "wasm/wat.h"

#include <stdio.h>

/* ---- Tokens ------------------------------------------------------------ */

void wf_cwat_unexpected(cw *c, size_t at)
{
    wf_wat_unexpected(&c->w, at);
}

void wf_cwat_rparen(cw *c, size_t *pos)
{
    wf_wat_expect_rparen(&c->w, pos);
}

bool wf_cwat_kw(cw *c, size_t i, const char *kw)
{
    return wf_wat_kw(&c->w, i, kw);
}

bool wf_cwat_lkw(cw *c, size_t i, const char *kw)
{
    return wf_wat_lkw(&c->w, i, kw);
}

bool wf_cwat_is_id(cw *c, size_t i)
{
    return c->w.tok[i].kind == WF_TOK_ID;
}

void wf_cwat_name(cw *c, size_t *pos, wf_buf *out)
{
    wf_wat_name_string(&c->w, *pos, out);
    (*pos)++;
}

uint32_t wf_cwat_u32(cw *c, size_t *pos)
{
    const wf_wat_token *t = &c->w.tok[*pos];
    uint32_t v;
    if (t->kind != WF_TOK_NUMBER || t->text[0] == '+' || t->text[0] == '-' ||
        !wf_wat_num_u32(t->text, t->len, &v))
        wf_cwat_unexpected(c, *pos);
    (*pos)++;
    return v;
}

/* ---- Scopes, names ----------------------------------------------------- */

static const char *const ns_name[NS_COUNT] = {
    "core func", "core table", "core memory", "core global", "core tag", "core type",
    "core module", "core instance", "func", "value", "type", "component", "instance",
};

cw_scope *wf_cwat_scope_new(cw *c, cw_scope *up, int kind, size_t idtok)
{
    cw_scope *s = wf_wat_temp(&c->w, sizeof *s);
    if (c->nscopes == c->capscopes) {
        c->capscopes = c->capscopes ? c->capscopes * 2 : 16;
        c->scopes = wf_xrealloc(c->scopes, c->capscopes * sizeof *c->scopes);
    }
    c->scopes[c->nscopes++] = s;
    memset(s, 0, sizeof *s);
    s->up = up;
    s->kind = kind;
    s->idtok = idtok;
    s->cur = -1;
    return s;
}

void wf_cwat_scope_free(cw_scope *s)
{
    for (int k = 0; k < NS_COUNT; k++) wf_map_free(&s->names[k]);
    wf_buf_free(&s->body);
    wf_buf_free(&s->sec);
    wf_buf_free(&s->tail);
    memset(s, 0, sizeof *s);
}

uint32_t wf_cwat_define(cw *c, cw_scope *s, int ns, size_t idtok)
{
    uint32_t idx = s->count[ns]++;
    if (idtok && wf_cwat_is_id(c, idtok)) {
        size_t len;
        const char *n = wf_wat_id(&c->w, idtok, &len);
        if (!wf_map_add_index(&s->names[ns], n, len, idx))
            wat_malformed(&c->w, idtok, "duplicate %s identifier", ns_name[ns]);
    }
    return idx;
}

static bool scope_find(cw *c, cw_scope *s, int ns, size_t tok, uint32_t *idx)
{
    size_t len;
    const char *n = wf_wat_id(&c->w, tok, &len);
    return wf_map_find_index(&s->names[ns], n, len, idx);
}

/* An index at *pos resolved in s only (no outer alias). */
uint32_t wf_cwat_ref_local(cw *c, cw_scope *s, int ns, size_t *pos)
{
    size_t i = *pos;
    if (!wf_cwat_is_id(c, i)) return wf_cwat_u32(c, pos);
    uint32_t idx;
    if (!scope_find(c, s, ns, i, &idx))
        wat_malformed(&c->w, i, "unknown %s %.*s", ns_name[ns], (int)c->w.tok[i].len,
                      c->w.tok[i].text);
    *pos = i + 1;
    return idx;
}

void wf_cwat_sort(wf_buf *out, int ns)
{
    static const uint8_t core[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12 };
    static const uint8_t comp[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };
    if (NS_IS_CORE(ns)) {
        wf_buf_byte(out, 0x00);
        wf_buf_byte(out, core[ns]);
    } else {
        wf_buf_byte(out, comp[ns - NS_FUNC]);
    }
}

uint32_t wf_cwat_ref(cw *c, cw_scope *s, int ns, size_t *pos)
{
    size_t i = *pos;
    if (c->mode == MODE_EXPAND) {
        if (!wf_cwat_is_id(c, i)) return wf_cwat_u32(c, pos);
        *pos = i + 1;
        return 0;
    }
    if (!wf_cwat_is_id(c, i)) return wf_cwat_u32(c, pos);
    uint32_t idx;
    if (scope_find(c, s, ns, i, &idx)) {
        *pos = i + 1;
        return idx;
    }
    /* wasm-tools resolves a name of an enclosing scope through an outer
     * alias inserted before the current item; the alias binds no name, so
     * every such reference makes its own */
    uint32_t depth = 1;
    for (cw_scope *o = s->up; o; o = o->up, depth++) {
        if (!scope_find(c, o, ns, i, &idx)) continue;
        if (ns != NS_TYPE && ns != NS_COMPONENT && ns != NS_CMODULE && ns != NS_CTYPE)
            wat_malformed(&c->w, i, "outer item `%.*s` is not a module, type, or component",
                          (int)c->w.tok[i].len - 1, c->w.tok[i].text + 1);
        wf_buf *a = wf_wat_tbuf(&c->w);
        wf_cwat_sort(a, ns);
        wf_buf_byte(a, 0x02);
        wf_buf_u32leb(a, depth);
        wf_buf_u32leb(a, idx);
        wf_cwat_emit(c, s, SEC_ALIAS, a);
        *pos = i + 1;
        return wf_cwat_define(c, s, ns, 0);
    }
    return wf_cwat_ref_local(c, s, ns, pos);
}

/* ---- Emitting ---------------------------------------------------------- */

static void put_section(wf_buf *out, uint8_t id, const uint8_t *body, size_t len)
{
    wf_buf_byte(out, id);
    wf_buf_u32leb(out, (uint32_t)len);
    wf_buf_bytes(out, body, len);
}

void wf_cwat_flush(cw_scope *s)
{
    if (s->cur < 0) return;
    wf_buf tmp = {0};
    wf_buf_u32leb(&tmp, s->nsec);
    wf_buf_bytes(&tmp, s->sec.data, s->sec.len);
    put_section(&s->body, (uint8_t)s->cur, tmp.data, tmp.len);
    wf_buf_free(&tmp);
    s->sec.len = 0;
    s->nsec = 0;
    s->cur = -1;
}

void wf_cwat_emit(cw *c, cw_scope *s, int sec, const wf_buf *item)
{
    if (s->kind == SC_COMP) {
        if (sec == SEC_CMODULE || sec == SEC_COMPONENT || sec == SEC_START || sec == SEC_CUSTOM) {
            wf_cwat_flush(s);
            put_section(&s->body, (uint8_t)sec, item->data, item->len);
            return;
        }
        if (s->cur != sec) wf_cwat_flush(s);
        s->cur = sec;
        wf_buf_bytes(&s->sec, item->data, item->len);
        s->nsec++;
        return;
    }
    uint8_t pre;
    if (s->kind == SC_MTYPE) {
        pre = sec == SEC_IMPORT ? 0x00 : sec == SEC_CTYPE ? 0x01 : sec == SEC_ALIAS ? 0x02 : 0x03;
    } else {
        pre = sec == SEC_CTYPE ? 0x00 : sec == SEC_TYPE ? 0x01 : sec == SEC_ALIAS ? 0x02
            : sec == SEC_IMPORT ? 0x03 : 0x04;
    }
    wf_buf_byte(&s->body, pre);
    wf_buf_bytes(&s->body, item->data, item->len);
    s->ndecls++;
}

/* ---- Sorts, names, aliases --------------------------------------------- */

static int core_sort_kw(cw *c, size_t i)
{
    static const char *const kw[] = { "func", "table", "memory", "global", "tag", "type",
                                      "module", "instance" };
    for (int k = 0; k < 8; k++)
        if (wf_cwat_kw(c, i, kw[k])) return NS_CFUNC + k;
    return -1;
}

static int comp_sort_kw(cw *c, size_t i)
{
    static const char *const kw[] = { "func", "value", "type", "component", "instance" };
    for (int k = 0; k < 5; k++)
        if (wf_cwat_kw(c, i, kw[k])) return NS_FUNC + k;
    return -1;
}

int wf_cwat_parse_sort(cw *c, size_t *pos)
{
    int ns;
    if (wf_cwat_kw(c, *pos, "core")) {
        ns = core_sort_kw(c, *pos + 1);
        if (ns >= 0) *pos += 2;
        return ns;
    }
    ns = comp_sort_kw(c, *pos);
    if (ns >= 0) (*pos)++;
    return ns;
}

bool wf_cwat_is_attr(cw *c, size_t i)
{
    return wf_cwat_lkw(c, i, "versionsuffix") || wf_cwat_lkw(c, i, "implements") ||
           wf_cwat_lkw(c, i, "external-id");
}

void wf_cwat_nameattrs(cw *c, size_t *pos, wf_buf *out)
{
    size_t i = *pos;
    size_t name = i++;
    if (c->w.tok[name].kind != WF_TOK_STRING) wf_cwat_unexpected(c, name);
    /* at most one attribute of each kind, in any order; encoded in the
     * order of the binary format */
    size_t at[3] = { 0, 0, 0 };
    static const char *const kw[3] = { "implements", "versionsuffix", "external-id" };
    while (wf_cwat_is_attr(c, i)) {
        int k = wf_cwat_kw(c, i + 1, "implements") ? 0 : wf_cwat_kw(c, i + 1, "versionsuffix") ? 1 : 2;
        if (at[k]) wf_cwat_unexpected(c, i);
        at[k] = i + 2;
        if (c->w.tok[i + 2].kind != WF_TOK_STRING) wf_cwat_unexpected(c, i + 2);
        i += 3;
        wf_cwat_rparen(c, &i);
    }
    (void)kw;
    uint32_t n = (at[0] != 0) + (at[1] != 0) + (at[2] != 0);
    wf_buf_byte(out, n ? 0x02 : 0x00);
    size_t p = name;
    wf_cwat_name(c, &p, out);
    if (n) {
        wf_buf_u32leb(out, n);
        for (int k = 0; k < 3; k++) {
            if (!at[k]) continue;
            wf_buf_byte(out, (uint8_t)k);
            p = at[k];
            wf_cwat_name(c, &p, out);
        }
    }
    *pos = i;
}

/* The scope that an outer alias's first index names: $id of an enclosing
 * scope, or a count. */
static uint32_t outer_depth(cw *c, cw_scope *s, size_t *pos, cw_scope **target)
{
    size_t i = *pos;
    uint32_t depth = 0;
    cw_scope *t = s;
    if (wf_cwat_is_id(c, i)) {
        size_t len;
        const char *n = wf_wat_id(&c->w, i, &len);
        for (; t; t = t->up, depth++) {
            if (!t->idtok || !wf_cwat_is_id(c, t->idtok)) continue;
            size_t l2;
            const char *n2 = wf_wat_id(&c->w, t->idtok, &l2);
            if (l2 == len && !memcmp(n, n2, len)) break;
        }
        if (!t) wat_malformed(&c->w, i, "outer component %.*s not found", (int)c->w.tok[i].len,
                              c->w.tok[i].text);
        (*pos)++;
    } else {
        depth = wf_cwat_u32(c, pos);
        for (uint32_t k = 0; k < depth && t; k++) t = t->up;
    }
    *target = t;
    return depth;
}

uint32_t wf_cwat_alias(cw *c, cw_scope *s, size_t open, int defsort, size_t idtok)
{
    size_t end = c->w.match[open];
    size_t i = open + 2;
    wf_buf *a = wf_wat_tbuf(&c->w);
    int ns;
    if (wf_cwat_kw(c, i, "export") || (wf_cwat_kw(c, i, "core") && wf_cwat_kw(c, i + 1, "export"))) {
        bool core = wf_cwat_kw(c, i, "core");
        i += core ? 2 : 1;
        uint32_t inst = wf_cwat_ref(c, s, core ? NS_CINSTANCE : NS_INSTANCE, &i);
        size_t name = i++;
        if (c->w.tok[name].kind != WF_TOK_STRING) wf_cwat_unexpected(c, name);
        if (defsort >= 0) {
            ns = defsort;
        } else {
            if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
            size_t so = i;
            i++;
            ns = wf_cwat_parse_sort(c, &i);
            if (ns < 0 || (NS_IS_CORE(ns) && ns != NS_CMODULE) != core) wf_cwat_unexpected(c, so + 1);
            if (wf_cwat_is_id(c, i)) idtok = i++;
            wf_cwat_rparen(c, &i);
        }
        wf_cwat_sort(a, ns);
        wf_buf_byte(a, core ? 0x01 : 0x00);
        wf_buf_u32leb(a, inst);
        size_t p = name;
        wf_cwat_name(c, &p, a);
    } else if (wf_cwat_kw(c, i, "outer")) {
        i++;
        cw_scope *t;
        uint32_t depth = outer_depth(c, s, &i, &t);
        size_t ix = i;
        if (defsort >= 0) {
            ns = defsort;
        } else {
            i++;
            if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
            size_t so = i;
            i++;
            ns = wf_cwat_parse_sort(c, &i);
            if (ns < 0) wf_cwat_unexpected(c, so + 1);
            if (wf_cwat_is_id(c, i)) idtok = i++;
            wf_cwat_rparen(c, &i);
        }
        if (s->kind == SC_MTYPE && ns == NS_TYPE) ns = NS_CTYPE; /* module types: core types */
        uint32_t idx;
        if (!t) {
            size_t q = ix;
            idx = wf_cwat_u32(c, &q);
        } else {
            size_t q = ix;
            idx = wf_cwat_ref_local(c, t, ns, &q);
        }
        if (defsort >= 0) i = ix + 1;
        wf_cwat_sort(a, ns);
        wf_buf_byte(a, 0x02);
        wf_buf_u32leb(a, depth);
        wf_buf_u32leb(a, idx);
    } else {
        wf_cwat_unexpected(c, i);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    if (s->kind == SC_MTYPE) {
        /* core:alias of a module type: (alias outer ct idx (type)) */
        wf_buf *b = wf_wat_tbuf(&c->w);
        wf_buf_byte(b, 0x10);
        wf_buf_byte(b, 0x01);
        wf_buf_bytes(b, a->data + 3, a->len - 3);
        wf_cwat_emit(c, s, SEC_ALIAS, b);
    } else {
        wf_cwat_emit(c, s, SEC_ALIAS, a);
    }
    return wf_cwat_define(c, s, ns, idtok);
}

/* Inline export aliases: (sort idx "name"+) after the sort keyword; emits
 * the aliases and returns the last one's index. */
static uint32_t export_aliases(cw *c, cw_scope *s, int ns, size_t *pos, size_t end)
{
    /* core modules are exports of component instances */
    bool core = NS_IS_CORE(ns) && ns != NS_CMODULE;
    uint32_t idx = wf_cwat_ref(c, s, core ? NS_CINSTANCE : NS_INSTANCE, pos);
    while (*pos < end) {
        size_t name = (*pos)++;
        if (c->w.tok[name].kind != WF_TOK_STRING) wf_cwat_unexpected(c, name);
        bool last = *pos == end;
        if (c->mode == MODE_EXPAND) continue;
        int sort = last ? ns : core ? NS_CINSTANCE : NS_INSTANCE;
        wf_buf *a = wf_wat_tbuf(&c->w);
        wf_cwat_sort(a, sort);
        wf_buf_byte(a, core ? 0x01 : 0x00);
        wf_buf_u32leb(a, idx);
        size_t p = name;
        wf_cwat_name(c, &p, a);
        wf_cwat_emit(c, s, SEC_ALIAS, a);
        idx = wf_cwat_define(c, s, sort, 0);
    }
    return idx;
}

/* An index of ns given as `idx`, `(sort idx name*)` or `(core sort idx
 * name*)`; the sort, when written, must be ns. */
static uint32_t sort_ref(cw *c, cw_scope *s, int ns, size_t *pos)
{
    size_t i = *pos;
    if (c->w.tok[i].kind != WF_TOK_LPAREN) return wf_cwat_ref(c, s, ns, pos);
    size_t end = c->w.match[i];
    i++;
    int got = wf_cwat_parse_sort(c, &i);
    if (got < 0 && NS_IS_CORE(ns)) { /* inside core forms the `core` is implied */
        got = core_sort_kw(c, i);
        if (got >= 0) i++;
    }
    if (got != ns) wf_cwat_unexpected(c, *pos + 1);
    uint32_t idx = i + 1 < end ? export_aliases(c, s, ns, &i, end) : wf_cwat_ref(c, s, ns, &i);
    wf_cwat_rparen(c, &i);
    *pos = i;
    return idx;
}

/* externidx: (sort idx name*) with a component sort or `core module`;
 * returns ns and the index. With core_ctx the core sorts are written
 * without `core` (core instance bundles). */
static uint32_t externidx(cw *c, cw_scope *s, size_t *pos, int *nsout, bool core_ctx)
{
    size_t i = *pos;
    if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
    size_t end = c->w.match[i];
    i++;
    int ns = core_ctx ? core_sort_kw(c, i) : wf_cwat_parse_sort(c, &i);
    if (ns < 0) wf_cwat_unexpected(c, i);
    if (core_ctx) i++;
    uint32_t idx = i + 1 < end ? export_aliases(c, s, ns, &i, end) : wf_cwat_ref(c, s, ns, &i);
    wf_cwat_rparen(c, &i);
    *pos = i;
    *nsout = ns;
    return idx;
}

/* ---- Inline export sugar ----------------------------------------------- */

static bool is_inline_export(cw *c, size_t i)
{
    if (!wf_cwat_lkw(c, i, "export")) return false;
    size_t j = i + 2;
    if (c->w.tok[j].kind != WF_TOK_STRING) return false;
    j++;
    while (wf_cwat_is_attr(c, j)) j = c->w.match[j] + 1;
    return j == c->w.match[i];
}

/* (export "n" attr*)* after a definition's $id: appended to the scope's
 * tail; idx is the definition's index. Skipped (not encoded) when
 * EXPAND. */
static void inline_exports(cw *c, cw_scope *s, size_t *pos, int ns, uint32_t idx)
{
    while (is_inline_export(c, *pos)) {
        size_t i = *pos + 2;
        size_t end = c->w.match[*pos];
        wf_buf *tmp = wf_wat_tbuf(&c->w);
        wf_cwat_nameattrs(c, &i, tmp);
        if (i != end) wf_cwat_unexpected(c, i);
        if (c->mode == MODE_EMIT) {
            wf_buf_bytes(&s->tail, tmp->data, tmp->len);
            wf_cwat_sort(&s->tail, ns);
            wf_buf_u32leb(&s->tail, idx);
            wf_buf_byte(&s->tail, 0x00);
            s->ntail++;
        }
        wf_buf_free(tmp);
        *pos = end + 1;
    }
}

static void skip_inline_exports(cw *c, size_t *pos)
{
    while (is_inline_export(c, *pos)) *pos = c->w.match[*pos] + 1;
}

/* (import "n" attr*) sugar: returns its position or 0. A nested
 * component's or module's own first import field has more after the name. */
static size_t inline_import(cw *c, size_t *pos)
{
    if (!wf_cwat_lkw(c, *pos, "import")) return 0;
    size_t j = *pos + 2;
    if (c->w.tok[j].kind != WF_TOK_STRING) return 0;
    j++;
    while (wf_cwat_is_attr(c, j)) j = c->w.match[j] + 1;
    if (j != c->w.match[*pos]) return 0;
    size_t at = *pos;
    *pos = c->w.match[at] + 1;
    return at;
}

/* An import from the sugar `(sort $id (import "n" attr*) typeuse)`. */
static void import_sugar(cw *c, cw_scope *s, size_t open, size_t imp, int ns, size_t kw,
                         size_t idtok, size_t *pos)
{
    size_t end = c->w.match[open];
    bool core = ns == NS_CMODULE;
    uint32_t t = wf_cwat_typeuse(c, s, open, kw, pos, end, core);
    if (*pos != end) wf_cwat_unexpected(c, *pos);
    if (c->mode == MODE_EXPAND) return;
    wf_buf *b = wf_wat_tbuf(&c->w);
    size_t i = imp + 2;
    wf_cwat_nameattrs(c, &i, b);
    if (i != c->w.match[imp]) wf_cwat_unexpected(c, i);
    static const uint8_t kind[NS_COUNT] = { [NS_FUNC] = 0x01, [NS_COMPONENT] = 0x04,
                                            [NS_INSTANCE] = 0x05 };
    if (core) {
        wf_buf_byte(b, 0x00);
        wf_buf_byte(b, 0x11);
    } else {
        wf_buf_byte(b, kind[ns]);
    }
    wf_buf_u32leb(b, t);
    wf_cwat_emit(c, s, SEC_IMPORT, b);
    wf_cwat_define(c, s, ns, idtok);
}

/* ---- Fields ------------------------------------------------------------ */

static void compile_fields(cw *c, cw_scope *s, size_t start, size_t stop);
static void field(cw *c, cw_scope *s, size_t open);

/* A nested core module, through the core compiler: the module's own text
 * with `core` and the inline-export sugar blanked, preceded by as many
 * newlines and spaces as put it at its line and column, so the core
 * compiler's errors carry this text's positions. */
static void core_module(cw *c, cw_scope *s, size_t open, size_t i, size_t idtok)
{
    uint32_t idx = s->count[NS_CMODULE];
    size_t start = i;
    skip_inline_exports(c, &i);
    size_t imp = inline_import(c, &i);
    if (imp) {
        size_t j = start;
        if (c->mode == MODE_EMIT) inline_exports(c, s, &j, NS_CMODULE, idx);
        import_sugar(c, s, open, imp, NS_CMODULE, open + 2, idtok, &i);
        return;
    }
    if (c->mode == MODE_EXPAND) return;
    size_t j = start;
    inline_exports(c, s, &j, NS_CMODULE, idx);
    const wf_wat_token *o = &c->w.tok[open];
    size_t close = c->w.tok[c->w.match[open]].offset;
    size_t pad = (size_t)(o->line - 1) + (size_t)(o->col - 1);
    size_t n = pad + close + 1 - o->offset;
    char *text = wf_wat_temp(&c->w, n);
    memset(text, '\n', (size_t)(o->line - 1));
    memset(text + o->line - 1, ' ', (size_t)(o->col - 1));
    memcpy(text + pad, c->w.src + o->offset, close + 1 - o->offset);
    /* blank `core` and the inline exports */
    const wf_wat_token *k = &c->w.tok[open + 1];
    memset(text + pad + (k->offset - o->offset), ' ', k->len);
    for (size_t e = start; e < i && wf_cwat_lkw(c, e, "export"); e = c->w.match[e] + 1) {
        size_t a = c->w.tok[e].offset, b = c->w.tok[c->w.match[e]].offset + 1;
        for (size_t q = a; q < b; q++)
            if (text[pad + q - o->offset] != '\n') text[pad + q - o->offset] = ' ';
    }
    wf_buf *bin = wf_wat_tbuf(&c->w);
    wf_error *e = wf_wat_compile(text, n, bin);
    if (e) {
        c->w.err = e;
        longjmp(c->w.jb, 1);
    }
    wf_cwat_emit(c, s, SEC_CMODULE, bin);
    wf_cwat_define(c, s, NS_CMODULE, idtok);
}

static void encode_component(cw *c, cw_scope *s, wf_buf *out)
{
    static const uint8_t pre[] = { 0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00 };
    if (s->ntail) {
        /* the inline-export sugar, as exports at the end */
        if (s->cur != SEC_EXPORT) wf_cwat_flush(s);
        s->cur = SEC_EXPORT;
        wf_buf_bytes(&s->sec, s->tail.data, s->tail.len);
        s->nsec += s->ntail;
    }
    wf_cwat_flush(s);
    wf_buf_bytes(out, pre, sizeof pre);
    wf_buf_bytes(out, s->body.data, s->body.len);
}

static void nested_component(cw *c, cw_scope *s, size_t open, size_t i, size_t idtok)
{
    size_t end = c->w.match[open];
    uint32_t idx = s->count[NS_COMPONENT];
    size_t start = i;
    skip_inline_exports(c, &i);
    size_t imp = inline_import(c, &i);
    if (imp) {
        size_t j = start;
        if (c->mode == MODE_EMIT) inline_exports(c, s, &j, NS_COMPONENT, idx);
        import_sugar(c, s, open, imp, NS_COMPONENT, open + 1, idtok, &i);
        return;
    }
    if (c->mode == MODE_EXPAND) return;
    size_t j = start;
    inline_exports(c, s, &j, NS_COMPONENT, idx);
    wf_buf *bin = wf_wat_tbuf(&c->w);
    if (wf_cwat_kw(c, i, "binary")) {
        i++;
        wf_wat_strings(&c->w, &i, end, bin);
    } else {
        cw_scope *in = wf_cwat_scope_new(c, s, SC_COMP, idtok);
        compile_fields(c, in, i, end);
        encode_component(c, in, bin);
        wf_cwat_scope_free(in);
    }
    wf_cwat_emit(c, s, SEC_COMPONENT, bin);
    wf_cwat_define(c, s, NS_COMPONENT, idtok);
}

/* (with "n" (instance idx)) / (with "n" (instance (export ...)*)) of a core
 * instantiate; the bundle form becomes an instance defined before. */
static void bundle(cw *c, size_t open, wf_buf *out, bool core);

static void core_instance(cw *c, cw_scope *s, size_t open, size_t i, size_t idtok)
{
    size_t end = c->w.match[open];
    wf_buf *b = wf_wat_tbuf(&c->w);
    if (wf_cwat_lkw(c, i, "instantiate")) {
        size_t ie = c->w.match[i];
        size_t j = i + 2;
        wf_buf_byte(b, 0x00);
        wf_buf_u32leb(b, sort_ref(c, s, NS_CMODULE, &j));
        wf_buf *args = wf_wat_tbuf(&c->w);
        uint32_t nargs = 0;
        while (j < ie) {
            if (!wf_cwat_lkw(c, j, "with")) wf_cwat_unexpected(c, j);
            size_t we = c->w.match[j];
            size_t k = j + 2;
            wf_cwat_name(c, &k, args);
            if (!wf_cwat_lkw(c, k, "instance")) wf_cwat_unexpected(c, k);
            wf_buf_byte(args, 0x12);
            size_t ke = c->w.match[k];
            if (k + 2 < ke && c->w.tok[k + 2].kind != WF_TOK_LPAREN) {
                size_t q = k + 2;
                wf_buf_u32leb(args, k + 3 == ke ? wf_cwat_ref(c, s, NS_CINSTANCE, &q)
                                                 : export_aliases(c, s, NS_CINSTANCE, &q, ke));
            } else {
                bundle(c, k, args, true);
            }
            k = ke + 1;
            if (k != we) wf_cwat_unexpected(c, k);
            j = we + 1;
            nargs++;
        }
        wf_buf_u32leb(b, nargs);
        wf_buf_bytes(b, args->data, args->len);
        wf_buf_free(args);
        i = ie + 1;
    } else {
        wf_buf_byte(b, 0x01);
        wf_buf *items = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        while (i < end && wf_cwat_lkw(c, i, "export")) {
            size_t k = i + 2;
            wf_cwat_name(c, &k, items);
            int ns;
            uint32_t idx = externidx(c, s, &k, &ns, true);
            wf_buf_byte(items, (uint8_t)(ns == NS_CTYPE ? 0x10 : ns == NS_CMODULE ? 0x11
                                          : ns == NS_CINSTANCE ? 0x12 : ns - NS_CFUNC));
            wf_buf_u32leb(items, idx);
            if (k != c->w.match[i]) wf_cwat_unexpected(c, k);
            i = c->w.match[i] + 1;
            n++;
        }
        wf_buf_u32leb(b, n);
        wf_buf_bytes(b, items->data, items->len);
        wf_buf_free(items);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    if (c->mode == MODE_EXPAND) return;
    wf_cwat_emit(c, s, SEC_CINSTANCE, b);
    wf_cwat_define(c, s, NS_CINSTANCE, idtok);
}

/* A bundle argument `(instance (export ...)*)`: EXPAND records it (it
 * becomes an instance defined before the field), EMIT uses its index. */
static void bundle(cw *c, size_t open, wf_buf *out, bool core)
{
    if (c->mode == MODE_EXPAND) {
        if (c->npend == c->cappend) {
            c->cappend = c->cappend ? c->cappend * 2 : 16;
            c->pend = wf_xrealloc(c->pend, c->cappend * sizeof *c->pend);
            c->pendcore = wf_xrealloc(c->pendcore, c->cappend * sizeof *c->pendcore);
        }
        c->pendcore[c->npend] = core;
        c->pend[c->npend++] = open;
        return;
    }
    wf_buf_u32leb(out, c->inl[open]);
}

static void comp_instance(cw *c, cw_scope *s, size_t open, size_t i, size_t idtok)
{
    size_t end = c->w.match[open];
    uint32_t myidx = s->count[NS_INSTANCE];
    size_t start = i;
    skip_inline_exports(c, &i);
    size_t imp = inline_import(c, &i);
    if (imp) {
        size_t j = start;
        if (c->mode == MODE_EMIT) inline_exports(c, s, &j, NS_INSTANCE, myidx);
        import_sugar(c, s, open, imp, NS_INSTANCE, open + 1, idtok, &i);
        return;
    }
    wf_buf *b = wf_wat_tbuf(&c->w);
    if (wf_cwat_lkw(c, i, "instantiate")) {
        size_t ie = c->w.match[i];
        size_t j = i + 2;
        wf_buf_byte(b, 0x00);
        wf_buf_u32leb(b, sort_ref(c, s, NS_COMPONENT, &j));
        wf_buf *args = wf_wat_tbuf(&c->w);
        uint32_t nargs = 0;
        while (j < ie) {
            if (!wf_cwat_lkw(c, j, "with")) wf_cwat_unexpected(c, j);
            size_t we = c->w.match[j];
            size_t k = j + 2;
            wf_cwat_name(c, &k, args);
            if (wf_cwat_lkw(c, k, "instance") && (k + 2 == c->w.match[k] || wf_cwat_lkw(c, k + 2, "export"))) {
                wf_buf_byte(args, 0x05);
                bundle(c, k, args, false);
                k = c->w.match[k] + 1;
            } else {
                int ns;
                uint32_t idx = externidx(c, s, &k, &ns, false);
                wf_cwat_sort(args, ns);
                wf_buf_u32leb(args, idx);
            }
            if (k != we) wf_cwat_unexpected(c, k);
            j = we + 1;
            nargs++;
        }
        wf_buf_u32leb(b, nargs);
        wf_buf_bytes(b, args->data, args->len);
        wf_buf_free(args);
        i = ie + 1;
    } else {
        wf_buf_byte(b, 0x01);
        wf_buf *items = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        while (i < end && wf_cwat_lkw(c, i, "export")) {
            size_t k = i + 2;
            wf_cwat_nameattrs(c, &k, items);
            int ns;
            uint32_t idx = externidx(c, s, &k, &ns, false);
            wf_cwat_sort(items, ns);
            wf_buf_u32leb(items, idx);
            if (k != c->w.match[i]) wf_cwat_unexpected(c, k);
            i = c->w.match[i] + 1;
            n++;
        }
        wf_buf_u32leb(b, n);
        wf_buf_bytes(b, items->data, items->len);
        wf_buf_free(items);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    if (c->mode == MODE_EXPAND) return;
    size_t j = start;
    inline_exports(c, s, &j, NS_INSTANCE, myidx);
    wf_cwat_emit(c, s, SEC_INSTANCE, b);
    wf_cwat_define(c, s, NS_INSTANCE, idtok);
}

/* ---- Canonical definitions ---------------------------------------------- */

/* core-prefix(core:Xidx) inside an option: `idx`, `idx "name"`, or
 * `(core X idx name?)`. */
uint32_t wf_cwat_core_ref(cw *c, cw_scope *s, int ns, size_t *pos, size_t end)
{
    if (c->w.tok[*pos].kind == WF_TOK_LPAREN) return sort_ref(c, s, ns, pos);
    if (*pos + 1 < end) return export_aliases(c, s, ns, pos, end);
    return wf_cwat_ref(c, s, ns, pos);
}

static bool canon_opts(cw *c, cw_scope *s, size_t *pos, size_t end, wf_buf *out, uint32_t *n)
{
    size_t i = *pos;
    for (;;) {
        if (wf_cwat_kw(c, i, "string-encoding=utf8")) wf_buf_byte(out, 0x00), i++;
        else if (wf_cwat_kw(c, i, "string-encoding=utf16")) wf_buf_byte(out, 0x01), i++;
        else if (wf_cwat_kw(c, i, "string-encoding=latin1+utf16")) wf_buf_byte(out, 0x02), i++;
        else if (wf_cwat_kw(c, i, "async")) wf_buf_byte(out, 0x06), i++;
        else if (wf_cwat_lkw(c, i, "memory") || wf_cwat_lkw(c, i, "realloc") || wf_cwat_lkw(c, i, "post-return") ||
                 wf_cwat_lkw(c, i, "callback")) {
            size_t oe = c->w.match[i];
            bool mem = wf_cwat_kw(c, i + 1, "memory");
            wf_buf_byte(out, mem ? 0x03 : wf_cwat_kw(c, i + 1, "realloc") ? 0x04
                             : wf_cwat_kw(c, i + 1, "post-return") ? 0x05 : 0x07);
            size_t q = i + 2;
            wf_buf_u32leb(out, wf_cwat_core_ref(c, s, mem ? NS_CMEM : NS_CFUNC, &q, oe));
            if (q != oe) wf_cwat_unexpected(c, q);
            i = oe + 1;
        } else break;
        (*n)++;
        if (i > end) wf_cwat_unexpected(c, end);
    }
    *pos = i;
    return true;
}

static void opts_vec(cw *c, cw_scope *s, size_t *pos, size_t end, wf_buf *out)
{
    wf_buf *tmp = wf_wat_tbuf(&c->w);
    uint32_t n = 0;
    canon_opts(c, s, pos, end, tmp, &n);
    wf_buf_u32leb(out, n);
    wf_buf_bytes(out, tmp->data, tmp->len);
    wf_buf_free(tmp);
}

/* The built-ins after `canon`: name, opcode and what follows. */
enum { A_NONE, A_TYPE, A_TYPE_OPTS, A_TYPE_ASYNC, A_ASYNC, A_CANCEL, A_CANCEL_MEM, A_OPTS,
       A_VALTYPE_U32, A_RESULT_OPTS, A_CTYPE_TABLE, A_SHARED_CTYPE, A_SHARED_CTYPE_TABLE,
       A_SHARED };
static const struct { const char *name; uint8_t op; uint8_t args; } builtins[] = {
    { "resource.new", 0x02, A_TYPE }, { "resource.drop", 0x03, A_TYPE },
    { "resource.rep", 0x04, A_TYPE }, { "backpressure.inc", 0x24, A_NONE },
    { "backpressure.dec", 0x25, A_NONE }, { "task.return", 0x09, A_RESULT_OPTS },
    { "task.cancel", 0x05, A_NONE }, { "context.get", 0x0a, A_VALTYPE_U32 },
    { "context.set", 0x0b, A_VALTYPE_U32 }, { "subtask.cancel", 0x06, A_ASYNC },
    { "subtask.drop", 0x0d, A_NONE }, { "stream.new", 0x0e, A_TYPE },
    { "stream.read", 0x0f, A_TYPE_OPTS }, { "stream.write", 0x10, A_TYPE_OPTS },
    { "stream.cancel-read", 0x11, A_TYPE_ASYNC }, { "stream.cancel-write", 0x12, A_TYPE_ASYNC },
    { "stream.drop-readable", 0x13, A_TYPE }, { "stream.drop-writable", 0x14, A_TYPE },
    { "future.new", 0x15, A_TYPE }, { "future.read", 0x16, A_TYPE_OPTS },
    { "future.write", 0x17, A_TYPE_OPTS }, { "future.cancel-read", 0x18, A_TYPE_ASYNC },
    { "future.cancel-write", 0x19, A_TYPE_ASYNC }, { "future.drop-readable", 0x1a, A_TYPE },
    { "future.drop-writable", 0x1b, A_TYPE }, { "error-context.new", 0x1c, A_OPTS },
    { "error-context.debug-message", 0x1d, A_OPTS }, { "error-context.drop", 0x1e, A_NONE },
    { "waitable-set.new", 0x1f, A_NONE }, { "waitable-set.wait", 0x20, A_CANCEL_MEM },
    { "waitable-set.poll", 0x21, A_CANCEL_MEM }, { "waitable-set.drop", 0x22, A_NONE },
    { "waitable.join", 0x23, A_NONE }, { "thread.index", 0x26, A_NONE },
    { "thread.new-indirect", 0x27, A_CTYPE_TABLE }, { "thread.resume-later", 0x28, A_NONE },
    { "thread.suspend", 0x29, A_CANCEL }, { "thread.yield", 0x0c, A_CANCEL },
    { "thread.suspend-then-resume", 0x2a, A_CANCEL },
    { "thread.yield-then-resume", 0x2b, A_CANCEL },
    { "thread.suspend-then-promote", 0x2c, A_CANCEL },
    { "thread.yield-then-promote", 0x2d, A_CANCEL },
    { "thread.spawn-ref", 0x40, A_SHARED_CTYPE },
    { "thread.spawn-indirect", 0x41, A_SHARED_CTYPE_TABLE },
    { "thread.available-parallelism", 0x42, A_SHARED },
};

/* The body of a canon form from i (the keyword after `canon`) to end. When
 * deftok is set the definition's sort/id come from outside: the inline
 * forms `(func $f typeuse (canon lift ...))`, `(core func $f (canon ...))`.
 * liftty is the type index of the inline lift form. Returns the sort. */
static int canon_body(cw *c, cw_scope *s, size_t i, size_t end, wf_buf *b, bool inline_form,
                      uint32_t liftty, size_t *idtok)
{
    if (wf_cwat_kw(c, i, "lift")) {
        i++;
        wf_buf_byte(b, 0x00);
        wf_buf_byte(b, 0x00);
        wf_buf_u32leb(b, wf_cwat_core_ref(c, s, NS_CFUNC, &i, i + 1));
        opts_vec(c, s, &i, end, b);
        uint32_t t = liftty;
        if (!inline_form) {
            if (!wf_cwat_lkw(c, i, "func")) wf_cwat_unexpected(c, i);
            size_t fo = i;
            i += 2;
            if (wf_cwat_is_id(c, i)) *idtok = i++;
            t = wf_cwat_typeuse(c, s, fo, fo + 1, &i, c->w.match[fo], false);
            wf_cwat_rparen(c, &i);
        }
        wf_buf_u32leb(b, t);
        if (i != end) wf_cwat_unexpected(c, i);
        return NS_FUNC;
    }
    if (wf_cwat_kw(c, i, "lower")) {
        i++;
        wf_buf_byte(b, 0x01);
        wf_buf_byte(b, 0x00);
        wf_buf_u32leb(b, c->w.tok[i].kind == WF_TOK_LPAREN ? sort_ref(c, s, NS_FUNC, &i)
                                                           : wf_cwat_ref(c, s, NS_FUNC, &i));
        opts_vec(c, s, &i, end, b);
    } else {
        size_t k;
        for (k = 0; k < WF_COUNT(builtins); k++)
            if (wf_cwat_kw(c, i, builtins[k].name)) break;
        if (k == WF_COUNT(builtins)) wf_cwat_unexpected(c, i);
        i++;
        wf_buf_byte(b, builtins[k].op);
        int a = builtins[k].args;
        if (a == A_SHARED || a == A_SHARED_CTYPE || a == A_SHARED_CTYPE_TABLE) {
            bool sh = wf_cwat_kw(c, i, "shared");
            if (sh) i++;
            wf_buf_byte(b, sh);
        }
        if (a == A_TYPE || a == A_TYPE_OPTS || a == A_TYPE_ASYNC)
            wf_buf_u32leb(b, c->w.tok[i].kind == WF_TOK_LPAREN ? sort_ref(c, s, NS_TYPE, &i)
                                                               : wf_cwat_ref(c, s, NS_TYPE, &i));
        if (a == A_CTYPE_TABLE || a == A_SHARED_CTYPE || a == A_SHARED_CTYPE_TABLE)
            wf_buf_u32leb(b, wf_cwat_core_ref(c, s, NS_CTYPE, &i, i + 1));
        if (a == A_CTYPE_TABLE || a == A_SHARED_CTYPE_TABLE)
            wf_buf_u32leb(b, wf_cwat_core_ref(c, s, NS_CTABLE, &i, i + 1));
        if (a == A_TYPE_ASYNC || a == A_ASYNC) {
            bool as = wf_cwat_kw(c, i, "async");
            if (as) i++;
            wf_buf_byte(b, as);
        }
        if (a == A_CANCEL || a == A_CANCEL_MEM) {
            bool can = wf_cwat_kw(c, i, "cancellable");
            if (can) i++;
            wf_buf_byte(b, can);
        }
        if (a == A_CANCEL_MEM) {
            if (!wf_cwat_lkw(c, i, "memory")) wf_cwat_unexpected(c, i);
            size_t oe = c->w.match[i];
            size_t q = i + 2;
            wf_buf_u32leb(b, wf_cwat_core_ref(c, s, NS_CMEM, &q, oe));
            if (q != oe) wf_cwat_unexpected(c, q);
            i = oe + 1;
        }
        if (a == A_VALTYPE_U32) {
            if (wf_cwat_kw(c, i, "i32")) wf_buf_byte(b, 0x7f);
            else if (wf_cwat_kw(c, i, "i64")) wf_buf_byte(b, 0x7e);
            else wf_cwat_unexpected(c, i);
            i++;
            wf_buf_u32leb(b, wf_cwat_u32(c, &i));
        }
        if (a == A_RESULT_OPTS) wf_cwat_resultlist(c, s, &i, b);
        if (a == A_TYPE_OPTS || a == A_OPTS || a == A_RESULT_OPTS) opts_vec(c, s, &i, end, b);
    }
    if (!inline_form) {
        if (!(c->w.tok[i].kind == WF_TOK_LPAREN && wf_cwat_kw(c, i + 1, "core") && wf_cwat_kw(c, i + 2, "func")))
            wf_cwat_unexpected(c, i);
        i += 3;
        if (wf_cwat_is_id(c, i)) *idtok = i++;
        wf_cwat_rparen(c, &i);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    return NS_CFUNC;
}

static void canon_field(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    wf_buf *b = wf_wat_tbuf(&c->w);
    size_t idtok = 0;
    int ns = canon_body(c, s, open + 2, end, b, false, 0, &idtok);
    if (c->mode == MODE_EXPAND) return;
    wf_cwat_emit(c, s, SEC_CANON, b);
    wf_cwat_define(c, s, ns, idtok);
}

/* (func $id? (export ..)* ...) / (core func $id? ...) and the other sorts
 * written as a definition with an alias or canon body. */
static void sort_def(cw *c, cw_scope *s, size_t open, size_t i, int ns)
{
    size_t end = c->w.match[open];
    size_t idtok = 0;
    if (wf_cwat_is_id(c, i)) idtok = i++;
    uint32_t myidx = s->count[ns];
    size_t start = i;
    skip_inline_exports(c, &i);
    if (wf_cwat_lkw(c, i, "alias")) {
        size_t ae = c->w.match[i];
        if (ae + 1 != end) wf_cwat_unexpected(c, ae + 1);
        if (c->mode == MODE_EXPAND) return;
        size_t j = start;
        inline_exports(c, s, &j, ns, myidx);
        wf_cwat_alias(c, s, i, ns, idtok);
        return;
    }
    if (ns == NS_FUNC) {
        size_t imp = inline_import(c, &i);
        if (imp) {
            size_t j = start;
            if (c->mode == MODE_EMIT) inline_exports(c, s, &j, ns, myidx);
            import_sugar(c, s, open, imp, NS_FUNC, open + 1, idtok, &i);
            return;
        }
        /* typeuse then (canon lift ...) */
        size_t cl = i;
        while (cl < end && !wf_cwat_lkw(c, cl, "canon"))
            cl = c->w.tok[cl].kind == WF_TOK_LPAREN ? c->w.match[cl] + 1 : cl + 1;
        if (cl >= end) wf_cwat_unexpected(c, end);
        size_t q = i;
        uint32_t t;
        /* the typeuse ends where the canon starts: compile it with the canon
         * form standing in for the closing parenthesis */
        t = wf_cwat_typeuse(c, s, open, open + 1, &q, cl, false);
        if (q != cl) wf_cwat_unexpected(c, q);
        wf_buf *b = wf_wat_tbuf(&c->w);
        size_t dummy = 0;
        if (!wf_cwat_kw(c, cl + 2, "lift")) wf_cwat_unexpected(c, cl + 2);
        canon_body(c, s, cl + 2, c->w.match[cl], b, true, t, &dummy);
        if (c->w.match[cl] + 1 != end) wf_cwat_unexpected(c, c->w.match[cl] + 1);
        if (c->mode == MODE_EXPAND) return;
        size_t j = start;
        inline_exports(c, s, &j, ns, myidx);
        wf_cwat_emit(c, s, SEC_CANON, b);
        wf_cwat_define(c, s, NS_FUNC, idtok);
        return;
    }
    if (ns == NS_CFUNC && wf_cwat_lkw(c, i, "canon")) {
        size_t ce = c->w.match[i];
        if (ce + 1 != end) wf_cwat_unexpected(c, ce + 1);
        wf_buf *b = wf_wat_tbuf(&c->w);
        size_t dummy = 0;
        if (wf_cwat_kw(c, i + 2, "lift")) wf_cwat_unexpected(c, i + 2);
        canon_body(c, s, i + 2, ce, b, true, 0, &dummy);
        if (c->mode == MODE_EXPAND) return;
        wf_cwat_emit(c, s, SEC_CANON, b);
        wf_cwat_define(c, s, NS_CFUNC, idtok);
        return;
    }
    wf_cwat_unexpected(c, i);
}

/* (import "n" attr* externtype) */
static void import_field(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    size_t i = open + 2;
    wf_buf *b = wf_wat_tbuf(&c->w);
    wf_cwat_nameattrs(c, &i, b);
    int ns;
    size_t idtok;
    wf_cwat_externtype(c, s, &i, b, &ns, &idtok);
    if (i != end) wf_cwat_unexpected(c, i);
    if (c->mode == MODE_EXPAND) return;
    wf_cwat_emit(c, s, SEC_IMPORT, b);
    wf_cwat_define(c, s, ns, idtok);
}

/* (export $id? "n" attr* externidx externtype?) */
static void export_field(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    size_t i = open + 2;
    size_t idtok = 0;
    if (wf_cwat_is_id(c, i)) idtok = i++;
    wf_buf *b = wf_wat_tbuf(&c->w);
    wf_cwat_nameattrs(c, &i, b);
    int ns;
    uint32_t idx = externidx(c, s, &i, &ns, false);
    wf_cwat_sort(b, ns);
    wf_buf_u32leb(b, idx);
    if (i < end) {
        wf_buf_byte(b, 0x01);
        int ns2;
        size_t id2;
        wf_cwat_externtype(c, s, &i, b, &ns2, &id2);
    } else {
        wf_buf_byte(b, 0x00);
    }
    if (i != end) wf_cwat_unexpected(c, i);
    if (c->mode == MODE_EXPAND) return;
    wf_cwat_emit(c, s, SEC_EXPORT, b);
    wf_cwat_define(c, s, ns, idtok);
}

/* (start f (value v)* (result (value $id?))*) */
static void start_field(cw *c, cw_scope *s, size_t open)
{
    size_t end = c->w.match[open];
    size_t i = open + 2;
    if (c->mode == MODE_EXPAND) return;
    wf_buf *b = wf_wat_tbuf(&c->w);
    wf_buf_u32leb(b, sort_ref(c, s, NS_FUNC, &i));
    wf_buf *args = wf_wat_tbuf(&c->w);
    uint32_t n = 0, nres = 0;
    while (wf_cwat_lkw(c, i, "value")) {
        size_t q = i + 2;
        wf_buf_u32leb(args, wf_cwat_ref(c, s, NS_VALUE, &q));
        i = c->w.match[i] + 1;
        n++;
    }
    wf_buf_u32leb(b, n);
    wf_buf_bytes(b, args->data, args->len);
    wf_buf_free(args);
    size_t *ids = wf_wat_temp(&c->w, sizeof *ids * (end - i + 1));
    while (wf_cwat_lkw(c, i, "result")) {
        size_t q = i + 2;
        ids[nres] = 0;
        if (wf_cwat_lkw(c, q, "value") && wf_cwat_is_id(c, q + 2)) ids[nres] = q + 2;
        nres++;
        i = c->w.match[i] + 1;
    }
    if (i != end) wf_cwat_unexpected(c, i);
    wf_buf_u32leb(b, nres);
    wf_cwat_emit(c, s, SEC_START, b);
    for (uint32_t k = 0; k < nres; k++) wf_cwat_define(c, s, NS_VALUE, ids[k]);
}

static void field(cw *c, cw_scope *s, size_t open)
{
    if (c->w.tok[open].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, open);
    size_t kw = open + 1;
    size_t i = kw + 1;
    if (wf_cwat_kw(c, kw, "core")) {
        i++;
        int ns = core_sort_kw(c, kw + 1);
        size_t idtok = wf_cwat_is_id(c, i) ? i : 0;
        if (ns == NS_CMODULE) core_module(c, s, open, idtok ? i + 1 : i, idtok);
        else if (ns == NS_CINSTANCE) core_instance(c, s, open, idtok ? i + 1 : i, idtok);
        else if (ns == NS_CTYPE) wf_cwat_type_field(c, s, open, true);
        else if (ns >= 0) sort_def(c, s, open, i, ns);
        else if (wf_cwat_kw(c, kw + 1, "rec"))
            wf_wat_fail(&c->w, kw + 1, WF_ERR_UNSUPPORTED, "core rec types in components are not supported");
        else wf_cwat_unexpected(c, kw + 1);
        return;
    }
    size_t idtok = wf_cwat_is_id(c, i) ? i : 0;
    if (wf_cwat_kw(c, kw, "component")) nested_component(c, s, open, idtok ? i + 1 : i, idtok);
    else if (wf_cwat_kw(c, kw, "instance")) comp_instance(c, s, open, idtok ? i + 1 : i, idtok);
    else if (wf_cwat_kw(c, kw, "type")) wf_cwat_type_field(c, s, open, false);
    else if (wf_cwat_kw(c, kw, "alias")) {
        if (c->mode == MODE_EMIT) wf_cwat_alias(c, s, open, -1, 0);
    } else if (wf_cwat_kw(c, kw, "canon")) canon_field(c, s, open);
    else if (wf_cwat_kw(c, kw, "func")) sort_def(c, s, open, i, NS_FUNC);
    else if (wf_cwat_kw(c, kw, "import")) import_field(c, s, open);
    else if (wf_cwat_kw(c, kw, "export")) export_field(c, s, open);
    else if (wf_cwat_kw(c, kw, "start")) start_field(c, s, open);
    else if (wf_cwat_kw(c, kw, "value"))
        wf_wat_fail(&c->w, kw, WF_ERR_UNSUPPORTED, "value definitions are not supported");
    else wf_cwat_unexpected(c, kw);
}

/* One field (or decl) in both modes: what goes before it, then itself. */
void wf_cwat_run(cw *c, cw_scope *s, size_t open, void (*fn)(cw *, cw_scope *, size_t))
{
    size_t npend0 = c->npend;
    int mode0 = c->mode;
    c->mode = MODE_EXPAND;
    fn(c, s, open);
    /* bundle arguments, as instances before the field */
    c->mode = MODE_EMIT;
    for (size_t k = npend0; k < c->npend; k++) {
        size_t o = c->pend[k];
        bool core = c->pendcore[k];
        size_t end = c->w.match[o];
        size_t i = o + 2;
        wf_buf *b = wf_wat_tbuf(&c->w);
        wf_buf_byte(b, 0x01);
        wf_buf *items = wf_wat_tbuf(&c->w);
        uint32_t n = 0;
        while (i < end) {
            if (!wf_cwat_lkw(c, i, "export")) wf_cwat_unexpected(c, i);
            size_t q = i + 2;
            int ns;
            if (core) {
                wf_cwat_name(c, &q, items);
                uint32_t idx = externidx(c, s, &q, &ns, true);
                wf_buf_byte(items, (uint8_t)(ns == NS_CTYPE ? 0x10 : ns == NS_CMODULE ? 0x11
                                              : ns == NS_CINSTANCE ? 0x12 : ns - NS_CFUNC));
                wf_buf_u32leb(items, idx);
            } else {
                wf_cwat_nameattrs(c, &q, items);
                uint32_t idx = externidx(c, s, &q, &ns, false);
                wf_cwat_sort(items, ns);
                wf_buf_u32leb(items, idx);
            }
            if (q != c->w.match[i]) wf_cwat_unexpected(c, q);
            i = c->w.match[i] + 1;
            n++;
        }
        wf_buf_u32leb(b, n);
        wf_buf_bytes(b, items->data, items->len);
        wf_buf_free(items);
        wf_cwat_emit(c, s, core ? SEC_CINSTANCE : SEC_INSTANCE, b);
        c->inl[o] = wf_cwat_define(c, s, core ? NS_CINSTANCE : NS_INSTANCE, 0);
    }
    c->npend = npend0;
    fn(c, s, open);
    c->mode = mode0;
}

static void compile_fields(cw *c, cw_scope *s, size_t start, size_t stop)
{
    for (size_t i = start; i < stop; i = c->w.match[i] + 1) {
        if (c->w.tok[i].kind != WF_TOK_LPAREN) wf_cwat_unexpected(c, i);
        wf_cwat_run(c, s, i, field);
    }
}

/* ---- Entry ------------------------------------------------------------- */

static wf_error *compile(const char *text, size_t len, wf_buf *out, bool quote_ok);

static void compile_top(cw *c, wf_buf *out, bool quote_ok)
{
    wat *w = &c->w;
    size_t start = 0, stop = w->ntok - 1, idtok = 0;
    if (wf_wat_lkw(w, 0, "component")) {
        if (w->match[0] != w->ntok - 2) wf_wat_unexpected(w, w->match[0] + 1);
        start = 2;
        stop = w->match[0];
        if (wf_wat_kw(w, start, "definition")) start++;
        if (w->tok[start].kind == WF_TOK_ID) idtok = start++;
        if (wf_wat_kw(w, start, "binary") || wf_wat_kw(w, start, "quote")) {
            bool quote = wf_wat_kw(w, start, "quote");
            wf_buf *bytes = wf_wat_tbuf(w);
            size_t i = start + 1;
            wf_wat_strings(w, &i, stop, bytes);
            if (!quote) {
                wf_buf_bytes(out, bytes->data, bytes->len);
                return;
            }
            if (!quote_ok) wf_wat_unexpected(w, start);
            wf_error *e = compile((const char *)bytes->data, bytes->len, out, false);
            if (e) {
                w->err = e;
                longjmp(w->jb, 1);
            }
            return;
        }
    }
    cw_scope *s = wf_cwat_scope_new(c, NULL, SC_COMP, idtok);
    compile_fields(c, s, start, stop);
    encode_component(c, s, out);
    wf_cwat_scope_free(s);
}

static wf_error *compile(const char *text, size_t len, wf_buf *out, bool quote_ok)
{
    cw *c = wf_xcalloc(1, sizeof *c);
    c->w.src = text;
    c->w.srclen = len;
    size_t out_len = out->len;
    wf_error *err = NULL;
    if (setjmp(c->w.jb) == 0) {
        wf_wat_tokenize(&c->w, text, len);
        c->inl = wf_xmalloc((c->w.ntok + 4) * sizeof *c->inl);
        memset(c->inl, 0xff, (c->w.ntok + 4) * sizeof *c->inl);
        compile_top(c, out, quote_ok);
    } else {
        err = c->w.err;
        out->len = out_len;
    }
    for (size_t k = 0; k < c->nscopes; k++) wf_cwat_scope_free(c->scopes[k]);
    free(c->scopes);
    free(c->inl);
    free(c->pend);
    free(c->pendcore);
    wf_wat_ctx_free(&c->w);
    free(c);
    return err;
}

wf_error *wf_cwat_compile(const char *text, size_t len, wf_buf *out)
{
    return compile(text, len, out, true);
}
