/*
 * p2_random.c - wasi:random: random (the kernel's CSPRNG, getrandom),
 * insecure (the same source: secure is a fine insecure) and insecure-seed
 * (two values fixed for the instance's life, as the WIT asks).
 */
#include "wasi/p2_int.h"

#include <errno.h>
#include <sys/random.h>

/* One request's bytes at most: each becomes a host value while lowered. */
#define P2_MAX_RANDOM (4u << 20)

static void fill(uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t r = getrandom(buf, len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            abort();   /* the kernel's CSPRNG cannot fail after boot */
        }
        buf += r;
        len -= (size_t)r;
    }
}

static WF_P2_FN(get_bytes)
{
    (void)env;
    (void)inst;
    uint64_t len;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_arg_u64(type, args, 0, &len))) return e;
    if (len > P2_MAX_RANDOM)
        return wf_p2_trap(type, "%llu bytes asked, at most %u at once", (unsigned long long)len,
                          P2_MAX_RANDOM);
    uint8_t *buf = wf_xmalloc(len + 1);
    fill(buf, (size_t)len);
    *result = wf_p2_bytes(buf, (size_t)len);
    free(buf);
    return NULL;
}

static WF_P2_FN(get_u64)
{
    (void)env;
    (void)inst;
    (void)args;
    wf_error *e = wf_p2_nargs(type, nargs, 0);
    if (e) return e;
    uint64_t x;
    fill((uint8_t *)&x, sizeof x);
    *result = wf_p2_u64(x);
    return NULL;
}

static WF_P2_FN(insecure_seed)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    *result = wf_val_agg(WF_VAL_TUPLE, 2);
    result->of.agg.items[0] = wf_p2_u64(cx->insecure_seed[0]);
    result->of.agg.items[1] = wf_p2_u64(cx->insecure_seed[1]);
    return NULL;
}

static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def random_fns[] = {
    { "get-random-bytes", get_bytes },
    { "get-random-u64", get_u64 },
    { NULL, NULL },
};
static const wf_p2_fn_def insecure_fns[] = {
    { "get-insecure-random-bytes", get_bytes },
    { "get-insecure-random-u64", get_u64 },
    { NULL, NULL },
};
static const wf_p2_fn_def seed_fns[] = { { "insecure-seed", insecure_seed }, { NULL, NULL } };
const wf_p2_iface wf_p2_iface_random_random = { "wasi:random", "wasi:random/random@0.2.12", no_res, random_fns };
const wf_p2_iface wf_p2_iface_random_insecure = { "wasi:random", "wasi:random/insecure@0.2.12", no_res,
                                                  insecure_fns };
const wf_p2_iface wf_p2_iface_random_seed = { "wasi:random", "wasi:random/insecure-seed@0.2.12", no_res,
                                              seed_fns };
