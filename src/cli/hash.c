/*
 * hash.c - `wasmfn hash FILE`: print the `sha256:<hex>` value to put in a
 * function.wasm entry's `hash` field. An unreadable file exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"
#include "cli/cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: wasmfn hash FILE\n\n"
            "Print FILE's SHA-256 as `sha256:<64 hex digits>`, the form a function.wasm\n"
            "entry's `hash` field takes. Exits 0; 1 when FILE cannot be read; 2 on a\n"
            "usage error.\n");
}

int wf_cli_hash(int argc, char **argv)
{
    int rc = wf_cli_one_operand(argc, argv, help);
    if (rc >= 0) return rc;
    uint8_t d[WF_SHA256_LEN];
    wf_error *e = wf_sha256_file(argv[1], d);
    if (e) {
        fprintf(stderr, "wasmfn hash: %s\n", e->message);
        wf_error_free(e);
        return WF_EXIT_FAIL;
    }
    char text[WF_SHA256_TEXT_LEN];
    wf_sha256_format(d, text);
    printf("%s\n", text);
    return WF_EXIT_OK;
}
