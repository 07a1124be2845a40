/*
 * p2fs.c - a guest that calls wasi:filesystem@0.2.12 directly (the
 * Canonical ABI by hand, as wit-bindgen's output would), for the methods
 * a preview 1 program cannot reach through the adapter: is-same-object,
 * metadata-hash(-at), append-via-stream, filesystem-error-code, get-flags,
 * set-times with a timestamp, read-directory's entry types, open-at's flag
 * rules, and the read-only mount and the sandbox through them.
 *
 * Built by tests/e2e/wasi_p2_fs.sh: clang for wasm32-wasi (printf goes
 * through preview 1 and the adapter), the world p2fs.wit embedded, then
 * jco's preview 1 adapter makes the command component. Preopens: /w
 * (writable, empty) and /ro (read-only, holding greeting.txt). Prints one
 * line per check: "name value". Every path-taking call is tried against
 * the outside (by "..", absolute path, symlink) and the read-only mount
 * (directly, into and within it, through a subdirectory, through a symlink
 * in /w): none may succeed (issue 15); nor may `..` climbing above a
 * subdirectory's descriptor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS(n) __attribute__((import_module("wasi:filesystem/types@0.2.12"), import_name(n)))
#define PRE(n) __attribute__((import_module("wasi:filesystem/preopens@0.2.12"), import_name(n)))
#define IO(n) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(n)))

/* Lowered imports: (params..., retptr) with the result stored at retptr. */
PRE("get-directories") void get_directories(void *ret);
FS("[method]descriptor.open-at")
void open_at(int32_t self, int32_t pflags, const char *p, size_t l, int32_t oflags, int32_t dflags,
             void *ret);
FS("[method]descriptor.write") void d_write(int32_t self, const void *b, size_t l, int64_t off, void *ret);
FS("[method]descriptor.read") void d_read(int32_t self, int64_t len, int64_t off, void *ret);
FS("[method]descriptor.is-same-object") int32_t is_same(int32_t self, int32_t other);
FS("[method]descriptor.metadata-hash") void mhash(int32_t self, void *ret);
FS("[method]descriptor.metadata-hash-at")
void mhash_at(int32_t self, int32_t pflags, const char *p, size_t l, void *ret);
FS("[method]descriptor.append-via-stream") void append_stream(int32_t self, void *ret);
FS("[method]descriptor.write-via-stream") void write_stream(int32_t self, int64_t off, void *ret);
FS("[method]descriptor.read-via-stream") void read_stream(int32_t self, int64_t off, void *ret);
FS("[method]descriptor.advise") void advise(int32_t self, int64_t off, int64_t len, int32_t a, void *ret);
FS("[method]descriptor.sync-data") void sync_data(int32_t self, void *ret);
FS("[method]descriptor.sync") void d_sync(int32_t self, void *ret);
FS("[method]descriptor.get-flags") void get_flags(int32_t self, void *ret);
FS("[method]descriptor.get-type") void get_type(int32_t self, void *ret);
FS("[method]descriptor.set-size") void set_size(int32_t self, int64_t size, void *ret);
FS("[method]descriptor.set-times")
void set_times(int32_t self, int32_t at, int64_t as, int32_t an, int32_t mt, int64_t ms, int32_t mn,
               void *ret);
FS("[method]descriptor.set-times-at")
void set_times_at(int32_t self, int32_t pflags, const char *p, size_t l, int32_t at, int64_t as,
                  int32_t an, int32_t mt, int64_t ms, int32_t mn, void *ret);
FS("[method]descriptor.stat") void d_stat(int32_t self, void *ret);
FS("[method]descriptor.stat-at") void stat_at(int32_t self, int32_t pflags, const char *p, size_t l, void *ret);
FS("[method]descriptor.read-directory") void read_dir(int32_t self, void *ret);
FS("[method]directory-entry-stream.read-directory-entry") void read_entry(int32_t self, void *ret);
FS("[method]descriptor.create-directory-at") void mkdir_at(int32_t self, const char *p, size_t l, void *ret);
FS("[method]descriptor.remove-directory-at") void rmdir_at(int32_t self, const char *p, size_t l, void *ret);
FS("[method]descriptor.unlink-file-at") void unlink_at(int32_t self, const char *p, size_t l, void *ret);
FS("[method]descriptor.symlink-at")
void symlink_at(int32_t self, const char *o, size_t ol, const char *n, size_t nl, void *ret);
FS("[method]descriptor.readlink-at") void readlink_at(int32_t self, const char *p, size_t l, void *ret);
FS("[method]descriptor.link-at")
void link_at(int32_t self, int32_t pflags, const char *o, size_t ol, int32_t to, const char *n, size_t nl,
             void *ret);
