/*
 * time.c - upstream Wippy's `time` module (runtime/lua/modules/time/spec.md),
 * which follows Go's time package:
 *
 *   durations: integers are nanoseconds, strings Go's form ("1h30m", "1.5s",
 *     "500ms"), or Duration values; time.NANOSECOND .. time.HOUR;
 *     time.parse_duration(s) -> Duration (:nanoseconds() .. :hours(),
 *     tostring "1h30m0s");
 *   time.now(), time.unix(sec, nsec), time.date(y, mo, d, h, mi, s, ns [, loc])
 *     -> Time: :unix(), :unix_nano(), :add(d), :sub(t) -> Duration,
 *     :add_date(y, m, d), :after(t), :before(t), :equal(t), :format(layout)
 *     (Go's layouts: time.RFC3339, "2006-01-02 15:04:05", ...),
 *     :format_rfc3339(), :year() .. :nanosecond(), :weekday(), :year_day(),
 *     :date(), :clock(), :is_zero(), :utc(), :in_local(), :in_location(loc),
 *     :location(), :round(d), :truncate(d);
 *   time.parse(layout, value) -> Time (Go's layouts, time_layout.c);
 *   locations: time.utc, time.localtz, time.load_location(name) (the
 *     system's zoneinfo), time.fixed_zone(name, offset_s) (time_zone.c);
 *   time.sleep(d) parks the call (no worker held) and returns nil, or an
 *     error when the call was stopped first;
 *   time.after(d) -> a channel that receives the time once, then closes;
 *   time.timer(d) -> Timer (:channel() / :response(), :stop(), :reset(d));
 *   time.ticker(d) -> Ticker (:channel() / :response(), :stop()): a tick
 *     each period, dropped when the previous one is still unread (as Go).
 * Timers are channel sources (chan.c): they fire when the channel is looked
 * at after their time, and a wait on them parks until then.
 */
#include <stdio.h>
#include <time.h>

#include "lua/lua_int.h"

#define DUR_MT "wasmfn.time.Duration"
#define TIME_MT "wasmfn.time.Time"
#define LOC_MT "wasmfn.time.Location"
#define TIMER_MT "wasmfn.time.Timer"

#define NS_PER_S 1000000000LL

/* ---- durations -------------------------------------------------------------------- */

typedef struct ldur { int64_t ns; } ldur;

static void push_dur(lua_State *L, int64_t ns)
{
    ldur *d = lua_newuserdatauv(L, sizeof *d, 0);
    d->ns = ns;
    luaL_setmetatable(L, DUR_MT);
}

/* Go's time.ParseDuration. */
static bool parse_go_duration(const char *s, int64_t *out)
{
    static const struct { const char *u; int64_t ns; } units[] = {
        {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
        {"s", NS_PER_S}, {"m", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S},
    };
    bool neg = false;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    if (!strcmp(s, "0")) {
        *out = 0;
        return true;
    }
    if (!*s) return false;
    long double total = 0;
    while (*s) {
        if (!((*s >= '0' && *s <= '9') || *s == '.')) return false;
        long double v = 0, scale = 1;
        bool digits = false, frac = false;
        for (; (*s >= '0' && *s <= '9') || (*s == '.' && !frac); s++) {
            if (*s == '.') {
                frac = true;
                continue;
            }
            digits = true;
            if (frac) scale /= 10;
            v = frac ? v + (*s - '0') * scale : v * 10 + (*s - '0');
        }
        if (!digits) return false;
        size_t best = 0;
        int64_t mult = 0;
        for (size_t i = 0; i < WF_COUNT(units); i++) {
            size_t n = strlen(units[i].u);
            if (!strncmp(s, units[i].u, n) && n > best) best = n, mult = units[i].ns;
        }
        if (!best) return false;
        s += best;
        total += v * (long double)mult;
        if (total > (long double)INT64_MAX) return false;
    }
    *out = (int64_t)(neg ? -total : total);
    return true;
}

bool wf_lua_to_duration(lua_State *L, int idx, int64_t *ns, const char **why)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            *ns = (int64_t)lua_tointeger(L, idx);
        } else {
            lua_Number v = lua_tonumber(L, idx);
            if (!(v >= -9.2e18 && v <= 9.2e18)) {
                *why = "a duration in nanoseconds out of range";
                return false;
            }
            *ns = (int64_t)v;
        }
        return true;
    case LUA_TSTRING:
        if (parse_go_duration(lua_tostring(L, idx), ns)) return true;
        *why = "a duration such as \"1s\", \"1h30m\" or \"500ms\"";
        return false;
    case LUA_TUSERDATA: {
        ldur *d = luaL_testudata(L, idx, DUR_MT);
        if (d) {
            *ns = d->ns;
            return true;
        }
    } /* fallthrough */
    default:
        *why = "a duration (integer nanoseconds, a string such as \"1s\", or a Duration)";
        return false;
    }
}

