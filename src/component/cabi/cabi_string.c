/*
 * cabi_string.c - strings in guest memory in the three canonical encodings
 * (CanonicalABI.md load_string / store_string): utf8, utf16 (little-endian
 * code units, 2-aligned) and latin1+utf16 (Latin-1 bytes, or UTF-16 when the
 * length has WF_CABI_UTF16_TAG set).
 *
 * Host strings (wf_val) are always UTF-8 (wf_val_check checks), so a stored string's source is
 * UTF-8 of n bytes: the spec's allocation sequence for a utf8 source is
 * followed exactly (store_string_copy, store_utf8_to_utf16 and
 * store_string_to_latin1_or_utf16 with src_code_units = n), including the
 * worst-case allocation and the shrinking realloc, since a guest's realloc
 * may observe them.
 */
#include "component/cabi/cabi_int.h"
#include "base/error.h"
#include "base/utf8.h"

/* ---- Loading ------------------------------------------------------------------- */

/* Why s[0..n) is not UTF-8: the spec traps on any decode error; the text
 * says whether the input just stopped mid-sequence. */
static const char *utf8_problem(const uint8_t *s, size_t n, size_t *at)
{
    for (size_t i = 0; i < n;) {
        /* ASCII eight bytes a step (most strings are), the rest decoded. */
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull))) { i += 8; continue; }
        if (s[i] < 0x80) { i++; continue; }
        size_t len = wf_utf8_decode(s + i, n - i, NULL);
        if (len) { i += len; continue; }
        *at = i;
        uint8_t c = s[i];
        size_t need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool cont = need && n - i < need;
        for (size_t k = i + 1; cont && k < n; k++) cont = (s[k] & 0xc0) == 0x80;
        return cont ? "incomplete utf-8 byte sequence" : "invalid utf-8";
    }
    return NULL;
}

wf_error *wf_cabi_load_string(cabi_cx *cx, uint32_t ptr, uint32_t tagged, wf_val *out)
{
    wf_error *e = wf_cabi_need_memory(cx, "to pass a string");
    if (e) return e;
    uint32_t align = 1;
    uint64_t bytes = tagged;
    enum { UTF8, UTF16, LATIN1 } src = UTF8;
    switch (cx->enc) {
    case WF_CABI_UTF8: break;
    case WF_CABI_UTF16: align = 2; bytes = 2ull * tagged; src = UTF16; break;
    case WF_CABI_LATIN1_UTF16:
        align = 2;
        if (tagged & WF_CABI_UTF16_TAG) { bytes = 2ull * (tagged ^ WF_CABI_UTF16_TAG); src = UTF16; }
        else src = LATIN1;
        break;
    }
    const char *oob = cx->adapter ? "string content out-of-bounds"
                                  : "string pointer/length out of bounds of memory";
    if (bytes > WF_CABI_MAX_BYTES)
        return wf_cabi_trap(cx, oob, "%llu bytes is more than the maximum string size", (unsigned long long)bytes);
    if ((e = wf_cabi_check_range(cx, ptr, bytes, align, "unaligned pointer", oob))) return e;
    if ((e = wf_cabi_count_items(cx, 1 + bytes / 32))) return e;
    const uint8_t *s = wf_memory_data(cx->mem) + ptr;
    if (src == UTF8) {
        size_t at;
        const char *why = utf8_problem(s, bytes, &at);
        if (why) return wf_cabi_trap(cx, why, "at byte %zu of the string", at);
        *out = wf_val_string((const char *)s, bytes);
        return NULL;
    }
    wf_buf b = {0};
    if (src == LATIN1) {
        for (uint64_t i = 0; i < bytes; i++) wf_utf8_put(&b, s[i]);
    } else {
        uint64_t n = bytes / 2;
        for (uint64_t i = 0; i < n; i++) {
            uint32_t u = s[2 * i] | (uint32_t)s[2 * i + 1] << 8;
            if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
                uint32_t lo = s[2 * i + 2] | (uint32_t)s[2 * i + 3] << 8;
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    wf_utf8_put(&b, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
                    i++;
                    continue;
                }
            }
            if (u >= 0xd800 && u <= 0xdfff) {
                wf_buf_free(&b);
                return wf_cabi_trap(cx, "invalid utf-16", "unpaired surrogate 0x%x at code unit %llu",
                                 u, (unsigned long long)i);
            }
            wf_utf8_put(&b, u);
        }
    }
    *out = wf_val_string(b.len ? (const char *)b.data : "", b.len);
    wf_buf_free(&b);
    return NULL;
}

