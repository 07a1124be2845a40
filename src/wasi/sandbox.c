/*
 * sandbox.c - path operations confined beneath a directory by the kernel
 * (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); see sandbox.h.
 *
 * No string check decides what is inside: the strings are only split into
 * "parent" and "last component" so that operations on a directory entry act
 * on the entry itself (never following a last-component symlink outside),
 * after the parent was opened beneath the mount.
 *
 * A read-only mount stays read-only by every route:
 *  - Names: every operation that writes an entry (create, truncate, unlink,
 *    mkdir, rmdir, rename from or to, symlink, times) refuses a read-only
 *    mount with EROFS, and files there are only ever opened O_RDONLY, so
 *    the kernel also refuses data writes, truncation and fallocate on them.
 *  - Symlinks: each mount resolves beneath itself, so a symlink in a
 *    writable mount cannot reach into a read-only one (it would leave its
 *    own mount: EXDEV).
 *  - Hard links made by the guest: a link's *source* in a read-only mount
 *    is refused too (EROFS), whatever the destination: a new name for the
 *    inode in a writable mount would make its data writable there.
 *  - Inodes shared by the host: a file of a read-only mount may also have a
 *    name in a writable one (a hard link made outside the guest). A shared
 *    inode needs a second link on the same device, so the rule is: a
 *    non-directory with st_nlink > 1 on the device of any read-only mount of
 *    the same guest is never opened for writing, truncated or given new
 *    times through a writable mount (EROFS). It is decided on the inode
 *    itself, opened O_PATH first and only then reopened with the guest's
 *    flags through /proc/self/fd, so O_TRUNC cannot act before the check,
 *    and a rename racing the lookup cannot swap the inode. The price: a file
 *    the guest linked twice itself in a writable mount is read-only to it
 *    while a read-only mount shares its device. Checking whether the inode
 *    is really reachable from the read-only mount would mean walking it.
 *  - Whole directories: a read-only mount inside (or equal to) a writable
 *    one would be writable through it; the WASI context refuses to mount
 *    such a pair (wf_sbx_within). Mount points the host placed inside a
 *    granted directory (bind mounts) are part of that grant.
 */
#include "wasi/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SBX_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

/* A guest path as a C string: NUL inside (it would silently cut
 * the name) is EILSEQ, longer than PATH_MAX is ENAMETOOLONG. */
static int cpath(const char *p, size_t len, char *out)
{
    if (len >= PATH_MAX) return -ENAMETOOLONG;
    if (memchr(p, 0, len)) return -EILSEQ;
    memcpy(out, p, len);
    out[len] = 0;
    return 0;
}

/* O_TMPFILE includes the O_DIRECTORY bit: test it whole. */
static bool creates(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int raw_openat2(int dirfd, const char *path, int flags, int mode, uint64_t resolve)
{
    struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                            .mode = creates(flags) ? (uint64_t)mode : 0,
                            .resolve = resolve };
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0) return (int)fd;
        /* EAGAIN: a concurrent rename raced the `..` check; try again. */
        if (errno == EAGAIN && tries < 16) continue;
        if (errno == EINTR) continue;
        return -errno;
    }
}

int wf_sbx_mount_open(const char *host_path, int *out_fd)
{
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    *out_fd = fd;
    return 0;
}

int wf_sbx_within(int inner, int outer)
{
    struct stat o, st;
    if (fstat(outer, &o) || fstat(inner, &st)) return -errno;
    int fd = dup(inner);
    if (fd < 0) return -errno;
    int r = 0;
    for (int depth = 0; depth < 4096; depth++) {
        if (st.st_dev == o.st_dev && st.st_ino == o.st_ino) {
            r = 1;
            break;
        }
        int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) {
            r = -errno;
            break;
        }
        struct stat ust;
        if (fstat(up, &ust)) {
            r = -errno;
            close(up);
            break;
        }
        close(fd);
        fd = up;
        if (ust.st_dev == st.st_dev && ust.st_ino == st.st_ino) break;   /* "/" */
        st = ust;
    }
    close(fd);
    return r;
}

/* The shared-inode rule of the header on a stat of the inode. */
static int shared_check(wf_sbx_dir d, const struct stat *st)
{
    if (S_ISDIR(st->st_mode) || st->st_nlink < 2) return 0;
    for (size_t i = 0; i < d.nro_devs; i++)
        if (d.ro_devs[i] == st->st_dev) return -EROFS;
    return 0;
}

int wf_sbx_fd_writable(wf_sbx_dir d, int fd)
{
    if (d.ro) return -EROFS;
    if (!d.nro_devs) return 0;
    struct stat st;
    if (fstat(fd, &st)) return -errno;
    return shared_check(d, &st);
}

static bool write_like(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)) || creates(flags);
}

