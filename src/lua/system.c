/*
 * system.c - upstream Wippy's `system` module (wippyai/docs en/lua/system/
 * system.md), the part a function can answer about one wasmfn process:
 *
 *   system.memory.stats()        -> table, nil  (fields below)
 *   system.memory.allocated()    -> bytes, nil  (malloc's bytes in use)
 *   system.gc.collect()          -> true, nil   (this state's Lua collector)
 *   system.runtime.goroutines()  -> the process's threads, nil
 *   system.runtime.cpu_count()   -> online CPUs, nil
 *   system.runtime.max_procs()   -> online CPUs, nil (no argument)
 *   system.process.pid() / hostname() / cwd()
 *   system.modules()             -> { {name, description, class}, ... }, nil
 *   system.hosts.list()          -> {}, nil (no process hosts are served)
 *   system.supervisor.states()   -> {}, nil; state(id) -> nil, NotFound
 *
 * Upstream's figures are Go's runtime.MemStats; wasmfn's are the C
 * allocator's (mallinfo2) and the kernel's: alloc, heap_alloc and
 * heap_in_use the bytes malloc has handed out, heap_sys and sys what it
 * holds from the system (sys at least the resident set), heap_idle and
 * heap_released its free bytes, total_alloc the same as alloc (there is no
 * cumulative count). Go's own (stack, mspan, gc cycles, heap objects) are
 * 0. What would change the process (exit, memory limits, GC percent,
 * max_procs(n)) answers nil and an Invalid error, as do the cluster's
 * node, raft and lock: a function must not stop or retune the server that
 * runs it.
 */
#include <malloc.h>
#include <stdio.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "lua/lua_int.h"

static int not_provided(lua_State *L)
{
    return wf_lua_fail(L, WF_ERR_INVALID, "system: %s is not provided by wasmfn (a function does not "
                       "control the process that serves it)", lua_tostring(L, lua_upvalueindex(1)));
}

/* Resident set size in bytes (/proc/self/statm's second field), 0 if unknown. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

#ifdef __SANITIZE_ADDRESS__
/* The sanitizer runtime's allocator interface (its header is not installed
 * with gcc's runtime here). */
size_t __sanitizer_get_current_allocated_bytes(void);
size_t __sanitizer_get_heap_size(void);
size_t __sanitizer_get_free_bytes(void);
#endif

/* The bytes malloc has handed out and not had back, and what it holds from
 * the kernel. AddressSanitizer's allocator replaces glibc's, whose
 * mallinfo2 then says 0: ask it instead (make asan). */
static void malloc_figures(size_t *used, size_t *held, size_t *free_bytes)
{
#ifdef __SANITIZE_ADDRESS__
    *used = __sanitizer_get_current_allocated_bytes();
    *held = __sanitizer_get_heap_size();
    *free_bytes = __sanitizer_get_free_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    *used = mi.uordblks + mi.hblkhd;
    *held = mi.arena + mi.hblkhd;
    *free_bytes = mi.fordblks;
#endif
}

static void set_num(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static int mem_stats(lua_State *L)
{
    size_t u, h, fb;
    malloc_figures(&u, &h, &fb);
    lua_Integer used = (lua_Integer)u, held = (lua_Integer)h;
    lua_Integer rss = (lua_Integer)rss_bytes();
    lua_createtable(L, 0, 15);
    set_num(L, "alloc", used);
    set_num(L, "total_alloc", used);
    set_num(L, "sys", rss > held ? rss : held);
    set_num(L, "heap_alloc", used);
    set_num(L, "heap_sys", held);
    set_num(L, "heap_idle", (lua_Integer)fb);
    set_num(L, "heap_in_use", used);
    set_num(L, "heap_released", (lua_Integer)fb);
    set_num(L, "heap_objects", 0);
    set_num(L, "stack_in_use", 0);
    set_num(L, "stack_sys", 0);
    set_num(L, "mspan_in_use", 0);
    set_num(L, "mspan_sys", 0);
    set_num(L, "num_gc", 0);
    set_num(L, "next_gc", 0);
    lua_pushnil(L);
    return 2;
}

static int mem_allocated(lua_State *L)
{
    size_t used, held, free_bytes;
    malloc_figures(&used, &held, &free_bytes);
    lua_pushinteger(L, (lua_Integer)used);
    lua_pushnil(L);
    return 2;
}

static int gc_collect(lua_State *L)
{
    lua_gc(L, LUA_GCCOLLECT);
    lua_pushboolean(L, 1);
    lua_pushnil(L);
    return 2;
}

/* The process's threads (/proc/self/status), the nearest thing to Go's
 * goroutine count; 1 if unknown. */
static int rt_goroutines(lua_State *L)
{
    lua_Integer n = 1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Threads: %lld", &n) == 1) break;
        fclose(f);
    }
    lua_pushinteger(L, n);
    lua_pushnil(L);
    return 2;
}

