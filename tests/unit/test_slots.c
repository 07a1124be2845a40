/* test_slots.c - memory images, snapshots and pooled instance slots
 * (wasm/image.h, runtime/slots.h): no state survives a call.
 *
 * One function, `step(mode)`, reports how far its instance is from pristine
 * (0: pristine) and then dirties it: a mutable global, a byte of the data
 * segment (whose 70,000 bytes make the memory start from a memfd image), a
 * byte past the data, a table slot, memory.grow plus a write into the new
 * page, and in the component a resource handle left in its handle table;
 * mode 1 then traps, mode 2 spins until the deadline stops it. Called again
 * on the same function (the inline pool: one slot, reused), it must report
 * 0 every time: after a normal return, after a trap, after a timeout. The
 * engine-level tests show the same instance is reset (and that without the
 * reset the state would be seen), that the pages a call wrote get the image
 * back however the reset restores them, that start code calling no host function
 * may be snapshotted, and that `preinit` snapshots the state
 * an initialiser leaves, refusing what cannot be snapshotted and an
 * initialisation that runs past its time limit. A module of several
 * memories gets every one of them back. GC structs and arrays never
 * outlive a call (test_gc_objects). The idle slots themselves: one kept in
 * a lock-free cell, the rest on a bounded stack, never one slot handed to
 * two callers at once. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "base/buf.h"
#include "base/file.h"
#include "cli/cwat.h"
#include "component/component.h"
#include "runtime/runtime.h"
#include "runtime/slots.h"
#include "wasm/code.h"
#include "wasm/image.h"
#include "wasm/jit.h"
#include "wasm/runtime.h"

#define DATA_LEN 70000

/* DATA_LEN bytes of 'a', for the text of a data segment. Caller frees. */
static char *data_text(void)
{
    char *data = wf_xmalloc(DATA_LEN + 1);
    memset(data, 'a', DATA_LEN);
    data[DATA_LEN] = 0;
    return data;
}

/* The module of a WAT text (the test fails when it does not parse). */
static wf_module *module_of(const char *wat)
{
    wf_module *m;
    wf_error *e = wf_module_from_wat(wat, strlen(wat), &m);
    if (e) fail_msg("module: %s", e->message);
    return m;
}

/* The stateful core: memory 2 pages, DATA_LEN bytes of 'a' at 0, global $g,
 * table [$one, $one]. $new_handle is spliced in by the component. */
static char *step_module(const char *imports, const char *handle_check)
{
    char *data = data_text();
    char *m = wf_xasprintf(
        "(module\n%s"
        "  (type $r (func (result i32)))\n"
        "  (memory (export \"memory\") 2)\n"
        "  (data (i32.const 0) \"%s\")\n"
        "  (global $g (mut i32) (i32.const 0))\n"
        "  (table 2 funcref) (elem (i32.const 0) $one $one) (elem declare func $two)\n"
        "  (tag $boom (param i32))\n"
        "  (global $caught (mut exnref) (ref.null exn))\n"
        "  (func $one (result i32) i32.const 1)\n"
        "  (func $two (result i32) i32.const 2)\n"
        "  (func $state (result i32)\n"
        "    (i32.add (i32.add (i32.add (global.get $g)\n"
        "      (i32.mul (i32.ne (i32.load8_u (i32.const 0)) (i32.const 97)) (i32.const 10)))\n"
        "      (i32.add (i32.mul (i32.ne (i32.load8_u (i32.const 69999)) (i32.const 97)) (i32.const 10))\n"
        "               (i32.mul (i32.ne (i32.load8_u (i32.const 100000)) (i32.const 0)) (i32.const 100))))\n"
        "      (i32.add (i32.mul (i32.ne (call_indirect (type $r) (i32.const 0)) (i32.const 1)) (i32.const 1000))\n"
        "               (i32.add (i32.mul (i32.ne (memory.size) (i32.const 2)) (i32.const 10000))\n"
        "                        (i32.mul (i32.eqz (ref.is_null (global.get $caught))) (i32.const 1000000))))))\n"
        "  (func (export \"step\") (param $mode i32) (result i32) (local $s i32)\n"
        "    (local.set $s (call $state))\n%s"
        "    (drop (memory.grow (i32.const 1)))\n"
        "    (if (i32.load8_u (i32.const 140000)) (then (local.set $s (i32.add (local.get $s) (i32.const 200000)))))\n"
        "    (i32.store8 (i32.const 140000) (i32.const 9))\n"
        "    (global.set $g (i32.const 5))\n"
        "    (i32.store8 (i32.const 0) (i32.const 1))\n"
        "    (i32.store8 (i32.const 100000) (i32.const 1))\n"
        "    (table.set (i32.const 0) (ref.func $two))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 1)) (then unreachable))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 2)) (then (loop (br 0))))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 3)) (then (throw $boom (i32.const 3))))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 4))\n"
        "      (then (global.set $caught (block $h (result exnref)\n"
        "        (try_table (catch_all_ref $h) (throw $boom (i32.const 4))) (ref.null exn)))))\n"
        "    (local.get $s)))\n",
        imports, data, handle_check);
    free(data);
    return m;
}

static wf_module *core_module(void)
{
    char *wat = step_module("", "");
    wf_module *m = module_of(wat);
    free(wat);
    return m;
}

static wf_component *component(void)
{
    char *core = step_module("  (import \"\" \"new\" (func $new (param i32) (result i32)))\n",
        "    (if (i32.ne (call $new (i32.const 7)) (i32.const 1))\n"
        "      (then (local.set $s (i32.add (local.get $s) (i32.const 100000)))))\n");
    char *text = wf_xasprintf(
        "(component\n"
        "  (core module $Dtor (func (export \"dtor\") (param i32)))\n"
        "  (core instance $d (instantiate $Dtor))\n"
        "  (type $R (resource (rep i32) (dtor (core func $d \"dtor\"))))\n"
        "  (core func $new (canon resource.new $R))\n"
        "  (core module $M %s\n"
        "  (core instance $m (instantiate $M (with \"\" (instance (export \"new\" (func $new))))))\n"
        "  (func (export \"step\") (param \"mode\" u32) (result u32)\n"
        "    (canon lift (core func $m \"step\"))))\n", core + strlen("(module"));
    free(core);
    /* the module's text without its "(module" opener: the closing paren ends $M */
    wf_component *c = component_of(text);
    free(text);
    return c;
}

