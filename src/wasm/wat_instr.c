/*
 * wat_instr.c - instructions of the text format, flat and folded, compiled
 * to their binary encoding: opcode names (from opcodes.h), immediates,
 * labels, block types.
 *
 * Folded expressions are walked with an explicit frame stack (wat.frames),
 * never by C recursion, so nesting depth is bounded only by memory. An
 * operator written before its folded operands waits in wat.pend until they
 * are emitted.
 */
#include "wasm/opcodes.h"
#include "wasm/wat_int.h"

#include <pthread.h>

/* ---- The opcode table, sorted by name ---------------------------------- */

typedef struct op_info {
    const char *name;
    uint8_t prefix;
    uint32_t code;
    wf_imm imm;
    int op;
} op_info;

static op_info ops[] = {
#define WF_OP_ROW(e, name, prefix, code, imm, in, out) { name, prefix, code, WF_IMM_##imm, WF_OP_##e },
    WF_OPCODES(WF_OP_ROW)
#undef WF_OP_ROW
};
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static int op_cmp(const void *a, const void *b)
{
    const op_info *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->op - y->op;
}

static void ops_sort(void)
{
    qsort(ops, WF_COUNT(ops), sizeof ops[0], op_cmp);
}

static const op_info *op_find(const char *name, size_t len)
{
    pthread_once(&ops_once, ops_sort);
    size_t lo = 0, hi = WF_COUNT(ops);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(ops[mid].name, name, len);
        if (c == 0 && ops[mid].name[len]) c = 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < WF_COUNT(ops) && strlen(ops[lo].name) == len && !strncmp(ops[lo].name, name, len))
        return &ops[lo];
    return NULL;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && !memcmp(s, p, k);
}

static bool is_unsupported_op(const char *s, size_t n)
{
    static const char *const pre[] = {
        "try", "delegate", "rethrow", "memory.atomic", "atomic.",
    };
    for (size_t k = 0; k < WF_COUNT(pre); k++)
        if (has_prefix(s, n, pre[k])) return true;
    for (size_t k = 0; k + 7 <= n; k++)
        if (!memcmp(s + k, ".atomic", 7)) return true;
    return false;
}

/* ---- Helpers ----------------------------------------------------------- */

enum { F_ARGS, F_BLOCK, F_IF_COND, F_IF_THEN, F_IF_ELSE };

static void push_label(wat *w, size_t idtok, bool flat, bool is_if)
{
    if (w->nlabels == w->caplabels) {
        w->caplabels = w->caplabels ? w->caplabels * 2 : 32;
        w->labels = wf_xrealloc(w->labels, w->caplabels * sizeof *w->labels);
    }
    wat_label *l = &w->labels[w->nlabels++];
    memset(l, 0, sizeof *l);
    l->flat = flat;
    l->is_if = is_if;
    if (idtok && w->tok[idtok].kind == WF_TOK_ID) l->name = wf_wat_id(w, idtok, &l->len);
}

