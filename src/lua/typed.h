/*
 * typed.h - upstream Wippy's typed Lua, run as plain Lua: the type
 * annotations of upstream's grammar (wippyai/go-lua) erased before Lua 5.4
 * compiles a chunk.
 *
 * Upstream's Lua has a gradual type system (`local n: number = 1`,
 * `function f<T>(xs: {T}): T?`, `type Point = {x: number}`, casts
 * `v :: T` and `v as T`, `v!`, `interface ... end`); its checker is a
 * separate tool and at run time a typed program behaves as its untyped
 * form. So wasmfn only has to take the annotations out: each byte of one
 * becomes a space (line breaks stay), so every line and column in Lua's
 * own messages is where the author wrote it.
 */
#ifndef WF_LUA_TYPED_H
#define WF_LUA_TYPED_H

#include <stddef.h>

#include "base/error.h"

/* Erase the type annotations in src[0..len) in place; chunk names the
 * source in errors ("app:handler"). Plain Lua is left as it is, and so is
 * everything from the first plain-Lua syntax error on (Lua's compiler then
 * reports that error itself). NULL, or INVALID "chunk:LINE: <what> expected
 * near '<token>'" for malformed annotation syntax. */
wf_error *wf_lua_typed_erase(char *src, size_t len, const char *chunk);

#endif