static int64_t check_duration(lua_State *L, int idx, const char *fn)
{
    int64_t ns;
    const char *why;
    if (!wf_lua_to_duration(L, idx, &ns, &why))
        luaL_error(L, "%s: expected %s, got %s", fn, why,
                   lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : luaL_typename(L, idx));
    return ns;
}

/* Go's Duration.String(): "1h30m0s", "1.5s", "500ms", "0s". */
static void dur_string(int64_t ns, char *buf, size_t cap)
{
    uint64_t u = ns < 0 ? (uint64_t)-(ns + 1) + 1 : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    if (u == 0) {
        snprintf(buf, cap, "0s");
    } else if (u < (uint64_t)NS_PER_S) {
        const char *unit = "ns";
        uint64_t div = 1;
        if (u >= 1000000) unit = "ms", div = 1000000;
        else if (u >= 1000) unit = "\xc2\xb5s", div = 1000;
        char frac[16] = "";
        if (u % div) {
            snprintf(frac, sizeof frac, ".%0*llu", div == 1000000 ? 6 : 3,
                     (unsigned long long)(u % div));
            for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--) frac[n - 1] = 0;
        }
        snprintf(buf, cap, "%s%llu%s%s", sign, (unsigned long long)(u / div), frac, unit);
    } else {
        uint64_t s = u / NS_PER_S, f = u % NS_PER_S;
        char frac[16] = "";
        if (f) {
            snprintf(frac, sizeof frac, ".%09llu", (unsigned long long)f);
            for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--) frac[n - 1] = 0;
        }
        if (s >= 3600)
            snprintf(buf, cap, "%s%lluh%llum%llu%ss", sign, (unsigned long long)(s / 3600),
                     (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60), frac);
        else if (s >= 60)
            snprintf(buf, cap, "%s%llum%llu%ss", sign, (unsigned long long)(s / 60),
                     (unsigned long long)(s % 60), frac);
        else
            snprintf(buf, cap, "%s%llu%ss", sign, (unsigned long long)s, frac);
    }
}

static int dur_tostring(lua_State *L)
{
    char b[64];
    dur_string(((ldur *)luaL_checkudata(L, 1, DUR_MT))->ns, b, sizeof b);
    lua_pushstring(L, b);
    return 1;
}

static int dur_unit(lua_State *L, double per)
{
    ldur *d = luaL_checkudata(L, 1, DUR_MT);
    if (per == 1) lua_pushinteger(L, d->ns);
    else lua_pushnumber(L, (double)d->ns / per);
    return 1;
}
static int dur_ns(lua_State *L) { return dur_unit(L, 1); }
static int dur_us(lua_State *L) { return dur_unit(L, 1e3); }
static int dur_ms(lua_State *L) { return dur_unit(L, 1e6); }
static int dur_s(lua_State *L) { return dur_unit(L, 1e9); }
static int dur_min(lua_State *L) { return dur_unit(L, 60e9); }
static int dur_h(lua_State *L) { return dur_unit(L, 3600e9); }

static int time_parse_duration(lua_State *L)
{
    int64_t ns;
    const char *why;
    if (!wf_lua_to_duration(L, 1, &ns, &why))
        return wf_lua_fail(L, WF_ERR_INVALID, "time.parse_duration: expected %s", why);
    push_dur(L, ns);
    return 1;
}

/* ---- times and locations ------------------------------------------------------------ */

typedef struct ltime {
    int64_t ns;             /* since the Unix epoch */
    wf_lua_zone zone;       /* where it is shown */
} ltime;

typedef struct lloc { wf_lua_zone zone; } lloc;