static wat_frame *push_frame(wat *w, int kind, size_t open, size_t end)
{
    if (w->nframes == w->capframes) {
        w->capframes = w->capframes ? w->capframes * 2 : 32;
        w->frames = wf_xrealloc(w->frames, w->capframes * sizeof *w->frames);
    }
    wat_frame *f = &w->frames[w->nframes++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->open = open;
    f->end = end;
    return f;
}

static uint32_t label_index(wat *w, size_t *pos)
{
    size_t i = *pos;
    if (w->tok[i].kind == WF_TOK_ID) {
        size_t len;
        const char *n = wf_wat_id(w, i, &len);
        for (size_t k = w->nlabels; k-- > 0;) {
            wat_label *l = &w->labels[k];
            if (l->name && l->len == len && !memcmp(l->name, n, len)) {
                *pos = i + 1;
                return (uint32_t)(w->nlabels - 1 - k);
            }
        }
        wat_malformed(w, i, "unknown label");
    }
    return wf_wat_index(w, pos, SP_TYPE /* numbers only reach here */);
}

static uint32_t local_index(wat *w, size_t *pos)
{
    size_t i = *pos;
    if (w->tok[i].kind == WF_TOK_ID) {
        size_t len;
        const char *n = wf_wat_id(w, i, &len);
        uint32_t idx;
        if (!w->in_func || !wf_map_find_index(&w->locals, n, len, &idx))
            wat_malformed(w, i, "unknown local");
        *pos = i + 1;
        return idx;
    }
    return wf_wat_index(w, pos, SP_TYPE);
}

/* The label id after block/loop/if, if any: returns its token or 0. */
static size_t opt_label(wat *w, size_t *pos)
{
    if (w->tok[*pos].kind == WF_TOK_ID) return (*pos)++;
    return 0;
}

/* `end $l` / `else $l`: the id must name the innermost label. */
static void check_label_id(wat *w, size_t *pos, const wat_label *l)
{
    size_t i = *pos;
    if (w->tok[i].kind != WF_TOK_ID) return;
    size_t len;
    const char *n = wf_wat_id(w, i, &len);
    if (!l->name || l->len != len || memcmp(l->name, n, len))
        wat_malformed(w, i, "mismatching label");
    *pos = i + 1;
}

static uint32_t natural_align(const char *name)
{
    const char *dot = strchr(name, '.');
    const char *op = dot ? dot + 1 : name;
    const char *digits = op;
    while (*digits && (*digits < '0' || *digits > '9')) digits++;
    if (!strncmp(name, "v128.", 5)) {
        /* v128.load/store: 16 bytes; v128.load8x8_s and the like: 8 */
        if (!*digits) return 16;
        if (strchr(digits, 'x')) return 8;
    }
    if (*digits) {
        int bits = atoi(digits);
        return (uint32_t)(bits / 8);
    }
    return (name[1] == '6') ? 8 : 4;
}

static void num_error(wat *w, size_t i, bool syntax_ok)
{
    if (syntax_ok) wat_malformed(w, i, "constant out of range");
    /* nan:canonical / nan:arithmetic are script patterns, not literals */
    if (w->tok[i].kind == WF_TOK_KEYWORD && !wf_wat_kw(w, i, "nan:canonical") &&
        !wf_wat_kw(w, i, "nan:arithmetic"))
        wat_malformed(w, i, "unknown operator");
    wf_wat_unexpected(w, i);
}

/* The memarg of a load or store; `lane`: a lane index follows it, so a
 * lone number is the lane, not a memory index. */
static void memarg(wat *w, size_t *pos, const op_info *op, wf_buf *out, bool lane)
{
    size_t i = *pos;
    uint32_t mem = 0;
    bool index = wf_wat_is_index(w, i);
    if (index && lane && w->tok[i].kind == WF_TOK_NUMBER) {
        const wf_wat_token *n = &w->tok[i + 1];
        index = n->kind == WF_TOK_NUMBER ||
                (n->kind == WF_TOK_KEYWORD && n->len > 6 &&
                 (!memcmp(n->text, "offset=", 7) || !memcmp(n->text, "align=", 6)));
    }
    if (index) mem = wf_wat_index(w, &i, SP_MEM);
    uint64_t offset = 0;
    uint64_t align = natural_align(op->name);
    const wf_wat_token *t = &w->tok[i];
    if (t->kind == WF_TOK_KEYWORD && t->len > 7 && !memcmp(t->text, "offset=", 7)) {
        if (!wf_wat_num_u64(t->text + 7, t->len - 7, &offset))
            num_error(w, i, wf_wat_is_int(t->text + 7, t->len - 7));
        t = &w->tok[++i];
    }
    if (t->kind == WF_TOK_KEYWORD && t->len > 6 && !memcmp(t->text, "align=", 6)) {
        uint64_t a;
        if (!wf_wat_num_u64(t->text + 6, t->len - 6, &a))
            num_error(w, i, wf_wat_is_int(t->text + 6, t->len - 6));
        if (a == 0 || (a & (a - 1))) wat_malformed(w, i, "alignment");
        align = a;
        i++;
    }
    uint32_t lg = 0;
    while (lg < 63 && (1ull << lg) < align) lg++;
    if (mem) {
        wf_buf_u32leb(out, lg | 0x40);
        wf_buf_u32leb(out, mem);
    } else {
        wf_buf_u32leb(out, lg);
    }
    /* u64 in the binary format: the validator checks it against the
     * memory's address type ("offset out of range") */
    wf_buf_u64leb(out, offset);
    *pos = i;
}

/* A lane index: a number below 256 (the validator checks it against the
 * lane count). */
static uint8_t lane_index(wat *w, size_t *pos)
{
    size_t i = *pos;
    const wf_wat_token *t = &w->tok[i];
    uint64_t v = 0;
    if (t->kind != WF_TOK_NUMBER || t->text[0] == '-' || t->text[0] == '+' ||
        !wf_wat_is_int(t->text, t->len))
        wf_wat_unexpected(w, i);
    if (!wf_wat_num_u64(t->text, t->len, &v) || v > 255) wat_malformed(w, i, "malformed lane index");
    *pos = i + 1;
    return (uint8_t)v;
}

/* v128.const's shape and lanes: 16 bytes, lane 0 first. Integer lanes take
 * signed or unsigned literals of their width. */
static void v128_const(wat *w, size_t *pos, wf_buf *out)
{
    static const struct { const char *name; int lanes, bits; bool fl; } shapes[] = {
        { "i8x16", 16, 8, false }, { "i16x8", 8, 16, false }, { "i32x4", 4, 32, false },
        { "i64x2", 2, 64, false }, { "f32x4", 4, 32, true },  { "f64x2", 2, 64, true },
    };
    size_t i = *pos;
    int s = -1;
    for (int k = 0; k < 6; k++)
        if (wf_wat_kw(w, i, shapes[k].name)) s = k;
    if (s < 0) wat_malformed(w, i, "unexpected token");
    i++;
    int bits = shapes[s].bits;
    for (int k = 0; k < shapes[s].lanes; k++) {
        const wf_wat_token *t = &w->tok[i];
        uint64_t v = 0;
        bool ok = t->kind == WF_TOK_NUMBER;
        if (ok && shapes[s].fl) {
            uint32_t f = 0;
            ok = bits == 32 ? wf_wat_num_f32(t->text, t->len, &f) : wf_wat_num_f64(t->text, t->len, &v);
            if (bits == 32) v = f;
            if (!ok) num_error(w, i, true);
        } else if (ok) {
            ok = wf_wat_num_i64(t->text, t->len, &v);
            if (ok && bits < 64) {
                bool neg = t->text[0] == '-';
                ok = neg ? (int64_t)v >= -((int64_t)1 << (bits - 1)) : v < ((uint64_t)1 << bits);
            }
            if (!ok) num_error(w, i, wf_wat_is_int(t->text, t->len));
        } else {
            wf_wat_unexpected(w, i);
        }
        for (int b = 0; b < bits / 8; b++) wf_buf_byte(out, (uint8_t)(v >> (8 * b)));
        i++;
    }
    *pos = i;
}

/* A cast's reference type at *pos, `(ref null? ht)` or a shorthand like
 * i31ref: its nullability, and its heap type's encoding appended to heap. */
static bool cast_reftype(wat *w, size_t *pos, wf_buf *heap)
{
    size_t at = *pos;
    wf_buf *vt = wf_wat_tbuf(w);
    wf_wat_valtype(w, pos, vt);
    uint8_t b = vt->len ? vt->data[0] : 0;
    bool nullable = b != 0x64;
    if (b == 0x63 || b == 0x64) wf_buf_bytes(heap, vt->data + 1, vt->len - 1);
    else if (b >= 0x69 && b <= 0x74) wf_buf_byte(heap, b);
    else wf_wat_unexpected(w, at);
    wf_buf_free(vt);
    return nullable;
}

/* ref.test / ref.cast rt (the opcode after the given one when rt is
 * nullable) and br_on_cast(_fail) label rt1 rt2 (flags for the two
 * nullabilities). */
static void cast_instr(wat *w, size_t *pos, const op_info *op, wf_buf *out)
{
    size_t i = *pos + 1;
    wf_buf *heaps = wf_wat_tbuf(w);
    wf_buf_byte(out, op->prefix);
    if (op->imm == WF_IMM_CAST) {
        bool nullable = cast_reftype(w, &i, heaps);
        wf_buf_u32leb(out, op->code + nullable);
    } else {
        wf_buf_u32leb(out, op->code);
        uint32_t label = label_index(w, &i);
        uint8_t flags = cast_reftype(w, &i, heaps) ? 1 : 0;
        if (cast_reftype(w, &i, heaps)) flags |= 2;
        wf_buf_byte(out, flags);
        wf_buf_u32leb(out, label);
    }
    wf_buf_bytes(out, heaps->data, heaps->len);
    wf_buf_free(heaps);
    *pos = i;
}

/* Encode the plain (non-block) instruction whose name is at *pos, with its
 * immediates, to out. */
static void plain(wat *w, size_t *pos, const op_info *op, wf_buf *out)
{
    if (op->imm == WF_IMM_CAST || op->imm == WF_IMM_BR_ON_CAST) {
        cast_instr(w, pos, op, out);
        return;
    }
    size_t i = *pos + 1;
    if (op->prefix) {
        wf_buf_byte(out, op->prefix);
        wf_buf_u32leb(out, op->code);
    } else if (op->op != WF_OP_SELECT) {
        wf_buf_byte(out, (uint8_t)op->code);
    }
    const wf_wat_token *t;
    switch (op->imm) {
    case WF_IMM_NONE:
        if (op->op == WF_OP_SELECT) {
            if (wf_wat_lkw(w, i, "result")) {
                wf_buf *tys = wf_wat_tbuf(w);
                uint32_t n = 0;
                while (wf_wat_lkw(w, i, "result")) {
                    size_t close = w->match[i];
                    i += 2;
                    while (i < close) {
                        wf_wat_valtype(w, &i, tys);
                        n++;
                    }
                    i = close + 1;
                }
                wf_buf_byte(out, 0x1C);
                wf_buf_u32leb(out, n);
                wf_buf_bytes(out, tys->data, tys->len);
                wf_buf_free(tys);
            } else {
                wf_buf_byte(out, 0x1B);
            }
        }
        break;
    case WF_IMM_LABEL:
        wf_buf_u32leb(out, label_index(w, &i));
        break;
    case WF_IMM_BR_TABLE: {
        wf_buf *ls = wf_wat_tbuf(w);
        uint32_t n = 0;
        while (wf_wat_is_index(w, i)) {
            wf_buf_u32leb(ls, label_index(w, &i));
            n++;
        }
        if (!n) wf_wat_unexpected(w, i);
        wf_buf_u32leb(out, n - 1);
        wf_buf_bytes(out, ls->data, ls->len);
        wf_buf_free(ls);
        break;
    }
    case WF_IMM_FUNC:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_FUNC));
        break;
    case WF_IMM_CALL_INDIRECT: {
        uint32_t table = 0;
        if (wf_wat_is_index(w, i)) table = wf_wat_index(w, &i, SP_TABLE);
        uint32_t type = wf_wat_typeuse(w, &i, false, NULL);
        wf_buf_u32leb(out, type);
        wf_buf_u32leb(out, table);
        break;
    }
    case WF_IMM_TYPE:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        break;
    case WF_IMM_FIELD: {
        uint32_t type = wf_wat_index(w, &i, SP_TYPE);
        wf_buf_u32leb(out, type);
        wf_buf_u32leb(out, wf_wat_field_index(w, &i, type));
        break;
    }
    case WF_IMM_TYPE_N: {
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        uint32_t n = 0;
        t = &w->tok[i];
        if (t->kind != WF_TOK_NUMBER || !wf_wat_num_u32(t->text, t->len, &n)) wf_wat_unexpected(w, i);
        wf_buf_u32leb(out, n);
        i++;
        break;
    }
    case WF_IMM_TYPE_DATA:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_DATA));
        w->uses_datacount = true;
        break;
    case WF_IMM_TYPE_ELEM:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_ELEM));
        break;
    case WF_IMM_TYPE_TYPE:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TYPE));
        break;
    case WF_IMM_LOCAL:
        wf_buf_u32leb(out, local_index(w, &i));
        break;
    case WF_IMM_GLOBAL:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_GLOBAL));
        break;
    case WF_IMM_TABLE: {
        uint32_t table = 0;
        if (wf_wat_is_index(w, i)) table = wf_wat_index(w, &i, SP_TABLE);
        wf_buf_u32leb(out, table);
        break;
    }
    case WF_IMM_MEMORY: {
        uint32_t mem = 0;
        if (wf_wat_is_index(w, i)) mem = wf_wat_index(w, &i, SP_MEM);
        wf_buf_u32leb(out, mem);
        break;
    }
    case WF_IMM_MEMARG:
        memarg(w, &i, op, out, false);
        break;
    case WF_IMM_MEMARG_LANE:
        memarg(w, &i, op, out, true);
        wf_buf_byte(out, lane_index(w, &i));
        break;
    case WF_IMM_LANE:
        wf_buf_byte(out, lane_index(w, &i));
        break;
    case WF_IMM_SHUFFLE:
        for (int k = 0; k < 16; k++) wf_buf_byte(out, lane_index(w, &i));
        break;
    case WF_IMM_V128:
        v128_const(w, &i, out);
        break;
    case WF_IMM_I32: {
        uint32_t v = 0;   /* num_error reports; decoding goes on */
        t = &w->tok[i];
        if (t->kind != WF_TOK_NUMBER || !wf_wat_num_i32(t->text, t->len, &v))
            num_error(w, i, t->kind == WF_TOK_NUMBER && wf_wat_is_int(t->text, t->len));
        wf_buf_s32leb(out, (int32_t)v);
        i++;
        break;
    }
    case WF_IMM_I64: {
        uint64_t v = 0;   /* num_error reports; decoding goes on */
        t = &w->tok[i];
        if (t->kind != WF_TOK_NUMBER || !wf_wat_num_i64(t->text, t->len, &v))
            num_error(w, i, t->kind == WF_TOK_NUMBER && wf_wat_is_int(t->text, t->len));
        wf_buf_s64leb(out, (int64_t)v);
        i++;
        break;
    }
    case WF_IMM_F32: {
        uint32_t v = 0;   /* num_error reports; decoding goes on */
        t = &w->tok[i];
        if (t->kind != WF_TOK_NUMBER || !wf_wat_num_f32(t->text, t->len, &v))
            num_error(w, i, t->kind == WF_TOK_NUMBER);
        wf_buf_u32le(out, v);
        i++;
        break;
    }
    case WF_IMM_F64: {
        uint64_t v = 0;   /* num_error reports; decoding goes on */
        t = &w->tok[i];
        if (t->kind != WF_TOK_NUMBER || !wf_wat_num_f64(t->text, t->len, &v))
            num_error(w, i, t->kind == WF_TOK_NUMBER);
        wf_buf_u64le(out, v);
        i++;
        break;
    }
    case WF_IMM_HEAPTYPE:
        wf_wat_heaptype(w, &i, out);
        break;
    case WF_IMM_MEMORY_INIT: {
        uint32_t mem = 0, data;
        if (wf_wat_is_index(w, i + 1) && wf_wat_is_index(w, i)) mem = wf_wat_index(w, &i, SP_MEM);
        data = wf_wat_index(w, &i, SP_DATA);
        wf_buf_u32leb(out, data);
        wf_buf_u32leb(out, mem);
        w->uses_datacount = true;
        break;
    }
    case WF_IMM_DATA:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_DATA));
        w->uses_datacount = true;
        break;
    case WF_IMM_MEMORY_COPY: {
        uint32_t d = 0, s = 0;
        if (wf_wat_is_index(w, i)) {
            d = wf_wat_index(w, &i, SP_MEM);
            s = wf_wat_index(w, &i, SP_MEM);
        }
        wf_buf_u32leb(out, d);
        wf_buf_u32leb(out, s);
        break;
    }
    case WF_IMM_TABLE_INIT: {
        uint32_t table = 0, elem;
        if (wf_wat_is_index(w, i + 1) && wf_wat_is_index(w, i)) table = wf_wat_index(w, &i, SP_TABLE);
        elem = wf_wat_index(w, &i, SP_ELEM);
        wf_buf_u32leb(out, elem);
        wf_buf_u32leb(out, table);
        break;
    }
    case WF_IMM_ELEM:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_ELEM));
        break;
    case WF_IMM_TABLE_COPY: {
        uint32_t d = 0, s = 0;
        if (wf_wat_is_index(w, i)) {
            d = wf_wat_index(w, &i, SP_TABLE);
            s = wf_wat_index(w, &i, SP_TABLE);
        }
        wf_buf_u32leb(out, d);
        wf_buf_u32leb(out, s);
        break;
    }
    case WF_IMM_TAG:
        wf_buf_u32leb(out, wf_wat_index(w, &i, SP_TAG));
        break;
    case WF_IMM_SELECT_T:
    case WF_IMM_BLOCK:
    case WF_IMM_TRY_TABLE:
    case WF_IMM_CAST:
    case WF_IMM_BR_ON_CAST:
        wf_wat_fail(w, *pos, WF_ERR_UNSUPPORTED, "instruction %s is not supported", op->name);
    }
    *pos = i;
}

