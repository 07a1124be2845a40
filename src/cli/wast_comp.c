/*
 * wast_comp.c - the component side of `wasmfn wast`: `(component ...)`
 * commands (text, `binary`, `quote`, `definition`, `instance`), `register`
 * of component instances (later components import them as instances),
 * `invoke` of a component instance's exported functions with typed
 * component values (wast_cval.c), and the assertions on those: assert_return,
 * assert_trap, assert_invalid, assert_malformed, assert_unlinkable,
 * assert_uninstantiable.
 *
 * wast.c's command loop offers every command here first
 * (wf_wast_comp_command); what does not concern components goes back to the
 * core runner. The component instances of a script share its store (their
 * core instances and memories live there) and one linker holding the
 * registered instances.
 *
 * Text goes through the component text compiler (cli/cwat.h) to the
 * binary and then the one component decoder, as core text does.
 */
#include "cli/wast.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/error.h"
#include "component/component.h"
#include "cli/cwat.h"

typedef enum cstate { C_OK, C_SKIPPED, C_FAILED } cstate;

/* A component instance, or a definition (a compiled component), or the
 * attempt at one. */
typedef struct centry {
    const wast_node *id;        /* its $id, or NULL */
    cstate state;
    wf_component *comp;         /* C_OK; owned by the definition or the instance entry */
    bool owns_comp;
    wf_cinstance *inst;         /* instances, C_OK */
    int line;                   /* of the command */
    char *why;                  /* C_SKIPPED / C_FAILED: the reason */
} centry;

typedef WF_VEC(centry *) centry_vec;

struct wast_comp {
    wast_report *rep;
    wf_store *store;
    wf_clinker *linker;
    centry_vec insts;
    centry_vec defs;
    centry *current;
};

wast_comp *wf_wast_comp_new(wf_store *store, wast_report *rep)
{
    wast_comp *cc = wf_xcalloc(1, sizeof *cc);
    cc->store = store;
    cc->rep = rep;
    cc->linker = wf_clinker_new();
    return cc;
}

static void centry_free(centry *e)
{
    wf_cinstance_free(e->inst);
    if (e->owns_comp) wf_component_free(e->comp);
    free(e->why);
    free(e);
}

void wf_wast_comp_free(wast_comp *cc)
{
    if (!cc) return;
    /* Instances first: later ones may import earlier ones, and instances
     * point into their components. */
    for (size_t i = cc->insts.len; i-- > 0;) centry_free(cc->insts.data[i]);
    for (size_t i = cc->defs.len; i-- > 0;) centry_free(cc->defs.data[i]);
    wf_vec_free(&cc->insts);
    wf_vec_free(&cc->defs);
    wf_clinker_free(cc->linker);
    free(cc);
}

void wf_wast_comp_drop_current(wast_comp *cc)
{
    cc->current = NULL;
}

/* ---- Finding entries ------------------------------------------------------------ */

static centry *find_id(const centry_vec *v, const wast_node *id)
{
    for (size_t i = v->len; i-- > 0;)
        if (wf_wast_same_id(v->data[i]->id, id)) return v->data[i];
    return NULL;
}

#define FIND(vec, id) find_id(&(vec), (id))

/* The instance an action or register names: by $id, else the current one. */
static centry *target(wast_comp *cc, const wast_node *id)
{
    return id ? FIND(cc->insts, id) : cc->current;
}

/* ---- Compiling components --------------------------------------------------------- */

/* The parts of `(component definition? $id? rest...)` and of
 * `(component instance $i $def)`. */
typedef struct cform {
    bool definition, instance;
    const wast_node *id;
    size_t rest;
} cform;

static cform split(const wast_node *n)
{
    cform f = { 0 };
    size_t k = 1;
    if (k < n->nitems && wf_wast_is_atom(n->items[k], "definition")) f.definition = true, k++;
    else if (k < n->nitems && wf_wast_is_atom(n->items[k], "instance")) f.instance = true, k++;
    if (k < n->nitems && wf_wast_is_id(n->items[k])) f.id = n->items[k++];
    f.rest = k;
    return f;
}

/* Positions in text handed to the compiler become positions in the script. */
static void shift_position(wf_error *err, const wast_node *n)
{
    if (err && err->line > 0) {
        if (err->line == 1) err->col += n->col - 1;
        err->line += n->line - 1;
    }
}

