/* test_registry.c - loading projects: entries and their parsed fields,
 * references, env placeholders, partial loads (a bad file loads nothing, the
 * others load), env get/set, YAML positions, IDs at scale. Projects are
 * written to a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "base/buf.h"
#include "component/wit/wit.h"
#include "registry/registry.h"

static char root[64];

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/wf_registry_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rm_tree(root);
}

static char *diags(const wf_registry *r)
{
    size_t cap = 4096, used = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < wf_registry_diag_count(r); i++) {
        char *l = wf_reg_diag_format(wf_registry_diag(r, i));
        used += (size_t)snprintf(s + used, cap > used ? cap - used : 0, "%s\n", l);
        free(l);
    }
    return s;
}

static void test_sound(void **state)
{
    (void)state;
    put(root, "_index.yaml",
        "namespace: app\n"
        "entries:\n"
        "  - name: st\n"
        "    kind: env.storage.static\n"
        "    values: {N: \"5\"}\n"
        "  - name: mem\n"
        "    kind: env.storage.memory\n"
        "  - name: n\n"
        "    kind: env.variable\n"
        "    variable: N\n"
        "    storage: st\n"
        "  - name: m\n"
        "    kind: env.variable\n"
        "    storage: mem\n"
        "    default: dflt\n"
        "  - name: ro\n"
        "    kind: env.variable\n"
        "    storage: mem\n"
        "    readonly: true\n"
        "  - name: f\n"
        "    kind: function.wat\n"
        "    source: (module (func (export \"f\") (param i32) (result i32) local.get 0))\n"
        "    method: f\n"
        "    wit: \"f: func(x: s32) -> s32;\"\n"
        "    pool: {type: static, workers: 2}\n"
        "    limits: {max_execution_ms: 100}\n"
        "    imports: [wasi:io/streams@0.2.3, preview1]\n"
        "    meta: {note: \"n=${env:N} x=${env:missing|fallback}\"}\n");
    put(root, "lib/_index.yaml",
        "namespace: app.lib\n"
        "entries:\n"
        "  - name: l\n"
        "    kind: library.lua\n"
        "    source: return {}\n"
        "  - name: g\n"
        "    kind: function.lua\n"
        "    source: function g() end\n"
        "    method: g\n"
        "    imports: {lib: l, other: app.lib:l}\n");
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    char *d = diags(r);
    assert_string_equal(d, "");
    free(d);
    assert_null(e);
    assert_int_equal(wf_registry_count(r), 8);
    /* files in sorted order: _index.yaml before lib/_index.yaml */
    assert_string_equal(wf_registry_at(r, 0)->id, "app:st");
    assert_string_equal(wf_registry_at(r, 6)->id, "app.lib:l");

    const wf_reg_entry *f = wf_registry_get(r, "app:f");
    assert_non_null(f);
    assert_int_equal(f->kind, WF_REG_FUNCTION_WAT);
    assert_string_equal(f->file, "_index.yaml");
    assert_int_equal(f->line, 20);
    assert_non_null(f->u.wasm.module);
    assert_non_null(f->u.wasm.wit_func);
    assert_string_equal(f->u.wasm.wit_func->name, "f");
    assert_int_equal(f->u.wasm.pool.type, WF_POOL_STATIC);
    assert_int_equal(f->u.wasm.pool.workers, 2);
    assert_int_equal(f->u.wasm.pool.size, 2);
    assert_int_equal(f->u.wasm.pool.buffer, 128);
    assert_int_equal(f->u.wasm.limits.max_execution_ms, 100);
    assert_int_equal(f->u.wasm.imports, WF_IMPORT_WASI_IO | WF_IMPORT_WASI_P1);
    const wf_reg_node *note = wf_reg_node_get(f->meta, "note");
    assert_string_equal(note->str, "n=5 x=fallback");

    const wf_reg_entry *g = wf_registry_get(r, "app.lib:g");
    assert_int_equal(g->u.lua.nimports, 2);
    assert_string_equal(g->u.lua.imports[0].alias, "lib");
    assert_string_equal(g->u.lua.imports[0].id, "app.lib:l");
    assert_false(g->u.lua.has_modules);
    assert_null(wf_registry_get(r, "app:nope"));

    /* env values: storage, default, memory writes, readonly */
    char *v = NULL;
    assert_null(wf_registry_env_get(r, "app:n", &v));
    assert_string_equal(v, "5");
    free(v);
    assert_null(wf_registry_env_get(r, "app:m", &v));
    assert_string_equal(v, "dflt");
    free(v);
    assert_null(wf_registry_env_set(r, "app:m", "set"));
    assert_null(wf_registry_env_get(r, "app:m", &v));
    assert_string_equal(v, "set");
    free(v);
    e = wf_registry_env_set(r, "app:ro", "x");
    assert_non_null(e);
    assert_string_equal(e->message, "env variable app:ro is readonly");
    wf_error_free(e);
    e = wf_registry_env_set(r, "app:n", "x");
    assert_non_null(e);
    assert_string_equal(e->message, "storage app:st (env.storage.static) is read-only");
    wf_error_free(e);
    e = wf_registry_env_get(r, "app:zzz", &v);
    assert_int_equal(e->kind, WF_ERR_NOT_FOUND);
    wf_error_free(e);
    wf_registry_free(r);
}

