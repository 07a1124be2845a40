/*
 * wast.c - `wasmfn wast FILE...`: runs WebAssembly spec scripts. It owns the
 * command loop (offering each command to the component side, wast_comp.c,
 * first), the reporting and the --known-failures lists, and the core side:
 * modules (text, binary, quote, definition/instance), register, actions
 * (invoke, get) and the assertions, judged by the kind of wf_error the
 * engine returns; the counts, failure lines and exit status.
 *
 * Each file gets its own store; every module compiled for it is kept until
 * the store is freed (modules must outlive their instances).
 */
#include "cli/cli.h"
#include "cli/wast.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/file.h"
#include "wasm/exn.h"
#include "wasm/gc.h"
#include "wasm/types.h"
#include "wasm/jit.h"

typedef enum mod_state { MOD_OK, MOD_SKIPPED, MOD_FAILED } mod_state;

/* A module instance (or the attempt at one) that commands can name. */
typedef struct inst_entry {
    const wast_node *id;        /* its $id, or NULL */
    mod_state state;
    wf_instance *inst;          /* MOD_OK */
    int line;                   /* of the module command */
    char *why;                  /* MOD_SKIPPED / MOD_FAILED: the reason */
} inst_entry;

/* A `(module definition ...)`: compiled, not instantiated. */
typedef struct def_entry {
    const wast_node *id;
    mod_state state;
    wf_module *module;
    int line;
    char *why;
} def_entry;

typedef struct reg_entry {
    char *name;
    size_t len;
    inst_entry *entry;
} reg_entry;

typedef struct ext_entry {
    uint32_t n;
    void *ptr;
} ext_entry;

typedef struct script {
    wast_report rep;            /* the file, verbosity and totals */
    wast_comp *comp;            /* the component side of the script */
    wf_store *store;
    wast_spectest spectest;
    WF_VEC(wf_module *) modules;
    WF_VEC(inst_entry *) insts;
    WF_VEC(def_entry *) defs;
    WF_VEC(reg_entry) regs;
    WF_VEC(ext_entry) externs;
    inst_entry *current;
} script;

/* ---- Reporting ---------------------------------------------------------------- */

void wf_wast_pass(wast_report *r)
{
    r->tot->passed++;
}

static void vfail(wast_report *r, const wast_node *at, const char *fmt, va_list ap)
{
    for (size_t i = 0; i < r->nknown; i++) {
        wast_known *k = &r->known[i];
        if (k->line != at->line) continue;
        k->hit = true;
        r->tot->skipped++;
        if (r->verbose) {
            printf("%s:%d: skipped: known failure (%s): ", r->file, at->line, k->reason);
            vprintf(fmt, ap);
            putchar('\n');
        }
        return;
    }
    printf("%s:%d: ", r->file, at->line);
    vprintf(fmt, ap);
    putchar('\n');
    r->tot->failed++;
}

void wf_wast_fail(wast_report *r, const wast_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(r, at, fmt, ap);
    va_end(ap);
}

void wf_wast_skip(wast_report *r, const wast_node *at, const char *why)
{
    /* A known failure skipped for another reason did not pass either. */
    for (size_t i = 0; i < r->nknown; i++)
        if (r->known[i].line == at->line) r->known[i].hit = true;
    r->tot->skipped++;
    if (r->verbose) printf("%s:%d: skipped: %s\n", r->file, at->line, why);
}

static void pass(script *sc)
{
    wf_wast_pass(&sc->rep);
}

static void fail(script *sc, const wast_node *at, const char *fmt, ...) WF_PRINTF(3, 4);
static void fail(script *sc, const wast_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(&sc->rep, at, fmt, ap);
    va_end(ap);
}

static void skip(script *sc, const wast_node *at, const char *why)
{
    wf_wast_skip(&sc->rep, at, why);
}

char *wf_wast_error_str(const wf_error *e)
{
    if (e->kind == WF_ERR_TRAP) return wf_xasprintf("trap \"%s\"", e->message);
    char *m = wf_error_format(e);
    char *r = wf_xasprintf("%s \"%s\"", wf_error_kind_name(e->kind), m);
    free(m);
    return r;
}

/* ---- Externrefs: stable distinct non-null pointers per N ----------------------- */

static void *extern_ref(void *ctx, uint32_t n)
{
    script *sc = ctx;
    for (size_t i = 0; i < sc->externs.len; i++)
        if (sc->externs.data[i].n == n) return sc->externs.data[i].ptr;
    ext_entry e = { n, wf_xmalloc(1) };
    wf_vec_push(&sc->externs, e);
    return e.ptr;
}