/* Compile a component form (not `instance`) into a new component. */
static wf_error *compile(const wast_node *n, wf_component **out)
{
    cform f = split(n);
    const wast_node *kw = f.rest < n->nitems ? n->items[f.rest] : NULL;
    wf_error *err = NULL;
    wf_buf bin = {0};
    if (wf_wast_is_atom(kw, "binary")) {
        size_t len = 0;
        char *bytes = wf_wast_concat_strings(n, f.rest + 1, &len, &err);
        if (err) return err;
        wf_buf_bytes(&bin, bytes, len);
        free(bytes);
    } else if (wf_wast_is_atom(kw, "quote")) {
        size_t len = 0;
        char *fields = wf_wast_concat_strings(n, f.rest + 1, &len, &err);
        if (err) return err;
        /* The strings are the component's fields. */
        char *text = wf_xasprintf("(component %s)", fields);
        free(fields);
        err = wf_cwat_compile(text, strlen(text), &bin);
        free(text);
    } else {
        err = wf_cwat_compile(n->start, n->len, &bin);
        shift_position(err, n);
    }
    if (!err) err = wf_component_new(bin.data, bin.len, out);
    wf_buf_free(&bin);
    return err;
}

static wf_error *instantiate(wast_comp *cc, const wf_component *c, wf_cinstance **out)
{
    return wf_cinstance_new(cc->store, c, cc->linker, out);
}

/* Make the instance of a `(component ...)` or `(component instance $i $X)`
 * command: *comp is the component it instantiates (owned when *owns). */
static wf_error *load(wast_comp *cc, const wast_node *n, wf_component **comp, bool *owns,
                      wf_cinstance **inst)
{
    cform f = split(n);
    *comp = NULL;
    *owns = false;
    if (f.instance) {
        const wast_node *def_id = f.rest < n->nitems ? n->items[f.rest] : NULL;
        centry *d = def_id ? FIND(cc->defs, def_id) : (cc->defs.len ? wf_vec_last(&cc->defs) : NULL);
        if (!d) return wf_error_new(WF_ERR_NOT_FOUND, "unknown component definition");
        if (d->state == C_SKIPPED)
            return wf_error_new(WF_ERR_UNSUPPORTED, "definition of line %d skipped: %s", d->line, d->why);
        if (d->state == C_FAILED)
            return wf_error_new(WF_ERR_NOT_FOUND, "definition of line %d failed to load", d->line);
        *comp = d->comp;
    } else {
        wf_error *err = compile(n, comp);
        if (err) return err;
        *owns = true;
    }
    return instantiate(cc, *comp, inst);
}

static void entry_failed(wast_comp *cc, centry *e, const wast_node *n, wf_error *err)
{
    if (err->kind == WF_ERR_UNSUPPORTED) {
        e->why = wf_xstrdup(err->message);
        e->state = C_SKIPPED;
        wf_wast_skip(cc->rep, n, e->why);
    } else {
        e->why = wf_wast_error_str(err);
        e->state = C_FAILED;
        wf_wast_fail(cc->rep, n, "expected the component to load, got %s", e->why);
    }
    wf_error_free(err);
}

static wast_comp_claim cmd_component(wast_comp *cc, const wast_node *n)
{
    cform f = split(n);
    centry *e = wf_xcalloc(1, sizeof *e);
    e->id = f.id;
    e->line = n->line;
    if (f.definition) {
        wf_vec_push(&cc->defs, e);
        wf_error *err = compile(n, &e->comp);
        if (err) entry_failed(cc, e, n, err);
        else e->owns_comp = true, wf_wast_pass(cc->rep);
        return WAST_COMP_DONE;
    }
    wf_vec_push(&cc->insts, e);
    cc->current = e;
    wf_component *comp;
    bool owns;
    wf_error *err = load(cc, n, &comp, &owns, &e->inst);
    e->comp = comp;
    e->owns_comp = owns;
    if (err) entry_failed(cc, e, n, err);
    else wf_wast_pass(cc->rep);
    return WAST_COMP_NEW_CURRENT;
}

