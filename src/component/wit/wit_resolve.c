/*
 * wit_resolve.c - name resolution and checks over parsed WIT files
 * (wit_doc.h): packages from groups of files, `use` of interfaces and types
 * within and across packages (with versions and `as`), type references,
 * handles, cycles (types, interfaces, worlds, packages), duplicate names,
 * feature gates, and world imports/exports/includes.
 *
 * Each interface is resolved on first need, depth first, so `use` chains
 * across interfaces and packages work in any order and a cycle shows up as
 * an interface met again while in progress.
 */
#include "component/wit/wit_doc.h"
#include "component/wit/wit.h"
#include "base/vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

typedef struct rpkg rpkg;
typedef struct riface riface;
typedef struct rworld rworld;

typedef enum { N_TYPE, N_FUNC } nkind;
typedef WF_VEC(riface *) riface_vec;

/* A name in an interface or world scope. */
typedef struct rname {
    const char *name;
    nkind kind;
    wit_tdef *def;          /* N_TYPE: the definition (after following uses) */
    riface *owner;          /* the scope def lives in */
    bool excluded;          /* gated out by a feature */
    wit_pos pos;
} rname;

struct riface {
    wit_iface *ast;         /* NULL for a world's own scope */
    const char *name;
    rpkg *pkg;
    wit_pkgpart *part;
    int state;              /* 0 new, 1 resolving, 2 done */
    bool excluded;
    WF_VEC(rname) names;
    riface_vec deps;        /* interfaces used */
};

/* A world import/export name. */
typedef enum { W_TYPE, W_FUNC, W_IFACE } wkind;
typedef struct wname { const char *name; wkind kind; riface *iface; bool from_id; wit_pos pos; } wname;
typedef WF_VEC(wname) wname_vec;

struct rworld {
    wit_world *ast;
    rpkg *pkg;
    wit_pkgpart *part;
    int state;
    bool excluded;
    riface scope;           /* the world's types and uses */
    wname_vec imports, exports;
};

struct rpkg {
    wit_pkgname name;
    const char *key;
    size_t group;
    wit_pos pos;
    WF_VEC(wit_pkgpart *) parts;
    WF_VEC(riface *) ifaces;
    WF_VEC(rworld *) worlds;
    WF_VEC(rpkg *) deps;
    int state;
};

typedef struct R {
    wf_wit_doc *d;
    WF_VEC(rpkg *) pkgs;
    riface_vec inline_ifaces;   /* `import x: interface { }` scopes, to free */
} R;

static wf_error *err(const wit_pos *at, const char *fmt, ...) WF_PRINTF(2, 3);
static wf_error *err(const wit_pos *at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!at || !at->file) return wf_error_new(WF_ERR_INVALID, "%s", msg);
    return wf_error_new(WF_ERR_INVALID, "%s:%d:%d: %s", at->file, at->line, at->col, msg);
}

static bool feature_on(R *r, const wit_gate *g)
{
    if (g->kind != WIT_GATE_UNSTABLE) return true;
    for (size_t i = 0; i < r->d->nfeatures; i++)
        if (strcmp(r->d->features[i], g->feature) == 0) return true;
    return false;
}

/* Compare MAJOR.MINOR.PATCH of two semvers (pre-release ignored). */
static int semver_cmp(const char *a, const char *b)
{
    for (int i = 0; i < 3; i++) {
        unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
        if (x != y) return x < y ? -1 : 1;
        if (*a == '.') a++;
        if (*b == '.') b++;
    }
    return 0;
}

static wf_error *check_since(rpkg *pk, const wit_gate *g)
{
    if (g->kind != WIT_GATE_SINCE && g->kind != WIT_GATE_DEPRECATED) return NULL;
    if (!pk->name.version || semver_cmp(g->version, pk->name.version) > 0)
        return err(&g->pos, "feature gate cannot reference unreleased version %s of package [%s] "
                   "(current version %s)", g->version, pk->key,
                   pk->name.version ? pk->name.version : "none");
    return NULL;
}

/* ---- Packages ---------------------------------------------------------- */

static rpkg *find_pkg(R *r, const char *ns, const char *name, const char *ver)
{
    rpkg *found = NULL;
    for (size_t i = 0; i < r->pkgs.len; i++) {
        rpkg *p = r->pkgs.data[i];
        if (strcmp(p->name.ns, ns) || strcmp(p->name.name, name)) continue;
        if (ver ? (p->name.version && strcmp(p->name.version, ver) == 0) : true) {
            if (!ver && found) return found;   /* several versions: take the first */
            found = p;
        }
    }
    return found;
}

static riface *pkg_iface(rpkg *p, const char *name)
{
    for (size_t i = 0; i < p->ifaces.len; i++)
        if (strcmp(p->ifaces.data[i]->name, name) == 0) return p->ifaces.data[i];
    return NULL;
}

static rworld *pkg_world(rpkg *p, const char *name)
{
    for (size_t i = 0; i < p->worlds.len; i++)
        if (strcmp(p->worlds.data[i]->ast->name, name) == 0) return p->worlds.data[i];
    return NULL;
}

