/*
 * metrics.c - upstream Wippy's `metrics` module
 * (runtime/lua/modules/metrics/spec.md) over the runtime's metrics, so
 * what Lua code records shows at `wasmfn run --admin`'s /metrics:
 *
 *   metrics.counter_inc(name, labels?)         -> true, nil | nil, err
 *   metrics.counter_add(name, value, labels?)
 *   metrics.gauge_set(name, value, labels?)
 *   metrics.gauge_inc(name, labels?) / gauge_dec(name, labels?)
 *   metrics.histogram(name, value, labels?)
 *
 * labels: a table; as upstream, only string keys with string values are
 * used, others are ignored. Where upstream's collector accepts anything,
 * a series the text format cannot show is refused here (Invalid: bad
 * name or label, a counter going down, wasmfn's own names, one name under
 * two types; metrics_user.c) and so is one past the series cap (a limit
 * error); without a runtime, Internal "metrics collector not available",
 * as upstream without a collector.
 */
#include "lua/lua_int.h"
#include "runtime/metrics.h"
#include "runtime/runtime.h"

#define MAX_PAIRS 17   /* one past metrics_user.c's cap, so it reports "too many" */

static int record(lua_State *L, wf_metric_op op, bool has_value, double fixed)
{
    const char *name = luaL_checkstring(L, 1);
    double value = has_value ? luaL_checknumber(L, 2) : fixed;
    int li = has_value ? 3 : 2;
    const char *pairs[2 * MAX_PAIRS];
    size_t n = 0;
    if (lua_type(L, li) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, li)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING && n < MAX_PAIRS) {
                pairs[2 * n] = lua_tostring(L, -2);     /* kept alive by the table */
                pairs[2 * n + 1] = lua_tostring(L, -1);
                n++;
            }
            lua_pop(L, 1);
        }
    }
    wf_runtime *rt = wf_lua_ctx_of(L)->env->rt;
    if (!rt) return wf_lua_fail(L, WF_ERR_INTERNAL, "metrics collector not available");
    wf_error *e = wf_metrics_user_record(wf_metrics_user_of(wf_runtime_metrics(rt)), op, name, pairs, n, value);
    if (e) {
        lua_pushnil(L);
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_pushnil(L);
    return 2;
}

static int m_counter_inc(lua_State *L) { return record(L, WF_METRIC_COUNTER_ADD, false, 1); }
static int m_counter_add(lua_State *L) { return record(L, WF_METRIC_COUNTER_ADD, true, 0); }
static int m_gauge_set(lua_State *L) { return record(L, WF_METRIC_GAUGE_SET, true, 0); }
static int m_gauge_inc(lua_State *L) { return record(L, WF_METRIC_GAUGE_ADD, false, 1); }
static int m_gauge_dec(lua_State *L) { return record(L, WF_METRIC_GAUGE_ADD, false, -1); }
static int m_histogram(lua_State *L) { return record(L, WF_METRIC_OBSERVE, true, 0); }

int wf_lua_open_metrics(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"counter_inc", m_counter_inc}, {"counter_add", m_counter_add}, {"gauge_set", m_gauge_set},
        {"gauge_inc", m_gauge_inc},     {"gauge_dec", m_gauge_dec},     {"histogram", m_histogram},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
