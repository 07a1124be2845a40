/*
 * p1_proc.c - preview 1 functions about the process rather than files:
 * args and environ, clocks, random_get, proc_exit / proc_raise,
 * sched_yield and the sock_* family (no socket is ever granted).
 */
#include "wasi/p1_int.h"

#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>

/* args_get / environ_get: pointers at vec, NUL-terminated strings at buf. */
static int put_strings(p1_mem m, char **strs, size_t n, uint32_t vec, uint32_t buf)
{
    uint8_t *v = p1_ptr(m, vec, (uint64_t)n * 4);
    if (!v) return P1_FAULT;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(strs[i]) + 1;
    uint8_t *b = p1_ptr(m, buf, total);
    if (!b) return P1_FAULT;
    uint32_t at = buf;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(strs[i]) + 1;
        p1_put_u32(v + 4 * i, at);
        memcpy(b, strs[i], l);
        b += l;
        at += (uint32_t)l;
    }
    return P1_SUCCESS;
}

static int put_sizes(p1_mem m, char **strs, size_t n, uint32_t count_ptr, uint32_t size_ptr)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(strs[i]) + 1;
    if (total > UINT32_MAX) return P1_OVERFLOW;
    int r = wf_p1_store_u32(m, count_ptr, (uint32_t)n);
    return r ? r : wf_p1_store_u32(m, size_ptr, (uint32_t)total);
}

P1_FN(args_get)
{
    wf_wasi_ctx *c = env;
    P1_RET(put_strings(p1_memory(caller), c->argv, c->argc, s[0].u32, s[1].u32));
}

P1_FN(args_sizes_get)
{
    wf_wasi_ctx *c = env;
    P1_RET(put_sizes(p1_memory(caller), c->argv, c->argc, s[0].u32, s[1].u32));
}

P1_FN(environ_get)
{
    wf_wasi_ctx *c = env;
    P1_RET(put_strings(p1_memory(caller), c->env, c->nenv, s[0].u32, s[1].u32));
}

P1_FN(environ_sizes_get)
{
    wf_wasi_ctx *c = env;
    P1_RET(put_sizes(p1_memory(caller), c->env, c->nenv, s[0].u32, s[1].u32));
}

static bool host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
    if (id >= WF_COUNT(ids)) return false;
    *out = ids[id];
    return true;
}

P1_FN(clock_res_get)
{
    clockid_t id;
    struct timespec ts;
    if (!host_clock(s[0].u32, &id)) P1_RET(P1_INVAL);
    if (clock_getres(id, &ts)) P1_RET(wf_p1_errno(errno));
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    P1_RET(wf_p1_store_u64(p1_memory(caller), s[1].u32, ns ? ns : 1));
}

P1_FN(clock_time_get)
{
    clockid_t id;
    struct timespec ts;
    if (!host_clock(s[0].u32, &id)) P1_RET(P1_INVAL);
    if (clock_gettime(id, &ts)) P1_RET(wf_p1_errno(errno));
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    P1_RET(wf_p1_store_u64(p1_memory(caller), s[2].u32, ns));
}

P1_FN(random_get)
{
    uint32_t len = s[1].u32;
    uint8_t *p = p1_ptr(p1_memory(caller), s[0].u32, len);
    if (!p) P1_RET(P1_FAULT);
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            P1_RET(wf_p1_errno(errno));
        }
        p += n;
        len -= (uint32_t)n;
    }
    P1_RET(P1_SUCCESS);
}

/* Not a trap: the guest chose to end. The caller (wasmfn exec, the
 * runtime) turns WF_ERR_EXIT into the process status or a call result. */
P1_FN(proc_exit)
{
    wf_error *e = wf_error_new(WF_ERR_EXIT, "exit status %u", s[0].u32);
    e->exit_code = (int)s[0].u32;
    return e;
}

/* A signal the guest raises on itself: those whose default action is to
 * ignore (chld, cont, urg, winch) do nothing; stop signals cannot apply to
 * a guest (`notsup`); every other one ends the call as a trap. */
P1_FN(proc_raise)
{
    static const char *const names[] = {
        "none", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
        "SEGV", "USR2", "PIPE", "ALRM", "TERM", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS",
    };
    uint32_t sig = s[0].u32;
    if (sig >= WF_COUNT(names)) P1_RET(P1_INVAL);
    switch (sig) {
    case 0: case 16: case 17: case 22: case 27: P1_RET(P1_SUCCESS);
    case 18: case 19: case 20: case 21: P1_RET(P1_NOTSUP);
    default: return wf_error_new(WF_ERR_TRAP, "proc_raise: signal SIG%s", names[sig]);
    }
}

P1_FN(sched_yield)
{
    sched_yield();
    P1_RET(P1_SUCCESS);
}

/* No socket is ever granted, so every sock_* call is about an fd that is
 * invalid (`badf`) or not a socket (`notsock`). */
static int sock_check(wf_wasi_ctx *c, uint32_t fd)
{
    p1_fd *e = wf_p1_fd_get(c, fd);
    if (!e) return P1_BADF;
    if (e->type != P1_FT_SOCK_STREAM && e->type != P1_FT_SOCK_DGRAM) return P1_NOTSOCK;
    return P1_NOTSUP;
}

P1_FN(sock_accept) { P1_RET(sock_check(env, s[0].u32)); }
P1_FN(sock_recv) { P1_RET(sock_check(env, s[0].u32)); }
P1_FN(sock_send) { P1_RET(sock_check(env, s[0].u32)); }
P1_FN(sock_shutdown) { P1_RET(sock_check(env, s[0].u32)); }
