/*
 * wit_lex.h - the WIT lexer: text to tokens with line:col.
 *
 * It knows every token of full WIT (identifiers with %-escapes, integers for
 * package versions, all punctuation including `@ / . * ->`); its one user is
 * wit_parse.c. Comments (`//`, `///` doc comments and nestable block
 * comments) are skipped.
 */
#ifndef WF_WIT_LEX_H
#define WF_WIT_LEX_H

#include "base/base.h"
#include "wasmfn.h"

typedef enum wit_tok_kind {
    WIT_T_EOF,
    WIT_T_ID,        /* identifier or keyword (text without a leading %) */
    WIT_T_EXPLICIT_ID, /* %name: never a keyword */
    WIT_T_INT,       /* decimal digits */
    WIT_T_LPAREN, WIT_T_RPAREN, WIT_T_LBRACE, WIT_T_RBRACE, WIT_T_LT, WIT_T_GT,
    WIT_T_COMMA, WIT_T_COLON, WIT_T_SEMI, WIT_T_EQ, WIT_T_ARROW, WIT_T_DOT,
    WIT_T_SLASH, WIT_T_AT, WIT_T_STAR, WIT_T_UNDERSCORE, WIT_T_PLUS, WIT_T_MINUS,
} wit_tok_kind;

typedef struct wit_tok {
    wit_tok_kind kind;
    const char *text;   /* points into the source */
    size_t len;
    int line, col;
} wit_tok;

typedef struct wit_lexer {
    const char *src, *end, *p;
    int line, col;
} wit_lexer;

void wf_wit_lex_init(wit_lexer *lx, const char *text, size_t len);
/* The next token; an unexpected character or an unterminated comment is a
 * WF_ERR_INVALID at its position. */
wf_error *wf_wit_lex_next(wit_lexer *lx, wit_tok *out);
const char *wf_wit_tok_name(wit_tok_kind k);   /* "`(`", "identifier", ... */
bool wf_wit_tok_is(const wit_tok *t, const char *word);  /* a (non-%) identifier equal to word */

#endif
