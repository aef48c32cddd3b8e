// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI host bridge: function 00:00.0 (the q35 MCH's ids) and the two ways
 * a guest reaches config space, ports 0xCF8/0xCFC (CONFIG_ADDRESS and
 * CONFIG_DATA) and the ECAM window. Separate from the bus (pci.c) because
 * this is chipset, not PCI: what the MCH decodes and where (PCIEXBAR, PAM,
 * SMRAM belong here), while the bus only answers pci_bus_cfg_read/write for
 * a bus/devfn/register, whichever mechanism asked.
 */
#include "vmm/pci_internal.h"

#include <string.h>

#include "vmm/vm.h"

#define CF8_ENABLE   0x80000000u
#define CF8_WMASK    0x8FFFFFFCu /* enable, ext reg 27:24, bus, devfn, reg 7:2 */

/* ---- 0xCF8 / 0xCFC ------------------------------------------------------------ */

static bool chained_covers(const struct pci_host *h, uint64_t port, uint32_t len)
{
	return h->has_chained && port >= h->chained.base &&
	       port - h->chained.base + len <= h->chained.len;
}

static void cf8_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	struct pci_host *h = &bus->host;
	if (off == 0 && len == 4) {
		pci_val_to_data(data, 4, atomic_load(&h->cf8));
		return;
	}
	uint64_t port = 0xCF8 + off;
	if (chained_covers(h, port, len) && h->chained.ops->read)
		h->chained.ops->read(h->chained.opaque, port - h->chained.base, data, len);
	else
		memset(data, 0xff, len);
}

static void cf8_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	struct pci_host *h = &bus->host;
	if (off == 0 && len == 4) {
		atomic_store(&h->cf8, (uint32_t)pci_data_to_val(data, 4) & CF8_WMASK);
		return;
	}
	uint64_t port = 0xCF8 + off;
	if (chained_covers(h, port, len) && h->chained.ops->write)
		h->chained.ops->write(h->chained.opaque, port - h->chained.base, data, len);
}

static bool cf8_decode(struct pci_bus *bus, uint64_t off, unsigned *busnr, unsigned *devfn,
		       uint32_t *reg)
{
	uint32_t a = atomic_load(&bus->host.cf8);
	if (!(a & CF8_ENABLE))
		return false;
	*busnr = (a >> 16) & 0xFF;
	*devfn = (a >> 8) & 0xFF;
	*reg = (a & 0xFC) | ((a >> 16) & 0xF00) | (uint32_t)(off & 3);
	return true;
}

static void cfc_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	unsigned busnr, devfn;
	uint32_t reg;
	if (!cf8_decode(opaque, off, &busnr, &devfn, &reg) || len > 4) {
		memset(data, 0xff, len);
		return;
	}
	pci_val_to_data(data, len, pci_bus_cfg_read(opaque, busnr, devfn, reg, len));
}

static void cfc_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	unsigned busnr, devfn;
	uint32_t reg;
	if (!cf8_decode(opaque, off, &busnr, &devfn, &reg) || len > 4)
		return;
	pci_bus_cfg_write(opaque, busnr, devfn, reg, len, (uint32_t)pci_data_to_val(data, len));
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };
static const struct bus_ops cfc_ops = { .read = cfc_read, .write = cfc_write };

/* Give the platform's range inside 0xCF8-0xCFB back its ports. */
static void chained_restore(struct pci_bus *bus)
{
	struct pci_host *h = &bus->host;
	bus_register(&bus->vm->pio, h->chained.base, h->chained.len, h->chained.ops,
		     h->chained.opaque, h->chained.name, NULL);
	h->has_chained = false;
}

/*
 * q35 puts the reset control register at 0xCF9, inside the 32-bit CONFIG_ADDRESS
 * register. If the platform claimed it already, take its range over and forward
 * byte accesses, so both keep working.
 */
