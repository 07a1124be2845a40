/*
 * p1_fd.c - the preview 1 fd_* functions: I/O with iovecs straight into
 * guest memory (every range bounds-checked first), positions, fdstat and
 * filestat, directory listing with cookies, renumbering and prestat.
 *
 * Writes on an fd beneath a read-only mount fail with `rofs` (files there
 * are only ever opened for reading, so the kernel refuses data writes too).
 */
#include "wasi/p1_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define P1_MAX_IOVS 1024   /* IOV_MAX: more is `inval` */

#define GET_FD(c, n)                                                          \
    p1_fd *e = wf_p1_fd_get((c), (n));                                           \
    if (!e) P1_RET(P1_BADF)

/* An operation needs the right `r` on fd entry `e`: rights only restrict,
 * as in the WASI spec, so lacking one is `notcapable`. */
#define NEED_RIGHT(r)                                                         \
    if (!(e->rights & (r))) P1_RET(P1_NOTCAPABLE)

/* Guest iovec array (ptr, n) -> host iovecs into guest memory. */
static int load_iovs(p1_mem m, uint32_t ptr, uint32_t n, struct iovec *out)
{
    if (n > P1_MAX_IOVS) return P1_INVAL;
    const uint8_t *v = p1_ptr(m, ptr, (uint64_t)n * 8);
    if (!v) return P1_FAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = p1_get_u32(v + 8 * i), l = p1_get_u32(v + 8 * i + 4);
        void *p = p1_ptr(m, b, l);
        if (!p && l) return P1_FAULT;
        out[i] = (struct iovec){ .iov_base = p ? p : m.base, .iov_len = l };
    }
    return P1_SUCCESS;
}

/* A write to a sink stream (wf_wasi_ctx_set_output): every byte is taken. */
static int sink_write(wf_wasi_ctx *c, int fd, p1_mem m, uint32_t iovs, uint32_t n,
                      uint32_t result_ptr)
{
    struct iovec iov[P1_MAX_IOVS];
    int r = load_iovs(m, iovs, n, iov);
    if (r) return r;
    if (!p1_ptr(m, result_ptr, 4)) return P1_FAULT;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += iov[i].iov_len;
    if (total > UINT32_MAX) return P1_INVAL;
    for (uint32_t i = 0; i < n; i++)
        if (iov[i].iov_len && c->out) c->out(c->out_ud, fd, iov[i].iov_base, iov[i].iov_len);
    return wf_p1_store_u32(m, result_ptr, (uint32_t)total);
}

