/*
 * comp_name.c - import and export names (Explainer.md "Import and Export
 * Definitions"): kebab-case labels, [constructor]/[method]/[static] plain
 * names, interface names with semver versions, strong uniqueness, and the
 * type rules annotated names impose; and reading a name from the binary
 * with its attributes (`implements`, `versionsuffix`, external ids).
 */
#include "component/binary/comp_int.h"

#include <ctype.h>
#include <stdio.h>

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* label ::= fragment ('-' fragment)*, each fragment all-lowercase (word) or
 * all-uppercase (acronym) with digits; the first starts with a letter. */
bool wf_clabel_valid(const char *s, size_t n)
{
    if (n == 0) return false;
    size_t i = 0;
    bool first = true;
    for (;;) {
        size_t start = i;
        bool lower = false, upper = false;
        while (i < n && s[i] != '-') {
            char c = s[i];
            if (is_lower(c)) lower = true;
            else if (is_upper(c)) upper = true;
            else if (!is_digit(c)) return false;
            i++;
        }
        if (i == start) return false;                 /* empty fragment */
        if (lower && upper) return false;             /* mixed case */
        if (first && is_digit(s[start])) return false;
        first = false;
        if (i == n) return true;
        i++;                                          /* '-' */
        if (i == n) return false;
    }
}

/* words ::= first-word ('-' word)*: lowercase only. */
static bool words_valid(const char *s, size_t n)
{
    if (!wf_clabel_valid(s, n)) return false;
    for (size_t i = 0; i < n; i++)
        if (is_upper(s[i])) return false;
    return true;
}

/* Semantic Versioning 2.0; on error *why says what is wrong. */
static bool semver_num(const char **p, const char *end, const char **why)
{
    const char *s = *p;
    if (s == end) { *why = "unexpected end of input"; return false; }
    if (!is_digit(*s)) {
        static char buf[64];
        snprintf(buf, sizeof buf, "unexpected character '%c' while parsing major version number", *s);
        *why = buf;
        return false;
    }
    if (*s == '0' && s + 1 < end && is_digit(s[1])) { *why = "invalid leading zero in version number"; return false; }
    while (s < end && is_digit(*s)) s++;
    *p = s;
    return true;
}

static bool semver_idents(const char *s, const char *end, bool pre, const char **why)
{
    /* dot-separated non-empty [0-9A-Za-z-]+; numeric pre-release ids have no leading zero */
    for (;;) {
        const char *st = s;
        bool numeric = true;
        while (s < end && *s != '.') {
            if (!(isalnum((unsigned char)*s) || *s == '-')) {
                static char buf[64];
                snprintf(buf, sizeof buf, "unexpected character '%c' in version", *s);
                *why = buf;
                return false;
            }
            if (!is_digit(*s)) numeric = false;
            s++;
        }
        if (s == st) { *why = "empty identifier segment"; return false; }
        if (pre && numeric && *st == '0' && s - st > 1) { *why = "invalid leading zero in pre-release identifier"; return false; }
        if (s == end) return true;
        s++;
    }
}

static bool semver_valid(const char *s, size_t n, const char **why)
{
    const char *p = s, *end = s + n;
    if (n == 0) { *why = "empty string, expected a semver version"; return false; }
    for (int part = 0; part < 3; part++) {
        if (part) {
            if (p == end) { *why = "unexpected end of input while parsing version"; return false; }
            if (*p != '.') {
                static char buf[64];
                snprintf(buf, sizeof buf, "unexpected character '%c' after version number", *p);
                *why = buf;
                return false;
            }
            p++;
        }
        if (!semver_num(&p, end, why)) {
            if (p == end && part) *why = "unexpected end of input while parsing version";
            return false;
        }
    }
    if (p < end && *p == '-') {
        const char *q = p + 1;
        const char *plus = memchr(q, '+', (size_t)(end - q));
        const char *pe = plus ? plus : end;
        if (!semver_idents(q, pe, true, why)) return false;
        p = pe;
    }
    if (p < end && *p == '+') {
        if (!semver_idents(p + 1, end, false, why)) return false;
        p = end;
    }
    if (p != end) {
        static char buf[64];
        snprintf(buf, sizeof buf, "unexpected character '%c' after version number", *p);
        *why = buf;
        return false;
    }
    return true;
}

static bool copy_label(char *dst, const char *s, size_t n)
{
    if (n >= 128) return false;
    memcpy(dst, s, n);
    dst[n] = 0;
    return true;
}