static int rt_cpu_count(lua_State *L)
{
    lua_pushinteger(L, get_nprocs());
    lua_pushnil(L);
    return 2;
}

static int rt_max_procs(lua_State *L)
{
    if (!lua_isnoneornil(L, 1))
        return wf_lua_fail(L, WF_ERR_INVALID, "system: runtime.max_procs(n) is not provided by wasmfn "
                           "(a function does not control the process that serves it)");
    return rt_cpu_count(L);
}

static int proc_pid(lua_State *L)
{
    lua_pushinteger(L, getpid());
    lua_pushnil(L);
    return 2;
}

static int proc_hostname(lua_State *L)
{
    char name[256];
    if (gethostname(name, sizeof name) != 0) return wf_lua_fail(L, WF_ERR_INTERNAL, "system: hostname unavailable");
    name[sizeof name - 1] = 0;
    lua_pushstring(L, name);
    lua_pushnil(L);
    return 2;
}

static int proc_cwd(lua_State *L)
{
    char dir[4096];
    if (!getcwd(dir, sizeof dir)) return wf_lua_fail(L, WF_ERR_INTERNAL, "system: working directory unavailable");
    lua_pushstring(L, dir);
    lua_pushnil(L);
    return 2;
}

static int list_modules(lua_State *L)
{
    char *names = wf_lua_module_names();
    lua_newtable(L);
    lua_Integer k = 0;
    for (char *p = names, *tok; (tok = strtok_r(p, ", ", &p));) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, tok);
        lua_setfield(L, -2, "name");
        lua_pushliteral(L, "");
        lua_setfield(L, -2, "description");
        lua_newtable(L);
        lua_setfield(L, -2, "class");
        lua_rawseti(L, -2, ++k);
    }
    free(names);
    lua_pushnil(L);
    return 2;
}

static int empty_list(lua_State *L)
{
    lua_newtable(L);
    lua_pushnil(L);
    return 2;
}

static int supervisor_state(lua_State *L)
{
    return wf_lua_fail(L, WF_ERR_NOT_FOUND, "system: no supervised service %s (wasmfn serves no "
                       "process.service)", luaL_checkstring(L, 1));
}

/* A sub-table of the module: fns, then names answered by not_provided. */
static void sub(lua_State *L, const char *name, const luaL_Reg *fns, const char *const *refused)
{
    lua_newtable(L);
    if (fns) luaL_setfuncs(L, fns, 0);
    for (size_t i = 0; refused && refused[i]; i++) {
        lua_pushfstring(L, "%s.%s", name, refused[i]);
        lua_pushcclosure(L, not_provided, 1);
        lua_setfield(L, -2, refused[i]);
    }
    lua_setfield(L, -2, name);
}

int wf_lua_open_system(lua_State *L)
{
    static const luaL_Reg memory[] = {{"stats", mem_stats}, {"allocated", mem_allocated}, {NULL, NULL}};
    static const char *const memory_no[] = {"heap_objects", "set_limit", "get_limit", NULL};
    static const luaL_Reg gc[] = {{"collect", gc_collect}, {NULL, NULL}};
    static const char *const gc_no[] = {"set_percent", "get_percent", NULL};
    static const luaL_Reg runtime[] = {
        {"goroutines", rt_goroutines}, {"cpu_count", rt_cpu_count}, {"max_procs", rt_max_procs}, {NULL, NULL}};
    static const luaL_Reg process[] = {
        {"pid", proc_pid}, {"hostname", proc_hostname}, {"cwd", proc_cwd}, {NULL, NULL}};
    static const luaL_Reg hosts[] = {{"list", empty_list}, {"processes", empty_list}, {NULL, NULL}};
    static const luaL_Reg supervisor[] = {{"states", empty_list}, {"state", supervisor_state}, {NULL, NULL}};
    static const char *const node_no[] = {"id", "addr", "role", NULL};
    static const char *const cluster_no[] = {"members", "leader", "size", NULL};
    static const char *const raft_no[] = {"is_leader", "is_member", "role", "term", "commit_index", "stats", NULL};
    static const char *const lock_no[] = {"acquire", "release", NULL};
    lua_newtable(L);
    lua_pushcfunction(L, list_modules);
    lua_setfield(L, -2, "modules");
    lua_pushliteral(L, "exit");
    lua_pushcclosure(L, not_provided, 1);
    lua_setfield(L, -2, "exit");
    sub(L, "memory", memory, memory_no);
    sub(L, "gc", gc, gc_no);
    sub(L, "runtime", runtime, NULL);
    sub(L, "process", process, NULL);
    sub(L, "hosts", hosts, NULL);
    sub(L, "supervisor", supervisor, NULL);
    sub(L, "node", NULL, node_no);
    sub(L, "cluster", NULL, cluster_no);
    sub(L, "raft", NULL, raft_no);
    sub(L, "lock", NULL, lock_no);
    return 1;
}