/* ---- Storing ------------------------------------------------------------------- */

/* Write the UTF-16LE code units of src[from..n) at dst; returns the bytes written. */
static uint32_t write_utf16(uint8_t *dst, const uint8_t *src, size_t from, size_t n)
{
    uint32_t k = 0;
    for (size_t i = from; i < n;) {
        uint32_t cp;
        i += wf_utf8_decode(src + i, n - i, &cp);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
            dst[k++] = (uint8_t)hi; dst[k++] = (uint8_t)(hi >> 8);
            dst[k++] = (uint8_t)lo; dst[k++] = (uint8_t)(lo >> 8);
        } else {
            dst[k++] = (uint8_t)cp; dst[k++] = (uint8_t)(cp >> 8);
        }
    }
    return k;
}

/* store_utf8_to_utf16 */
static wf_error *store_utf16(cabi_cx *cx, const uint8_t *src, uint32_t n, uint32_t *ptr, uint32_t *units)
{
    uint32_t worst = 2 * n, p;
    wf_error *e = wf_cabi_alloc(cx, 2, worst, "string", &p);
    if (e) return e;
    uint32_t len = write_utf16(wf_memory_data(cx->mem) + p, src, 0, n);
    if (len < worst && (e = wf_cabi_realloc(cx, p, worst, 2, len, "string", &p))) return e;
    *ptr = p;
    *units = len / 2;
    return NULL;
}

/* store_string_to_latin1_or_utf16 */
static wf_error *store_latin1_or_utf16(cabi_cx *cx, const uint8_t *src, uint32_t n, uint32_t *ptr,
                                       uint32_t *units)
{
    uint32_t p, dst = 0;
    wf_error *e = wf_cabi_alloc(cx, 2, n, "string", &p);
    if (e) return e;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = wf_utf8_decode(src + i, n - i, &cp);
        if (cp < 256) {
            wf_memory_data(cx->mem)[p + dst++] = (uint8_t)cp;
            i += len;
            continue;
        }
        /* a code point outside Latin-1: inflate what was copied in place to
         * UTF-16 in a worst-case buffer, then encode the rest */
        uint32_t worst = 2 * n;
        if ((e = wf_cabi_realloc(cx, p, n, 2, worst, "string", &p))) return e;
        uint8_t *m = wf_memory_data(cx->mem) + p;
        for (uint32_t j = dst; j-- > 0;) {
            m[2 * j] = m[j];
            m[2 * j + 1] = 0;
        }
        uint32_t total = 2 * dst + write_utf16(m + 2 * dst, src, i, n);
        if (worst > total && (e = wf_cabi_realloc(cx, p, worst, 2, total, "string", &p))) return e;
        *ptr = p;
        *units = total / 2 | WF_CABI_UTF16_TAG;
        return NULL;
    }
    if (dst < n && (e = wf_cabi_realloc(cx, p, n, 2, dst, "string", &p))) return e;
    *ptr = p;
    *units = dst;
    return NULL;
}

wf_error *wf_cabi_store_string(cabi_cx *cx, const wf_val *v, uint32_t *ptr, uint32_t *units)
{
    const uint8_t *src = (const uint8_t *)v->of.str.data;
    if (v->of.str.len > WF_CABI_MAX_BYTES)
        return wf_error_new(WF_ERR_LIMIT, "%s: string of %zu bytes is longer than the Canonical ABI "
                            "allows", wf_cabi_path(cx), v->of.str.len);
    uint32_t n = (uint32_t)v->of.str.len;
    switch (cx->enc) {
    case WF_CABI_UTF16: return store_utf16(cx, src, n, ptr, units);
    case WF_CABI_LATIN1_UTF16: return store_latin1_or_utf16(cx, src, n, ptr, units);
    case WF_CABI_UTF8: break;
    }
    wf_error *e = wf_cabi_alloc(cx, 1, n, "string", ptr);   /* store_string_copy */
    if (e) return e;
    if (n) memcpy(wf_memory_data(cx->mem) + *ptr, src, n);
    *units = n;
    return NULL;
}
