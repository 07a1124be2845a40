/*
 * wat_lex.c - tokens of the WebAssembly text format, and the conversions of
 * token text to strings, names, integers and floats (see wat_lex.h).
 */
#include "base/utf8.h"
#include "wasm/wat_lex.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

void wf_wat_lex_init(wf_wat_lexer *lx, const char *src, size_t len)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
    lx->line_start = 0;
}

static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static wf_error *lex_error(const wf_wat_lexer *lx, size_t at, const char *msg)
{
    /* at is on the current line (comments track lines as they go) */
    int col = (int)(at - lx->line_start) + 1;
    return wf_error_at_line(WF_ERR_MALFORMED, lx->line, col, "%s", msg);
}

/* A byte that may not appear where it is: say why. */
static wf_error *bad_char(const wf_wat_lexer *lx, size_t at)
{
    const uint8_t *p = (const uint8_t *)lx->src + at;
    if (p[0] >= 0x80 && !wf_utf8_decode(p, lx->len - at, NULL))
        return lex_error(lx, at, "malformed UTF-8 encoding");
    return lex_error(lx, at, "illegal character");
}

/* Skip the character at pos inside a comment: any well-formed UTF-8. */
static wf_error *comment_char(wf_wat_lexer *lx)
{
    const uint8_t *p = (const uint8_t *)lx->src + lx->pos;
    if (p[0] == '\n') {
        lx->pos++;
        lx->line++;
        lx->line_start = lx->pos;
        return NULL;
    }
    size_t l = wf_utf8_decode(p, lx->len - lx->pos, NULL);
    if (!l) return lex_error(lx, lx->pos, "malformed UTF-8 encoding");
    lx->pos += l;
    return NULL;
}

static wf_error *skip_block_comment(wf_wat_lexer *lx)
{
    size_t start = lx->pos;
    int start_line = lx->line;
    size_t start_ls = lx->line_start;
    size_t depth = 0;
    while (lx->pos < lx->len) {
        const char *s = lx->src + lx->pos;
        size_t left = lx->len - lx->pos;
        if (left >= 2 && s[0] == '(' && s[1] == ';') {
            depth++;
            lx->pos += 2;
        } else if (left >= 2 && s[0] == ';' && s[1] == ')') {
            lx->pos += 2;
            if (--depth == 0) return NULL;
        } else {
            wf_error *e = comment_char(lx);
            if (e) return e;
        }
    }
    return wf_error_at_line(WF_ERR_MALFORMED, start_line, (int)(start - start_ls) + 1,
                            "unclosed comment");
}

/* Skip whitespace and comments (not annotations). */
static wf_error *skip_space(wf_wat_lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        size_t left = lx->len - lx->pos;
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->pos++;
        } else if (c == '\n') {
            lx->pos++;
            lx->line++;
            lx->line_start = lx->pos;
        } else if (c == ';' && left >= 2 && lx->src[lx->pos + 1] == ';') {
            lx->pos += 2;
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n' && lx->src[lx->pos] != '\r') {
                wf_error *e = comment_char(lx);
                if (e) return e;
            }
        } else if (c == '(' && left >= 2 && lx->src[lx->pos + 1] == ';') {
            wf_error *e = skip_block_comment(lx);
            if (e) return e;
        } else {
            break;
        }
    }
    return NULL;
}

/* Scan a string starting at the quote at pos; leaves pos after the closing
 * quote. Checks characters and escapes. */
