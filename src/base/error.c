/*
 * error.c - constructing, formatting and freeing wf_error values.
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

static wf_error *error_vnew(wf_error_kind kind, const char *fmt, va_list ap)
{
    wf_error *e = wf_xcalloc(1, sizeof *e);
    e->kind = kind;
    e->offset = -1;
    if (vasprintf(&e->message, fmt, ap) < 0) e->message = wf_xstrdup(fmt);
    return e;
}

wf_error *wf_error_new(wf_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_error *e = error_vnew(kind, fmt, ap);
    va_end(ap);
    return e;
}

wf_error *wf_error_at_offset(wf_error_kind kind, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_error *e = error_vnew(kind, fmt, ap);
    va_end(ap);
    e->offset = offset;
    return e;
}

wf_error *wf_error_at_line(wf_error_kind kind, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wf_error *e = error_vnew(kind, fmt, ap);
    va_end(ap);
    e->line = line;
    e->col = col;
    return e;
}

wf_error *wf_error_wrap(wf_error *e, const char *fmt, ...)
{
    if (!e) return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = NULL;
    if (vasprintf(&ctx, fmt, ap) < 0) ctx = NULL;
    va_end(ap);
    if (ctx) {
        char *m = wf_xasprintf("%s: %s", ctx, e->message);
        free(ctx);
        free(e->message);
        e->message = m;
    }
    return e;
}

void wf_error_free(wf_error *e)
{
    if (!e) return;
    free(e->message);
    free(e->file);
    free(e->trace);
    free(e->wippy_kind);
    free(e->details);
    free(e);
}

const char *wf_error_kind_name(wf_error_kind kind)
{
    static const char *const names[] = {
        [WF_ERR_INVALID] = "INVALID",     [WF_ERR_MALFORMED] = "MALFORMED",
        [WF_ERR_UNLINKABLE] = "UNLINKABLE", [WF_ERR_NOT_FOUND] = "NOT_FOUND",
        [WF_ERR_TIMEOUT] = "TIMEOUT",     [WF_ERR_TRAP] = "TRAP",
        [WF_ERR_LIMIT] = "LIMIT",         [WF_ERR_INTERNAL] = "INTERNAL",
        [WF_ERR_IO] = "IO",               [WF_ERR_UNSUPPORTED] = "UNSUPPORTED",
        [WF_ERR_EXIT] = "EXIT",
    };
    if ((unsigned)kind < WF_COUNT(names) && names[kind]) return names[kind];
    return "INTERNAL";
}

char *wf_error_format(const wf_error *e)
{
    const char *file = e->file ? e->file : "";
    const char *sep = e->file ? ":" : "";
    if (e->line > 0)
        return wf_xasprintf("%s%s%d:%d: %s", file, sep, e->line, e->col, e->message);
    if (e->offset >= 0)
        return wf_xasprintf("%s%soffset 0x%llx: %s", file, e->file ? ": " : "",
                            (unsigned long long)e->offset, e->message);
    if (e->file) return wf_xasprintf("%s: %s", file, e->message);
    return wf_xstrdup(e->message);
}