static wf_error *step(wf_runtime *rt, const char *id, uint32_t mode, int64_t *out)
{
    wf_val arg = wf_val_uint(WF_VAL_U32, mode), r;
    wf_error *e = wf_runtime_call(rt, id, &arg, 1, &r, NULL);
    if (!e) {
        *out = r.kind == WF_VAL_U32 ? (int64_t)r.of.u : r.of.s;
        wf_val_free(&r);
    }
    return e;
}

static void expect_pristine(wf_runtime *rt, const char *id)
{
    int64_t v = -1;
    wf_error *e = step(rt, id, 0, &v);
    if (e) fail_msg("%s: %s", id, e->message);
    assert_int_equal(v, 0);
}

static void expect_kind(wf_runtime *rt, const char *id, uint32_t mode, wf_error_kind kind)
{
    int64_t v;
    wf_error *e = step(rt, id, mode, &v);
    if (!e) fail_msg("%s: step(%u) succeeded", id, mode);
    assert_int_equal(e->kind, kind);
    wf_error_free(e);
}

/* The same function again and again: returns, a trap, a timeout. */
static void no_leaks(wf_runtime *rt, const char *id)
{
    for (int i = 0; i < 5; i++) expect_pristine(rt, id);
    expect_kind(rt, id, 1, WF_ERR_TRAP);
    expect_pristine(rt, id);
    expect_kind(rt, id, 2, WF_ERR_TIMEOUT);
    expect_pristine(rt, id);
    expect_pristine(rt, id);
}

/* ... and step_module's exceptions (exn.h): one nothing caught, one caught
 * and kept in a global. */
static void no_exception_leaks(wf_runtime *rt, const char *id)
{
    int64_t v;
    wf_error *e = step(rt, id, 3, &v);
    if (!e) fail_msg("%s: step(3) succeeded", id);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    if (!strstr(e->message, "uncaught exception")) fail_msg("%s: step(3): %s", id, e->message);
    wf_error_free(e);
    expect_pristine(rt, id);
    for (int i = 0; i < 3; i++) {
        e = step(rt, id, 4, &v);
        if (e) fail_msg("%s: step(4): %s", id, e->message);
        assert_int_equal(v, 0);
    }
    expect_pristine(rt, id);
}

static void test_core_slots(void **state)
{
    (void)state;
    wf_module *m = core_module();
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_limits lim = { .max_execution_ms = 100 };
    wf_wasm_config inl = { .method = "step", .pool = { .type = WF_RT_POOL_INLINE }, .limits = lim };
    wf_wasm_config sta = { .method = "step", .pool = { .type = WF_RT_POOL_STATIC, .workers = 2 },
                           .limits = lim };
    wf_error *e = wf_runtime_add_wasm(rt, "t:inline", m, &inl);
    if (!e) e = wf_runtime_add_wasm(rt, "t:static", m, &sta);
    if (e) fail_msg("add: %s", e->message);
    no_leaks(rt, "t:inline");
    no_leaks(rt, "t:static");
    no_exception_leaks(rt, "t:inline");
    no_exception_leaks(rt, "t:static");
    wf_runtime_free(rt);
    wf_module_free(m);
}

static void test_component_slots(void **state)
{
    (void)state;
    wf_component *c = component();
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_limits lim = { .max_execution_ms = 100 };
    wf_component_config inl = { .method = "step", .pool = { .type = WF_RT_POOL_INLINE }, .limits = lim };
    wf_component_config sta = { .method = "step", .pool = { .type = WF_RT_POOL_STATIC, .workers = 2 },
                                .limits = lim };
    wf_error *e = wf_runtime_add_component(rt, "c:inline", c, &inl);
    if (!e) e = wf_runtime_add_component(rt, "c:static", c, &sta);
    if (e) fail_msg("add: %s", e->message);
    no_leaks(rt, "c:inline");
    no_leaks(rt, "c:static");
    no_exception_leaks(rt, "c:inline");
    no_exception_leaks(rt, "c:static");
    wf_runtime_free(rt);
    wf_component_free(c);
}

/* The environment a component sees is its call's, looked up per call: a
 * variable set for one call and unset for the next is gone in the next
 * (the slot's WASI context keeps no environment across a reset, and an
 * entry without env passes none). The fixture leak.wasm's probe returns,
 * last, how many environment variables the guest sees. */
typedef struct env_state {
    const char *value;      /* WHO's value now, NULL: unset */
    int lookups;
} env_state;

static wf_error *env_lookup(void *ud, const char *id, char **value)
{
    env_state *st = ud;
    assert_string_equal(id, "who");
    st->lookups++;
    *value = st->value ? wf_xstrdup(st->value) : NULL;
    return NULL;
}

static uint32_t probe_env_count(wf_runtime *rt, const char *id)
{
    wf_val arg = { .kind = WF_VAL_U32, .of.u = 0 }, r;
    wf_error *e = wf_runtime_call(rt, id, &arg, 1, &r, NULL);
    if (e) fail_msg("%s: %s", id, e->message);
    assert_int_equal(r.kind, WF_VAL_LIST);
    assert_int_equal(r.of.agg.len, 6);
    assert_int_equal(r.of.agg.items[0].of.u, 1);   /* a pristine instance: its first call */
    uint32_t n = (uint32_t)r.of.agg.items[5].of.u;
    wf_val_free(&r);
    return n;
}