/* A write-like open through a writable mount while a read-only mount shares
 * a device: check the inode (opened O_PATH, no side effect) before the open
 * that may truncate it, then reopen that very inode. A file that does not
 * exist yet is created with O_EXCL, so it is new (one link). */
static int guarded_open(wf_sbx_dir d, const char *p, int flags, int mode, bool follow)
{
    for (int tries = 0; tries < 8; tries++) {
        int pfd = raw_openat2(d.fd, p, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, SBX_RESOLVE);
        if (pfd == -ENOENT && creates(flags)) {
            int fd = raw_openat2(d.fd, p, flags | O_EXCL | (follow ? 0 : O_NOFOLLOW), mode,
                                 SBX_RESOLVE);
            if (fd == -EEXIST && !(flags & O_EXCL)) continue;   /* raced a creation */
            return fd;
        }
        if (pfd < 0) return pfd;
        struct stat st;
        int r = fstat(pfd, &st) ? -errno : 0;
        if (!r && S_ISLNK(st.st_mode)) r = -ELOOP;     /* O_NOFOLLOW on a link */
        if (!r && (flags & O_CREAT) && (flags & O_EXCL)) r = -EEXIST;
        if (!r) r = shared_check(d, &st);
        if (!r) {
            char proc[64];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
            r = open(proc, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
            if (r < 0) r = -errno;
        }
        close(pfd);
        return r;
    }
    return -EAGAIN;
}

int wf_sbx_open(wf_sbx_dir d, const char *path, size_t len, int flags, int mode, bool follow,
                int *out_fd)
{
    char p[PATH_MAX];
    int r = cpath(path, len, p);
    if (r) return r;
    bool writes = write_like(flags);
    if (d.ro && writes) return -EROFS;
    if (writes && d.nro_devs) {
        r = guarded_open(d, p, flags, mode, follow);
    } else {
        if (!follow) flags |= O_NOFOLLOW;
        r = raw_openat2(d.fd, p, flags, mode, SBX_RESOLVE);
    }
    if (r < 0) return r;
    *out_fd = r;
    return 0;
}

int wf_sbx_stat(wf_sbx_dir d, const char *path, size_t len, bool follow, struct stat *st)
{
    int fd, r = wf_sbx_open(d, path, len, O_PATH, 0, follow, &fd);
    if (r) return r;
    r = fstatat(fd, "", st, AT_EMPTY_PATH) ? -errno : 0;
    close(fd);
    return r;
}

/* The parent of path opened beneath d (O_PATH) and its last component.
 * Trailing slashes are dropped; *slash says there were some. "." and ".."
 * as the last component are refused: the operations here name an entry. */
typedef struct sbx_parent {
    int fd;
    char last[NAME_MAX + 1];
    bool slash;
} sbx_parent;

static int open_parent(wf_sbx_dir d, const char *path, size_t len, sbx_parent *out)
{
    char p[PATH_MAX];
    out->fd = -1;
    out->slash = false;
    int r = cpath(path, len, p);
    if (r) return r;
    while (len > 1 && p[len - 1] == '/') {
        p[--len] = 0;
        out->slash = true;
    }
    if (len == 0) return -ENOENT;
    char *cut = strrchr(p, '/');
    const char *last = cut ? cut + 1 : p;
    if (!*last) return -EPERM;                 /* the path is "/": an escape */
    if (strlen(last) > NAME_MAX) return -ENAMETOOLONG;
    if (!strcmp(last, ".")) return -EINVAL;
    if (!strcmp(last, "..")) return -EPERM;
    strcpy(out->last, last);
    const char *parent = ".";
    if (cut == p) parent = "/";                /* refused by RESOLVE_BENEATH */
    else if (cut) { *cut = 0; parent = p; }
    r = raw_openat2(d.fd, parent, O_PATH | O_DIRECTORY, 0, SBX_RESOLVE);
    if (r < 0) return r;
    out->fd = r;
    return 0;
}

static void close_parent(sbx_parent *pp)
{
    if (pp->fd >= 0) close(pp->fd);
    pp->fd = -1;
}

/* A trailing slash names a directory: for an operation on a non-directory
 * entry, say what POSIX says about it. */
static int slash_check(const sbx_parent *pp, bool must_exist)
{
    struct stat st;
    if (fstatat(pp->fd, pp->last, &st, AT_SYMLINK_NOFOLLOW))
        return must_exist ? -errno : -ENOENT;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    return 0;
}

int wf_sbx_utimens(wf_sbx_dir d, const char *path, size_t len, bool follow,
                   const struct timespec ts[2])
{
    if (d.ro) return -EROFS;
    int fd, r = wf_sbx_open(d, path, len, O_PATH, 0, follow, &fd);
    if (r) return r;
    /* AT_EMPTY_PATH on the O_PATH fd: the inode resolved beneath d, never a
     * fresh lookup that could follow a link elsewhere. */
    r = wf_sbx_fd_writable(d, fd);
    if (!r) r = utimensat(fd, "", ts, AT_EMPTY_PATH) ? -errno : 0;
    close(fd);
    return r;
}

int wf_sbx_mkdir(wf_sbx_dir d, const char *path, size_t len)
{
    if (d.ro) return -EROFS;
    sbx_parent pp;
    int r = open_parent(d, path, len, &pp);
    if (r == -EINVAL) return -EEXIST;           /* "." exists */
    if (r) return r;
    r = mkdirat(pp.fd, pp.last, 0777) ? -errno : 0;
    close_parent(&pp);
    return r;
}

int wf_sbx_rmdir(wf_sbx_dir d, const char *path, size_t len)
{
    if (d.ro) return -EROFS;
    sbx_parent pp;
    int r = open_parent(d, path, len, &pp);
    if (r) return r;
    r = unlinkat(pp.fd, pp.last, AT_REMOVEDIR) ? -errno : 0;
    close_parent(&pp);
    return r;
}

int wf_sbx_unlink(wf_sbx_dir d, const char *path, size_t len)
{
    if (d.ro) return -EROFS;
    sbx_parent pp;
    int r = open_parent(d, path, len, &pp);
    if (r) return r;
    if (pp.slash) {
        r = slash_check(&pp, true);
        if (r == 0) r = -EISDIR;
    } else {
        r = unlinkat(pp.fd, pp.last, 0) ? -errno : 0;
    }
    close_parent(&pp);
    return r;
}

int wf_sbx_rename(wf_sbx_dir from, const char *p1, size_t l1, wf_sbx_dir to, const char *p2,
                  size_t l2)
{
    if (from.ro || to.ro) return -EROFS;
    sbx_parent a, b;
    int r = open_parent(from, p1, l1, &a);
    if (r) return r;
    r = open_parent(to, p2, l2, &b);
    if (r) {
        close_parent(&a);
        return r;
    }
    if (a.slash || b.slash) r = slash_check(&a, true);
    if (!r) r = renameat(a.fd, a.last, b.fd, b.last) ? -errno : 0;
    close_parent(&a);
    close_parent(&b);
    return r;
}

int wf_sbx_link(wf_sbx_dir from, const char *p1, size_t l1, bool follow, wf_sbx_dir to,
                const char *p2, size_t l2)
{
    if (from.ro || to.ro) return -EROFS;
    sbx_parent b;
    int r = open_parent(to, p2, l2, &b);
    if (r) return r;
    if (b.slash) {
        r = slash_check(&b, false) == -ENOENT ? -ENOENT : -EEXIST;
        close_parent(&b);
        return r;
    }
    if (follow) {
        /* Resolve the source beneath its mount, then link that inode
         * through its /proc/self/fd name (no privilege needed, unlike
         * AT_EMPTY_PATH). */
        int fd;
        r = wf_sbx_open(from, p1, l1, O_PATH, 0, true, &fd);
        if (!r) {
            char proc[64];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
            r = linkat(AT_FDCWD, proc, b.fd, b.last, AT_SYMLINK_FOLLOW) ? -errno : 0;
            close(fd);
        }
    } else {
        sbx_parent a;
        r = open_parent(from, p1, l1, &a);
        if (!r) {
            r = a.slash ? slash_check(&a, true) : 0;
            if (!r) r = linkat(a.fd, a.last, b.fd, b.last, 0) ? -errno : 0;
            close_parent(&a);
        }
    }
    close_parent(&b);
    return r;
}

int wf_sbx_symlink(const char *target, size_t tlen, wf_sbx_dir d, const char *path, size_t len)
{
    if (d.ro) return -EROFS;
    char t[PATH_MAX];
    int r = cpath(target, tlen, t);
    if (r) return r;
    sbx_parent pp;
    r = open_parent(d, path, len, &pp);
    if (r == -EINVAL) return -EEXIST;           /* "." exists */
    if (r) return r;
    if (pp.slash) r = slash_check(&pp, false) == -ENOENT ? -ENOENT : -EEXIST;
    else r = symlinkat(t, pp.fd, pp.last) ? -errno : 0;
    close_parent(&pp);
    return r;
}

int wf_sbx_readlink(wf_sbx_dir d, const char *path, size_t len, char *buf, size_t cap,
                    size_t *out_len)
{
    sbx_parent pp;
    int r = open_parent(d, path, len, &pp);
    if (r) return r;
    ssize_t n = readlinkat(pp.fd, pp.last, buf, cap);
    r = n < 0 ? -errno : 0;
    if (n >= 0) *out_len = (size_t)n;
    close_parent(&pp);
    return r;
}