static const op_info *lookup(wat *w, size_t i)
{
    const wf_wat_token *t = &w->tok[i];
    static const char *const structural[] = {
        "param", "result", "type", "local", "then", "else", "item", "export", "import",
        "offset", "mut", "ref", "table", "memory", "elem", "data", "func", "global",
    };
    for (size_t k = 0; k < WF_COUNT(structural); k++)
        if (w->tok[i - 1].kind == WF_TOK_LPAREN && wf_wat_tok_is(t, structural[k]))
            wf_wat_unexpected(w, i);
    if (t->kind != WF_TOK_KEYWORD) {
        if (t->kind == WF_TOK_RESERVED) wat_malformed(w, i, "unknown operator");
        wf_wat_unexpected(w, i);
    }
    const op_info *op = op_find(t->text, t->len);
    if (!op) {
        if (is_unsupported_op(t->text, t->len) && !memchr(t->text, '/', t->len) &&
            !memchr(t->text, ':', t->len))
            wf_wat_fail(w, i, WF_ERR_UNSUPPORTED, "instruction %.*s is not supported", (int)t->len, t->text);
        wat_malformed(w, i, "unknown operator %.*s", (int)t->len, t->text);
    }
    return op;
}

/* ---- The walk ---------------------------------------------------------- */

/* try_table's catch clauses after its block type: (catch tag label),
 * (catch_ref tag label), (catch_all label), (catch_all_ref label), their
 * labels named outside the try_table (its own label is not pushed yet). */
