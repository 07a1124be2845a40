/*
 * compile_ctrl.c - control flow in the compiler's single pass (compile.c):
 * the control frames (block, loop, if, the function itself), their labels
 * and the branches to them (the values a label takes moved into its slots;
 * forward targets patched at `end`), and the control instructions.
 */
#include "wasm/fuse.h"
#include "wasm/gc.h"

/* ---- block types --------------------------------------------------------- */

static inline uint32_t bt_nparams(const ctrl *f) { return f->ft ? f->ft->nparams : 0; }
static inline uint32_t bt_nresults(const ctrl *f) { return f->ft ? f->ft->nresults : f->has_one; }
static inline wf_valtype bt_param(const ctrl *f, uint32_t i) { return f->ft->params[i]; }
static inline wf_valtype bt_result(const ctrl *f, uint32_t i) { return f->ft ? f->ft->results[i] : f->one; }
static inline uint32_t label_arity(const ctrl *f) { return f->kind == K_LOOP ? bt_nparams(f) : bt_nresults(f); }
static inline wf_valtype label_type(const ctrl *f, uint32_t i) { return f->kind == K_LOOP ? bt_param(f, i) : bt_result(f, i); }

/* Pop n values of the given label's types (into vals[0..n)), checking them. */
static bool pop_label_vals(cc *c, const ctrl *L, uint32_t n, sval *vals)
{
    for (uint32_t i = n; i-- > 0;)
        if (!wf_cc_pop_expect(c, label_type(L, i), &vals[i])) return false;
    return true;
}
static void repush(cc *c, const ctrl *L, uint32_t n, const sval *vals)
{
    for (uint32_t i = 0; i < n; i++) push_at(c, label_type(L, i), vals[i].slot);
}
/* Push back popped values as they were (the unknown type stays unknown). */
static void repush_vals(cc *c, uint32_t n, const sval *vals)
{
    for (uint32_t i = 0; i < n; i++) push_at(c, vals[i].t, vals[i].slot);
}

/* ---- branches ------------------------------------------------------------ */

/* The return sequence: the top nres values (vals) to slots 0.. then RETURN. */
static void emit_return(cc *c, const sval *vals, uint32_t n)
{
    if (!c->live) return;
    /* a source local below the result slots would be overwritten by an
     * earlier move */
    uint32_t nslots = wf_cc_vals_slots(vals, n);
    bool clash = false;
    for (uint32_t i = 0, at = 0; i < n; at += wf_valtype_slots(vals[i].t), i++)
        if (vals[i].slot < nslots && vals[i].slot != at && vals[i].slot < c->nlslots) clash = true;
    if (clash) {
        /* copy the clashing ones to their homes first (homes are >= nlslots) */
        for (uint32_t i = 0; i < n; i++) {
            if (vals[i].slot < c->nlslots && vals[i].slot != vals[i].home) {
                wf_cc_move_typed(c, vals[i].t, vals[i].home, vals[i].slot);
            }
        }
        for (uint32_t i = 0, at = 0; i < n; at += wf_valtype_slots(vals[i].t), i++)
            wf_cc_move_typed(c, vals[i].t, at, vals[i].slot < c->nlslots ? vals[i].home : vals[i].slot);
    } else if (n == 1 && vals[0].t.kind != WF_V128 && wf_fuse_return_slot(c, &vals[0])) {
        return;
    } else if (n == 1) {
        wf_cc_move_to(c, 0, &vals[0]);
        if (vals[0].t.kind != WF_V128 && wf_fuse_return_add(c)) return;
    } else {
        for (uint32_t i = 0, at = 0; i < n; at += wf_valtype_slots(vals[i].t), i++)
            wf_cc_move_typed(c, vals[i].t, at, vals[i].slot);
    }
    emit_op(c, WF_IOP_RETURN);
}

