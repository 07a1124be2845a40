/*
 * p2_fs_desc.c - the methods of a wasi:filesystem descriptor that act on
 * its own file (p2_fs_int.h): input, output and append streams at an
 * offset, read and write at an offset, stat, flags and type, set-size,
 * set-times, advise, sync, is-same-object, metadata-hash, and the
 * directory-entry-stream of read-directory.
 *
 * Data moves with pread/pwrite at explicit offsets, so a stream never
 * shares a position with anything: each has its own dup of the file (it
 * may outlive its descriptor, as in wasmtime). Writing needs the `write`
 * flag (`bad-descriptor` without it, `read-only` beneath a read-only
 * mount); times may be set through any descriptor, as the sandbox allows.
 */
#include "wasi/p2_fs_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <stdio.h>
#include <unistd.h>

#include "base/utf8.h"

/* ---- File streams ------------------------------------------------------------ */

typedef struct file_stream {
    wf_p2_fs *fs;
    int fd;                       /* a dup of the descriptor's */
    uint64_t pos;
    bool append;                  /* every write goes to the end */
} file_stream;

static void stream_free(void *p)
{
    file_stream *s = p;
    close(s->fd);
    s->fs->nfds--;
    free(s);
}

static void set_err(wf_p2_ioerr *err, int code, const char *what)
{
    err->code = code;
    snprintf(err->msg, sizeof err->msg, "%s: %s", what, strerror(code));
}

/* A regular file is always ready: reads and writes finish at once. */
static bool always_ready(void *p) { (void)p; return true; }
static void never_wait(void *p, wf_p2_wait *w) { (void)p; (void)w; }

static wf_p2_status fread_some(void *p, uint8_t *buf, size_t len, size_t *n, wf_p2_ioerr *err)
{
    file_stream *s = p;
    *n = 0;
    if (len == 0) return WF_P2_OK;
    if (s->pos > (uint64_t)INT64_MAX) return WF_P2_CLOSED;
    for (;;) {
        ssize_t r = pread(s->fd, buf, len, (off_t)s->pos);
        if (r > 0) {
            *n = (size_t)r;
            s->pos += (uint64_t)r;
            return WF_P2_OK;
        }
        if (r == 0) return WF_P2_CLOSED;
        if (errno == EINTR) continue;
        set_err(err, errno, "read");
        return WF_P2_FAILED;
    }
}

static const wf_p2_input_ops file_in = { fread_some, always_ready, never_wait, stream_free };

static wf_p2_status fcheck(void *p, uint64_t *n, wf_p2_ioerr *err)
{
    (void)p;
    (void)err;
    *n = WF_P2_MAX_IO;
    return WF_P2_OK;
}

static wf_p2_status fwrite_all(void *p, const uint8_t *data, size_t len, wf_p2_ioerr *err)
{
    file_stream *s = p;
    while (len) {
        ssize_t w;
        if (s->append) {
            /* RWF_APPEND: at the end at the time of the write, atomically */
            struct iovec iov = { (void *)data, len };
            w = pwritev2(s->fd, &iov, 1, -1, RWF_APPEND);
        } else {
            if (s->pos > (uint64_t)INT64_MAX - len) {
                set_err(err, EFBIG, "write");
                return WF_P2_FAILED;
            }
            w = pwrite(s->fd, data, len, (off_t)s->pos);
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            set_err(err, errno, "write");
            return WF_P2_FAILED;
        }
        data += w;
        len -= (size_t)w;
        s->pos += (uint64_t)w;
    }
    return WF_P2_OK;
}

static wf_p2_status fflush_ok(void *p, wf_p2_ioerr *err)
{
    (void)p;
    (void)err;
    return WF_P2_OK;   /* pwrite left nothing buffered here */
}

static const wf_p2_output_ops file_out = { fcheck, fwrite_all, fflush_ok, always_ready, never_wait,
                                           stream_free };

/* The checks of a data operation: a file (`is-directory` for a
 * directory, `bad-descriptor` for anything else), opened with `flag`. */
