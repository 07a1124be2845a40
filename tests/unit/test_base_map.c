/* test_base_map.c - the one hash map (base/map.h) and the one arena
 * (base/arena.h): values found, duplicates refused, growth, clear, keys that
 * are not strings, and lookups racing one writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <cmocka.h>

#include "base/arena.h"
#include "base/map.h"

static void test_map_add_find(void **state)
{
    (void)state;
    wf_map m = { 0 };
    int a = 1, b = 2;
    void *v = &b;
    assert_false(wf_map_find(&m, "x", 1, &v));       /* empty map */
    assert_ptr_equal(v, &b);                         /* untouched on a miss */
    assert_null(wf_map_get(&m, "x"));
    assert_true(wf_map_add(&m, "alpha", 5, &a));
    assert_true(wf_map_add(&m, "alp", 3, &b));       /* a prefix is another key */
    assert_false(wf_map_add(&m, "alpha", 5, &b));    /* taken: refused, unchanged */
    assert_ptr_equal(wf_map_get(&m, "alpha"), &a);
    assert_ptr_equal(wf_map_get(&m, "alp"), &b);
    assert_null(wf_map_get(&m, "al"));
    assert_true(wf_map_find(&m, "alphabet", 5, NULL)); /* only len bytes count */
    assert_int_equal(wf_map_count(&m), 2);
    /* the empty key is a key like any other */
    assert_true(wf_map_add(&m, "", 0, &a));
    assert_ptr_equal(wf_map_get(&m, ""), &a);
    assert_int_equal(wf_map_count(&m), 3);
    wf_map_free(&m);
    assert_int_equal(wf_map_count(&m), 0);
    assert_null(wf_map_get(&m, "alpha"));
}

static void test_map_index_values(void **state)
{
    (void)state;
    wf_map m = { 0 };
    assert_true(wf_map_add_index(&m, "$f", 2, 0));   /* index 0 is a value, not absence */
    assert_true(wf_map_add_index(&m, "$g", 2, 7));
    uint32_t idx = 99;
    assert_true(wf_map_find_index(&m, "$f", 2, &idx));
    assert_int_equal(idx, 0);
    assert_true(wf_map_find_index(&m, "$g", 2, &idx));
    assert_int_equal(idx, 7);
    assert_false(wf_map_find_index(&m, "$h", 2, &idx));
    assert_int_equal(idx, 7);
    wf_map_free(&m);
}

static void test_map_set_and_iterate(void **state)
{
    (void)state;
    wf_map m = { 0 };
    char keys[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        wf_map_set(&m, keys[i], strlen(keys[i]), (void *)(uintptr_t)(i + 1));  /* new: added */
    }
    wf_map_set(&m, "k3", 2, (void *)(uintptr_t)300);    /* present: replaced */
    assert_int_equal(wf_map_count(&m), 40);
    assert_int_equal((uintptr_t)wf_map_get(&m, "k3"), 300);
    assert_int_equal((uintptr_t)wf_map_get(&m, "k4"), 5);
    /* iteration meets every entry once, with its value */
    int seen[40] = { 0 };
    size_t pos = 0, n = 0, len;
    const void *k;
    void *v;
    while (wf_map_next(&m, &pos, &k, &len, &v)) {
        int i = atoi((const char *)k + 1);
        assert_true(i >= 0 && i < 40);
        assert_int_equal(len, strlen(keys[i]));
        assert_ptr_equal(k, keys[i]);                   /* the stored key, not a copy */
        assert_int_equal((uintptr_t)v, i == 3 ? 300 : (uintptr_t)(i + 1));
        seen[i]++;
        n++;
    }
    assert_int_equal(n, 40);
    for (int i = 0; i < 40; i++) assert_int_equal(seen[i], 1);
    assert_false(wf_map_next(&m, &pos, &k, &len, &v));  /* stays at the end */
    wf_map_free(&m);
    pos = 0;
    assert_false(wf_map_next(&m, &pos, &k, &len, &v));  /* empty map */
}

/* Keys are bytes: embedded NULs and binary keys (a pointer's bytes) work. */
static void test_map_binary_keys(void **state)
{
    (void)state;
    wf_map m = { 0 };
    static const char k1[] = { 'a', 0, 'b' }, k2[] = { 'a', 0, 'c' };
    int x = 1, y = 2;
    const void *pk[2] = { &x, &y };
    assert_true(wf_map_add(&m, k1, 3, &x));
    assert_true(wf_map_add(&m, k2, 3, &y));
    assert_true(wf_map_add(&m, pk, sizeof pk, &y));
    void *v;
    assert_true(wf_map_find(&m, k2, 3, &v));
    assert_ptr_equal(v, &y);
    assert_true(wf_map_find(&m, k1, 3, &v));
    assert_ptr_equal(v, &x);
    const void *same[2] = { &x, &y }, *swapped[2] = { &y, &x };
    assert_true(wf_map_find(&m, same, sizeof same, &v));
    assert_false(wf_map_find(&m, swapped, sizeof swapped, &v));
    wf_map_free(&m);
}

/* Many keys: every one found with its value after the table has doubled
 * many times, and none that was not added. */
