// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue parsing against a hostile driver: loops, out-of-RAM and
 * overflowing buffers, huge lengths, bad indirect tables, runaway avail
 * index, bad layouts; plus notification suppression (EVENT_IDX).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/virtio/virtqueue.h"

#define QSZ    16
#define DESC   0x100000ULL
#define AVAIL  0x101000ULL
#define USED   0x102000ULL
#define BUF    0x200000ULL
#define ITABLE 0x300000ULL

struct env {
	struct layout l;
	struct gmem mem;
	struct virtqueue vq;
	uint16_t avail_idx;
};

static void w16(struct env *e, uint64_t gpa, uint16_t v) { assert_int_equal(gmem_write(&e->mem, gpa, &v, 2), 0); }
static uint16_t r16(struct env *e, uint64_t gpa) { uint16_t v; assert_int_equal(gmem_read(&e->mem, gpa, &v, 2), 0); return v; }
static uint32_t r32(struct env *e, uint64_t gpa) { uint32_t v; assert_int_equal(gmem_read(&e->mem, gpa, &v, 4), 0); return v; }

static void desc_at(struct env *e, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	assert_int_equal(gmem_write(&e->mem, table + 16ULL * i, d, 16), 0);
}

static void desc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(e, DESC, i, addr, len, flags, next);
}

static void publish(struct env *e, uint16_t head)
{
	w16(e, AVAIL + 4 + 2 * (e->avail_idx % QSZ), head);
	e->avail_idx++;
	w16(e, AVAIL + 2, e->avail_idx);
}

static struct env *env_new(bool event_idx, bool indirect)
{
	struct env *e = calloc(1, sizeof(*e));
	struct error err;
	assert_non_null(e);
	assert_int_equal(layout_compute(&e->l, 64 * MiB, 40), 0);
	assert_int_equal(gmem_create(&e->mem, &e->l, GMEM_HUGE_NONE, NULL, &err), 0);
	assert_int_equal(vq_init(&e->vq, 0, QSZ), 0);
	e->vq.size = QSZ;
	e->vq.desc_gpa = DESC;
	e->vq.avail_gpa = AVAIL;
	e->vq.used_gpa = USED;
	const char *why = NULL;
	assert_int_equal(vq_enable(&e->vq, &e->mem, event_idx, indirect, &why), 0);
	return e;
}

static void env_free(struct env *e)
{
	vq_destroy(&e->vq);
	gmem_destroy(&e->mem);
	free(e);
}

static void expect_broken(struct env *e)
{
	struct vq_elem el;
	assert_int_equal(vq_pop(&e->vq, &el), -1);
	assert_true(e->vq.broken);
	assert_non_null(e->vq.why);
	/* Stays broken: no more chains until reset. */
	assert_int_equal(vq_pop(&e->vq, &el), -1);
	assert_false(vq_has_work(&e->vq));
}

/* ---- good chains -------------------------------------------------------------- */

static void test_simple_chain(void **state)
{
	struct env *e = env_new(false, false);
	struct vq_elem el;
	assert_int_equal(vq_pop(&e->vq, &el), 0);
	assert_false(vq_has_work(&e->vq));
	desc(e, 3, BUF, 16, VQ_DESC_F_NEXT, 7);
	desc(e, 7, BUF + 0x1000, 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	desc(e, 1, BUF + 0x2000, 1, VQ_DESC_F_WRITE, 0);
	publish(e, 3);
	assert_true(vq_has_work(&e->vq));
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.head, 3);
	assert_int_equal(el.nr_out, 1);
	assert_int_equal(el.nr_in, 2);
	assert_int_equal(el.out_len, 16);
	assert_int_equal(el.in_len, 513);
	assert_ptr_equal(el.iov[0].iov_base, gmem_ptr(&e->mem, BUF, 16));
	assert_ptr_equal(el.iov[2].iov_base, gmem_ptr(&e->mem, BUF + 0x2000, 1));
	assert_int_equal(vq_pop(&e->vq, &el), 0);

	vq_push(&e->vq, 3, 513);
	assert_int_equal(r16(e, USED + 2), 1);
	assert_int_equal(r32(e, USED + 4), 3);
	assert_int_equal(r32(e, USED + 8), 513);
	assert_true(vq_should_notify(&e->vq));
	/* Nothing new pushed: no second interrupt. */
	assert_false(vq_should_notify(&e->vq));
	env_free(e);
}