static bool needs_moves(cc *c, const ctrl *L, const sval *vals, uint32_t n)
{
    if (L->kind == K_FUNC) return true;
    for (uint32_t i = 0, at = L->label_slot; i < n; at += wf_valtype_slots(vals[i].t), i++)
        if (vals[i].slot != at) return true;
    return false;
}

/* Move vals[0..n) to the label slots from `slot` on, one after the other. */
static void move_to_label(cc *c, uint32_t slot, const sval *vals, uint32_t n)
{
    for (uint32_t i = 0; i < n; slot += wf_valtype_slots(vals[i].t), i++)
        wf_cc_move_typed(c, vals[i].t, slot, vals[i].slot);
}

/* Make code word `site` jump to label L. */
static void target_label(cc *c, size_t site, ctrl *L)
{
    if (L->kind == K_LOOP) {
        c->code.data[site] = L->loop_pc;
    } else {
        c->code.data[site] = L->patches;
        L->patches = site;
    }
}
static void emit_label_addr(cc *c, ctrl *L)
{
    if (!c->live) return;
    emit_addr(c, 0);
    target_label(c, c->code.len - 1, L);
}

/* BR's opcode (its target follows). */
static void emit_br_op(cc *c)
{
    if (!wf_fuse_br(c)) emit_op(c, WF_IOP_BR);
}

/* Unconditional branch to L carrying vals[0..n); `last` when the values are
 * dead after it (not a stub of a conditional branch), so their producer may
 * be retargeted. */
static void emit_branch(cc *c, ctrl *L, const sval *vals, uint32_t n, bool last)
{
    if (!c->live) return;
    if (L->kind == K_FUNC) {
        if (!last) no_prod(c);
        emit_return(c, vals, n);
        return;
    }
    if (n == 1 && last) wf_cc_move_to(c, L->label_slot, &vals[0]);
    else move_to_label(c, L->label_slot, vals, n);
    emit_br_op(c);
    emit_label_addr(c, L);
}

/* The opcode and operands of a conditional branch (its target follows). */
static void emit_branch_head(cc *c, wf_iop op, const wf_word *ops, int nops)
{
    if (!c->live || wf_fuse_branch_head(c, op, ops, nops)) return;
    emit_op(c, op);
    for (int i = 0; i < nops; i++) emit(c, ops[i]);
}

/* A conditional branch: `op` (BR_IF, BR_ON_NULL, ...) taken to L when
 * no values need moving, else the inverse `inv` skips a move+branch stub. */
static void emit_cond_branch(cc *c, wf_iop op, wf_iop inv, const wf_word *ops, int nops,
                             ctrl *L, const sval *vals, uint32_t n)
{
    if (!c->live) return;
    if (!needs_moves(c, L, vals, n)) {
        emit_branch_head(c, op, ops, nops);
        emit_label_addr(c, L);
        return;
    }
    emit_branch_head(c, inv, ops, nops);
    emit_addr(c, 0);
    size_t skip = c->code.len - 1;
    emit_branch(c, L, vals, n, false);
    c->code.data[skip] = c->code.len;
    mark_label(c);
}

static bool read_label(cc *c, ctrl **out)
{
    uint32_t d;
    if (!wf_read_u32(&c->r, &d)) return false;
    if (d >= c->cs.len) return wf_cc_fail(c, WF_ERR_INVALID, "unknown label");
    *out = &c->cs.data[c->cs.len - 1 - d];
    return true;
}

/* ---- control frames ------------------------------------------------------ */

/* Open a frame whose block type is in *nf (kind set); its params are popped
 * and pushed back as the frame's first values. */
