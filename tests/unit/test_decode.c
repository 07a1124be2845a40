/* test_decode.c - the binary decoder and module-level validator, with
 * hand-written binaries for each error. Function bodies are left out where
 * possible (imported functions stand in) so these tests do not depend on
 * the body compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/decode.h"
#include "wasm/leb.h"
#include "wasm/module.h"

#define HDR "\0asm\1\0\0\0"

/* Decode a binary given as a string literal (its terminating NUL is not
 * part of it). */
#define DECODE(lit, outp) decode_bytes((const uint8_t *)(lit), sizeof(lit) - 1, (outp))

static wf_error *decode_bytes(const uint8_t *b, size_t n, wf_module **out)
{
    return wf_module_new(b, n, out);
}

static void expect_ok_(const uint8_t *b, size_t n, wf_module **keep)
{
    wf_module *m = NULL;
    wf_error *e = decode_bytes(b, n, &m);
    if (e) fail_msg("unexpected error: %s", e->message);
    assert_non_null(m);
    if (keep) *keep = m;
    else wf_module_free(m);
}
#define EXPECT_OK(lit) expect_ok_((const uint8_t *)(lit), sizeof(lit) - 1, NULL)
#define EXPECT_OK_KEEP(lit, mp) expect_ok_((const uint8_t *)(lit), sizeof(lit) - 1, (mp))

static void expect_err_(const uint8_t *b, size_t n, wf_error_kind kind, const char *msg)
{
    wf_module *m = (wf_module *)1;
    wf_error *e = decode_bytes(b, n, &m);
    assert_null(m);
    if (!e) fail_msg("expected error \"%s\", module decoded", msg);
    if (strncmp(e->message, msg, strlen(msg)) || e->kind != kind)
        fail_msg("expected %s \"%s\", got %s \"%s\"", wf_error_kind_name(kind), msg,
                 wf_error_kind_name(e->kind), e->message);
    assert_true(e->offset >= 0 && (size_t)e->offset <= n);
    wf_error_free(e);
}
#define EXPECT_ERR(lit, kind, msg) expect_err_((const uint8_t *)(lit), sizeof(lit) - 1, (kind), (msg))
#define MAL WF_ERR_MALFORMED
#define INV WF_ERR_INVALID

static void test_header(void **state)
{
    (void)state;
    EXPECT_OK(HDR);
    EXPECT_ERR("", MAL, "unexpected end");
    EXPECT_ERR("\0as", MAL, "unexpected end");
    EXPECT_ERR("\0asm\1\0\0", MAL, "unexpected end");
    EXPECT_ERR("\0ASM\1\0\0\0", MAL, "magic header not detected");
    EXPECT_ERR("\0asm\2\0\0\0", MAL, "unknown binary version");
}

static void test_sections(void **state)
{
    (void)state;
    EXPECT_ERR(HDR "\x0e\x01\x00", MAL, "malformed section id");
    EXPECT_ERR(HDR "\x01\x01\x00\x01\x01\x00", MAL, "unexpected content after last section");
    EXPECT_ERR(HDR "\x06\x01\x00\x05\x01\x00", MAL, "unexpected content after last section");
    EXPECT_ERR(HDR "\x01\x07\x01\x60\x00\x00", MAL, "length out of bounds");
    EXPECT_ERR(HDR "\x01\x05\x01\x60\x00\x00\x00", MAL, "section size mismatch");
    EXPECT_ERR(HDR "\x04\x01\x01", MAL, "unexpected end of section or function");
    EXPECT_ERR(HDR "\x01", MAL, "unexpected end");
    /* custom sections anywhere, with a valid UTF-8 name */
    EXPECT_OK(HDR "\x00\x04\x03" "abc" "\x01\x01\x00" "\x00\x02\x01" "z");
    EXPECT_ERR(HDR "\x00\x00", MAL, "unexpected end");
    EXPECT_ERR(HDR "\x00\x03\x02\xc0\x80", MAL, "malformed UTF-8 encoding");
    EXPECT_ERR(HDR "\x00\x03\x02\xed\xa0", MAL, "malformed UTF-8 encoding");
}

