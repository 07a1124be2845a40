/*
 * body_in.c - a request body the server reads off an HTTP/1.x socket
 * itself, instead of h2o (which in 2.2 reads a whole body before it hands
 * the request over): what a head says of its body, the renaming of its
 * framing fields that makes h2o pass the head on at once, and the
 * decoding of Content-Length and chunked bodies (with trailers) as bytes
 * arrive, into the exchange (http_int.h). No socket here: server_h2o.c
 * feeds it what the socket read and says when to stop.
 *
 * Strict where a lax reading could be smuggled past: one Content-Length
 * or one chunked Transfer-Encoding, never both (h2o judges those heads);
 * chunk lines end in CRLF; a chunk size has at most 15 hex digits;
 * trailer fields are token names with visible values, no obs-fold.
 */
#include <ctype.h>
#include <strings.h>

#include "http/http_int.h"

/* A chunk line's extension is skipped; longer than this is not a client. */
#define MAX_CHUNK_LINE 4096

enum {
    CK_SIZE,        /* hex digits of a chunk size */
    CK_EXT,         /* ;extension until CR */
    CK_SIZE_LF,     /* the LF of the size line */
    CK_DATA,        /* the chunk's bytes (left of them) */
    CK_DATA_CR,     /* the CRLF after them */
    CK_DATA_LF,
    CK_TRAILER,     /* a trailer field line (or the blank line that ends them) */
    CK_DONE,
};

/* ---- the head -------------------------------------------------------------------------- */

static bool name_is(const char *p, size_t n, const char *want)
{
    return n == strlen(want) && !strncasecmp(p, want, n);
}

static const char *trim(const char *p, const char *end, size_t *n)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *n = (size_t)(end - p);
    return p;
}

bool wf_http_body_head_scan(const char *p, size_t head_len, http_body_head *h)
{
    memset(h, 0, sizeof *h);
    h->head_len = head_len;
    const char *end = p + head_len;
    /* h2o (picohttpparser) skips one empty line before a request. */
    if (head_len >= 2 && p[0] == '\r' && p[1] == '\n') p += 2;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol || eol == p || eol[-1] != '\r') return false;
    /* The request line's version: HTTP/1.1 may be chunked, HTTP/1.0 not. */
    if (eol - p < 12 || memcmp(eol - 10, " HTTP/1.", 8)) return false;
    char minor = eol[-2];
    if (minor != '0' && minor != '1') return false;
    int te = 0, cl = 0;
    for (const char *line = eol + 1; line < end;) {
        eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol || eol[-1] != '\r') return false;
        if (eol - 1 == line) break;   /* the blank line */
        if (*line == ' ' || *line == '\t') return false;   /* obs-fold: h2o's (and our 400) */
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon) return false;
        size_t nlen = (size_t)(colon - line), vlen;
        const char *v = trim(colon + 1, eol - 1, &vlen);
        if (name_is(line, nlen, "content-length")) {
            if (cl++ || !vlen || vlen > 15) return false;
            uint64_t len = 0;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9') return false;
                len = len * 10 + (uint64_t)(v[i] - '0');
            }
            h->has_length = true;
            h->length = len;
            h->framing_at[h->nframing++] = (size_t)(line - (end - head_len));
        } else if (name_is(line, nlen, "transfer-encoding")) {
            if (te++ || !name_is(v, vlen, "chunked")) return false;
            h->chunked = true;
            h->framing_at[h->nframing++] = (size_t)(line - (end - head_len));
        } else if (name_is(line, nlen, "expect")) {
            if (!name_is(v, vlen, "100-continue")) return false;
            h->expect_continue = true;
        } else if (name_is(line, nlen, "upgrade")) {
            return false;
        }
        line = eol + 1;
    }
    if (te && cl) return false;
    if (h->chunked) return minor == '1';
    return h->has_length && h->length > 0;
}

void wf_http_body_head_rename(char *p, const http_body_head *h)
{
    for (size_t i = 0; i < h->nframing; i++) {
        char *name = p + h->framing_at[i];
        /* Same length as the name it replaces (14 and 17 bytes). */
        if (h->chunked) memcpy(name, WF_HTTP_BODY_MARK "te-xx", 17);
        else memcpy(name, WF_HTTP_BODY_MARK "cl", 14);
    }
}

/* ---- the body ------------------------------------------------------------------------- */

void wf_http_body_reader_init(http_body_reader *r, const http_body_head *h, uint64_t limit,
                              size_t max_trailer_bytes)
{
    memset(r, 0, sizeof *r);
    r->chunked = h->chunked;
    r->left = h->chunked ? 0 : h->length;
    r->limit = limit;
    r->max_trailer_bytes = max_trailer_bytes;
    r->state = CK_SIZE;
}

void wf_http_body_reader_free(http_body_reader *r)
{
    wf_buf_free(&r->line);
}

static bool tchar(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c);
}