static wf_error *scan_string(wf_wat_lexer *lx)
{
    size_t start = lx->pos++;
    while (lx->pos < lx->len) {
        const uint8_t *p = (const uint8_t *)lx->src + lx->pos;
        size_t left = lx->len - lx->pos;
        if (p[0] == '"') {
            lx->pos++;
            return NULL;
        }
        if (p[0] == '\\') {
            if (left < 2) break;
            uint8_t e = p[1];
            if (strchr("tnr\"'\\", e) && e) {
                lx->pos += 2;
            } else if (e == 'u') {
                size_t i = 2;
                if (i >= left || p[i] != '{') return lex_error(lx, lx->pos, "malformed string escape");
                i++;
                uint32_t v = 0;
                bool any = false, prev_us = true, big = false;
                while (i < left && p[i] != '}') {
                    if (p[i] == '_' && !prev_us) { prev_us = true; i++; continue; }
                    int h = hexval(p[i]);
                    if (h < 0) return lex_error(lx, lx->pos, "malformed string escape");
                    if (v > 0x10FFFF) big = true;
                    v = v * 16 + (uint32_t)h;
                    any = true;
                    prev_us = false;
                    i++;
                }
                if (i >= left || !any || prev_us || big || v > 0x10FFFF ||
                    (v >= 0xD800 && v < 0xE000))
                    return lex_error(lx, lx->pos, "malformed string escape");
                lx->pos += i + 1;
            } else if (hexval(e) >= 0 && left >= 3 && hexval(p[2]) >= 0) {
                lx->pos += 3;
            } else {
                return lex_error(lx, lx->pos, "malformed string escape");
            }
            continue;
        }
        if (p[0] == '\n') break;
        if (p[0] < 0x20 || p[0] == 0x7F) return bad_char(lx, lx->pos);
        size_t l = wf_utf8_decode(p, left, NULL);
        if (!l) return lex_error(lx, lx->pos, "malformed UTF-8 encoding");
        lx->pos += l;
    }
    return lex_error(lx, start, "unclosed string");
}

/* Scan an atom: a maximal run of id characters and strings. */
static wf_error *scan_atom(wf_wat_lexer *lx, bool *has_string)
{
    *has_string = false;
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)lx->src[lx->pos];
        if (c == '"') {
            wf_error *e = scan_string(lx);
            if (e) return e;
            *has_string = true;
        } else if (is_idchar(c)) {
            lx->pos++;
        } else if (c && strchr(",;[]{}", c)) {
            /* reserved characters: only ever part of a reserved token */
            if (c == ';' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == ';') break;
            lx->pos++;
            *has_string = true;
        } else {
            break;
        }
    }
    return NULL;
}

/* The token at pos, without annotation handling. */
static wf_error *lex_raw(wf_wat_lexer *lx, wf_wat_token *tok)
{
    wf_error *e = skip_space(lx);
    if (e) return e;
    tok->offset = lx->pos;
    tok->text = lx->src + lx->pos;
    tok->line = lx->line;
    tok->col = (int)(lx->pos - lx->line_start) + 1;
    tok->len = 0;
    if (lx->pos >= lx->len) {
        tok->kind = WF_TOK_EOF;
        return NULL;
    }
    unsigned char c = (unsigned char)lx->src[lx->pos];
    if (c == '(' || c == ')') {
        tok->kind = c == '(' ? WF_TOK_LPAREN : WF_TOK_RPAREN;
        tok->len = 1;
        lx->pos++;
        return NULL;
    }
    if (c != '"' && !is_idchar(c) && !(c && strchr(",;[]{}", c))) return bad_char(lx, lx->pos);
    bool has_string;
    e = scan_atom(lx, &has_string);
    if (e) return e;
    tok->len = lx->pos - tok->offset;
    const char *t = tok->text;
    size_t n = tok->len;
    if (t[0] == '"') {
        /* exactly one string? */
        wf_wat_lexer sub;
        wf_wat_lex_init(&sub, t, n);
        e = scan_string(&sub);
        if (e) { wf_error_free(e); tok->kind = WF_TOK_RESERVED; return NULL; }
        tok->kind = sub.pos == n ? WF_TOK_STRING : WF_TOK_RESERVED;
        return NULL;
    }
    if (t[0] == '$') {
        if (n == 1) return lex_error(lx, tok->offset, "empty identifier");
        if (t[1] == '"') {
            wf_wat_lexer sub;
            wf_wat_lex_init(&sub, t + 1, n - 1);
            e = scan_string(&sub);
            if (e || sub.pos != n - 1) {
                wf_error_free(e);
                tok->kind = WF_TOK_RESERVED;
                return NULL;
            }
            wf_buf b = {0};
            wf_wat_string_decode(t + 1, n - 1, &b);
            bool ok = wf_utf8_valid(b.data, b.len), empty = b.len == 0;
            wf_buf_free(&b);
            if (empty) return lex_error(lx, tok->offset, "empty identifier");
            if (!ok) return lex_error(lx, tok->offset, "malformed UTF-8 encoding");
            tok->kind = WF_TOK_ID;
            return NULL;
        }
        tok->kind = has_string ? WF_TOK_RESERVED : WF_TOK_ID;
        return NULL;
    }
    if (has_string) tok->kind = WF_TOK_RESERVED;
    else if (wf_wat_is_int(t, n) || wf_wat_is_float(t, n)) tok->kind = WF_TOK_NUMBER;
    else if (c >= 'a' && c <= 'z') tok->kind = WF_TOK_KEYWORD;
    else tok->kind = WF_TOK_RESERVED;
    return NULL;
}

