/*
 * fuzz_cabi_lift.c - libFuzzer target for the Canonical ABI lifting a
 * result from guest memory: a core function returns the first 4 bytes of
 * its memory (a pointer to the flat results, or the one flat i32), and the
 * input fills that memory. The first byte picks the result type. Lifting
 * must give a value (which then prints as JSON) or a trap, never a crash
 * or a read outside memory.
 */
#include "fuzz.h"
#include <string.h>

#include "component/cabi/cabi.h"
#include "component/json.h"
#include "component/wit/wit.h"
#include "wasm/module.h"

/* Each result type flattens to one i32 or to more than one value (returned
 * through memory): the core function's type is (result i32) for all. */
static const char *TYPES =
    "record point { x: s32, y: f64, name: string }\n"
    "variant shape { circle(f32), square(u16), poly(list<point>), empty }\n"
    "enum color { red, green, blue }\n"
    "flags perms { read, write, exec }\n"
    "flags wide { g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, g14, g15, g16,"
    " g17, g18, g19, g20, g21, g22, g23, g24, g25, g26, g27, g28, g29, g30, g31 }\n"
    "r-bool: func() -> bool;\n"
    "r-s8: func() -> s8;\n"
    "r-u16: func() -> u16;\n"
    "r-char: func() -> char;\n"
    "r-enum: func() -> color;\n"
    "r-flags: func() -> perms;\n"
    "r-string: func() -> string;\n"
    "r-bytes: func() -> list<u8>;\n"
    "r-strings: func() -> list<string>;\n"
    "r-nested: func() -> list<list<option<u32>>>;\n"
    "r-chars: func() -> list<char>;\n"
    "r-fixed: func() -> list<u16, 4>;\n"
    "r-tuple: func() -> tuple<u8, u64, f32, string>;\n"
    "r-option: func() -> option<string>;\n"
    "r-result: func() -> result<string, u32>;\n"
    "r-result-empty: func() -> result;\n"
    "r-record: func() -> point;\n"
    "r-variant: func() -> shape;\n"
    "r-shapes: func() -> list<shape>;\n"
    "r-wide: func() -> wide;\n"
    "r-named: func() -> (a: string, b: list<f64>);\n"
    "r-map: func() -> map<string, list<bool>>;\n";

static const char *WAT =
    "(module (memory (export \"memory\") 1)"
    " (func (export \"f\") (result i32) (i32.load (i32.const 0))))";

static wf_wit *wit;
static wf_module *mod;
/* One instance for every input: the function only reads its memory, which
 * each input overwrites whole (a fresh instance per input costs more than
 * the lifting being fuzzed). */
static wf_store *store;
static wf_func *fn;
static wf_memory *mem;
static wf_instance *inst;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wf_error *e = wf_wit_parse(TYPES, strlen(TYPES), &wit);
    if (!e) e = wf_module_from_wat(WAT, strlen(WAT), &mod);
    store = wf_store_new();
    if (!e) e = wf_instance_new(store, mod, NULL, 0, &inst);
    wf_extern f, m;
    if (!e && !(wf_instance_export(inst, "f", 1, &f) && wf_instance_export(inst, "memory", 6, &m)))
        e = wf_error_new(WF_ERR_NOT_FOUND, "exports f and memory");
    if (e) {
        fprintf(stderr, "fuzz_cabi_lift: setup: %s\n", e->message);
        abort();
    }
    fn = f.of.func;
    mem = m.of.memory;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const wf_wit_func *sig = &wit->funcs[data[0] % wit->nfuncs];
    size_t cap = wf_memory_size(mem), n = size - 1 < cap ? size - 1 : cap;
    memset(wf_memory_data(mem), 0, cap);
    memcpy(wf_memory_data(mem), data + 1, n);
    wf_val result;
    wf_error *e = wf_cabi_call(inst, fn, "f", sig, NULL, 0, &result);
    if (e) {
        FUZZ_CHECK(e->kind == WF_ERR_TRAP || e->kind == WF_ERR_LIMIT, "%s: not a trap: %s",
                   sig->name, e->message);
        wf_error_free(e);
    } else {
        free(wf_json_from_val(&result));
        wf_val_free(&result);
    }
    return 0;
}
