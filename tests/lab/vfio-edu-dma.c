// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-edu-dma: run INSIDE a lab started with --vfio-edu (test "lab-vfio-edu-dma").
 * Proves vfio/bind.c and vfio/core.c on a real kernel with a real IOMMU, using
 * QEMU's edu device (1234:11e8, QEMU docs/specs/edu.rst):
 *   bind:  the lab bound edu to vfio-pci; vfio_bind() on it does nothing; the
 *          test unbinds it, vfio_bind() takes it back (record written),
 *          vfio_bind_restore_all() gives it back to "no driver", vfio_bind()
 *          binds it again for the rest;
 *   core:  container/group/device, config space ids, BAR0 mmap (ident,
 *          liveness, factorial), INTx through an eventfd (+ unmask eventfd),
 *          DMA RAM -> edu -> RAM through the IOMMU at IOVAs below edu's 28-bit
 *          DMA mask, the DMA-done interrupt through an MSI eventfd, reset.
 * vfio-edu-dma [container|iommufd]: the IOMMU context through VFIO's
 * container and groups (default), or iommufd with edu's device cdev (a lab
 * kernel with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV: lab-run --kernel
 * iommufd).
 * Prints one line per check; exits 0 when all pass, 1 at the first failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio/bind.h"
#include "vfio/core.h"

#define EDU_IDENT      0x00
#define EDU_LIVENESS   0x04
#define EDU_FACTORIAL  0x08
#define EDU_STATUS     0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT   0x80
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_ACK    0x64
#define EDU_DMA_SRC    0x80
#define EDU_DMA_DST    0x88
#define EDU_DMA_COUNT  0x90
#define EDU_DMA_CMD    0x98
#define EDU_DMA_START  0x01
#define EDU_DMA_TO_RAM 0x02
#define EDU_DMA_IRQ    0x04
#define EDU_IRQ_FACT   0x001
#define EDU_IRQ_DMA    0x100
#define EDU_DEV_BUF    0x40000ULL
#define EDU_BUF_SIZE   4096
/*
 * Bytes per DMA: QEMU 7.2's edu refuses (hw_error: QEMU aborts) a transfer
 * that ends at the last byte of its 4 KiB buffer (an off-by-one in
 * edu_check_range), so stay below it.
 */
#define EDU_DMA_LEN    3072

/* IOVAs for our two buffers: below edu's 28-bit DMA mask. */
#define IOVA_SRC 0x1000000ULL
#define IOVA_DST 0x1001000ULL

#define TIMEOUT_MS 10000

struct edu_test {
	const char *sysfs, *state_dir, *bdf;
	struct vfio_host_addr addr;
	int group_id;
	enum vfio_backend backend;
	struct vfio_container c;
	struct vfio_group g;
	struct vfio_device d;
	volatile uint8_t *bar;
	uint8_t *src, *dst;
	int irq_fd, unmask_fd;
	struct error err;
};

static int ok(const char *what)
{
	printf("vfio-edu-dma: ok: %s\n", what);
	return 0;
}

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("vfio-edu-dma: FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	return -1;
}

static int fail_err(const char *what, const struct error *e)
{
	printf("vfio-edu-dma: FAIL: %s: %s\n", what, e->msg);
	return -1;
}

static uint32_t rd32(struct edu_test *t, uint32_t off)
{
	return *(volatile uint32_t *)(t->bar + off);
}

