/*
 * p2_fs_mounts.c - the mounts of one instance for wasi:filesystem
 * (p2_fs_int.h): each host directory of the context's configuration opened
 * once, as preview 1's context does, with the same refusal of a read-only
 * mount inside a writable one (it would be writable through it);
 * wasi:filesystem/preopens (a new descriptor per mount and call); the
 * `descriptor` resource itself; filesystem-error-code.
 */
#include "wasi/p2_fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

static void fs_free(void *p)
{
    wf_p2_fs *fs = p;
    for (size_t i = 0; i < fs->nmounts; i++) {
        if (fs->mounts[i].fd >= 0) close(fs->mounts[i].fd);
        free(fs->mounts[i].guest);
    }
    free(fs->mounts);
    free(fs->ro_devs);
    free(fs->error);
    free(fs);
}

/* Open every mount; the first problem is kept in fs->error (get-directories
 * traps with it: an instance never sees part of its mounts). */
static void *fs_make(wf_p2_ctx *cx)
{
    wf_p2_fs *fs = wf_xcalloc(1, sizeof *fs);
    fs->mounts = wf_xcalloc(cx->nmounts + 1, sizeof *fs->mounts);
    fs->ro_devs = wf_xcalloc(cx->nmounts + 1, sizeof *fs->ro_devs);
    for (size_t i = 0; i < cx->nmounts; i++) {
        const wf_p2_mount *m = &cx->mounts[i];
        struct p2fs_mount *fm = &fs->mounts[fs->nmounts++];
        fm->fd = -1;
        fm->ro = m->read_only;
        fm->guest = wf_xstrdup(m->guest);
        int r = wf_sbx_mount_open(m->host, &fm->fd);
        struct stat st;
        if (!r && fstat(fm->fd, &st)) r = -errno;
        if (r) {
            if (!fs->error)
                fs->error = wf_xasprintf("mount %s (%s): %s", m->guest, m->host, strerror(-r));
            continue;
        }
        if (fm->ro) fs->ro_devs[fs->nro_devs++] = st.st_dev;
    }
    for (size_t i = 0; i < fs->nmounts && !fs->error; i++) {
        if (!fs->mounts[i].ro) continue;
        for (size_t j = 0; j < fs->nmounts && !fs->error; j++)
            if (!fs->mounts[j].ro && wf_sbx_within(fs->mounts[i].fd, fs->mounts[j].fd) == 1)
                fs->error = wf_xasprintf("read-only mount %s lies within writable mount %s, "
                                         "which would make it writable",
                                         fs->mounts[i].guest, fs->mounts[j].guest);
    }
    if (getrandom(fs->hash_key, sizeof fs->hash_key, 0) != sizeof fs->hash_key) {
        fs->hash_key[0] = (uint64_t)(uintptr_t)fs ^ 0x9E3779B97F4A7C15ull;
        fs->hash_key[1] = (uint64_t)getpid() * 0xBF58476D1CE4E5B9ull;
    }
    return fs;
}

static const char fs_key = 0;   /* this interface's wf_p2_ext key */

wf_p2_fs *wf_p2_fs_of(wf_p2_ctx *cx) { return wf_p2_ext(cx, &fs_key, fs_make, fs_free); }

wf_sbx_dir wf_p2_fs_sbx(const wf_p2_fs_desc *d)
{
    return (wf_sbx_dir){ d->fd, d->ro, d->fs->ro_devs, d->fs->nro_devs };
}

static void desc_free(void *p)
{
    wf_p2_fs_desc *d = p;
    if (d->fd >= 0) close(d->fd);
    d->fs->nfds--;
    free(d);
}

const wf_p2_kind wf_p2_kind_descriptor = { "descriptor", desc_free };

wf_error *wf_p2_fs_desc_new(wf_p2_ctx *cx, wf_p2_fs *fs, int fd, uint8_t type, bool ro,
                            uint8_t flags, wf_val *out)
{
    wf_p2_fs_desc *d = wf_xcalloc(1, sizeof *d);
    *d = (wf_p2_fs_desc){ fd, type, ro, flags, fs };
    fs->nfds++;
    return wf_p2_new_handle(cx, &wf_p2_kind_descriptor, d, 0, out);
}

wf_error *wf_p2_fs_self(wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                        size_t nargs, size_t n, wf_p2_ctx **cx, wf_p2_fs_desc **d)
{
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, n)) || (e = wf_p2_cx(inst, cx)) ||
        (e = wf_p2_get(*cx, &wf_p2_kind_descriptor, &args[0], "self", &obj)))
        return e;
    *d = obj;
    return NULL;
}

/* get-directories: list<tuple<descriptor, string>>, one fresh descriptor
 * per mount (a dup of the mount's fd: the guest may drop it). */
static WF_P2_FN(get_directories)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    wf_p2_fs *fs = wf_p2_fs_of(cx);
    if (fs->error) return wf_p2_trap(type, "%s", fs->error);
    if (fs->nfds + fs->nmounts > P2FS_MAX_FDS)
        return wf_p2_trap(type, "%zu descriptors open already: the guest does not drop them",
                          fs->nfds);
    wf_val list = wf_val_agg(WF_VAL_LIST, fs->nmounts);
    for (size_t i = 0; i < fs->nmounts && !e; i++) {
        int fd = fcntl(fs->mounts[i].fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            e = wf_p2_trap(type, "mount %s: %s", fs->mounts[i].guest, strerror(errno));
            break;
        }
        bool ro = fs->mounts[i].ro;
        wf_val t = wf_val_agg(WF_VAL_TUPLE, 2);
        e = wf_p2_fs_desc_new(cx, fs, fd, P2FS_T_DIR, ro,
                              (uint8_t)(P2FS_READ | (ro ? 0 : P2FS_MUTATE_DIR)), &t.of.agg.items[0]);
        t.of.agg.items[1] = wf_p2_str(fs->mounts[i].guest);
        list.of.agg.items[i] = t;
    }
    if (e) {
        /* A trap: the descriptors made so far stay in the table until the
         * context goes, with the instance. */
        wf_val_free(&list);
        return e;
    }
    *result = list;
    return NULL;
}

/* filesystem-error-code(err: borrow<error>) -> option<error-code>: the
 * errno a failed file stream operation carried. */
P2FS_FN(error_code)
{
    (void)env;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx))) return e;
    int code;
    if (!wf_p2_error_code(cx, &args[0], &code)) {
        *result = wf_val_none();
        return NULL;
    }
    wf_val c = wf_p2_fs_code(code);
    *result = wf_val_some(&c);
    return NULL;
}

static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def preopen_fns[] = { { "get-directories", get_directories }, { NULL, NULL } };
const wf_p2_iface wf_p2_iface_fs_preopens = { "wasi:filesystem", "wasi:filesystem/preopens@0.2.12",
                                              no_res, preopen_fns };
