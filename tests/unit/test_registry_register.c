/* test_registry_register.c - loaded function.wat / function.wasm entries
 * registered into a runtime and called through it; entries with the same
 * binary share one compiled module or component. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#include "base/file.h"
#include "base/sha256.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

static char root[64];

/* compute(a, b) = a * b */
static const unsigned char compute_wasm[] = {
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 7, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 3, 2, 1, 0,
    7, 11, 1, 7, 'c', 'o', 'm', 'p', 'u', 't', 'e', 0, 0,
    10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6c, 0x0b,
};

/* A fresh project directory in root holding wasm/compute.wasm. */
static void project_with_compute(void)
{
    strcpy(root, "/tmp/wf_regrt_XXXXXX");
    assert_non_null(mkdtemp(root));
    put_bytes(root, "wasm/compute.wasm", compute_wasm, sizeof compute_wasm);
}

static void test_register_and_call(void **state)
{
    (void)state;
    project_with_compute();
    const char *yaml =
        "namespace: t\n"
        "entries:\n"
        "  - name: assets\n    kind: fs.directory\n    directory: wasm\n"
        "  - name: compute\n    kind: function.wasm\n    fs: assets\n    path: /compute.wasm\n"
        "    hash: sha256:c62dfd508eb753f7d8af19c28a31ed9e9ddcc396cd6f2c44aa61b53b18f4de9c\n"
        "    method: compute\n    pool: {type: lazy, max_size: 2}\n"
        "  - name: answer\n    kind: function.wat\n"
        "    source: (module (func (export \"answer\") (result i32) i32.const 42))\n"
        "    method: answer\n"
        "  - name: lua\n    kind: function.lua\n    source: function f() end\n    method: f\n";
    put(root, "_index.yaml", yaml);

    wf_registry *r = NULL;
    assert_null(wf_registry_load(root, &r));
    wf_runtime *rt = wf_runtime_new();
    assert_null(wf_registry_register(r, rt));
    assert_true(wf_runtime_has(rt, "t:compute"));
    assert_true(wf_runtime_has(rt, "t:answer"));
    assert_false(wf_runtime_has(rt, "t:lua"));   /* the Lua layer's */

    wf_val args[2] = { { .kind = WF_VAL_S32, .of.s = 6 }, { .kind = WF_VAL_S32, .of.s = 7 } };
    wf_val res;
    wf_error *e = wf_runtime_call(rt, "t:compute", args, 2, &res, NULL);
    if (e) fail_msg("%s", e->message);
    assert_true(res.kind == WF_VAL_S32 || res.kind == WF_VAL_S64);
    assert_int_equal(res.of.s, 42);
    wf_val_free(&res);
    e = wf_runtime_call(rt, "t:answer", NULL, 0, &res, NULL);
    if (e) fail_msg("%s", e->message);
    assert_int_equal(res.of.s, 42);
    wf_val_free(&res);

    wf_runtime_free(rt);
    wf_registry_free(r);
    assert_int_equal(rm_tree(root), 0);
}

/* Entries whose binaries have the same sha256 (the same file, or a copy
 * under another path) share one compiled module or component: compiled
 * once, each entry still checked on its own (a bad method is its error),
 * every one callable, freed once. */
