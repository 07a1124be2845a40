/*
 * registry.h - a project directory loaded into registry entries (SPEC §1, §2,
 * §4 wasi block, §5 pool, §6 env and fs).
 *
 * wf_registry_load reads every `_index.yaml` below a directory (recursively,
 * in sorted path order), checks every entry of every kind, resolves
 * references, `file://` values and `${env:NAME}` placeholders, verifies
 * function.wasm hashes and compiles every WAT and WASM module once. Errors
 * are collected, not stopped at: each names file, line, entry ID and problem.
 * A file with any error contributes nothing; the other files still load.
 * Loading only reads (it is all `wasmfn check` does); wf_registry_register
 * makes what running needs (auto_init directories).
 *
 * Ownership: the registry owns every entry, string and compiled module it
 * holds until wf_registry_free. Entries are immutable after load and may be
 * read from any thread (env.storage.memory values are the one mutable part,
 * behind a lock, see wf_registry_env_set).
 *
 * ${env:NAME} / ${env:NAME|default}: NAME names an env.variable entry, by its
 * `variable` field (public name), its full ID, or its bare name in the
 * referring entry's namespace. The value is the variable's storage value for
 * `variable`; if the storage has none, the entry's `default`; if no entry
 * declares NAME, the placeholder's `|default`; otherwise a load error. The
 * process environment is never read implicitly: declare an env.variable with
 * an env.storage.os storage to expose one. Placeholders are expanded in YAML
 * string values (before `file://` is applied), never inside file contents.
 */
#ifndef WF_REGISTRY_H
#define WF_REGISTRY_H

#include "base/base.h"
#include "wasmfn.h"

typedef struct wf_registry wf_registry;
typedef struct wf_runtime wf_runtime;   /* src/runtime/runtime.h */
struct wf_wit;                          /* src/component/wit/wit.h */

typedef enum wf_reg_kind {
    WF_REG_FS_DIRECTORY,
    WF_REG_ENV_STORAGE_OS,
    WF_REG_ENV_STORAGE_STATIC,
    WF_REG_ENV_STORAGE_MEMORY,
    WF_REG_ENV_STORAGE_FILE,
    WF_REG_ENV_VARIABLE,
    WF_REG_FUNCTION_WAT,
    WF_REG_FUNCTION_WASM,
    WF_REG_FUNCTION_LUA,
    WF_REG_LIBRARY_LUA,
    WF_REG_HTTP_SERVICE,
    WF_REG_HTTP_ROUTER,
    WF_REG_HTTP_ENDPOINT,
    WF_REG_HTTP_STATIC,
    WF_REG_KIND_COUNT
} wf_reg_kind;

/* "function.wat", ... */
const char *wf_reg_kind_name(wf_reg_kind k);

/* A YAML node as loaded (kept for `meta` and the http kinds), with its line. */
typedef enum wf_reg_node_type { WF_NODE_SCALAR, WF_NODE_SEQ, WF_NODE_MAP } wf_reg_node_type;
typedef struct wf_reg_node wf_reg_node;
struct wf_reg_node {
    wf_reg_node_type type;
    int line, col;           /* 1-based, in the node's file */
    char *str;               /* scalar: its value (after file:// and ${env:}) */
    size_t len;              /* scalar: length of str */
    bool plain;              /* scalar: unquoted (so `true`, `12` are bool/int) */
    bool block;              /* scalar: `|` or `>` (text starts on the next line) */
    bool from_file;          /* scalar: str was read from a file:// reference */
    char *file_ref;          /* scalar: that reference's PATH as written, or NULL */
    size_t n;                /* seq / map: number of items */
    wf_reg_node **items;     /* seq items / map values */
    char **keys;             /* map keys (NULL for seq) */
    struct wf_arena *arena;  /* the root's: holds the tree's nodes, arrays and keys */
};
/* Map lookup; NULL when absent or when m is not a map. */
const wf_reg_node *wf_reg_node_get(const wf_reg_node *m, const char *key);

/* §5 pools; absent `pool` is lazy with max_size 100 (upstream's elastic
 * default). Unset numeric fields get the defaults. */
