/*
 * interp_mem.c - the interpreter's loads and stores in a memory other than
 * memory 0 (multi-memory): LOAD_MEM and STORE_MEM, one generic instruction
 * each, naming the memory and the plain load or store it stands for.
 *
 * Memory 0 keeps its own instructions, its base in a register and no
 * bounds check (its guard reservation turns a stray access into a fault
 * the handler of trap.c recognises). Other memories are rarer: their
 * accesses read the memory's base and size each time and check the bounds
 * here, so the fault handler needs to know no more than memory 0.
 */
#include "wasm/interp.h"
#include "wasm/runtime.h"

/* The access of `size` bytes at address slot + offset of memory pc[4], or
 * NULL when it is out of bounds. */
static uint8_t *at(const wf_slot *fp, const wf_word *pc, uint32_t addr_slot, const wf_instance *inst,
                   size_t size)
{
    const wf_memory *m = inst->mems[pc[4]];
    uint64_t ea = (uint64_t)fp[addr_slot].u32 + (uint64_t)pc[3];
    if (ea + size > m->size) return NULL;
    return m->base + ea;
}

bool wf_interp_load_mem(wf_slot *fp, const wf_word *pc, const wf_instance *inst)
{
    switch ((wf_iop)pc[5]) {
#define WF_LOAD_(n, T, f)                                                     \
    case WF_IOP_##n: {                                                        \
        const uint8_t *p = at(fp, pc, (uint32_t)pc[2], inst, sizeof(T));      \
        if (!p) return false;                                                 \
        T v;                                                                  \
        memcpy(&v, p, sizeof v);                                              \
        fp[pc[1]].f = v;                                                      \
        return true;                                                          \
    }
    WF_LOADOPS(WF_LOAD_)
#undef WF_LOAD_
    default:
        return false;
    }
}

bool wf_interp_store_mem(const wf_slot *fp, const wf_word *pc, const wf_instance *inst)
{
    switch ((wf_iop)pc[5]) {
#define WF_STORE_(n, T, f)                                                    \
    case WF_IOP_##n: {                                                        \
        uint8_t *p = at(fp, pc, (uint32_t)pc[1], inst, sizeof(T));            \
        if (!p) return false;                                                 \
        T v = (T)fp[pc[2]].f;                                                 \
        memcpy(p, &v, sizeof v);                                              \
        return true;                                                          \
    }
    WF_STOREOPS(WF_STORE_)
#undef WF_STORE_
    default:
        return false;
    }
}
