/*
 * sandbox.h - the confined file system shared by WASI preview 1 (and later
 * preview 2): every path a guest names is resolved by the kernel beneath a
 * directory file descriptor with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS), so `..`, absolute paths and symlinks cannot leave
 * the mount, whatever the string looks like. The directory is the guest's
 * descriptor itself, never its mount's root: a descriptor is a capability
 * for what lies beneath it, so a `..` (or a symlink) climbing above it is an
 * escape even when the result is inside the mount or the path comes back
 * down ("../sub/f" through the descriptor of sub), as in wasmtime (cap-std
 * pops `..` off the stack of directories it opened from the descriptor and
 * refuses an empty stack); "sub/../f" through the mount's descriptor stays
 * beneath it and is allowed. Operations that act on a name
 * in a directory (unlink, mkdir, rename, link, symlink, readlink) open the
 * parent directory that way and then use the *at system call with the last
 * component only.
 *
 * Functions return 0 or a negative host errno (-EXDEV for an attempted
 * escape, -EROFS for a write on a read-only mount); the WASI layers map it.
 * How a read-only mount stays read-only against every route (links,
 * renames, open flags, symlinks, inodes shared with a writable mount) is
 * said in sandbox.c's header.
 */
#ifndef WF_SANDBOX_H
#define WF_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

/* A directory the guest may reach: dirfd is beneath a mount (or the mount
 * itself); ro is the mount's read_only. ro_devs (nro_devs of them) are the
 * devices of every read-only mount of the same guest: a non-directory with
 * more than one link on one of them may be a file of a read-only mount, so
 * it is never written through a writable one (sandbox.c). */
typedef struct wf_sbx_dir {
    int fd;
    bool ro;
    const dev_t *ro_devs;
    size_t nro_devs;
} wf_sbx_dir;

/* Open a host directory as a mount root (O_DIRECTORY, read only fd). */
int wf_sbx_mount_open(const char *host_path, int *out_fd);

/* 1 when directory fd inner is directory fd outer or lies beneath it (its
 * chain of `..` reaches outer), 0 when not, or a negative errno. A read-only
 * mount within a writable one of the same guest would be writable through
 * it: the WASI context refuses that pair. */
int wf_sbx_within(int inner, int outer);

/* 0 when the inode open as fd may be written (data, size or times) by a
 * guest reaching it through d: -EROFS when d is read-only, or when the
 * inode may also be a file of a read-only mount (a shared inode, above). */
int wf_sbx_fd_writable(wf_sbx_dir d, int fd);

/* Open path beneath d with open(2) flags and mode. follow: follow a symlink
 * in the last component (otherwise O_NOFOLLOW: opening a symlink fails with
 * ELOOP, or gives the link itself with O_PATH). A write-like open (access
 * other than O_RDONLY, O_CREAT, O_TRUNC, O_APPEND) on a read-only mount, or
 * of a shared inode through a writable one, is -EROFS. */
int wf_sbx_open(wf_sbx_dir d, const char *path, size_t len, int flags, int mode, bool follow,
                int *out_fd);

/* stat of path beneath d (of the link itself when !follow). */
int wf_sbx_stat(wf_sbx_dir d, const char *path, size_t len, bool follow, struct stat *st);
/* Set times (utimensat semantics: UTIME_NOW / UTIME_OMIT allowed). */
int wf_sbx_utimens(wf_sbx_dir d, const char *path, size_t len, bool follow,
                   const struct timespec ts[2]);

int wf_sbx_mkdir(wf_sbx_dir d, const char *path, size_t len);
int wf_sbx_rmdir(wf_sbx_dir d, const char *path, size_t len);
int wf_sbx_unlink(wf_sbx_dir d, const char *path, size_t len);
int wf_sbx_rename(wf_sbx_dir from, const char *p1, size_t l1, wf_sbx_dir to, const char *p2,
                  size_t l2);
/* A hard link at p2 beneath `to` to the file p1 beneath `from`: -EROFS when
 * either mount is read-only (a link to a read-only file would make it
 * writable through `to`). */
int wf_sbx_link(wf_sbx_dir from, const char *p1, size_t l1, bool follow, wf_sbx_dir to,
                const char *p2, size_t l2);
/* Create a symlink at path holding target (any text: it is only ever
 * followed beneath a mount). */
int wf_sbx_symlink(const char *target, size_t tlen, wf_sbx_dir d, const char *path, size_t len);
/* Read a link's text into buf; *out_len is the bytes stored (truncated). */
int wf_sbx_readlink(wf_sbx_dir d, const char *path, size_t len, char *buf, size_t cap,
                    size_t *out_len);

#endif
