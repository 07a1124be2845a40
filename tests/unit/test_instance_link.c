/* test_instance_link.c - instantiation on hand-built module IR (no decoder):
 * import matching, object creation, segment initialisation order, partial
 * initialisation on a trap, the start function, exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/runtime.h"
#include "wasm/types.h"
#include "wasm/image.h"

#define C1(op, imm) ((wf_constexpr){ (wf_cinstr[]){ { op, imm } }, 1 })
#define I32(v) C1(WF_COP_I32_CONST, (uint32_t)(v))

static const wf_functype *ft_void(void) { return wf_functype_get(NULL, 0, NULL, 0); }
static const wf_functype *ft_i32(void)
{
    wf_valtype r = WF_TYPE_I32;
    return wf_functype_get(NULL, 0, &r, 1);
}

static wf_import imp(const char *mod, const char *name, wf_extern_kind kind)
{
    return (wf_import){ .module = (char *)mod, .name = (char *)name,
                        .module_len = (uint32_t)strlen(mod), .name_len = (uint32_t)strlen(name),
                        .kind = (uint8_t)kind };
}

static void expect_error(wf_error *e, wf_error_kind kind, const char *prefix)
{
    assert_non_null(e);
    if (e->kind != kind || strncmp(e->message, prefix, strlen(prefix)))
        fail_msg("got %s '%s', expected %s '%s'", wf_error_kind_name(e->kind), e->message,
                 wf_error_kind_name(kind), prefix);
    wf_error_free(e);
}

static int calls;
static wf_error *count_call(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)slots;
    calls++;
    return env ? wf_error_new(WF_ERR_TRAP, "unreachable") : NULL;
}

static void test_import_count_and_kind(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[1] = { imp("env", "f", WF_EXTERN_FUNC) };
    ims[0].type.func = ft_void();
    wf_funcdef fd[1] = { { .type = ft_void() } };
    wf_module m = { .imports = ims, .nimports = 1, .funcs = fd, .nfuncs = 1, .nfunc_imports = 1 };
    wf_instance *inst;
    expect_error(wf_instance_new(s, &m, NULL, 0, &inst), WF_ERR_UNLINKABLE, "wrong number of imports");
    assert_null(inst);

    wf_extern ex = { .kind = WF_EXTERN_GLOBAL,
                     .of.global = wf_global_new(s, WF_TYPE_I32, false, (wf_value){ .type = WF_TYPE_I32 }) };
    wf_error *e = wf_instance_new(s, &m, &ex, 1, &inst);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "\"env\" \"f\""));
    expect_error(e, WF_ERR_UNLINKABLE, "incompatible import type");

    ex = (wf_extern){ .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(s, ft_i32(), count_call, NULL) };
    expect_error(wf_instance_new(s, &m, &ex, 1, &inst), WF_ERR_UNLINKABLE, "incompatible import type");
    ex.of.func = wf_func_new_host(s, ft_void(), count_call, NULL);
    assert_null(wf_instance_new(s, &m, &ex, 1, &inst));
    assert_non_null(inst);
    assert_ptr_equal(inst->funcs[0], ex.of.func);
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

static void test_import_table_memory_limits(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[2] = { imp("m", "t", WF_EXTERN_TABLE), imp("m", "mem", WF_EXTERN_MEMORY) };
    ims[0].type.table = (wf_tabletype){ .elem = WF_TYPE_FUNCREF, .limits = { .min = 10, .max = 20, .has_max = true } };
    ims[1].type.mem = (wf_memtype){ .limits = { .min = 1, .max = 2, .has_max = true } };
    wf_tabletype tt[1] = { ims[0].type.table };
    wf_tabledef td[1] = { { .type = tt[0] } };
    wf_memtype mt[1] = { ims[1].type.mem };
    wf_module m = { .imports = ims, .nimports = 2, .tables = td, .ntables = 1, .ntable_imports = 1,
                    .mems = mt, .nmems = 1, .nmem_imports = 1 };
    struct { uint32_t min, max; bool has_max; bool ok; } tcases[] = {
        { 10, 20, true, true }, { 15, 15, true, true }, { 9, 20, true, false },
        { 10, 21, true, false }, { 10, 0, false, false }, { 30, 30, true, false },
    };
    wf_memory *good_mem = wf_memory_new(s, 1, 2, true);
    for (size_t i = 0; i < WF_COUNT(tcases); i++) {
        wf_extern ex[2] = {
            { .kind = WF_EXTERN_TABLE,
              .of.table = wf_table_new(s, WF_TYPE_FUNCREF, tcases[i].min, tcases[i].max, tcases[i].has_max, NULL) },
            { .kind = WF_EXTERN_MEMORY, .of.memory = good_mem },
        };
        wf_instance *inst;
        wf_error *e = wf_instance_new(s, &m, ex, 2, &inst);
        if (tcases[i].ok) assert_null(e);
        else expect_error(e, WF_ERR_UNLINKABLE, "incompatible import type");
    }
    /* A grown table matches by its current size. */
    wf_table *t = wf_table_new(s, WF_TYPE_FUNCREF, 5, 20, true, NULL);
    wf_extern ex[2] = { { .kind = WF_EXTERN_TABLE, .of.table = t },
                        { .kind = WF_EXTERN_MEMORY, .of.memory = good_mem } };
    wf_instance *inst;
    expect_error(wf_instance_new(s, &m, ex, 2, &inst), WF_ERR_UNLINKABLE, "incompatible import type");
    assert_int_equal(wf_table_grow(t, 5, NULL), 5);
    assert_null(wf_instance_new(s, &m, ex, 2, &inst));
    /* Element type must be equal. */
    ex[0].of.table = wf_table_new(s, WF_TYPE_EXTERNREF, 10, 20, true, NULL);
    expect_error(wf_instance_new(s, &m, ex, 2, &inst), WF_ERR_UNLINKABLE, "incompatible import type");
    ex[0].of.table = t;

    struct { uint32_t min, max; bool has_max; bool ok; } mcases[] = {
        { 1, 2, true, true }, { 2, 2, true, true }, { 0, 2, true, false },
        { 1, 3, true, false }, { 1, 0, false, false },
    };
    for (size_t i = 0; i < WF_COUNT(mcases); i++) {
        ex[1].of.memory = wf_memory_new(s, mcases[i].min, mcases[i].max, mcases[i].has_max);
        wf_error *e = wf_instance_new(s, &m, ex, 2, &inst);
        if (mcases[i].ok) assert_null(e);
        else expect_error(e, WF_ERR_UNLINKABLE, "incompatible import type");
    }
    /* A grown memory matches by its current size. */
    wf_memory *g = wf_memory_new(s, 0, 2, true);
    ex[1].of.memory = g;
    expect_error(wf_instance_new(s, &m, ex, 2, &inst), WF_ERR_UNLINKABLE, "incompatible import type");
    assert_int_equal(wf_memory_grow(g, 1), 0);
    assert_null(wf_instance_new(s, &m, ex, 2, &inst));
    assert_ptr_equal(inst->mems[0], g);
    assert_ptr_equal(inst->tables[0], t);
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

