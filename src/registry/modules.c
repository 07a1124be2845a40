/*
 * modules.c - compiling function.wat / function.wasm entries once, at load:
 * the WAT text or the .wasm bytes (after verifying their sha256 against the
 * entry's `hash`), the `wit` signatures, and `method` as an exported function
 * (and a function of the wit, when there is one). A function.wasm whose
 * binary is a component (SPEC §2) is decoded, validated and compiled here
 * too, and `method` must name one of its exported functions (`f` or
 * `iface#f`). Positions in errors point into the YAML where the text is
 * inline.
 */
#include "registry/internal.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/sha256.h"
#include "component/cabi/cabi.h"
#include "component/component.h"
#include "wasm/module.h"
#include "component/wit/wit.h"
#include "runtime/runtime.h"

/* The YAML line of line `l` of an inline text node. */
static int text_line(const wf_reg_node *n, int l)
{
    if (l <= 0) return n->line;
    return n->block ? n->line + l : n->line + l - 1;
}

/* Where a position in a text field is, for messages: "line 3, column 5 of
 * the inline source" or "answer.wat:3:5" (file://). */
static char *text_pos(const wf_reg_node *n, const char *field, const char *fileref, int l, int c)
{
    if (n->from_file) return wf_xasprintf("%s:%d:%d", fileref, l, c);
    return wf_xasprintf("line %d, column %d of the inline %s", l, c, field);
}

static bool export_func(const wf_module *m, const char *name, char *list, size_t cap)
{
    size_t used = 0;
    list[0] = 0;
    uint32_t n = wf_module_export_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wf_export_desc d = wf_module_export(m, i);
        if (d.kind != WF_EXTERN_FUNC) continue;
        if (strlen(name) == d.name_len && !memcmp(d.name, name, d.name_len)) return true;
        int w = snprintf(list + used, cap - used, "%s%.*s", used ? ", " : "", (int)d.name_len, d.name);
        if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
    }
    return false;
}

/* SPEC §4: an import no host provides is a load error, at the entry's
 * source (function.wat) or path (function.wasm). */
static void check_imports(wf_registry *r, reg_entry *e)
{
    wf_error *err = wf_wasm_check_imports(e->pub.u.wasm.module);
    if (!err) return;
    const wf_reg_node *n = wf_reg_node_get(e->pub.node, e->pub.kind == WF_REG_FUNCTION_WAT ? "source" : "path");
    wf_reg_diagf(r, e->file, n ? n->line : e->pub.line, e->pub.id, "%s", err->message);
    wf_error_free(err);
}

static void check_method_and_wit(wf_registry *r, reg_entry *e)
{
    if (e->pub.u.wasm.module) check_imports(r, e);
    wf_reg_wasm *w = &e->pub.u.wasm;
    const wf_reg_node *n = e->pub.node;
    const wf_reg_node *mn = wf_reg_node_get(n, "method");
    int mline = mn ? mn->line : e->pub.line;
    if (w->module && !strchr(w->method, '#')) {
        char list[512];
        if (!export_func(w->module, w->method, list, sizeof list))
            wf_reg_diagf(r, e->file, mline, e->pub.id,
                     "method '%s' is not an exported function of the module (exported functions: %s)",
                     w->method, list[0] ? list : "none");
    } else if (w->module) {
        wf_reg_diagf(r, e->file, mline, e->pub.id,
                 "method '%s': interface methods (iface#func) need a component, and this is a core module",
                 w->method);
    }
    if (!w->wit) return;
    const wf_reg_node *wn = wf_reg_node_get(n, "wit");
    wf_error *err = wf_wit_parse(w->wit, strlen(w->wit), &w->wit_doc);
    if (err) {
        char *pos = text_pos(wn, "wit", wn->file_ref, err->line, err->col);
        wf_reg_diagf(r, e->file, wn->from_file ? wn->line : text_line(wn, err->line), e->pub.id,
                 "WIT error at %s: %s", pos, err->message);
        free(pos);
        wf_error_free(err);
        return;
    }
    const char *fname = strchr(w->method, '#') ? strchr(w->method, '#') + 1 : w->method;
    w->wit_func = wf_wit_find_func(w->wit_doc, fname);
    if (!w->wit_func) {
        wf_reg_diagf(r, e->file, mline, e->pub.id, "method '%s' is not declared in the wit", w->method);
        return;
    }
    /* The core export must have the flattened type of its WIT signature. */
    const wf_export *ex = wf_module_find_export(w->module, w->method, strlen(w->method));
    const wf_functype *ft = ex && ex->kind == WF_EXTERN_FUNC ? w->module->funcs[ex->index].type : NULL;
    if (ft) {
        wf_error *ce = wf_cabi_check_type(ft, w->wit_func);
        if (ce) {
            wf_reg_diagf(r, e->file, wn->line, e->pub.id, "method '%s' does not match its wit: %s", w->method,
                     ce->message);
            wf_error_free(ce);
        }
    }
}