static void catch_clauses(wat *w, size_t *pos, wf_buf *out)
{
    static const char *const kinds[] = { "catch", "catch_ref", "catch_all", "catch_all_ref" };
    size_t i = *pos;
    wf_buf clauses;
    memset(&clauses, 0, sizeof clauses);
    uint32_t n = 0;
    for (;;) {
        int kind = -1;
        for (int k = 0; k < 4 && kind < 0; k++)
            if (wf_wat_lkw(w, i, kinds[k])) kind = k;
        if (kind < 0) break;
        size_t close = w->match[i];
        i += 2;
        wf_buf_byte(&clauses, (uint8_t)kind);
        if (kind < 2) wf_buf_u32leb(&clauses, wf_wat_index(w, &i, SP_TAG));
        wf_buf_u32leb(&clauses, label_index(w, &i));
        if (i != close) wf_wat_unexpected(w, i);
        i = close + 1;
        n++;
    }
    wf_buf_u32leb(out, n);
    wf_buf_bytes(out, clauses.data, clauses.len);
    wf_buf_free(&clauses);
    *pos = i;
}

/* A folded instruction at *pos (its "("): push its frame. */
static void folded(wat *w, size_t *pos)
{
    size_t open = *pos, close = w->match[open];
    size_t i = open + 1;
    const op_info *op = lookup(w, i);
    if (op->op == WF_OP_BLOCK || op->op == WF_OP_LOOP || op->op == WF_OP_TRY_TABLE) {
        wf_buf_byte(w->out, (uint8_t)op->code);
        i++;
        size_t lab = opt_label(w, &i);
        wf_wat_blocktype(w, &i, w->out);
        if (op->op == WF_OP_TRY_TABLE) catch_clauses(w, &i, w->out);
        push_label(w, lab, false, false);
        wat_frame *f = push_frame(w, F_BLOCK, open, close);
        f->nlabels = w->nlabels;
        *pos = i;
        return;
    }
    if (op->op == WF_OP_IF) {
        i++;
        size_t lab = opt_label(w, &i);
        size_t off = w->pend.len;
        wf_buf_byte(&w->pend, 0x04);
        wf_wat_blocktype(w, &i, &w->pend);
        /* find (then ...) among the children */
        size_t j = i;
        while (j < close && w->tok[j].kind == WF_TOK_LPAREN && !wf_wat_lkw(w, j, "then"))
            j = w->match[j] + 1;
        if (!wf_wat_lkw(w, j, "then")) wf_wat_unexpected(w, j);
        wat_frame *f = push_frame(w, F_IF_COND, open, j);
        f->pend_off = off;
        f->pend_len = w->pend.len - off;
        f->nlabels = lab; /* the label token until the label is pushed */
        *pos = i;
        return;
    }
    if (op->op == WF_OP_END || op->op == WF_OP_ELSE) wf_wat_unexpected(w, i);
    size_t off = w->pend.len;
    plain(w, &i, op, &w->pend);
    wat_frame *f = push_frame(w, F_ARGS, open, close);
    f->pend_off = off;
    f->pend_len = w->pend.len - off;
    *pos = i;
}