static int data_check(const wf_p2_fs_desc *d, uint8_t flag)
{
    if (d->type == P2FS_T_DIR) return EISDIR;
    if (flag == P2FS_WRITE && d->ro) return EROFS;
    if (!(d->flags & flag)) return EBADF;
    return 0;
}

static wf_error *open_stream(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                             size_t nargs, size_t n, bool write, bool append, wf_val *result)
{
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    uint64_t off = 0;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, n, &cx, &d)) ||
        (n == 2 && (e = wf_p2_arg_u64(type, args, 1, &off))))
        return e;
    int err = data_check(d, write ? P2FS_WRITE : P2FS_READ);
    if (!err && d->fs->nfds >= P2FS_MAX_FDS) err = EMFILE;
    if (err) return wf_p2_fs_fail(result, err);
    int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return wf_p2_fs_fail(result, errno);
    file_stream *s = wf_xcalloc(1, sizeof *s);
    *s = (file_stream){ d->fs, fd, off, append };
    d->fs->nfds++;
    wf_val h;
    e = write ? wf_p2_output_new(cx, &file_out, s, 0, &h) : wf_p2_input_new(cx, &file_in, s, 0, &h);
    if (!e) *result = wf_p2_ok(h);
    return e;
}

P2FS_FN(read_via_stream)
{
    (void)env;
    return open_stream(inst, type, args, nargs, 2, false, false, result);
}

P2FS_FN(write_via_stream)
{
    (void)env;
    return open_stream(inst, type, args, nargs, 2, true, false, result);
}

P2FS_FN(append_via_stream)
{
    (void)env;
    return open_stream(inst, type, args, nargs, 1, true, true, result);
}

/* ---- Data at an offset ---------------------------------------------------------- */

/* read(length, offset) -> (bytes, end-of-file): up to length bytes (at most
 * WF_P2_MAX_IO in one call); end-of-file when fewer than asked came back. */
P2FS_FN(read)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    uint64_t len, off;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 3, &cx, &d)) ||
        (e = wf_p2_arg_u64(type, args, 1, &len)) || (e = wf_p2_arg_u64(type, args, 2, &off)))
        return e;
    int err = data_check(d, P2FS_READ);
    if (!err && off > (uint64_t)INT64_MAX) err = EINVAL;
    if (err) return wf_p2_fs_fail(result, err);
    size_t want = (size_t)WF_MIN(len, (uint64_t)WF_P2_MAX_IO), got = 0;
    uint8_t *buf = wf_xmalloc(WF_MAX(want, 1));
    while (got < want) {
        ssize_t r = pread(d->fd, buf + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            err = errno;
            break;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (err && got == 0) {
        free(buf);
        return wf_p2_fs_fail(result, err);
    }
    wf_val t = wf_val_agg(WF_VAL_TUPLE, 2);
    /* list<u8> as a byte string: lowered by one copy, not a value per byte */
    t.of.agg.items[0] = wf_val_string((const char *)buf, got);
    t.of.agg.items[1] = wf_val_bool(!err && got < want);
    free(buf);
    *result = wf_p2_ok(t);
    return NULL;
}

P2FS_FN(write)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    uint64_t off;
    uint8_t *buf = NULL;
    size_t len = 0;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 3, &cx, &d)) ||
        (e = wf_p2_arg_u64(type, args, 2, &off)))
        return e;
    int err = data_check(d, P2FS_WRITE);
    if (!err && off > (uint64_t)INT64_MAX) err = EINVAL;
    if (err) return wf_p2_fs_fail(result, err);
    if ((e = wf_p2_arg_bytes(type, args, 1, &buf, &len))) return e;
    ssize_t w;
    do w = pwrite(d->fd, buf, len, (off_t)off);
    while (w < 0 && errno == EINTR);
    free(buf);
    *result = w < 0 ? wf_p2_fs_err(errno) : wf_p2_ok(wf_p2_u64((uint64_t)w));
    return NULL;
}

/* ---- Metadata ------------------------------------------------------------------ */

/* stat and metadata-hash: the descriptor's fstat as a descriptor-stat or
 * as its hash. */
