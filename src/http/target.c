/*
 * target.c - the path a request is routed by, made from its request-target
 * as sent (RFC 9112 §3.2): origin-form "/a/b?q", or absolute-form
 * "http://host/a/b?q", which a server must accept too.
 *
 * The path stays percent-encoded: a %2F is a character of its segment, not
 * a separator, and the router decodes a {param} or {rest...} exactly once.
 * (h2o's own normalized path decodes every escape: %2F split segments, and
 * decoding its %25 again read "%2520" as a space and "%2500" as a NUL that
 * cut a file name short.) Only escapes of unreserved characters are decoded
 * (RFC 3986 §6.2.2.2: /p%69ng is /ping, %2e%2e is ..), then "." and ".."
 * segments are removed (§5.2.4), never climbing above the root. %00 has no
 * place in a path and is refused, and neither has a "#fragment" in a
 * request-target.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 §5.2.4 on buf[0..n) (starting with '/'), in place; returns the
 * length (never longer: what is written stays behind what is read). */
static size_t remove_dot_segments(char *buf, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t s = i + 1, e = s;
        while (e < n && buf[e] != '/') e++;
        size_t len = e - s;
        bool last = e >= n;
        if ((len == 1 && buf[s] == '.') || (len == 2 && buf[s] == '.' && buf[s + 1] == '.')) {
            if (len == 2)
                while (o > 0 && buf[--o] != '/') {}   /* drop the last "/segment" */
            if (last) buf[o++] = '/';                 /* "/a/.." is "/a/", not "/a" */
        } else {
            buf[o++] = '/';
            memmove(buf + o, buf + s, len);
            o += len;
        }
        i = e;
    }
    if (!o) buf[o++] = '/';
    return o;
}

int wf_http_target_path(const char *target, size_t n, char *out, size_t *out_len)
{
    *out_len = 0;
    out[0] = 0;
    /* A fragment is the client's own (RFC 9112 3.2: never sent). */
    if (memchr(target, '#', n)) return 400;
    const char *q = memchr(target, '?', n);
    if (q) n = (size_t)(q - target);
    const char *p = target;
    if (n && p[0] != '/') {
        /* absolute-form: the path after the authority ("/" when none) */
        size_t skip = 0;
        if (n >= 7 && !strncasecmp(p, "http://", 7)) skip = 7;
        else if (n >= 8 && !strncasecmp(p, "https://", 8)) skip = 8;
        if (!skip) return 400;
        const char *slash = memchr(p + skip, '/', n - skip);
        if (!slash) {
            p = "/";
            n = 1;
        } else {
            n -= (size_t)(slash - p);
            p = slash;
        }
    }
    if (!n) return 400;
    /* Decoded into out, then its dot segments removed there (a path
     * without a '.' has none: the common case is one pass). */
    size_t d = 0;
    bool dots = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == 0x7f) return 400;      /* h2o lets some through */
        if (c != '%') {
            dots |= c == '.';
            out[d++] = (char)c;
            continue;
        }
        int a = i + 2 < n ? hex_digit(p[i + 1]) : -1, b = i + 2 < n ? hex_digit(p[i + 2]) : -1;
        if (a < 0 || b < 0 || (a == 0 && b == 0)) return 400;
        unsigned char v = (unsigned char)(a * 16 + b);
        if (unreserved(v)) {
            dots |= v == '.';
            out[d++] = (char)v;
        } else {
            memcpy(out + d, p + i, 3);
            d += 3;
        }
        i += 2;
    }
    if (dots) d = remove_dot_segments(out, d);
    out[d] = 0;
    *out_len = d;
    return 0;
}
