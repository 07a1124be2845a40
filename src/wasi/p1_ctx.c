/*
 * p1_ctx.c - the WASI context: arguments, environment, the guest's fd
 * table and mounts; and the helpers every preview 1 function uses
 * (errno mapping, filestat, guest stores).
 */
#include "wasi/p1_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define P1_MAX_FDS 4096u   /* keeps a guest from exhausting host fds */

static uint8_t stdio_type(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) return P1_FT_UNKNOWN;
    return wf_p1_filetype(st.st_mode);
}

wf_wasi_ctx *wf_wasi_ctx_new(int stdin_fd, int stdout_fd, int stderr_fd)
{
    wf_wasi_ctx *c = wf_xcalloc(1, sizeof *c);
    int io[3] = { stdin_fd, stdout_fd, stderr_fd };
    c->nfds = 8;
    c->fds = wf_xcalloc(c->nfds, sizeof *c->fds);
    /* Streams keep their numbers even when an earlier one is closed. */
    for (uint32_t i = 0; i < 3; i++) {
        if (io[i] < 0) continue;
        uint8_t t = stdio_type(io[i]);
        c->fds[i] = (p1_fd){ .used = true, .host = io[i], .borrowed = true, .type = t,
                             .rights = t == P1_FT_REG ? P1_R_FILE : P1_R_STREAM };
    }
    return c;
}

void wf_wasi_ctx_free(wf_wasi_ctx *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->argc; i++) free(c->argv[i]);
    free(c->argv);
    for (size_t i = 0; i < c->nenv; i++) free(c->env[i]);
    free(c->env);
    for (uint32_t i = 0; i < c->nfds; i++) wf_p1_fd_close(&c->fds[i]);
    free(c->fds);
    free(c->ro_devs);
    free(c);
}

void wf_wasi_ctx_set_args(wf_wasi_ctx *c, const char *const *argv, size_t argc)
{
    for (size_t i = 0; i < c->argc; i++) free(c->argv[i]);
    free(c->argv);
    c->argv = wf_xcalloc(argc ? argc : 1, sizeof *c->argv);
    for (size_t i = 0; i < argc; i++) c->argv[i] = wf_xstrdup(argv[i]);
    c->argc = argc;
}

void wf_wasi_ctx_add_env(wf_wasi_ctx *c, const char *name_eq_value)
{
    c->env = wf_xrealloc(c->env, (c->nenv + 1) * sizeof *c->env);
    c->env[c->nenv++] = wf_xstrdup(name_eq_value);
}

void wf_wasi_ctx_set_output(wf_wasi_ctx *c, int fd, wf_wasi_out_fn out, void *ud)
{
    if (fd != 1 && fd != 2) return;
    wf_p1_fd_close(&c->fds[fd]);
    /* No seek/tell rights and a char-device type: wasi-libc's isatty is
     * true, so the guest flushes its stdio per line. */
    c->fds[fd] = (p1_fd){ .used = true, .host = -1, .borrowed = true, .type = P1_FT_CHAR,
                          .sink = true,
                          .rights = P1_R_FD_WRITE | P1_R_FD_FDSTAT_SET_FLAGS | P1_R(21) | P1_R(27) };
    c->out = out;
    c->out_ud = ud;
}

/* A read-only mount inside (or equal to) a writable one would be writable
 * through it (sandbox.c): the error naming the pair, or NULL. */
static wf_error *overlap(wf_wasi_ctx *c, int fd, const char *guest, bool read_only)
{
    for (uint32_t i = 0; i < c->nfds; i++) {
        const p1_fd *e = &c->fds[i];
        if (!e->used || !e->preopen || e->ro == read_only) continue;
        int r = read_only ? wf_sbx_within(fd, e->host) : wf_sbx_within(e->host, fd);
        if (r == 1)
            return wf_error_new(WF_ERR_INVALID,
                                "read-only mount %s lies within writable mount %s, which "
                                "would make it writable",
                                read_only ? guest : e->preopen, read_only ? e->preopen : guest);
        if (r < 0) return wf_error_new(WF_ERR_IO, "cannot compare mounts: %s", strerror(-r));
    }
    return NULL;
}

