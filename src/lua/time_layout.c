/*
 * time_layout.c - Go's time layouts for the `time` module (lua_int.h):
 * Time.Format and time.Parse. A layout writes the reference time, Mon Jan 2
 * 15:04:05 MST 2006 (zone -0700), as the text should look; each part of it
 * stands for that part of the time ("2006" the year, "01" the month, ".000"
 * milliseconds, "Z07:00" the zone, ...) and everything else is literal.
 *
 * Parsing follows Go's time.Parse: parts the layout leaves out are zero (or
 * one: month and day); a fractional second after the seconds is taken even
 * when the layout has none; without a zone the time is UTC; with an offset
 * it is a fixed zone of that offset (0: UTC); with an abbreviation, UTC for
 * "UTC" and "GMT", else a zone of that name and offset 0 (as Go does for an
 * abbreviation it does not know). Errors are Go's:
 *   parsing time "2024-13-01": month out of range
 *   parsing time "x" as "2006-01-02": cannot parse "x" as "2006"
 */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "lua/lua_int.h"

static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"};
static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                   "Saturday"};

/* The layout's parts, longest first where one begins another. */
enum {
    T_NONE, T_LONG_MONTH, T_MONTH, T_LONG_WEEKDAY, T_WEEKDAY, T_TZ, T_ZERO_MONTH, T_ZERO_DAY,
    T_ZERO_HOUR12, T_ZERO_MINUTE, T_ZERO_SECOND, T_YEAR, T_NUM_MONTH, T_HOUR, T_DAY, T_UNDER_DAY,
    T_LONG_YEAR, T_HOUR12, T_MINUTE, T_SECOND, T_PM_UPPER, T_PM_LOWER,
    T_ZONE_HMS_COLON, T_ZONE_HMS, T_ZONE_HM_COLON, T_ZONE_HM, T_ZONE_H,   /* -07:00:00 .. -07 */
    T_FRAC,   /* .000 / .999 / ,000 / ,999 */
};

static const struct {
    const char *text;
    int kind;
} parts[] = {
    {"January", T_LONG_MONTH}, {"Jan", T_MONTH}, {"Monday", T_LONG_WEEKDAY}, {"Mon", T_WEEKDAY},
    {"MST", T_TZ}, {"01", T_ZERO_MONTH}, {"02", T_ZERO_DAY}, {"03", T_ZERO_HOUR12},
    {"04", T_ZERO_MINUTE}, {"05", T_ZERO_SECOND}, {"06", T_YEAR}, {"15", T_HOUR}, {"1", T_NUM_MONTH},
    {"2006", T_LONG_YEAR}, {"2", T_DAY}, {"_2", T_UNDER_DAY}, {"3", T_HOUR12}, {"4", T_MINUTE},
    {"5", T_SECOND}, {"PM", T_PM_UPPER}, {"pm", T_PM_LOWER},
    {"-07:00:00", T_ZONE_HMS_COLON}, {"-070000", T_ZONE_HMS}, {"-07:00", T_ZONE_HM_COLON},
    {"-0700", T_ZONE_HM}, {"-07", T_ZONE_H},
};

/* The part of the layout at p: its kind and length (T_NONE: a literal
 * byte). zulu: a zone part written with Z ("Z07:00": UTC prints as Z). */