static void test_component_env_per_call(void **state)
{
    (void)state;
    uint8_t *bytes;
    size_t len;
    wf_error *e = wf_file_read(WF_FIXTURES "/components/leak.wasm", &bytes, &len);
    if (e) fail_msg("leak.wasm: %s", e->message);
    wf_component *c;
    if ((e = wf_component_new_owned(bytes, len, &c))) fail_msg("leak.wasm: %s", e->message);
    static const char *const imports[] = { "wasi:cli", "wasi:clocks", "wasi:filesystem" };
    static const wf_wasi_env_var vars[] = { { .id = "who", .name = "WHO" } };
    env_state st = { .value = "me" };
    wf_runtime *rt = wf_runtime_new();
    wf_component_config with = { .method = "probe", .pool = { .type = WF_RT_POOL_INLINE },
                                 .imports = imports, .nimports = 3,
                                 .wasi = { .env = vars, .nenv = 1, .env_lookup = env_lookup, .env_ud = &st } };
    wf_component_config without = { .method = "probe", .pool = { .type = WF_RT_POOL_INLINE },
                                    .imports = imports, .nimports = 3 };
    wf_component_config cwd = without;
    cwd.wasi.cwd = "/";
    if ((e = wf_runtime_add_component(rt, "c:env", c, &with)) ||
        (e = wf_runtime_add_component(rt, "c:noenv", c, &without)) ||
        (e = wf_runtime_add_component(rt, "c:cwd", c, &cwd)))
        fail_msg("add: %s", e->message);
    for (int round = 0; round < 3; round++) {
        st.value = "me";
        assert_int_equal(probe_env_count(rt, "c:env"), 1);
        st.value = NULL;   /* unset now: the last call's WHO must not be seen */
        assert_int_equal(probe_env_count(rt, "c:env"), 0);
        assert_int_equal(probe_env_count(rt, "c:env"), 0);
        st.value = "you";
        assert_int_equal(probe_env_count(rt, "c:env"), 1);
        /* the same instance slot for another entry's kind of call: nothing */
        assert_int_equal(probe_env_count(rt, "c:noenv"), 0);
        assert_int_equal(probe_env_count(rt, "c:cwd"), 1);   /* PWD */
    }
    assert_int_equal(st.lookups, 12);
    wf_runtime_free(rt);
    wf_component_free(c);
}

static int32_t exec_step(wf_instance *inst, uint32_t mode)
{
    wf_extern x;
    assert_true(wf_instance_export(inst, "step", 4, &x));
    wf_slot s[1] = { { .u32 = mode } };
    wf_error *e = wf_exec_call(x.of.func, s);
    if (e) fail_msg("step: %s", e->message);
    return s[0].i32;
}

/* Is the host page holding p a private (anonymous) page of this process:
 * present, neither a file's nor shared (/proc/self/pagemap bits 63, 61)? */
static bool own_page(const void *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;
    long pg = sysconf(_SC_PAGESIZE);
    bool ok = fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)p / (uintptr_t)pg * 8)) == 8;
    if (fd >= 0) close(fd);
    return ok && (e >> 63 & 1) && !(e >> 61 & 1);
}

/* The engine alone: the memory maps the module's image, a second call sees
 * the first one's state, a reset puts the same instance back, and the
 * snapshot also turns a bare instance of another store into a pristine one. */
static void test_snapshot_reset(void **state)
{
    (void)state;
    wf_module *m = core_module();
    wf_store *s = wf_store_new();
    wf_instance *inst;
    wf_error *e = wf_instance_new(s, m, NULL, 0, &inst);
    if (e) fail_msg("instantiate: %s", e->message);
    wf_memory *mem = inst->mems[0];
    assert_true(mem->image_len == 2 * WF_PAGE_SIZE);   /* mapped from the data image */
    assert_int_equal(mem->base[DATA_LEN - 1], 'a');
    wf_snapshot *snap;
    if ((e = wf_snapshot_take(s, &snap))) fail_msg("snapshot: %s", e->message);
    assert_int_equal(exec_step(inst, 0), 0);
    assert_int_equal(exec_step(inst, 0), 5 + 10 + 100 + 1000 + 10000 + 200000);   /* seen without reset */
    uint8_t *base = mem->base;
    if ((e = wf_snapshot_reset(snap, s))) fail_msg("reset: %s", e->message);
    assert_ptr_equal(inst->mems[0], mem);
    assert_ptr_equal(mem->base, base);
    assert_int_equal(mem->size, 2 * WF_PAGE_SIZE);
    assert_int_equal(exec_step(inst, 0), 0);

    wf_store *bare = wf_store_new();
    bare->bare = true;
    wf_instance *b;
    if ((e = wf_instance_new(bare, m, NULL, 0, &b))) fail_msg("bare: %s", e->message);
    bare->bare = false;
    assert_int_equal(b->mems[0]->base[0], 0);   /* no segment applied */
    if ((e = wf_snapshot_reset(snap, bare))) fail_msg("reset bare: %s", e->message);
    /* the pages the first store's call wrote (its reset recorded them with
     * the image: bytes 0 and 100,000) are this memory's own already, with
     * the image's bytes in them */
    assert_true(own_page(b->mems[0]->base) && own_page(b->mems[0]->base + 100000));
    assert_false(own_page(b->mems[0]->base + 50000));
    assert_int_equal(b->mems[0]->base[0], 'a');
    assert_int_equal(b->mems[0]->base[100000], 0);
    assert_int_equal(exec_step(b, 0), 0);
    wf_store_free(bare);

    /* A store of another module does not match. */
    wf_module *other = module_of("(module (memory 1))");
    wf_store *s2 = wf_store_new();
    if ((e = wf_instance_new(s2, other, NULL, 0, &b))) fail_msg("%s", e->message);
    e = wf_snapshot_reset(snap, s2);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INTERNAL);
    wf_error_free(e);
    wf_store_free(s2);
    wf_module_free(other);

    wf_snapshot_free(snap);
    wf_store_free(s);
    wf_module_free(m);
}

/* A table that one module fills with its functions and another defines
 * (the fixup pattern of WASI adapters): recorded by position in the store,
 * so a bare instance of the component calls the right function after a reset. */
static const char *SHARED_TABLE =
    "(component\n"
    "  (core module $A (table (export \"t\") 2 funcref) (type $r (func (result i32)))\n"
    "    (func (export \"call0\") (result i32) (call_indirect (type $r) (i32.const 0))))\n"
    "  (core instance $a (instantiate $A))\n"
    "  (core module $B (import \"a\" \"t\" (table 2 funcref))\n"
    "    (func $f (result i32) i32.const 7) (elem (i32.const 0) $f))\n"
    "  (core instance $b (instantiate $B (with \"a\" (instance $a))))\n"
    "  (func (export \"call0\") (result u32) (canon lift (core func $a \"call0\"))))\n";

static uint32_t call0(wf_cinstance *ci)
{
    wf_val r;
    wf_error *e = wf_cinstance_call(ci, "call0", NULL, 0, &r);
    if (e) fail_msg("call0: %s", e->message);
    return r.of.u;
}