static int claim_cf8(struct pci_bus *bus, struct error *err)
{
	struct pci_host *h = &bus->host;
	struct bus *pio = &bus->vm->pio;
	bool found = false;
	pthread_rwlock_rdlock(&pio->lock);
	for (unsigned i = 0; i < pio->nr; i++) {
		const struct bus_range *r = &pio->ranges[i];
		if (r->base < 0xCFC && 0xCF8 < r->base + r->len) {
			if (found || r->base < 0xCF9 || r->base + r->len > 0xCFC) {
				pthread_rwlock_unlock(&pio->lock);
				return err_setf(err, "PCI host bridge: ports 0xCF8-0xCFB are already taken by %s",
						r->name);
			}
			h->chained = *r;
			found = true;
		}
	}
	pthread_rwlock_unlock(&pio->lock);
	if (found) {
		bus_unregister(pio, h->chained.base, h->chained.opaque);
		h->has_chained = true;
	}
	if (bus_register(pio, 0xCF8, 4, &cf8_ops, bus, "pci-cf8", err) < 0) {
		if (found)
			chained_restore(bus);
		return -1;
	}
	h->pio_cf8 = true;
	return 0;
}

static int claim_cfc(struct pci_bus *bus, struct error *err)
{
	if (bus_register(&bus->vm->pio, 0xCFC, 4, &cfc_ops, bus, "pci-cfc", err) < 0)
		return -1;
	bus->host.pio_cfc = true;
	return 0;
}

static void release_pio(struct pci_bus *bus)
{
	struct pci_host *h = &bus->host;
	struct bus *pio = &bus->vm->pio;
	if (h->pio_cfc)
		bus_unregister(pio, 0xCFC, bus);
	if (h->pio_cf8) {
		bus_unregister(pio, 0xCF8, bus);
		if (h->has_chained)
			chained_restore(bus);
	}
}

/* ---- ECAM ------------------------------------------------------------------- */

/* The offset in the window is bus << 20 | devfn << 12 | register. */
static void ecam_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	if (len > 4) {
		memset(data, 0xff, len);
		return;
	}
	pci_val_to_data(data, len, pci_bus_cfg_read(opaque, (unsigned)(off >> 20), (off >> 12) & 0xFF,
						     off & 0xFFF, len));
}

static void ecam_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	if (len > 4)
		return;
	pci_bus_cfg_write(opaque, (unsigned)(off >> 20), (off >> 12) & 0xFF, off & 0xFFF, len,
			  (uint32_t)pci_data_to_val(data, len));
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

/* The one place that maps the window: at base, size bytes (256 buses: 256 MiB). */
static int claim_ecam(struct pci_bus *bus, uint64_t base, uint64_t size, struct error *err)
{
	if (bus_register(&bus->vm->mmio, base, size, &ecam_ops, bus, "pci-ecam", err) < 0)
		return -1;
	bus->host.ecam = true;
	bus->host.ecam_base = base;
	bus->host.ecam_size = size;
	return 0;
}

static void release_ecam(struct pci_bus *bus)
{
	if (bus->host.ecam)
		bus_unregister(&bus->vm->mmio, bus->host.ecam_base, bus);
	bus->host.ecam = false;
}

/* ---- the MCH's registers (Intel 3 series / q35 datasheet, 5.1) ------------------ */

#define MCH_PCIEXBAR     0x60       /* and 0x64: bits 35:32 of the base */
#define MCH_PCIEXBAR_EN  0x1u
#define MCH_PCIEXBAR_LEN(v) (((v) >> 1) & 3)   /* 0: 256, 1: 128, 2: 64 buses (MiB) */
#define MCH_PAM0         0x90       /* 0x90-0x96: the legacy 0xC0000-0xFFFFF region */
#define MCH_SMRAM        0x9D
#define MCH_ESMRAMC      0x9E

/* What firmware may program. PAM and SMRAM are held as written: guest RAM is
 * RAM at 0xC0000-0xFFFFF whatever PAM says (the shadowing firmware asks for),
 * and without SMM there is no SMRAM to open or close. */
static void mch_cfg_init(struct pci_device *d)
{
	pci_cfg_set32(d, MCH_PCIEXBAR, (uint32_t)LAYOUT_ECAM_BASE | MCH_PCIEXBAR_EN);
	pci_cfg_set_wmask32(d, MCH_PCIEXBAR, 0xFC000007);
	pci_cfg_set_wmask32(d, MCH_PCIEXBAR + 4, 0x0000000F);
	pci_cfg_set_wmask8(d, MCH_PAM0, 0x30);
	for (unsigned i = 1; i < 7; i++)
		pci_cfg_set_wmask8(d, MCH_PAM0 + i, 0x33);
	pci_cfg_set8(d, MCH_SMRAM, 0x02);   /* C_BASE_SEG: the 0xA0000 compatible window */
	pci_cfg_set_wmask8(d, MCH_SMRAM, 0x78);
	pci_cfg_set_wmask8(d, MCH_ESMRAMC, 0x07);
}

