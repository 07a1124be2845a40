/*
 * wit_lex.c - the WIT lexer (wit_lex.h).
 */
#include "component/wit/wit_lex.h"

void wf_wit_lex_init(wit_lexer *lx, const char *text, size_t len)
{
    lx->src = lx->p = text;
    lx->end = text + len;
    lx->line = lx->col = 1;
}

static void adv(wit_lexer *lx)
{
    if (*lx->p == '\n') { lx->line++; lx->col = 1; }
    else lx->col++;
    lx->p++;
}

static bool id_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool id_char(char c) { return id_start(c) || (c >= '0' && c <= '9') || c == '-'; }

/* Skip whitespace and comments. */
static wf_error *skip(wit_lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { adv(lx); continue; }
        if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/') {
            while (lx->p < lx->end && *lx->p != '\n') adv(lx);
            continue;
        }
        if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            int line = lx->line, col = lx->col, depth = 0;
            do {
                if (lx->p + 1 < lx->end && lx->p[0] == '/' && lx->p[1] == '*') { depth++; adv(lx); adv(lx); }
                else if (lx->p + 1 < lx->end && lx->p[0] == '*' && lx->p[1] == '/') { depth--; adv(lx); adv(lx); }
                else if (lx->p < lx->end) adv(lx);
                else return wf_error_at_line(WF_ERR_INVALID, line, col, "unterminated block comment");
            } while (depth > 0);
            continue;
        }
        break;
    }
    return NULL;
}

wf_error *wf_wit_lex_next(wit_lexer *lx, wit_tok *out)
{
    wf_error *e = skip(lx);
    if (e) return e;
    out->line = lx->line;
    out->col = lx->col;
    out->text = lx->p;
    out->len = 1;
    if (lx->p >= lx->end) { out->kind = WIT_T_EOF; out->len = 0; return NULL; }
    char c = *lx->p;
    static const struct { char c; wit_tok_kind k; } punct[] = {
        { '(', WIT_T_LPAREN }, { ')', WIT_T_RPAREN }, { '{', WIT_T_LBRACE }, { '}', WIT_T_RBRACE },
        { '<', WIT_T_LT }, { '>', WIT_T_GT }, { ',', WIT_T_COMMA }, { ':', WIT_T_COLON },
        { ';', WIT_T_SEMI }, { '=', WIT_T_EQ }, { '.', WIT_T_DOT }, { '/', WIT_T_SLASH },
        { '@', WIT_T_AT }, { '*', WIT_T_STAR }, { '+', WIT_T_PLUS },
    };
    if (c == '-' && lx->p + 1 < lx->end && lx->p[1] == '>') {
        out->kind = WIT_T_ARROW; out->len = 2; adv(lx); adv(lx);
        return NULL;
    }
    if (c == '-') { out->kind = WIT_T_MINUS; adv(lx); return NULL; }
    for (size_t i = 0; i < WF_COUNT(punct); i++)
        if (punct[i].c == c) { out->kind = punct[i].k; adv(lx); return NULL; }
    if (c == '_' && !(lx->p + 1 < lx->end && id_char(lx->p[1]))) {
        out->kind = WIT_T_UNDERSCORE; adv(lx);
        return NULL;
    }
    if (c >= '0' && c <= '9') {
        out->kind = WIT_T_INT;
        while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') adv(lx);
        out->len = (size_t)(lx->p - out->text);
        return NULL;
    }
    bool explicit = c == '%';
    if (explicit) adv(lx);
    if (lx->p < lx->end && id_start(*lx->p)) {
        const char *start = lx->p;
        while (lx->p < lx->end && id_char(*lx->p)) adv(lx);
        out->kind = explicit ? WIT_T_EXPLICIT_ID : WIT_T_ID;
        out->text = start;
        out->len = (size_t)(lx->p - start);
        /* kebab-case: words separated by single dashes, none empty */
        if (start[out->len - 1] == '-' || memmem(start, out->len, "--", 2))
            return wf_error_at_line(WF_ERR_INVALID, out->line, out->col,
                                    "invalid identifier `%.*s`", (int)out->len, start);
        return NULL;
    }
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        return wf_error_at_line(WF_ERR_INVALID, out->line, out->col, "unexpected character `%c`", c);
    return wf_error_at_line(WF_ERR_INVALID, out->line, out->col, "unexpected character 0x%02x",
                            (unsigned char)c);
}

const char *wf_wit_tok_name(wit_tok_kind k)
{
    static const char *const names[] = {
        "end of input", "identifier", "identifier", "integer", "`(`", "`)`", "`{`", "`}`",
        "`<`", "`>`", "`,`", "`:`", "`;`", "`=`", "`->`", "`.`", "`/`", "`@`", "`*`", "`_`",
        "`+`", "`-`",
    };
    return (size_t)k < WF_COUNT(names) ? names[k] : "?";
}

bool wf_wit_tok_is(const wit_tok *t, const char *word)
{
    return t->kind == WIT_T_ID && strlen(word) == t->len && memcmp(t->text, word, t->len) == 0;
}
