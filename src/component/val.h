/*
 * val.h - wf_val, the one host value model (DESIGN.md "One value model").
 *
 * What Lua, JSON, HTTP and the Canonical ABI convert to and from. A wf_val
 * is self-describing enough to print as JSON without its WIT type: records
 * carry field names, variants and enums their case names, flags their set
 * names. Conversions that need a type (Lua/JSON -> WIT) take a wf_wit_type
 * (wit/wit.h) and produce a wf_val of exactly that shape.
 *
 * Ownership: a wf_val owns everything it points to; wf_val_free releases a
 * whole tree without recursion (an explicit stack), so any depth is safe.
 * A zero-filled wf_val is `false` (WF_VAL_BOOL) and owns nothing.
 */
#ifndef WF_VAL_H
#define WF_VAL_H

#include "base/base.h"

typedef enum wf_val_kind {
    WF_VAL_BOOL,
    WF_VAL_S8, WF_VAL_S16, WF_VAL_S32, WF_VAL_S64,
    WF_VAL_U8, WF_VAL_U16, WF_VAL_U32, WF_VAL_U64,
    WF_VAL_F32, WF_VAL_F64,
    WF_VAL_CHAR,     /* a Unicode scalar value */
    WF_VAL_STRING,   /* UTF-8 bytes */
    WF_VAL_LIST,     /* items */
    WF_VAL_TUPLE,    /* items */
    WF_VAL_RECORD,   /* items, with names */
    WF_VAL_VARIANT,  /* case name + index, optional payload */
    WF_VAL_ENUM,     /* case name + index */
    WF_VAL_OPTION,   /* payload NULL = none */
    WF_VAL_RESULT,   /* index 0 = ok, 1 = err; optional payload */
    WF_VAL_FLAGS,    /* the names of the flags that are set */
    WF_VAL_HANDLE,   /* a resource handle (own or borrow) */
} wf_val_kind;

typedef struct wf_val wf_val;

struct wf_val {
    uint8_t kind;           /* wf_val_kind */
    union {
        bool b;
        int64_t s;          /* s8..s64 */
        uint64_t u;         /* u8..u64, char, handle */
        float f32;
        double f64;
        struct { char *data; size_t len; } str;   /* data NUL-terminated too */
        /* list, tuple, record (names[i] is field i), flags (names only;
         * items NULL). names is NULL for lists and tuples. */
        struct { wf_val *items; char **names; size_t len; } agg;
        /* variant, enum, option, result: case index and name, payload or NULL.
         * Option: index 0 = none, 1 = some (name "none"/"some");
         * result: index 0 = ok, 1 = err (name "ok"/"err"). */
        struct { uint32_t index; char *name; wf_val *payload; } cas;
    } of;
};

void wf_val_free(wf_val *v);   /* frees what v owns, not v itself; v becomes false */
/* A deep copy of src into *dst (dst owns it). */
void wf_val_copy(wf_val *dst, const wf_val *src);
/* Short kind name for messages: "bool", "s32", "string", "record", ... */
const char *wf_val_kind_name(wf_val_kind k);

/* ---- Constructors: they return the value; strings and names are copied. -- */
wf_val wf_val_bool(bool b);
wf_val wf_val_sint(wf_val_kind k, int64_t x);    /* WF_VAL_S8..S64 */
wf_val wf_val_uint(wf_val_kind k, uint64_t x);   /* WF_VAL_U8..U64 */
wf_val wf_val_f32(float x);
wf_val wf_val_f64(double x);
wf_val wf_val_char(uint32_t c);
wf_val wf_val_string(const char *s, size_t len);
/* list, tuple or record with len zero-filled items (records: names all NULL,
 * to be set with wf_val_set_name); flags: len NULL names. */
wf_val wf_val_agg(wf_val_kind k, size_t len);
void wf_val_set_name(wf_val *agg, size_t i, const char *name);  /* copies */
/* variant, enum, option, result. payload (may be NULL) is moved into a new
 * heap slot: *payload becomes false and the caller keeps no ownership. */
wf_val wf_val_case(wf_val_kind k, uint32_t index, const char *name, wf_val *payload);
wf_val wf_val_none(void);
wf_val wf_val_some(wf_val *payload);              /* moves *payload */
wf_val wf_val_ok(wf_val *payload);                /* payload may be NULL */
wf_val wf_val_err(wf_val *payload);               /* payload may be NULL */

/* Record field by name (exact), or NULL. */
const wf_val *wf_val_field(const wf_val *rec, const char *name);

#endif
