/*
 * fuzz_wast.c - libFuzzer target for the spec-script parser of `wasmfn
 * wast`: the script as s-expressions, then every atom read as the numbers
 * a script may hold (integers of each width, f32, f64), and every
 * top-level command's arguments as core constants, expected results and
 * component values, as the runner reads them.
 */
#include "fuzz.h"
#include "cli/wast.h"

static void atoms(const wast_node *n)
{
    if (n->kind == WAST_ATOM) {
        uint64_t u;
        uint32_t b32;
        for (unsigned bits = 8; bits <= 64; bits *= 2) (void)wf_wast_parse_int(n->start, n->len, bits, &u);
        if (wf_wast_parse_f32(n->start, n->len, &b32)) free(wf_wast_f32_str(b32));
        if (wf_wast_parse_f64(n->start, n->len, &u)) free(wf_wast_f64_str(u));
        return;
    }
    for (size_t i = 0; i < n->nitems; i++) atoms(n->items[i]);
}

static void *no_ref(void *ctx, uint32_t n)
{
    (void)ctx;
    (void)n;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wast_node *root = NULL;
    wf_error *e = wf_wast_parse((const char *)data, size, &root);
    if (e) {
        wf_error_free(e);
        return 0;
    }
    atoms(root);
    for (size_t i = 0; i < root->nitems; i++) {
        const wast_node *cmd = root->items[i];
        if (cmd->kind != WAST_LIST) continue;
        for (size_t k = 1; k < cmd->nitems; k++) {
            const wast_node *a = cmd->items[k];
            if (a->kind != WAST_LIST) continue;
            wf_value v;
            wf_error *ce = wf_wast_parse_const(a, no_ref, NULL, &v);
            if (!ce) free(wf_wast_value_str(&v));
            wf_error_free(ce);
            wast_expect x;
            ce = wf_wast_parse_expect(a, no_ref, NULL, &x);
            if (!ce) {
                free(wf_wast_expect_str(&x));
                wf_wast_expect_fini(&x);
            }
            wf_error_free(ce);
            wf_val cv;
            ce = wf_wast_cval_parse(a, true, &cv);
            if (!ce) {
                free(wf_wast_cval_str(&cv));
                wf_val_free(&cv);
            }
            wf_error_free(ce);
        }
    }
    wf_wast_node_free(root);
    return 0;
}
