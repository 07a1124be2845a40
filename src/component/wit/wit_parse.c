/*
 * wit_parse.c - full WIT text to the syntax tree of wit_ast.h (one file).
 *
 * Grammar per docs/component-model/WIT.md: an optional `package` header,
 * then `interface`, `world`, file-level `use` and nested `package x:y { }`
 * blocks; feature gates (`@since`, `@unstable`, `@deprecated`) before items.
 * Only syntax is checked here; names are resolved by wit_resolve.c.
 */
#include "component/wit/wit_ast.h"
#include "component/wit/wit_lex.h"
#include "component/wit/wit.h"
#include "base/vec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#define MAX_TYPE_DEPTH 100
#define MAX_PKG_DEPTH 1     /* nested packages only at the top level */

typedef struct P {
    wit_lexer lx;
    wit_tok tok;
    wf_arena *a;
    const char *path;
    int depth;
    bool field;     /* a registry `wit` field (wf_wit_parse_items) */
} P;

/* ---- Names -------------------------------------------------------------- */

char *wf_wit_pkgname_str(wf_arena *a, const wit_pkgname *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s:%s%s%s", n->ns, n->name, n->version ? "@" : "",
             n->version ? n->version : "");
    return wf_arena_strndup(a, buf, strlen(buf));
}

/* ---- Tokens ------------------------------------------------------------ */

#define KW(s) { s, sizeof(s) - 1 }
static const struct { const char *word; size_t len; } keywords[] = {
    KW("use"), KW("type"), KW("func"), KW("u8"), KW("u16"), KW("u32"), KW("u64"), KW("s8"),
    KW("s16"), KW("s32"), KW("s64"), KW("f32"), KW("f64"), KW("char"), KW("bool"), KW("string"),
    KW("option"), KW("result"), KW("future"), KW("stream"), KW("error-context"), KW("list"),
    KW("map"), KW("record"), KW("flags"), KW("variant"), KW("enum"), KW("interface"),
    KW("world"), KW("import"), KW("export"), KW("package"), KW("include"), KW("with"),
    KW("constructor"), KW("static"), KW("own"), KW("borrow"), KW("resource"), KW("as"),
    KW("async"), KW("tuple"), KW("_"),
};
#undef KW

static bool is_keyword(const wit_tok *t)
{
    if (t->kind != WIT_T_ID) return false;
    for (size_t i = 0; i < WF_COUNT(keywords); i++)
        if (keywords[i].len == t->len && !memcmp(t->text, keywords[i].word, t->len)) return true;
    return false;
}

static wit_pos pos_of(P *p, const wit_tok *t) { return (wit_pos){ p->path, t->line, t->col }; }

static wf_error *err_at(P *p, const wit_tok *t, const char *fmt, ...) WF_PRINTF(3, 4);
static wf_error *err_at(P *p, const wit_tok *t, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->field) return wf_error_at_line(WF_ERR_INVALID, t->line, t->col, "%s", msg);
    return wf_error_new(WF_ERR_INVALID, "%s:%d:%d: %s", p->path, t->line, t->col, msg);
}

static wf_error *unexpected(P *p, const char *want)
{
    const wit_tok *t = &p->tok;
    if (t->kind == WIT_T_ID || t->kind == WIT_T_EXPLICIT_ID || t->kind == WIT_T_INT)
        return err_at(p, t, "expected %s, found %s`%.*s`", want, is_keyword(t) ? "keyword " : "",
                      (int)t->len, t->text);
    return err_at(p, t, "expected %s, found %s", want, wf_wit_tok_name(t->kind));
}

static wf_error *next(P *p)
{
    wf_error *e = wf_wit_lex_next(&p->lx, &p->tok);
    if (e && !p->field) {
        wf_error *w = wf_error_new(WF_ERR_INVALID, "%s:%s", p->path, e->message);
        wf_error_free(e);
        return w;
    }
    return e;   /* a `wit` field keeps the lexer's line and col */
}

static wf_error *expect(P *p, wit_tok_kind k)
{
    if (p->tok.kind != k) return unexpected(p, wf_wit_tok_name(k));
    return next(p);
}

static bool at_kw(P *p, const char *w) { return wf_wit_tok_is(&p->tok, w); }

static wf_error *expect_kw(P *p, const char *w)
{
    if (!at_kw(p, w)) {
        char want[64];
        snprintf(want, sizeof want, "`%s`", w);
        return unexpected(p, want);
    }
    return next(p);
}

/* An identifier that is not a keyword (or any %-escaped one). */
static wf_error *ident(P *p, char **out, wit_pos *pos)
{
    if (!(p->tok.kind == WIT_T_EXPLICIT_ID || (p->tok.kind == WIT_T_ID && !is_keyword(&p->tok))))
        return unexpected(p, "an identifier");
    if (pos) *pos = pos_of(p, &p->tok);
    *out = wf_arena_strndup(p->a, p->tok.text, p->tok.len);
    return next(p);
}

