/*
 * image.c - memory images (image.h): sealed memfds holding a memory's
 * content, mapped copy-on-write into memory reservations; each module's
 * data images, made once on first use; and, with the same PAGEMAP_SCAN
 * as below, clearing just the written pages of an anonymous memory
 * (wf_memory_zero_written, a small snapshot's reset).
 *
 * Why a memfd and not a private copy: MAP_PRIVATE of one file shares the
 * unwritten pages of every instance in the page cache, and
 * madvise(MADV_DONTNEED) on a private file mapping drops only the instance's
 * own copies, so the next access reads the image again. Pages of the image
 * that are all zero are left as holes (they cost no page cache).
 *
 * Resetting a memory to its image: dropping every page (madvise) makes the
 * next call fault each page it touches in again, a copy-on-write copy for
 * each one it writes; for a large guest (SpiderMonkey touches ~100 pages per
 * call) those faults cost more than the call itself. So a reset asks the
 * kernel which pages of the mapping are the instance's own copies (the
 * PAGEMAP_SCAN ioctl of /proc/self/pagemap, Linux 6.7: present or swapped
 * pages that are not the file's) and copies the image's bytes back into just
 * those, up to WF_IMAGE_KEEP_RESIDENT bytes per memory: the pages stay mapped and
 * private, the pages only read stay mapped to the image, and the next call
 * takes no fault on either. What is over the budget, and everything when the
 * kernel has no PAGEMAP_SCAN, is dropped with madvise as before. The cost:
 * an idle slot keeps its written pages (its Pss grows by them).
 *
 * A working-set hint: the first reset that finds written pages in a memory
 * mapped from an image records them with the image (the pages a call of
 * this code writes: SpiderMonkey's ~95); every later mapping of the image
 * (a new slot, a fresh instance) makes those pages its own at once with
 * MADV_POPULATE_WRITE, one call per run of pages, instead of a
 * copy-on-write fault per page during its first call: about half the cost
 * per page here (bench_instance "page costs"). The content does not change
 * (each page is a copy of the image's), so a hint that does not fit the
 * next call costs only the memory of pages it will not write.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "wasm/image.h"
#include "wasm/image_int.h"

static uint64_t g_next_id = 1;

/* A sealed memfd of len bytes, filled by fill(ud, dst) through a shared
 * mapping; NULL when the kernel refuses (the callers fall back to copying). */
