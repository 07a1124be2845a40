/*
 * p2_http_vals.c - the WIT values of wasi:http/types that the host builds
 * and reads: error-code (every case, with its payload's shape), method and
 * scheme, and the RFC 9110 token rule names and methods follow.
 */
#include <strings.h>

#include "wasi/p2_http_int.h"

/* The payload each error-code case carries. */
enum { PL_NONE, PL_DNS, PL_TLS, PL_OPT_U64, PL_OPT_U32, PL_OPT_FSP, PL_FSP, PL_OPT_STR };

static const struct { const char *name; int payload; } codes[P2H_NCODES] = {
    { "DNS-timeout", PL_NONE }, { "DNS-error", PL_DNS }, { "destination-not-found", PL_NONE },
    { "destination-unavailable", PL_NONE }, { "destination-IP-prohibited", PL_NONE },
    { "destination-IP-unroutable", PL_NONE }, { "connection-refused", PL_NONE },
    { "connection-terminated", PL_NONE }, { "connection-timeout", PL_NONE },
    { "connection-read-timeout", PL_NONE }, { "connection-write-timeout", PL_NONE },
    { "connection-limit-reached", PL_NONE }, { "TLS-protocol-error", PL_NONE },
    { "TLS-certificate-error", PL_NONE }, { "TLS-alert-received", PL_TLS },
    { "HTTP-request-denied", PL_NONE }, { "HTTP-request-length-required", PL_NONE },
    { "HTTP-request-body-size", PL_OPT_U64 }, { "HTTP-request-method-invalid", PL_NONE },
    { "HTTP-request-URI-invalid", PL_NONE }, { "HTTP-request-URI-too-long", PL_NONE },
    { "HTTP-request-header-section-size", PL_OPT_U32 }, { "HTTP-request-header-size", PL_OPT_FSP },
    { "HTTP-request-trailer-section-size", PL_OPT_U32 }, { "HTTP-request-trailer-size", PL_FSP },
    { "HTTP-response-incomplete", PL_NONE }, { "HTTP-response-header-section-size", PL_OPT_U32 },
    { "HTTP-response-header-size", PL_FSP }, { "HTTP-response-body-size", PL_OPT_U64 },
    { "HTTP-response-trailer-section-size", PL_OPT_U32 }, { "HTTP-response-trailer-size", PL_FSP },
    { "HTTP-response-transfer-coding", PL_OPT_STR }, { "HTTP-response-content-coding", PL_OPT_STR },
    { "HTTP-response-timeout", PL_NONE }, { "HTTP-upgrade-failed", PL_NONE },
    { "HTTP-protocol-error", PL_NONE }, { "loop-detected", PL_NONE },
    { "configuration-error", PL_NONE }, { "internal-error", PL_OPT_STR },
};

/* A record of two options, both none. */
static wf_val two_nones(const char *a, const char *b)
{
    wf_val r = wf_val_agg(WF_VAL_RECORD, 2);
    r.of.agg.items[0] = wf_val_none();
    r.of.agg.items[1] = wf_val_none();
    wf_val_set_name(&r, 0, a);
    wf_val_set_name(&r, 1, b);
    return r;
}

wf_val wf_p2h_code(unsigned tag, bool has_num, uint64_t num, const char *msg)
{
    if (tag >= P2H_NCODES) tag = P2H_INTERNAL_ERROR;
    wf_val p, x;
    switch (codes[tag].payload) {
    case PL_NONE: return wf_val_case(WF_VAL_VARIANT, tag, codes[tag].name, NULL);
    case PL_DNS: p = two_nones("rcode", "info-code"); break;
    case PL_TLS: p = two_nones("alert-id", "alert-message"); break;
    case PL_OPT_U64:
        x = wf_val_uint(WF_VAL_U64, num);
        p = has_num ? wf_val_some(&x) : wf_val_none();
        break;
    case PL_OPT_U32:
        x = wf_val_uint(WF_VAL_U32, num > UINT32_MAX ? UINT32_MAX : num);
        p = has_num ? wf_val_some(&x) : wf_val_none();
        break;
    case PL_OPT_FSP: p = wf_val_none(); break;
    case PL_FSP: p = two_nones("field-name", "field-size"); break;
    default:
        x = wf_val_string(msg ? msg : "", msg ? strlen(msg) : 0);
        p = msg ? wf_val_some(&x) : wf_val_none();
        if (!msg) wf_val_free(&x);
        break;
    }
    return wf_val_case(WF_VAL_VARIANT, tag, codes[tag].name, &p);
}