static void test_snapshot_shared_table(void **state)
{
    (void)state;
    wf_component *c = component_of(SHARED_TABLE);
    wf_error *e;
    wf_store *s = wf_store_new();
    wf_cinstance *ci;
    if ((e = wf_cinstance_new(s, c, NULL, &ci))) fail_msg("instantiate: %s", e->message);
    wf_snapshot *snap;
    if ((e = wf_snapshot_take(s, &snap))) fail_msg("snapshot: %s", e->message);
    assert_int_equal(call0(ci), 7);
    wf_store *s2 = wf_store_new();
    s2->bare = true;
    wf_cinstance *ci2;
    if ((e = wf_cinstance_new(s2, c, NULL, &ci2))) fail_msg("bare: %s", e->message);
    s2->bare = false;
    wf_error *u = wf_cinstance_call(ci2, "call0", NULL, 0, &(wf_val){0});   /* no segment: null entry */
    assert_non_null(u);
    assert_int_equal(u->kind, WF_ERR_TRAP);
    wf_error_free(u);
    wf_cinstance_reset(ci2);
    if ((e = wf_snapshot_reset(snap, s2))) fail_msg("reset: %s", e->message);
    assert_int_equal(call0(ci2), 7);
    wf_cinstance_free(ci2);
    wf_store_free(s2);
    wf_snapshot_free(snap);
    wf_cinstance_free(ci);
    wf_store_free(s);
    wf_component_free(c);
}

/* Start code that calls no host function can be snapshotted without
 * preinit (it computes the same thing in every fresh instance); the store
 * counts host calls so the runtime can tell. */
static wf_error *host_noop(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env; (void)slots;
    return NULL;
}

static void test_start_host_calls(void **state)
{
    (void)state;
    const char *pure = "(module (global $g (mut i32) (i32.const 0))"
                       " (func $s (global.set $g (i32.const 3))) (start $s))";
    const char *host = "(module (import \"env\" \"f\" (func $f))"
                       " (func $s (call $f) (call $f)) (start $s))";
    wf_module *mp = module_of(pure), *mh = module_of(host);
    wf_error *e;
    wf_store *s = wf_store_new();
    wf_instance *inst;
    if ((e = wf_instance_new(s, mp, NULL, 0, &inst))) fail_msg("%s", e->message);
    assert_true(s->ran_code);
    assert_int_equal(s->host_calls, 0);
    wf_store_free(s);
    s = wf_store_new();
    wf_extern im = { .kind = WF_EXTERN_FUNC,
                     .of.func = wf_func_new_host(s, wf_functype_get(NULL, 0, NULL, 0), host_noop, NULL) };
    if ((e = wf_instance_new(s, mh, &im, 1, &inst))) fail_msg("%s", e->message);
    assert_true(s->ran_code);
    assert_int_equal(s->host_calls, 2);
    wf_store_free(s);
    wf_module_free(mp);
    wf_module_free(mh);
}

/* preinit: the start function and `_initialize` run once, at add; every
 * call starts from what they left. Without preinit, the start function runs
 * in every call's fresh instance and `_initialize` not at all. */
static const char *INIT_WAT =
    "(module (memory 1) (global $g (mut i32) (i32.const 0)) (global $runs (mut i32) (i32.const 0))\n"
    "  (func $start (global.set $g (i32.add (global.get $g) (i32.const 1))))\n"
    "  (start $start)\n"
    "  (func (export \"_initialize\") (global.set $g (i32.add (global.get $g) (i32.const 10)))\n"
    "    (i32.store (i32.const 64) (i32.const 1234)))\n"
    "  (func (export \"get\") (result i32)\n"
    "    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))\n"
    "    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))\n"
    "    (i32.add (i32.mul (global.get $runs) (i32.const 100000))\n"
    "      (i32.add (global.get $g) (i32.mul (i32.load (i32.const 64)) (i32.const 100))))))";

static int64_t call_get(wf_runtime *rt, const char *id)
{
    wf_val r;
    wf_error *e = wf_runtime_call(rt, id, NULL, 0, &r, NULL);
    if (e) fail_msg("%s: %s", id, e->message);
    int64_t v = r.of.s;
    wf_val_free(&r);
    return v;
}

/* A runtime with m's `get` twice, in the inline pool: t:pre with preinit,
 * t:plain without. */
static wf_runtime *pre_and_plain(wf_module *m)
{
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config pre = { .method = "get", .pool = { .type = WF_RT_POOL_INLINE }, .preinit = true };
    wf_wasm_config plain = { .method = "get", .pool = { .type = WF_RT_POOL_INLINE } };
    wf_error *e = wf_runtime_add_wasm(rt, "t:pre", m, &pre);
    if (!e) e = wf_runtime_add_wasm(rt, "t:plain", m, &plain);
    if (e) fail_msg("%s", e->message);
    return rt;
}

static void test_preinit(void **state)
{
    (void)state;
    wf_module *m = module_of(INIT_WAT);
    wf_runtime *rt = pre_and_plain(m);
    for (int i = 0; i < 3; i++) {
        /* one run, g = 1 + 10, memory[64] = 1234 + 1 */
        assert_int_equal(call_get(rt, "t:pre"), 100000 + 11 + 123500);
        /* one run, g = 1 (start only), memory[64] = 0 + 1 */
        assert_int_equal(call_get(rt, "t:plain"), 100000 + 1 + 100);
    }
    /* Refused at add: a module importing WASI preview 1 with it enabled;
     * an initialiser that traps. */
    wf_module *wasi = module_of("(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func (param i32)))"
                                " (func (export \"get\") (result i32) i32.const 1))");
    wf_wasm_config p1 = { .method = "get", .pool = { .type = WF_RT_POOL_INLINE }, .preinit = true,
                          .wasi.preview1 = true };
    wf_error *e = wf_runtime_add_wasm(rt, "t:p1", wasi, &p1);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNSUPPORTED);
    assert_non_null(strstr(e->message, "preinit cannot be combined with WASI preview 1"));
    wf_error_free(e);
    wf_module *bad = module_of("(module (func (export \"_initialize\") unreachable) (func (export \"f\")))");
    wf_wasm_config bc = { .method = "f", .pool = { .type = WF_RT_POOL_INLINE }, .preinit = true };
    e = wf_runtime_add_wasm(rt, "t:bad", bad, &bc);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_non_null(strstr(e->message, "preinit: `_initialize`"));
    wf_error_free(e);
    /* An initialiser or a start function that never ends: a load error
     * once the entry's max_execution_ms has passed, the runtime serving. */
    wf_module *spin = module_of("(module (func (export \"_initialize\") (loop (br 0))) (func (export \"f\")))");
    bc.limits.max_execution_ms = 100;
    e = wf_runtime_add_wasm(rt, "t:spin", spin, &bc);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    assert_string_equal(e->message, "t:spin: preinit: the initialisation ran longer than 100 ms "
                        "(the entry's limits.max_execution_ms) and was stopped");
    wf_error_free(e);
    wf_module_free(spin);
    wf_component *cspin = component_of("(component\n"
        "  (core module $M (func $s (loop (br 0))) (start $s) (func (export \"f\")))\n"
        "  (core instance $m (instantiate $M))\n"
        "  (func (export \"f\") (canon lift (core func $m \"f\"))))\n");
    wf_component_config cc = { .method = "f", .pool = { .type = WF_RT_POOL_INLINE }, .preinit = true,
                               .limits = { .max_execution_ms = 100 } };
    e = wf_runtime_add_component(rt, "t:cspin", cspin, &cc);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    assert_non_null(strstr(e->message, "t:cspin: preinit: the initialisation ran longer than 100 ms"));
    wf_error_free(e);
    wf_component_free(cspin);
    assert_int_equal(call_get(rt, "t:pre"), 100000 + 11 + 123500);
    wf_runtime_free(rt);
    wf_module_free(bad);
    wf_module_free(wasi);
    wf_module_free(m);
}