static wf_error *add_part(R *r, size_t group, wit_pkgpart *part, const wit_pkgname *name,
                          const wit_pos *hdr)
{
    char *key = wf_wit_pkgname_str(&r->d->arena, name);
    rpkg *p = NULL;
    for (size_t i = 0; i < r->pkgs.len; i++)
        if (strcmp(r->pkgs.data[i]->key, key) == 0) p = r->pkgs.data[i];
    /* one package may span the top level of several files of one group;
     * anything else naming it again is a second definition */
    if (p && (hdr || p->group != group))
        return err(hdr ? hdr : &name->pos, "package `%s` is defined in two different locations", key);
    if (!p) {
        p = wf_arena_alloc(&r->d->arena, sizeof *p);
        p->name = *name;
        p->key = key;
        p->group = group;
        p->pos = name->pos;
        wf_vec_push(&r->pkgs, p);
    }
    wf_vec_push(&p->parts, part);
    wf_arena *a = &r->d->arena;
    for (size_t i = 0; i < part->nifaces; i++) {
        wit_iface *ast = part->ifaces[i];
        if (pkg_iface(p, ast->name) || pkg_world(p, ast->name))
            return err(&ast->pos, "duplicate item named `%s`", ast->name);
        riface *f = wf_arena_alloc(a, sizeof *f);
        f->ast = ast;
        f->name = ast->name;
        f->pkg = p;
        f->part = part;
        wf_vec_push(&p->ifaces, f);
    }
    for (size_t i = 0; i < part->nworlds; i++) {
        wit_world *ast = part->worlds[i];
        if (pkg_iface(p, ast->name) || pkg_world(p, ast->name))
            return err(&ast->pos, "duplicate item named `%s`", ast->name);
        rworld *w = wf_arena_alloc(a, sizeof *w);
        w->ast = ast;
        w->pkg = p;
        w->part = part;
        w->scope.name = ast->name;
        w->scope.pkg = p;
        w->scope.part = part;
        wf_vec_push(&p->worlds, w);
    }
    /* file-level `use ... as x` must not shadow this file's items */
    for (size_t i = 0; i < part->nuses; i++) {
        const char *n = part->uses[i].as ? part->uses[i].as : part->uses[i].path.name;
        for (size_t j = 0; j < part->nifaces; j++)
            if (strcmp(part->ifaces[j]->name, n) == 0)
                return err(&part->uses[i].pos, "duplicate name `%s` in this file", n);
        for (size_t j = 0; j < part->nworlds; j++)
            if (strcmp(part->worlds[j]->name, n) == 0)
                return err(&part->uses[i].pos, "duplicate name `%s` in this file", n);
        for (size_t j = 0; j < i; j++) {
            const char *m = part->uses[j].as ? part->uses[j].as : part->uses[j].path.name;
            if (strcmp(m, n) == 0) return err(&part->uses[i].pos, "duplicate name `%s` in this file", n);
        }
    }
    return NULL;
}

static void add_dep(rpkg *from, rpkg *to)
{
    if (from == to) return;
    for (size_t i = 0; i < from->deps.len; i++) if (from->deps.data[i] == to) return;
    wf_vec_push(&from->deps, to);
}

/* ---- Paths ------------------------------------------------------------- */

/* What a path names: an interface or a world (one of them set). */
static wf_error *lookup_path(R *r, rpkg *pk, wit_pkgpart *part, const wit_path *pt, bool want_world,
                             riface **fi, rworld **wo)
{
    *fi = NULL;
    *wo = NULL;
    const char *what = want_world ? "world" : "interface";
    if (!pt->ns) {
        /* this file's `use x as y;` first */
        for (size_t i = 0; part && i < part->nuses; i++) {
            const wit_fuse *u = &part->uses[i];
            const char *n = u->as ? u->as : u->path.name;
            if (strcmp(n, pt->name) == 0) {
                if (want_world)
                    return err(&pt->pos, "name `%s` is defined as an interface, not a world", pt->name);
                return lookup_path(r, pk, NULL, &u->path, false, fi, wo);
            }
        }
        riface *f = pkg_iface(pk, pt->name);
        rworld *w = pkg_world(pk, pt->name);
        if (!f && !w) return err(&pt->pos, "interface or world `%s` does not exist", pt->name);
        if (want_world && !w)
            return err(&pt->pos, "name `%s` is defined as an interface, not a world", pt->name);
        if (!want_world && !f)
            return err(&pt->pos, "name `%s` is defined as a world, not an interface", pt->name);
        *fi = f;
        *wo = w;
        return NULL;
    }
    rpkg *other = find_pkg(r, pt->ns, pt->pkg, pt->version);
    if (!other)
        return err(&pt->pos, "package '%s:%s%s%s' not found", pt->ns, pt->pkg,
                   pt->version ? "@" : "", pt->version ? pt->version : "");
    add_dep(pk, other);
    if (want_world) *wo = pkg_world(other, pt->name);
    else *fi = pkg_iface(other, pt->name);
    if (!*fi && !*wo)
        return err(&pt->pos, "%s '%s' not found in package '%s'", what, pt->name, other->key);
    return NULL;
}

