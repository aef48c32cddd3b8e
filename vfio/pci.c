// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough device model: see vfio/pci.h. Everything the guest writes
 * (config values, MSI addresses, vector counts, ROM and BAR addresses) is
 * bounded here before it reaches KVM or VFIO.
 */
#include "vfio/pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include "vfio/host.h"
#include "vfio/passthrough.h"
#include "vmm/vm.h"

#define VFIO_PCI_ROM_MAX (64 * MiB)
#define VFIO_PCI_CLASS_DISPLAY 0x03

static uint32_t ones(uint32_t len)
{
	return len >= 4 ? 0xFFFFFFFFu : (1u << (8 * len)) - 1;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint16_t raw16(const uint8_t *raw, uint32_t off)
{
	return (uint16_t)(raw[off] | raw[off + 1] << 8);
}

static uint32_t raw32(const uint8_t *raw, uint32_t off)
{
	return (uint32_t)raw16(raw, off) | (uint32_t)raw16(raw, off + 2) << 16;
}

static bool vm_has_kvm(const struct vfio_pci_dev *d)
{
	return d->vm && d->vm->vm_fd >= 0;
}

/* Mark [off, off+len) emulated (read from pci.cfg) and, with virt, never written through. */
static void cfg_emulate(struct vfio_pci_dev *d, uint32_t off, uint32_t len, bool virt)
{
	for (uint32_t i = off; i < off + len && i < PCI_CFG_SIZE; i++) {
		d->emu[i] = 0xFF;
		d->virt[i] = virt;
	}
}

/* ---- config access hooks ----------------------------------------------------- */

static void vfio_pci_cfg_read(struct pci_device *pd, uint32_t off, uint32_t len, uint32_t *val)
{
	struct vfio_pci_dev *d = pd->opaque;
	uint32_t emu = 0;
	for (uint32_t i = 0; i < len; i++)
		emu |= (uint32_t)d->emu[off + i] << (8 * i);
	if (emu == ones(len) || off + len > d->cfg_size)
		return;
	uint32_t hw = 0;
	struct error e;
	if (vfio_config_read(&d->vdev, off, &hw, len, &e))
		return; /* a device that stopped answering reads as its emulated copy */
	*val = (hw & ~emu) | (*val & emu);
}

/* Forward the guest's write, minus virtual-only bytes; the emulated copy is
 * updated by pci.c afterwards (return false). */
static bool vfio_pci_cfg_write(struct pci_device *pd, uint32_t off, uint32_t len, uint32_t val)
{
	struct vfio_pci_dev *d = pd->opaque;
	if (off + len > d->cfg_size)
		return false;
	bool all = true, none = true;
	for (uint32_t i = 0; i < len; i++) {
		all &= !d->virt[off + i];
		none &= d->virt[off + i] != 0;
	}
	struct error e;
	if (all) {
		if (vfio_config_write(&d->vdev, off, &val, len, &e))
			log_debug("%s", e.msg);
	} else if (!none) {
		for (uint32_t i = 0; i < len; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i));
			if (!d->virt[off + i] && vfio_config_write(&d->vdev, off + i, &b, 1, &e))
				log_debug("%s", e.msg);
		}
	}
	return false;
}

static void vfio_pci_msi_update(struct vfio_pci_dev *d);
static void vfio_pci_msix_update(struct vfio_pci_dev *d);
static void vfio_pci_rom_update(struct vfio_pci_dev *d);

static void vfio_pci_cfg_written(struct pci_device *pd, uint32_t off, uint32_t len)
{
	struct vfio_pci_dev *d = pd->opaque;
	if (d->msi.cap && overlaps(off, len, d->msi.cap, d->msi.len))
		vfio_pci_msi_update(d);
	if (d->has_msix && overlaps(off, len, d->msix.cap + PCI_MSIX_FLAGS, 2))
		vfio_pci_msix_update(d);
	if (overlaps(off, len, PCI_ROM_ADDRESS, 4) || overlaps(off, len, PCI_COMMAND, 2))
		vfio_pci_rom_update(d);
}

/* ---- BARs ----------------------------------------------------------------- */

static void vfio_pci_bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct vfio_pci_bar *b = opaque;
	struct error e;
	if (vfio_region_read(&b->dev->vdev, b->idx, off, data, len, &e))
		memset(data, 0xff, len);
}

static void vfio_pci_bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct vfio_pci_bar *b = opaque;
	struct error e;
	if (vfio_region_write(&b->dev->vdev, b->idx, off, data, len, &e))
		log_debug("%s", e.msg);
}

static const struct bus_ops vfio_pci_bar_ops = {
	.read = vfio_pci_bar_read, .write = vfio_pci_bar_write,
};

static void vfio_pci_bar_unmap(struct pci_device *pd, unsigned idx, uint64_t addr)
{
	struct vfio_pci_dev *d = pd->opaque;
	struct vfio_pci_bar *b = &d->bars[idx];
	(void)addr;
	for (unsigned i = 0; i < b->nr_areas; i++) {
		if (b->areas[i].slot >= 0)
			vm_memslot_unmap(d->vm, b->areas[i].slot);
		b->areas[i].slot = -1;
	}
}

/* Install the direct parts as memslots; the rest stays trapped on the bus.
 * A refused memslot only costs speed: the BAR is then trapped as a whole. */
static int vfio_pci_bar_map(struct pci_device *pd, unsigned idx, uint64_t addr, struct error *err)
{
	struct vfio_pci_dev *d = pd->opaque;
	struct vfio_pci_bar *b = &d->bars[idx];
	struct vfio_region *r = vfio_device_region(&d->vdev, idx);
	(void)err;
	if (!b->nr_areas || !r || !r->map || !vm_has_kvm(d))
		return 0;
	for (unsigned i = 0; i < b->nr_areas; i++) {
		struct vfio_pci_area *a = &b->areas[i];
		struct error e;
		a->slot = vm_memslot_map(d->vm, addr + a->off, a->size, r->map + a->off, &e);
		if (a->slot < 0) {
			log_warn("%s: BAR%u at 0x%llx stays trapped (slow): %s", d->name, idx,
				 (unsigned long long)addr, e.msg);
			vfio_pci_bar_unmap(pd, idx, addr);
			return 0;
		}
	}
	log_debug("%s: BAR%u: %u direct part(s) as KVM memslots, the rest trapped", d->name, idx,
		  b->nr_areas);
	return 0;
}

