/*
 * image.h - memory images and instance snapshots (DESIGN.md "Pristine
 * instance per call, made cheap").
 *
 * A memory image is a memory's content kept once in a sealed memfd and
 * mapped copy-on-write (MAP_PRIVATE) at the start of a memory's reservation:
 * a fresh memory costs one mmap whatever the size of its data, the pages are
 * shared by every instance until one writes them, and a memory goes back to
 * its image by getting the image's bytes copied into the pages it wrote
 * (which the kernel lists) or, past a budget, with madvise(MADV_DONTNEED).
 *
 * A module's data image is the initial content of one of its defined
 * memories (its active data segments applied), made once per module on the
 * first instantiation that can use it: every active segment of that memory
 * has a constant offset and fits in its initial size, and together they hold
 * at least WF_IMAGE_MIN_DATA bytes (below that, copying is cheaper than a
 * mapping).
 *
 * A snapshot is the state of every instance of a store (defined memories,
 * globals, tables, segment state), recorded in a form that does not depend
 * on the store: function references as indices of the instance's function
 * space. Any store whose instances were made from the same modules in the
 * same order (the same component or module instantiated again, possibly
 * "bare": without segments and start functions, see wf_store.bare) can be
 * reset to it. A snapshot cannot record a reference that is neither null,
 * an i31 nor a function of the instance's own function space (an
 * externref, a GC struct or array, a function of another instance not
 * imported by this one), nor state held by objects the host made in the
 * store: wf_snapshot_take refuses those. A reset frees the store's whole
 * GC heap (gc.h): the snapshot holds no object.
 */
#ifndef WF_IMAGE_H
#define WF_IMAGE_H

#include "base/base.h"
#include "base/error.h"
#include "wasm/runtime.h"

#define WF_IMAGE_MIN_DATA ((uint64_t)64 << 10)
/* At a reset, up to this many bytes of the pages an instance wrote in a
 * memory mapped from an image get the image's bytes copied back and stay
 * mapped (no fault at the next call); the rest are dropped (image.c). */
#define WF_IMAGE_KEEP_RESIDENT ((uint64_t)8 << 20)

typedef struct wf_memimage wf_memimage;

/* The data image of the module's defined memory `mem` (an index among the
 * module's memories, imports included), made on first use; NULL when that
 * memory has none (see above). Thread-safe; owned by the module (freed by
 * wf_module_images_free from wf_module_free). */
const wf_memimage *wf_module_data_image(const wf_module *m, uint32_t mem);
void wf_module_images_free(wf_module *m);

/* Map img over m's first img bytes, copy-on-write, and make exactly those
 * bytes accessible (m->size becomes the image's size); false when the
 * kernel refuses (m is then unusable: the caller fails). */
bool wf_memory_map_image(wf_memory *m, const wf_memimage *img);

/* Change the WF_IMAGE_KEEP_RESIDENT budget for the whole process (0: drop
 * every written page, as without PAGEMAP_SCAN); returns the old one. For
 * tests and benches. */
uint64_t wf_memimage_keep_resident(uint64_t bytes);

typedef struct wf_snapshot wf_snapshot;

/* Record the state of every instance of s. WF_ERR_UNSUPPORTED naming what
 * cannot be recorded. The snapshot is independent of s (s may be freed). */
wf_error *wf_snapshot_take(wf_store *s, wf_snapshot **out);
/* Put every instance of s back into the snapshot's state. Fails (INTERNAL)
 * when s does not match the snapshot, or the kernel refuses a mapping; s
 * must then be freed, not used. Thread-safe for distinct stores. */
wf_error *wf_snapshot_reset(const wf_snapshot *snap, wf_store *s);
void wf_snapshot_free(wf_snapshot *snap);
/* Bytes of memory the snapshot's images hold (for messages and benches). */
uint64_t wf_snapshot_image_bytes(const wf_snapshot *snap);

#endif