/* Shared by read/write/pread/pwrite: offset < 0 means the fd's position. */
static int do_io(wf_caller *caller, wf_wasi_ctx *c, wf_slot *s, bool write, int64_t offset,
                 uint32_t result_ptr)
{
    p1_fd *e = wf_p1_fd_get(c, s[0].u32);
    if (!e) return P1_BADF;
    if (write && e->ro) return P1_ROFS;
    if (e->type == P1_FT_DIR) return P1_ISDIR;
    if (e->sink) {
        if (!write) return P1_BADF;
        if (offset >= 0) return P1_SPIPE;
        return sink_write(c, (int)s[0].u32, p1_memory(caller), s[1].u32, s[2].u32, result_ptr);
    }
    if (!(e->rights & (write ? P1_R_FD_WRITE : P1_R_FD_READ))) {
        /* A right the fd was never opened with is `badf`, as the kernel
         * (and POSIX programs) say for a file opened the other way; a right
         * dropped from a host fd that still allows it is `notcapable`. */
        int acc = fcntl(e->host, F_GETFL) & O_ACCMODE;
        return acc == O_RDWR || acc == (write ? O_WRONLY : O_RDONLY) ? P1_NOTCAPABLE : P1_BADF;
    }
    p1_mem m = p1_memory(caller);
    struct iovec iov[P1_MAX_IOVS];
    int r = load_iovs(m, s[1].u32, s[2].u32, iov);
    if (r) return r;
    if (!p1_ptr(m, result_ptr, 4)) return P1_FAULT;
    ssize_t n;
    do {
        if (offset < 0)
            n = write ? writev(e->host, iov, (int)s[2].u32) : readv(e->host, iov, (int)s[2].u32);
        else
            n = write ? pwritev(e->host, iov, (int)s[2].u32, offset)
                      : preadv(e->host, iov, (int)s[2].u32, offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return wf_p1_errno(errno);
    return wf_p1_store_u32(m, result_ptr, (uint32_t)n);
}

P1_FN(fd_read) { P1_RET(do_io(caller, env, s, false, -1, s[3].u32)); }
P1_FN(fd_write) { P1_RET(do_io(caller, env, s, true, -1, s[3].u32)); }

P1_FN(fd_pread)
{
    if (s[3].u64 > INT64_MAX) P1_RET(P1_INVAL);
    P1_RET(do_io(caller, env, s, false, s[3].i64, s[4].u32));
}

P1_FN(fd_pwrite)
{
    if (s[3].u64 > INT64_MAX) P1_RET(P1_INVAL);
    P1_RET(do_io(caller, env, s, true, s[3].i64, s[4].u32));
}

P1_FN(fd_seek)
{
    GET_FD(env, s[0].u32);
    static const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END };
    if (s[2].u32 >= 3) P1_RET(P1_INVAL);
    if (e->type == P1_FT_DIR) P1_RET(P1_BADF);   /* directories move by cookies */
    if (e->sink) P1_RET(P1_SPIPE);
    p1_mem m = p1_memory(caller);
    if (!p1_ptr(m, s[3].u32, 8)) P1_RET(P1_FAULT);
    off_t pos = lseek(e->host, (off_t)s[1].i64, whence[s[2].u32]);
    if (pos < 0) P1_RET(wf_p1_errno(errno));
    P1_RET(wf_p1_store_u64(m, s[3].u32, (uint64_t)pos));
}

P1_FN(fd_tell)
{
    GET_FD(env, s[0].u32);
    if (e->type == P1_FT_DIR) P1_RET(P1_BADF);
    if (e->sink) P1_RET(P1_SPIPE);
    p1_mem m = p1_memory(caller);
    if (!p1_ptr(m, s[1].u32, 8)) P1_RET(P1_FAULT);
    off_t pos = lseek(e->host, 0, SEEK_CUR);
    if (pos < 0) P1_RET(wf_p1_errno(errno));
    P1_RET(wf_p1_store_u64(m, s[1].u32, (uint64_t)pos));
}

P1_FN(fd_fdstat_get)
{
    GET_FD(env, s[0].u32);
    uint8_t *p = p1_ptr(p1_memory(caller), s[1].u32, 24);
    if (!p) P1_RET(P1_FAULT);
    int fl = e->sink ? 0 : fcntl(e->host, F_GETFL);
    if (fl < 0) P1_RET(wf_p1_errno(errno));
    uint16_t flags = 0;
    if (fl & O_APPEND) flags |= P1_FDFLAG_APPEND;
    if (fl & O_DSYNC) flags |= P1_FDFLAG_DSYNC;
    if (fl & O_NONBLOCK) flags |= P1_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC) flags |= P1_FDFLAG_SYNC | P1_FDFLAG_RSYNC;
    memset(p, 0, 24);
    p[0] = e->type;
    memcpy(p + 2, &flags, 2);
    p1_put_u64(p + 8, e->rights);
    p1_put_u64(p + 16, e->inherit);
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_fdstat_set_flags)
{
    GET_FD(env, s[0].u32);
    uint32_t f = s[1].u32;
    /* Linux cannot change the sync flags of an open file. */
    if (f & ~(uint32_t)(P1_FDFLAG_APPEND | P1_FDFLAG_NONBLOCK)) P1_RET(P1_NOTSUP);
    if ((f & P1_FDFLAG_APPEND) && e->ro) P1_RET(P1_ROFS);
    NEED_RIGHT(P1_R_FD_FDSTAT_SET_FLAGS);
    if (e->sink) P1_RET(P1_SUCCESS);   /* a sink always appends and never blocks */
    int fl = fcntl(e->host, F_GETFL);
    if (fl < 0) P1_RET(wf_p1_errno(errno));
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (f & P1_FDFLAG_APPEND) fl |= O_APPEND;
    if (f & P1_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    if (fcntl(e->host, F_SETFL, fl)) P1_RET(wf_p1_errno(errno));
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_fdstat_set_rights)
{
    GET_FD(env, s[0].u32);
    /* Rights only ever shrink. */
    if ((s[1].u64 & ~e->rights) || (s[2].u64 & ~e->inherit)) P1_RET(P1_NOTCAPABLE);
    e->rights = s[1].u64;
    e->inherit = s[2].u64;
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_filestat_get)
{
    GET_FD(env, s[0].u32);
    NEED_RIGHT(P1_R_FD_FILESTAT_GET);
    uint8_t *p = p1_ptr(p1_memory(caller), s[1].u32, 64);
    if (!p) P1_RET(P1_FAULT);
    struct stat st;
    if (e->sink) {
        memset(&st, 0, sizeof st);
        st.st_mode = S_IFCHR;
    } else if (fstat(e->host, &st)) {
        P1_RET(wf_p1_errno(errno));
    }
    wf_p1_filestat(p, &st);
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_filestat_set_size)
{
    GET_FD(env, s[0].u32);
    if (e->ro) P1_RET(P1_ROFS);
    NEED_RIGHT(P1_R_FD_FILESTAT_SET_SIZE);
    if (s[1].u64 > INT64_MAX) P1_RET(P1_INVAL);
    if (ftruncate(e->host, (off_t)s[1].i64)) P1_RET(wf_p1_errno(errno));
    P1_RET(P1_SUCCESS);
}

/* WASI timestamps + fstflags -> utimensat times; false when both "set" and
 * "now" are asked for one time (`inval`). */
bool wf_p1_times(uint64_t atim, uint64_t mtim, uint32_t fl, struct timespec ts[2])
{
    if (((fl & P1_FST_ATIM) && (fl & P1_FST_ATIM_NOW)) ||
        ((fl & P1_FST_MTIM) && (fl & P1_FST_MTIM_NOW)) || (fl & ~15u))
        return false;
    uint64_t v[2] = { atim, mtim };
    uint32_t set[2] = { P1_FST_ATIM, P1_FST_MTIM }, now[2] = { P1_FST_ATIM_NOW, P1_FST_MTIM_NOW };
    for (int i = 0; i < 2; i++) {
        if (fl & now[i]) ts[i] = (struct timespec){ 0, UTIME_NOW };
        else if (fl & set[i])
            ts[i] = (struct timespec){ (time_t)(v[i] / 1000000000u), (long)(v[i] % 1000000000u) };
        else ts[i] = (struct timespec){ 0, UTIME_OMIT };
    }
    return true;
}

P1_FN(fd_filestat_set_times)
{
    GET_FD(env, s[0].u32);
    struct timespec ts[2];
    if (!wf_p1_times(s[1].u64, s[2].u64, s[3].u32, ts)) P1_RET(P1_INVAL);
    /* Any fd may set times, even one opened for reading: the sandbox
     * decides whether this inode may change. */
    int r = wf_sbx_fd_writable(wf_p1_sbx(env, e), e->host);
    if (r) P1_RET(wf_p1_errno(-r));
    NEED_RIGHT(P1_R_FD_FILESTAT_SET_TIMES);
    if (futimens(e->host, ts)) P1_RET(wf_p1_errno(errno));
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_advise)
{
    GET_FD(env, s[0].u32);
    static const int adv[] = { POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                               POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE };
    if (s[3].u32 >= WF_COUNT(adv) || s[1].u64 > INT64_MAX || s[2].u64 > INT64_MAX)
        P1_RET(P1_INVAL);
    if (e->type == P1_FT_DIR) P1_RET(P1_BADF);
    NEED_RIGHT(P1_R_FD_ADVISE);
    int r = posix_fadvise(e->host, (off_t)s[1].i64, (off_t)s[2].i64, adv[s[3].u32]);
    P1_RET(wf_p1_errno(r));
}

P1_FN(fd_allocate)
{
    GET_FD(env, s[0].u32);
    if (e->type == P1_FT_DIR) P1_RET(P1_BADF);
    if (e->ro) P1_RET(P1_ROFS);
    NEED_RIGHT(P1_R_FD_ALLOCATE);
    if (s[1].u64 > INT64_MAX || s[2].u64 > INT64_MAX || s[2].u64 == 0) P1_RET(P1_INVAL);
    int r = posix_fallocate(e->host, (off_t)s[1].i64, (off_t)s[2].i64);
    P1_RET(wf_p1_errno(r));
}

P1_FN(fd_datasync)
{
    GET_FD(env, s[0].u32);
    NEED_RIGHT(P1_R_FD_DATASYNC);
    P1_RET(fdatasync(e->host) ? wf_p1_errno(errno) : P1_SUCCESS);
}

P1_FN(fd_sync)
{
    GET_FD(env, s[0].u32);
    NEED_RIGHT(P1_R_FD_SYNC);
    P1_RET(fsync(e->host) ? wf_p1_errno(errno) : P1_SUCCESS);
}

P1_FN(fd_close)
{
    GET_FD(env, s[0].u32);
    wf_p1_fd_close(e);
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_renumber)
{
    wf_wasi_ctx *c = env;
    p1_fd *from = wf_p1_fd_get(c, s[0].u32), *to = wf_p1_fd_get(c, s[1].u32);
    if (!from || !to) P1_RET(P1_BADF);
    if (from == to) P1_RET(P1_SUCCESS);
    wf_p1_fd_close(to);
    *to = *from;
    memset(from, 0, sizeof *from);
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_prestat_get)
{
    GET_FD(env, s[0].u32);
    if (!e->preopen) P1_RET(P1_BADF);
    uint8_t *p = p1_ptr(p1_memory(caller), s[1].u32, 8);
    if (!p) P1_RET(P1_FAULT);
    memset(p, 0, 8);
    p1_put_u32(p + 4, (uint32_t)strlen(e->preopen));
    P1_RET(P1_SUCCESS);
}

P1_FN(fd_prestat_dir_name)
{
    GET_FD(env, s[0].u32);
    if (!e->preopen) P1_RET(P1_BADF);
    size_t n = strlen(e->preopen);
    if (s[2].u32 < n) P1_RET(P1_NAMETOOLONG);
    uint8_t *p = p1_ptr(p1_memory(caller), s[1].u32, n);
    if (!p) P1_RET(P1_FAULT);
    memcpy(p, e->preopen, n);
    P1_RET(P1_SUCCESS);
}

/* The host directory's own d_off values are the cookies: cookie 0 is the
 * start, each entry's d_next is where the one after it begins, and
 * lseek(dir, cookie) resumes there. The last entry may be cut short at
 * the end of the buffer (bufused == buf_len tells the guest to ask again). */
P1_FN(fd_readdir)
{
    GET_FD(env, s[0].u32);
    if (e->type != P1_FT_DIR) P1_RET(P1_NOTDIR);
    NEED_RIGHT(P1_R_FD_READDIR);
    p1_mem m = p1_memory(caller);
    uint32_t cap = s[2].u32;
    uint8_t *out = p1_ptr(m, s[1].u32, cap);
    if (!out || !p1_ptr(m, s[4].u32, 4)) P1_RET(P1_FAULT);
    if (s[3].u64 > INT64_MAX) P1_RET(P1_INVAL);
    if (lseek(e->host, (off_t)s[3].i64, SEEK_SET) < 0) P1_RET(wf_p1_errno(errno));
    uint32_t used = 0;
    char hbuf[16384] __attribute__((aligned(8)));
    while (used < cap) {
        long n = syscall(SYS_getdents64, e->host, hbuf, sizeof hbuf);
        if (n < 0) P1_RET(wf_p1_errno(errno));
        if (n == 0) break;
        for (long at = 0; at < n && used < cap;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(hbuf + at);
            at += d->reclen;
            size_t nl = strlen(d->name);
            uint8_t hdr[24] = { 0 };
            uint8_t t;
            switch (d->type) {
            case DT_REG: t = P1_FT_REG; break;
            case DT_DIR: t = P1_FT_DIR; break;
            case DT_LNK: t = P1_FT_SYMLINK; break;
            case DT_CHR: t = P1_FT_CHAR; break;
            case DT_BLK: t = P1_FT_BLOCK; break;
            case DT_SOCK: t = P1_FT_SOCK_STREAM; break;
            case DT_UNKNOWN: {
                struct stat st;
                t = fstatat(e->host, d->name, &st, AT_SYMLINK_NOFOLLOW) ? P1_FT_UNKNOWN
                                                                        : wf_p1_filetype(st.st_mode);
                break;
            }
            default: t = P1_FT_UNKNOWN;
            }
            p1_put_u64(hdr, (uint64_t)d->off);
            p1_put_u64(hdr + 8, d->ino);
            p1_put_u32(hdr + 16, (uint32_t)nl);
            hdr[20] = t;
            uint32_t k = WF_MIN(cap - used, 24u);
            memcpy(out + used, hdr, k);
            used += k;
            k = (uint32_t)WF_MIN((size_t)(cap - used), nl);
            memcpy(out + used, d->name, k);
            used += k;
        }
    }
    P1_RET(wf_p1_store_u32(m, s[4].u32, used));
}