/* One trailer field line (no CRLF) into x's trailers; false: malformed. */
static bool take_trailer(wf_http_exchange *x, const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p) return false;
    for (const char *q = p; q < colon; q++)
        if (!tchar((unsigned char)*q)) return false;
    size_t vlen;
    const char *v = trim(colon + 1, p + n, &vlen);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    http_kv kv = { wf_xstrndup(p, (size_t)(colon - p)), wf_xstrndup(v, vlen) };
    for (char *c = kv.name; *c; c++) *c = (char)tolower((unsigned char)*c);
    wf_vec_push(&x->body_trailers, kv);
    return true;
}

static size_t fail(wf_http_exchange *x, wf_http_body_fail why, size_t used)
{
    x->body_fail = why;
    return used;
}

/* Body bytes to x, counted against the limit. */
static bool put(http_body_reader *r, wf_http_exchange *x, const uint8_t *p, size_t n)
{
    if (x->body_received + n > r->limit) {
        x->body_fail = WF_HTTP_BODY_TOO_LARGE;
        return false;
    }
    wf_buf_bytes(&x->body_in, p, n);
    x->body_received += n;
    return true;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (uint8_t)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t wf_http_body_feed_locked(http_body_reader *r, wf_http_exchange *x, const uint8_t *in, size_t n,
                                size_t room)
{
    if (x->body_ended || x->body_fail) return 0;
    if (!r->chunked) {
        size_t k = (size_t)WF_MIN((uint64_t)WF_MIN(n, room), r->left);
        if (!put(r, x, in, k)) return 0;
        r->left -= k;
        if (!r->left) x->body_ended = true;
        return k;
    }
    size_t i = 0;
    while (i < n && r->state != CK_DONE) {
        uint8_t c = in[i];
        switch (r->state) {
        case CK_SIZE: {
            int d = hexval(c);
            if (d >= 0) {
                if (r->line_len >= 15) return fail(x, WF_HTTP_BODY_MALFORMED, i);
                r->left = r->left * 16 + (uint64_t)d;
                r->line_len++;
                r->saw_digit = true;
            } else if (r->saw_digit && (c == ';' || c == ' ' || c == '\t')) {
                r->state = CK_EXT;
            } else if (r->saw_digit && c == '\r') {
                r->state = CK_SIZE_LF;
            } else {
                return fail(x, WF_HTTP_BODY_MALFORMED, i);
            }
            i++;
            break;
        }
        case CK_EXT:
            if (++r->line_len > MAX_CHUNK_LINE) return fail(x, WF_HTTP_BODY_MALFORMED, i);
            if (c == '\r') r->state = CK_SIZE_LF;
            else if (c == '\n') return fail(x, WF_HTTP_BODY_MALFORMED, i);
            i++;
            break;
        case CK_SIZE_LF:
            if (c != '\n') return fail(x, WF_HTTP_BODY_MALFORMED, i);
            i++;
            r->line_len = 0;
            r->saw_digit = false;
            if (!r->left) {
                r->state = CK_TRAILER;
                r->line.len = 0;
            } else if (x->body_received + r->left > r->limit) {
                /* Said before it is sent: fail now, not after reading it. */
                return fail(x, WF_HTTP_BODY_TOO_LARGE, i);
            } else {
                r->state = CK_DATA;
            }
            break;
        case CK_DATA: {
            if (!room) return i;   /* the window is full: the rest waits */
            size_t k = (size_t)WF_MIN((uint64_t)WF_MIN(n - i, room), r->left);
            if (!put(r, x, in + i, k)) return i;
            room -= k;
            r->left -= k;
            i += k;
            if (!r->left) r->state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            if (c != '\r') return fail(x, WF_HTTP_BODY_MALFORMED, i);
            r->state = CK_DATA_LF;
            i++;
            break;
        case CK_DATA_LF:
            if (c != '\n') return fail(x, WF_HTTP_BODY_MALFORMED, i);
            r->state = CK_SIZE;
            i++;
            break;
        case CK_TRAILER: {
            /* A line at a time, kept until its LF (bounded by the header limit). */
            const uint8_t *lf = memchr(in + i, '\n', n - i);
            size_t k = lf ? (size_t)(lf - (in + i)) + 1 : n - i;
            r->trailer_bytes += k;
            if (r->trailer_bytes > r->max_trailer_bytes) return fail(x, WF_HTTP_BODY_MALFORMED, i);
            wf_buf_bytes(&r->line, in + i, k);
            i += k;
            if (!lf) break;
            const char *line = (const char *)r->line.data;
            size_t len = r->line.len;
            if (len < 2 || line[len - 2] != '\r') return fail(x, WF_HTTP_BODY_MALFORMED, i);
            len -= 2;
            if (!len) {
                r->state = CK_DONE;
                x->body_ended = true;
                break;
            }
            if (line[0] == ' ' || line[0] == '\t' || !take_trailer(x, line, len))
                return fail(x, WF_HTTP_BODY_MALFORMED, i);
            r->line.len = 0;
            break;
        }
        }
    }
    return i;
}