static ltime *push_time_in(lua_State *L, int64_t ns, const wf_lua_zone *z)
{
    ltime *t = lua_newuserdatauv(L, sizeof *t, 0);
    t->ns = ns;
    t->zone = *z;
    luaL_setmetatable(L, TIME_MT);
    return t;
}

void wf_lua_push_time(lua_State *L, int64_t unix_ns)
{
    wf_lua_zone local;
    wf_lua_zone_load("Local", &local);
    push_time_in(L, unix_ns, &local);
}

static ltime *check_time(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TIME_MT);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t now_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int time_now(lua_State *L)
{
    wf_lua_push_time(L, now_unix_ns());
    return 1;
}

static int time_unix(lua_State *L)
{
    lua_Integer s = luaL_checkinteger(L, 1), n = luaL_optinteger(L, 2, 0);
    if (s > INT64_MAX / NS_PER_S - 1 || s < INT64_MIN / NS_PER_S + 1)
        return luaL_error(L, "time.unix: %d seconds is out of range", (int)s);
    wf_lua_push_time(L, s * NS_PER_S + n);
    return 1;
}

static void push_loc(lua_State *L, const wf_lua_zone *z)
{
    lloc *l = lua_newuserdatauv(L, sizeof *l, 0);
    l->zone = *z;
    luaL_setmetatable(L, LOC_MT);
}

/* The location at idx (absent: Local). */
static wf_lua_zone check_loc(lua_State *L, int idx)
{
    wf_lua_zone z;
    if (lua_isnoneornil(L, idx)) wf_lua_zone_load("Local", &z);
    else z = ((lloc *)luaL_checkudata(L, idx, LOC_MT))->zone;
    return z;
}

/* A wall-clock time in zone z as an instant: the offset in force then. */
static void push_wall(lua_State *L, int64_t wall_s, int64_t nsec, const wf_lua_zone *z)
{
    int64_t secs = wf_lua_zone_unix(z, wall_s);
    if (secs > INT64_MAX / NS_PER_S - 1 || secs < INT64_MIN / NS_PER_S + 1)
        luaL_error(L, "time: the date is out of range");
    push_time_in(L, secs * NS_PER_S + nsec, z);
}

static int time_date(lua_State *L)
{
    lua_Integer f[7];
    for (int i = 0; i < 7; i++) f[i] = i < 3 ? luaL_checkinteger(L, i + 1) : luaL_optinteger(L, i + 1, 0);
    for (int i = 0; i < 7; i++)
        if (f[i] > INT32_MAX || f[i] < INT32_MIN) return luaL_error(L, "time.date: argument %d is out of range", i + 1);
    wf_lua_zone z = check_loc(L, 8);
    push_wall(L, wf_lua_time_wall_secs(f[0], (int)f[1], (int)f[2], (int)f[3], (int)f[4], (int)f[5]), f[6], &z);
    return 1;
}

/* time.parse(layout, value) -> Time, or nil and an Invalid error with Go's
 * message. */
static int time_parse(lua_State *L)
{
    const char *layout = luaL_checkstring(L, 1), *value = luaL_checkstring(L, 2);
    int64_t ns;
    wf_lua_zone z;
    char err[512];
    if (!wf_lua_time_parse(layout, value, &ns, &z, err, sizeof err))
        return wf_lua_fail(L, WF_ERR_INVALID, "%s", err);
    push_time_in(L, ns, &z);
    return 1;
}

static int time_load_location(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    wf_lua_zone z;
    if (!wf_lua_zone_load(name, &z)) return wf_lua_fail(L, WF_ERR_NOT_FOUND, "unknown time zone %s", name);
    push_loc(L, &z);
    return 1;
}

static int time_fixed_zone(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_Integer off = luaL_checkinteger(L, 2);
    if (off < -86400 * 7 || off > 86400 * 7)
        return luaL_error(L, "time.fixed_zone: offset %d s is out of range", (int)off);
    wf_lua_zone z;
    wf_lua_zone_fixed(&z, name, (int32_t)off);
    push_loc(L, &z);
    return 1;
}

static int tm_unix(lua_State *L) { lua_pushinteger(L, floor_div(check_time(L, 1)->ns, NS_PER_S)); return 1; }
static int tm_unix_nano(lua_State *L) { lua_pushinteger(L, check_time(L, 1)->ns); return 1; }