/* ---- Interfaces -------------------------------------------------------- */

static wf_error *resolve_iface(R *r, riface *f, const wit_pos *from);

static rname *scope_find(riface *s, const char *name)
{
    for (size_t i = 0; i < s->names.len; i++)
        if (strcmp(s->names.data[i].name, name) == 0) return &s->names.data[i];
    return NULL;
}

static wf_error *scope_add(riface *s, rname n)
{
    if (scope_find(s, n.name)) return err(&n.pos, "name `%s` is defined more than once", n.name);
    wf_vec_push(&s->names, n);
    return NULL;
}

static wf_error *do_use(R *r, riface *s, wit_use *u, bool excluded)
{
    riface *t;
    rworld *w;
    wf_error *e = lookup_path(r, s->pkg, s->part, &u->path, false, &t, &w);
    if (e) return e;
    if (t->excluded && !excluded)
        return err(&u->path.pos, "found a reference to a interface which is excluded due to its "
                   "feature not being activated");
    if ((e = resolve_iface(r, t, &u->path.pos))) return e;
    bool have = false;
    for (size_t i = 0; i < s->deps.len; i++) have |= s->deps.data[i] == t;
    if (!have) wf_vec_push(&s->deps, t);
    for (size_t i = 0; i < u->nnames; i++) {
        wit_use_name *un = &u->names[i];
        rname *src = scope_find(t, un->name);
        if (!src) return err(&un->pos, "name `%s` does not exist", un->name);
        if (src->kind == N_FUNC) return err(&un->pos, "cannot import function `%s`", un->name);
        if (src->excluded && !excluded)
            return err(&un->pos, "found a reference to a type which is excluded due to its "
                       "feature not being activated");
        rname n = *src;
        n.name = un->as ? un->as : un->name;
        n.pos = un->pos;
        n.excluded = excluded || src->excluded;
        if ((e = scope_add(s, n))) return e;
    }
    return NULL;
}

/* The rname a type name means in scope s. */
static wf_error *type_name(riface *s, const char *name, const wit_pos *at, bool excluded, rname **out)
{
    rname *n = scope_find(s, name);
    if (!n) {
        if (!strcmp(name, "float32") || !strcmp(name, "float64"))
            return err(at, "type `%s` does not exist (renamed to `f%s`)", name, name + 5);
        return err(at, "type `%s` does not exist", name);
    }
    if (n->kind == N_FUNC) return err(at, "cannot use function `%s` as a type", name);
    if (n->excluded && !excluded)
        return err(at, "found a reference to a type which is excluded due to its feature not being activated");
    *out = n;
    return NULL;
}

/* A handle's target must be a resource (through plain aliases). */
static wf_error *handle_target(riface *s, const char *name, const wit_pos *at, bool excluded)
{
    rname *n;
    wf_error *e = type_name(s, name, at, excluded, &n);
    if (e) return e;
    wit_tdef *d = n->def;
    riface *owner = n->owner;
    for (int hops = 0; d->kind == WIT_TD_ALIAS && d->alias->kind == WIT_TE_NAME && hops < 1000; hops++) {
        rname *m = scope_find(owner, d->alias->name);
        if (!m || m->kind != N_TYPE) break;
        d = m->def;
        owner = m->owner;
    }
    if (d->kind != WIT_TD_RESOURCE) return err(at, "type `%s` used in a handle must be a resource", name);
    return NULL;
}

static bool map_key_ok(riface *s, const wit_texpr *t)
{
    if (t->kind == WIT_TE_PRIM) return t->prim != WF_WIT_F32 && t->prim != WF_WIT_F64;
    return false;
}

static wf_error *check_texpr(riface *s, const wit_texpr *t, bool excluded)
{
    wf_error *e = NULL;
    if (!t) return NULL;
    switch (t->kind) {
    case WIT_TE_PRIM: case WIT_TE_ERROR_CONTEXT: return NULL;
    case WIT_TE_NAME: { rname *n; return type_name(s, t->name, &t->pos, excluded, &n); }
    case WIT_TE_OWN: case WIT_TE_BORROW: return handle_target(s, t->name, &t->pos, excluded);
    case WIT_TE_MAP:
        if (!map_key_ok(s, t->a))
            return err(&t->a->pos, "invalid map key type: map keys must be bool, u8, u16, u32, u64, "
                       "s8, s16, s32, s64, char, or string");
        if ((e = check_texpr(s, t->a, excluded))) return e;
        return check_texpr(s, t->b, excluded);
    case WIT_TE_TUPLE:
        for (size_t i = 0; i < t->nelems && !e; i++) e = check_texpr(s, t->elems[i], excluded);
        return e;
    default:
        if ((e = check_texpr(s, t->a, excluded))) return e;
        return check_texpr(s, t->b, excluded);
    }
}

/* Type cycles: DFS over named references (handles and resources stop it). */
static wf_error *cycle_td(riface *s, wit_tdef *d);

