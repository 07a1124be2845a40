/* test_instance_objects.c - memories, tables, globals, host functions,
 * constant expressions and stores, on their own (no decoder needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "wasm/runtime.h"

/* Protection of the mapping containing addr, from /proc/self/maps
 * ("rw-p", "---p"), or "" when unmapped. */
static void prot_of(const void *addr, char out[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    out[0] = 0;
    uintptr_t a = (uintptr_t)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perm[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 && a >= lo && a < hi) {
            memcpy(out, perm, 5);
            break;
        }
    }
    fclose(f);
}

/* Whether reading p in a child process kills it with a signal. */
static bool read_faults(volatile uint8_t *p)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* cmocka catches SIGSEGV: the child must die of it instead. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        uint8_t v = *p;
        _exit(v == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status);
}

static void test_memory_basic(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_memory *m = wf_memory_new(s, 1, 3, true);
    assert_non_null(m);
    assert_int_equal(wf_memory_size(m), WF_PAGE_SIZE);
    uint8_t *d = wf_memory_data(m);
    assert_non_null(d);
    assert_true(m->reserved >= ((size_t)1 << 33) + 16);
    d[0] = 1;
    d[WF_PAGE_SIZE - 1] = 2;
    char p[5];
    prot_of(d, p);
    assert_string_equal(p, "rw-p");
    prot_of(d + WF_PAGE_SIZE, p);
    assert_string_equal(p, "---p");
    /* The last byte an interpreter access can reach is still reserved. */
    prot_of(d + ((size_t)1 << 33) + 15, p);
    assert_string_equal(p, "---p");

    assert_int_equal(wf_memory_grow(m, 1), 1);
    assert_int_equal(wf_memory_size(m), 2 * WF_PAGE_SIZE);
    assert_int_equal(m->type.limits.min, 2);
    assert_int_equal(d[WF_PAGE_SIZE + 5], 0);
    d[2 * WF_PAGE_SIZE - 1] = 3;
    assert_ptr_equal(wf_memory_data(m), d);
    assert_int_equal(wf_memory_grow(m, 2), -1); /* past max 3 */
    assert_int_equal(wf_memory_grow(m, 0), 2);
    assert_int_equal(wf_memory_grow(m, 1), 2);
    assert_int_equal(wf_memory_grow(m, 1), -1);
    assert_int_equal(wf_memory_grow(m, UINT64_MAX), -1);
    assert_int_equal(wf_memory_size(m), 3 * WF_PAGE_SIZE);
    assert_int_equal(d[0], 1);
    wf_store_free(s);
}

static void test_memory_guard(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_memory *m = wf_memory_new(s, 1, 0, false);
    assert_non_null(m);
    uint8_t *d = wf_memory_data(m);
    assert_false(read_faults(d + WF_PAGE_SIZE - 1));
    assert_true(read_faults(d + WF_PAGE_SIZE));
    assert_true(read_faults(d + 0xffffffffu));
    assert_true(read_faults(d + ((uint64_t)1 << 33) + 15));
    assert_int_equal(wf_memory_grow(m, 1), 1);
    assert_false(read_faults(d + WF_PAGE_SIZE));
    assert_true(read_faults(d + 2 * WF_PAGE_SIZE));
    wf_store_free(s);
}

/* A released memory's reservation is reused: the next memory sees zeros
 * and only its own size accessible, whatever size the old one had. */
static void test_memory_recycled(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        wf_store *s = wf_store_new();
        wf_memory *m = wf_memory_new(s, 3, 0, false);
        assert_non_null(m);
        uint8_t *d = wf_memory_data(m);
        memset(d, 0xAB, 3 * WF_PAGE_SIZE);
        wf_store_free(s);

        s = wf_store_new();
        m = wf_memory_new(s, 1, 0, false);   /* smaller: the rest must fault */
        d = wf_memory_data(m);
        for (size_t i = 0; i < WF_PAGE_SIZE; i += 97) assert_int_equal(d[i], 0);
        assert_int_equal(d[WF_PAGE_SIZE - 1], 0);
        assert_true(read_faults(d + WF_PAGE_SIZE));
        assert_true(read_faults(d + 2 * WF_PAGE_SIZE));
        memset(d, 0xCD, WF_PAGE_SIZE);
        wf_memory *big = wf_memory_new(s, 5, 0, false);  /* larger than any cached */
        uint8_t *b = wf_memory_data(big);
        assert_int_equal(b[0], 0);
        assert_int_equal(b[5 * WF_PAGE_SIZE - 1], 0);
        assert_true(read_faults(b + 5 * WF_PAGE_SIZE));
        assert_int_equal(wf_memory_grow(m, 1), 1);
        assert_int_equal(d[WF_PAGE_SIZE + 7], 0);
        wf_store_free(s);
    }
}

