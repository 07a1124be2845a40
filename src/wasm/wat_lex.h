/*
 * wat_lex.h - the lexer of the WebAssembly text format (and of .wast
 * scripts, which share its tokens), plus the helpers that turn token text
 * into values: strings with escapes, identifiers, integers and floats.
 *
 * The lexer never allocates: a token points into the source. Whitespace,
 * `;;` line comments, nested `(; ;)` block comments and annotations
 * `(@name ...)` (balanced) are skipped. Every token carries its byte offset
 * and its 1-based line and column, so a caller can cut the source span of a
 * whole s-expression: from the offset of its `(` to the end of its `)`.
 *
 * Use:
 *     wf_wat_lexer lx;
 *     wf_wat_lex_init(&lx, text, len);
 *     wf_wat_token t;
 *     while (!(err = wf_wat_lex_next(&lx, &t)) && t.kind != WF_TOK_EOF) ...
 */
#ifndef WF_WAT_LEX_H
#define WF_WAT_LEX_H

#include "base/buf.h"
#include "base/error.h"

typedef enum wf_wat_tok_kind {
    WF_TOK_EOF,
    WF_TOK_LPAREN,   /* ( */
    WF_TOK_RPAREN,   /* ) */
    WF_TOK_KEYWORD,  /* starts with a-z: module, i32.add, offset=4, ... */
    WF_TOK_ID,       /* $name or $"name": text includes the $ */
    WF_TOK_STRING,   /* "...": text includes the quotes, escapes undecoded */
    WF_TOK_NUMBER,   /* syntactically an integer or a float (inf, nan, nan:0x..) */
    WF_TOK_RESERVED, /* any other run of id characters: always a syntax error */
} wf_wat_tok_kind;

typedef struct wf_wat_token {
    wf_wat_tok_kind kind;
    const char *text;    /* points into the source; not NUL-terminated */
    size_t len;
    size_t offset;       /* byte offset of text in the source */
    int line, col;       /* 1-based; col counts bytes */
} wf_wat_token;

typedef struct wf_wat_lexer {
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start;   /* offset of the first byte of the current line */
} wf_wat_lexer;

void wf_wat_lex_init(wf_wat_lexer *lx, const char *src, size_t len);

/* Read the next token into *tok (WF_TOK_EOF at the end, with offset = len).
 * Errors (WF_ERR_MALFORMED, with line:col): "illegal character",
 * "malformed UTF-8 encoding", "unclosed string", "unclosed comment",
 * "unclosed annotation", "empty annotation id", "empty identifier",
 * "malformed string escape". The caller owns the error. */
wf_error *wf_wat_lex_next(wf_wat_lexer *lx, wf_wat_token *tok);

/* A token kind's name for messages ("(", "keyword", "string", ...). */
const char *wf_wat_tok_kind_name(wf_wat_tok_kind kind);

/* True when the token is the keyword kw. */
bool wf_wat_tok_is(const wf_wat_token *t, const char *kw);

/* ---- Strings and names ------------------------------------------------- */

/* Decode a string token's text (with its quotes) into bytes, appended to
 * out: escapes \t \n \r \" \' \\ \hh \u{...}. False when the text is not a
 * well-formed string (the lexer already rejects those). */
bool wf_wat_string_decode(const char *text, size_t len, wf_buf *out);

/* The name of an identifier token ($abc or $"a b"), without the $, decoded,
 * appended to out. Both spellings of the same name give the same bytes. */
bool wf_wat_id_name(const wf_wat_token *t, wf_buf *out);

/* ---- Numbers ------------------------------------------------------------
 * All take the token text (sign, underscores between digits, 0x hex). They
 * return false when the text is not a number of that form or is out of
 * range (the spec's "constant out of range" / "unknown operator"). */

/* Unsigned integer (no sign) in 0..2^32-1 / 0..2^64-1: indices, limits. */
bool wf_wat_num_u32(const char *text, size_t len, uint32_t *out);
bool wf_wat_num_u64(const char *text, size_t len, uint64_t *out);
/* Integer with optional sign, as for i32.const / i64.const: the value must
 * be in -2^(N-1) .. 2^N-1; the result is its N-bit two's complement. */
bool wf_wat_num_i32(const char *text, size_t len, uint32_t *out);
bool wf_wat_num_i64(const char *text, size_t len, uint64_t *out);
/* Float literal (decimal, hex, inf, nan, nan:0x..) rounded to nearest-even
 * directly to the target precision; the result is the IEEE bits. Integers
 * are floats too (f32.const 1). A finite literal that rounds to infinity,
 * or a nan payload that is zero or too wide, is out of range. */
bool wf_wat_num_f32(const char *text, size_t len, uint32_t *bits);
bool wf_wat_num_f64(const char *text, size_t len, uint64_t *bits);

/* True when the text has the syntax of an integer / a float literal. */
bool wf_wat_is_int(const char *text, size_t len);
bool wf_wat_is_float(const char *text, size_t len);

#endif
