/*
 * p2_reactor.c - fd readiness for WASI 0.2 waits (p2_int.h wf_p2_fdwatch):
 * one thread, started on first use, polls every watched fd plus an eventfd
 * that tells it the set changed, and wakes the waker of each watch whose fd
 * became ready (then the watch is out of the set: it fires once).
 *
 * The list of watches is the truth, read and changed under one mutex; after
 * poll() the thread matches revents to the watches still listed by fd, so a
 * watch removed meanwhile is never touched. poll() is O(watches) per round:
 * fine for stdio and a few sockets; an epoll set is the step up when
 * thousands of sockets wait at once.
 */
#include "wasi/p2_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static wf_p2_fdwatch *head;
static int efd = -1;

static void kick(void)
{
    uint64_t one = 1;
    ssize_t r = write(efd, &one, sizeof one);
    (void)r;   /* a full counter still wakes the poller */
}

static void *reactor(void *arg)
{
    (void)arg;
    WF_VEC(struct pollfd) pfds = {0};
    for (;;) {
        pthread_mutex_lock(&mu);
        pfds.len = 0;
        wf_vec_push(&pfds, ((struct pollfd){ .fd = efd, .events = POLLIN }));
        for (wf_p2_fdwatch *w = head; w; w = w->next)
            wf_vec_push(&pfds, ((struct pollfd){ .fd = w->fd, .events = w->events }));
        pthread_mutex_unlock(&mu);
        int n = poll(pfds.data, pfds.len, -1);
        if (n < 0 && errno != EINTR) continue;
        if (pfds.data[0].revents) {
            uint64_t v;
            ssize_t r = read(efd, &v, sizeof v);
            (void)r;
        }
        pthread_mutex_lock(&mu);
        wf_p2_fdwatch **pp = &head;
        while (*pp) {
            wf_p2_fdwatch *w = *pp;
            bool fire = false;
            for (size_t i = 1; i < pfds.len && !fire; i++)
                fire = pfds.data[i].fd == w->fd &&
                       (pfds.data[i].revents & (w->events | POLLERR | POLLHUP | POLLNVAL));
            if (fire) {
                *pp = w->next;
                w->queued = false;
                w->fired = true;
                wf_wake(w->waker);
            } else {
                pp = &w->next;
            }
        }
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void start(void)
{
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    if (efd < 0 || pthread_create(&t, &a, reactor, NULL)) {
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
    w->next = head;
    head = w;
    pthread_mutex_unlock(&mu);
    kick();
}

void wf_p2_fdwatch_remove(wf_p2_fdwatch *w)
{
    pthread_mutex_lock(&mu);
    if (w->queued) {
        for (wf_p2_fdwatch **pp = &head; *pp; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                break;
            }
        w->queued = false;
    }
    pthread_mutex_unlock(&mu);
}
