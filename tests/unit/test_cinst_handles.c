/* test_cinst_handles.c - owned resource handles the host receives: dropping
 * them runs the destructor in the defining instance
 * (wf_cinstance_drop_handle), and what is refused (not a handle, a handle of
 * another instance, a poisoned instance). The component is compiled from
 * text by the component text compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#include "component/component.h"
#include "cli/cwat.h"

static const char *TEXT =
    "(component\n"
    "  (core module $Dtor\n"
    "    (global $dropped (export \"dropped\") (mut i32) (i32.const 0))\n"
    "    (func (export \"dtor\") (param i32)\n"
    "      (global.set $dropped (i32.add (global.get $dropped) (local.get 0)))))\n"
    "  (core instance $d (instantiate $Dtor))\n"
    "  (type $R (resource (rep i32) (dtor (core func $d \"dtor\"))))\n"
    "  (core func $new (canon resource.new $R))\n"
    "  (core module $M\n"
    "    (import \"\" \"new\" (func $new (param i32) (result i32)))\n"
    "    (import \"d\" \"dropped\" (global $dropped (mut i32)))\n"
    "    (func (export \"make\") (param i32) (result i32) (call $new (local.get 0)))\n"
    "    (func (export \"dropped\") (result i32) (global.get $dropped))\n"
    "    (func (export \"boom\") unreachable))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance (export \"new\" (func $new))))\n"
    "                                    (with \"d\" (instance $d))))\n"
    "  (export $R' \"r\" (type $R))\n"
    "  (func (export \"make\") (param \"rep\" u32) (result (own $R'))\n"
    "    (canon lift (core func $m \"make\")))\n"
    "  (func (export \"dropped\") (result u32) (canon lift (core func $m \"dropped\")))\n"
    "  (func (export \"boom\") (canon lift (core func $m \"boom\"))))\n";

static wf_val call1(wf_cinstance *ci, const char *name, uint32_t arg)
{
    wf_val a = wf_val_uint(WF_VAL_U32, arg), out;
    wf_error *e = wf_cinstance_call(ci, name, &a, strcmp(name, "make") ? 0 : 1, &out);
    if (e) fail_msg("%s: %s", name, e->message);
    return out;
}

static void test_drop_runs_dtor(void **state)
{
    (void)state;
    wf_component *c = component_of(TEXT);
    wf_store *s = wf_store_new();
    wf_cinstance *ci, *other;
    assert_null(wf_cinstance_new(s, c, NULL, &ci));
    assert_null(wf_cinstance_new(s, c, NULL, &other));
    wf_val h1 = call1(ci, "make", 5), h2 = call1(ci, "make", 30);
    assert_int_equal(h1.kind, WF_VAL_HANDLE);
    assert_int_equal(call1(ci, "dropped", 0).of.u, 0);
    assert_null(wf_cinstance_drop_handle(ci, &h1));
    assert_int_equal(call1(ci, "dropped", 0).of.u, 5);      /* the dtor ran on rep 5 */
    /* not a handle; a handle of another instance's resource type */
    wf_val n = wf_val_uint(WF_VAL_U32, 1);
    wf_error *e = wf_cinstance_drop_handle(ci, &n);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    e = wf_cinstance_drop_handle(other, &h2);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_string_equal(e->message, "the handle is not of a resource type of this instance");
    wf_error_free(e);
    assert_int_equal(call1(ci, "dropped", 0).of.u, 5);
    assert_null(wf_cinstance_drop_handle(ci, &h2));
    assert_int_equal(call1(ci, "dropped", 0).of.u, 35);
    /* a poisoned instance runs no destructor */
    wf_val h3 = call1(ci, "make", 100), out;
    e = wf_cinstance_call(ci, "boom", NULL, 0, &out);
    assert_non_null(e);
    wf_error_free(e);
    e = wf_cinstance_drop_handle(ci, &h3);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_non_null(strstr(e->message, "trapped in an earlier call"));
    wf_error_free(e);
    /* after the instance is gone its handles name no live type */
    wf_cinstance_free(ci);
    e = wf_cinstance_drop_handle(other, &h3);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    wf_cinstance_free(other);
    wf_store_free(s);
    wf_component_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_runs_dtor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