/* Every way a call can write a table is undone by the reset (a reset
 * copies a table back only when it was written: each writer marks it),
 * after a return and after a trap, on the interpreter and, when the build
 * has it, the compiled tier. state() is 4004 for the pristine table
 * [$one x4]: the sum of its functions' results plus 1000 per element. */
static const char *TABLE_WAT =
    "(module (type $r (func (result i32)))\n"
    "  (table $t 4 8 funcref) (elem (table $t) (i32.const 0) func $one $one $one $one)\n"
    "  (table $u 2 funcref) (elem (table $u) (i32.const 0) func $two $two)\n"
    "  (elem $e funcref (ref.func $two) (ref.func $two))\n"
    "  (func $one (result i32) i32.const 1) (func $two (result i32) i32.const 2)\n"
    "  (func $state (result i32) (local $i i32) (local $s i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.ge_u (local.get $i) (table.size $t)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.add (i32.const 1000)\n"
    "        (call_indirect $t (type $r) (local.get $i)))))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n"
    "    (local.get $s))\n"
    "  (func (export \"mut\") (param $mode i32) (result i32) (local $s i32)\n"
    "    (local.set $s (call $state))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 0)) (then (table.set $t (i32.const 1) (ref.func $two))))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 1))\n"
    "      (then (table.fill $t (i32.const 0) (ref.func $two) (i32.const 3))))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 2))\n"
    "      (then (table.copy $t $u (i32.const 1) (i32.const 0) (i32.const 2))))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 3)) (then (table.init $t $e (i32.const 2) (i32.const 0) (i32.const 2))))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 4))\n"
    "      (then (drop (table.grow $t (ref.func $two) (i32.const 3)))))\n"
    "    (if (i32.eq (local.get $mode) (i32.const 5))\n"
    "      (then (table.set $t (i32.const 3) (ref.func $two)) unreachable))\n"
    "    (local.get $s)))";

static void table_writes_on(wf_tier tier)
{
    wf_module *m = module_of(TABLE_WAT);
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config c = { .method = "mut", .pool = { .type = WF_RT_POOL_INLINE } };
    wf_error *e = wf_runtime_add_wasm(rt, "t:tab", m, &c);
    if (e) fail_msg("%s", e->message);
    for (int round = 0; round < 2; round++)
        for (uint32_t mode = 0; mode <= 5; mode++) {
            int64_t r = -1;
            e = step(rt, "t:tab", mode, &r);
            if (mode == 5) {
                assert_non_null(e);
                assert_int_equal(e->kind, WF_ERR_TRAP);
                wf_error_free(e);
                continue;
            }
            if (e) fail_msg("tier %d mode %u: %s", (int)tier, mode, e->message);
            assert_int_equal(r, 4004);
        }
    int64_t r = -1;
    if ((e = step(rt, "t:tab", 9, &r))) fail_msg("%s", e->message);
    assert_int_equal(r, 4004);
    wf_runtime_free(rt);
    wf_module_free(m);
}

/* GC objects (gc.h) never outlive a call: a struct made by a global's
 * initialiser and mutated by a call is fresh in the next (the module's
 * state holds an object: no snapshot, a fresh instance per call), and an
 * object a call leaves in a global or a table of a snapshotted module is
 * gone after the reset (its heap freed: the store's bytes are back to 0).
 * An allocation past max_memory_mb traps with a clear message and the
 * function keeps serving. */
static const char GC_WAT[] =
    "(module\n"
    "  (type $cell (struct (field $v (mut i32))))\n"
    "  (type $bytes (array (mut i8)))\n"
    "  (global $c (ref $cell) (struct.new $cell (i32.const 7)))\n"
    "  (func (export \"bump\") (result i32)\n"
    "    (local $was i32)\n"
    "    (local.set $was (struct.get $cell $v (global.get $c)))\n"
    "    (struct.set $cell $v (global.get $c) (i32.add (local.get $was) (i32.const 1)))\n"
    "    (local.get $was))\n"
    "  (func (export \"big\") (result i32)\n"
    "    (array.len (array.new_default $bytes (i32.const 0x7fffffff)))))";

static const char GC_KEEP_WAT[] =
    "(module\n"
    "  (type $cell (struct (field $v (mut i32))))\n"
    "  (global $keep (mut (ref null $cell)) (ref.null $cell))\n"
    "  (global $small (mut i31ref) (ref.i31 (i32.const 5)))\n"
    "  (table $t 1 anyref)\n"
    "  (func (export \"keep\") (result i32)\n"
    "    (local $seen i32)\n"
    "    (local.set $seen (i32.add (i31.get_u (global.get $small))\n"
    "      (i32.add (i32.mul (i32.const 10) (i32.eqz (ref.is_null (global.get $keep))))\n"
    "               (i32.mul (i32.const 100) (i32.eqz (ref.is_null (table.get $t (i32.const 0))))))))\n"
    "    (global.set $keep (struct.new $cell (i32.const 1)))\n"
    "    (table.set $t (i32.const 0) (array.new_fixed $cell-array 1 (global.get $keep)))\n"
    "    (global.set $small (ref.i31 (i32.const 9)))\n"
    "    (local.get $seen))\n"
    "  (type $cell-array (array (ref null $cell))))";

