/*
 * wasi_cfg.c - an entry's `wasi` block for the WASM function kinds
 * (wasi_cfg.h): its deep copy, a call's environment and the stdout/stderr
 * log capture.
 */
#include <stdio.h>

#include "runtime/wasi_cfg.h"

static char **copy_strv(const char *const *v, size_t n)
{
    char **out = wf_xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = wf_xstrdup(v[i]);
    return out;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void wf_rt_wasi_copy(wf_rt_wasi *w, const wf_wasi_config *c)
{
    memset(w, 0, sizeof *w);
    w->args = copy_strv(c->args, c->nargs);
    w->nargs = c->nargs;
    w->cwd = c->cwd ? wf_xstrdup(c->cwd) : NULL;
    w->env = wf_xcalloc(c->nenv + 1, sizeof *w->env);
    for (size_t i = 0; i < c->nenv; i++)
        w->env[i] = (wf_wasi_env_var){ wf_xstrdup(c->env[i].id), wf_xstrdup(c->env[i].name),
                                       c->env[i].required };
    w->nenv = c->nenv;
    w->env_lookup = c->env_lookup;
    w->env_ud = c->env_ud;
    w->mounts = wf_xcalloc(c->nmounts + 1, sizeof *w->mounts);
    for (size_t i = 0; i < c->nmounts; i++)
        w->mounts[i] = (wf_wasi_mount_config){ wf_xstrdup(c->mounts[i].host), wf_xstrdup(c->mounts[i].guest),
                                               c->mounts[i].read_only };
    w->nmounts = c->nmounts;
    w->network = copy_strv(c->network, c->nnetwork);
    w->nnetwork = c->nnetwork;
    w->log = c->log;
    w->log_ud = c->log_ud;
}

void wf_rt_wasi_free(wf_rt_wasi *w)
{
    free_strv(w->args, w->nargs);
    free(w->cwd);
    for (size_t i = 0; i < w->nenv; i++) {
        free((char *)w->env[i].id);
        free((char *)w->env[i].name);
    }
    free(w->env);
    for (size_t i = 0; i < w->nmounts; i++) {
        free((char *)w->mounts[i].host);
        free((char *)w->mounts[i].guest);
    }
    free(w->mounts);
    free_strv(w->network, w->nnetwork);
    memset(w, 0, sizeof *w);
}

void wf_rt_wasi_env_free(char **env, size_t n) { free_strv(env, n); }

wf_error *wf_rt_wasi_env(const wf_rt_wasi *w, const char *id, char ***out, size_t *n)
{
    if (!w->nenv && !w->cwd) {
        *out = NULL;
        *n = 0;
        return NULL;
    }
    char **env = wf_xcalloc(w->nenv + 2, sizeof *env);
    size_t k = 0;
    wf_buf missing = { 0 };
    for (size_t i = 0; i < w->nenv; i++) {
        char *v = NULL;
        if (w->env_lookup) {
            wf_error *e = w->env_lookup(w->env_ud, w->env[i].id, &v);
            if (e) {
                wf_buf_free(&missing);
                free_strv(env, k);
                return wf_error_wrap(e, "%s: env variable %s", id, w->env[i].name);
            }
        }
        if (!v) {
            if (w->env[i].required) {
                if (missing.len) wf_buf_str(&missing, ", ");
                wf_buf_str(&missing, w->env[i].name);
                wf_buf_str(&missing, " (");
                wf_buf_str(&missing, w->env[i].id);
                wf_buf_str(&missing, ")");
            }
            continue;
        }
        env[k++] = wf_xasprintf("%s=%s", w->env[i].name, v);
        free(v);
    }
    if (missing.len) {
        wf_buf_byte(&missing, 0);
        wf_error *e = wf_error_new(WF_ERR_NOT_FOUND, "%s: required env variable not set: %s", id,
                                   (char *)missing.data);
        wf_buf_free(&missing);
        free_strv(env, k);
        return e;
    }
    if (w->cwd) env[k++] = wf_xasprintf("PWD=%s", w->cwd);
    *out = env;
    *n = k;
    return NULL;
}

/* ---- The log ------------------------------------------------------------------ */

static void log_stderr(void *ud, const char *line)
{
    (void)ud;
    /* One locked fprintf: a whole line per write, whatever other calls log. */
    flockfile(stderr);
    fprintf(stderr, "%s\n", line);
    funlockfile(stderr);
}

static void log_emit(wf_rt_outlog *o, int stream, const uint8_t *text, size_t len)
{
    char *line = wf_xasprintf("[%s] %s%.*s", o->id, stream == 2 ? "(stderr) " : "", (int)len,
                              (const char *)text);
    (o->log ? o->log : log_stderr)(o->log_ud, line);
    free(line);
}

void wf_rt_outlog_write(void *ud, int fd, const uint8_t *data, size_t len)
{
    wf_rt_outlog *o = ud;
    wf_buf *b = &o->pending[fd == 2];
    wf_buf_bytes(b, data, len);
    size_t start = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\n' || i - start >= WF_RT_OUT_LINE_MAX) {
            log_emit(o, fd == 2 ? 2 : 1, b->data + start, i - start);
            start = b->data[i] == '\n' ? i + 1 : i;
        }
    }
    memmove(b->data, b->data + start, b->len - start);
    b->len -= start;
}

void wf_rt_outlog_flush(wf_rt_outlog *o)
{
    for (int k = 0; k < 2; k++) {
        wf_buf *b = &o->pending[k];
        if (b->len) log_emit(o, k + 1, b->data, b->len);
        b->len = 0;
    }
}

void wf_rt_outlog_free(wf_rt_outlog *o)
{
    for (int k = 0; k < 2; k++) wf_buf_free(&o->pending[k]);
}
