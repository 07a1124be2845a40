/*
 * project.c - a C program hosting a wasmfn project through include/wasmfn.h
 * (the runtime part; examples/embed.c shows the engine part).
 *
 * Usage: example_project DIR   (DIR: examples/demo)
 *
 * It loads the project once, then calls its functions: with wf_val values
 * (demo:compute, a core module, takes numbers; demo:greet, a component,
 * takes a string), with JSON text (demo:transform_users takes a list of
 * records; demo:calc_eval returns a result), and shows what errors look
 * like (a JSON argument of the wrong type, an unknown function).
 *
 * Exit: 0 when everything went as shown, 1 otherwise, 3 on a load error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmfn.h"

/* Print an error as `wasmfn call` does, and free it. */
static void print_error(const char *what, wf_error *e)
{
    printf("%s -> error: %s: %s\n", what, wf_error_kind_name(e->kind), e->message);
    wf_error_free(e);
}

/* The function `id`, or NULL (the error printed). The project owns it. */
static wf_function *lookup(wf_project *p, const char *id)
{
    wf_function *f;
    wf_error *e = wf_project_function(p, id, &f);
    if (e) {
        print_error(id, e);
        return NULL;
    }
    return f;
}

/* demo:compute(6, 7) with values: two s32 in, one s32 out. */
static int call_compute(wf_project *p)
{
    wf_function *f = lookup(p, "demo:compute");
    if (!f) return 1;
    wf_val args[2] = { wf_val_sint(WF_VAL_S32, 6), wf_val_sint(WF_VAL_S32, 7) };
    wf_val r;
    wf_error *e = wf_function_call(f, args, 2, 0, &r);
    if (e) {
        print_error("demo:compute(6, 7)", e);
        return 1;
    }
    printf("demo:compute(6, 7) = %" PRId64 " (%s)\n", r.of.s, wf_val_kind_name(r.kind));
    wf_val_free(&r);
    return 0;
}

/* demo:greet("embedder") with values: a string in, a string out. */
static int call_greet(wf_project *p)
{
    wf_function *f = lookup(p, "demo:greet");
    if (!f) return 1;
    wf_val arg = wf_val_string("embedder", strlen("embedder"));
    wf_val r;
    wf_error *e = wf_function_call(f, &arg, 1, 0, &r);
    wf_val_free(&arg);
    if (e) {
        print_error("demo:greet", e);
        return 1;
    }
    printf("demo:greet(\"embedder\") = %s\n", r.kind == WF_VAL_STRING ? r.of.str.data : "?");
    wf_val_free(&r);
    return 0;
}

/* f called with one JSON argument; the result printed as JSON. */
static int call_json(wf_project *p, const char *id, const char *arg)
{
    wf_function *f = lookup(p, id);
    if (!f) return 1;
    char *json;
    wf_error *e = wf_function_call_json(f, &arg, 1, 1000, &json);
    if (e) {
        print_error(id, e);
        return 1;
    }
    printf("%s %s = %s\n", id, arg, json);
    free(json);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: example_project DIR\n");
        return 2;
    }
    wf_project *p;
    wf_error *e = wf_project_load(argv[1], &p);
    if (e) {
        fprintf(stderr, "error: %s: %s\n", wf_error_kind_name(e->kind), e->message);
        wf_error_free(e);
        return 3;
    }
    int rc = 0;
    rc |= call_compute(p);
    rc |= call_greet(p);
    rc |= call_json(p, "demo:transform_users", "[{\"id\":7,\"name\":\"Ada\",\"tags\":[\"math\"],\"active\":true}]");
    rc |= call_json(p, "demo:calc_eval", "\"6 * 7\"");
    rc |= call_json(p, "demo:calc_eval", "\"1 / 0\"");
    /* Errors: both are expected here, so they count as success. */
    if (!call_json(p, "demo:transform_users", "[{\"id\":\"seven\"}]")) rc = 1;
    if (lookup(p, "demo:nope")) rc = 1;
    wf_project_close(p);
    return rc;
}
