/*
 * p2_reactor.c - fd readiness for WASI 0.2 waits (p2_int.h wf_p2_fdwatch):
 * one thread, started on first use, waits in epoll_wait on every watched
 * fd and wakes the waker of each watch whose fd became ready (then the
 * watch is out of the set: it fires once).
 *
 * epoll rather than poll(): thousands of calls suspended on sockets at once
 * (each a watch) cost nothing per wait round, and adding or removing a
 * watch is one epoll_ctl, not a rebuilt array (poll() made every round and
 * every change O(watches), and matching its results O(watches^2)).
 *
 * One fd may have several watches (a socket's input and output pollables
 * polled together, two calls on one stdin): they hang off one entry per fd,
 * registered with the union of their events (level-triggered), so epoll
 * sees each fd once. The entries, by fd, are the truth, read and changed
 * under one mutex; the loop looks an event's fd up there, so an entry
 * removed meanwhile is never touched. An fd epoll cannot watch (a regular
 * file as stdin: always readable) fires at once.
 *
 * Timers are not here: a wait's deadline is the scheduler's (wf_park's
 * until_ns on its timer heap), which is what 10,000 sleeping calls use.
 */
#include "wasi/p2_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The watches of one fd and the events they want together. */
typedef struct fd_entry {
    wf_p2_fdwatch *watches;
    uint32_t mask;                /* registered in epoll (0: not registered) */
} fd_entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int epfd = -1;
static fd_entry **by_fd;         /* indexed by fd */
static size_t nby_fd;

static uint32_t wanted(const fd_entry *e)
{
    uint32_t m = 0;
    for (const wf_p2_fdwatch *w = e->watches; w; w = w->next) m |= (uint32_t)w->events;
    return m;
}

static void fire(int fd, uint32_t events);

/* Bring epoll in line with entry fd's watches (mu held): register, change,
 * or drop the fd (and free the entry when no watch is left). An fd epoll
 * will not take (a regular file, which is always ready; a closed one)
 * fires its watches at once, as poll() would report it. */
static void sync_fd(int fd)
{
    fd_entry *e = by_fd[fd];
    uint32_t m = e->watches ? wanted(e) : 0;
    if (m != e->mask) {
        struct epoll_event ev = { .events = m, .data.fd = fd };
        int r = 0;
        if (!m) {
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
        } else if (!e->mask) {
            r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
            if (r && errno == EEXIST) r = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        } else {
            r = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
            /* the fd was closed and reused since: register it anew */
            if (r && errno == ENOENT) r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        }
        e->mask = r ? 0 : m;
        if (r) {
            fire(fd, m | EPOLLERR);   /* every watch goes; sync_fd runs again with none */
            return;
        }
    }
    if (!e->watches) {
        free(e);
        by_fd[fd] = NULL;
    }
}

/* Fire the watches of fd that events satisfy (mu held). */
static void fire(int fd, uint32_t events)
{
    if (fd < 0 || (size_t)fd >= nby_fd || !by_fd[fd]) return;
    fd_entry *e = by_fd[fd];
    wf_p2_fdwatch **pp = &e->watches;
    while (*pp) {
        wf_p2_fdwatch *w = *pp;
        if (events & ((uint32_t)w->events | EPOLLERR | EPOLLHUP)) {
            *pp = w->next;
            w->queued = false;
            w->fired = true;
            wf_wake(w->waker);
        } else {
            pp = &w->next;
        }
    }
    sync_fd(fd);
}

static void *reactor(void *arg)
{
    (void)arg;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(epfd, evs, (int)WF_COUNT(evs), -1);
        if (n < 0) continue;   /* EINTR */
        pthread_mutex_lock(&mu);
        for (int i = 0; i < n; i++) fire(evs[i].data.fd, evs[i].events);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void start(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    if (epfd < 0 || pthread_create(&t, &a, reactor, NULL)) {
        fprintf(stderr, "wasmfn: wasi: cannot start the fd readiness thread\n");
        abort();
    }
    pthread_attr_destroy(&a);
}

void wf_p2_fdwatch_add(wf_p2_fdwatch *w)
{
    pthread_once(&once, start);
    pthread_mutex_lock(&mu);
    w->fired = false;
    w->queued = true;
    if (w->fd < 0) {   /* nothing to watch: never fires */
        pthread_mutex_unlock(&mu);
        return;
    }
    if ((size_t)w->fd >= nby_fd) {
        size_t n = WF_MAX(nby_fd * 2, (size_t)w->fd + 64);
        by_fd = wf_xrealloc(by_fd, n * sizeof *by_fd);
        memset(by_fd + nby_fd, 0, (n - nby_fd) * sizeof *by_fd);
        nby_fd = n;
    }
    if (!by_fd[w->fd]) by_fd[w->fd] = wf_xcalloc(1, sizeof(fd_entry));
    fd_entry *e = by_fd[w->fd];
    w->next = e->watches;
    e->watches = w;
    sync_fd(w->fd);
    pthread_mutex_unlock(&mu);
}

void wf_p2_fdwatch_remove(wf_p2_fdwatch *w)
{
    pthread_mutex_lock(&mu);
    if (w->queued && w->fd >= 0 && (size_t)w->fd < nby_fd && by_fd[w->fd]) {
        for (wf_p2_fdwatch **pp = &by_fd[w->fd]->watches; *pp; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                break;
            }
        sync_fd(w->fd);
    }
    w->queued = false;
    pthread_mutex_unlock(&mu);
}
