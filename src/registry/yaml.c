/*
 * yaml.c - libyaml's event stream turned into wf_reg_node trees that keep the
 * line and column of every node, for error messages that point at the input.
 *
 * Only the first document is read. Anchors and aliases are refused (a
 * registry has no use for them and they invite billion-laughs expansions);
 * so are duplicate map keys and non-scalar keys. Nesting is bounded so a
 * hostile file cannot exhaust the stack.
 *
 * A tree's nodes, item arrays and map keys live in one arena owned by its
 * root (a registry of 100,000 entries has millions of them: one malloc and
 * one free each cost more than the parse); scalar strings stay on the heap,
 * as values.c replaces them (file://, ${env:}).
 */
#include "registry/internal.h"

#include <yaml.h>

#include "base/arena.h"

#define MAX_DEPTH 64

typedef struct yreader {
    yaml_parser_t parser;
    yaml_event_t ev;
    bool have;
    wf_arena *arena;        /* the tree's, handed to its root */
} yreader;

static wf_error *yaml_fail(yreader *y)
{
    yaml_parser_t *p = &y->parser;
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    const char *prob = p->problem ? p->problem : "cannot parse";
    if (p->context)
        return wf_error_at_line(WF_ERR_INVALID, line, col, "%s %s", prob, p->context);
    return wf_error_at_line(WF_ERR_INVALID, line, col, "%s", prob);
}

/* Advance to the next event (freeing the current one). */
static wf_error *next(yreader *y)
{
    if (y->have) yaml_event_delete(&y->ev);
    y->have = false;
    if (!yaml_parser_parse(&y->parser, &y->ev)) return yaml_fail(y);
    y->have = true;
    return NULL;
}

static wf_reg_node *node_new(yreader *y, wf_reg_node_type t, const yaml_event_t *ev)
{
    wf_reg_node *n = wf_arena_alloc(y->arena, sizeof *n);
    n->type = t;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    return n;
}

/* The arrays' capacity is n rounded up to a power of two: they double when
 * n reaches one, so a list of n entries costs O(n), not O(n^2), to build. */
static void node_push(yreader *y, wf_reg_node *n, char *key, wf_reg_node *item)
{
    if (!(n->n & (n->n - 1))) {
        /* the old arrays stay in the arena: at most as much again */
        size_t cap = n->n ? n->n * 2 : 1;
        wf_reg_node **items = wf_arena_alloc(y->arena, cap * sizeof *items);
        if (n->n) memcpy(items, n->items, n->n * sizeof *items);
        n->items = items;
        if (n->type == WF_NODE_MAP) {
            char **keys = wf_arena_alloc(y->arena, cap * sizeof *keys);
            if (n->n) memcpy(keys, n->keys, n->n * sizeof *keys);
            n->keys = keys;
        }
    }
    n->items[n->n] = item;
    if (n->type == WF_NODE_MAP) n->keys[n->n] = key;
    n->n++;
}

/* Parse the node whose first event is current; on return the current event
 * is its last one. */
