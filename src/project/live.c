/*
 * live.c - versions of a project side by side, reloads and the inotify
 * watcher (live.h).
 *
 * The current version is swapped under the live project's mutex; a
 * version's references are atomic. A version whose last reference goes is
 * freed by a thread of its own (its runtime joins its pools' workers, and
 * the last holder may be one of them); the live project counts those
 * threads so that close can wait for them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "project/live.h"
#include "project/project.h"
#include "wasm/wait.h"

struct wf_project_live {
    char *dir;
    wf_metrics *metrics;
    pthread_mutex_t mu;          /* cur, next_number, freeing */
    pthread_cond_t freed;
    wf_project_version *cur;
    uint64_t next_number;
    int freeing;                 /* versions being freed by their threads, or alive but not current */
    pthread_mutex_t reload_mu;   /* one reload at a time */
    /* the watcher */
    bool watching;
    int ifd, stop_fd[2];
    pthread_t thread;
    wf_project_live_fn on_reload;
    void *ud;
};

static wf_error *load_version(wf_project_live *lp, wf_project_version **out)
{
    wf_project_version *v = wf_xcalloc(1, sizeof *v);
    v->rt = wf_runtime_new();
    wf_runtime_set_metrics(v->rt, lp->metrics);
    wf_error *e = wf_project_load_into(lp->dir, v->rt, &v->reg);
    if (e) {
        wf_runtime_free(v->rt);
        wf_registry_free(v->reg);
        free(v);
        return e;
    }
    v->refs = 1;   /* the live project's, while current */
    v->live = lp;
    *out = v;
    return NULL;
}

static void free_version(wf_project_version *v)
{
    wf_runtime_free(v->rt);   /* waits for calls still running; they borrow reg */
    wf_registry_free(v->reg);
    free(v);
}

static void *free_thread(void *arg)
{
    wf_project_version *v = arg;
    wf_project_live *lp = v->live;
    free_version(v);
    pthread_mutex_lock(&lp->mu);
    lp->freeing--;
    pthread_cond_broadcast(&lp->freed);
    pthread_mutex_unlock(&lp->mu);
    return NULL;
}

void wf_project_version_retain(wf_project_version *v)
{
    __atomic_add_fetch(&v->refs, 1, __ATOMIC_ACQ_REL);
}

void wf_project_version_release(wf_project_version *v)
{
    if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    wf_project_live *lp = v->live;
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, free_thread, v)) free_thread(v);   /* no thread: here */
    pthread_attr_destroy(&at);
    (void)lp;
}

wf_error *wf_project_live_open(const char *dir, wf_project_live **out)
{
    *out = NULL;
    wf_project_live *lp = wf_xcalloc(1, sizeof *lp);
    lp->dir = wf_xstrdup(dir);
    lp->metrics = wf_metrics_new();
    pthread_mutex_init(&lp->mu, NULL);
    pthread_mutex_init(&lp->reload_mu, NULL);
    pthread_cond_init(&lp->freed, NULL);
    lp->ifd = lp->stop_fd[0] = lp->stop_fd[1] = -1;
    wf_error *e = load_version(lp, &lp->cur);
    if (e) {
        wf_project_live_close(lp);
        return e;
    }
    lp->cur->number = lp->next_number = 1;
    lp->freeing = 1;   /* the current version: counted until its free ends */
    *out = lp;
    return NULL;
}

wf_project_version *wf_project_live_acquire(wf_project_live *lp)
{
    pthread_mutex_lock(&lp->mu);
    wf_project_version *v = lp->cur;
    wf_project_version_retain(v);
    pthread_mutex_unlock(&lp->mu);
    return v;
}

wf_metrics *wf_project_live_metrics(wf_project_live *lp)
{
    return lp->metrics;
}

wf_error *wf_project_live_reload(wf_project_live *lp, uint64_t *number)
{
    pthread_mutex_lock(&lp->reload_mu);
    wf_project_version *v;
    wf_error *e = load_version(lp, &v);
    if (!e) {
        pthread_mutex_lock(&lp->mu);
        wf_project_version *old = lp->cur;
        v->number = ++lp->next_number;
        lp->cur = v;
        lp->freeing++;
        pthread_mutex_unlock(&lp->mu);
        if (number) *number = v->number;
        wf_project_version_release(old);   /* freed once its calls are done */
    }
    pthread_mutex_unlock(&lp->reload_mu);
    return e;
}

/* ---- watching ---------------------------------------------------------------------- */

/* Watch dir and every directory below it (inotify_add_watch again on a
 * watched one is harmless). Hidden directories are left out. */