static void test_import_globals(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[1] = { imp("g", "x", WF_EXTERN_GLOBAL) };
    wf_globaldef gd[1];
    wf_module m = { .imports = ims, .nimports = 1, .globals = gd, .nglobals = 1, .nglobal_imports = 1 };
    wf_valtype funcref_nn = { WF_REF, WF_HEAP_FUNC, 0, 0 };
    struct { wf_valtype want; bool want_mut; wf_valtype have; bool have_mut; bool ok; } cases[] = {
        { WF_TYPE_I32, false, WF_TYPE_I32, false, true },
        { WF_TYPE_I32, false, WF_TYPE_I64, false, false },
        { WF_TYPE_I32, true, WF_TYPE_I32, false, false },
        { WF_TYPE_I32, false, WF_TYPE_I32, true, false },
        { WF_TYPE_I32, true, WF_TYPE_I32, true, true },
        { WF_TYPE_FUNCREF, false, funcref_nn, false, true },  /* subtype, immutable */
        { WF_TYPE_FUNCREF, true, funcref_nn, true, false },   /* mutable: equal only */
        { funcref_nn, false, WF_TYPE_FUNCREF, false, false },
        { WF_TYPE_FUNCREF, false, WF_TYPE_EXTERNREF, false, false },
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) {
        ims[0].type.global = (wf_globaltype){ cases[i].want, cases[i].want_mut };
        gd[0].type = ims[0].type.global;
        wf_value v = { .type = cases[i].have, .of.i64 = 5 };
        wf_extern ex = { .kind = WF_EXTERN_GLOBAL,
                         .of.global = wf_global_new(s, cases[i].have, cases[i].have_mut, v) };
        wf_instance *inst;
        wf_error *e = wf_instance_new(s, &m, &ex, 1, &inst);
        if (cases[i].ok) {
            assert_null(e);
            assert_ptr_equal(inst->globals[0], ex.of.global);
        } else {
            expect_error(e, WF_ERR_UNLINKABLE, "incompatible import type");
        }
    }
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

/* A module with an imported table (10) and memory (1 page), two defined
 * functions, and segments: elem at 7 ($f0), data "ab" at 0, data "d" at
 * data_off (out of bounds when 0x10000). */
static void test_segments_partial_init(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[2] = { imp("Mt", "tab", WF_EXTERN_TABLE), imp("Mm", "mem", WF_EXTERN_MEMORY) };
    ims[0].type.table = (wf_tabletype){ .elem = WF_TYPE_FUNCREF, .limits = { .min = 10 } };
    ims[1].type.mem = (wf_memtype){ .limits = { .min = 1 } };
    wf_tabledef td[1] = { { .type = ims[0].type.table } };
    wf_memtype mt[1] = { ims[1].type.mem };
    wf_funcdef fd[2] = { { .type = ft_i32(), .name = "f0" }, { .type = ft_i32(), .name = "f1" } };
    wf_constexpr items0[1] = { C1(WF_COP_REF_FUNC, 0) };
    wf_constexpr items1[2] = { C1(WF_COP_REF_FUNC, 1), C1(WF_COP_REF_NULL, 0) };
    wf_elemseg es[3] = {
        { .mode = WF_SEG_ACTIVE, .table = 0, .offset = I32(7), .type = WF_TYPE_FUNCREF, .items = items0, .nitems = 1 },
        { .mode = WF_SEG_PASSIVE, .type = WF_TYPE_FUNCREF, .items = items1, .nitems = 2 },
        { .mode = WF_SEG_DECLARATIVE, .type = WF_TYPE_FUNCREF, .items = items1, .nitems = 2 },
    };
    wf_dataseg ds[3] = {
        { .mode = WF_SEG_ACTIVE, .memory = 0, .offset = I32(0), .bytes = (const uint8_t *)"ab", .len = 2 },
        { .mode = WF_SEG_ACTIVE, .memory = 0, .offset = I32(0x10000), .bytes = (const uint8_t *)"d", .len = 1 },
        { .mode = WF_SEG_PASSIVE, .bytes = (const uint8_t *)"xyz", .len = 3 },
    };
    wf_module m = { .imports = ims, .nimports = 2, .tables = td, .ntables = 1, .ntable_imports = 1,
                    .mems = mt, .nmems = 1, .nmem_imports = 1, .funcs = fd, .nfuncs = 2,
                    .elems = es, .nelems = 3, .datas = ds, .ndatas = 3 };
    wf_table *t = wf_table_new(s, WF_TYPE_FUNCREF, 10, 0, false, NULL);
    wf_memory *mem = wf_memory_new(s, 1, 0, false);
    wf_extern ex[2] = { { .kind = WF_EXTERN_TABLE, .of.table = t },
                        { .kind = WF_EXTERN_MEMORY, .of.memory = mem } };
    wf_instance *inst;
    expect_error(wf_instance_new(s, &m, ex, 2, &inst), WF_ERR_TRAP, "out of bounds memory access");
    assert_null(inst);
    /* The element segment and the first data segment were applied. */
    wf_func *f = t->elems[7];
    assert_non_null(f);
    assert_string_equal(f->name, "f0");
    assert_int_equal(f->index, 0);
    assert_ptr_equal(f->type, ft_i32());
    assert_non_null(f->inst);
    assert_memory_equal(mem->base, "ab", 2);

    /* Data fits once the memory has grown: the instance is complete. */
    assert_int_equal(wf_memory_grow(mem, 1), 1);
    memset(mem->base, 0, 2);
    t->elems[7] = NULL;
    assert_null(wf_instance_new(s, &m, ex, 2, &inst));
    assert_non_null(inst);
    assert_ptr_equal(t->elems[7], inst->funcs[0]);
    assert_memory_equal(mem->base, "ab", 2);
    assert_int_equal(mem->base[0x10000], 'd');
    /* Active and declarative segments are dropped, the passive ones kept. */
    assert_int_equal(inst->elem_len[0], 0);
    assert_int_equal(inst->elem_len[1], 2);
    assert_ptr_equal(inst->elem_items[1][0], inst->funcs[1]);
    assert_null(inst->elem_items[1][1]);
    assert_int_equal(inst->elem_len[2], 0);
    assert_true(inst->data_dropped[0] && inst->data_dropped[1]);
    assert_false(inst->data_dropped[2]);

    /* table.init / memory.init / drops. */
    assert_true(wf_instance_table_init(inst, t, 1, 8, 0, 2));
    assert_ptr_equal(t->elems[8], inst->funcs[1]);
    assert_false(wf_instance_table_init(inst, t, 1, 9, 0, 2));
    assert_false(wf_instance_table_init(inst, t, 1, 0, 1, 2));
    assert_true(wf_instance_table_init(inst, t, 1, 10, 2, 0));
    assert_false(wf_instance_table_init(inst, t, 1, 11, 0, 0));
    assert_false(wf_instance_table_init(inst, t, 1, 0, 3, 0));
    assert_false(wf_instance_table_init(inst, t, 1, 0, 0, UINT64_MAX));
    assert_true(wf_instance_table_init(inst, t, 0, 10, 0, 0));
    assert_false(wf_instance_table_init(inst, t, 0, 0, 0, 1));
    wf_instance_elem_drop(inst, 1);
    assert_false(wf_instance_table_init(inst, t, 1, 0, 0, 1));
    assert_true(wf_instance_table_init(inst, t, 1, 0, 0, 0));

    assert_true(wf_instance_memory_init(inst, mem, 2, 100, 1, 2));
    assert_memory_equal(mem->base + 100, "yz", 2);
    assert_false(wf_instance_memory_init(inst, mem, 2, 2 * WF_PAGE_SIZE - 1, 0, 2));
    assert_true(wf_instance_memory_init(inst, mem, 2, 2 * WF_PAGE_SIZE, 3, 0));
    assert_false(wf_instance_memory_init(inst, mem, 2, 0, 4, 0));
    assert_false(wf_instance_memory_init(inst, mem, 2, 0, 0, UINT64_MAX));
    assert_false(wf_instance_memory_init(inst, mem, 0, 0, 0, 1));
    wf_instance_data_drop(inst, 2);
    assert_false(wf_instance_memory_init(inst, mem, 2, 0, 0, 1));
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

static void test_elem_trap_stops_data(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[1] = { imp("Mt", "tab", WF_EXTERN_TABLE) };
    ims[0].type.table = (wf_tabletype){ .elem = WF_TYPE_FUNCREF, .limits = { .min = 10 } };
    wf_tabledef td[1] = { { .type = ims[0].type.table } };
    wf_memtype mt[1] = { { .limits = { .min = 1 } } };
    wf_funcdef fd[1] = { { .type = ft_i32() } };
    wf_constexpr items[1] = { C1(WF_COP_REF_FUNC, 0) };
    wf_elemseg es[2] = {
        { .mode = WF_SEG_ACTIVE, .offset = I32(0), .type = WF_TYPE_FUNCREF, .items = items, .nitems = 1 },
        { .mode = WF_SEG_ACTIVE, .offset = I32(10), .type = WF_TYPE_FUNCREF, .items = items, .nitems = 1 },
    };
    wf_dataseg ds[1] = { { .mode = WF_SEG_ACTIVE, .offset = I32(0), .bytes = (const uint8_t *)"a", .len = 1 } };
    wf_module m = { .imports = ims, .nimports = 1, .tables = td, .ntables = 1, .ntable_imports = 1,
                    .mems = mt, .nmems = 1, .funcs = fd, .nfuncs = 1, .elems = es, .nelems = 2,
                    .datas = ds, .ndatas = 1, .has_start = false };
    wf_table *t = wf_table_new(s, WF_TYPE_FUNCREF, 10, 0, false, NULL);
    wf_extern ex = { .kind = WF_EXTERN_TABLE, .of.table = t };
    wf_instance *inst;
    expect_error(wf_instance_new(s, &m, &ex, 1, &inst), WF_ERR_TRAP, "out of bounds table access");
    assert_non_null(t->elems[0]);
    /* An empty segment just past the end is fine, one byte beyond is not. */
    es[1].nitems = 0;
    assert_null(wf_instance_new(s, &m, &ex, 1, &inst));
    es[1].offset = I32(11);
    expect_error(wf_instance_new(s, &m, &ex, 1, &inst), WF_ERR_TRAP, "out of bounds table access");
    es[1].offset = I32(-1);
    expect_error(wf_instance_new(s, &m, &ex, 1, &inst), WF_ERR_TRAP, "out of bounds table access");
    /* Same for data: offset -1 is 4 GiB - 1, not negative. */
    es[1].offset = I32(10);
    ds[0].offset = I32(-1);
    expect_error(wf_instance_new(s, &m, &ex, 1, &inst), WF_ERR_TRAP, "out of bounds memory access");
    ds[0].len = 0;
    ds[0].offset = I32(WF_PAGE_SIZE);
    assert_null(wf_instance_new(s, &m, &ex, 1, &inst));
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

static void test_globals_tables_start_exports(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_import ims[2] = { imp("h", "start", WF_EXTERN_FUNC), imp("h", "g", WF_EXTERN_GLOBAL) };
    ims[0].type.func = ft_void();
    ims[1].type.global = (wf_globaltype){ WF_TYPE_I32, false };
    wf_funcdef fd[2] = { { .type = ft_void() }, { .type = ft_i32(), .name = "f" } };
    wf_cinstr g1[] = { { WF_COP_GLOBAL_GET, 0 }, { WF_COP_I32_CONST, 2 }, { WF_COP_I32_MUL, 0 } };
    wf_cinstr g2[] = { { WF_COP_GLOBAL_GET, 1 }, { WF_COP_I32_CONST, 1 }, { WF_COP_I32_ADD, 0 } };
    wf_globaldef gd[4] = {
        { .type = ims[1].type.global },
        { .type = { WF_TYPE_I32, true }, .init = { g1, 3 } },
        { .type = { WF_TYPE_I32, false }, .init = { g2, 3 } },
        { .type = { WF_TYPE_FUNCREF, false }, .init = C1(WF_COP_REF_FUNC, 1) },
    };
    wf_tabledef td[2] = {
        { .type = { .elem = WF_TYPE_FUNCREF, .limits = { .min = 3 } }, .init = C1(WF_COP_GLOBAL_GET, 3) },
        { .type = { .elem = WF_TYPE_EXTERNREF, .limits = { .min = 2, .max = 4, .has_max = true } } },
    };
    wf_memtype mt[1] = { { .limits = { .min = 0, .max = 1, .has_max = true } } };
    wf_export xs[5] = {
        { .name = "f", .name_len = 1, .kind = WF_EXTERN_FUNC, .index = 1 },
        { .name = "g2", .name_len = 2, .kind = WF_EXTERN_GLOBAL, .index = 2 },
        { .name = "t", .name_len = 1, .kind = WF_EXTERN_TABLE, .index = 1 },
        { .name = "mem", .name_len = 3, .kind = WF_EXTERN_MEMORY, .index = 0 },
        { .name = "imp", .name_len = 3, .kind = WF_EXTERN_FUNC, .index = 0 },
    };
    wf_module m = { .imports = ims, .nimports = 2, .funcs = fd, .nfuncs = 2, .nfunc_imports = 1,
                    .globals = gd, .nglobals = 4, .nglobal_imports = 1, .tables = td, .ntables = 2,
                    .mems = mt, .nmems = 1, .exports = xs, .nexports = 5, .has_start = true, .start = 0 };
    wf_extern ex[2] = {
        { .kind = WF_EXTERN_FUNC, .of.func = wf_func_new_host(s, ft_void(), count_call, NULL) },
        { .kind = WF_EXTERN_GLOBAL,
          .of.global = wf_global_new(s, WF_TYPE_I32, false, (wf_value){ .type = WF_TYPE_I32, .of.i32 = 20 }) },
    };
    calls = 0;
    wf_instance *inst;
    assert_null(wf_instance_new(s, &m, ex, 2, &inst));
    assert_int_equal(calls, 1);
    assert_int_equal(inst->globals[1]->value.i32, 40);
    assert_true(inst->globals[1]->type.mut);
    assert_int_equal(inst->globals[2]->value.i32, 41);
    assert_ptr_equal(inst->globals[3]->value.ref, inst->funcs[1]);
    assert_int_equal(inst->tables[0]->size, 3);
    assert_ptr_equal(inst->tables[0]->elems[2], inst->funcs[1]);
    assert_null(inst->tables[1]->elems[1]);
    assert_int_equal(inst->mems[0]->size, 0);

    wf_extern out;
    assert_true(wf_instance_export(inst, "f", 1, &out));
    assert_int_equal(out.kind, WF_EXTERN_FUNC);
    assert_ptr_equal(out.of.func, inst->funcs[1]);
    assert_ptr_equal(wf_func_type(out.of.func), ft_i32());
    assert_true(wf_instance_export(inst, "g2", 2, &out));
    assert_int_equal(wf_global_get(out.of.global).of.i32, 41);
    assert_true(wf_instance_export(inst, "t", 1, &out));
    assert_int_equal(wf_table_size(out.of.table), 2);
    assert_true(wf_instance_export(inst, "mem", 3, &out));
    assert_int_equal(wf_memory_size(out.of.memory), 0);
    assert_true(wf_instance_export(inst, "imp", 3, &out));
    assert_ptr_equal(out.of.func, ex[0].of.func);
    assert_false(wf_instance_export(inst, "g", 1, &out));
    assert_false(wf_instance_export(inst, "mem2", 4, &out));
    assert_false(wf_instance_export(inst, "me", 2, &out));

    wf_caller c = { .inst = inst };
    assert_ptr_equal(wf_caller_instance(&c), inst);
    assert_ptr_equal(wf_caller_memory(&c), inst->mems[0]);

    /* A start function that traps fails the instantiation with its error. */
    ex[0].of.func = wf_func_new_host(s, ft_void(), count_call, (void *)1);
    expect_error(wf_instance_new(s, &m, ex, 2, &inst), WF_ERR_TRAP, "unreachable");
    assert_int_equal(calls, 2);
    assert_null(inst);
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
}

static void test_limits_at_instantiation(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_tabledef td[1] = { { .type = { .elem = WF_TYPE_FUNCREF, .limits = { .min = 0xffffffffu } } } };
    wf_module m = { .tables = td, .ntables = 1 };
    wf_instance *inst;
    expect_error(wf_instance_new(s, &m, NULL, 0, &inst), WF_ERR_LIMIT, "table size");
    wf_memtype mt[1] = { { .limits = { .min = 3 } } };
    wf_module m2 = { .mems = mt, .nmems = 1 };
    s->memory_limit_pages = 2;
    expect_error(wf_instance_new(s, &m2, NULL, 0, &inst), WF_ERR_LIMIT, "memory size");
    s->memory_limit_pages = 0;
    assert_null(wf_instance_new(s, &m2, NULL, 0, &inst));
    assert_int_equal(inst->mems[0]->size, 3 * WF_PAGE_SIZE);
    wf_store_free(s);
    /* built by hand, not by wf_module_new: free the image cache as wf_module_free does */
    wf_module_images_free(&m);
    wf_module_images_free(&m2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_count_and_kind),
        cmocka_unit_test(test_import_table_memory_limits),
        cmocka_unit_test(test_import_globals),
        cmocka_unit_test(test_segments_partial_init),
        cmocka_unit_test(test_elem_trap_stops_data),
        cmocka_unit_test(test_globals_tables_start_exports),
        cmocka_unit_test(test_limits_at_instantiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
