// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-pci + virtio-blk/rng end to end without KVM: a test "driver" finds
 * the device through ECAM, negotiates features, sets up MSI-X and a split
 * queue in guest RAM, kicks through the notify MMIO path, and waits for the
 * queue's MSI-X eventfd while the event loop runs on a thread. Data must land
 * in (and come from) the temp image file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <sys/stat.h>

#include "tests/unit/pci_fixture.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/rng.h"
#include "vmm/virtio/virtio_pci.h"

#define QSZ        64
#define G_DESC     0x100000ULL
#define G_AVAIL    0x104000ULL
#define G_USED     0x108000ULL
#define G_HDR      0x200000ULL
#define G_STATUS   0x210000ULL
#define G_ITABLE   0x220000ULL
#define G_DATA     0x300000ULL
#define DISK_SECTORS 2048 /* 1 MiB */

struct drv {
	struct pci_fixture *f;
	struct virtio_dev *vdev;
	unsigned slot;
	uint64_t bar;
	uint32_t common, notify, isr, devcfg, devcfg_len, mult, pcicfg;
	uint64_t msix_table;
	uint32_t msix_cap;
	uint16_t avail_idx, used_seen;
	bool event_idx, indirect;
	char path[64];
	int img;
};

/* ---- guest memory --------------------------------------------------------------- */

static void gw(struct drv *d, uint64_t gpa, const void *p, uint64_t n)
{
	assert_int_equal(gmem_write(&d->f->vm.mem, gpa, p, n), 0);
}

static void gr(struct drv *d, uint64_t gpa, void *p, uint64_t n)
{
	assert_int_equal(gmem_read(&d->f->vm.mem, gpa, p, n), 0);
}

/* Ring indices are shared with the device thread: access them atomically,
 * as a guest CPU would. */