static int part_at(const char *p, size_t *len, bool *zulu, int *digits)
{
    *zulu = false;
    if ((*p == '.' || *p == ',') && (p[1] == '0' || p[1] == '9')) {
        size_t n = 1;
        while (p[n] == p[1]) n++;
        if (!(p[n] >= '0' && p[n] <= '9')) {   /* as Go: not followed by a digit */
            *len = n;
            *digits = p[1] == '0' ? (int)(n - 1) : -(int)(n - 1);
            return T_FRAC;
        }
    }
    if (*p == '_' && !strncmp(p + 1, "2006", 4)) {   /* "_2006" is "_" and the year, as Go */
        *len = 1;
        return T_NONE;
    }
    const char *q = p;
    if (*p == 'Z') {
        *zulu = true;
        q = p + 1;
    }
    size_t best = 0;
    int kind = T_NONE;
    for (size_t i = 0; i < WF_COUNT(parts); i++) {
        const char *t = parts[i].text;
        if (*zulu) {
            if (t[0] != '-') continue;
            t++;   /* "Z07:00": the part after the sign */
        } else if (t[0] == '-' && *p != '-') {
            continue;
        }
        size_t n = strlen(t);
        if (!strncmp(q, t, n) && n > best) best = n, kind = parts[i].kind;
    }
    if (kind == T_NONE) {
        *len = 1;
        *zulu = false;
        return T_NONE;
    }
    *len = best + (size_t)(*zulu);
    return kind;
}

/* ---- format ------------------------------------------------------------------- */

