// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu-guest: runs INSIDE the test guest (static, no driver needed) and drives
 * QEMU's edu device (1234:11e8, docs/specs/edu.rst in QEMU) that passvm passed
 * through from the lab:
 *   1. identity register and the liveness register through BAR0
 *      (mmap of /sys/bus/pci/devices/X/resource0),
 *   2. DMA through the guest's own addresses: a page of this process (its
 *      guest-physical address from /proc/self/pagemap) to edu's buffer and
 *      back to another page; edu masks DMA addresses to 28 bits, so the guest
 *      needs RAM below 256 MiB,
 *   3. MSI: the device's MSI capability is programmed by hand (config space
 *      through sysfs) with a vector no guest driver owns; edu then raises
 *      interrupts, and the guest kernel's own "No irq handler for vector"
 *      message for exactly that vector on CPU 0 proves the message reached
 *      the guest's CPU (driverless: the Debian kernel has no VFIO no-IOMMU
 *      mode to do it from userspace).
 * Prints PASSVM-INFO lines; exit status 0 when all three worked.
 */
#ifndef _GNU_SOURCE /* the project's c_args define it already */
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EDU_ID        0x00
#define EDU_LIVENESS  0x04
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK   0x64
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_CNT   0x90
#define EDU_DMA_CMD   0x98
#define EDU_DMA_RUN   0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ   0x4
#define EDU_DMA_BUF   0x40000
#define EDU_BAR_SIZE  (1 << 20)
#define TEST_VECTOR   0xd0
#define DMA_LEN       256

static char dev[300];
static volatile uint8_t *bar;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("edu-guest: FAIL: ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static uint32_t r32(unsigned off) { return *(volatile uint32_t *)(bar + off); }
static void w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }
static uint64_t r64(unsigned off) { return *(volatile uint64_t *)(bar + off); }
static void w64(unsigned off, uint64_t v) { *(volatile uint64_t *)(bar + off) = v; }

static unsigned read_hex(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned v = 0;
	if (!f || fscanf(f, "%x", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static void find_edu(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char p[400];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		unsigned v = read_hex(p);
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (v == 0x1234 && read_hex(p) == 0x11e8) {
			snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", e->d_name);
			printf("PASSVM-INFO edu=%s ids=1234:11e8\n", e->d_name);
			closedir(d);
			return;
		}
	}
	die("no 1234:11e8 device on the guest's PCI bus");
}

static int cfg_fd(void)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/config", dev);
	int fd = open(p, O_RDWR);
	if (fd < 0)
		die("open %s: %s", p, strerror(errno));
	return fd;
}

static void cfg_write(int fd, unsigned off, const void *v, size_t len)
{
	if (pwrite(fd, v, len, off) != (ssize_t)len)
		die("config write at 0x%x: %s", off, strerror(errno));
}

static void map_bar(void)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/resource0", dev);
	int fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0)
		die("open %s: %s", p, strerror(errno));
	void *m = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap %s: %s", p, strerror(errno));
	bar = m;
}

static void check_identity(void)
{
	uint32_t id = r32(EDU_ID);
	printf("PASSVM-INFO edu-id=0x%08x\n", id);
	if ((id & 0xFF) != 0xed)
		die("identity register reads 0x%08x, edu's ends in 0xed", id);
	w32(EDU_LIVENESS, 0x12345678);
	uint32_t live = r32(EDU_LIVENESS);
	if (live != ~0x12345678u)
		die("liveness register: wrote 0x12345678, read 0x%08x (want its inverse)", live);
	printf("PASSVM-INFO edu-liveness=ok\n");
}

/* Guest-physical address of a locked page of ours. */
static uint64_t phys_of(void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0, page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / page * 8)) != 8)
		die("pagemap: %s", strerror(errno));
	close(fd);
	if (!(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1)))
		die("pagemap: page not present or PFN hidden (entry 0x%llx)", (unsigned long long)e);
	return (e & ((1ULL << 55) - 1)) * page;
}

static void dma_wait(void)
{
	for (int i = 0; i < 20000; i++) {
		if (!(r64(EDU_DMA_CMD) & EDU_DMA_RUN))
			return;
		usleep(1000);
	}
	die("DMA did not finish within 20 s");
}