static void gw16(struct drv *d, uint64_t gpa, uint16_t v)
{
	uint16_t *p = gmem_ptr(&d->f->vm.mem, gpa, 2);
	assert_non_null(p);
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint16_t gr16(struct drv *d, uint64_t gpa)
{
	uint16_t *p = gmem_ptr(&d->f->vm.mem, gpa, 2);
	assert_non_null(p);
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint32_t gr32(struct drv *d, uint64_t gpa) { uint32_t v; gr(d, gpa, &v, 4); return v; }

static void gdesc(struct drv *d, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	uint8_t b[16];
	memcpy(b, &addr, 8);
	memcpy(b + 8, &len, 4);
	memcpy(b + 12, &flags, 2);
	memcpy(b + 14, &next, 2);
	gw(d, table + 16ULL * i, b, 16);
}

/* ---- device registers ------------------------------------------------------------ */

static uint64_t cc_r(struct drv *d, uint32_t off, uint32_t len)
{
	return pf_mmio_read(d->f, d->bar + d->common + off, len);
}

static void cc_w(struct drv *d, uint32_t off, uint32_t len, uint64_t v)
{
	pf_mmio_write(d->f, d->bar + d->common + off, len, v);
}

static uint8_t status(struct drv *d) { return (uint8_t)cc_r(d, 0x14, 1); }

static uint64_t dev_features(struct drv *d)
{
	cc_w(d, 0x00, 4, 0);
	uint64_t lo = cc_r(d, 0x04, 4);
	cc_w(d, 0x00, 4, 1);
	return lo | cc_r(d, 0x04, 4) << 32;
}

static void set_driver_features(struct drv *d, uint64_t f)
{
	cc_w(d, 0x08, 4, 0);
	cc_w(d, 0x0C, 4, (uint32_t)f);
	cc_w(d, 0x08, 4, 1);
	cc_w(d, 0x0C, 4, (uint32_t)(f >> 32));
}

/* Find the first function with this device id and parse its capabilities. */
static void drv_find(struct drv *d, uint16_t devid)
{
	struct pci_fixture *f = d->f;
	d->slot = 0;
	for (unsigned s = 1; s < 32 && !d->slot; s++)
		if (pf_ecam_read(f, s, 0, 0, 4) == ((uint32_t)devid << 16 | 0x1af4))
			d->slot = s;
	assert_int_not_equal(d->slot, 0);
	unsigned s = d->slot;
	assert_int_equal(pf_ecam_read(f, s, 0, 0x08, 1), 1); /* revision 1: modern */
	uint32_t lo = pf_ecam_read(f, s, 0, 0x10, 4), hi = pf_ecam_read(f, s, 0, 0x14, 4);
	assert_int_equal(lo & 0xF, 0x4); /* 64-bit memory, non-prefetchable */
	d->bar = (lo & ~0xFu) | (uint64_t)hi << 32;
	assert_true(pf_ecam_read(f, s, 0, 0x04, 2) & PCI_COMMAND_MEMORY);
	unsigned seen = 0;
	for (uint32_t p = pf_ecam_read(f, s, 0, 0x34, 1); p; p = pf_ecam_read(f, s, 0, p + 1, 1)) {
		assert_true(++seen < 16);
		uint8_t id = (uint8_t)pf_ecam_read(f, s, 0, p, 1);
		if (id == PCI_CAP_ID_MSIX) {
			d->msix_cap = p;
			uint32_t t = pf_ecam_read(f, s, 0, p + 4, 4);
			assert_int_equal(t & 7, 0);
			d->msix_table = d->bar + (t & ~7u);
			continue;
		}
		assert_int_equal(id, PCI_CAP_ID_VNDR);
		uint8_t type = (uint8_t)pf_ecam_read(f, s, 0, p + 3, 1);
		assert_int_equal(pf_ecam_read(f, s, 0, p + 4, 1), 0); /* BAR0 */
		uint32_t off = pf_ecam_read(f, s, 0, p + 8, 4), len = pf_ecam_read(f, s, 0, p + 12, 4);
		switch (type) {
		case 1: d->common = off; assert_true(len >= 0x38); break;
		case 2: d->notify = off; d->mult = pf_ecam_read(f, s, 0, p + 16, 4); break;
		case 3: d->isr = off; break;
		case 4: d->devcfg = off; d->devcfg_len = len; break;
		case 5: d->pcicfg = p; break;
		default: fail_msg("unknown virtio cap type %u", type);
		}
	}
	assert_int_not_equal(d->msix_cap, 0);
	assert_int_not_equal(d->notify, 0);
	assert_int_not_equal(d->pcicfg, 0);
}

static void msix_setup(struct drv *d, unsigned nvec)
{
	pf_ecam_write(d->f, d->slot, 0, d->msix_cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	for (unsigned v = 0; v < nvec; v++) {
		uint64_t e = d->msix_table + 16ULL * v;
		pf_mmio_write(d->f, e, 4, 0xFEE00000);
		pf_mmio_write(d->f, e + 4, 4, 0);
		pf_mmio_write(d->f, e + 8, 4, 0x40 + v);
		pf_mmio_write(d->f, e + 12, 4, 0);
	}
}

static int vec_fd(struct drv *d, unsigned v)
{
	return pci_msix_vector_fd(&d->vdev->pci, v);
}

/* The Linux-style init sequence; returns false when FEATURES_OK is refused. */
static bool drv_init(struct drv *d, uint64_t want)
{
	cc_w(d, 0x14, 1, 0);
	assert_int_equal(status(d), 0);
	cc_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	cc_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t feat = dev_features(d) & want;
	set_driver_features(d, feat);
	d->event_idx = feat & VIRTIO_FEAT(VIRTIO_BIT_EVENT_IDX);
	d->indirect = feat & VIRTIO_FEAT(VIRTIO_BIT_INDIRECT_DESC);
	cc_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	msix_setup(d, 2);
	cc_w(d, 0x10, 2, 0);
	assert_int_equal(cc_r(d, 0x10, 2), 0);
	cc_w(d, 0x16, 2, 0);
	assert_true(cc_r(d, 0x18, 2) >= QSZ);
	cc_w(d, 0x18, 2, QSZ);
	cc_w(d, 0x1A, 2, 1);
	assert_int_equal(cc_r(d, 0x1A, 2), 1);
	assert_int_equal(cc_r(d, 0x1E, 2), 0); /* notify off */
	cc_w(d, 0x20, 8, G_DESC);               /* one 64-bit write */
	cc_w(d, 0x28, 4, (uint32_t)G_AVAIL);    /* or two halves */
	cc_w(d, 0x2C, 4, 0);
	cc_w(d, 0x30, 4, (uint32_t)G_USED);
	cc_w(d, 0x34, 4, 0);
	assert_true(cc_r(d, 0x20, 8) == G_DESC);
	/* Clean rings. */
	uint8_t zero[0x1000] = { 0 };
	gw(d, G_AVAIL, zero, sizeof(zero));
	gw(d, G_USED, zero, sizeof(zero));
	d->avail_idx = d->used_seen = 0;
	cc_w(d, 0x1C, 2, 1);
	assert_int_equal(cc_r(d, 0x1C, 2), 1);
	cc_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(status(d), 0x0F);
	return true;
}

static void kick(struct drv *d, unsigned q)
{
	pf_mmio_write(d->f, d->bar + d->notify + (uint64_t)q * d->mult, 2, q);
}

static void publish(struct drv *d, uint16_t head)
{
	gw16(d, G_AVAIL + 4 + 2 * (d->avail_idx % QSZ), head);
	if (d->event_idx)
		gw16(d, G_AVAIL + 4 + 2 * QSZ, d->used_seen); /* used_event */
	d->avail_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gw16(d, G_AVAIL + 2, d->avail_idx);
	kick(d, 0);
}

/* Wait for the queue interrupt and the next used entry; returns its len. */
static uint32_t wait_used(struct drv *d, uint16_t head)
{
	assert_true(pf_eventfd_wait(vec_fd(d, 1), 5000) >= 1);
	assert_int_equal(gr16(d, G_USED + 2), (uint16_t)(d->used_seen + 1));
	uint64_t e = G_USED + 4 + 8 * (d->used_seen % QSZ);
	assert_int_equal(gr32(d, e), head);
	d->used_seen++;
	return gr32(d, e + 4);
}

/* One block request: header, data split into `segs` descriptors, status. */
static uint8_t blk_req(struct drv *d, uint32_t type, uint64_t sector, uint32_t len, bool data_in,
		       unsigned segs, bool indirect, uint32_t *used)
{
	uint8_t hdr[16] = { 0 };
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	gw(d, G_HDR, hdr, 16);
	uint8_t st = 0xEE;
	gw(d, G_STATUS, &st, 1);
	uint64_t table = indirect ? G_ITABLE : G_DESC;
	unsigned n = 0;
	gdesc(d, table, n, G_HDR, 16, VQ_DESC_F_NEXT, (uint16_t)(n + 1));
	n++;
	for (unsigned s = 0; len && s < segs; s++) {
		uint32_t piece = s + 1 == segs ? len - (len / segs) * s : len / segs;
		gdesc(d, table, n, G_DATA + (uint64_t)(len / segs) * s, piece,
		      VQ_DESC_F_NEXT | (data_in ? VQ_DESC_F_WRITE : 0), (uint16_t)(n + 1));
		n++;
	}
	gdesc(d, table, n, G_STATUS, 1, VQ_DESC_F_WRITE, 0);
	n++;
	if (indirect)
		gdesc(d, G_DESC, 0, G_ITABLE, 16 * n, VQ_DESC_F_INDIRECT, 0);
	publish(d, 0);
	uint32_t u = wait_used(d, 0);
	if (used)
		*used = u;
	gr(d, G_STATUS, &st, 1);
	return st;
}

/* ---- fixture -------------------------------------------------------------------------- */

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) & 0xFF);
}