static void compile_wat(wf_registry *r, reg_entry *e)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    const wf_reg_node *sn = wf_reg_node_get(e->pub.node, "source");
    wf_error *err = wf_module_from_wat(w->source, strlen(w->source), &w->module);
    if (err) {
        int line = sn->from_file ? sn->line : text_line(sn, err->line);
        char *pos = err->line > 0 ? text_pos(sn, "source", sn->file_ref, err->line, err->col)
                                  : wf_xstrdup("the source");
        wf_reg_diagf(r, e->file, line, e->pub.id, "WAT error at %s: %s", pos, err->message);
        free(pos);
        wf_error_free(err);
        w->module = NULL;
        return;
    }
    check_method_and_wit(r, e);
}

/* A component: its own types replace `wit` (so a `wit` field is an error,
 * not silently ignored), and `method` must be one of its functions. */
static void check_component_entry(wf_registry *r, reg_entry *e)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    const wf_reg_node *wn = wf_reg_node_get(e->pub.node, "wit");
    if (wn)
        wf_reg_diagf(r, e->file, wn->line, e->pub.id, "%s is a component: it carries its own types, "
                 "remove the `wit` field (it is for core modules)", w->path);
    wf_error *err = wf_component_method_check(w->component, w->method, NULL);
    if (err) {
        const wf_reg_node *mn = wf_reg_node_get(e->pub.node, "method");
        wf_reg_diagf(r, e->file, mn ? mn->line : e->pub.line, e->pub.id, "%s", err->message);
        wf_error_free(err);
    }
    if ((err = wf_component_check_imports(w->component))) {
        wf_reg_diagf(r, e->file, e->pub.line, e->pub.id, "%s: %s", w->path, err->message);
        wf_error_free(err);
    }
}

/* bytes (taken) become the component's: its core modules read them in
 * place. */
static void compile_component(wf_registry *r, reg_entry *e, uint8_t *bytes, size_t len,
                              int pline)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    wf_error *err = wf_component_new_owned(bytes, len, &w->component);
    if (err) {
        if (err->offset >= 0)
            wf_reg_diagf(r, e->file, pline, e->pub.id, "invalid component %s at byte offset %lld: %s",
                     w->path, (long long)err->offset, err->message);
        else
            wf_reg_diagf(r, e->file, pline, e->pub.id, "invalid component %s: %s", w->path,
                     err->message);
        wf_error_free(err);
        w->component = NULL;
        return;
    }
    wf_map_add(&r->binaries, w->hash, sizeof w->hash, e);
    check_component_entry(r, e);
}

/* An earlier entry compiled the same binary (same sha256): e borrows its
 * module or component (compiled once, freed with that entry) and gets its
 * own checks. False when there is none (or it failed: e then reports the
 * same error itself). */
static bool share_compiled(wf_registry *r, reg_entry *e)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    void *v;
    if (!wf_map_find(&r->binaries, w->hash, sizeof w->hash, &v)) return false;
    const wf_reg_wasm *first = &((reg_entry *)v)->pub.u.wasm;
    w->module = first->module;
    w->component = first->component;
    w->shared = true;
    if (w->component) check_component_entry(r, e);
    else check_method_and_wit(r, e);
    return true;
}

/* What tells one file from another, and a file from itself rewritten:
 * its device and inode, size, and modification and change times (the
 * change time cannot be set back by a writer). */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} file_id;

static void file_identity(const struct stat *st, file_id *id)
{
    memset(id, 0, sizeof *id);  /* the padding is part of the map key */
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime = st->st_mtim;
    id->ctime = st->st_ctim;
}

/* An earlier entry read this very file, unchanged since, and its sha256
 * was that entry's `hash`: e's hash is checked against it without reading
 * and hashing the file again (a 12 MB component costs ~20 ms of both), and
 * e shares the compiled binary. False when e must read the file itself
 * (the earlier entry's binary did not compile: e reports the error too). */
