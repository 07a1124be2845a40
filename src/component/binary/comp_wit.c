/*
 * comp_wit.c - a component's type as WIT text (component.h
 * wf_component_wit, `wasmfn wit FILE.wasm`): its world (imports and
 * exports), then one block per imported or exported interface with its
 * types (records, variants, enums, flags, aliases, resources with their
 * methods, `use` of a resource another interface defines) and functions.
 *
 * The names are the component's: a type exported by an instance type
 * prints by its export name, a handle by its resource's name in the
 * interface at hand (or where it was defined). Interfaces are named by
 * their full extern name, so the text reads like WIT though it is not a
 * WIT package to parse back.
 */
#include "component/binary/comp_int.h"
#include "base/buf.h"

#include <stdio.h>

/* Where each resource (by root) got its name: interface and name. */
typedef struct named_res {
    const wf_cresource *res;
    const char *iface;            /* NULL: the world (a top-level import/export) */
    const char *name;
} named_res;

typedef struct printer {
    wf_buf *b;
    WF_VEC(named_res) res;
    /* the interface being printed: its resources and named types by node */
    const wf_ctype *scope;
} printer;

static void str(printer *p, const char *s) { wf_buf_str(p->b, s); }

static const char *res_name(printer *p, const wf_cresource *r)
{
    r = wf_cresource_root(r);
    /* the name in the scope printed now first, then where it was defined */
    for (size_t i = 0; p->scope && i < p->scope->nexports; i++) {
        const wf_cdecl *d = &p->scope->exports[i];
        if (d->sort == WF_CSORT_TYPE && d->type && d->type->kind == WF_CTYPE_RESOURCE &&
            wf_cresource_root(d->type->resource) == r)
            return d->name;
    }
    for (size_t i = 0; i < p->res.len; i++)
        if (p->res.data[i].res == r) return p->res.data[i].name;
    return r && r->name ? r->name : "resource";
}

/* The name a value type node has in the scope printed now, or NULL. */
static const char *type_name(printer *p, const wf_wit_type *t)
{
    if (t->kind <= WF_WIT_STRING) return NULL;   /* a primitive node is shared by every alias of it */
    for (size_t i = 0; p->scope && i < p->scope->nexports; i++) {
        const wf_cdecl *d = &p->scope->exports[i];
        if (d->sort == WF_CSORT_TYPE && d->type && d->type->kind == WF_CTYPE_VALUE && d->type->val == t)
            return d->name;
    }
    return NULL;
}

static void type(printer *p, const wf_wit_type *t, int depth, bool use_names);

static void type_list(printer *p, const char *open, const wf_wit_field *fs, size_t n, int depth)
{
    str(p, open);
    for (size_t i = 0; i < n; i++) {
        if (i) str(p, ", ");
        type(p, fs[i].type, depth + 1, true);
    }
    str(p, ">");
}

static void type(printer *p, const wf_wit_type *t, int depth, bool use_names)
{
    if (!t) { str(p, "_"); return; }
    if (depth > 16) { str(p, "..."); return; }
    const char *n = use_names ? type_name(p, t) : NULL;
    if (n) { str(p, n); return; }
    switch (t->kind) {
    case WF_WIT_OWN: str(p, res_name(p, t->resource)); return;
    case WF_WIT_BORROW: str(p, "borrow<"); str(p, res_name(p, t->resource)); str(p, ">"); return;
    case WF_WIT_LIST:
        str(p, "list<");
        type(p, t->elem, depth + 1, true);
        if (t->len) {
            char b[16];
            snprintf(b, sizeof b, ", %u", t->len);
            str(p, b);
        }
        str(p, ">");
        return;
    case WF_WIT_MAP: type_list(p, "map<", t->elem->fields, 2, depth); return;
    case WF_WIT_OPTION: str(p, "option<"); type(p, t->elem, depth + 1, true); str(p, ">"); return;
    case WF_WIT_RESULT:
        str(p, "result");
        if (t->elem || t->err) {
            str(p, "<");
            type(p, t->elem, depth + 1, true);
            if (t->err) { str(p, ", "); type(p, t->err, depth + 1, true); }
            str(p, ">");
        }
        return;
    case WF_WIT_TUPLE: type_list(p, "tuple<", t->fields, t->nfields, depth); return;
    case WF_WIT_RECORD: case WF_WIT_VARIANT: case WF_WIT_ENUM: case WF_WIT_FLAGS:
        /* a structural type with no name here: WIT has no anonymous form */
        str(p, t->name ? t->name : wf_val_kind_name((wf_val_kind)t->kind));
        return;
    default: str(p, wf_val_kind_name((wf_val_kind)t->kind)); return;
    }
}