static void cmd_register(wast_comp *cc, const wast_node *n, centry *e)
{
    const wast_node *name = n->items[1];
    if (e->state != C_OK) {
        /* What imports it will be unlinkable; say so there. */
        if (e->state == C_SKIPPED) wf_wast_skip(cc->rep, n, e->why);
        return;
    }
    if (memchr(name->str, 0, name->str_len)) {
        wf_wast_fail(cc->rep, n, "expected a register name without NUL, got one");
        return;
    }
    wf_clinker_define_instance(cc->linker, name->str, e->inst);
}

/* ---- Actions -------------------------------------------------------------------- */

typedef enum okind { O_VALUES, O_ERROR, O_SKIP, O_BROKEN } okind;

/* What an action or a module assertion came to. */
typedef struct outcome {
    okind kind;
    wf_val result;              /* O_VALUES: a call's result (a tuple when not one value) */
    bool single;                /* O_VALUES: result is the one result, else a tuple of them */

    wf_error *err;              /* O_ERROR */
    char *why;                  /* O_SKIP, O_BROKEN */
} outcome;

/* The results of an O_VALUES outcome: the one value, or the tuple's items. */
static const wf_val *outcome_vals(const outcome *o, size_t *n)
{
    if (o->single) {
        *n = 1;
        return &o->result;
    }
    *n = o->result.kind == WF_VAL_TUPLE ? o->result.of.agg.len : 0;
    return o->result.of.agg.items;
}

static void outcome_fini(outcome *o)
{
    wf_val_free(&o->result);
    wf_error_free(o->err);
    free(o->why);
}

static outcome broken(const char *fmt, ...) WF_PRINTF(1, 2);
static outcome broken(const char *fmt, ...)
{
    outcome o = { .kind = O_BROKEN };
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&o.why, fmt, ap) < 0) o.why = wf_xstrdup(fmt);
    va_end(ap);
    return o;
}

static outcome from_error(wf_error *err)
{
    if (err->kind == WF_ERR_UNSUPPORTED) {
        outcome o = { .kind = O_SKIP, .why = wf_xstrdup(err->message) };
        wf_error_free(err);
        return o;
    }
    return (outcome){ .kind = O_ERROR, .err = err };
}

/* The $id and export name of (invoke $id? "name" args...), *k past them. */
static const wast_node *action_id(const wast_node *n)
{
    return n->nitems > 1 && wf_wast_is_id(n->items[1]) ? n->items[1] : NULL;
}

static bool is_action_on_component(wast_comp *cc, const wast_node *n)
{
    if (!wf_wast_head_is(n, "invoke") && !wf_wast_head_is(n, "get")) return false;
    const wast_node *id = action_id(n);
    return target(cc, id) != NULL;
}

static outcome run_action(wast_comp *cc, const wast_node *n)
{
    if (!wf_wast_head_is(n, "invoke")) return broken("an invoke (components export no globals)");
    const wast_node *id = action_id(n);
    size_t k = id ? 2 : 1;
    if (k >= n->nitems || n->items[k]->kind != WAST_STRING) return broken("an export name");
    const wast_node *name = n->items[k++];
    centry *e = target(cc, id);
    if (!e) return broken("a component instance to act on");
    if (e->state == C_SKIPPED)
        return (outcome){ .kind = O_SKIP,
                          .why = wf_xasprintf("component of line %d skipped: %s", e->line, e->why) };
    if (e->state == C_FAILED) return broken("the component of line %d to load", e->line);
    if (memchr(name->str, 0, name->str_len)) return broken("an export name without NUL");
    const wf_wit_func *ft = wf_component_find_func(e->comp, name->str);
    if (!ft) return broken("an exported function \"%s\"", name->str);
    size_t nargs = n->nitems - k;
    wf_val *args = wf_xcalloc(nargs ? nargs : 1, sizeof *args);
    outcome o = { 0 };
    size_t parsed = 0;
    for (; parsed < nargs; parsed++) {
        wf_error *err = wf_wast_cval_parse(n->items[k + parsed], false, &args[parsed]);
        if (err) {
            o = broken("a valid argument (%s)", err->message);
            wf_error_free(err);
            break;
        }
    }
    if (parsed == nargs) {
        wf_error *err = wf_cinstance_call(e->inst, name->str, args, nargs, &o.result);
        if (err && (err->kind == WF_ERR_INVALID || err->kind == WF_ERR_NOT_FOUND)) {
            /* The script's arguments do not fit the function: the command is wrong. */
            o = broken("arguments that fit \"%s\" (%s)", name->str, err->message);
            wf_error_free(err);
        } else if (err) {
            o = from_error(err);
        } else {
            o.kind = O_VALUES;
            o.single = ft->nresults == 1 && !ft->named_results;
        }
    }
    for (size_t i = 0; i < parsed; i++) wf_val_free(&args[i]);
    free(args);
    return o;
}

