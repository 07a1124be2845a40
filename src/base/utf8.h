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

/* The UTF-8 bytes of code point cp (at most 0x10ffff; the caller rejects
 * surrogates where they matter) into out; returns their count, 1..4. */
size_t wf_utf8_encode(uint32_t cp, uint8_t out[4]);

/* Append cp's UTF-8 bytes to b. */
struct wf_buf;
void wf_utf8_put(struct wf_buf *b, uint32_t cp);

/* Is s[0..n) well-formed UTF-8? */
bool wf_utf8_valid(const uint8_t *s, size_t n);

#endif
