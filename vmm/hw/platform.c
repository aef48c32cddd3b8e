// SPDX-License-Identifier: GPL-2.0-only
/*
 * The small legacy platform every x86 guest pokes at:
 *  - reset: the FADT reset register (0xCF9), the i8042 pulse (0x64 <- 0xFE),
 *    and port 0x92 bit 0 (fast reset);
 *  - POST/delay ports 0x80 and 0xED, claimed so they cost no log noise.
 * The CMOS clock is its own device (rtc.c), the ACPI PM block the LPC
 * bridge's (lpc.c).
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

struct platform {
	struct vm *vm;
};

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
	free(state);
}

static int platform_init(struct vm *vm, struct error *err)
{
	struct platform *p = vm_device_new(vm, "platform", sizeof(*p), platform_destroy, err);
	if (!p)
		return -1;
	p->vm = vm;
	const struct {
		uint64_t base, len;
		const struct bus_ops *ops;
		const char *name;
	} ranges[] = {
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