/* ---- Finding instances ----------------------------------------------------------- */

static inst_entry *find_inst(script *sc, const wast_node *id)
{
    if (!id) return sc->current;
    for (size_t i = sc->insts.len; i-- > 0;)
        if (wf_wast_same_id(sc->insts.data[i]->id, id)) return sc->insts.data[i];
    return NULL;
}

static inst_entry *add_inst(script *sc, const wast_node *id, int line)
{
    inst_entry *e = wf_xcalloc(1, sizeof *e);
    e->id = id;
    e->line = line;
    wf_vec_push(&sc->insts, e);
    return e;
}

/* ---- Loading and instantiating modules -------------------------------------------- */

/* The parts of a module form: `(module definition? $id? rest...)`. */
typedef struct module_form {
    bool definition, instance;
    const wast_node *id;
    size_t rest;                /* index of the first item after the keywords */
} module_form;

static module_form split_module(const wast_node *n)
{
    module_form f = { 0 };
    size_t k = 1;
    if (k < n->nitems && wf_wast_is_atom(n->items[k], "definition")) f.definition = true, k++;
    else if (k < n->nitems && wf_wast_is_atom(n->items[k], "instance")) f.instance = true, k++;
    if (k < n->nitems && wf_wast_is_id(n->items[k])) f.id = n->items[k++];
    f.rest = k;
    return f;
}

char *wf_wast_concat_strings(const wast_node *n, size_t from, size_t *len, wf_error **err)
{
    WF_VEC(char) b = {0};
    for (size_t i = from; i < n->nitems; i++) {
        const wast_node *s = n->items[i];
        if (s->kind != WAST_STRING) {
            wf_vec_free(&b);
            *err = wf_error_at_line(WF_ERR_MALFORMED, s->line, s->col, "expected a string");
            return NULL;
        }
        wf_vec_reserve(&b, s->str_len + 1);
        memcpy(b.data + b.len, s->str, s->str_len);
        b.len += s->str_len;
    }
    wf_vec_reserve(&b, 1);
    b.data[b.len] = 0;
    *len = b.len;
    return b.data;
}

/* Compile a module form (not `instance`). On success *out is kept in the
 * script's module list, which owns it. */
static wf_error *compile_module(script *sc, const wast_node *n, wf_module **out)
{
    module_form f = split_module(n);
    wf_error *err = NULL;
    wf_module *m = NULL;
    const wast_node *kw = f.rest < n->nitems ? n->items[f.rest] : NULL;
    if (wf_wast_is_atom(kw, "binary") || wf_wast_is_atom(kw, "quote")) {
        size_t len = 0;
        char *bytes = wf_wast_concat_strings(n, f.rest + 1, &len, &err);
        if (err) return err;
        if (wf_wast_is_atom(kw, "binary")) err = wf_module_new((const uint8_t *)bytes, len, &m);
        else err = wf_module_from_wat(bytes, len, &m);
        free(bytes);
    } else if (!f.definition) {
        err = wf_module_from_wat(n->start, n->len, &m);
        /* Positions in the module's text become positions in the script. */
        if (err && err->line > 0) {
            if (err->line == 1) err->col += n->col - 1;
            err->line += n->line - 1;
        }
    } else {
        /* Drop `definition $id` so the compiler sees an ordinary module. */
        const char *from = kw ? kw->start : n->start + n->len - 1;
        char *text = wf_xasprintf("(module %.*s", (int)(n->start + n->len - from), from);
        err = wf_module_from_wat(text, strlen(text), &m);
        free(text);
    }
    if (err) return err;
    wf_vec_push(&sc->modules, m);
    *out = m;
    return NULL;
}

static reg_entry *find_reg(script *sc, const char *name, size_t len)
{
    for (size_t i = sc->regs.len; i-- > 0;)
        if (sc->regs.data[i].len == len && !memcmp(sc->regs.data[i].name, name, len))
            return &sc->regs.data[i];
    return NULL;
}

/* Resolve m's imports against registered instances and spectest, then
 * instantiate it in the script's store. */
