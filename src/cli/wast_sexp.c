/*
 * wast_sexp.c - reads a spec script into a tree of s-expressions: lists,
 * atoms and decoded strings, each with its source span and line:col, with
 * comments and annotations `(@...)` dropped. Module forms keep their span so
 * the runner can hand their exact text to the WAT compiler.
 *
 * Iterative (an explicit stack), so deep nesting in a script cannot exhaust
 * the C stack. Every node is also recorded in the root's pool, which is how
 * the tree is freed without recursion.
 */
#include "cli/wast.h"

typedef struct reader {
    const char *p, *end;
    int line;
    const char *line_start;
    WF_VEC(wast_node *) pool;
} reader;

static int col_of(const reader *r, const char *at)
{
    return (int)(at - r->line_start) + 1;
}

static wast_node *node_new(reader *r, wast_node_kind kind, const char *start)
{
    wast_node *n = wf_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->start = start;
    n->line = r->line;
    n->col = col_of(r, start);
    wf_vec_push(&r->pool, n);
    return n;
}

static void advance_newline(reader *r, const char *nl)
{
    r->line++;
    r->line_start = nl + 1;
}

/* Skip whitespace and comments; an unterminated block comment is an error. */
static wf_error *skip_space(reader *r)
{
    while (r->p < r->end) {
        char c = *r->p;
        if (c == '\n') {
            advance_newline(r, r->p);
            r->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            r->p++;
        } else if (c == ';' && r->p + 1 < r->end && r->p[1] == ';') {
            while (r->p < r->end && *r->p != '\n') r->p++;
        } else if (c == '(' && r->p + 1 < r->end && r->p[1] == ';') {
            int line = r->line, col = col_of(r, r->p);
            int depth = 1;
            r->p += 2;
            while (depth > 0) {
                if (r->p >= r->end)
                    return wf_error_at_line(WF_ERR_MALFORMED, line, col,
                                            "unclosed block comment");
                if (*r->p == '(' && r->p + 1 < r->end && r->p[1] == ';') {
                    depth++;
                    r->p += 2;
                } else if (*r->p == ';' && r->p + 1 < r->end && r->p[1] == ')') {
                    depth--;
                    r->p += 2;
                } else {
                    if (*r->p == '\n') advance_newline(r, r->p);
                    r->p++;
                }
            }
        } else {
            break;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(WF_VEC(char) *s, uint32_t cp)
{
    if (cp < 0x80) {
        wf_vec_push(s, (char)cp);
    } else if (cp < 0x800) {
        wf_vec_push(s, (char)(0xc0 | (cp >> 6)));
        wf_vec_push(s, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        wf_vec_push(s, (char)(0xe0 | (cp >> 12)));
        wf_vec_push(s, (char)(0x80 | ((cp >> 6) & 0x3f)));
        wf_vec_push(s, (char)(0x80 | (cp & 0x3f)));
    } else {
        wf_vec_push(s, (char)(0xf0 | (cp >> 18)));
        wf_vec_push(s, (char)(0x80 | ((cp >> 12) & 0x3f)));
        wf_vec_push(s, (char)(0x80 | ((cp >> 6) & 0x3f)));
        wf_vec_push(s, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A string literal at r->p (the opening quote): decode its escapes. */
static wf_error *read_string(reader *r, wast_node *n)
{
    WF_VEC(char) s = {0};
    const char *q = r->p + 1;
    for (;;) {
        if (q >= r->end || *q == '\n') {
            wf_vec_free(&s);
            return wf_error_at_line(WF_ERR_MALFORMED, n->line, n->col, "unclosed string");
        }
        char c = *q;
        if (c == '"') {
            q++;
            break;
        }
        if (c != '\\') {
            wf_vec_push(&s, c);
            q++;
            continue;
        }
        if (q + 1 >= r->end) continue; /* reported as unclosed above */
        char e = q[1];
        q += 2;
        switch (e) {
        case 'n': wf_vec_push(&s, '\n'); break;
        case 't': wf_vec_push(&s, '\t'); break;
        case 'r': wf_vec_push(&s, '\r'); break;
        case '"': wf_vec_push(&s, '"'); break;
        case '\'': wf_vec_push(&s, '\''); break;
        case '\\': wf_vec_push(&s, '\\'); break;
        case 'u': {
            uint32_t cp = 0;
            int digits = 0;
            if (q >= r->end || *q != '{') goto bad;
            q++;
            while (q < r->end && hexval(*q) >= 0) {
                if (cp > 0x10ffff) goto bad;
                cp = cp * 16 + (uint32_t)hexval(*q++);
                digits++;
            }
            if (!digits || q >= r->end || *q != '}' || cp > 0x10ffff ||
                (cp >= 0xd800 && cp < 0xe000))
                goto bad;
            q++;
            put_utf8((void *)&s, cp);
            break;
        }
        default:
            if (hexval(e) >= 0 && q < r->end && hexval(*q) >= 0) {
                wf_vec_push(&s, (char)(hexval(e) * 16 + hexval(*q)));
                q++;
                break;
            }
            goto bad;
        }
    }
    wf_vec_push(&s, 0);
    n->str = s.data;
    n->str_len = s.len - 1;
    n->len = (size_t)(q - n->start);
    r->p = q;
    return NULL;
bad:
    wf_vec_free(&s);
    return wf_error_at_line(WF_ERR_MALFORMED, r->line, col_of(r, q - 1),
                            "malformed escape in string");
}

static bool is_atom_char(char c)
{
    return c > ' ' && c != '(' && c != ')' && c != '"' && c != 0x7f;
}

typedef struct frame {
    wast_node *list;
    WF_VEC(wast_node *) items;
    bool annotation; /* (@...): dropped when closed */
} frame;

static void frame_close(frame *f)
{
    f->list->items = f->items.data;
    f->list->nitems = f->items.len;
}

wf_error *wast_parse(const char *text, size_t len, wast_node **out)
{
    reader r = { .p = text, .end = text + len, .line = 1, .line_start = text };
    WF_VEC(frame) stack = {0};
    wf_error *err = NULL;
    wast_node *root = node_new(&r, WAST_LIST, text);
    wf_vec_push(&stack, ((frame){ .list = root }));

    for (;;) {
        if ((err = skip_space(&r))) break;
        if (r.p >= r.end) {
            if (stack.len > 1) {
                wast_node *open = wf_vec_last(&stack).list;
                err = wf_error_at_line(WF_ERR_MALFORMED, open->line, open->col,
                                       "unclosed parenthesis");
            }
            break;
        }
        char c = *r.p;
        frame *top = &wf_vec_last(&stack);
        if (c == '(') {
            wast_node *n = node_new(&r, WAST_LIST, r.p);
            bool ann = r.p + 1 < r.end && r.p[1] == '@';
            r.p++;
            wf_vec_push(&stack, ((frame){ .list = n, .annotation = ann || top->annotation }));
        } else if (c == ')') {
            if (stack.len == 1) {
                err = wf_error_at_line(WF_ERR_MALFORMED, r.line, col_of(&r, r.p),
                                       "unexpected ')'");
                break;
            }
            r.p++;
            frame f = wf_vec_pop(&stack);
            f.list->len = (size_t)(r.p - f.list->start);
            frame_close(&f);
            frame *parent = &wf_vec_last(&stack);
            if (!(f.annotation && !parent->annotation)) wf_vec_push(&parent->items, f.list);
        } else if (c == '"') {
            wast_node *n = node_new(&r, WAST_STRING, r.p);
            if ((err = read_string(&r, n))) break;
            wf_vec_push(&top->items, n);
        } else {
            wast_node *n = node_new(&r, WAST_ATOM, r.p);
            while (r.p < r.end && is_atom_char(*r.p) &&
                   !(*r.p == ';' && r.p + 1 < r.end && r.p[1] == ';'))
                r.p++;
            if (r.p == n->start) {
                err = wf_error_at_line(WF_ERR_MALFORMED, r.line, col_of(&r, r.p),
                                       "unexpected character 0x%02x", (unsigned char)*r.p);
                break;
            }
            n->len = (size_t)(r.p - n->start);
            wf_vec_push(&top->items, n);
        }
    }
    /* Close whatever is still open so that every item array is owned. */
    while (stack.len) {
        frame f = wf_vec_pop(&stack);
        frame_close(&f);
    }
    wf_vec_free(&stack);
    root->len = len;
    root->pool = r.pool.data;
    root->npool = r.pool.len;
    if (err) {
        wast_node_free(root);
        return err;
    }
    *out = root;
    return NULL;
}

void wast_node_free(wast_node *root)
{
    if (!root) return;
    wast_node **pool = root->pool;
    size_t n = root->npool;
    for (size_t i = 0; i < n; i++) {
        wast_node *x = pool[i];
        if (x == root) continue;
        free(x->items);
        free(x->str);
        free(x);
    }
    free(root->items);
    free(pool);
    free(root);
}

bool wast_is_atom(const wast_node *n, const char *word)
{
    size_t l = strlen(word);
    return n && n->kind == WAST_ATOM && n->len == l && !memcmp(n->start, word, l);
}

bool wast_is_id(const wast_node *n)
{
    return n && n->kind == WAST_ATOM && n->len > 1 && n->start[0] == '$';
}

const char *wast_head(const wast_node *n, size_t *len)
{
    if (!n || n->kind != WAST_LIST || !n->nitems || n->items[0]->kind != WAST_ATOM) {
        *len = 0;
        return "";
    }
    *len = n->items[0]->len;
    return n->items[0]->start;
}

bool wast_head_is(const wast_node *n, const char *word)
{
    return n && n->kind == WAST_LIST && n->nitems && wast_is_atom(n->items[0], word);
}
