/*
 * json_schema.c - JSON Schema validation for upstream's json.validate and
 * json.validate_string (lua_int.h): a schema and a value, both untyped
 * wf_vals (from a Lua table or JSON text), checked by the keywords of JSON
 * Schema (draft 2020-12, with draft-07's forms of items and definitions):
 *
 *   type (a name or a list; "integer" is any integral number), enum, const;
 *   numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf;
 *   strings: minLength, maxLength (in characters), pattern;
 *   arrays: items (a schema, or draft-07's list), prefixItems, minItems,
 *     maxItems, uniqueItems, contains;
 *   objects: properties, required, additionalProperties, patternProperties,
 *     minProperties, maxProperties, propertyNames;
 *   allOf, anyOf, oneOf, not, if/then/else, $ref to "#" and "#/..." (JSON
 *     pointers into the schema: $defs, definitions).
 * Other keywords (format, title, description, ...) are annotations and
 * ignored. Patterns are ECMA-262 as far as POSIX extended expressions reach
 * (\d, \w, \s and their negations are translated).
 *
 * A Lua table cannot tell an empty object from an empty array: an empty one
 * is both. Every failure is listed (up to 20): the error's message names the
 * first ("/age: 12 is less than the minimum 18") and its details hold them
 * all ({errors = {{path = "/age", message = ...}, ...}}).
 */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "component/json.h"
#include "component/val_conv.h"
#include "lua/lua_int.h"

#define MAX_ERRORS 20
#define MAX_DEPTH 64

typedef struct vstate {
    const wf_val *root;       /* the whole schema, for $ref */
    char path[512];           /* JSON pointer of the value being checked */
    size_t len;
    int depth;
    size_t nerrors;
    wf_buf list;              /* the errors as a JSON array's items */
    char first[1000];
    bool quiet;               /* counting only (anyOf, oneOf, not, if) */
    size_t failures;          /* failures seen while quiet */
    char *schema_error;       /* the schema itself is wrong */
} vstate;

