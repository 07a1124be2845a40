/*
 * p2_cli.c - wasi:cli's environment (arguments, variables, initial cwd from
 * the context), exit (a WF_ERR_EXIT error ending the call, as preview 1's
 * proc_exit) and the terminal-* interfaces (a terminal resource for a stdio
 * fd that is a tty, none otherwise: the log is no terminal).
 */
#include "wasi/p2_int.h"

#include <unistd.h>

static WF_P2_FN(get_environment)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    *result = wf_val_agg(WF_VAL_LIST, cx->nenv);
    for (size_t i = 0; i < cx->nenv; i++) {
        const char *kv = cx->env[i], *eq = strchr(kv, '=');
        size_t nl = eq ? (size_t)(eq - kv) : strlen(kv);
        wf_val t = wf_val_agg(WF_VAL_TUPLE, 2);
        t.of.agg.items[0] = wf_val_string(kv, nl);
        t.of.agg.items[1] = eq ? wf_p2_str(eq + 1) : wf_p2_str("");
        result->of.agg.items[i] = t;
    }
    return NULL;
}

static WF_P2_FN(get_arguments)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    *result = wf_val_agg(WF_VAL_LIST, cx->argc);
    for (size_t i = 0; i < cx->argc; i++) result->of.agg.items[i] = wf_p2_str(cx->argv[i]);
    return NULL;
}

static WF_P2_FN(initial_cwd)
{
    (void)env;
    (void)args;
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    if (cx->cwd) {
        wf_val s = wf_p2_str(cx->cwd);
        *result = wf_val_some(&s);
    } else {
        *result = wf_val_none();
    }
    return NULL;
}

static wf_error *exit_with(int code)
{
    wf_error *e = wf_error_new(WF_ERR_EXIT, "exited with status %d", code);
    e->exit_code = code;
    return e;
}

static WF_P2_FN(exit_)
{
    (void)env;
    (void)inst;
    (void)result;
    wf_error *e = wf_p2_nargs(type, nargs, 1);
    if (e) return e;
    if (args[0].kind != WF_VAL_RESULT) return wf_p2_trap(type, "expected a result");
    return exit_with(args[0].of.cas.index == 0 ? 0 : 1);
}

static WF_P2_FN(exit_with_code)
{
    (void)env;
    (void)inst;
    (void)result;
    uint64_t code;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 1)) || (e = wf_p2_arg_u64(type, args, 0, &code))) return e;
    return exit_with((int)(code & 0xff));
}

/* ---- Terminals ----------------------------------------------------------------- */

const wf_p2_kind wf_p2_kind_terminal_input = { "terminal-input", NULL };
const wf_p2_kind wf_p2_kind_terminal_output = { "terminal-output", NULL };

static wf_error *terminal(wf_cinstance *inst, const wf_wit_func *type, size_t nargs, int which,
                          wf_val *result)
{
    wf_p2_ctx *cx;
    wf_error *e;
    if ((e = wf_p2_nargs(type, nargs, 0)) || (e = wf_p2_cx(inst, &cx))) return e;
    int fd = cx->stdio_fd[which];
    if (fd < 0 || !isatty(fd)) {
        *result = wf_val_none();
        return NULL;
    }
    wf_val h;
    e = wf_p2_new_handle(cx, which == 0 ? &wf_p2_kind_terminal_input : &wf_p2_kind_terminal_output,
                         NULL, 0, &h);
    if (!e) *result = wf_val_some(&h);
    return e;
}

static WF_P2_FN(get_terminal_stdin) { (void)env; (void)args; return terminal(inst, type, nargs, 0, result); }
static WF_P2_FN(get_terminal_stdout) { (void)env; (void)args; return terminal(inst, type, nargs, 1, result); }
static WF_P2_FN(get_terminal_stderr) { (void)env; (void)args; return terminal(inst, type, nargs, 2, result); }

static const wf_p2_res_def no_res[] = { { NULL, NULL } };
static const wf_p2_fn_def env_fns[] = {
    { "get-environment", get_environment },
    { "get-arguments", get_arguments },
    { "initial-cwd", initial_cwd },
    { NULL, NULL },
};
static const wf_p2_fn_def exit_fns[] = {
    { "exit", exit_ },
    { "exit-with-code", exit_with_code },
    { NULL, NULL },
};
static const wf_p2_res_def tin_res[] = { { "terminal-input", &wf_p2_kind_terminal_input }, { NULL, NULL } };
static const wf_p2_res_def tout_res[] = { { "terminal-output", &wf_p2_kind_terminal_output }, { NULL, NULL } };
static const wf_p2_fn_def no_fns[] = { { NULL, NULL } };
static const wf_p2_fn_def tstdin_fns[] = { { "get-terminal-stdin", get_terminal_stdin }, { NULL, NULL } };
static const wf_p2_fn_def tstdout_fns[] = { { "get-terminal-stdout", get_terminal_stdout }, { NULL, NULL } };
static const wf_p2_fn_def tstderr_fns[] = { { "get-terminal-stderr", get_terminal_stderr }, { NULL, NULL } };

const wf_p2_iface wf_p2_iface_cli_environment = { "wasi:cli", "wasi:cli/environment@0.2.12", no_res, env_fns };
const wf_p2_iface wf_p2_iface_cli_exit = { "wasi:cli", "wasi:cli/exit@0.2.12", no_res, exit_fns };
const wf_p2_iface wf_p2_iface_cli_terminal_input = { "wasi:cli", "wasi:cli/terminal-input@0.2.12", tin_res, no_fns };
const wf_p2_iface wf_p2_iface_cli_terminal_output = { "wasi:cli", "wasi:cli/terminal-output@0.2.12", tout_res, no_fns };
const wf_p2_iface wf_p2_iface_cli_terminal_stdin = { "wasi:cli", "wasi:cli/terminal-stdin@0.2.12", no_res, tstdin_fns };
const wf_p2_iface wf_p2_iface_cli_terminal_stdout = { "wasi:cli", "wasi:cli/terminal-stdout@0.2.12", no_res, tstdout_fns };
const wf_p2_iface wf_p2_iface_cli_terminal_stderr = { "wasi:cli", "wasi:cli/terminal-stderr@0.2.12", no_res, tstderr_fns };
