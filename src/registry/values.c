/*
 * values.c - what string values may hold beyond themselves: `${env:NAME}` and
 * `${env:NAME|default}` placeholders (resolved through env.variable entries,
 * see registry.h for the order), and `file://PATH` (replaced by the file's
 * contents, PATH relative to the YAML file and confined to the project).
 * Also reference resolution (bare names -> full IDs) and path confinement.
 */
#include "registry/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"

char *wf_reg_ref_resolve(const char *ns, const char *ref)
{
    if (strchr(ref, ':')) return wf_xstrdup(ref);
    return wf_xasprintf("%s:%s", ns, ref);
}

/* Lexically normalise "a/./b/../c" into out; false if ".." climbs above "". */
static bool normalise(const char *path, wf_buf *out)
{
    WF_VEC(size_t) marks = { 0 };   /* out->len before each segment */
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *s = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - s);
        if (!n || (n == 1 && s[0] == '.')) continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (!marks.len) {
                wf_vec_free(&marks);
                return false;
            }
            out->len = wf_vec_pop(&marks);
            continue;
        }
        wf_vec_push(&marks, out->len);
        wf_buf_byte(out, '/');
        wf_buf_bytes(out, s, n);
    }
    wf_vec_free(&marks);
    return true;
}

static bool has_prefix_dir(const char *path, const char *root)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && (path[n] == 0 || path[n] == '/');
}

char *wf_reg_path_confined(const char *root, const char *base, const char *path, const char **why)
{
    if (path[0] == '/') {
        *why = "an absolute path is not allowed";
        return NULL;
    }
    /* base is inside root: normalise base-relative-to-root + path. */
    const char *rel_base = base + strlen(root);
    char *joined = wf_xasprintf("%s/%s", rel_base, path);
    wf_buf b = { 0 };
    bool ok = normalise(joined, &b);
    free(joined);
    if (!ok) {
        wf_buf_free(&b);
        *why = "the path escapes the project directory";
        return NULL;
    }
    wf_buf_byte(&b, 0);
    char *full = wf_xasprintf("%s%s", root, (char *)b.data);
    wf_buf_free(&b);
    /* Symlinks may still lead out: check where the existing path really is. */
    char real[PATH_MAX];
    if (realpath(full, real) && !has_prefix_dir(real, root)) {
        free(full);
        *why = "the path leads outside the project directory (symlink)";
        return NULL;
    }
    return full;
}

/* ---- env values -------------------------------------------------------- */

static void kv_lookup(const wf_reg_kv *kv, size_t n, const char *key, char **out)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key)) {
            *out = wf_xstrdup(kv[i].value);
            return;
        }
}

char *wf_reg_var_value(wf_registry *r, reg_entry *var)
{
    const wf_reg_variable *v = &var->pub.u.var;
    char *val = NULL;
    reg_entry *st = v->storage ? wf_reg_find_any(r, v->storage) : NULL;
    if (st && st->checked) {
        switch (st->pub.kind) {
        case WF_REG_ENV_STORAGE_OS: {
            const char *s = getenv(v->variable);
            if (s) val = wf_xstrdup(s);
            break;
        }
        case WF_REG_ENV_STORAGE_STATIC:
        case WF_REG_ENV_STORAGE_FILE:
        case WF_REG_ENV_STORAGE_MEMORY:
            pthread_mutex_lock(&r->env_lock);
            kv_lookup(st->pub.u.storage.values, st->pub.u.storage.nvalues, v->variable, &val);
            pthread_mutex_unlock(&r->env_lock);
            break;
        default:
            break;
        }
    }
    if (!val && v->default_value) val = wf_xstrdup(v->default_value);
    return val;
}

/* The env.variable a placeholder NAME means for an entry in ns: by full ID,
 * then bare name in ns, then public `variable` name (first in load order). */
static reg_entry *find_var(wf_registry *r, const char *ns, const char *name)
{
    char *id = wf_reg_ref_resolve(ns, name);
    reg_entry *e = wf_reg_find_any(r, id);
    free(id);
    if (e && e->pub.kind == WF_REG_ENV_VARIABLE && e->checked) return e;
    return wf_map_get(&r->var_names, name);
}

void wf_reg_var_checked(wf_registry *r, reg_entry *e)
{
    const char *name = e->pub.u.var.variable;
    if (name) wf_map_add(&r->var_names, name, strlen(name), e);   /* an earlier one keeps it */
}

