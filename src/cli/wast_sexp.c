/*
 * wast_sexp.c - reads a spec script into a tree of s-expressions: lists,
 * atoms and decoded strings, each with its source span and line:col, from
 * the tokens of the text-format lexer (wat_lex.h, which drops comments and
 * annotations `(@...)`). Module forms keep their span so
 * the runner can hand their exact text to the WAT compiler.
 *
 * Iterative (an explicit stack), so deep nesting in a script cannot exhaust
 * the C stack. Every node is also recorded in the root's pool, which is how
 * the tree is freed without recursion.
 */
#include "cli/wast.h"

#include "wasm/wat_lex.h"

typedef WF_VEC(wast_node *) node_vec;

static wast_node *node_new(node_vec *pool, wast_node_kind kind,
                           const wf_wat_token *t)
{
    wast_node *n = wf_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->start = t->text;
    n->len = t->len;
    n->line = t->line;
    n->col = t->col;
    wf_vec_push(pool, n);
    return n;
}

typedef struct frame {
    wast_node *list;
    WF_VEC(wast_node *) items;
} frame;

static void frame_close(frame *f)
{
    f->list->items = f->items.data;
    f->list->nitems = f->items.len;
}

wf_error *wf_wast_parse(const char *text, size_t len, wast_node **out)
{
    node_vec pool = {0};
    WF_VEC(frame) stack = {0};
    wf_error *err = NULL;
    wf_wat_lexer lx;
    wf_wat_lex_init(&lx, text, len);
    wf_wat_token t = { .kind = WF_TOK_LPAREN, .text = text, .line = 1, .col = 1 };
    wast_node *root = node_new(&pool, WAST_LIST, &t);
    root->len = len;
    wf_vec_push(&stack, ((frame){ .list = root }));

    while (!(err = wf_wat_lex_next(&lx, &t)) && t.kind != WF_TOK_EOF) {
        frame *top = &wf_vec_last(&stack);
        if (t.kind == WF_TOK_LPAREN) {
            wast_node *n = node_new(&pool, WAST_LIST, &t);
            wf_vec_push(&stack, ((frame){ .list = n }));
        } else if (t.kind == WF_TOK_RPAREN) {
            if (stack.len == 1) {
                err = wf_error_at_line(WF_ERR_MALFORMED, t.line, t.col, "unexpected ')'");
                break;
            }
            frame f = wf_vec_pop(&stack);
            f.list->len = (size_t)(t.text + 1 - f.list->start);
            frame_close(&f);
            wf_vec_push(&wf_vec_last(&stack).items, f.list);
        } else if (t.kind == WF_TOK_STRING) {
            wast_node *n = node_new(&pool, WAST_STRING, &t);
            wf_buf b = {0};
            if (!wf_wat_string_decode(t.text, t.len, &b)) {
                wf_buf_free(&b);
                err = wf_error_at_line(WF_ERR_MALFORMED, t.line, t.col, "malformed string");
                break;
            }
            wf_buf_byte(&b, 0);
            n->str_len = b.len - 1;
            n->str = (char *)wf_buf_take(&b, &(size_t){ 0 });
            wf_vec_push(&top->items, n);
        } else {
            wf_vec_push(&top->items, node_new(&pool, WAST_ATOM, &t));
        }
    }
    if (!err && stack.len > 1) {
        wast_node *open = wf_vec_last(&stack).list;
        err = wf_error_at_line(WF_ERR_MALFORMED, open->line, open->col, "unclosed parenthesis");
    }
    /* Close whatever is still open so that every item array is owned. */
    while (stack.len) {
        frame f = wf_vec_pop(&stack);
        frame_close(&f);
    }
    wf_vec_free(&stack);
    root->pool = pool.data;
    root->npool = pool.len;
    if (err) {
        wf_wast_node_free(root);
        return err;
    }
    *out = root;
    return NULL;
}

void wf_wast_node_free(wast_node *root)
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

bool wf_wast_is_atom(const wast_node *n, const char *word)
{
    size_t l = strlen(word);
    return n && n->kind == WAST_ATOM && n->len == l && !memcmp(n->start, word, l);
}

bool wf_wast_is_id(const wast_node *n)
{
    return n && n->kind == WAST_ATOM && n->len > 1 && n->start[0] == '$';
}

const char *wf_wast_head(const wast_node *n, size_t *len)
{
    if (!n || n->kind != WAST_LIST || !n->nitems || n->items[0]->kind != WAST_ATOM) {
        *len = 0;
        return "";
    }
    *len = n->items[0]->len;
    return n->items[0]->start;
}

bool wf_wast_head_is(const wast_node *n, const char *word)
{
    return n && n->kind == WAST_LIST && n->nitems && wf_wast_is_atom(n->items[0], word);
}

bool wf_wast_same_id(const wast_node *a, const wast_node *b)
{
    return a && b && a->len == b->len && !memcmp(a->start, b->start, a->len);
}

char *wf_wast_node_text(const wast_node *n)
{
    return n->kind == WAST_STRING ? wf_xstrndup(n->str, n->str_len) : wf_xstrndup(n->start, n->len);
}

const char *wf_wast_kind_word(wf_error_kind k)
{
    switch (k) {
    case WF_ERR_INVALID: return "invalid";
    case WF_ERR_MALFORMED: return "malformed";
    case WF_ERR_UNLINKABLE: return "unlinkable";
    case WF_ERR_TRAP: return "trap";
    default: return "error";
    }
}
