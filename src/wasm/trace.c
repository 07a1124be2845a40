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
