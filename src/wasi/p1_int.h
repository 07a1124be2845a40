/*
 * p1_int.h - what the preview 1 host functions share: the context and its
 * fd table, the WASI constants (witx values), bounds-checked guest memory
 * access, and host errno -> WASI errno.
 */
#ifndef WF_P1_INT_H
#define WF_P1_INT_H

#include "base/base.h"
#include "base/error.h"
#include "wasi/sandbox.h"
#include "wasi/wasi.h"
#include "wasm/runtime.h"

/* errno (a subset named here; every value is the witx one) */
enum {
    P1_SUCCESS = 0, P1_2BIG = 1, P1_ACCES = 2, P1_AGAIN = 6, P1_BADF = 8, P1_BUSY = 10,
    P1_EXIST = 20, P1_FAULT = 21, P1_FBIG = 22, P1_ILSEQ = 25, P1_INTR = 27, P1_INVAL = 28,
    P1_IO = 29, P1_ISDIR = 31, P1_LOOP = 32, P1_MFILE = 33, P1_NAMETOOLONG = 37,
    P1_NOENT = 44, P1_NOMEM = 48, P1_NOSPC = 51, P1_NOSYS = 52, P1_NOTDIR = 54,
    P1_NOTEMPTY = 55, P1_NOTSOCK = 57, P1_NOTSUP = 58, P1_OVERFLOW = 61, P1_PERM = 63,
    P1_PIPE = 64, P1_ROFS = 69, P1_SPIPE = 70, P1_XDEV = 75, P1_NOTCAPABLE = 76,
};

enum { /* filetype */
    P1_FT_UNKNOWN = 0, P1_FT_BLOCK = 1, P1_FT_CHAR = 2, P1_FT_DIR = 3, P1_FT_REG = 4,
    P1_FT_SOCK_DGRAM = 5, P1_FT_SOCK_STREAM = 6, P1_FT_SYMLINK = 7,
};
enum { P1_FDFLAG_APPEND = 1, P1_FDFLAG_DSYNC = 2, P1_FDFLAG_NONBLOCK = 4,
       P1_FDFLAG_RSYNC = 8, P1_FDFLAG_SYNC = 16 };
enum { P1_O_CREAT = 1, P1_O_DIRECTORY = 2, P1_O_EXCL = 4, P1_O_TRUNC = 8 };
enum { P1_LOOKUP_FOLLOW = 1 };
enum { P1_FST_ATIM = 1, P1_FST_ATIM_NOW = 2, P1_FST_MTIM = 4, P1_FST_MTIM_NOW = 8 };

/* rights bits */
#define P1_R(n) ((uint64_t)1 << (n))
#define P1_R_FD_DATASYNC P1_R(0)
#define P1_R_FD_READ P1_R(1)
#define P1_R_FD_SEEK P1_R(2)
#define P1_R_FD_FDSTAT_SET_FLAGS P1_R(3)
#define P1_R_FD_SYNC P1_R(4)
#define P1_R_FD_TELL P1_R(5)
#define P1_R_FD_WRITE P1_R(6)
#define P1_R_FD_ADVISE P1_R(7)
#define P1_R_FD_ALLOCATE P1_R(8)
#define P1_R_PATH_CREATE_DIRECTORY P1_R(9)
#define P1_R_PATH_CREATE_FILE P1_R(10)
#define P1_R_PATH_LINK_SOURCE P1_R(11)
#define P1_R_PATH_LINK_TARGET P1_R(12)
#define P1_R_PATH_OPEN P1_R(13)
#define P1_R_FD_READDIR P1_R(14)
#define P1_R_PATH_READLINK P1_R(15)
#define P1_R_PATH_RENAME_SOURCE P1_R(16)
#define P1_R_PATH_RENAME_TARGET P1_R(17)
#define P1_R_PATH_FILESTAT_GET P1_R(18)
#define P1_R_PATH_FILESTAT_SET_TIMES P1_R(20)
#define P1_R_FD_FILESTAT_GET P1_R(21)
#define P1_R_FD_FILESTAT_SET_SIZE P1_R(22)
#define P1_R_FD_FILESTAT_SET_TIMES P1_R(23)
#define P1_R_PATH_SYMLINK P1_R(24)
#define P1_R_PATH_REMOVE_DIRECTORY P1_R(25)
#define P1_R_PATH_UNLINK_FILE P1_R(26)
#define P1_R_ALL (P1_R(30) - 1)
/* What a regular file, a directory and a stream may do at most. */
#define P1_R_FILE (P1_R_ALL & ~(P1_R(9) | P1_R(10) | P1_R(11) | P1_R(12) | P1_R(13) |      \
                   P1_R_FD_READDIR | P1_R(15) | P1_R(16) | P1_R(17) | P1_R(18) | P1_R(19) | \
                   P1_R(20) | P1_R(24) | P1_R(25) | P1_R(26) | P1_R(28) | P1_R(29)))
#define P1_R_DIR (P1_R_ALL & ~(P1_R_FD_READ | P1_R_FD_SEEK | P1_R_FD_TELL | P1_R_FD_WRITE | \
                  P1_R(7) | P1_R_FD_ALLOCATE | P1_R_FD_FILESTAT_SET_SIZE | P1_R(27) |         \
                  P1_R(28) | P1_R(29)))
#define P1_R_STREAM (P1_R_FD_READ | P1_R_FD_WRITE | P1_R(3) | P1_R(21) | P1_R(27))