static void fail(vstate *s, const char *fmt, ...) WF_PRINTF(2, 3);
static void fail(vstate *s, const char *fmt, ...)
{
    if (s->quiet) {
        s->failures++;
        return;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *where = s->len ? s->path : "/";
    if (!s->nerrors) snprintf(s->first, sizeof s->first, "%s: %s", where, msg);
    if (s->nerrors++ >= MAX_ERRORS) return;
    wf_val e = wf_val_agg(WF_VAL_RECORD, 2);
    wf_val_set_name(&e, 0, "path");
    wf_val_set_name(&e, 1, "message");
    e.of.agg.items[0] = wf_val_string(where, strlen(where));
    e.of.agg.items[1] = wf_val_string(msg, strlen(msg));
    char *j = wf_json_from_val(&e);
    wf_val_free(&e);
    if (s->list.len) wf_buf_byte(&s->list, ',');
    wf_buf_str(&s->list, j);
    free(j);
}

static void schema_fail(vstate *s, const char *fmt, ...) WF_PRINTF(2, 3);
static void schema_fail(vstate *s, const char *fmt, ...)
{
    if (s->schema_error) return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->schema_error = wf_xstrdup(msg);
}

/* Append "/key" (JSON pointer escaping ~ and /); returns the old length. */
static size_t push_key(vstate *s, const char *key)
{
    size_t old = s->len;
    if (s->len < sizeof s->path - 1) s->path[s->len++] = '/';
    for (const char *p = key; *p && s->len < sizeof s->path - 3; p++) {
        if (*p == '~' || *p == '/') {
            s->path[s->len++] = '~';
            s->path[s->len++] = *p == '~' ? '0' : '1';
        } else {
            s->path[s->len++] = *p;
        }
    }
    s->path[s->len] = 0;
    return old;
}

static size_t push_index(vstate *s, size_t i)
{
    char d[24];
    snprintf(d, sizeof d, "%zu", i);
    return push_key(s, d);
}

static void pop(vstate *s, size_t old)
{
    s->len = old;
    s->path[old] = 0;
}

/* ---- values ------------------------------------------------------------------ */

static bool is_number(const wf_val *v)
{
    return (v->kind >= WF_VAL_S8 && v->kind <= WF_VAL_U64) || v->kind == WF_VAL_F32 || v->kind == WF_VAL_F64;
}

static double num(const wf_val *v)
{
    if (v->kind >= WF_VAL_S8 && v->kind <= WF_VAL_S64) return (double)v->of.s;
    if (v->kind >= WF_VAL_U8 && v->kind <= WF_VAL_U64) return (double)v->of.u;
    return v->kind == WF_VAL_F32 ? v->of.f32 : v->of.f64;
}

static bool is_null(const wf_val *v) { return v->kind == WF_VAL_OPTION && !v->of.cas.payload; }
static bool is_object(const wf_val *v) { return v->kind == WF_VAL_RECORD || (v->kind == WF_VAL_LIST && !v->of.agg.len); }
static bool is_array(const wf_val *v) { return v->kind == WF_VAL_LIST || v->kind == WF_VAL_TUPLE; }

static const char *json_type(const wf_val *v)
{
    if (is_null(v)) return "null";
    if (v->kind == WF_VAL_BOOL) return "boolean";
    if (is_number(v)) return num(v) == floor(num(v)) && isfinite(num(v)) ? "integer" : "number";
    if (v->kind == WF_VAL_STRING) return "string";
    if (v->kind == WF_VAL_RECORD) return "object";
    if (is_array(v)) return "array";
    return wf_val_kind_name((wf_val_kind)v->kind);
}

static bool has_type(const wf_val *v, const char *t)
{
    if (!strcmp(t, "null")) return is_null(v);
    if (!strcmp(t, "boolean")) return v->kind == WF_VAL_BOOL;
    if (!strcmp(t, "number")) return is_number(v);
    if (!strcmp(t, "integer")) return is_number(v) && isfinite(num(v)) && num(v) == floor(num(v));
    if (!strcmp(t, "string")) return v->kind == WF_VAL_STRING;
    if (!strcmp(t, "object")) return is_object(v);
    if (!strcmp(t, "array")) return is_array(v);
    return false;
}

/* JSON equality: numbers by value, objects by keys in any order. */
static bool equal(const wf_val *a, const wf_val *b)
{
    if (is_number(a) && is_number(b)) return num(a) == num(b);
    if (is_object(a) && is_object(b)) {
        if (a->of.agg.len != b->of.agg.len) return false;
        for (size_t i = 0; i < a->of.agg.len; i++) {
            const wf_val *o = wf_val_field(b, a->of.agg.names[i]);
            if (!o || !equal(&a->of.agg.items[i], o)) return false;
        }
        return true;
    }
    if (is_array(a) && is_array(b)) {
        if (a->of.agg.len != b->of.agg.len) return false;
        for (size_t i = 0; i < a->of.agg.len; i++)
            if (!equal(&a->of.agg.items[i], &b->of.agg.items[i])) return false;
        return true;
    }
    if (a->kind != b->kind) return false;
    if (a->kind == WF_VAL_BOOL) return a->of.b == b->of.b;
    if (a->kind == WF_VAL_STRING) return a->of.str.len == b->of.str.len && !memcmp(a->of.str.data, b->of.str.data, a->of.str.len);
    return is_null(a) && is_null(b);
}

/* A schema keyword, or NULL (an empty Lua table given for an object is
 * a LIST of nothing: no keywords). */
static const wf_val *kw(const wf_val *schema, const char *name)
{
    return schema->kind == WF_VAL_RECORD ? wf_val_field(schema, name) : NULL;
}

static bool kw_number(vstate *s, const wf_val *schema, const char *name, double *out)
{
    const wf_val *k = kw(schema, name);
    if (!k) return false;
    if (!is_number(k)) {
        schema_fail(s, "`%s` must be a number", name);
        return false;
    }
    *out = num(k);
    return true;
}

/* ---- patterns ------------------------------------------------------------------ */

/* An ECMA-262 pattern as a POSIX extended one: \d \w \s (and \D \W \S) as
 * bracket expressions; other escapes kept. */
static bool pattern_match(vstate *s, const char *pattern, const char *text)
{
    wf_buf b = {0};
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) {
            const char *cls = NULL;
            switch (p[1]) {
            case 'd': cls = "[0-9]"; break;
            case 'D': cls = "[^0-9]"; break;
            case 'w': cls = "[A-Za-z0-9_]"; break;
            case 'W': cls = "[^A-Za-z0-9_]"; break;
            case 's': cls = "[[:space:]]"; break;
            case 'S': cls = "[^[:space:]]"; break;
            }
            if (cls) {
                wf_buf_str(&b, cls);
                p++;
                continue;
            }
            wf_buf_byte(&b, (uint8_t)*p++);
        }
        wf_buf_byte(&b, (uint8_t)*p);
    }
    wf_buf_byte(&b, 0);
    regex_t re;
    bool ok = false;
    if (regcomp(&re, (const char *)b.data, REG_EXTENDED | REG_NOSUB)) {
        schema_fail(s, "pattern `%s` is not a regular expression this runtime reads", pattern);
    } else {
        ok = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
    }
    wf_buf_free(&b);
    return ok;
}