typedef enum wf_reg_pool_type {
    WF_POOL_INLINE, WF_POOL_LAZY, WF_POOL_STATIC, WF_POOL_ADAPTIVE
} wf_reg_pool_type;
typedef struct wf_reg_pool {
    wf_reg_pool_type type;
    uint32_t max_size;   /* lazy (16), adaptive (16) */
    uint32_t size;       /* static: total instances (default: workers) */
    uint32_t workers;    /* static: threads (default: size, else 8) */
    uint32_t buffer;     /* static: queue length (default workers*64) */
    bool warm_start;     /* adaptive */
} wf_reg_pool;

/* limits: 0 = not set (the runtime's default applies). */
typedef struct wf_reg_limits {
    uint32_t max_execution_ms, max_memory_mb, max_stack_kb;
} wf_reg_limits;

/* `imports` words, as bits. Versions (`wasi:io@0.2.3`) are accepted and dropped. */
enum {
    WF_IMPORT_WASI_CLI = 1u << 0,
    WF_IMPORT_WASI_IO = 1u << 1,
    WF_IMPORT_WASI_POLL = 1u << 2,
    WF_IMPORT_WASI_CLOCKS = 1u << 3,
    WF_IMPORT_WASI_RANDOM = 1u << 4,
    WF_IMPORT_WASI_FILESYSTEM = 1u << 5,
    WF_IMPORT_WASI_SOCKETS = 1u << 6,
    WF_IMPORT_WASI_HTTP = 1u << 7,
    WF_IMPORT_WASI_P1 = 1u << 8,     /* wasi_snapshot_preview1, wasi1, preview1 */
    WF_IMPORT_FUNCS = 1u << 9,
};

typedef struct wf_reg_wasi_env {
    char *id;          /* full ID of an env.variable entry */
    char *name;        /* the guest's variable name */
    bool required;
} wf_reg_wasi_env;
typedef struct wf_reg_wasi_mount {
    char *fs;          /* full ID of an fs.directory entry */
    char *host;        /* that entry's absolute host directory */
    char *guest;       /* absolute guest path, unique in the function */
    bool read_only;
} wf_reg_wasi_mount;
typedef struct wf_reg_wasi {
    char **args; size_t nargs;
    char *cwd;                       /* absolute, or NULL */
    wf_reg_wasi_env *env; size_t nenv;
    wf_reg_wasi_mount *mounts; size_t nmounts;
    char **network; size_t nnetwork; /* host:port patterns sockets/HTTP may reach */
} wf_reg_wasi;

typedef enum wf_reg_transport { WF_TRANSPORT_PAYLOAD, WF_TRANSPORT_WASI_HTTP } wf_reg_transport;

/* function.wat and function.wasm */
typedef struct wf_reg_wasm {
    wf_module *module;      /* compiled at load; owned by the registry */
    /* function.wasm whose binary is a component (then module is NULL):
     * decoded, validated and compiled at load; owned by the registry */
    struct wf_component *component;
    char *method;           /* export name, or `iface#func` */
    char *wit;              /* the `wit` text, or NULL */
    int wit_line;           /* line of the `wit` field */
    struct wf_wit *wit_doc; /* `wit` parsed, or NULL; owned by the registry */
    const struct wf_wit_func *wit_func; /* `method` in wit_doc, or NULL */
    char *source;           /* function.wat: the WAT text */
    char *fs;               /* function.wasm: full ID of the fs.directory */
    char *path;             /* function.wasm: path inside it, as written */
    char *file;             /* function.wasm: absolute host path of the .wasm */
    uint8_t hash[32];       /* function.wasm: the verified sha256 */
    bool shared;            /* module/component borrowed from an earlier entry with the same hash */
    wf_reg_pool pool;
    wf_reg_limits limits;
    uint32_t imports;       /* WF_IMPORT_* bits */
    wf_reg_transport transport;
    wf_reg_wasi wasi;
    bool has_wasi;
    bool preinit;           /* `preinit: true`: initialise once at load (runtime.h) */
} wf_reg_wasm;

