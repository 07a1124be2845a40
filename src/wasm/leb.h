/*
 * leb.h - bounded reading of the WebAssembly binary encoding: bytes, LEB128
 * integers (with the spec's malformed checks), fixed-width little-endian
 * floats and sub-ranges, over a cursor that never reads past its end.
 *
 * Usage: every reader returns true on success; on failure it returns false
 * and records the first error in r->err (later failures keep the first one),
 * so a caller may chain reads and check once:
 *
 *   wf_reader r;
 *   wf_reader_init(&r, body, len, offset);   // offset: of body in the binary
 *   uint32_t n; int64_t bt;
 *   if (!wf_read_u32(&r, &n) || !wf_read_s33(&r, &bt)) return wf_reader_take_error(&r);
 *
 * The error belongs to the reader until taken with wf_reader_take_error;
 * a reader that still holds one must be given to wf_reader_dispose.
 * Messages are the spec's: "unexpected end" (or r->eof_msg, e.g.
 * "unexpected end of section or function" inside a section),
 * "integer representation too long", "integer too large"; all are
 * WF_ERR_MALFORMED at the binary offset where the problem was seen.
 */
#ifndef WF_LEB_H
#define WF_LEB_H

#include <stdarg.h>
#include <stdio.h>

#include "base/base.h"
#include "base/error.h"

typedef struct wf_reader {
    const uint8_t *p;       /* next byte to read */
    const uint8_t *end;     /* one past the last readable byte */
    const uint8_t *start;   /* the byte whose binary offset is `origin` */
    size_t origin;
    const char *eof_msg;    /* message when a read runs past end */
    wf_error *err;          /* the first error, or NULL */
} wf_reader;

#define WF_MSG_EOF          "unexpected end"
#define WF_MSG_EOF_SECTION  "unexpected end of section or function"

/* A reader over data[0..len) whose first byte is at binary offset origin. */
static inline void wf_reader_init(wf_reader *r, const uint8_t *data, size_t len, size_t origin)
{
    r->p = r->start = data;
    r->end = len ? data + len : data;   /* data may be NULL when len is 0 (no pointer arithmetic on NULL) */
    r->origin = origin;
    r->eof_msg = WF_MSG_EOF;
    r->err = NULL;
}

/* Binary offset of the next byte. */
static inline size_t wf_reader_offset(const wf_reader *r)
{
    return r->origin + (size_t)((uintptr_t)r->p - (uintptr_t)r->start);
}

static inline size_t wf_reader_left(const wf_reader *r) { return (size_t)(r->end - r->p); }
static inline bool wf_reader_eof(const wf_reader *r) { return r->p >= r->end; }

/* Give the recorded error to the caller (who frees it); NULL when none. */
static inline wf_error *wf_reader_take_error(wf_reader *r)
{
    wf_error *e = r->err;
    r->err = NULL;
    return e;
}

static inline void wf_reader_dispose(wf_reader *r)
{
    if (r->err) wf_error_free(r->err);
    r->err = NULL;
}

/* Record an error at binary offset `offset` (the first one wins); returns false. */
static inline bool WF_PRINTF(4, 5)
wf_reader_fail_at(wf_reader *r, size_t offset, wf_error_kind kind, const char *fmt, ...)
{
    if (r->err) return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->err = wf_error_at_offset(kind, (int64_t)offset, "%s", msg);
    return false;
}

/* Record an error at the current position; returns false. */
#define wf_reader_fail(r, kind, ...) \
    wf_reader_fail_at((r), wf_reader_offset(r), (kind), __VA_ARGS__)

static inline bool wf_reader_fail_eof(wf_reader *r)
{
    return wf_reader_fail(r, WF_ERR_MALFORMED, "%s", r->eof_msg);
}

/* On failure every reader still stores a value (zero) in *out, so callers
 * never see an indeterminate one. */
static inline bool wf_read_u8(wf_reader *r, uint8_t *out)
{
    *out = 0;
    if (WF_UNLIKELY(r->p >= r->end)) return wf_reader_fail_eof(r);
    *out = *r->p++;
    return true;
}

/* Look at the next byte without consuming it. */
static inline bool wf_peek_u8(wf_reader *r, uint8_t *out)
{
    *out = 0;
    if (WF_UNLIKELY(r->p >= r->end)) return wf_reader_fail_eof(r);
    *out = *r->p;
    return true;
}

/* n raw bytes: *out points into the reader's data. */
static inline bool wf_read_bytes(wf_reader *r, size_t n, const uint8_t **out)
{
    *out = r->p;
    if (WF_UNLIKELY(n > wf_reader_left(r))) return wf_reader_fail_eof(r);
    *out = r->p;
    r->p += n;
    return true;
}