static wf_error *cycle_te(riface *s, const wit_texpr *t)
{
    if (!t) return NULL;
    wf_error *e = NULL;
    switch (t->kind) {
    case WIT_TE_NAME: {
        rname *n = scope_find(s, t->name);
        if (n && n->kind == N_TYPE) return cycle_td(n->owner, n->def);
        return NULL;
    }
    case WIT_TE_TUPLE:
        for (size_t i = 0; i < t->nelems && !e; i++) e = cycle_te(s, t->elems[i]);
        return e;
    case WIT_TE_OWN: case WIT_TE_BORROW: return NULL;
    default:
        if ((e = cycle_te(s, t->a))) return e;
        return cycle_te(s, t->b);
    }
}

static wf_error *cycle_td(riface *s, wit_tdef *d)
{
    if (d->state == 2 || d->kind == WIT_TD_RESOURCE) return NULL;
    if (d->state == 1) return err(&d->pos, "type `%s` depends on itself", d->name);
    d->state = 1;
    wf_error *e = cycle_te(s, d->alias);
    for (size_t i = 0; !e && i < d->nfields; i++) e = cycle_te(s, d->fields[i].type);
    d->state = 2;
    return e;
}

/* Does a type contain a borrow handle (through named types)? */
static bool has_borrow_td(riface *s, wit_tdef *d, int depth);
static bool has_borrow(riface *s, const wit_texpr *t, int depth)
{
    if (!t || depth > 200) return false;
    switch (t->kind) {
    case WIT_TE_BORROW: return true;
    case WIT_TE_NAME: {
        rname *n = scope_find(s, t->name);
        return n && n->kind == N_TYPE && has_borrow_td(n->owner, n->def, depth + 1);
    }
    case WIT_TE_TUPLE:
        for (size_t i = 0; i < t->nelems; i++) if (has_borrow(s, t->elems[i], depth + 1)) return true;
        return false;
    case WIT_TE_FUTURE: case WIT_TE_STREAM: return false;
    default: return has_borrow(s, t->a, depth + 1) || has_borrow(s, t->b, depth + 1);
    }
}

static bool has_borrow_td(riface *s, wit_tdef *d, int depth)
{
    if (d->kind == WIT_TD_RESOURCE) return false;
    if (has_borrow(s, d->alias, depth)) return true;
    for (size_t i = 0; i < d->nfields; i++) if (has_borrow(s, d->fields[i].type, depth)) return true;
    return false;
}

static wf_error *check_func(R *r, riface *s, wit_func *f, wit_tdef *res, bool excluded)
{
    wf_error *e;
    if ((e = check_since(s->pkg, &f->gate))) return e;
    for (size_t i = 0; i < f->nparams; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(f->params[i].name, f->params[j].name))
                return err(&f->params[i].pos, "param `%s` is defined more than once", f->params[i].name);
        if ((e = check_texpr(s, f->params[i].type, excluded))) return e;
    }
    if ((e = check_texpr(s, f->result, excluded))) return e;
    if (f->kind == WIT_FN_CONSTRUCTOR && f->result) {
        const wit_texpr *t = f->result;
        if (t->kind != WIT_TE_RESULT)
            return err(&t->pos, "if a constructor return type is declared it must be a `result`");
        if (!t->a || t->a->kind != WIT_TE_NAME || strcmp(t->a->name, res->name))
            return err(t->a ? &t->a->pos : &t->pos, "the `ok` type must be the resource being constructed");
    }
    if (has_borrow(s, f->result, 0)) {
        if (res)
            return err(&f->pos, "function `[method]%s.%s` returns a type which contains a `borrow<T>` "
                       "which is not supported", res->name, f->name);
        return err(&f->pos, "function `%s` returns a type which contains a `borrow<T>` which is "
                   "not supported", f->name);
    }
    return NULL;
}

static wf_error *check_tdef(R *r, riface *s, wit_tdef *d, bool excluded_parent)
{
    wf_error *e;
    bool excluded = excluded_parent || !feature_on(r, &d->gate);
    if ((e = check_since(s->pkg, &d->gate))) return e;
    if (d->kind == WIT_TD_ENUM && !d->nfields) return err(&d->pos, "empty enum");
    if (d->kind == WIT_TD_VARIANT && !d->nfields) return err(&d->pos, "empty variant");
    for (size_t i = 0; i < d->nfields; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(d->fields[i].name, d->fields[j].name))
                return err(&d->fields[i].pos, "name `%s` is defined more than once", d->fields[i].name);
        bool ex = excluded || !feature_on(r, &d->fields[i].gate);
        if ((e = check_texpr(s, d->fields[i].type, ex))) return e;
    }
    if ((e = check_texpr(s, d->alias, excluded))) return e;
    bool ctor = false;
    for (size_t i = 0; i < d->nfuncs; i++) {
        wit_func *f = &d->funcs[i];
        if (f->kind == WIT_FN_CONSTRUCTOR) {
            if (ctor) return err(&f->pos, "duplicate constructors");
            ctor = true;
        } else {
            for (size_t j = 0; j < i; j++)
                if (d->funcs[j].kind != WIT_FN_CONSTRUCTOR && !strcasecmp(d->funcs[j].name, f->name))
                    return err(&f->pos, "duplicate function name `%s`", f->name);
        }
        if (!excluded_parent && excluded && feature_on(r, &f->gate))
            return err(&f->pos, "found a reference to a type which is excluded due to its feature "
                       "not being activated");
        if ((e = check_func(r, s, f, d, excluded || !feature_on(r, &f->gate)))) return e;
    }
    return NULL;
}