FS("[method]descriptor.rename-at")
void rename_at(int32_t self, const char *o, size_t ol, int32_t to, const char *n, size_t nl, void *ret);
FS("filesystem-error-code") void fs_error_code(int32_t err, void *ret);
FS("[resource-drop]descriptor") void drop_desc(int32_t h);
FS("[resource-drop]directory-entry-stream") void drop_dirstream(int32_t h);
IO("[method]output-stream.blocking-write-and-flush")
void out_write_flush(int32_t self, const void *b, size_t l, void *ret);
IO("[method]input-stream.blocking-read") void in_read(int32_t self, int64_t len, void *ret);
IO("[resource-drop]output-stream") void drop_out(int32_t h);
IO("[resource-drop]input-stream") void drop_in(int32_t h);

/* The guest's allocator for what the host returns (lists, strings): a
 * bump allocator over a static arena (it runs while the instance may not
 * call out, so not malloc, whose first use may reach the adapter; the
 * adapter takes its own state from it too). */
static uint8_t arena[1 << 20] __attribute__((aligned(16)));
static size_t arena_used;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size)
{
    size_t at = (arena_used + align - 1) & ~(align - 1);
    if (at + new_size > sizeof arena) __builtin_trap();
    arena_used = at + new_size;
    if (old) memcpy(arena + at, old, old_size < new_size ? old_size : new_size);
    return arena + at;
}

enum { F_READ = 1, F_WRITE = 2, F_MUTATE = 32 };                 /* descriptor-flags */
enum { O_CREATE = 1, O_DIRECTORY = 2, O_EXCL = 4, O_TRUNC = 8 };  /* open-flags */
enum { FOLLOW = 1 };                                              /* path-flags */
enum { NO_CHANGE = 0, NOW = 1, TIMESTAMP = 2 };                   /* new-timestamp */

static const char *const codes[] = {
    "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
    "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
    "is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
    "no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
    "not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
    "not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
};
static const char *const types[] = {
    "unknown", "block-device", "character-device", "directory", "fifo", "symbolic-link",
    "regular-file", "socket",
};

/* A result<_, error-code> (or any result whose error code is the byte at
 * `at`): "ok" or the code's name. */
static const char *res(const uint8_t *r, int at)
{
    return r[0] ? codes[r[at] < 37 ? r[at] : 13] : "ok";
}

static void line(const char *what, const char *v) { printf("%s %s\n", what, v); }

/* open-at: the handle, or -1 with *why the error's name. */
static int32_t open(int32_t dir, int32_t pf, const char *p, int32_t of, int32_t df, const char **why)
{
    uint8_t r[8] __attribute__((aligned(8)));
    open_at(dir, pf, p, strlen(p), of, df, r);
    *why = res(r, 4);
    return r[0] ? -1 : *(int32_t *)(r + 4);
}

static const char *unit_at(void (*op)(int32_t, const char *, size_t, void *), int32_t d, const char *p)
{
    static uint8_t r[4];
    op(d, p, strlen(p), r);
    return res(r, 1);
}

