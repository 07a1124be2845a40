/*
 * buf.c - the growable byte buffer and its binary-format writers.
 */
#include "base/buf.h"

void wf_buf_reserve(wf_buf *b, size_t n)
{
    if (b->len + n <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n) cap *= 2;
    b->data = wf_xrealloc(b->data, cap);
    b->cap = cap;
}

void wf_buf_free(wf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void wf_buf_byte(wf_buf *b, uint8_t x)
{
    wf_buf_reserve(b, 1);
    b->data[b->len++] = x;
}

void wf_buf_bytes(wf_buf *b, const void *p, size_t n)
{
    if (!n) return;
    wf_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void wf_buf_str(wf_buf *b, const char *s) { wf_buf_bytes(b, s, strlen(s)); }

void wf_buf_u64leb(wf_buf *b, uint64_t x)
{
    do {
        uint8_t byte = x & 0x7f;
        x >>= 7;
        wf_buf_byte(b, byte | (x ? 0x80 : 0));
    } while (x);
}

void wf_buf_u32leb(wf_buf *b, uint32_t x) { wf_buf_u64leb(b, x); }

void wf_buf_s64leb(wf_buf *b, int64_t x)
{
    for (;;) {
        uint8_t byte = x & 0x7f;
        x >>= 7; /* arithmetic shift: gcc and clang define it for signed values */
        bool done = (x == 0 && !(byte & 0x40)) || (x == -1 && (byte & 0x40));
        wf_buf_byte(b, byte | (done ? 0 : 0x80));
        if (done) return;
    }
}

void wf_buf_s32leb(wf_buf *b, int32_t x) { wf_buf_s64leb(b, x); }

void wf_buf_u32le(wf_buf *b, uint32_t x)
{
    uint8_t p[4] = { x, x >> 8, x >> 16, x >> 24 };
    wf_buf_bytes(b, p, 4);
}

void wf_buf_u64le(wf_buf *b, uint64_t x)
{
    wf_buf_u32le(b, (uint32_t)x);
    wf_buf_u32le(b, (uint32_t)(x >> 32));
}

void wf_buf_name(wf_buf *b, const char *s, size_t n)
{
    wf_buf_u32leb(b, (uint32_t)n);
    wf_buf_bytes(b, s, n);
}

uint8_t *wf_buf_take(wf_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p ? p : wf_xcalloc(1, 1);
}
