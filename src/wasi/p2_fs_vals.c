/*
 * p2_fs_vals.c - the WIT values of wasi:filesystem/types (p2_fs_int.h):
 * error-code from a host errno, descriptor-type and descriptor-stat from a
 * host stat, metadata-hash-value, and the flag, string and new-timestamp
 * arguments. Arguments were lifted with the component's own import type:
 * each accessor checks the kind and traps naming the function otherwise.
 */
#include "wasi/p2_fs_int.h"

#include <errno.h>

/* error-code, in the WIT's order, with the errno each stands for. */
static const struct { const char *name; int err; } codes[] = {
    { "access", EACCES }, { "would-block", EAGAIN }, { "already", EALREADY },
    { "bad-descriptor", EBADF }, { "busy", EBUSY }, { "deadlock", EDEADLK },
    { "quota", EDQUOT }, { "exist", EEXIST }, { "file-too-large", EFBIG },
    { "illegal-byte-sequence", EILSEQ }, { "in-progress", EINPROGRESS },
    { "interrupted", EINTR }, { "invalid", EINVAL }, { "io", EIO }, { "is-directory", EISDIR },
    { "loop", ELOOP }, { "too-many-links", EMLINK }, { "message-size", EMSGSIZE },
    { "name-too-long", ENAMETOOLONG }, { "no-device", ENODEV }, { "no-entry", ENOENT },
    { "no-lock", ENOLCK }, { "insufficient-memory", ENOMEM }, { "insufficient-space", ENOSPC },
    { "not-directory", ENOTDIR }, { "not-empty", ENOTEMPTY },
    { "not-recoverable", ENOTRECOVERABLE }, { "unsupported", ENOTSUP }, { "no-tty", ENOTTY },
    { "no-such-device", ENXIO }, { "overflow", EOVERFLOW }, { "not-permitted", EPERM },
    { "pipe", EPIPE }, { "read-only", EROFS }, { "invalid-seek", ESPIPE },
    { "text-file-busy", ETXTBSY }, { "cross-device", EXDEV },
};

wf_val wf_p2_fs_code(int err)
{
    /* The sandbox's refusal of a path leaving its mount (RESOLVE_BENEATH)
     * is EXDEV: to the guest it is not permitted, not a device boundary. */
    if (err == EXDEV) err = EPERM;
    if (err == EWOULDBLOCK) err = EAGAIN;
    if (err == EOPNOTSUPP) err = ENOTSUP;
    if (err == EMFILE || err == ENFILE) err = ENOMEM;
    size_t i = 0;
    while (i < WF_COUNT(codes) && codes[i].err != err) i++;
    if (i == WF_COUNT(codes)) i = 13;   /* io: an errno the WIT has no name for */
    return wf_val_case(WF_VAL_ENUM, (uint32_t)i, codes[i].name, NULL);
}

wf_val wf_p2_fs_err(int err)
{
    wf_val c = wf_p2_fs_code(err);
    return wf_p2_err(c);
}

wf_val wf_p2_fs_unit(int err) { return err ? wf_p2_fs_err(err) : wf_p2_ok_empty(); }

wf_error *wf_p2_fs_fail(wf_val *result, int err)
{
    *result = wf_p2_fs_err(err);
    return NULL;
}

static const char *const type_names[] = {
    "unknown", "block-device", "character-device", "directory", "fifo", "symbolic-link",
    "regular-file", "socket",
};

uint8_t wf_p2_fs_type(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return P2FS_T_REG;
    case S_IFDIR: return P2FS_T_DIR;
    case S_IFLNK: return P2FS_T_SYMLINK;
    case S_IFCHR: return P2FS_T_CHAR;
    case S_IFBLK: return P2FS_T_BLOCK;
    case S_IFIFO: return P2FS_T_FIFO;
    case S_IFSOCK: return P2FS_T_SOCKET;
    default: return P2FS_T_UNKNOWN;
    }
}

wf_val wf_p2_fs_type_val(uint8_t t)
{
    if (t >= WF_COUNT(type_names)) t = P2FS_T_UNKNOWN;
    return wf_val_case(WF_VAL_ENUM, t, type_names[t], NULL);
}

/* option<datetime>: none before the epoch (datetime's seconds are u64). */
static wf_val datetime(struct timespec ts)
{
    if (ts.tv_sec < 0) return wf_val_none();
    wf_val r = wf_val_agg(WF_VAL_RECORD, 2);
    r.of.agg.items[0] = wf_val_uint(WF_VAL_U64, (uint64_t)ts.tv_sec);
    r.of.agg.items[1] = wf_val_uint(WF_VAL_U32, (uint64_t)ts.tv_nsec);
    wf_val_set_name(&r, 0, "seconds");
    wf_val_set_name(&r, 1, "nanoseconds");
    return wf_val_some(&r);
}

wf_val wf_p2_fs_stat_val(const struct stat *st)
{
    static const char *const names[] = {
        "type", "link-count", "size", "data-access-timestamp", "data-modification-timestamp",
        "status-change-timestamp",
    };
    wf_val r = wf_val_agg(WF_VAL_RECORD, WF_COUNT(names));
    r.of.agg.items[0] = wf_p2_fs_type_val(wf_p2_fs_type(st->st_mode));
    r.of.agg.items[1] = wf_val_uint(WF_VAL_U64, (uint64_t)st->st_nlink);
    r.of.agg.items[2] = wf_val_uint(WF_VAL_U64, (uint64_t)st->st_size);
    r.of.agg.items[3] = datetime(st->st_atim);
    r.of.agg.items[4] = datetime(st->st_mtim);
    r.of.agg.items[5] = datetime(st->st_ctim);
    for (size_t i = 0; i < WF_COUNT(names); i++) wf_val_set_name(&r, i, names[i]);
    return r;
}