/* The window firmware asked for: enabled, a length code it knows, not over
 * guest RAM, below 4 GiB; else NULL-size (no window). */
static uint64_t mch_ecam_request(struct pci_bus *bus, uint64_t *base)
{
	struct pci_device *d = &bus->host.dev;
	uint64_t v = (uint64_t)pci_cfg_get32(d, MCH_PCIEXBAR + 4) << 32 |
		     pci_cfg_get32(d, MCH_PCIEXBAR);
	unsigned len = MCH_PCIEXBAR_LEN(v);
	if (!(v & MCH_PCIEXBAR_EN) || len == 3)
		return 0;
	uint64_t size = (256 * MiB) >> len;
	*base = v & 0xFFC000000ull & ~(size - 1);
	const struct layout *l = &bus->vm->layout;
	if (*base < l->low_ram_end || *base + size > LAYOUT_4GIB)
		return 0;
	return size;
}

/* PCIEXBAR written: ECAM moves where firmware puts it (OVMF writes
 * 0xB0000000 | enable, where it already is), or stops decoding. */
static void mch_place_ecam(struct pci_bus *bus)
{
	struct pci_host *h = &bus->host;
	uint64_t base = 0, size = mch_ecam_request(bus, &base);
	if (size && h->ecam && base == h->ecam_base && size == h->ecam_size)
		return;
	release_ecam(bus);
	struct error err = { "" };
	if (size && !claim_ecam(bus, base, size, &err))
		return;
	/* Off is what firmware writes first (OVMF: 0, then base | enable). */
	bool asked = pci_cfg_get32(&h->dev, MCH_PCIEXBAR) & MCH_PCIEXBAR_EN;
	if (asked && !h->ecam_warned) {   /* a guest may scribble on it in a loop: say it once */
		h->ecam_warned = true;
		log_warn("PCI host: PCIEXBAR 0x%llx gives no ECAM window%s%s",
			 (unsigned long long)pci_cfg_get32(&h->dev, MCH_PCIEXBAR),
			 err.msg[0] ? ": " : " (over RAM, above 4 GiB or of no known length)",
			 err.msg);
	}
}

static void mch_cfg_written(struct pci_device *dev, uint32_t off, uint32_t len)
{
	if (off < MCH_PCIEXBAR + 8 && off + len > MCH_PCIEXBAR)
		mch_place_ecam(dev->opaque);
}

static const struct pci_device_ops mch_ops = { .cfg_written = mch_cfg_written };

/* ---- 00:00.0 and the bus' life ----------------------------------------------- */

int pci_host_attach(struct pci_bus *bus, struct error *err)
{
	if (claim_cf8(bus, err) < 0 || claim_cfc(bus, err) < 0 ||
	    claim_ecam(bus, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, err) < 0)
		return -1;
	pci_device_init(&bus->host.dev, "pci-host-bridge", &mch_ops, bus, PCI_HOST_VENDOR,
			PCI_HOST_DEVICE, 0x060000, 0, 0x1af4, 0x1100);
	mch_cfg_init(&bus->host.dev);
	return pci_device_register(bus, &bus->host.dev, 0, 0, err);
}

void pci_host_detach(struct pci_bus *bus)
{
	pci_device_unregister(&bus->host.dev);
	release_ecam(bus);
	release_pio(bus);
	pthread_mutex_destroy(&bus->host.dev.lock);
}

/* ---- the host bridge device type ------------------------------------------------ */

/* A VM gets PCI by having this device: it creates bus 0 (pci.c) behind it. */
static void host_type_destroy(struct vm *vm, void *state)
{
	pci_bus_destroy(state);
}

static int host_type_init(struct vm *vm, struct error *err)
{
	struct pci_bus *bus = pci_bus_create(vm, err);
	if (!bus)
		return -1;
	if (vm_device_add(vm, "pci-host", bus, host_type_destroy, err) < 0) {
		pci_bus_destroy(bus);
		return -1;
	}
	return 0;
}

VMM_DEVICE(pci_host_device) = {
	.name = "pci-host",
	.order = VMM_ORDER_BUS,
	.init = host_type_init,
};