/* Names, then checks of an interface's or world's own items. */
static wf_error *resolve_items(R *r, riface *s, wit_iitem *items, size_t n, bool excluded)
{
    wf_error *e;
    for (size_t i = 0; i < n; i++) {
        wit_iitem *it = &items[i];
        const wit_gate *g = it->kind == WIT_II_USE ? &it->use->gate :
                            it->kind == WIT_II_TYPE ? &it->type->gate : &it->func->gate;
        if (s->ast && s->ast->name && excluded && feature_on(r, g) && !feature_on(r, &s->ast->gate))
            return err(it->kind == WIT_II_TYPE ? &it->type->pos : it->kind == WIT_II_FUNC ?
                       &it->func->pos : &it->use->path.pos,
                       "found a reference to a interface which is excluded due to its feature not "
                       "being activated; this type is not gated by a feature but its interface is");
        if (it->kind == WIT_II_USE) {
            bool ex = excluded || !feature_on(r, &it->use->gate);
            if ((e = check_since(s->pkg, &it->use->gate))) return e;
            if (ex) {
                /* gated-out uses still bind their names, as excluded */
                for (size_t j = 0; j < it->use->nnames; j++) {
                    wit_use_name *un = &it->use->names[j];
                    rname nm = { .name = un->as ? un->as : un->name, .kind = N_TYPE, .excluded = true,
                                 .pos = un->pos };
                    static wit_tdef dummy = { .kind = WIT_TD_RESOURCE };
                    nm.def = &dummy;
                    nm.owner = s;
                    if ((e = scope_add(s, nm))) return e;
                }
                continue;
            }
            if ((e = do_use(r, s, it->use, false))) return e;
        } else if (it->kind == WIT_II_TYPE) {
            rname nm = { .name = it->type->name, .kind = N_TYPE, .def = it->type, .owner = s,
                         .excluded = excluded || !feature_on(r, &it->type->gate), .pos = it->type->pos };
            if ((e = scope_add(s, nm))) return e;
        } else {
            rname nm = { .name = it->func->name, .kind = N_FUNC, .owner = s,
                         .excluded = excluded || !feature_on(r, &it->func->gate), .pos = it->func->pos };
            if ((e = scope_add(s, nm))) return e;
        }
    }
    for (size_t i = 0; i < n; i++) {
        wit_iitem *it = &items[i];
        if (it->kind == WIT_II_TYPE) {
            if ((e = cycle_td(s, it->type))) return e;
            if ((e = check_tdef(r, s, it->type, excluded))) return e;
        } else if (it->kind == WIT_II_FUNC) {
            if ((e = check_func(r, s, it->func, NULL, excluded || !feature_on(r, &it->func->gate))))
                return e;
        }
    }
    return NULL;
}

static wf_error *resolve_iface(R *r, riface *f, const wit_pos *from)
{
    if (f->state == 2) return NULL;
    if (f->state == 1)
        return err(from ? from : &f->ast->pos, "interface or world `%s` depends on itself",
                   f->name ? f->name : "<anon>");
    f->state = 1;
    wf_error *e = f->ast ? check_since(f->pkg, &f->ast->gate) : NULL;
    if (!e && f->ast) e = resolve_items(r, f, f->ast->items, f->ast->nitems, f->excluded);
    f->state = 2;
    return e;
}

/* ---- Worlds ------------------------------------------------------------ */

static const char *wkind_name(wkind k) { return k == W_TYPE ? "type" : k == W_FUNC ? "func" : "interface"; }

static wf_error *world_add(wname_vec *v, wname n, bool is_import, rworld *w)
{
    for (size_t i = 0; i < v->len; i++) {
        wname *o = &v->data[i];
        if (n.from_id && o->from_id && o->iface == n.iface)
            return err(&n.pos, "interface cannot be %s more than once", is_import ? "imported" : "exported");
        if (!n.from_id && !o->from_id && !strcasecmp(o->name, n.name)) {
            if (strcmp(o->name, n.name))
                return err(&n.pos, "%s `%s` in world `%s` conflicts with %s `%s` (kebab-case "
                           "identifiers are case-insensitive)", is_import ? "import" : "export",
                           n.name, w->ast->name, is_import ? "import" : "export", o->name);
            return err(&n.pos, "%s `%s` conflicts with prior %s of same name",
                       is_import ? "import" : "export", n.name, wkind_name(o->kind));
        }
    }
    wf_vec_push(v, n);
    return NULL;
}

static wf_error *resolve_world(R *r, rworld *w, const wit_pos *from);

/* Collect the transitive `use` dependencies of f into v. */
static void deps_closure(riface *f, riface_vec *v)
{
    for (size_t i = 0; i < f->deps.len; i++) {
        riface *d = f->deps.data[i];
        bool have = false;
        for (size_t j = 0; j < v->len; j++) have |= v->data[j] == d;
        if (!have) { wf_vec_push(v, d); deps_closure(d, v); }
    }
}

