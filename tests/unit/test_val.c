/* test_val.c - wf_val constructors, deep copy and free, including values
 * nested far deeper than the C stack could recurse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "component/val.h"

static void test_build_copy_free(void **state)
{
    wf_val rec = wf_val_agg(WF_VAL_RECORD, 3);
    wf_val_set_name(&rec, 0, "id");
    wf_val_set_name(&rec, 1, "name");
    wf_val_set_name(&rec, 2, "tags");
    rec.of.agg.items[0] = wf_val_uint(WF_VAL_U32, 7);
    rec.of.agg.items[1] = wf_val_string("ann", 3);
    wf_val tags = wf_val_agg(WF_VAL_LIST, 2);
    tags.of.agg.items[0] = wf_val_string("a", 1);
    wf_val inner = wf_val_string("b", 1);
    tags.of.agg.items[1] = wf_val_some(&inner);
    assert_int_equal(inner.kind, WF_VAL_BOOL);      /* moved out */
    rec.of.agg.items[2] = tags;

    wf_val copy;
    wf_val_copy(&copy, &rec);
    wf_val_free(&rec);
    assert_int_equal(rec.kind, WF_VAL_BOOL);
    const wf_val *name = wf_val_field(&copy, "name");
    assert_non_null(name);
    assert_string_equal(name->of.str.data, "ann");
    assert_null(wf_val_field(&copy, "nope"));
    const wf_val *t = wf_val_field(&copy, "tags");
    assert_int_equal(t->of.agg.len, 2);
    assert_int_equal(t->of.agg.items[1].kind, WF_VAL_OPTION);
    assert_int_equal(t->of.agg.items[1].of.cas.index, 1);
    assert_string_equal(t->of.agg.items[1].of.cas.name, "some");
    assert_string_equal(t->of.agg.items[1].of.cas.payload->of.str.data, "b");
    assert_int_equal(wf_val_field(&copy, "id")->of.u, 7);
    wf_val_free(&copy);

    wf_val n = wf_val_none();
    assert_null(n.of.cas.payload);
    wf_val_free(&n);
    wf_val e = wf_val_err(NULL);
    assert_int_equal(e.of.cas.index, 1);
    wf_val_free(&e);
    wf_val fl = wf_val_agg(WF_VAL_FLAGS, 1);
    wf_val_set_name(&fl, 0, "read");
    assert_null(fl.of.agg.items);
    wf_val_copy(&n, &fl);
    assert_string_equal(n.of.agg.names[0], "read");
    wf_val_free(&fl);
    wf_val_free(&n);
    assert_string_equal(wf_val_kind_name(WF_VAL_RESULT), "result");
}

static void test_deep(void **state)
{
    /* a million nested options and lists: free and copy use no recursion */
    wf_val v = wf_val_uint(WF_VAL_U8, 1);
    for (int i = 0; i < 1000000; i++) {
        if (i % 2) {
            v = wf_val_some(&v);
        } else {
            wf_val l = wf_val_agg(WF_VAL_LIST, 1);
            l.of.agg.items[0] = v;
            v = l;
        }
    }
    wf_val c;
    wf_val_copy(&c, &v);
    wf_val_free(&v);
    wf_val_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_copy_free),
        cmocka_unit_test(test_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
