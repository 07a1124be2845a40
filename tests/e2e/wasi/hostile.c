/*
 * hostile.c - a WASI guest that tries to leave its sandbox, compiled by
 * tests/e2e/wasi_hostile.sh. It calls the preview 1 functions directly
 * (not through wasi-libc's path lookup, which would refuse some of these
 * before the host sees them) and prints one line per attempt:
 * "NAME ERRNO" with WASI's errno number (0 = success). Every path-taking
 * call is tried against the outside by "..", absolute path and symlink.
 *
 * fd 3 is a writable mount, fd 4 a read-only one (see the script).
 * Built with -DWF_ADAPTED for the run as a component through jco's preview
 * 1 adapter (wasi_hostile_p2_adapted.sh): the bad-pointer lines are left out.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define RW 3
#define RO 4

/* The raw import, so guest pointers can be bad on purpose. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")))
int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t n, int32_t nwritten);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags,
                      int64_t base, int64_t inh, int32_t fdflags, int32_t out);

static const __wasi_rights_t RD = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK;
static const __wasi_rights_t WR = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK;

static void report(const char *what, int e) { printf("%s %d\n", what, e); }

static int open_at(int dir, int follow, const char *p, int oflags, __wasi_rights_t r)
{
    __wasi_fd_t fd;
    int e = __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, p, oflags, r,
                             0, 0, &fd);
    if (!e) (void)__wasi_fd_close(fd);
    return e;
}

int main(void)
{
    /* Escapes by name: .., absolute, through a subdirectory. */
    report("open-dotdot", open_at(RW, 1, "../outside.txt", 0, RD));
    report("open-absolute", open_at(RW, 1, "/etc/passwd", 0, RD));
    report("open-sub-dotdot", open_at(RW, 1, "sub/../../outside.txt", 0, RD));
    report("open-sub-dotdot-inside", open_at(RW, 1, "sub/../inside.txt", 0, RD));
    report("create-dotdot", open_at(RW, 1, "../created.txt", __WASI_OFLAGS_CREAT, WR));
    /* Escapes by symlink, made by the host and by the guest. */
    report("open-link-out", open_at(RW, 1, "link-out", 0, RD));
    report("open-link-abs", open_at(RW, 1, "link-abs", 0, RD));
    report("write-link-out", open_at(RW, 1, "link-out", __WASI_OFLAGS_TRUNC, WR));
    report("open-link-nofollow", open_at(RW, 0, "link-out", 0, RD));
    report("open-loop", open_at(RW, 1, "loop1", 0, RD));
    report("symlink-make", __wasi_path_symlink("../outside.txt", RW, "guest-link"));
    report("open-guest-link", open_at(RW, 1, "guest-link", __WASI_OFLAGS_TRUNC, WR));
    report("open-dir-link-out", open_at(RW, 1, "dirlink/outside.txt", 0, RD));
    __wasi_filestat_t st;
    report("stat-link-follow", __wasi_path_filestat_get(RW, 1, "link-out", &st));
    report("stat-link-nofollow", __wasi_path_filestat_get(RW, 0, "link-out", &st));
    report("times-link-out", __wasi_path_filestat_set_times(RW, 1, "link-out", 0, 0,
                                                            __WASI_FSTFLAGS_MTIM_NOW));
    /* Operations on entries outside. */
    report("unlink-dotdot", __wasi_path_unlink_file(RW, "../outside.txt"));
    report("unlink-sub-dotdot", __wasi_path_unlink_file(RW, "sub/../../outside.txt"));
    report("mkdir-dotdot", __wasi_path_create_directory(RW, "../newdir"));
    report("rmdir-dotdot", __wasi_path_remove_directory(RW, ".."));
    report("rename-out", __wasi_path_rename(RW, "inside.txt", RW, "../stolen.txt"));
    report("rename-in", __wasi_path_rename(RW, "../outside.txt", RW, "taken.txt"));
    report("link-follow-out", __wasi_path_link(RW, 1, "link-out", RW, "hard"));
    report("link-dotdot", __wasi_path_link(RW, 0, "../outside.txt", RW, "hard2"));
    uint8_t buf[64];
    __wasi_size_t n;
    report("readlink-dotdot", __wasi_path_readlink(RW, "../outlink", buf, sizeof buf, &n));
    /* The read-only mount. */
    report("ro-read", open_at(RO, 1, "data.txt", 0, RD));
    report("ro-open-write", open_at(RO, 1, "data.txt", 0, WR));
    report("ro-create", open_at(RO, 1, "new.txt", __WASI_OFLAGS_CREAT, WR));
    report("ro-trunc", open_at(RO, 1, "data.txt", __WASI_OFLAGS_TRUNC, RD));
    report("ro-unlink", __wasi_path_unlink_file(RO, "data.txt"));
    report("ro-mkdir", __wasi_path_create_directory(RO, "d"));
    report("ro-rmdir", __wasi_path_remove_directory(RO, "empty"));
    report("ro-rename", __wasi_path_rename(RO, "data.txt", RO, "moved.txt"));
    report("ro-rename-out", __wasi_path_rename(RO, "data.txt", RW, "moved.txt"));
    report("ro-symlink", __wasi_path_symlink("data.txt", RO, "l"));
    report("ro-link", __wasi_path_link(RO, 0, "data.txt", RO, "hard"));
    report("ro-times", __wasi_path_filestat_set_times(RO, 0, "data.txt", 0, 0,
                                                      __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_fd_t fd;
    if (__wasi_path_open(RO, 1, "data.txt", 0, RD, 0, 0, &fd) == 0) {
        __wasi_ciovec_t iov = { (const uint8_t *)"x", 1 };
        report("ro-fd-write", __wasi_fd_write(fd, &iov, 1, &n));
        report("ro-fd-truncate", __wasi_fd_filestat_set_size(fd, 0));
        report("ro-fd-times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        report("ro-fd-allocate", __wasi_fd_allocate(fd, 0, 100));
        (void)__wasi_fd_close(fd);
    }
    /* A directory descriptor is a capability for what lies beneath it, not
     * for its whole mount (wasmtime's rule, from cap-std: a `..` that
     * climbs above the descriptor a path is resolved against is an escape,
     * even when it would come back down or stay inside the mount). SUB is
     * box/cap/sub; box/cap holds parent.txt and pdir, which the guest must
     * not reach through SUB. */
    __wasi_fd_t SUB = 0;
    report("sub-open", __wasi_path_open(RW, 0, "cap/sub", __WASI_OFLAGS_DIRECTORY,
                                        (__wasi_rights_t)-1, (__wasi_rights_t)-1, 0, &SUB));
    report("sub-dotdot", open_at(SUB, 1, "..", __WASI_OFLAGS_DIRECTORY, RD));
    report("sub-dotdot-slash", open_at(SUB, 1, "../", __WASI_OFLAGS_DIRECTORY, RD));
    report("sub-dotdot-file", open_at(SUB, 1, "../parent.txt", 0, RD));
    report("sub-dot-dotdot", open_at(SUB, 1, "./../parent.txt", 0, RD));
    report("sub-deep-dotdot", open_at(SUB, 1, "deeper/../../parent.txt", 0, RD));
    report("sub-dotdot-back", open_at(SUB, 1, "../sub/f.txt", 0, RD));
    report("sub-deep-inside", open_at(SUB, 1, "deeper/../f.txt", 0, RD));
    report("sub-uplink", open_at(SUB, 1, "up", 0, RD));
    report("sub-uplink-deep", open_at(SUB, 1, "deeper/../up", 0, RD));
    report("sub-uplink-nofollow", __wasi_path_filestat_get(SUB, 0, "up", &st));
    report("sub-stat-dotdot", __wasi_path_filestat_get(SUB, 1, "..", &st));
    report("sub-stat-dotdot-file", __wasi_path_filestat_get(SUB, 0, "../parent.txt", &st));
    report("mount-sub-uplink", open_at(RW, 1, "cap/sub/up", 0, RD));
    report("mount-sub-dotdot", open_at(RW, 1, "cap/sub/../parent.txt", 0, RD));
    /* Every path-taking call against the outside by each route: "..", an
     * absolute path, the host's symlink `dirlink` (to the mount's parent),
     * and `..` from SUB to what lies in its parent, inside the mount. */
    static const char *const how[] = { "dotdot", "abs", "dirlink", "subfd" };
    const __wasi_fd_t at[] = { RW, RW, RW, SUB };
    static const char *const out_file[] = { "../outside.txt", "/outside.txt", "dirlink/outside.txt",
                                            "../parent.txt" };
    static const char *const out_new[] = { "../evil", "/evil", "dirlink/evil", "../evil" };
    static const char *const out_dir[] = { "../robox/empty", "/robox/empty", "dirlink/robox/empty",
                                           "../pdir" };
    char name[64];
#define OUT(what, call) (snprintf(name, sizeof name, "out-%s-%s", what, how[i]), report(name, call))
    for (int i = 0; i < 4; i++) {
        const char *f = out_file[i], *nw = out_new[i], *dir = out_dir[i];
        __wasi_fd_t D = at[i];
        OUT("open-trunc", open_at(D, 1, f, __WASI_OFLAGS_TRUNC, WR));
        OUT("open-write-nofollow", open_at(D, 0, f, 0, WR));
        OUT("create", open_at(D, 1, nw, __WASI_OFLAGS_CREAT, WR));
        OUT("open-dir", open_at(D, 1, dir, __WASI_OFLAGS_DIRECTORY, RD));
        OUT("mkdir", __wasi_path_create_directory(D, nw));
        OUT("rmdir", __wasi_path_remove_directory(D, dir));
        OUT("unlink", __wasi_path_unlink_file(D, f));
        OUT("symlink-new", __wasi_path_symlink("inside.txt", D, nw));
        OUT("link-from", __wasi_path_link(D, 0, f, RW, "hard3"));
        OUT("link-from-follow", __wasi_path_link(D, 1, f, RW, "hard3"));
        OUT("link-to", __wasi_path_link(RW, 0, "inside.txt", D, nw));
        OUT("rename-from", __wasi_path_rename(D, f, RW, "taken2.txt"));
        OUT("rename-to", __wasi_path_rename(RW, "inside.txt", D, nw));
        OUT("times", __wasi_path_filestat_set_times(D, 1, f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        OUT("times-nofollow", __wasi_path_filestat_set_times(D, 0, f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        OUT("stat", __wasi_path_filestat_get(D, 1, f, &st));
        OUT("readlink", __wasi_path_readlink(D, f, buf, sizeof buf, &n));
        /* from the read-only mount, by the same routes */
        OUT("ro-link-from", __wasi_path_link(RO, 0, f, RW, "hard4"));
        OUT("ro-rename-to", __wasi_path_rename(RO, "data.txt", RO, nw));
    }
#undef OUT
#ifndef WF_ADAPTED
    /* Bad guest pointers are `fault`, never a crash. (Through the preview 1
     * adapter they are the adapter's own accesses: a trap in the guest.) */
    report("fault-iovs", raw_fd_write(1, 0x7ffffff0, 4, 16));
    static __wasi_ciovec_t bad = { (const uint8_t *)0x7ffffff0, 100 };
    report("fault-iov-buf", raw_fd_write(1, (int32_t)(intptr_t)&bad, 1, 16));
    report("fault-path", raw_path_open(RW, 1, -16, 64, 0, (int64_t)RD, 0, 0, 16));
#endif
    fflush(stdout);
    return 0;
}