static void watch_tree(int ifd, const char *dir, int depth)
{
    if (depth > 32) return;
    inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                    IN_DELETE | IN_MODIFY | IN_ONLYDIR);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char *sub = wf_xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (!lstat(sub, &st) && S_ISDIR(st.st_mode)) watch_tree(ifd, sub, depth + 1);
        free(sub);
    }
    closedir(d);
}

/* A name whose change may change what the registry loads. */
static bool relevant(const char *name, bool is_dir)
{
    if (is_dir) return true;
    size_t n = strlen(name);
    if (!n || name[0] == '.' || name[n - 1] == '~' || name[0] == '#') return false;
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    static const char *exts[] = {".yaml", ".yml", ".wat", ".wasm", ".wit", ".lua", ".json", ".env"};
    for (size_t i = 0; i < WF_COUNT(exts); i++)
        if (!strcmp(dot, exts[i])) return true;
    return false;
}

static void *watch_thread(void *arg)
{
    wf_project_live *lp = arg;
    uint64_t due = 0;   /* when to reload: the tree quiet since the last change */
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        struct pollfd p[2] = {{lp->ifd, POLLIN, 0}, {lp->stop_fd[0], POLLIN, 0}};
        int timeout = -1;
        if (due) {
            uint64_t now = wf_now_ns();
            timeout = due > now ? (int)((due - now) / 1000000u) + 1 : 0;
        }
        int r = poll(p, 2, timeout);
        if (r < 0 && errno != EINTR) break;
        if (p[1].revents) break;
        if (r > 0 && p[0].revents & POLLIN) {
            ssize_t n = read(lp->ifd, buf, sizeof buf);
            for (ssize_t off = 0; n > 0 && off < n;) {
                const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
                if (ev->len && relevant(ev->name, ev->mask & IN_ISDIR))
                    due = wf_now_ns() + (uint64_t)WF_PROJECT_LIVE_SETTLE_MS * 1000000u;
                off += (ssize_t)(sizeof *ev + ev->len);
            }
            continue;
        }
        if (due && wf_now_ns() >= due) {
            due = 0;
            watch_tree(lp->ifd, lp->dir, 0);   /* directories made since */
            uint64_t number = 0;
            wf_error *e = wf_project_live_reload(lp, &number);
            if (lp->on_reload) {
                if (e) {
                    lp->on_reload(lp->ud, NULL, e);
                } else {
                    wf_project_version *v = wf_project_live_acquire(lp);
                    lp->on_reload(lp->ud, v, NULL);
                    wf_project_version_release(v);
                }
            }
            wf_error_free(e);
        }
    }
    return NULL;
}

wf_error *wf_project_live_watch(wf_project_live *lp, wf_project_live_fn on_reload, void *ud)
{
    if (lp->watching) return wf_error_new(WF_ERR_INVALID, "%s: already watched", lp->dir);
    lp->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (lp->ifd < 0) return wf_error_new(WF_ERR_IO, "%s: inotify: %s", lp->dir, strerror(errno));
    if (pipe2(lp->stop_fd, O_CLOEXEC)) {
        close(lp->ifd);
        lp->ifd = -1;
        return wf_error_new(WF_ERR_IO, "pipe: %s", strerror(errno));
    }
    watch_tree(lp->ifd, lp->dir, 0);
    lp->on_reload = on_reload;
    lp->ud = ud;
    if (pthread_create(&lp->thread, NULL, watch_thread, lp)) {
        close(lp->ifd);
        close(lp->stop_fd[0]);
        close(lp->stop_fd[1]);
        lp->ifd = lp->stop_fd[0] = lp->stop_fd[1] = -1;
        return wf_error_new(WF_ERR_IO, "%s: cannot start the watching thread", lp->dir);
    }
    lp->watching = true;
    return NULL;
}

void wf_project_live_close(wf_project_live *lp)
{
    if (!lp) return;
    if (lp->watching) {
        ssize_t w = write(lp->stop_fd[1], "x", 1);
        (void)w;
        pthread_join(lp->thread, NULL);
        close(lp->ifd);
        close(lp->stop_fd[0]);
        close(lp->stop_fd[1]);
    }
    pthread_mutex_lock(&lp->mu);
    wf_project_version *cur = lp->cur;
    lp->cur = NULL;
    pthread_mutex_unlock(&lp->mu);
    if (cur) wf_project_version_release(cur);
    pthread_mutex_lock(&lp->mu);
    while (lp->freeing > 0) pthread_cond_wait(&lp->freed, &lp->mu);
    pthread_mutex_unlock(&lp->mu);
    wf_metrics_free(lp->metrics);
    pthread_cond_destroy(&lp->freed);
    pthread_mutex_destroy(&lp->mu);
    pthread_mutex_destroy(&lp->reload_mu);
    free(lp->dir);
    free(lp);
}
