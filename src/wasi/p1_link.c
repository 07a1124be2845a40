/*
 * p1_link.c - the table of wasi_snapshot_preview1 functions (name, witx
 * core signature, host function) and the linker that binds a module's
 * imports to them, type-checked.
 */
#include "wasi/p1_int.h"

#include <stdio.h>

#define P1_MODULE "wasi_snapshot_preview1"

/* Signature strings: parameters, ':', results; 'i' = i32, 'I' = i64. */
static const struct {
    const char *name;
    const char *sig;
    wf_host_fn fn;
} p1_funcs[] = {
#define F(n, sig) { #n, sig, wf_p1h_##n }
    F(args_get, "ii:i"),
    F(args_sizes_get, "ii:i"),
    F(environ_get, "ii:i"),
    F(environ_sizes_get, "ii:i"),
    F(clock_res_get, "ii:i"),
    F(clock_time_get, "iIi:i"),
    F(fd_advise, "iIIi:i"),
    F(fd_allocate, "iII:i"),
    F(fd_close, "i:i"),
    F(fd_datasync, "i:i"),
    F(fd_fdstat_get, "ii:i"),
    F(fd_fdstat_set_flags, "ii:i"),
    F(fd_fdstat_set_rights, "iII:i"),
    F(fd_filestat_get, "ii:i"),
    F(fd_filestat_set_size, "iI:i"),
    F(fd_filestat_set_times, "iIIi:i"),
    F(fd_pread, "iiiIi:i"),
    F(fd_prestat_get, "ii:i"),
    F(fd_prestat_dir_name, "iii:i"),
    F(fd_pwrite, "iiiIi:i"),
    F(fd_read, "iiii:i"),
    F(fd_readdir, "iiiIi:i"),
    F(fd_renumber, "ii:i"),
    F(fd_seek, "iIii:i"),
    F(fd_sync, "i:i"),
    F(fd_tell, "ii:i"),
    F(fd_write, "iiii:i"),
    F(path_create_directory, "iii:i"),
    F(path_filestat_get, "iiiii:i"),
    F(path_filestat_set_times, "iiiiIIi:i"),
    F(path_link, "iiiiiii:i"),
    F(path_open, "iiiiiIIii:i"),
    F(path_readlink, "iiiiii:i"),
    F(path_remove_directory, "iii:i"),
    F(path_rename, "iiiiii:i"),
    F(path_symlink, "iiiii:i"),
    F(path_unlink_file, "iii:i"),
    F(poll_oneoff, "iiii:i"),
    F(proc_exit, "i:"),
    F(proc_raise, "i:i"),
    F(sched_yield, ":i"),
    F(random_get, "ii:i"),
    F(sock_accept, "iii:i"),
    F(sock_recv, "iiiiii:i"),
    F(sock_send, "iiiii:i"),
    F(sock_shutdown, "ii:i"),
#undef F
};

static const wf_functype *sig_type(const char *sig)
{
    wf_valtype p[16], r[2];
    uint32_t np = 0, nr = 0;
    bool results = false;
    for (const char *c = sig; *c; c++) {
        if (*c == ':') {
            results = true;
            continue;
        }
        wf_valtype t = *c == 'I' ? WF_TYPE_I64 : WF_TYPE_I32;
        if (results) r[nr++] = t;
        else p[np++] = t;
    }
    return wf_functype_get(p, np, r, nr);
}

bool wf_wasi_p1_is_module(const char *name, size_t len)
{
    return len == sizeof P1_MODULE - 1 && !memcmp(name, P1_MODULE, len);
}

static bool is_p1(const wf_import_desc *d)
{
    return wf_wasi_p1_is_module(d->module, d->module_len);
}

bool wf_wasi_p1_imported(const wf_module *m)
{
    uint32_t n = wf_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(m, i);
        if (is_p1(&d)) return true;
    }
    return false;
}

/* The table index of import d (a preview 1 one), or an UNLINKABLE error. */
static wf_error *find_p1(const wf_import_desc *dp, size_t *out)
{
    wf_import_desc d = *dp;
    size_t k = 0;
    while (k < WF_COUNT(p1_funcs) && (strlen(p1_funcs[k].name) != d.name_len ||
                                      memcmp(p1_funcs[k].name, d.name, d.name_len)))
        k++;
    if (k == WF_COUNT(p1_funcs))
        return wf_error_new(WF_ERR_UNLINKABLE, "unknown import: %s::%.*s has no such function",
                            P1_MODULE, (int)d.name_len, d.name);
    const wf_functype *t = sig_type(p1_funcs[k].sig);
    if (d.kind != WF_EXTERN_FUNC || d.func_type != t)
        return wf_error_new(WF_ERR_UNLINKABLE,
                            "incompatible import type: %s::%s must be a function (%s)",
                            P1_MODULE, p1_funcs[k].name, p1_funcs[k].sig);
    *out = k;
    return NULL;
}

wf_error *wf_wasi_p1_check(const wf_module *m)
{
    uint32_t n = wf_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(m, i);
        size_t k;
        if (!is_p1(&d)) continue;
        wf_error *e = find_p1(&d, &k);
        if (e) return e;
    }
    return NULL;
}

wf_error *wf_wasi_p1_link(wf_store *s, const wf_module *m, wf_wasi_ctx *c,
                          wf_extern *imports_out)
{
    uint32_t n = wf_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wf_import_desc d = wf_module_import(m, i);
        if (!is_p1(&d)) continue;
        size_t k;
        wf_error *e = find_p1(&d, &k);
        if (e) return e;
        imports_out[i].kind = WF_EXTERN_FUNC;
        imports_out[i].of.func = wf_func_new_host(s, d.func_type, p1_funcs[k].fn, c);
    }
    return NULL;
}
