/*
 * cache.c - the compiled tier's on-disk code cache: a module's native
 * object code, kept in one file per key so that a later process loads it
 * instead of compiling again (jit.c).
 *
 * Directory: wf_jit_set_cache_dir, else $WASMFN_CACHE_DIR ("off" or empty:
 * no cache), else $XDG_CACHE_HOME/wasmfn, else $HOME/.cache/wasmfn; made
 * on first use.
 *
 * Key: SHA-256 of the module's bytes' digest, this engine's build (the
 * executable's GNU build id: a rebuilt engine never reads an older
 * engine's code; without a build id there is no cache; it covers the
 * compiler library's, which the executable holds: lib.c), LLVM's version, the
 * optimisation level and the host CPU's name and features. The file is
 * <key hex>.wfjit:
 *   "WFJITC02" | u64 checksum of everything after it | the key | u32 nfuncs |
 *   u32 desclen | u32 blob_at | u32 bloblen | the descriptor | zeros |
 *   the blob, at blob_at (a multiple of the page size)
 * The blob is a unit's native image and the descriptor how to place it
 * (link.c), so that a hit maps the file and runs the code where it lies;
 * where the tier links through ORC (not x86-64) the blob is the unit's
 * object file and the descriptor empty. A file that is short, of another
 * format or whose checksum does not match (damaged, or another key's entry
 * under this name) is ignored and replaced after the next compilation:
 * never executed. The checksum is a fast 64-bit one (four multiply-rotate
 * lanes, the round of xxHash64): it is there to catch damage, not forgery
 * (whoever can write the cache directory can write valid entries), and it
 * reads the 40 MB of a large component's code in a few milliseconds.
 *
 * Writes are atomic: a temporary file in the same directory, then
 * rename(2), so concurrent processes each see a whole file or none; two
 * that compile the same module at once both write it, the last rename
 * wins, both files are equal.
 *
 * Bound: the directory's entries stay under a size cap ($WASMFN_CACHE_MAX_MB,
 * default 1024; WASMFN_CACHE_MAX_KB for tests). A hit sets the entry's
 * modification time to now, so that time is its last use; after each
 * write, when the entries pass the cap, the least recently used ones are
 * deleted until they fill at most 3/4 of it (so a full cache is not
 * scanned on every write). One process trims at a time (flock on
 * .trim.lock; another that finds it taken skips its turn); deleting an
 * entry another process is reading is harmless (its open file stays
 * whole), and one it was about to read is a miss, compiled again.
 * Temporary files left by a killed writer are deleted after an hour.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/sha256.h"
#include "base/vec.h"
#include "wasm/jit/jit_int.h"

#define MAGIC "WFJITC02"
#define MAGIC_LEN 8
#define SUM_AT MAGIC_LEN
#define KEY_AT (SUM_AT + 8)
#define NFUNCS_AT (KEY_AT + WF_SHA256_LEN)
#define DESCLEN_AT (NFUNCS_AT + 4)
#define BLOB_AT (DESCLEN_AT + 4)
#define BLOBLEN_AT (BLOB_AT + 4)
#define HEADER_LEN (BLOBLEN_AT + 4)
#define PAGE 4096u

static pthread_mutex_t g_dir_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_dir_set;          /* wf_jit_set_cache_dir was called */
static char *g_dir;             /* NULL: no cache */

void wf_jit_set_cache_dir(const char *dir)
{
    pthread_mutex_lock(&g_dir_lock);
    free(g_dir);
    g_dir = dir && *dir ? wf_xstrdup(dir) : NULL;
    g_dir_set = true;
    pthread_mutex_unlock(&g_dir_lock);
}

/* mkdir -p path (0700: another user must not plant code there). */
static bool make_dirs(const char *path)
{
    char *p = wf_xstrdup(path);
    bool ok = true;
    for (char *s = p + 1; ok; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0700) && errno != EEXIST) ok = false;
        *s = c;
        if (!c) break;
    }
    free(p);
    return ok;
}

char *wf_jit_cache_dir(void)
{
    pthread_mutex_lock(&g_dir_lock);
    if (!g_dir_set) {
        g_dir_set = true;
        const char *env = getenv("WASMFN_CACHE_DIR");
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (env) g_dir = *env && strcmp(env, "off") ? wf_xstrdup(env) : NULL;
        else if (xdg && *xdg) g_dir = wf_xasprintf("%s/wasmfn", xdg);
        else if (home && *home) g_dir = wf_xasprintf("%s/.cache/wasmfn", home);
    }
    char *d = g_dir ? wf_xstrdup(g_dir) : NULL;
    pthread_mutex_unlock(&g_dir_lock);
    return d;
}

/* The GNU build id of the executable, found once. */
static uint8_t g_build_id[64];
static size_t g_build_id_len;

static void init_build_id(void)
{
    if (!wf_jit_build_id(NULL, g_build_id, &g_build_id_len)) g_build_id_len = 0;
}