/* Remove [x0, x1) from the area list. */
static void areas_subtract(struct vfio_pci_bar *b, uint64_t x0, uint64_t x1)
{
	struct vfio_pci_area out[VFIO_PCI_AREAS];
	unsigned n = 0;
	for (unsigned i = 0; i < b->nr_areas; i++) {
		uint64_t s = b->areas[i].off, e = s + b->areas[i].size;
		if (e <= x0 || x1 <= s) {
			if (n < VFIO_PCI_AREAS)
				out[n++] = b->areas[i];
			continue;
		}
		if (s < x0 && n < VFIO_PCI_AREAS)
			out[n++] = (struct vfio_pci_area){ s, x0 - s, -1 };
		if (x1 < e && n < VFIO_PCI_AREAS)
			out[n++] = (struct vfio_pci_area){ x1, e - x1, -1 };
	}
	memcpy(b->areas, out, n * sizeof(*out));
	b->nr_areas = n;
}

static void area_add(struct vfio_pci_bar *b, uint64_t off, uint64_t size, uint64_t page)
{
	uint64_t s = ALIGN_UP(off, page), e = ALIGN_DOWN(off + size, page);
	if (e > s && b->nr_areas < VFIO_PCI_AREAS)
		b->areas[b->nr_areas++] = (struct vfio_pci_area){ s, e - s, -1 };
}

/* Which page-aligned parts of BAR idx the guest may reach directly. */
static void vfio_pci_bar_areas(struct vfio_pci_dev *d, unsigned idx)
{
	struct vfio_pci_bar *b = &d->bars[idx];
	struct vfio_region *r = vfio_device_region(&d->vdev, idx);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	b->nr_areas = 0;
	if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || r->size < page ||
	    (d->pci.bars[idx].flags & PCI_BAR_IO))
		return;
	struct error e;
	if (vfio_region_mmap(&d->vdev, idx, &e)) {
		log_debug("%s: BAR%u stays trapped: %s", d->name, idx, e.msg);
		return;
	}
	if (!r->sparse)
		area_add(b, 0, r->size, page);
	for (unsigned i = 0; r->sparse && i < r->nr_areas; i++)
		area_add(b, r->areas[i].offset, r->areas[i].size, page);
	if (d->has_msix && d->msix.bar == idx) {
		uint64_t t = d->msix.table_off, tn = (uint64_t)d->msix.nr * PCI_MSIX_ENTRY_SIZE;
		uint64_t p = d->msix.pba_off, pn = ALIGN_UP((uint64_t)d->msix.nr, 64u) / 8;
		areas_subtract(b, ALIGN_DOWN(t, page), ALIGN_UP(t + tn, page));
		areas_subtract(b, ALIGN_DOWN(p, page), ALIGN_UP(p + pn, page));
	}
}

/* The BAR kinds as the device's (kernel-virtualized) BAR registers say. */
static int vfio_pci_setup_bars(struct vfio_pci_dev *d, const uint8_t *raw, struct error *err)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_region *r = vfio_device_region(&d->vdev, i);
		d->bars[i] = (struct vfio_pci_bar){ .dev = d, .idx = i };
		uint32_t lo = raw32(raw, PCI_BASE_ADDRESS_0 + 4 * i);
		cfg_emulate(d, PCI_BASE_ADDRESS_0 + 4 * i, 4, true);
		if (!r)
			continue;
		uint32_t flags;
		if (lo & PCI_BASE_ADDRESS_SPACE_IO)
			flags = PCI_BAR_IO;
		else if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
			flags = PCI_BAR_MEM64 | (lo & PCI_BASE_ADDRESS_MEM_PREFETCH ? PCI_BAR_PREFETCH : 0);
		else
			flags = PCI_BAR_MEM32;
		uint64_t size = r->size;
		if (!(flags & PCI_BAR_IO) && size < 16)
			size = 16;
		if (pci_device_set_bar(&d->pci, i, size, flags, &vfio_pci_bar_ops, &d->bars[i], err))
			return -1;
		if (flags & PCI_BAR_MEM64) {
			cfg_emulate(d, PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4, true);
			i++;
			d->bars[i] = (struct vfio_pci_bar){ .dev = d, .idx = i };
		}
	}
	return 0;
}

/* ---- ROM BAR ------------------------------------------------------------------ */

static void vfio_pci_rom_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct vfio_pci_dev *d = opaque;
	uint8_t *out = data;
	for (uint32_t i = 0; i < len; i++)
		out[i] = off + i < d->rom.len ? d->rom.data[off + i] : 0xFF;
}

static void vfio_pci_rom_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	(void)opaque, (void)off, (void)data, (void)len; /* read-only */
}

static const struct bus_ops vfio_pci_rom_ops = {
	.read = vfio_pci_rom_read, .write = vfio_pci_rom_write,
};

static int vfio_pci_rom_load_file(struct vfio_pci_dev *d, const char *path, struct error *err)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	if (!f)
		return err_setf(err, "%s: romfile %s: %s", d->name, path, strerror(errno));
	if (fstat(fileno(f), &st) || st.st_size <= 0 || (uint64_t)st.st_size > VFIO_PCI_ROM_MAX) {
		fclose(f);
		return err_setf(err, "%s: romfile %s is empty or larger than %llu MiB", d->name, path,
				(unsigned long long)(VFIO_PCI_ROM_MAX / MiB));
	}
	d->rom.len = (uint64_t)st.st_size;
	d->rom.data = malloc(d->rom.len);
	bool ok = d->rom.data && fread(d->rom.data, 1, d->rom.len, f) == d->rom.len;
	fclose(f);
	if (!ok)
		return err_setf(err, "%s: cannot read romfile %s", d->name, path);
	return 0;
}

/* The device's own ROM, read once (the kernel maps it only while reading). */
static void vfio_pci_rom_load_device(struct vfio_pci_dev *d)
{
	struct vfio_region *r = vfio_device_region(&d->vdev, VFIO_PCI_ROM_REGION_INDEX);
	struct error e;
	if (!r || r->size > VFIO_PCI_ROM_MAX || !(r->flags & VFIO_REGION_INFO_FLAG_READ))
		return;
	d->rom.data = malloc(r->size);
	if (d->rom.data && !vfio_region_read(&d->vdev, VFIO_PCI_ROM_REGION_INDEX, 0, d->rom.data,
					     r->size, &e)) {
		d->rom.len = r->size;
		return;
	}
	log_debug("%s: no option ROM offered: %s", d->name, d->rom.data ? e.msg : "out of memory");
	free(d->rom.data);
	d->rom.data = NULL;
}

