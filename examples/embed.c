/*
 * embed.c - embedding wasmfn's engine in a C program through wasmfn.h.
 *
 * usage: example_embed FILE.wat|FILE.wasm EXPORT [ARG...]
 *
 * Loads the module, links one host function (`host.log`, taking an i32, if
 * the module imports it), instantiates it, calls EXPORT with the arguments
 * converted to its parameter types and prints each result.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmfn.h"

/* A host function the guest may import as (import "host" "log" (func (param i32))). */
static wf_error *host_log(wf_caller *caller, void *env, wf_slot *slots)
{
    (void)caller;
    printf("%s%" PRId32 "\n", (const char *)env, slots[0].i32);
    return NULL;
}

static int fail(wf_error *e)
{
    char *msg = wf_error_format(e);
    fprintf(stderr, "error: %s: %s\n", wf_error_kind_name(e->kind), msg);
    free(msg);
    wf_error_free(e);
    return 1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    if (buf) buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static wf_value parse_arg(wf_valtype t, const char *s)
{
    wf_value v = { .type = t };
    switch (t.kind) {
    case WF_I32: v.of.i32 = (int32_t)strtoll(s, NULL, 0); break;
    case WF_I64: v.of.i64 = strtoll(s, NULL, 0); break;
    case WF_F32: v.of.f32 = strtof(s, NULL); break;
    case WF_F64: v.of.f64 = strtod(s, NULL); break;
    default: v.of.ref = NULL; break;
    }
    return v;
}

static void print_value(wf_value v)
{
    switch (v.type.kind) {
    case WF_I32: printf("%" PRId32 "\n", v.of.i32); break;
    case WF_I64: printf("%" PRId64 "\n", v.of.i64); break;
    case WF_F32: printf("%g\n", v.of.f32); break;
    case WF_F64: printf("%g\n", v.of.f64); break;
    default: printf("%s\n", v.of.ref ? "<ref>" : "null"); break;
    }
}

/* Link, instantiate and call; everything made lives in the store. */
static int run(wf_store *store, const wf_module *m, const char *name, int argc, char **argv)
{
    uint32_t nimports = wf_module_import_count(m);
    wf_extern imports[16];
    if (nimports > 16) {
        fprintf(stderr, "error: too many imports for this example\n");
        return 1;
    }
    for (uint32_t i = 0; i < nimports; i++) {
        wf_import_desc d = wf_module_import(m, i);
        if (d.kind != WF_EXTERN_FUNC || d.module_len != 4 || memcmp(d.module, "host", 4) ||
            d.name_len != 3 || memcmp(d.name, "log", 3)) {
            fprintf(stderr, "error: unknown import %.*s.%.*s\n", (int)d.module_len, d.module,
                    (int)d.name_len, d.name);
            return 1;
        }
        imports[i].kind = WF_EXTERN_FUNC;
        imports[i].of.func = wf_func_new_host(store, d.func_type, host_log, "log: ");
    }
    wf_instance *inst;
    wf_error *e = wf_instance_new(store, m, imports, nimports, &inst);
    if (e) return fail(e);

    wf_extern ex;
    if (!wf_instance_export(inst, name, strlen(name), &ex) || ex.kind != WF_EXTERN_FUNC) {
        fprintf(stderr, "error: no exported function '%s'\n", name);
        return 1;
    }
    const wf_functype *type = wf_func_type(ex.of.func);
    if ((uint32_t)argc != type->nparams) {
        fprintf(stderr, "error: '%s' takes %u arguments\n", name, type->nparams);
        return 2;
    }
    wf_value args[16], results[16];
    if (type->nparams > 16 || type->nresults > 16) {
        fprintf(stderr, "error: too many parameters or results for this example\n");
        return 1;
    }
    for (uint32_t i = 0; i < type->nparams; i++) args[i] = parse_arg(type->params[i], argv[i]);
    e = wf_func_call(ex.of.func, args, type->nparams, results, type->nresults);
    if (e) return fail(e);
    for (uint32_t i = 0; i < type->nresults; i++) print_value(results[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE.wat|FILE.wasm EXPORT [ARG...]\n", argv[0]);
        return 2;
    }
    size_t len;
    char *src = read_file(argv[1], &len);
    if (!src) {
        fprintf(stderr, "error: cannot read %s\n", argv[1]);
        return 1;
    }
    wf_module *m;
    bool binary = len >= 4 && memcmp(src, "\0asm", 4) == 0;
    wf_error *e = binary ? wf_module_new((const uint8_t *)src, len, &m)
                         : wf_module_from_wat(src, len, &m);
    free(src);
    if (e) return fail(e);

    wf_store *store = wf_store_new();
    int status = run(store, m, argv[2], argc - 3, argv + 3);
    wf_store_free(store);
    wf_module_free(m);
    return status;
}