/* ---- the walk ---------------------------------------------------------------------- */

static void validate(vstate *s, const wf_val *schema, const wf_val *v);

/* Does v match schema? Nothing reported. */
static bool matches(vstate *s, const wf_val *schema, const wf_val *v)
{
    bool quiet = s->quiet;
    size_t failures = s->failures;
    s->quiet = true;
    validate(s, schema, v);
    bool ok = s->failures == failures;
    s->failures = failures;
    s->quiet = quiet;
    return ok;
}

/* "#" or "#/a/b" (JSON pointer into the root schema). */
static const wf_val *resolve(vstate *s, const char *ref)
{
    if (ref[0] != '#') {
        schema_fail(s, "$ref `%s`: only references inside the schema (#/...) are supported", ref);
        return NULL;
    }
    const wf_val *at = s->root;
    const char *p = ref + 1;
    while (*p == '/') {
        p++;
        char key[256];
        size_t n = 0;
        for (; *p && *p != '/' && n < sizeof key - 1; p++) {
            if (*p == '~' && (p[1] == '0' || p[1] == '1')) key[n++] = p[1] == '0' ? '~' : '/', p++;
            else key[n++] = *p;
        }
        key[n] = 0;
        const wf_val *next = NULL;
        if (at->kind == WF_VAL_RECORD) next = wf_val_field(at, key);
        else if (is_array(at)) {
            char *end;
            unsigned long i = strtoul(key, &end, 10);
            if (!*end && i < at->of.agg.len) next = &at->of.agg.items[i];
        }
        if (!next) {
            schema_fail(s, "$ref `%s` points at nothing", ref);
            return NULL;
        }
        at = next;
    }
    return at;
}

static void check_number(vstate *s, const wf_val *schema, const wf_val *v)
{
    double x = num(v), lim;
    char xs[40], ls[40];
    wf_val_float_str(xs, sizeof xs, x);
#define SHOW(l) (wf_val_float_str(ls, sizeof ls, (l)), ls)
    if (kw_number(s, schema, "minimum", &lim) && x < lim) fail(s, "%s is less than the minimum %s", xs, SHOW(lim));
    if (kw_number(s, schema, "maximum", &lim) && x > lim) fail(s, "%s is greater than the maximum %s", xs, SHOW(lim));
    if (kw_number(s, schema, "exclusiveMinimum", &lim) && x <= lim)
        fail(s, "%s is not greater than the exclusive minimum %s", xs, SHOW(lim));
    if (kw_number(s, schema, "exclusiveMaximum", &lim) && x >= lim)
        fail(s, "%s is not less than the exclusive maximum %s", xs, SHOW(lim));
    if (kw_number(s, schema, "multipleOf", &lim)) {
        if (lim <= 0) schema_fail(s, "`multipleOf` must be greater than 0");
        else if (fabs(x / lim - nearbyint(x / lim)) > 1e-9) fail(s, "%s is not a multiple of %s", xs, SHOW(lim));
    }
#undef SHOW
}

static void check_string(vstate *s, const wf_val *schema, const wf_val *v)
{
    size_t chars = 0;
    for (size_t i = 0; i < v->of.str.len; i++) chars += ((uint8_t)v->of.str.data[i] & 0xc0) != 0x80;
    double lim;
    if (kw_number(s, schema, "minLength", &lim) && (double)chars < lim)
        fail(s, "a string of %zu characters is shorter than the minimum length %.0f", chars, lim);
    if (kw_number(s, schema, "maxLength", &lim) && (double)chars > lim)
        fail(s, "a string of %zu characters is longer than the maximum length %.0f", chars, lim);
    const wf_val *pat = kw(schema, "pattern");
    if (pat && pat->kind == WF_VAL_STRING && !pattern_match(s, pat->of.str.data, v->of.str.data))
        fail(s, "\"%.80s\" does not match the pattern `%s`", v->of.str.data, pat->of.str.data);
}

