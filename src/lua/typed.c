/*
 * typed.c - erase upstream Wippy's type annotations (typed.h).
 *
 * A tokenizer of Lua 5.4's lexical grammar (long strings and comments,
 * escapes, numbers) under a recursive-descent recognizer of Lua's
 * statements and expressions: it builds nothing, it only knows where it
 * is, so that it can tell a type's place from plain Lua's. The places are
 * those of upstream's grammar (compiler/parse/parser.go.y of
 * wippyai/go-lua):
 *   local x: T, y: U = ...              (a 5.4 attrib may come first: x <const>: T)
 *   function f<T, U: C>(a: T, ...: U): R, S   (also methods, local and anonymous functions)
 *   type Name<T> = T                    interface Name: A, B  function m(x: T): R  end
 *   e :: T   e as T   e!                (casts and the non-nil assertion)
 * and types are: names (dotted, with <args>), nil, true, false, string and
 * number literals, {T}, {[K]: V}, {a: T, b?: U}, {}, (A, B) -> R,
 * fun(A): R, interface {..}, readonly {..}, T?, T[], T[K], A | B, A & B,
 * A extends B ? C : D, typeof(e), keyof(T), asserts x is T, and
 * annotations T @name(args).
 *
 * Where plain Lua could mean the same text, plain Lua wins: a name `as`
 * is a cast only after an expression, on its line, before something that
 * can begin a type; `::` is a label when a name and `::` follow (and
 * no label follows those: `e :: T ::l::` casts). Every
 * other place is one plain Lua rejects, so an untyped program is never
 * changed. Once in a type, a token that cannot go on is an annotation
 * error; a plain-Lua syntax error ends the scan and leaves the rest to
 * Lua's compiler, which reports it.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

#include "lua/typed.h"

/* Tokens: a name (kw tells Lua's keywords apart), a number, a string,
 * the end, or an operator (op: its character, or one of the codes below
 * for the longer ones). */
enum { TK_EOF, TK_NAME, TK_NUMBER, TK_STRING, TK_OP };
enum {
    OP_EQ = 256, OP_NE, OP_LE, OP_GE, OP_SHL, OP_SHR, OP_IDIV, OP_CONCAT, OP_DOTS, OP_DBCOLON,
};
enum {
    KW_NONE, KW_AND, KW_BREAK, KW_DO, KW_ELSE, KW_ELSEIF, KW_END, KW_FALSE, KW_FOR, KW_FUNCTION,
    KW_GOTO, KW_IF, KW_IN, KW_LOCAL, KW_NIL, KW_NOT, KW_OR, KW_REPEAT, KW_RETURN, KW_THEN,
    KW_TRUE, KW_UNTIL, KW_WHILE,
};

static const char *const KEYWORDS[] = {
    [KW_AND] = "and", [KW_BREAK] = "break", [KW_DO] = "do", [KW_ELSE] = "else",
    [KW_ELSEIF] = "elseif", [KW_END] = "end", [KW_FALSE] = "false", [KW_FOR] = "for",
    [KW_FUNCTION] = "function", [KW_GOTO] = "goto", [KW_IF] = "if", [KW_IN] = "in",
    [KW_LOCAL] = "local", [KW_NIL] = "nil", [KW_NOT] = "not", [KW_OR] = "or",
    [KW_REPEAT] = "repeat", [KW_RETURN] = "return", [KW_THEN] = "then", [KW_TRUE] = "true",
    [KW_UNTIL] = "until", [KW_WHILE] = "while",
};

typedef struct tok {
    int kind, op, kw;
    size_t start, end;
} tok;

/* Deeper nesting than Lua's own parser allows (LUAI_MAXCCALLS, 200) is
 * Lua's error to report. */
#define MAX_DEPTH 200

typedef struct parser {
    char *s;
    size_t n;
    tok t;              /* the current token */
    tok ahead;          /* the one after it, when ahead_ok */
    bool ahead_ok;
    size_t prev_end;    /* where the token before it ended */
    int depth;
    const char *chunk;
    wf_error *err;      /* set when an annotation is malformed */
    jmp_buf out;        /* to stop: err set, or plain Lua that does not parse */
} parser;