/* function.lua (for the Lua layer, which registers these itself) */
/* absent: the ID names nothing of the project but a namespace only an
 * ns.dependency (which wasmfn does not fetch) could bring: it loads with a
 * warning and require() of the alias fails saying so. */
typedef struct wf_reg_lua_import { char *alias; char *id; bool absent; } wf_reg_lua_import;
typedef struct wf_reg_lua {
    char *source;           /* Lua text (file:// already read) */
    char *method;           /* function.lua: global function to call */
    char **modules; size_t nmodules;
    bool has_modules;       /* false: all built-ins available */
    wf_reg_lua_import *imports; size_t nimports;   /* alias -> library.lua full ID */
    wf_reg_pool pool;
} wf_reg_lua;

typedef struct wf_reg_fs {
    char *directory;        /* as written */
    char *path;             /* absolute host path, inside the project root */
    bool auto_init;         /* create it when missing, at wf_registry_register */
    uint32_t mode;          /* for auto_init (default 0755) */
} wf_reg_fs;

typedef struct wf_reg_kv { char *key; char *value; } wf_reg_kv;
typedef struct wf_reg_storage {
    wf_reg_kv *values; size_t nvalues;   /* static / file: loaded values */
    char *file_path;                     /* file: absolute host path */
    bool auto_create;                    /* file: made empty when missing, at wf_registry_register */
    uint32_t file_mode;                  /* file: its mode then (default 0600) */
} wf_reg_storage;

typedef struct wf_reg_variable {
    char *variable;         /* public name (default: the entry's name) */
    char *storage;          /* full ID of an env.storage.* entry */
    char *default_value;    /* or NULL */
    bool readonly;          /* `readonly`, or upstream's spelling `read_only` */
} wf_reg_variable;

/* http.*: references resolved to full IDs (SPEC §7).
 * A router without meta.server gets the only http.service, an endpoint or
 * static without meta.router the only http.router; with none at all the
 * field stays NULL and `wasmfn run` serves it on an implicit service and
 * router (the original document's endpoint example declares neither);
 * with several it is a load error naming them. */
/* A service timeout written as 0 ("0", "0s"): upstream's "disabled",
 * the longest duration a field holds (about 24.8 days). */
#define WF_REG_TIMEOUT_OFF 0x7fffffffu

typedef struct wf_reg_http {
    char *addr;             /* service: "host:port" or ":port" */
    uint32_t read_timeout_ms, write_timeout_ms, idle_timeout_ms;  /* service; 0 = default, or ..._OFF */
    uint64_t max_header_bytes, max_body_bytes;                     /* service `limits`; 0 = default */
    bool not_started;       /* service: `lifecycle.auto_start: false` (upstream: the supervisor leaves it) */
    uint32_t stop_timeout_ms; /* service: `lifecycle.stop_timeout`, the drain bound; 0 = not given */
    char *server;           /* router: meta.server; static: meta.server (mounted without a router) */
    char *prefix;           /* router: "/api" or NULL */
    char *router;           /* endpoint, static: meta.router */
    char *method;           /* endpoint: upper case, or "*" */
    char *path;             /* endpoint, static: below the router's prefix */
    char *func;             /* endpoint: full ID */
    char *fs;               /* static: full ID of the fs.directory */
    char *directory;        /* static: sub-directory inside it, or NULL */
    char *root;             /* static: absolute host directory served (after references) */
    char *index;            /* static: file served for a directory ("index.html") */
} wf_reg_http;

typedef struct wf_reg_entry {
    wf_reg_kind kind;
    char *id;               /* "namespace:name" */
    char *ns, *name;
    char *file;             /* the _index.yaml, relative to the project root */
    char *dir;              /* absolute directory of that file */
    int line;               /* line of the entry in that file */
    const wf_reg_node *node; /* the whole entry as loaded */
    const wf_reg_node *meta; /* or NULL */
    union {
        wf_reg_wasm wasm;          /* FUNCTION_WAT, FUNCTION_WASM */
        wf_reg_lua lua;            /* FUNCTION_LUA, LIBRARY_LUA */
        wf_reg_fs fs;              /* FS_DIRECTORY */
        wf_reg_storage storage;    /* ENV_STORAGE_* */
        wf_reg_variable var;       /* ENV_VARIABLE */
        wf_reg_http http;          /* HTTP_* */
    } u;
} wf_reg_entry;

