/*
 * image_int.h - the memory image itself, shared by image.c (images, module
 * data images, mapping) and snapshot.c (snapshots holding images).
 */
#ifndef WF_IMAGE_INT_H
#define WF_IMAGE_INT_H

#include "wasm/image.h"

/* The pages a function's calls write in a memory mapped from an image:
 * runs of [off, off + len), recorded once (image.c). */
typedef struct wf_memhint {
    uint32_t n;
    struct { uint64_t off, len; } runs[];
} wf_memhint;

struct wf_memimage {
    int fd;                     /* a sealed memfd of len bytes */
    uint64_t len;               /* the memory's size with this image: whole wasm pages */
    uint64_t id;                /* unique in the process: wf_memory.image_id */
    const uint8_t *view;        /* a read-only shared mapping of it (NULL: none), the
                                 * source of pages copied back at a reset */
    wf_memhint *hint;           /* set once (atomically), freed with the image */
};

/* A sealed memfd of len bytes (> 0) filled by fill through a shared
 * mapping, or the content of bytes[0, len) (all-zero host pages left as
 * holes); NULL when the kernel refuses. */
wf_memimage *wf_memimage_make(uint64_t len, void (*fill)(void *ud, uint8_t *dst), void *ud);
wf_memimage *wf_memimage_from_bytes(const uint8_t *bytes, uint64_t len);
void wf_memimage_free(wf_memimage *img);
uint64_t wf_memimage_len(const wf_memimage *img);

/* Back to img: a memory already mapped from it gets the image's content
 * back in the pages it wrote (copied, or dropped with madvise), another one
 * maps it; false when the kernel refuses. */
bool wf_memory_reset_image(wf_memory *m, const wf_memimage *img);
/* How many times a reset asked the kernel for a memory's own pages (the
 * others copied into the pages the last scan found: image.c). */
uint64_t wf_memimage_scans(void);

/* Zero [from, end) of an anonymous memory on the pages m's calls wrote
 * (the kernel's own pages of it, PAGEMAP_SCAN; with drop, whole pages are
 * given back instead); false when the kernel cannot say (the caller zeroes
 * the whole range). */
bool wf_memory_zero_written(wf_memory *m, uint64_t from, uint64_t end, bool drop);

#endif