static void test_gc_objects(void **state)
{
    (void)state;
    wf_module *m = module_of(GC_WAT), *keep = module_of(GC_KEEP_WAT);
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config bump = { .method = "bump", .pool = { .type = WF_RT_POOL_INLINE } };
    wf_wasm_config big = { .method = "big", .pool = { .type = WF_RT_POOL_INLINE },
                           .limits = { .max_memory_mb = 16 } };
    wf_wasm_config kc = { .method = "keep", .pool = { .type = WF_RT_POOL_INLINE } };
    wf_error *e = wf_runtime_add_wasm(rt, "t:bump", m, &bump);
    if (!e) e = wf_runtime_add_wasm(rt, "t:big", m, &big);
    if (!e) e = wf_runtime_add_wasm(rt, "t:keep", keep, &kc);
    if (e) fail_msg("add: %s", e->message);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(call_get(rt, "t:bump"), 7);
        /* pristine: the i31 back to 5, the global and the table null */
        assert_int_equal(call_get(rt, "t:keep"), 5);
        wf_val r;
        e = wf_runtime_call(rt, "t:big", NULL, 0, &r, NULL);
        if (!e) fail_msg("t:big succeeded");
        assert_int_equal(e->kind, WF_ERR_TRAP);
        if (!strstr(e->message, "GC heap is over its limit")) fail_msg("t:big: %s", e->message);
        wf_error_free(e);
    }
    wf_runtime_free(rt);

    /* The engine level: the snapshot of `keep`'s store holds no object,
     * a call leaves two, the reset frees them. */
    wf_store *s = wf_store_new();
    wf_instance *inst;
    e = wf_instance_new(s, keep, NULL, 0, &inst);
    if (e) fail_msg("instantiate: %s", e->message);
    wf_snapshot *snap;
    e = wf_snapshot_take(s, &snap);
    if (e) fail_msg("snapshot: %s", e->message);
    wf_extern ex;
    assert_true(wf_instance_export(inst, "keep", 4, &ex));
    wf_value out = { .type = WF_TYPE_I32 };
    e = wf_func_call(ex.of.func, NULL, 0, &out, 1);
    if (e) fail_msg("keep: %s", e->message);
    assert_int_equal(out.of.i32, 5);
    e = wf_func_call(ex.of.func, NULL, 0, &out, 1);
    if (e) fail_msg("keep: %s", e->message);
    assert_int_equal(out.of.i32, 119);          /* without a reset the objects are seen */
    assert_true(s->gc_bytes > 0);
    e = wf_snapshot_reset(snap, s);
    if (e) fail_msg("reset: %s", e->message);
    assert_int_equal(s->gc_bytes, 0);
    e = wf_func_call(ex.of.func, NULL, 0, &out, 1);
    if (e) fail_msg("keep: %s", e->message);
    assert_int_equal(out.of.i32, 5);
    wf_snapshot_free(snap);
    wf_store_free(s);

    /* ... and the module whose global holds an object cannot be snapshotted */
    s = wf_store_new();
    e = wf_instance_new(s, m, NULL, 0, &inst);
    if (e) fail_msg("instantiate: %s", e->message);
    e = wf_snapshot_take(s, &snap);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNSUPPORTED);
    if (!strstr(e->message, "GC struct or array")) fail_msg("snapshot: %s", e->message);
    wf_error_free(e);
    wf_store_free(s);
    wf_module_free(m);
    wf_module_free(keep);
}

static void test_table_writes(void **state)
{
    (void)state;
    table_writes_on(WF_TIER_INTERP);
    wf_jit_set_cache_dir(NULL);
    wf_error *e = wf_jit_set_tier(WF_TIER_COMPILED);
    if (e) {
        wf_error_free(e);   /* a build without the compiled tier */
        return;
    }
    table_writes_on(WF_TIER_COMPILED);
    assert_null(wf_jit_set_tier(WF_TIER_INTERP));
}

/* Multi-memory: every memory is reset, not only memory 0. Memory 1
 * starts from its data image (DATA_LEN bytes of 'a'), memory 2 (a 64-bit
 * one: memory64) empty;
 * step(mode) reports how far they are from pristine and then dirties both
 * (a data byte, a byte past the data, a grown page, memory.fill, .copy
 * between them and .init into memory 2); mode 1 then traps, mode 2 spins
 * until the deadline. Each call must find them pristine again, on the
 * interpreter and, when the build has it, the compiled tier. */
static char *multi_memory_module(void)
{
    char *data = data_text();
    char *m = wf_xasprintf(
        "(module\n"
        "  (memory (export \"memory\") 1)\n"
        "  (memory $m1 2)\n"
        "  (memory $m2 i64 1)\n"
        "  (data (memory $m1) (i32.const 0) \"%s\")\n"
        "  (data $p \"xyz\")\n"
        "  (func $state (result i32)\n"
        "    (i32.add (i32.add\n"
        "      (i32.add (i32.mul (i32.ne (i32.load8_u $m1 (i32.const 0)) (i32.const 97)) (i32.const 10))\n"
        "               (i32.mul (i32.ne (i32.load8_u $m1 (i32.const 100000)) (i32.const 0)) (i32.const 100)))\n"
        "      (i32.add (i32.mul (i32.ne (i32.load $m2 (i64.const 4)) (i32.const 0)) (i32.const 1000))\n"
        "               (i32.mul (i32.ne (memory.size $m1) (i32.const 2)) (i32.const 10000))))\n"
        "      (i32.add (i32.mul (i64.ne (memory.size $m2) (i64.const 1)) (i32.const 20000))\n"
        "               (i32.mul (i32.ne (i32.load8_u $m1 (i32.const 69999)) (i32.const 97)) (i32.const 40000)))))\n"
        "  (func (export \"step\") (param $mode i32) (result i32) (local $s i32)\n"
        "    (local.set $s (call $state))\n"
        "    (drop (memory.grow $m1 (i32.const 1)))\n"
        "    (if (i32.load8_u $m1 (i32.const 140000))\n"
        "      (then (local.set $s (i32.add (local.get $s) (i32.const 200000)))))\n"
        "    (i32.store8 $m1 (i32.const 140000) (i32.const 9))\n"
        "    (i32.store8 $m1 (i32.const 0) (i32.const 1))\n"
        "    (i32.store8 $m1 (i32.const 100000) (i32.const 1))\n"
        "    (memory.fill $m2 (i64.const 0) (i32.const 7) (i64.const 16))\n"
        "    (memory.copy $m2 $m1 (i64.const 100) (i32.const 0) (i32.const 10))\n"
        "    (memory.init $m2 $p (i64.const 200) (i32.const 0) (i32.const 3))\n"
        "    (drop (memory.grow $m2 (i64.const 1)))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 1))\n"
        "      (then (i32.store8 $m2 (i64.const 200000) (i32.const 1))))\n"
        "    (if (i32.eq (local.get $mode) (i32.const 2)) (then (loop (br 0))))\n"
        "    (local.get $s)))\n",
        data);
    free(data);
    return m;
}