static bool push_ctrl(cc *c, ctrl *nf)
{
    uint32_t np = bt_nparams(nf);
    sval small[8];
    sval *vals = np <= 8 ? small : wf_xmalloc(np * sizeof(sval));
    wf_cc_materialize_frame(c);
    for (uint32_t i = np; i-- > 0;) {
        if (!wf_cc_pop_expect(c, bt_param(nf, i), &vals[i])) {
            if (vals != small) free(vals);
            return false;
        }
    }
    nf->height = (uint32_t)c->st.len;
    nf->slot_base = nf->label_slot = next_home(c);
    nf->unreachable = false;
    nf->live_entry = c->live;
    nf->init_height = (uint32_t)c->inits.len;
    nf->patches = 0;
    nf->else_patch = 0;
    nf->loop_pc = 0;
    wf_vec_push(&c->cs, *nf);
    for (uint32_t i = 0; i < np; i++) push_at(c, bt_param(nf, i), UINT32_MAX);
    if (vals != small) free(vals);
    return true;
}

static void resolve_patches(cc *c, size_t list, size_t here)
{
    while (list) {
        size_t next = c->code.data[list];
        c->code.data[list] = here;
        list = next;
    }
}

static void reset_inits(cc *c, uint32_t height)
{
    while (c->inits.len > height) c->linit[wf_vec_pop(&c->inits)] = 0;
}

/* Check the frame's results are exactly what is on the stack (an `end` or
 * `else`), and move them to the label slots when reachable. */
static bool finish_arm(cc *c, ctrl *f)
{
    uint32_t n = bt_nresults(f);
    sval small[8];
    sval *vals = n <= 8 ? small : wf_xmalloc(n * sizeof(sval));
    bool ok = true;
    for (uint32_t i = n; i-- > 0;)
        if (!wf_cc_pop_expect(c, bt_result(f, i), &vals[i])) { ok = false; break; }
    if (ok && c->st.len != f->height) ok = MISMATCH(c);
    if (ok && c->live) {
        if (f->kind == K_FUNC) emit_return(c, vals, n);
        else if (n == 1) wf_cc_move_to(c, f->label_slot, &vals[0]);
        else move_to_label(c, f->label_slot, vals, n);
    }
    if (vals != small) free(vals);
    return ok;
}

/* ---- the control instructions -------------------------------------------- */

static bool op_block(cc *c, wf_opcode op)
{
    no_prod(c);
    ctrl nf;
    memset(&nf, 0, sizeof nf);
    nf.kind = op == WF_OP_BLOCK ? K_BLOCK : K_LOOP;
    if (!wf_cc_read_blocktype(c, &nf) || !push_ctrl(c, &nf)) return false;
    if (nf.kind == K_LOOP) {
        top_ctrl(c)->loop_pc = c->code.len;
        mark_label(c);
        c->seen_loop = true;
    }
    return true;
}

static bool op_if(cc *c, wf_opcode op)
{
    sval a;
    ctrl nf;
    memset(&nf, 0, sizeof nf);
    nf.kind = K_IF;
    if (!wf_cc_read_blocktype(c, &nf)) return false;
    if (!wf_cc_pop_num(c, WF_I32, &a)) return false;
    /* A fused compare reads its operands after push_ctrl's moves:
     * those only write homes below the compare's operands. */
    wf_word ops[2];
    int nops;
    wf_iop yes, no;
    wf_fuse_cond(c, &a, ops, &nops, &yes, &no);
    no_prod(c);
    if (!push_ctrl(c, &nf)) return false;
    ctrl *f = top_ctrl(c);
    emit_branch_head(c, no, ops, nops);
    if (c->live) {
        emit_addr(c, 0);
        f->else_patch = c->code.len - 1;
    }
    uint32_t np = bt_nparams(f);
    if (np) {
        /* The then arm works above a copy of the params so the else
         * arm still finds them in the label slots. */
        uint32_t width = wf_cc_vals_slots(&c->st.data[f->height], np);
        f->slot_base = f->label_slot + width;
        for (uint32_t i = 0, at = 0; i < np; i++) {
            sval *p = &c->st.data[f->height + i];
            uint32_t w = wf_valtype_slots(p->t);
            p->home = p->slot = f->slot_base + at;
            wf_cc_move_typed(c, p->t, p->slot, f->label_slot + at);
            use_slot(c, p->slot + w);
            at += w;
        }
    }
    return true;
}