static void test_full_length_chain_and_wrap(void **state)
{
	struct env *e = env_new(false, false);
	struct vq_elem el;
	/* A chain using every descriptor is legal. */
	for (unsigned i = 0; i < QSZ; i++)
		desc(e, i, BUF + 64ULL * i, 64, i + 1 < QSZ ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.nr_out, QSZ);
	vq_push(&e->vq, 0, 0);
	/* Index wrap-around at 65536 is normal operation. */
	desc(e, 0, BUF, 8, 0, 0);
	for (unsigned round = 0; round < 70000; round++) {
		publish(e, 0);
		assert_int_equal(vq_pop(&e->vq, &el), 1);
		vq_push(&e->vq, el.head, 0);
	}
	assert_int_equal(r16(e, USED + 2), (uint16_t)70001);
	env_free(e);
}

static void test_zero_length_and_ram_edges(void **state)
{
	struct env *e = env_new(false, false);
	struct vq_elem el;
	uint64_t last = e->l.low_ram_end - 16;
	desc(e, 0, 0, 0, VQ_DESC_F_NEXT, 1);                 /* empty descriptor */
	desc(e, 1, last, 16, VQ_DESC_F_WRITE, 0);            /* ends exactly at RAM end */
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.nr_out, 0); /* empty descriptors yield no segment */
	assert_int_equal(el.nr_in, 1);
	assert_int_equal(el.in_len, 16);
	/* A zero-length descriptor may even point outside RAM: it is never used. */
	desc(e, 0, LAYOUT_ECAM_BASE, 0, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	desc(e, 1, BUF, 8, VQ_DESC_F_WRITE, 0);
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.nr_in, 1);
	/* Readable after an empty writable one is still out of order. */
	desc(e, 0, BUF, 0, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	desc(e, 1, BUF, 8, 0, 0);
	publish(e, 0);
	expect_broken(e);
	env_free(e);
}

/* ---- hostile chains ----------------------------------------------------------- */

