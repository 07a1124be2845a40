/*
 * funcs_host.c - the `funcs` import for components (SPEC §4): upstream
 * Wippy's interface wippy:runtime/funcs@0.1.0,
 *
 *   call-string: func(target: string, input: string) -> result<string, string>;
 *   call-bytes:  func(target: string, input: list<u8>) -> result<list<u8>, string>;
 *
 * calling any function of the runtime (WASM or Lua) by its ID through the
 * one call path, as a nested call (it parks while it waits: no worker held).
 *
 * The input becomes the target's arguments by its signature: a target taking
 * one string (call-string) or one list<u8> (call-bytes) gets the input as it
 * is; a Lua function (untyped) gets it as one string; any other target gets
 * the input read as JSON: an array of its arguments, or its one argument
 * (an empty input: no arguments). The result goes back as it is when it is
 * a string or list<u8>, as "" when there is none, else as one line of JSON.
 * A failed call is the err case, "KIND: message" (`NOT_FOUND: no function
 * app:x`), so the guest sees the same words as the command line. Core
 * modules import the same two functions lowered by the Canonical ABI (see
 * "the core-module form" below).
 */
#include <stdio.h>

#include "component/component.h"
#include "component/json.h"
#include "runtime/runtime.h"
#include "wasm/runtime.h"

#define FUNCS_IFACE "wippy:runtime/funcs@0.1.0"

static bool is_bytes(const wf_wit_type *t)
{
    return t && t->kind == WF_WIT_LIST && !t->len && t->elem && t->elem->kind == WF_WIT_U8;
}

/* The input as a wf_val string (call-string) or list<u8> (call-bytes). */
static void input_bytes(const wf_val *in, const char **data, size_t *len, char **owned)
{
    *owned = NULL;
    if (in->kind == WF_VAL_STRING) {
        *data = in->of.str.data;
        *len = in->of.str.len;
        return;
    }
    *owned = wf_xmalloc(in->of.agg.len + 1);
    for (size_t i = 0; i < in->of.agg.len; i++) (*owned)[i] = (char)in->of.agg.items[i].of.u;
    (*owned)[in->of.agg.len] = 0;
    *data = *owned;
    *len = in->of.agg.len;
}

static wf_val bytes_val(const char *data, size_t len)
{
    wf_val v = wf_val_agg(WF_VAL_LIST, len);
    for (size_t i = 0; i < len; i++) v.of.agg.items[i] = wf_val_uint(WF_VAL_U8, (uint8_t)data[i]);
    return v;
}

/* The target's arguments from the input (see the header). */
static wf_error *make_args(const wf_fn_sig *sig, bool bytes, const char *in, size_t len,
                           wf_val **args, size_t *nargs)
{
    *args = wf_xcalloc(16, sizeof **args);
    *nargs = 0;
    const struct wf_wit_func *f = sig->wit;
    if (!f && !sig->core) {   /* untyped (Lua): the input as one string */
        (*args)[(*nargs)++] = wf_val_string(in, len);
        return NULL;
    }
    if (f && f->nparams == 1 && !bytes && f->params[0].type->kind == WF_WIT_STRING) {
        (*args)[(*nargs)++] = wf_val_string(in, len);
        return NULL;
    }
    if (f && f->nparams == 1 && bytes && is_bytes(f->params[0].type)) {
        (*args)[(*nargs)++] = bytes_val(in, len);
        return NULL;
    }
    size_t np = f ? f->nparams : sig->core->nparams;
    if (!len && np == 0) return NULL;
    if (np > 16) return wf_error_new(WF_ERR_INVALID, "funcs: the target takes more than 16 parameters");
    wf_val all = {0};
    wf_error *e = wf_json_to_val_untyped(in, len, "input", &all);
    if (e) return e;
    /* One JSON value per parameter: an array of them, or the only one. */
    bool spread = all.kind == WF_VAL_LIST && !(np == 1 && f && f->params[0].type->kind == WF_WIT_LIST);
    size_t n = spread ? all.of.agg.len : 1;
    if (n != np) {
        wf_val_free(&all);
        return wf_error_new(WF_ERR_INVALID, "funcs: the target takes %zu argument%s, the input has %zu", np,
                            np == 1 ? "" : "s", n);
    }
    for (size_t i = 0; i < n && !e; i++) {
        const wf_val *item = spread ? &all.of.agg.items[i] : &all;
        if (!f) {
            wf_val_copy(&(*args)[i], item);
        } else {
            char *text = wf_json_from_val(item);
            e = wf_json_to_val(text, strlen(text), f->params[i].type, f->params[i].name, &(*args)[i]);
            free(text);
        }
        *nargs = i + 1;
    }
    wf_val_free(&all);
    return e;
}