/* edu takes 32-bit writes of its 64-bit DMA registers as the whole value. */
static void wr32(struct edu_test *t, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(t->bar + off) = v;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until (reg & mask) == 0; false on timeout. */
static bool wait_clear(struct edu_test *t, uint32_t reg, uint32_t mask)
{
	long end = now_ms() + TIMEOUT_MS;
	while (rd32(t, reg) & mask) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* An eventfd counter > 0 within the timeout (and read it back to 0). */
static bool wait_eventfd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, TIMEOUT_MS) != 1)
		return false;
	uint64_t v;
	return read(fd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

/* ---- bind / restore ------------------------------------------------------ */

static int sysfs_put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* The driver edu is on now ("" for none). */
static void driver_now(struct edu_test *t, char *buf, size_t len)
{
	struct vfio_host_device dev;
	buf[0] = '\0';
	if (vfio_host_device_read(t->sysfs, &t->addr, &dev, &t->err) == 0)
		snprintf(buf, len, "%s", dev.driver);
}

/* Undo the lab's own binding, behind passvm's back, so vfio_bind has work to do. */
static int unbind_by_hand(struct edu_test *t)
{
	char path[512], drv[VFIO_HOST_NAME_LEN];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver_override", t->sysfs, t->bdf);
	if (sysfs_put(path, "\n"))
		return fail("cannot clear %s", path);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci/unbind", t->sysfs);
	if (sysfs_put(path, t->bdf))
		return fail("cannot write %s", path);
	driver_now(t, drv, sizeof(drv));
	if (drv[0])
		return fail("edu still has driver %s after unbinding", drv);
	return ok("edu unbound by hand (no driver)");
}

static bool record_exists(struct edu_test *t)
{
	char path[512];
	vfio_bind_record_path(t->state_dir, &t->addr, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static int bind_once(struct edu_test *t, bool want_changed)
{
	bool changed;
	if (vfio_bind(t->sysfs, t->state_dir, &t->addr, &changed, &t->err))
		return fail_err("vfio_bind", &t->err);
	if (changed != want_changed)
		return fail("vfio_bind: changed=%s, not what the state says", changed ? "true" : "false");
	if (record_exists(t) != want_changed)
		return fail("restore record %s when it should be the opposite",
			    record_exists(t) ? "present" : "absent");
	return ok(want_changed ? "vfio_bind took edu from no driver, restore record written"
			       : "vfio_bind on edu already on vfio-pci: nothing done, no record");
}

static int restore_once(struct edu_test *t)
{
	char drv[VFIO_HOST_NAME_LEN];
	int n = vfio_bind_restore_all(t->sysfs, t->state_dir, stdout, &t->err);
	if (n != 1)
		return n < 0 ? fail_err("vfio_bind_restore_all", &t->err)
			     : fail("vfio_bind_restore_all restored %d devices, not 1", n);
	driver_now(t, drv, sizeof(drv));
	if (drv[0])
		return fail("after restore edu is on %s, not on no driver", drv);
	if (record_exists(t))
		return fail("restore record of edu still there");
	return ok("vfio_bind_restore_all: edu back on no driver, record deleted");
}

static int test_bind(struct edu_test *t)
{
	if (bind_once(t, false) || unbind_by_hand(t) || bind_once(t, true) || restore_once(t))
		return -1;
	return bind_once(t, true);
}

/* ---- VFIO ---------------------------------------------------------------- */

static int open_all(struct edu_test *t)
{
	if (vfio_container_open(&t->c, t->backend, t->sysfs, &t->err))
		return fail_err("container", &t->err);
	if (t->c.backend != t->backend)
		return fail("asked for the %s backend, got %s", vfio_backend_name(t->backend),
			    vfio_backend_name(t->c.backend));
	if (vfio_group_open(&t->g, &t->c, t->group_id, &t->err))
		return fail_err("group", &t->err);
	if (vfio_device_open(&t->d, &t->g, t->bdf, &t->err))
		return fail_err("device", &t->err);
	printf("vfio-edu-dma: device %s: flags 0x%x, %u regions, %u irq indexes, BAR0 0x%llx bytes\n",
	       t->d.name, t->d.flags, t->d.nr_regions, t->d.nr_irqs,
	       (unsigned long long)t->d.regions[VFIO_PCI_BAR0_REGION_INDEX].size);
	return ok(t->backend == VFIO_BACKEND_IOMMUFD
		  ? "iommufd (/dev/iommu, IOAS), device cdev bound and attached"
		  : "container (type1v2), group (viable), device (vfio-pci) opened");
}

static int test_config(struct edu_test *t)
{
	uint16_t ids[2], cmd;
	if (vfio_config_read(&t->d, 0, ids, sizeof(ids), &t->err))
		return fail_err("config read", &t->err);
	if (ids[0] != 0x1234 || ids[1] != 0x11e8)
		return fail("config space ids are not 1234:11e8");
	/* Memory decoding for the BAR, bus mastering for edu's DMA. */
	if (vfio_config_read(&t->d, 4, &cmd, 2, &t->err))
		return fail_err("config read", &t->err);
	cmd |= 0x6;
	if (vfio_config_write(&t->d, 4, &cmd, 2, &t->err))
		return fail_err("config write", &t->err);
	return ok("config space: 1234:11e8, memory + bus master enabled");
}

static int test_bar(struct edu_test *t)
{
	if (vfio_region_mmap(&t->d, VFIO_PCI_BAR0_REGION_INDEX, &t->err))
		return fail_err("BAR0 mmap", &t->err);
	t->bar = t->d.regions[VFIO_PCI_BAR0_REGION_INDEX].map;
	uint32_t id = rd32(t, EDU_IDENT);
	if ((id & 0xff) != 0xed)
		return fail("ident register: low byte is not 0xed");
	printf("vfio-edu-dma: edu ident 0x%08x (version %u.%u)\n", id, id >> 24, (id >> 16) & 0xff);
	wr32(t, EDU_LIVENESS, 0x12345678);
	if (rd32(t, EDU_LIVENESS) != ~0x12345678u)
		return fail("liveness: did not read back ~0x12345678");
	return ok("BAR0 mmap'd: ident and liveness registers answer");
}

/* Factorial with "raise IRQ when done": edu uses INTx while MSI is off. */
static int test_factorial_intx(struct edu_test *t)
{
	if (vfio_intx_enable(&t->d, t->irq_fd, t->unmask_fd, &t->err))
		return fail_err("INTx enable", &t->err);
	wr32(t, EDU_STATUS, EDU_STATUS_IRQFACT);
	wr32(t, EDU_FACTORIAL, 10);
	if (!wait_clear(t, EDU_STATUS, EDU_STATUS_COMPUTING))
		return fail("factorial: still computing after the timeout");
	if (rd32(t, EDU_FACTORIAL) != 3628800)
		return fail("factorial: 10! is not 3628800");
	if (!wait_eventfd(t->irq_fd))
		return fail("no INTx on the eventfd after the factorial");
	if (!(rd32(t, EDU_IRQ_STATUS) & EDU_IRQ_FACT))
		return fail("INTx came but edu's IRQ status lacks the factorial bit");
	wr32(t, EDU_IRQ_ACK, rd32(t, EDU_IRQ_STATUS));
	wr32(t, EDU_STATUS, 0);
	uint64_t one = 1;
	if (write(t->unmask_fd, &one, sizeof(one)) != sizeof(one))
		return fail("unmask eventfd write: %s", strerror(errno));
	if (vfio_irq_disable(&t->d, VFIO_PCI_INTX_IRQ_INDEX, &t->err))
		return fail_err("INTx disable", &t->err);
	return ok("factorial 10! = 3628800, its INTx came through the eventfd");
}

static int map_buffers(struct edu_test *t)
{
	uint8_t *p = mmap(NULL, 2 * EDU_BUF_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	t->src = p;
	t->dst = p + EDU_BUF_SIZE;
	for (unsigned i = 0; i < EDU_BUF_SIZE; i++)
		t->src[i] = (uint8_t)(i * 7 + 3);
	memset(t->dst, 0, EDU_BUF_SIZE);
	if (vfio_dma_map(&t->c, t->src, IOVA_SRC, EDU_BUF_SIZE, &t->err) ||
	    vfio_dma_map(&t->c, t->dst, IOVA_DST, EDU_BUF_SIZE, &t->err))
		return fail_err("DMA map", &t->err);
	return ok("two 4 KiB buffers mapped for DMA at IOVA 0x1000000 and 0x1001000");
}

static int edu_dma(struct edu_test *t, uint64_t src, uint64_t dst, uint32_t cmd)
{
	wr32(t, EDU_DMA_SRC, (uint32_t)src);
	wr32(t, EDU_DMA_DST, (uint32_t)dst);
	wr32(t, EDU_DMA_COUNT, EDU_DMA_LEN);
	wr32(t, EDU_DMA_CMD, cmd | EDU_DMA_START);
	if (!wait_clear(t, EDU_DMA_CMD, EDU_DMA_START))
		return fail("DMA did not finish within the timeout");
	return 0;
}

static int test_dma_msi(struct edu_test *t)
{
	if (vfio_msi_enable(&t->d, &t->irq_fd, 1, &t->err))
		return fail_err("MSI enable", &t->err);
	if (edu_dma(t, IOVA_SRC, EDU_DEV_BUF, 0))
		return -1;
	if (edu_dma(t, EDU_DEV_BUF, IOVA_DST, EDU_DMA_TO_RAM | EDU_DMA_IRQ))
		return -1;
	if (!wait_eventfd(t->irq_fd))
		return fail("no MSI on the eventfd after the DMA");
	uint32_t st = rd32(t, EDU_IRQ_STATUS);
	if (!(st & EDU_IRQ_DMA))
		return fail("MSI came but edu's IRQ status lacks the DMA bit");
	wr32(t, EDU_IRQ_ACK, st);
	if (memcmp(t->src, t->dst, EDU_DMA_LEN))
		return fail("DMA: the bytes that came back differ from the ones sent");
	for (unsigned i = EDU_DMA_LEN; i < EDU_BUF_SIZE; i++)
		if (t->dst[i])
			return fail("DMA: byte %u beyond the transfer was written", i);
	if (vfio_irq_disable(&t->d, VFIO_PCI_MSI_IRQ_INDEX, &t->err))
		return fail_err("MSI disable", &t->err);
	return ok("DMA RAM -> edu -> RAM through the IOMMU: 3072 bytes equal, nothing beyond; DMA-done MSI received");
}

static int test_unmap_reset(struct edu_test *t)
{
	if (vfio_dma_unmap(&t->c, IOVA_SRC, EDU_BUF_SIZE, &t->err) ||
	    vfio_dma_unmap(&t->c, IOVA_DST, EDU_BUF_SIZE, &t->err))
		return fail_err("DMA unmap", &t->err);
	int rc = vfio_device_reset(&t->d, &t->err);
	if (rc < 0)
		return fail_err("reset", &t->err);
	return ok(rc ? "DMA unmapped; the device offers no reset (skipped)"
		     : "DMA unmapped; VFIO_DEVICE_RESET done");
}

static void close_all(struct edu_test *t)
{
	if (t->d.fd >= 0)
		vfio_device_close(&t->d);
	if (t->g.fd >= 0)
		vfio_group_close(&t->g);
	if (t->c.fd >= 0)
		vfio_container_close(&t->c);
	if (t->src)
		munmap(t->src, 2 * EDU_BUF_SIZE);
	if (t->irq_fd >= 0)
		close(t->irq_fd);
	if (t->unmask_fd >= 0)
		close(t->unmask_fd);
}

static int test_vfio(struct edu_test *t)
{
	t->c.fd = t->g.fd = t->d.fd = -1;
	t->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->unmask_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->irq_fd < 0 || t->unmask_fd < 0)
		return fail("eventfd: %s", strerror(errno));
	int rc = open_all(t) || test_config(t) || test_bar(t) || test_factorial_intx(t) ||
		 map_buffers(t) || test_dma_msi(t) || test_unmap_reset(t);
	close_all(t);
	return rc ? -1 : ok("everything closed");
}

static int setup(struct edu_test *t, char *state_tmpl)
{
	const char *grp = getenv("PASSVM_LAB_EDU_GROUP");
	t->bdf = getenv("PASSVM_LAB_EDU_BDF");
	t->sysfs = getenv("PASSVM_SYSFS_ROOT") ? getenv("PASSVM_SYSFS_ROOT") : "/sys";
	if (!t->bdf || !grp)
		return fail("PASSVM_LAB_EDU_BDF/GROUP not set: run in lab-run --vfio-edu");
	t->group_id = atoi(grp);
	if (vfio_host_addr_parse(t->bdf, &t->addr, NULL, &t->err))
		return fail_err("PASSVM_LAB_EDU_BDF", &t->err);
	t->state_dir = mkdtemp(state_tmpl);
	if (!t->state_dir)
		return fail("mkdtemp: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static struct edu_test t;
	char state[] = "/tmp/passvm-state.XXXXXX";
	setvbuf(stdout, NULL, _IOLBF, 0);
	t.backend = VFIO_BACKEND_CONTAINER;
	if (argc == 2 && !strcmp(argv[1], "iommufd"))
		t.backend = VFIO_BACKEND_IOMMUFD;
	else if (argc > 2 || (argc == 2 && strcmp(argv[1], "container"))) {
		fprintf(stderr, "usage: vfio-edu-dma [container|iommufd]\n");
		return 2;
	}
	if (setup(&t, state) || test_bind(&t) || test_vfio(&t))
		return 1;
	printf("vfio-edu-dma: PASS\n");
	return 0;
}
