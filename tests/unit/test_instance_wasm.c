/* test_instance_wasm.c - instantiation end to end on real binaries (see
 * instance_modules.h): linking through exports, segment initialisation
 * order, partial initialisation on a trap, the start function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/runtime.h"
#include "instance_modules.h"

/* Decode a module; skips the test while a needed part of the engine is
 * missing (the error says unsupported). */
#define LOAD(var, bytes)                                                       \
    wf_module *var;                                                            \
    do {                                                                       \
        wf_error *e_ = wf_module_new(bytes, sizeof bytes, &var);               \
        if (e_ && e_->kind == WF_ERR_UNSUPPORTED) {                            \
            wf_error_free(e_);                                                 \
            skip();                                                            \
        }                                                                      \
        if (e_) fail_msg("%s: %s", #bytes, e_->message);                       \
    } while (0)

/* Resolve every import of m from the exports of `from` (module name
 * ignored). */
static void link_from(const wf_module *m, wf_instance *from, wf_extern *out)
{
    for (uint32_t i = 0; i < m->nimports; i++)
        if (!wf_instance_export(from, m->imports[i].name, m->imports[i].name_len, &out[i]))
            fail_msg("unknown import %s", m->imports[i].name);
}

static wf_extern exp_of(wf_instance *inst, const char *name)
{
    wf_extern x;
    if (!wf_instance_export(inst, name, strlen(name), &x)) fail_msg("no export %s", name);
    return x;
}

static void test_link_and_segments(void **state)
{
    (void)state;
    LOAD(ma, mod_a);
    LOAD(mb, mod_b);
    wf_store *s = wf_store_new();
    wf_instance *a, *b;
    assert_null(wf_instance_new(s, ma, NULL, 0, &a));
    wf_memory *mem = exp_of(a, "mem").of.memory;
    wf_table *tab = exp_of(a, "tab").of.table;
    wf_func *af = exp_of(a, "f").of.func;
    assert_memory_equal(mem->base + 8, "hello", 5);
    assert_ptr_equal(tab->elems[1], af);
    assert_int_equal(wf_global_get(exp_of(a, "g").of.global).of.i32, 5);

    wf_extern ims[5];
    link_from(mb, a, ims);
    assert_null(wf_instance_new(s, mb, ims, 5, &b));
    /* Data segments in order: "AB" at 0, "EL" at 9 over "hello". */
    assert_memory_equal(mem->base, "AB", 2);
    assert_memory_equal(mem->base + 8, "hELlo", 5);
    wf_func *own = exp_of(b, "own").of.func;
    assert_ptr_equal(tab->elems[1], af);
    assert_ptr_equal(tab->elems[2], own);
    assert_ptr_equal(tab->elems[3], af); /* an imported function keeps its identity */
    assert_ptr_equal(own->inst, b);
    assert_int_equal(wf_global_get(exp_of(b, "k2").of.global).of.i64, 7);
    assert_ptr_equal(wf_global_get(exp_of(b, "fr").of.global).of.ref, own);
    /* Active (0) and declarative (2) element segments dropped, passive (1) kept. */
    assert_int_equal(b->elem_len[0], 0);
    assert_int_equal(b->elem_len[1], 2);
    assert_ptr_equal(b->elem_items[1][0], own);
    assert_null(b->elem_items[1][1]);
    assert_int_equal(b->elem_len[2], 0);
    assert_true(b->data_dropped[0] && b->data_dropped[1]);
    assert_false(b->data_dropped[2]);
    assert_true(wf_instance_memory_init(b, mem, 2, 20, 0, 7));
    assert_memory_equal(mem->base + 20, "passive", 7);
    wf_store_free(s);
    wf_module_free(ma);
    wf_module_free(mb);
}

static void test_partial_init(void **state)
{
    (void)state;
    LOAD(ma, mod_a);
    LOAD(mc, mod_c);
    LOAD(md, mod_d);
    wf_store *s = wf_store_new();
    wf_instance *a, *c;
    assert_null(wf_instance_new(s, ma, NULL, 0, &a));
    wf_memory *mem = exp_of(a, "mem").of.memory;
    wf_table *tab = exp_of(a, "tab").of.table;
    wf_extern ims[2];
    link_from(mc, a, ims);
    wf_error *e = wf_instance_new(s, mc, ims, 2, &c);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_string_equal(e->message, "out of bounds memory access");
    wf_error_free(e);
    assert_null(c);
    /* The element segment and the first data segment stay applied. */
    wf_func *h = tab->elems[9];
    assert_non_null(h);
    assert_int_equal(h->index, 0);
    assert_memory_equal(mem->base, "zz", 2);

    /* An element segment out of bounds traps before any data is written. */
    link_from(md, a, ims);
    e = wf_instance_new(s, md, ims, 2, &c);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_string_equal(e->message, "out of bounds table access");
    wf_error_free(e);
    assert_memory_equal(mem->base, "zz", 2);
    assert_ptr_equal(tab->elems[9], h);
    wf_store_free(s);
    wf_module_free(ma);
    wf_module_free(mc);
    wf_module_free(md);
}

static void test_incompatible(void **state)
{
    (void)state;
    LOAD(ma, mod_a);
    LOAD(mf, mod_f);
    LOAD(mg, mod_g);
    wf_store *s = wf_store_new();
    wf_instance *a, *x;
    assert_null(wf_instance_new(s, ma, NULL, 0, &a));
    wf_extern im;
    /* (memory 1 1) needs a max of at most 1; A's memory has max 2. */
    link_from(mf, a, &im);
    wf_error *e = wf_instance_new(s, mf, &im, 1, &x);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
    assert_non_null(strstr(e->message, "incompatible import type"));
    assert_non_null(strstr(e->message, "\"A\" \"mem\""));
    wf_error_free(e);
    /* (param i32) (result i32) against () -> i32. */
    link_from(mg, a, &im);
    e = wf_instance_new(s, mg, &im, 1, &x);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
    assert_non_null(strstr(e->message, "incompatible import type"));
    wf_error_free(e);
    /* Wrong kind. */
    im = exp_of(a, "tab");
    e = wf_instance_new(s, mg, &im, 1, &x);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
    wf_error_free(e);
    wf_store_free(s);
    wf_module_free(ma);
    wf_module_free(mf);
    wf_module_free(mg);
}

static void test_start(void **state)
{
    (void)state;
    LOAD(ma, mod_a);
    LOAD(me, mod_e);
    wf_store *s = wf_store_new();
    wf_instance *a, *i;
    assert_null(wf_instance_new(s, ma, NULL, 0, &a));
    wf_extern im;
    link_from(me, a, &im);
    wf_error *e = wf_instance_new(s, me, &im, 1, &i);
    if (e && e->kind == WF_ERR_UNSUPPORTED) { /* no interpreter yet */
        wf_error_free(e);
        wf_store_free(s);
        wf_module_free(ma);
        wf_module_free(me);
        skip();
    }
    assert_null(e);
    uint8_t *mb = im.of.memory->base;
    assert_int_equal(mb[100] | mb[101] << 8 | mb[102] << 16 | mb[103] << 24, 0x01020304);
    assert_int_equal(i->globals[0]->value.i32, 1);
    wf_store_free(s);
    wf_module_free(ma);
    wf_module_free(me);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_and_segments),
        cmocka_unit_test(test_partial_init),
        cmocka_unit_test(test_incompatible),
        cmocka_unit_test(test_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
