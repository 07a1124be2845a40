/*
 * sg_native.c - the native baseline of a sightglass module: the module
 * translated to C by wabt's wasm2c (module name "sg", header sg.h), built
 * with gcc -O2 and wabt's runtime (wasm-rt-impl.c), linked with this driver.
 *
 * usage: NATIVE [--time FILE] [--dir DIR]
 *
 * The driver provides what the modules import and nothing more: bench.start
 * and bench.end (the measured region, as bench_wasi and node_wasi.mjs time
 * it) and the few WASI preview 1 functions the sightglass modules use, on
 * this process's stdio with DIR preopened as "." (fd 3), the only argument
 * being the module's name. Errors come back as WASI errno values; anything
 * unknown is EBADF/EINVAL. The time written to FILE is "MS region" (or "MS
 * run", the whole _start call, when the module did not call start and end
 * once each): CPU time of this process, as bench_wasi --time measures. Exit status: the
 * guest's proc_exit code, 134 after a trap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sg.h"
#include "wasm-rt-impl.h"

/* Every import any sightglass module has, declared here as wasm2c names
 * them: a module's header declares only the ones it imports. */
struct Z_bench_instance_t;
struct Z_wasi_snapshot_preview1_instance_t;
typedef struct Z_wasi_snapshot_preview1_instance_t wasi;
#define W(name) Z_wasi_snapshot_preview1Z_##name
void Z_benchZ_start(struct Z_bench_instance_t *);
void Z_benchZ_end(struct Z_bench_instance_t *);
u32 W(args_get)(wasi *, u32, u32);
u32 W(args_sizes_get)(wasi *, u32, u32);
u32 W(fd_close)(wasi *, u32);
u32 W(fd_fdstat_get)(wasi *, u32, u32);
u32 W(fd_prestat_dir_name)(wasi *, u32, u32, u32);
u32 W(fd_prestat_get)(wasi *, u32, u32);
u32 W(fd_read)(wasi *, u32, u32, u32, u32);
u32 W(fd_seek)(wasi *, u32, u64, u32, u32);
u32 W(fd_write)(wasi *, u32, u32, u32, u32);
u32 W(path_filestat_get)(wasi *, u32, u32, u32, u32, u32);
u32 W(path_open)(wasi *, u32, u32, u32, u32, u32, u64, u64, u32, u32);
void W(proc_exit)(wasi *, u32);

enum { E_ACCES = 2, E_BADF = 8, E_EXIST = 20, E_FAULT = 21, E_INVAL = 28, E_IO = 29,
       E_ISDIR = 31, E_NOENT = 44, E_NOTDIR = 54 };
#define NFDS 64
#define NAME "benchmark.wasm"

struct Z_bench_instance_t {
    double start, end;
    int starts, ends;
};
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *mem;
    int fds[NFDS];          /* wasm fd -> host fd, -1 when closed */
};

static struct Z_bench_instance_t g_region;
static const char *g_time_file;
static double g_t0;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void Z_benchZ_start(struct Z_bench_instance_t *r)
{
    if (!r->starts++) r->start = now_ms();
}

void Z_benchZ_end(struct Z_bench_instance_t *r)
{
    r->end = now_ms();
    r->ends++;
}

static void write_time(void)
{
    const struct Z_bench_instance_t *r = &g_region;
    int region = r->starts == 1 && r->ends == 1 && r->end >= r->start;
    FILE *f = g_time_file ? fopen(g_time_file, "w") : NULL;
    if (!f) return;
    fprintf(f, "%.3f %s\n", region ? r->end - r->start : now_ms() - g_t0, region ? "region" : "run");
    fclose(f);
}

