/*
 * interp.h - the interpreter's internal code (made by compile.c, run by
 * interp.c): a stream of words, each instruction a handler address
 * (direct threading) followed by its operands (slot indices, immediates,
 * code addresses).
 */
#ifndef WF_INTERP_H
#define WF_INTERP_H

#include "wasm/code.h"

typedef uintptr_t wf_word;

struct wf_code {
    wf_word *words;         /* the code stream; owned */
    size_t len;
    uint32_t nparams, nresults;
    uint32_t nlocals;       /* params + declared locals */
    uint32_t frame_slots;   /* locals + the deepest operand stack */
    uint32_t func_index;
};

#endif
