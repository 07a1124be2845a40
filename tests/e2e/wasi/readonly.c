/*
 * readonly.c - a WASI guest that tries every route to write a read-only
 * mount, compiled by tests/e2e/wasi_readonly.sh: hard links out of it,
 * renames, open flags, fd operations on a file opened for reading, fd
 * renumbering, symlinks from the writable mount into it, a file the host
 * linked into both mounts, and every other path-taking call (unlink,
 * create/remove directory, symlink, set-times, renames) on the mount and
 * through a subdirectory's fd. It calls the preview 1 functions directly
 * (wasi-libc would refuse some paths before the host sees them) and prints
 * one line per attempt: "NAME ERRNO" with WASI's errno number (0 = success).
 *
 * fd 3 is the writable mount /rw, fd 4 the read-only mount /ro. Built with
 * -DWF_ADAPTED for the run as a component through jco's preview 1 adapter
 * (wasi_readonly_p2_adapted.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define RW 3
#define RO 4

static const __wasi_rights_t RD = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK;
static const __wasi_rights_t WR = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK;
static const __wasi_rights_t ALL = (__wasi_rights_t)-1;

static void report(const char *what, int e) { printf("%s %d\n", what, e); }

/* path_open; the fd in *out when asked for, else closed. */
static int open_fd(int dir, int follow, const char *p, int oflags, __wasi_rights_t r,
                   __wasi_fdflags_t fdflags, __wasi_fd_t *out)
{
    __wasi_fd_t fd;
    int e = __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, oflags, r,
                             ALL, fdflags, &fd);
    if (!e && out) *out = fd;
    else if (!e) (void)__wasi_fd_close(fd);
    return e;
}

static int open_at(int dir, const char *p, int oflags, __wasi_rights_t r)
{
    return open_fd(dir, 1, p, oflags, r, 0, NULL);
}

/* Open p for writing, write "pwned", close: the errno of the first step
 * that fails. */