/* A semver after `@`: read straight from the source, since `1.0.0-rc.1`
 * is not a sequence of WIT tokens. The current token must be `@`. */
static wf_error *version(P *p, char **out)
{
    wit_lexer *lx = &p->lx;
    wit_tok at = p->tok;
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t')) { lx->p++; lx->col++; }
    const char *s = lx->p;
    while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) || *lx->p == '.' || *lx->p == '-' ||
                               *lx->p == '+')) {
        lx->p++;
        lx->col++;
    }
    /* a trailing `.` belongs to what follows (`use a:b/c@1.0.0.{t}`) */
    while (lx->p > s && lx->p[-1] == '.') { lx->p--; lx->col--; }
    size_t n = (size_t)(lx->p - s);
    /* MAJOR.MINOR.PATCH, numeric, then optional -pre / +build */
    const char *q = s, *end = s + n;
    for (int part = 0; part < 3; part++) {
        if (q >= end || !isdigit((unsigned char)*q)) goto bad;
        if (*q == '0' && q + 1 < end && isdigit((unsigned char)q[1])) goto bad;
        while (q < end && isdigit((unsigned char)*q)) q++;
        if (part < 2) { if (q >= end || *q != '.') goto bad; q++; }
    }
    if (q < end && *q != '-' && *q != '+') goto bad;
    if (q < end && q + 1 >= end) goto bad;
    *out = wf_arena_strndup(p->a, s, n);
    return next(p);
bad:
    return err_at(p, &at, "invalid semver `%.*s`", (int)n, s);
}

/* ---- Gates ------------------------------------------------------------- */

static wf_error *gate(P *p, wit_gate *g)
{
    memset(g, 0, sizeof *g);
    wf_error *e;
    while (p->tok.kind == WIT_T_AT) {
        g->pos = pos_of(p, &p->tok);
        if ((e = next(p))) return e;
        const char *want;
        if (at_kw(p, "since")) { g->kind = WIT_GATE_SINCE; want = "version"; }
        else if (at_kw(p, "unstable")) { g->kind = WIT_GATE_UNSTABLE; want = "feature"; }
        else if (at_kw(p, "deprecated")) { g->kind = WIT_GATE_DEPRECATED; want = "version"; }
        else return unexpected(p, "`since`, `unstable` or `deprecated`");
        if ((e = next(p)) || (e = expect(p, WIT_T_LPAREN))) return e;
        if (!at_kw(p, want)) {
            if (p->tok.kind == WIT_T_ID || p->tok.kind == WIT_T_EXPLICIT_ID) {
                char w[32];
                snprintf(w, sizeof w, "`%s`", want);
                return unexpected(p, w);
            }
            return unexpected(p, "an identifier or string");
        }
        if ((e = next(p))) return e;
        if (p->tok.kind != WIT_T_EQ) return unexpected(p, "`=`");
        if (g->kind == WIT_GATE_UNSTABLE) {
            if ((e = next(p)) || (e = ident(p, &g->feature, NULL))) return e;
        } else {
            /* version follows `=`: reuse the raw version reader */
            if ((e = version(p, &g->version))) return e;
        }
        /* `@since(version = 1.0.0, feature = x)` is the older form: accept it */
        if (p->tok.kind == WIT_T_COMMA) {
            if ((e = next(p))) return e;
            if (!at_kw(p, "feature")) return unexpected(p, "`feature`");
            if ((e = next(p)) || (e = expect(p, WIT_T_EQ)) || (e = ident(p, &g->feature, NULL)))
                return e;
        }
        if ((e = expect(p, WIT_T_RPAREN))) return e;
    }
    return NULL;
}

/* ---- Types ------------------------------------------------------------- */

static const struct { const char *name; int kind; } prims[] = {
    { "bool", WF_WIT_BOOL }, { "s8", WF_WIT_S8 }, { "s16", WF_WIT_S16 }, { "s32", WF_WIT_S32 },
    { "s64", WF_WIT_S64 }, { "u8", WF_WIT_U8 }, { "u16", WF_WIT_U16 }, { "u32", WF_WIT_U32 },
    { "u64", WF_WIT_U64 }, { "f32", WF_WIT_F32 }, { "f64", WF_WIT_F64 }, { "char", WF_WIT_CHAR },
    { "string", WF_WIT_STRING },
    /* the pre-1.0 spellings, still accepted in a registry `wit` field */
    { "float32", -WF_WIT_F32 }, { "float64", -WF_WIT_F64 },
};

static wf_error *texpr(P *p, wit_texpr **out);