static wf_error *world_extern(R *r, rworld *w, wit_witem *it, bool excluded)
{
    wf_error *e;
    bool imp = it->kind == WIT_WI_IMPORT;
    wit_extern *x = &it->ext;
    wname n = { .pos = it->pos };
    if (excluded) return NULL;   /* a gated-out import/export need not even resolve */
    if (x->kind == WIT_EXT_PATH || x->kind == WIT_EXT_NAMED_PATH) {
        riface *f;
        rworld *wo;
        if ((e = lookup_path(r, w->pkg, w->part, &x->path, false, &f, &wo))) return e;
        if (f->excluded && !excluded)
            return err(&x->path.pos, "found a reference to a interface which is excluded due to its "
                       "feature not being activated");
        if ((e = resolve_iface(r, f, &x->path.pos))) return e;
        n.kind = W_IFACE;
        n.iface = f;
        n.pos = x->path.pos;
        if (x->kind == WIT_EXT_PATH) { n.from_id = true; n.name = x->path.name; }
        else n.name = x->label;
    } else if (x->kind == WIT_EXT_IFACE) {
        riface *f = wf_arena_alloc(&r->d->arena, sizeof *f);
        f->ast = x->iface;
        f->name = x->label;
        f->pkg = w->pkg;
        f->part = w->part;
        f->excluded = excluded;
        wf_vec_push(&r->inline_ifaces, f);
        if ((e = resolve_iface(r, f, NULL))) return e;
        n.kind = W_IFACE;
        n.iface = f;
        n.name = x->label;
    } else {
        n.kind = W_FUNC;
        n.name = x->label;
        if ((e = check_func(r, &w->scope, x->func, NULL, excluded))) return e;
    }
    if (excluded) return NULL;
    return world_add(imp ? &w->imports : &w->exports, n, imp, w);
}

static wf_error *world_include(R *r, rworld *w, wit_witem *it)
{
    wf_error *e;
    riface *f;
    rworld *o;
    if ((e = lookup_path(r, w->pkg, w->part, &it->include, true, &f, &o))) return e;
    if (!o) return err(&it->include.pos, "name `%s` is defined as an interface, not a world", it->include.name);
    if (o->excluded)
        return err(&it->include.pos, "found a reference to a world which is excluded due to its "
                   "feature not being activated");
    if ((e = resolve_world(r, o, &it->include.pos))) return e;
    for (size_t k = 0; k < it->nwith; k++) {
        bool found = false;
        for (size_t i = 0; i < o->imports.len; i++)
            found |= !o->imports.data[i].from_id && !strcmp(o->imports.data[i].name, it->with[k].from);
        for (size_t i = 0; i < o->exports.len; i++)
            found |= !o->exports.data[i].from_id && !strcmp(o->exports.data[i].name, it->with[k].from);
        if (!found)
            return err(&it->with[k].pos, "no import or export kebab-name `%s`. Note that an ID does "
                       "not support renaming", it->with[k].from);
    }
    for (int dir = 0; dir < 2; dir++) {
        wname_vec *src = dir ? &o->exports : &o->imports;
        wname_vec *dst = dir ? &w->exports : &w->imports;
        for (size_t i = 0; i < src->len; i++) {
            wname n = src->data[i];
            n.pos = it->include.pos;
            if (!n.from_id)
                for (size_t k = 0; k < it->nwith; k++)
                    if (!strcmp(it->with[k].from, n.name)) n.name = it->with[k].to;
            /* the same interface by id twice is merged, not an error */
            bool dup = false;
            for (size_t j = 0; j < dst->len; j++) {
                wname *m = &dst->data[j];
                if (n.from_id && m->from_id && m->iface == n.iface) dup = true;
                else if (!n.from_id && !m->from_id && !strcmp(m->name, n.name)) {
                    if (n.kind == W_IFACE && m->kind == W_IFACE && n.iface == m->iface) dup = true;
                    else if (n.kind == W_TYPE && m->kind == W_TYPE) dup = true;
                    else return err(&it->include.pos, "import of `%s` shadows previously imported items", n.name);
                }
            }
            if (!dup) wf_vec_push(dst, n);
        }
    }
    return NULL;
}

