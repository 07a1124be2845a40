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
 *     :date(), :clock(), :is_zero(), :utc(), :in_local(), :location();
 *     time.utc and time.localtz locations;
 *   time.sleep(d) parks the call (no worker held) and returns nil, or an
 *     error when the call was stopped first;
 *   time.after(d) -> a channel that receives the time once, then closes;
 *   time.timer(d) -> Timer (:channel() / :response(), :stop(), :reset(d));
 *   time.ticker(d) -> Ticker (:channel() / :response(), :stop()): a tick
 *     each period, dropped when the previous one is still unread (as Go).
 * Timers are channel sources (chan.c): they fire when the channel is looked
 * at after their time, and a wait on them parks until then.
 * Not provided: time.parse, time.load_location, time.fixed_zone, round and
 * truncate (a call raises naming the function).
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
    bool local;             /* shown in the local zone, else UTC */
} ltime;

typedef struct lloc { bool local; } lloc;

void wf_lua_push_time(lua_State *L, int64_t unix_ns)
{
    ltime *t = lua_newuserdatauv(L, sizeof *t, 0);
    t->ns = unix_ns;
    t->local = true;
    luaL_setmetatable(L, TIME_MT);
}

static ltime *check_time(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TIME_MT);
}

static ltime *push_time_loc(lua_State *L, int64_t ns, bool local)
{
    wf_lua_push_time(L, ns);
    ltime *t = lua_touserdata(L, -1);
    t->local = local;
    return t;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Broken-down time of t in its zone; *off gets the zone offset in s. */
static void broken(const ltime *t, struct tm *tm, long *off, int *nsec)
{
    time_t secs = (time_t)floor_div(t->ns, NS_PER_S);
    *nsec = (int)(t->ns - (int64_t)secs * NS_PER_S);
    if (t->local) {
        localtime_r(&secs, tm);
        *off = tm->tm_gmtoff;
    } else {
        gmtime_r(&secs, tm);
        *off = 0;
    }
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

static bool loc_is_local(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx)) return true;
    lloc *l = luaL_checkudata(L, idx, LOC_MT);
    return l->local;
}

static int time_date(lua_State *L)
{
    struct tm tm = {0};
    tm.tm_year = (int)luaL_checkinteger(L, 1) - 1900;
    tm.tm_mon = (int)luaL_checkinteger(L, 2) - 1;
    tm.tm_mday = (int)luaL_checkinteger(L, 3);
    tm.tm_hour = (int)luaL_optinteger(L, 4, 0);
    tm.tm_min = (int)luaL_optinteger(L, 5, 0);
    tm.tm_sec = (int)luaL_optinteger(L, 6, 0);
    lua_Integer nsec = luaL_optinteger(L, 7, 0);
    bool local = loc_is_local(L, 8);
    tm.tm_isdst = -1;
    time_t secs = local ? mktime(&tm) : timegm(&tm);
    push_time_loc(L, (int64_t)secs * NS_PER_S + nsec, local);
    return 1;
}

static int tm_unix(lua_State *L) { lua_pushinteger(L, floor_div(check_time(L, 1)->ns, NS_PER_S)); return 1; }
static int tm_unix_nano(lua_State *L) { lua_pushinteger(L, check_time(L, 1)->ns); return 1; }

static int tm_add(lua_State *L)
{
    ltime *t = check_time(L, 1);
    push_time_loc(L, t->ns + check_duration(L, 2, "time:add"), t->local);
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
    struct tm tm;
    long off;
    int nsec;
    broken(t, &tm, &off, &nsec);
    tm.tm_year += (int)luaL_checkinteger(L, 2);
    tm.tm_mon += (int)luaL_checkinteger(L, 3);
    tm.tm_mday += (int)luaL_checkinteger(L, 4);
    tm.tm_isdst = -1;
    time_t secs = t->local ? mktime(&tm) : timegm(&tm);
    push_time_loc(L, (int64_t)secs * NS_PER_S + nsec, t->local);
    return 1;
}

