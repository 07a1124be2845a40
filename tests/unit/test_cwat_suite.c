/*
 * test_cwat_suite.c - compiles every `(component ...)` form of the non-async
 * component-model test scripts (shared/testsuite/component-model/{binary,
 * linking,resources,validation,values}) with wf_cwat_compile: each form
 * outside assert_malformed (top level, assert_invalid, assert_unlinkable,
 * assert_trap) must compile (none may be refused as unsupported: the core
 * compiler now has every instruction the scripts use, `throw` included).
 * Each text or quote form under assert_malformed must be
 * rejected (binary ones are the decoder's to reject). Every binary made is
 * read back by the component decoder/validator (wf_component_new). Prints
 * the counts (WF_CWAT_VERBOSE=1 also prints the validator's refusals).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/file.h"
#include "base/vec.h"
#include "component/component.h"
#include "cli/cwat.h"
#include "wasm/wat_lex.h"

#include <dirent.h>
#include <stdio.h>

#ifndef WF_SHARED_DIR
#define WF_SHARED_DIR "../shared"
#endif

typedef struct counts {
    int forms, ok, unsupported, failed;
    int malformed, rejected, malformed_binary;
    int valid, valid_ok, invalid, invalid_rejected, decode_malformed;
} counts;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One form's source span [from, to) compiled; expect_ok says which outcome
 * the script wants. */
/* The round trip: the binary decodes (the component decoder never finds
 * it malformed); forms the script expects valid validate, assert_invalid
 * ones are rejected. */
static void decode_form(const char *file, int line, const wf_buf *bin, bool valid, counts *c)
{
    wf_component *comp = NULL;
    wf_error *e = wf_component_new(bin->data, bin->len, &comp);
    if (valid) c->valid++;
    else c->invalid++;
    if (e && e->kind == WF_ERR_MALFORMED) {
        c->decode_malformed++;
        fprintf(stderr, "%s:%d: decoder: %s\n", file, line, e->message);
    } else if (valid && !e) {
        c->valid_ok++;
    } else if (!valid && e) {
        c->invalid_rejected++;
    } else if (getenv("WF_CWAT_VERBOSE")) {
        fprintf(stderr, "%s:%d: %s\n", file, line, e ? e->message : "invalid form accepted");
    }
    if (e) wf_error_free(e);
    wf_component_free(comp);
}

static void compile_form(const char *file, const char *src, size_t from, size_t to, int line,
                         bool expect_ok, bool valid, counts *c)
{
    wf_buf out = {0};
    wf_error *e = wf_cwat_compile(src + from, to - from, &out);
    if (expect_ok) {
        c->forms++;
        if (!e) {
            c->ok++;
            decode_form(file, line, &out, valid, c);
        }
        else if (e->kind == WF_ERR_UNSUPPORTED) c->unsupported++;
        else {
            c->failed++;
            fprintf(stderr, "%s:%d: %d:%d %s\n", file, line, e->line, e->col, e->message);
        }
    } else {
        c->malformed++;
        if (e) c->rejected++;
        else fprintf(stderr, "%s:%d: malformed form accepted\n", file, line);
    }
    if (e) wf_error_free(e);
    wf_buf_free(&out);
}

