// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ICH9 LPC bridge at 00:1f.0 (8086:2918, class 0x0601) and the ACPI
 * power-management I/O block it decodes at PMBASE, as q35 firmware finds
 * them (Intel's ICH9 datasheet, chapters 13.1 and 13.8):
 *   PM1_STS/PM1_EN (+0), PM1_CNT (+4: SLP_EN with SLP_TYP 0 or 5 powers
 *   off: 0 is what OVMF writes on q35, 5 what passvm's DSDT \_S5 says),
 *   the ACPI PM timer (+8: 3.579545 MHz, 24 bits; OVMF's timer on q35),
 *   GPE0 (+0x20) and SMI_EN/SMI_STS (+0x30) as plain registers.
 * OVMF's PlatformPei programs PMBASE (0x40) and ACPI_CNTL (0x44, bit 7:
 * decode on); the block follows. With no firmware (a Linux kernel booted
 * directly) the block is where firmware would have put it, 0x600, already
 * decoding, as the FADT says. The PIRQ routing registers (0x60-0x63,
 * 0x68-0x6B), GEN_PMCON (0xA0-0xA4) and RCBA (0xF0) hold what is written.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/hw/lpc.h"
#include "vmm/layout.h"
#include "vmm/pci.h"
#include "vmm/vm.h"

#define LPC_VENDOR 0x8086
#define LPC_DEVICE 0x2918         /* ICH9 LPC interface controller */
#define LPC_CLASS  0x060100       /* bridge, ISA */
#define LPC_SLOT   0x1f

#define LPC_PMBASE      0x40
#define LPC_ACPI_CNTL   0x44
#define LPC_ACPI_EN     0x80
#define LPC_PIRQA       0x60
#define LPC_PIRQE       0x68
#define LPC_PIRQ_OFF    0x80      /* "routing disabled", the reset value */
#define LPC_GEN_PMCON_1 0xA0
#define LPC_RCBA        0xF0

#define PM1_CNT_SCI_EN  0x0001
#define PM1_CNT_SLP_EN  0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM_SLP_TYP_OFF_Q35  0     /* OVMF's power-off on q35 */
#define PM_SLP_TYP_S5       5     /* \_S5 in passvm's DSDT */
#define PM_REGS_GPE0    0x20
#define PM_REGS_SMI     0x30

struct lpc {
	struct vm *vm;
	struct pci_device pci;
	pthread_mutex_t lock;     /* the PM registers; pci.lock guards config space */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint8_t regs[LPC_PM_IO_LEN];   /* GPE0, SMI: kept as written */
	uint16_t pm_base;         /* where the block is decoded; 0: nowhere */
	bool warned;              /* a PMBASE over another device: said once */
};

uint32_t lpc_pm_timer_at(uint64_t ns)
{
	/* ticks = ns * 3579545 / 1e9 without overflow for centuries of ns */
	uint64_t s = ns / 1000000000u, rem = ns % 1000000000u;
	uint64_t ticks = s * LPC_PM_TIMER_HZ + rem * LPC_PM_TIMER_HZ / 1000000000u;
	return (uint32_t)(ticks & 0xFFFFFF);
}

static uint32_t lpc_pm_timer(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return lpc_pm_timer_at((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

/* The block as bytes: PM1 and the timer built, the rest as stored. */
static void lpc_pm_snapshot(struct lpc *l, uint8_t out[LPC_PM_IO_LEN])
{
	memcpy(out, l->regs, LPC_PM_IO_LEN);
	uint16_t cnt = l->pm1_cnt | PM1_CNT_SCI_EN;   /* always in ACPI mode */
	uint32_t tmr = lpc_pm_timer();
	memcpy(out + 0, &l->pm1_sts, 2);
	memcpy(out + 2, &l->pm1_en, 2);
	memcpy(out + 4, &cnt, 2);
	memcpy(out + 8, &tmr, 4);
}

static void lpc_pm_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct lpc *l = opaque;
	uint8_t regs[LPC_PM_IO_LEN];
	pthread_mutex_lock(&l->lock);
	lpc_pm_snapshot(l, regs);
	pthread_mutex_unlock(&l->lock);
	memset(data, 0, len);
	if (off < sizeof(regs))
		memcpy(data, &regs[off], MIN(len, sizeof(regs) - off));
}

static bool lpc_sleep_is_off(uint16_t cnt)
{
	unsigned typ = PM1_CNT_SLP_TYP(cnt);
	return typ == PM_SLP_TYP_OFF_Q35 || typ == PM_SLP_TYP_S5;
}

static void lpc_pm_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct lpc *l = opaque;
	uint8_t regs[LPC_PM_IO_LEN];
	if (off >= sizeof(regs))
		return;
	pthread_mutex_lock(&l->lock);
	lpc_pm_snapshot(l, regs);
	uint16_t old_sts = l->pm1_sts;
	memcpy(&regs[off], data, MIN(len, sizeof(regs) - off));
	uint16_t sts, cnt;
	memcpy(&sts, &regs[0], 2);
	memcpy(&l->pm1_en, &regs[2], 2);
	memcpy(&cnt, &regs[4], 2);
	if (off < 2)
		l->pm1_sts = old_sts & ~sts;   /* status bits are write-1-to-clear */
	l->pm1_cnt = cnt & ~PM1_CNT_SLP_EN;
	memcpy(l->regs + PM_REGS_GPE0, regs + PM_REGS_GPE0, LPC_PM_IO_LEN - PM_REGS_GPE0);
	pthread_mutex_unlock(&l->lock);
	if ((cnt & PM1_CNT_SLP_EN) && lpc_sleep_is_off(cnt))
		vm_request_exit(l->vm, VM_EXIT_POWEROFF, "guest powered off (ACPI S5)");
	else if (cnt & PM1_CNT_SLP_EN)
		log_warn("guest asked for sleep state SLP_TYP=%u, which passvm does not offer",
			 PM1_CNT_SLP_TYP(cnt));
}

static const struct bus_ops lpc_pm_ops = { .read = lpc_pm_read, .write = lpc_pm_write };

/* Decode the block where PMBASE and ACPI_CNTL say (pci.lock held). */
static void lpc_place_pm(struct lpc *l)
{
	uint16_t base = (uint16_t)(pci_cfg_get32(&l->pci, LPC_PMBASE) & 0xFF80);
	if (!(pci_cfg_get8(&l->pci, LPC_ACPI_CNTL) & LPC_ACPI_EN))
		base = 0;
	if (base == l->pm_base)
		return;
	if (l->pm_base)
		bus_unregister(&l->vm->pio, l->pm_base, l);
	l->pm_base = 0;
	struct error err;
	if (!base || !bus_register(&l->vm->pio, base, LPC_PM_IO_LEN, &lpc_pm_ops, l, "ACPI PM",
				   &err))
		l->pm_base = base;
	else if (!l->warned) {   /* a guest may try it in a loop: say it once */
		l->warned = true;
		log_warn("LPC: the guest put PMBASE at 0x%x, over another device: %s", base, err.msg);
	}
}

static void lpc_cfg_written(struct pci_device *dev, uint32_t off, uint32_t len)
{
	struct lpc *l = dev->opaque;
	if (off < LPC_ACPI_CNTL + 1 && off + len > LPC_PMBASE)
		lpc_place_pm(l);
}

static const struct pci_device_ops lpc_pci_ops = { .cfg_written = lpc_cfg_written };

/* Config space as firmware leaves it: PMBASE 0x600, ACPI decode on. */
static void lpc_cfg_init(struct pci_device *p)
{
	pci_cfg_set32(p, LPC_PMBASE, LAYOUT_PORT_PMBASE | 1);   /* bit 0: an I/O address */
	pci_cfg_set_wmask32(p, LPC_PMBASE, 0xFF80);
	pci_cfg_set8(p, LPC_ACPI_CNTL, LPC_ACPI_EN);            /* SCI on IRQ 9 (select 0) */
	pci_cfg_set_wmask8(p, LPC_ACPI_CNTL, 0x87);
	for (unsigned i = 0; i < 4; i++) {
		pci_cfg_set8(p, LPC_PIRQA + i, LPC_PIRQ_OFF);
		pci_cfg_set8(p, LPC_PIRQE + i, LPC_PIRQ_OFF);
		pci_cfg_set_wmask8(p, LPC_PIRQA + i, 0x8F);
		pci_cfg_set_wmask8(p, LPC_PIRQE + i, 0x8F);
	}
	pci_cfg_set_wmask32(p, LPC_GEN_PMCON_1, 0xFFFFFFFF);
	pci_cfg_set_wmask16(p, LPC_GEN_PMCON_1 + 4, 0xFFFF);
	pci_cfg_set_wmask32(p, LPC_RCBA, 0xFFFFC001);
}

static void lpc_destroy(struct vm *vm, void *state)
{
	struct lpc *l = state;
	pci_device_unregister(&l->pci);
	pthread_mutex_destroy(&l->pci.lock);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int lpc_init(struct vm *vm, struct error *err)
{
	struct lpc *l = vm_device_new(vm, "lpc", sizeof(*l), lpc_destroy, err);
	if (!l)
		return -1;
	l->vm = vm;
	pthread_mutex_init(&l->lock, NULL);
	pci_device_init(&l->pci, "ICH9 LPC", &lpc_pci_ops, l, LPC_VENDOR, LPC_DEVICE, LPC_CLASS, 2,
			LPC_VENDOR, LPC_DEVICE);
	lpc_cfg_init(&l->pci);
	if (pci_device_register(vm->pci, &l->pci, LPC_SLOT, 0, err))
		return err_prefix(err, "LPC bridge");
	pthread_mutex_lock(&l->pci.lock);
	lpc_place_pm(l);
	pthread_mutex_unlock(&l->pci.lock);
	if (!l->pm_base)
		return err_setf(err, "LPC bridge: the ACPI PM block at 0x%x is taken",
				LAYOUT_PORT_PMBASE);
	return 0;
}

VMM_DEVICE(lpc_device) = {
	.name = "lpc",
	.order = VMM_ORDER_DEVICE,
	.init = lpc_init,
};
