/*
 * time_zone.c - the locations of the `time` module (lua_int.h): UTC, the
 * local zone, fixed offsets (time.fixed_zone) and named zones
 * (time.load_location) read from the system's zoneinfo files (TZif, RFC
 * 8536), as Go's time package has them.
 *
 * A named zone is read once per process and kept: its transitions and
 * their offsets and abbreviations. Instants after its last transition keep
 * the last one's offset (the zoneinfo files Debian ships list transitions
 * up to 2037; the rule of the file's footer is not applied).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "base/file.h"
#include "lua/lua_int.h"

#define ZONEINFO "/usr/share/zoneinfo"

typedef struct zone_type {
    int32_t offset;
    bool dst;
    char abbr[12];
} zone_type;

struct wf_lua_tzdata {
    char *name;
    size_t ntrans, ntypes;
    int64_t *at;         /* transition instants, ascending */
    uint8_t *type;       /* the type from each transition on */
    zone_type *types;
    size_t first;        /* the type before the first transition */
    struct wf_lua_tzdata *next;
};

static pthread_mutex_t loaded_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wf_lua_tzdata *loaded;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* The counts of a TZif header at p: isut, isstd, leap, time, type, char. */
static bool header(const uint8_t *p, size_t len, uint32_t c[6])
{
    if (len < 44 || memcmp(p, "TZif", 4)) return false;
    for (int i = 0; i < 6; i++) c[i] = be32(p + 20 + 4 * i);
    return true;
}

/* Parse a TZif file: the 64-bit block of version 2+ files, else the
 * 32-bit one. */
static bool parse_tzif(const uint8_t *p, size_t len, struct wf_lua_tzdata *z)
{
    uint32_t c[6];
    if (!header(p, len, c)) return false;
    size_t tsize = 4;
    if (p[4] >= '2') {
        /* skip the version 1 block to the second header */
        size_t v1 = 44 + (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
        if (v1 >= len) return false;
        p += v1;
        len -= v1;
        if (!header(p, len, c)) return false;
        tsize = 8;
    }
    size_t ntrans = c[3], ntypes = c[4], nchars = c[5];
    size_t need = 44 + ntrans * (tsize + 1) + ntypes * 6 + nchars;
    if (!ntypes || ntypes > 256 || need > len) return false;
    const uint8_t *q = p + 44;
    z->ntrans = ntrans;
    z->ntypes = ntypes;
    z->at = wf_xcalloc(ntrans ? ntrans : 1, sizeof *z->at);
    z->type = wf_xcalloc(ntrans ? ntrans : 1, 1);
    z->types = wf_xcalloc(ntypes, sizeof *z->types);
    for (size_t i = 0; i < ntrans; i++, q += tsize)
        z->at[i] = tsize == 8 ? (int64_t)be64(q) : (int64_t)(int32_t)be32(q);
    for (size_t i = 0; i < ntrans; i++) {
        z->type[i] = *q++;
        if (z->type[i] >= ntypes) return false;
    }
    const uint8_t *chars = q + ntypes * 6;
    for (size_t i = 0; i < ntypes; i++, q += 6) {
        z->types[i].offset = (int32_t)be32(q);
        z->types[i].dst = q[4];
        size_t ai = q[5];
        if (ai >= nchars) return false;
        snprintf(z->types[i].abbr, sizeof z->types[i].abbr, "%.*s", (int)strnlen((const char *)chars + ai, nchars - ai),
                 (const char *)chars + ai);
    }
    /* before the first transition: the first standard-time type (RFC 8536) */
    z->first = 0;
    for (size_t i = 0; i < ntypes; i++)
        if (!z->types[i].dst) {
            z->first = i;
            break;
        }
    return true;
}

static void tz_free(struct wf_lua_tzdata *z)
{
    free(z->name);
    free(z->at);
    free(z->type);
    free(z->types);
    free(z);
}

/* A name Go's LoadLocation would look up: no absolute path, no "..". */
static bool safe_name(const char *name)
{
    if (!*name || name[0] == '/' || strlen(name) > 200) return false;
    for (const char *p = name; *p; p++) {
        if (p[0] == '.' && p[1] == '.') return false;
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("/_-+.", *p)))
            return false;
    }
    return true;
}