wf_error *wf_wasi_ctx_mount(wf_wasi_ctx *c, const char *host_path, const char *guest_path,
                            bool read_only)
{
    int fd, r = wf_sbx_mount_open(host_path, &fd);
    if (r) return wf_error_new(WF_ERR_IO, "cannot open directory %s: %s", host_path,
                               strerror(-r));
    struct stat st;
    wf_error *err = fstat(fd, &st) ? wf_error_new(WF_ERR_IO, "cannot stat directory %s: %s",
                                                  host_path, strerror(errno))
                                   : overlap(c, fd, guest_path, read_only);
    if (err) {
        close(fd);
        return err;
    }
    uint32_t got;
    p1_fd e = { .used = true, .host = fd, .type = P1_FT_DIR, .ro = read_only,
                .rights = P1_R_DIR, .inherit = P1_R_ALL, .preopen = wf_xstrdup(guest_path) };
    if (!wf_p1_fd_add(c, e, &got)) {
        wf_p1_fd_close(&e);
        return wf_error_new(WF_ERR_LIMIT, "too many mounts");
    }
    if (read_only) {
        size_t i = 0;
        while (i < c->nro_devs && c->ro_devs[i] != st.st_dev) i++;
        if (i == c->nro_devs) {
            c->ro_devs = wf_xrealloc(c->ro_devs, (c->nro_devs + 1) * sizeof *c->ro_devs);
            c->ro_devs[c->nro_devs++] = st.st_dev;
        }
    }
    return NULL;
}

bool wf_wasi_mounts_overlap(const char *ro_host, const char *rw_host)
{
    int a, b;
    if (wf_sbx_mount_open(ro_host, &a)) return false;
    bool r = false;
    if (!wf_sbx_mount_open(rw_host, &b)) {
        r = wf_sbx_within(a, b) == 1;
        close(b);
    }
    close(a);
    return r;
}

wf_sbx_dir wf_p1_sbx(const wf_wasi_ctx *c, const p1_fd *e)
{
    return (wf_sbx_dir){ e->host, e->ro, c->ro_devs, c->nro_devs };
}

p1_fd *wf_p1_fd_get(wf_wasi_ctx *c, uint32_t fd)
{
    if (fd >= c->nfds || !c->fds[fd].used) return NULL;
    return &c->fds[fd];
}

bool wf_p1_fd_add(wf_wasi_ctx *c, p1_fd e, uint32_t *out)
{
    /* 0-2 are the streams' numbers even when a stream is closed: new
     * descriptors start at 3, as every WASI guest expects of preopens. */
    uint32_t i = 3;
    while (i < c->nfds && c->fds[i].used) i++;
    if (i >= c->nfds) {
        if (c->nfds >= P1_MAX_FDS) return false;
        uint32_t n = c->nfds ? c->nfds * 2 : 8;
        c->fds = wf_xrealloc(c->fds, n * sizeof *c->fds);
        memset(c->fds + c->nfds, 0, (n - c->nfds) * sizeof *c->fds);
        c->nfds = n;
    }
    e.used = true;
    c->fds[i] = e;
    *out = i;
    return true;
}

void wf_p1_fd_close(p1_fd *e)
{
    if (!e->used) return;
    if (!e->borrowed && e->host >= 0) close(e->host);
    free(e->preopen);
    memset(e, 0, sizeof *e);
}

int wf_p1_store_u32(p1_mem m, uint32_t ptr, uint32_t v)
{
    void *p = p1_ptr(m, ptr, 4);
    if (!p) return P1_FAULT;
    p1_put_u32(p, v);
    return P1_SUCCESS;
}

int wf_p1_store_u64(p1_mem m, uint32_t ptr, uint64_t v)
{
    void *p = p1_ptr(m, ptr, 8);
    if (!p) return P1_FAULT;
    p1_put_u64(p, v);
    return P1_SUCCESS;
}