static wf_error *instantiate(script *sc, const wf_module *m, wf_instance **out)
{
    uint32_t n = wf_module_import_count(m);
    wf_extern *imports = wf_xcalloc(n ? n : 1, sizeof *imports);
    wf_error *err = NULL;
    for (uint32_t i = 0; i < n && !err; i++) {
        wf_import_desc d = wf_module_import(m, i);
        reg_entry *r = find_reg(sc, d.module, d.module_len);
        bool found = false;
        if (r && r->entry->state == MOD_SKIPPED) {
            err = wf_error_new(WF_ERR_UNSUPPORTED, "imports from skipped module \"%.*s\"",
                               (int)d.module_len, d.module);
            break;
        }
        if (r && r->entry->state == MOD_OK)
            found = wf_instance_export(r->entry->inst, d.name, d.name_len, &imports[i]);
        else if (!r && d.module_len == 8 && !memcmp(d.module, "spectest", 8))
            found = wf_wast_spectest_lookup(&sc->spectest, sc->store, d.name, d.name_len,
                                         &imports[i]);
        if (!found)
            err = wf_error_new(WF_ERR_UNLINKABLE, "unknown import \"%.*s\" \"%.*s\"",
                               (int)d.module_len, d.module, (int)d.name_len, d.name);
        else if (imports[i].kind != d.kind)
            err = wf_error_new(WF_ERR_UNLINKABLE, "incompatible import type \"%.*s\" \"%.*s\"",
                               (int)d.module_len, d.module, (int)d.name_len, d.name);
    }
    if (!err) err = wf_instance_new(sc->store, m, imports, n, out);
    free(imports);
    return err;
}

/* Compile and instantiate a module command into an entry of the script. */
static wf_error *load_module(script *sc, const wast_node *n, wf_instance **out)
{
    module_form f = split_module(n);
    wf_module *m;
    if (f.instance) {
        const wast_node *def_id = f.rest < n->nitems ? n->items[f.rest] : NULL;
        def_entry *d = NULL;
        for (size_t i = sc->defs.len; i-- > 0;)
            if (!def_id || wf_wast_same_id(sc->defs.data[i]->id, def_id)) {
                d = sc->defs.data[i];
                break;
            }
        if (!d) return wf_error_new(WF_ERR_NOT_FOUND, "unknown module definition");
        if (d->state == MOD_SKIPPED)
            return wf_error_new(WF_ERR_UNSUPPORTED, "definition skipped: %s", d->why);
        if (d->state == MOD_FAILED)
            return wf_error_new(WF_ERR_NOT_FOUND, "definition failed (line %d)", d->line);
        m = d->module;
    } else {
        wf_error *err = compile_module(sc, n, &m);
        if (err) return err;
    }
    return instantiate(sc, m, out);
}

static void cmd_module(script *sc, const wast_node *n)
{
    module_form f = split_module(n);
    if (f.definition) {
        def_entry *d = wf_xcalloc(1, sizeof *d);
        d->id = f.id;
        d->line = n->line;
        wf_vec_push(&sc->defs, d);
        wf_error *err = compile_module(sc, n, &d->module);
        if (err) {
            char *s = wf_wast_error_str(err);
            d->why = s;
            if (err->kind == WF_ERR_UNSUPPORTED) {
                d->state = MOD_SKIPPED;
                if (sc->rep.verbose) printf("%s:%d: skipped module: %s\n", sc->rep.file, n->line, s);
            } else {
                d->state = MOD_FAILED;
                fail(sc, n, "expected module to load, got %s", s);
            }
            wf_error_free(err);
        }
        return;
    }
    inst_entry *e = add_inst(sc, f.id, n->line);
    sc->current = e;
    wf_wast_comp_drop_current(sc->comp);
    wf_error *err = load_module(sc, n, &e->inst);
    if (!err) return;
    e->why = wf_wast_error_str(err);
    if (err->kind == WF_ERR_UNSUPPORTED) {
        e->state = MOD_SKIPPED;
        if (sc->rep.verbose) printf("%s:%d: skipped module: %s\n", sc->rep.file, n->line, e->why);
    } else {
        e->state = MOD_FAILED;
        fail(sc, n, "expected module to load, got %s", e->why);
    }
    wf_error_free(err);
}

static void cmd_register(script *sc, const wast_node *n)
{
    if (n->nitems < 2 || n->items[1]->kind != WAST_STRING || n->nitems > 3 ||
        (n->nitems == 3 && !wf_wast_is_id(n->items[2]))) {
        fail(sc, n, "expected (register \"name\" $id?), got a malformed command");
        return;
    }
    inst_entry *e = find_inst(sc, n->nitems == 3 ? n->items[2] : NULL);
    if (!e) {
        fail(sc, n, "expected a module to register, got none");
        return;
    }
    reg_entry r = { wf_xstrndup(n->items[1]->str, n->items[1]->str_len),
                    n->items[1]->str_len, e };
    wf_vec_push(&sc->regs, r);
}

/* ---- Actions ----------------------------------------------------------------------- */

