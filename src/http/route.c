/*
 * route.c - route tables: patterns of literal segments, {param} segments
 * and a final {rest...}, matched against a request's method and path.
 *
 * Of the patterns that match a path, the most specific wins, segment by
 * segment from the left: a literal beats a {param}, which beats {rest...}.
 * A path that some pattern matches but none with the request's method is a
 * 405 naming the methods that would have matched (Allow); no pattern at
 * all is a 404. Tables are immutable once handed to a service, so matching
 * takes no lock; a reference count keeps a replaced table alive until the
 * last request routed by it has ended.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/vec.h"
#include "http/http_int.h"

enum { SEG_LITERAL, SEG_PARAM, SEG_REST };

typedef struct seg {
    int kind;
    char *text;                    /* literal text, or the param's name */
} seg;

struct http_route {
    char *method;                  /* upper case, or "*" */
    char *pattern;
    char *name;
    seg *segs;
    size_t nsegs;
    wf_http_handler_fn fn;
    void *ud;
    bool streaming;                /* reads its request body as it arrives */
};

struct wf_http_routes {
    WF_VEC(http_route) routes;
    atomic_int refs;
    void (*on_free)(void *ud);
    void *ud;
};

wf_http_routes *wf_http_routes_new(void (*on_free)(void *ud), void *ud)
{
    wf_http_routes *r = wf_xcalloc(1, sizeof *r);
    atomic_init(&r->refs, 1);
    r->on_free = on_free;
    r->ud = ud;
    return r;
}

void wf_http_routes_free(wf_http_routes *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->routes.len; i++) {
        http_route *rt = &r->routes.data[i];
        for (size_t k = 0; k < rt->nsegs; k++) free(rt->segs[k].text);
        free(rt->segs);
        free(rt->method);
        free(rt->pattern);
        free(rt->name);
    }
    wf_vec_free(&r->routes);
    if (r->on_free) r->on_free(r->ud);
    free(r);
}

void wf_http_routes_ref(wf_http_routes *r)
{
    atomic_fetch_add(&r->refs, 1);
}

void wf_http_routes_unref(wf_http_routes *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) wf_http_routes_free(r);
}

static bool valid_param_name(const char *s, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-')) return false;
    return true;
}

/* Split pattern into segments; INVALID naming what is wrong. */
static wf_error *parse_pattern(const char *pattern, seg **out, size_t *nout)
{
    if (pattern[0] != '/')
        return wf_error_new(WF_ERR_INVALID, "route '%s': a path must start with '/'", pattern);
    WF_VEC(seg) v = { 0 };
    const char *p = pattern + 1;
    wf_error *e = NULL;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        seg s = { SEG_LITERAL, NULL };
        if (n && p[0] == '{') {
            if (p[n - 1] != '}') {
                e = wf_error_new(WF_ERR_INVALID, "route '%s': segment '%.*s' opens '{' without closing it",
                                 pattern, (int)n, p);
                break;
            }
            const char *name = p + 1;
            size_t nl = n - 2;
            if (nl > 3 && !memcmp(name + nl - 3, "...", 3)) {
                nl -= 3;
                s.kind = SEG_REST;
                if (end) {
                    e = wf_error_new(WF_ERR_INVALID, "route '%s': {%.*s...} must be the last segment",
                                     pattern, (int)nl, name);
                    break;
                }
            } else {
                s.kind = SEG_PARAM;
            }
            if (!valid_param_name(name, nl)) {
                e = wf_error_new(WF_ERR_INVALID, "route '%s': bad parameter name '%.*s' (letters, digits, '_', '-')",
                                 pattern, (int)nl, name);
                break;
            }
            s.text = wf_xstrndup(name, nl);
        } else {
            if (memchr(p, '{', n) || memchr(p, '}', n)) {
                e = wf_error_new(WF_ERR_INVALID, "route '%s': '{' and '}' must enclose a whole segment",
                                 pattern);
                break;
            }
            s.text = wf_xstrndup(p, n);
        }
        wf_vec_push(&v, s);
        if (v.len > 16) {
            e = wf_error_new(WF_ERR_INVALID, "route '%s': more than 16 segments", pattern);
            break;
        }
        if (!end) break;
        p = end + 1;
    }
    size_t nparams = 0;
    for (size_t i = 0; !e && i < v.len; i++) {
        if (v.data[i].kind == SEG_LITERAL) continue;
        nparams++;
        for (size_t k = 0; k < i; k++)
            if (v.data[k].kind != SEG_LITERAL && !strcmp(v.data[k].text, v.data[i].text))
                e = wf_error_new(WF_ERR_INVALID, "route '%s': parameter '%s' appears twice", pattern,
                                 v.data[i].text);
    }
    if (e) {
        for (size_t i = 0; i < v.len; i++) free(v.data[i].text);
        wf_vec_free(&v);
        return e;
    }
    *out = v.data;
    *nout = v.len;
    return NULL;
}

