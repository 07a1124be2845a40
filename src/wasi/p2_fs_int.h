/*
 * p2_fs_int.h - what the wasi:filesystem files (p2_fs_*.c) share: the
 * `descriptor` and `directory-entry-stream` resources, the instance's
 * mounts, and the WIT values of the interface (error-code, flags,
 * descriptor-type, datetime, new-timestamp).
 *
 * Layout: p2_fs_mounts.c the mounts of an instance, wasi:filesystem/
 * preopens, error-code and filesystem-error-code; p2_fs_desc.c the methods
 * on a descriptor's own file (streams, read/write, stat, flags, sizes,
 * times, sync, hashes, directory listing); p2_fs_path.c the *-at methods
 * and the interface table of wasi:filesystem/types.
 *
 * Every path goes through the preview 1 sandbox (sandbox.h): openat2
 * beneath the descriptor's directory, read-only mounts refused by every
 * route. Permissions are the mount's, as in wasmtime: a descriptor beneath
 * a writable mount may create, remove and rename entries whatever flags it
 * was opened with; beneath a read-only mount every change is `read-only`.
 * A descriptor's flags say what its open file may do: read and write of
 * the data (`bad-descriptor` without them).
 */
#ifndef WF_P2_FS_INT_H
#define WF_P2_FS_INT_H

#include <sys/stat.h>

#include "wasi/p2_int.h"
#include "wasi/sandbox.h"

/* descriptor-flags, bit i = the WIT's flag i */
enum {
    P2FS_READ = 1 << 0, P2FS_WRITE = 1 << 1, P2FS_FILE_SYNC = 1 << 2, P2FS_DATA_SYNC = 1 << 3,
    P2FS_RSYNC = 1 << 4, P2FS_MUTATE_DIR = 1 << 5,
};
/* open-flags */
enum { P2FS_O_CREATE = 1 << 0, P2FS_O_DIRECTORY = 1 << 1, P2FS_O_EXCL = 1 << 2, P2FS_O_TRUNC = 1 << 3 };
/* descriptor-type cases */
enum {
    P2FS_T_UNKNOWN, P2FS_T_BLOCK, P2FS_T_CHAR, P2FS_T_DIR, P2FS_T_FIFO, P2FS_T_SYMLINK,
    P2FS_T_REG, P2FS_T_SOCKET,
};

/* The mounts of one instance, opened on first use (wf_p2_ext). */
typedef struct wf_p2_fs {
    struct p2fs_mount { int fd; bool ro; char *guest; } *mounts;
    size_t nmounts;
    dev_t *ro_devs;               /* devices of the read-only mounts (sandbox.h) */
    size_t nro_devs;
    char *error;                  /* why the mounts cannot be given, or NULL */
    size_t nfds;                  /* host fds held by descriptors and streams */
    uint64_t hash_key[2];         /* metadata-hash's key, random per instance */
} wf_p2_fs;

/* One descriptor: an open file or directory beneath a mount. */
typedef struct wf_p2_fs_desc {
    int fd;                       /* host fd, owned; directories are O_RDONLY */
    uint8_t type;                 /* P2FS_T_* */
    bool ro;                      /* beneath a read-only mount */
    uint8_t flags;                /* P2FS_* it was opened with (get-flags) */
    wf_p2_fs *fs;
} wf_p2_fs_desc;

extern const wf_p2_kind wf_p2_kind_descriptor, wf_p2_kind_dirent_stream;

/* Host fds one instance may hold at once through wasi:filesystem (as
 * preview 1's table): more is EMFILE (`insufficient-memory`), so a guest
 * cannot exhaust the process's fds. */
#define P2FS_MAX_FDS 4096u

/* The instance's mounts (opened on first use). */
wf_p2_fs *wf_p2_fs_of(wf_p2_ctx *cx);
/* The sandbox's view of a directory descriptor. */
wf_sbx_dir wf_p2_fs_sbx(const wf_p2_fs_desc *d);
/* A new descriptor resource over host fd (owned from then). */
wf_error *wf_p2_fs_desc_new(wf_p2_ctx *cx, wf_p2_fs *fs, int fd, uint8_t type, bool ro,
                            uint8_t flags, wf_val *out);

/* The call's context and its `self` descriptor (args[0]), after checking
 * the argument count n. */
wf_error *wf_p2_fs_self(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                        size_t nargs, size_t n, wf_p2_ctx **cx, wf_p2_fs_desc **d);

/* ---- Values ---------------------------------------------------------------- */

/* error-code for a host errno (EXDEV, the sandbox's escape, is
 * `not-permitted`, as preview 1's `perm`). */
wf_val wf_p2_fs_code(int host_errno);
/* result::err(error-code) for a host errno (positive). */
wf_val wf_p2_fs_err(int host_errno);
/* result<_, error-code>: ok for 0, else wf_p2_fs_err(host_errno). */
wf_val wf_p2_fs_unit(int host_errno);
/* A method's answer for a failure the guest sees (not a trap): *result =
 * wf_p2_fs_err(host_errno), returns NULL, as `return wf_p2_fs_fail(...)`. */
wf_error *wf_p2_fs_fail(wf_val *result, int host_errno);
/* descriptor-type of a host st_mode. */
uint8_t wf_p2_fs_type(unsigned mode);
wf_val wf_p2_fs_type_val(uint8_t t);
/* descriptor-stat of a host stat. */
wf_val wf_p2_fs_stat_val(const struct stat *st);
/* metadata-hash-value of a host stat under the instance's key. */
wf_val wf_p2_fs_hash_val(const wf_p2_fs *fs, const struct stat *st);

/* Argument i as flags: bit j set for names[j] (nnames of them); an
 * unknown flag is a trap. */
wf_error *wf_p2_fs_arg_flags(const wf_wit_func *type, const wf_val *args, size_t i,
                             const char *const *names, size_t nnames, uint32_t *out);
/* Argument i as a string (borrowed from args). */
wf_error *wf_p2_fs_arg_str(const wf_wit_func *type, const wf_val *args, size_t i,
                           const char **s, size_t *len);
/* Argument i as a new-timestamp: *ts for utimensat (UTIME_OMIT/UTIME_NOW). */
wf_error *wf_p2_fs_arg_time(const wf_wit_func *type, const wf_val *args, size_t i,
                            struct timespec *ts);
/* path-flags argument i: symlink-follow. */
wf_error *wf_p2_fs_arg_follow(const wf_wit_func *type, const wf_val *args, size_t i, bool *follow);

extern const char *const wf_p2_fs_flag_names[6];

/* The descriptor methods of p2_fs_desc.c (listed by p2_fs_path.c). */
#define P2FS_FN(name) WF_P2_FN(wf_p2_fs_##name)
P2FS_FN(read_via_stream); P2FS_FN(write_via_stream); P2FS_FN(append_via_stream);
P2FS_FN(advise); P2FS_FN(sync_data); P2FS_FN(get_flags); P2FS_FN(get_type);
P2FS_FN(set_size); P2FS_FN(set_times); P2FS_FN(read); P2FS_FN(write);
P2FS_FN(read_directory); P2FS_FN(sync); P2FS_FN(stat); P2FS_FN(is_same_object);
P2FS_FN(metadata_hash); P2FS_FN(read_directory_entry); P2FS_FN(error_code);

#endif