typedef enum outcome_kind {
    OUT_VALUES,     /* the action returned vals */
    OUT_ERROR,      /* the engine returned err */
    OUT_SKIP,       /* cannot run for a skipped reason: why */
    OUT_BROKEN,     /* the command itself cannot run (missing module, export...): why */
} outcome_kind;

typedef struct outcome {
    outcome_kind kind;
    wf_value *vals;
    size_t nvals;
    wf_error *err;
    char *why;
} outcome;

static void outcome_fini(outcome *o)
{
    free(o->vals);
    wf_error_free(o->err);
    free(o->why);
}

static outcome broken(const char *fmt, ...) WF_PRINTF(1, 2);
static outcome broken(const char *fmt, ...)
{
    outcome o = { .kind = OUT_BROKEN };
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&o.why, fmt, ap) < 0) o.why = wf_xstrdup(fmt);
    va_end(ap);
    return o;
}

static outcome from_error(wf_error *err)
{
    outcome o = { .kind = OUT_ERROR, .err = err };
    if (err->kind == WF_ERR_UNSUPPORTED) {
        o.kind = OUT_SKIP;
        o.why = wf_xstrdup(err->message);
    }
    return o;
}

/* Find the instance an action names, checking that it is usable. */
static bool action_instance(script *sc, const wast_node *id, inst_entry **out, outcome *o)
{
    inst_entry *e = find_inst(sc, id);
    if (!e) {
        *o = id ? broken("module %.*s to exist", (int)id->len, id->start)
                : broken("a module to act on");
        return false;
    }
    if (e->state == MOD_SKIPPED) {
        *o = (outcome){ .kind = OUT_SKIP,
                        .why = wf_xasprintf("module of line %d skipped: %s", e->line, e->why) };
        return false;
    }
    if (e->state == MOD_FAILED) {
        *o = broken("module of line %d to load", e->line);
        return false;
    }
    *out = e;
    return true;
}

static outcome run_action(script *sc, const wast_node *n)
{
    bool invoke = wf_wast_head_is(n, "invoke");
    if (!invoke && !wf_wast_head_is(n, "get")) return broken("an action (invoke or get)");
    size_t k = 1;
    const wast_node *id = NULL;
    if (k < n->nitems && wf_wast_is_id(n->items[k])) id = n->items[k++];
    if (k >= n->nitems || n->items[k]->kind != WAST_STRING) return broken("an export name");
    const wast_node *name = n->items[k++];
    outcome o = { 0 };
    inst_entry *e;
    if (!action_instance(sc, id, &e, &o)) return o;
    wf_extern ext;
    if (!wf_instance_export(e->inst, name->str, name->str_len, &ext))
        return broken("export \"%s\" to exist", name->str);

    if (!invoke) {
        if (ext.kind != WF_EXTERN_GLOBAL || k != n->nitems)
            return broken("export \"%s\" to be a global", name->str);
        o.kind = OUT_VALUES;
        o.vals = wf_xmalloc(sizeof *o.vals);
        o.vals[0] = wf_global_get(ext.of.global);
        o.nvals = 1;
        return o;
    }
    if (ext.kind != WF_EXTERN_FUNC) return broken("export \"%s\" to be a function", name->str);
    const wf_functype *ft = wf_func_type(ext.of.func);
    size_t nargs = n->nitems - k;
    if (nargs != ft->nparams)
        return broken("%u arguments for \"%s\", the script gives %zu", ft->nparams,
                      name->str, nargs);
    wf_value *args = wf_xcalloc(nargs ? nargs : 1, sizeof *args);
    for (size_t i = 0; i < nargs; i++) {
        wf_error *err = wf_wast_parse_const(n->items[k + i], extern_ref, sc, &args[i]);
        if (err) {
            free(args);
            if (err->kind == WF_ERR_UNSUPPORTED) return from_error(err);
            o = broken("a valid argument (%s)", err->message);
            wf_error_free(err);
            return o;
        }
        /* A reference argument takes the parameter's exact type, so that
         * e.g. a null of `(ref null $t)` is accepted as the script means. */
        if (args[i].type.kind == WF_REF && ft->params[i].kind == WF_REF) {
            /* (ref.host N) for an anyref parameter: the pointer internalized */
            if (args[i].type.heap == WF_HEAP_EXTERN && wf_heaptype_top(ft->params[i]) == WF_HEAP_ANY)
                args[i].of.ref = wf_gc_convert(args[i].of.ref);
            args[i].type = ft->params[i];
        }
    }
    o.nvals = ft->nresults;
    o.vals = wf_xcalloc(o.nvals ? o.nvals : 1, sizeof *o.vals);
    for (size_t i = 0; i < o.nvals; i++) o.vals[i].type = ft->results[i];
    wf_error *err = wf_func_call(ext.of.func, args, nargs, o.vals, o.nvals);
    free(args);
    if (err) {
        free(o.vals);
        return from_error(err);
    }
    /* Judge results by the function's declared types. */
    for (size_t i = 0; i < o.nvals; i++) o.vals[i].type = ft->results[i];
    o.kind = OUT_VALUES;
    return o;
}