static void test_partial(void **state)
{
    (void)state;
    /* An error in b/ loads nothing of that file; a/ loads. */
    put(root, "a/_index.yaml",
        "namespace: a\nentries:\n  - name: x\n    kind: env.storage.os\n");
    put(root, "b/_index.yaml",
        "namespace: b\nentries:\n  - name: ok\n    kind: env.storage.os\n"
        "  - name: bad\n    kind: env.variable\n    storage: a:nope\n");
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    char *d = diags(r);
    assert_string_equal(d, "b/_index.yaml:7: b:bad: storage 'a:nope': no such entry\n");
    free(d);
    assert_int_equal(wf_registry_count(r), 1);
    assert_non_null(wf_registry_get(r, "a:x"));
    assert_null(wf_registry_get(r, "b:ok"));
    const wf_reg_diag *dg = wf_registry_diag(r, 0);
    assert_string_equal(dg->file, "b/_index.yaml");
    assert_int_equal(dg->line, 7);
    assert_string_equal(dg->entry, "b:bad");
    wf_registry_free(r);
}

static void test_yaml_errors(void **state)
{
    (void)state;
    put(root, "_index.yaml", "namespace: a\nentries:\n  - &x {name: a, kind: env.storage.os}\n");
    put(root, "dup/_index.yaml", "namespace: b\nnamespace: c\n");
    put(root, "ns/_index.yaml", "namespace: \"bad ns\"\nentries: []\n");
    put(root, "top/_index.yaml", "- a\n- b\n");
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    printf("%s\n", e->message);
    wf_error_free(e);
    char *d = diags(r);
    assert_string_equal(d,
                        "_index.yaml:3: bad YAML (column 5): anchors are not supported\n"
                        "dup/_index.yaml:2: bad YAML (column 1): duplicate key 'namespace'\n"
                        "ns/_index.yaml:1: field 'namespace' must be a dotted name such as app.test "
                        "(letters, digits, '_', '-')\n"
                        "top/_index.yaml:1: the file must be a map with namespace and entries\n");
    free(d);
    assert_int_equal(wf_registry_count(r), 0);
    wf_registry_free(r);
}

/* Issue 15: a NUL inside a YAML string ("\0" in a quoted scalar, or in a
 * file:// file) is a load error naming file, line and entry, never a
 * string silently cut short. */