static int tm_add(lua_State *L)
{
    ltime *t = check_time(L, 1);
    push_time_in(L, t->ns + check_duration(L, 2, "time:add"), &t->zone);
    return 1;
}

static int tm_sub(lua_State *L)
{
    push_dur(L, check_time(L, 1)->ns - check_time(L, 2)->ns);
    return 1;
}

static int tm_add_date(lua_State *L)
{
    ltime *t = check_time(L, 1);
    wf_lua_wall w;
    wf_lua_time_wall(t->ns, &t->zone, &w);
    lua_Integer y = luaL_checkinteger(L, 2), m = luaL_checkinteger(L, 3), d = luaL_checkinteger(L, 4);
    if (y > 100000 || y < -100000 || m > 1200000 || m < -1200000 || d > 36500000 || d < -36500000)
        return luaL_error(L, "time:add_date: out of range");
    wf_lua_zone z = t->zone;
    push_wall(L, wf_lua_time_wall_secs(w.year + y, w.month + (int)m, w.day + (int)d, w.hour, w.min, w.sec),
              w.nsec, &z);
    return 1;
}

/* Go's Round and Truncate: multiples of d since Go's zero time (January 1,
 * year 1, UTC), which for days and shorter are the Unix multiples too. */
static __int128 since_zero(int64_t ns)
{
    return (__int128)ns + (__int128)62135596800LL * NS_PER_S;
}

static int tm_truncate(lua_State *L)
{
    ltime *t = check_time(L, 1);
    int64_t d = check_duration(L, 2, "time:truncate");
    int64_t r = d > 0 ? (int64_t)(since_zero(t->ns) % d) : 0;
    push_time_in(L, t->ns - r, &t->zone);
    return 1;
}

static int tm_round(lua_State *L)
{
    ltime *t = check_time(L, 1);
    int64_t d = check_duration(L, 2, "time:round");
    int64_t r = d > 0 ? (int64_t)(since_zero(t->ns) % d) : 0;
    /* halfway rounds up, as Go */
    int64_t ns = d <= 0 ? t->ns : (uint64_t)r + (uint64_t)r < (uint64_t)d ? t->ns - r : t->ns + (d - r);
    push_time_in(L, ns, &t->zone);
    return 1;
}

static int tm_after(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns > check_time(L, 2)->ns); return 1; }
static int tm_before(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns < check_time(L, 2)->ns); return 1; }
static int tm_equal(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == check_time(L, 2)->ns); return 1; }
static int tm_is_zero(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == INT64_MIN); return 1; }

static int tm_in_location(lua_State *L)
{
    wf_lua_zone z = check_loc(L, 2);
    push_time_in(L, check_time(L, 1)->ns, &z);
    return 1;
}

static int tm_utc(lua_State *L)
{
    wf_lua_zone z;
    wf_lua_zone_load("UTC", &z);
    push_time_in(L, check_time(L, 1)->ns, &z);
    return 1;
}

static int tm_in_local(lua_State *L)
{
    wf_lua_push_time(L, check_time(L, 1)->ns);
    return 1;
}

static int tm_location(lua_State *L) { push_loc(L, &check_time(L, 1)->zone); return 1; }

static int loc_string(lua_State *L)
{
    lua_pushstring(L, wf_lua_zone_name(&((lloc *)luaL_checkudata(L, 1, LOC_MT))->zone));
    return 1;
}

/* The fields: 0 year .. 5 second, 6 nanosecond, 7 weekday, 8 year day. */
static int tm_field(lua_State *L, int which)
{
    ltime *t = check_time(L, 1);
    wf_lua_wall w;
    wf_lua_time_wall(t->ns, &t->zone, &w);
    const int64_t v[] = {w.year, w.month, w.day, w.hour, w.min, w.sec, w.nsec, w.wday, w.yday};
    lua_pushinteger(L, v[which]);
    return 1;
}
static int tm_year(lua_State *L) { return tm_field(L, 0); }
static int tm_month(lua_State *L) { return tm_field(L, 1); }
static int tm_day(lua_State *L) { return tm_field(L, 2); }
static int tm_hour(lua_State *L) { return tm_field(L, 3); }
static int tm_minute(lua_State *L) { return tm_field(L, 4); }
static int tm_second(lua_State *L) { return tm_field(L, 5); }
static int tm_nanosecond(lua_State *L) { return tm_field(L, 6); }
static int tm_weekday(lua_State *L) { return tm_field(L, 7); }
static int tm_year_day(lua_State *L) { return tm_field(L, 8); }