static wf_error *resolve_world(R *r, rworld *w, const wit_pos *from)
{
    if (w->state == 2) return NULL;
    if (w->state == 1) return err(from ? from : &w->ast->pos, "interface or world `%s` depends on itself", w->ast->name);
    w->state = 1;
    wf_error *e = check_since(w->pkg, &w->ast->gate);
    bool wex = w->excluded;
    /* types and uses first (they form the world's scope) */
    for (size_t i = 0; !e && i < w->ast->nitems; i++) {
        wit_witem *it = &w->ast->items[i];
        if (it->kind != WIT_WI_USE && it->kind != WIT_WI_TYPE) continue;
        wit_iitem ii = { .kind = it->kind == WIT_WI_USE ? WIT_II_USE : WIT_II_TYPE, .use = it->use, .type = it->type };
        e = resolve_items(r, &w->scope, &ii, 1, wex);
        if (!e && !wex && feature_on(r, &it->gate)) {
            if (it->kind == WIT_WI_TYPE) {
                wname n = { .name = it->type->name, .kind = W_TYPE, .pos = it->type->pos };
                e = world_add(&w->imports, n, true, w);
            } else {
                for (size_t j = 0; !e && j < it->use->nnames; j++) {
                    wname n = { .name = it->use->names[j].as ? it->use->names[j].as : it->use->names[j].name,
                                .kind = W_TYPE, .pos = it->use->names[j].pos };
                    e = world_add(&w->imports, n, true, w);
                }
            }
        }
    }
    for (size_t i = 0; !e && i < w->ast->nitems; i++) {
        wit_witem *it = &w->ast->items[i];
        bool ex = wex || !feature_on(r, &it->gate);
        if (!e) e = check_since(w->pkg, &it->gate);
        if (e) break;
        if (it->kind == WIT_WI_IMPORT || it->kind == WIT_WI_EXPORT) e = world_extern(r, w, it, ex);
        else if (it->kind == WIT_WI_INCLUDE && !ex) e = world_include(r, w, it);
        else if (it->kind == WIT_WI_INCLUDE) {
            riface *f;
            rworld *o;
            e = lookup_path(r, w->pkg, w->part, &it->include, true, &f, &o);
        }
    }
    /* An interface both imported (explicitly, or implicitly as a dependency)
     * and depended on as an export cannot be wired up. */
    if (!e) {
        riface_vec imported = {0};
        for (size_t i = 0; i < w->imports.len; i++)
            if (w->imports.data[i].kind == W_IFACE) {
                if (w->imports.data[i].from_id) wf_vec_push(&imported, w->imports.data[i].iface);
                deps_closure(w->imports.data[i].iface, &imported);
            }
        for (size_t i = 0; i < w->exports.len; i++) {
            if (w->exports.data[i].kind != W_IFACE) continue;
            riface *x = w->exports.data[i].iface;
            for (size_t k = 0; k < x->deps.len; k++) {
                riface *d = x->deps.data[k];
                bool exported = false;
                for (size_t j = 0; j < w->exports.len; j++)
                    exported |= w->exports.data[j].from_id && w->exports.data[j].iface == d;
                if (!exported) { wf_vec_push(&imported, d); deps_closure(d, &imported); }
            }
        }
        for (size_t i = 0; !e && i < imported.len; i++) {
            riface_vec cl = {0};
            deps_closure(imported.data[i], &cl);
            for (size_t j = 0; !e && j < w->exports.len; j++) {
                wname *x = &w->exports.data[j];
                if (!x->from_id) continue;
                for (size_t k = 0; k < cl.len; k++)
                    if (cl.data[k] == x->iface) {
                        e = err(&w->ast->pos, "interface `%s` transitively depends on an interface in "
                                "incompatible ways", imported.data[i]->name ? imported.data[i]->name : "anon");
                        break;
                    }
            }
            wf_vec_free(&cl);
        }
        wf_vec_free(&imported);
    }
    w->state = 2;
    return e;
}

/* ---- Package cycles and the whole set ---------------------------------- */

static wf_error *pkg_cycle(rpkg *p)
{
    if (p->state == 2) return NULL;
    if (p->state == 1) return err(&p->pos, "package `%s` creates a dependency cycle", p->key);
    p->state = 1;
    for (size_t i = 0; i < p->deps.len; i++) {
        wf_error *e = pkg_cycle(p->deps.data[i]);
        if (e) return e;
    }
    p->state = 2;
    return NULL;
}

typedef struct resolved { R r; } resolved;

static wf_error *collect(R *r)
{
    wf_wit_doc *d = r->d;
    wf_error *e;
    for (size_t g = 0; g < d->ngroups; g++) {
        wit_group *grp = &d->groups[g];
        /* the group's main package: the header shared by its files */
        const wit_pkgname *main = NULL;
        const wit_file *main_file = NULL;
        bool docs = false;
        for (size_t i = 0; i < grp->nfiles; i++) {
            wit_file *f = grp->files[i];
            if (!f->top.has_name) continue;
            if (main && (strcmp(main->ns, f->top.name.ns) || strcmp(main->name, f->top.name.name) ||
                         (!main->version) != (!f->top.name.version) ||
                         (main->version && strcmp(main->version, f->top.name.version))))
                return err(&f->top.name.pos, "package identifier `%s` does not match previous package "
                           "name of `%s`", wf_wit_pkgname_str(&d->arena, &f->top.name),
                           wf_wit_pkgname_str(&d->arena, main));
            if (f->top.has_docs) {
                if (docs) return err(&f->top.name.pos, "found doc comments on multiple 'package' items");
                docs = true;
            }
            main = &f->top.name;
            main_file = f;
        }
        (void)main_file;
        for (size_t i = 0; i < grp->nfiles; i++) {
            wit_file *f = grp->files[i];
            bool has_items = f->top.nifaces || f->top.nworlds || f->top.nuses;
            if (!main && (has_items || !f->nnested))
                return err(NULL, "%s: no `package` header was found in any WIT file for this package",
                           f->path);
            if (main && (has_items || f->top.has_name))
                if ((e = add_part(r, g, &f->top, main, NULL))) return e;
            for (size_t k = 0; k < f->nnested; k++)
                if ((e = add_part(r, g, f->nested[k], &f->nested[k]->name, &f->nested[k]->name.pos)))
                    return e;
        }
    }
    return NULL;
}