static void indent(printer *p, int n) { for (int i = 0; i < n; i++) str(p, "  "); }

/* `name: func(params) -> results;` (a method without its self parameter;
 * a constructor as `constructor(params);`, its result implied). */
static void func(printer *p, const char *name, const wf_wit_func *f, int ind, bool method, bool ctor)
{
    indent(p, ind);
    str(p, name);
    str(p, ctor ? "(" : ": func(");
    bool first = true;
    for (size_t i = method ? 1 : 0; i < f->nparams; i++) {
        if (!first) str(p, ", ");
        first = false;
        str(p, f->params[i].name);
        str(p, ": ");
        type(p, f->params[i].type, 0, true);
    }
    str(p, ")");
    if (ctor) {
        str(p, ";\n");
        return;
    }
    if (f->nresults == 1 && !f->named_results) {
        str(p, " -> ");
        type(p, f->results[0].type, 0, true);
    } else if (f->nresults || f->named_results) {
        str(p, " -> (");
        for (size_t i = 0; i < f->nresults; i++) {
            if (i) str(p, ", ");
            str(p, f->results[i].name ? f->results[i].name : "_");
            str(p, ": ");
            type(p, f->results[i].type, 0, true);
        }
        str(p, ")");
    }
    str(p, ";\n");
}

/* A value type definition: `record x { ... }` etc. */
static void typedef_(printer *p, const char *name, const wf_wit_type *t, int ind)
{
    indent(p, ind);
    const char *kw = t->kind == WF_WIT_RECORD ? "record" : t->kind == WF_WIT_VARIANT ? "variant"
                   : t->kind == WF_WIT_ENUM ? "enum" : t->kind == WF_WIT_FLAGS ? "flags" : NULL;
    if (!kw) {
        str(p, "type ");
        str(p, name);
        str(p, " = ");
        type(p, t, 0, false);
        str(p, ";\n");
        return;
    }
    str(p, kw);
    str(p, " ");
    str(p, name);
    str(p, " {");
    for (size_t i = 0; i < t->nfields; i++) {
        str(p, i ? ", " : " ");
        str(p, t->fields[i].name);
        if (t->kind == WF_WIT_RECORD) {
            str(p, ": ");
            type(p, t->fields[i].type, 0, true);
        } else if (t->kind == WF_WIT_VARIANT && t->fields[i].type) {
            str(p, "(");
            type(p, t->fields[i].type, 0, true);
            str(p, ")");
        }
    }
    str(p, t->nfields ? " }\n" : "}\n");
}

/* "[method]R.f" / "[static]R.f" / "[constructor]R": is it one of R's? */
static const char *member_of(const char *fname, const char *res, bool *method, bool *ctor)
{
    static const struct { const char *tag; bool method, ctor; } tags[] = {
        { "[method]", true, false }, { "[static]", false, false }, { "[constructor]", false, true } };
    size_t rl = strlen(res);
    for (size_t k = 0; k < WF_COUNT(tags); k++) {
        size_t tl = strlen(tags[k].tag);
        if (strncmp(fname, tags[k].tag, tl) || strncmp(fname + tl, res, rl)) continue;
        const char *rest = fname + tl + rl;
        *method = tags[k].method;
        *ctor = tags[k].ctor;
        if (tags[k].ctor && !*rest) return "constructor";
        if (!tags[k].ctor && *rest == '.') return rest + 1;
    }
    return NULL;
}

static bool is_member(const wf_ctype *it, const char *fname)
{
    if (fname[0] != '[') return false;
    for (size_t i = 0; i < it->nexports; i++) {
        const wf_cdecl *d = &it->exports[i];
        bool m, c;
        if (d->sort == WF_CSORT_TYPE && d->type && d->type->kind == WF_CTYPE_RESOURCE &&
            member_of(fname, d->name, &m, &c))
            return true;
    }
    return false;
}

static void remember(printer *p, const wf_cresource *r, const char *iface, const char *name)
{
    r = wf_cresource_root(r);
    for (size_t i = 0; i < p->res.len; i++)
        if (p->res.data[i].res == r) return;
    wf_vec_push(&p->res, ((named_res){ r, iface, name }));
}

