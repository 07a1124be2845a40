/*
 * syntax.h - HTTP's token rule (RFC 9110 §5.6.2): the one check of header
 * names and methods, shared by the outgoing client, Lua's `http` module and
 * the guests' wasi:http fields and requests.
 */
#ifndef WF_HTTP_SYNTAX_H
#define WF_HTTP_SYNTAX_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* True when s[0..n) is a non-empty token: letters, digits and !#$%&'*+-.^_`|~
 * (a NUL byte inside is not a token character). */
static inline bool wf_http_token(const char *s, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!c || (!isalnum(c) && !strchr("!#$%&'*+-.^_`|~", c))) return false;
    }
    return true;
}

#endif
