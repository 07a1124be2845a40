/* test_decode_types.c - the canonical type registry and value subtyping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/types.h"

static wf_valtype ref(uint32_t idx, bool nullable)
{
    return (wf_valtype){ WF_REF, WF_HEAP_TYPE, nullable, idx };
}

static void test_hash_consing(void **state)
{
    (void)state;
    wf_valtype p[2] = { WF_TYPE_I32, WF_TYPE_F64 };
    const wf_functype *a = wf_functype_get(p, 2, p, 1);
    const wf_functype *b = wf_functype_get(p, 2, p, 1);
    const wf_functype *c = wf_functype_get(p, 1, p, 2);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_ptr_equal(wf_functype_by_id(a->id), a);
    assert_int_equal(a->nparams, 2);
    assert_int_equal(a->results[0].kind, WF_I32);
    assert_null(wf_functype_by_id(0x7fffffff));
    /* a plain type is a final singleton group */
    wf_subtype_desc d = { .params = p, .nparams = 2, .results = p, .nresults = 1, .final = true };
    const wf_functype *e;
    wf_types_rec_group(&d, 1, &e);
    assert_ptr_equal(e, a);
    d.final = false;
    wf_types_rec_group(&d, 1, &e);
    assert_ptr_not_equal(e, a);
}

static void test_rec_groups(void **state)
{
    (void)state;
    /* rec { $h: func (param (ref $k)); $k: func (result (ref $h)) } twice */
    wf_valtype ph = ref(WF_REC_REF(1), false), rk = ref(WF_REC_REF(0), false);
    wf_subtype_desc g[2] = {
        { .params = &ph, .nparams = 1, .final = true },
        { .results = &rk, .nresults = 1, .final = true },
    };
    const wf_functype *t1[2], *t2[2];
    wf_types_rec_group(g, 2, t1);
    wf_types_rec_group(g, 2, t2);
    assert_ptr_equal(t1[0], t2[0]);
    assert_ptr_equal(t1[1], t2[1]);
    assert_int_equal(t1[1]->id, t1[0]->id + 1);
    assert_int_equal(t1[0]->params[0].index, t1[1]->id);
    /* the same shape with an external reference is a different type */
    wf_valtype ext = ref(t1[1]->id, false);
    wf_subtype_desc g2[2] = {
        { .params = &ext, .nparams = 1, .final = true },
        { .results = &rk, .nresults = 1, .final = true },
    };
    const wf_functype *t3[2];
    wf_types_rec_group(g2, 2, t3);
    assert_ptr_not_equal(t3[0], t1[0]);
}

static void test_subtyping(void **state)
{
    (void)state;
    const wf_functype *base, *derived, *other;
    wf_subtype_desc d = { .final = false };
    wf_types_rec_group(&d, 1, &base);
    wf_subtype_desc e = { .final = true, .has_super = true, .super = base->id };
    wf_types_rec_group(&e, 1, &derived);
    other = wf_functype_get(NULL, 0, NULL, 0);
    assert_true(wf_functype_sub(derived, base));
    assert_false(wf_functype_sub(base, derived));
    assert_false(wf_functype_sub(other, base));
    assert_ptr_equal(wf_functype_super(derived), base);
    assert_true(wf_functype_matches(derived, base));

    wf_valtype funcref = WF_TYPE_FUNCREF, externref = WF_TYPE_EXTERNREF;
    wf_valtype nofunc = { WF_REF, WF_HEAP_NOFUNC, 1, 0 };
    assert_true(wf_valtype_sub(ref(derived->id, false), ref(base->id, true)));
    assert_false(wf_valtype_sub(ref(derived->id, true), ref(base->id, false)));
    assert_false(wf_valtype_sub(ref(base->id, false), ref(derived->id, false)));
    assert_true(wf_valtype_sub(ref(base->id, false), funcref));
    assert_false(wf_valtype_sub(funcref, ref(base->id, true)));
    assert_true(wf_valtype_sub(nofunc, ref(base->id, true)));
    assert_false(wf_valtype_sub(nofunc, externref));
    assert_false(wf_valtype_sub(funcref, externref));
    assert_true(wf_valtype_sub(WF_TYPE_I32, WF_TYPE_I32));
    assert_false(wf_valtype_sub(WF_TYPE_I32, WF_TYPE_I64));
    assert_true(wf_valtype_eq(funcref, WF_TYPE_FUNCREF));

    char buf[64];
    assert_string_equal(wf_valtype_name(funcref, buf, sizeof buf), "(ref null func)");
    assert_string_equal(wf_valtype_name(WF_TYPE_F64, buf, sizeof buf), "f64");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_consing),
        cmocka_unit_test(test_rec_groups),
        cmocka_unit_test(test_subtyping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