static wf_error *one_arg(P *p, wit_texpr **a)
{
    wf_error *e;
    if ((e = expect(p, WIT_T_LT)) || (e = texpr(p, a))) return e;
    return expect(p, WIT_T_GT);
}

static wf_error *texpr_inner(P *p, wit_texpr *t)
{
    wf_error *e;
    wit_tok at = p->tok;
    t->pos = pos_of(p, &at);
    for (size_t i = 0; i < WF_COUNT(prims); i++)
        if (wf_wit_tok_is(&at, prims[i].name) && (prims[i].kind >= 0 || p->field)) {
            t->kind = WIT_TE_PRIM;
            t->prim = prims[i].kind < 0 ? -prims[i].kind : prims[i].kind;
            return next(p);
        }
    if (at.kind == WIT_T_EXPLICIT_ID || (at.kind == WIT_T_ID && !is_keyword(&at))) {
        t->kind = WIT_TE_NAME;
        return ident(p, &t->name, NULL);
    }
    if (at.kind != WIT_T_ID) return unexpected(p, "a type");
    if ((e = next(p))) return e;
    if (wf_wit_tok_is(&at, "list")) {
        t->kind = WIT_TE_LIST;
        if ((e = expect(p, WIT_T_LT)) || (e = texpr(p, &t->a))) return e;
        if (p->tok.kind == WIT_T_COMMA) {
            if ((e = next(p))) return e;
            if (p->tok.kind != WIT_T_INT) return unexpected(p, "fixed-length");
            unsigned long long n = strtoull(wf_arena_strndup(p->a, p->tok.text, p->tok.len), NULL, 10);
            if (n == 0 || n > UINT32_MAX) return err_at(p, &p->tok, "invalid fixed-length list size");
            t->fixed_len = (uint32_t)n;
            if ((e = next(p))) return e;
        }
        return expect(p, WIT_T_GT);
    }
    if (wf_wit_tok_is(&at, "option")) { t->kind = WIT_TE_OPTION; return one_arg(p, &t->a); }
    if (wf_wit_tok_is(&at, "own") || wf_wit_tok_is(&at, "borrow")) {
        t->kind = wf_wit_tok_is(&at, "own") ? WIT_TE_OWN : WIT_TE_BORROW;
        if ((e = expect(p, WIT_T_LT)) || (e = ident(p, &t->name, NULL))) return e;
        return expect(p, WIT_T_GT);
    }
    if (wf_wit_tok_is(&at, "future") || wf_wit_tok_is(&at, "stream")) {
        t->kind = wf_wit_tok_is(&at, "future") ? WIT_TE_FUTURE : WIT_TE_STREAM;
        if (p->tok.kind != WIT_T_LT) return NULL;
        return one_arg(p, &t->a);
    }
    if (wf_wit_tok_is(&at, "error-context")) { t->kind = WIT_TE_ERROR_CONTEXT; return NULL; }
    if (wf_wit_tok_is(&at, "map")) {
        t->kind = WIT_TE_MAP;
        if ((e = expect(p, WIT_T_LT)) || (e = texpr(p, &t->a)) || (e = expect(p, WIT_T_COMMA)) ||
            (e = texpr(p, &t->b)))
            return e;
        return expect(p, WIT_T_GT);
    }
    if (wf_wit_tok_is(&at, "result")) {
        t->kind = WIT_TE_RESULT;
        if (p->tok.kind != WIT_T_LT) return NULL;
        if ((e = next(p))) return e;
        if (p->tok.kind == WIT_T_UNDERSCORE) {
            if ((e = next(p)) || (e = expect(p, WIT_T_COMMA)) || (e = texpr(p, &t->b))) return e;
        } else {
            if ((e = texpr(p, &t->a))) return e;
            if (p->tok.kind == WIT_T_COMMA && ((e = next(p)) || (e = texpr(p, &t->b)))) return e;
        }
        return expect(p, WIT_T_GT);
    }
    if (wf_wit_tok_is(&at, "tuple")) {
        t->kind = WIT_TE_TUPLE;
        if ((e = expect(p, WIT_T_LT))) return e;
        WF_VEC(wit_texpr *) v = {0};
        while (p->tok.kind != WIT_T_GT) {
            wit_texpr *el;
            if ((e = texpr(p, &el))) break;
            wf_vec_push(&v, el);
            if (p->tok.kind != WIT_T_COMMA) break;
            if ((e = next(p))) break;
        }
        t->elems = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
        t->nelems = v.len;
        wf_vec_free(&v);
        return e ? e : expect(p, WIT_T_GT);
    }
    /* any other keyword (record, func, ...) is not a type */
    p->tok = at;
    return err_at(p, &at, "expected a type, found keyword `%.*s`", (int)at.len, at.text);
}