static struct drv *drv_new_blk(bool readonly)
{
	struct drv *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->f = pf_new_with_bus(64 * MiB);
	snprintf(d->path, sizeof(d->path), "/tmp/passvm-blk-XXXXXX");
	d->img = mkstemp(d->path);
	assert_true(d->img >= 0);
	uint8_t *buf = malloc(DISK_SECTORS * 512);
	fill_pattern(buf, DISK_SECTORS * 512, 1);
	assert_int_equal(pwrite(d->img, buf, DISK_SECTORS * 512, 0), DISK_SECTORS * 512);
	free(buf);
	struct disk_config dc = { .path = d->path, .readonly = readonly };
	struct error err = { { 0 } };
	d->vdev = virtio_blk_create(&d->f->vm, &dc, 0, &err);
	if (!d->vdev)
		fail_msg("virtio_blk_create: %s", err.msg);
	drv_find(d, 0x1042);
	pf_loop_start(d->f);
	return d;
}

static void drv_free(struct drv *d)
{
	pf_loop_stop(d->f);
	if (d->vdev)
		virtio_pci_destroy(d->vdev);
	if (d->img >= 0) {
		close(d->img);
		unlink(d->path);
	}
	pf_free(d->f);
	free(d);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_blk_probe(void **state)
{
	struct drv *d = drv_new_blk(false);
	struct pci_fixture *f = d->f;
	assert_int_equal(pf_ecam_read(f, d->slot, 0, 0x0A, 2), 0x0180);
	assert_int_equal(pf_ecam_read(f, d->slot, 0, 0x2C, 2), 0x1af4);
	assert_true(pf_ecam_read(f, d->slot, 0, 0x2E, 2) >= 0x40);
	uint64_t feat = dev_features(d);
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BIT_VERSION_1));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BIT_INDIRECT_DESC));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BIT_EVENT_IDX));
	assert_false(feat & VIRTIO_FEAT(VIRTIO_BIT_ACCESS_PLATFORM));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BLK_F_SIZE_MAX));
	assert_true(feat & VIRTIO_FEAT(VIRTIO_BLK_F_BLK_SIZE));
	assert_false(feat & VIRTIO_FEAT(VIRTIO_BLK_F_RO));
	/* Feature pages beyond 1 read zero. */
	cc_w(d, 0x00, 4, 7);
	assert_int_equal(cc_r(d, 0x04, 4), 0);
	assert_int_equal(cc_r(d, 0x12, 2), 1); /* num_queues */
	/* Device config. */
	uint64_t cfg = d->bar + d->devcfg;
	assert_true(pf_mmio_read(f, cfg + 0, 8) == DISK_SECTORS);
	assert_int_equal(pf_mmio_read(f, cfg + 0, 4), DISK_SECTORS);
	assert_int_equal(pf_mmio_read(f, cfg + 8, 4), 1 << 20);
	assert_int_equal(pf_mmio_read(f, cfg + 12, 4), 254);
	assert_int_equal(pf_mmio_read(f, cfg + 20, 4), 512);
	/* Outside the device config: ones; writes ignored. */
	assert_int_equal(pf_mmio_read(f, cfg + d->devcfg_len, 4), 0xFFFFFFFF);
	assert_int_equal(pf_mmio_read(f, cfg + d->devcfg_len - 2, 4), 0xFFFFFFFF);
	pf_mmio_write(f, cfg, 8, 0);
	assert_true(pf_mmio_read(f, cfg + 0, 8) == DISK_SECTORS);
	drv_free(d);
}

