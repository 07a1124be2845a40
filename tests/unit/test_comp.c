/*
 * test_comp.c - the component binary decoder and validator (comp.h): the
 * definition list crun instantiates from (sorts, indices, types, canon
 * options, resources, outer aliases, nested components), the embedder view
 * (imports, exports, find_func), and rejection of malformed and invalid
 * binaries with the right kind and offset. Binaries are built here byte by
 * byte (core modules from WAT) so every byte under test is visible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/buf.h"
#include "component/binary/comp.h"
#include "wasm/wat.h"

/* ---- A small component encoder ------------------------------------------- */

static void preamble(wf_buf *b)
{
    static const uint8_t p[8] = { 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00 };
    wf_buf_bytes(b, p, 8);
}

/* Append a section with id and the given content bytes. */
static void section(wf_buf *b, uint8_t id, const wf_buf *content)
{
    wf_buf_byte(b, id);
    wf_buf_u32leb(b, (uint32_t)content->len);
    wf_buf_bytes(b, content->data, content->len);
}

/* A section from literal bytes. */
static void section_lit(wf_buf *b, uint8_t id, const uint8_t *p, size_t n)
{
    wf_buf c = { 0 };
    wf_buf_bytes(&c, p, n);
    section(b, id, &c);
    wf_buf_free(&c);
}
#define SECTION(b, id, ...)                                        \
    do {                                                           \
        static const uint8_t bytes_[] = { __VA_ARGS__ };           \
        section_lit((b), (id), bytes_, sizeof bytes_);             \
    } while (0)

static void core_module(wf_buf *b, const char *wat)
{
    wf_buf m = { 0 };
    wf_error *e = wf_wat_compile(wat, strlen(wat), &m);
    if (e) fail_msg("wat: %s", e->message);
    section(b, 1, &m);
    wf_buf_free(&m);
}

static const char adder_wat[] =
    "(module"
    "  (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
    "  (memory (export \"mem\") 1)"
    "  (func (export \"realloc\") (param i32 i32 i32 i32) (result i32) i32.const 0))";

/* (component
 *   (core module $m ...adder...)                         core module 0
 *   (core instance $i (instantiate $m))                  core instance 0
 *   (alias core export $i "add" (core func $add))        core func 0
 *   (type $ft (func (param "a" u32) (param "b" u32) (result u32)))   type 0
 *   (func $f (type $ft) (canon lift (core func $add)))   func 0
 *   (export "add" (func $f))                             func 1
 *   (type $r (resource (rep i32)))                       type 1
 *   (core func $new (canon resource.new $r))             core func 1
 *   (alias core export $i "mem" (core memory))           core memory 0
 *   (alias core export $i "realloc" (core func))         core func 2
 *   (type (func (param "s" string) (result string)))     type 2
 *   (func (type 2) (canon lift (core func 2) (memory 0) (realloc 2) string-encoding=utf16))  func 2
 * ) -- the last lift is invalid: core func 2 has the realloc signature; see below */
static uint8_t *adder_component(size_t *len, bool with_string_lift)
{
    wf_buf b = { 0 };
    preamble(&b);
    core_module(&b, adder_wat);
    SECTION(&b, 2, 1, 0x00, 0x00, 0x00);
    SECTION(&b, 6, 1, 0x00, 0x00, 0x01, 0x00, 3, 'a', 'd', 'd');
    SECTION(&b, 7, 1, 0x40, 2, 1, 'a', 0x79, 1, 'b', 0x79, 0x00, 0x79);
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 0x00, 0x00);
    SECTION(&b, 11, 1, 0x00, 3, 'a', 'd', 'd', 0x01, 0x00, 0x00);
    SECTION(&b, 7, 1, 0x3f, 0x7f, 0x00);
    SECTION(&b, 8, 1, 0x02, 0x01);
    SECTION(&b, 6, 2, 0x00, 0x02, 0x01, 0x00, 3, 'm', 'e', 'm',
            0x00, 0x00, 0x01, 0x00, 7, 'r', 'e', 'a', 'l', 'l', 'o', 'c');
    if (with_string_lift) {
        SECTION(&b, 7, 1, 0x40, 1, 1, 's', 0x73, 0x00, 0x73);
        SECTION(&b, 8, 1, 0x00, 0x00, 0x02, 3, 0x03, 0x00, 0x04, 0x02, 0x01, 0x02);
    }
    return wf_buf_take(&b, len);
}