static char *outcome_str(const outcome *o)
{
    switch (o->kind) {
    case O_ERROR: return wf_wast_error_str(o->err);
    case O_SKIP: return wf_xasprintf("skipped (%s)", o->why);
    case O_BROKEN: return wf_xasprintf("a failure to run: expected %s", o->why);
    case O_VALUES: break;
    }
    size_t nvals;
    const wf_val *vals = outcome_vals(o, &nvals);
    if (!nvals) return wf_xstrdup("no results");
    char *acc = NULL;
    for (size_t i = 0; i < nvals; i++) {
        char *v = wf_wast_cval_str(&vals[i]);
        char *n = acc ? wf_xasprintf("%s %s", acc, v) : wf_xstrdup(v);
        free(v);
        free(acc);
        acc = n;
    }
    return acc;
}

/* An outcome that is not the expected one: skips count as skips. */
static void judge_other(wast_comp *cc, const wast_node *n, const outcome *o, const char *expected)
{
    if (o->kind == O_SKIP) {
        wf_wast_skip(cc->rep, n, o->why);
        return;
    }
    char *got = outcome_str(o);
    wf_wast_fail(cc->rep, n, "expected %s, got %s", expected, got);
    free(got);
}

/* ---- Assertions -------------------------------------------------------------------- */

static void cmd_action(wast_comp *cc, const wast_node *n)
{
    outcome o = run_action(cc, n);
    if (o.kind == O_VALUES) wf_wast_pass(cc->rep);
    else judge_other(cc, n, &o, "success");
    outcome_fini(&o);
}

static void cmd_assert_return(wast_comp *cc, const wast_node *n)
{
    size_t nexp = n->nitems - 2;
    wf_val *exp = wf_xcalloc(nexp ? nexp : 1, sizeof *exp);
    size_t parsed = 0;
    for (; parsed < nexp; parsed++) {
        wf_error *err = wf_wast_cval_parse(n->items[2 + parsed], true, &exp[parsed]);
        if (err) {
            wf_wast_fail(cc->rep, n, "expected a valid result, got %s", err->message);
            wf_error_free(err);
            goto done;
        }
    }
    char *want = NULL;
    for (size_t i = 0; i < nexp; i++) {
        char *s = wf_wast_cval_str(&exp[i]);
        char *w = want ? wf_xasprintf("%s %s", want, s) : wf_xstrdup(s);
        free(s);
        free(want);
        want = w;
    }
    if (!want) want = wf_xstrdup("no results");
    outcome o = run_action(cc, n->items[1]);
    if (o.kind == O_VALUES) {
        size_t nvals;
        const wf_val *vals = outcome_vals(&o, &nvals);
        bool ok = nvals == nexp;
        for (size_t i = 0; ok && i < nexp; i++) ok = wf_wast_cval_equal(&exp[i], &vals[i]);
        if (ok) {
            wf_wast_pass(cc->rep);
        } else {
            char *got = outcome_str(&o);
            wf_wast_fail(cc->rep, n, "expected %s, got %s", want, got);
            free(got);
        }
    } else {
        judge_other(cc, n, &o, want);
    }
    free(want);
    outcome_fini(&o);
done:
    for (size_t i = 0; i < parsed; i++) wf_val_free(&exp[i]);
    free(exp);
}

/* Does a trap message say what the script expects? The reference suite's
 * texts are substrings of its engine's messages, some with that engine's
 * "wasm trap: " prefix, which is not part of the reason. */
static bool trap_matches(const char *message, const char *want)
{
    static const char prefix[] = "wasm trap: ";
    if (!strncmp(want, prefix, sizeof prefix - 1)) want += sizeof prefix - 1;
    return strstr(message, want) != NULL;
}

