/*
 * wat_int.h - what the parts of the text-format compiler share (private to
 * wat*.c): the token array with matched parentheses, the index spaces and
 * their names, the type list, and the error exit.
 *
 * Errors leave by longjmp to wf_wat_compile, so everything allocated while
 * compiling is owned by the wat context (never by C locals) and freed there.
 */
#ifndef WF_WAT_INT_H
#define WF_WAT_INT_H

#include <setjmp.h>

#include "base/arena.h"
#include "base/map.h"
#include "wasm/wat_lex.h"

enum { SP_TYPE, SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_TAG, SP_ELEM, SP_DATA, SP_COUNT };

typedef struct wat_type {
    wf_buf sig;          /* the comptype's encoding: 0x60 vec(params) vec(results),
                          * 0x5F vec(fields) or 0x5E field */
    wf_map fields;       /* a struct's field names -> index */
    bool is_func;
    bool plain;          /* final, no supertypes, alone in its rec group */
    uint32_t nparams;
} wat_type;

typedef struct wat_label {
    const char *name;    /* NULL when unnamed */
    size_t len;
    bool flat;           /* opened by a flat block/loop/if: closed by `end` */
    bool is_if;          /* flat if: may see one `else` */
    bool seen_else;
} wat_label;

/* A frame of the folded-instruction walk (wat_instr.c). */
typedef struct wat_frame {
    int kind;
    size_t end;          /* token index where this frame's sequence stops */
    size_t pend_off, pend_len; /* bytes waiting in wat.pend */
    size_t open;         /* token index of the frame's "(" */
    size_t nlabels;      /* label depth when the frame started */
} wat_frame;

typedef struct wat {
    const char *src;
    size_t srclen;
    wf_wat_token *tok;
    uint32_t *match;     /* for "(": index of its ")" */
    size_t ntok;         /* including the trailing EOF tokens */

    wf_map names[SP_COUNT];   /* $id -> index; keys are context temps */
    uint32_t count[SP_COUNT]; /* running index in the pass that emits */

    wat_type *types;
    size_t ntypes, captypes;
    uint32_t ntype_entries;   /* rec groups emitted in the type section */
    wf_buf sec_type;

    wf_map locals;
    uint32_t nlocals;
    wat_label *labels;
    size_t nlabels, caplabels;
    wat_frame *frames;
    size_t nframes, capframes;
    wf_buf pend;              /* encodings of folded ops awaiting their operands */

    wf_buf *out;              /* where instructions go */
    bool uses_datacount;

    wf_arena temps;           /* allocations freed at the end */
    wf_buf **tbufs;           /* scratch buffers, their bytes freed at the end */
    size_t ntbufs, captbufs;
    bool in_func;             /* local names resolve only in a function body */

    wf_error *err;
    jmp_buf jb;
} wat;

WF_NORETURN void wf_wat_fail(wat *w, size_t at, wf_error_kind kind, const char *fmt, ...) WF_PRINTF(4, 5);
#define wat_malformed(w, at, ...) wf_wat_fail(w, at, WF_ERR_MALFORMED, __VA_ARGS__)

void *wf_wat_temp(wat *w, size_t n);               /* freed with the context */
wf_buf *wf_wat_tbuf(wat *w);                       /* an empty buffer freed with the context */

/* Tokenize src into w->tok / w->match (parentheses matched), or fail. The
 * component text compiler (src/cli/cwat*.c) uses the same context for
 * its tokens, errors and temporaries. */
void wf_wat_tokenize(wat *w, const char *src, size_t len);
/* Free what the context owns (not w itself). */
void wf_wat_ctx_free(wat *w);
/* A string token decoded as a name (must be UTF-8), appended to out with its
 * length prefix. */
void wf_wat_name_string(wat *w, size_t i, wf_buf *out);
/* The decoded bytes of string tokens from *pos up to end, appended to out. */
void wf_wat_strings(wat *w, size_t *pos, size_t end, wf_buf *out);

/* Token tests. */
bool wf_wat_kw(wat *w, size_t i, const char *kw);   /* tok[i] is keyword kw */
bool wf_wat_lkw(wat *w, size_t i, const char *kw);  /* tok[i] is "(" and tok[i+1] is kw */
void wf_wat_expect(wat *w, size_t *pos, wf_wat_tok_kind kind);
void wf_wat_expect_rparen(wat *w, size_t *pos);
WF_NORETURN void wf_wat_unexpected(wat *w, size_t at);

/* Index resolution: an $id or a number; fails with "unknown <space>". */
bool wf_wat_is_index(wat *w, size_t i);
uint32_t wf_wat_index(wat *w, size_t *pos, int space);
/* Decode an id token's name into a context-owned string. */
const char *wf_wat_id(wat *w, size_t i, size_t *len);

/* Types. */
void wf_wat_valtype(wat *w, size_t *pos, wf_buf *out);
bool wf_wat_is_valtype(wat *w, size_t i);
void wf_wat_heaptype(wat *w, size_t *pos, wf_buf *out);
/* A struct field by name (of type index `type`) or number. */
uint32_t wf_wat_field_index(wat *w, size_t *pos, uint32_t type);
/* A typeuse: (type x)? (param ..)* (result ..)*; returns the type index,
 * adding an implicit type when needed. With locals, param ids become local
 * names and *nparams is set. */
uint32_t wf_wat_typeuse(wat *w, size_t *pos, bool locals, uint32_t *nparams);
/* A block type, appended to out. */
void wf_wat_blocktype(wat *w, size_t *pos, wf_buf *out);

/* Instructions (wat_instr.c): compile instrs from *pos up to token end. */
void wf_wat_instrs(wat *w, size_t *pos, size_t end);
/* A constant expression: instructions then `end`. */
void wf_wat_expr(wat *w, size_t *pos, size_t end, wf_buf *out);
void wf_wat_instr_free(wat *w);

#endif