static wf_error *stat_as(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                         size_t nargs, bool hash, wf_val *result)
{
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, 1, &cx, &d);
    if (e) return e;
    struct stat st;
    if (fstat(d->fd, &st)) return wf_p2_fs_fail(result, errno);
    *result = wf_p2_ok(hash ? wf_p2_fs_hash_val(d->fs, &st) : wf_p2_fs_stat_val(&st));
    return NULL;
}

P2FS_FN(stat) { (void)env; return stat_as(inst, type, args, nargs, false, result); }
P2FS_FN(metadata_hash) { (void)env; return stat_as(inst, type, args, nargs, true, result); }

P2FS_FN(get_type)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, 1, &cx, &d);
    if (e) return e;
    *result = wf_p2_ok(wf_p2_fs_type_val(d->type));
    return NULL;
}

P2FS_FN(get_flags)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, 1, &cx, &d);
    if (e) return e;
    size_t n = 0;
    for (int i = 0; i < 6; i++) n += d->flags >> i & 1;
    wf_val f = wf_val_agg(WF_VAL_FLAGS, n);
    n = 0;
    for (int i = 0; i < 6; i++)
        if (d->flags >> i & 1) wf_val_set_name(&f, n++, wf_p2_fs_flag_names[i]);
    *result = wf_p2_ok(f);
    return NULL;
}

P2FS_FN(set_size)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    uint64_t size;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 2, &cx, &d)) ||
        (e = wf_p2_arg_u64(type, args, 1, &size)))
        return e;
    int err = data_check(d, P2FS_WRITE);
    if (!err && size > (uint64_t)INT64_MAX) err = EFBIG;
    if (!err && ftruncate(d->fd, (off_t)size)) err = errno;
    *result = wf_p2_fs_unit(err);
    return NULL;
}

P2FS_FN(set_times)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    struct timespec ts[2];
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 3, &cx, &d)) ||
        (e = wf_p2_fs_arg_time(type, args, 1, &ts[0])) ||
        (e = wf_p2_fs_arg_time(type, args, 2, &ts[1])))
        return e;
    /* The sandbox decides whether this inode may change (a read-only mount,
     * or a file it shares with one, may not). */
    int r = wf_sbx_fd_writable(wf_p2_fs_sbx(d), d->fd);
    if (!r && futimens(d->fd, ts)) r = -errno;
    *result = wf_p2_fs_unit(-r);
    return NULL;
}

P2FS_FN(advise)
{
    (void)env;
    static const char *const names[] = { "normal", "sequential", "random", "will-need",
                                         "dont-need", "no-reuse" };
    static const int adv[] = { POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                               POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE };
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    uint64_t off, len;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 4, &cx, &d)) ||
        (e = wf_p2_arg_u64(type, args, 1, &off)) || (e = wf_p2_arg_u64(type, args, 2, &len)))
        return e;
    const wf_val *a = &args[3];
    size_t k = 0;
    while (a->kind == WF_VAL_ENUM && a->of.cas.name && k < WF_COUNT(names) &&
           strcmp(a->of.cas.name, names[k]))
        k++;
    if (a->kind != WF_VAL_ENUM || k == WF_COUNT(names))
        return wf_p2_trap(type, "parameter 4: expected an advice");
    int err = d->type == P2FS_T_DIR ? EBADF : 0;
    if (!err && (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX)) err = EINVAL;
    if (!err) err = posix_fadvise(d->fd, (off_t)off, (off_t)len, adv[k]);
    *result = wf_p2_fs_unit(err);
    return NULL;
}

static wf_error *do_sync(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                         size_t nargs, bool data_only, wf_val *result)
{
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, 1, &cx, &d);
    if (e) return e;
    int r = data_only ? fdatasync(d->fd) : fsync(d->fd);
    *result = r ? wf_p2_fs_err(errno) : wf_p2_ok_empty();
    return NULL;
}

P2FS_FN(sync_data) { (void)env; return do_sync(inst, type, args, nargs, true, result); }
P2FS_FN(sync) { (void)env; return do_sync(inst, type, args, nargs, false, result); }