/* Guest memory [at, at + n), or NULL when out of bounds. */
static uint8_t *mem(wasi *w, u32 at, u64 n)
{
    return (u64)at + n <= w->mem->size ? w->mem->data + at : NULL;
}
static int put32(wasi *w, u32 at, u32 v)
{
    uint8_t *p = mem(w, at, 4);
    if (p) memcpy(p, &v, 4);
    return p != NULL;
}
static int put64(wasi *w, u32 at, u64 v)
{
    uint8_t *p = mem(w, at, 8);
    if (p) memcpy(p, &v, 8);
    return p != NULL;
}
static int host_fd(wasi *w, u32 fd)
{
    return fd < NFDS ? w->fds[fd] : -1;
}
static u32 err_of(int e)
{
    switch (e) {
    case EACCES: case EPERM: return E_ACCES;
    case EBADF: return E_BADF;
    case EEXIST: return E_EXIST;
    case EINVAL: return E_INVAL;
    case EISDIR: return E_ISDIR;
    case ENOENT: return E_NOENT;
    case ENOTDIR: return E_NOTDIR;
    default: return E_IO;
    }
}
static u8 filetype(mode_t m)
{
    return S_ISDIR(m) ? 3 : S_ISREG(m) ? 4 : S_ISCHR(m) ? 2 : S_ISBLK(m) ? 1 : 0;
}

/* The arguments: just the module's name. */
u32 W(args_sizes_get)(wasi *w, u32 argc, u32 size)
{
    return put32(w, argc, 1) && put32(w, size, sizeof NAME) ? 0 : E_FAULT;
}
u32 W(args_get)(wasi *w, u32 argv, u32 buf)
{
    uint8_t *p = mem(w, buf, sizeof NAME);
    if (!p || !put32(w, argv, buf)) return E_FAULT;
    memcpy(p, NAME, sizeof NAME);
    return 0;
}

u32 W(fd_prestat_get)(wasi *w, u32 fd, u32 buf)
{
    if (fd != 3 || w->fds[3] < 0) return E_BADF;
    uint8_t *p = mem(w, buf, 8);
    if (!p) return E_FAULT;
    memset(p, 0, 8);        /* tag 0: a directory */
    return put32(w, buf + 4, 1) ? 0 : E_FAULT;
}
u32 W(fd_prestat_dir_name)(wasi *w, u32 fd, u32 path, u32 len)
{
    if (fd != 3 || w->fds[3] < 0) return E_BADF;
    uint8_t *p = mem(w, path, len);
    if (!p || len < 1) return E_INVAL;
    p[0] = '.';
    return 0;
}

u32 W(fd_fdstat_get)(wasi *w, u32 fd, u32 buf)
{
    struct stat st;
    int h = host_fd(w, fd);
    if (h < 0) return E_BADF;
    if (fstat(h, &st)) return err_of(errno);
    uint8_t *p = mem(w, buf, 24);
    if (!p) return E_FAULT;
    memset(p, 0, 24);
    p[0] = filetype(st.st_mode);
    /* rights: all */
    memset(p + 8, 0xff, 16);
    return 0;
}

static u32 rw(wasi *w, u32 fd, u32 iovs, u32 n, u32 nout, int write)
{
    int h = host_fd(w, fd);
    if (h < 0) return E_BADF;
    if (n > 64) n = 64;
    struct iovec v[64];
    for (u32 i = 0; i < n; i++) {
        uint8_t *e = mem(w, iovs + 8 * i, 8);
        if (!e) return E_FAULT;
        u32 at, len;
        memcpy(&at, e, 4);
        memcpy(&len, e + 4, 4);
        if (!(v[i].iov_base = mem(w, at, len))) return E_FAULT;
        v[i].iov_len = len;
    }
    ssize_t r = write ? writev(h, v, (int)n) : readv(h, v, (int)n);
    if (r < 0) return err_of(errno);
    return put32(w, nout, (u32)r) ? 0 : E_FAULT;
}
u32 W(fd_read)(wasi *w, u32 fd, u32 iovs, u32 n, u32 nread)
{
    return rw(w, fd, iovs, n, nread, 0);
}
u32 W(fd_write)(wasi *w, u32 fd, u32 iovs, u32 n, u32 nwritten)
{
    return rw(w, fd, iovs, n, nwritten, 1);
}

u32 W(fd_seek)(wasi *w, u32 fd, u64 off, u32 whence, u32 out)
{
    int h = host_fd(w, fd);
    if (h < 0) return E_BADF;
    if (whence > 2) return E_INVAL;
    /* WASI's whence values are SEEK_SET, SEEK_CUR, SEEK_END in that order */
    static const int wh[] = { SEEK_SET, SEEK_CUR, SEEK_END };
    off_t r = lseek(h, (off_t)off, wh[whence]);
    if (r < 0) return err_of(errno);
    return put64(w, out, (u64)r) ? 0 : E_FAULT;
}