static void check_array(vstate *s, const wf_val *schema, const wf_val *v)
{
    size_t n = v->of.agg.len, from = 0;
    double lim;
    if (kw_number(s, schema, "minItems", &lim) && (double)n < lim)
        fail(s, "%zu items, fewer than the minimum %.0f", n, lim);
    if (kw_number(s, schema, "maxItems", &lim) && (double)n > lim)
        fail(s, "%zu items, more than the maximum %.0f", n, lim);
    const wf_val *prefix = kw(schema, "prefixItems"), *items = kw(schema, "items");
    if (items && is_array(items) && items->of.agg.len) {   /* draft-07: a schema per position */
        prefix = items;
        items = kw(schema, "additionalItems");
    }
    if (prefix && is_array(prefix)) {
        for (; from < n && from < prefix->of.agg.len; from++) {
            size_t old = push_index(s, from);
            validate(s, &prefix->of.agg.items[from], &v->of.agg.items[from]);
            pop(s, old);
        }
    }
    if (items)
        for (size_t i = from; i < n; i++) {
            size_t old = push_index(s, i);
            validate(s, items, &v->of.agg.items[i]);
            pop(s, old);
        }
    const wf_val *u = kw(schema, "uniqueItems");
    if (u && u->kind == WF_VAL_BOOL && u->of.b)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (equal(&v->of.agg.items[i], &v->of.agg.items[j])) {
                    fail(s, "items %zu and %zu are equal (uniqueItems)", i, j);
                    i = j = n;
                }
    const wf_val *contains = kw(schema, "contains");
    if (contains) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++) any = matches(s, contains, &v->of.agg.items[i]);
        if (!any) fail(s, "no item matches `contains`");
    }
}

static void check_object(vstate *s, const wf_val *schema, const wf_val *v)
{
    size_t n = v->kind == WF_VAL_RECORD ? v->of.agg.len : 0;
    double lim;
    if (kw_number(s, schema, "minProperties", &lim) && (double)n < lim)
        fail(s, "%zu properties, fewer than the minimum %.0f", n, lim);
    if (kw_number(s, schema, "maxProperties", &lim) && (double)n > lim)
        fail(s, "%zu properties, more than the maximum %.0f", n, lim);
    const wf_val *req = kw(schema, "required");
    if (req && is_array(req))
        for (size_t i = 0; i < req->of.agg.len; i++) {
            const wf_val *name = &req->of.agg.items[i];
            if (name->kind != WF_VAL_STRING) {
                schema_fail(s, "`required` must list property names");
                continue;
            }
            const wf_val *got = n ? wf_val_field(v, name->of.str.data) : NULL;
            if (!got) fail(s, "missing required property `%s`", name->of.str.data);
        }
    const wf_val *props = kw(schema, "properties"), *pprops = kw(schema, "patternProperties");
    const wf_val *extra = kw(schema, "additionalProperties"), *names = kw(schema, "propertyNames");
    for (size_t i = 0; i < n; i++) {
        const char *key = v->of.agg.names[i];
        const wf_val *item = &v->of.agg.items[i];
        size_t old = push_key(s, key);
        bool known = false;
        const wf_val *ps = props && props->kind == WF_VAL_RECORD ? wf_val_field(props, key) : NULL;
        if (ps) {
            known = true;
            validate(s, ps, item);
        }
        if (pprops && pprops->kind == WF_VAL_RECORD)
            for (size_t k = 0; k < pprops->of.agg.len; k++)
                if (pattern_match(s, pprops->of.agg.names[k], key)) {
                    known = true;
                    validate(s, &pprops->of.agg.items[k], item);
                }
        if (!known && extra) {
            if (extra->kind == WF_VAL_BOOL && !extra->of.b) {
                pop(s, old);
                fail(s, "property `%s` is not allowed (additionalProperties)", key);
                continue;
            }
            validate(s, extra, item);
        }
        if (names) {
            wf_val k = wf_val_string(key, strlen(key));
            if (!matches(s, names, &k)) fail(s, "the property name does not match `propertyNames`");
            wf_val_free(&k);
        }
        pop(s, old);
    }
}