static char *outcome_str(const outcome *o)
{
    switch (o->kind) {
    case OUT_ERROR: return wf_wast_error_str(o->err);
    case OUT_SKIP: return wf_xasprintf("skipped (%s)", o->why);
    case OUT_BROKEN: return wf_xasprintf("a failure to run: expected %s", o->why);
    case OUT_VALUES: break;
    }
    if (!o->nvals) return wf_xstrdup("no results");
    char *acc = NULL;
    for (size_t i = 0; i < o->nvals; i++) {
        char *v = wf_wast_value_str(&o->vals[i]);
        char *n = acc ? wf_xasprintf("%s %s", acc, v) : wf_xstrdup(v);
        free(v);
        free(acc);
        acc = n;
    }
    return acc;
}

/* Report an action's outcome that is not what was expected; skips count as
 * skips. `expected` is the text of the expectation. */
static void judge_other(script *sc, const wast_node *n, const outcome *o, const char *expected)
{
    if (o->kind == OUT_SKIP) {
        skip(sc, n, o->why);
        return;
    }
    char *got = outcome_str(o);
    fail(sc, n, "expected %s, got %s", expected, got);
    free(got);
}

/* ---- Assertions ---------------------------------------------------------------------- */

static void cmd_action(script *sc, const wast_node *n)
{
    outcome o = run_action(sc, n);
    if (o.kind == OUT_VALUES) pass(sc);
    else judge_other(sc, n, &o, "success");
    outcome_fini(&o);
}

static void cmd_assert_return(script *sc, const wast_node *n)
{
    if (n->nitems < 2) {
        fail(sc, n, "expected (assert_return ACTION RESULT...), got a malformed command");
        return;
    }
    size_t nexp = n->nitems - 2;
    wast_expect *exp = wf_xcalloc(nexp ? nexp : 1, sizeof *exp);
    size_t parsed = 0;
    wf_error *err = NULL;
    for (; parsed < nexp && !err; parsed++)
        err = wf_wast_parse_expect(n->items[2 + parsed], extern_ref, sc, &exp[parsed]);
    if (err) {
        parsed--;
        if (err->kind == WF_ERR_UNSUPPORTED) skip(sc, n, err->message);
        else fail(sc, n, "expected a valid result, got %s", err->message);
        wf_error_free(err);
        goto done;
    }
    char *want = NULL;
    for (size_t i = 0; i < nexp; i++) {
        char *e = wf_wast_expect_str(&exp[i]);
        char *w = want ? wf_xasprintf("%s %s", want, e) : wf_xstrdup(e);
        free(e);
        free(want);
        want = w;
    }
    if (!want) want = wf_xstrdup("no results");
    outcome o = run_action(sc, n->items[1]);
    if (o.kind == OUT_VALUES) {
        bool ok = o.nvals == nexp;
        for (size_t i = 0; ok && i < nexp; i++) ok = wf_wast_expect_match(&exp[i], &o.vals[i]);
        if (ok) {
            pass(sc);
        } else {
            char *got = outcome_str(&o);
            fail(sc, n, "expected %s, got %s", want, got);
            free(got);
        }
    } else {
        judge_other(sc, n, &o, want);
    }
    free(want);
    outcome_fini(&o);
done:
    for (size_t i = 0; i < parsed; i++) wf_wast_expect_fini(&exp[i]);
    free(exp);
}

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Judge a failing outcome against the expected kind (and, for traps, the
 * message prefix). */
static void judge_error(script *sc, const wast_node *n, outcome *o, wf_error_kind want,
                        const wast_node *msg)
{
    char *text = msg ? wf_wast_node_text(msg) : wf_xstrdup("");
    bool prefix = want == WF_ERR_TRAP;
    if (o->kind == OUT_ERROR && o->err->kind == want &&
        (!prefix || starts_with(o->err->message, text))) {
        pass(sc);
    } else {
        char *exp = wf_xasprintf("%s \"%s\"", wf_wast_kind_word(want), text);
        if (o->kind == OUT_VALUES && !o->nvals) {
            fail(sc, n, "expected %s, got success", exp);
        } else {
            judge_other(sc, n, o, exp);
        }
        free(exp);
    }
    free(text);
}