/* A flat instruction at *pos. */
static void flat(wat *w, size_t *pos)
{
    size_t i = *pos;
    const op_info *op = lookup(w, i);
    switch (op->op) {
    case WF_OP_BLOCK:
    case WF_OP_LOOP:
    case WF_OP_IF:
    case WF_OP_TRY_TABLE: {
        wf_buf_byte(w->out, (uint8_t)op->code);
        i++;
        size_t lab = opt_label(w, &i);
        wf_wat_blocktype(w, &i, w->out);
        if (op->op == WF_OP_TRY_TABLE) catch_clauses(w, &i, w->out);
        push_label(w, lab, true, op->op == WF_OP_IF);
        break;
    }
    case WF_OP_ELSE: {
        if (!w->nlabels || !w->labels[w->nlabels - 1].flat || !w->labels[w->nlabels - 1].is_if ||
            w->labels[w->nlabels - 1].seen_else)
            wf_wat_unexpected(w, i);
        wat_label *l = &w->labels[w->nlabels - 1];
        i++;
        check_label_id(w, &i, l);
        l->seen_else = true;
        wf_buf_byte(w->out, 0x05);
        break;
    }
    case WF_OP_END: {
        if (!w->nlabels || !w->labels[w->nlabels - 1].flat) wf_wat_unexpected(w, i);
        i++;
        check_label_id(w, &i, &w->labels[w->nlabels - 1]);
        w->nlabels--;
        wf_buf_byte(w->out, 0x0B);
        break;
    }
    default:
        plain(w, &i, op, w->out);
        break;
    }
    *pos = i;
}

