/*
 * image.c - memory images (image.h): sealed memfds holding a memory's
 * content, mapped copy-on-write into memory reservations; and each module's
 * data images, made once on first use.
 *
 * Why a memfd and not a private copy: MAP_PRIVATE of one file shares the
 * unwritten pages of every instance in the page cache, and
 * madvise(MADV_DONTNEED) on a private file mapping drops only the instance's
 * own copies, so the next access reads the image again. Pages of the image
 * that are all zero are left as holes (they cost no page cache).
 */
#include <fcntl.h>
#include <sys/mman.h>
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
    img->id = __atomic_fetch_add(&g_next_id, 1, __ATOMIC_RELAXED);
    return img;
}

void wf_memimage_free(wf_memimage *img)
{
    if (!img) return;
    close(img->fd);
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
    m->image_id = img->id;
    m->image_len = len;
    m->size = len;
    m->type.limits.min = len / WF_PAGE_SIZE;
    m->written = false;
    return true;
}

bool wf_memory_reset_image(wf_memory *m, const wf_memimage *img)
{
    if (m->image_id != img->id || m->image_len != img->len) return wf_memory_map_image(m, img);
    uint64_t len = img->len;
    /* The instance's own copies go; the image shows through again. */
    if (m->size && madvise(m->base, (size_t)m->size, MADV_DONTNEED) != 0) return false;
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
