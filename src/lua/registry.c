/*
 * registry.c - upstream Wippy's `registry` module, the part that reads
 * (runtime/lua/modules/registry/spec.md), over the loaded project: every
 * entry of its sound files, the ones wasmfn serves and the ones of
 * upstream kinds it skips (a `registry.entry` catalogue, process.lua, ...;
 * wf_reg_listed), each as upstream's entry table
 *
 *   { id = "app:product.laptop", kind = "registry.entry",
 *     meta = { ... },       -- the entry's `meta` ({} without one)
 *     data = { ... } }      -- its other fields (not name, kind, meta),
 *                           -- and those of its `data` map (20-bar-roguelike's
 *                           -- records write `data: {race: ...}`)
 *
 *   registry.get(id)          -> entry, nil | nil, NotFound error
 *   registry.find(filter)     -> { entry, ... }, nil (load order)
 *   registry.parse_id(s)      -> { ns = ..., name = ... } (no ':': ns "")
 *   registry.snapshot()       -> snapshot, nil: snap:entries(), snap:get(id),
 *                                snap:find(filter), snap:namespace(ns)
 *
 * A filter's keys: ".kind", ".ns", ".name", ".id" match the entry's;
 * "meta.F" its meta field F (a key written with dots, "graph.rule", else
 * the nested path); a value matches when it is equal as text (50 and "50",
 * true and "true"), a list of strings when the field is a list holding
 * each. "~meta.F", "*meta.F", "^meta.F", "$meta.F" match strings by regex
 * (POSIX extended), contains, prefix and suffix. A bare key is the
 * entry's field for kind, ns, name and id, else a meta field (upstream's
 * deprecated form, read the same way).
 *
 * YAML scalars become Lua values as upstream's loader makes them: plain
 * true/false booleans, plain numbers numbers (integers where integral),
 * plain null/~ nil, everything else strings.
 *
 * What changes the registry or walks its history (snapshot:changes,
 * registry.apply_version, overlay, versions, ...) answers nil and an
 * Invalid error: wasmfn's registry is the project's files, edited on disk
 * (`wasmfn run` reloads them).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua/lua_int.h"
#include "registry/registry.h"

#define SNAP_MT "wasmfn.registry.snapshot"

/* ---- YAML nodes as Lua values ----------------------------------------------- */

static bool plain_integer(const char *s, lua_Integer *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (*p < '0' || *p > '9') return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = (lua_Integer)v;
    return true;
}

static bool plain_float(const char *s, lua_Number *out)
{
    if (!strcmp(s, ".inf") || !strcmp(s, "+.inf")) return *out = HUGE_VAL, true;
    if (!strcmp(s, "-.inf")) return *out = -HUGE_VAL, true;
    if (!strcmp(s, ".nan")) return *out = NAN, true;
    if (!strpbrk(s, ".eE") || strpbrk(s, "xXnN")) return false;    /* no hex, inf, nan words */
    const char *p = s + (*s == '-' || *s == '+');
    if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9')) return false;
    char *end;
    double v = strtod(s, &end);
    if (*end) return false;
    *out = v;
    return true;
}

