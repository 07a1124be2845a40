/*
 * p1_poll.c - poll_oneoff: clock and fd subscriptions.
 *
 * Waiting only on clocks goes through wf_sleep_until, which suspends
 * the call's fiber when the scheduler runs it (the worker thread is free
 * meanwhile) and sleeps the thread otherwise. Waiting on fds uses ppoll on
 * the host fds, bounded by the earliest clock. Regular files are always
 * ready, as in POSIX.
 */
#include "wasi/p1_int.h"
#include "wasm/wait.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define P1_MAX_SUBS 4096u

enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };

typedef struct sub {
    uint64_t userdata;
    uint8_t tag;
    uint16_t error;       /* immediate event with this error */
    bool ready;           /* immediate event */
    uint64_t deadline;    /* clocks: CLOCK_MONOTONIC ns */
    int pfd;              /* fds: index in the pollfd array, or -1 */
    uint64_t nbytes;
    bool hangup;
} sub;

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A clock subscription's deadline on CLOCK_MONOTONIC. */
static int clock_deadline(const uint8_t *in, uint64_t mono_now, uint64_t *out)
{
    static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
    uint32_t id = p1_get_u32(in + 16);
    uint64_t timeout = p1_get_u64(in + 24);
    uint16_t flags;
    memcpy(&flags, in + 40, 2);
    if (id >= WF_COUNT(ids)) return P1_INVAL;
    uint64_t rel = timeout;
    if (flags & 1) {            /* subscription_clock_abstime */
        uint64_t now = now_ns(ids[id]);
        rel = timeout > now ? timeout - now : 0;
    }
    *out = rel > UINT64_MAX - mono_now ? UINT64_MAX : mono_now + rel;
    return P1_SUCCESS;
}

static wf_error *poll_fds(struct pollfd *pfds, size_t npfd, uint64_t deadline, bool block)
{
    for (;;) {
        struct timespec ts = { 0, 0 };
        if (block && deadline != UINT64_MAX) {
            uint64_t now = now_ns(CLOCK_MONOTONIC);
            uint64_t rel = deadline > now ? deadline - now : 0;
            ts = (struct timespec){ (time_t)(rel / 1000000000u), (long)(rel % 1000000000u) };
        }
        int n = ppoll(pfds, npfd, (block && deadline == UINT64_MAX) ? NULL : &ts, NULL);
        if (n >= 0 || errno != EINTR) return NULL;
    }
}

P1_FN(poll_oneoff)
{
    wf_wasi_ctx *c = env;
    p1_mem m = p1_memory(caller);
    uint32_t n = s[2].u32;
    if (n == 0 || n > P1_MAX_SUBS) P1_RET(P1_INVAL);
    const uint8_t *in = p1_ptr(m, s[0].u32, (uint64_t)n * 48);
    uint8_t *out = p1_ptr(m, s[1].u32, (uint64_t)n * 32);
    if (!in || !out || !p1_ptr(m, s[3].u32, 4)) P1_RET(P1_FAULT);

    sub *subs = wf_xcalloc(n, sizeof *subs);
    struct pollfd *pfds = wf_xcalloc(n, sizeof *pfds);
    size_t npfd = 0;
    bool any_ready = false;
    uint64_t mono = now_ns(CLOCK_MONOTONIC), earliest = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *sp = in + 48 * i;
        sub *u = &subs[i];
        u->userdata = p1_get_u64(sp);
        u->tag = sp[8];
        u->pfd = -1;
        if (u->tag == EV_CLOCK) {
            int r = clock_deadline(sp, mono, &u->deadline);
            if (r) u->error = (uint16_t)r, u->ready = true;
            else if (u->deadline < earliest) earliest = u->deadline;
        } else if (u->tag == EV_FD_READ || u->tag == EV_FD_WRITE) {
            p1_fd *e = wf_p1_fd_get(c, p1_get_u32(sp + 16));
            struct stat st;
            if (!e) {
                u->error = P1_BADF, u->ready = true;
            } else if (e->sink) {
                /* always writable; never readable */
                u->ready = true;
                if (u->tag == EV_FD_READ) u->error = P1_BADF;
            } else if (!fstat(e->host, &st) && S_ISREG(st.st_mode)) {
                u->ready = true;
                if (u->tag == EV_FD_READ) {
                    off_t pos = lseek(e->host, 0, SEEK_CUR);
                    u->nbytes = pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
                }
            } else {
                u->pfd = (int)npfd;
                pfds[npfd++] = (struct pollfd){
                    .fd = e->host, .events = u->tag == EV_FD_READ ? POLLIN : POLLOUT };
            }
        } else {
            u->error = P1_INVAL, u->ready = true;
        }
        any_ready |= u->ready;
    }

    wf_error *err = NULL;
again:
    if (npfd == 0 && !any_ready) {
        /* Only clocks: the one path that may suspend the call. */
        err = wf_sleep_until(earliest);
    } else {
        err = poll_fds(pfds, npfd, earliest, !any_ready);
    }
    if (err) {
        free(subs);
        free(pfds);
        return err;
    }

    mono = now_ns(CLOCK_MONOTONIC);
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        sub *u = &subs[i];
        if (u->pfd >= 0) {
            short rev = pfds[u->pfd].revents;
            if (!rev) continue;
            if (rev & POLLNVAL) u->error = P1_BADF;
            u->hangup = rev & POLLHUP;
            if (u->tag == EV_FD_READ) {
                int avail = 0;
                if (!ioctl(pfds[u->pfd].fd, FIONREAD, &avail) && avail > 0)
                    u->nbytes = (uint64_t)avail;
            }
        } else if (u->tag == EV_CLOCK && !u->ready) {
            if (u->deadline > mono) continue;
        }
        uint8_t *ev = out + 32 * nev++;
        memset(ev, 0, 32);
        p1_put_u64(ev, u->userdata);
        memcpy(ev + 8, &u->error, 2);
        ev[10] = u->tag;
        if (u->tag != EV_CLOCK) {
            p1_put_u64(ev + 16, u->nbytes);
            uint16_t fl = u->hangup ? 1 : 0;
            memcpy(ev + 24, &fl, 2);
        }
    }
    if (nev == 0) goto again;   /* woken before any deadline: wait on */
    free(subs);
    free(pfds);
    P1_RET(wf_p1_store_u32(m, s[3].u32, nev));
}