int wf_p1_errno(int e)
{
    switch (e) {
    case 0: return P1_SUCCESS;
    case E2BIG: return P1_2BIG;
    case EACCES: return P1_ACCES;
    case EADDRINUSE: return 3;
    case EADDRNOTAVAIL: return 4;
    case EAFNOSUPPORT: return 5;
    case EAGAIN: return P1_AGAIN;
    case EALREADY: return 7;
    case EBADF: return P1_BADF;
    case EBADMSG: return 9;
    case EBUSY: return P1_BUSY;
    case ECANCELED: return 11;
    case ECHILD: return 12;
    case ECONNABORTED: return 13;
    case ECONNREFUSED: return 14;
    case ECONNRESET: return 15;
    case EDEADLK: return 16;
    case EDESTADDRREQ: return 17;
    case EDOM: return 18;
    case EDQUOT: return 19;
    case EEXIST: return P1_EXIST;
    case EFAULT: return P1_FAULT;
    case EFBIG: return P1_FBIG;
    case EHOSTUNREACH: return 23;
    case EIDRM: return 24;
    case EILSEQ: return P1_ILSEQ;
    case EINPROGRESS: return 26;
    case EINTR: return P1_INTR;
    case EINVAL: return P1_INVAL;
    case EIO: return P1_IO;
    case EISCONN: return 30;
    case EISDIR: return P1_ISDIR;
    case ELOOP: return P1_LOOP;
    case EMFILE: return P1_MFILE;
    case EMLINK: return 34;
    case EMSGSIZE: return 35;
    case EMULTIHOP: return 36;
    case ENAMETOOLONG: return P1_NAMETOOLONG;
    case ENETDOWN: return 38;
    case ENETRESET: return 39;
    case ENETUNREACH: return 40;
    case ENFILE: return 41;
    case ENOBUFS: return 42;
    case ENODEV: return 43;
    case ENOENT: return P1_NOENT;
    case ENOEXEC: return 45;
    case ENOLCK: return 46;
    case ENOLINK: return 47;
    case ENOMEM: return P1_NOMEM;
    case ENOMSG: return 49;
    case ENOPROTOOPT: return 50;
    case ENOSPC: return P1_NOSPC;
    case ENOSYS: return P1_NOSYS;
    case ENOTCONN: return 53;
    case ENOTDIR: return P1_NOTDIR;
    case ENOTEMPTY: return P1_NOTEMPTY;
    case ENOTRECOVERABLE: return 56;
    case ENOTSOCK: return P1_NOTSOCK;
    case ENOTSUP: return P1_NOTSUP;
    case ENOTTY: return 59;
    case ENXIO: return 60;
    case EOVERFLOW: return P1_OVERFLOW;
    case EOWNERDEAD: return 62;
    case EPERM: return P1_PERM;
    case EPIPE: return P1_PIPE;
    case EPROTO: return 65;
    case EPROTONOSUPPORT: return 66;
    case EPROTOTYPE: return 67;
    case ERANGE: return 68;
    case EROFS: return P1_ROFS;
    case ESPIPE: return P1_SPIPE;
    case ESRCH: return 71;
    case ESTALE: return 72;
    case ETIMEDOUT: return 73;
    case ETXTBSY: return 74;
    case EXDEV: return P1_PERM;   /* RESOLVE_BENEATH refused an escape */
    default: return P1_IO;
    }
}

uint8_t wf_p1_filetype(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return P1_FT_REG;
    case S_IFDIR: return P1_FT_DIR;
    case S_IFCHR: return P1_FT_CHAR;
    case S_IFBLK: return P1_FT_BLOCK;
    case S_IFLNK: return P1_FT_SYMLINK;
    case S_IFSOCK: return P1_FT_SOCK_STREAM;
    default: return P1_FT_UNKNOWN;
    }
}

static uint64_t ts_ns(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void wf_p1_filestat(uint8_t *out, const struct stat *st)
{
    memset(out, 0, 64);
    p1_put_u64(out + 0, st->st_dev);
    p1_put_u64(out + 8, st->st_ino);
    out[16] = wf_p1_filetype(st->st_mode);
    p1_put_u64(out + 24, st->st_nlink);
    p1_put_u64(out + 32, (uint64_t)st->st_size);
    p1_put_u64(out + 40, ts_ns(st->st_atim));
    p1_put_u64(out + 48, ts_ns(st->st_mtim));
    p1_put_u64(out + 56, ts_ns(st->st_ctim));
}
