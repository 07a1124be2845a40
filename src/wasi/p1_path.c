/*
 * p1_path.c - the preview 1 path_* functions: each resolves its guest path
 * through the sandbox (sandbox.c) beneath the directory fd it was given, so
 * nothing here interprets `..`, slashes or symlinks itself.
 */
#include "wasi/p1_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory an fd names, for a path operation that needs the rights
 * `need` on it. */
static int dir_of(wf_wasi_ctx *c, uint32_t fd, uint64_t need, wf_sbx_dir *out)
{
    p1_fd *e = wf_p1_fd_get(c, fd);
    if (!e) return P1_BADF;
    if (e->type != P1_FT_DIR) return P1_NOTDIR;
    if ((e->rights & need) != need) return P1_NOTCAPABLE;
    *out = wf_p1_sbx(c, e);
    return P1_SUCCESS;
}

/* Sandbox result (0 or -errno) -> WASI errno. */
static int sbx(int r) { return r ? wf_p1_errno(-r) : P1_SUCCESS; }

#define DIR_PATH(fdslot, pslot, lslot, need)                                  \
    wf_wasi_ctx *c = env;                                                     \
    p1_mem m = p1_memory(caller);                                             \
    wf_sbx_dir d;                                                             \
    int r_ = dir_of(c, s[fdslot].u32, (need), &d);                            \
    if (r_) P1_RET(r_);                                                       \
    const char *path = p1_ptr(m, s[pslot].u32, s[lslot].u32);                 \
    size_t plen = s[lslot].u32;                                               \
    if (!path) P1_RET(P1_FAULT)