static wf_error *texpr(P *p, wit_texpr **out)
{
    if (++p->depth > MAX_TYPE_DEPTH)
        return err_at(p, &p->tok, "type nested too deeply (more than %d levels)", MAX_TYPE_DEPTH);
    wit_texpr *t = wf_arena_alloc(p->a, sizeof *t);
    *out = t;
    wf_error *e = texpr_inner(p, t);
    p->depth--;
    return e;
}

/* ---- Functions --------------------------------------------------------- */

/* `(a: T, ...)`: parameters, or named results in a `wit` field. */
static wf_error *named_list(P *p, wit_field **out, size_t *n)
{
    wf_error *e;
    if ((e = expect(p, WIT_T_LPAREN))) return e;
    WF_VEC(wit_field) v = {0};
    while (p->tok.kind != WIT_T_RPAREN) {
        wit_field fd = {0};
        if ((e = ident(p, &fd.name, &fd.pos)) || (e = expect(p, WIT_T_COLON)) ||
            (e = texpr(p, &fd.type)))
            break;
        wf_vec_push(&v, fd);
        if (p->tok.kind != WIT_T_COMMA) break;
        if ((e = next(p))) break;
    }
    *out = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    *n = v.len;
    wf_vec_free(&v);
    return e ? e : expect(p, WIT_T_RPAREN);
}

/* `(a: T, ...) [-> T]` after `func` / `constructor`. */
static wf_error *func_sig(P *p, wit_func *f)
{
    wf_error *e;
    if ((e = named_list(p, &f->params, &f->nparams))) return e;
    if (p->tok.kind == WIT_T_ARROW) {
        if ((e = next(p))) return e;
        if (p->field && p->tok.kind == WIT_T_LPAREN) {
            f->named_results = true;
            return named_list(p, &f->results, &f->nresults);
        }
        return texpr(p, &f->result);
    }
    return NULL;
}

/* After `name:` — `[static] [async] func(...)`. */
static wf_error *func_after_colon(P *p, wit_func *f, bool in_resource)
{
    wf_error *e;
    if (in_resource && at_kw(p, "static")) {
        f->kind = WIT_FN_STATIC;
        if ((e = next(p))) return e;
    }
    if (at_kw(p, "async")) {
        f->is_async = true;
        if ((e = next(p))) return e;
    }
    if ((e = expect_kw(p, "func"))) return e;
    return func_sig(p, f);
}

/* ---- Type definitions -------------------------------------------------- */

/* `{ a: T, ... }` (record), `{ a(T), b, ... }` (variant), `{ a, b }` (enum, flags). */
static wf_error *fields(P *p, wit_tdef *d, bool typed, bool payload)
{
    wf_error *e;
    if ((e = expect(p, WIT_T_LBRACE))) return e;
    WF_VEC(wit_field) v = {0};
    while (p->tok.kind != WIT_T_RBRACE) {
        wit_field fd = {0};
        if ((e = gate(p, &fd.gate)) || (e = ident(p, &fd.name, &fd.pos))) break;
        if (typed && ((e = expect(p, WIT_T_COLON)) || (e = texpr(p, &fd.type)))) break;
        if (payload && p->tok.kind == WIT_T_LPAREN) {
            if ((e = next(p)) || (e = texpr(p, &fd.type)) || (e = expect(p, WIT_T_RPAREN))) break;
        }
        wf_vec_push(&v, fd);
        if (p->tok.kind != WIT_T_COMMA) break;
        if ((e = next(p))) break;
    }
    d->fields = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    d->nfields = v.len;
    wf_vec_free(&v);
    return e ? e : expect(p, WIT_T_RBRACE);
}

static wf_error *resource_body(P *p, wit_tdef *d)
{
    wf_error *e;
    if (p->tok.kind == WIT_T_SEMI) return next(p);
    if ((e = expect(p, WIT_T_LBRACE))) return e;
    WF_VEC(wit_func) v = {0};
    while (p->tok.kind != WIT_T_RBRACE) {
        wit_func f = {0};
        if ((e = gate(p, &f.gate))) break;
        f.pos = pos_of(p, &p->tok);
        if (at_kw(p, "constructor")) {
            f.kind = WIT_FN_CONSTRUCTOR;
            f.name = "constructor";
            if ((e = next(p)) || (e = func_sig(p, &f))) break;
        } else {
            if (!(p->tok.kind == WIT_T_EXPLICIT_ID || (p->tok.kind == WIT_T_ID && !is_keyword(&p->tok)))) {
                e = unexpected(p, "`constructor` or identifier");
                break;
            }
            f.kind = WIT_FN_METHOD;
            if ((e = ident(p, &f.name, NULL)) || (e = expect(p, WIT_T_COLON)) ||
                (e = func_after_colon(p, &f, true)))
                break;
        }
        wf_vec_push(&v, f);
        if ((e = expect(p, WIT_T_SEMI))) break;
    }
    d->funcs = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    d->nfuncs = v.len;
    wf_vec_free(&v);
    if (e) return e;
    if ((e = expect(p, WIT_T_RBRACE))) return e;
    if (p->tok.kind == WIT_T_SEMI) return next(p);   /* an optional `;` */
    return NULL;
}