static int tm_after(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns > check_time(L, 2)->ns); return 1; }
static int tm_before(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns < check_time(L, 2)->ns); return 1; }
static int tm_equal(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == check_time(L, 2)->ns); return 1; }
static int tm_is_zero(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == INT64_MIN); return 1; }
static int tm_utc(lua_State *L) { push_time_loc(L, check_time(L, 1)->ns, false); return 1; }
static int tm_in_local(lua_State *L) { push_time_loc(L, check_time(L, 1)->ns, true); return 1; }

static int tm_in_location(lua_State *L)
{
    push_time_loc(L, check_time(L, 1)->ns, loc_is_local(L, 2));
    return 1;
}

static void push_loc(lua_State *L, bool local)
{
    lloc *l = lua_newuserdatauv(L, sizeof *l, 0);
    l->local = local;
    luaL_setmetatable(L, LOC_MT);
}

static int tm_location(lua_State *L) { push_loc(L, check_time(L, 1)->local); return 1; }

static int loc_string(lua_State *L)
{
    lua_pushstring(L, ((lloc *)luaL_checkudata(L, 1, LOC_MT))->local ? "Local" : "UTC");
    return 1;
}

/* The fields: 0 year .. 5 second, 6 nanosecond, 7 weekday, 8 year day. */
static int tm_field(lua_State *L, int which)
{
    struct tm tm;
    long off;
    int nsec;
    broken(check_time(L, 1), &tm, &off, &nsec);
    const int v[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, nsec, tm.tm_wday, tm.tm_yday + 1};
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

/* A zone token of Go's layouts at *p ("Z07:00", "-07:00", "Z0700", "-0700"):
 * moves past it; zulu: "Z" stands for UTC, colon: "hh:mm". */
static bool zone_token(const char **p, bool *zulu, bool *colon)
{
    static const char *const toks[] = {"Z07:00", "-07:00", "Z0700", "-0700"};
    for (size_t i = 0; i < WF_COUNT(toks); i++)
        if (!strncmp(*p, toks[i], strlen(toks[i]))) {
            *zulu = toks[i][0] == 'Z';
            *colon = strchr(toks[i], ':') != NULL;
            *p += strlen(toks[i]);
            return true;
        }
    return false;
}

/* Go's Time.Format: the reference time's parts in `layout` are replaced by
 * t's (Mon Jan 2 15:04:05 MST 2006, zone -0700). */
static void format_go(const ltime *t, const char *layout, luaL_Buffer *b)
{
    static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                         "August", "September", "October", "November", "December"};
    static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday"};
    struct tm tm;
    long off;
    int nsec;
    broken(t, &tm, &off, &nsec);
    char tmp[64];
    bool zulu, colon;
    const char *p = layout;
    while (*p) {
#define TOK(s) (!strncmp(p, s, strlen(s)) && (p += strlen(s), 1))
        tmp[0] = 0;
        if (TOK("2006")) snprintf(tmp, sizeof tmp, "%04d", tm.tm_year + 1900);
        else if (TOK("January")) snprintf(tmp, sizeof tmp, "%s", months[tm.tm_mon]);
        else if (TOK("Jan")) snprintf(tmp, sizeof tmp, "%.3s", months[tm.tm_mon]);
        else if (TOK("Monday")) snprintf(tmp, sizeof tmp, "%s", days[tm.tm_wday]);
        else if (TOK("Mon")) snprintf(tmp, sizeof tmp, "%.3s", days[tm.tm_wday]);
        else if (TOK("MST")) snprintf(tmp, sizeof tmp, "%s", t->local ? tm.tm_zone : "UTC");
        else if (TOK("01")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_mon + 1);
        else if (TOK("02")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_mday);
        else if (TOK("_2")) snprintf(tmp, sizeof tmp, "%2d", tm.tm_mday);
        else if (TOK("06")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_year % 100);
        else if (TOK("15")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_hour);
        else if (TOK("03")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_hour % 12 ? tm.tm_hour % 12 : 12);
        else if (TOK("04")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_min);
        else if (TOK("05")) snprintf(tmp, sizeof tmp, "%02d", tm.tm_sec);
        else if (TOK("PM")) snprintf(tmp, sizeof tmp, "%s", tm.tm_hour >= 12 ? "PM" : "AM");
        else if (TOK("pm")) snprintf(tmp, sizeof tmp, "%s", tm.tm_hour >= 12 ? "pm" : "am");
        else if (zone_token(&p, &zulu, &colon)) {
            if (zulu && off == 0) snprintf(tmp, sizeof tmp, "Z");
            else
                snprintf(tmp, sizeof tmp, "%c%02ld%s%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                         colon ? ":" : "", labs(off) / 60 % 60);
        } else if (*p == '.' && (p[1] == '0' || p[1] == '9')) {
            char d = p[1];
            int n = 0;
            while (p[1 + n] == d) n++;
            p += 1 + n;
            snprintf(tmp, sizeof tmp, ".%09d", nsec);
            tmp[1 + (n > 9 ? 9 : n)] = 0;
            if (d == '9') {
                size_t len = strlen(tmp);
                while (len > 1 && tmp[len - 1] == '0') tmp[--len] = 0;
                if (len == 1) tmp[0] = 0;
            }
        } else if (TOK("1")) snprintf(tmp, sizeof tmp, "%d", tm.tm_mon + 1);
        else if (TOK("2")) snprintf(tmp, sizeof tmp, "%d", tm.tm_mday);
        else if (TOK("3")) snprintf(tmp, sizeof tmp, "%d", tm.tm_hour % 12 ? tm.tm_hour % 12 : 12);
        else if (TOK("4")) snprintf(tmp, sizeof tmp, "%d", tm.tm_min);
        else if (TOK("5")) snprintf(tmp, sizeof tmp, "%d", tm.tm_sec);
        else {
            luaL_addchar(b, *p++);
            continue;
        }
#undef TOK
        luaL_addstring(b, tmp);
    }
}

static int tm_format(lua_State *L)
{
    ltime *t = check_time(L, 1);
    const char *layout = luaL_checkstring(L, 2);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    format_go(t, layout, &b);
    luaL_pushresult(&b);
    return 1;
}

static int tm_format_rfc3339(lua_State *L)
{
    ltime *t = check_time(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    format_go(t, "2006-01-02T15:04:05Z07:00", &b);
    luaL_pushresult(&b);
    return 1;
}

static int tm_tostring(lua_State *L)
{
    ltime *t = check_time(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    format_go(t, "2006-01-02 15:04:05.999999999 -0700 MST", &b);
    luaL_pushresult(&b);
    return 1;
}

static int tm_eq(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns == check_time(L, 2)->ns); return 1; }
static int tm_lt(lua_State *L) { lua_pushboolean(L, check_time(L, 1)->ns < check_time(L, 2)->ns); return 1; }

/* ---- sleep ---------------------------------------------------------------------------- */

static int time_sleep(lua_State *L)
{
    int64_t ns = check_duration(L, 1, "time.sleep");
    if (ns <= 0) return 0;
    uint64_t until = wf_now_ns() + (uint64_t)ns;
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

static int not_provided(lua_State *L)
{
    return luaL_error(L, "time.%s is not provided by wasmfn", lua_tostring(L, lua_upvalueindex(1)));
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
        {"location", tm_location}, {NULL, NULL},
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
        {"parse_duration", time_parse_duration}, {NULL, NULL},
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
    push_loc(L, false);
    lua_setfield(L, -2, "utc");
    push_loc(L, true);
    lua_setfield(L, -2, "localtz");
    static const char *const missing[] = {"parse", "load_location", "fixed_zone"};
    for (size_t i = 0; i < WF_COUNT(missing); i++) {
        lua_pushstring(L, missing[i]);
        lua_pushcclosure(L, not_provided, 1);
        lua_setfield(L, -2, missing[i]);
    }
    return 1;
}
