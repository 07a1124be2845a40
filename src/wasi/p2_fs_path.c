/*
 * p2_fs_path.c - the *-at methods of a wasi:filesystem descriptor
 * (open-at, stat-at, set-times-at, link-at, readlink-at, symlink-at,
 * create-directory-at, remove-directory-at, unlink-file-at, rename-at,
 * metadata-hash-at) and the interface table of wasi:filesystem/types.
 *
 * Each resolves its path through the sandbox (sandbox.h) beneath the
 * descriptor's directory, so nothing here interprets `..`, slashes or
 * symlinks; the sandbox's EXDEV (an escape) is `not-permitted` and its
 * EROFS (a read-only mount, by any route) is `read-only`.
 *
 * open-at follows the WIT: asking for `write` or `mutate-directory`, or to
 * create or truncate, beneath a read-only mount is `read-only`, and
 * `directory` with create, exclusive or truncate is `invalid`. With
 * `directory` the open is never for writing: asking to write a directory
 * is asking to mutate it (the preview 1 `wasi` crate re-opens "." with
 * every right, which the adapter turns into read + write), granted beneath
 * a writable mount and dropped beneath a read-only one, as preview 1
 * rights restrict without failing. Without `directory`, asking to write a
 * directory is `is-directory`, as POSIX says.
 */
#include "wasi/p2_fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "base/utf8.h"

/* The context, `self` as a directory and the path argument pi. A self
 * that is not a directory answers `not-directory` (*err). */
typedef struct at_call {
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    const char *path;
    size_t len;
    int err;
} at_call;

static wf_error *begin(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                       size_t nargs, size_t n, size_t pi, at_call *c)
{
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, n, &c->cx, &c->d);
    if (!e) e = wf_p2_fs_arg_str(type, args, pi, &c->path, &c->len);
    c->err = !e && c->d->type != P2FS_T_DIR ? ENOTDIR : 0;
    return e;
}

/* result<_, error-code> of a sandbox result (0 or -errno). */
static wf_val unit(int r) { return wf_p2_fs_unit(-r); }

/* A directory argument other than self (link-at's and rename-at's target). */
static wf_error *other_dir(wf_p2_ctx *cx, const wf_val *v, wf_p2_fs_desc **out, int *err)
{
    void *obj;
    wf_error *e = wf_p2_get(cx, &wf_p2_kind_descriptor, v, "new-descriptor", &obj);
    if (e) return e;
    *out = obj;
    if ((*out)->type != P2FS_T_DIR) *err = ENOTDIR;
    return NULL;
}

static const char *const open_names[] = { "create", "directory", "exclusive", "truncate" };

/* open-at(path-flags, path, open-flags, descriptor-flags) -> descriptor */
static WF_P2_FN(open_at)
{
    (void)env;
    at_call c;
    bool follow;
    uint32_t of, df;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 5, 2, &c)) ||
        (e = wf_p2_fs_arg_follow(type, args, 1, &follow)) ||
        (e = wf_p2_fs_arg_flags(type, args, 3, open_names, 4, &of)) ||
        (e = wf_p2_fs_arg_flags(type, args, 4, wf_p2_fs_flag_names, 6, &df)))
        return e;
    int err = c.err;
    if (!err && (of & P2FS_O_DIRECTORY) && (of & (P2FS_O_CREATE | P2FS_O_EXCL | P2FS_O_TRUNC)))
        err = EINVAL;
    /* `write` with `directory` asks to mutate the directory; beneath a
     * read-only mount it is dropped, not refused, as preview 1's rights
     * restrict: the `wasi` crate re-opens every preopen so. */
    if ((of & P2FS_O_DIRECTORY) && c.d->ro) df &= ~(uint32_t)P2FS_WRITE;
    bool changes = (df & (P2FS_WRITE | P2FS_MUTATE_DIR)) || (of & (P2FS_O_CREATE | P2FS_O_TRUNC));
    if (!err && changes && c.d->ro) err = EROFS;
    if (!err && c.d->fs->nfds >= P2FS_MAX_FDS) err = EMFILE;
    if (err) return wf_p2_fs_fail(result, err);
    int flags = O_CLOEXEC;
    if (of & P2FS_O_CREATE) flags |= O_CREAT;
    if (of & P2FS_O_EXCL) flags |= O_EXCL;
    if (of & P2FS_O_TRUNC) flags |= O_TRUNC;
    if (of & P2FS_O_DIRECTORY) flags |= O_DIRECTORY | O_RDONLY;
    else if (df & P2FS_WRITE) flags |= df & P2FS_READ ? O_RDWR : O_WRONLY;
    else flags |= O_RDONLY;   /* also with neither flag: the fd needs a mode */
    if (df & P2FS_FILE_SYNC) flags |= O_SYNC;
    if (df & P2FS_DATA_SYNC) flags |= O_DSYNC;
    if (df & P2FS_RSYNC) flags |= O_RSYNC;
    int fd;
    int r = wf_sbx_open(wf_p2_fs_sbx(c.d), c.path, c.len, flags, 0666, follow, &fd);
    if (r) return wf_p2_fs_fail(result, -r);
    struct stat st;
    if (fstat(fd, &st)) {
        int err = errno;
        close(fd);
        return wf_p2_fs_fail(result, err);
    }
    uint8_t t = wf_p2_fs_type(st.st_mode);
    uint8_t got = (uint8_t)(df & (P2FS_READ | P2FS_FILE_SYNC | P2FS_DATA_SYNC | P2FS_RSYNC));
    if (t == P2FS_T_DIR) {
        if (df & (P2FS_WRITE | P2FS_MUTATE_DIR)) got |= P2FS_MUTATE_DIR;
    } else {
        got |= df & P2FS_WRITE;
    }
    wf_val h;
    e = wf_p2_fs_desc_new(c.cx, c.d->fs, fd, t, c.d->ro, got, &h);
    if (!e) *result = wf_p2_ok(h);
    return e;
}

