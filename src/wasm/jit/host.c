/*
 * host.c - the host CPU's name and features as LLVM sees them (the code
 * cache's keys carry them: jit.c), known without loading LLVM: an earlier
 * process that loaded it recorded them in the code cache, in a file
 * (<key>.wfhost, cache.c) whose key is this CPU's fingerprint, so a process whose units all come
 * from the cache never loads the compiler library (lib.c).
 *
 * The fingerprint (x86-64) is what LLVM's host detection reads (LLVM
 * 19's sys::getHostCPUName and getHostCPUFeatures): the cpuid leaves of
 * the vendor, family, model and feature flags (0, 1, 7.0, 7.1, 0xd.1,
 * 0x14, 0x19, 0x24, 0x80000000, 0x80000001, 0x80000008) and the state
 * the OS enables (xgetbv 0), without the fields that differ from core to
 * core (leaf 1's APIC id), with LLVM's version. Two hosts with the same
 * fingerprint get the same answer from LLVM. Elsewhere there is no
 * fingerprint and LLVM is asked. When the compiler library is loaded for
 * a compilation it is asked anyway and its answer checked against the
 * recorded one (jit.c's compiler), which it replaces if they differ (a
 * recorded answer can only be wrong through a damaged cache or a
 * detection LLVM changed without changing its version).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "base/buf.h"
#include "wasm/jit/jit_int.h"

/* The key of this CPU's record; false when there is none (not x86-64). */
static bool host_key(uint8_t key[WF_SHA256_LEN])
{
#if defined(__x86_64__)
    static const struct { unsigned leaf, sub; } leaves[] = {
        { 0, 0 }, { 1, 0 }, { 7, 0 }, { 7, 1 }, { 0xd, 1 }, { 0x14, 0 }, { 0x19, 0 }, { 0x24, 0 },
        { 0x80000000u, 0 }, { 0x80000001u, 0 }, { 0x80000008u, 0 },
    };
    wf_buf b = { 0 };
    wf_buf_str(&b, "wasmfn host cpu|llvm " WF_LLVM_VERSION "|");
    unsigned max = 0, max_ext = 0, ecx1 = 0;
    for (size_t i = 0; i < WF_COUNT(leaves); i++) {
        unsigned r[4] = { 0, 0, 0, 0 }, leaf = leaves[i].leaf;
        if (leaf < 0x80000000u ? leaf <= max : leaf <= max_ext)
            __cpuid_count(leaf, leaves[i].sub, r[0], r[1], r[2], r[3]);
        if (leaf == 0) max = r[0];
        if (leaf == 0x80000000u) max_ext = r[0];
        if (leaf == 1) {
            r[1] &= 0xFFFFu;    /* the APIC id and logical count differ per core */
            ecx1 = r[2];
        }
        for (int k = 0; k < 4; k++) wf_buf_u32le(&b, r[k]);
    }
    /* the 0 leaf comes first: max is known for the others */
    unsigned xlo = 0, xhi = 0;
    if (ecx1 & (1u << 27)) __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    wf_buf_u32le(&b, xlo);
    wf_buf_u32le(&b, xhi);
    wf_error *e = wf_sha256(b.data, b.len, key);
    wf_buf_free(&b);
    if (e) wf_error_free(e);
    return !e;
#else
    (void)key;
    return false;
#endif
}

bool wf_jit_host_load(char **cpu, char **features)
{
    uint8_t key[WF_SHA256_LEN];
    wf_jit_entry en;
    if (!host_key(key) || wf_jit_cache_load_host(key, &en) != WF_JIT_CACHE_HIT) return false;
    /* the blob: cpu NUL features NUL */
    const char *s = (const char *)en.blob;
    size_t n1 = strnlen(s, en.bloblen);
    bool ok = n1 < en.bloblen && strnlen(s + n1 + 1, en.bloblen - n1 - 1) < en.bloblen - n1 - 1;
    if (ok) {
        *cpu = wf_xstrdup(s);
        *features = wf_xstrdup(s + n1 + 1);
    }
    munmap(en.map, en.map_len);
    return ok;
}

void wf_jit_host_store(const char *cpu, const char *features)
{
    uint8_t key[WF_SHA256_LEN];
    if (!host_key(key)) return;
    wf_buf b = { 0 };
    wf_buf_bytes(&b, cpu, strlen(cpu) + 1);
    wf_buf_bytes(&b, features, strlen(features) + 1);
    wf_error_free(wf_jit_cache_store_host(key, b.data, b.len));
    wf_buf_free(&b);
}