static void free_args(wf_val *args, size_t n)
{
    for (size_t i = 0; i < n; i++) wf_val_free(&args[i]);
    free(args);
}

/* The result as the ok payload: a string or list<u8> as is, nothing as "",
 * anything else as JSON. */
static wf_val ok_payload(const wf_val *r, bool bytes)
{
    const char *data = "";
    size_t len = 0;
    char *owned = NULL;
    bool list_u8 = r->kind == WF_VAL_LIST && r->of.agg.len && r->of.agg.items[0].kind == WF_VAL_U8;
    if (r->kind == WF_VAL_STRING) {
        data = r->of.str.data;
        len = r->of.str.len;
    } else if (list_u8) {
        input_bytes(r, &data, &len, &owned);
    } else if (!(r->kind == WF_VAL_TUPLE && r->of.agg.len == 0)) {
        owned = wf_json_from_val(r);
        data = owned;
        len = strlen(owned);
    }
    wf_val v = bytes ? bytes_val(data, len) : wf_val_string(data, len);
    free(owned);
    return v;
}

/* Call target with the input (see the header): *ok and the output bytes
 * (the result, or "KIND: message" of a failed call; the caller frees *out). */
static void funcs_call(wf_runtime *rt, const char *target, const char *in, size_t len, bool bytes,
                       bool *ok, char **out, size_t *outlen)
{
    wf_fn_sig sig;
    wf_val *cargs = NULL;
    size_t ncargs = 0;
    wf_error *e = wf_runtime_signature(rt, target, &sig);
    if (!e) e = make_args(&sig, bytes, in, len, &cargs, &ncargs);
    wf_val r = {0};
    if (!e) e = wf_runtime_call(rt, target, cargs, ncargs, &r, NULL);
    free_args(cargs, ncargs);
    *ok = !e;
    if (e) {
        *out = wf_xasprintf("%s: %s", wf_error_kind_name(e->kind), e->message);
        *outlen = strlen(*out);
        wf_error_free(e);
        return;
    }
    wf_val v = ok_payload(&r, false);
    wf_val_free(&r);
    *outlen = v.of.str.len;
    *out = wf_xstrndup(v.of.str.data, v.of.str.len);
    wf_val_free(&v);
}

static wf_error *host_call(void *env, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           wf_val *result, bool bytes)
{
    (void)type;
    if (nargs != 2 || args[0].kind != WF_VAL_STRING)
        return wf_error_new(WF_ERR_TRAP, FUNCS_IFACE ": bad arguments");
    const char *in;
    size_t len;
    char *owned, *out;
    size_t outlen;
    bool ok;
    input_bytes(&args[1], &in, &len, &owned);
    funcs_call(env, args[0].of.str.data, in, len, bytes, &ok, &out, &outlen);
    free(owned);
    wf_val v = ok && bytes ? bytes_val(out, outlen) : wf_val_string(out, outlen);
    free(out);
    *result = ok ? wf_val_ok(&v) : wf_val_err(&v);
    return NULL;
}

static wf_error *call_string(void *env, wf_cinstance *inst, const wf_wit_func *type,
                             const wf_val *args, size_t nargs, wf_val *result)
{
    (void)inst;
    return host_call(env, type, args, nargs, result, false);
}

static wf_error *call_bytes(void *env, wf_cinstance *inst, const wf_wit_func *type,
                            const wf_val *args, size_t nargs, wf_val *result)
{
    (void)inst;
    return host_call(env, type, args, nargs, result, true);
}

/* ---- the core-module form ---------------------------------------------------------- */

/* A core module imports the same functions lowered by the Canonical ABI:
 * module "wippy:runtime/funcs@0.1.0", names "call-string" / "call-bytes",
 * type (target_ptr, target_len, input_ptr, input_len, ret_ptr: i32) -> ();
 * at ret_ptr the result<_, string> is written as (u8 discriminant 0 ok / 1
 * err, i32 pointer at +4, i32 length at +8), the bytes in memory the module's
 * exported `wf_cabi_realloc` gave. The module must export `memory` and
 * `wf_cabi_realloc` (a call without them traps saying so). */
static const wf_functype *core_type(void)
{
    static const wf_valtype i32[5] = {{.kind = WF_I32}, {.kind = WF_I32}, {.kind = WF_I32},
                                      {.kind = WF_I32}, {.kind = WF_I32}};
    return wf_functype_get(i32, 5, NULL, 0);
}