static int tm_date(lua_State *L)
{
    tm_field(L, 0);
    tm_field(L, 1);
    tm_field(L, 2);
    return 3;
}

static int tm_clock(lua_State *L)
{
    tm_field(L, 3);
    tm_field(L, 4);
    tm_field(L, 5);
    return 3;
}

static int push_format(lua_State *L, int idx, const char *layout)
{
    ltime *t = check_time(L, idx);
    wf_lua_wall w;
    wf_lua_time_wall(t->ns, &t->zone, &w);
    if (t->zone.kind == WF_LUA_ZONE_UTC) snprintf(w.abbr, sizeof w.abbr, "UTC");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    wf_lua_time_format(&w, layout, &b);
    luaL_pushresult(&b);
    return 1;
}

static int tm_format(lua_State *L) { return push_format(L, 1, luaL_checkstring(L, 2)); }
static int tm_format_rfc3339(lua_State *L) { return push_format(L, 1, "2006-01-02T15:04:05Z07:00"); }
static int tm_tostring(lua_State *L) { return push_format(L, 1, "2006-01-02 15:04:05.999999999 -0700 MST"); }

static int tm_eq(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == check_time(L, 2)->ns); return 1; }
static int tm_lt(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns < check_time(L, 2)->ns); return 1; }

/* ---- sleep ---------------------------------------------------------------------------- */

/* time.sleep in a spawned coroutine: wait by yielding until the deadline
 * (ctx) came. */
static int sleep_again(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    uint64_t until = (uint64_t)ctx;
    if (wf_lua_should_stop(L)) return luaL_error(L, "time.sleep: the call was stopped while sleeping");
    if (wf_now_ns() >= until) return 0;
    return wf_lua_yield_wait(L, until, 0, NULL, 0, sleep_again, ctx);
}

/* time.sleep in the function's own flow while it has spawned coroutines:
 * they run meanwhile. Like Go's time.Sleep, any sleep lets the others run
 * at least one round, however short it is (a coroutine woken by this
 * flow's send gets to see what it received). */
static int sleep_beside_coroutines(lua_State *L, uint64_t until)
{
    for (;;) {
        bool moved = wf_lua_sched_round(L);
        if (wf_now_ns() >= until) return 0;
        if (moved) continue;
        wf_lua_wakes w = {.until = until};
        wf_lua_sched_wakes(L, &w);
        int r = w.runnable ? WF_PARK_WOKEN : wf_lua_park_wakes(L, &w);
        wf_vec_free(&w.srcs);
        if (r == WF_PARK_STOPPED || wf_lua_should_stop(L))
            return luaL_error(L, "time.sleep: the call was stopped while sleeping");
    }
}

static int time_sleep(lua_State *L)
{
    int64_t ns = check_duration(L, 1, "time.sleep");
    if (ns <= 0) return 0;
    uint64_t until = wf_now_ns() + (uint64_t)ns;
    if (wf_lua_in_spawned(L)) return sleep_again(L, LUA_OK, (lua_KContext)until);
    if (wf_lua_sched_any(L)) return sleep_beside_coroutines(L, until);
    /* An inline call parks its own thread, which knows nothing of the
     * call's deadline: bound the sleep by it. */
    uint32_t left = wf_lua_ms_left(L);
    uint64_t dl = left ? wf_now_ns() + (uint64_t)left * 1000000u : 0;
    wf_error *e = wf_sleep_until(dl && dl < until ? dl : until);
    if (e || wf_lua_should_stop(L)) {
        wf_error_free(e);
        return luaL_error(L, "time.sleep: the call was stopped while sleeping");
    }
    return 0;
}

/* ---- timers, tickers, after: channel sources ------------------------------------------------ */