/* stat-at: "type size nlink" or the error. */
static const char *stat_line(int32_t d, int32_t pf, const char *p, uint64_t *mtime_s, uint32_t *mtime_ns)
{
    static char out[96];
    uint8_t r[104] __attribute__((aligned(8)));
    if (p) stat_at(d, pf, p, strlen(p), r);
    else d_stat(d, r);
    if (r[0]) return codes[r[8]];
    const uint8_t *s = r + 8;
    if (mtime_s && s[48]) {
        *mtime_s = *(const uint64_t *)(s + 56);
        *mtime_ns = *(const uint32_t *)(s + 64);
    }
    snprintf(out, sizeof out, "%s size=%llu links=%llu", types[s[0] < 8 ? s[0] : 0],
             (unsigned long long)*(const uint64_t *)(s + 16),
             (unsigned long long)*(const uint64_t *)(s + 8));
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    /* wasm-ld wraps every export of a command module, cabi_realloc too, in
     * a call of the destructors, which flush stdout: a write (an import)
     * while the host lowers a result into us would trap ("cannot leave").
     * Unbuffered, stdout has nothing to flush. */
    setvbuf(stdout, NULL, _IONBF, 0);
    /* get-directories: list<tuple<descriptor, string>> */
    struct { int32_t *items; size_t n; } dirs;
    get_directories(&dirs);
    int32_t w = -1, ro = -1;
    for (size_t i = 0; i < dirs.n; i++) {
        int32_t *t = (int32_t *)((uint8_t *)dirs.items + 12 * i);
        const char *name = (const char *)(uintptr_t)t[1];
        size_t len = (size_t)t[2];
        if (len == 2 && !memcmp(name, "/w", 2)) w = t[0];
        if (len == 3 && !memcmp(name, "/ro", 3)) ro = t[0];
    }
    printf("preopens %zu w=%d ro=%d\n", dirs.n, w >= 0, ro >= 0);
    if (w < 0 || ro < 0) return 1;

    uint8_t r[32] __attribute__((aligned(8)));
    const char *why;
    get_flags(w, r);
    printf("flags-w ok=%d %d\n", !r[0], r[1]);
    get_flags(ro, r);
    printf("flags-ro ok=%d %d\n", !r[0], r[1]);

    /* A file written at offsets, opened twice. */
    int32_t a = open(w, 0, "a.txt", O_CREATE, F_READ | F_WRITE, &why);
    line("open-create", why);
    d_write(a, "hello", 5, 0, r);
    printf("write %s %llu\n", res(r, 8), (unsigned long long)*(uint64_t *)(r + 8));
    int32_t b = open(w, 0, "a.txt", 0, F_READ, &why);
    line("open-read", why);
    printf("same-object %d\n", is_same(a, b));
    printf("same-object-dir %d\n", is_same(a, w));
    get_flags(a, r);
    printf("flags-a %d\n", r[1]);
    get_flags(b, r);
    printf("flags-b %d\n", r[1]);
    get_type(a, r);
    printf("type-a %s\n", types[r[1]]);

    /* metadata-hash: the same through the fd and the path; it changes
     * when the file does. */
    uint64_t h1[2], h2[2], h3[2];
    mhash(a, r);
    memcpy(h1, r + 8, 16);
    line("hash", res(r, 8));
    mhash_at(w, FOLLOW, "a.txt", 5, r);
    memcpy(h2, r + 8, 16);
    line("hash-at", res(r, 8));
    printf("hash-same %d\n", !memcmp(h1, h2, 16));
    d_write(a, " more", 5, 5, r);
    mhash(a, r);
    memcpy(h3, r + 8, 16);
    printf("hash-changed %d\n", !!memcmp(h1, h3, 16));
    mhash(b, r);
    printf("hash-other-fd-same %d\n", !memcmp(h3, r + 8, 16));

    /* append-via-stream: at the end, whatever the offsets before. */
    append_stream(a, r);
    line("append-stream", res(r, 4));
    int32_t out = *(int32_t *)(r + 4);
    out_write_flush(out, "!", 1, r);
    line("append-write", r[0] ? "failed" : "ok");
    drop_out(out);
    d_read(b, 100, 0, r);
    printf("read %s eof=%d \"%.*s\"\n", res(r, 4), r[12], (int)*(uint32_t *)(r + 8),
           (const char *)(uintptr_t)*(uint32_t *)(r + 4));
    d_read(b, 3, 2, r);
    printf("read-mid eof=%d \"%.*s\"\n", r[12], (int)*(uint32_t *)(r + 8),
           (const char *)(uintptr_t)*(uint32_t *)(r + 4));
    read_stream(b, 6, r);
    int32_t in = *(int32_t *)(r + 4);
    line("read-stream", res(r, 4));
    in_read(in, 64, r);
    printf("stream-read \"%.*s\"\n", (int)*(uint32_t *)(r + 8), (const char *)(uintptr_t)*(uint32_t *)(r + 4));
    drop_in(in);

    /* A stream write that fails: its error carries the code. */
    write_stream(a, INT64_MAX, r);
    out = *(int32_t *)(r + 4);
    out_write_flush(out, "x", 1, r);
    if (r[0] && r[4] == 0) {   /* last-operation-failed(error) */
        uint8_t o[2];
        fs_error_code(*(int32_t *)(r + 8), o);
        printf("stream-error-code %s\n", o[0] ? codes[o[1]] : "none");
    } else {
        printf("stream-error-code not-failed\n");
    }
    drop_out(out);

    /* Data operations the descriptor's flags or type refuse. */
    write_stream(b, 0, r);
    line("write-stream-readonly-fd", res(r, 4));
    d_write(b, "x", 1, 0, r);
    line("write-readonly-fd", res(r, 8));
    set_size(b, 0, r);
    line("set-size-readonly-fd", res(r, 1));
    read_stream(w, 0, r);
    line("read-stream-dir", res(r, 4));
    d_read(w, 1, 0, r);
    line("read-dir", res(r, 4));

    advise(a, 0, 0, 1, r);
    line("advise", res(r, 1));
    sync_data(a, r);
    line("sync-data", res(r, 1));
    d_sync(a, r);
    line("sync", res(r, 1));
    set_size(a, 3, r);
    line("set-size", res(r, 1));
    set_times(a, NO_CHANGE, 0, 0, TIMESTAMP, 1500000000, 7, r);
    line("set-times", res(r, 1));
    uint64_t ms = 0;
    uint32_t mns = 0;
    printf("stat %s mtime=%llu.%u\n", stat_line(a, 0, NULL, &ms, &mns), (unsigned long long)ms, mns);
    set_times_at(w, 0, "a.txt", 5, NOW, 0, 0, TIMESTAMP, 1600000000, 0, r);
    line("set-times-at", res(r, 1));
    printf("stat-at %s mtime=%llu\n", stat_line(w, 0, "a.txt", &ms, &mns), (unsigned long long)ms);
    set_times(a, TIMESTAMP, 0, 1000000000, NO_CHANGE, 0, 0, r);
    line("set-times-bad-ns", res(r, 1));

    /* Entries: a directory, a symlink, a hard link; listed with types. */
    line("mkdir", unit_at(mkdir_at, w, "d"));
    line("mkdir-again", unit_at(mkdir_at, w, "d"));
    symlink_at(w, "a.txt", 5, "l", 1, r);
    line("symlink", res(r, 1));
    readlink_at(w, "l", 1, r);
    printf("readlink %s \"%.*s\"\n", res(r, 4), (int)*(uint32_t *)(r + 8),
           (const char *)(uintptr_t)*(uint32_t *)(r + 4));
    printf("stat-link %s\n", stat_line(w, 0, "l", NULL, NULL));
    printf("stat-link-follow %s\n", stat_line(w, FOLLOW, "l", NULL, NULL));
    link_at(w, 0, "a.txt", 5, w, "hard", 4, r);
    line("link", res(r, 1));
    printf("stat-linked %s\n", stat_line(w, 0, "a.txt", NULL, NULL));
    read_dir(w, r);
    int32_t ds = *(int32_t *)(r + 4);
    char *names[16];
    size_t n = 0;
    for (;;) {
        uint8_t e[20] __attribute__((aligned(4)));
        read_entry(ds, e);
        if (e[0] || !e[4] || n == 16) break;
        char *s = malloc(80);
        snprintf(s, 80, "%.*s:%s", (int)*(uint32_t *)(e + 16),
                 (const char *)(uintptr_t)*(uint32_t *)(e + 12), types[e[8]]);
        names[n++] = s;
    }
    drop_dirstream(ds);
    qsort(names, n, sizeof *names, cmp_str);
    printf("entries");
    for (size_t i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    rename_at(w, "hard", 4, w, "d/hard", 6, r);
    line("rename", res(r, 1));
    line("rmdir-not-empty", unit_at(rmdir_at, w, "d"));
    line("unlink", unit_at(unlink_at, w, "d/hard"));
    line("unlink-dir", unit_at(unlink_at, w, "d"));
    line("rmdir", unit_at(rmdir_at, w, "d"));
    line("unlink-missing", unit_at(unlink_at, w, "d"));

    /* open-at's rules. */
    int32_t d2 = open(w, 0, ".", O_DIRECTORY, F_READ | F_WRITE, &why);
    line("open-dir-write", why);
    get_flags(d2, r);
    printf("flags-dir-write %d\n", r[1]);
    line("mkdir-via-reopened", unit_at(mkdir_at, d2, "e"));
    drop_desc(d2);
    open(w, 0, "e", 0, F_WRITE, &why);
    line("open-dir-for-write", why);
    open(w, 0, "x", O_DIRECTORY | O_CREATE, F_READ, &why);
    line("open-dir-create", why);
    open(w, 0, "a.txt", O_CREATE | O_EXCL, F_READ, &why);
    line("open-excl-exists", why);
    open(w, 0, "a.txt", O_DIRECTORY, F_READ, &why);
    line("open-file-as-dir", why);
    open(w, 0, "l", 0, F_READ, &why);
    line("open-link-nofollow", why);
    open(a, 0, "x", 0, F_READ, &why);
    line("open-at-file", why);

    /* The sandbox: no way out. */
    open(w, FOLLOW, "../outside", 0, F_READ, &why);
    line("escape-dotdot", why);
    open(w, FOLLOW, "/etc/passwd", 0, F_READ, &why);
    line("escape-absolute", why);
    symlink_at(w, "../..", 5, "up", 2, r);
    open(w, FOLLOW, "up/etc/passwd", 0, F_READ, &why);
    line("escape-symlink", why);
    printf("escape-stat %s\n", stat_line(w, FOLLOW, "up", NULL, NULL));

    /* The read-only mount: read, never changed. */
    int32_t g = open(ro, 0, "greeting.txt", 0, F_READ, &why);
    line("ro-open-read", why);
    d_read(g, 100, 0, r);
    printf("ro-read \"%.*s\"\n", (int)*(uint32_t *)(r + 8), (const char *)(uintptr_t)*(uint32_t *)(r + 4));
    mhash_at(ro, 0, "greeting.txt", 12, r);
    line("ro-hash-at", res(r, 8));
    open(ro, 0, "greeting.txt", 0, F_READ | F_WRITE, &why);
    line("ro-open-write", why);
    open(ro, 0, "new.txt", O_CREATE, F_READ, &why);
    line("ro-open-create", why);
    open(ro, 0, "greeting.txt", O_TRUNC, F_READ, &why);
    line("ro-open-trunc", why);
    open(ro, 0, ".", O_DIRECTORY, F_READ | F_MUTATE, &why);
    line("ro-open-mutate", why);
    int32_t rd = open(ro, 0, ".", O_DIRECTORY, F_READ | F_WRITE, &why);
    line("ro-reopen-write", why);
    get_flags(rd, r);
    printf("ro-reopen-flags %d\n", r[1]);
    line("ro-mkdir-via-reopened", unit_at(mkdir_at, rd, "x"));
    line("ro-mkdir", unit_at(mkdir_at, ro, "x"));
    line("ro-unlink", unit_at(unlink_at, ro, "greeting.txt"));
    symlink_at(ro, "x", 1, "l", 1, r);
    line("ro-symlink", res(r, 1));
    link_at(ro, 0, "greeting.txt", 12, w, "stolen", 6, r);
    line("ro-link-out", res(r, 1));
    rename_at(ro, "greeting.txt", 12, w, "stolen", 6, r);
    line("ro-rename-out", res(r, 1));
    set_times(g, NOW, 0, 0, NOW, 0, 0, r);
    line("ro-set-times", res(r, 1));
    set_size(g, 0, r);
    line("ro-set-size", res(r, 1));
    d_write(g, "x", 1, 0, r);
    line("ro-write", res(r, 8));
    append_stream(g, r);
    line("ro-append-stream", res(r, 4));
    set_times_at(ro, 0, "greeting.txt", 12, NOW, 0, 0, NOW, 0, 0, r);
    line("ro-set-times-at", res(r, 1));

    /* A descriptor grants what lies beneath it, not its whole mount
     * (wasmtime's rule, from cap-std): through the descriptor of
     * /w/cap/sub, a `..` climbing above it is `not-permitted` even when the
     * result is inside /w or comes back down, and so is a symlink in it
     * pointing above it. /w/cap (parent.txt, pdir) is the host's. */
    int32_t capsub = open(w, 0, "cap/sub", O_DIRECTORY, F_READ | F_MUTATE, &why);
    line("sub-open", why);
    open(capsub, FOLLOW, "..", O_DIRECTORY, F_READ, &why);
    line("sub-dotdot", why);
    open(capsub, FOLLOW, "../parent.txt", 0, F_READ, &why);
    line("sub-dotdot-file", why);
    open(capsub, FOLLOW, "./../parent.txt", 0, F_READ, &why);
    line("sub-dot-dotdot", why);
    open(capsub, FOLLOW, "deeper/../../parent.txt", 0, F_READ, &why);
    line("sub-deep-dotdot", why);
    open(capsub, FOLLOW, "../sub/f.txt", 0, F_READ, &why);
    line("sub-dotdot-back", why);
    int32_t inside = open(capsub, FOLLOW, "deeper/../f.txt", 0, F_READ, &why);
    line("sub-deep-inside", why);
    if (inside >= 0) drop_desc(inside);
    open(capsub, FOLLOW, "up", 0, F_READ, &why);
    line("sub-uplink", why);
    printf("sub-uplink-nofollow %s\n", stat_line(capsub, 0, "up", NULL, NULL));
    printf("sub-stat-dotdot %s\n", stat_line(capsub, FOLLOW, "..", NULL, NULL));
    inside = open(w, FOLLOW, "cap/sub/up", 0, F_READ, &why);
    line("mount-sub-uplink", why);
    if (inside >= 0) drop_desc(inside);

    /* Every path-taking call against what lies outside /w: by "..", by an
     * absolute path, and through the guest's symlink `up` (the mounts'
     * parent's parent); and against /w/cap through `..` from sub. Any "ok"
     * is an escape; the script also checks that nothing outside /w, and
     * nothing in /w/cap, changed. */
    static const char *const how[] = { "dotdot", "abs", "symlink", "subfd" };
    const int32_t base[] = { w, w, w, capsub };
    static const char *const out_file[] = { "../outside", "/outside", "up/fs/outside", "../parent.txt" };
    static const char *const out_new[] = { "../new", "/new", "up/fs/new", "../new" };
    static const char *const out_dir[] = { "..", "/", "up/fs", "../pdir" };
    char name[64];
#define OUT(what, v) (snprintf(name, sizeof name, "out-%s-%s", what, how[i]), line(name, v))
    for (int i = 0; i < 4; i++) {
        const char *f = out_file[i], *nw = out_new[i], *dir = out_dir[i];
        int32_t at = base[i];
        int32_t h = open(at, FOLLOW, f, 0, F_READ, &why);
        OUT("open-read", why);
        if (h >= 0) drop_desc(h);
        open(at, FOLLOW, f, O_TRUNC, F_READ | F_WRITE, &why);
        OUT("open-trunc", why);
        open(at, 0, f, 0, F_WRITE, &why);
        OUT("open-write-nofollow", why);
        open(at, FOLLOW, nw, O_CREATE, F_WRITE, &why);
        OUT("open-create", why);
        open(at, FOLLOW, dir, O_DIRECTORY, F_READ | F_MUTATE, &why);
        OUT("open-dir-mutate", why);
        OUT("mkdir", unit_at(mkdir_at, at, nw));
        OUT("rmdir", unit_at(rmdir_at, at, dir));
        OUT("unlink", unit_at(unlink_at, at, f));
        symlink_at(at, "a.txt", 5, nw, strlen(nw), r);
        OUT("symlink-new", res(r, 1));
        link_at(at, 0, f, strlen(f), w, "stolen", 6, r);
        OUT("link-from", res(r, 1));
        link_at(at, FOLLOW, f, strlen(f), w, "stolen", 6, r);
        OUT("link-from-follow", res(r, 1));
        link_at(w, 0, "a.txt", 5, at, nw, strlen(nw), r);
        OUT("link-to", res(r, 1));
        rename_at(at, f, strlen(f), w, "taken", 5, r);
        OUT("rename-from", res(r, 1));
        rename_at(w, "a.txt", 5, at, nw, strlen(nw), r);
        OUT("rename-to", res(r, 1));
        set_times_at(at, FOLLOW, f, strlen(f), NOW, 0, 0, NOW, 0, 0, r);
        OUT("set-times-at", res(r, 1));
        set_times_at(at, 0, f, strlen(f), NOW, 0, 0, NOW, 0, 0, r);
        OUT("set-times-at-nofollow", res(r, 1));
        readlink_at(at, f, strlen(f), r);
        OUT("readlink", res(r, 4));
        OUT("stat", stat_line(at, FOLLOW, f, NULL, NULL));
        mhash_at(at, FOLLOW, f, strlen(f), r);
        OUT("hash-at", res(r, 8));
    }
#undef OUT
    drop_desc(capsub);

    /* The read-only mount by every other route: calls that name two
     * directories (into it, within it), its subdirectory's descriptor (with
     * "..", back to its root), a stream on a read-only file, and a
     * symlink in /w pointing into it. */
    line("ro-rmdir", unit_at(rmdir_at, ro, "empty"));
    line("ro-rmdir-full", unit_at(rmdir_at, ro, "sub"));
    rename_at(ro, "greeting.txt", 12, ro, "moved", 5, r);
    line("ro-rename-within", res(r, 1));
    rename_at(w, "a.txt", 5, ro, "a.txt", 5, r);
    line("ro-rename-into", res(r, 1));
    rename_at(w, "a.txt", 5, ro, "greeting.txt", 12, r);
    line("ro-rename-over", res(r, 1));
    link_at(w, 0, "a.txt", 5, ro, "hard", 4, r);
    line("ro-link-into", res(r, 1));
    link_at(ro, 0, "greeting.txt", 12, ro, "hard", 4, r);
    line("ro-link-within", res(r, 1));
    symlink_at(ro, "../w/a.txt", 10, "l2", 2, r);
    line("ro-symlink-out", res(r, 1));
    open(ro, 0, "new.txt", O_CREATE | O_EXCL, F_READ, &why);
    line("ro-open-create-excl", why);
    open(ro, 0, "greeting.txt", O_CREATE, F_READ, &why);
    line("ro-open-create-existing", why);
    open(ro, 0, "sub", O_DIRECTORY, F_READ | F_MUTATE, &why);
    line("ro-open-sub-mutate", why);
    write_stream(g, 0, r);
    line("ro-write-stream", res(r, 4));
    int32_t sub = open(ro, 0, "sub", O_DIRECTORY, F_READ, &why);
    line("ro-open-sub", why);
    line("ro-sub-mkdir", unit_at(mkdir_at, sub, "x"));
    line("ro-sub-unlink", unit_at(unlink_at, sub, "in.txt"));
    line("ro-sub-rmdir-dotdot", unit_at(rmdir_at, sub, "../empty"));
    symlink_at(sub, "in.txt", 6, "l", 1, r);
    line("ro-sub-symlink", res(r, 1));
    link_at(sub, 0, "in.txt", 6, w, "stolen", 6, r);
    line("ro-sub-link-out", res(r, 1));
    rename_at(sub, "in.txt", 6, w, "stolen", 6, r);
    line("ro-sub-rename-out", res(r, 1));
    set_times_at(sub, 0, "in.txt", 6, NOW, 0, 0, NOW, 0, 0, r);
    line("ro-sub-set-times-at", res(r, 1));
    open(sub, 0, "in.txt", O_TRUNC, F_READ | F_WRITE, &why);
    line("ro-sub-open-trunc", why);
    open(sub, 0, "in.txt", 0, F_WRITE, &why);
    line("ro-sub-open-write", why);
    open(sub, 0, "new.txt", O_CREATE, F_WRITE, &why);
    line("ro-sub-open-create", why);
    open(sub, 0, "../greeting.txt", 0, F_WRITE, &why);
    line("ro-sub-dotdot-write", why);
    open(sub, 0, "../../w/a.txt", 0, F_READ, &why);
    line("ro-sub-dotdot-out", why);
    drop_desc(sub);
    symlink_at(w, "../ro/greeting.txt", 18, "to-ro", 5, r);
    line("rw-symlink-to-ro", res(r, 1));
    open(w, FOLLOW, "to-ro", O_TRUNC, F_WRITE, &why);
    line("rw-symlink-to-ro-trunc", why);
    set_times_at(w, FOLLOW, "to-ro", 5, NOW, 0, 0, NOW, 0, 0, r);
    line("rw-symlink-to-ro-set-times", res(r, 1));
    link_at(w, FOLLOW, "to-ro", 5, w, "stolen", 6, r);
    line("rw-symlink-to-ro-link", res(r, 1));
    line("rw-symlink-to-ro-unlink", unit_at(unlink_at, w, "to-ro"));

    /* A guest that never drops its descriptors runs out of them, not the
     * host out of fds; dropped, they are back. */
    static int32_t many[5000];
    int nmany = 0;
    const char *last = "ok";
    while (nmany < 5000) {
        int32_t h = open(w, 0, "a.txt", 0, F_READ, &last);
        if (h < 0) break;
        many[nmany++] = h;
    }
    printf("fd-limit %s after %s\n", last, nmany > 4000 && nmany < 4096 ? "4000-4095" : "?");
    while (nmany > 0) drop_desc(many[--nmany]);
    open(w, 0, "a.txt", 0, F_READ, &why);
    line("fd-limit-recovered", why);
    return 0;
}