/* An assertion about a module: load (and when instantiate, instantiate) it. */
static outcome try_module(script *sc, const wast_node *m, bool instantiate_too)
{
    if (!wf_wast_head_is(m, "module")) return broken("a module");
    module_form f = split_module(m);
    wf_error *err;
    wf_module *mod = NULL;
    wf_instance *inst = NULL;
    if (f.instance || instantiate_too) err = load_module(sc, m, &inst);
    else err = compile_module(sc, m, &mod);
    if (err) return from_error(err);
    return (outcome){ .kind = OUT_VALUES };
}

static void cmd_assert_module(script *sc, const wast_node *n, wf_error_kind want,
                              bool instantiate_too)
{
    if (n->nitems < 2) {
        fail(sc, n, "expected an assertion on a module, got a malformed command");
        return;
    }
    const wast_node *msg = n->nitems > 2 ? n->items[2] : NULL;
    outcome o = try_module(sc, n->items[1], instantiate_too);
    judge_error(sc, n, &o, want, msg);
    outcome_fini(&o);
}

static void cmd_assert_trap(script *sc, const wast_node *n)
{
    if (n->nitems < 2) {
        fail(sc, n, "expected (assert_trap ACTION \"message\"), got a malformed command");
        return;
    }
    const wast_node *msg = n->nitems > 2 ? n->items[2] : NULL;
    outcome o = wf_wast_head_is(n->items[1], "module") ? try_module(sc, n->items[1], true)
                                                     : run_action(sc, n->items[1]);
    judge_error(sc, n, &o, WF_ERR_TRAP, msg);
    outcome_fini(&o);
}

/* (assert_exception ACTION): the call ends with an exception nothing
 * caught (exn.h: a trap whose message says so). */
static void cmd_assert_exception(script *sc, const wast_node *n)
{
    if (n->nitems != 2) {
        fail(sc, n, "expected (assert_exception ACTION), got a malformed command");
        return;
    }
    outcome o = run_action(sc, n->items[1]);
    if (o.kind == OUT_ERROR && o.err->kind == WF_ERR_TRAP && starts_with(o.err->message, WF_MSG_UNCAUGHT))
        pass(sc);
    else if (o.kind == OUT_VALUES && !o.nvals)
        fail(sc, n, "expected an uncaught exception, got success");
    else
        judge_other(sc, n, &o, "an uncaught exception");
    outcome_fini(&o);
}

/* ---- The command loop ------------------------------------------------------------------ */

static bool is_module_field(const wast_node *n)
{
    static const char *const fields[] = {
        "type", "import", "func", "table", "memory", "global", "export",
        "start", "elem", "data", "rec", "tag",
    };
    for (size_t i = 0; i < WF_COUNT(fields); i++)
        if (wf_wast_head_is(n, fields[i])) return true;
    return false;
}

static void run_command(script *sc, const wast_node *n)
{
    switch (wf_wast_comp_command(sc->comp, n)) {
    case WAST_COMP_NOT_MINE: break;
    case WAST_COMP_NEW_CURRENT: sc->current = NULL; return;
    case WAST_COMP_DONE: return;
    }
    size_t hl;
    const char *h = wf_wast_head(n, &hl);
    char head[40];
    snprintf(head, sizeof head, "%.*s", (int)WF_MIN(hl, sizeof head - 1), h);

    if (!strcmp(head, "module")) cmd_module(sc, n);
    else if (!strcmp(head, "register")) cmd_register(sc, n);
    else if (!strcmp(head, "invoke") || !strcmp(head, "get")) cmd_action(sc, n);
    else if (!strcmp(head, "assert_return")) cmd_assert_return(sc, n);
    else if (!strcmp(head, "assert_trap") || !strcmp(head, "assert_exhaustion"))
        cmd_assert_trap(sc, n);
    else if (!strcmp(head, "assert_invalid")) cmd_assert_module(sc, n, WF_ERR_INVALID, false);
    else if (!strcmp(head, "assert_malformed"))
        cmd_assert_module(sc, n, WF_ERR_MALFORMED, false);
    else if (!strcmp(head, "assert_unlinkable"))
        cmd_assert_module(sc, n, WF_ERR_UNLINKABLE, true);
    else if (!strcmp(head, "assert_uninstantiable"))
        cmd_assert_module(sc, n, WF_ERR_TRAP, true);
    else if (!strcmp(head, "assert_exception")) cmd_assert_exception(sc, n);
    else if (!strcmp(head, "assert_suspension") ||
             !strcmp(head, "thread") || !strcmp(head, "wait"))
        skip(sc, n, "command of an unsupported proposal");
    else fail(sc, n, "expected a script command, got %.*s", (int)WF_MIN(n->len, 40), n->start);
}

