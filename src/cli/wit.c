/*
 * wit.c - `wasmfn wit PATH`: parse and resolve a WIT file or directory
 * (with `deps/`) and print one line per package, interface and world, or
 * the error; or, for a component binary (FILE.wasm), print its world: its
 * imports and exports with their types (component.h wf_component_wit).
 * Exit 0 when valid, 1 when the WIT or the component is rejected, 2 on
 * usage.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "cli/cli.h"
#include "component/component.h"
#include "component/wit/wit_doc.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: wasmfn wit PATH\n\n"
            "Parse and resolve PATH, a `.wit` file or a directory of `.wit` files (its\n"
            "`deps/` folder holds dependency packages), and print its packages,\n"
            "interfaces and worlds; or, when PATH is a component (.wasm), print its\n"
            "world: imports and exports, and each interface's types and functions.\n"
            "Exits 0 when valid; 1 with the error (file:line:col, or the byte offset\n"
            "in a component) when not; 2 on a usage error.\n");
}

/* PATH is a file starting with the WebAssembly magic: print its world. */
static int component_wit(const char *path, const uint8_t *bytes, size_t len)
{
    if (!wf_component_is_binary(bytes, len)) {
        fprintf(stderr, "wasmfn wit: %s: a core module, not a component: it has no WIT world\n", path);
        return WF_EXIT_FAIL;
    }
    wf_component *c;
    wf_error *e = wf_component_new(bytes, len, &c);
    if (e) {
        fprintf(stderr, "wasmfn wit: %s: %s\n", path, e->message);
        wf_error_free(e);
        return WF_EXIT_FAIL;
    }
    wf_buf b = {0};
    wf_component_wit(c, &b);
    fwrite(b.data, 1, b.len, stdout);
    wf_buf_free(&b);
    wf_component_free(c);
    return WF_EXIT_OK;
}

int wf_cli_wit(int argc, char **argv)
{
    int rc = wf_cli_one_operand(argc, argv, help);
    if (rc >= 0) return rc;
    struct stat st;
    if (!stat(argv[1], &st) && S_ISREG(st.st_mode)) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        wf_error *e = wf_file_read(argv[1], &bytes, &len);
        if (!e && len >= 4 && !memcmp(bytes, "\0asm", 4)) {
            rc = component_wit(argv[1], bytes, len);
            free(bytes);
            return rc;
        }
        free(bytes);
        wf_error_free(e);
    }
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
