/*
 * fuzz_registry.c - libFuzzer target for registry loading: the input is the
 * `_index.yaml` of a project directory (made once, under $WF_FUZZ_TMP or
 * /tmp) that also holds a small module and a WIT file for file://
 * references and `fs` entries to point at. Loading gives entries or load
 * errors, never a crash; every error names a file.
 */
#include "fuzz.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "registry/registry.h"

static char dir[4096];
static char index_path[4200];

static void put(const char *name, const char *text)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("WF_FUZZ_TMP");
    snprintf(dir, sizeof dir, "%s/wf_fuzz_registry_XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(index_path, sizeof index_path, "%s/_index.yaml", dir);
    char p[4200];
    snprintf(p, sizeof p, "%s/wasm", dir);
    mkdir(p, 0755);
    put("m.wat", "(module (func (export \"run\") (param i32) (result i32) local.get 0))\n");
    put("m.wit", "run: func(x: s32) -> s32;\n");
    put("wasm/a.wat", "(module (func (export \"a\")))\n");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(index_path, "w");
    if (!f) abort();
    fwrite(data, 1, size, f);
    fclose(f);
    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(dir, &r);
    wf_error_free(e);
    if (r) {
        for (size_t i = 0; i < wf_registry_diag_count(r); i++) {
            const wf_reg_diag *d = wf_registry_diag(r, i);
            FUZZ_CHECK(d->file && d->message, "diagnostic %zu without a file or message", i);
            free(wf_reg_diag_format(d));
        }
        for (size_t i = 0; i < wf_registry_count(r); i++) {
            const wf_reg_entry *en = wf_registry_at(r, i);
            FUZZ_CHECK(wf_registry_get(r, en->id) == en, "entry %s not found by its id", en->id);
        }
    }
    wf_registry_free(r);
    return 0;
}