/* SipHash-2-4 (Aumasson and Bernstein), keyed per instance, so that the
 * hash says when a file changed without telling its inode number or times
 * (what the WIT asks of metadata-hash). */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
    do {                                                                      \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);             \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);             \
    } while (0)

static uint64_t siphash(const uint64_t key[2], const uint64_t *m, size_t n, uint64_t tweak)
{
    uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1] ^ tweak;
    uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];
    for (size_t i = 0; i < n; i++) {
        v3 ^= m[i];
        SIPROUND;
        SIPROUND;
        v0 ^= m[i];
    }
    uint64_t b = (uint64_t)(n * 8) << 56;
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

wf_val wf_p2_fs_hash_val(const wf_p2_fs *fs, const struct stat *st)
{
    /* The object (device, inode) and what changes with its content or
     * metadata (size, modification and change times). */
    uint64_t m[] = {
        (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
        (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
        (uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec,
    };
    wf_val r = wf_val_agg(WF_VAL_RECORD, 2);
    r.of.agg.items[0] = wf_val_uint(WF_VAL_U64, siphash(fs->hash_key, m, WF_COUNT(m), 0));
    r.of.agg.items[1] = wf_val_uint(WF_VAL_U64, siphash(fs->hash_key, m, WF_COUNT(m), 0xee));
    wf_val_set_name(&r, 0, "lower");
    wf_val_set_name(&r, 1, "upper");
    return r;
}

const char *const wf_p2_fs_flag_names[6] = {
    "read", "write", "file-integrity-sync", "data-integrity-sync", "requested-write-sync",
    "mutate-directory",
};

/* WIT names compare with '_' as '-' (a host may spell them either way). */
static bool name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a == '_' ? '-' : *a) != (*b == '_' ? '-' : *b)) return false;
    return !*a && !*b;
}

wf_error *wf_p2_fs_arg_flags(const wf_wit_func *type, const wf_val *args, size_t i,
                             const char *const *names, size_t nnames, uint32_t *out)
{
    const wf_val *v = &args[i];
    if (v->kind != WF_VAL_FLAGS)
        return wf_p2_trap(type, "parameter %zu: expected flags, got %s", i + 1,
                          wf_val_kind_name((wf_val_kind)v->kind));
    uint32_t bits = 0;
    for (size_t k = 0; k < v->of.agg.len; k++) {
        const char *n = v->of.agg.names[k] ? v->of.agg.names[k] : "";
        size_t j = 0;
        while (j < nnames && !name_eq(n, names[j])) j++;
        if (j == nnames) return wf_p2_trap(type, "parameter %zu: unknown flag `%s`", i + 1, n);
        bits |= 1u << j;
    }
    *out = bits;
    return NULL;
}

wf_error *wf_p2_fs_arg_follow(const wf_wit_func *type, const wf_val *args, size_t i, bool *follow)
{
    static const char *const names[] = { "symlink-follow" };
    uint32_t bits;
    wf_error *e = wf_p2_fs_arg_flags(type, args, i, names, 1, &bits);
    if (!e) *follow = bits & 1;
    return e;
}

wf_error *wf_p2_fs_arg_str(const wf_wit_func *type, const wf_val *args, size_t i,
                           const char **s, size_t *len)
{
    const wf_val *v = &args[i];
    if (v->kind != WF_VAL_STRING)
        return wf_p2_trap(type, "parameter %zu: expected a string, got %s", i + 1,
                          wf_val_kind_name((wf_val_kind)v->kind));
    *s = v->of.str.data ? v->of.str.data : "";
    *len = v->of.str.len;
    return NULL;
}

wf_error *wf_p2_fs_arg_time(const wf_wit_func *type, const wf_val *args, size_t i,
                            struct timespec *ts)
{
    const wf_val *v = &args[i];
    const char *n = v->kind == WF_VAL_VARIANT && v->of.cas.name ? v->of.cas.name : "";
    if (name_eq(n, "no-change")) {
        *ts = (struct timespec){ 0, UTIME_OMIT };
        return NULL;
    }
    if (name_eq(n, "now")) {
        *ts = (struct timespec){ 0, UTIME_NOW };
        return NULL;
    }
    const wf_val *p = v->of.cas.payload, *sec = NULL, *ns = NULL;
    if (name_eq(n, "timestamp") && p && p->kind == WF_VAL_RECORD) {
        sec = wf_val_field(p, "seconds");
        ns = wf_val_field(p, "nanoseconds");
    }
    if (!sec || !ns || sec->kind != WF_VAL_U64 || ns->kind != WF_VAL_U32)
        return wf_p2_trap(type, "parameter %zu: expected a new-timestamp", i + 1);
    /* time_t is signed: a time past it cannot be set (`overflow` would be
     * right, but the WIT gives set-times no way to say which argument). */
    ts->tv_sec = sec->of.u > (uint64_t)INT64_MAX ? INT64_MAX : (time_t)sec->of.u;
    ts->tv_nsec = (long)ns->of.u;
    return NULL;
}