/* Skip an annotation whose "(" is tok; pos is after the "(". */
static wf_error *skip_annotation(wf_wat_lexer *lx, const wf_wat_token *open)
{
    lx->pos++; /* the @ */
    size_t idstart = lx->pos;
    bool has_string;
    if (lx->pos >= lx->len ||
        !(is_idchar((unsigned char)lx->src[lx->pos]) || lx->src[lx->pos] == '"'))
        return lex_error(lx, idstart - 1, "empty annotation id");
    wf_error *e = scan_atom(lx, &has_string);
    if (e) return e;
    if (has_string) {
        const char *t = lx->src + idstart;
        size_t n = lx->pos - idstart;
        wf_wat_lexer sub;
        wf_wat_lex_init(&sub, t, n);
        e = scan_string(&sub);
        if (e || sub.pos != n) {
            wf_error_free(e);
            return lex_error(lx, idstart, "empty annotation id");
        }
        wf_buf b = {0};
        wf_wat_string_decode(t, n, &b);
        bool ok = wf_utf8_valid(b.data, b.len), empty = b.len == 0;
        wf_buf_free(&b);
        if (empty) return lex_error(lx, idstart, "empty annotation id");
        if (!ok) return lex_error(lx, idstart, "malformed UTF-8 encoding");
    }
    size_t depth = 1;
    while (depth > 0) {
        wf_wat_token t;
        e = lex_raw(lx, &t);
        if (e) return e;
        if (t.kind == WF_TOK_EOF)
            return wf_error_at_line(WF_ERR_MALFORMED, open->line, open->col,
                                    "unclosed annotation");
        if (t.kind == WF_TOK_LPAREN) depth++;
        else if (t.kind == WF_TOK_RPAREN) depth--;
    }
    return NULL;
}

wf_error *wf_wat_lex_next(wf_wat_lexer *lx, wf_wat_token *tok)
{
    for (;;) {
        wf_error *e = lex_raw(lx, tok);
        if (e) return e;
        if (tok->kind == WF_TOK_LPAREN && lx->pos < lx->len && lx->src[lx->pos] == '@') {
            e = skip_annotation(lx, tok);
            if (e) return e;
            continue;
        }
        return NULL;
    }
}

const char *wf_wat_tok_kind_name(wf_wat_tok_kind kind)
{
    switch (kind) {
    case WF_TOK_EOF: return "end of input";
    case WF_TOK_LPAREN: return "(";
    case WF_TOK_RPAREN: return ")";
    case WF_TOK_KEYWORD: return "keyword";
    case WF_TOK_ID: return "identifier";
    case WF_TOK_STRING: return "string";
    case WF_TOK_NUMBER: return "number";
    case WF_TOK_RESERVED: return "reserved token";
    }
    return "token";
}

bool wf_wat_tok_is(const wf_wat_token *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == WF_TOK_KEYWORD && t->len == n && memcmp(t->text, kw, n) == 0;
}

/* ---- Strings ----------------------------------------------------------- */

