/*
 * trace.c - backtraces for traps. Only the error path pays: each code
 * address is looked up among the instance's function bodies, and named from
 * the name section, an export, or its index.
 */
#include "wasm/trace.h"

#include <stdio.h>

#include "base/buf.h"

#define WF_TRACE_MAX_FRAMES 32   /* innermost ones; deep recursion is elided */

/* The defined function of inst whose code holds pc, or -1. */
static int64_t function_at(const wf_instance *inst, const wf_word *pc)
{
    const wf_module *m = inst->module;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        const struct wf_code *c = m->funcs[i].code;
        if (c && pc >= c->words && pc <= c->words + c->len) return i;
    }
    return -1;
}

static void append_frame(wf_buf *b, const wf_instance *inst, const wf_word *pc)
{
    int64_t i = inst ? function_at(inst, pc) : -1;
    const char *name = i >= 0 ? inst->module->funcs[i].name : NULL;
    char line[160];
    if (name)
        snprintf(line, sizeof line, "  at %s\n", name);
    else if (i >= 0)
        snprintf(line, sizeof line, "  at func[%lld]\n", (long long)i);
    else
        snprintf(line, sizeof line, "  at <unknown>\n");
    wf_buf_str(b, line);
}

char *wf_trace_build(const wf_instance *inst, const wf_word *pc,
                     const wf_frame *base, const wf_frame *top)
{
    wf_buf b = { 0 };
    append_frame(&b, inst, pc);
    size_t shown = 1, total = 1 + (size_t)(top - base);
    for (const wf_frame *f = top; f > base && shown < WF_TRACE_MAX_FRAMES; shown++) {
        --f;
        /* A frame holds where its caller continues: the caller's code. */
        append_frame(&b, f->inst, f->pc);
    }
    if (total > shown) {
        char more[64];
        snprintf(more, sizeof more, "  ... %zu more frames\n", total - shown);
        wf_buf_str(&b, more);
    }
    b.data[b.len - 1] = 0; /* drop the last newline */
    return (char *)b.data;
}

/* The instance among inst and the frames' whose code holds pc, or NULL. */
static const wf_instance *owner_of(const wf_instance *inst, const wf_frame *base,
                                   const wf_frame *top, const wf_word *pc)
{
    if (function_at(inst, pc) >= 0) return inst;
    for (const wf_frame *f = base; f < top; f++)
        if (f->inst && function_at(f->inst, pc) >= 0) return f->inst;
    return NULL;
}

char *wf_trace_from_fault(const wf_instance *inst, const wf_frame *base, const wf_frame *end,
                          const uintptr_t *regs, int nregs)
{
    const wf_frame *top = base;
    for (int i = 0; i < nregs; i++) {
        uintptr_t r = regs[i];
        if (r >= (uintptr_t)base && r < (uintptr_t)end &&
            (r - (uintptr_t)base) % sizeof(wf_frame) == 0 && r > (uintptr_t)top)
            top = (const wf_frame *)r;
    }
    for (int i = 0; i < nregs; i++) {
        const wf_word *pc = (const wf_word *)regs[i];
        const wf_instance *owner = owner_of(inst, base, top, pc);
        if (owner) return wf_trace_build(owner, pc, base, top);
    }
    return NULL;
}
