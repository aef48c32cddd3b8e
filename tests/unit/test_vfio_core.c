// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio/core.c without VFIO: the region-info capability chain parser on
 * hand-built VFIO_DEVICE_GET_REGION_INFO answers (the chain's offsets come
 * from the kernel, but a bad one must be an error, never a read past the
 * buffer), and the sparse-mmap bookkeeping. The ioctls themselves run in the
 * lab (tests/lab/vfio-edu-dma.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/vfio.h>

#include "vfio/core.h"
#include "vfio/iommufd_uapi.h"

#define REGION_SIZE 0x1000000ULL  /* 16 MiB BAR */

/* An info buffer with room for a chain; caps appended with info_add_*. */
struct info {
	uint8_t buf[512];
	size_t len;       /* bytes used = argsz */
	uint32_t *last;   /* the `next` to patch when appending, or cap_offset */
};

static void info_init(struct info *in)
{
	memset(in, 0, sizeof(*in));
	struct vfio_region_info *ri = (void *)in->buf;
	ri->argsz = sizeof(*ri);
	ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		    VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	ri->index = VFIO_PCI_BAR0_REGION_INDEX;
	ri->size = REGION_SIZE;
	ri->offset = 0x10000000000ULL;
	in->len = sizeof(*ri);
	in->last = &ri->cap_offset;
}

static void *info_add(struct info *in, uint16_t id, size_t size)
{
	assert_true(in->len + size <= sizeof(in->buf));
	struct vfio_info_cap_header *h = (void *)(in->buf + in->len);
	h->id = id;
	h->version = 1;
	*in->last = (uint32_t)in->len;
	in->last = &h->next;
	in->len += size;
	((struct vfio_region_info *)in->buf)->argsz = (uint32_t)in->len;
	return h;
}

static void info_add_sparse(struct info *in, uint32_t n, const struct vfio_region_sparse_mmap_area *a)
{
	struct vfio_region_info_cap_sparse_mmap *sp =
		info_add(in, VFIO_REGION_INFO_CAP_SPARSE_MMAP, sizeof(*sp) + n * sizeof(*a));
	sp->nr_areas = n;
	memcpy(sp->areas, a, n * sizeof(*a));
}

/* The usual GPU BAR: everything but the page with the MSI-X table. */
static const struct vfio_region_sparse_mmap_area gpu_areas[] = {
	{ 0, 0x3000 }, { 0x4000, REGION_SIZE - 0x4000 },
};

static void test_no_caps(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	struct vfio_region r;
	struct error err = { "" };
	assert_int_equal(vfio_region_parse(&r, in.buf, in.len, "dev", &err), 0);
	assert_int_equal(r.size, REGION_SIZE);
	assert_int_equal(r.offset, 0x10000000000ULL);
	assert_int_equal(r.index, 0);
	assert_false(r.sparse);
	assert_false(r.msix_mappable);
	assert_false(r.has_type);
}

static void test_chain(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	info_add_sparse(&in, 2, gpu_areas);
	info_add(&in, 99, sizeof(struct vfio_info_cap_header) + 8);  /* unknown: skipped */
	struct vfio_region_info_cap_type *ty =
		info_add(&in, VFIO_REGION_INFO_CAP_TYPE, sizeof(*ty));
	ty->type = 0x80000000u | 0x8086;  /* PCI_VENDOR_TYPE: the uAPI macro is (1 << 31) */
	ty->subtype = VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION;
	info_add(&in, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, sizeof(struct vfio_info_cap_header));

	struct vfio_region r;
	struct error err = { "" };
	assert_int_equal(vfio_region_parse(&r, in.buf, in.len, "dev", &err), 0);
	assert_true(r.sparse);
	assert_int_equal(r.nr_areas, 2);
	assert_int_equal(r.areas[1].offset, 0x4000);
	assert_int_equal(r.areas[1].size, REGION_SIZE - 0x4000);
	assert_true(r.has_type);
	assert_int_equal(r.subtype, VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION);
	assert_true(r.msix_mappable);
}

/* The CAPS flag clear: cap_offset is not looked at. */
static void test_caps_flag_clear(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	struct vfio_region_info *ri = (void *)in.buf;
	ri->flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
	ri->cap_offset = 4000;
	struct vfio_region r;
	struct error err = { "" };
	assert_int_equal(vfio_region_parse(&r, in.buf, in.len, "dev", &err), 0);
	assert_false(r.sparse);
}

static void expect_bad(struct info *in, size_t argsz, const char *msg)
{
	struct vfio_region r;
	struct error err = { "" };
	assert_int_equal(vfio_region_parse(&r, in->buf, argsz, "0000:01:00.0", &err), -1);
	assert_non_null(strstr(err.msg, "0000:01:00.0"));
	assert_non_null(strstr(err.msg, msg));
}

static void test_offset_past_argsz(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	((struct vfio_region_info *)in.buf)->cap_offset = 400;
	expect_bad(&in, in.len, "outside the region info");
	/* A header that starts inside but ends outside. */
	info_init(&in);
	((struct vfio_region_info *)in.buf)->cap_offset = (uint32_t)in.len - 4;
	expect_bad(&in, in.len, "outside the region info");
}

static void test_offset_inside_fixed_info(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	info_add(&in, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, sizeof(struct vfio_info_cap_header));
	((struct vfio_region_info *)in.buf)->cap_offset = 8;
	expect_bad(&in, in.len, "outside the region info");
}

static void test_loop(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	struct vfio_info_cap_header *h =
		info_add(&in, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, sizeof(*h));
	h->next = (uint32_t)((uint8_t *)h - in.buf);  /* points at itself */
	expect_bad(&in, in.len, "outside the region info");
}

/* argsz smaller than the chain the buffer holds: what is beyond is not read. */
static void test_truncated_argsz(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	info_add_sparse(&in, 2, gpu_areas);
	expect_bad(&in, in.len - 8, "overrun");
	expect_bad(&in, sizeof(struct vfio_region_info) + 8, "truncated");
	expect_bad(&in, 8, "too short");
}

static void test_area_outside_region(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	const struct vfio_region_sparse_mmap_area bad[] = {
		{ 0x1000, REGION_SIZE },            /* ends past the region */
	};
	info_add_sparse(&in, 1, bad);
	expect_bad(&in, in.len, "outside the region");
	info_init(&in);
	const struct vfio_region_sparse_mmap_area wrap[] = {
		{ 0x1000, UINT64_MAX - 0x800 },     /* offset + size wraps */
	};
	info_add_sparse(&in, 1, wrap);
	expect_bad(&in, in.len, "outside the region");
}

static void test_too_many_areas(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	struct vfio_region_sparse_mmap_area a[VFIO_SPARSE_MAX + 1];
	for (unsigned i = 0; i < VFIO_SPARSE_MAX + 1; i++)
		a[i] = (struct vfio_region_sparse_mmap_area){ i * 0x1000ULL, 0x1000 };
	info_add_sparse(&in, VFIO_SPARSE_MAX + 1, a);
	expect_bad(&in, in.len, "passvm handles");
}

static void test_mapped(void **state)
{
	(void)state;
	struct info in;
	info_init(&in);
	info_add_sparse(&in, 2, gpu_areas);
	struct vfio_region r;
	struct error err = { "" };
	assert_int_equal(vfio_region_parse(&r, in.buf, in.len, "dev", &err), 0);
	assert_false(vfio_region_mapped(&r, 0, 4));   /* not mapped yet */
	uint8_t dummy;
	r.map = &dummy;   /* only compared with NULL here */
	assert_true(vfio_region_mapped(&r, 0, 0x3000));
	assert_false(vfio_region_mapped(&r, 0x2ffc, 8));  /* runs into the hole */
	assert_false(vfio_region_mapped(&r, 0x3000, 4));  /* the MSI-X page */
	assert_true(vfio_region_mapped(&r, 0x4000, REGION_SIZE - 0x4000));
	assert_false(vfio_region_mapped(&r, REGION_SIZE - 4, 8));
	assert_false(vfio_region_mapped(&r, UINT64_MAX - 2, 4));
	r.sparse = false;
	assert_true(vfio_region_mapped(&r, 0x3000, 4));
}

/* ---- bus (hot) reset: which groups, and whether at all ------------------- */

/* A VFIO_DEVICE_GET_PCI_HOT_RESET_INFO answer with room for 4 devices
 * (h.devices[], a flexible array, runs into the room). */
struct hr_info {
	union {
		struct vfio_pci_hot_reset_info h;
		uint8_t room[sizeof(struct vfio_pci_hot_reset_info) +
			     4 * sizeof(struct vfio_pci_dependent_device)];
	};
};

static void hr_init(struct hr_info *in, unsigned n, const uint32_t *groups)
{
	memset(in, 0, sizeof(*in));
	in->h.argsz = sizeof(*in);
	in->h.count = n;
	for (unsigned i = 0; i < n; i++)
		in->h.devices[i] = (struct vfio_pci_dependent_device){ .group_id = groups[i], .bus = 1,
								.devfn = (uint8_t)(0x28 | i) };
}

/* Our groups 5, 7, 9 (fds 50, 70, 90); group 8 is open-less (fd -1). */
static const struct vfio_group owned[] = {
	{ .fd = 50, .id = 5 }, { .fd = 70, .id = 7 }, { .fd = -1, .id = 8 }, { .fd = 90, .id = 9 },
};

static int hr_groups(struct hr_info *in, int *fds, unsigned *n, struct error *err)
{
	return vfio_hot_reset_groups(&in->h, owned, 4, fds, n, "0000:01:05.0", err);
}

static void test_hot_reset_all_ours(void **state)
{
	(void)state;
	struct hr_info in;
	int fds[4];
	unsigned n = 99;
	struct error err = { "" };
	/* Two functions of one group: its fd once. */
	hr_init(&in, 2, (const uint32_t[]){ 7, 7 });
	assert_int_equal(hr_groups(&in, fds, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fds[0], 70);
	/* Three devices in two of our groups. */
	hr_init(&in, 3, (const uint32_t[]){ 9, 5, 9 });
	assert_int_equal(hr_groups(&in, fds, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fds[0], 90);
	assert_int_equal(fds[1], 50);
}

static void test_hot_reset_foreign_device(void **state)
{
	(void)state;
	struct hr_info in;
	int fds[4];
	unsigned n;
	struct error err = { "" };
	/* The third device is in group 3, which is not ours: no reset. */
	hr_init(&in, 3, (const uint32_t[]){ 5, 7, 3 });
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	assert_non_null(strstr(err.msg, "0000:01:05.2"));
	assert_non_null(strstr(err.msg, "IOMMU group 3"));
	/* A group we know of but did not open is not ours either. */
	hr_init(&in, 1, (const uint32_t[]){ 8 });
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	assert_non_null(strstr(err.msg, "IOMMU group 8"));
	/* Nothing owned at all. */
	hr_init(&in, 1, (const uint32_t[]){ 5 });
	assert_int_equal(vfio_hot_reset_groups(&in.h, owned, 0, fds, &n, "x", &err), -1);
}

static void test_hot_reset_bogus_info(void **state)
{
	(void)state;
	struct hr_info in;
	int fds[4];
	unsigned n;
	struct error err = { "" };
	hr_init(&in, 0, NULL); /* the device itself is always listed */
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	assert_non_null(strstr(err.msg, "bogus"));
	hr_init(&in, 4, (const uint32_t[]){ 5, 5, 5, 5 });
	in.h.count = 5; /* more than argsz holds: never read past it */
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	in.h.count = 4;
	in.h.argsz = sizeof(in.h) + 3 * sizeof(in.h.devices[0]);
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	in.h.argsz = 4; /* shorter than the header */
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	in.h.argsz = sizeof(in);
	in.h.flags = 1u << 0; /* device ids (iommufd), not groups */
	assert_int_equal(hr_groups(&in, fds, &n, &err), -1);
	in.h.flags = 0;
	assert_int_equal(hr_groups(&in, fds, &n, &err), 0);
	assert_int_equal(n, 1);
}

/* On a cdev (iommufd) the kernel says whether every affected device is ours. */
static void test_hot_reset_cdev_owned(void **state)
{
	(void)state;
	struct hr_info in;
	struct error err = { "" };
	/* Device ids 1 and 2, both bound to our iommufd. */
	hr_init(&in, 2, (const uint32_t[]){ 1, 2 });
	in.h.flags = VFIO_UAPI_HOT_RESET_FLAG_DEV_ID | VFIO_UAPI_HOT_RESET_FLAG_DEV_ID_OWNED;
	assert_int_equal(vfio_hot_reset_owned(&in.h, "0000:01:05.0", &err), 0);
	/* The second is someone else's (devid -1): named, and no reset. */
	hr_init(&in, 2, (const uint32_t[]){ 1, UINT32_MAX });
	in.h.flags = VFIO_UAPI_HOT_RESET_FLAG_DEV_ID;
	assert_int_equal(vfio_hot_reset_owned(&in.h, "0000:01:05.0", &err), -1);
	assert_non_null(strstr(err.msg, "0000:01:05.1"));
	assert_non_null(strstr(err.msg, "does not own"));
	/* Group ids (no DEV_ID flag) on a cdev: not trusted. */
	hr_init(&in, 1, (const uint32_t[]){ 5 });
	assert_int_equal(vfio_hot_reset_owned(&in.h, "x", &err), -1);
	/* A count past argsz is never read. */
	hr_init(&in, 4, (const uint32_t[]){ 1, 1, 1, 1 });
	in.h.flags = VFIO_UAPI_HOT_RESET_FLAG_DEV_ID | VFIO_UAPI_HOT_RESET_FLAG_DEV_ID_OWNED;
	in.h.count = 5;
	assert_int_equal(vfio_hot_reset_owned(&in.h, "x", &err), -1);
	assert_non_null(strstr(err.msg, "bogus"));
}

/* Forcing iommufd on a kernel without it fails with the way out; a forced
 * container without VFIO says what to load. (This host has no VFIO at all;
 * the lab runs both backends for real.) */
static void test_backend_missing(void **state)
{
	(void)state;
	struct vfio_container c;
	struct error err = { "" };
	if (!access("/dev/iommu", F_OK) || !access("/dev/vfio/vfio", F_OK))
		skip();
	assert_int_equal(vfio_container_open(&c, VFIO_BACKEND_IOMMUFD, "/sys", &err), -1);
	assert_int_equal(c.fd, -1);
	assert_non_null(strstr(err.msg, "/dev/iommu"));
	assert_non_null(strstr(err.msg, "--vfio-backend container"));
	assert_int_equal(vfio_container_open(&c, VFIO_BACKEND_AUTO, "/sys", &err), -1);
	assert_int_equal(c.backend, VFIO_BACKEND_CONTAINER);
	assert_non_null(strstr(err.msg, "/dev/vfio/vfio"));
	assert_string_equal(vfio_backend_name(VFIO_BACKEND_IOMMUFD), "iommufd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_caps),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_caps_flag_clear),
		cmocka_unit_test(test_offset_past_argsz),
		cmocka_unit_test(test_offset_inside_fixed_info),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_truncated_argsz),
		cmocka_unit_test(test_area_outside_region),
		cmocka_unit_test(test_too_many_areas),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_hot_reset_all_ours),
		cmocka_unit_test(test_hot_reset_foreign_device),
		cmocka_unit_test(test_hot_reset_bogus_info),
		cmocka_unit_test(test_hot_reset_cdev_owned),
		cmocka_unit_test(test_backend_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