static int write_file(int dir, int follow, const char *p, int oflags)
{
    __wasi_fd_t fd;
    int e = open_fd(dir, follow, p, oflags, WR, 0, &fd);
    if (e) return e;
    __wasi_ciovec_t iov = { (const uint8_t *)"pwned", 5 };
    __wasi_size_t n;
    e = __wasi_fd_write(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
    return e;
}

/* Every write-like fd operation on fd, named prefix-what. */
static void fd_writes(const char *prefix, __wasi_fd_t fd)
{
    char name[64];
    __wasi_ciovec_t iov = { (const uint8_t *)"pwned", 5 };
    __wasi_size_t n;
#define TRY(what, call) (snprintf(name, sizeof name, "%s-%s", prefix, what), report(name, call))
    TRY("write", __wasi_fd_write(fd, &iov, 1, &n));
    TRY("pwrite", __wasi_fd_pwrite(fd, &iov, 1, 0, &n));
    TRY("allocate", __wasi_fd_allocate(fd, 0, 100));
    TRY("set-size", __wasi_fd_filestat_set_size(fd, 0));
    TRY("set-times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    TRY("set-append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
#ifndef WF_ADAPTED   /* the preview 1 adapter traps on fd_fdstat_set_rights */
    TRY("grow-rights", __wasi_fd_fdstat_set_rights(fd, RD | WR, 0));
#endif
    TRY("write-again", __wasi_fd_write(fd, &iov, 1, &n));
#undef TRY
}

int main(void)
{
    /* Hard links out of the read-only mount (the route). */
    report("link-ro-to-rw", __wasi_path_link(RO, 0, "data.txt", RW, "stolen"));
    report("link-ro-to-rw-follow", __wasi_path_link(RO, 1, "alias", RW, "stolen"));
    report("link-ro-sub-to-rw", __wasi_path_link(RO, 0, "sub/inner.txt", RW, "stolen"));
    report("link-ro-to-ro", __wasi_path_link(RO, 0, "data.txt", RO, "stolen"));
    report("stolen-write", write_file(RW, 1, "stolen", 0));
    /* Renames across the boundary. */
    report("rename-ro-to-rw", __wasi_path_rename(RO, "data.txt", RW, "moved"));
    report("rename-ro-dir-to-rw", __wasi_path_rename(RO, "sub", RW, "moved"));
    report("rename-rw-to-ro", __wasi_path_rename(RW, "own.txt", RO, "own.txt"));
    report("rename-rw-over-ro", __wasi_path_rename(RW, "own.txt", RO, "data.txt"));
    /* Open flags on the read-only mount. */
    report("ro-open-write", open_at(RO, "data.txt", 0, WR));
    report("ro-open-rdwr", open_at(RO, "data.txt", 0, RD | WR));
    report("ro-open-trunc", open_at(RO, "data.txt", __WASI_OFLAGS_TRUNC, RD));
    report("ro-open-creat", open_at(RO, "data.txt", __WASI_OFLAGS_CREAT, RD));
    report("ro-open-creat-new", open_at(RO, "new.txt", __WASI_OFLAGS_CREAT, RD));
    report("ro-open-append", open_fd(RO, 1, "data.txt", 0, RD, __WASI_FDFLAGS_APPEND, NULL));
    report("ro-open-size-right", open_at(RO, "data.txt", 0, __WASI_RIGHTS_FD_FILESTAT_SET_SIZE));
    report("ro-open-alloc-right", open_at(RO, "data.txt", 0, __WASI_RIGHTS_FD_ALLOCATE));
    report("ro-open-dsync", open_fd(RO, 1, "data.txt", 0, RD, __WASI_FDFLAGS_DSYNC, NULL));
    /* Every fd operation on a read-only file opened for reading. */
    __wasi_fd_t fd;
    report("ro-open-read", open_fd(RO, 1, "data.txt", 0, RD, 0, &fd));
    fd_writes("ro-fd", fd);
    /* The same fd under another number (renumbered over the writable mount's
     * next free fd) is still read-only. */
    __wasi_fd_t other;
    report("rw-open-other", open_fd(RW, 1, "own.txt", 0, RD, 0, &other));
    report("renumber", __wasi_fd_renumber(fd, other));
    fd_writes("renumbered", other);
    (void)__wasi_fd_close(other);
    /* A directory opened beneath the read-only mount, with every right (so
     * that rights, which only restrict, are not what refuses), is read-only
     * too. */
    __wasi_fd_t dir;
    report("ro-open-subdir", open_fd(RO, 1, "sub", __WASI_OFLAGS_DIRECTORY, ALL, 0, &dir));
    report("ro-subdir-write", write_file(dir, 1, "inner.txt", 0));
    report("ro-subdir-link-out", __wasi_path_link(dir, 0, "inner.txt", RW, "stolen"));
    report("ro-subdir-create", write_file(dir, 1, "new.txt", __WASI_OFLAGS_CREAT));
    report("ro-subdir-trunc", open_at(dir, "inner.txt", __WASI_OFLAGS_TRUNC, RD));
    report("ro-subdir-unlink", __wasi_path_unlink_file(dir, "inner.txt"));
    report("ro-subdir-mkdir", __wasi_path_create_directory(dir, "d"));
    report("ro-subdir-rmdir", __wasi_path_remove_directory(dir, "empty"));
    report("ro-subdir-symlink", __wasi_path_symlink("inner.txt", dir, "l"));
    report("ro-subdir-rename-out", __wasi_path_rename(dir, "inner.txt", RW, "moved"));
    report("ro-subdir-rename-within", __wasi_path_rename(dir, "inner.txt", dir, "moved"));
    report("ro-subdir-times", __wasi_path_filestat_set_times(dir, 0, "inner.txt", 0, 0,
                                                             __WASI_FSTFLAGS_MTIM_NOW));
    (void)__wasi_fd_close(dir);
    /* Every other path-taking call on the read-only mount itself, and the
     * two-directory ones from the writable mount into it. */
    report("ro-unlink", __wasi_path_unlink_file(RO, "data.txt"));
    report("ro-unlink-symlink", __wasi_path_unlink_file(RO, "alias"));
    report("ro-mkdir", __wasi_path_create_directory(RO, "d"));
    report("ro-rmdir", __wasi_path_remove_directory(RO, "sub/empty"));
    report("ro-symlink", __wasi_path_symlink("data.txt", RO, "l"));
    report("ro-times", __wasi_path_filestat_set_times(RO, 0, "data.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    report("ro-times-follow", __wasi_path_filestat_set_times(RO, 1, "alias", 0, 0,
                                                             __WASI_FSTFLAGS_MTIM_NOW));
    report("ro-rename-within", __wasi_path_rename(RO, "data.txt", RO, "moved"));
    report("link-rw-to-ro", __wasi_path_link(RW, 0, "own.txt", RO, "own.txt"));
    report("symlink-rw-to-ro", __wasi_path_symlink("../rw/own.txt", RO, "own"));
    /* Symlinks in the writable mount pointing into the read-only one: made
     * by the host (relative and absolute host path) and by the guest. */
    report("sym-host-rel", write_file(RW, 1, "to-ro-rel", __WASI_OFLAGS_TRUNC));
    report("sym-host-abs", write_file(RW, 1, "to-ro-abs", __WASI_OFLAGS_TRUNC));
    report("sym-host-nofollow", write_file(RW, 0, "to-ro-rel", __WASI_OFLAGS_TRUNC));
    report("sym-guest-make-rel", __wasi_path_symlink("../ro/data.txt", RW, "g-rel"));
    report("sym-guest-rel", write_file(RW, 1, "g-rel", __WASI_OFLAGS_TRUNC));
    report("sym-guest-make-abs", __wasi_path_symlink("/ro/data.txt", RW, "g-abs"));
    report("sym-guest-abs", write_file(RW, 1, "g-abs", __WASI_OFLAGS_TRUNC));
    report("sym-link-follow", __wasi_path_link(RW, 1, "to-ro-rel", RW, "stolen"));
    report("sym-times", __wasi_path_filestat_set_times(RW, 1, "to-ro-rel", 0, 0,
                                                       __WASI_FSTFLAGS_MTIM_NOW));
    /* A file the host linked into both mounts (rw/hl.txt = ro/shared.txt). */
    report("shared-read", open_at(RW, "hl.txt", 0, RD));
    report("shared-write", write_file(RW, 1, "hl.txt", 0));
    report("shared-trunc", open_at(RW, "hl.txt", __WASI_OFLAGS_TRUNC, RD));
    report("shared-creat", write_file(RW, 1, "hl.txt", __WASI_OFLAGS_CREAT));
    report("shared-append", open_fd(RW, 1, "hl.txt", 0, RD, __WASI_FDFLAGS_APPEND, NULL));
    report("shared-times", __wasi_path_filestat_set_times(RW, 0, "hl.txt", 0, 0,
                                                          __WASI_FSTFLAGS_MTIM_NOW));
    report("shared-open-read", open_fd(RW, 1, "hl.txt", 0, RD, 0, &fd));
    fd_writes("shared-fd", fd);
    (void)__wasi_fd_close(fd);
    report("shared-link-again", __wasi_path_link(RW, 0, "hl.txt", RW, "hl2.txt"));
    report("shared-link-again-write", write_file(RW, 1, "hl2.txt", 0));
    /* The writable mount still works: new files, and the guest's own
     * links (read-only to it while linked: the rule's documented price). */
    report("rw-create", write_file(RW, 1, "new.txt", __WASI_OFLAGS_CREAT));
    report("rw-create-excl-exists", open_at(RW, "new.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, WR));
    report("rw-trunc", write_file(RW, 1, "new.txt", __WASI_OFLAGS_TRUNC));
    report("rw-own-link", __wasi_path_link(RW, 0, "own.txt", RW, "own2.txt"));
    report("rw-own-link-write", write_file(RW, 1, "own2.txt", 0));
    report("rw-own-unlink", __wasi_path_unlink_file(RW, "own2.txt"));
    report("rw-own-write", write_file(RW, 1, "own.txt", __WASI_OFLAGS_TRUNC));
    fflush(stdout);
    return 0;
}