static void validate(vstate *s, const wf_val *schema, const wf_val *v)
{
    if (s->schema_error) return;
    if (schema->kind == WF_VAL_BOOL) {
        if (!schema->of.b) fail(s, "no value is allowed here (the schema is false)");
        return;
    }
    if (!is_object(schema)) {
        schema_fail(s, "a schema must be an object or a boolean, got %s", json_type(schema));
        return;
    }
    if (++s->depth > MAX_DEPTH) {
        schema_fail(s, "schema nesting or $ref chains deeper than %d", MAX_DEPTH);
        s->depth--;
        return;
    }
    const wf_val *k;
    if ((k = kw(schema, "$ref")) && k->kind == WF_VAL_STRING) {
        const wf_val *target = resolve(s, k->of.str.data);
        if (target) validate(s, target, v);
    }
    if ((k = kw(schema, "type"))) {
        bool ok = false;
        if (k->kind == WF_VAL_STRING) ok = has_type(v, k->of.str.data);
        else if (is_array(k))
            for (size_t i = 0; i < k->of.agg.len && !ok; i++)
                ok = k->of.agg.items[i].kind == WF_VAL_STRING && has_type(v, k->of.agg.items[i].of.str.data);
        if (!ok) {
            char *want = k->kind == WF_VAL_STRING ? wf_xstrdup(k->of.str.data) : wf_json_from_val(k);
            fail(s, "expected %s, got %s", want, json_type(v));
            free(want);
            s->depth--;
            return;   /* the type's own keywords would only repeat it */
        }
    }
    if ((k = kw(schema, "enum")) && is_array(k)) {
        bool ok = false;
        for (size_t i = 0; i < k->of.agg.len && !ok; i++) ok = equal(&k->of.agg.items[i], v);
        if (!ok) fail(s, "the value is not one of the `enum` values");
    }
    if ((k = kw(schema, "const")) && !equal(k, v)) fail(s, "the value is not the `const` value");
    if (is_number(v)) check_number(s, schema, v);
    if (v->kind == WF_VAL_STRING) check_string(s, schema, v);
    if (is_array(v)) check_array(s, schema, v);
    if (is_object(v)) check_object(s, schema, v);
    if ((k = kw(schema, "allOf")) && is_array(k))
        for (size_t i = 0; i < k->of.agg.len; i++) validate(s, &k->of.agg.items[i], v);
    if ((k = kw(schema, "anyOf")) && is_array(k)) {
        bool ok = false;
        for (size_t i = 0; i < k->of.agg.len && !ok; i++) ok = matches(s, &k->of.agg.items[i], v);
        if (!ok) fail(s, "the value matches none of `anyOf`");
    }
    if ((k = kw(schema, "oneOf")) && is_array(k)) {
        size_t hits = 0;
        for (size_t i = 0; i < k->of.agg.len; i++) hits += matches(s, &k->of.agg.items[i], v);
        if (hits != 1) fail(s, "the value matches %zu of `oneOf` (exactly one wanted)", hits);
    }
    if ((k = kw(schema, "not")) && matches(s, k, v)) fail(s, "the value matches the schema of `not`");
    if ((k = kw(schema, "if"))) {
        const wf_val *branch = kw(schema, matches(s, k, v) ? "then" : "else");
        if (branch) validate(s, branch, v);
    }
    s->depth--;
}

wf_error *wf_lua_json_validate(const wf_val *schema, const wf_val *v)
{
    vstate s = {.root = schema};
    validate(&s, schema, v);
    if (s.schema_error) {
        wf_error *e = wf_error_new(WF_ERR_INVALID, "invalid schema: %s", s.schema_error);
        free(s.schema_error);
        wf_buf_free(&s.list);
        return e;
    }
    if (!s.nerrors) {
        wf_buf_free(&s.list);
        return NULL;
    }
    wf_error *e = s.nerrors == 1 ? wf_error_new(WF_ERR_INVALID, "%s", s.first)
                                 : wf_error_new(WF_ERR_INVALID, "%s (and %zu more)", s.first, s.nerrors - 1);
    wf_buf_byte(&s.list, 0);
    e->details = wf_xasprintf("{\"errors\":[%s]}", (const char *)s.list.data);
    wf_buf_free(&s.list);
    return e;
}