static void push_node(lua_State *L, const wf_reg_node *n)
{
    luaL_checkstack(L, 4, "registry entry nested too deeply");
    switch (n->type) {
    case WF_NODE_SCALAR: {
        const char *s = n->str;
        lua_Integer i;
        lua_Number d;
        if (!n->plain || n->block) lua_pushlstring(L, s, n->len);
        else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) lua_pushboolean(L, 1);
        else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) lua_pushboolean(L, 0);
        else if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
            lua_pushnil(L);
        else if (plain_integer(s, &i)) lua_pushinteger(L, i);
        else if (plain_float(s, &d)) lua_pushnumber(L, d);
        else lua_pushlstring(L, s, n->len);
        return;
    }
    case WF_NODE_SEQ:
        lua_createtable(L, (int)WF_MIN(n->n, (size_t)INT_MAX), 0);
        for (size_t i = 0; i < n->n; i++) {
            push_node(L, n->items[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    case WF_NODE_MAP:
        lua_createtable(L, 0, (int)WF_MIN(n->n, (size_t)INT_MAX));
        for (size_t i = 0; i < n->n; i++) {
            push_node(L, n->items[i]);
            lua_setfield(L, -2, n->keys[i]);
        }
        return;
    }
    lua_pushnil(L);
}

static void push_entry(lua_State *L, const wf_reg_listed *e)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, e->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, e->kind);
    lua_setfield(L, -2, "kind");
    const wf_reg_node *meta = wf_reg_node_get(e->node, "meta");
    if (meta && meta->type == WF_NODE_MAP) push_node(L, meta);
    else lua_newtable(L);
    lua_setfield(L, -2, "meta");
    const wf_reg_node *n = e->node, *data = wf_reg_node_get(n, "data");
    if (data && data->type != WF_NODE_MAP) {
        push_node(L, data);
    } else {
        lua_newtable(L);
        for (size_t i = 0; n->type == WF_NODE_MAP && i < n->n; i++) {
            const char *k = n->keys[i];
            if (!strcmp(k, "name") || !strcmp(k, "kind") || !strcmp(k, "meta") || !strcmp(k, "data")) continue;
            push_node(L, n->items[i]);
            lua_setfield(L, -2, k);
        }
        for (size_t i = 0; data && i < data->n; i++) {
            push_node(L, data->items[i]);
            lua_setfield(L, -2, data->keys[i]);
        }
    }
    lua_setfield(L, -2, "data");
}

/* ---- filters -------------------------------------------------------------------- */

typedef enum { OP_EQ, OP_REGEX, OP_CONTAINS, OP_PREFIX, OP_SUFFIX } filter_op;

typedef struct cond {
    filter_op op;
    const char *field;     /* "kind", "ns", "name", "id", or NULL: meta */
    const char *meta_key;  /* the meta field (after "meta.") */
    const char *value;     /* as text; NULL with a list */
    char num[48];          /* a number's text (value points here once read) */
    bool is_num;
    const char **list;     /* strings the field's list must hold */
    size_t nlist;
    bool value_nil;        /* a value no field can equal (a function, ...) */
    regex_t re;
    bool has_re;
} cond;

/* The meta field key: as written ("graph.rule"), else the nested path. */
static const wf_reg_node *meta_field(const wf_reg_node *entry, const char *key)
{
    const wf_reg_node *m = wf_reg_node_get(entry, "meta");
    if (!m) return NULL;
    const wf_reg_node *v = wf_reg_node_get(m, key);
    if (v || !strchr(key, '.')) return v;
    char part[256];
    for (const char *p = key; m && *p;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part) return NULL;
        memcpy(part, p, len);
        part[len] = 0;
        m = wf_reg_node_get(m, part);
        p += len + (dot != NULL);
    }
    return m;
}

static bool text_matches(const cond *c, const char *s)
{
    size_t ls = strlen(s), lv = c->value ? strlen(c->value) : 0;
    switch (c->op) {
    case OP_EQ: return c->value && !strcmp(s, c->value);
    case OP_REGEX: return c->has_re && regexec(&c->re, s, 0, NULL, 0) == 0;
    case OP_CONTAINS: return c->value && strstr(s, c->value) != NULL;
    case OP_PREFIX: return c->value && !strncmp(s, c->value, lv);
    case OP_SUFFIX: return c->value && ls >= lv && !strcmp(s + ls - lv, c->value);
    }
    return false;
}

static bool cond_matches(const cond *c, const wf_reg_listed *e)
{
    if (c->value_nil) return false;
    if (c->field) {
        const char *s = !strcmp(c->field, "kind") ? e->kind : !strcmp(c->field, "ns") ? e->ns
                      : !strcmp(c->field, "name") ? e->name : e->id;
        return text_matches(c, s);
    }
    const wf_reg_node *v = meta_field(e->node, c->meta_key);
    if (!v) return false;
    if (c->list) {
        if (v->type != WF_NODE_SEQ) return false;
        for (size_t i = 0; i < c->nlist; i++) {
            bool found = false;
            for (size_t j = 0; j < v->n && !found; j++)
                found = v->items[j]->type == WF_NODE_SCALAR && !strcmp(v->items[j]->str, c->list[i]);
            if (!found) return false;
        }
        return true;
    }
    if (v->type == WF_NODE_SEQ && c->op == OP_EQ) {     /* a tag among a list */
        for (size_t j = 0; j < v->n; j++)
            if (v->items[j]->type == WF_NODE_SCALAR && text_matches(c, v->items[j]->str)) return true;
        return false;
    }
    return v->type == WF_NODE_SCALAR && text_matches(c, v->str);
}