static bool at_typedef(P *p)
{
    static const char *const kw[] = { "type", "record", "variant", "enum", "flags", "resource" };
    for (size_t i = 0; i < WF_COUNT(kw); i++) if (at_kw(p, kw[i])) return true;
    return false;
}

static wf_error *typedef_(P *p, wit_tdef **out)
{
    wf_error *e;
    wit_tdef *d = wf_arena_alloc(p->a, sizeof *d);
    *out = d;
    wit_tok kw = p->tok;
    if ((e = next(p)) || (e = ident(p, &d->name, &d->pos))) return e;
    if (wf_wit_tok_is(&kw, "type")) {
        d->kind = WIT_TD_ALIAS;
        if ((e = expect(p, WIT_T_EQ)) || (e = texpr(p, &d->alias))) return e;
        return expect(p, WIT_T_SEMI);
    }
    if (wf_wit_tok_is(&kw, "record")) { d->kind = WIT_TD_RECORD; return fields(p, d, true, false); }
    if (wf_wit_tok_is(&kw, "variant")) { d->kind = WIT_TD_VARIANT; return fields(p, d, false, true); }
    if (wf_wit_tok_is(&kw, "enum")) { d->kind = WIT_TD_ENUM; return fields(p, d, false, false); }
    if (wf_wit_tok_is(&kw, "flags")) { d->kind = WIT_TD_FLAGS; return fields(p, d, false, false); }
    d->kind = WIT_TD_RESOURCE;
    return resource_body(p, d);
}

/* ---- Paths and use ----------------------------------------------------- */

/* `name` or `ns:pkg/name[@ver]` */
static wf_error *path(P *p, wit_path *out)
{
    wf_error *e;
    memset(out, 0, sizeof *out);
    char *first;
    if ((e = ident(p, &first, &out->pos))) return e;
    if (p->tok.kind != WIT_T_COLON) { out->name = first; return NULL; }
    out->ns = first;
    if ((e = next(p)) || (e = ident(p, &out->pkg, NULL)) || (e = expect(p, WIT_T_SLASH)) ||
        (e = ident(p, &out->name, NULL)))
        return e;
    if (p->tok.kind == WIT_T_AT) return version(p, &out->version);
    return NULL;
}

static wf_error *use_(P *p, wit_use **out)
{
    wf_error *e;
    wit_use *u = wf_arena_alloc(p->a, sizeof *u);
    *out = u;
    if ((e = next(p)) || (e = path(p, &u->path)) || (e = expect(p, WIT_T_DOT)) ||
        (e = expect(p, WIT_T_LBRACE)))
        return e;
    WF_VEC(wit_use_name) v = {0};
    while (p->tok.kind != WIT_T_RBRACE) {
        wit_use_name n = {0};
        if ((e = ident(p, &n.name, &n.pos))) break;
        if (at_kw(p, "as") && ((e = next(p)) || (e = ident(p, &n.as, &n.pos)))) break;
        wf_vec_push(&v, n);
        if (p->tok.kind != WIT_T_COMMA) break;
        if ((e = next(p))) break;
    }
    u->names = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    u->nnames = v.len;
    wf_vec_free(&v);
    if (e || (e = expect(p, WIT_T_RBRACE))) return e;
    return expect(p, WIT_T_SEMI);
}

/* ---- Interfaces -------------------------------------------------------- */

/* What a `wit` field cannot hold: it is one implicit interface with no
 * package around it, so nothing that names other interfaces or worlds, and
 * no resources (no handle tables for them in the runtime yet). */
static wf_error *field_unsupported(P *p)
{
    static const char *const kw[] = {
        "interface", "world", "package", "use", "include", "import", "export", "resource",
    };
    for (size_t i = 0; i < WF_COUNT(kw); i++)
        if (at_kw(p, kw[i]))
            return err_at(p, &p->tok, "`%s` is not supported in a `wit` field (functions and "
                          "type definitions only)", kw[i]);
    return NULL;
}