static void test_leb_in_sections(void **state)
{
    (void)state;
    /* memory limits: an oversized LEB and unused bits */
    EXPECT_ERR(HDR "\x05\x07\x01\x00\x82\x80\x80\x80\x80\x80\x80\x80\x80\x70", MAL, "integer too large");
    EXPECT_ERR(HDR "\x05\x03\x01\x08\x00", MAL, "malformed limits flags");
    EXPECT_ERR(HDR "\x01\x05\x01\xe0\x7f\x00\x00", MAL, "integer representation too long");
}

static void test_types(void **state)
{
    (void)state;
    wf_module *a, *b;
    /* (type (func (param i32 f64) (result i64))) and a rec group */
    EXPECT_OK_KEEP(HDR "\x01\x13\x02" "\x60\x02\x7f\x7c\x01\x7e"
                   "\x4e\x02\x60\x01\x64\x02\x00\x60\x00\x01\x64\x01", &a);
    EXPECT_OK_KEEP(HDR "\x01\x10\x02" "\x60\x00\x00"
                   "\x4e\x02\x60\x01\x64\x02\x00\x60\x00\x01\x64\x01", &b);
    assert_int_equal(a->ntypes, 3);
    assert_int_equal(a->types[0].func->nparams, 2);
    assert_int_equal(a->types[0].func->params[1].kind, WF_F64);
    assert_int_equal(a->types[0].func->results[0].kind, WF_I64);
    /* equal recursion groups in two modules are the same canonical types */
    assert_ptr_equal(a->types[1].func, b->types[1].func);
    assert_ptr_equal(a->types[2].func, b->types[2].func);
    assert_int_equal(a->types[1].func->params[0].index, a->types[2].func->id);
    wf_module_free(a);
    wf_module_free(b);

    EXPECT_ERR(HDR "\x01\x06\x01\x60\x01\x64\x01\x00", INV, "unknown type");
    /* GC: (type (struct (field (mut i8)) (field (ref null 0)))) (type (array i64)):
     * their fields and layout; a mutability byte other than 0 or 1 */
    EXPECT_OK_KEEP(HDR "\x01\x0b\x02" "\x5f\x02\x78\x01\x63\x00\x00" "\x5e\x7e\x00", &a);
    {
        uint32_t n;
        const wf_fieldtype *f = wf_type_fields(a->types[0].func, &n);
        assert_int_equal(wf_type_kind(a->types[0].func), WF_COMP_STRUCT);
        assert_int_equal(n, 2);
        assert_int_equal(f[0].packed, 1);
        assert_true(f[0].mut);
        assert_int_equal(f[1].type.heap, WF_HEAP_TYPE);
        assert_int_equal(f[1].type.index, a->types[0].func->id);
        assert_int_equal(wf_type_field_offset(a->types[0].func, 1), 8);
        assert_int_equal(wf_type_kind(a->types[1].func), WF_COMP_ARRAY);
        assert_int_equal(wf_type_elem_size(a->types[1].func), 8);
        wf_module_free(a);
    }
    EXPECT_ERR(HDR "\x01\x04\x01\x5e\x7f\x02", MAL, "malformed mutability");
    /* a function must have a function type */
    EXPECT_ERR(HDR "\x01\x03\x01\x5f\x00" "\x03\x02\x01\x00", INV, "type 0 is not a function type");
    /* v128 (SIMD) is a value type like the others: (func (param v128)) */
    {
        static const uint8_t v128_type[] = HDR "\x01\x05\x01\x60\x01\x7b\x00";
        wf_module *vm = NULL;
        wf_error *ve = wf_module_new(v128_type, sizeof v128_type - 1, &vm);
        assert_null(ve);
        assert_int_equal(vm->types[0].func->params[0].kind, WF_V128);
        assert_int_equal(vm->types[0].func->param_slots, 2);
        wf_module_free(vm);
    }
    EXPECT_ERR(HDR "\x01\x05\x01\x60\x01\x10\x00", MAL, "malformed value type");
    /* sub declarations: a final supertype cannot be extended */
    EXPECT_OK(HDR "\x01\x0c\x02" "\x50\x00\x60\x00\x00" "\x4f\x01\x00\x60\x00\x00");
    EXPECT_ERR(HDR "\x01\x0a\x02" "\x60\x00\x00" "\x4f\x01\x00\x60\x00\x00", INV, "sub type");
    EXPECT_ERR(HDR "\x01\x0d\x02" "\x50\x00\x60\x00\x00" "\x4f\x01\x00\x60\x01\x7f\x00", INV, "sub type");
}