static void test_blk_read_write_flush(void **state)
{
	struct drv *d = drv_new_blk(false);
	uint64_t want = VIRTIO_FEAT(VIRTIO_BIT_VERSION_1) | VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH) |
			VIRTIO_FEAT(VIRTIO_BIT_EVENT_IDX) | VIRTIO_FEAT(VIRTIO_BIT_INDIRECT_DESC);
	assert_true(drv_init(d, want));
	assert_true(d->event_idx && d->indirect);

	/* Write 3 sectors at sector 5 in 4 uneven segments. */
	uint8_t out[1536], back[1536];
	fill_pattern(out, sizeof(out), 99);
	gw(d, G_DATA, out, sizeof(out));
	uint32_t used = 0;
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_OUT, 5, sizeof(out), false, 4, false, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(pread(d->img, back, sizeof(back), 5 * 512), sizeof(back));
	assert_memory_equal(out, back, sizeof(out));

	/* Read sectors 4..11 back through an indirect table; compare with the file. */
	uint8_t in[4096], file[4096];
	memset(in, 0, sizeof(in));
	gw(d, G_DATA, in, sizeof(in));
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, 4, sizeof(in), true, 8, true, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, sizeof(in) + 1);
	gr(d, G_DATA, in, sizeof(in));
	assert_int_equal(pread(d->img, file, sizeof(file), 4 * 512), sizeof(file));
	assert_memory_equal(in, file, sizeof(in));
	assert_memory_equal(in + 512, out, sizeof(out));

	/* Flush and get-id. */
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_FLUSH, 0, 0, false, 0, false, NULL), VIRTIO_BLK_S_OK);
	char id[20] = { 0 };
	gw(d, G_DATA, id, sizeof(id));
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_GET_ID, 0, 20, true, 1, false, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	gr(d, G_DATA, id, sizeof(id));
	assert_memory_equal(id, "pvm", 3);
	/* Last sector is reachable, one more is not. */
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 512, true, 1, false, NULL),
			 VIRTIO_BLK_S_OK);
	/* Without KVM every kick took the MMIO path into the same eventfd. */
	assert_true(d->vdev->kicks_mmio >= 5);
	/* ISR: the queue bit is set, reading clears it. */
	assert_int_equal(pf_mmio_read(d->f, d->bar + d->isr, 1) & 1, 1);
	assert_int_equal(pf_mmio_read(d->f, d->bar + d->isr, 1), 0);
	drv_free(d);
}

