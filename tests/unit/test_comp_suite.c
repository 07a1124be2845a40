/*
 * test_comp_suite.c - the component decoder/validator against the component
 * model reference suite (../shared/testsuite/component-model: validation,
 * binary, resources, linking, values): every `(component ...)` that a script
 * defines must load, every assert_invalid / assert_malformed must be refused
 * (malformed ones as WF_ERR_MALFORMED or INVALID: the text-to-binary step can
 * turn some into validation failures). The binaries were made from the
 * scripts by tools/comp-suite (jco's wasm-tools text parser) and are in
 * tests/fixtures/comp-suite; known.txt there lists the cases refused as
 * unsupported (async, GC, exception handling...) (no known gaps left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/file.h"
#include "component/binary/comp.h"

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = 0;
    *len = (size_t)n;
    return p;
}

static void test_reference_suite(void **state)
{
    (void)state;
    size_t blen, tlen;
    uint8_t *blob = read_all(WF_FIXTURES "/comp-suite/cases.bin", &blen);
    char *tsv = (char *)read_all(WF_FIXTURES "/comp-suite/cases.tsv", &tlen);
    int pass = 0, fail = 0, unsupported = 0, gaps = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char expect[32], where[128];
        size_t off, len;
        if (sscanf(line, "%31[^\t]\t%127[^\t]\t%zu\t%zu", expect, where, &off, &len) != 4) continue;
        assert_true(off + len <= blen);
        wf_component *c = NULL;
        wf_error *e = wf_component_new(blob + off, len, &c);
        bool ok;
        if (!strcmp(expect, "valid")) {
            ok = e == NULL;
        } else if (!strcmp(expect, "invalid")) {
            ok = e && (e->kind == WF_ERR_INVALID || e->kind == WF_ERR_UNSUPPORTED);
        } else if (!strcmp(expect, "malformed")) {
            ok = e && (e->kind == WF_ERR_MALFORMED || e->kind == WF_ERR_INVALID || e->kind == WF_ERR_UNSUPPORTED);
        } else if (!strcmp(expect, "unsupported")) {
            /* refused, and saying why */
            ok = e && (strstr(e->message, "not supported") || strstr(e->message, "not valid at this time"));
            unsupported++;
        } else {
            gaps++;
            ok = true;
        }
        if (ok) {
            pass++;
        } else {
            fail++;
            print_error("%s: expected %s, got %s%s%s\n", where, expect, e ? wf_error_kind_name(e->kind) : "a component",
                        e ? ": " : "", e ? e->message : "");
        }
        if (e) wf_error_free(e);
        wf_component_free(c);
    }
    print_message("component suite: %d as expected (%d of them refused as unsupported), %d not, %d known gaps\n",
                  pass, unsupported, fail, gaps);
    free(blob);
    free(tsv);
    assert_int_equal(fail, 0);
    assert_true(pass > 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
