/*
 * client_policy.c - the `wasi.network` policy check of outgoing requests
 * (SPEC §4): host:port patterns with `*` wildcards (client.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "http/client.h"

/* Glob match of s (len sn) against p (len pn): `*` is any run, case folded. */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && tolower((unsigned char)p[pi]) == tolower((unsigned char)s[si])) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

/* Split a pattern into host and port parts (port NULL: any port). */
static void split(const char *pat, const char **host, size_t *hn, const char **port)
{
    *port = NULL;
    if (pat[0] == '[') {
        const char *close = strchr(pat, ']');
        if (close) {
            *host = pat + 1;
            *hn = (size_t)(close - pat - 1);
            if (close[1] == ':') *port = close + 2;
            return;
        }
    }
    const char *colon = strrchr(pat, ':');
    /* two colons without brackets: a bare IPv6 address, any port */
    if (colon && strchr(pat, ':') == colon) {
        *host = pat;
        *hn = (size_t)(colon - pat);
        *port = colon + 1;
    } else {
        *host = pat;
        *hn = strlen(pat);
    }
}

bool wf_http_client_policy_allows(const wf_http_client_policy *policy, const char *host, unsigned port)
{
    if (!policy) return true;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", port);
    for (size_t i = 0; i < policy->nallow; i++) {
        const char *ph, *pp;
        size_t hn;
        split(policy->allow[i], &ph, &hn, &pp);
        if (!glob(ph, hn, host, strlen(host))) continue;
        if (!pp || glob(pp, strlen(pp), portstr, strlen(portstr))) return true;
    }
    return false;
}