unsigned wf_p2h_code_of_fail(wf_http_client_fail f)
{
    switch (f) {
    case WF_HTTP_CLIENT_FAIL_DENIED: return P2H_HTTP_REQUEST_DENIED;
    case WF_HTTP_CLIENT_FAIL_BAD_REQUEST: return P2H_HTTP_REQUEST_URI_INVALID;
    case WF_HTTP_CLIENT_FAIL_DNS: return P2H_DNS_ERROR;
    case WF_HTTP_CLIENT_FAIL_REFUSED: return P2H_CONNECTION_REFUSED;
    case WF_HTTP_CLIENT_FAIL_CONNECT_TIMEOUT: return P2H_CONNECTION_TIMEOUT;
    case WF_HTTP_CLIENT_FAIL_TIMEOUT: return P2H_HTTP_RESPONSE_TIMEOUT;
    case WF_HTTP_CLIENT_FAIL_READ_TIMEOUT: return P2H_CONNECTION_READ_TIMEOUT;
    case WF_HTTP_CLIENT_FAIL_TLS: return P2H_TLS_PROTOCOL_ERROR;
    case WF_HTTP_CLIENT_FAIL_PROTOCOL: return P2H_HTTP_PROTOCOL_ERROR;
    case WF_HTTP_CLIENT_FAIL_TERMINATED: return P2H_CONNECTION_TERMINATED;
    case WF_HTTP_CLIENT_FAIL_TOO_LARGE: return P2H_HTTP_RESPONSE_BODY_SIZE;
    default: return P2H_INTERNAL_ERROR;
    }
}

const char *wf_p2h_code_name(const wf_val *v)
{
    if (v->kind != WF_VAL_VARIANT || v->of.cas.index >= P2H_NCODES) return "?";
    return codes[v->of.cas.index].name;
}

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
                                       "TRACE", "PATCH" };
static const char *const method_cases[] = { "get", "head", "post", "put", "delete", "connect",
                                            "options", "trace", "patch", "other" };

wf_val wf_p2h_method_val(const char *m)
{
    for (size_t i = 0; i < WF_COUNT(methods); i++)
        if (!strcmp(methods[i], m)) return wf_val_case(WF_VAL_VARIANT, (uint32_t)i, method_cases[i], NULL);
    wf_val s = wf_val_string(m, strlen(m));
    return wf_val_case(WF_VAL_VARIANT, 9, "other", &s);
}

char *wf_p2h_method_str(const wf_val *v)
{
    if (v->kind != WF_VAL_VARIANT || v->of.cas.index > 9) return NULL;
    if (v->of.cas.index < 9) return wf_xstrdup(methods[v->of.cas.index]);
    const wf_val *p = v->of.cas.payload;
    return p && p->kind == WF_VAL_STRING ? wf_xstrdup(p->of.str.data) : NULL;
}

wf_val wf_p2h_scheme_val(const char *s)
{
    if (!strcasecmp(s, "http")) return wf_val_case(WF_VAL_VARIANT, 0, "HTTP", NULL);
    if (!strcasecmp(s, "https")) return wf_val_case(WF_VAL_VARIANT, 1, "HTTPS", NULL);
    wf_val x = wf_val_string(s, strlen(s));
    return wf_val_case(WF_VAL_VARIANT, 2, "other", &x);
}

char *wf_p2h_scheme_str(const wf_val *v)
{
    if (v->kind != WF_VAL_VARIANT || v->of.cas.index > 2) return NULL;
    if (v->of.cas.index < 2) return wf_xstrdup(v->of.cas.index ? "https" : "http");
    const wf_val *p = v->of.cas.payload;
    return p && p->kind == WF_VAL_STRING ? wf_xstrdup(p->of.str.data) : NULL;
}

bool wf_p2_http_is_proxy_method(const char *m)
{
    static const char pre[] = "wasi:http/incoming-handler";
    size_t n = sizeof pre - 1;
    if (!m || strncmp(m, pre, n)) return false;
    m += n;
    if (*m == '@') {
        if (strncmp(m, "@0.2.", 5)) return false;
        m += 5;
        while (*m && *m != '#') m++;
    }
    return !strcmp(m, "#handle");
}
