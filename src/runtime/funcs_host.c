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
 * app:x`), so the guest sees the same words as the command line.
 */
#include <stdio.h>

#include "component/component.h"
#include "component/json.h"
#include "runtime/runtime.h"

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

static wf_error *host_call(void *env, const wf_wit_func *type, const wf_val *args, size_t nargs,
                           wf_val *result, bool bytes)
{
    (void)type;
    wf_runtime *rt = env;
    if (nargs != 2 || args[0].kind != WF_VAL_STRING)
        return wf_error_new(WF_ERR_TRAP, FUNCS_IFACE ": bad arguments");
    const char *target = args[0].of.str.data;
    const char *in;
    size_t len;
    char *owned;
    input_bytes(&args[1], &in, &len, &owned);
    wf_fn_sig sig;
    wf_val *cargs = NULL;
    size_t ncargs = 0;
    wf_error *e = wf_runtime_signature(rt, target, &sig);
    if (!e) e = make_args(&sig, bytes, in, len, &cargs, &ncargs);
    wf_val r = {0};
    if (!e) e = wf_runtime_call(rt, target, cargs, ncargs, &r, NULL);
    free_args(cargs, ncargs);
    free(owned);
    if (e) {
        char *msg = wf_xasprintf("%s: %s", wf_error_kind_name(e->kind), e->message);
        wf_val s = wf_val_string(msg, strlen(msg));
        *result = wf_val_err(&s);
        free(msg);
        wf_error_free(e);
        return NULL;
    }
    wf_val ok = ok_payload(&r, bytes);
    wf_val_free(&r);
    *result = wf_val_ok(&ok);
    return NULL;
}

static wf_error *call_string(void *env, const wf_wit_func *type, const wf_val *args, size_t nargs,
                             wf_val *result)
{
    return host_call(env, type, args, nargs, result, false);
}

static wf_error *call_bytes(void *env, const wf_wit_func *type, const wf_val *args, size_t nargs,
                            wf_val *result)
{
    return host_call(env, type, args, nargs, result, true);
}

void wf_funcs_host_define(wf_clinker *l, wf_runtime *rt)
{
    wf_clinker_define_func(l, FUNCS_IFACE, "call-string", call_string, rt);
    wf_clinker_define_func(l, FUNCS_IFACE, "call-bytes", call_bytes, rt);
}
