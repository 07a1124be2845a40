/*
 * sha256.c - SHA-256 through OpenSSL's EVP interface (the one the distribution
 * keeps maintained and hardware-accelerated) and the `sha256:` text form.
 */
#include "base/sha256.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

typedef struct hasher {
    EVP_MD_CTX *ctx;
} hasher;

static wf_error *hasher_init(hasher *h)
{
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
        return wf_error_new(WF_ERR_INTERNAL, "sha256: OpenSSL cannot initialise a digest");
    }
    return NULL;
}

static wf_error *hasher_final(hasher *h, uint8_t out[WF_SHA256_LEN])
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, out, &n) == 1 && n == WF_SHA256_LEN;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    return ok ? NULL : wf_error_new(WF_ERR_INTERNAL, "sha256: OpenSSL digest failed");
}

wf_error *wf_sha256(const void *data, size_t len, uint8_t out[WF_SHA256_LEN])
{
    hasher h;
    wf_error *e = hasher_init(&h);
    if (e) return e;
    if (EVP_DigestUpdate(h.ctx, data, len) != 1) {
        EVP_MD_CTX_free(h.ctx);
        return wf_error_new(WF_ERR_INTERNAL, "sha256: OpenSSL digest failed");
    }
    return hasher_final(&h, out);
}

wf_error *wf_sha256_file(const char *path, uint8_t out[WF_SHA256_LEN])
{
    FILE *f = fopen(path, "rb");
    if (!f) return wf_error_new(WF_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    hasher h;
    wf_error *e = hasher_init(&h);
    if (e) {
        fclose(f);
        return e;
    }
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (EVP_DigestUpdate(h.ctx, buf, n) != 1) {
            EVP_MD_CTX_free(h.ctx);
            fclose(f);
            return wf_error_new(WF_ERR_INTERNAL, "sha256: OpenSSL digest failed");
        }
    }
    /* A directory opens fine with fopen but fails to read: report it. */
    if (ferror(f)) {
        int err = errno;
        EVP_MD_CTX_free(h.ctx);
        fclose(f);
        return wf_error_new(WF_ERR_IO, "cannot read %s: %s", path, strerror(err));
    }
    fclose(f);
    return hasher_final(&h, out);
}

void wf_sha256_format(const uint8_t digest[WF_SHA256_LEN], char text[WF_SHA256_TEXT_LEN])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(text, "sha256:", 7);
    for (int i = 0; i < WF_SHA256_LEN; i++) {
        text[7 + 2 * i] = hex[digest[i] >> 4];
        text[7 + 2 * i + 1] = hex[digest[i] & 15];
    }
    text[WF_SHA256_TEXT_LEN - 1] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool wf_sha256_parse(const char *text, uint8_t out[WF_SHA256_LEN])
{
    if (strncmp(text, "sha256:", 7) != 0 || strlen(text) != 7 + 64) return false;
    for (int i = 0; i < WF_SHA256_LEN; i++) {
        int hi = hexval(text[7 + 2 * i]), lo = hexval(text[7 + 2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}