static void test_yaml_nul(void **state)
{
    (void)state;
    put(root, "_index.yaml",
        "namespace: a\nentries:\n  - name: f\n    kind: function.wat\n"
        "    source: \"(module (func (export \\\"run\\\")))\\0 garbage\"\n    method: run\n"
        "  - name: g\n    kind: env.storage.os\n");
    put(root, "key/_index.yaml", "namespace: k\n\"na\\0me\": x\n");
    put(root, "top/_index.yaml", "namespace: t\nmeta: {note: \"a\\0b\"}\n");
    put(root, "file/_index.yaml",
        "namespace: fi\nentries:\n  - name: f\n    kind: function.wat\n"
        "    source: file://m.wat\n    method: run\n");
    put_bytes(root, "file/m.wat", "(module)\0x", 10);
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    wf_error_free(e);
    char *d = diags(r);
    assert_string_equal(d,
                        "_index.yaml:5: a:f: a string holds a NUL character (\\0), which is not "
                        "allowed\n"
                        "file/_index.yaml:5: fi:f: file://m.wat holds a NUL character, which is not "
                        "allowed\n"
                        "key/_index.yaml:2: bad YAML (column 1): a map key holds a NUL character\n"
                        "top/_index.yaml:2: a string holds a NUL character (\\0), which is not "
                        "allowed\n");
    free(d);
    wf_registry_free(r);
}

/* Upstream Wippy projects: kinds wasmfn does not serve and unknown fields
 * are warnings (the file loads), a kind no Wippy defines is an error naming
 * the closest kind; pools take upstream's defaults (SPEC §5). */
static void test_upstream(void **state)
{
    (void)state;
    put(root, "_index.yaml",
        "namespace: up\nentries:\n"
        "  - name: proc\n    kind: process.lua\n    source: x\n"
        "  - name: d\n    kind: fs.directory\n    directory: .\n    type: local\n"
        "  - name: nopool\n    kind: function.wat\n    source: (module (func (export \"f\")))\n    method: f\n"
        "    imports: [wasi-preview1, wippy:runtime/funcs, wippy:runtime/funcs@0.1.0]\n"
        "  - name: typeless\n    kind: function.wat\n    source: (module (func (export \"f\")))\n    method: f\n"
        "    pool: {size: 3}\n"
        "  - name: static8\n    kind: function.wat\n    source: (module (func (export \"f\")))\n    method: f\n"
        "    pool: {type: static}\n"
        "  - name: lazy\n    kind: function.wat\n    source: (module (func (export \"f\")))\n    method: f\n"
        "    pool: {max_size: 5}\n"
        "  - name: adaptive\n    kind: function.wat\n    source: (module (func (export \"f\")))\n    method: f\n"
        "    pool: {type: adaptive, workers: 2}\n"
        "  - name: lua\n    kind: function.lua\n    source: return {}\n    method: main\n");
    put(root, "bad/_index.yaml", "namespace: bad\nentries:\n  - name: a\n    kind: function.lau\n"
                           "  - name: b\n    kind: proces.wasm\n");
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    assert_true(!strncmp(e->message, "2 load errors in ", 17));
    wf_error_free(e);
    char *d = diags(r);
    assert_string_equal(d,
                        "_index.yaml:4: up:proc: kind 'process.lua' is not served by wasmfn: entry skipped\n"
                        "_index.yaml:9: up:d: unknown field 'type' for fs.directory (ignored)\n"
                        "_index.yaml:34: up:adaptive: unknown field 'pool.workers' for pool type adaptive (ignored)\n"
                        "bad/_index.yaml:4: bad:a: unknown kind 'function.lau' (did you mean 'function.lua'?)\n"
                        "bad/_index.yaml:6: bad:b: unknown kind 'proces.wasm' (did you mean 'process.wasm'?)\n");
    free(d);
    assert_int_equal(wf_registry_warning_count(r), 3);
    assert_true(wf_registry_diag(r, 0)->warning);
    assert_false(wf_registry_diag(r, 3)->warning);
    assert_null(wf_registry_get(r, "up:proc"));
    const wf_reg_entry *x = wf_registry_get(r, "up:nopool");
    assert_int_equal(x->u.wasm.pool.type, WF_POOL_LAZY);
    assert_int_equal(x->u.wasm.pool.max_size, 100);
    assert_int_equal(x->u.wasm.imports, WF_IMPORT_WASI_P1 | WF_IMPORT_FUNCS);
    x = wf_registry_get(r, "up:typeless");
    assert_int_equal(x->u.wasm.pool.type, WF_POOL_STATIC);
    assert_int_equal(x->u.wasm.pool.workers, 3);
    assert_int_equal(x->u.wasm.pool.size, 3);
    x = wf_registry_get(r, "up:static8");
    assert_int_equal(x->u.wasm.pool.workers, 8);
    assert_int_equal(x->u.wasm.pool.size, 8);
    assert_int_equal(x->u.wasm.pool.buffer, 512);
    x = wf_registry_get(r, "up:lazy");
    assert_int_equal(x->u.wasm.pool.type, WF_POOL_LAZY);
    assert_int_equal(x->u.wasm.pool.max_size, 5);
    x = wf_registry_get(r, "up:adaptive");
    assert_int_equal(x->u.wasm.pool.max_size, 16);
    x = wf_registry_get(r, "up:lua");
    assert_int_equal(x->u.lua.pool.type, WF_POOL_LAZY);
    assert_int_equal(x->u.lua.pool.max_size, 100);
    assert_null(wf_registry_get(r, "bad:a"));
    wf_registry_free(r);
}

