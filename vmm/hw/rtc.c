// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CMOS RTC at ports 0x70/0x71: the host's UTC time in BCD, no update
 * cycles (UIP is never set, so a guest's read loop never waits), and the
 * NVRAM bytes from 0x0E up kept for the VM's life. Its own device because
 * firmware reads more of it than Linux does (OVMF: the memory-size bytes).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/vm.h"

struct rtc {
	pthread_mutex_t lock;
	uint8_t cmos_index;
	uint8_t cmos[128];
};

static uint8_t cmos_bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t cmos_read_reg(struct rtc *p, uint8_t idx)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	switch (idx) {
	case 0x00: return cmos_bcd(tm.tm_sec);
	case 0x02: return cmos_bcd(tm.tm_min);
	case 0x04: return cmos_bcd(tm.tm_hour);
	case 0x06: return cmos_bcd(tm.tm_wday + 1);
	case 0x07: return cmos_bcd(tm.tm_mday);
	case 0x08: return cmos_bcd(tm.tm_mon + 1);
	case 0x09: return cmos_bcd(tm.tm_year % 100);
	case 0x32: return cmos_bcd(19 + tm.tm_year / 100); /* century */
	case 0x0a: return 0x26;  /* 32.768 kHz, 1024 Hz; UIP never set */
	case 0x0b: return 0x02;  /* 24-hour, BCD */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;  /* battery good */
	default: return p->cmos[idx & 0x7f];
	}
}

static void cmos_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct rtc *p = opaque;
	uint8_t *d = data;
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < len; i++)
		d[i] = off + i == 1 ? cmos_read_reg(p, p->cmos_index) : 0xff;
	pthread_mutex_unlock(&p->lock);
}

static void cmos_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct rtc *p = opaque;
	uint8_t v = *(const uint8_t *)data;
	pthread_mutex_lock(&p->lock);
	if (off == 0)
		p->cmos_index = v & 0x7f; /* bit 7 is the NMI mask */
	else if (p->cmos_index >= 0x0e)
		p->cmos[p->cmos_index] = v; /* NVRAM; the clock itself stays the host's */
	pthread_mutex_unlock(&p->lock);
}

static const struct bus_ops cmos_ops = { .read = cmos_read, .write = cmos_write };

static void rtc_destroy(struct vm *vm, void *state)
{
	struct rtc *p = state;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int rtc_init(struct vm *vm, struct error *err)
{
	struct rtc *p = vm_device_new(vm, "rtc", sizeof(*p), rtc_destroy, err);
	if (!p)
		return -1;
	pthread_mutex_init(&p->lock, NULL);
	return bus_register(&vm->pio, 0x70, 2, &cmos_ops, p, "CMOS RTC", err);
}

VMM_DEVICE(rtc_device) = {
	.name = "rtc",
	.order = VMM_ORDER_PLATFORM,
	.init = rtc_init,
};