/* The items of an interface up to `end` (`}`, or the end of a `wit` field). */
static wf_error *iface_items(P *p, wit_iface *ifc, wit_tok_kind end)
{
    wf_error *e = NULL;
    WF_VEC(wit_iitem) v = {0};
    while (p->tok.kind != end) {
        wit_gate g;
        wit_iitem it = {0};
        if ((e = gate(p, &g))) break;
        /* A registry `wit` field in upstream Wippy's form may say
         * `export name: func(...)`: the word adds nothing there. */
        if (p->field && at_kw(p, "export") && (e = next(p))) break;
        if (p->field && (e = field_unsupported(p))) break;
        if (at_kw(p, "use")) {
            it.kind = WIT_II_USE;
            if ((e = use_(p, &it.use))) break;
            it.use->gate = g;
        } else if (at_typedef(p)) {
            it.kind = WIT_II_TYPE;
            if ((e = typedef_(p, &it.type))) break;
            it.type->gate = g;
        } else if (p->tok.kind == WIT_T_EXPLICIT_ID || (p->tok.kind == WIT_T_ID && !is_keyword(&p->tok))) {
            it.kind = WIT_II_FUNC;
            wit_func *f = wf_arena_alloc(p->a, sizeof *f);
            it.func = f;
            f->gate = g;
            if ((e = ident(p, &f->name, &f->pos)) || (e = expect(p, WIT_T_COLON)) ||
                (e = func_after_colon(p, f, false)))
                break;
            /* ... and may omit the `;` after its last function. */
            if (!(p->field && p->tok.kind == WIT_T_EOF) && (e = expect(p, WIT_T_SEMI))) break;
        } else {
            e = unexpected(p, p->field ? "a function (`name: func(...)`) or a type definition"
                                       : "`use`, a type definition or a function");
            break;
        }
        wf_vec_push(&v, it);
    }
    ifc->items = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    ifc->nitems = v.len;
    wf_vec_free(&v);
    return e;
}

/* `{ items }` of an interface (named or inline). */
static wf_error *iface_body(P *p, wit_iface *ifc)
{
    wf_error *e;
    if ((e = expect(p, WIT_T_LBRACE)) || (e = iface_items(p, ifc, WIT_T_RBRACE))) return e;
    return expect(p, WIT_T_RBRACE);
}

wf_error *wf_wit_parse_items(wf_arena *a, const char *text, size_t len, wit_iface **out)
{
    P p = { .a = a, .path = "wit", .field = true };
    wf_wit_lex_init(&p.lx, text, len);
    *out = wf_arena_alloc(a, sizeof **out);
    wf_error *e = next(&p);
    return e ? e : iface_items(&p, *out, WIT_T_EOF);
}

/* ---- Worlds ------------------------------------------------------------ */

static wf_error *extern_(P *p, wit_extern *x)
{
    wf_error *e;
    wit_tok first = p->tok;
    char *label;
    wit_pos lpos;
    if ((e = ident(p, &label, &lpos))) return e;
    if (p->tok.kind != WIT_T_COLON) {
        x->kind = WIT_EXT_PATH;
        x->path = (wit_path){ .name = label, .pos = lpos };
        return expect(p, WIT_T_SEMI);
    }
    if ((e = next(p))) return e;
    if (at_kw(p, "interface")) {
        x->kind = WIT_EXT_IFACE;
        x->label = label;
        x->iface = wf_arena_alloc(p->a, sizeof *x->iface);
        x->iface->pos = pos_of(p, &first);
        if ((e = next(p)) || (e = iface_body(p, x->iface))) return e;
        if (p->tok.kind == WIT_T_SEMI) return next(p);
        return NULL;
    }
    if (at_kw(p, "func") || at_kw(p, "async")) {
        x->kind = WIT_EXT_FUNC;
        x->label = label;
        x->func = wf_arena_alloc(p->a, sizeof *x->func);
        x->func->name = label;
        x->func->pos = lpos;
        if ((e = func_after_colon(p, x->func, false))) return e;
        return expect(p, WIT_T_SEMI);
    }
    /* `ns:pkg/name[@v]` (label was the namespace) or `label: path` */
    char *second;
    wit_pos spos;
    if ((e = ident(p, &second, &spos))) return e;
    if (p->tok.kind == WIT_T_SLASH) {
        x->kind = WIT_EXT_PATH;
        x->path = (wit_path){ .ns = label, .pkg = second, .pos = lpos };
        if ((e = next(p)) || (e = ident(p, &x->path.name, NULL))) return e;
        if (p->tok.kind == WIT_T_AT && (e = version(p, &x->path.version))) return e;
        return expect(p, WIT_T_SEMI);
    }
    x->kind = WIT_EXT_NAMED_PATH;
    x->label = label;
    x->path = (wit_path){ .name = second, .pos = spos };
    if (p->tok.kind == WIT_T_COLON) {
        x->path.ns = second;
        if ((e = next(p)) || (e = ident(p, &x->path.pkg, NULL)) || (e = expect(p, WIT_T_SLASH)) ||
            (e = ident(p, &x->path.name, NULL)))
            return e;
        if (p->tok.kind == WIT_T_AT && (e = version(p, &x->path.version))) return e;
    }
    return expect(p, WIT_T_SEMI);
}

