/* test_chost.c - host resources in the component linker (component.h
 * wf_clinker_define_resource): a component importing an instance with a
 * resource type, its constructor and a method, all served by the host;
 * handles carry the host's reps both ways, resource.drop runs the host's
 * destructor with the instance's data, and import versions match by
 * semver (component.h: same major, or same 0.minor). The component is
 * compiled from text by the component text compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

#include "component/component.h"
#include "cli/cwat.h"

/* IMPORT is the instance import's name, e.g. "test:res/things@1.2.0". */
static const char *TEXT =
    "(component\n"
    "  (import \"%s\" (instance $i\n"
    "    (export \"thing\" (type $t (sub resource)))\n"
    "    (export \"[constructor]thing\" (func (param \"v\" u32) (result (own $t))))\n"
    "    (export \"[method]thing.get\" (func (param \"self\" (borrow $t)) (result u32)))))\n"
    "  (alias export $i \"thing\" (type $thing))\n"
    "  (core func $ctor (canon lower (func $i \"[constructor]thing\")))\n"
    "  (core func $get (canon lower (func $i \"[method]thing.get\")))\n"
    "  (core func $drop (canon resource.drop $thing))\n"
    "  (core module $M\n"
    "    (import \"\" \"ctor\" (func $ctor (param i32) (result i32)))\n"
    "    (import \"\" \"get\" (func $get (param i32) (result i32)))\n"
    "    (import \"\" \"drop\" (func $drop (param i32)))\n"
    "    (func (export \"run\") (param i32) (result i32)\n"
    "      (local $h i32) (local $r i32)\n"
    "      (local.set $h (call $ctor (local.get 0)))\n"
    "      (local.set $r (call $get (local.get $h)))\n"
    "      (call $drop (local.get $h))\n"
    "      (local.get $r))\n"
    "    (func (export \"keep\") (param i32) (result i32) (call $ctor (local.get 0))))\n"
    "  (core instance $m (instantiate $M (with \"\" (instance (export \"ctor\" (func $ctor))\n"
    "    (export \"get\" (func $get)) (export \"drop\" (func $drop))))))\n"
    "  (func (export \"run\") (param \"v\" u32) (result u32) (canon lift (core func $m \"run\")))\n"
    "  (func (export \"keep\") (param \"v\" u32) (result u32) (canon lift (core func $m \"keep\"))))\n";

static wf_component *compile(const char *import)
{
    char text[4096];
    snprintf(text, sizeof text, TEXT, import);
    return component_of(text);
}

/* The host's per-instance state: what its functions and destructor saw. */
typedef struct host_state {
    int made, dropped;
    uint32_t last_dropped;
    bool foreign_refused;
} host_state;

static wf_chost_resource *thing, *other;

static wf_error *ctor(void *env, wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                      size_t nargs, wf_val *result)
{
    (void)env; (void)type;
    assert_int_equal(nargs, 1);
    host_state *s = wf_cinstance_data(inst);
    s->made++;
    *result = wf_chost_handle(thing, (uint32_t)args[0].of.u + 1000);
    return NULL;
}

static wf_error *get(void *env, wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                     size_t nargs, wf_val *result)
{
    (void)env; (void)type; (void)nargs;
    host_state *s = wf_cinstance_data(inst);
    uint32_t rep;
    s->foreign_refused = !wf_chost_handle_rep(other, &args[0], &rep);
    if (!wf_chost_handle_rep(thing, &args[0], &rep)) return wf_error_new(WF_ERR_TRAP, "not a thing");
    /* rep 1777: a result of the wrong type, which the host call must refuse */
    *result = rep == 1777 ? wf_val_string("oops", 4) : wf_val_uint(WF_VAL_U32, rep * 2);
    return NULL;
}

static wf_error *dtor(void *env, wf_cinstance *inst, uint32_t rep)
{
    assert_int_equal((uintptr_t)env, 7);
    host_state *s = wf_cinstance_data(inst);
    s->dropped++;
    s->last_dropped = rep;
    return rep == 1666 ? wf_error_new(WF_ERR_TRAP, "resource has children") : NULL;
}

static wf_clinker *linker(const char *defined)
{
    wf_clinker *l = wf_clinker_new();
    thing = wf_clinker_define_resource(l, defined, "thing", dtor, (void *)(uintptr_t)7);
    other = wf_clinker_define_resource(l, "test:res/other@1.0.0", "other", NULL, NULL);
    wf_clinker_define_func(l, defined, "[constructor]thing", ctor, NULL);
    wf_clinker_define_func(l, defined, "[method]thing.get", get, NULL);
    return l;
}