static bool op_else(cc *c, wf_opcode op)
{
    ctrl *f = top_ctrl(c);
    if (f->kind != K_IF) return wf_cc_fail(c, WF_ERR_MALFORMED, "else without if");
    if (!finish_arm(c, f)) return false;
    no_prod(c);
    if (c->live) {
        emit_br_op(c);
        emit_label_addr(c, f);
    }
    c->live = f->live_entry;
    if (f->else_patch) c->code.data[f->else_patch] = c->code.len;
    mark_label(c);
    f->else_patch = 0;
    f->kind = K_ELSE;
    f->unreachable = false;
    f->slot_base = f->label_slot;
    reset_inits(c, f->init_height);
    for (uint32_t i = 0; i < bt_nparams(f); i++) push(c, bt_param(f, i));
    return true;
}

static bool op_end(cc *c, wf_opcode op)
{
    ctrl *f = top_ctrl(c);
    if (f->kind == K_IF) {
        /* no else: the params pass through as the results */
        uint32_t np = bt_nparams(f), nr = bt_nresults(f);
        if (np != nr) return MISMATCH(c);
        for (uint32_t i = 0; i < np; i++)
            if (!wf_valtype_sub(bt_param(f, i), bt_result(f, i))) return MISMATCH(c);
    }
    if (!finish_arm(c, f)) return false;
    no_prod(c);
    if (f->kind == K_FUNC) {
        c->cs.len--;
        return true;
    }
    ctrl done = *f;
    c->cs.len--;
    c->live = done.live_entry;
    if (c->live) {
        size_t here = c->code.len;
        resolve_patches(c, done.patches, here);
        if (done.else_patch) c->code.data[done.else_patch] = here;
    }
    mark_label(c);
    reset_inits(c, done.init_height);
    for (uint32_t i = 0; i < bt_nresults(&done); i++) push(c, bt_result(&done, i));
    return true;
}

static bool op_br(cc *c, wf_opcode op)
{
    ctrl *L;
    if (!read_label(c, &L)) return false;
    uint32_t n = label_arity(L);
    sval small[8];  /* no allocation for the usual arities (a malloc per branch showed in a load's profile) */
    sval *vals = n < 8 ? small : wf_xmalloc((n + 1) * sizeof(sval));
    bool ok = pop_label_vals(c, L, n, vals);
    if (ok) emit_branch(c, L, vals, n, true);
    if (vals != small) free(vals);
    if (!ok) return false;
    wf_cc_set_unreachable(c);
    return true;
}

static bool op_br_if(cc *c, wf_opcode op)
{
    sval a;
    ctrl *L;
    if (!read_label(c, &L)) return false;
    if (!wf_cc_pop_num(c, WF_I32, &a)) return false;
    wf_word ops[2];
    int nops;
    wf_iop yes, no;
    wf_fuse_cond(c, &a, ops, &nops, &yes, &no);
    uint32_t n = label_arity(L);
    sval small[8];
    sval *vals = n < 8 ? small : wf_xmalloc((n + 1) * sizeof(sval));
    bool ok = pop_label_vals(c, L, n, vals);
    if (ok) {
        emit_cond_branch(c, yes, no, ops, nops, L, vals, n);
        repush(c, L, n, vals);
    }
    if (vals != small) free(vals);
    return ok;
}