static void test_missing_dir(void **state)
{
    (void)state;
    wf_registry *r = (wf_registry *)1;
    wf_error *e = wf_registry_load("/nonexistent/project", &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_IO);
    assert_null(r);
    wf_error_free(e);
}

/* IDs at scale: thousands of entries over several files each found by
 * wf_registry_get (and nothing else), entries of a bad file not found, a
 * duplicate ID in a later file reported against the first, and
 * ${env:NAME} by public variable name taking the first such variable in
 * load order. */
enum { FILES = 4, PER_FILE = 1500 };

static void test_many_ids(void **state)
{
    (void)state;
    for (int f = 0; f < FILES; f++) {
        wf_buf b = { 0 };
        char line[160];
        snprintf(line, sizeof line, "namespace: ns%d\nentries:\n", f);
        wf_buf_str(&b, line);
        for (int i = 0; i < PER_FILE; i++) {
            snprintf(line, sizeof line,
                     "  - name: v%d\n    kind: env.variable\n    storage: st\n    variable: V%d\n",
                     i, i);
            wf_buf_str(&b, line);
        }
        /* `pub` names one variable, defined in every file: the first wins */
        snprintf(line, sizeof line,
                 "  - name: st\n    kind: env.storage.static\n    values: {PUB: \"from ns%d\"}\n"
                 "  - name: pub\n    kind: env.variable\n    storage: st\n    variable: PUB\n", f);
        wf_buf_str(&b, line);
        wf_buf_byte(&b, 0);
        char rel[32];
        snprintf(rel, sizeof rel, "f%d/_index.yaml", f);
        put(root, rel, (char *)b.data);
        wf_buf_free(&b);
    }
    /* a user of PUB in a later file, and a bad file (duplicate ID) */
    put(root, "g/_index.yaml",
        "namespace: user\n"
        "entries:\n"
        "  - name: d\n"
        "    kind: library.lua\n"
        "    source: return {}\n"
        "    meta: {note: \"data-${env:PUB}\"}\n");
    put(root, "h/_index.yaml",
        "namespace: late\n"
        "entries:\n"
        "  - name: ok\n"
        "    kind: env.storage.memory\n"
        "  - name: v7\n"
        "    kind: env.storage.memory\n"
        "    meta: {x: 1}\n"
        "  - name: again\n"
        "    kind: env.storage.memory\n");
    put(root, "h/sub/_index.yaml",
        "namespace: ns2\n"
        "entries:\n"
        "  - name: v7\n"
        "    kind: env.storage.memory\n");
    wf_registry *r;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    assert_int_equal(wf_registry_diag_count(r), 1);
    char *d = wf_reg_diag_format(wf_registry_diag(r, 0));
    assert_string_equal(d, "h/sub/_index.yaml:3: ns2:v7: duplicate ID (first defined at f2/_index.yaml:31)");
    free(d);
    wf_error_free(e);
    for (int f = 0; f < FILES; f++)
        for (int i = 0; i < PER_FILE; i += 3) {
            char id[32];
            snprintf(id, sizeof id, "ns%d:v%d", f, i);
            const wf_reg_entry *en = wf_registry_get(r, id);
            assert_non_null(en);
            assert_string_equal(en->id, id);
            assert_int_equal(en->kind, WF_REG_ENV_VARIABLE);
        }
    assert_null(wf_registry_get(r, "ns0:v1500"));
    assert_null(wf_registry_get(r, "ns9:v1"));
    assert_null(wf_registry_get(r, "ns0:v"));
    assert_null(wf_registry_get(r, "h/sub:v7"));
    assert_null(wf_registry_get(r, "ns2:ok"));
    /* h/sub is bad: nothing of it loads; late (h) is sound */
    assert_non_null(wf_registry_get(r, "late:ok"));
    assert_non_null(wf_registry_get(r, "late:v7"));
    /* PUB: the first `pub` in load order (f0 sorts first) */
    const wf_reg_entry *dir = wf_registry_get(r, "user:d");
    assert_non_null(dir);
    assert_string_equal(wf_reg_node_get(dir->meta, "note")->str, "data-from ns0");
    assert_int_equal(wf_registry_count(r), FILES * (PER_FILE + 2) + 1 + 3);
    wf_registry_free(r);
}