bool wf_jit_cache_key(const wf_module *m, const char *cpu, const char *features, int opt_level,
                      uint8_t key[WF_SHA256_LEN])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_build_id);
    if (!g_build_id_len) return false;
    uint8_t digest[WF_SHA256_LEN];
    wf_error *e = wf_sha256(m->bytes, m->len, digest);
    if (e) {
        wf_error_free(e);
        return false;
    }
    /* LLVM's version as built against (the engine no longer links it:
     * lib.c): a library of another build is refused anyway. */
    char *tail = wf_xasprintf("|llvm %s|O%d|%s|%s", WF_LLVM_VERSION, opt_level, cpu, features);
    wf_buf b = { 0 };
    wf_buf_bytes(&b, digest, sizeof digest);
    wf_buf_bytes(&b, g_build_id, g_build_id_len);
    wf_buf_str(&b, tail);
    free(tail);
    e = wf_sha256(b.data, b.len, key);
    wf_buf_free(&b);
    if (e) wf_error_free(e);
    return !e;
}

void wf_jit_cache_unit_key(const uint8_t module_key[WF_SHA256_LEN], const wf_jit_unit *u,
                           uint8_t key[WF_SHA256_LEN])
{
    wf_buf b = { 0 };
    wf_buf_bytes(&b, module_key, WF_SHA256_LEN);
    char *tail = wf_xasprintf("|unit of %u|level %d|", u->count, u->level);
    wf_buf_str(&b, tail);
    free(tail);
    for (uint32_t k = 0; k < u->count; k++) wf_buf_u32le(&b, u->funcs[k]);
    wf_error *e = wf_sha256(b.data, b.len, key);
    wf_buf_free(&b);
    if (e) {
        /* never: a key that matches no entry */
        wf_error_free(e);
        memset(key, 0, WF_SHA256_LEN);
    }
}

/* ext: ".wfjit", or ".wfhost" for a record of the host (host.c). Both
 * count in the size bound: a record (one page and a line) is read, so used,
 * by every compiled-tier process, and one trimmed away is only asked of
 * LLVM and written again by the next process that runs compiled code. */
static char *entry_path(const char *dir, const uint8_t key[WF_SHA256_LEN], const char *ext)
{
    char hex[2 * WF_SHA256_LEN + 1];
    for (int i = 0; i < WF_SHA256_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", key[i]);
    return wf_xasprintf("%s/%s%s", dir, hex, ext);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t wf_jit_cache_max_bytes(void)
{
    const char *kb = getenv("WASMFN_CACHE_MAX_KB"), *mb = getenv("WASMFN_CACHE_MAX_MB");
    if (kb && *kb) return strtoull(kb, NULL, 10) << 10;
    if (mb && *mb) return strtoull(mb, NULL, 10) << 20;
    return (uint64_t)1024 << 20;
}

typedef struct cached_file {
    char *name;
    uint64_t size;
    struct timespec used;
} cached_file;

static int older_first(const void *a, const void *b)
{
    const cached_file *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec) return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec) return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

void wf_jit_cache_trim(const char *dir, uint64_t max)
{
    char *lockpath = wf_xasprintf("%s/.trim.lock", dir);
    int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockpath);
    if (lock < 0) return;
    if (flock(lock, LOCK_EX | LOCK_NB)) {
        close(lock);
        return;
    }
    DIR *d = opendir(dir);
    WF_VEC(cached_file) files = { 0 };
    uint64_t total = 0;
    time_t now = time(NULL);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        bool entry = ends_with(de->d_name, ".wfjit") || ends_with(de->d_name, ".wfhost");
        bool tmp = ends_with(de->d_name, ".tmp");
        if (!entry && !tmp) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode)) continue;
        if (tmp) {
            if (now - st.st_mtime > 3600) unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        cached_file f = { wf_xstrdup(de->d_name), (uint64_t)st.st_size, st.st_mtim };
        wf_vec_push(&files, f);
        total += f.size;
    }
    if (total > max) {
        qsort(files.data, files.len, sizeof *files.data, older_first);
        for (size_t i = 0; i < files.len && total > max / 4 * 3; i++)
            if (!unlinkat(dirfd(d), files.data[i].name, 0) || errno == ENOENT) total -= files.data[i].size;
    }
    for (size_t i = 0; i < files.len; i++) free(files.data[i].name);
    wf_vec_free(&files);
    if (d) closedir(d);
    flock(lock, LOCK_UN);
    close(lock);
}

static uint64_t rotl64(uint64_t x, int r) { return x << r | x >> (64 - r); }

#define K1 0x9E3779B185EBCA87ull
#define K2 0xC2B2AE3D27D4EB4Full

static uint64_t lane(uint64_t v, uint64_t w) { return rotl64(v + w * K2, 31) * K1; }

/* The entry's checksum: four independent lanes over 32-byte blocks, the
 * tail and the length mixed in at the end. */