static void test_blk_bad_requests(void **state)
{
	struct drv *d = drv_new_blk(false);
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1)));
	uint32_t used;
	/* Beyond the end, partially beyond, sector overflow, odd length. */
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, DISK_SECTORS, 512, true, 1, false, &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(used, 1);
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 1024, false, 1, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, UINT64_MAX / 256, 512, true, 1, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, 0, 100, true, 1, false, NULL), VIRTIO_BLK_S_IOERR);
	/* Unknown request type. */
	assert_int_equal(blk_req(d, 99, 0, 0, false, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	/* Header of 8 bytes: IOERR. */
	uint8_t st = 0xEE;
	gw(d, G_STATUS, &st, 1);
	gdesc(d, G_DESC, 0, G_HDR, 8, VQ_DESC_F_NEXT, 1);
	gdesc(d, G_DESC, 1, G_STATUS, 1, VQ_DESC_F_WRITE, 0);
	publish(d, 0);
	wait_used(d, 0);
	gr(d, G_STATUS, &st, 1);
	assert_int_equal(st, VIRTIO_BLK_S_IOERR);
	/* No writable byte at all: returned with len 0, nothing written. */
	gdesc(d, G_DESC, 0, G_HDR, 16, 0, 0);
	publish(d, 0);
	assert_int_equal(wait_used(d, 0), 0);
	/* The file is untouched by all of that. */
	uint8_t buf[DISK_SECTORS * 512 / 8], expect[DISK_SECTORS * 512 / 8];
	fill_pattern(expect, sizeof(expect), 1);
	assert_int_equal(pread(d->img, buf, sizeof(buf), 0), sizeof(buf));
	assert_memory_equal(buf, expect, sizeof(buf));
	/* Still healthy. */
	assert_int_equal(status(d) & VIRTIO_STATUS_NEEDS_RESET, 0);
	drv_free(d);
}

static void test_blk_readonly(void **state)
{
	struct drv *d = drv_new_blk(true);
	assert_true(dev_features(d) & VIRTIO_FEAT(VIRTIO_BLK_F_RO));
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1) | VIRTIO_FEAT(VIRTIO_BLK_F_RO) |
				VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH)));
	uint8_t out[512] = { 0 };
	gw(d, G_DATA, out, sizeof(out));
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_OUT, 0, 512, false, 1, false, NULL), VIRTIO_BLK_S_IOERR);
	uint8_t back[512], expect[512];
	fill_pattern(expect, sizeof(expect), 1);
	assert_int_equal(pread(d->img, back, 512, 0), 512);
	assert_memory_equal(back, expect, 512);
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, 0, 512, true, 1, false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_FLUSH, 0, 0, false, 0, false, NULL), VIRTIO_BLK_S_OK);
	drv_free(d);
}

