/*
 * utf8.c - decoding and checking well-formed UTF-8 (one copy for every
 * layer: decoder, text format, JSON, Lua), and encoding code points.
 */
#include "base/utf8.h"
#include "base/buf.h"

size_t wf_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    if (n == 0) return 0;
    uint8_t c = s[0];
    if (c < 0x80) {
        if (cp) *cp = c;
        return 1;
    }
    size_t len;
    uint32_t x, min;
    if ((c & 0xe0) == 0xc0) { len = 2; x = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { len = 3; x = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { len = 4; x = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        x = x << 6 | (s[i] & 0x3f);
    }
    if (x < min || x > 0x10ffff || (x >= 0xd800 && x <= 0xdfff)) return 0;
    if (cp) *cp = x;
    return len;
}

bool wf_utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = wf_utf8_decode(s + i, n - i, NULL);
        if (!len) return false;
        i += len;
    }
    return true;
}

size_t wf_utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

void wf_utf8_put(wf_buf *b, uint32_t cp)
{
    uint8_t u[4];
    wf_buf_bytes(b, u, wf_utf8_encode(cp, u));
}