static void test_same_binary_compiled_once(void **state)
{
    (void)state;
    project_with_compute();
    put_bytes(root, "wasm/copy.wasm", compute_wasm, sizeof compute_wasm);
    uint8_t *comp;
    size_t comp_len;
    assert_null(wf_file_read(WF_FIXTURES "/components/calc.wasm", &comp, &comp_len));
    put_bytes(root, "wasm/calc.wasm", comp, comp_len);
    put_bytes(root, "wasm/calc2.wasm", comp, comp_len);
    uint8_t digest[WF_SHA256_LEN];
    char chash[WF_SHA256_TEXT_LEN];
    assert_null(wf_sha256(comp, comp_len, digest));
    wf_sha256_format(digest, chash);
    free(comp);
    const char *mhash = "sha256:c62dfd508eb753f7d8af19c28a31ed9e9ddcc396cd6f2c44aa61b53b18f4de9c";
    char *yaml = wf_xasprintf(
        "namespace: t\n"
        "entries:\n"
        "  - name: assets\n    kind: fs.directory\n    directory: wasm\n"
        "  - name: a\n    kind: function.wasm\n    fs: assets\n    path: compute.wasm\n"
        "    hash: %s\n    method: compute\n    pool: {type: inline}\n"
        "  - name: b\n    kind: function.wasm\n    fs: assets\n    path: compute.wasm\n"
        "    hash: %s\n    method: compute\n    pool: {type: lazy, max_size: 2}\n"
        "  - name: c\n    kind: function.wasm\n    fs: assets\n    path: copy.wasm\n"
        "    hash: %s\n    method: compute\n    pool: {type: inline}\n"
        "  - name: x\n    kind: function.wasm\n    fs: assets\n    path: calc.wasm\n"
        "    hash: %s\n    method: ops#add\n    pool: {type: inline}\n"
        "  - name: y\n    kind: function.wasm\n    fs: assets\n    path: calc2.wasm\n"
        "    hash: %s\n    method: ops#add\n    pool: {type: inline}\n",
        mhash, mhash, mhash, chash, chash);
    put(root, "_index.yaml", yaml);

    wf_registry *r = NULL;
    assert_null(wf_registry_load(root, &r));
    const wf_reg_entry *a = wf_registry_get(r, "t:a"), *b = wf_registry_get(r, "t:b"),
                       *c = wf_registry_get(r, "t:c"), *x = wf_registry_get(r, "t:x"),
                       *y = wf_registry_get(r, "t:y");
    assert_non_null(a->u.wasm.module);
    assert_ptr_equal(a->u.wasm.module, b->u.wasm.module);
    assert_ptr_equal(a->u.wasm.module, c->u.wasm.module);
    assert_non_null(x->u.wasm.component);
    assert_ptr_equal(x->u.wasm.component, y->u.wasm.component);

    wf_runtime *rt = wf_runtime_new();
    assert_null(wf_registry_register(r, rt));
    wf_val args[2] = { { .kind = WF_VAL_S32, .of.s = 6 }, { .kind = WF_VAL_S32, .of.s = 7 } };
    const char *ids[] = { "t:a", "t:b", "t:c" };
    for (size_t i = 0; i < 3; i++) {
        wf_val res;
        wf_error *e = wf_runtime_call(rt, ids[i], args, 2, &res, NULL);
        if (e) fail_msg("%s: %s", ids[i], e->message);
        assert_int_equal(res.of.s, 42);
        wf_val_free(&res);
    }
    wf_val fargs[2] = { wf_val_f64(1.5), wf_val_f64(2.25) };
    const char *cids[] = { "t:x", "t:y" };
    for (size_t i = 0; i < 2; i++) {
        wf_val res;
        wf_error *e = wf_runtime_call(rt, cids[i], fargs, 2, &res, NULL);
        if (e) fail_msg("%s: %s", cids[i], e->message);
        assert_true(res.kind == WF_VAL_F64);
        assert_true(res.of.f64 == 3.75);
        wf_val_free(&res);
    }
    wf_runtime_free(rt);
    wf_registry_free(r);

    /* a later entry with a method the shared module lacks: its own error */
    char *bad = wf_xasprintf("%s  - name: d\n    kind: function.wasm\n    fs: assets\n"
                             "    path: copy.wasm\n    hash: %s\n    method: nope\n", yaml, mhash);
    put(root, "_index.yaml", bad);
    r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    wf_error_free(e);
    bool found = false;
    for (size_t i = 0; i < wf_registry_diag_count(r); i++) {
        const wf_reg_diag *d = wf_registry_diag(r, i);
        if (strstr(d->message, "method 'nope' is not an exported function of the module")) found = true;
    }
    assert_true(found);
    wf_registry_free(r);
    free(bad);

    /* a later entry naming a file an earlier one read and verified (the
     * file is not read again) with another hash: its own mismatch, the
     * file's real digest as the actual one */
    const char *wrong = "sha256:292b796376f8b4cc360acf2ea6b82d1084871c3607a079f30b446da8e5c984a4";
    bad = wf_xasprintf("%s  - name: e\n    kind: function.wasm\n    fs: assets\n"
                       "    path: compute.wasm\n    hash: %s\n    method: compute\n", yaml, wrong);
    put(root, "_index.yaml", bad);
    r = NULL;
    e = wf_registry_load(root, &r);
    assert_non_null(e);
    wf_error_free(e);
    char *want = wf_xasprintf("hash mismatch for compute.wasm: expected %s, actual %s", wrong, mhash);
    size_t nmismatch = 0;
    for (size_t i = 0; i < wf_registry_diag_count(r); i++) {
        const wf_reg_diag *d = wf_registry_diag(r, i);
        if (strstr(d->message, "hash mismatch")) {
            nmismatch++;
            assert_string_equal(d->message, want);
            assert_string_equal(d->entry, "t:e");
        }
    }
    assert_int_equal(nmismatch, 1);
    free(want);
    wf_registry_free(r);
    free(bad);
    free(yaml);
    assert_int_equal(rm_tree(root), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_call),
        cmocka_unit_test(test_same_binary_compiled_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