/* One load problem: `file:line: entry ID: message` (no entry: `file:line: message`).
 * A warning (an upstream Wippy kind wasmfn does not serve, a field wasmfn
 * does not know) loads nothing of its entry or ignores its field, but leaves
 * the rest of the file loaded; an error loads nothing of the file. */
typedef struct wf_reg_diag {
    char *file;             /* relative to the project root */
    int line;
    char *entry;            /* entry ID, or NULL */
    char *message;
    bool warning;
    size_t file_index, seq; /* for ordering: file load order, then report order */
} wf_reg_diag;

/* Load dir. *out always receives a registry (the sound files' entries) unless
 * dir itself cannot be read; the return is NULL when there was no error
 * (warnings may remain: wf_registry_diag with .warning), else a
 * WF_ERR_INVALID (or WF_ERR_IO for an unreadable dir) summary "N load
 * errors" whose details are the wf_registry_diags. Free both. */
wf_error *wf_registry_load(const char *dir, wf_registry **out);
void wf_registry_free(wf_registry *r);

const char *wf_registry_root(const wf_registry *r);      /* absolute */
size_t wf_registry_diag_count(const wf_registry *r);     /* errors and warnings */
size_t wf_registry_warning_count(const wf_registry *r);
const wf_reg_diag *wf_registry_diag(const wf_registry *r, size_t i);
/* "file:line: entry: message"; the caller frees it. */
char *wf_reg_diag_format(const wf_reg_diag *d);

/* Entries in load order (files sorted by path, entries in file order). */
size_t wf_registry_count(const wf_registry *r);
const wf_reg_entry *wf_registry_at(const wf_registry *r, size_t i);
/* By full ID; NULL when absent. */
const wf_reg_entry *wf_registry_get(const wf_registry *r, const char *id);

/* An entry as upstream's `registry` Lua module shows it (lua/registry.c):
 * the served entries and those of the upstream kinds wasmfn skips
 * (registry.entry, process.lua, ...), of the sound files, in load order. */
typedef struct wf_reg_listed {
    const char *id, *ns, *name;
    const char *kind;           /* as written: "registry.entry" */
    const wf_reg_node *node;    /* the whole entry as loaded */
} wf_reg_listed;
size_t wf_registry_listed_count(const wf_registry *r);
const wf_reg_listed *wf_registry_listed_at(const wf_registry *r, size_t i);
/* By full ID; NULL when absent. */
const wf_reg_listed *wf_registry_listed_get(const wf_registry *r, const char *id);

/* The current value of env.variable `id` (full ID): its storage's value, else
 * its default. *value is the caller's (free it); NULL when it has neither. */
wf_error *wf_registry_env_get(wf_registry *r, const char *id, char **value);
/* Set a variable whose storage is env.storage.memory (or .file, in memory
 * only); INVALID when the variable is readonly or the storage is not writable. */
wf_error *wf_registry_env_set(wf_registry *r, const char *id, const char *value);

/* Register every function.wat / function.wasm entry into rt (the Lua layer
 * registers function.lua itself). The registry must outlive rt's use of the
 * modules: rt borrows them. First makes the missing fs.directory entries
 * with auto_init (wf_registry_load never writes): WF_ERR_IO if one cannot be
 * made. */
wf_error *wf_registry_register(wf_registry *r, wf_runtime *rt);

/* Is name a Lua module upstream Wippy defines that wasmfn does not provide
 * (lua_modules.c)? Such a name in `modules` is a warning, not an error. */
bool wf_registry_lua_module_upstream(const char *name);
/* The name closest to name among served[0..n) and upstream's modules. */
const char *wf_registry_lua_module_closest(const char *name, const char *const *served, size_t n);

#endif