typedef struct filter {
    cond *c;
    size_t n;
} filter;

static void filter_free(filter *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->c[i].has_re) regfree(&f->c[i].re);
        free(f->c[i].list);
    }
    free(f->c);
    f->c = NULL;
    f->n = 0;
}

/* The filter table at idx as conditions; its strings stay on the Lua
 * stack's table (borrowed). False with a message in why (a bad regex). */
static bool filter_read(lua_State *L, int idx, filter *f, char *why, size_t nwhy)
{
    f->c = NULL;
    f->n = 0;
    size_t cap = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {   /* upstream skips them too */
            lua_pop(L, 1);
            continue;
        }
        if (f->n == cap) {
            cap = cap ? 2 * cap : 8;
            f->c = wf_xrealloc(f->c, cap * sizeof *f->c);
        }
        cond *c = &f->c[f->n];
        memset(c, 0, sizeof *c);
        const char *key = lua_tostring(L, -2);
        switch (*key) {
        case '~': c->op = OP_REGEX, key++; break;
        case '*': c->op = OP_CONTAINS, key++; break;
        case '^': c->op = OP_PREFIX, key++; break;
        case '$': c->op = OP_SUFFIX, key++; break;
        default: c->op = OP_EQ;
        }
        const char *bare = *key == '.' ? key + 1 : key;
        if (!strcmp(bare, "kind") || !strcmp(bare, "ns") || !strcmp(bare, "name") || !strcmp(bare, "id"))
            c->field = bare;
        else
            c->meta_key = !strncmp(key, "meta.", 5) ? key + 5 : bare;
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING) {
            c->value = lua_tostring(L, -1);    /* held by the filter table */
        } else if (t == LUA_TNUMBER) {
            if (lua_isinteger(L, -1)) snprintf(c->num, sizeof c->num, LUA_INTEGER_FMT, lua_tointeger(L, -1));
            else snprintf(c->num, sizeof c->num, "%.14g", lua_tonumber(L, -1));
            c->is_num = true;
        } else if (t == LUA_TBOOLEAN) {
            c->value = lua_toboolean(L, -1) ? "true" : "false";
        } else if (t == LUA_TTABLE && !c->field) {
            size_t n = lua_rawlen(L, -1);
            c->list = wf_xcalloc(n ? n : 1, sizeof *c->list);
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, (lua_Integer)i);
                /* the list's strings live in the filter table, kept on the stack */
                if (lua_type(L, -1) == LUA_TSTRING) c->list[c->nlist++] = lua_tostring(L, -1);
                lua_pop(L, 1);
            }
        } else {
            c->value_nil = true;
        }
        f->n++;
        if (c->op == OP_REGEX && c->value) {
            int rc = regcomp(&c->re, c->value, REG_EXTENDED | REG_NOSUB);
            if (rc) {
                char msg[128];
                regerror(rc, &c->re, msg, sizeof msg);
                snprintf(why, nwhy, "invalid regular expression for %s: %s", lua_tostring(L, -2), msg);
                lua_pop(L, 2);
                return false;
            }
            c->has_re = true;
        }
        lua_pop(L, 1);
    }
    /* f->c has stopped moving: a number's text may now be pointed at */
    for (size_t i = 0; i < f->n; i++)
        if (f->c[i].is_num) f->c[i].value = f->c[i].num;
    return true;
}

static wf_registry *reg_of(lua_State *L)
{
    return wf_lua_ctx_of(L)->env->registry;
}