/* stat-at(path-flags, path) and metadata-hash-at: the entry's stat as a
 * descriptor-stat or as its hash. */
static wf_error *stat_at_as(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                            size_t nargs, bool hash, wf_val *result)
{
    at_call c;
    bool follow;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 3, 2, &c)) ||
        (e = wf_p2_fs_arg_follow(type, args, 1, &follow)))
        return e;
    struct stat st;
    int r = c.err ? -c.err : wf_sbx_stat(wf_p2_fs_sbx(c.d), c.path, c.len, follow, &st);
    if (r) return wf_p2_fs_fail(result, -r);
    *result = wf_p2_ok(hash ? wf_p2_fs_hash_val(c.d->fs, &st) : wf_p2_fs_stat_val(&st));
    return NULL;
}

static WF_P2_FN(stat_at) { (void)env; return stat_at_as(inst, type, args, nargs, false, result); }
static WF_P2_FN(metadata_hash_at)
{
    (void)env;
    return stat_at_as(inst, type, args, nargs, true, result);
}

static WF_P2_FN(set_times_at)
{
    (void)env;
    at_call c;
    bool follow;
    struct timespec ts[2];
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 5, 2, &c)) ||
        (e = wf_p2_fs_arg_follow(type, args, 1, &follow)) ||
        (e = wf_p2_fs_arg_time(type, args, 3, &ts[0])) ||
        (e = wf_p2_fs_arg_time(type, args, 4, &ts[1])))
        return e;
    *result = unit(c.err ? -c.err : wf_sbx_utimens(wf_p2_fs_sbx(c.d), c.path, c.len, follow, ts));
    return NULL;
}

/* link-at(old-path-flags, old-path, new-descriptor, new-path) */
static WF_P2_FN(link_at)
{
    (void)env;
    at_call c;
    bool follow;
    wf_p2_fs_desc *to;
    const char *p2;
    size_t l2;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 5, 2, &c)) ||
        (e = wf_p2_fs_arg_follow(type, args, 1, &follow)) ||
        (e = other_dir(c.cx, &args[3], &to, &c.err)) ||
        (e = wf_p2_fs_arg_str(type, args, 4, &p2, &l2)))
        return e;
    *result = unit(c.err ? -c.err
                         : wf_sbx_link(wf_p2_fs_sbx(c.d), c.path, c.len, follow, wf_p2_fs_sbx(to),
                                       p2, l2));
    return NULL;
}

/* rename-at(old-path, new-descriptor, new-path) */
static WF_P2_FN(rename_at)
{
    (void)env;
    at_call c;
    wf_p2_fs_desc *to;
    const char *p2;
    size_t l2;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 4, 1, &c)) ||
        (e = other_dir(c.cx, &args[2], &to, &c.err)) ||
        (e = wf_p2_fs_arg_str(type, args, 3, &p2, &l2)))
        return e;
    *result = unit(c.err ? -c.err
                         : wf_sbx_rename(wf_p2_fs_sbx(c.d), c.path, c.len, wf_p2_fs_sbx(to), p2, l2));
    return NULL;
}

