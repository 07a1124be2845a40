/*
 * val.h - wf_val, the one host value model (DESIGN.md "One value model").
 *
 * What Lua, JSON, HTTP and the Canonical ABI convert to and from. A wf_val
 * is self-describing enough to print as JSON without its WIT type: records
 * carry field names, variants and enums their case names, flags their set
 * names. Conversions that need a type (Lua/JSON -> WIT) take a wf_wit_type
 * (wit.h) and produce a wf_val of exactly that shape.
 *
 * Ownership: a wf_val owns everything it points to; wf_val_free releases a
 * whole tree (iteratively deep enough for any value a WIT type allows).
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
        struct { char *data; size_t len; } str;
        /* list, tuple, record (names[i] is field i), flags (names only) */
        struct { wf_val *items; char **names; size_t len; } agg;
        /* variant, enum, option, result: case index and name, payload or NULL */
        struct { uint32_t index; char *name; wf_val *payload; } cas;
    } of;
};

void wf_val_free(wf_val *v);   /* frees what v owns, not v itself */

#endif