static void test_blk_hostile_ring_needs_reset(void **state)
{
	struct drv *d = drv_new_blk(false);
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1)));
	/* A descriptor loop. */
	gdesc(d, G_DESC, 0, G_HDR, 16, VQ_DESC_F_NEXT, 1);
	gdesc(d, G_DESC, 1, G_STATUS, 1, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 0);
	publish(d, 0);
	/* The config vector fires and the status carries NEEDS_RESET. */
	assert_true(pf_eventfd_wait(vec_fd(d, 0), 5000) >= 1);
	assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(gr16(d, G_USED + 2), 0);
	assert_true(pf_mmio_read(d->f, d->bar + d->isr, 1) & 2);
	/* Further kicks are ignored; nothing is consumed. */
	publish(d, 0);
	assert_int_equal(pf_eventfd_wait(vec_fd(d, 1), 100), 0);
	/* Reset brings it back; the queue is disabled by it. */
	cc_w(d, 0x14, 1, 0);
	assert_int_equal(status(d), 0);
	cc_w(d, 0x16, 2, 0);
	assert_int_equal(cc_r(d, 0x1C, 2), 0);
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1)));
	assert_int_equal(blk_req(d, VIRTIO_BLK_T_IN, 0, 512, true, 1, false, NULL), VIRTIO_BLK_S_OK);
	drv_free(d);
}

static void test_common_cfg_hostile(void **state)
{
	struct drv *d = drv_new_blk(false);
	/* Queue select beyond num_queues: size 0, writes ignored. */
	cc_w(d, 0x16, 2, 5);
	assert_int_equal(cc_r(d, 0x18, 2), 0);
	cc_w(d, 0x18, 2, 8);
	cc_w(d, 0x1C, 2, 1);
	assert_int_equal(cc_r(d, 0x18, 2), 0);
	assert_int_equal(cc_r(d, 0x16, 2), 5);
	/* Reads past the structure or misaligned: ones; odd writes ignored. */
	assert_int_equal(cc_r(d, 0x3C, 4), 0xFFFFFFFF);
	assert_int_equal(cc_r(d, 0x13, 2), 0xFFFF);
	cc_w(d, 0x14, 2, 0xFFFF);
	assert_int_equal(status(d), 0);
	/* Out-of-range MSI-X vectors read back as NO_VECTOR. */
	cc_w(d, 0x10, 2, 7);
	assert_int_equal(cc_r(d, 0x10, 2), 0xFFFF);
	cc_w(d, 0x16, 2, 0);
	cc_w(d, 0x1A, 2, 2);
	assert_int_equal(cc_r(d, 0x1A, 2), 0xFFFF);
	/* Kick for a queue that does not exist, and reads of the notify area. */
	pf_mmio_write(d->f, d->bar + d->notify + 4 * d->mult, 2, 1);
	pf_mmio_write(d->f, d->bar + d->notify + 2, 2, 0);
	assert_int_equal(pf_mmio_read(d->f, d->bar + d->notify, 2), 0);
	/* Bad queue size: enable sets NEEDS_RESET instead of using it. */
	cc_w(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_driver_features(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1));
	cc_w(d, 0x14, 1, 0x0B);
	cc_w(d, 0x18, 2, 100);
	cc_w(d, 0x20, 8, G_DESC);
	cc_w(d, 0x28, 8, G_AVAIL);
	cc_w(d, 0x30, 8, G_USED);
	cc_w(d, 0x1C, 2, 1);
	assert_int_equal(cc_r(d, 0x1C, 2), 0);
	assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	/* Rings outside RAM. */
	cc_w(d, 0x14, 1, 0);
	cc_w(d, 0x14, 1, 0x03);
	set_driver_features(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1));
	cc_w(d, 0x14, 1, 0x0B);
	cc_w(d, 0x18, 2, QSZ);
	cc_w(d, 0x20, 8, LAYOUT_ECAM_BASE);
	cc_w(d, 0x28, 8, G_AVAIL);
	cc_w(d, 0x30, 8, 64 * MiB - 8);
	cc_w(d, 0x1C, 2, 1);
	assert_int_equal(cc_r(d, 0x1C, 2), 0);
	assert_true(status(d) & VIRTIO_STATUS_NEEDS_RESET);
	/* The driver cannot set NEEDS_RESET itself nor clear bits. */
	cc_w(d, 0x14, 1, 0);
	cc_w(d, 0x14, 1, 0x43);
	assert_int_equal(status(d), 0x03);
	cc_w(d, 0x14, 1, 0x01);
	assert_int_equal(status(d), 0x03);
	drv_free(d);
}