/* symlink-at(old-path, new-path): old-path is the link's text. */
static WF_P2_FN(symlink_at)
{
    (void)env;
    at_call c;
    const char *target;
    size_t tl;
    wf_error *e;
    if ((e = begin(inst, type, args, nargs, 3, 2, &c)) ||
        (e = wf_p2_fs_arg_str(type, args, 1, &target, &tl)))
        return e;
    *result = unit(c.err ? -c.err : wf_sbx_symlink(target, tl, wf_p2_fs_sbx(c.d), c.path, c.len));
    return NULL;
}

/* readlink-at(path) -> string: a link text that is not UTF-8 cannot be a
 * WIT string (`illegal-byte-sequence`). */
static WF_P2_FN(readlink_at)
{
    (void)env;
    at_call c;
    wf_error *e = begin(inst, type, args, nargs, 2, 1, &c);
    if (e) return e;
    char buf[PATH_MAX];
    size_t n = 0;
    int r = c.err ? -c.err : wf_sbx_readlink(wf_p2_fs_sbx(c.d), c.path, c.len, buf, sizeof buf, &n);
    if (!r && !wf_utf8_valid((const uint8_t *)buf, n)) r = -EILSEQ;
    *result = r ? wf_p2_fs_err(-r) : wf_p2_ok(wf_val_string(buf, n));
    return NULL;
}

/* The one-path entry operations. */
static wf_error *entry_op(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                          size_t nargs, int (*op)(wf_sbx_dir, const char *, size_t),
                          wf_val *result)
{
    at_call c;
    wf_error *e = begin(inst, type, args, nargs, 2, 1, &c);
    if (e) return e;
    *result = unit(c.err ? -c.err : op(wf_p2_fs_sbx(c.d), c.path, c.len));
    return NULL;
}

static WF_P2_FN(create_directory_at)
{
    (void)env;
    return entry_op(inst, type, args, nargs, wf_sbx_mkdir, result);
}

static WF_P2_FN(remove_directory_at)
{
    (void)env;
    return entry_op(inst, type, args, nargs, wf_sbx_rmdir, result);
}

static WF_P2_FN(unlink_file_at)
{
    (void)env;
    return entry_op(inst, type, args, nargs, wf_sbx_unlink, result);
}

static const wf_p2_res_def types_res[] = {
    { "descriptor", &wf_p2_kind_descriptor },
    { "directory-entry-stream", &wf_p2_kind_dirent_stream },
    { NULL, NULL },
};
static const wf_p2_fn_def types_fns[] = {
    { "[method]descriptor.read-via-stream", wf_p2_fs_read_via_stream },
    { "[method]descriptor.write-via-stream", wf_p2_fs_write_via_stream },
    { "[method]descriptor.append-via-stream", wf_p2_fs_append_via_stream },
    { "[method]descriptor.advise", wf_p2_fs_advise },
    { "[method]descriptor.sync-data", wf_p2_fs_sync_data },
    { "[method]descriptor.get-flags", wf_p2_fs_get_flags },
    { "[method]descriptor.get-type", wf_p2_fs_get_type },
    { "[method]descriptor.set-size", wf_p2_fs_set_size },
    { "[method]descriptor.set-times", wf_p2_fs_set_times },
    { "[method]descriptor.read", wf_p2_fs_read },
    { "[method]descriptor.write", wf_p2_fs_write },
    { "[method]descriptor.read-directory", wf_p2_fs_read_directory },
    { "[method]descriptor.sync", wf_p2_fs_sync },
    { "[method]descriptor.create-directory-at", create_directory_at },
    { "[method]descriptor.stat", wf_p2_fs_stat },
    { "[method]descriptor.stat-at", stat_at },
    { "[method]descriptor.set-times-at", set_times_at },
    { "[method]descriptor.link-at", link_at },
    { "[method]descriptor.open-at", open_at },
    { "[method]descriptor.readlink-at", readlink_at },
    { "[method]descriptor.remove-directory-at", remove_directory_at },
    { "[method]descriptor.rename-at", rename_at },
    { "[method]descriptor.symlink-at", symlink_at },
    { "[method]descriptor.unlink-file-at", unlink_file_at },
    { "[method]descriptor.is-same-object", wf_p2_fs_is_same_object },
    { "[method]descriptor.metadata-hash", wf_p2_fs_metadata_hash },
    { "[method]descriptor.metadata-hash-at", metadata_hash_at },
    { "[method]directory-entry-stream.read-directory-entry", wf_p2_fs_read_directory_entry },
    { "filesystem-error-code", wf_p2_fs_error_code },
    { NULL, NULL },
};
const wf_p2_iface wf_p2_iface_fs_types = { "wasi:filesystem", "wasi:filesystem/types@0.2.12",
                                           types_res, types_fns };