P1_FN(path_open)
{
    DIR_PATH(0, 2, 3, P1_R_PATH_OPEN);
    p1_fd *parent = wf_p1_fd_get(c, s[0].u32);
    uint32_t oflags = s[4].u32, fdflags = s[7].u32;
    /* Rights beyond what the parent passes on are dropped, not refused. */
    uint64_t want = s[5].u64 & parent->inherit, want_inh = s[6].u64 & parent->inherit;
    if (!p1_ptr(m, s[8].u32, 4)) P1_RET(P1_FAULT);
    if ((oflags & P1_O_CREAT) && !(parent->rights & P1_R_PATH_CREATE_FILE))
        P1_RET(P1_NOTCAPABLE);
    int flags = 0;
    if (oflags & P1_O_CREAT) flags |= O_CREAT;
    if (oflags & P1_O_DIRECTORY) flags |= O_DIRECTORY;
    if (oflags & P1_O_EXCL) flags |= O_EXCL;
    if (oflags & P1_O_TRUNC) flags |= O_TRUNC;
    if (fdflags & P1_FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & P1_FDFLAG_DSYNC) flags |= O_DSYNC;
    if (fdflags & P1_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
    if (fdflags & (P1_FDFLAG_RSYNC | P1_FDFLAG_SYNC)) flags |= O_SYNC;
    /* The access mode follows the rights asked for, as wasi-libc asks. */
    bool rd = want & (P1_R_FD_READ | P1_R_FD_READDIR);
    bool wr = (want & (P1_R_FD_WRITE | P1_R_FD_DATASYNC | P1_R_FD_ALLOCATE |
                       P1_R_FD_FILESTAT_SET_SIZE)) ||
              (fdflags & P1_FDFLAG_APPEND);
    if (oflags & P1_O_DIRECTORY) {
        /* A directory is only ever open for reading: the write rights a
         * guest asks for (the `wasi` crate asks for all) are dropped below
         * with the rest a directory cannot have. */
        flags |= O_RDONLY;
    } else if (wr) {
        flags |= rd ? O_RDWR : O_WRONLY;
    } else {
        flags |= O_RDONLY;
    }
    int fd, r = wf_sbx_open(d, path, plen, flags, 0666, s[1].u32 & P1_LOOKUP_FOLLOW, &fd);
    if (r) P1_RET(sbx(r));
    struct stat st;
    if (fstat(fd, &st)) {
        r = wf_p1_errno(errno);
        close(fd);
        P1_RET(r);
    }
    uint8_t type = wf_p1_filetype(st.st_mode);
    uint64_t max = type == P1_FT_DIR ? P1_R_DIR : P1_R_FILE;
    p1_fd ne = { .host = fd, .type = type, .ro = d.ro,
                 .rights = want & max, .inherit = want_inh };
    uint32_t got;
    if (!wf_p1_fd_add(c, ne, &got)) {
        close(fd);
        P1_RET(P1_MFILE);
    }
    P1_RET(wf_p1_store_u32(m, s[8].u32, got));
}

P1_FN(path_create_directory)
{
    DIR_PATH(0, 1, 2, P1_R_PATH_CREATE_DIRECTORY);
    P1_RET(sbx(wf_sbx_mkdir(d, path, plen)));
}

P1_FN(path_remove_directory)
{
    DIR_PATH(0, 1, 2, P1_R_PATH_REMOVE_DIRECTORY);
    P1_RET(sbx(wf_sbx_rmdir(d, path, plen)));
}

P1_FN(path_unlink_file)
{
    DIR_PATH(0, 1, 2, P1_R_PATH_UNLINK_FILE);
    P1_RET(sbx(wf_sbx_unlink(d, path, plen)));
}

P1_FN(path_filestat_get)
{
    DIR_PATH(0, 2, 3, P1_R_PATH_FILESTAT_GET);
    uint8_t *out = p1_ptr(m, s[4].u32, 64);
    if (!out) P1_RET(P1_FAULT);
    struct stat st;
    int r = wf_sbx_stat(d, path, plen, s[1].u32 & P1_LOOKUP_FOLLOW, &st);
    if (r) P1_RET(sbx(r));
    wf_p1_filestat(out, &st);
    P1_RET(P1_SUCCESS);
}

P1_FN(path_filestat_set_times)
{
    DIR_PATH(0, 2, 3, P1_R_PATH_FILESTAT_SET_TIMES);
    struct timespec ts[2];
    if (!wf_p1_times(s[4].u64, s[5].u64, s[6].u32, ts)) P1_RET(P1_INVAL);
    P1_RET(sbx(wf_sbx_utimens(d, path, plen, s[1].u32 & P1_LOOKUP_FOLLOW, ts)));
}

P1_FN(path_readlink)
{
    DIR_PATH(0, 1, 2, P1_R_PATH_READLINK);
    uint32_t cap = s[4].u32;
    char *buf = p1_ptr(m, s[3].u32, cap);
    if (!buf || !p1_ptr(m, s[5].u32, 4)) P1_RET(P1_FAULT);
    size_t n = 0;
    int r = wf_sbx_readlink(d, path, plen, buf, cap, &n);
    if (r) P1_RET(sbx(r));
    P1_RET(wf_p1_store_u32(m, s[5].u32, (uint32_t)n));
}

P1_FN(path_rename)
{
    DIR_PATH(0, 1, 2, P1_R_PATH_RENAME_SOURCE);
    wf_sbx_dir d2;
    int r = dir_of(c, s[3].u32, P1_R_PATH_RENAME_TARGET, &d2);
    if (r) P1_RET(r);
    const char *p2 = p1_ptr(m, s[4].u32, s[5].u32);
    if (!p2) P1_RET(P1_FAULT);
    P1_RET(sbx(wf_sbx_rename(d, path, plen, d2, p2, s[5].u32)));
}

P1_FN(path_link)
{
    DIR_PATH(0, 2, 3, P1_R_PATH_LINK_SOURCE);
    wf_sbx_dir d2;
    int r = dir_of(c, s[4].u32, P1_R_PATH_LINK_TARGET, &d2);
    if (r) P1_RET(r);
    const char *p2 = p1_ptr(m, s[5].u32, s[6].u32);
    if (!p2) P1_RET(P1_FAULT);
    P1_RET(sbx(wf_sbx_link(d, path, plen, s[1].u32 & P1_LOOKUP_FOLLOW, d2, p2, s[6].u32)));
}

P1_FN(path_symlink)
{
    /* (old_path, old_len, fd, new_path, new_len): the link text first. */
    DIR_PATH(2, 3, 4, P1_R_PATH_SYMLINK);
    const char *target = p1_ptr(m, s[0].u32, s[1].u32);
    if (!target) P1_RET(P1_FAULT);
    P1_RET(sbx(wf_sbx_symlink(target, s[1].u32, d, path, plen)));
}