static void test_imports(void **state)
{
    (void)state;
    wf_module *m;
    /* type 0: [i32] -> []; import "env" "f" (func 0), "env" "m" (memory 1),
     * "env" "g" (global i32 mut), "env" "t" (table 1 funcref) */
    EXPECT_OK_KEEP(HDR "\x01\x05\x01\x60\x01\x7f\x00"
                   "\x02\x25\x04"
                   "\x03" "env" "\x01" "f" "\x00\x00"
                   "\x03" "env" "\x01" "m" "\x02\x00\x01"
                   "\x03" "env" "\x01" "g" "\x03\x7f\x01"
                   "\x03" "env" "\x01" "t" "\x01\x70\x00\x01", &m);
    assert_int_equal(wf_module_import_count(m), 4);
    wf_import_desc d = wf_module_import(m, 0);
    assert_int_equal(d.kind, WF_EXTERN_FUNC);
    assert_int_equal(d.module_len, 3);
    assert_memory_equal(d.name, "f", 1);
    assert_ptr_equal(d.func_type, m->types[0].func);
    assert_int_equal(m->nfunc_imports, 1);
    assert_int_equal(m->nmems, 1);
    assert_true(m->globals[0].type.mut);
    assert_int_equal(m->tables[0].type.elem.heap, WF_HEAP_FUNC);
    wf_module_free(m);

    EXPECT_ERR(HDR "\x02\x04\x01\x00\x00\x05", MAL, "malformed import kind");
    EXPECT_ERR(HDR "\x02\x05\x01\x00\x00\x00\x00", INV, "unknown type");
    EXPECT_ERR(HDR "\x02\x06\x01\x00\x00\x03\x7f\x02", MAL, "malformed mutability");
    EXPECT_ERR(HDR "\x02\x06\x01\x01\xff\x00\x00\x00", MAL, "malformed UTF-8 encoding");
    /* multi-memory: two imported memories */
    EXPECT_OK_KEEP(HDR "\x02\x0b\x02" "\x00\x00\x02\x00\x01" "\x00\x00\x02\x00\x02", &m);
    assert_int_equal(m->nmems, 2);
    assert_int_equal(m->nmem_imports, 2);
    assert_int_equal(m->mems[1].limits.min, 2);
    wf_module_free(m);
}

static void test_memories_tables(void **state)
{
    (void)state;
    wf_module *m;
    EXPECT_OK(HDR "\x05\x06\x01\x01\x01\x80\x80\x04");
    EXPECT_ERR(HDR "\x05\x05\x01\x00\x81\x80\x04", INV, "memory size must be at most 65536 pages");
    EXPECT_ERR(HDR "\x05\x04\x01\x01\x02\x01", INV, "size minimum must not be greater than maximum");
    EXPECT_ERR(HDR "\x05\x04\x01\x03\x01\x01", WF_ERR_UNSUPPORTED, "shared memory");
    /* memory64: i64 addresses, up to 2^48 pages; table64 */
    EXPECT_OK_KEEP(HDR "\x05\x03\x01\x04\x01", &m);
    assert_true(m->mems[0].limits.is64);
    wf_module_free(m);
    EXPECT_OK(HDR "\x05\x0a\x01\x05\x00\x80\x80\x80\x80\x80\x80\x40");   /* max 2^48 pages */
    EXPECT_ERR(HDR "\x05\x0a\x01\x05\x00\x81\x80\x80\x80\x80\x80\x40", INV,
               "memory size must be at most 2^48 pages");
    EXPECT_OK_KEEP(HDR "\x04\x04\x01\x70\x04\x05", &m);
    assert_true(m->tables[0].type.limits.is64);
    assert_int_equal(m->tables[0].type.limits.min, 5);
    wf_module_free(m);
    /* multi-memory: two defined memories */
    EXPECT_OK_KEEP(HDR "\x05\x05\x02\x00\x01\x00\x03", &m);
    assert_int_equal(m->nmems, 2);
    assert_int_equal(m->mems[1].limits.min, 3);
    wf_module_free(m);
    EXPECT_ERR(HDR "\x04\x05\x01\x70\x01\x02\x01", INV, "size minimum must not be greater than maximum");
    /* a table of non-nullable references needs an initialiser */
    EXPECT_ERR(HDR "\x04\x05\x01\x64\x70\x00\x01", INV, "type mismatch");
    /* the 0x40 0x00 form: (table 1 externref (ref.null extern)) */
    EXPECT_OK(HDR "\x04\x09\x01\x40\x00\x6f\x00\x01\xd0\x6f\x0b");
    EXPECT_ERR(HDR "\x04\x09\x01\x40\x00\x6f\x00\x01\xd0\x70\x0b", INV, "type mismatch");
}