static void interface(printer *p, const char *name, const wf_ctype *it, bool import)
{
    p->scope = it;
    str(p, "\n// ");
    str(p, import ? "imported" : "exported");
    str(p, "\ninterface ");
    str(p, name);
    str(p, " {\n");
    for (size_t i = 0; i < it->nexports; i++) {
        const wf_cdecl *d = &it->exports[i];
        if (d->sort != WF_CSORT_TYPE || !d->type) continue;
        if (d->type->kind == WF_CTYPE_VALUE) {
            typedef_(p, d->name, d->type->val, 1);
            continue;
        }
        if (d->type->kind != WF_CTYPE_RESOURCE) continue;
        const wf_cresource *r = wf_cresource_root(d->type->resource);
        const named_res *from = NULL;
        for (size_t k = 0; k < p->res.len && !from; k++)
            if (p->res.data[k].res == r && p->res.data[k].iface != name) from = &p->res.data[k];
        if (from && from->iface) {   /* defined by an interface printed before */
            indent(p, 1);
            str(p, "use ");
            str(p, from->iface);
            str(p, ".{");
            str(p, from->name);
            if (strcmp(from->name, d->name)) {
                str(p, " as ");
                str(p, d->name);
            }
            str(p, "};\n");
            continue;
        }
        remember(p, r, name, d->name);
        indent(p, 1);
        str(p, "resource ");
        str(p, d->name);
        bool any = false;
        for (size_t k = 0; k < it->nexports; k++) {
            const wf_cdecl *f = &it->exports[k];
            bool m, c;
            const char *mn = f->sort == WF_CSORT_FUNC ? member_of(f->name, d->name, &m, &c) : NULL;
            if (!mn) continue;
            if (!any) str(p, " {\n");
            any = true;
            func(p, mn, f->type->func, 2, m, c);
        }
        str(p, any ? "  }\n" : ";\n");
    }
    for (size_t i = 0; i < it->nexports; i++) {
        const wf_cdecl *d = &it->exports[i];
        if (d->sort == WF_CSORT_FUNC && d->type && !is_member(it, d->name)) func(p, d->name, d->type->func, 1, false, false);
        else if (d->sort != WF_CSORT_FUNC && d->sort != WF_CSORT_TYPE) {
            indent(p, 1);
            str(p, "// ");
            str(p, d->name);
            str(p, ": a ");
            str(p, wf_csort_name(d->sort));
            str(p, "\n");
        }
    }
    str(p, "}\n");
    p->scope = NULL;
}

static void world_item(printer *p, const wf_cdecl *d, bool import)
{
    str(p, import ? "  import " : "  export ");
    str(p, d->name);
    if (d->sort == WF_CSORT_FUNC && d->type) {
        str(p, ": ");
        const wf_wit_func *f = d->type->func;
        wf_buf *b = p->b;
        size_t mark = b->len;
        func(p, "", f, 0, false, false);
        /* func() printed "<name>: func(...);\n" with an empty name: keep "func(...);\n" */
        memmove(b->data + mark, b->data + mark + 2, b->len - mark - 2);
        b->len -= 2;
        return;
    }
    if (d->sort == WF_CSORT_TYPE && d->type && d->type->kind == WF_CTYPE_RESOURCE) {
        remember(p, d->type->resource, NULL, d->name);
        str(p, ": resource;\n");
        return;
    }
    if (d->sort == WF_CSORT_TYPE && d->type && d->type->kind == WF_CTYPE_VALUE) {
        str(p, ": type;\n");
        return;
    }
    if (d->sort != WF_CSORT_INSTANCE) {
        str(p, ": ");
        str(p, wf_csort_name(d->sort));
    }
    str(p, ";\n");
}

void wf_component_wit(const wf_component *c, wf_buf *out)
{
    printer p = { .b = out };
    const wf_ctype *ct = c->ctype;
    str(&p, "world root {\n");
    for (size_t i = 0; ct && i < ct->nimports; i++) world_item(&p, &ct->imports[i], true);
    for (size_t i = 0; ct && i < ct->nexports; i++) world_item(&p, &ct->exports[i], false);
    str(&p, "}\n");
    for (size_t i = 0; ct && i < ct->nimports; i++)
        if (ct->imports[i].sort == WF_CSORT_INSTANCE && ct->imports[i].type)
            interface(&p, ct->imports[i].name, ct->imports[i].type, true);
    for (size_t i = 0; ct && i < ct->nexports; i++)
        if (ct->exports[i].sort == WF_CSORT_INSTANCE && ct->exports[i].type)
            interface(&p, ct->exports[i].name, ct->exports[i].type, false);
    wf_vec_free(&p.res);
}