static void test_memory_zero_and_limits(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_memory *z = wf_memory_new(s, 0, 0, true);
    assert_non_null(z);
    assert_int_equal(wf_memory_size(z), 0);
    assert_true(read_faults(wf_memory_data(z)));
    assert_int_equal(wf_memory_grow(z, 0), 0);
    assert_int_equal(wf_memory_grow(z, 1), -1);

    wf_memory *u = wf_memory_new(s, 0, 0, false);
    assert_non_null(u);
    assert_int_equal(u->max_pages, WF_MAX_MEMORY_PAGES);
    assert_int_equal(wf_memory_grow(u, WF_MAX_MEMORY_PAGES + 1), -1);
    assert_int_equal(wf_memory_grow(u, 0x10000), 0); /* 4 GiB: reserved, not committed */
    assert_int_equal(wf_memory_size(u), (uint64_t)1 << 32);
    assert_int_equal(wf_memory_grow(u, 1), -1);

    assert_null(wf_memory_new(s, WF_MAX_MEMORY_PAGES + 1, 0, false));
    assert_null(wf_memory_new(s, 2, 1, true));

    wf_memtype t = { .limits = { .min = 70000 } };
    wf_memory *m;
    wf_error *e = wf_memory_create(s, &t, &m);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_LIMIT);
    assert_null(m);
    wf_error_free(e);

    /* The store's cap. */
    s->memory_limit_pages = 4;
    assert_null(wf_memory_new(s, 5, 0, false));
    wf_memory *c = wf_memory_new(s, 2, 10, true);
    assert_non_null(c);
    assert_int_equal(wf_memory_grow(c, 3), -1);
    assert_int_equal(wf_memory_grow(c, 2), 2);
    assert_int_equal(wf_memory_grow(c, 1), -1);
    wf_store_free(s);
}

static void test_many_memories(void **state)
{
    (void)state;
    /* 8 GiB reservations each: many of them must still be fine (and freed). */
    for (int round = 0; round < 3; round++) {
        wf_store *s = wf_store_new();
        for (int i = 0; i < 200; i++) assert_non_null(wf_memory_new(s, 1, 0, false));
        wf_store_free(s);
    }
}

static void test_table(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    int x;
    wf_table *t = wf_table_new(s, WF_TYPE_EXTERNREF, 2, 5, true, &x);
    assert_non_null(t);
    assert_int_equal(wf_table_size(t), 2);
    assert_ptr_equal(t->elems[1], &x);
    assert_int_equal(wf_table_grow(t, 2, NULL), 2);
    assert_int_equal(wf_table_size(t), 4);
    assert_null(t->elems[3]);
    assert_ptr_equal(t->elems[0], &x);
    assert_int_equal(wf_table_grow(t, 2, NULL), -1);
    assert_int_equal(wf_table_grow(t, 0, NULL), 4);
    assert_int_equal(wf_table_grow(t, 1, &x), 4);
    assert_ptr_equal(t->elems[4], &x);
    assert_int_equal(wf_table_grow(t, UINT64_MAX, NULL), -1);
    assert_int_equal(wf_table_grow(t, 0xffffffffu, NULL), -1);
    assert_int_equal(t->type.limits.min, 5);

    wf_table *u = wf_table_new(s, WF_TYPE_FUNCREF, 0, 0, false, NULL);
    assert_non_null(u);
    assert_int_equal(u->max, WF_MAX_TABLE_ELEMS);
    for (int i = 0; i < 1000; i++) assert_int_equal(wf_table_grow(u, 1, NULL), i);
    assert_int_equal(wf_table_grow(u, WF_MAX_TABLE_ELEMS, NULL), -1);
    assert_int_equal(wf_table_size(u), 1000);

    wf_table *full = wf_table_new(s, WF_TYPE_FUNCREF, WF_MAX_TABLE_ELEMS, 0, false, NULL);
    assert_non_null(full);
    assert_null(full->elems[WF_MAX_TABLE_ELEMS - 1]);
    assert_int_equal(wf_table_grow(full, 1, NULL), -1);
    assert_int_equal(wf_table_grow(full, 0, NULL), WF_MAX_TABLE_ELEMS);
    assert_null(wf_table_new(s, WF_TYPE_FUNCREF, WF_MAX_TABLE_ELEMS + 1, 0, false, NULL));
    assert_null(wf_table_new(s, WF_TYPE_FUNCREF, 3, 2, true, NULL));
    wf_tabletype big = { .elem = WF_TYPE_FUNCREF, .limits = { .min = 0xffffffffu } };
    wf_table *b;
    wf_error *e = wf_table_create(s, &big, NULL, &b);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_LIMIT);
    wf_error_free(e);
    wf_store_free(s);
}

static void test_global(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_value v = { .type = WF_TYPE_I32, .of.i32 = -7 };
    wf_global *g = wf_global_new(s, WF_TYPE_I32, true, v);
    assert_int_equal(wf_global_get(g).of.i32, -7);
    assert_int_equal(g->value.u64, 0xfffffff9u); /* upper half zero */
    wf_value f = { .type = WF_TYPE_F64, .of.f64 = 1.5 };
    wf_global *h = wf_global_new(s, WF_TYPE_F64, false, f);
    assert_true(wf_global_get(h).of.f64 == 1.5);
    assert_false(h->type.mut);
    wf_value r = { .type = WF_TYPE_EXTERNREF, .of.ref = s };
    assert_ptr_equal(wf_global_get(wf_global_new(s, WF_TYPE_EXTERNREF, false, r)).of.ref, s);
    wf_value q = { .type = WF_TYPE_F32, .of.f32 = -0.0f };
    assert_int_equal(wf_global_get(wf_global_new(s, WF_TYPE_F32, false, q)).of.f32_bits, 0x80000000u);
    wf_store_free(s);
}

