/*
 * p2_io_error.c - wasi:io/error: the `error` resource a failed stream
 * operation gives (stream-error::last-operation-failed). It carries a
 * message (to-debug-string) and the host errno, which the other packages'
 * `*-error-code` functions read (wf_p2_error_code).
 */
#include "wasi/p2_int.h"

#include <string.h>

typedef struct p2_error {
    int code;
    char *msg;
} p2_error;

static void error_free(void *obj)
{
    p2_error *e = obj;
    free(e->msg);
    free(e);
}

const wf_p2_kind wf_p2_kind_error = { "error", error_free };

wf_error *wf_p2_error_new(wf_p2_ctx *cx, int code, const char *msg, wf_val *out)
{
    p2_error *e = wf_xcalloc(1, sizeof *e);
    e->code = code;
    e->msg = wf_xstrdup(msg && *msg ? msg : code ? strerror(code) : "operation failed");
    return wf_p2_new_handle(cx, &wf_p2_kind_error, e, 0, out);
}

bool wf_p2_error_code(wf_p2_ctx *cx, const wf_val *v, int *code)
{
    void *obj;
    wf_error *e = wf_p2_get(cx, &wf_p2_kind_error, v, "error", &obj);
    if (e) {
        wf_error_free(e);
        return false;
    }
    *code = ((p2_error *)obj)->code;
    return *code != 0;
}

static WF_P2_FN(to_debug_string)
{
    (void)env;
    wf_p2_ctx *cx;
    void *obj;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_cx(inst, &cx)) ||
        (e = wf_p2_get(cx, &wf_p2_kind_error, &args[0], "self", &obj)))
        return e;
    *result = wf_p2_str(((p2_error *)obj)->msg);
    return NULL;
}

static const wf_p2_res_def res[] = { { "error", &wf_p2_kind_error }, { NULL, NULL } };
static const wf_p2_fn_def fns[] = { { "[method]error.to-debug-string", to_debug_string }, { NULL, NULL } };
const wf_p2_iface wf_p2_iface_io_error = { "wasi:io", "wasi:io/error@0.2.12", res, fns };