static bool interface_name(cctx *x, const char *name, size_t at)
{
    const char *colon = strchr(name, ':');
    const char *atv = strchr(name, '@');
    size_t len = atv ? (size_t)(atv - name) : strlen(name);
    if (!words_valid(name, (size_t)(colon - name)))
        return wf_cinvalid(x, at, "`%.*s` is not a valid namespace in `%s`", (int)(colon - name), name, name);
    const char *pkg = colon + 1;
    const char *slash = memchr(pkg, '/', len - (size_t)(pkg - name));
    const char *c2 = memchr(pkg, ':', len - (size_t)(pkg - name));
    if (!slash || (c2 && c2 < slash))
        return wf_cinvalid(x, at, "expected `/` after package name in `%s`", name);
    if (!words_valid(pkg, (size_t)(slash - pkg)))
        return wf_cinvalid(x, at, "`%.*s` is not a valid package name in `%s`", (int)(slash - pkg), pkg, name);
    const char *iface = slash + 1;
    size_t ilen = len - (size_t)(iface - name);
    const char *s2 = memchr(iface, '/', ilen);
    if (s2) return wf_cinvalid(x, at, "trailing characters found: `%.*s` in `%s`", (int)(len - (size_t)(s2 - name)), s2, name);
    if (!wf_clabel_valid(iface, ilen))
        return wf_cinvalid(x, at, "`%.*s` is not in kebab case in `%s`", (int)ilen, iface, name);
    if (atv) {
        const char *why = "invalid version";
        if (!semver_valid(atv + 1, strlen(atv + 1), &why))
            return wf_cinvalid(x, at, "`%s` is not a valid extern name: %s", name, why);
    }
    return true;
}

bool wf_cname_parse(cctx *x, const char *name, cname *out, size_t at)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(name);
    struct { const char *pfx; uint8_t kind; } ann[] = {
        { "[constructor]", CNAME_CONSTRUCTOR }, { "[method]", CNAME_METHOD }, { "[static]", CNAME_STATIC },
    };
    for (size_t i = 0; i < WF_COUNT(ann); i++) {
        size_t pl = strlen(ann[i].pfx);
        if (n < pl || memcmp(name, ann[i].pfx, pl) != 0) continue;
        const char *rest = name + pl;
        size_t rn = n - pl;
        out->kind = ann[i].kind;
        if (ann[i].kind == CNAME_CONSTRUCTOR) {
            if (!wf_clabel_valid(rest, rn) || !copy_label(out->resource, rest, rn))
                return wf_cinvalid(x, at, "`%s` is not a valid extern name: `%s` is not in kebab case", name, rest);
            return true;
        }
        const char *dot = memchr(rest, '.', rn);
        if (!dot) return wf_cinvalid(x, at, "`%s` is not a valid extern name: failed to find `.` character", name);
        size_t r1 = (size_t)(dot - rest), r2 = rn - r1 - 1;
        if (!wf_clabel_valid(rest, r1) || !wf_clabel_valid(dot + 1, r2) ||
            !copy_label(out->resource, rest, r1) || !copy_label(out->label, dot + 1, r2))
            return wf_cinvalid(x, at, "`%s` is not a valid extern name: not in kebab case", name);
        return true;
    }
    if (name[0] == '[') {
        if (!strncmp(name, "[async", 6))
            return wf_cunsupported(x, at, "`%s`: async names are not supported", name);
        return wf_cinvalid(x, at, "`%s` is not a valid extern name: unknown annotation", name);
    }
    if (strchr(name, ':')) {
        out->kind = CNAME_INTERFACE;
        return interface_name(x, name, at);
    }
    if (strchr(name, '=') || strchr(name, '<'))
        return wf_cinvalid(x, at, "`%s` is not a valid extern name", name);
    if (!wf_clabel_valid(name, n))
        return wf_cinvalid(x, at, "`%s` is not in kebab case (not a valid extern name)", name);
    out->kind = CNAME_PLAIN;
    copy_label(out->label, name, n);
    return true;
}

/* The strong-uniqueness canonical form (Explainer.md "Name Uniqueness"). */
static char *canonical(const char *name)
{
    char *s = wf_xstrdup(name);
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    const char *pfx[] = { "[method]", "[static]" };
    for (size_t i = 0; i < 2; i++) {
        size_t pl = strlen(pfx[i]);
        if (strncmp(s, pfx[i], pl) != 0) continue;
        char *rest = s + pl;
        char *dot = strchr(rest, '.');
        if (dot && (size_t)(dot - rest) == strlen(dot + 1) && !memcmp(rest, dot + 1, (size_t)(dot - rest)))
            *dot = 0;
        memmove(s, rest, strlen(rest) + 1);
        return s;
    }
    return s;
}

bool wf_cname_unique(cctx *x, const wf_cdecl *decls, size_t n, const char *name, size_t at)
{
    char *c = canonical(name);
    for (size_t i = 0; i < n; i++) {
        char *o = canonical(decls[i].name);
        bool same = strcmp(o, c) == 0;
        free(o);
        if (same) {
            free(c);
            return wf_cinvalid(x, at, "name `%s` conflicts with previous name `%s`", name, decls[i].name);
        }
    }
    free(c);
    return true;
}