static void test_feature_negotiation(void **state)
{
	struct drv *d = drv_new_blk(false);
	/* Legacy driver (no VERSION_1): FEATURES_OK refused. */
	assert_false(drv_init(d, VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH)));
	/* A feature the device did not offer: refused. */
	cc_w(d, 0x14, 1, 0);
	cc_w(d, 0x14, 1, 0x03);
	set_driver_features(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1) |
			       VIRTIO_FEAT(VIRTIO_BIT_ACCESS_PLATFORM));
	cc_w(d, 0x14, 1, 0x0B);
	assert_int_equal(status(d) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* DRIVER_OK without FEATURES_OK is not accepted either. */
	cc_w(d, 0x14, 1, 0x07);
	assert_int_equal(status(d) & VIRTIO_STATUS_DRIVER_OK, 0);
	/* Good negotiation; afterwards the features are frozen. */
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1)));
	set_driver_features(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1) | VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH));
	cc_w(d, 0x08, 4, 0);
	assert_int_equal(cc_r(d, 0x0C, 4), 0);
	/* Queue addresses are frozen once enabled. */
	cc_w(d, 0x16, 2, 0);
	cc_w(d, 0x20, 8, 0x5000);
	assert_true(cc_r(d, 0x20, 8) == G_DESC);
	drv_free(d);
}