static void multi_memory_on(void)
{
    char *wat = multi_memory_module();
    wf_module *m = module_of(wat);
    free(wat);
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_limits lim = { .max_execution_ms = 100 };
    wf_wasm_config inl = { .method = "step", .pool = { .type = WF_RT_POOL_INLINE }, .limits = lim };
    wf_wasm_config sta = { .method = "step", .pool = { .type = WF_RT_POOL_STATIC, .workers = 2 },
                           .limits = lim };
    wf_error *e = wf_runtime_add_wasm(rt, "mm:inline", m, &inl);
    if (!e) e = wf_runtime_add_wasm(rt, "mm:static", m, &sta);
    if (e) fail_msg("add: %s", e->message);
    no_leaks(rt, "mm:inline");
    no_leaks(rt, "mm:static");
    wf_runtime_free(rt);

    /* without a reset the state is seen: the engine alone, one instance */
    wf_store *s = wf_store_new();
    wf_instance *inst;
    if ((e = wf_instance_new(s, m, NULL, 0, &inst))) fail_msg("instantiate: %s", e->message);
    assert_int_equal(inst->mems[1]->image_len, 2 * WF_PAGE_SIZE);   /* mapped from memory 1's image */
    wf_snapshot *snap;
    if ((e = wf_snapshot_take(s, &snap))) fail_msg("snapshot: %s", e->message);
    assert_int_equal(exec_step(inst, 0), 0);
    assert_int_equal(exec_step(inst, 0), 10 + 100 + 1000 + 10000 + 20000 + 200000);
    if ((e = wf_snapshot_reset(snap, s))) fail_msg("reset: %s", e->message);
    assert_int_equal(exec_step(inst, 0), 0);
    wf_snapshot_free(snap);
    wf_store_free(s);
    wf_module_free(m);
}

static void test_multi_memory(void **state)
{
    (void)state;
    multi_memory_on();
    wf_jit_set_cache_dir(NULL);
    wf_error *e = wf_jit_set_tier(WF_TIER_COMPILED);
    if (e) {
        wf_error_free(e);   /* a build without the compiled tier */
        return;
    }
    multi_memory_on();
    assert_null(wf_jit_set_tier(WF_TIER_INTERP));
}

/* preinit of a module whose memory starts from its data image (70,000
 * bytes of segments) and that has no start function: what `_initialize`
 * writes into memory is part of the snapshot, not only its globals (the
 * snapshot once took the module's data image for a memory no start function
 * had touched, dropping the initialiser's writes). */
static void test_preinit_image(void **state)
{
    (void)state;
    char *a = data_text();
    char *wat = wf_xasprintf(
        "(module (memory 2) (data (i32.const 0) \"%s\") (global $g (mut i32) (i32.const 0))\n"
        "  (func (export \"_initialize\") (global.set $g (i32.const 7))\n"
        "    (i32.store8 (i32.const 5) (i32.const 98)) (i32.store (i32.const 80000) (i32.const 1234)))\n"
        "  (func (export \"get\") (result i32) (local $r i32)\n"
        "    (local.set $r (i32.add (i32.add (i32.mul (global.get $g) (i32.const 100000))\n"
        "      (i32.mul (i32.load8_u (i32.const 5)) (i32.const 10000))) (i32.load (i32.const 80000))))\n"
        "    (global.set $g (i32.const 1)) (i32.store8 (i32.const 5) (i32.const 1))\n"
        "    (i32.store (i32.const 80000) (i32.const 1))\n"
        "    (local.get $r)))", a);
    free(a);
    wf_module *m = module_of(wat);
    free(wat);
    wf_runtime *rt = pre_and_plain(m);
    for (int i = 0; i < 3; i++) {
        /* g = 7, memory[5] = 'b' (98), memory[80000] = 1234: the initialiser's */
        assert_int_equal(call_get(rt, "t:pre"), 700000 + 980000 + 1234);
        /* g = 0, memory[5] = 'a' (97), memory[80000] = 0: the segments' */
        assert_int_equal(call_get(rt, "t:plain"), 970000);
    }
    wf_runtime_free(rt);
    wf_module_free(m);
}

/* The pages a call wrote get the image back at a reset, whichever way the
 * reset takes: copied back into pages kept mapped (the default budget, 8 MiB,
 * smaller than the 10 MiB written here, every other page of 20 MiB: the rest
 * dropped), a small budget (nearly all dropped), none (every page dropped). The memory is compared
 * byte for byte with what the segments make, twice in a row (the second
 * time the written pages are the slot's own from the start). */
#define BIG_PAGES 320
#define BIG_B_AT (5u << 20)

