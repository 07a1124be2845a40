/*
 * file.c - reading whole files, with errors that name the path.
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>

wf_error *wf_file_read(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return wf_error_new(WF_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    uint8_t *buf = wf_xmalloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        buf = wf_xrealloc(buf, cap + 1);
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return wf_error_new(WF_ERR_IO, "cannot read %s", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return NULL;
}