void wf_lua_time_format(const wf_lua_wall *w, const char *layout, luaL_Buffer *b)
{
    char tmp[64];
    const char *p = layout;
    while (*p) {
        size_t len;
        bool zulu;
        int digits = 0;
        int kind = part_at(p, &len, &zulu, &digits);
        int h12 = w->hour % 12 ? w->hour % 12 : 12;
        int32_t off = w->offset;
        tmp[0] = 0;
        switch (kind) {
        case T_NONE: luaL_addchar(b, *p); p++; continue;
        case T_LONG_MONTH: snprintf(tmp, sizeof tmp, "%s", months[w->month - 1]); break;
        case T_MONTH: snprintf(tmp, sizeof tmp, "%.3s", months[w->month - 1]); break;
        case T_LONG_WEEKDAY: snprintf(tmp, sizeof tmp, "%s", days[w->wday]); break;
        case T_WEEKDAY: snprintf(tmp, sizeof tmp, "%.3s", days[w->wday]); break;
        case T_TZ:
            if (w->abbr[0]) snprintf(tmp, sizeof tmp, "%s", w->abbr);
            else snprintf(tmp, sizeof tmp, "%c%02d%02d", off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
            break;
        case T_ZERO_MONTH: snprintf(tmp, sizeof tmp, "%02d", w->month); break;
        case T_ZERO_DAY: snprintf(tmp, sizeof tmp, "%02d", w->day); break;
        case T_ZERO_HOUR12: snprintf(tmp, sizeof tmp, "%02d", h12); break;
        case T_ZERO_MINUTE: snprintf(tmp, sizeof tmp, "%02d", w->min); break;
        case T_ZERO_SECOND: snprintf(tmp, sizeof tmp, "%02d", w->sec); break;
        case T_YEAR: snprintf(tmp, sizeof tmp, "%02d", (int)(((w->year % 100) + 100) % 100)); break;
        case T_NUM_MONTH: snprintf(tmp, sizeof tmp, "%d", w->month); break;
        case T_HOUR: snprintf(tmp, sizeof tmp, "%02d", w->hour); break;
        case T_DAY: snprintf(tmp, sizeof tmp, "%d", w->day); break;
        case T_UNDER_DAY: snprintf(tmp, sizeof tmp, "%2d", w->day); break;
        case T_LONG_YEAR: snprintf(tmp, sizeof tmp, "%04lld", (long long)w->year); break;
        case T_HOUR12: snprintf(tmp, sizeof tmp, "%d", h12); break;
        case T_MINUTE: snprintf(tmp, sizeof tmp, "%d", w->min); break;
        case T_SECOND: snprintf(tmp, sizeof tmp, "%d", w->sec); break;
        case T_PM_UPPER: snprintf(tmp, sizeof tmp, "%s", w->hour >= 12 ? "PM" : "AM"); break;
        case T_PM_LOWER: snprintf(tmp, sizeof tmp, "%s", w->hour >= 12 ? "pm" : "am"); break;
        case T_FRAC: {
            int n = digits < 0 ? -digits : digits;
            snprintf(tmp, sizeof tmp, "%c%09d", *p, w->nsec);
            tmp[1 + (n > 9 ? 9 : n)] = 0;
            if (digits < 0) {   /* .999: trailing zeros dropped, and the point with them */
                size_t l = strlen(tmp);
                while (l > 1 && tmp[l - 1] == '0') tmp[--l] = 0;
                if (l == 1) tmp[0] = 0;
            }
            break;
        }
        default: {   /* zones */
            if (zulu && off == 0) {
                snprintf(tmp, sizeof tmp, "Z");
                break;
            }
            int a = abs(off);
            char sign = off < 0 ? '-' : '+';
            if (kind == T_ZONE_H) snprintf(tmp, sizeof tmp, "%c%02d", sign, a / 3600);
            else if (kind == T_ZONE_HM) snprintf(tmp, sizeof tmp, "%c%02d%02d", sign, a / 3600, a / 60 % 60);
            else if (kind == T_ZONE_HM_COLON) snprintf(tmp, sizeof tmp, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
            else if (kind == T_ZONE_HMS) snprintf(tmp, sizeof tmp, "%c%02d%02d%02d", sign, a / 3600, a / 60 % 60, a % 60);
            else snprintf(tmp, sizeof tmp, "%c%02d:%02d:%02d", sign, a / 3600, a / 60 % 60, a % 60);
            break;
        }
        }
        p += len;
        luaL_addstring(b, tmp);
    }
}

/* ---- parse -------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in(int64_t y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

/* Up to max digits (at least min) at *s: the number, moving past them. */
static bool digits_at(const char **s, int min, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9') v = v * 10 + ((*s)[n++] - '0');
    if (n < min) return false;
    *s += n;
    *out = v;
    return true;
}

/* A name of names[] (case-insensitive, as Go), full or its first three
 * letters: its index, moving past it; -1 when none. */
static int name_at(const char **s, const char *const *names, int count, bool full)
{
    for (int i = 0; i < count; i++) {
        size_t n = full ? strlen(names[i]) : 3;
        if (!strncasecmp(*s, names[i], n)) {
            *s += n;
            return i;
        }
    }
    return -1;
}

typedef struct parsed {
    int64_t year;
    int month, day, hour, min, sec, nsec;
    int pm;                    /* -1 none, 0 am, 1 pm */
    bool has_offset, has_name;
    int32_t offset;
    char name[16];
} parsed;

/* A number of min..2 digits into *out; outside lo..hi it is out of range
 * (named, for the message; NULL: checked later, as the day). */
static bool field(const char **s, int min, int lo, int hi, const char *name, int *out, const char **range_err)
{
    int x;
    if (!digits_at(s, min, 2, &x)) return false;
    if (name && (x < lo || x > hi)) *range_err = name;
    *out = x;
    return true;
}

/* One part of the layout from the value at *s. */
static bool parse_part(int kind, bool zulu, const char **s, parsed *r, const char **range_err)
{
    const char *v = *s;
    int x;
    switch (kind) {
    case T_LONG_YEAR:
        if (!digits_at(s, 4, 4, &x)) return false;
        r->year = x;
        return true;
    case T_YEAR:
        if (!digits_at(s, 2, 2, &x)) return false;
        r->year = x >= 69 ? 1900 + x : 2000 + x;
        return true;
    case T_LONG_MONTH: case T_MONTH:
        if ((x = name_at(s, months, 12, kind == T_LONG_MONTH)) < 0) return false;
        r->month = x + 1;
        return true;
    case T_LONG_WEEKDAY: case T_WEEKDAY:   /* read, and not used (as Go) */
        return name_at(s, days, 7, kind == T_LONG_WEEKDAY) >= 0;
    case T_UNDER_DAY:
        if (**s == ' ') ++*s;
        return field(s, 1, 1, 31, NULL, &r->day, range_err);
    case T_ZERO_MONTH: case T_NUM_MONTH: return field(s, kind == T_ZERO_MONTH ? 2 : 1, 1, 12, "month", &r->month, range_err);
    case T_ZERO_DAY: case T_DAY: return field(s, kind == T_ZERO_DAY ? 2 : 1, 0, 99, NULL, &r->day, range_err);
    case T_HOUR: return field(s, 1, 0, 23, "hour", &r->hour, range_err);
    case T_ZERO_HOUR12: case T_HOUR12: return field(s, kind == T_ZERO_HOUR12 ? 2 : 1, 0, 12, "hour", &r->hour, range_err);
    case T_ZERO_MINUTE: case T_MINUTE: return field(s, kind == T_ZERO_MINUTE ? 2 : 1, 0, 59, "minute", &r->min, range_err);
    case T_ZERO_SECOND: case T_SECOND: return field(s, kind == T_ZERO_SECOND ? 2 : 1, 0, 59, "second", &r->sec, range_err);
    case T_PM_UPPER: case T_PM_LOWER: {
        const char *pm = kind == T_PM_UPPER ? "PM" : "pm", *am = kind == T_PM_UPPER ? "AM" : "am";
        if (!strncmp(v, pm, 2)) r->pm = 1;
        else if (!strncmp(v, am, 2)) r->pm = 0;
        else return false;
        *s += 2;
        return true;
    }
    case T_TZ: {
        size_t n = 0;
        while (n < 5 && v[n] >= 'A' && v[n] <= 'Z') n++;
        if (n < 3) return false;
        snprintf(r->name, sizeof r->name, "%.*s", (int)n, v);
        r->has_name = true;
        *s += n;
        return true;
    }
    case T_FRAC: {
        if (*v != '.' && *v != ',') return false;
        const char *d = v + 1;
        int n = 0;
        int64_t ns = 0;
        while (d[n] >= '0' && d[n] <= '9') {
            if (n < 9) ns = ns * 10 + (d[n] - '0');
            n++;
        }
        if (!n) return false;
        for (int k = n; k < 9; k++) ns *= 10;
        r->nsec = (int)ns;
        *s = d + n;
        return true;
    }
    default: {   /* zones */
        if (zulu && *v == 'Z') {
            ++*s;
            r->has_offset = true;
            r->offset = 0;
            return true;
        }
        if (*v != '+' && *v != '-') return false;
        const char *q = v + 1;
        int h, m = 0, sec = 0;
        if (!digits_at(&q, 2, 2, &h)) return false;
        bool colon = kind == T_ZONE_HM_COLON || kind == T_ZONE_HMS_COLON;
        if (kind != T_ZONE_H) {
            if (colon && *q++ != ':') return false;
            if (!digits_at(&q, 2, 2, &m)) return false;
        }
        if (kind == T_ZONE_HMS || kind == T_ZONE_HMS_COLON) {
            if (colon && *q++ != ':') return false;
            if (!digits_at(&q, 2, 2, &sec)) return false;
        }
        r->has_offset = true;
        r->offset = (h * 3600 + m * 60 + sec) * (*v == '-' ? -1 : 1);
        *s = q;
        return true;
    }
    }
}

bool wf_lua_time_parse(const char *layout, const char *value, int64_t *unix_ns, wf_lua_zone *zone,
                       char *err, size_t n)
{
    parsed r = {.year = 0, .month = 1, .day = 1, .pm = -1};
    const char *p = layout, *s = value;
    const char *range_err = NULL;
    while (*p) {
        size_t len;
        bool zulu;
        int digits = 0;
        int kind = part_at(p, &len, &zulu, &digits);
        if (kind == T_NONE) {
            if (*s != *p) {   /* Go names the literal run up to the next part */
                size_t lit = 0, l2;
                bool z2;
                int d2;
                while (p[lit] && part_at(p + lit, &l2, &z2, &d2) == T_NONE) lit++;
                snprintf(err, n, "parsing time \"%s\" as \"%s\": cannot parse \"%s\" as \"%.*s\"", value,
                         layout, s, (int)lit, p);
                return false;
            }
            p++, s++;
            continue;
        }
        const char *at = s;
        if (!parse_part(kind, zulu, &s, &r, &range_err)) {
            snprintf(err, n, "parsing time \"%s\" as \"%s\": cannot parse \"%s\" as \"%.*s\"", value, layout,
                     at, (int)len, p);
            return false;
        }
        p += len;
        /* a fractional second after the seconds, though the layout has none */
        if ((kind == T_ZERO_SECOND || kind == T_SECOND) && *s == '.' && s[1] >= '0' && s[1] <= '9') {
            size_t l2;
            bool z2;
            int d2;
            if (part_at(p, &l2, &z2, &d2) != T_FRAC) parse_part(T_FRAC, false, &s, &r, &range_err);
        }
    }
    if (*s) {
        snprintf(err, n, "parsing time \"%s\": extra text: \"%s\"", value, s);
        return false;
    }
    if (!range_err && r.pm >= 0) {
        if (r.hour > 12) range_err = "hour";
        else if (r.pm == 1 && r.hour < 12) r.hour += 12;
        else if (r.pm == 0 && r.hour == 12) r.hour = 0;
    }
    if (!range_err && (r.day < 1 || r.day > days_in(r.year, r.month))) range_err = "day";
    if (range_err) {
        snprintf(err, n, "parsing time \"%s\": %s out of range", value, range_err);
        return false;
    }
    int64_t wall = days_from_civil(r.year, r.month, r.day) * 86400 + r.hour * 3600 + r.min * 60 + r.sec;
    if (r.has_offset) {
        wall -= r.offset;
        if (r.offset) wf_lua_zone_fixed(zone, "", r.offset);
        else wf_lua_zone_load("UTC", zone);
    } else if (r.has_name && strcmp(r.name, "UTC") && strcmp(r.name, "GMT")) {
        wf_lua_zone_fixed(zone, r.name, 0);
    } else {
        wf_lua_zone_load("UTC", zone);
    }
    if (wall > INT64_MAX / 1000000000 - 1 || wall < INT64_MIN / 1000000000 + 1) {
        snprintf(err, n, "parsing time \"%s\": out of range", value);
        return false;
    }
    *unix_ns = wall * 1000000000 + r.nsec;
    return true;
}

void wf_lua_time_wall(int64_t unix_ns, const wf_lua_zone *z, wf_lua_wall *w)
{
    int64_t secs = unix_ns / 1000000000 - (unix_ns % 1000000000 < 0);
    w->nsec = (int)(unix_ns - secs * 1000000000);
    w->offset = wf_lua_zone_offset(z, secs, w->abbr, sizeof w->abbr);
    time_t local = (time_t)(secs + w->offset);
    struct tm tm;
    gmtime_r(&local, &tm);
    w->year = (int64_t)tm.tm_year + 1900;
    w->month = tm.tm_mon + 1;
    w->day = tm.tm_mday;
    w->hour = tm.tm_hour;
    w->min = tm.tm_min;
    w->sec = tm.tm_sec;
    w->wday = tm.tm_wday;
    w->yday = tm.tm_yday + 1;
}

int64_t wf_lua_time_wall_secs(int64_t year, int month, int day, int hour, int min, int sec)
{
    /* months and days beyond their range carry over, as Go's Date */
    int64_t m0 = month - 1;
    year += m0 >= 0 ? m0 / 12 : -((11 - m0) / 12);
    m0 -= (m0 >= 0 ? m0 / 12 : -((11 - m0) / 12)) * 12;
    return (days_from_civil(year, (int)m0 + 1, 1) + day - 1) * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}