static void test_globals(void **state)
{
    (void)state;
    wf_module *m;
    /* import global i32 (immutable); (global i32 (i32.add (global.get 0) (i32.const 3))) */
    EXPECT_OK_KEEP(HDR "\x02\x08\x01\x01" "e" "\x01" "g" "\x03\x7f\x00"
                   "\x06\x09\x01\x7f\x00\x23\x00\x41\x03\x6a\x0b", &m);
    assert_int_equal(m->nglobals, 2);
    assert_int_equal(m->nglobal_imports, 1);
    assert_int_equal(m->globals[1].init.len, 3);
    assert_int_equal(m->globals[1].init.code[0].op, WF_COP_GLOBAL_GET);
    assert_int_equal(m->globals[1].init.code[1].op, WF_COP_I32_CONST);
    assert_int_equal(m->globals[1].init.code[1].imm, 3);
    assert_int_equal(m->globals[1].init.code[2].op, WF_COP_I32_ADD);
    wf_module_free(m);

    EXPECT_ERR(HDR "\x06\x06\x01\x7f\x00\x42\x00\x0b", INV, "type mismatch");
    EXPECT_ERR(HDR "\x06\x04\x01\x7f\x00\x0b", INV, "type mismatch");
    EXPECT_ERR(HDR "\x06\x08\x01\x7f\x00\x41\x00\x41\x00\x0b", INV, "type mismatch");
    EXPECT_ERR(HDR "\x06\x06\x01\x7f\x00\x23\x00\x0b", INV, "unknown global");
    EXPECT_ERR(HDR "\x06\x07\x01\x7f\x00\x41\x00\x01\x0b", INV, "constant expression required");
    EXPECT_ERR(HDR "\x06\x05\x01\x7f\x00\x41\x00", MAL, "unexpected end of section or function");
    /* a mutable imported global is not constant */
    EXPECT_ERR(HDR "\x02\x08\x01\x01" "e" "\x01" "g" "\x03\x7f\x01"
               "\x06\x06\x01\x7f\x00\x23\x00\x0b", INV, "constant expression required");
    /* an earlier defined immutable global may be read */
    EXPECT_OK(HDR "\x06\x0b\x02\x7f\x00\x41\x01\x0b\x7f\x00\x23\x00\x0b");
    EXPECT_ERR(HDR "\x06\x0b\x02\x7f\x00\x23\x01\x0b\x7f\x00\x41\x01\x0b", INV, "unknown global");
}

/* One imported function of type [] -> [] named "f" in module "e". */
#define IMPORT_F "\x01\x04\x01\x60\x00\x00" "\x02\x07\x01\x01" "e" "\x01" "f" "\x00\x00"

static void test_exports_start(void **state)
{
    (void)state;
    wf_module *m;
    EXPECT_OK_KEEP(HDR IMPORT_F "\x07\x09\x02\x01" "a" "\x00\x00" "\x01" "b" "\x00\x00"
                   "\x08\x01\x00", &m);
    assert_int_equal(wf_module_export_count(m), 2);
    const wf_export *e = wf_module_find_export(m, "b", 1);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_EXTERN_FUNC);
    assert_null(wf_module_find_export(m, "c", 1));
    assert_true(m->has_start);
    assert_true(m->func_declared[0]);
    wf_module_free(m);

    EXPECT_ERR(HDR IMPORT_F "\x07\x09\x02\x01" "a" "\x00\x00" "\x01" "a" "\x00\x00", INV,
               "duplicate export name");
    EXPECT_ERR(HDR IMPORT_F "\x07\x05\x01\x01" "a" "\x00\x01", INV, "unknown function");
    EXPECT_ERR(HDR IMPORT_F "\x07\x05\x01\x01" "a" "\x02\x00", INV, "unknown memory");
    EXPECT_ERR(HDR IMPORT_F "\x07\x05\x01\x01" "a" "\x07\x00", MAL, "malformed export kind");
    EXPECT_ERR(HDR IMPORT_F "\x08\x01\x01", INV, "unknown function");
    EXPECT_ERR(HDR "\x01\x05\x01\x60\x01\x7f\x00" "\x02\x07\x01\x01" "e" "\x01" "f" "\x00\x00"
               "\x08\x01\x00", INV, "start function");
}