static bool op_br_table(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a;
    uint32_t n;
    if (!wf_read_u32(r, &n)) return false;
    if (n > wf_reader_left(r)) return wf_cc_fail(c, WF_ERR_MALFORMED, "unexpected end");
    uint32_t *depths = wf_xmalloc(((size_t)n + 1) * sizeof(uint32_t));
    bool ok = true;
    for (uint32_t i = 0; i <= n && ok; i++) {
        ok = wf_read_u32(r, &depths[i]);
        if (ok && depths[i] >= c->cs.len) ok = wf_cc_fail(c, WF_ERR_INVALID, "unknown label");
    }
    if (ok) ok = wf_cc_pop_num(c, WF_I32, &a);
    ctrl *D = ok ? &c->cs.data[c->cs.len - 1 - depths[n]] : NULL;
    uint32_t arity = D ? label_arity(D) : 0;
    sval *vals = wf_xmalloc((arity + 1) * sizeof(sval));
    for (uint32_t i = 0; i <= n && ok; i++) {
        ctrl *L = &c->cs.data[c->cs.len - 1 - depths[i]];
        if (label_arity(L) != arity) { ok = MISMATCH(c); break; }
        ok = pop_label_vals(c, L, arity, vals);
        if (ok) repush_vals(c, arity, vals);
    }
    if (ok) ok = pop_label_vals(c, D, arity, vals);
    if (ok && c->live) {
        emit_op(c, WF_IOP_BR_TABLE);
        emit(c, a.slot);
        emit(c, n);
        size_t first = c->code.len;
        for (uint32_t i = 0; i <= n; i++) emit_addr(c, 0);
        for (uint32_t i = 0; i <= n; i++) {
            ctrl *L = &c->cs.data[c->cs.len - 1 - depths[i]];
            if (needs_moves(c, L, vals, arity)) {
                c->code.data[first + i] = c->code.len;
                mark_label(c);
                emit_branch(c, L, vals, arity, false);
            } else {
                target_label(c, first + i, L);
            }
        }
    }
    free(vals);
    free(depths);
    if (!ok) return false;
    wf_cc_set_unreachable(c);
    return true;
}

static bool op_return(cc *c, wf_opcode op)
{
    uint32_t n = c->ft->nresults;
    sval *vals = wf_xmalloc((n + 1) * sizeof(sval));
    bool ok = true;
    for (uint32_t i = n; i-- > 0 && ok;) ok = wf_cc_pop_expect(c, c->ft->results[i], &vals[i]);
    if (ok) emit_return(c, vals, n);
    free(vals);
    if (!ok) return false;
    wf_cc_set_unreachable(c);
    return true;
}

static bool op_br_on_null(cc *c, wf_opcode op)
{
    sval a;
    ctrl *L;
    if (!read_label(c, &L)) return false;
    if (!wf_cc_pop_any(c, &a)) return false;
    if (!is_ref_or_bot(a.t)) return MISMATCH(c);
    wf_valtype nn = a.t;
    nn.nullable = 0;
    wf_word refop = a.slot;
    uint32_t n = label_arity(L);
    sval *vals = wf_xmalloc((n + 1) * sizeof(sval));
    bool ok = true;
    if (op == WF_OP_BR_ON_NULL) {
        ok = pop_label_vals(c, L, n, vals);
        if (ok) {
            emit_cond_branch(c, WF_IOP_BR_ON_NULL, WF_IOP_BR_ON_NON_NULL, &refop, 1, L, vals, n);
            repush(c, L, n, vals);
            if (nn.kind == KIND_BOT) push(c, nn);
            else push_at(c, nn, a.slot);
        }
    } else {
        if (n == 0) ok = MISMATCH(c);
        if (ok) {
            if (nn.kind == KIND_BOT) push(c, nn);
            else push_at(c, nn, a.slot);
            ok = pop_label_vals(c, L, n, vals);
        }
        if (ok) {
            emit_cond_branch(c, WF_IOP_BR_ON_NON_NULL, WF_IOP_BR_ON_NULL, &refop, 1, L, vals, n);
            repush(c, L, n - 1, vals);
        }
    }
    free(vals);
    return ok;
}

/* br_on_cast / br_on_cast_fail flags label rt1 rt2: the reference (of rt1)
 * goes to the label when it is (is not) of rt2; else it stays, typed
 * rt1 minus rt2 (or rt2). */