static wf_error *parse_node(yreader *y, int depth, wf_reg_node **out)
{
    yaml_event_t *ev = &y->ev;
    if (depth > MAX_DEPTH)
        return wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                (int)ev->start_mark.column + 1, "nesting deeper than %d levels",
                                MAX_DEPTH);
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                (int)ev->start_mark.column + 1, "aliases are not supported");
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor)
            return wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                    (int)ev->start_mark.column + 1, "anchors are not supported");
        wf_reg_node *n = node_new(y, WF_NODE_SCALAR, ev);
        n->len = ev->data.scalar.length;
        /* The event's value (malloc'd by libyaml, NUL-terminated) becomes
         * the node's: a registry of 100,000 entries has a million scalars,
         * a copy and a free each would cost more than the parse. */
        n->str = (char *)ev->data.scalar.value;
        ev->data.scalar.value = NULL;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        *out = n;
        return NULL;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (anchor)
            return wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                    (int)ev->start_mark.column + 1, "anchors are not supported");
        wf_reg_node *n = node_new(y, map ? WF_NODE_MAP : WF_NODE_SEQ, ev);
        for (;;) {
            wf_error *e = next(y);
            if (!e && (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT)) break;
            char *key = NULL;
            if (!e && map) {
                if (ev->type != YAML_SCALAR_EVENT) {
                    e = wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                         (int)ev->start_mark.column + 1, "map keys must be plain strings");
                } else {
                    key = wf_arena_strndup(y->arena, (const char *)ev->data.scalar.value,
                                           ev->data.scalar.length);
                    if (strlen(key) != ev->data.scalar.length)
                        e = wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                             (int)ev->start_mark.column + 1,
                                             "a map key holds a NUL character");
                    for (size_t i = 0; i < n->n && !e; i++)
                        if (!strcmp(n->keys[i], key))
                            e = wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                                 (int)ev->start_mark.column + 1, "duplicate key '%s'", key);
                    if (!e) e = next(y);
                }
            }
            wf_reg_node *item = NULL;
            if (!e) e = parse_node(y, depth + 1, &item);
            if (e) {
                wf_reg_node_free(n);    /* its strings; the arena goes with the parse */
                return e;
            }
            node_push(y, n, key, item);
        }
        *out = n;
        return NULL;
    }
    default:
        return wf_error_at_line(WF_ERR_INVALID, (int)ev->start_mark.line + 1,
                                (int)ev->start_mark.column + 1, "unexpected YAML event");
    }
}

wf_error *wf_reg_yaml_parse(const char *text, size_t len, wf_reg_node **out)
{
    yreader y = { .have = false };
    if (!yaml_parser_initialize(&y.parser))
        return wf_error_new(WF_ERR_INTERNAL, "libyaml cannot initialise a parser");
    y.arena = wf_xcalloc(1, sizeof *y.arena);
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    wf_reg_node *root = NULL;
    wf_error *e = next(&y);                         /* STREAM-START */
    if (!e) e = next(&y);                           /* DOCUMENT-START or STREAM-END */
    if (!e && y.ev.type == YAML_DOCUMENT_START_EVENT) {
        e = next(&y);
        if (!e) e = parse_node(&y, 0, &root);
        if (!e) e = next(&y);                       /* DOCUMENT-END */
        /* A second document is most likely a mistake: say so. */
        if (!e) e = next(&y);
        if (!e && y.ev.type == YAML_DOCUMENT_START_EVENT)
            e = wf_error_at_line(WF_ERR_INVALID, (int)y.ev.start_mark.line + 1,
                                 (int)y.ev.start_mark.column + 1,
                                 "more than one YAML document in the file");
    }
    if (y.have) yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.parser);
    if (e) {
        wf_reg_node_free(root);
        wf_arena_free(y.arena);
        free(y.arena);
        return e;
    }
    if (!root) {
        root = wf_arena_alloc(y.arena, sizeof *root);
        root->type = WF_NODE_MAP;
        root->line = root->col = 1;
    }
    root->arena = y.arena;
    *out = root;
    return NULL;
}

void wf_reg_node_free(wf_reg_node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) wf_reg_node_free(n->items[i]);
    free(n->str);
    free(n->file_ref);
    n->str = n->file_ref = NULL;
    if (n->arena) {
        wf_arena *a = n->arena;
        wf_arena_free(a);   /* n itself is in it */
        free(a);
    }
}

const char *wf_reg_node_type_name(const wf_reg_node *n)
{
    switch (n->type) {
    case WF_NODE_MAP: return "a map";
    case WF_NODE_SEQ: return "a list";
    default: return "a string";
    }
}

const wf_reg_node *wf_reg_node_get(const wf_reg_node *m, const char *key)
{
    if (!m || m->type != WF_NODE_MAP) return NULL;
    /* The first byte first: a registry of 100,000 entries makes millions of
     * these lookups, and most keys of a map differ there (with a strcmp
     * call for every key, they were some 4% of the load). */
    for (size_t i = 0; i < m->n; i++)
        if (m->keys[i][0] == key[0] && !strcmp(m->keys[i], key)) return m->items[i];
    return NULL;
}