#define TABLE1 "\x04\x04\x01\x70\x00\x01"

static void test_elements(void **state)
{
    (void)state;
    wf_module *m;
    /* all eight encodings */
    EXPECT_OK_KEEP(HDR IMPORT_F TABLE1 "\x09\x2f\x08"
                   "\x00\x41\x00\x0b\x01\x00"                 /* 0: active, func indices */
                   "\x01\x00\x01\x00"                         /* 1: passive, elemkind */
                   "\x02\x00\x41\x00\x0b\x00\x01\x00"         /* 2: table 0, elemkind */
                   "\x03\x00\x01\x00"                         /* 3: declarative */
                   "\x04\x41\x00\x0b\x01\xd2\x00\x0b"         /* 4: active, exprs */
                   "\x05\x70\x01\xd0\x70\x0b"                 /* 5: passive, reftype, exprs */
                   "\x06\x00\x41\x00\x0b\x70\x00"             /* 6: table 0, reftype, no items */
                   "\x07\x70\x00",                            /* 7: declarative, reftype */
                   &m);
    assert_int_equal(m->nelems, 8);
    assert_int_equal(m->elems[0].mode, WF_SEG_ACTIVE);
    assert_int_equal(m->elems[1].mode, WF_SEG_PASSIVE);
    assert_int_equal(m->elems[3].mode, WF_SEG_DECLARATIVE);
    assert_int_equal(m->elems[0].nitems, 1);
    assert_int_equal(m->elems[0].items[0].code[0].op, WF_COP_REF_FUNC);
    assert_int_equal(m->elems[5].items[0].code[0].op, WF_COP_REF_NULL);
    assert_false(m->elems[0].type.nullable);
    assert_true(m->elems[5].type.nullable);
    assert_true(m->func_declared[0]);
    wf_module_free(m);

    EXPECT_ERR(HDR IMPORT_F "\x09\x07\x01\x00\x41\x00\x0b\x01\x00", INV, "unknown table");
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x07\x01\x00\x41\x00\x0b\x01\x01", INV, "unknown function");
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x07\x01\x00\x42\x00\x0b\x01\x00", INV, "type mismatch");
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x04\x01\x01\x01\x00", MAL, "malformed element kind");
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x07\x01\x05\x7f\x01\xd2\x00\x0b", MAL, "malformed reference type");
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x07\x01\x05\x70\x01\xf3\x00\x0b", MAL, "illegal opcode");
    /* externref segment into a funcref table */
    EXPECT_ERR(HDR IMPORT_F TABLE1 "\x09\x07\x01\x06\x00\x41\x00\x0b\x6f\x00", INV, "type mismatch");
}

static void test_data(void **state)
{
    (void)state;
    wf_module *m;
    EXPECT_OK_KEEP(HDR "\x05\x03\x01\x00\x01" "\x0c\x01\x03"
                   "\x0b\x11\x03" "\x00\x41\x08\x0b\x02" "hi" "\x01\x01" "x" "\x02\x00\x41\x00\x0b\x00", &m);
    assert_true(m->has_data_count);
    assert_int_equal(m->ndatas, 3);
    assert_int_equal(m->datas[0].len, 2);
    assert_memory_equal(m->datas[0].bytes, "hi", 2);
    assert_int_equal(m->datas[1].mode, WF_SEG_PASSIVE);
    assert_int_equal(m->datas[0].offset.code[0].imm, 8);
    wf_module_free(m);

    EXPECT_ERR(HDR "\x05\x03\x01\x00\x01" "\x0c\x01\x02" "\x0b\x07\x01\x00\x41\x00\x0b\x01" "a", MAL,
               "data count and data section have inconsistent lengths");
    EXPECT_ERR(HDR "\x0c\x01\x01", MAL, "data count and data section have inconsistent lengths");
    EXPECT_ERR(HDR "\x0b\x07\x01\x00\x41\x00\x0b\x01" "a", INV, "unknown memory");
    EXPECT_ERR(HDR "\x05\x03\x01\x00\x01" "\x0b\x07\x01\x00\x41\x00\x0b\x07" "a", MAL,
               "unexpected end");
    EXPECT_ERR(HDR "\x05\x03\x01\x00\x01" "\x0b\x07\x01\x03\x41\x00\x0b\x01" "a", MAL,
               "malformed data segment kind");
}

