/*
 * mapper.c - the demo's data-transformation module (mapper.wit): a core
 * wasm module that speaks the Canonical ABI by hand, without bindings.
 *
 * Rebuild mapper.wasm from this directory (then refresh the hash in
 * ../_index.yaml with `wasmfn hash mapper.wasm`):
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=__heap_base \
 *         -o mapper.wasm mapper.c
 *
 * On wasm32 these C structs have exactly the Canonical ABI layout of the WIT
 * records (fields in order, each at its natural alignment; bool is one byte;
 * string and list are a pointer and a length of 4 bytes each).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

typedef struct { const char *ptr; uint32_t len; } string;
typedef struct { const string *ptr; uint32_t len; } string_list;

typedef struct {
    uint32_t id;
    string name;
    string_list tags;
    bool active;
} user;

typedef struct {
    uint32_t id;
    string name;
    string display;
    uint32_t tag_count;
    bool active;
} user_view;

typedef struct { void *ptr; uint32_t len; } list;

/* A bump allocator over the memory past the data: every call runs in a
 * fresh instance, so nothing is ever freed. */
extern unsigned char __heap_base;
static uintptr_t heap_top;

static void *grow_to(uintptr_t end)
{
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have &&
        __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (size_t)-1)
        __builtin_trap();
    return (void *)end;
}

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, uint32_t old_size, uint32_t align, uint32_t new_size)
{
    if (!heap_top) heap_top = (uintptr_t)&__heap_base;
    uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
    heap_top = p + new_size;
    grow_to(heap_top);
    unsigned char *dst = (unsigned char *)p;
    const unsigned char *src = old;
    for (uint32_t i = 0; old && i < old_size && i < new_size; i++) dst[i] = src[i];
    return dst;
}

static char *append(char *out, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) *out++ = s[i];
    return out;
}

static char *append_u32(char *out, uint32_t v)
{
    char digits[10];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *out++ = digits[--n];
    return out;
}

/* "#<id> <name> (tag, tag)" or "#<id> <name>" without tags. */
static string display_of(const user *u)
{
    uint32_t size = 12 + u->name.len + 3;
    for (uint32_t i = 0; i < u->tags.len; i++) size += u->tags.ptr[i].len + 2;
    char *buf = cabi_realloc(0, 0, 1, size), *out = buf;
    *out++ = '#';
    out = append_u32(out, u->id);
    *out++ = ' ';
    out = append(out, u->name.ptr, u->name.len);
    if (u->tags.len) {
        out = append(out, " (", 2);
        for (uint32_t i = 0; i < u->tags.len; i++) {
            if (i) out = append(out, ", ", 2);
            out = append(out, u->tags.ptr[i].ptr, u->tags.ptr[i].len);
        }
        *out++ = ')';
    }
    return (string){ buf, (uint32_t)(out - buf) };
}

/* More than one flat result: the results go to memory, returned by pointer. */
static list result;

EXPORT("transform-users")
list *transform_users(const user *users, uint32_t n)
{
    user_view *views = cabi_realloc(0, 0, 4, n * sizeof *views);
    for (uint32_t i = 0; i < n; i++) {
        views[i] = (user_view){
            .id = users[i].id,
            .name = users[i].name,
            .display = display_of(&users[i]),
            .tag_count = users[i].tags.len,
            .active = users[i].active,
        };
    }
    result = (list){ views, n };
    return &result;
}

EXPORT("filter-active")
list *filter_active(const user *users, uint32_t n)
{
    user *out = cabi_realloc(0, 0, 4, n * sizeof *out);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if (users[i].active) out[kept++] = users[i];
    result = (list){ out, kept };
    return &result;
}