static uint64_t checksum(const uint8_t *p, size_t n)
{
    uint64_t v[4] = { K1 + K2, K2, 0, (uint64_t)0 - K1 };
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            v[l] = lane(v[l], w);
        }
    uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
    for (; i < n; i++) h = lane(h, p[i]);
    h ^= n;
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K1;
    return h ^ h >> 32;
}

static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static wf_jit_cache_status load(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, const char *ext, wf_jit_entry *out)
{
    memset(out, 0, sizeof *out);
    char *dir = wf_jit_cache_dir();
    if (!dir) return WF_JIT_CACHE_OFF;
    char *path = entry_path(dir, key, ext);
    free(dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        free(path);
        return WF_JIT_CACHE_MISS;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *map = len >= HEADER_LEN ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED) {
        free(path);
        return WF_JIT_CACHE_BAD;
    }
    uint64_t desclen = get_u32(map + DESCLEN_AT), blob_at = get_u32(map + BLOB_AT), bloblen = get_u32(map + BLOBLEN_AT);
    bool ok = !memcmp(map, MAGIC, MAGIC_LEN) && !memcmp(map + KEY_AT, key, WF_SHA256_LEN) &&
              get_u32(map + NFUNCS_AT) == nfuncs && blob_at % PAGE == 0 &&
              HEADER_LEN + desclen <= blob_at && blob_at + bloblen == len &&
              checksum(map + KEY_AT, len - KEY_AT) == get_u64(map + SUM_AT);
    if (!ok) {
        munmap(map, len);
        free(path);
        return WF_JIT_CACHE_BAD;
    }
    /* Used now: the trim deletes the least recently used entries. */
    utimensat(AT_FDCWD, path, NULL, 0);
    free(path);
    out->map = map;
    out->map_len = len;
    out->desc = map + HEADER_LEN;
    out->desclen = desclen;
    out->blob = map + blob_at;
    out->bloblen = bloblen;
    return WF_JIT_CACHE_HIT;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static wf_error *store(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, const uint8_t *desc, size_t desclen,
                       const uint8_t *blob, size_t bloblen, const char *ext)
{
    char *dir = wf_jit_cache_dir();
    if (!dir) return NULL;
    if (!make_dirs(dir)) {
        wf_error *e = wf_error_new(WF_ERR_IO, "code cache %s: %s", dir, strerror(errno));
        free(dir);
        return e;
    }
    size_t blob_at = (HEADER_LEN + desclen + PAGE - 1) / PAGE * PAGE;
    wf_buf b = { 0 };
    wf_buf_reserve(&b, blob_at + bloblen);
    wf_buf_bytes(&b, MAGIC, MAGIC_LEN);
    wf_buf_u64le(&b, 0);
    wf_buf_bytes(&b, key, WF_SHA256_LEN);
    wf_buf_u32le(&b, nfuncs);
    wf_buf_u32le(&b, (uint32_t)desclen);
    wf_buf_u32le(&b, (uint32_t)blob_at);
    wf_buf_u32le(&b, (uint32_t)bloblen);
    wf_buf_bytes(&b, desc, desclen);
    while (b.len < blob_at) wf_buf_byte(&b, 0);
    wf_buf_bytes(&b, blob, bloblen);
    uint64_t sum = checksum(b.data + KEY_AT, b.len - KEY_AT);
    for (int i = 0; i < 8; i++) b.data[SUM_AT + i] = (uint8_t)(sum >> (8 * i));
    wf_error *e = NULL;
    char *path = entry_path(dir, key, ext);
    static unsigned serial;
    char *tmp = wf_xasprintf("%s.%ld.%u.tmp", path, (long)getpid(), __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
    if (!e) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && write_all(fd, b.data, b.len);
        int err = errno;
        if (fd >= 0 && close(fd)) ok = false;
        if (ok && rename(tmp, path)) {
            ok = false;
            err = errno;
        }
        if (!ok) {
            unlink(tmp);
            e = wf_error_new(WF_ERR_IO, "code cache %s: %s", path, strerror(err));
        }
    }
    if (!e) wf_jit_cache_trim(dir, wf_jit_cache_max_bytes());
    free(tmp);
    free(path);
    free(dir);
    wf_buf_free(&b);
    return e;
}

wf_jit_cache_status wf_jit_cache_load(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, wf_jit_entry *out)
{
    return load(key, nfuncs, ".wfjit", out);
}

wf_error *wf_jit_cache_store(const uint8_t key[WF_SHA256_LEN], uint32_t nfuncs, const uint8_t *desc,
                             size_t desclen, const uint8_t *blob, size_t bloblen)
{
    return store(key, nfuncs, desc, desclen, blob, bloblen, ".wfjit");
}

wf_jit_cache_status wf_jit_cache_load_host(const uint8_t key[WF_SHA256_LEN], wf_jit_entry *out)
{
    return load(key, 0, ".wfhost", out);
}

wf_error *wf_jit_cache_store_host(const uint8_t key[WF_SHA256_LEN], const uint8_t *blob, size_t bloblen)
{
    return store(key, 0, NULL, 0, blob, bloblen, ".wfhost");
}