static void test_code_section(void **state)
{
    (void)state;
    /* a function without a code section, and the reverse */
    EXPECT_ERR(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00", MAL,
               "function and code section have inconsistent lengths");
    EXPECT_ERR(HDR "\x01\x04\x01\x60\x00\x00" "\x0a\x04\x01\x02\x00\x0b", MAL,
               "function and code section have inconsistent lengths");
    EXPECT_ERR(HDR "\x03\x02\x01\x00", INV, "unknown type");
    /* 0xffffffff + 2 locals */
    EXPECT_ERR(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
               "\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b", MAL, "too many locals");
    EXPECT_ERR(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
               "\x0a\x08\x01\x06\x01\xc0\xbb\x78\x7f\x0b", WF_ERR_LIMIT, "too many locals");
}

static void test_name_section(void **state)
{
    (void)state;
    wf_module *m;
    EXPECT_OK_KEEP(HDR IMPORT_F "\x00\x0e\x04" "name" "\x01\x07\x01\x00\x04" "main", &m);
    assert_string_equal(m->funcs[0].name, "main");
    wf_module_free(m);
    /* a malformed name section is ignored */
    EXPECT_OK(HDR IMPORT_F "\x00\x09\x04" "name" "\x01\x07\x01\x00");
}

static void test_read_valtype(void **state)
{
    (void)state;
    wf_module *m;
    EXPECT_OK_KEEP(HDR "\x01\x04\x01\x60\x00\x00", &m);
    static const uint8_t body[] = { 0x7f, 0x63, 0x00, 0x64, 0x70, 0x64, 0x01 };
    wf_reader r;
    wf_reader_init(&r, body, sizeof body, 40);
    wf_valtype t;
    assert_true(wf_read_valtype(&r, m, &t));
    assert_int_equal(t.kind, WF_I32);
    assert_true(wf_read_valtype(&r, m, &t));
    assert_int_equal(t.heap, WF_HEAP_TYPE);
    assert_true(t.nullable);
    assert_int_equal(t.index, m->types[0].func->id);
    assert_true(wf_read_valtype(&r, m, &t));
    assert_int_equal(t.heap, WF_HEAP_FUNC);
    assert_false(t.nullable);
    assert_false(wf_read_valtype(&r, m, &t));
    wf_error *e = wf_reader_take_error(&r);
    assert_non_null(e);
    assert_string_equal(e->message, "unknown type 1");
    assert_int_equal(e->offset, 46);
    wf_error_free(e);
    wf_module_free(m);
}

/* Every prefix and many single-byte corruptions of a rich module: errors,
 * never crashes or leaks (run under ASan). */
static void test_robustness(void **state)
{
    (void)state;
    static const char mod[] = HDR IMPORT_F TABLE1
        "\x05\x03\x01\x00\x01"
        "\x06\x06\x01\x7f\x00\x41\x05\x0b"
        "\x07\x05\x01\x01" "a" "\x00\x00"
        "\x09\x0a\x02\x00\x41\x00\x0b\x01\x00\x01\x00\x00"
        "\x0c\x01\x01"
        "\x0b\x07\x01\x00\x41\x00\x0b\x01" "z"
        "\x00\x0e\x04" "name" "\x01\x07\x01\x00\x04" "main";
    size_t n = sizeof mod - 1;
    wf_module *m;
    wf_error *e = decode_bytes((const uint8_t *)mod, n, &m);
    assert_null(e);
    wf_module_free(m);
    uint8_t *buf = malloc(n);
    for (size_t len = 0; len < n; len++) {
        e = decode_bytes((const uint8_t *)mod, len, &m);
        if (e) wf_error_free(e);
        else wf_module_free(m);
    }
    static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x40, 0x70 };
    for (size_t i = 8; i < n; i++) {
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(buf, mod, n);
            buf[i] = vals[k];
            e = decode_bytes(buf, n, &m);
            if (e) wf_error_free(e);
            else wf_module_free(m);
        }
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_leb_in_sections),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_memories_tables),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_exports_start),
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_code_section),
        cmocka_unit_test(test_name_section),
        cmocka_unit_test(test_read_valtype),
        cmocka_unit_test(test_robustness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