/* One guest file descriptor. */
typedef struct p1_fd {
    bool used;
    int host;                   /* host fd, owned unless borrowed */
    bool borrowed;              /* stdio: the host's own fd, never closed */
    uint8_t type;               /* filetype */
    bool ro;                    /* beneath a read-only mount */
    uint64_t rights, inherit;   /* what fdstat reports; set_rights only drops */
    char *preopen;              /* guest path of a preopened directory, or NULL */
    bool sink;                  /* writes go to the context's out callback (host = -1) */
} p1_fd;

struct wf_wasi_ctx {
    char **argv;
    size_t argc;
    char **env;                 /* "NAME=VALUE" */
    size_t nenv;
    p1_fd *fds;
    uint32_t nfds;              /* entries allocated */
    wf_wasi_out_fn out;         /* for sink fds (wf_wasi_ctx_set_output) */
    void *out_ud;
    dev_t *ro_devs;             /* devices of the read-only mounts (wf_sbx_dir) */
    size_t nro_devs;
};

/* A host function's view of the caller's memory. */
typedef struct p1_mem {
    uint8_t *base;
    uint64_t size;
} p1_mem;

static inline p1_mem p1_memory(wf_caller *caller)
{
    wf_memory *m = wf_caller_memory(caller);
    return m ? (p1_mem){ wf_memory_data(m), wf_memory_size(m) } : (p1_mem){ NULL, 0 };
}

/* Guest range [ptr, ptr + len) as a host pointer, or NULL when any byte of
 * it is outside memory (the caller answers `fault`). */
static inline void *p1_ptr(p1_mem m, uint32_t ptr, uint64_t len)
{
    if (!m.base || (uint64_t)ptr + len > m.size) return NULL;
    return m.base + ptr;
}

static inline void p1_put_u32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void p1_put_u64(void *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t p1_get_u32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t p1_get_u64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Store a u32/u64 result at a guest address: P1_SUCCESS or P1_FAULT. */
int wf_p1_store_u32(p1_mem m, uint32_t ptr, uint32_t v);
int wf_p1_store_u64(p1_mem m, uint32_t ptr, uint64_t v);

/* Host errno (positive) -> WASI errno. EXDEV (an escape from the sandbox
 * refused by RESOLVE_BENEATH) is `perm`. */
int wf_p1_errno(int host_errno);

/* The sandbox's view of fd entry e of c (its host fd, read-only or not,
 * and the context's read-only devices). */
wf_sbx_dir wf_p1_sbx(const wf_wasi_ctx *c, const p1_fd *e);

/* The fd entry, or NULL (`badf`). */
p1_fd *wf_p1_fd_get(wf_wasi_ctx *c, uint32_t fd);
/* Add an entry at the lowest free number from 3; false when the table is
 * full. */
bool wf_p1_fd_add(wf_wasi_ctx *c, p1_fd e, uint32_t *out);
void wf_p1_fd_close(p1_fd *e);
/* The filetype of a host stat mode. */
uint8_t wf_p1_filetype(unsigned mode);
/* Write a 64-byte filestat from a host stat. */
void wf_p1_filestat(uint8_t *out, const struct stat *st);

/* WASI timestamps + fstflags -> utimensat times; false (`inval`) when a
 * time is both set and "now", or unknown flags are given. */
bool wf_p1_times(uint64_t atim, uint64_t mtim, uint32_t fstflags, struct timespec ts[2]);

/* The host functions, grouped by file; each is a wf_host_fn with the
 * witx signature (see p1_link.c for the table). */
#define P1_FN(name) wf_error *wf_p1h_##name(wf_caller *caller, void *env, wf_slot *s)
P1_FN(args_get); P1_FN(args_sizes_get); P1_FN(environ_get); P1_FN(environ_sizes_get);
P1_FN(clock_res_get); P1_FN(clock_time_get); P1_FN(random_get);
P1_FN(proc_exit); P1_FN(proc_raise); P1_FN(sched_yield); P1_FN(poll_oneoff);
P1_FN(sock_accept); P1_FN(sock_recv); P1_FN(sock_send); P1_FN(sock_shutdown);
P1_FN(fd_advise); P1_FN(fd_allocate); P1_FN(fd_close); P1_FN(fd_datasync);
P1_FN(fd_fdstat_get); P1_FN(fd_fdstat_set_flags); P1_FN(fd_fdstat_set_rights);
P1_FN(fd_filestat_get); P1_FN(fd_filestat_set_size); P1_FN(fd_filestat_set_times);
P1_FN(fd_pread); P1_FN(fd_prestat_get); P1_FN(fd_prestat_dir_name); P1_FN(fd_pwrite);
P1_FN(fd_read); P1_FN(fd_readdir); P1_FN(fd_renumber); P1_FN(fd_seek); P1_FN(fd_sync);
P1_FN(fd_tell); P1_FN(fd_write);
P1_FN(path_create_directory); P1_FN(path_filestat_get); P1_FN(path_filestat_set_times);
P1_FN(path_link); P1_FN(path_open); P1_FN(path_readlink); P1_FN(path_remove_directory);
P1_FN(path_rename); P1_FN(path_symlink); P1_FN(path_unlink_file);

/* Set the i32 result and return from a host function. */
#define P1_RET(v) do { int32_t r__ = (int32_t)(v); s[0].u64 = 0; s[0].i32 = r__; return NULL; } while (0)

#endif
