/*
 * base.h - what every wasmfn source file includes: standard headers, the
 * allocation wrappers (which abort only on out-of-memory, never on bad input)
 * and a few portable macros.
 */
#ifndef WF_BASE_H
#define WF_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WF_LIKELY(x)   __builtin_expect(!!(x), 1)
#define WF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WF_COUNT(a)    (sizeof(a) / sizeof((a)[0]))
#define WF_MIN(a, b)   ((a) < (b) ? (a) : (b))
#define WF_MAX(a, b)   ((a) > (b) ? (a) : (b))
#define WF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WF_NORETURN    __attribute__((noreturn))

/* Allocation: these abort with a message when memory is exhausted. Callers
 * must bound sizes that come from untrusted input before allocating. */
void *wf_xmalloc(size_t n);
void *wf_xcalloc(size_t count, size_t size);
void *wf_xrealloc(void *p, size_t n);
char *wf_xstrdup(const char *s);
char *wf_xstrndup(const char *s, size_t n);
char *wf_xasprintf(const char *fmt, ...) WF_PRINTF(1, 2);

#endif
