/* test_image_reset.c - the reset of a memory mapped from an image
 * (src/wasm/image.c, restore_written): the pages the memory owns are asked
 * of the kernel (PAGEMAP_SCAN) unless no page fault happened in the process
 * since the last scan, in which case the last scan's pages get the image's
 * bytes again. Whatever path a reset takes, the memory reads the image after
 * it: a page the guest writes for the first time (a fault), a page a system
 * call writes (read(2) into the memory: the kernel faults it in for the
 * call), a page written again (no fault: the scan may be skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wasm/image_int.h"
#include "wasm/runtime.h"

enum { PAGES = 4, LEN = PAGES * WF_PAGE_SIZE };

typedef struct fixture {
    wf_store *s;
    wf_memory *m;
    wf_memimage *img;
    uint8_t *bytes;
} fixture;

static void setup(fixture *f)
{
    f->bytes = malloc(LEN);
    for (size_t i = 0; i < LEN; i++) f->bytes[i] = (uint8_t)(i * 7 + 3);
    memset(f->bytes + LEN / 2, 0, WF_PAGE_SIZE);   /* a hole in the image */
    f->img = wf_memimage_from_bytes(f->bytes, LEN);
    if (!f->img) skip();
    f->s = wf_store_new();
    wf_memtype t = { .limits = { .min = PAGES, .max = PAGES, .has_max = true } };
    wf_error *e = wf_memory_create(f->s, &t, &f->m);
    if (e) fail_msg("memory: %s", e->message);
    assert_true(wf_memory_map_image(f->m, f->img));
}

static void teardown(fixture *f)
{
    wf_store_free(f->s);
    wf_memimage_free(f->img);
    free(f->bytes);
}

static void reset_and_check(fixture *f)
{
    assert_true(wf_memory_reset_image(f->m, f->img));
    assert_int_equal(f->m->size, LEN);
    assert_memory_equal(f->m->base, f->bytes, LEN);
}

static void test_reset_paths(void **state)
{
    (void)state;
    fixture f;
    setup(&f);
    uint8_t *b = f.m->base;
    assert_memory_equal(b, f.bytes, LEN);

    /* a first write: the page becomes the memory's own (a fault), found by
     * a scan */
    uint64_t s0 = wf_memimage_scans();
    b[100] ^= 0xff;
    reset_and_check(&f);
    assert_true(wf_memimage_scans() == s0 + 1);

    /* the same page written again (no fault): every reset right; the scan
     * may be skipped (another fault of this process, say a page of the
     * heap, would make it scan again) */
    bool skipped = false;
    for (int i = 0; i < 20; i++) {
        uint64_t s = wf_memimage_scans();
        b[200] = (uint8_t)i;
        b[300] ^= 0x5a;
        reset_and_check(&f);
        skipped |= wf_memimage_scans() == s;
    }
    assert_true(skipped);

    /* a page never written before, after resets that skipped the scan:
     * its fault makes the next reset scan, and the page gets its bytes back
     * (the hole included) */
    for (int page = 1; page < PAGES; page++) {
        uint64_t s = wf_memimage_scans();
        b[page * WF_PAGE_SIZE + 17] ^= 0xff;
        reset_and_check(&f);
        assert_true(wf_memimage_scans() == s + 1);
        b[200] = 1;   /* the next reset may skip again */
        reset_and_check(&f);
    }

    /* a page written by the kernel for a system call (read(2) into the
     * memory): faulted in on the call's behalf, counted, found */
    int p[2];
    assert_int_equal(pipe(p), 0);
    static const char msg[] = "written by the kernel";
    assert_int_equal(write(p[1], msg, sizeof msg), (ssize_t)sizeof msg);
    assert_true(wf_memory_map_image(f.m, f.img));   /* every page the image's again */
    reset_and_check(&f);
    uint64_t s = wf_memimage_scans();
    assert_int_equal(read(p[0], b + 2 * WF_PAGE_SIZE + 64, sizeof msg), (ssize_t)sizeof msg);
    assert_memory_equal(b + 2 * WF_PAGE_SIZE + 64, msg, sizeof msg);
    reset_and_check(&f);
    assert_true(wf_memimage_scans() == s + 1);
    close(p[0]);
    close(p[1]);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
