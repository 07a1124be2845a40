/*
 * env.c - reading and writing env.variable values after load (WASI env at
 * call time, Lua later). Values of static/file/memory storages live in the
 * storage entry, guarded by the registry's env lock; os storages read the
 * process environment and are read-only.
 */
#include "registry/internal.h"

static reg_entry *find_loaded(wf_registry *r, const char *id)
{
    return (reg_entry *)wf_registry_get(r, id);
}

wf_error *wf_registry_env_get(wf_registry *r, const char *id, char **value)
{
    *value = NULL;
    reg_entry *v = find_loaded(r, id);
    if (!v) return wf_error_new(WF_ERR_NOT_FOUND, "no entry %s", id);
    if (v->pub.kind != WF_REG_ENV_VARIABLE)
        return wf_error_new(WF_ERR_INVALID, "%s is a %s, not an env.variable", id, wf_reg_kind_name(v->pub.kind));
    *value = wf_reg_var_value(r, v);
    return NULL;
}

wf_error *wf_registry_env_set(wf_registry *r, const char *id, const char *value)
{
    reg_entry *v = find_loaded(r, id);
    if (!v) return wf_error_new(WF_ERR_NOT_FOUND, "no entry %s", id);
    if (v->pub.kind != WF_REG_ENV_VARIABLE)
        return wf_error_new(WF_ERR_INVALID, "%s is a %s, not an env.variable", id, wf_reg_kind_name(v->pub.kind));
    if (v->pub.u.var.readonly) return wf_error_new(WF_ERR_INVALID, "env variable %s is readonly", id);
    reg_entry *st = v->pub.u.var.storage ? find_loaded(r, v->pub.u.var.storage) : NULL;
    if (!st) return wf_error_new(WF_ERR_INVALID, "env variable %s has no storage to write to", id);
    if (st->pub.kind != WF_REG_ENV_STORAGE_MEMORY && st->pub.kind != WF_REG_ENV_STORAGE_FILE)
        return wf_error_new(WF_ERR_INVALID, "storage %s (%s) is read-only", st->pub.id,
                            wf_reg_kind_name(st->pub.kind));
    wf_reg_storage *s = &st->pub.u.storage;
    const char *key = v->pub.u.var.variable;
    pthread_mutex_lock(&r->env_lock);
    size_t i = 0;
    while (i < s->nvalues && strcmp(s->values[i].key, key)) i++;
    if (i == s->nvalues) {
        s->values = wf_xrealloc(s->values, (s->nvalues + 1) * sizeof *s->values);
        s->values[i].key = wf_xstrdup(key);
        s->values[i].value = NULL;
        s->nvalues++;
    }
    free(s->values[i].value);
    s->values[i].value = wf_xstrdup(value);
    pthread_mutex_unlock(&r->env_lock);
    return NULL;
}
