/*
 * buf.h - a growable byte buffer with writers for the WebAssembly binary
 * encoding (LEB128 integers, little-endian floats, names).
 */
#ifndef WF_BUF_H
#define WF_BUF_H

#include "base/base.h"

typedef struct wf_buf {
    uint8_t *data;
    size_t len, cap;
} wf_buf;

void wf_buf_reserve(wf_buf *b, size_t n);
void wf_buf_free(wf_buf *b);
void wf_buf_byte(wf_buf *b, uint8_t x);
void wf_buf_bytes(wf_buf *b, const void *p, size_t n);
void wf_buf_str(wf_buf *b, const char *s);      /* bytes of s, no terminator */
void wf_buf_u32leb(wf_buf *b, uint32_t x);
void wf_buf_u64leb(wf_buf *b, uint64_t x);
void wf_buf_s32leb(wf_buf *b, int32_t x);
void wf_buf_s64leb(wf_buf *b, int64_t x);
void wf_buf_u32le(wf_buf *b, uint32_t x);       /* fixed 4 bytes (f32 bits) */
void wf_buf_u64le(wf_buf *b, uint64_t x);       /* fixed 8 bytes (f64 bits) */
/* A name: its length as u32 LEB, then its bytes. */
void wf_buf_name(wf_buf *b, const char *s, size_t n);
/* Give the bytes to the caller (who frees them) and reset the buffer. */
uint8_t *wf_buf_take(wf_buf *b, size_t *len);

#endif
