/*
 * sha256.h - SHA-256 digests (OpenSSL EVP) and their `sha256:<hex>` form,
 * used to pin function.wasm binaries.
 */
#ifndef WF_SHA256_H
#define WF_SHA256_H

#include "base/error.h"

#define WF_SHA256_LEN 32
/* "sha256:" + 64 hex digits + NUL */
#define WF_SHA256_TEXT_LEN (7 + 64 + 1)

/* Digest of len bytes at data into out. INTERNAL only if OpenSSL fails. */
wf_error *wf_sha256(const void *data, size_t len, uint8_t out[WF_SHA256_LEN]);
/* Digest of a whole file, read in chunks (IO error naming the path). */
wf_error *wf_sha256_file(const char *path, uint8_t out[WF_SHA256_LEN]);
/* "sha256:<64 lowercase hex>" into text. */
void wf_sha256_format(const uint8_t digest[WF_SHA256_LEN], char text[WF_SHA256_TEXT_LEN]);
/* Parse "sha256:<64 hex>" (either case); false when malformed. */
bool wf_sha256_parse(const char *text, uint8_t out[WF_SHA256_LEN]);

#endif