static wf_error *host_add(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c;
    slots[0].i32 = slots[0].i32 + slots[1].i32 + *(int *)env;
    return NULL;
}

static void test_host_func(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_valtype p[2] = { WF_TYPE_I32, WF_TYPE_I32 }, r[1] = { WF_TYPE_I32 };
    const wf_functype *t = wf_functype_get(p, 2, r, 1);
    int ten = 10;
    wf_func *f = wf_func_new_host(s, t, host_add, &ten);
    assert_non_null(f);
    assert_ptr_equal(wf_func_type(f), t);
    wf_slot slots[2] = { { .i32 = 1 }, { .i32 = 2 } };
    assert_null(f->host(NULL, f->env, slots));
    assert_int_equal(slots[0].i32, 13);
    assert_null(wf_caller_instance(NULL));
    wf_caller c = { .inst = NULL };
    assert_null(wf_caller_memory(&c));
    wf_store_free(s);
}

static void test_constexpr(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    wf_module m = { .nglobals = 2, .nfuncs = 1 };
    wf_global *g0 = wf_global_create(s, (wf_globaltype){ .type = WF_TYPE_I32 }, (wf_slot){ .u64 = 40 });
    wf_func fn = { .type = NULL };
    wf_global *gs[2] = { g0, NULL };
    wf_func *fs[1] = { &fn };
    wf_instance inst = { .module = &m, .store = s, .globals = gs, .funcs = fs };
    wf_slot out;

    wf_cinstr add[] = { { WF_COP_GLOBAL_GET, 0 }, { WF_COP_I32_CONST, 0xffffffffu },
                        { WF_COP_I32_SUB, 0 }, { WF_COP_I32_CONST, 3 }, { WF_COP_I32_MUL, 0 } };
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ add, 5 }, &out));
    assert_int_equal(out.i32, 123);

    wf_cinstr wrap[] = { { WF_COP_I32_CONST, 0x7fffffff }, { WF_COP_I32_CONST, 1 }, { WF_COP_I32_ADD, 0 } };
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ wrap, 3 }, &out));
    assert_int_equal(out.u32, 0x80000000u);

    wf_cinstr big[] = { { WF_COP_I64_CONST, (uint64_t)-1 }, { WF_COP_I64_CONST, 2 }, { WF_COP_I64_MUL, 0 } };
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ big, 3 }, &out));
    assert_int_equal(out.i64, -2);

    wf_cinstr rf[] = { { WF_COP_REF_FUNC, 0 } };
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ rf, 1 }, &out));
    assert_ptr_equal(out.ref, &fn);
    wf_cinstr rn[] = { { WF_COP_REF_NULL, 0 } };
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ rn, 1 }, &out));
    assert_null(out.ref);

    /* Long expression: heap stack. */
    wf_cinstr many[41];
    many[0] = (wf_cinstr){ WF_COP_I64_CONST, 1 };
    for (int i = 0; i < 20; i++) {
        many[1 + 2 * i] = (wf_cinstr){ WF_COP_I64_CONST, 2 };
        many[2 + 2 * i] = (wf_cinstr){ WF_COP_I64_MUL, 0 };
    }
    assert_null(wf_constexpr_eval(&inst, &(wf_constexpr){ many, 41 }, &out));
    assert_int_equal(out.i64, 1 << 20);

    /* Bad expressions are errors, not crashes. */
    wf_cinstr bad1[] = { { WF_COP_GLOBAL_GET, 1 } }; /* not yet initialised */
    wf_cinstr bad2[] = { { WF_COP_I32_ADD, 0 } };
    wf_cinstr bad3[] = { { WF_COP_REF_FUNC, 9 } };
    wf_constexpr bads[] = { { bad1, 1 }, { bad2, 1 }, { bad3, 1 }, { NULL, 0 } };
    for (size_t i = 0; i < WF_COUNT(bads); i++) {
        wf_error *e = wf_constexpr_eval(&inst, &bads[i], &out);
        assert_non_null(e);
        assert_int_equal(e->kind, WF_ERR_INTERNAL);
        wf_error_free(e);
    }
    wf_store_free(s);
}

static void test_store_empty(void **state)
{
    (void)state;
    wf_store_free(wf_store_new());
    wf_store_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_basic),
        cmocka_unit_test(test_memory_guard),
        cmocka_unit_test(test_memory_zero_and_limits),
        cmocka_unit_test(test_many_memories),
        cmocka_unit_test(test_memory_recycled),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_host_func),
        cmocka_unit_test(test_constexpr),
        cmocka_unit_test(test_store_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
