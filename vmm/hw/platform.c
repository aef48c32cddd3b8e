// SPDX-License-Identifier: GPL-2.0-only
/*
 * The small legacy platform every x86 guest pokes at:
 *  - ACPI PM1a event/control blocks (the FADT points here): S5 = power off;
 *  - reset: the FADT reset register (0xCF9), the i8042 pulse (0x64 <- 0xFE),
 *    and port 0x92 bit 0 (fast reset);
 *  - POST/delay ports 0x80 and 0xED, claimed so they cost no log noise.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

#define PM1_CNT_SCI_EN  0x0001
#define PM1_CNT_SLP_EN  0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM_SLP_TYP_S5 5 /* matches \_S5 in the DSDT */

struct platform {
	struct vm *vm;
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
};

static void pm_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct platform *p = opaque;
	uint8_t regs[LAYOUT_PM_IO_LEN] = { 0 };
	pthread_mutex_lock(&p->lock);
	memcpy(&regs[0], &p->pm1_sts, 2);
	memcpy(&regs[2], &p->pm1_en, 2);
	uint16_t cnt = p->pm1_cnt | PM1_CNT_SCI_EN; /* always in ACPI mode */
	memcpy(&regs[4], &cnt, 2);
	pthread_mutex_unlock(&p->lock);
	memset(data, 0, len);
	if (off < sizeof(regs))
		memcpy(data, &regs[off], MIN(len, sizeof(regs) - off));
}

static void pm_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct platform *p = opaque;
	uint8_t regs[LAYOUT_PM_IO_LEN] = { 0 };
	if (off >= sizeof(regs))
		return;
	pthread_mutex_lock(&p->lock);
	memcpy(&regs[0], &p->pm1_sts, 2);
	memcpy(&regs[2], &p->pm1_en, 2);
	memcpy(&regs[4], &p->pm1_cnt, 2);
	uint16_t old_sts = p->pm1_sts;
	memcpy(&regs[off], data, MIN(len, sizeof(regs) - off));
	uint16_t sts, en, cnt;
	memcpy(&sts, &regs[0], 2);
	memcpy(&en, &regs[2], 2);
	memcpy(&cnt, &regs[4], 2);
	/* Status bits are write-1-to-clear. */
	if (off < 2)
		p->pm1_sts = old_sts & ~sts;
	p->pm1_en = en;
	p->pm1_cnt = cnt & ~PM1_CNT_SLP_EN;
	pthread_mutex_unlock(&p->lock);
	if ((cnt & PM1_CNT_SLP_EN) && PM1_CNT_SLP_TYP(cnt) == PM_SLP_TYP_S5)
		vm_request_exit(p->vm, VM_EXIT_POWEROFF, "guest powered off (ACPI S5)");
	else if (cnt & PM1_CNT_SLP_EN)
		log_warn("guest asked for sleep state SLP_TYP=%u, which passvm does not offer",
			 PM1_CNT_SLP_TYP(cnt));
}

static const struct bus_ops pm_ops = { .read = pm_read, .write = pm_write };

static void reset_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0, len);
}

/* 0xCF9: bit 2 (RST_CPU) performs the reset the other bits select. */
static void reset_cf9_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct platform *p = opaque;
	if (off == 0 && (*(const uint8_t *)data & 0x04))
		vm_request_exit(p->vm, VM_EXIT_RESET, "guest reset (port 0xCF9)");
}

static const struct bus_ops reset_cf9_ops = { .read = reset_read, .write = reset_cf9_write };

/* i8042 (0x60/0x64): no keyboard behind it, but the reset pulse works. */
static void i8042_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct platform *p = opaque;
	if (off == 4 && *(const uint8_t *)data == 0xfe)
		vm_request_exit(p->vm, VM_EXIT_RESET, "guest reset (i8042)");
}

static const struct bus_ops i8042_ops = { .read = reset_read, .write = i8042_write };

static void port92_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct platform *p = opaque;
	if (*(const uint8_t *)data & 0x01)
		vm_request_exit(p->vm, VM_EXIT_RESET, "guest reset (port 0x92)");
}

static const struct bus_ops port92_ops = { .read = reset_read, .write = port92_write };

static void sink_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
}

static const struct bus_ops sink_ops = { .read = reset_read, .write = sink_write };

static void platform_destroy(struct vm *vm, void *state)
{
	struct platform *p = state;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int platform_init(struct vm *vm, struct error *err)
{
	struct platform *p = vm_device_new(vm, "platform", sizeof(*p), platform_destroy, err);
	if (!p)
		return -1;
	p->vm = vm;
	pthread_mutex_init(&p->lock, NULL);
	const struct {
		uint64_t base, len;
		const struct bus_ops *ops;
		const char *name;
	} ranges[] = {
		{ LAYOUT_PORT_PM1A_EVT, LAYOUT_PM_IO_LEN, &pm_ops, "ACPI PM1a" },
		{ LAYOUT_PORT_RESET, 1, &reset_cf9_ops, "reset control" },
		{ 0x60, 5, &i8042_ops, "i8042" },
		{ 0x92, 1, &port92_ops, "port 92" },
		{ 0x80, 1, &sink_ops, "POST port" },
		{ 0xed, 1, &sink_ops, "I/O delay port" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if (bus_register(&vm->pio, ranges[i].base, ranges[i].len, ranges[i].ops, p,
				 ranges[i].name, err))
			return -1;
	return 0;
}

VMM_DEVICE(platform_device) = {
	.name = "platform",
	.order = VMM_ORDER_PLATFORM,
	.init = platform_init,
};