static wf_error *add_route(wf_http_routes *r, const char *method, const char *pattern, const char *name,
                           wf_http_handler_fn fn, void *ud, bool streaming)
{
    http_route rt = { 0 };
    wf_error *e = parse_pattern(pattern, &rt.segs, &rt.nsegs);
    if (e) return e;
    rt.method = wf_xstrdup(method);
    for (char *c = rt.method; *c; c++) *c = (char)toupper((unsigned char)*c);
    for (size_t i = 0; i < r->routes.len; i++) {
        const http_route *o = &r->routes.data[i];
        if (!strcmp(o->pattern, pattern) && !strcmp(o->method, rt.method)) {
            e = wf_error_new(WF_ERR_INVALID, "%s %s is routed twice: to %s and to %s", rt.method, pattern,
                             o->name, name ? name : "?");
            for (size_t k = 0; k < rt.nsegs; k++) free(rt.segs[k].text);
            free(rt.segs);
            free(rt.method);
            return e;
        }
    }
    rt.pattern = wf_xstrdup(pattern);
    rt.name = wf_xstrdup(name ? name : pattern);
    rt.fn = fn;
    rt.ud = ud;
    rt.streaming = streaming;
    wf_vec_push(&r->routes, rt);
    return NULL;
}

wf_error *wf_http_routes_add(wf_http_routes *r, const char *method, const char *pattern,
                             const char *name, wf_http_handler_fn fn, void *ud)
{
    return add_route(r, method, pattern, name, fn, ud, false);
}

wf_error *wf_http_routes_add_streaming(wf_http_routes *r, const char *method, const char *pattern,
                                       const char *name, wf_http_handler_fn fn, void *ud)
{
    return add_route(r, method, pattern, name, fn, ud, true);
}

bool wf_http_route_streaming(const http_route *rt)
{
    return rt->streaming;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *wf_http_pct_decode(const char *s, size_t n)
{
    char *out = wf_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        if (i + 2 >= n) {
            free(out);
            return NULL;
        }
        int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
        if (a < 0 || b < 0 || (a == 0 && b == 0)) {   /* %00 would cut the C string short */
            free(out);
            return NULL;
        }
        *o++ = (char)(a * 16 + b);
        i += 2;
    }
    *o = 0;
    return out;
}

/* How well rt matches path: < 0 no match, else a score where a literal
 * counts more than a param, more than the rest (compared left to right by
 * building a number in base 3). Params are recorded into m when keep. */
static long score_route(const http_route *rt, const char *path, size_t len, http_match *m, bool keep)
{
    const char *p = path + 1, *end = path + len;
    long score = 0;
    for (size_t i = 0; i < rt->nsegs; i++) {
        const seg *s = &rt->segs[i];
        if (s->kind == SEG_REST) {
            /* "/files" for "/files/{rest...}": the path ended before the
             * rest's slash (end - p would be -1). The rest may be empty,
             * its slash may not be missing. */
            if (p > end) return -1;
            if (keep) {
                m->param_names[m->nparams] = s->text;
                m->param_values[m->nparams++] = wf_http_pct_decode(p, (size_t)(end - p));
            }
            for (size_t k = i; k < 16; k++) score = score * 3;
            return score;
        }
        if (p > end) return -1;    /* the path ran out */
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *se = slash ? slash : end;
        size_t n = (size_t)(se - p);
        if (s->kind == SEG_LITERAL) {
            if (strlen(s->text) != n || memcmp(s->text, p, n)) return -1;
            score = score * 3 + 2;
        } else {
            if (!n) return -1;     /* a param is never empty */
            if (keep) {
                m->param_names[m->nparams] = s->text;
                m->param_values[m->nparams++] = wf_http_pct_decode(p, n);
            }
            score = score * 3 + 1;
        }
        p = se + 1;                /* past end when the path ended */
    }
    if (p <= end) return -1;       /* the path has more segments */
    for (size_t k = rt->nsegs; k < 16; k++) score = score * 3;
    return score;
}

void wf_http_routes_match(wf_http_routes *r, const char *method, const char *path, size_t path_len,
                          http_match *m)
{
    memset(m, 0, sizeof *m);
    m->status = 404;
    if (!path_len || path[0] != '/') return;
    long best = -1, best_any = -1;
    const http_route *win = NULL;
    for (size_t i = 0; i < r->routes.len; i++) {
        const http_route *rt = &r->routes.data[i];
        long sc = score_route(rt, path, path_len, m, false);
        if (sc < 0) continue;
        if (sc > best_any) best_any = sc;
        bool method_ok = !strcmp(rt->method, "*") || !strcmp(rt->method, method) ||
                         (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET"));
        if (method_ok && sc > best) {
            best = sc;
            win = rt;
        }
    }
    if (!win) {
        if (best_any < 0) return;
        m->status = 405;
        /* Allow: the methods of every pattern matching as well as the best. */
        size_t off = 0;
        for (size_t i = 0; i < r->routes.len; i++) {
            const http_route *rt = &r->routes.data[i];
            if (score_route(rt, path, path_len, m, false) != best_any) continue;
            int w = snprintf(m->allow + off, sizeof m->allow - off, "%s%s", off ? ", " : "", rt->method);
            if (w < 0 || (size_t)w >= sizeof m->allow - off) break;
            off += (size_t)w;
        }
        return;
    }
    score_route(win, path, path_len, m, true);
    for (size_t i = 0; i < m->nparams; i++) {
        if (!m->param_values[i]) {   /* a bad %-escape in a param */
            wf_http_match_free(m);
            m->status = 400;
            return;
        }
    }
    m->route = win;
    m->status = 0;
}

void wf_http_match_free(http_match *m)
{
    for (size_t i = 0; i < m->nparams; i++) free(m->param_values[i]);
    m->nparams = 0;
}

const char *wf_http_route_pattern(const http_route *rt)
{
    return rt->pattern;
}

const char *wf_http_route_name(const http_route *rt)
{
    return rt->name;
}

wf_http_handler_fn wf_http_route_fn(const http_route *rt, void **ud)
{
    *ud = rt->ud;
    return rt->fn;
}