/* ---- tokens -------------------------------------------------------------- */

static bool is_alpha(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static _Noreturn void give_up(parser *p) { longjmp(p->out, 1); }

/* The level of a long bracket opening at i ("[==[" is 2), or -1. */
static int long_open(const parser *p, size_t i)
{
    if (i >= p->n || p->s[i] != '[') return -1;
    size_t j = i + 1;
    while (j < p->n && p->s[j] == '=') j++;
    return j < p->n && p->s[j] == '[' ? (int)(j - i - 1) : -1;
}

/* Past the long bracket of level lvl opening at i; unclosed gives up. */
static size_t long_skip(parser *p, size_t i, int lvl)
{
    for (i += (size_t)lvl + 2; i < p->n; i++) {
        if (p->s[i] != ']') continue;
        size_t j = i + 1;
        while (j < p->n && p->s[j] == '=') j++;
        if (j < p->n && p->s[j] == ']' && (int)(j - i - 1) == lvl) return j + 1;
    }
    give_up(p);
}

/* Past the quoted string opening at i (escapes as Lua's: a backslash
 * takes the next character, a line break or \z's run of space). */
static size_t short_skip(parser *p, size_t i)
{
    char q = p->s[i++];
    while (i < p->n) {
        char c = p->s[i];
        if (c == q) return i + 1;
        if (c == '\n' || c == '\r') break;
        if (c == '\\') {
            if (++i >= p->n) break;
            c = p->s[i++];
            if (c == '\r' || c == '\n') {
                if (i < p->n && (p->s[i] == '\r' || p->s[i] == '\n') && p->s[i] != c) i++;
            } else if (c == 'z') {
                while (i < p->n && is_space((unsigned char)p->s[i])) i++;
            }
            continue;
        }
        i++;
    }
    give_up(p);
}

/* Past the space and comments from i. */
static size_t skip_space(parser *p, size_t i)
{
    while (i < p->n) {
        unsigned char c = (unsigned char)p->s[i];
        if (is_space(c)) {
            i++;
        } else if (c == '-' && i + 1 < p->n && p->s[i + 1] == '-') {
            int lvl = long_open(p, i + 2);
            if (lvl >= 0) {
                i = long_skip(p, i + 2, lvl);
            } else {
                while (i < p->n && p->s[i] != '\n' && p->s[i] != '\r') i++;
            }
        } else {
            break;
        }
    }
    return i;
}

/* The keywords by first letter ('a'..'w'), so a name is compared with at
 * most three of them. */
static const unsigned char KW_BY_FIRST[23][4] = {
    ['a' - 'a'] = {KW_AND},
    ['b' - 'a'] = {KW_BREAK},
    ['d' - 'a'] = {KW_DO},
    ['e' - 'a'] = {KW_ELSE, KW_ELSEIF, KW_END},
    ['f' - 'a'] = {KW_FALSE, KW_FOR, KW_FUNCTION},
    ['g' - 'a'] = {KW_GOTO},
    ['i' - 'a'] = {KW_IF, KW_IN},
    ['l' - 'a'] = {KW_LOCAL},
    ['n' - 'a'] = {KW_NIL, KW_NOT},
    ['o' - 'a'] = {KW_OR},
    ['r' - 'a'] = {KW_REPEAT, KW_RETURN},
    ['t' - 'a'] = {KW_THEN, KW_TRUE},
    ['u' - 'a'] = {KW_UNTIL},
    ['w' - 'a'] = {KW_WHILE},
};

static int keyword(const char *s, size_t len)
{
    if (s[0] < 'a' || s[0] > 'w') return KW_NONE;
    for (const unsigned char *k = KW_BY_FIRST[s[0] - 'a']; *k; k++) {
        const char *w = KEYWORDS[*k];
        if (strncmp(w, s, len) == 0 && w[len] == 0) return *k;
    }
    return KW_NONE;
}

/* The token at i (after space and comments). Pure: lookahead is a call
 * at the current token's end. */
static tok lex(parser *p, size_t i)
{
    i = skip_space(p, i);
    tok t = {.kind = TK_EOF, .start = i, .end = i};
    if (i >= p->n) return t;
    unsigned char c = (unsigned char)p->s[i];
    const char *s = p->s;
    size_t n = p->n;
    if (is_alpha(c)) {
        size_t j = i + 1;
        while (j < n && is_alnum((unsigned char)s[j])) j++;
        t.kind = TK_NAME;
        t.end = j;
        if (j - i <= 8) t.kw = keyword(s + i, j - i);
        return t;
    }
    if (is_digit(c) || (c == '.' && i + 1 < n && is_digit((unsigned char)s[i + 1]))) {
        /* As Lua's read_numeral: digits, letters and dots, a sign only
         * right after an exponent mark (e, or p in hex). */
        bool hex = c == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
        size_t j = i + (hex ? 2 : 1);
        while (j < n) {
            char d = s[j];
            if ((hex ? (d == 'p' || d == 'P') : (d == 'e' || d == 'E')) && j + 1 < n &&
                (s[j + 1] == '+' || s[j + 1] == '-'))
                j += 2;
            else if (is_alnum((unsigned char)d) || d == '.')
                j++;
            else
                break;
        }
        t.kind = TK_NUMBER;
        t.end = j;
        return t;
    }
    if (c == '"' || c == '\'') {
        t.kind = TK_STRING;
        t.end = short_skip(p, i);
        return t;
    }
    if (c == '[') {
        int lvl = long_open(p, i);
        if (lvl >= 0) {
            t.kind = TK_STRING;
            t.end = long_skip(p, i, lvl);
            return t;
        }
    }
    t.kind = TK_OP;
    t.op = c;
    t.end = i + 1;
    char d = i + 1 < n ? s[i + 1] : 0;
    int two = 0;
    switch (c) {
    case '=': two = d == '=' ? OP_EQ : 0; break;
    case '~': two = d == '=' ? OP_NE : 0; break;
    case '<': two = d == '=' ? OP_LE : d == '<' ? OP_SHL : 0; break;
    case '>': two = d == '=' ? OP_GE : d == '>' ? OP_SHR : 0; break;
    case '/': two = d == '/' ? OP_IDIV : 0; break;
    case ':': two = d == ':' ? OP_DBCOLON : 0; break;
    case '.':
        if (d == '.') {
            bool three = i + 2 < n && s[i + 2] == '.';
            t.op = three ? OP_DOTS : OP_CONCAT;
            t.end = i + (three ? 3 : 2);
        }
        return t;
    }
    if (two) {
        t.op = two;
        t.end = i + 2;
    }
    return t;
}

static void next(parser *p)
{
    p->prev_end = p->t.end;
    p->t = p->ahead_ok ? p->ahead : lex(p, p->t.end);
    p->ahead_ok = false;
}

/* Go on from byte i (inside the current token: the second '>' of ">>"). */
static void resume_at(parser *p, size_t i)
{
    p->prev_end = i;
    p->t = lex(p, i);
    p->ahead_ok = false;
}

static bool is_op(const parser *p, int op) { return p->t.kind == TK_OP && p->t.op == op; }
static bool is_kw(const parser *p, int kw) { return p->t.kind == TK_NAME && p->t.kw == kw; }
static bool is_name(const parser *p) { return p->t.kind == TK_NAME && p->t.kw == KW_NONE; }

/* The current token is the name w (a literal). */
#define is_word(p, w) word_is((p), w, sizeof w - 1)
static bool word_is(const parser *p, const char *w, size_t len)
{
    return p->t.kind == TK_NAME && p->t.end - p->t.start == len &&
           memcmp(p->s + p->t.start, w, len) == 0;
}

static tok peek(parser *p)
{
    if (!p->ahead_ok) {
        p->ahead = lex(p, p->t.end);
        p->ahead_ok = true;
    }
    return p->ahead;
}

/* ---- errors ---------------------------------------------------------------- */

/* The line of byte i, counted as Lua counts ("\r\n" and "\n\r" are one). */
static int line_of(const parser *p, size_t i)
{
    int line = 1;
    for (size_t j = 0; j < i && j < p->n; j++) {
        char c = p->s[j];
        if (c != '\n' && c != '\r') continue;
        if (j + 1 < i && (p->s[j + 1] == '\n' || p->s[j + 1] == '\r') && p->s[j + 1] != c) j++;
        line++;
    }
    return line;
}

/* A malformed annotation: "chunk:LINE: <what> expected near '<token>'". */
static _Noreturn void expected(parser *p, const char *what)
{
    int line = line_of(p, p->t.start);
    if (p->t.kind == TK_EOF) {
        p->err = wf_error_new(WF_ERR_INVALID, "%s:%d: %s expected near <eof>", p->chunk, line, what);
    } else {
        size_t len = p->t.end - p->t.start;
        p->err = wf_error_new(WF_ERR_INVALID, "%s:%d: %s expected near '%.*s%s'", p->chunk, line,
                              what, (int)(len > 40 ? 40 : len), p->s + p->t.start,
                              len > 40 ? "..." : "");
    }
    longjmp(p->out, 1);
}

/* ---- erasing ----------------------------------------------------------------- */

/* Spaces over [from, to), line breaks kept, so lines and columns stay. */
static void erase(parser *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (p->s[i] != '\n' && p->s[i] != '\r') p->s[i] = ' ';
}

static void enter(parser *p)
{
    if (++p->depth > MAX_DEPTH) give_up(p);
}

/* ---- types ------------------------------------------------------------------- */

static void type(parser *p);
static void type_list(parser *p);
static void expr(parser *p);
static void exprlist(parser *p);
static void block(parser *p);

static void type_expect(parser *p, int op, const char *what)
{
    if (!is_op(p, op)) expected(p, what);
    next(p);
}

/* A '>' closing type arguments or parameters; half of ">>" or ">=". */
static void type_close_angle(parser *p)
{
    if (is_op(p, '>')) {
        next(p);
    } else if (is_op(p, OP_SHR) || is_op(p, OP_GE)) {
        resume_at(p, p->t.start + 1);
    } else {
        expected(p, "'>'");
    }
}

static void type_name(parser *p)
{
    if (!is_name(p)) expected(p, "name");
    next(p);
}

/* '->' as the two characters together. */
static bool at_arrow(const parser *p)
{
    return is_op(p, '-') && p->t.end < p->n && p->s[p->t.end] == '>';
}

/* A name then ':' (a parameter's or a field's name), not a type. */
static bool at_named(parser *p)
{
    if (p->t.kind != TK_NAME) return false;
    tok nx = peek(p);
    return nx.kind == TK_OP && nx.op == ':';
}

/* (A, name: B, ...C): a function type's parameters or a tuple of returns;
 * then -> R when it is a function type. */
static void type_paren(parser *p)
{
    next(p);
    while (!is_op(p, ')')) {
        if (is_op(p, OP_DOTS)) {
            next(p);
            if (is_op(p, ':')) next(p);
            if (!is_op(p, ')') && !is_op(p, ',')) type(p);
        } else {
            if (at_named(p)) {
                next(p);
                next(p);
            }
            type(p);
        }
        if (!is_op(p, ',')) break;
        next(p);
    }
    type_expect(p, ')', "')'");
    if (at_arrow(p)) {
        resume_at(p, p->t.end + 1);
        type(p);
    }
}

/* fun(params): R  (returns optional) */
static void type_fun(parser *p)
{
    next(p);
    if (!is_op(p, '(')) expected(p, "'('");
    type_paren(p);
    if (is_op(p, ':')) {
        next(p);
        type(p);
    }
}

/* {T}, {[K]: V}, {a: T, b?: U}, {} */
static void type_table(parser *p)
{
    next(p);
    if (is_op(p, '}')) {
        next(p);
        return;
    }
    if (is_op(p, '[')) {
        next(p);
        type(p);
        type_expect(p, ']', "']'");
        type_expect(p, ':', "':'");
        type(p);
        type_expect(p, '}', "'}'");
        return;
    }
    tok nx = peek(p);
    bool record = p->t.kind == TK_NAME && nx.kind == TK_OP &&
                  (nx.op == ':' || (nx.op == '?' && nx.end < p->n && p->s[nx.end] == ':'));
    if (!record) {
        type(p);
        type_expect(p, '}', "'}'");
        return;
    }
    while (!is_op(p, '}')) {
        if (p->t.kind != TK_NAME) expected(p, "field name");
        next(p);
        if (is_op(p, '?')) next(p);
        type_expect(p, ':', "':'");
        type(p);
        if (!is_op(p, ',') && !is_op(p, ';')) break;
        next(p);
    }
    type_expect(p, '}', "'}'");
}

/* The type a name begins: a keyword of types when what follows says so,
 * else a (dotted) name with type arguments. */
static void type_named(parser *p)
{
    tok nx = peek(p);
    bool paren = nx.kind == TK_OP && nx.op == '(';
    bool brace = nx.kind == TK_OP && nx.op == '{';
    if (is_word(p, "fun") && paren) {
        type_fun(p);
    } else if ((is_word(p, "interface") || is_word(p, "readonly")) && brace) {
        next(p);
        type_table(p);
    } else if (is_word(p, "typeof") && paren) {
        next(p);
        next(p);
        expr(p);
        type_expect(p, ')', "')'");
    } else if (is_word(p, "keyof") && paren) {
        next(p);
        next(p);
        type(p);
        type_expect(p, ')', "')'");
    } else if (is_word(p, "asserts") && nx.kind == TK_NAME) {
        next(p);
        next(p);
        if (is_word(p, "is")) {
            next(p);
            type(p);
        }
    } else {
        next(p);
        while (is_op(p, '.')) {
            next(p);
            type_name(p);
        }
        if (is_op(p, '<')) {
            next(p);
            type_list(p);
            type_close_angle(p);
        }
    }
}

static void type_primary(parser *p)
{
    if (is_name(p)) {
        type_named(p);
    } else if (is_kw(p, KW_NIL) || is_kw(p, KW_TRUE) || is_kw(p, KW_FALSE) ||
               p->t.kind == TK_STRING || p->t.kind == TK_NUMBER) {
        next(p);
    } else if (is_op(p, '{')) {
        type_table(p);
    } else if (is_op(p, '(')) {
        type_paren(p);
    } else {
        expected(p, "type");
    }
}

/* @name or @name(args) after a type. */
static void type_annotation(parser *p)
{
    next(p);
    type_name(p);
    if (is_op(p, '(')) {
        next(p);
        if (!is_op(p, ')')) exprlist(p);
        type_expect(p, ')', "')'");
    }
}

/* A primary type and its suffixes: T? (unless optional is false: the ?
 * of a conditional type), T[], T[K], @annotations. */
static void type_simple(parser *p, bool optional)
{
    enter(p);
    type_primary(p);
    for (;;) {
        if (is_op(p, '?') && optional) {
            next(p);
        } else if (is_op(p, '[')) {
            next(p);
            if (!is_op(p, ']')) type(p);
            type_expect(p, ']', "']'");
        } else if (is_op(p, '@')) {
            type_annotation(p);
        } else {
            break;
        }
    }
    p->depth--;
}

/* A | B & C, or A extends B ? C : D. */
static void type(parser *p)
{
    enter(p);
    type_simple(p, true);
    if (is_word(p, "extends")) {
        next(p);
        type_simple(p, false);
        type_expect(p, '?', "'?'");
        type(p);
        type_expect(p, ':', "':'");
        type(p);
    } else {
        while (is_op(p, '|') || is_op(p, '&')) {
            next(p);
            type_simple(p, true);
        }
    }
    p->depth--;
}

/* A, B, C */
static void type_list(parser *p)
{
    type(p);
    while (is_op(p, ',')) {
        next(p);
        type(p);
    }
}

/* ': T' at a name or a vararg, or a function's return types ': A, B'
 * (returns: each may be a tuple), from the current ':', erased. */
static void erase_annotation(parser *p, bool returns)
{
    size_t from = p->t.start;
    next(p);
    if (returns)
        type_list(p);
    else
        type(p);
    erase(p, from, p->prev_end);
}

/* <T, U: Constraint> (current: '<'). */
static void type_params(parser *p)
{
    next(p);
    for (;;) {
        type_name(p);
        if (is_op(p, ':')) {
            next(p);
            type(p);
        }
        if (!is_op(p, ',')) break;
        next(p);
    }
    type_close_angle(p);
}

/* Type parameters after a function's name, erased. */
static void erase_type_params(parser *p)
{
    size_t from = p->t.start;
    type_params(p);
    erase(p, from, p->prev_end);
}

/* ---- plain Lua ------------------------------------------------------------- */

static void check_op(parser *p, int op)
{
    if (!is_op(p, op)) give_up(p);
    next(p);
}

static void check_kw(parser *p, int kw)
{
    if (!is_kw(p, kw)) give_up(p);
    next(p);
}

static void check_name(parser *p)
{
    if (!is_name(p)) give_up(p);
    next(p);
}

/* Type parameters, parameters with types, return types, the body. */
static void funcbody(parser *p)
{
    if (is_op(p, '<')) erase_type_params(p);
    check_op(p, '(');
    while (!is_op(p, ')')) {
        if (is_op(p, OP_DOTS)) {
            next(p);
            if (is_op(p, ':')) erase_annotation(p, false);
            break;
        }
        check_name(p);
        if (is_op(p, ':')) erase_annotation(p, false);
        if (!is_op(p, ',')) break;
        next(p);
    }
    check_op(p, ')');
    if (is_op(p, ':')) erase_annotation(p, true);
    block(p);
    check_kw(p, KW_END);
}

static void table(parser *p)
{
    next(p);
    while (!is_op(p, '}')) {
        if (is_op(p, '[')) {
            next(p);
            expr(p);
            check_op(p, ']');
            check_op(p, '=');
        } else if (p->t.kind == TK_NAME) {
            tok nx = peek(p);
            if (nx.kind == TK_OP && nx.op == '=') {
                next(p);
                next(p);
            }
        }
        expr(p);
        if (!is_op(p, ',') && !is_op(p, ';')) break;
        next(p);
    }
    check_op(p, '}');
}

static void args(parser *p)
{
    if (p->t.kind == TK_STRING) {
        next(p);
    } else if (is_op(p, '{')) {
        table(p);
    } else {
        check_op(p, '(');
        if (!is_op(p, ')')) exprlist(p);
        check_op(p, ')');
    }
}

static void suffixedexp(parser *p)
{
    if (is_name(p)) {
        next(p);
    } else if (is_op(p, '(')) {
        next(p);
        expr(p);
        check_op(p, ')');
    } else {
        give_up(p);
    }
    for (;;) {
        if (is_op(p, '.')) {
            next(p);
            check_name(p);
        } else if (is_op(p, '[')) {
            next(p);
            expr(p);
            check_op(p, ']');
        } else if (is_op(p, ':')) {
            next(p);
            check_name(p);
            args(p);
        } else if (is_op(p, '(') || is_op(p, '{') || p->t.kind == TK_STRING) {
            args(p);
        } else {
            return;
        }
    }
}

/* '::' NAME '::' from the current '::': a label, not a cast, unless the
 * second '::' opens a label of its own ('::' NAME '::' again): then the
 * first is a cast to a plain name, as in `out = r :: Result` before a
 * `::continue::` on the next line (plain Lua has no `::a:: b ::`). */
static bool at_label(parser *p)
{
    tok a = peek(p);
    if (a.kind != TK_NAME || a.kw != KW_NONE) return false;
    tok b = lex(p, a.end);
    if (b.kind != TK_OP || b.op != OP_DBCOLON) return false;
    tok c = lex(p, b.end);
    if (c.kind != TK_NAME || c.kw != KW_NONE) return true;
    tok d = lex(p, c.end);
    return d.kind != TK_OP || d.op != OP_DBCOLON;
}

static bool same_line(const parser *p)
{
    for (size_t i = p->prev_end; i < p->t.start; i++)
        if (p->s[i] == '\n' || p->s[i] == '\r') return false;
    return true;
}

/* What can begin a type (for `as`). */
static bool starts_type(const tok *t)
{
    if (t->kind == TK_STRING || t->kind == TK_NUMBER) return true;
    if (t->kind == TK_NAME) return t->kw == KW_NONE || t->kw == KW_NIL || t->kw == KW_TRUE ||
                                   t->kw == KW_FALSE;
    return t->kind == TK_OP && (t->op == '{' || t->op == '(');
}

/* After an operand: `!`, `:: T` and `as T`, erased. */
static void casts(parser *p)
{
    for (;;) {
        size_t from = p->t.start;
        if (is_op(p, '!')) {
            next(p);
        } else if (is_op(p, OP_DBCOLON) && !at_label(p)) {
            next(p);
            type(p);
        } else if (is_word(p, "as") && same_line(p)) {
            tok nx = peek(p);
            if (!starts_type(&nx)) return;
            next(p);
            type(p);
        } else {
            return;
        }
        erase(p, from, p->prev_end);
    }
}

static bool unary_op(const parser *p)
{
    return is_kw(p, KW_NOT) || is_op(p, '-') || is_op(p, '#') || is_op(p, '~');
}

static bool binary_op(const parser *p)
{
    if (p->t.kind == TK_NAME) return p->t.kw == KW_AND || p->t.kw == KW_OR;
    if (p->t.kind != TK_OP) return false;
    switch (p->t.op) {
    case '+': case '-': case '*': case '/': case '%': case '^': case '&': case '|': case '~':
    case '<': case '>': case OP_EQ: case OP_NE: case OP_LE: case OP_GE: case OP_SHL: case OP_SHR:
    case OP_IDIV: case OP_CONCAT:
        return true;
    }
    return false;
}

static void operand(parser *p)
{
    while (unary_op(p)) next(p);
    if (p->t.kind == TK_NUMBER || p->t.kind == TK_STRING || is_kw(p, KW_NIL) ||
        is_kw(p, KW_TRUE) || is_kw(p, KW_FALSE) || is_op(p, OP_DOTS)) {
        next(p);
    } else if (is_op(p, '{')) {
        table(p);
    } else if (is_kw(p, KW_FUNCTION)) {
        next(p);
        funcbody(p);
    } else {
        suffixedexp(p);
    }
    casts(p);
}

/* Operands and binary operators: precedence does not matter here. */
static void expr(parser *p)
{
    enter(p);
    operand(p);
    while (binary_op(p)) {
        next(p);
        operand(p);
    }
    p->depth--;
}

static void exprlist(parser *p)
{
    expr(p);
    while (is_op(p, ',')) {
        next(p);
        expr(p);
    }
}

/* local NAME [<attrib>] [: T] {, ...} [= exprs] */
static void localstat(parser *p)
{
    do {
        if (is_op(p, ',')) next(p);
        check_name(p);
        if (is_op(p, '<')) {
            next(p);
            check_name(p);
            check_op(p, '>');
        }
        if (is_op(p, ':')) erase_annotation(p, false);
    } while (is_op(p, ','));
    if (is_op(p, '=')) {
        next(p);
        exprlist(p);
    }
}

/* type Name<T> = T  (current: `type`, a name follows), erased whole. */
static void type_decl(parser *p)
{
    size_t from = p->t.start;
    next(p);
    next(p);
    if (is_op(p, '<')) type_params(p);
    type_expect(p, '=', "'='");
    type(p);
    erase(p, from, p->prev_end);
}

/* interface Name [: A, B] {function m(params) [: R]} end, erased whole. */
static void interface_decl(parser *p)
{
    size_t from = p->t.start;
    next(p);
    next(p);
    if (is_op(p, ':')) {
        do {
            next(p);
            type_name(p);
        } while (is_op(p, ','));
    }
    while (is_kw(p, KW_FUNCTION)) {
        next(p);
        type_name(p);
        type_expect(p, '(', "'('");
        while (!is_op(p, ')')) {
            if (is_op(p, OP_DOTS)) {
                next(p);
            } else {
                type_name(p);
            }
            if (is_op(p, ':')) {
                next(p);
                type(p);
            }
            if (!is_op(p, ',')) break;
            next(p);
        }
        type_expect(p, ')', "')'");
        if (is_op(p, ':')) {
            next(p);
            type_list(p);
        }
    }
    if (!is_kw(p, KW_END)) expected(p, "'end'");
    next(p);
    erase(p, from, p->prev_end);
}

static void statement(parser *p)
{
    enter(p);
    if (is_op(p, ';')) {
        next(p);
    } else if (is_kw(p, KW_IF)) {
        do {
            next(p);
            expr(p);
            check_kw(p, KW_THEN);
            block(p);
        } while (is_kw(p, KW_ELSEIF));
        if (is_kw(p, KW_ELSE)) {
            next(p);
            block(p);
        }
        check_kw(p, KW_END);
    } else if (is_kw(p, KW_WHILE)) {
        next(p);
        expr(p);
        check_kw(p, KW_DO);
        block(p);
        check_kw(p, KW_END);
    } else if (is_kw(p, KW_DO)) {
        next(p);
        block(p);
        check_kw(p, KW_END);
    } else if (is_kw(p, KW_FOR)) {
        next(p);
        check_name(p);
        if (is_op(p, '=')) {
            next(p);
            exprlist(p);
        } else {
            while (is_op(p, ',')) {
                next(p);
                check_name(p);
            }
            check_kw(p, KW_IN);
            exprlist(p);
        }
        check_kw(p, KW_DO);
        block(p);
        check_kw(p, KW_END);
    } else if (is_kw(p, KW_REPEAT)) {
        next(p);
        block(p);
        check_kw(p, KW_UNTIL);
        expr(p);
    } else if (is_kw(p, KW_FUNCTION)) {
        next(p);
        check_name(p);
        while (is_op(p, '.')) {
            next(p);
            check_name(p);
        }
        if (is_op(p, ':')) {
            next(p);
            check_name(p);
        }
        funcbody(p);
    } else if (is_kw(p, KW_LOCAL)) {
        next(p);
        if (is_kw(p, KW_FUNCTION)) {
            next(p);
            check_name(p);
            funcbody(p);
        } else {
            localstat(p);
        }
    } else if (is_op(p, OP_DBCOLON)) {
        next(p);
        check_name(p);
        check_op(p, OP_DBCOLON);
    } else if (is_kw(p, KW_BREAK)) {
        next(p);
    } else if (is_kw(p, KW_GOTO)) {
        next(p);
        check_name(p);
    } else if ((is_word(p, "type") || is_word(p, "interface")) && peek(p).kind == TK_NAME &&
               peek(p).kw == KW_NONE) {
        /* Two names in a row begin no plain Lua statement. */
        if (is_word(p, "type"))
            type_decl(p);
        else
            interface_decl(p);
    } else {
        suffixedexp(p);
        if (is_op(p, '=') || is_op(p, ',')) {
            while (is_op(p, ',')) {
                next(p);
                suffixedexp(p);
            }
            check_op(p, '=');
            exprlist(p);
        }
    }
    p->depth--;
}

static bool block_end(const parser *p)
{
    return p->t.kind == TK_EOF || is_kw(p, KW_END) || is_kw(p, KW_ELSE) || is_kw(p, KW_ELSEIF) ||
           is_kw(p, KW_UNTIL);
}

static void block(parser *p)
{
    enter(p);
    while (!block_end(p)) {
        if (is_kw(p, KW_RETURN)) {
            next(p);
            if (!block_end(p) && !is_op(p, ';')) exprlist(p);
            if (is_op(p, ';')) next(p);
            break;
        }
        statement(p);
    }
    p->depth--;
}

/* Apart from wf_lua_typed_erase so that nothing setjmp's caller keeps in
 * a register changes between setjmp and longjmp. */
static void scan(parser *p)
{
    if (setjmp(p->out)) return;
    p->t = lex(p, 0);
    block(p);   /* a stray `end` and the like after it: Lua's to report */
}

wf_error *wf_lua_typed_erase(char *src, size_t len, const char *chunk)
{
    parser p = {.s = src, .n = len, .chunk = chunk};
    scan(&p);
    return p.err;
}