/* The resource named `label` among prev decls (type decls of a resource). */
static const wf_cresource *resource_named(const wf_cdecl *prev, size_t n, const char *label)
{
    for (size_t i = n; i-- > 0;)
        if (prev[i].sort == WF_CSORT_TYPE && prev[i].type->kind == WF_CTYPE_RESOURCE && !strcmp(prev[i].name, label))
            return prev[i].type->resource;
    return NULL;
}

bool wf_cname_check_decl(cctx *x, const cname *nm, const wf_cdecl *d, const wf_cdecl *prev,
                         size_t nprev, size_t at)
{
    if (nm->kind != CNAME_CONSTRUCTOR && nm->kind != CNAME_METHOD && nm->kind != CNAME_STATIC) return true;
    if (d->sort != WF_CSORT_FUNC)
        return wf_cinvalid(x, at, "`%s` is not a func: annotated names are only for functions", d->name);
    const wf_cresource *r = resource_named(prev, nprev, nm->resource);
    if (!r) return wf_cinvalid(x, at, "`%s`: resource `%s` is not defined before it in this scope", d->name, nm->resource);
    const wf_wit_func *f = d->type->func;
    if (nm->kind == CNAME_CONSTRUCTOR) {
        const wf_wit_type *t = f->nresults == 1 ? f->results[0].type : NULL;
        if (t && t->kind == WF_WIT_RESULT) t = t->elem;
        if (!t || t->kind != WF_WIT_OWN || t->resource != r)
            return wf_cinvalid(x, at, "function `%s` should return `(own %s)` or a result of it (the resource used in the function does not have that name in this context)", d->name, nm->resource);
    } else if (nm->kind == CNAME_METHOD) {
        if (f->nparams < 1 || strcmp(f->params[0].name, "self") != 0 ||
            f->params[0].type->kind != WF_WIT_BORROW || f->params[0].type->resource != r)
            return wf_cinvalid(x, at, "function `%s` should have a first parameter `self` of type `(borrow %s)`", d->name, nm->resource);
    }
    return true;
}

/* ---- Names in the binary ------------------------------------------------------ */

/* nameattributes: 0x00/0x01 name | 0x02 name vec(attribute). Attributes
 * (implements, versionsuffix, external-id) are decoded and checked for
 * duplicates; `implements` is returned for the instance-type check. */
bool wf_cread_extern_name(cctx *x, char **name, bool *implements)
{
    size_t at = OFF(x);
    uint8_t b;
    *implements = false;
    if (!wf_read_u8(&x->r, &b)) return false;
    if (b > 0x02) return wf_cmalformed(x, at, "invalid leading byte (0x%x) for component name", b);
    if (!wf_cread_name(x, name)) return false;
    if (b != 0x02) return true;
    uint32_t n;
    if (!wf_cread_count(x, &n)) return false;
    bool seen[3] = { false, false, false };
    char *version_suffix = NULL;
    for (uint32_t i = 0; i < n; i++) {
        size_t aat = OFF(x);
        uint8_t k;
        char *v;
        if (!wf_read_u8(&x->r, &k)) return false;
        if (k > 0x02) return wf_cmalformed(x, aat, "invalid leading byte (0x%x) for name attribute", k);
        if (!wf_cread_name(x, &v)) return false;
        if (seen[k]) return wf_cinvalid(x, aat, "duplicate name attribute");
        seen[k] = true;
        if (k == 0x00) {
            cname in;
            if (!wf_cname_parse(x, v, &in, aat)) return false;
            if (in.kind != CNAME_INTERFACE)
                return wf_cinvalid(x, aat, "`implements` attribute `%s` must be an interface name", v);
            *implements = true;
        } else if (k == 0x01) {
            version_suffix = v;
        }
    }
    if (version_suffix) {
        /* valid only after an interface name whose version is canonical */
        const char *atv = strchr(*name, '@');
        if (!atv) return wf_cinvalid(x, at, "`versionsuffix` attribute on name `%s` without a version", *name);
        char *full = wf_xasprintf("%s%s", *name, version_suffix);
        cname tmp;
        bool ok = wf_cname_parse(x, full, &tmp, at);
        free(full);
        if (!ok) return false;
    }
    return true;
}

bool wf_ccheck_implements(cctx *x, bool impl, const cname *nm, const wf_cdecl *d, size_t at)
{
    if (!impl) return true;
    if (d->sort != WF_CSORT_INSTANCE)
        return wf_cinvalid(x, at, "only instances can have an `implements` attribute (`%s` is a %s)", d->name,
                           wf_csort_name(d->sort));
    if (nm->kind != CNAME_PLAIN)
        return wf_cinvalid(x, at, "name `%s` is not valid with `implements`: it must be a plain name", d->name);
    return true;
}
