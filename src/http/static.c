/*
 * static.c - http.static: files below an fs.directory, GET (and HEAD).
 *
 * The route's {path...} names a file below the root (a directory serves its
 * index file); nothing outside the root is reachable, neither by ".." nor
 * by a symlink leading out. Responses carry Content-Type (by extension),
 * Content-Length, Last-Modified, Accept-Ranges and a strong ETag made of
 * the file's size and modification time: If-None-Match with it gives 304,
 * a single `Range: bytes=...` 206 with Content-Range (416 when it lies
 * past the end; several ranges get the whole file, as RFC 9110 allows;
 * so does an If-Range naming another version).
 * The file is read on the handler's worker in blocks and streamed, so a
 * large file costs one block of memory per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/serve.h"

static const struct { const char *ext, *type; } types[] = {
    { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
    { "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
    { "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
    { "txt", "text/plain; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
    { "csv", "text/csv; charset=utf-8" }, { "xml", "application/xml" },
    { "svg", "image/svg+xml" }, { "png", "image/png" }, { "jpg", "image/jpeg" },
    { "jpeg", "image/jpeg" }, { "gif", "image/gif" }, { "webp", "image/webp" },
    { "ico", "image/x-icon" }, { "avif", "image/avif" }, { "wasm", "application/wasm" },
    { "pdf", "application/pdf" }, { "zip", "application/zip" }, { "gz", "application/gzip" },
    { "woff", "font/woff" }, { "woff2", "font/woff2" }, { "ttf", "font/ttf" },
    { "otf", "font/otf" }, { "mp3", "audio/mpeg" }, { "ogg", "audio/ogg" }, { "wav", "audio/wav" },
    { "mp4", "video/mp4" }, { "webm", "video/webm" }, { "wat", "text/plain; charset=utf-8" },
    { "wit", "text/plain; charset=utf-8" }, { "yaml", "application/yaml" }, { "yml", "application/yaml" },
};

const char *wf_http_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot + 1, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

static void plain(wf_http_exchange *x, int status, const char *msg)
{
    wf_http_respond(x, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* Does the If-None-Match list hold etag (or "*")? Weak forms compare too. */
static bool etag_matches(const char *list, const char *etag)
{
    size_t el = strlen(etag);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == '*') return true;
        if (!strncmp(p, "W/", 2)) p += 2;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && p[n - 1] == ' ') n--;
        if (n == el && !memcmp(p, etag, el)) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

/* One "bytes=a-b" range of a file of size bytes: 1 with [*from, *to], 0
 * when absent, several or not understood (serve it whole), -1 unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) || strchr(h, ',')) return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {                        /* the last n bytes */
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end) return 0;
        if (!n || !size) return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    if (*p < '0' || *p > '9') return 0;
    unsigned long long a = strtoull(p, &end, 10);
    if (*end != '-') return 0;
    p = end + 1;
    unsigned long long b = size ? size - 1 : 0;
    if (*p) {
        b = strtoull(p, &end, 10);
        if (*end || b < a) return 0;
        if (b >= size) b = size - 1;
    }
    if (a >= size) return -1;
    *from = a;
    *to = b;
    return 1;
}

/* root + "/" + rel, refusing ".." segments and symlinks that lead out. */
static char *resolve(const char *root, const char *rel)
{
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 2 && !memcmp(p, "..", 2))) return NULL;
        if (!e) break;
        p = e + 1;
    }
    char *full = wf_xasprintf("%s/%s", root, rel);
    char real[PATH_MAX];
    if (!realpath(full, real)) return full;   /* missing: open fails, 404 */
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) || (real[rl] && real[rl] != '/')) {
        free(full);
        return NULL;
    }
    return full;
}

void wf_http_static_handler(wf_http_exchange *x, void *ud)
{
    const wf_http_static *st = ud;
    const wf_http_request *rq = wf_http_request_of(x);
    const char *rel = wf_http_param(x, "path");
    if (!rel) rel = "";
    if (memchr(rel, 0, strlen(rel)) || strstr(rel, "//")) {
        plain(x, 404, "not found\n");
        return;
    }
    char *path = resolve(st->root, rel);
    if (!path) {
        plain(x, 404, "not found\n");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) && st->index) {
        char *ip = wf_xasprintf("%s/%s", path, st->index);
        close(fd);
        fd = open(ip, O_RDONLY | O_CLOEXEC);
        free(path);
        path = ip;
    }
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        free(path);
        plain(x, 404, "not found\n");
        return;
    }
    uint64_t size = (uint64_t)sb.st_size;
    char etag[64], lm[64], len[32];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)size,
             (unsigned long long)sb.st_mtim.tv_sec * 1000000000ull + (unsigned long long)sb.st_mtim.tv_nsec);
    struct tm tm;
    gmtime_r(&sb.st_mtim.tv_sec, &tm);
    strftime(lm, sizeof lm, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    wf_http_add_header(x, "etag", etag);
    wf_http_add_header(x, "last-modified", lm);
    wf_http_add_header(x, "accept-ranges", "bytes");
    const char *inm = wf_http_header_get(rq, "if-none-match");
    if (inm && etag_matches(inm, etag)) {
        close(fd);
        free(path);
        wf_http_set_status(x, 304);
        wf_http_finish(x);
        return;
    }
    uint64_t from = 0, to = size ? size - 1 : 0;
    /* If-Range (RFC 9110 13.1.5): the range only for the version named
     * (strong ETag or the exact Last-Modified), else the whole file. */
    const char *if_range = wf_http_header_get(rq, "if-range");
    bool same_version = !if_range || !strcmp(if_range, etag) || !strcmp(if_range, lm);
    int r = same_version ? parse_range(wf_http_header_get(rq, "range"), size, &from, &to) : 0;
    if (r < 0) {
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        wf_http_add_header(x, "content-range", cr);
        close(fd);
        free(path);
        plain(x, 416, "range not satisfiable\n");
        return;
    }
    uint64_t count = size ? to - from + 1 : 0;
    if (r > 0) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from, (unsigned long long)to,
                 (unsigned long long)size);
        wf_http_add_header(x, "content-range", cr);
        wf_http_set_status(x, 206);
    } else {
        wf_http_set_status(x, 200);
    }
    wf_http_add_header(x, "content-type", wf_http_content_type(path));
    snprintf(len, sizeof len, "%llu", (unsigned long long)count);
    wf_http_add_header(x, "content-length", len);
    free(path);
    if (!strcmp(rq->method, "HEAD")) count = 0;
    static const size_t block = 64 * 1024;
    uint8_t *buf = wf_xmalloc(block);
    uint64_t off = from;
    while (count) {
        size_t want = count < block ? (size_t)count : block;
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got <= 0) break;           /* the file shrank: the client sees a short body */
        wf_error *e = wf_http_write(x, buf, (size_t)got);
        if (e) {
            wf_error_free(e);
            break;
        }
        off += (uint64_t)got;
        count -= (uint64_t)got;
    }
    free(buf);
    close(fd);
    wf_http_finish(x);
}