static void test_loop(void **state)
{
	struct env *e = env_new(false, false);
	desc(e, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	desc(e, 1, BUF, 8, VQ_DESC_F_NEXT, 2);
	desc(e, 2, BUF, 8, VQ_DESC_F_NEXT, 0);
	publish(e, 0);
	expect_broken(e);
	env_free(e);

	e = env_new(false, false); /* self loop */
	desc(e, 5, BUF, 8, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 5);
	publish(e, 5);
	expect_broken(e);
	env_free(e);
}

static void test_next_and_head_out_of_range(void **state)
{
	struct env *e = env_new(false, false);
	desc(e, 0, BUF, 8, VQ_DESC_F_NEXT, QSZ);
	publish(e, 0);
	expect_broken(e);
	env_free(e);

	e = env_new(false, false);
	publish(e, QSZ);
	expect_broken(e);
	env_free(e);

	e = env_new(false, false);
	publish(e, 0xFFFF);
	expect_broken(e);
	env_free(e);
}

static void test_buffers_outside_ram(void **state)
{
	static const struct { uint64_t addr; uint32_t len; } bad[] = {
		{ LAYOUT_ECAM_BASE, 16 },             /* in the PCI hole */
		{ LAYOUT_MMIO32_BASE + 0x1000, 4 },
		{ 64 * MiB - 8, 16 },                 /* straddles the end of RAM */
		{ 64 * MiB, 1 },
		{ 0, 0xFFFFFFFF },                    /* huge length */
		{ UINT64_MAX - 15, 32 },              /* addr + len overflows */
		{ UINT64_MAX, 1 },
		{ 1ULL << 52, 4096 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct env *e = env_new(false, false);
		desc(e, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
		desc(e, 1, bad[i].addr, bad[i].len, VQ_DESC_F_WRITE, 0);
		publish(e, 0);
		expect_broken(e);
		env_free(e);
	}
}

static void test_readable_after_writable(void **state)
{
	struct env *e = env_new(false, false);
	desc(e, 0, BUF, 16, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	desc(e, 1, BUF, 16, 0, 0);
	publish(e, 0);
	expect_broken(e);
	env_free(e);
}

static void test_avail_index_runaway(void **state)
{
	struct env *e = env_new(false, false);
	desc(e, 0, BUF, 16, 0, 0);
	w16(e, AVAIL + 2, QSZ + 1);
	expect_broken(e);
	env_free(e);

	/* Exactly a full ring is fine. */
	e = env_new(false, false);
	struct vq_elem el;
	desc(e, 0, BUF, 16, 0, 0);
	for (unsigned i = 0; i < QSZ; i++)
		publish(e, 0);
	for (unsigned i = 0; i < QSZ; i++)
		assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(vq_pop(&e->vq, &el), 0);
	/* Going backwards by a lot looks like running ahead: broken. */
	w16(e, AVAIL + 2, 3);
	expect_broken(e);
	env_free(e);
}

static void test_indirect(void **state)
{
	struct vq_elem el;
	/* Good: direct header then an indirect table of 3. */
	struct env *e = env_new(false, true);
	desc(e, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	desc(e, 1, ITABLE, 48, VQ_DESC_F_INDIRECT, 0);
	desc_at(e, ITABLE, 0, BUF + 0x100, 100, VQ_DESC_F_NEXT, 2);
	desc_at(e, ITABLE, 2, BUF + 0x200, 200, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	desc_at(e, ITABLE, 1, BUF + 0x300, 1, VQ_DESC_F_WRITE, 0);
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.nr_out, 2);
	assert_int_equal(el.nr_in, 2);
	assert_int_equal(el.out_len, 116);
	assert_int_equal(el.in_len, 201);
	env_free(e);

	/* Indirect table that is only an indirect descriptor as the head. */
	e = env_new(false, true);
	desc(e, 4, ITABLE, 16, VQ_DESC_F_INDIRECT, 0);
	desc_at(e, ITABLE, 0, BUF, 8, VQ_DESC_F_WRITE, 0);
	publish(e, 4);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	assert_int_equal(el.head, 4);
	env_free(e);

	struct { uint64_t addr; uint32_t len; uint16_t flags; bool feature; } bad[] = {
		{ ITABLE, 32, VQ_DESC_F_INDIRECT, false },                /* not negotiated */
		{ ITABLE, 0, VQ_DESC_F_INDIRECT, true },                  /* empty */
		{ ITABLE, 24, VQ_DESC_F_INDIRECT, true },                 /* not a multiple of 16 */
		{ ITABLE, 16u * (VQ_MAX_SEGS + 1), VQ_DESC_F_INDIRECT, true }, /* too many */
		{ ITABLE, 0xFFFFFFF0, VQ_DESC_F_INDIRECT, true },         /* huge */
		{ LAYOUT_ECAM_BASE, 32, VQ_DESC_F_INDIRECT, true },      /* outside RAM */
		{ ITABLE, 32, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, true },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		e = env_new(false, bad[i].feature);
		desc(e, 0, bad[i].addr, bad[i].len, bad[i].flags, 1);
		desc(e, 1, BUF, 8, VQ_DESC_F_WRITE, 0);
		desc_at(e, ITABLE, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
		desc_at(e, ITABLE, 1, BUF, 8, VQ_DESC_F_WRITE, 0);
		publish(e, 0);
		expect_broken(e);
		env_free(e);
	}

	/* Nested indirect, loop inside a table, next beyond the table. */
	uint16_t nested_flags[] = { VQ_DESC_F_INDIRECT, VQ_DESC_F_NEXT, VQ_DESC_F_NEXT };
	uint16_t nested_next[] = { 0, 0, 2 };
	for (unsigned i = 0; i < 3; i++) {
		e = env_new(false, true);
		desc(e, 0, ITABLE, 32, VQ_DESC_F_INDIRECT, 0);
		desc_at(e, ITABLE, 0, i == 0 ? ITABLE : BUF, 32, nested_flags[i], 1);
		desc_at(e, ITABLE, 1, BUF, 8, VQ_DESC_F_NEXT, nested_next[i]);
		publish(e, 0);
		expect_broken(e);
		env_free(e);
	}
}

static void test_bad_layouts(void **state)
{
	struct layout l;
	struct gmem mem;
	struct error err;
	struct virtqueue vq;
	assert_int_equal(layout_compute(&l, 64 * MiB, 40), 0);
	assert_int_equal(gmem_create(&mem, &l, GMEM_HUGE_NONE, NULL, &err), 0);
	assert_int_equal(vq_init(&vq, 1, 256), 0);
	static const struct { uint16_t size; uint64_t d, a, u; } bad[] = {
		{ 0, DESC, AVAIL, USED },
		{ 100, DESC, AVAIL, USED },               /* not a power of two */
		{ 512, DESC, AVAIL, USED },               /* above the maximum */
		{ 256, DESC + 8, AVAIL, USED },           /* misaligned */
		{ 256, DESC, AVAIL + 1, USED },
		{ 256, DESC, AVAIL, USED + 2 },
		{ 256, 64 * MiB - 16, AVAIL, USED },      /* table runs off RAM */
		{ 256, DESC, LAYOUT_ECAM_BASE, USED },
		{ 256, DESC, AVAIL, UINT64_MAX - 3 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		vq_reset(&vq);
		vq.size = bad[i].size;
		vq.desc_gpa = bad[i].d;
		vq.avail_gpa = bad[i].a;
		vq.used_gpa = bad[i].u;
		const char *why = NULL;
		assert_int_equal(vq_enable(&vq, &mem, false, false, &why), -1);
		assert_non_null(why);
		assert_false(vq.ready);
		struct vq_elem el;
		assert_int_equal(vq_pop(&vq, &el), 0);
		vq_push(&vq, 0, 0); /* harmless when not ready */
	}
	/* Not ready at all: nothing happens. */
	vq_reset(&vq);
	assert_false(vq_should_notify(&vq));
	assert_false(vq_enable_notify(&vq));
	vq_destroy(&vq);
	/* vq_init refuses silly maxima. */
	assert_int_equal(vq_init(&vq, 0, 0), -1);
	assert_int_equal(vq_init(&vq, 0, 3), -1);
	assert_int_equal(vq_init(&vq, 0, 2048), -1);
	gmem_destroy(&mem);
}

/* ---- notification suppression ----------------------------------------------------- */

static void test_no_interrupt_flag(void **state)
{
	struct env *e = env_new(false, false);
	struct vq_elem el;
	desc(e, 0, BUF, 8, 0, 0);
	w16(e, AVAIL, VQ_AVAIL_F_NO_INTERRUPT);
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	vq_push(&e->vq, 0, 0);
	assert_false(vq_should_notify(&e->vq));
	w16(e, AVAIL, 0);
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	vq_push(&e->vq, 0, 0);
	assert_true(vq_should_notify(&e->vq));
	env_free(e);
}

static void test_event_idx(void **state)
{
	struct env *e = env_new(true, false);
	struct vq_elem el;
	desc(e, 0, BUF, 8, 0, 0);
	uint64_t used_event = AVAIL + 4 + 2 * QSZ, avail_event = USED + 4 + 8 * QSZ;
	/* First push always interrupts. */
	publish(e, 0);
	assert_int_equal(vq_pop(&e->vq, &el), 1);
	vq_push(&e->vq, 0, 0);
	assert_true(vq_should_notify(&e->vq));
	/* Driver wants an interrupt only once used idx passes 3. */
	w16(e, used_event, 3);
	for (unsigned i = 1; i <= 4; i++) {
		publish(e, 0);
		assert_int_equal(vq_pop(&e->vq, &el), 1);
		vq_push(&e->vq, 0, 0);
		/* used idx is now i+1; crossing used_event+1 == 4 interrupts */
		assert_int_equal(vq_should_notify(&e->vq), i + 1 == 4);
	}
	/* Device side: after draining, ask for a kick at the next index. */
	assert_false(vq_enable_notify(&e->vq));
	assert_int_equal(r16(e, avail_event), 5);
	publish(e, 0);
	assert_true(vq_enable_notify(&e->vq));
	env_free(e);
}

/* ---- iov helpers ------------------------------------------------------------------ */

static void test_iov_helpers(void **state)
{
	char a[4] = "abcd", b[3] = "efg", c[5] = "hijkl", out[16] = { 0 };
	struct iovec iov[3] = { { a, 4 }, { b, 3 }, { c, 5 } }, sl[3];
	assert_int_equal(iov_to_buf(iov, 3, 2, out, 7), 7);
	assert_memory_equal(out, "cdefghi", 7);
	assert_int_equal(iov_to_buf(iov, 3, 10, out, 7), 2);
	assert_int_equal(iov_to_buf(iov, 3, 100, out, 7), 0);
	assert_int_equal(iov_from_buf(iov, 3, 3, "XYZ", 3), 3);
	assert_memory_equal(a, "abcX", 4);
	assert_memory_equal(b, "YZg", 3);
	int n = iov_slice(iov, 3, 5, 6, sl, 3);
	assert_int_equal(n, 2);
	assert_ptr_equal(sl[0].iov_base, b + 1);
	assert_int_equal(sl[0].iov_len, 2);
	assert_int_equal(sl[1].iov_len, 4);
	assert_int_equal(iov_slice(iov, 3, 5, 100, sl, 3), -1);  /* too long */
	assert_int_equal(iov_slice(iov, 3, 0, 12, sl, 2), -1);   /* too many pieces */
	assert_int_equal(iov_slice(iov, 3, 12, 0, sl, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_chain),
		cmocka_unit_test(test_full_length_chain_and_wrap),
		cmocka_unit_test(test_zero_length_and_ram_edges),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_next_and_head_out_of_range),
		cmocka_unit_test(test_buffers_outside_ram),
		cmocka_unit_test(test_readable_after_writable),
		cmocka_unit_test(test_avail_index_runaway),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_bad_layouts),
		cmocka_unit_test(test_no_interrupt_flag),
		cmocka_unit_test(test_event_idx),
		cmocka_unit_test(test_iov_helpers),
	};
	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