bool wf_wat_string_decode(const char *text, size_t len, wf_buf *out)
{
    if (len < 2 || text[0] != '"' || text[len - 1] != '"') return false;
    const uint8_t *p = (const uint8_t *)text + 1;
    const uint8_t *end = (const uint8_t *)text + len - 1;
    while (p < end) {
        if (*p != '\\') {
            wf_buf_byte(out, *p++);
            continue;
        }
        if (end - p < 2) return false;
        uint8_t e = p[1];
        p += 2;
        switch (e) {
        case 't': wf_buf_byte(out, '\t'); continue;
        case 'n': wf_buf_byte(out, '\n'); continue;
        case 'r': wf_buf_byte(out, '\r'); continue;
        case '"': wf_buf_byte(out, '"'); continue;
        case '\'': wf_buf_byte(out, '\''); continue;
        case '\\': wf_buf_byte(out, '\\'); continue;
        case 'u': {
            if (p >= end || *p != '{') return false;
            p++;
            uint32_t v = 0;
            bool any = false;
            while (p < end && *p != '}') {
                if (*p == '_') { p++; continue; }
                int h = hexval(*p++);
                if (h < 0 || v > 0x10FFFF) return false;
                v = v * 16 + (uint32_t)h;
                any = true;
            }
            if (p >= end || !any || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
            p++;
            wf_utf8_put(out, v);
            continue;
        }
        default: {
            int h1 = hexval(e), h2 = p < end ? hexval(*p) : -1;
            if (h1 < 0 || h2 < 0) return false;
            p++;
            wf_buf_byte(out, (uint8_t)(h1 * 16 + h2));
            continue;
        }
        }
    }
    return true;
}

bool wf_wat_id_name(const wf_wat_token *t, wf_buf *out)
{
    if (t->kind != WF_TOK_ID || t->len < 2) return false;
    if (t->text[1] == '"') return wf_wat_string_decode(t->text + 1, t->len - 1, out);
    wf_buf_bytes(out, t->text + 1, t->len - 1);
    return true;
}

/* ---- Numbers ----------------------------------------------------------- */

/* Scan digits with single underscores between them; NULL if none or bad. */
static const char *scan_digits(const char *p, const char *end, bool hex)
{
    const char *start = p;
    bool prev_digit = false;
    while (p < end) {
        if (*p == '_') {
            if (!prev_digit) return NULL;
            prev_digit = false;
        } else if (hex ? hexval((unsigned char)*p) >= 0 : (*p >= '0' && *p <= '9')) {
            prev_digit = true;
        } else {
            break;
        }
        p++;
    }
    if (p == start || !prev_digit) return NULL;
    return p;
}

static bool has_hex_prefix(const char *p, const char *end)
{
    return end - p >= 2 && p[0] == '0' && p[1] == 'x';
}

bool wf_wat_is_int(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    if (p < end && (*p == '+' || *p == '-')) p++;
    bool hex = has_hex_prefix(p, end);
    if (hex) p += 2;
    p = scan_digits(p, end, hex);
    return p == end;
}

/* Check float syntax; on success, write a strtod-ready copy (no underscores)
 * to *clean (malloc'd, caller frees) if clean is not NULL. */
static bool float_syntax(const char *text, size_t len, char **clean)
{
    const char *p = text, *end = text + len;
    if (p < end && (*p == '+' || *p == '-')) p++;
    size_t rest = (size_t)(end - p);
    if ((rest == 3 && !memcmp(p, "inf", 3)) || (rest == 3 && !memcmp(p, "nan", 3))) goto ok;
    if (rest > 6 && !memcmp(p, "nan:0x", 6)) {
        if (scan_digits(p + 6, end, true) != end) return false;
        goto ok;
    }
    bool hex = has_hex_prefix(p, end);
    if (hex) p += 2;
    p = scan_digits(p, end, hex);
    if (!p) return false;
    if (p < end && *p == '.') {
        p++;
        bool exp = p < end && (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'));
        if (p < end && !exp) {
            p = scan_digits(p, end, hex);
            if (!p) return false;
        }
    }
    if (p < end && (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'))) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        p = scan_digits(p, end, false);
        if (!p) return false;
    }
    if (p != end) return false;
ok:
    if (clean) {
        char *c = wf_xmalloc(len + 1);
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
            if (text[i] != '_') c[n++] = text[i];
        c[n] = 0;
        *clean = c;
    }
    return true;
}

bool wf_wat_is_float(const char *text, size_t len)
{
    return float_syntax(text, len, NULL);
}

/* Magnitude and sign of an integer literal; false on syntax or > 2^64-1. */
static bool parse_int(const char *text, size_t len, bool *neg, bool *signed_, uint64_t *mag)
{
    if (!wf_wat_is_int(text, len)) return false;
    const char *p = text, *end = text + len;
    *neg = false;
    *signed_ = false;
    if (*p == '+' || *p == '-') {
        *neg = *p == '-';
        *signed_ = true;
        p++;
    }
    bool hex = has_hex_prefix(p, end);
    if (hex) p += 2;
    uint64_t v = 0, base = hex ? 16 : 10;
    for (; p < end; p++) {
        if (*p == '_') continue;
        uint64_t d = (uint64_t)hexval((unsigned char)*p);
        if (v > (UINT64_MAX - d) / base) return false;
        v = v * base + d;
    }
    *mag = v;
    return true;
}

bool wf_wat_num_u32(const char *text, size_t len, uint32_t *out)
{
    uint64_t v;
    if (!wf_wat_num_u64(text, len, &v) || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

bool wf_wat_num_u64(const char *text, size_t len, uint64_t *out)
{
    bool neg, sg;
    uint64_t v;
    if (!parse_int(text, len, &neg, &sg, &v) || sg) return false;
    *out = v;
    return true;
}

bool wf_wat_num_i32(const char *text, size_t len, uint32_t *out)
{
    bool neg, sg;
    uint64_t v;
    if (!parse_int(text, len, &neg, &sg, &v)) return false;
    if (neg ? v > 0x80000000u : v > UINT32_MAX) return false;
    *out = neg ? (uint32_t)(0u - (uint32_t)v) : (uint32_t)v;
    return true;
}

bool wf_wat_num_i64(const char *text, size_t len, uint64_t *out)
{
    bool neg, sg;
    uint64_t v;
    if (!parse_int(text, len, &neg, &sg, &v)) return false;
    if (neg && v > 0x8000000000000000ull) return false;
    *out = neg ? 0ull - v : v;
    return true;
}

/* nan, nan:0x.., inf with a sign; returns true when text was one of them. */
static bool special_float(const char *c, bool *neg, int *what, uint64_t *payload)
{
    *neg = false;
    if (*c == '+' || *c == '-') *neg = *c++ == '-';
    *payload = 0;
    if (!strcmp(c, "inf")) { *what = 1; return true; }
    if (!strcmp(c, "nan")) { *what = 2; return true; }
    if (!strncmp(c, "nan:0x", 6)) {
        *what = 3;
        uint64_t v = 0;
        for (c += 6; *c; c++) {
            if (v >> 60) { v = UINT64_MAX; break; }
            v = v * 16 + (uint64_t)hexval((unsigned char)*c);
        }
        *payload = v;
        return true;
    }
    return false;
}

bool wf_wat_num_f32(const char *text, size_t len, uint32_t *bits)
{
    char *c;
    if (!float_syntax(text, len, &c)) return false;
    bool neg, ok = true;
    int what;
    uint64_t payload;
    uint32_t sign;
    if (special_float(c, &neg, &what, &payload)) {
        sign = neg ? 0x80000000u : 0;
        if (what == 1) *bits = sign | 0x7F800000u;
        else if (what == 2) *bits = sign | 0x7FC00000u;
        else if (payload == 0 || payload > 0x7FFFFF) ok = false;
        else *bits = sign | 0x7F800000u | (uint32_t)payload;
    } else {
        errno = 0;
        char *endp;
        float f = strtof(c, &endp);
        if (*endp || isinf(f)) ok = false;
        else memcpy(bits, &f, 4);
    }
    free(c);
    return ok;
}

bool wf_wat_num_f64(const char *text, size_t len, uint64_t *bits)
{
    char *c;
    if (!float_syntax(text, len, &c)) return false;
    bool neg, ok = true;
    int what;
    uint64_t payload;
    uint64_t sign;
    if (special_float(c, &neg, &what, &payload)) {
        sign = neg ? 0x8000000000000000ull : 0;
        if (what == 1) *bits = sign | 0x7FF0000000000000ull;
        else if (what == 2) *bits = sign | 0x7FF8000000000000ull;
        else if (payload == 0 || payload > 0xFFFFFFFFFFFFFull) ok = false;
        else *bits = sign | 0x7FF0000000000000ull | payload;
    } else {
        char *endp;
        double d = strtod(c, &endp);
        if (*endp || isinf(d)) ok = false;
        else memcpy(bits, &d, 8);
    }
    free(c);
    return ok;
}