/* Expand placeholders in s; NULL + diag on an unresolvable one. */
static char *expand_env(wf_registry *r, reg_entry *e, const wf_reg_node *n)
{
    const char *s = n->str;
    if (!strstr(s, "${env:")) return NULL;   /* nothing to do */
    wf_buf out = { 0 };
    while (*s) {
        const char *p = strstr(s, "${env:");
        if (!p) {
            wf_buf_str(&out, s);
            break;
        }
        wf_buf_bytes(&out, s, (size_t)(p - s));
        const char *close = strchr(p, '}');
        if (!close) {
            wf_reg_diagf(r, e->file, n->line, e->pub.id, "unterminated placeholder '%s'", p);
            wf_buf_free(&out);
            return NULL;
        }
        const char *body = p + 6;
        const char *bar = memchr(body, '|', (size_t)(close - body));
        char *name = wf_xstrndup(body, (size_t)((bar ? bar : close) - body));
        char *val = NULL;
        reg_entry *var = *name ? find_var(r, e->pub.ns, name) : NULL;
        if (var) val = wf_reg_var_value(r, var);
        if (!val && bar) val = wf_xstrndup(bar + 1, (size_t)(close - bar - 1));
        if (!val) {
            if (var)
                wf_reg_diagf(r, e->file, n->line, e->pub.id,
                         "${env:%s}: env variable %s has no value and no default", name, var->pub.id);
            else
                wf_reg_diagf(r, e->file, n->line, e->pub.id,
                         "${env:%s}: no env.variable entry named '%s' and no |default", name, name);
            free(name);
            wf_buf_free(&out);
            return NULL;
        }
        wf_buf_str(&out, val);
        free(val);
        free(name);
        s = close + 1;
    }
    wf_buf_byte(&out, 0);
    size_t len;
    return (char *)wf_buf_take(&out, &len);
}

static void expand_file(wf_registry *r, reg_entry *e, wf_reg_node *n)
{
    if (strncmp(n->str, "file://", 7) != 0) return;
    const char *path = n->str + 7;
    const char *why = NULL;
    char *full = *path ? wf_reg_path_confined(r->root, e->file->dir, path, &why) : NULL;
    if (!full) {
        wf_reg_diagf(r, e->file, n->line, e->pub.id, "%s: %s", n->str, why ? why : "empty path");
        return;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    wf_error *ferr;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
        wf_reg_diagf(r, e->file, n->line, e->pub.id, "cannot read %s: it is a directory", n->str);
    } else if (access(full, R_OK) != 0) {
        /* Name the reference as written (what the user can fix), not the
         * absolute path wf_file_read would. */
        wf_reg_diagf(r, e->file, n->line, e->pub.id, "cannot read %s: %s", n->str, strerror(errno));
    } else if ((ferr = wf_file_read(full, &data, &len)) != NULL) {
        wf_reg_diagf(r, e->file, n->line, e->pub.id, "cannot read %s", n->str);
        wf_error_free(ferr);
    } else if (memchr(data, 0, len)) {
        /* a field is a C string: the NUL would silently cut it short */
        wf_reg_diagf(r, e->file, n->line, e->pub.id, "%s holds a NUL character, which is not allowed",
                 n->str);
        free(data);
    } else {
        n->file_ref = wf_xstrdup(path);
        free(n->str);
        n->str = (char *)data;
        n->len = len;
        n->from_file = true;
        n->block = false;
    }
    free(full);
}

static void expand_node(wf_registry *r, reg_entry *e, wf_reg_node *n, bool env)
{
    if (n->type == WF_NODE_SCALAR) {
        if (env) {
            char *x = expand_env(r, e, n);
            if (x) {
                free(n->str);
                n->str = x;
                n->len = strlen(x);
            }
        }
        expand_file(r, e, n);
        return;
    }
    for (size_t i = 0; i < n->n; i++) expand_node(r, e, n->items[i], env);
}

void wf_reg_expand_entry(wf_registry *r, reg_entry *e)
{
    /* Env entries take their values literally: a variable defined through
     * another variable would need an order between them. */
    bool env = !(e->pub.kind >= WF_REG_ENV_STORAGE_OS && e->pub.kind <= WF_REG_ENV_VARIABLE);
    wf_reg_node *en = (wf_reg_node *)e->pub.node;
    for (size_t i = 0; i < en->n; i++) {
        if (!strcmp(en->keys[i], "name") || !strcmp(en->keys[i], "kind")) continue;
        expand_node(r, e, en->items[i], env);
    }
}