static wf_error *run(const char *import, const char *defined, const char *fn, uint32_t arg, host_state *s,
                     wf_val *out)
{
    wf_component *c = compile(import);
    wf_clinker *l = linker(defined);
    wf_store *st = wf_store_new();
    wf_cinstance *ci = NULL;
    wf_error *e = wf_cinstance_new_with(st, c, l, s, &ci);
    if (!e) {
        assert_ptr_equal(wf_cinstance_data(ci), s);
        wf_val a = wf_val_uint(WF_VAL_U32, arg);
        e = wf_cinstance_call(ci, fn, &a, 1, out);
    }
    wf_cinstance_free(ci);
    wf_store_free(st);
    wf_clinker_free(l);
    wf_component_free(c);
    return e;
}

static void test_host_resource_round_trip(void **state)
{
    (void)state;
    host_state s = {0};
    wf_val out;
    wf_error *e = run("test:res/things@1.2.0", "test:res/things@1.2.0", "run", 5, &s, &out);
    if (e) fail_msg("%s", e->message);
    assert_int_equal(out.of.u, 2010);            /* rep 1005, doubled by the method */
    assert_int_equal(s.made, 1);
    assert_int_equal(s.dropped, 1);               /* resource.drop ran the host dtor */
    assert_int_equal(s.last_dropped, 1005);
    assert_true(s.foreign_refused);               /* a thing is not an `other` */
}

static void test_dtor_error_traps_the_drop(void **state)
{
    (void)state;
    host_state s = {0};
    wf_val out;
    wf_error *e = run("test:res/things@1.2.0", "test:res/things@1.2.0", "run", 666, &s, &out);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_non_null(strstr(e->message, "resource has children"));
    wf_error_free(e);
}

/* A host function's result is checked before it is lowered; the message
 * names the function (here unnamed; formatted only for the message). */
static void test_bad_host_result_is_refused(void **state)
{
    (void)state;
    host_state s = {0};
    wf_val out;
    wf_error *e = run("test:res/things@1.2.0", "test:res/things@1.2.0", "run", 777, &s, &out);
    assert_non_null(e);
    assert_string_equal(e->message, "result of host function `?`: expected u32, got string");
    wf_error_free(e);
}

static void test_handle_kept_by_guest_gets_no_dtor(void **state)
{
    (void)state;
    host_state s = {0};
    wf_val out;
    wf_error *e = run("test:res/things@1.2.0", "test:res/things@1.2.0", "keep", 1, &s, &out);
    if (e) fail_msg("%s", e->message);
    assert_int_equal(s.made, 1);
    assert_int_equal(s.dropped, 0);   /* freed with the instance, without the dtor */
}

/* import version, defined version: links? */
static void test_versions(void **state)
{
    (void)state;
    static const struct { const char *imp, *def; bool ok; } cases[] = {
        { "test:res/things@1.2.0", "test:res/things@1.9.3", true },
        { "test:res/things@1.9.3", "test:res/things@1.2.0", true },
        { "test:res/things@1.2.0", "test:res/things@2.0.0", false },
        { "test:res/things@0.2.0", "test:res/things@0.2.12", true },
        { "test:res/things@0.2.13", "test:res/things@0.2.12", true },
        { "test:res/things@0.3.0", "test:res/things@0.2.12", false },
        { "test:res/things@0.0.1", "test:res/things@0.0.2", false },
        { "test:res/things@0.2.0-rc-1", "test:res/things@0.2.0", false },
        { "test:res/things@0.2.0", "test:res/things", true },
        { "test:res/other-things@0.2.0", "test:res/things@0.2.0", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        host_state s = {0};
        wf_val out;
        wf_error *e = run(cases[i].imp, cases[i].def, "run", 1, &s, &out);
        if (cases[i].ok && e) fail_msg("%s vs %s: %s", cases[i].imp, cases[i].def, e->message);
        if (!cases[i].ok) {
            if (!e) fail_msg("%s linked to %s", cases[i].imp, cases[i].def);
            assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
        }
        wf_error_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_resource_round_trip),
        cmocka_unit_test(test_dtor_error_traps_the_drop),
        cmocka_unit_test(test_bad_host_result_is_refused),
        cmocka_unit_test(test_handle_kept_by_guest_gets_no_dtor),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