static void dma_roundtrip(int cfg)
{
	uint16_t cmd;
	if (pread(cfg, &cmd, 2, 4) != 2)
		die("config read: %s", strerror(errno));
	cmd |= 0x6; /* memory decode + bus master */
	cfg_write(cfg, 4, &cmd, 2);
	uint8_t *buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mlock(buf, 2 * 4096))
		die("buffer: %s", strerror(errno));
	for (int i = 0; i < DMA_LEN; i++) {
		buf[i] = (uint8_t)(i * 7 + 3);
		buf[4096 + i] = 0;
	}
	uint64_t src = phys_of(buf), dst = phys_of(buf + 4096);
	printf("PASSVM-INFO dma-src=0x%llx dma-dst=0x%llx\n", (unsigned long long)src,
	       (unsigned long long)dst);
	if (src >= (1ULL << 28) || dst >= (1ULL << 28))
		die("buffers above 256 MiB: edu masks DMA addresses to 28 bits (give less RAM)");
	w64(EDU_DMA_SRC, src);
	w64(EDU_DMA_DST, EDU_DMA_BUF);
	w64(EDU_DMA_CNT, DMA_LEN);
	w64(EDU_DMA_CMD, EDU_DMA_RUN);
	dma_wait();
	w64(EDU_DMA_SRC, EDU_DMA_BUF);
	w64(EDU_DMA_DST, dst);
	w64(EDU_DMA_CNT, DMA_LEN);
	w64(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	dma_wait();
	if (memcmp(buf, buf + 4096, DMA_LEN))
		die("DMA round trip: the second page does not hold what the first held");
	printf("PASSVM-INFO dma=ok bytes=%d\n", DMA_LEN);
}

static int count_vector_messages(void)
{
	static char log[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	if (n < 0)
		die("klogctl: %s", strerror(errno));
	log[n] = '\0';
	char needle[64];
	snprintf(needle, sizeof(needle), "0.%u No irq handler for vector", TEST_VECTOR);
	int c = 0;
	for (char *p = log; (p = strstr(p, needle)); p++)
		c++;
	return c;
}

static unsigned find_msi_cap(int cfg)
{
	uint8_t c[256];
	if (pread(cfg, c, sizeof(c), 0) != (ssize_t)sizeof(c))
		die("config read: %s", strerror(errno));
	unsigned off = c[0x34] & ~3u;
	for (int n = 0; off >= 0x40 && n < 48; n++, off = c[off + 1] & ~3u)
		if (c[off] == 0x05)
			return off;
	die("no MSI capability in the guest's view of edu");
}

static void msi_test(int cfg)
{
	unsigned cap = find_msi_cap(cfg);
	uint8_t c[256];
	if (pread(cfg, c, sizeof(c), 0) != (ssize_t)sizeof(c))
		die("config read: %s", strerror(errno));
	uint16_t flags = (uint16_t)(c[cap + 2] | c[cap + 3] << 8);
	int is64 = flags & 0x80;
	uint32_t addr = 0xFEE00000u; /* CPU 0, physical, fixed delivery */
	uint32_t zero = 0;
	uint16_t data = TEST_VECTOR;
	cfg_write(cfg, cap + 4, &addr, 4);
	if (is64)
		cfg_write(cfg, cap + 8, &zero, 4);
	cfg_write(cfg, cap + (is64 ? 12 : 8), &data, 2);
	flags = (uint16_t)((flags & ~0x70u) | 1); /* one vector, enabled */
	cfg_write(cfg, cap + 2, &flags, 2);
	int before = count_vector_messages();
	const int raised = 3;
	for (int i = 0; i < raised; i++) {
		w32(EDU_IRQ_RAISE, 1);
		usleep(200 * 1000);
		w32(EDU_IRQ_ACK, 1);
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int got;
	do {
		got = count_vector_messages() - before;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (got < raised && t.tv_sec - t0.tv_sec < 5 && usleep(100 * 1000) == 0);
	printf("PASSVM-INFO msi-vector=0x%x raised=%d delivered=%d\n", TEST_VECTOR, raised, got);
	if (got < 1)
		die("no interrupt on vector 0x%x reached the guest's CPU 0", TEST_VECTOR);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_edu();
	map_bar();
	check_identity();
	int cfg = cfg_fd();
	dma_roundtrip(cfg);
	msi_test(cfg);
	printf("edu-guest: ok\n");
	return 0;
}