/* Reached the end of the top frame's sequence at *pos. */
static void finish(wat *w, size_t *pos)
{
    wat_frame *f = &w->frames[w->nframes - 1];
    size_t i = *pos;
    switch (f->kind) {
    case F_ARGS:
        wf_buf_bytes(w->out, w->pend.data + f->pend_off, f->pend_len);
        w->pend.len = f->pend_off;
        w->nframes--;
        *pos = i + 1;
        return;
    case F_BLOCK:
        if (w->nlabels != f->nlabels) wf_wat_unexpected(w, i);
        wf_buf_byte(w->out, 0x0B);
        w->nlabels--;
        w->nframes--;
        *pos = i + 1;
        return;
    case F_IF_COND:
        wf_buf_bytes(w->out, w->pend.data + f->pend_off, f->pend_len);
        w->pend.len = f->pend_off;
        push_label(w, f->nlabels, false, false);
        f->nlabels = w->nlabels;
        f->kind = F_IF_THEN;
        f->end = w->match[i];
        *pos = i + 2;
        return;
    case F_IF_THEN:
    case F_IF_ELSE:
        if (w->nlabels != f->nlabels) wf_wat_unexpected(w, i);
        i++;
        if (f->kind == F_IF_THEN && wf_wat_lkw(w, i, "else")) {
            wf_buf_byte(w->out, 0x05);
            f->kind = F_IF_ELSE;
            f->end = w->match[i];
            *pos = i + 2;
            return;
        }
        if (i != w->match[f->open]) wf_wat_unexpected(w, i);
        wf_buf_byte(w->out, 0x0B);
        w->nlabels--;
        w->nframes--;
        *pos = i + 1;
        return;
    }
}