bool wf_lua_zone_load(const char *name, wf_lua_zone *z)
{
    memset(z, 0, sizeof *z);
    if (!*name || !strcmp(name, "UTC")) {
        z->kind = WF_LUA_ZONE_UTC;
        return true;
    }
    if (!strcmp(name, "Local")) {
        z->kind = WF_LUA_ZONE_LOCAL;
        return true;
    }
    if (!safe_name(name)) return false;
    pthread_mutex_lock(&loaded_mu);
    struct wf_lua_tzdata *d = loaded;
    while (d && strcmp(d->name, name)) d = d->next;
    if (!d) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
        uint8_t *bytes;
        size_t len;
        wf_error *e = wf_file_read(path, &bytes, &len);
        if (!e) {
            d = wf_xcalloc(1, sizeof *d);
            if (parse_tzif(bytes, len, d)) {
                d->name = wf_xstrdup(name);
                d->next = loaded;
                loaded = d;
            } else {
                tz_free(d);
                d = NULL;
            }
            free(bytes);
        }
        wf_error_free(e);
    }
    pthread_mutex_unlock(&loaded_mu);
    if (!d) return false;
    z->kind = WF_LUA_ZONE_NAMED;
    z->tz = d;
    snprintf(z->name, sizeof z->name, "%s", name);
    return true;
}

void wf_lua_zone_fixed(wf_lua_zone *z, const char *name, int32_t offset)
{
    memset(z, 0, sizeof *z);
    z->kind = WF_LUA_ZONE_FIXED;
    z->offset = offset;
    snprintf(z->name, sizeof z->name, "%s", name);
}

const char *wf_lua_zone_name(const wf_lua_zone *z)
{
    switch (z->kind) {
    case WF_LUA_ZONE_UTC: return "UTC";
    case WF_LUA_ZONE_LOCAL: return "Local";
    default: return z->name;
    }
}

int32_t wf_lua_zone_offset(const wf_lua_zone *z, int64_t unix_s, char *abbr, size_t n)
{
    switch (z->kind) {
    case WF_LUA_ZONE_LOCAL: {
        time_t s = (time_t)unix_s;
        struct tm tm;
        localtime_r(&s, &tm);
        if (abbr) snprintf(abbr, n, "%s", tm.tm_zone ? tm.tm_zone : "");
        return (int32_t)tm.tm_gmtoff;
    }
    case WF_LUA_ZONE_FIXED:
        if (abbr) snprintf(abbr, n, "%s", z->name);
        return z->offset;
    case WF_LUA_ZONE_NAMED: {
        const struct wf_lua_tzdata *d = z->tz;
        size_t lo = 0, hi = d->ntrans;   /* the last transition at or before unix_s */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (d->at[mid] <= unix_s) lo = mid + 1;
            else hi = mid;
        }
        const zone_type *t = &d->types[lo ? d->type[lo - 1] : d->first];
        if (abbr) snprintf(abbr, n, "%s", t->abbr);
        return t->offset;
    }
    default:
        if (abbr) snprintf(abbr, n, "UTC");
        return 0;
    }
}

int64_t wf_lua_zone_unix(const wf_lua_zone *z, int64_t wall_s)
{
    /* as Go's Date: the offset in effect just before, else at, the guess */
    int32_t off = wf_lua_zone_offset(z, wall_s, NULL, 0);
    int64_t guess = wall_s - off;
    int32_t off2 = wf_lua_zone_offset(z, guess, NULL, 0);
    if (off2 != off) {
        int64_t alt = wall_s - off2;
        if (wf_lua_zone_offset(z, alt, NULL, 0) == off2) return alt;
    }
    return guess;
}