u32 W(fd_close)(wasi *w, u32 fd)
{
    int h = host_fd(w, fd);
    if (h < 0) return E_BADF;
    if (fd > 2) close(h);
    w->fds[fd] = -1;
    return 0;
}

/* A path relative to the preopen (fd 3), NUL-terminated into buf. */
static int path_of(wasi *w, u32 dirfd, u32 path, u32 len, char *buf, size_t cap)
{
    uint8_t *p = mem(w, path, len);
    if (dirfd != 3 || w->fds[3] < 0) return E_BADF;
    if (!p || len >= cap) return E_INVAL;
    memcpy(buf, p, len);
    buf[len] = 0;
    return 0;
}

u32 W(path_open)(wasi *w, u32 dirfd, u32 dirflags, u32 path, u32 len, u32 oflags,
                 u64 rights, u64 rights_inh, u32 fdflags, u32 fd_out)
{
    (void)rights_inh;
    char name[4096];
    int e = path_of(w, dirfd, path, len, name, sizeof name);
    if (e) return (u32)e;
    u32 fd = 4;
    while (fd < NFDS && w->fds[fd] >= 0) fd++;
    if (fd == NFDS) return E_IO;
    int rd = (rights & 0x2) != 0, wr = (rights & 0x40) != 0;    /* fd_read, fd_write */
    int flags = O_CLOEXEC | (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY);
    if (oflags & 1) flags |= O_CREAT;
    if (oflags & 2) flags |= O_DIRECTORY;
    if (oflags & 4) flags |= O_EXCL;
    if (oflags & 8) flags |= O_TRUNC;
    if (fdflags & 1) flags |= O_APPEND;
    if (!(dirflags & 1)) flags |= O_NOFOLLOW;
    int h = openat(w->fds[3], name, flags, 0644);
    if (h < 0) return err_of(errno);
    if (!put32(w, fd_out, fd)) {
        close(h);
        return E_FAULT;
    }
    w->fds[fd] = h;
    return 0;
}

u32 W(path_filestat_get)(wasi *w, u32 dirfd, u32 flags, u32 path, u32 len, u32 buf)
{
    char name[4096];
    struct stat st;
    int e = path_of(w, dirfd, path, len, name, sizeof name);
    if (e) return (u32)e;
    if (fstatat(w->fds[3], name, &st, flags & 1 ? 0 : AT_SYMLINK_NOFOLLOW)) return err_of(errno);
    uint8_t *p = mem(w, buf, 64);
    if (!p) return E_FAULT;
    memset(p, 0, 64);
    put64(w, buf, (u64)st.st_dev);
    put64(w, buf + 8, (u64)st.st_ino);
    p[16] = filetype(st.st_mode);
    put64(w, buf + 24, (u64)st.st_nlink);
    put64(w, buf + 32, (u64)st.st_size);
    put64(w, buf + 40, (u64)st.st_atim.tv_sec * 1000000000u + (u64)st.st_atim.tv_nsec);
    put64(w, buf + 48, (u64)st.st_mtim.tv_sec * 1000000000u + (u64)st.st_mtim.tv_nsec);
    put64(w, buf + 56, (u64)st.st_ctim.tv_sec * 1000000000u + (u64)st.st_ctim.tv_nsec);
    return 0;
}

void W(proc_exit)(wasi *w, u32 code)
{
    (void)w;
    fflush(NULL);
    write_time();
    _exit((int)(code & 0xff));
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--time") && i + 1 < argc) g_time_file = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--time FILE] [--dir DIR]\n", argv[0]);
            return 2;
        }
    }
    static wasi w;
    for (int i = 0; i < NFDS; i++) w.fds[i] = i < 3 ? i : -1;
    if (dir && (w.fds[3] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror(dir);
        return 3;
    }
    static Z_sg_instance_t inst;
    wasm_rt_init();
    Z_sg_init_module();
    Z_sg_instantiate(&inst, &g_region, &w);
    w.mem = Z_sgZ_memory(&inst);
    g_t0 = now_ms();
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap) {
        fflush(stdout);
        fprintf(stderr, "trap: %s\n", wasm_rt_strerror(trap));
        return 134;
    }
    Z_sgZ__start(&inst);
    fflush(NULL);
    write_time();
    return 0;
}