static bool op_br_on_cast(cc *c, wf_opcode op)
{
    uint8_t flags;
    ctrl *L;
    wf_valtype t1, t2;
    if (!wf_read_u8(&c->r, &flags)) return false;
    if (flags > 3) return wf_cc_fail(c, WF_ERR_MALFORMED, "malformed br_on_cast flags");
    if (!read_label(c, &L)) return false;
    if (!wf_cc_read_cast(c, flags & 1, &t1) || !wf_cc_read_cast(c, (flags & 2) != 0, &t2)) return false;
    if (!wf_valtype_sub(t2, t1)) return MISMATCH(c);
    sval a;
    if (!wf_cc_pop_expect(c, t1, &a)) return false;
    wf_valtype diff = t1;
    diff.nullable = t1.nullable && !t2.nullable;
    bool on_fail = op == WF_OP_BR_ON_CAST_FAIL;
    wf_valtype taken = on_fail ? diff : t2, fall = on_fail ? t2 : diff;
    uint32_t n = label_arity(L);
    if (n == 0) return MISMATCH(c);
    bool bot = a.t.kind == KIND_BOT;
    push_at(c, taken, bot ? UINT32_MAX : a.slot);
    sval *vals = wf_xmalloc(n * sizeof(sval));
    bool ok = pop_label_vals(c, L, n, vals);
    if (ok) {
        wf_word ops[2] = { a.slot, wf_gc_cast_pack(t2) };
        wf_iop yes = on_fail ? WF_IOP_BR_ON_CAST_FAIL : WF_IOP_BR_ON_CAST;
        wf_iop no = on_fail ? WF_IOP_BR_ON_CAST : WF_IOP_BR_ON_CAST_FAIL;
        emit_cond_branch(c, yes, no, ops, 2, L, vals, n);
        repush(c, L, n - 1, vals);
        push_at(c, fall, bot ? UINT32_MAX : a.slot);
    }
    free(vals);
    return ok;
}

/* ---- try_table ---------------------------------------------------------- */

/* The innermost try_table's handler table (a code index), 0 outside any. */
static size_t innermost_try(const cc *c)
{
    for (size_t i = c->cs.len; i-- > 0;)
        if (c->cs.data[i].try_tab) return c->cs.data[i].try_tab;
    return 0;
}

void wf_cc_emit_handlers(cc *c)
{
    size_t tab = innermost_try(c);
    if (tab) emit_addr(c, tab);
    else emit(c, 0);
}

void wf_cc_exn_check(cc *c)
{
    size_t tab = innermost_try(c);
    if (!tab || !c->live) return;
    emit_op(c, WF_IOP_EXN_CHECK);
    emit_addr(c, tab);
    /* nothing merges into it, and code after a call may be branched to */
    c->last_iop = -1;
}

enum { CATCH, CATCH_REF, CATCH_ALL, CATCH_ALL_REF };

typedef struct catch_clause {
    uint8_t kind;
    uint32_t tag;
    uint32_t depth;     /* of the label, outside the try_table */
} catch_clause;

/* A catch clause's label takes the tag's parameters (catch, catch_ref),
 * then an exnref (catch_ref, catch_all_ref). */
static bool check_catch(cc *c, const catch_clause *k, const ctrl *L)
{
    static const wf_valtype exnref = { WF_REF, WF_HEAP_EXN, 0, 0 };
    const wf_functype *tt = k->kind == CATCH || k->kind == CATCH_REF ? c->m->tags[k->tag] : NULL;
    uint32_t np = tt ? tt->nparams : 0, ref = k->kind == CATCH_REF || k->kind == CATCH_ALL_REF;
    if (label_arity(L) != np + ref) return MISMATCH(c);
    for (uint32_t i = 0; i < np; i++)
        if (!wf_valtype_sub(tt->params[i], label_type(L, i))) return MISMATCH(c);
    if (ref && !wf_valtype_sub(exnref, label_type(L, np))) return MISMATCH(c);
    return true;
}

/* try_table: a block whose catch clauses (labels outside it) take the
 * exceptions thrown in it. Its handler table lies in the code, jumped
 * over (interp.c has the layout): the enclosing try_table's table, the
 * clause count, per clause its kind, tag, first label slot and target; a
 * catch to the function's own label returns through a RETURN before the
 * table. Throws and the calls inside point at the table. */
