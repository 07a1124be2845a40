/*
 * wat_diff.c - differential checker for the text compiler (a developer tool,
 * not part of the build): for every top-level (module ...) of the .wast
 * files given, compile it with wf_wat_compile and with `wat2wasm --enable-all`
 * and compare `wasm2wat --enable-all --no-debug-names` of both; check that
 * every (assert_malformed (module quote ...)) is rejected.
 *
 * Build (from the repo root, after make):
 *   cc -Iinclude -Isrc tests/tools/wat_diff.c build/libwf_wasm.a \
 *      build/libwf_base.a -lcrypto -lm -o build/wat_diff
 * Run: build/wat_diff [-v] file.wast...
 */
#include "wasm/wat.h"
#include "wasm/wat_lex.h"

#include <stdio.h>
#include <sys/stat.h>

static int verbose;
static int n_same, n_diff, n_mine_fail, n_ref_fail, n_mal_ok, n_mal_missed, n_unsup;
static int n_inv_ok, n_inv_fail;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    *len = fread(p, 1, (size_t)n, f);
    p[*len] = 0;
    fclose(f);
    return p;
}

static void put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc;
}

static void check_module(const char *file, int line, const char *text, size_t len)
{
    wf_buf out = {0};
    wf_error *e = wf_wat_compile(text, len, &out);
    put("/tmp/wat_diff.wat", text, len);
    int ref = run("wat2wasm --enable-all --no-check /tmp/wat_diff.wat -o /tmp/wat_diff.ref.wasm 2>/dev/null");
    if (e) {
        if (e->kind == WF_ERR_UNSUPPORTED) { n_unsup++; if (verbose) printf("%s:%d: unsupported: %s\n", file, line, e->message); }
        else {
            n_mine_fail++;
            printf("%s:%d: mine failed: %d:%d %s%s\n", file, line, e->line, e->col, e->message,
                   ref ? " (wat2wasm too)" : "");
        }
        wf_error_free(e);
        wf_buf_free(&out);
        return;
    }
    if (ref) {
        n_ref_fail++;
        if (verbose) printf("%s:%d: wat2wasm failed\n", file, line);
        wf_buf_free(&out);
        return;
    }
    put("/tmp/wat_diff.mine.wasm", out.data, out.len);
    wf_buf_free(&out);
    run("wasm2wat --enable-all --no-debug-names --no-check /tmp/wat_diff.ref.wasm -o /tmp/wat_diff.ref.txt 2>/tmp/wat_diff.ref.err");
    int rc = run("wasm2wat --enable-all --no-debug-names --no-check /tmp/wat_diff.mine.wasm -o /tmp/wat_diff.mine.txt 2>/tmp/wat_diff.mine.err");
    if (rc == 0 && run("cmp -s /tmp/wat_diff.ref.txt /tmp/wat_diff.mine.txt") == 0) {
        n_same++;
        return;
    }
    if (run("cmp -s /tmp/wat_diff.ref.wasm /tmp/wat_diff.mine.wasm") == 0) {
        n_same++;
        return;
    }
    n_diff++;
    printf("%s:%d: differs\n", file, line);
    if (verbose) {
        run("diff /tmp/wat_diff.ref.txt /tmp/wat_diff.mine.txt | head -20; cat /tmp/wat_diff.mine.err | head -5");
    }
}

/* A module of assert_invalid / assert_unlinkable ...: must compile. */
static void check_compiles(const char *file, int line, const char *text, size_t len)
{
    wf_buf out = {0};
    wf_error *e = wf_wat_compile(text, len, &out);
    if (!e) n_inv_ok++;
    else if (e->kind == WF_ERR_UNSUPPORTED) { n_unsup++; if (verbose) printf("%s:%d: unsupported: %s\n", file, line, e->message); }
    else {
        n_inv_fail++;
        printf("%s:%d: assert module failed: %d:%d %s\n", file, line, e->line, e->col, e->message);
    }
    wf_error_free(e);
    wf_buf_free(&out);
}

static int n_msg_match;
static char expected_msg[256];

static void check_malformed(const char *file, int line, const char *text, size_t len)
{
    wf_buf out = {0};
    wf_error *e = wf_wat_compile(text, len, &out);
    if (e) {
        n_mal_ok++;
        if (strncmp(e->message, expected_msg, strlen(expected_msg)) == 0) n_msg_match++;
        else if (verbose) printf("%s:%d: message \"%s\", expected \"%s\"\n", file, line, e->message, expected_msg);
    }
    else {
        n_mal_missed++;
        printf("%s:%d: malformed module accepted\n", file, line);
    }
    wf_error_free(e);
    wf_buf_free(&out);
}

int main(int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "-v")) { verbose = 1; continue; }
        size_t len;
        char *src = slurp(argv[a], &len);
        if (!src) continue;
        wf_wat_lexer lx;
        wf_wat_lex_init(&lx, src, len);
        wf_wat_token t, prev = {0}, prev2 = {0};
        int depth = 0;
        size_t start = 0;
        int start_line = 0;
        int kind = 0; /* 1 module at top level, 2 module inside assert_malformed */
        int mod_depth = 0;
        wf_error *e;
        size_t pend_start = 0, pend_len = 0;
        int pend_line = 0;
        while (!(e = wf_wat_lex_next(&lx, &t)) && t.kind != WF_TOK_EOF) {
            if (pend_len && t.kind == WF_TOK_STRING) {
                wf_buf m = {0};
                wf_wat_string_decode(t.text, t.len, &m);
                snprintf(expected_msg, sizeof expected_msg, "%.*s", (int)m.len, (const char *)m.data);
                wf_buf_free(&m);
                check_malformed(argv[a], pend_line, src + pend_start, pend_len);
                pend_len = 0;
            }
            if (t.kind == WF_TOK_LPAREN) depth++;
            if (t.kind == WF_TOK_RPAREN) {
                if (kind && depth == mod_depth) {
                    size_t end = t.offset + 1;
                    if (kind == 1) check_module(argv[a], start_line, src + start, end - start);
                    else if (kind == 2) { pend_start = start; pend_len = end - start; pend_line = start_line; }
                    else check_compiles(argv[a], start_line, src + start, end - start);
                    kind = 0;
                }
                depth--;
            }
            if (!kind && wf_wat_tok_is(&t, "module") && prev.kind == WF_TOK_LPAREN) {
                if (depth == 1) { kind = 1; }
                else if (depth == 2 && wf_wat_tok_is(&prev2, "assert_malformed")) { kind = 2; }
                else if (depth == 2) { kind = 3; }
                if (kind) { start = prev.offset; start_line = prev.line; mod_depth = depth; }
            }
            if (kind >= 2 && depth == mod_depth && t.kind == WF_TOK_KEYWORD && !wf_wat_tok_is(&t, "quote") && !wf_wat_tok_is(&t, "module")) kind = 0;
            prev2 = prev;
            prev = t;
        }
        if (e) { printf("%s: lex error %s\n", argv[a], e->message); wf_error_free(e); }
        free(src);
    }
    printf("modules: same %d, differ %d, mine failed %d, unsupported %d, wat2wasm failed %d\n",
           n_same, n_diff, n_mine_fail, n_unsup, n_ref_fail);
    printf("assert_malformed quote: rejected %d (message matches %d), accepted %d\n", n_mal_ok, n_msg_match, n_mal_missed);
    printf("other assertion modules: compiled %d, failed %d\n", n_inv_ok, n_inv_fail);
    return 0;
}