P2FS_FN(is_same_object)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    void *other;
    wf_error *e;
    if ((e = wf_p2_fs_self(inst, type, args, nargs, 2, &cx, &d)) ||
        (e = wf_p2_get(cx, &wf_p2_kind_descriptor, &args[1], "other", &other)))
        return e;
    struct stat a, b;
    const wf_p2_fs_desc *o = other;
    bool same = !fstat(d->fd, &a) && !fstat(o->fd, &b) && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino;
    *result = wf_val_bool(same);
    return NULL;
}

/* ---- Directory listing ------------------------------------------------------------ */

typedef struct dirent_stream {
    wf_p2_fs *fs;
    DIR *dir;                     /* its own open of the directory: its own position */
} dirent_stream;

static void dirent_stream_free(void *p)
{
    dirent_stream *s = p;
    if (s->dir) closedir(s->dir);
    s->fs->nfds--;
    free(s);
}

const wf_p2_kind wf_p2_kind_dirent_stream = { "directory-entry-stream", dirent_stream_free };

P2FS_FN(read_directory)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_p2_fs_desc *d;
    wf_error *e = wf_p2_fs_self(inst, type, args, nargs, 1, &cx, &d);
    if (e) return e;
    if (d->type != P2FS_T_DIR) return wf_p2_fs_fail(result, ENOTDIR);
    if (d->fs->nfds >= P2FS_MAX_FDS) return wf_p2_fs_fail(result, EMFILE);
    int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (!dir) {
        int err = errno;
        if (fd >= 0) close(fd);
        return wf_p2_fs_fail(result, err);
    }
    dirent_stream *s = wf_xcalloc(1, sizeof *s);
    s->fs = d->fs;
    s->dir = dir;
    d->fs->nfds++;
    wf_val h;
    e = wf_p2_new_handle(cx, &wf_p2_kind_dirent_stream, s, 0, &h);
    if (!e) *result = wf_p2_ok(h);
    return e;
}

/* read-directory-entry -> option<directory-entry>: every entry but `.` and
 * `..`; a name that is not UTF-8 cannot be a WIT string
 * (`illegal-byte-sequence`, and the listing goes on after it). */
P2FS_FN(read_directory_entry)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_get(cx, &wf_p2_kind_dirent_stream, &args[0], "self", &obj)))
        return e;
    dirent_stream *s = obj;
    struct dirent *de;
    for (;;) {
        errno = 0;
        de = readdir(s->dir);
        if (!de) {
            *result = errno ? wf_p2_fs_err(errno) : wf_p2_ok(wf_val_none());
            return NULL;
        }
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) break;
    }
    size_t nl = strlen(de->d_name);
    if (!wf_utf8_valid((const uint8_t *)de->d_name, nl)) return wf_p2_fs_fail(result, EILSEQ);
    uint8_t t;
    switch (de->d_type) {
    case DT_REG: t = P2FS_T_REG; break;
    case DT_DIR: t = P2FS_T_DIR; break;
    case DT_LNK: t = P2FS_T_SYMLINK; break;
    case DT_CHR: t = P2FS_T_CHAR; break;
    case DT_BLK: t = P2FS_T_BLOCK; break;
    case DT_FIFO: t = P2FS_T_FIFO; break;
    case DT_SOCK: t = P2FS_T_SOCKET; break;
    default: {
        struct stat st;
        t = fstatat(dirfd(s->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW)
                ? P2FS_T_UNKNOWN : wf_p2_fs_type(st.st_mode);
    }
    }
    wf_val r = wf_val_agg(WF_VAL_RECORD, 2);
    r.of.agg.items[0] = wf_p2_fs_type_val(t);
    r.of.agg.items[1] = wf_val_string(de->d_name, nl);
    wf_val_set_name(&r, 0, "type");
    wf_val_set_name(&r, 1, "name");
    wf_val o = wf_val_some(&r);
    *result = wf_p2_ok(o);
    return NULL;
}