static inline bool wf_reader_skip(wf_reader *r, size_t n)
{
    const uint8_t *dummy;
    return wf_read_bytes(r, n, &dummy);
}

/* A sub-reader over the next n bytes (consumed from r), with message eof_msg
 * when reading past its end. Its error, if any, must be taken separately. */
static inline bool wf_reader_sub(wf_reader *r, size_t n, const char *eof_msg, wf_reader *sub)
{
    const uint8_t *p;
    size_t at = wf_reader_offset(r);
    if (!wf_read_bytes(r, n, &p)) return false;
    wf_reader_init(sub, p, n, at);
    sub->eof_msg = eof_msg;
    return true;
}

/* LEB128 of at most ceil(bits/7) bytes. The unused high bits of the last
 * byte must be zero (unsigned) or copies of the sign bit (signed). */
static inline bool wf_read_leb_slow_(wf_reader *r, unsigned bits, bool is_signed, uint64_t *out)
{
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t result = 0;
    unsigned shift = 0;
    *out = 0;
    for (unsigned i = 0;; i++) {
        if (WF_UNLIKELY(r->p >= r->end)) return wf_reader_fail_eof(r);
        uint8_t b = *r->p++;
        if (i == maxbytes - 1) {
            /* the spec's order: unused payload bits first, then a
             * continuation bit on the last permitted byte */
            unsigned used = bits - shift;   /* payload bits of this byte, 1..7 */
            if (used < 7) {
                uint8_t extra = (uint8_t)(0x7f & ~((1u << used) - 1));
                uint8_t high = b & extra;
                bool ok;
                if (is_signed) {
                    bool neg = (b >> (used - 1)) & 1;
                    ok = high == (neg ? extra : 0);
                } else {
                    ok = high == 0;
                }
                if (!ok)
                    return wf_reader_fail_at(r, wf_reader_offset(r) - 1, WF_ERR_MALFORMED,
                                             "integer too large");
            }
            if (b & 0x80)
                return wf_reader_fail_at(r, wf_reader_offset(r), WF_ERR_MALFORMED,
                                         "integer representation too long");
            result |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            break;
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (is_signed && shift < 64 && (result >> (shift - 1)) & 1)
        result |= ~(uint64_t)0 << shift;
    if (is_signed && bits < 64) {
        /* keep the value sign-extended from `bits` (the extra bits of a full
         * last byte were checked to be copies of the sign) */
        int64_t v = (int64_t)(result << (64 - bits)) >> (64 - bits);
        result = (uint64_t)v;
    } else if (!is_signed && bits < 64) {
        result &= ((uint64_t)1 << bits) - 1;
    }
    *out = result;
    return true;
}

static inline bool wf_read_u32(wf_reader *r, uint32_t *out)
{
    if (WF_LIKELY(r->p < r->end && !(*r->p & 0x80))) {
        *out = *r->p++;
        return true;
    }
    uint64_t v = 0;
    bool ok = wf_read_leb_slow_(r, 32, false, &v);
    *out = (uint32_t)v;
    return ok;
}

static inline bool wf_read_s32(wf_reader *r, int32_t *out)
{
    if (WF_LIKELY(r->p < r->end && !(*r->p & 0x80))) {
        *out = (int32_t)((uint32_t)*r->p++ << 25) >> 25;
        return true;
    }
    uint64_t v = 0;
    bool ok = wf_read_leb_slow_(r, 32, true, &v);
    *out = (int32_t)(int64_t)v;
    return ok;
}

/* The signed 33-bit integer of block types (a type index when >= 0). */
static inline bool wf_read_s33(wf_reader *r, int64_t *out)
{
    uint64_t v = 0;
    bool ok = wf_read_leb_slow_(r, 33, true, &v);
    *out = (int64_t)v;
    return ok;
}

static inline bool wf_read_u64(wf_reader *r, uint64_t *out)
{
    return wf_read_leb_slow_(r, 64, false, out);
}

static inline bool wf_read_s64(wf_reader *r, int64_t *out)
{
    uint64_t v = 0;
    bool ok = wf_read_leb_slow_(r, 64, true, &v);
    *out = (int64_t)v;
    return ok;
}

/* Fixed-width little-endian: f32 and f64 bit patterns. */
static inline bool wf_read_f32(wf_reader *r, uint32_t *bits)
{
    *bits = 0;
    if (WF_UNLIKELY(wf_reader_left(r) < 4)) return wf_reader_fail_eof(r);
    const uint8_t *p = r->p;
    *bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    r->p += 4;
    return true;
}

static inline bool wf_read_f64(wf_reader *r, uint64_t *bits)
{
    *bits = 0;
    if (WF_UNLIKELY(wf_reader_left(r) < 8)) return wf_reader_fail_eof(r);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | r->p[i];
    *bits = v;
    r->p += 8;
    return true;
}

#endif