static int vfio_pci_setup_rom(struct vfio_pci_dev *d, const char *romfile, struct error *err)
{
	d->rom.mapped = PCI_BAR_UNMAPPED;
	cfg_emulate(d, PCI_ROM_ADDRESS, 4, true);
	if (romfile && vfio_pci_rom_load_file(d, romfile, err))
		return -1;
	if (!romfile)
		vfio_pci_rom_load_device(d);
	if (!d->rom.len)
		return 0;
	d->rom.size = 2 * KiB;
	while (d->rom.size < d->rom.len)
		d->rom.size <<= 1;
	pci_cfg_set_wmask32(&d->pci, PCI_ROM_ADDRESS,
			    ((uint32_t)~(d->rom.size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
	return 0;
}

/* Decode the ROM where the guest put it, if that is a sane place (dev->lock held). */
static void vfio_pci_rom_update(struct vfio_pci_dev *d)
{
	uint32_t reg = pci_cfg_get32(&d->pci, PCI_ROM_ADDRESS);
	uint64_t want = reg & PCI_ROM_ADDRESS_MASK;
	bool on = d->rom.size && (reg & PCI_ROM_ADDRESS_ENABLE) &&
		  (pci_cfg_get16(&d->pci, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	uint64_t low = d->vm ? d->vm->layout.low_ram_end : 0;
	if (!on || want < MAX(low, LAYOUT_HIGH_MEM_START) || want + d->rom.size > LAYOUT_IOAPIC_BASE)
		want = PCI_BAR_UNMAPPED;
	if (want == d->rom.mapped)
		return;
	if (d->rom.mapped != PCI_BAR_UNMAPPED)
		bus_unregister(&d->vm->mmio, d->rom.mapped, d);
	d->rom.mapped = PCI_BAR_UNMAPPED;
	struct error e;
	if (want == PCI_BAR_UNMAPPED)
		return;
	if (bus_register(&d->vm->mmio, want, d->rom.size, &vfio_pci_rom_ops, d, d->name, &e))
		log_debug("%s: ROM at 0x%llx not mapped: %s", d->name, (unsigned long long)want, e.msg);
	else
		d->rom.mapped = want;
}

/* ---- MSI ------------------------------------------------------------------ */

static uint32_t msi_data_off(const struct vfio_pci_dev *d)
{
	return d->msi.cap + (d->msi.is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static int vfio_pci_setup_msi(struct vfio_pci_dev *d, const uint8_t *raw, uint8_t cap)
{
	uint16_t flags = raw16(raw, cap + PCI_MSI_FLAGS);
	const struct vfio_irq *irq = vfio_device_irq(&d->vdev, VFIO_PCI_MSI_IRQ_INDEX);
	d->msi.cap = cap;
	d->msi.is64 = flags & PCI_MSI_FLAGS_64BIT;
	d->msi.len = (uint8_t)((d->msi.is64 ? 14 : 10) + (flags & PCI_MSI_FLAGS_MASKBIT ? 10 : 0));
	unsigned mmc = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
	d->msi.max = 1u << MIN(mmc, 5u);
	if (irq && irq->count && irq->count < d->msi.max)
		d->msi.max = irq->count;
	unsigned log2 = 0;
	while ((2u << log2) <= d->msi.max)
		log2++;
	for (unsigned i = 0; i < VFIO_PCI_MSI_MAX; i++)
		d->msi.efd[i] = d->msi.gsi[i] = -1;
	/* Emulated as a whole; per-vector masking is not offered (no MASKBIT). */
	cfg_emulate(d, cap + 2, d->msi.len - 2u, true);
	for (uint32_t i = cap + 2; i < cap + d->msi.len; i++)
		d->pci.cfg[i] = 0;
	pci_cfg_set16(&d->pci, cap + PCI_MSI_FLAGS,
		      (uint16_t)((flags & PCI_MSI_FLAGS_64BIT) | (log2 << 1)));
	pci_cfg_set_wmask16(&d->pci, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	pci_cfg_set_wmask32(&d->pci, cap + PCI_MSI_ADDRESS_LO, 0xFFFFFFFCu);
	if (d->msi.is64)
		pci_cfg_set_wmask32(&d->pci, cap + PCI_MSI_ADDRESS_HI, 0xFFFFFFFFu);
	pci_cfg_set_wmask16(&d->pci, msi_data_off(d), 0xFFFF);
	return 0;
}

static void vfio_pci_intx_enable(struct vfio_pci_dev *d);
static void vfio_pci_intx_disable(struct vfio_pci_dev *d);

/* Route vector i to the guest's message (creating its eventfd and irqfd once). */
static int msi_route(struct vfio_pci_dev *d, unsigned i, uint64_t addr, uint32_t data,
		     struct error *err)
{
	if (d->msi.efd[i] < 0) {
		d->msi.efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->msi.efd[i] < 0)
			return err_setf(err, "eventfd: %s", strerror(errno));
	}
	if (!vm_has_kvm(d))
		return 0;
	if (d->msi.gsi[i] >= 0)
		return vm_msi_route_update(d->vm, (uint32_t)d->msi.gsi[i], addr, data, err);
	int gsi = vm_msi_route_add(d->vm, addr, data, err);
	if (gsi < 0)
		return -1;
	d->msi.gsi[i] = gsi;
	return vm_irqfd(d->vm, (uint32_t)gsi, d->msi.efd[i], -1, true, err);
}

static void msi_off(struct vfio_pci_dev *d)
{
	struct error e;
	if (d->msi.on && vfio_irq_disable(&d->vdev, VFIO_PCI_MSI_IRQ_INDEX, &e))
		log_debug("%s", e.msg);
	d->msi.on = false;
	d->msi.nr = 0;
	vfio_pci_intx_enable(d);
}

/* The guest wrote the MSI capability (dev->lock held). */
static void vfio_pci_msi_update(struct vfio_pci_dev *d)
{
	uint32_t cap = d->msi.cap;
	uint16_t flags = pci_cfg_get16(&d->pci, cap + PCI_MSI_FLAGS);
	if (!(flags & PCI_MSI_FLAGS_ENABLE)) {
		if (d->msi.on)
			msi_off(d);
		return;
	}
	unsigned nr = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4); /* guest's: bounded below */
	nr = MIN(nr, d->msi.max);
	uint64_t addr = pci_cfg_get32(&d->pci, cap + PCI_MSI_ADDRESS_LO);
	if (d->msi.is64)
		addr |= (uint64_t)pci_cfg_get32(&d->pci, cap + PCI_MSI_ADDRESS_HI) << 32;
	uint32_t data = pci_cfg_get16(&d->pci, msi_data_off(d));
	struct error e;
	for (unsigned i = 0; i < nr; i++) {
		/* Multiple messages differ in the low bits of the data. */
		if (msi_route(d, i, addr, (data & ~(nr - 1)) | i, &e)) {
			log_warn("%s: MSI vector %u: %s", d->name, i, e.msg);
			return;
		}
	}
	if (d->msi.on && d->msi.nr == nr)
		return; /* only the message changed: the routes are updated */
	if (d->msi.on)
		msi_off(d);
	vfio_pci_intx_disable(d); /* vfio-pci refuses MSI while INTx is on */
	if (vfio_msi_enable(&d->vdev, d->msi.efd, nr, &e)) {
		log_warn("%s: %s", d->name, e.msg);
		vfio_pci_intx_enable(d);
		return;
	}
	d->msi.on = true;
	d->msi.nr = nr;
}

/* ---- MSI-X ---------------------------------------------------------------- */

static int vfio_pci_setup_msix(struct vfio_pci_dev *d, const uint8_t *raw, uint8_t cap,
			       struct error *err)
{
	uint16_t flags = raw16(raw, cap + PCI_MSIX_FLAGS);
	uint32_t table = raw32(raw, cap + PCI_MSIX_TABLE), pba = raw32(raw, cap + PCI_MSIX_PBA);
	unsigned nr = (flags & PCI_MSIX_FLAGS_QSIZE) + 1u;
	unsigned bir = table & PCI_MSIX_TABLE_BIR;
	if ((pba & PCI_MSIX_PBA_BIR) != bir)
		return err_setf(err, "%s: MSI-X table (BAR%u) and PBA (BAR%u) in different BARs: "
				"not supported by passvm yet", d->name, bir, pba & PCI_MSIX_PBA_BIR);
	cfg_emulate(d, cap + 2, PCI_CAP_MSIX_SIZEOF - 2, true);
	if (pci_msix_init_at(&d->msix, &d->pci, nr, bir, table & PCI_MSIX_TABLE_OFFSET,
			     pba & PCI_MSIX_PBA_OFFSET, cap, err))
		return err_prefix(err, "%s", d->name);
	d->msix.external = true; /* VFIO signals the vectors' eventfds */
	d->has_msix = true;
	return 0;
}

/* MSI-X enable/disable: the eventfds pci.c binds as irqfds go to VFIO. */
static void vfio_pci_msix_update(struct vfio_pci_dev *d)
{
	bool en = pci_cfg_get16(&d->pci, d->msix.cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE;
	struct error e;
	if (en == d->msix_on)
		return;
	if (!en) {
		if (vfio_irq_disable(&d->vdev, VFIO_PCI_MSIX_IRQ_INDEX, &e))
			log_debug("%s", e.msg);
		d->msix_on = false;
		vfio_pci_intx_enable(d);
		return;
	}
	int *fds = calloc(d->msix.nr, sizeof(*fds));
	if (!fds)
		return;
	for (unsigned i = 0; i < d->msix.nr; i++)
		fds[i] = d->msix.v[i].efd;
	vfio_pci_intx_disable(d);
	if (vfio_msix_enable(&d->vdev, fds, d->msix.nr, &e)) {
		log_warn("%s: %s", d->name, e.msg);
		vfio_pci_intx_enable(d);
	} else {
		d->msix_on = true;
	}
	free(fds);
}

/* ---- INTx ----------------------------------------------------------------- */

static void vfio_pci_intx_enable(struct vfio_pci_dev *d)
{
	struct error e;
	if (!d->intx.pin || d->intx.on || d->msi.on || d->msix_on)
		return;
	if (vfio_intx_enable(&d->vdev, d->intx.trigger, d->intx.unmask, &e))
		log_debug("%s", e.msg);
	else
		d->intx.on = true;
}

static void vfio_pci_intx_disable(struct vfio_pci_dev *d)
{
	struct error e;
	if (!d->intx.on)
		return;
	if (vfio_irq_disable(&d->vdev, VFIO_PCI_INTX_IRQ_INDEX, &e))
		log_debug("%s", e.msg);
	d->intx.on = false;
}

/*
 * Level-triggered: VFIO masks the line when it fires, KVM's resample irqfd
 * signals `unmask` on the guest's EOI and VFIO unmasks it: no VMM round trip.
 */
static void vfio_pci_setup_intx(struct vfio_pci_dev *d, uint8_t pin)
{
	const struct vfio_irq *irq = vfio_device_irq(&d->vdev, VFIO_PCI_INTX_IRQ_INDEX);
	d->intx.trigger = d->intx.unmask = -1;
	d->intx.pin = 0;
	if (!pin || pin > PCI_INTX_PINS || !irq || !irq->count || !vm_has_kvm(d))
		return;
	d->intx.gsi = (int)pci_intx_gsi(d->pci.slot, pin);
	d->intx.trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->intx.unmask = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct error e;
	if (d->intx.trigger < 0 || d->intx.unmask < 0 ||
	    vm_irqfd(d->vm, (uint32_t)d->intx.gsi, d->intx.trigger, d->intx.unmask, true, &e)) {
		log_warn("%s: INTx not wired: %s", d->name,
			 d->intx.trigger < 0 || d->intx.unmask < 0 ? strerror(errno) : e.msg);
		return;
	}
	d->intx.pin = pin;
	vfio_pci_intx_enable(d);
}

/* ---- capabilities ------------------------------------------------------------ */

static bool cap_passed(uint8_t id)
{
	switch (id) {
	case PCI_CAP_ID_PM:
	case PCI_CAP_ID_VPD:
	case PCI_CAP_ID_VNDR:
	case PCI_CAP_ID_EXP:
	case PCI_CAP_ID_MSI:
	case PCI_CAP_ID_MSIX:
		return true;
	default:
		return false;
	}
}

static bool ext_cap_passed(uint16_t id)
{
	return id == PCI_EXT_CAP_ID_VNDR || id == PCI_EXT_CAP_ID_DSN ||
	       id == PCI_EXT_CAP_ID_PWR || id == PCI_EXT_CAP_ID_LTR;
}

/*
 * Resizable BAR, shown with one size per BAR: the one the host gave it (a
 * guest resize would change the VFIO region under our mapping and the host's
 * resource tree). GPU drivers read the capability to see that "Resizable
 * BAR" is on and the whole VRAM is reachable; its registers are virtual and
 * read-only. False (the capability stays hidden) when an entry is not one
 * of our BARs, or the size cannot be said in the capability.
 */
static bool vfio_pci_setup_rebar(struct vfio_pci_dev *d, const uint8_t *raw, uint32_t off)
{
	uint32_t ctrl0 = raw32(raw, off + PCI_REBAR_CTRL);
	uint32_t n = (ctrl0 & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT;
	if (n < 1 || n > PCI_NUM_BARS || off + PCI_REBAR_CAP + 8 * n > PCI_CFG_SIZE)
		return false;
	uint32_t cap[PCI_NUM_BARS], ctrl[PCI_NUM_BARS];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = raw32(raw, off + PCI_REBAR_CTRL + 8 * i);
		uint32_t bar = c & PCI_REBAR_CTRL_BAR_IDX;
		uint64_t size = bar < PCI_NUM_BARS ? d->pci.bars[bar].size : 0;
		/* Bits 4..31 of the capability register: 1 MiB .. 128 TiB. */
		if (size < MiB || (size & (size - 1)) || size > (1ull << 47))
			return false;
		uint32_t enc = (uint32_t)__builtin_ctzll(size) - 20;
		cap[i] = 1u << (enc + 4);
		ctrl[i] = bar | enc << PCI_REBAR_CTRL_BAR_SHIFT |
			  (i == 0 ? ctrl0 & PCI_REBAR_CTRL_NBAR_MASK : 0);
	}
	cfg_emulate(d, off + PCI_REBAR_CAP, 8 * n, true);
	for (uint32_t i = 0; i < n; i++) {
		pci_cfg_set32(&d->pci, off + PCI_REBAR_CAP + 8 * i, cap[i]);
		pci_cfg_set32(&d->pci, off + PCI_REBAR_CTRL + 8 * i, ctrl[i]);
	}
	return true;
}

/* Our bus has no root ports: an endpoint shows as a root-complex integrated
 * one (as QEMU does on a root bus), without link registers. */
static void vfio_pci_setup_pcie(struct vfio_pci_dev *d, const uint8_t *raw, uint8_t cap)
{
	uint16_t flags = raw16(raw, cap + PCI_EXP_FLAGS);
	unsigned type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
	d->pci.express = d->cfg_size >= PCI_CFG_SIZE;
	if (type != PCI_EXP_TYPE_ENDPOINT && type != PCI_EXP_TYPE_LEG_END)
		return;
	cfg_emulate(d, cap + PCI_EXP_FLAGS, 2, true);
	pci_cfg_set16(&d->pci, cap + PCI_EXP_FLAGS,
		      (uint16_t)((flags & ~PCI_EXP_FLAGS_TYPE) | (PCI_EXP_TYPE_RC_END << 4)));
	cfg_emulate(d, cap + PCI_EXP_LNKCAP, 8, true); /* LNKCAP, LNKCTL, LNKSTA: 0 */
	if ((flags & PCI_EXP_FLAGS_VERS) >= 2)
		cfg_emulate(d, cap + PCI_EXP_LNKCAP2, 8, true);
}

static int vfio_pci_cap_one(struct vfio_pci_dev *d, const uint8_t *raw, uint8_t off,
			    struct error *err)
{
	switch (raw[off]) {
	case PCI_CAP_ID_MSI:
		return vfio_pci_setup_msi(d, raw, off);
	case PCI_CAP_ID_MSIX:
		return vfio_pci_setup_msix(d, raw, off, err);
	case PCI_CAP_ID_EXP:
		vfio_pci_setup_pcie(d, raw, off);
		return 0;
	default:
		return 0;
	}
}

/* Relink the standard list through the capabilities we pass. */
static int vfio_pci_setup_caps(struct vfio_pci_dev *d, const uint8_t *raw, struct error *err)
{
	uint32_t link = PCI_CAPABILITY_LIST;
	cfg_emulate(d, PCI_CAPABILITY_LIST, 1, true);
	pci_cfg_set8(&d->pci, PCI_CAPABILITY_LIST, 0);
	if (!(raw16(raw, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t off = raw[PCI_CAPABILITY_LIST] & ~3u;
	/* 48 capabilities fill 0x40-0xFF: more means the list loops. */
	for (unsigned n = 0; off >= PCI_STD_HEADER_SIZEOF && n < 48; n++) {
		uint8_t id = raw[off], next = raw[off + 1] & ~3u;
		cfg_emulate(d, off, 2, true);
		pci_cfg_set8(&d->pci, off, cap_passed(id) ? id : 0);
		pci_cfg_set8(&d->pci, off + 1, 0);
		if (cap_passed(id)) {
			pci_cfg_set8(&d->pci, link, off);
			link = off + 1u;
			if (vfio_pci_cap_one(d, raw, off, err))
				return -1;
		}
		off = next;
	}
	if (link != PCI_CAPABILITY_LIST)
		pci_cfg_set16(&d->pci, PCI_STATUS,
			      pci_cfg_get16(&d->pci, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	return 0;
}

static void vfio_pci_setup_ext_caps(struct vfio_pci_dev *d, const uint8_t *raw)
{
	if (!d->pci.express)
		return;
	uint32_t last = 0, off = PCI_CFG_LEGACY_SIZE;
	cfg_emulate(d, off, 4, true);
	pci_cfg_set32(&d->pci, off, 0);
	/* 4 KiB holds fewer than 960 headers: more means the list loops. */
	for (unsigned n = 0; off >= PCI_CFG_LEGACY_SIZE && off <= PCI_CFG_SIZE - 4 && n < 960; n++) {
		uint32_t h = raw32(raw, off);
		if (!h || h == 0xFFFFFFFFu)
			break;
		uint32_t next = PCI_EXT_CAP_NEXT(h) & ~3u;
		cfg_emulate(d, off, 4, true);
		if (off != PCI_CFG_LEGACY_SIZE)
			pci_cfg_set32(&d->pci, off, 0);
		uint16_t id = (uint16_t)PCI_EXT_CAP_ID(h);
		if (ext_cap_passed(id) ||
		    (id == PCI_EXT_CAP_ID_REBAR && vfio_pci_setup_rebar(d, raw, off))) {
			/* The first header must be at 0x100: an empty one links on. */
			if (last)
				pci_cfg_set32(&d->pci, last, pci_cfg_get32(&d->pci, last) | off << 20);
			else if (off != PCI_CFG_LEGACY_SIZE)
				pci_cfg_set32(&d->pci, PCI_CFG_LEGACY_SIZE, off << 20);
			pci_cfg_set32(&d->pci, off, h & 0x000FFFFFu);
			last = off;
		}
		off = next;
	}
}

/* ---- the header ------------------------------------------------------------- */

static void vfio_pci_setup_header(struct vfio_pci_dev *d, const uint8_t *raw)
{
	uint32_t class_code = raw32(raw, PCI_CLASS_REVISION) >> 8;
	pci_device_init(&d->pci, d->name, NULL, d, raw16(raw, PCI_VENDOR_ID),
			raw16(raw, PCI_DEVICE_ID), class_code, raw[PCI_REVISION_ID],
			raw16(raw, PCI_SUBSYSTEM_VENDOR_ID), raw16(raw, PCI_SUBSYSTEM_ID));
	cfg_emulate(d, 0, PCI_STATUS, true);             /* ids: virtual */
	cfg_emulate(d, PCI_COMMAND, 2, false);           /* mirrored to the device */
	d->emu[PCI_STATUS] = PCI_STATUS_CAP_LIST;        /* ours; the rest the device's */
	cfg_emulate(d, PCI_CLASS_REVISION, 4, true);
	cfg_emulate(d, PCI_HEADER_TYPE, 2, true);        /* multifunction is ours, BIST off */
	cfg_emulate(d, PCI_CARDBUS_CIS, 8, true);
	cfg_emulate(d, PCI_CAPABILITY_LIST, 8, true);    /* pointer + reserved */
	cfg_emulate(d, PCI_INTERRUPT_LINE, 4, true);
	pci_cfg_set8(&d->pci, PCI_MIN_GNT, raw[PCI_MIN_GNT]);
	pci_cfg_set8(&d->pci, PCI_MAX_LAT, raw[PCI_MAX_LAT]);
}

static int vfio_pci_read_config(struct vfio_pci_dev *d, uint8_t *raw, struct error *err)
{
	struct vfio_region *r = vfio_device_region(&d->vdev, VFIO_PCI_CONFIG_REGION_INDEX);
	if (!r || r->size < PCI_CFG_LEGACY_SIZE)
		return err_setf(err, "%s: VFIO offers no config space", d->name);
	d->cfg_size = r->size >= PCI_CFG_SIZE ? PCI_CFG_SIZE : PCI_CFG_LEGACY_SIZE;
	memset(raw, 0, PCI_CFG_SIZE);
	if (vfio_config_read(&d->vdev, 0, raw, d->cfg_size, err))
		return -1;
	if ((raw[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) != PCI_HEADER_TYPE_NORMAL)
		return err_setf(err, "%s is a bridge (header type %u): passvm passes through "
				"endpoints only", d->name, raw[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK);
	return 0;
}

static const struct pci_device_ops vfio_pci_ops = {
	.cfg_read = vfio_pci_cfg_read,
	.cfg_write = vfio_pci_cfg_write,
	.cfg_written = vfio_pci_cfg_written,
	.bar_map = vfio_pci_bar_map,
	.bar_unmap = vfio_pci_bar_unmap,
};

static int vfio_pci_build(struct vfio_pci_dev *d, const char *romfile, struct error *err)
{
	uint8_t *raw = calloc(1, PCI_CFG_SIZE);
	if (!raw)
		return err_setf(err, "out of memory");
	int rc = -1;
	if (vfio_pci_read_config(d, raw, err))
		goto out;
	vfio_pci_setup_header(d, raw);
	d->pci.ops = &vfio_pci_ops;
	if (vfio_pci_setup_bars(d, raw, err) || vfio_pci_setup_rom(d, romfile, err) ||
	    vfio_pci_setup_caps(d, raw, err))
		goto out;
	vfio_pci_setup_ext_caps(d, raw);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->pci.bars[i].size)
			vfio_pci_bar_areas(d, i);
	d->intx.pin = raw[PCI_INTERRUPT_PIN]; /* wired at register time */
	rc = 0;
out:
	free(raw);
	return rc;
}

/* ---- life cycle ------------------------------------------------------------------ */

static void vfio_pci_bus_reset(struct vfio_pci_dev *d, const char *when);

/* The device's own reset, else its bus's (once it is in a set). */
static void vfio_pci_reset(struct vfio_pci_dev *d, const char *when)
{
	struct error e;
	int r = vfio_device_reset(&d->vdev, &e);
	if (r < 0)
		log_warn("%s: reset at %s failed: %s", d->name, when, e.msg);
	else if (r > 0 && d->set)
		vfio_pci_bus_reset(d, when);
	else if (r > 0)
		log_debug("%s: offers no reset of its own", d->name);
}

void vfio_pci_gpu_notes(const struct vfio_pci_dev *d)
{
	uint16_t vendor = pci_cfg_get16(&d->pci, PCI_VENDOR_ID);
	if ((pci_cfg_get16(&d->pci, PCI_CLASS_DEVICE) >> 8) != VFIO_PCI_CLASS_DISPLAY)
		return;
	/* NVIDIA's Windows drivers before 465 stop with "Code 43" when they see
	 * KVM: vmm/hyperv.h hides it when asked ([cpu] kvm-hidden). */
	if (vendor == 0x10de && !d->vm->cfg->hyperv.kvm_hidden)
		log_info("%s: NVIDIA GPU: if its Windows driver is older than 465 and stops with "
			 "Code 43, set kvm-hidden = yes and an hv-vendor-id in [cpu]", d->name);
}

struct vfio_pci_dev *vfio_pci_dev_create(struct vm *vm, struct vfio_device *vdev,
					 const char *romfile, struct error *err)
{
	struct vfio_pci_dev *d = calloc(1, sizeof(*d));
	if (!d) {
		vfio_device_close(vdev);
		err_setf(err, "out of memory");
		return NULL;
	}
	d->vm = vm;
	d->vdev = *vdev;
	d->intx.trigger = d->intx.unmask = -1;
	d->rom.mapped = PCI_BAR_UNMAPPED;
	for (unsigned i = 0; i < VFIO_PCI_MSI_MAX; i++)
		d->msi.efd[i] = d->msi.gsi[i] = -1;
	snprintf(d->name, sizeof(d->name), "vfio %s", vdev->name);
	/* d->pci (and its lock) is initialized by pci_device_init() in the build;
	 * zeroed, the lock is a valid unlocked mutex for an early failure. */
	vfio_pci_reset(d, "start"); /* no set yet: a bus reset waits for the others */
	if (vfio_pci_build(d, romfile, err)) {
		vfio_pci_dev_destroy(d);
		return NULL;
	}
	return d;
}

int vfio_pci_dev_register(struct vfio_pci_dev *d, int slot, int func, struct error *err)
{
	if (pci_device_register(d->vm->pci, &d->pci, slot, func, err))
		return -1;
	pthread_mutex_lock(&d->pci.lock);
	/* The firmware's decode settings must hold on the device too, or its
	 * BAR mmaps fault (vfio-pci blocks them while memory decode is off). */
	uint16_t cmd = pci_cfg_get16(&d->pci, PCI_COMMAND);
	struct error e;
	if (vfio_config_write(&d->vdev, PCI_COMMAND, &cmd, 2, &e))
		log_warn("%s: %s", d->name, e.msg);
	uint8_t pin = d->intx.pin;
	vfio_pci_setup_intx(d, pin);
	pci_cfg_set8(&d->pci, PCI_INTERRUPT_PIN, d->intx.pin);
	pci_cfg_set8(&d->pci, PCI_INTERRUPT_LINE, d->intx.pin ? (uint8_t)d->intx.gsi : 0xFF);
	d->pci.cfg_reset[PCI_INTERRUPT_PIN] = d->pci.cfg[PCI_INTERRUPT_PIN];
	d->pci.cfg_reset[PCI_INTERRUPT_LINE] = d->pci.cfg[PCI_INTERRUPT_LINE];
	pthread_mutex_unlock(&d->pci.lock);
	return 0;
}

static void vfio_pci_irqs_off(struct vfio_pci_dev *d)
{
	struct error e;
	if (d->msix_on && vfio_irq_disable(&d->vdev, VFIO_PCI_MSIX_IRQ_INDEX, &e))
		log_debug("%s", e.msg);
	if (d->msi.on && vfio_irq_disable(&d->vdev, VFIO_PCI_MSI_IRQ_INDEX, &e))
		log_debug("%s", e.msg);
	d->msix_on = d->msi.on = false;
	vfio_pci_intx_disable(d);
	for (unsigned i = 0; i < VFIO_PCI_MSI_MAX; i++) {
		if (d->msi.gsi[i] >= 0 && vm_has_kvm(d))
			vm_irqfd(d->vm, (uint32_t)d->msi.gsi[i], d->msi.efd[i], -1, false, NULL);
		if (d->msi.efd[i] >= 0)
			close(d->msi.efd[i]);
		d->msi.efd[i] = d->msi.gsi[i] = -1;
	}
	if (d->intx.pin && vm_has_kvm(d))
		vm_irqfd(d->vm, (uint32_t)d->intx.gsi, d->intx.trigger, d->intx.unmask, false, NULL);
	if (d->intx.trigger >= 0)
		close(d->intx.trigger);
	if (d->intx.unmask >= 0)
		close(d->intx.unmask);
	d->intx.trigger = d->intx.unmask = -1;
	d->intx.pin = 0;
}

void vfio_pci_dev_destroy(struct vfio_pci_dev *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->pci.lock);
	if (d->rom.mapped != PCI_BAR_UNMAPPED)
		bus_unregister(&d->vm->mmio, d->rom.mapped, d);
	d->rom.mapped = PCI_BAR_UNMAPPED;
	pthread_mutex_unlock(&d->pci.lock);
	pci_device_unregister(&d->pci); /* BAR memslots go before the mmaps */
	vfio_pci_irqs_off(d);
	if (d->has_msix)
		pci_msix_destroy(&d->msix);
	if (d->vdev.fd >= 0)
		vfio_pci_reset(d, "stop");
	vfio_device_close(&d->vdev);
	pthread_mutex_destroy(&d->pci.lock);
	free(d->rom.data);
	free(d);
}

/* ---- the VM's passthrough devices ---------------------------------------------------- */

struct vfio_pci_set {
	struct vfio_container container;
	int kvm_vfio_fd;         /* KVM's VFIO pseudo device, or -1 */
	unsigned nr_groups, nr_devs;
	struct vfio_group groups[VFIO_PT_MAX];
	struct vfio_pci_dev *devs[VFIO_PT_MAX];
};

/*
 * A device without a reset of its own would keep the host's (or the last
 * guest's) state: reset its bus, which the kernel allows only when every
 * device that hits is in one of our groups.
 */
static void vfio_pci_bus_reset(struct vfio_pci_dev *d, const char *when)
{
	struct error e;
	int r = vfio_device_bus_reset(&d->vdev, d->set->groups, d->set->nr_groups, &e);
	if (!r)
		log_info("%s: no reset of its own: its bus was reset at %s instead", d->name, when);
	else if (r > 0)
		log_warn("%s: no reset of its own, and the kernel offers no bus or slot reset for "
			 "it (at %s): it keeps whatever state it was left in", d->name, when);
	else
		log_warn("%s: no reset of its own, and no bus reset at %s: %s", d->name, when, e.msg);
}

static void vfio_pci_set_destroy(struct vm *vm, void *state)
{
	struct vfio_pci_set *s = state;
	(void)vm;
	for (unsigned i = s->nr_devs; i-- > 0;)
		vfio_pci_dev_destroy(s->devs[i]);
	for (unsigned i = s->nr_groups; i-- > 0;)
		vfio_group_close(&s->groups[i]);
	vfio_container_close(&s->container); /* drops the DMA mappings */
	if (s->kvm_vfio_fd >= 0)
		close(s->kvm_vfio_fd);
	free(s);
}

static struct vfio_group *vfio_pci_set_group(struct vfio_pci_set *s, int id, struct error *err)
{
	for (unsigned i = 0; i < s->nr_groups; i++)
		if (s->groups[i].id == id)
			return &s->groups[i];
	struct vfio_group *g = &s->groups[s->nr_groups];
	if (vfio_group_open(g, &s->container, id, err))
		return NULL;
	s->nr_groups++;
	return g;
}

static int vfio_pci_set_open(struct vm *vm, struct vfio_pci_set *s, const struct vfio_pt_function *f,
			     struct error *err)
{
	struct vfio_host_device host;
	const char *sysfs = vm->cfg->sysfs_root;
	if (vfio_host_device_read(sysfs, &f->addr, &host, err))
		return -1;
	if (host.iommu_group < 0)
		return err_setf(err, "%s is in no IOMMU group: is the IOMMU on? (see 'passvm check')",
				vfio_host_addr_fmt(&f->addr).s);
	const char *family = vfio_host_amd_reset_bug(&host);
	if (family)
		log_warn("%s: AMD %s GPUs may not come back after the guest (the \"reset bug\"): "
			 "install the vendor-reset module (github.com/gnif/vendor-reset)",
			 vfio_host_addr_fmt(&f->addr).s, family);
	struct vfio_group *g = vfio_pci_set_group(s, host.iommu_group, err);
	struct vfio_device vdev;
	if (!g || vfio_device_open(&vdev, g, vfio_host_addr_fmt(&f->addr).s, err))
		return -1;
	struct vfio_pci_dev *d = vfio_pci_dev_create(vm, &vdev, f->romfile, err);
	if (!d)
		return -1;
	s->devs[s->nr_devs++] = d;
	d->set = s;
	vfio_pci_gpu_notes(d);
	return 0;
}

/*
 * Tell KVM which VFIO files the VM uses (its VFIO pseudo device, as QEMU
 * does): with a device whose DMA does not snoop the CPU caches (an IOMMU
 * without snoop control, integrated GPUs), KVM must then honour the guest's
 * memory types and flush caches for it (WBINVD), or the device reads stale
 * memory. The files: group fds with the container, device cdevs with
 * iommufd (KVM_DEV_VFIO_FILE_ADD, the same numbers, Linux 6.6+). Without it
 * (a kernel lacking CONFIG_KVM_VFIO) passthrough still works on coherent
 * IOMMUs: a warning, not an error.
 */
static void vfio_pci_set_tell_kvm(struct vm *vm, struct vfio_pci_set *s)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		log_warn("vfio: KVM offers no VFIO device (%s): it cannot learn of non-coherent "
			 "DMA, which matters only for devices whose DMA does not snoop the CPU "
			 "caches", strerror(errno));
		return;
	}
	s->kvm_vfio_fd = (int)cd.fd;
	bool cdev = s->container.backend == VFIO_BACKEND_IOMMUFD;
	unsigned n = cdev ? s->nr_devs : s->nr_groups;
	for (unsigned i = 0; i < n; i++) {
		int32_t fd = cdev ? s->devs[i]->vdev.fd : s->groups[i].fd;
		struct kvm_device_attr a = { .group = KVM_DEV_VFIO_GROUP,
					     .attr = KVM_DEV_VFIO_GROUP_ADD,
					     .addr = (uint64_t)(uintptr_t)&fd };
		if (ioctl(s->kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
			log_warn("vfio: KVM's VFIO device refused %s: %s", cdev ? s->devs[i]->name
				 : "an IOMMU group", strerror(errno));
			return;
		}
	}
	log_info("vfio: KVM's VFIO device knows the %s (%u)", cdev ? "device cdevs" : "IOMMU groups",
		 n);
}

/* Functions of one host slot share a guest slot, as functions 0, 1, ... */
static int vfio_pci_set_register(struct vfio_pci_set *s, const struct vfio_pt_list *l,
				 struct error *err)
{
	int slot = -1, func = 0;
	for (unsigned i = 0; i < s->nr_devs; i++) {
		bool same = i > 0 && vfio_host_same_slot(&l->f[i].addr, &l->f[i - 1].addr);
		func = same ? func + 1 : 0;
		if (vfio_pci_dev_register(s->devs[i], same ? slot : -1, func, err))
			return -1;
		slot = s->devs[i]->pci.slot;
		log_info("%s: guest 00:%02x.%d", s->devs[i]->name, slot, func);
	}
	return 0;
}

static int vfio_pci_set_init(struct vm *vm, struct error *err)
{
	if (!vfio_config(vm->cfg)->n)
		return 0;
	struct vfio_pt_list l;
	if (vfio_pt_expand(vm->cfg, &l, err))
		return -1;
	struct vfio_pci_set *s = calloc(1, sizeof(*s));
	if (!s)
		return err_setf(err, "out of memory");
	s->container.fd = -1;
	s->kvm_vfio_fd = -1;
	if (vm_device_add(vm, "vfio", s, vfio_pci_set_destroy, err)) {
		free(s);
		return -1;
	}
	if (vfio_container_open(&s->container, vfio_config(vm->cfg)->backend, vm->cfg->sysfs_root, err))
		return -1;
	log_info("vfio: devices reach the IOMMU through %s",
		 s->container.backend == VFIO_BACKEND_IOMMUFD ? "iommufd (/dev/iommu, device cdevs)"
							      : "the VFIO container (groups)");
	for (unsigned i = 0; i < l.n; i++)
		if (vfio_pci_set_open(vm, s, &l.f[i], err))
			return -1;
	/* With every group open: the devices a bus reset hits may be ours. */
	for (unsigned i = 0; i < s->nr_devs; i++)
		if (!(s->devs[i]->vdev.flags & VFIO_DEVICE_FLAGS_RESET))
			vfio_pci_bus_reset(s->devs[i], "start");
	vfio_pci_set_tell_kvm(vm, s);
	/* Before the guest runs: every guest-physical address is a DMA address. */
	if (vfio_dma_map_gmem(&s->container, &vm->mem, err))
		return -1;
	return vfio_pci_set_register(s, &l, err);
}

VMM_DEVICE(vfio_pci_device) = {
	.name = "vfio-pci",
	.order = VMM_ORDER_DEVICE,
	.init = vfio_pci_set_init,
};