typedef struct ltimer {
    uint64_t fire_at;       /* CLOCK_MONOTONIC ns; 0 = stopped */
    uint64_t period;        /* ticker: the period; 0 for a timer */
    bool close_after;       /* time.after: close the channel once fired */
} ltimer;                   /* uservalue 1: the channel */

static void timer_pump(lua_State *L, int src_idx, int ch_idx)
{
    ltimer *t = lua_touserdata(L, src_idx);
    uint64_t now = wf_now_ns();
    if (!t->fire_at || now < t->fire_at) return;
    if (wf_lua_chan_has_room(L, ch_idx)) {   /* a ticker drops a tick nobody read */
        wf_lua_push_time(L, now_unix_ns());
        wf_lua_chan_put(L, ch_idx);
    }
    if (t->period) {
        uint64_t missed = (now - t->fire_at) / t->period + 1;
        t->fire_at += missed * t->period;
    } else {
        t->fire_at = 0;
        if (t->close_after) wf_lua_chan_close(L, ch_idx);
    }
}

static uint64_t timer_next(void *src)
{
    return ((ltimer *)src)->fire_at;
}

static const wf_lua_source_ops timer_source = {.pump = timer_pump, .next_ns = timer_next};

/* A timer userdata with its channel (uservalue 1) on the stack. */
static ltimer *new_timer(lua_State *L, int64_t ns, uint64_t period, bool close_after, lua_Integer cap)
{
    ltimer *t = lua_newuserdatauv(L, sizeof *t, 1);
    t->fire_at = wf_now_ns() + (uint64_t)ns;
    t->period = period;
    t->close_after = close_after;
    luaL_setmetatable(L, TIMER_MT);
    wf_lua_chan_new(L, cap, &timer_source, -1);
    lua_setiuservalue(L, -2, 1);
    return t;
}

static int64_t check_positive(lua_State *L, const char *fn)
{
    int64_t ns = check_duration(L, 1, fn);
    if (ns <= 0) luaL_error(L, "%s: duration must be > 0", fn);
    return ns;
}

static int time_after(lua_State *L)
{
    new_timer(L, check_positive(L, "time.after"), 0, true, 1);
    lua_getiuservalue(L, -1, 1);
    return 1;
}

static int time_timer(lua_State *L)
{
    new_timer(L, check_positive(L, "time.timer"), 0, false, 1);
    return 1;
}

static int time_ticker(lua_State *L)
{
    int64_t ns = check_positive(L, "time.ticker");
    new_timer(L, ns, (uint64_t)ns, false, 16);
    return 1;
}

static int timer_channel(lua_State *L)
{
    luaL_checkudata(L, 1, TIMER_MT);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int timer_stop(lua_State *L)
{
    ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
    lua_pushboolean(L, t->fire_at != 0);
    t->fire_at = 0;
    return 1;
}

static int timer_reset(lua_State *L)
{
    ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
    int64_t ns = check_duration(L, 2, "timer:reset");
    if (ns <= 0) return luaL_error(L, "timer:reset: duration must be > 0");
    lua_pushboolean(L, t->fire_at != 0);
    t->fire_at = wf_now_ns() + (uint64_t)ns;
    if (t->period) t->period = (uint64_t)ns;
    return 1;
}

/* ---- the module -------------------------------------------------------------------------- */

static void new_mt(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction tostr)
{
    if (luaL_newmetatable(L, name)) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
        if (tostr) {
            lua_pushcfunction(L, tostr);
            lua_setfield(L, -2, "__tostring");
        }
    }
}