static wf_component *load_ok(const uint8_t *bytes, size_t len)
{
    wf_component *c = NULL;
    wf_error *e = wf_component_new(bytes, len, &c);
    if (e) {
        char *s = wf_error_format(e);
        fail_msg("unexpected error: %s %s", wf_error_kind_name(e->kind), s);
    }
    return c;
}

static wf_error *load_err(const uint8_t *bytes, size_t len)
{
    wf_component *c = NULL;
    wf_error *e = wf_component_new(bytes, len, &c);
    if (!e) {
        wf_component_free(c);
        fail_msg("expected an error");
    }
    assert_null(c);
    return e;
}

/* ---- Tests ---------------------------------------------------------------- */

static void test_is_binary(void **state)
{
    (void)state;
    static const uint8_t comp[8] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0 };
    static const uint8_t mod[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    assert_true(wf_component_is_binary(comp, 8));
    assert_false(wf_component_is_binary(mod, 8));
    assert_false(wf_component_is_binary(comp, 7));
}

static void test_empty_component(void **state)
{
    (void)state;
    static const uint8_t comp[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0, 0x00, 0x03, 0x02, 'h', 'i' };
    wf_component *c = load_ok(comp, sizeof comp);
    assert_int_equal(c->ndefs, 0);
    assert_int_equal(wf_component_import_count(c), 0);
    assert_int_equal(wf_component_export_count(c), 0);
    assert_non_null(c->ctype);
    assert_int_equal(c->ctype->kind, WF_CTYPE_COMPONENT);
    wf_component_free(c);
}