static void run_file(const char *path, counts *c)
{
    uint8_t *data;
    size_t len;
    wf_error *e = wf_file_read(path, &data, &len);
    assert_null(e);
    const char *src = (const char *)data;
    WF_VEC(wf_wat_token) toks = {0};
    wf_wat_lexer lx;
    wf_wat_lex_init(&lx, src, len);
    for (;;) {
        wf_wat_token t;
        e = wf_wat_lex_next(&lx, &t);
        assert_null(e);
        if (t.kind == WF_TOK_EOF) break;
        wf_vec_push(&toks, t);
    }
    /* match parentheses */
    size_t *match = calloc(toks.len + 1, sizeof *match);
    WF_VEC(size_t) stack = {0};
    for (size_t i = 0; i < toks.len; i++) {
        if (toks.data[i].kind == WF_TOK_LPAREN) wf_vec_push(&stack, i);
        else if (toks.data[i].kind == WF_TOK_RPAREN) {
            assert_true(stack.len > 0);
            match[stack.data[--stack.len]] = i;
        }
    }
    assert_int_equal(stack.len, 0);
    for (size_t i = 0; i < toks.len; i = match[i] + 1) {
        assert_int_equal(toks.data[i].kind, WF_TOK_LPAREN);
        const wf_wat_token *h = &toks.data[i + 1];
        size_t form = 0;
        bool malformed = false, invalid = false;
        if (wf_wat_tok_is(h, "component")) {
            if (wf_wat_tok_is(&toks.data[i + 2], "instance")) continue; /* a command */
            form = i;
        } else if (h->len > 7 && !memcmp(h->text, "assert_", 7) && toks.data[i + 2].kind == WF_TOK_LPAREN &&
                   wf_wat_tok_is(&toks.data[i + 3], "component")) {
            form = i + 2;
            malformed = wf_wat_tok_is(h, "assert_malformed");
            invalid = wf_wat_tok_is(h, "assert_invalid");
        } else {
            continue;
        }
        size_t k = form + 2;
        if (wf_wat_tok_is(&toks.data[k], "definition")) k++;
        if (toks.data[k].kind == WF_TOK_ID) k++;
        if (malformed && wf_wat_tok_is(&toks.data[k], "binary")) {
            c->malformed_binary++;
            continue;
        }
        size_t from = toks.data[form].offset, to = toks.data[match[form]].offset + 1;
        compile_form(path, src, from, to, toks.data[form].line, !malformed, !invalid, c);
    }
    free(match);
    free(stack.data);
    free(toks.data);
    free(data);
}

static void test_suite(void **state)
{
    (void)state;
    static const char *const dirs[] = { "binary", "linking", "resources", "validation", "values" };
    counts c = {0};
    int files = 0;
    for (size_t d = 0; d < WF_COUNT(dirs); d++) {
        char *dir = wf_xasprintf("%s/testsuite/component-model/%s", WF_SHARED_DIR, dirs[d]);
        DIR *dh = opendir(dir);
        assert_non_null(dh);
        WF_VEC(char *) names = {0};
        struct dirent *de;
        while ((de = readdir(dh))) {
            size_t n = strlen(de->d_name);
            if (n > 5 && !strcmp(de->d_name + n - 5, ".wast")) wf_vec_push(&names, wf_xstrdup(de->d_name));
        }
        closedir(dh);
        qsort(names.data, names.len, sizeof *names.data, cmp_str);
        for (size_t i = 0; i < names.len; i++) {
            char *path = wf_xasprintf("%s/%s", dir, names.data[i]);
            run_file(path, &c);
            files++;
            free(path);
            free(names.data[i]);
        }
        free(names.data);
        free(dir);
    }
    printf("cwat suite: %d files, %d component forms: %d compiled, %d unsupported, %d failed; "
           "%d malformed text forms: %d rejected (%d malformed binary forms left to the decoder)\n",
           files, c.forms, c.ok, c.unsupported, c.failed, c.malformed, c.rejected, c.malformed_binary);
    printf("decoded: %d malformed; valid forms %d/%d accepted, assert_invalid forms %d/%d rejected\n",
           c.decode_malformed, c.valid_ok, c.valid, c.invalid_rejected, c.invalid);
    assert_true(files >= 25);
    assert_true(c.forms >= 600);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.unsupported, 0);
    assert_int_equal(c.rejected, c.malformed);
    /* the round trip: every binary decodes; the validator's verdicts are
     * counted (it rejects, by design, features wasmfn leaves out: async,
     * streams, futures, core GC types) */
    assert_int_equal(c.decode_malformed, 0);
    assert_int_equal(c.invalid_rejected, c.invalid);
    assert_true(c.valid_ok >= 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
