/*
 * utf8.h - well-formed UTF-8, as the WebAssembly spec (names), the text
 * format, WIT strings, JSON and Lua strings all require it: no overlong
 * forms, no surrogates, nothing past U+10FFFF.
 */
#ifndef WF_UTF8_H
#define WF_UTF8_H

#include "base/base.h"

/* Length (1..4) of the well-formed sequence at s, with n bytes left; 0 when
 * it is not one (or n is 0). Its code point goes to *cp unless cp is NULL. */
size_t wf_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Is s[0..n) well-formed UTF-8? */
bool wf_utf8_valid(const uint8_t *s, size_t n);

#endif