static void test_definitions_in_order(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = adder_component(&len, false);
    wf_component *c = load_ok(bytes, len);
    assert_int_equal(c->ndefs, 10);

    const wf_cdef *d = c->defs;
    assert_int_equal(d[0].kind, WF_CDEF_CORE_MODULE);
    assert_int_equal(d[0].sort, WF_CSORT_CORE_MODULE);
    assert_non_null(d[0].u.core_module.module);

    assert_int_equal(d[1].kind, WF_CDEF_CORE_INSTANCE);
    assert_true(d[1].u.core_instance.instantiate);
    assert_int_equal(d[1].u.core_instance.nargs, 0);
    assert_int_equal(d[1].type->kind, WF_CTYPE_CORE_INSTANCE);
    assert_int_equal(d[1].type->ncore_exports, 3);

    assert_int_equal(d[2].kind, WF_CDEF_ALIAS);
    assert_int_equal(d[2].u.alias.kind, WF_CALIAS_CORE_EXPORT);
    assert_string_equal(d[2].u.alias.name, "add");
    assert_int_equal(d[2].sort, WF_CSORT_CORE_FUNC);
    assert_int_equal(d[2].index, 0);
    assert_int_equal(d[2].core_extern.kind, WF_EXTERN_FUNC);
    assert_int_equal(d[2].core_extern.type.func->nparams, 2);

    assert_int_equal(d[3].kind, WF_CDEF_TYPE);
    assert_int_equal(d[3].type->kind, WF_CTYPE_FUNC);

    assert_int_equal(d[4].kind, WF_CDEF_CANON);
    assert_int_equal(d[4].u.canon.kind, WF_CANON_LIFT);
    assert_int_equal(d[4].sort, WF_CSORT_FUNC);
    assert_int_equal(d[4].index, 0);
    assert_int_equal(d[4].u.canon.func, 0);
    assert_ptr_equal(d[4].u.canon.func_type, d[3].type->func);
    assert_int_equal(d[4].u.canon.opts.encoding, WF_CENC_UTF8);

    assert_int_equal(d[5].kind, WF_CDEF_EXPORT);
    assert_int_equal(d[5].sort, WF_CSORT_FUNC);
    assert_int_equal(d[5].index, 1);
    assert_int_equal(d[5].u.export.item.idx, 0);

    assert_int_equal(d[6].kind, WF_CDEF_TYPE);
    assert_int_equal(d[6].type->kind, WF_CTYPE_RESOURCE);
    const wf_cresource *r = d[6].type->resource;
    assert_int_equal(r->kind, WF_CRES_DEFINED);
    assert_ptr_equal(r->owner, c);
    assert_int_equal(r->type_index, 1);
    assert_false(r->has_dtor);

    assert_int_equal(d[7].u.canon.kind, WF_CANON_RESOURCE_NEW);
    assert_int_equal(d[7].sort, WF_CSORT_CORE_FUNC);
    assert_int_equal(d[7].index, 1);
    assert_ptr_equal(d[7].u.canon.resource, r);

    assert_int_equal(c->count[WF_CSORT_CORE_FUNC], 3);
    assert_int_equal(c->count[WF_CSORT_FUNC], 2);
    assert_int_equal(c->count[WF_CSORT_TYPE], 2);
    assert_int_equal(c->count[WF_CSORT_CORE_MEMORY], 1);
    assert_ptr_equal(c->space[WF_CSORT_FUNC][1], &d[5]);
    assert_ptr_equal(c->space[WF_CSORT_CORE_FUNC][2], &d[9]);
    assert_int_equal(d[8].sort, WF_CSORT_CORE_MEMORY);
    assert_int_equal(d[8].core_extern.type.mem.limits.min, 1);

    /* the embedder's view */
    assert_int_equal(wf_component_export_count(c), 1);
    const wf_cextern *ex = wf_component_export(c, 0);
    assert_string_equal(ex->name, "add");
    assert_int_equal(ex->kind, WF_CEXTERN_FUNC);
    const wf_wit_func *f = wf_component_find_func(c, "add");
    assert_non_null(f);
    assert_int_equal(f->nparams, 2);
    assert_string_equal(f->params[1].name, "b");
    assert_int_equal(f->params[0].type->kind, WF_WIT_U32);
    assert_int_equal(f->nresults, 1);
    assert_null(wf_component_find_func(c, "nope"));
    wf_component_free(c);
    free(bytes);
}

static void test_lift_type_mismatch_is_invalid(void **state)
{
    (void)state;
    /* core func 2 is realloc (i32 x4 -> i32), the type is (string) -> string */
    size_t len;
    uint8_t *bytes = adder_component(&len, true);
    wf_error *e = load_err(bytes, len);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "type mismatch"));
    assert_true(e->offset > 0);
    wf_error_free(e);
    free(bytes);
}

