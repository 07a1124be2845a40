/*
 * head_printf.c - the printf behind h2o's response heads, made cheap.
 *
 * h2o 2.2 prints the head of every HTTP/1.x response with one sprintf
 * ("HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\nContent-Length: %zu\r\n",
 * lib/http1.c flatten_headers). Debian builds libh2o with _FORTIFY_SOURCE,
 * so that is glibc's __sprintf_chk, whose vfprintf took ~2,000 instructions
 * (~0.5 µs on the bench machine: about 4% of the CPU of a served request,
 * docs/http-server.md "Fifth round"). This file defines __sprintf_chk for
 * the process (an executable's definition comes before libc's for every
 * library): a format of plain text, %d, %s, %zu and %% only, without
 * flags, widths or precisions, is printed here; every other goes to
 * glibc's own __vsprintf_chk, unchanged. Either way the output is the
 * same as glibc's, and a write past the buffer's known size aborts as
 * glibc's does (it is then glibc that prints it, and fails).
 *
 * The name is glibc's (the wf_ prefix rule cannot apply to a symbol that
 * must interpose); CMake pulls this file into every program that links
 * the HTTP server (--undefined=__sprintf_chk).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "http/http_int.h"

int __sprintf_chk(char *restrict s, int flag, size_t slen, const char *restrict format, ...);
int __vsprintf_chk(char *restrict s, int flag, size_t slen, const char *restrict format, va_list ap);

/* format printed into s (slen bytes, SIZE_MAX: unknown) if it is of the
 * simple kind and fits; else -1, with nothing promised about s. */
static int simple_format(char *s, size_t slen, const char *format, va_list ap)
{
    size_t o = 0;
    const char *f = format;
    for (;;) {
        /* Plain text up to the next conversion. */
        const char *pct = strchr(f, '%');
        size_t lit = pct ? (size_t)(pct - f) : strlen(f);
        if (lit >= slen - o) return -1;
        memcpy(s + o, f, lit);
        o += lit;
        if (!pct) break;
        f = pct + 1;
        char num[24];
        const char *piece;
        size_t len;
        if (*f == 'd') {
            int v = va_arg(ap, int);
            len = 0;
            unsigned long long m = (unsigned long long)v;
            if (v < 0) {
                num[len++] = '-';
                m = 0ull - (unsigned long long)(long long)v;
            }
            len = (size_t)(wf_http_put_decimal(num + len, m) - num);
            piece = num;
            f++;
        } else if (f[0] == 'z' && f[1] == 'u') {
            len = (size_t)(wf_http_put_decimal(num, va_arg(ap, size_t)) - num);
            piece = num;
            f += 2;
        } else if (*f == 's') {
            piece = va_arg(ap, const char *);
            if (!piece) return -1;          /* glibc's "(null)" */
            len = strlen(piece);
            f++;
        } else if (*f == '%') {
            piece = "%";
            len = 1;
            f++;
        } else {
            return -1;                      /* flags, widths, other conversions */
        }
        if (len >= slen - o) return -1;
        memcpy(s + o, piece, len);
        o += len;
    }
    if (o > INT_MAX) return -1;
    s[o] = 0;
    return (int)o;
}

int __sprintf_chk(char *restrict s, int flag, size_t slen, const char *restrict format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = slen ? simple_format(s, slen, format, ap) : -1;
    va_end(ap);
    if (n >= 0) return n;
    va_start(ap, format);
    n = __vsprintf_chk(s, flag, slen, format, ap);
    va_end(ap);
    return n;
}

bool wf_http_head_printf_active(void)
{
    return dlsym(RTLD_DEFAULT, "__sprintf_chk") == (void *)__sprintf_chk;
}