/* A project large enough to be loaded on several threads (over 1 MB of
 * YAML, thousands of inline modules): every error is still found, each
 * once, in file and line order as a one-by-one load reports them; the
 * sound files load whole and their modules are compiled. */
enum { BIG_FILES = 4, BIG_PER_FILE = 1200 };

static void test_parallel_load(void **state)
{
    (void)state;
    for (int f = 0; f < BIG_FILES; f++) {
        wf_buf b = { 0 };
        char text[512];
        snprintf(text, sizeof text, "namespace: big%d\nentries:\n", f);
        wf_buf_str(&b, text);
        for (int i = 0; i < BIG_PER_FILE; i++) {
            bool bad_wat = f == 1 && i == 17, bad_method = f == 1 && i == 900;
            bool bad_wit = f == 2 && i == 5;
            snprintf(text, sizeof text,
                     "  - name: add%d\n"
                     "    kind: function.wat\n"
                     "    source: |\n"
                     "      (module (func (export \"add\") (param i32) (result i32)\n"
                     "        local.get 0 i32.const %d %s))\n"
                     "    wit: |\n"
                     "      add: func(x: s32) -> %s;\n"
                     "    method: %s\n",
                     i, i, bad_wat ? "i32.bogus" : "i32.add", bad_wit ? "" : "s32",
                     bad_method ? "sub" : "add");
            wf_buf_str(&b, text);
        }
        if (f == 3) wf_buf_str(&b, "  - name: [unclosed\n");
        wf_buf_byte(&b, 0);
        snprintf(text, sizeof text, "f%d/_index.yaml", f);
        put(root, text, (char *)b.data);
        wf_buf_free(&b);
    }
    wf_registry *r;
    wf_error *e = wf_registry_load(root, &r);
    assert_non_null(e);
    assert_true(!strncmp(e->message, "5 load errors in ", 17));
    char *d = diags(r);
    assert_string_equal(d,
        "f1/_index.yaml:143: big1:add17: WAT error at line 2, column 28 of the inline source: "
        "unknown operator i32.bogus\n"
        "f1/_index.yaml:7210: big1:add900: method 'sub' is not an exported function of the module "
        "(exported functions: add)\n"
        "f1/_index.yaml:7210: big1:add900: method 'sub' is not declared in the wit\n"
        "f2/_index.yaml:49: big2:add5: WIT error at line 1, column 22 of the inline wit: "
        "expected a type, found `;`\n"
        "f3/_index.yaml:9604: bad YAML (column 1): did not find expected ',' or ']' while parsing "
        "a flow sequence\n");
    free(d);
    wf_error_free(e);
    assert_int_equal(wf_registry_count(r), BIG_PER_FILE);
    const wf_reg_entry *en = wf_registry_get(r, "big0:add1199");
    assert_non_null(en);
    assert_non_null(en->u.wasm.module);
    assert_null(wf_registry_get(r, "big1:add0"));
    assert_null(wf_registry_get(r, "big3:add0"));
    wf_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream, setup, teardown),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test_setup_teardown(test_many_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