static void test_string_lift_options(void **state)
{
    (void)state;
    /* a core func (i32 i32) -> i32 lifted as (s: string) -> u32 needs memory and realloc */
    wf_buf b = { 0 };
    preamble(&b);
    core_module(&b, "(module (memory (export \"mem\") 1)"
                    " (func (export \"len\") (param i32 i32) (result i32) local.get 1)"
                    " (func (export \"realloc\") (param i32 i32 i32 i32) (result i32) i32.const 0)"
                    " (func (export \"post\") (param i32)))");
    SECTION(&b, 2, 1, 0x00, 0x00, 0x00);
    SECTION(&b, 6, 4, 0x00, 0x02, 0x01, 0x00, 3, 'm', 'e', 'm',
            0x00, 0x00, 0x01, 0x00, 3, 'l', 'e', 'n',
            0x00, 0x00, 0x01, 0x00, 7, 'r', 'e', 'a', 'l', 'l', 'o', 'c',
            0x00, 0x00, 0x01, 0x00, 4, 'p', 'o', 's', 't');
    SECTION(&b, 7, 1, 0x40, 1, 1, 's', 0x73, 0x00, 0x79);
    size_t base = b.len;
    /* (canon lift (core func 0) (memory 0) (realloc 1) string-encoding=latin1+utf16 (type 0)) */
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 3, 0x03, 0x00, 0x04, 0x01, 0x02, 0x00);
    wf_component *c = load_ok(b.data, b.len);
    const wf_cdef *d = &c->defs[c->ndefs - 1];
    assert_int_equal(d->u.canon.kind, WF_CANON_LIFT);
    assert_true(d->u.canon.opts.has_memory);
    assert_true(d->u.canon.opts.has_realloc);
    assert_int_equal(d->u.canon.opts.realloc, 1);
    assert_int_equal(d->u.canon.opts.encoding, WF_CENC_LATIN1_UTF16);
    wf_component_free(c);

    /* without realloc: invalid */
    b.len = base;
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 1, 0x03, 0x00, 0x00);
    wf_error *e = load_err(b.data, b.len);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "realloc"));
    wf_error_free(e);

    /* two encodings: invalid */
    b.len = base;
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 4, 0x03, 0x00, 0x04, 0x01, 0x00, 0x01, 0x00);
    e = load_err(b.data, b.len);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);

    /* post-return with the wrong type (param i32 matches the i32 result: valid) */
    b.len = base;
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 3, 0x03, 0x00, 0x04, 0x01, 0x05, 0x02, 0x00);
    c = load_ok(b.data, b.len);
    assert_true(c->defs[c->ndefs - 1].u.canon.opts.has_post_return);
    assert_int_equal(c->defs[c->ndefs - 1].u.canon.opts.post_return, 2);
    wf_component_free(c);
    b.len = base;
    SECTION(&b, 8, 1, 0x00, 0x00, 0x00, 3, 0x03, 0x00, 0x04, 0x01, 0x05, 0x01, 0x00);
    e = load_err(b.data, b.len);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "post-return"));
    wf_error_free(e);
    wf_buf_free(&b);
}

/* (component
 *   (type (func (result u32)))                                 type 0
 *   (component $inner                                          component 0
 *     (alias outer 1 0 (type))                                 type 0
 *     (import "f" (func (type 0)))                             func 0
 *     (export "g" (func 0)))                                   func 1
 *   (import "h" (func (type 0)))                               func 0
 *   (instance (instantiate 0 (with "f" (func 0))))             instance 0
 *   (alias export 0 "g" (func))                                func 1
 *   (export "g" (func 1)))                                     func 2 */
static uint8_t *nested_component(size_t *len, const char *arg_name)
{
    wf_buf inner = { 0 };
    preamble(&inner);
    SECTION(&inner, 6, 1, 0x03, 0x02, 0x01, 0x00);
    SECTION(&inner, 10, 1, 0x00, 1, 'f', 0x01, 0x00);
    SECTION(&inner, 11, 1, 0x00, 1, 'g', 0x01, 0x00, 0x00);
    wf_buf b = { 0 };
    preamble(&b);
    SECTION(&b, 7, 1, 0x40, 0, 0x00, 0x79);
    section(&b, 4, &inner);
    SECTION(&b, 10, 1, 0x00, 1, 'h', 0x01, 0x00);
    wf_buf s = { 0 };
    wf_buf_bytes(&s, (const uint8_t[]){ 1, 0x00, 0x00, 1 }, 4);
    wf_buf_name(&s, arg_name, strlen(arg_name));
    wf_buf_bytes(&s, (const uint8_t[]){ 0x01, 0x00 }, 2);
    section(&b, 5, &s);
    SECTION(&b, 6, 1, 0x01, 0x00, 0x00, 1, 'g');
    SECTION(&b, 11, 1, 0x00, 1, 'g', 0x01, 0x01, 0x00);
    wf_buf_free(&inner);
    wf_buf_free(&s);
    return wf_buf_take(&b, len);
}