static bool op_try_table(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    no_prod(c);
    ctrl nf;
    memset(&nf, 0, sizeof nf);
    nf.kind = K_BLOCK;
    c->try_tables = true;
    uint32_t n;
    if (!wf_cc_read_blocktype(c, &nf) || !wf_read_u32(r, &n)) return false;
    if (n > wf_reader_left(r)) return wf_cc_fail(c, WF_ERR_MALFORMED, "unexpected end");
    catch_clause *k = wf_xmalloc(((size_t)n + 1) * sizeof *k);
    bool ok = true, to_func = false;
    for (uint32_t i = 0; i < n && ok; i++) {
        uint8_t kind;
        ok = wf_read_u8(r, &kind);
        if (ok && kind > CATCH_ALL_REF) ok = wf_cc_fail(c, WF_ERR_MALFORMED, "malformed catch clause");
        k[i].kind = kind;
        k[i].tag = 0;
        if (ok && kind <= CATCH_REF) {
            ok = wf_read_u32(r, &k[i].tag);
            if (ok && k[i].tag >= c->m->ntags) ok = wf_cc_fail(c, WF_ERR_INVALID, "unknown tag %u", k[i].tag);
        }
        if (ok) ok = wf_read_u32(r, &k[i].depth);
        if (ok && k[i].depth >= c->cs.len) ok = wf_cc_fail(c, WF_ERR_INVALID, "unknown label");
        if (ok) {
            const ctrl *L = &c->cs.data[c->cs.len - 1 - k[i].depth];
            ok = check_catch(c, &k[i], L);
            to_func |= L->kind == K_FUNC;
        }
    }
    size_t outer = innermost_try(c);
    if (ok) ok = push_ctrl(c, &nf);
    if (ok && c->live) {
        emit_op(c, WF_IOP_BR);
        emit_addr(c, 0);
        size_t skip = c->code.len - 1;
        size_t ret = c->code.len;
        if (to_func) emit(c, (wf_word)c->lab[WF_IOP_RETURN]);
        size_t tab = c->code.len;
        if (outer) emit_addr(c, outer);
        else emit(c, 0);
        emit(c, n);
        for (uint32_t i = 0; i < n; i++) {
            /* the new frame is on top: the labels lie one further out */
            ctrl *L = &c->cs.data[c->cs.len - 2 - k[i].depth];
            emit(c, k[i].kind);
            emit(c, k[i].tag);
            emit(c, L->kind == K_FUNC ? 0 : L->label_slot);
            if (L->kind == K_FUNC) emit_addr(c, ret);
            else emit_label_addr(c, L);
        }
        c->code.data[skip] = c->code.len;
        mark_label(c);
        c->last_iop = -1;
        top_ctrl(c)->try_tab = tab;
    }
    free(k);
    return ok;
}

bool wf_cc_control(cc *c, wf_opcode op)
{
    switch (op) {
    case WF_OP_BLOCK: case WF_OP_LOOP: return op_block(c, op);
    case WF_OP_IF: return op_if(c, op);
    case WF_OP_ELSE: return op_else(c, op);
    case WF_OP_END: return op_end(c, op);
    case WF_OP_BR: return op_br(c, op);
    case WF_OP_BR_IF: return op_br_if(c, op);
    case WF_OP_BR_TABLE: return op_br_table(c, op);
    case WF_OP_RETURN: return op_return(c, op);
    case WF_OP_BR_ON_NULL: case WF_OP_BR_ON_NON_NULL: return op_br_on_null(c, op);
    case WF_OP_TRY_TABLE: return op_try_table(c, op);
    case WF_OP_BR_ON_CAST: case WF_OP_BR_ON_CAST_FAIL: return op_br_on_cast(c, op);
    default: return wf_cc_fail(c, WF_ERR_INTERNAL, "not a control instruction");
    }
}
