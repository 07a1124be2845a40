/*
 * wit.c - `wasmfn wit PATH`: parse and resolve a WIT file or directory
 * (with `deps/`) and print one line per package, interface and world, or
 * the error. Exit 0 when valid, 1 when the WIT is rejected, 2 on usage.
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "component/wit/wit_doc.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: wasmfn wit PATH\n\n"
            "Parse and resolve PATH, a `.wit` file or a directory of `.wit` files (its\n"
            "`deps/` folder holds dependency packages), and print its packages,\n"
            "interfaces and worlds. Exits 0 when valid; 1 with the error (file:line:col)\n"
            "when not; 2 on a usage error.\n");
}

int wf_cli_wit(int argc, char **argv)
{
    int rc = wf_cli_one_operand(argc, argv, help);
    if (rc >= 0) return rc;
    wf_wit_doc *d;
    wf_error *e = wf_wit_doc_load(argv[1], &d);
    if (e) {
        fprintf(stderr, "wasmfn wit: %s\n", e->message);
        wf_error_free(e);
        return WF_EXIT_FAIL;
    }
    wf_buf b = {0};
    wf_wit_doc_summary(d, &b);
    fwrite(b.data, 1, b.len, stdout);
    wf_buf_free(&b);
    wf_wit_doc_free(d);
    return WF_EXIT_OK;
}