static void script_free(script *sc)
{
    wf_wast_comp_free(sc->comp);      /* its instances live in the store */
    wf_store_free(sc->store);
    for (size_t i = 0; i < sc->modules.len; i++) wf_module_free(sc->modules.data[i]);
    wf_vec_free(&sc->modules);
    for (size_t i = 0; i < sc->insts.len; i++) {
        free(sc->insts.data[i]->why);
        free(sc->insts.data[i]);
    }
    wf_vec_free(&sc->insts);
    for (size_t i = 0; i < sc->defs.len; i++) {
        free(sc->defs.data[i]->why);
        free(sc->defs.data[i]);
    }
    wf_vec_free(&sc->defs);
    for (size_t i = 0; i < sc->regs.len; i++) free(sc->regs.data[i].name);
    wf_vec_free(&sc->regs);
    for (size_t i = 0; i < sc->externs.len; i++) free(sc->externs.data[i].ptr);
    wf_vec_free(&sc->externs);
}

/* ---- Known failures ---------------------------------------------------------------------- */

typedef WF_VEC(wast_known) known_vec;

/* Read a --known-failures list: `PATH:LINE REASON` lines, `#` comments. */
static wf_error *read_known(const char *file, known_vec *out)
{
    uint8_t *text;
    size_t len;
    wf_error *err = wf_file_read(file, &text, &len);
    if (err) return err;
    char *save = NULL;
    int lineno = 0;
    char *s = wf_xstrndup((const char *)text, len);
    free(text);
    for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        lineno++;
        while (*l == ' ' || *l == '\t') l++;
        if (!*l || *l == '#') continue;
        char *sp = l + strcspn(l, " \t");
        char *colon = sp;
        while (colon > l && colon[-1] != ':') colon--;
        char *end;
        long line = colon > l ? strtol(colon, &end, 10) : 0;
        if (colon == l || line <= 0 || end != sp) {
            err = wf_error_new(WF_ERR_MALFORMED, "%s: expected PATH:LINE REASON, got \"%s\"", file, l);
            break;
        }
        while (*sp == ' ' || *sp == '\t') sp++;
        wast_known k = { wf_xstrndup(l, (size_t)(colon - 1 - l)), (int)line,
                         wf_xstrdup(*sp ? sp : "no reason given"), false };
        wf_vec_push(out, k);
    }
    free(s);
    return err;
}

static bool path_ends_with(const char *path, const char *suffix)
{
    size_t pl = strlen(path), sl = strlen(suffix);
    return pl >= sl && !strcmp(path + pl - sl, suffix) && (pl == sl || path[pl - sl - 1] == '/');
}