/* find over the registry, filter table at fidx (absent: every entry);
 * ns: only that namespace. Pushes the list and nil, or nil and an error. */
static int list_entries(lua_State *L, int fidx, const char *ns)
{
    wf_registry *r = reg_of(L);
    filter f = { 0 };
    char why[256];
    if (fidx && !filter_read(L, fidx, &f, why, sizeof why)) {
        filter_free(&f);
        return wf_lua_fail(L, WF_ERR_INVALID, "%s", why);
    }
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; r && i < wf_registry_listed_count(r); i++) {
        const wf_reg_listed *e = wf_registry_listed_at(r, i);
        if (ns && strcmp(e->ns, ns)) continue;
        bool ok = true;
        for (size_t j = 0; j < f.n && ok; j++) ok = cond_matches(&f.c[j], e);
        if (!ok) continue;
        push_entry(L, e);
        lua_rawseti(L, -2, ++k);
    }
    filter_free(&f);
    lua_pushnil(L);
    return 2;
}

static int get_entry(lua_State *L, int idx)
{
    const char *id = luaL_checkstring(L, idx);
    wf_registry *r = reg_of(L);
    const wf_reg_listed *e = r ? wf_registry_listed_get(r, id) : NULL;
    if (!e) return wf_lua_fail(L, WF_ERR_NOT_FOUND, "entry not found: %s", id);
    push_entry(L, e);
    lua_pushnil(L);
    return 2;
}

static int reg_get(lua_State *L) { return get_entry(L, 1); }

static int reg_find(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    return list_entries(L, 1, NULL);
}

static int reg_parse_id(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *colon = memchr(s, ':', n);
    lua_createtable(L, 0, 2);
    if (colon) lua_pushlstring(L, s, (size_t)(colon - s));
    else lua_pushliteral(L, "");
    lua_setfield(L, -2, "ns");
    if (colon) lua_pushlstring(L, colon + 1, n - (size_t)(colon - s) - 1);
    else lua_pushlstring(L, s, n);
    lua_setfield(L, -2, "name");
    return 1;
}

static int read_only(lua_State *L)
{
    return wf_lua_fail(L, WF_ERR_INVALID, "registry: changes and version history are not provided by "
                       "wasmfn (the registry is the project's files: edit them, `wasmfn run` reloads)");
}

/* A snapshot: the registry as loaded (a function's registry does not
 * change under it; a reload makes a new version of the function). */
static int reg_snapshot(lua_State *L)
{
    lua_newuserdatauv(L, 0, 0);
    luaL_setmetatable(L, SNAP_MT);
    lua_pushnil(L);
    return 2;
}

static int snap_entries(lua_State *L)
{
    luaL_checkudata(L, 1, SNAP_MT);
    return list_entries(L, 0, NULL);
}

static int snap_get(lua_State *L)
{
    luaL_checkudata(L, 1, SNAP_MT);
    return get_entry(L, 2);
}

/* snap:find and snap:namespace return the list alone (upstream's). */
static int snap_find(lua_State *L)
{
    luaL_checkudata(L, 1, SNAP_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    int n = list_entries(L, 2, NULL);
    lua_pop(L, 1);
    return n - 1;
}

static int snap_namespace(lua_State *L)
{
    luaL_checkudata(L, 1, SNAP_MT);
    list_entries(L, 0, luaL_checkstring(L, 2));
    lua_pop(L, 1);
    return 1;
}

int wf_lua_open_registry(lua_State *L)
{
    static const luaL_Reg snap[] = {
        {"entries", snap_entries}, {"get", snap_get}, {"find", snap_find},
        {"namespace", snap_namespace}, {"changes", read_only}, {"version", read_only},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, SNAP_MT)) {
        luaL_newlib(L, snap);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "registry.Snapshot");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"get", reg_get}, {"find", reg_find}, {"parse_id", reg_parse_id},
        {"snapshot", reg_snapshot}, {"snapshot_at", read_only}, {"current_version", read_only},
        {"versions", read_only}, {"history", read_only}, {"apply_version", read_only},
        {"build_delta", read_only}, {"overlay", read_only},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