static void test_nested_component_and_instances(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = nested_component(&len, "f");
    wf_component *c = load_ok(bytes, len);
    assert_int_equal(c->ndefs, 6);
    const wf_cdef *d = c->defs;
    assert_int_equal(d[1].kind, WF_CDEF_COMPONENT);
    const wf_component *inner = d[1].u.component.component;
    assert_ptr_equal(inner->parent, c);
    assert_int_equal(inner->depth, 1);
    assert_int_equal(inner->ndefs, 3);
    assert_int_equal(inner->defs[0].u.alias.kind, WF_CALIAS_OUTER);
    assert_int_equal(inner->defs[0].u.alias.outer_count, 1);
    assert_ptr_equal(inner->defs[0].type, d[0].type);
    assert_int_equal(inner->nimports, 1);

    assert_int_equal(d[2].kind, WF_CDEF_IMPORT);
    assert_int_equal(d[2].sort, WF_CSORT_FUNC);
    assert_string_equal(d[2].u.import.decl.name, "h");
    assert_int_equal(d[3].kind, WF_CDEF_INSTANCE);
    assert_true(d[3].u.instance.instantiate);
    assert_int_equal(d[3].u.instance.nargs, 1);
    assert_int_equal(d[3].type->kind, WF_CTYPE_INSTANCE);
    assert_int_equal(d[3].type->nexports, 1);
    assert_int_equal(d[4].u.alias.kind, WF_CALIAS_EXPORT);
    assert_int_equal(d[4].index, 1);
    assert_int_equal(d[5].index, 2);

    assert_int_equal(wf_component_import_count(c), 1);
    assert_int_equal(wf_component_import(c, 0)->kind, WF_CEXTERN_FUNC);
    assert_non_null(wf_component_find_func(c, "g"));
    wf_component_free(c);
    free(bytes);

    /* an instantiation without the import "f" is invalid */
    bytes = nested_component(&len, "x");
    wf_error *e = load_err(bytes, len);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "missing import named `f`"));
    wf_error_free(e);
    free(bytes);
}

static void test_malformed(void **state)
{
    (void)state;
    static const uint8_t short_pre[] = { 0, 'a', 's', 'm', 0x0d, 0 };
    wf_error *e = load_err(short_pre, sizeof short_pre);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
    static const uint8_t bad_id[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0, 0x0d, 0x00 };
    e = load_err(bad_id, sizeof bad_id);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    assert_int_equal(e->offset, 8);
    assert_non_null(strstr(e->message, "section id"));
    wf_error_free(e);
    /* custom section name runs past the section */
    static const uint8_t bad_custom[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0, 0x00, 0x03, 0x05, 'a', 'b' };
    e = load_err(bad_custom, sizeof bad_custom);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
    /* a section whose content is longer than its items */
    static const uint8_t extra[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0, 0x07, 0x03, 0x01, 0x79, 0x00 };
    e = load_err(extra, sizeof extra);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
}

static void test_invalid_names_and_types(void **state)
{
    (void)state;
    /* import "Ab" (mixed case) */
    static const uint8_t mixed[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0,
                                     0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00,
                                     0x0a, 0x07, 0x01, 0x00, 0x02, 'A', 'b', 0x01, 0x00 };
    wf_error *e = load_err(mixed, sizeof mixed);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    /* two imports "a" and "A" */
    static const uint8_t dup[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0,
                                   0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00,
                                   0x0a, 0x0b, 0x02, 0x00, 0x01, 'a', 0x01, 0x00,
                                   0x00, 0x01, 'A', 0x01, 0x00 };
    e = load_err(dup, sizeof dup);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "conflicts"));
    wf_error_free(e);
    /* (own 0) where type 0 is not a resource */
    static const uint8_t own[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0,
                                   0x07, 0x04, 0x02, 0x73, 0x69, 0x00 };
    e = load_err(own, sizeof own);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_non_null(strstr(e->message, "not a resource type"));
    wf_error_free(e);
    /* an imported resource cannot be given to resource.new */
    static const uint8_t rnew[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0,
                                    0x0a, 0x06, 0x01, 0x00, 0x01, 'r', 0x03, 0x01,
                                    0x08, 0x03, 0x01, 0x02, 0x00 };
    e = load_err(rnew, sizeof rnew);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    /* but resource.drop of it is fine, and the import is an abstract resource */
    static const uint8_t rdrop[] = { 0, 'a', 's', 'm', 0x0d, 0, 1, 0,
                                     0x0a, 0x06, 0x01, 0x00, 0x01, 'r', 0x03, 0x01,
                                     0x08, 0x03, 0x01, 0x03, 0x00 };
    wf_component *c = load_ok(rdrop, sizeof rdrop);
    assert_int_equal(c->defs[0].type->kind, WF_CTYPE_RESOURCE);
    assert_int_equal(c->defs[0].type->resource->kind, WF_CRES_IMPORTED);
    assert_ptr_equal(c->defs[1].u.canon.resource, c->defs[0].type->resource);
    assert_int_equal(c->defs[1].u.canon.kind, WF_CANON_RESOURCE_DROP);
    wf_component_free(c);
}