static void run_file(const char *path, bool verbose, wast_totals *tot, known_vec *known)
{
    uint8_t *text;
    size_t len;
    wf_error *err = wf_file_read(path, &text, &len);
    if (err) {
        printf("%s: expected a readable script, got %s\n", path, err->message);
        tot->failed++;
        wf_error_free(err);
        return;
    }
    wast_node *root;
    err = wf_wast_parse((const char *)text, len, &root);
    if (err) {
        printf("%s:%d:%d: expected a well-formed script, got %s\n", path, err->line, err->col,
               err->message);
        tot->failed++;
        wf_error_free(err);
        free(text);
        return;
    }
    script sc = { .rep = { .file = path, .verbose = verbose, .tot = tot },
                  .store = wf_store_new() };
    /* This file's known failures (a copy, to mark the ones seen). */
    WF_VEC(wast_known) mine = {0};
    for (size_t i = 0; i < known->len; i++)
        if (path_ends_with(path, known->data[i].path)) wf_vec_push(&mine, known->data[i]);
    sc.rep.known = mine.data;
    sc.rep.nknown = mine.len;
    sc.comp = wf_wast_comp_new(sc.store, &sc.rep);
    for (size_t i = 0; i < root->nitems; i++) {
        const wast_node *n = root->items[i];
        if (n->kind != WAST_LIST) {
            fail(&sc, n, "expected a script command, got %.*s", (int)WF_MIN(n->len, 40),
                 n->start);
            continue;
        }
        if (is_module_field(n)) {
            /* Bare module fields: one inline module up to the last field. */
            size_t j = i;
            while (j + 1 < root->nitems && is_module_field(root->items[j + 1])) j++;
            const wast_node *last = root->items[j];
            wast_node whole = *n;
            whole.len = (size_t)(last->start + last->len - n->start);
            inst_entry *e = add_inst(&sc, NULL, n->line);
            sc.current = e;
            wf_wast_comp_drop_current(sc.comp);
            wf_module *m = NULL;
            err = wf_module_from_wat(whole.start, whole.len, &m);
            if (!err) {
                wf_vec_push(&sc.modules, m);
                err = instantiate(&sc, m, &e->inst);
            }
            if (err) {
                e->why = wf_wast_error_str(err);
                e->state = err->kind == WF_ERR_UNSUPPORTED ? MOD_SKIPPED : MOD_FAILED;
                if (e->state == MOD_FAILED)
                    fail(&sc, n, "expected module to load, got %s", e->why);
                wf_error_free(err);
            }
            i = j;
            continue;
        }
        run_command(&sc, n);
        fflush(stdout);
    }
    for (size_t i = 0; i < mine.len; i++)
        if (!mine.data[i].hit) {
            printf("%s:%d: expected the known failure (%s), got none: take it off the list\n",
                   path, mine.data[i].line, mine.data[i].reason);
            tot->failed++;
        }
    wf_vec_free(&mine);
    script_free(&sc);
    wf_wast_node_free(root);
    free(text);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wasmfn wast [-v] [--tier=T] [--known-failures LIST] FILE...\n"
            "\n"
            "Run WebAssembly spec scripts (.wast): modules, register, invoke/get and\n"
            "the assert_* commands. Component scripts too: (component ...) in text,\n"
            "binary or quote form, component definition/instance, register, invoke\n"
            "with typed values (u32.const, str.const, list.const, record.const, ...)\n"
            "and the assertions on them; a component that loads counts as passed.\n"
            "Prints one line per failure\n"
            "(`file:line: expected ..., got ...`) and then one summary line\n"
            "`N passed, M failed, K skipped` for all files together. Commands that\n"
            "need a proposal wasmfn does not implement are skipped.\n"
            "\n"
            "options:\n"
            "  -v, --verbose  also print each skipped command with its reason (and\n"
            "                 each function the compiled tier leaves interpreted)\n"
            WF_CLI_TIER_HELP
            "  --known-failures LIST\n"
            "                 commands known to fail, one `PATH:LINE REASON` a line:\n"
            "                 counted as skipped with their reason when they fail,\n"
            "                 as failures when they do not\n"
            "  -h, --help     print this help\n"
            "\n"
            "exit status: 0 all passed, 1 something failed, 2 usage error\n");
}

static void known_free(known_vec *k)
{
    for (size_t i = 0; i < k->len; i++) {
        free(k->data[i].path);
        free(k->data[i].reason);
    }
    wf_vec_free(k);
}

int wf_cli_wast(int argc, char **argv)
{
    bool verbose = false;
    known_vec known = {0};
    int first = 1;
    for (; first < argc; first++) {
        const char *a = argv[first];
        if (!strcmp(a, "--")) {
            first++;
            break;
        }
        if (a[0] != '-' || !a[1]) break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            known_free(&known);
            usage(stdout);
            return WF_EXIT_OK;
        }
        if (!strcmp(a, "--known-failures") && first + 1 < argc) {
            wf_error *err = read_known(argv[++first], &known);
            if (err) {
                fprintf(stderr, "wasmfn wast: %s\n", err->message);
                wf_error_free(err);
                known_free(&known);
                return WF_EXIT_USAGE;
            }
            continue;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose = true;
            wf_jit_set_verbose(true);
            continue;
        }
        int tr = wf_cli_tier_option("wast", argc, argv, &first);
        if (tr) {
            if (tr > 0) continue;
            known_free(&known);
            return WF_EXIT_USAGE;
        }
        known_free(&known);
        fprintf(stderr, "wasmfn wast: unknown option '%s'\n", a);
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    if (first >= argc) {
        known_free(&known);
        fprintf(stderr, "wasmfn wast: no script given\n");
        usage(stderr);
        return WF_EXIT_USAGE;
    }
    wast_totals tot = { 0 };
    for (int i = first; i < argc; i++) run_file(argv[i], verbose, &tot, &known);
    known_free(&known);
    printf("%ld passed, %ld failed, %ld skipped\n", tot.passed, tot.failed, tot.skipped);
    return tot.failed ? WF_EXIT_FAIL : WF_EXIT_OK;
}