static bool verified_before(wf_registry *r, reg_entry *e, const file_id *id)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    void *v;
    if (!wf_map_find(&r->verified_files, id, sizeof *id, &v)) return false;
    const wf_reg_wasm *first = &((reg_entry *)v)->pub.u.wasm;
    if (memcmp(first->hash, w->hash, WF_SHA256_LEN)) {
        char exp[WF_SHA256_TEXT_LEN], act[WF_SHA256_TEXT_LEN];
        wf_sha256_format(w->hash, exp);
        wf_sha256_format(first->hash, act);
        wf_reg_diagf(r, e->file, wf_reg_node_get(e->pub.node, "hash")->line, e->pub.id,
                     "hash mismatch for %s: expected %s, actual %s", w->path, exp, act);
        return true;
    }
    return share_compiled(r, e);
}

static void compile_wasm(wf_registry *r, reg_entry *e)
{
    wf_reg_wasm *w = &e->pub.u.wasm;
    const wf_reg_node *n = e->pub.node;
    int pline = wf_reg_node_get(n, "path")->line;
    reg_entry *fs = wf_reg_find_any(r, w->fs);
    if (!fs || fs->pub.kind != WF_REG_FS_DIRECTORY || !fs->checked) return;  /* reported */
    const char *rel = w->path;
    while (*rel == '/') rel++;           /* "/x.wasm" is at the fs root */
    const char *why = NULL;
    w->file = *rel ? wf_reg_path_confined(fs->pub.u.fs.path, fs->pub.u.fs.path, rel, &why) : NULL;
    if (!w->file) {
        wf_reg_diagf(r, e->file, pline, e->pub.id, "path '%s': %s", w->path,
                 why ? (strstr(why, "project") ? "the path escapes the fs.directory" : why) : "empty path");
        return;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(w->file, &st) != 0 || !S_ISREG(st.st_mode)) {
        wf_reg_diagf(r, e->file, pline, e->pub.id, "cannot read %s in %s: %s", w->path, w->fs,
                 errno && stat(w->file, &st) != 0 ? strerror(errno) : "not a regular file");
        return;
    }
    file_id id;
    file_identity(&st, &id);
    if (verified_before(r, e, &id)) return;
    wf_error *err = wf_file_read(w->file, &bytes, &len);
    if (err) {
        wf_reg_diagf(r, e->file, pline, e->pub.id, "cannot read %s in %s", w->path, w->fs);
        wf_error_free(err);
        return;
    }
    uint8_t actual[WF_SHA256_LEN];
    err = wf_sha256(bytes, len, actual);
    if (err) {
        wf_reg_diagf(r, e->file, pline, e->pub.id, "%s", err->message);
        wf_error_free(err);
        free(bytes);
        return;
    }
    if (memcmp(actual, w->hash, WF_SHA256_LEN)) {
        char exp[WF_SHA256_TEXT_LEN], act[WF_SHA256_TEXT_LEN];
        wf_sha256_format(w->hash, exp);
        wf_sha256_format(actual, act);
        wf_reg_diagf(r, e->file, wf_reg_node_get(n, "hash")->line, e->pub.id,
                 "hash mismatch for %s: expected %s, actual %s", w->path, exp, act);
        free(bytes);
        return;
    }
    wf_map_add(&r->verified_files, &id, sizeof id, e);
    if (share_compiled(r, e)) {
        free(bytes);
        return;
    }
    if (wf_component_is_binary(bytes, len)) {
        compile_component(r, e, bytes, len, pline);
        return;
    }
    err = wf_module_new(bytes, len, &w->module);
    free(bytes);
    if (err) {
        if (err->offset >= 0)
            wf_reg_diagf(r, e->file, pline, e->pub.id, "invalid module %s at byte offset %lld: %s", w->path,
                     (long long)err->offset, err->message);
        else
            wf_reg_diagf(r, e->file, pline, e->pub.id, "invalid module %s: %s", w->path, err->message);
        wf_error_free(err);
        w->module = NULL;
        return;
    }
    wf_map_add(&r->binaries, w->hash, sizeof w->hash, e);
    check_method_and_wit(r, e);
}

void wf_reg_compile_entry(wf_registry *r, reg_entry *e)
{
    if (e->pub.kind == WF_REG_FUNCTION_WAT) compile_wat(r, e);
    else if (e->pub.kind == WF_REG_FUNCTION_WASM) compile_wasm(r, e);
}
