/*
 * bench_sockets_p2.c - WASI 0.2 socket waits at scale: N concurrent calls
 * of the sockets fixture's `tcp-echo` (tests/fixtures/components/
 * sockets.wasm: connect, write, shutdown, blocking-read until EOF) against
 * a local server that answers each connection delay_ms after its request
 * ended, on a static pool of W workers. Every call spends the delay
 * suspended on its socket's readiness (the p2 reactor watches N fds at
 * once), so the batch takes about one delay plus the cost of N calls.
 *
 * The server runs in a child process (its own fd table: N connections
 * need N fds on each side) with one epoll loop.
 *
 * Prints the wall time, the most threads the process had at once, the
 * peak RSS and the CPU time of the runtime's process.
 *
 * Usage: bench_sockets_p2 SOCKETS.wasm [calls [workers [delay_ms]]]
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "component/component.h"
#include "component/json.h"
#include "runtime/runtime.h"
#include "wasm/wait.h"

#include "thread_peak.h"

/* ---- the server (child process) ------------------------------------------------ */

typedef struct due { int fd; uint64_t at; } due;

/* Accept, read each connection to EOF, answer "pong:<n bytes>" delay_ms
 * later, close. Runs until killed. */
static void serve(int lfd, int delay_ms)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    size_t cap = 1024, head = 0, tail = 0;
    due *q = malloc(cap * sizeof *q);   /* replies in deadline order (the delay is constant) */
    struct epoll_event evs[256];
    char buf[4096];
    for (;;) {
        int timeout = -1;
        uint64_t now = wf_now_ns();
        while (head < tail && q[head].at <= now) {
            static const char pong[] = "pong";
            ssize_t w = write(q[head].fd, pong, sizeof pong - 1);
            (void)w;
            close(q[head].fd);
            head++;
        }
        if (head < tail) timeout = (int)((q[head].at - now) / 1000000u) + 1;
        int n = epoll_wait(ep, evs, 256, timeout);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r;
            while ((r = read(fd, buf, sizeof buf)) > 0) {}
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                if (tail == cap) {
                    memmove(q, q + head, (tail - head) * sizeof *q);
                    tail -= head;
                    head = 0;
                    if (tail == cap) q = realloc(q, (cap *= 2) * sizeof *q);
                }
                q[tail++] = (due){ fd, wf_now_ns() + (uint64_t)delay_ms * 1000000u };
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sockets_p2 SOCKETS.wasm [calls [workers [delay_ms]]]\n");
        return 2;
    }
    int calls = argc > 2 ? atoi(argv[2]) : 1000;
    unsigned workers = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
    int delay_ms = argc > 4 ? atoi(argv[4]) : 100;
    /* each side needs an fd per call: take the hard limit */
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
    if (nofile.rlim_cur < (rlim_t)calls + 256) {
        fprintf(stderr, "bench_sockets_p2: %d calls need %d open files, the limit is %llu (ulimit -n)\n", calls,
                calls + 256, (unsigned long long)nofile.rlim_cur);
        return 1;
    }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 65535) ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
        perror("bench_sockets_p2: listen");
        return 1;
    }
    unsigned port = ntohs(sa.sin_port);
    pid_t child = fork();
    if (child == 0) {
        serve(lfd, delay_ms);
        _exit(0);
    }
    close(lfd);

    uint8_t *bytes;
    size_t len;
    wf_component *c;
    wf_error *err = wf_file_read(argv[1], &bytes, &len);
    if (!err) err = wf_component_new(bytes, len, &c);
    if (err) {
        fprintf(stderr, "bench_sockets_p2: %s: %s\n", argv[1], err->message);
        kill(child, SIGTERM);
        return 1;
    }
    free(bytes);
    wf_runtime *rt = wf_runtime_new();
    const char *words[] = { "wasi:sockets" };
    char grant[64];
    snprintf(grant, sizeof grant, "127.0.0.1:%u", port);
    const char *net[] = { grant };
    wf_component_config cfg = {
        .method = "tcp-echo",
        .pool = { .type = WF_RT_POOL_STATIC, .workers = workers, .size = workers },
        .imports = words, .nimports = 1,
        .wasi = { .network = net, .nnetwork = 1 },
    };
    if ((err = wf_runtime_add_component(rt, "bench:echo", c, &cfg))) {
        fprintf(stderr, "bench_sockets_p2: %s\n", err->message);
        kill(child, SIGTERM);
        return 1;
    }
    pthread_t mon;
    pthread_create(&mon, NULL, thread_peak_sampler, NULL);
    int base_threads = thread_peak_now();

    wf_call_future **fs = wf_xcalloc((size_t)calls, sizeof *fs);
    int failed = 0;
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < calls; i++) {
        wf_val a[3] = { wf_val_string("127.0.0.1", 9), wf_val_uint(WF_VAL_U16, port), wf_val_string("ping", 4) };
        if ((err = wf_call_future_start(rt, "bench:echo", a, 3, NULL, &fs[i]))) {
            fprintf(stderr, "bench_sockets_p2: %s\n", err->message);
            wf_error_free(err);
            failed++;
        }
        for (int k = 0; k < 3; k++) wf_val_free(&a[k]);
    }
    uint64_t started = wf_now_ns() - t0;
    for (int i = 0; i < calls; i++) {
        if (!fs[i]) continue;
        wf_call_future_wait(fs[i], -1);
        wf_val r;
        err = wf_call_future_take(fs[i], &r);
        bool ok = !err && r.kind == WF_VAL_RESULT && r.of.cas.index == 0 && r.of.cas.payload &&
                  r.of.cas.payload->kind == WF_VAL_STRING && !strcmp(r.of.cas.payload->of.str.data, "pong");
        if (!ok) {
            if (failed == 0) {
                char *js = err ? NULL : wf_json_from_val(&r);
                fprintf(stderr, "bench_sockets_p2: call %d: %s\n", i, err ? err->message : js ? js : "?");
                free(js);
            }
            failed++;
        }
        wf_error_free(err);
        wf_val_free(&r);
        wf_call_future_free(fs[i]);
    }
    uint64_t total = wf_now_ns() - t0;
    thread_peak_stop = 1;
    pthread_join(mon, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("component calls %d, each a TCP exchange answered after %d ms (wasi:sockets tcp-echo: connect, "
           "write, shutdown, blocking-read), static pool of %u workers\n", calls, delay_ms, workers);
    printf("  wall time        %8.1f ms   (all started after %.1f ms)\n", total / 1e6, started / 1e6);
    printf("  threads          %8d      at most (main and this sampler included), %d before the batch\n",
           thread_peak_max, base_threads);
    printf("  peak RSS         %8.1f MB\n", ru.ru_maxrss / 1024.0);
    printf("  CPU time         %8.1f ms   (user + system, all threads of the runtime's process)\n",
           (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
    printf("  failed           %8d\n", failed);
    free(fs);
    wf_runtime_free(rt);
    wf_component_free(c);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    return failed ? 1 : 0;
}