static wf_error *world_body(P *p, wit_world *w)
{
    wf_error *e;
    if ((e = expect(p, WIT_T_LBRACE))) return e;
    WF_VEC(wit_witem) v = {0};
    while (p->tok.kind != WIT_T_RBRACE) {
        wit_witem it = {0};
        if ((e = gate(p, &it.gate))) break;
        it.pos = pos_of(p, &p->tok);
        if (at_kw(p, "import") || at_kw(p, "export")) {
            it.kind = at_kw(p, "import") ? WIT_WI_IMPORT : WIT_WI_EXPORT;
            if ((e = next(p)) || (e = extern_(p, &it.ext))) break;
        } else if (at_kw(p, "include")) {
            it.kind = WIT_WI_INCLUDE;
            if ((e = next(p)) || (e = path(p, &it.include))) break;
            if (at_kw(p, "with")) {
                WF_VEC(wit_with) wv = {0};
                if ((e = next(p)) || (e = expect(p, WIT_T_LBRACE))) break;
                while (p->tok.kind != WIT_T_RBRACE) {
                    wit_with wi = {0};
                    if ((e = ident(p, &wi.from, &wi.pos)) || (e = expect_kw(p, "as")) ||
                        (e = ident(p, &wi.to, NULL)))
                        break;
                    wf_vec_push(&wv, wi);
                    if (p->tok.kind != WIT_T_COMMA) break;
                    if ((e = next(p))) break;
                }
                it.with = wf_arena_dup(p->a, wv.data, wv.len * sizeof *wv.data);
                it.nwith = wv.len;
                wf_vec_free(&wv);
                if (e || (e = expect(p, WIT_T_RBRACE))) break;
                if (p->tok.kind == WIT_T_SEMI && (e = next(p))) break;
            } else if ((e = expect(p, WIT_T_SEMI))) {
                break;
            }
        } else if (at_kw(p, "use")) {
            it.kind = WIT_WI_USE;
            if ((e = use_(p, &it.use))) break;
            it.use->gate = it.gate;
        } else if (at_typedef(p)) {
            it.kind = WIT_WI_TYPE;
            if ((e = typedef_(p, &it.type))) break;
            it.type->gate = it.gate;
        } else {
            e = unexpected(p, "`import`, `export`, `include`, `use` or a type definition");
            break;
        }
        wf_vec_push(&v, it);
    }
    w->items = wf_arena_dup(p->a, v.data, v.len * sizeof *v.data);
    w->nitems = v.len;
    wf_vec_free(&v);
    return e ? e : expect(p, WIT_T_RBRACE);
}

/* ---- Packages and files ------------------------------------------------ */

static wf_error *pkgname(P *p, wit_pkgname *n)
{
    wf_error *e;
    if ((e = ident(p, &n->ns, &n->pos)) || (e = expect(p, WIT_T_COLON)) ||
        (e = ident(p, &n->name, NULL)))
        return e;
    if (p->tok.kind == WIT_T_AT) return version(p, &n->version);
    return NULL;
}

typedef struct part_vecs {
    WF_VEC(wit_iface *) ifaces;
    WF_VEC(wit_world *) worlds;
    WF_VEC(wit_fuse) uses;
} part_vecs;

static void part_finish(P *p, wit_pkgpart *pp, part_vecs *v)
{
    pp->ifaces = wf_arena_dup(p->a, v->ifaces.data, v->ifaces.len * sizeof *v->ifaces.data);
    pp->nifaces = v->ifaces.len;
    pp->worlds = wf_arena_dup(p->a, v->worlds.data, v->worlds.len * sizeof *v->worlds.data);
    pp->nworlds = v->worlds.len;
    pp->uses = wf_arena_dup(p->a, v->uses.data, v->uses.len * sizeof *v->uses.data);
    pp->nuses = v->uses.len;
    wf_vec_free(&v->ifaces);
    wf_vec_free(&v->worlds);
    wf_vec_free(&v->uses);
}

/* One top-level item (interface, world, use) into v; nested packages are
 * handled by the caller. */