static void test_pci_cfg_window(void **state)
{
	struct drv *d = drv_new_blk(false);
	unsigned s = d->slot;
	uint32_t c = d->pcicfg;
	/* Read num_queues (common cfg + 0x12, 2 bytes) through config space. */
	pf_ecam_write(d->f, s, 0, c + 4, 1, 0);
	pf_ecam_write(d->f, s, 0, c + 8, 4, d->common + 0x12);
	pf_ecam_write(d->f, s, 0, c + 12, 4, 2);
	assert_int_equal(pf_ecam_read(d->f, s, 0, c + 16, 4), 1);
	/* Write the device status through it. */
	pf_ecam_write(d->f, s, 0, c + 8, 4, d->common + 0x14);
	pf_ecam_write(d->f, s, 0, c + 12, 4, 1);
	pf_cf8_write(d->f, 0, s, 0, c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(d), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Nonsense windows read zero and do nothing. */
	pf_ecam_write(d->f, s, 0, c + 12, 4, 3);
	assert_int_equal(pf_ecam_read(d->f, s, 0, c + 16, 4), 0);
	pf_ecam_write(d->f, s, 0, c + 12, 4, 4);
	pf_ecam_write(d->f, s, 0, c + 8, 4, 0xFFFFFFFE);
	assert_int_equal(pf_ecam_read(d->f, s, 0, c + 16, 4), 0);
	pf_ecam_write(d->f, s, 0, c + 4, 1, 3);
	pf_ecam_write(d->f, s, 0, c + 8, 4, 0);
	pf_ecam_write(d->f, s, 0, c + 16, 4, 0);
	assert_int_equal(status(d), VIRTIO_STATUS_ACKNOWLEDGE);
	drv_free(d);
}

static void test_blk_open_errors(void **state)
{
	struct pci_fixture *f = pf_new_with_bus(64 * MiB);
	struct error err = { { 0 } };
	struct disk_config dc = { .path = "/nonexistent/passvm/disk.img" };
	assert_null(virtio_blk_create(&f->vm, &dc, 0, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/passvm/disk.img"));
	assert_non_null(strstr(err.msg, "does not exist"));

	dc.path = "/tmp";
	assert_null(virtio_blk_create(&f->vm, &dc, 0, &err));
	assert_non_null(strstr(err.msg, "/tmp"));

	char path[] = "/tmp/passvm-empty-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	dc.path = path;
	assert_null(virtio_blk_create(&f->vm, &dc, 0, &err));
	assert_non_null(strstr(err.msg, "smaller than one"));

	/* The same image twice: the second is refused by the lock. */
	assert_int_equal(ftruncate(fd, 4096), 0);
	struct virtio_dev *a = virtio_blk_create(&f->vm, &dc, 0, &err);
	assert_non_null(a);
	assert_null(virtio_blk_create(&f->vm, &dc, 1, &err));
	assert_non_null(strstr(err.msg, "in use"));
	virtio_pci_destroy(a);

	/* No permission (meaningless as root, who bypasses modes). */
	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0400), 0);
		assert_null(virtio_blk_create(&f->vm, &dc, 0, &err));
		assert_non_null(strstr(err.msg, "permission"));
		assert_non_null(strstr(err.msg, path));
	}
	close(fd);
	unlink(path);
	pf_free(f);
}

static void test_rng(void **state)
{
	struct drv *d = calloc(1, sizeof(*d));
	struct error err = { { 0 } };
	d->img = -1;
	d->f = pf_new_with_bus(64 * MiB);
	d->vdev = virtio_rng_create(&d->f->vm, &err);
	assert_non_null(d->vdev);
	drv_find(d, 0x1044);
	assert_int_equal(d->devcfg, 0); /* no device config */
	pf_loop_start(d->f);
	assert_true(drv_init(d, VIRTIO_FEAT(VIRTIO_BIT_VERSION_1)));
	uint8_t zero[256] = { 0 }, got[256];
	gw(d, G_DATA, zero, sizeof(zero));
	gdesc(d, G_DESC, 0, G_DATA, 200, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	gdesc(d, G_DESC, 1, G_DATA + 200, 56, VQ_DESC_F_WRITE, 0);
	publish(d, 0);
	assert_int_equal(wait_used(d, 0), 256);
	gr(d, G_DATA, got, sizeof(got));
	assert_memory_not_equal(got, zero, sizeof(got));
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blk_probe),
		cmocka_unit_test(test_blk_read_write_flush),
		cmocka_unit_test(test_blk_bad_requests),
		cmocka_unit_test(test_blk_readonly),
		cmocka_unit_test(test_blk_hostile_ring_needs_reset),
		cmocka_unit_test(test_common_cfg_hostile),
		cmocka_unit_test(test_feature_negotiation),
		cmocka_unit_test(test_pci_cfg_window),
		cmocka_unit_test(test_blk_open_errors),
		cmocka_unit_test(test_rng),
	};
	return cmocka_run_group_tests_name("virtio", tests, NULL, NULL);
}