void wf_wat_instrs(wat *w, size_t *pos, size_t end)
{
    size_t base = w->nframes, label_base = w->nlabels;
    size_t i = *pos;
    for (;;) {
        bool in_frame = w->nframes > base;
        size_t stop = in_frame ? w->frames[w->nframes - 1].end : end;
        if (i == stop) {
            if (!in_frame) break;
            finish(w, &i);
            continue;
        }
        if (i > stop) wf_wat_unexpected(w, stop);
        int kind = in_frame ? w->frames[w->nframes - 1].kind : -1;
        if (w->tok[i].kind == WF_TOK_LPAREN) {
            folded(w, &i);
        } else if (kind == F_ARGS || kind == F_IF_COND) {
            wf_wat_unexpected(w, i);
        } else {
            flat(w, &i);
        }
    }
    if (w->nlabels != label_base) wf_wat_unexpected(w, i);
    *pos = i;
}

void wf_wat_expr(wat *w, size_t *pos, size_t end, wf_buf *out)
{
    wf_buf *saved = w->out;
    bool saved_in = w->in_func;
    w->out = out;
    w->in_func = false;
    wf_wat_instrs(w, pos, end);
    wf_buf_byte(out, 0x0B);
    w->out = saved;
    w->in_func = saved_in;
}

void wf_wat_instr_free(wat *w)
{
    free(w->labels);
    free(w->frames);
    wf_buf_free(&w->pend);
}