/* Every truncation and many byte flips end in a clean error or a valid
 * component: never a crash, hang or leak (ASan build). */
static void check_clean(const uint8_t *bytes, size_t len)
{
    wf_component *c = NULL;
    wf_error *e = wf_component_new(bytes, len, &c);
    if (e) {
        assert_true(e->kind == WF_ERR_MALFORMED || e->kind == WF_ERR_INVALID ||
                    e->kind == WF_ERR_UNSUPPORTED || e->kind == WF_ERR_LIMIT);
        assert_non_null(e->message);
        assert_null(c);
        wf_error_free(e);
    } else {
        assert_non_null(c);
        wf_component_free(c);
    }
}

static void hostile(const uint8_t *bytes, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        wf_component *c = NULL;
        wf_error *e = wf_component_new(bytes, n, &c);
        if (n < len) {
            /* a strict prefix may still be a complete component when it ends
             * on a section boundary; otherwise it must be malformed */
            if (e) assert_true(e->kind == WF_ERR_MALFORMED || e->kind == WF_ERR_INVALID);
        }
        if (e) wf_error_free(e);
        wf_component_free(c);
    }
    uint8_t *copy = malloc(len);
    uint32_t seed = 12345;
    for (int i = 0; i < 4000; i++) {
        memcpy(copy, bytes, len);
        int flips = 1 + i % 3;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            copy[at] ^= (uint8_t)(1u << ((seed >> 16) % 8));
            if (i % 7 == 0) copy[at] = (uint8_t)(seed >> 20);
        }
        check_clean(copy, len);
    }
    free(copy);
}

static void test_robustness(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = adder_component(&len, false);
    hostile(bytes, len);
    free(bytes);
    bytes = nested_component(&len, "f");
    hostile(bytes, len);
    free(bytes);
}

/* The jco-built fixtures (tests/fixtures/components): real components with
 * every value type kind, strings and imports; they load, and survive the
 * same hostile treatment. */
static uint8_t *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/components/%s", WF_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    uint8_t *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static void test_jco_fixtures(void **state)
{
    (void)state;
    static const char *const names[] = { "kinds.wasm", "calc.wasm", "users.wasm", "dice.wasm" };
    for (size_t i = 0; i < WF_COUNT(names); i++) {
        size_t len;
        uint8_t *bytes = read_fixture(names[i], &len);
        wf_component *c = load_ok(bytes, len);
        assert_true(c->nexports > 0);
        wf_component_free(c);
        if (i < 2) hostile(bytes, len);
        free(bytes);
    }
    size_t len;
    uint8_t *bytes = read_fixture("calc.wasm", &len);
    wf_component *c = load_ok(bytes, len);
    /* method names: "f", "iface#f" by full name, without version, last segment */
    assert_non_null(wf_component_find_func(c, "eval"));
    assert_non_null(wf_component_find_func(c, "wasmfn:calc/ops#add"));
    assert_non_null(wf_component_find_func(c, "ops#greet"));
    assert_null(wf_component_find_func(c, "ops#nope"));
    assert_null(wf_component_find_func(c, "add"));
    wf_component_free(c);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_binary),
        cmocka_unit_test(test_empty_component),
        cmocka_unit_test(test_definitions_in_order),
        cmocka_unit_test(test_lift_type_mismatch_is_invalid),
        cmocka_unit_test(test_string_lift_options),
        cmocka_unit_test(test_nested_component_and_instances),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_invalid_names_and_types),
        cmocka_unit_test(test_robustness),
        cmocka_unit_test(test_jco_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