int wf_lua_open_time(lua_State *L)
{
    static const luaL_Reg dur[] = {
        {"nanoseconds", dur_ns}, {"microseconds", dur_us}, {"milliseconds", dur_ms},
        {"seconds", dur_s}, {"minutes", dur_min}, {"hours", dur_h}, {NULL, NULL},
    };
    new_mt(L, DUR_MT, dur, dur_tostring);
    lua_pop(L, 1);
    static const luaL_Reg tm[] = {
        {"unix", tm_unix}, {"unix_nano", tm_unix_nano}, {"add", tm_add}, {"sub", tm_sub},
        {"add_date", tm_add_date}, {"after", tm_after}, {"before", tm_before}, {"equal", tm_equal},
        {"format", tm_format}, {"format_rfc3339", tm_format_rfc3339}, {"year", tm_year},
        {"month", tm_month}, {"day", tm_day}, {"hour", tm_hour}, {"minute", tm_minute},
        {"second", tm_second}, {"nanosecond", tm_nanosecond}, {"weekday", tm_weekday},
        {"year_day", tm_year_day}, {"date", tm_date}, {"clock", tm_clock}, {"is_zero", tm_is_zero},
        {"utc", tm_utc}, {"in_local", tm_in_local}, {"in_location", tm_in_location},
        {"location", tm_location}, {"round", tm_round}, {"truncate", tm_truncate}, {NULL, NULL},
    };
    new_mt(L, TIME_MT, tm, tm_tostring);
    lua_pushcfunction(L, tm_eq);
    lua_setfield(L, -2, "__eq");
    lua_pushcfunction(L, tm_lt);
    lua_setfield(L, -2, "__lt");
    lua_pop(L, 1);
    static const luaL_Reg loc[] = {{"string", loc_string}, {NULL, NULL}};
    new_mt(L, LOC_MT, loc, loc_string);
    lua_pop(L, 1);
    static const luaL_Reg timer[] = {
        {"channel", timer_channel}, {"response", timer_channel}, {"stop", timer_stop},
        {"reset", timer_reset}, {NULL, NULL},
    };
    new_mt(L, TIMER_MT, timer, NULL);
    lua_pop(L, 1);

    static const luaL_Reg fns[] = {
        {"now", time_now}, {"unix", time_unix}, {"date", time_date}, {"sleep", time_sleep},
        {"after", time_after}, {"timer", time_timer}, {"ticker", time_ticker},
        {"parse_duration", time_parse_duration}, {"parse", time_parse},
        {"load_location", time_load_location}, {"fixed_zone", time_fixed_zone}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    static const struct { const char *k; lua_Integer v; } ints[] = {
        {"NANOSECOND", 1}, {"MICROSECOND", 1000}, {"MILLISECOND", 1000000}, {"SECOND", NS_PER_S},
        {"MINUTE", 60 * NS_PER_S}, {"HOUR", 3600 * NS_PER_S},
        {"JANUARY", 1}, {"FEBRUARY", 2}, {"MARCH", 3}, {"APRIL", 4}, {"MAY", 5}, {"JUNE", 6},
        {"JULY", 7}, {"AUGUST", 8}, {"SEPTEMBER", 9}, {"OCTOBER", 10}, {"NOVEMBER", 11},
        {"DECEMBER", 12}, {"SUNDAY", 0}, {"MONDAY", 1}, {"TUESDAY", 2}, {"WEDNESDAY", 3},
        {"THURSDAY", 4}, {"FRIDAY", 5}, {"SATURDAY", 6},
    };
    for (size_t i = 0; i < WF_COUNT(ints); i++) {
        lua_pushinteger(L, ints[i].v);
        lua_setfield(L, -2, ints[i].k);
    }
    static const struct { const char *k, *v; } layouts[] = {
        {"RFC3339", "2006-01-02T15:04:05Z07:00"}, {"RFC3339NANO", "2006-01-02T15:04:05.999999999Z07:00"},
        {"RFC822", "02 Jan 06 15:04 MST"}, {"RFC822Z", "02 Jan 06 15:04 -0700"},
        {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"}, {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
        {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"}, {"KITCHEN", "3:04PM"},
        {"STAMP", "Jan _2 15:04:05"}, {"STAMP_MILLI", "Jan _2 15:04:05.000"},
        {"STAMP_MICRO", "Jan _2 15:04:05.000000"}, {"STAMP_NANO", "Jan _2 15:04:05.000000000"},
        {"DATE_TIME", "2006-01-02 15:04:05"}, {"DATE_ONLY", "2006-01-02"}, {"TIME_ONLY", "15:04:05"},
    };
    for (size_t i = 0; i < WF_COUNT(layouts); i++) {
        lua_pushstring(L, layouts[i].v);
        lua_setfield(L, -2, layouts[i].k);
    }
    wf_lua_zone z;
    wf_lua_zone_load("UTC", &z);
    push_loc(L, &z);
    lua_setfield(L, -2, "utc");
    wf_lua_zone_load("Local", &z);
    push_loc(L, &z);
    lua_setfield(L, -2, "localtz");
    return 1;
}
