/*
 * alloc.c - checked allocation. Running out of memory is the one condition
 * that ends the process; every size derived from input is bounded first.
 */
#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>

WF_NORETURN static void out_of_memory(size_t n)
{
    fprintf(stderr, "wasmfn: out of memory allocating %zu bytes\n", n);
    abort();
}

void *wf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *wf_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size);
    return p;
}

void *wf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *wf_xstrdup(const char *s)
{
    return wf_xstrndup(s, strlen(s));
}

char *wf_xstrndup(const char *s, size_t n)
{
    char *p = wf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *wf_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) out_of_memory(strlen(fmt));
    va_end(ap);
    return s;
}