static wf_error *toplevel_item(P *p, part_vecs *v)
{
    wf_error *e;
    wit_gate g;
    if ((e = gate(p, &g))) return e;
    if (at_kw(p, "interface")) {
        wit_iface *ifc = wf_arena_alloc(p->a, sizeof *ifc);
        ifc->gate = g;
        if ((e = next(p)) || (e = ident(p, &ifc->name, &ifc->pos)) || (e = iface_body(p, ifc)))
            return e;
        wf_vec_push(&v->ifaces, ifc);
        return NULL;
    }
    if (at_kw(p, "world")) {
        wit_world *w = wf_arena_alloc(p->a, sizeof *w);
        w->gate = g;
        if ((e = next(p)) || (e = ident(p, &w->name, &w->pos)) || (e = world_body(p, w))) return e;
        wf_vec_push(&v->worlds, w);
        return NULL;
    }
    if (at_kw(p, "use")) {
        wit_fuse u = {0};
        u.pos = pos_of(p, &p->tok);
        if ((e = next(p)) || (e = path(p, &u.path))) return e;
        if (at_kw(p, "as") && ((e = next(p)) || (e = ident(p, &u.as, &u.pos)))) return e;
        wf_vec_push(&v->uses, u);
        return expect(p, WIT_T_SEMI);
    }
    return unexpected(p, "`world`, `interface` or `use`");
}

/* `{ items }` of a nested `package x:y { }` block; the current token is `{`. */
static wf_error *nested_body(P *p, wit_pkgpart *pp)
{
    part_vecs v = {0};
    wf_error *e = next(p);
    while (!e && p->tok.kind != WIT_T_RBRACE) {
        if (p->tok.kind == WIT_T_EOF) { e = unexpected(p, "`}`"); break; }
        if (at_kw(p, "package")) {
            e = err_at(p, &p->tok, "nested packages must be placed at the top-level");
            break;
        }
        e = toplevel_item(p, &v);
    }
    part_finish(p, pp, &v);
    return e ? e : next(p);
}

/* Doc comments are skipped by the lexer; a file's package docs matter only
 * for one check (docs on two `package` headers of one package), which we
 * detect by looking for `///` or a doc block comment right before the header. */
static bool docs_before(const char *src, const char *at)
{
    const char *q = at;
    while (q > src && isspace((unsigned char)q[-1])) q--;
    const char *ls = q;
    while (ls > src && ls[-1] != '\n') ls--;
    while (ls < q && isspace((unsigned char)*ls)) ls++;
    if (q - ls >= 3 && strncmp(ls, "///", 3) == 0) return true;
    if (q - src >= 2 && q[-1] == '/' && q[-2] == '*') {
        const char *s = q - 2;
        while (s > src && !(s[0] == '/' && s[1] == '*')) s--;
        return s[2] == '*' && s[3] != '/';
    }
    return false;
}

wf_error *wf_wit_parse_file(wf_arena *a, const char *path, const char *text, size_t len,
                         wit_file **out)
{
    P p = { .a = a, .path = path };
    wf_wit_lex_init(&p.lx, text, len);
    wit_file *f = wf_arena_alloc(a, sizeof *f);
    f->path = path;
    *out = f;
    part_vecs top = {0};
    WF_VEC(wit_pkgpart *) nested = {0};
    wf_error *e = next(&p);
    /* `package x:y;` header (possibly behind gates is not allowed) */
    if (!e && at_kw(&p, "package")) {
        wit_tok kw = p.tok;
        f->top.has_docs = docs_before(text, kw.text);
        if (!(e = next(&p)) && !(e = pkgname(&p, &f->top.name))) {
            if (p.tok.kind == WIT_T_SEMI) {
                f->top.has_name = true;
                e = next(&p);
            } else if (p.tok.kind == WIT_T_LBRACE) {
                /* the file starts with a nested package block: handled below */
                goto nested_block;
            } else {
                e = unexpected(&p, "`;` or `{`");
            }
        }
        if (0) {
        nested_block:;
            wit_pkgpart *pp = wf_arena_alloc(a, sizeof *pp);
            pp->has_name = true;
            pp->name = f->top.name;
            memset(&f->top.name, 0, sizeof f->top.name);
            f->top.has_docs = false;
            e = nested_body(&p, pp);
            wf_vec_push(&nested, pp);
        }
    }
    while (!e && p.tok.kind != WIT_T_EOF) {
        if (at_kw(&p, "package")) {
            wit_tok kw = p.tok;
            wit_pkgpart *pp = wf_arena_alloc(a, sizeof *pp);
            pp->has_name = true;
            pp->has_docs = docs_before(text, kw.text);
            if ((e = next(&p)) || (e = pkgname(&p, &pp->name))) break;
            if (p.tok.kind != WIT_T_LBRACE) { e = unexpected(&p, "`{`"); break; }
            e = nested_body(&p, pp);
            wf_vec_push(&nested, pp);
            continue;
        }
        e = toplevel_item(&p, &top);
    }
    part_finish(&p, &f->top, &top);
    f->nested = wf_arena_dup(a, nested.data, nested.len * sizeof *nested.data);
    f->nnested = nested.len;
    wf_vec_free(&nested);
    return e;
}