bool wf_funcs_host_is_import(const char *module, size_t module_len, const char *name, size_t name_len)
{
    return module_len == strlen(FUNCS_IFACE) && !memcmp(module, FUNCS_IFACE, module_len) &&
           ((name_len == 11 && !memcmp(name, "call-string", 11)) ||
            (name_len == 10 && !memcmp(name, "call-bytes", 10)));
}

wf_error *wf_funcs_host_check_import(const char *name, size_t name_len, const wf_functype *type)
{
    if (type != core_type())
        return wf_error_new(WF_ERR_UNLINKABLE, "import `" FUNCS_IFACE "`.`%.*s` must have type "
                            "(param i32 i32 i32 i32 i32) (the Canonical ABI lowering of its WIT)",
                            (int)name_len, name);
    return NULL;
}

static wf_error *guest_range(wf_memory *m, uint32_t ptr, uint32_t len, const char *what)
{
    if ((uint64_t)ptr + len > wf_memory_size(m))
        return wf_error_new(WF_ERR_TRAP, FUNCS_IFACE ": %s (%u bytes at %u) is out of bounds", what, len, ptr);
    return NULL;
}

static wf_error *core_call(wf_caller *caller, void *env, wf_slot *slots, bool bytes)
{
    wf_memory *m = wf_caller_memory(caller);
    wf_extern realloc_ex;
    if (!m || !wf_instance_export(wf_caller_instance(caller), "cabi_realloc", 12, &realloc_ex) ||
        realloc_ex.kind != WF_EXTERN_FUNC)
        return wf_error_new(WF_ERR_TRAP, FUNCS_IFACE ": the module must export `memory` and `cabi_realloc`");
    uint32_t tp = slots[0].u32, tl = slots[1].u32, ip = slots[2].u32, il = slots[3].u32, rp = slots[4].u32;
    wf_error *e = guest_range(m, tp, tl, "the target");
    if (!e) e = guest_range(m, ip, il, "the input");
    if (!e) e = guest_range(m, rp, 12, "the return area");
    if (e) return e;
    char *target = wf_xstrndup((const char *)wf_memory_data(m) + tp, tl);
    char *in = wf_xmalloc(il + 1);
    memcpy(in, wf_memory_data(m) + ip, il);
    char *out;
    size_t outlen;
    bool ok;
    funcs_call(env, target, in, il, bytes, &ok, &out, &outlen);
    free(target);
    free(in);
    /* wf_cabi_realloc(0, 0, 1, len) for the bytes, as canon lower does. */
    wf_value args[4] = {{.type = {.kind = WF_I32}, .of.i32 = 0}, {.type = {.kind = WF_I32}, .of.i32 = 0},
                        {.type = {.kind = WF_I32}, .of.i32 = 1},
                        {.type = {.kind = WF_I32}, .of.i32 = (int32_t)outlen}};
    wf_value ptr = {0};
    e = outlen > UINT32_MAX / 2 ? wf_error_new(WF_ERR_TRAP, FUNCS_IFACE ": the result is too large")
                                : wf_func_call(realloc_ex.of.func, args, 4, &ptr, 1);
    if (!e) e = guest_range(m, (uint32_t)ptr.of.i32, (uint32_t)outlen, "cabi_realloc's block");
    if (!e) {
        uint8_t *d = wf_memory_data(m);   /* after realloc: memory may have grown */
        memcpy(d + (uint32_t)ptr.of.i32, out, outlen);
        uint32_t p = (uint32_t)ptr.of.i32, n = (uint32_t)outlen;
        d[rp] = ok ? 0 : 1;
        memcpy(d + rp + 4, &p, 4);
        memcpy(d + rp + 8, &n, 4);
    }
    free(out);
    return e;
}

static wf_error *core_call_string(wf_caller *caller, void *env, wf_slot *slots)
{
    return core_call(caller, env, slots, false);
}

static wf_error *core_call_bytes(wf_caller *caller, void *env, wf_slot *slots)
{
    return core_call(caller, env, slots, true);
}

wf_func *wf_funcs_host_core(wf_store *s, const char *name, size_t name_len, wf_runtime *rt)
{
    bool bytes = name_len == 10 && !memcmp(name, "call-bytes", 10);
    return wf_func_new_host(s, core_type(), bytes ? core_call_bytes : core_call_string, rt);
}

void wf_funcs_host_define(wf_clinker *l, wf_runtime *rt)
{
    wf_clinker_define_func(l, FUNCS_IFACE, "call-string", call_string, rt);
    wf_clinker_define_func(l, FUNCS_IFACE, "call-bytes", call_bytes, rt);
}