wf_memimage *wf_memimage_make(uint64_t len, void (*fill)(void *ud, uint8_t *dst), void *ud)
{
    if (!len) return NULL;
    int fd = memfd_create("wasmfn-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return NULL;
    if (ftruncate(fd, (off_t)len) != 0) {
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    fill(ud, p);
    munmap(p, (size_t)len);
    /* Sealed: no one may change an image that instances map. */
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    wf_memimage *img = wf_xcalloc(1, sizeof *img);
    img->fd = fd;
    img->len = len;
    void *view = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
    img->view = view == MAP_FAILED ? NULL : view;
    img->id = __atomic_fetch_add(&g_next_id, 1, __ATOMIC_RELAXED);
    return img;
}

void wf_memimage_free(wf_memimage *img)
{
    if (!img) return;
    if (img->view) munmap((void *)img->view, (size_t)img->len);
    close(img->fd);
    free(img->hint);
    free(img);
}

uint64_t wf_memimage_len(const wf_memimage *img) { return img ? img->len : 0; }

/* Copy the non-zero host pages of src: zero pages stay holes of the file. */
typedef struct copy_src { const uint8_t *bytes; uint64_t len; } copy_src;

static void fill_copy(void *ud, uint8_t *dst)
{
    const copy_src *c = ud;
    static const uint8_t zero[4096];
    for (uint64_t at = 0; at < c->len; at += sizeof zero) {
        size_t n = c->len - at < sizeof zero ? (size_t)(c->len - at) : sizeof zero;
        if (memcmp(c->bytes + at, zero, n)) memcpy(dst + at, c->bytes + at, n);
    }
}

wf_memimage *wf_memimage_from_bytes(const uint8_t *bytes, uint64_t len)
{
    copy_src c = { bytes, len };
    return wf_memimage_make(len, fill_copy, &c);
}

/* ---- Mapping ------------------------------------------------------------------ */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14 */
#endif

/* The hint's pages made m's own copies now (see the header); a kernel
 * without MADV_POPULATE_WRITE leaves them to fault in as before. */
static void populate_hint(wf_memory *m, const wf_memimage *img)
{
    const wf_memhint *h = __atomic_load_n(&img->hint, __ATOMIC_ACQUIRE);
    if (!h) return;
    for (uint32_t i = 0; i < h->n; i++)
        if (madvise(m->base + h->runs[i].off, (size_t)h->runs[i].len, MADV_POPULATE_WRITE) != 0) return;
}

bool wf_memory_map_image(wf_memory *m, const wf_memimage *img)
{
    uint64_t len = img->len;
    /* What lies past the new image must be anonymous and inaccessible: the
     * tail of an older, longer image, and pages a grow made accessible. */
    if (m->image_len > len &&
        mmap(m->base + len, (size_t)(m->image_len - len), PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
        return false;
    if (m->size > len && (madvise(m->base + len, (size_t)(m->size - len), MADV_DONTNEED) != 0 ||
                          mprotect(m->base + len, (size_t)(m->size - len), PROT_NONE) != 0))
        return false;
    if (mmap(m->base, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, img->fd, 0) ==
        MAP_FAILED)
        return false;
    /* every page is the image's now */
    free(m->owned);
    m->owned = NULL;
    m->image_id = img->id;
    m->image_len = len;
    m->size = len;
    m->type.limits.min = len / WF_PAGE_SIZE;
    m->written = false;
    populate_hint(m, img);
    return true;
}

/* ---- Copying written pages back ------------------------------------------------ */

static uint64_t g_keep_resident = WF_IMAGE_KEEP_RESIDENT;

uint64_t wf_memimage_keep_resident(uint64_t bytes)
{
    return __atomic_exchange_n(&g_keep_resident, bytes, __ATOMIC_RELAXED);
}

/* PAGEMAP_SCAN (linux/fs.h of Linux 6.7; the build's headers may be older). */
#define SCAN_IOCTL _IOWR('f', 16, struct scan_arg)
#define PAGE_IS_FILE (1u << 2)
#define PAGE_IS_PRESENT (1u << 3)
#define PAGE_IS_SWAPPED (1u << 4)
#define PAGE_IS_PFNZERO (1u << 5)

struct scan_region { uint64_t start, end, categories; };
struct scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

/* /proc/self/pagemap, opened once; -1 when missing or without the ioctl. */
static int g_pagemap = -2;

static int pagemap_fd(void)
{
    int fd = __atomic_load_n(&g_pagemap, __ATOMIC_ACQUIRE);
    if (fd != -2) return fd;
    fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        /* an empty scan tells whether the kernel knows the ioctl */
        struct scan_arg a = { .size = sizeof a, .start = 0, .end = 0 };
        if (ioctl(fd, SCAN_IOCTL, &a) < 0 && (errno == ENOTTY || errno == EINVAL)) {
            close(fd);
            fd = -1;
        }
    } else {
        fd = -1;
    }
    int none = -2;
    if (!__atomic_compare_exchange_n(&g_pagemap, &none, fd, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (fd >= 0) close(fd);
        fd = none;
    }
    return fd;
}

/* h (cap runs, may be NULL) with the run [off, off + len) appended. */
static wf_memhint *hint_add(wf_memhint *h, uint32_t *cap, uint64_t off, uint64_t len)
{
    if (!h || h->n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        wf_memhint *g = wf_xrealloc(h, sizeof *g + *cap * sizeof g->runs[0]);
        if (!h) g->n = 0;
        h = g;
    }
    h->runs[h->n].off = off;
    h->runs[h->n].len = len;
    h->n++;
    return h;
}

/* Page faults taken by the whole process so far (every thread's, the
 * exited ones' included), or UINT64_MAX when unknown. A page of a memory
 * becomes the instance's own copy only through a fault: the guest's write,
 * the kernel's write into it on a system call's behalf (get_user_pages
 * faults it in, counted for the calling thread), MADV_POPULATE_WRITE. */
static uint64_t process_faults(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru)) return UINT64_MAX;
    return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

static uint64_t g_scans;

uint64_t wf_memimage_scans(void) { return __atomic_load_n(&g_scans, __ATOMIC_RELAXED); }

/* The image's bytes back into the pages of [0, end) that m's instance wrote
 * (m is mapped from img over at least end bytes): copied while the budget
 * lasts, dropped beyond. false (nothing or part done) when the kernel cannot
 * say which pages those are: the caller drops the whole range.
 *
 * The kernel is asked (PAGEMAP_SCAN) unless no page fault happened in the
 * process since the last scan of m began: then the pages m owns are the ones
 * that scan found (a page becomes its own only through a fault, and every
 * fault is counted), and the image's bytes are copied into those again. A
 * fault anywhere (any thread, any memory) only costs the scan. Copying the
 * image's bytes into a page is right whatever the page: a stale list could
 * only make a page its own again, never miss one. On a settled fresh call
 * (a reset slot's call takes no fault) this saves the scan: the walk of
 * every present page-table entry of the memory, which is most of a reset's
 * kernel time. */
static bool restore_written(wf_memory *m, const wf_memimage *img, uint64_t end)
{
    uint64_t budget = __atomic_load_n(&g_keep_resident, __ATOMIC_RELAXED);
    int fd = img->view && budget ? pagemap_fd() : -1;
    if (fd < 0) return false;
    uint64_t faults = process_faults();
    const wf_memhint *own = m->owned;
    if (own && faults != UINT64_MAX && faults == m->owned_faults && end == m->owned_end) {
        for (uint32_t i = 0; i < own->n; i++)
            memcpy(m->base + own->runs[i].off, img->view + own->runs[i].off, (size_t)own->runs[i].len);
        return true;
    }
    free(m->owned);
    m->owned = NULL;
    __atomic_add_fetch(&g_scans, 1, __ATOMIC_RELAXED);
    struct scan_region r[64];
    uint64_t at = (uint64_t)(uintptr_t)m->base, stop = at + end, kept = 0;
    /* the runs found (kept: none dropped); the first time pages are found
     * they are recorded as the image's hint too */
    wf_memhint *found = NULL;
    uint32_t cap = 0;
    bool dropped = false;
    while (at < stop) {
        /* the instance's own pages: neither the file's nor the zero page,
         * present or swapped out */
        struct scan_arg a = {
            .size = sizeof a, .start = at, .end = stop, .vec = (uint64_t)(uintptr_t)r,
            .vec_len = WF_COUNT(r),
            .category_inverted = PAGE_IS_FILE | PAGE_IS_PFNZERO,
            .category_mask = PAGE_IS_FILE | PAGE_IS_PFNZERO,
            .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        };
        long n = ioctl(fd, SCAN_IOCTL, &a);
        if (n < 0) {
            free(found);
            return false;
        }
        for (long i = 0; i < n; i++) {
            uint64_t off = r[i].start - (uint64_t)(uintptr_t)m->base, len = r[i].end - r[i].start;
            if (kept + len <= budget) {
                memcpy(m->base + off, img->view + off, (size_t)len);
                kept += len;
                found = hint_add(found, &cap, off, len);
            } else if (madvise(m->base + off, (size_t)len, MADV_DONTNEED) != 0) {
                free(found);
                return false;
            } else {
                dropped = true;
            }
        }
        if (a.walk_end <= at) {
            free(found);
            return false;
        }
        at = a.walk_end;
    }
    if (found && !__atomic_load_n(&img->hint, __ATOMIC_ACQUIRE)) {
        size_t size = sizeof *found + found->n * sizeof found->runs[0];
        wf_memhint *hint = wf_xmalloc(size), *none = NULL;
        memcpy(hint, found, size);
        if (!__atomic_compare_exchange_n((wf_memhint **)&img->hint, &none, hint, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            free(hint);   /* another thread's reset recorded one first */
    }
    /* a list with pages dropped from it would make them its own again */
    if (dropped || faults == UINT64_MAX) {
        free(found);
    } else {
        if (!found) found = wf_xcalloc(1, sizeof *found);
        m->owned = found;
        m->owned_faults = faults;
        m->owned_end = end;
    }
    return true;
}

/* Zero [from, end) of anonymous memory m (no image mapped there) on the
 * pages that may hold anything but zeros: the ones the kernel has as m's
 * own (present or swapped, not the shared zero page); a page never written
 * since it was mapped reads as zeros already. With drop, whole pages found
 * are given back (MADV_DONTNEED) instead of cleared: a recycled memory
 * comes with every page present (memory.c clears small ones with memset),
 * so its first reset drops them, and from then on the pages found are the
 * ones its calls wrote. false (nothing or part done) when the kernel cannot
 * say: the caller then clears the whole range. */
bool wf_memory_zero_written(wf_memory *m, uint64_t from, uint64_t end, bool drop)
{
    int fd = pagemap_fd();
    if (fd < 0) return false;
    if (from >= end) return true;
    struct scan_region r[32];
    uint64_t base = (uint64_t)(uintptr_t)m->base;
    uint64_t at = base + (from & ~(uint64_t)4095), stop = base + end;
    while (at < stop) {
        struct scan_arg a = {
            .size = sizeof a, .start = at, .end = (stop + 4095) & ~(uint64_t)4095,
            .vec = (uint64_t)(uintptr_t)r, .vec_len = WF_COUNT(r),
            .category_inverted = PAGE_IS_PFNZERO,
            .category_mask = PAGE_IS_PFNZERO,
            .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        };
        long n = ioctl(fd, SCAN_IOCTL, &a);
        if (n < 0) return false;
        for (long i = 0; i < n; i++) {
            uint64_t lo = WF_MAX(r[i].start, base + from), hi = WF_MIN(r[i].end, stop);
            if (lo >= hi) continue;
            /* Whole pages may go; a page only partly in range is cleared. */
            uint64_t plo = (lo + 4095) & ~(uint64_t)4095, phi = hi & ~(uint64_t)4095;
            if (drop && plo < phi && madvise((void *)(uintptr_t)plo, (size_t)(phi - plo), MADV_DONTNEED) == 0) {
                if (lo < plo) memset((void *)(uintptr_t)lo, 0, (size_t)(plo - lo));
                if (phi < hi) memset((void *)(uintptr_t)phi, 0, (size_t)(hi - phi));
            } else {
                memset((void *)(uintptr_t)lo, 0, (size_t)(hi - lo));
            }
        }
        if (a.walk_end <= at) return false;
        at = a.walk_end;
    }
    return true;
}

bool wf_memory_reset_image(wf_memory *m, const wf_memimage *img)
{
    if (m->image_id != img->id || m->image_len != img->len) return wf_memory_map_image(m, img);
    uint64_t len = img->len;
    /* The instance's own copies get the image's bytes back (or go, and the
     * image shows through again); what grew past the image goes. */
    uint64_t in_image = WF_MIN(m->size, len);
    if (in_image && !restore_written(m, img, in_image) &&
        madvise(m->base, (size_t)in_image, MADV_DONTNEED) != 0)
        return false;
    if (m->size > len && madvise(m->base + len, (size_t)(m->size - len), MADV_DONTNEED) != 0)
        return false;
    if (m->size > len && mprotect(m->base + len, (size_t)(m->size - len), PROT_NONE) != 0)
        return false;
    if (m->size < len && mprotect(m->base + m->size, (size_t)(len - m->size), PROT_READ | PROT_WRITE) != 0)
        return false;
    m->size = len;
    m->type.limits.min = len / WF_PAGE_SIZE;
    m->written = false;
    return true;
}

/* ---- Module data images --------------------------------------------------------- */

struct wf_modimages {
    wf_memimage **mem;          /* per memory index; NULL: none */
    uint32_t n;
};

typedef struct seg_fill { const wf_module *m; uint32_t mem; } seg_fill;

static void fill_segments(void *ud, uint8_t *dst)
{
    const seg_fill *f = ud;
    for (uint32_t i = 0; i < f->m->ndatas; i++) {
        const wf_dataseg *d = &f->m->datas[i];
        if (d->mode != WF_SEG_ACTIVE || d->memory != f->mem || !d->len) continue;
        memcpy(dst + (uint32_t)d->offset.code[0].imm, d->bytes, d->len);
    }
}

/* Can memory `mem` (defined) start from an image of its segments? */
static bool imageable(const wf_module *m, uint32_t mem)
{
    const wf_memtype *t = &m->mems[mem];
    if (t->limits.is64 || t->limits.shared || !t->limits.min || t->limits.min > WF_MAX_MEMORY_PAGES)
        return false;
    uint64_t size = t->limits.min * WF_PAGE_SIZE, total = 0;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wf_dataseg *d = &m->datas[i];
        if (d->mode != WF_SEG_ACTIVE || d->memory != mem) continue;
        if (d->offset.len != 1 || d->offset.code[0].op != WF_COP_I32_CONST) return false;
        uint64_t off = (uint32_t)d->offset.code[0].imm;
        if (off + d->len > size) return false;   /* instantiation traps: leave it to the copy */
        total += d->len;
    }
    return total >= WF_IMAGE_MIN_DATA;
}

static struct wf_modimages *build(const wf_module *m)
{
    struct wf_modimages *im = wf_xcalloc(1, sizeof *im);
    im->n = m->nmems;
    im->mem = wf_xcalloc(m->nmems + 1, sizeof *im->mem);
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        if (!imageable(m, i)) continue;
        seg_fill f = { m, i };
        im->mem[i] = wf_memimage_make(m->mems[i].limits.min * WF_PAGE_SIZE, fill_segments, &f);
    }
    return im;
}

static void images_free(struct wf_modimages *im)
{
    if (!im) return;
    for (uint32_t i = 0; i < im->n; i++) wf_memimage_free(im->mem[i]);
    free(im->mem);
    free(im);
}

const wf_memimage *wf_module_data_image(const wf_module *m, uint32_t mem)
{
    /* The module is immutable but for this cache, filled once: concurrent
     * first users may both build, one result stays. */
    struct wf_modimages **slot = (struct wf_modimages **)&m->images;
    struct wf_modimages *im = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!im) {
        struct wf_modimages *mine = build(m), *none = NULL;
        if (__atomic_compare_exchange_n(slot, &none, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            im = mine;
        } else {
            images_free(mine);
            im = none;
        }
    }
    return mem < im->n ? im->mem[mem] : NULL;
}

void wf_module_images_free(wf_module *m)
{
    images_free(m->images);
    m->images = NULL;
}