static void judge_error(wast_comp *cc, const wast_node *n, outcome *o, wf_error_kind want,
                        const wast_node *msg)
{
    char *text = msg ? wf_wast_node_text(msg) : wf_xstrdup("");
    if (o->kind == O_ERROR && o->err->kind == want &&
        (want != WF_ERR_TRAP || trap_matches(o->err->message, text))) {
        wf_wast_pass(cc->rep);
    } else {
        char *exp = wf_xasprintf("%s \"%s\"", wf_wast_kind_word(want), text);
        if (o->kind == O_VALUES && !o->single && !o->result.of.agg.len) wf_wast_fail(cc->rep, n, "expected %s, got success", exp);
        else judge_other(cc, n, o, exp);
        free(exp);
    }
    free(text);
}

/* An assertion about a component form: compile it, and instantiate it when
 * asked to (or when it is an `instance` form). The instance is discarded. */
static outcome try_component(wast_comp *cc, const wast_node *c, bool instantiate_too)
{
    cform f = split(c);
    wf_component *comp = NULL;
    bool owns = false;
    wf_cinstance *inst = NULL;
    wf_error *err;
    if (f.instance || instantiate_too) {
        err = load(cc, c, &comp, &owns, &inst);
    } else {
        err = compile(c, &comp);
        owns = !err;
    }
    /* An instance that came to be may have handed out its functions to
     * nothing else: freeing it (then its component) is safe. */
    wf_cinstance_free(inst);
    if (owns) wf_component_free(comp);
    if (err) return from_error(err);
    return (outcome){ .kind = O_VALUES };
}

static void cmd_assert_component(wast_comp *cc, const wast_node *n, wf_error_kind want,
                                 bool instantiate_too)
{
    const wast_node *msg = n->nitems > 2 ? n->items[2] : NULL;
    outcome o = try_component(cc, n->items[1], instantiate_too);
    judge_error(cc, n, &o, want, msg);
    outcome_fini(&o);
}

static void cmd_assert_trap(wast_comp *cc, const wast_node *n)
{
    const wast_node *msg = n->nitems > 2 ? n->items[2] : NULL;
    outcome o = wf_wast_head_is(n->items[1], "component") ? try_component(cc, n->items[1], true)
                                                        : run_action(cc, n->items[1]);
    judge_error(cc, n, &o, WF_ERR_TRAP, msg);
    outcome_fini(&o);
}

/* ---- Dispatch ------------------------------------------------------------------------ */

wast_comp_claim wf_wast_comp_command(wast_comp *cc, const wast_node *n)
{
    if (wf_wast_head_is(n, "component")) return cmd_component(cc, n);
    if (wf_wast_head_is(n, "register")) {
        /* (register "name" $id?): ours when it names a component instance. */
        if (n->nitems < 2 || n->items[1]->kind != WAST_STRING) return WAST_COMP_NOT_MINE;
        centry *e = target(cc, n->nitems > 2 ? n->items[2] : NULL);
        if (!e) return WAST_COMP_NOT_MINE;
        cmd_register(cc, n, e);
        return WAST_COMP_DONE;
    }
    if (wf_wast_head_is(n, "invoke") || wf_wast_head_is(n, "get")) {
        if (!is_action_on_component(cc, n)) return WAST_COMP_NOT_MINE;
        cmd_action(cc, n);
        return WAST_COMP_DONE;
    }
    if (n->nitems < 2) return WAST_COMP_NOT_MINE;
    const wast_node *what = n->items[1];
    bool comp_form = wf_wast_head_is(what, "component");
    if (!comp_form && !is_action_on_component(cc, what)) return WAST_COMP_NOT_MINE;
    if (wf_wast_head_is(n, "assert_return") && !comp_form) cmd_assert_return(cc, n);
    else if (wf_wast_head_is(n, "assert_trap") || wf_wast_head_is(n, "assert_exhaustion")) cmd_assert_trap(cc, n);
    else if (wf_wast_head_is(n, "assert_invalid") && comp_form) cmd_assert_component(cc, n, WF_ERR_INVALID, false);
    else if (wf_wast_head_is(n, "assert_malformed") && comp_form) cmd_assert_component(cc, n, WF_ERR_MALFORMED, false);
    else if (wf_wast_head_is(n, "assert_unlinkable") && comp_form) cmd_assert_component(cc, n, WF_ERR_UNLINKABLE, true);
    else if (wf_wast_head_is(n, "assert_uninstantiable") && comp_form) cmd_assert_component(cc, n, WF_ERR_TRAP, true);
    else return WAST_COMP_NOT_MINE;
    return WAST_COMP_DONE;
}