wf_error *wf_wit_resolve(wf_wit_doc *d)
{
    resolved *rs = wf_xcalloc(1, sizeof *rs);
    d->resolved = rs;
    R *r = &rs->r;
    r->d = d;
    wf_error *e = collect(r);
    /* gates on interfaces and worlds */
    for (size_t i = 0; !e && i < r->pkgs.len; i++) {
        rpkg *p = r->pkgs.data[i];
        for (size_t k = 0; k < p->ifaces.len; k++)
            p->ifaces.data[k]->excluded = !feature_on(r, &p->ifaces.data[k]->ast->gate);
        for (size_t k = 0; k < p->worlds.len; k++)
            p->worlds.data[k]->excluded = p->worlds.data[k]->scope.excluded =
                !feature_on(r, &p->worlds.data[k]->ast->gate);
    }
    for (size_t i = 0; !e && i < r->pkgs.len; i++) {
        rpkg *p = r->pkgs.data[i];
        for (size_t k = 0; !e && k < p->parts.len; k++) {
            wit_pkgpart *part = p->parts.data[k];
            for (size_t u = 0; !e && u < part->nuses; u++) {
                riface *f;
                rworld *w;
                e = lookup_path(r, p, NULL, &part->uses[u].path, false, &f, &w);
            }
        }
        for (size_t k = 0; !e && k < p->ifaces.len; k++) e = resolve_iface(r, p->ifaces.data[k], NULL);
        for (size_t k = 0; !e && k < p->worlds.len; k++) e = resolve_world(r, p->worlds.data[k], NULL);
    }
    for (size_t i = 0; !e && i < r->pkgs.len; i++) e = pkg_cycle(r->pkgs.data[i]);
    return e;
}

static void free_scope(riface *f) { wf_vec_free(&f->names); wf_vec_free(&f->deps); }

void wf_wit_resolved_free(wf_wit_doc *d)
{
    resolved *rs = d->resolved;
    if (!rs) return;
    for (size_t i = 0; i < rs->r.pkgs.len; i++) {
        rpkg *p = rs->r.pkgs.data[i];
        for (size_t k = 0; k < p->ifaces.len; k++) free_scope(p->ifaces.data[k]);
        for (size_t k = 0; k < p->worlds.len; k++) {
            rworld *w = p->worlds.data[k];
            free_scope(&w->scope);
            wf_vec_free(&w->imports);
            wf_vec_free(&w->exports);
        }
        wf_vec_free(&p->parts);
        wf_vec_free(&p->ifaces);
        wf_vec_free(&p->worlds);
        wf_vec_free(&p->deps);
    }
    for (size_t i = 0; i < rs->r.inline_ifaces.len; i++) free_scope(rs->r.inline_ifaces.data[i]);
    wf_vec_free(&rs->r.inline_ifaces);
    wf_vec_free(&rs->r.pkgs);
    free(rs);
    d->resolved = NULL;
}

void wf_wit_doc_counts(const wf_wit_doc *d, size_t *packages, size_t *interfaces, size_t *worlds)
{
    const resolved *rs = d->resolved;
    *packages = *interfaces = *worlds = 0;
    if (!rs) return;
    *packages = rs->r.pkgs.len;
    for (size_t i = 0; i < rs->r.pkgs.len; i++) {
        *interfaces += rs->r.pkgs.data[i]->ifaces.len;
        *worlds += rs->r.pkgs.data[i]->worlds.len;
    }
}

void wf_wit_doc_summary(const wf_wit_doc *d, wf_buf *out)
{
    const resolved *rs = d->resolved;
    if (!rs) return;
    char line[1024];
    for (size_t i = 0; i < rs->r.pkgs.len; i++) {
        rpkg *p = rs->r.pkgs.data[i];
        snprintf(line, sizeof line, "package %s\n", p->key);
        wf_buf_str(out, line);
        for (size_t k = 0; k < p->ifaces.len; k++) {
            riface *f = p->ifaces.data[k];
            size_t nt = 0, nf = 0;
            for (size_t j = 0; j < f->names.len; j++) {
                if (f->names.data[j].kind == N_TYPE) nt++;
                else nf++;
            }
            snprintf(line, sizeof line, "  interface %s: %zu types, %zu functions%s\n", f->name, nt, nf,
                     f->excluded ? " (gated)" : "");
            wf_buf_str(out, line);
        }
        for (size_t k = 0; k < p->worlds.len; k++) {
            rworld *w = p->worlds.data[k];
            snprintf(line, sizeof line, "  world %s: %zu imports, %zu exports%s\n", w->ast->name,
                     w->imports.len, w->exports.len, w->excluded ? " (gated)" : "");
            wf_buf_str(out, line);
        }
    }
}