static void test_map_growth(void **state)
{
    (void)state;
    enum { N = 50000 };
    wf_arena keys = { 0 };
    char **names = wf_xmalloc(N * sizeof *names);
    wf_map m = { 0 };
    for (size_t i = 0; i < N; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "ns.%zu:fn%zu", i % 97, i);
        names[i] = wf_arena_strndup(&keys, buf, (size_t)n);
        assert_true(wf_map_add_index(&m, names[i], (size_t)n, i));
    }
    assert_int_equal(wf_map_count(&m), N);
    for (size_t i = 0; i < N; i++) {
        uint32_t idx;
        assert_true(wf_map_find_index(&m, names[i], strlen(names[i]), &idx));
        assert_int_equal(idx, i);
        assert_false(wf_map_add_index(&m, names[i], strlen(names[i]), 0));
    }
    assert_null(wf_map_get(&m, "ns.0:fn1"));          /* fn1 is in ns.1 */
    assert_null(wf_map_get(&m, "ns.1:fn50000"));
    free(names);
    wf_map_free(&m);
    wf_arena_free(&keys);
}

static void test_map_clear(void **state)
{
    (void)state;
    wf_map m = { 0 };
    char keys[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        assert_true(wf_map_add_index(&m, keys[i], strlen(keys[i]), (size_t)i));
    }
    wf_map_clear(&m);
    assert_int_equal(wf_map_count(&m), 0);
    assert_null(wf_map_get(&m, "k5"));
    assert_true(wf_map_add_index(&m, "k5", 2, 55));   /* reusable after clear */
    uint32_t idx;
    assert_true(wf_map_find_index(&m, "k5", 2, &idx));
    assert_int_equal(idx, 55);
    assert_false(wf_map_find_index(&m, "k6", 2, &idx));
    wf_map_free(&m);
}

/* Readers look keys up without a lock while one writer adds (and the table
 * grows under them): a reader finds every key that was added before it
 * started, with its value, and never a wrong value. */
enum { RACE_N = 20000, READERS = 3 };
static char race_keys[RACE_N][16];
static wf_map race_map;
static size_t race_published;   /* keys [0, published) are in the map */

static void *race_reader(void *arg)
{
    size_t bad = 0;
    for (int round = 0; round < 20; round++) {
        size_t known = __atomic_load_n(&race_published, __ATOMIC_ACQUIRE);
        for (size_t i = 0; i < RACE_N; i++) {
            void *v;
            bool found = wf_map_find(&race_map, race_keys[i], strlen(race_keys[i]), &v);
            if (i < known && !found) bad++;
            if (found && (uintptr_t)v != i + 1) bad++;
        }
    }
    *(size_t *)arg = bad;
    return NULL;
}

static void test_map_concurrent_readers(void **state)
{
    (void)state;
    for (size_t i = 0; i < RACE_N; i++) snprintf(race_keys[i], sizeof race_keys[i], "key-%zu", i);
    memset(&race_map, 0, sizeof race_map);
    pthread_t th[READERS];
    size_t bad[READERS];
    for (int t = 0; t < READERS; t++) pthread_create(&th[t], NULL, race_reader, &bad[t]);
    for (size_t i = 0; i < RACE_N; i++) {
        assert_true(wf_map_add(&race_map, race_keys[i], strlen(race_keys[i]), (void *)(uintptr_t)(i + 1)));
        __atomic_store_n(&race_published, i + 1, __ATOMIC_RELEASE);
    }
    for (int t = 0; t < READERS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(bad[t], 0);
    }
    assert_int_equal(wf_map_count(&race_map), RACE_N);
    wf_map_free(&race_map);
}

static void test_arena(void **state)
{
    (void)state;
    wf_arena a = { 0 };
    /* zeroed and aligned, many blocks' worth */
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        unsigned char *p = wf_arena_alloc(&a, n);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t k = 0; k < n; k++) assert_int_equal(p[k], 0);
        memset(p, 0xab, n);
    }
    /* a large allocation between small ones keeps both usable */
    char *s1 = wf_arena_strndup(&a, "hello world", 5);
    unsigned char *big = wf_arena_alloc(&a, 100000);
    assert_int_equal(big[0], 0);
    assert_int_equal(big[99999], 0);
    memset(big, 1, 100000);
    char *s2 = wf_arena_strndup(&a, "abc", 3);
    assert_string_equal(s1, "hello");
    assert_string_equal(s2, "abc");
    int src[3] = { 4, 5, 6 };
    int *d = wf_arena_dup(&a, src, sizeof src);
    assert_memory_equal(d, src, sizeof src);
    assert_non_null(wf_arena_dup(&a, NULL, 0));       /* never NULL */
    assert_non_null(wf_arena_alloc(&a, 0));
    wf_arena_free(&a);
    assert_null(a.head);
    /* reusable after free */
    assert_string_equal(wf_arena_strndup(&a, "again", 5), "again");
    wf_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_add_find),
        cmocka_unit_test(test_map_index_values),
        cmocka_unit_test(test_map_set_and_iterate),
        cmocka_unit_test(test_map_binary_keys),
        cmocka_unit_test(test_map_growth),
        cmocka_unit_test(test_map_clear),
        cmocka_unit_test(test_map_concurrent_readers),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