static void test_reset_written_pages(void **state)
{
    (void)state;
    char *a = data_text();
    char *wat = wf_xasprintf(
        "(module (memory %d)\n"
        "  (data (i32.const 0) \"%s\") (data (i32.const %u) \"bbbbbbbb\")\n"
        "  (func (export \"dirty\") (param $pages i32) (local $i i32)\n"
        "    (loop (i32.store8 (i32.add (i32.mul (local.get $i) (i32.const 8192)) (i32.const 3))\n"
        "                      (i32.const 0xee))\n"
        "          (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
        "          (br_if 0 (i32.lt_u (local.get $i) (local.get $pages))))\n"
        "    (drop (memory.grow (i32.const 2)))\n"
        "    (i32.store8 (i32.const %u) (i32.const 3))))\n",
        BIG_PAGES, a, BIG_B_AT, BIG_PAGES * WF_PAGE_SIZE + 100);
    free(a);
    wf_module *m = module_of(wat);
    free(wat);
    wf_error *e;
    uint64_t size = (uint64_t)BIG_PAGES * WF_PAGE_SIZE;
    uint8_t *want = wf_xcalloc(size, 1);
    memset(want, 'a', DATA_LEN);
    memcpy(want + BIG_B_AT, "bbbbbbbb", 8);

    wf_store *s = wf_store_new();
    wf_instance *inst;
    if ((e = wf_instance_new(s, m, NULL, 0, &inst))) fail_msg("instantiate: %s", e->message);
    wf_memory *mem = inst->mems[0];
    assert_true(mem->image_len == size);
    wf_snapshot *snap;
    if ((e = wf_snapshot_take(s, &snap))) fail_msg("snapshot: %s", e->message);
    wf_extern x;
    assert_true(wf_instance_export(inst, "dirty", 5, &x));
    const uint64_t budgets[] = { WF_IMAGE_KEEP_RESIDENT, 64 << 10, 0 };
    for (size_t b = 0; b < WF_COUNT(budgets); b++) {
        uint64_t old = wf_memimage_keep_resident(budgets[b]);
        for (int round = 0; round < 2; round++) {
            wf_slot arg[1] = { { .u32 = (uint32_t)(size / 8192) } };
            if ((e = wf_exec_call(x.of.func, arg))) fail_msg("dirty: %s", e->message);
            assert_int_equal(mem->base[3], 0xee);
            assert_int_equal(mem->size, size + 2 * WF_PAGE_SIZE);
            if ((e = wf_snapshot_reset(snap, s))) fail_msg("reset: %s", e->message);
            assert_int_equal(mem->size, size);
            if (memcmp(mem->base, want, size)) {
                uint64_t i = 0;
                while (mem->base[i] == want[i]) i++;
                fail_msg("budget %llu, round %d: byte %llu is %u after the reset, not %u",
                         (unsigned long long)budgets[b], round, (unsigned long long)i,
                         mem->base[i], want[i]);
            }
            /* the grown pages come back zero */
            arg[0].u32 = 0;
            if ((e = wf_exec_call(x.of.func, arg))) fail_msg("dirty: %s", e->message);
            assert_int_equal(mem->base[size + 99], 0);
            assert_int_equal(mem->base[size + 100], 3);
            if ((e = wf_snapshot_reset(snap, s))) fail_msg("reset: %s", e->message);
        }
        wf_memimage_keep_resident(old);
    }
    free(want);
    wf_snapshot_free(snap);
    wf_store_free(s);
    wf_module_free(m);
}

/* ---- the idle slots' stack and cell (runtime/slots.c) ------------------------- */

static int slots_freed;
static void count_free(void *ud, void *slot)
{
    (void)ud;
    (void)slot;
    slots_freed++;
}

/* One slot comes back without the lock (the cell) and is the next taken;
 * the others stack up to WF_SLOTS_MAX in all, last in first out; the one
 * beyond is the caller's to free; fini frees every one kept. */
static void test_slots_cell_and_stack(void **state)
{
    (void)state;
    wf_slots s;
    wf_slots_init(&s);
    static char slot[WF_SLOTS_MAX + 1];
    assert_null(wf_slots_take(&s));
    assert_true(wf_slots_put(&s, &slot[0]));
    assert_ptr_equal(atomic_load(&s.hot), &slot[0]);
    assert_int_equal(s.n, 0);
    assert_ptr_equal(wf_slots_take(&s), &slot[0]);
    assert_null(wf_slots_take(&s));
    for (int i = 0; i < WF_SLOTS_MAX; i++) assert_true(wf_slots_put(&s, &slot[i]));
    assert_false(wf_slots_put(&s, &slot[WF_SLOTS_MAX]));
    assert_int_equal(s.n, WF_SLOTS_MAX - 1);
    assert_ptr_equal(wf_slots_take(&s), &slot[0]);                  /* the cell's */
    assert_ptr_equal(wf_slots_take(&s), &slot[WF_SLOTS_MAX - 1]);   /* then the newest */
    assert_true(wf_slots_put(&s, &slot[0]));
    slots_freed = 0;
    wf_slots_fini(&s, count_free, NULL);
    assert_int_equal(slots_freed, WF_SLOTS_MAX - 1);
}

/* Threads taking and putting slots at once: a slot is never held by two
 * (each marks the slot it holds), none is lost or made twice. */
enum { CELL_THREADS = 4, CELL_SLOTS = 3, CELL_ROUNDS = 20000 };
typedef struct cell_race {
    wf_slots s;
    atomic_int holders[CELL_SLOTS];
    atomic_int made, doubles;
} cell_race;

static void *cell_race_main(void *arg)
{
    cell_race *r = arg;
    for (int i = 0; i < CELL_ROUNDS; i++) {
        atomic_int *slot = wf_slots_take(&r->s);
        if (!slot) {
            int k = atomic_fetch_add(&r->made, 1);
            if (k >= CELL_SLOTS) continue;   /* only so many exist: none idle now */
            slot = &r->holders[k];
        }
        if (atomic_fetch_add(slot, 1) != 0) atomic_fetch_add(&r->doubles, 1);
        atomic_fetch_sub(slot, 1);
        assert_true(wf_slots_put(&r->s, slot));
    }
    return NULL;
}

static void test_slots_race(void **state)
{
    (void)state;
    static cell_race r;
    wf_slots_init(&r.s);
    pthread_t th[CELL_THREADS];
    for (int i = 0; i < CELL_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, cell_race_main, &r), 0);
    for (int i = 0; i < CELL_THREADS; i++) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&r.doubles), 0);
    slots_freed = 0;
    wf_slots_fini(&r.s, count_free, NULL);
    int made = atomic_load(&r.made);
    assert_int_equal(slots_freed, made < CELL_SLOTS ? made : CELL_SLOTS);   /* every one made came back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_cell_and_stack),
        cmocka_unit_test(test_slots_race),
        cmocka_unit_test(test_snapshot_reset),
        cmocka_unit_test(test_snapshot_shared_table),
        cmocka_unit_test(test_reset_written_pages),
        cmocka_unit_test(test_core_slots),
        cmocka_unit_test(test_component_slots),
        cmocka_unit_test(test_component_env_per_call),
        cmocka_unit_test(test_start_host_calls),
        cmocka_unit_test(test_preinit),
        cmocka_unit_test(test_preinit_image),
        cmocka_unit_test(test_table_writes),
        cmocka_unit_test(test_multi_memory),
        cmocka_unit_test(test_gc_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
