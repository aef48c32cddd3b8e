// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI root bus: devices, config space emulation, BAR placement and
 * mapping, registration. See pci.h for the device contract and the locking
 * rule. The pieces around it live apart, behind pci_internal.h: MSI-X
 * (pci_msix.c), the host bridge and config access mechanisms (pci_host.c),
 * the address-window allocator (pci_window.c).
 */
#include "vmm/pci_internal.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

#define PCI_BAR_UPPER (1u << 8) /* internal: upper half of a 64-bit BAR */
#define PCI_PORT_LIMIT 0x10000ULL

/* ---- raw config helpers ---------------------------------------------------- */

static bool cfg_range_ok(uint32_t off, uint32_t len)
{
	return off < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - off;
}

static void cfg_put(uint8_t *a, uint32_t off, uint32_t len, uint32_t v)
{
	if (!cfg_range_ok(off, len))
		return;
	for (uint32_t i = 0; i < len; i++)
		a[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t cfg_get(const uint8_t *a, uint32_t off, uint32_t len)
{
	if (!cfg_range_ok(off, len))
		return 0;
	uint32_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)a[off + i] << (8 * i);
	return v;
}

void pci_cfg_set8(struct pci_device *dev, uint32_t off, uint8_t v) { cfg_put(dev->cfg, off, 1, v); }
void pci_cfg_set16(struct pci_device *dev, uint32_t off, uint16_t v) { cfg_put(dev->cfg, off, 2, v); }
void pci_cfg_set32(struct pci_device *dev, uint32_t off, uint32_t v) { cfg_put(dev->cfg, off, 4, v); }
uint8_t pci_cfg_get8(const struct pci_device *dev, uint32_t off) { return (uint8_t)cfg_get(dev->cfg, off, 1); }
uint16_t pci_cfg_get16(const struct pci_device *dev, uint32_t off) { return (uint16_t)cfg_get(dev->cfg, off, 2); }
uint32_t pci_cfg_get32(const struct pci_device *dev, uint32_t off) { return cfg_get(dev->cfg, off, 4); }
void pci_cfg_set_wmask8(struct pci_device *dev, uint32_t off, uint8_t m) { cfg_put(dev->wmask, off, 1, m); }
void pci_cfg_set_wmask16(struct pci_device *dev, uint32_t off, uint16_t m) { cfg_put(dev->wmask, off, 2, m); }
void pci_cfg_set_wmask32(struct pci_device *dev, uint32_t off, uint32_t m) { cfg_put(dev->wmask, off, 4, m); }
void pci_cfg_set_w1cmask16(struct pci_device *dev, uint32_t off, uint16_t m) { cfg_put(dev->w1cmask, off, 2, m); }

static uint32_t ones(uint32_t len)
{
	return len >= 4 ? 0xFFFFFFFFu : (1u << (8 * len)) - 1;
}

/* ---- device setup ---------------------------------------------------------- */

void pci_device_init(struct pci_device *dev, const char *name, const struct pci_device_ops *ops,
		     void *opaque, uint16_t vendor, uint16_t device, uint32_t class_code,
		     uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->name = name;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->cap_next_free = PCI_STD_HEADER_SIZEOF;
	dev->ext_cap_next_free = PCI_CFG_LEGACY_SIZE;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		dev->bars[i].dev = dev;
		dev->bars[i].idx = i;
		dev->bars[i].mapped_addr = PCI_BAR_UNMAPPED;
	}
	pci_cfg_set16(dev, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(dev, PCI_DEVICE_ID, device);
	pci_cfg_set8(dev, PCI_REVISION_ID, revision);
	pci_cfg_set8(dev, PCI_CLASS_PROG, (uint8_t)class_code);
	pci_cfg_set16(dev, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	pci_cfg_set8(dev, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);
	pci_cfg_set16(dev, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(dev, PCI_SUBSYSTEM_ID, subsys_id);

	pci_cfg_set_wmask16(dev, PCI_COMMAND,
			    PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			    PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	pci_cfg_set_w1cmask16(dev, PCI_STATUS,
			      PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
			      PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
			      PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	pci_cfg_set_wmask8(dev, PCI_CACHE_LINE_SIZE, 0xFF);
	pci_cfg_set_wmask8(dev, PCI_INTERRUPT_LINE, 0xFF);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_device_set_bar(struct pci_device *dev, unsigned idx, uint64_t size, uint32_t flags,
		       const struct bus_ops *ops, void *opaque, struct error *err)
{
	uint32_t kind = flags & (PCI_BAR_IO | PCI_BAR_MEM32 | PCI_BAR_MEM64);
	if (dev->bus)
		return err_setf(err, "%s: BAR%u defined after the device was registered", dev->name, idx);
	if (idx >= PCI_NUM_BARS || (kind == PCI_BAR_MEM64 && idx + 1 >= PCI_NUM_BARS))
		return err_setf(err, "%s: BAR index %u out of range", dev->name, idx);
	if (kind != PCI_BAR_IO && kind != PCI_BAR_MEM32 && kind != PCI_BAR_MEM64)
		return err_setf(err, "%s: BAR%u needs exactly one of I/O, MEM32, MEM64", dev->name, idx);
	if ((flags & PCI_BAR_PREFETCH) && kind == PCI_BAR_IO)
		return err_setf(err, "%s: I/O BAR%u cannot be prefetchable", dev->name, idx);
	if (dev->bars[idx].size || (dev->bars[idx].flags & PCI_BAR_UPPER) ||
	    (kind == PCI_BAR_MEM64 && (dev->bars[idx + 1].size || dev->bars[idx + 1].flags)))
		return err_setf(err, "%s: BAR%u is already in use", dev->name, idx);
	if (!is_pow2(size))
		return err_setf(err, "%s: BAR%u size 0x%llx is not a power of two", dev->name, idx,
				(unsigned long long)size);
	if (kind == PCI_BAR_IO && (size < 4 || size > 256))
		return err_setf(err, "%s: I/O BAR%u size %llu must be 4..256 bytes", dev->name, idx,
				(unsigned long long)size);
	if (kind != PCI_BAR_IO && size < 16)
		return err_setf(err, "%s: memory BAR%u size %llu is below 16 bytes", dev->name, idx,
				(unsigned long long)size);
	if (kind == PCI_BAR_MEM32 && size > 1 * GiB)
		return err_setf(err, "%s: 32-bit BAR%u of %llu MiB does not fit the 32-bit window; make it 64-bit",
				dev->name, idx, (unsigned long long)(size / MiB));
	if (kind == PCI_BAR_MEM64 && size > (1ULL << 62))
		return err_setf(err, "%s: BAR%u size is absurd", dev->name, idx);

	struct pci_bar *b = &dev->bars[idx];
	b->size = size;
	b->flags = flags;
	b->ops = ops;
	b->opaque = opaque;
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * idx;
	uint64_t mask = ~(size - 1);
	if (kind == PCI_BAR_IO) {
		pci_cfg_set32(dev, reg, PCI_BASE_ADDRESS_SPACE_IO);
		pci_cfg_set_wmask32(dev, reg, (uint32_t)mask & 0xFFFCu);
	} else {
		uint32_t low = (kind == PCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
			       (flags & PCI_BAR_PREFETCH ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		pci_cfg_set32(dev, reg, low);
		pci_cfg_set_wmask32(dev, reg, (uint32_t)mask & 0xFFFFFFF0u);
		if (kind == PCI_BAR_MEM64) {
			pci_cfg_set32(dev, reg + 4, 0);
			pci_cfg_set_wmask32(dev, reg + 4, (uint32_t)(mask >> 32));
			dev->bars[idx + 1].flags = PCI_BAR_UPPER;
		}
	}
	return 0;
}

int pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len, struct error *err)
{
	uint32_t off = ALIGN_UP((uint32_t)dev->cap_next_free, 4u);
	if (len < 2 || off + len > PCI_CFG_LEGACY_SIZE)
		return err_setf(err, "%s: no room for capability 0x%02x (%u bytes) in config space",
				dev->name, id, len);
	pci_cfg_set8(dev, off + PCI_CAP_LIST_ID, id);
	pci_cfg_set8(dev, off + PCI_CAP_LIST_NEXT, 0);
	if (dev->cap_last)
		pci_cfg_set8(dev, dev->cap_last + PCI_CAP_LIST_NEXT, (uint8_t)off);
	else
		pci_cfg_set8(dev, PCI_CAPABILITY_LIST, (uint8_t)off);
	dev->cap_last = (uint8_t)off;
	dev->cap_next_free = (uint8_t)MIN(off + len, 0xFFu);
	pci_cfg_set16(dev, PCI_STATUS, pci_cfg_get16(dev, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	return (int)off;
}

int pci_add_ext_capability(struct pci_device *dev, uint16_t id, uint8_t version, uint16_t len,
			   struct error *err)
{
	if (!dev->express)
		return err_setf(err, "%s: extended capability 0x%04x needs a PCIe capability first",
				dev->name, id);
	uint32_t off = ALIGN_UP((uint32_t)dev->ext_cap_next_free, 4u);
	if (len < 4 || off + len > PCI_CFG_SIZE)
		return err_setf(err, "%s: no room for extended capability 0x%04x", dev->name, id);
	pci_cfg_set32(dev, off, (uint32_t)id | ((uint32_t)(version & 0xF) << 16));
	if (dev->ext_cap_last) {
		uint32_t h = pci_cfg_get32(dev, dev->ext_cap_last);
		pci_cfg_set32(dev, dev->ext_cap_last, (h & 0x000FFFFFu) | (off << 20));
	}
	dev->ext_cap_last = (uint16_t)off;
	dev->ext_cap_next_free = (uint16_t)(off + len);
	return (int)off;
}

int pci_add_pcie_capability(struct pci_device *dev, uint8_t port_type, struct error *err)
{
	int off = pci_add_capability(dev, PCI_CAP_ID_EXP, 0x3C, err);
	if (off < 0)
		return -1;
	uint32_t o = (uint32_t)off;
	pci_cfg_set16(dev, o + PCI_EXP_FLAGS, 2 | (uint16_t)((port_type & 0xF) << 4));
	pci_cfg_set32(dev, o + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER); /* MPS 128 */
	/* Relaxed ordering + no snoop enabled, MRRS 512. */
	pci_cfg_set16(dev, o + PCI_EXP_DEVCTL, 0x2810);
	pci_cfg_set_wmask16(dev, o + PCI_EXP_DEVCTL, 0x7FFF);
	pci_cfg_set_w1cmask16(dev, o + PCI_EXP_DEVSTA, 0x000F);
	if (port_type != PCI_EXP_TYPE_RC_END) {
		pci_cfg_set32(dev, o + PCI_EXP_LNKCAP, 0x11); /* 2.5 GT/s x1 */
		pci_cfg_set16(dev, o + PCI_EXP_LNKSTA, 0x11);
		pci_cfg_set_wmask16(dev, o + PCI_EXP_LNKCTL, 0x0003 | 0x0040 | 0x0080);
	}
	dev->express = true;
	return off;
}

/* ---- BAR mapping --------------------------------------------------------- */

static uint64_t bar_reg_addr(const struct pci_device *dev, unsigned idx)
{
	const struct pci_bar *b = &dev->bars[idx];
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * idx;
	uint32_t lo = pci_cfg_get32(dev, reg);
	if (pci_bar_is_io(b))
		return lo & ~3u;
	uint64_t a = lo & ~0xFu;
	if (b->flags & PCI_BAR_MEM64)
		a |= (uint64_t)pci_cfg_get32(dev, reg + 4) << 32;
	return a;
}

static uint64_t phys_limit(const struct vm *vm)
{
	unsigned bits = vm ? vm->phys_bits : 0;
	if (bits < 36 || bits > 52)
		bits = 52;
	return 1ULL << bits;
}

/* Where the BAR should be decoded now, or PCI_BAR_UNMAPPED. */
static uint64_t bar_target(const struct pci_device *dev, unsigned idx)
{
	const struct pci_bar *b = &dev->bars[idx];
	uint16_t cmd = pci_cfg_get16(dev, PCI_COMMAND);
	uint64_t limit;
	if (pci_bar_is_io(b)) {
		if (!(cmd & PCI_COMMAND_IO))
			return PCI_BAR_UNMAPPED;
		limit = PCI_PORT_LIMIT;
	} else {
		if (!(cmd & PCI_COMMAND_MEMORY))
			return PCI_BAR_UNMAPPED;
		limit = (b->flags & PCI_BAR_MEM64) ? phys_limit(dev->vm) : LAYOUT_4GIB;
	}
	uint64_t a = bar_reg_addr(dev, idx);
	/* 0 is "unassigned"; an all-ones sizing pattern wraps or crosses the limit. */
	if (a == 0 || a + b->size < a || a + b->size > limit)
		return PCI_BAR_UNMAPPED;
	/* IOAPIC, LAPIC/MSI window, KVM's TSS and identity map, flash: never a BAR. */
	if (!pci_bar_is_io(b) && a < LAYOUT_4GIB && a + b->size > LAYOUT_IOAPIC_BASE)
		return PCI_BAR_UNMAPPED;
	if (!pci_bar_is_io(b) && dev->vm) {
		const struct gmem *m = &dev->vm->mem;
		for (unsigned i = 0; i < m->nr_regions; i++) {
			const struct gmem_region *r = &m->regions[i];
			if (a < r->gpa + r->size && r->gpa < a + b->size)
				return PCI_BAR_UNMAPPED; /* over guest RAM */
		}
	}
	return a;
}

static void pci_bar_read(void *opaque, uint64_t off, void *data, uint32_t len);
static void pci_bar_write(void *opaque, uint64_t off, const void *data, uint32_t len);
static const struct bus_ops pci_bar_bus_ops = { .read = pci_bar_read, .write = pci_bar_write };

static struct bus *bar_bus(struct pci_device *dev, const struct pci_bar *b)
{
	return pci_bar_is_io(b) ? &dev->vm->pio : &dev->vm->mmio;
}

static void bar_unmap(struct pci_device *dev, unsigned idx)
{
	struct pci_bar *b = &dev->bars[idx];
	if (b->mapped_addr == PCI_BAR_UNMAPPED)
		return;
	uint64_t old = b->mapped_addr;
	b->mapped_addr = PCI_BAR_UNMAPPED;
	if (dev->ops && dev->ops->bar_unmap)
		dev->ops->bar_unmap(dev, idx, old);
	bus_unregister(bar_bus(dev, b), old, b);
	log_debug("%s: BAR%u unmapped from 0x%llx", dev->name, idx, (unsigned long long)old);
}

static int bar_map(struct pci_device *dev, unsigned idx, uint64_t addr, struct error *err)
{
	struct pci_bar *b = &dev->bars[idx];
	struct bus *bus = bar_bus(dev, b);
	if (bus_register(bus, addr, b->size, &pci_bar_bus_ops, b, dev->name, err) < 0)
		return -1;
	if (dev->ops && dev->ops->bar_map && dev->ops->bar_map(dev, idx, addr, err) < 0) {
		bus_unregister(bus, addr, b);
		return -1;
	}
	b->mapped_addr = addr;
	log_debug("%s: BAR%u mapped at 0x%llx (%llu bytes)", dev->name, idx,
		  (unsigned long long)addr, (unsigned long long)b->size);
	return 0;
}

/*
 * Bring every BAR's mapping in line with the command register and the BAR
 * registers. Guest-driven: a refused mapping is logged and the BAR stays
 * unmapped (retried on the next BAR/command write). With strict (device
 * creation), a refusal is an error.
 */
static int pci_update_mappings(struct pci_device *dev, bool strict, struct error *err)
{
	uint64_t target[PCI_NUM_BARS];
	if (!dev->bus)
		return 0;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		target[i] = dev->bars[i].size ? bar_target(dev, i) : PCI_BAR_UNMAPPED;
		if (dev->bars[i].mapped_addr != target[i])
			bar_unmap(dev, i);
	}
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (target[i] == PCI_BAR_UNMAPPED || dev->bars[i].mapped_addr == target[i])
			continue;
		struct error e;
		if (bar_map(dev, i, target[i], &e) < 0) {
			if (strict)
				return err_setf(err, "%s", e.msg);
			log_debug("%s: guest placed BAR%u at 0x%llx, not mapped: %s", dev->name, i,
				  (unsigned long long)target[i], e.msg);
		}
	}
	return 0;
}

uint64_t pci_bar_addr(struct pci_device *dev, unsigned idx)
{
	if (idx >= PCI_NUM_BARS)
		return PCI_BAR_UNMAPPED;
	pthread_mutex_lock(&dev->lock);
	uint64_t a = dev->bars[idx].mapped_addr;
	pthread_mutex_unlock(&dev->lock);
	return a;
}

/* ---- BAR access trampoline ------------------------------------------------- */

static void pci_bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pci_bar *b = opaque;
	struct pci_device *dev = b->dev;
	if (dev->msix && pci_msix_bar_access(dev->msix, b->idx, off, data, len, false))
		return;
	if (b->ops && b->ops->read)
		b->ops->read(b->opaque, off, data, len);
	else
		memset(data, 0xff, len);
}

static void pci_bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pci_bar *b = opaque;
	struct pci_device *dev = b->dev;
	if (dev->msix && pci_msix_bar_access(dev->msix, b->idx, off, (void *)data, len, true))
		return;
	if (b->ops && b->ops->write)
		b->ops->write(b->opaque, off, data, len);
}

/* ---- config space access ----------------------------------------------------- */

static uint32_t cfg_space_size(const struct pci_device *dev)
{
	return dev->express ? PCI_CFG_SIZE : PCI_CFG_LEGACY_SIZE;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint32_t dev_cfg_read(struct pci_device *dev, uint32_t off, uint32_t len)
{
	if (off >= cfg_space_size(dev))
		return ones(len);
	uint32_t v = cfg_get(dev->cfg, off, len);
	if (dev->ops && dev->ops->cfg_read)
		dev->ops->cfg_read(dev, off, len, &v);
	return v & ones(len);
}

static void dev_cfg_write(struct pci_device *dev, uint32_t off, uint32_t len, uint32_t val)
{
	if (off >= cfg_space_size(dev))
		return;
	if (dev->ops && dev->ops->cfg_write && dev->ops->cfg_write(dev, off, len, val))
		return;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint32_t o = off + i;
		uint8_t wm = dev->wmask[o], w1c = dev->w1cmask[o];
		dev->cfg[o] = (uint8_t)(((dev->cfg[o] & ~wm) | (b & wm)) & ~(b & w1c));
	}
	if (overlaps(off, len, PCI_COMMAND, 2) || overlaps(off, len, PCI_BASE_ADDRESS_0, 24))
		pci_update_mappings(dev, false, NULL);
	if (dev->msix && overlaps(off, len, dev->msix->cap + PCI_MSIX_FLAGS, 2))
		pci_msix_control_written(dev->msix);
	if (dev->ops && dev->ops->cfg_written)
		dev->ops->cfg_written(dev, off, len);
}

struct pci_device *pci_bus_find(struct pci_bus *bus, unsigned slot, unsigned func)
{
	if (slot >= PCI_MAX_SLOTS || func >= PCI_MAX_FUNCS)
		return NULL;
	return bus->devs[slot][func];
}

static bool cfg_access_ok(uint32_t off, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && off < PCI_CFG_SIZE && (off & 3) + len <= 4;
}

uint32_t pci_bus_cfg_read(struct pci_bus *bus, unsigned busnr, unsigned devfn, uint32_t off,
			  uint32_t len)
{
	if (!cfg_access_ok(off, len) || busnr != 0)
		return ones(len);
	struct pci_device *dev = pci_bus_find(bus, (devfn >> 3) & 31, devfn & 7);
	if (!dev)
		return ones(len);
	pthread_mutex_lock(&dev->lock);
	uint32_t v = dev_cfg_read(dev, off, len);
	pthread_mutex_unlock(&dev->lock);
	return v;
}

void pci_bus_cfg_write(struct pci_bus *bus, unsigned busnr, unsigned devfn, uint32_t off,
		       uint32_t len, uint32_t val)
{
	if (!cfg_access_ok(off, len) || busnr != 0)
		return;
	struct pci_device *dev = pci_bus_find(bus, (devfn >> 3) & 31, devfn & 7);
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	dev_cfg_write(dev, off, len, val & ones(len));
	pthread_mutex_unlock(&dev->lock);
}

/* Assign firmware addresses to all BARs (bus->lock held). */
static int assign_bars(struct pci_bus *bus, struct pci_device *dev, struct error *err)
{
	/* Largest first keeps natural alignment from wasting the window. */
	unsigned order[PCI_NUM_BARS], n = 0;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (dev->bars[i].size)
			order[n++] = i;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && dev->bars[order[j]].size > dev->bars[order[j - 1]].size; j--) {
			unsigned t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	uint16_t cmd = 0;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = order[k];
		struct pci_bar *b = &dev->bars[i];
		uint64_t addr = 0;
		int rc;
		if (pci_bar_is_io(b)) {
			rc = pci_window_alloc(&bus->win[WIN_IO], b->size, b->size, &addr);
			cmd |= PCI_COMMAND_IO;
		} else {
			uint64_t align = MAX(b->size, 4 * KiB);
			bool high = (b->flags & PCI_BAR_MEM64) && (b->flags & PCI_BAR_PREFETCH);
			rc = pci_window_alloc(&bus->win[high ? WIN_MMIO64 : WIN_MMIO32], b->size, align, &addr);
			if (rc < 0 && !high && (b->flags & PCI_BAR_MEM64))
				rc = pci_window_alloc(&bus->win[WIN_MMIO64], b->size, align, &addr);
			cmd |= PCI_COMMAND_MEMORY;
		}
		if (rc < 0) {
			for (unsigned j = 0; j < k; j++) {
				uint64_t a = bar_reg_addr(dev, order[j]);
				struct pci_window *w = pci_window_of(bus->win, WIN_COUNT, a);
				if (w)
					pci_window_free(w, a);
			}
			const struct pci_window *w64 = &bus->win[WIN_MMIO64];
			return err_setf(err,
				"%s: no room for BAR%u (%llu MiB) in the PCI %s window "
				"(64-bit window is %llu GiB at 0x%llx; a CPU with more physical address bits "
				"or less guest RAM leaves more room)",
				dev->name, i, (unsigned long long)MAX(b->size / MiB, 1ULL),
				pci_bar_is_io(b) ? "I/O" : "memory",
				(unsigned long long)((w64->end - w64->base) / GiB),
				(unsigned long long)w64->base);
		}
		uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t lowflags = pci_cfg_get32(dev, reg) & (pci_bar_is_io(b) ? 3u : 0xFu);
		pci_cfg_set32(dev, reg, (uint32_t)addr | lowflags);
		if (b->flags & PCI_BAR_MEM64)
			pci_cfg_set32(dev, reg + 4, (uint32_t)(addr >> 32));
	}
	pci_cfg_set16(dev, PCI_COMMAND, pci_cfg_get16(dev, PCI_COMMAND) | cmd);
	return 0;
}

static void free_bars(struct pci_bus *bus, struct pci_device *dev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (!dev->bars[i].size)
			continue;
		/* The firmware assignment lives in the reset image. */
		uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * i;
		uint64_t a = cfg_get(dev->cfg_reset, reg, 4) & (pci_bar_is_io(&dev->bars[i]) ? ~3u : ~0xFu);
		if (dev->bars[i].flags & PCI_BAR_MEM64)
			a |= (uint64_t)cfg_get(dev->cfg_reset, reg + 4, 4) << 32;
		struct pci_window *w = pci_window_of(bus->win, WIN_COUNT, a);
		if (w)
			pci_window_free(w, a);
	}
}

static void update_multifunction(struct pci_bus *bus, unsigned slot)
{
	unsigned n = 0;
	for (unsigned f = 0; f < PCI_MAX_FUNCS; f++)
		n += bus->devs[slot][f] != NULL;
	for (unsigned f = 0; f < PCI_MAX_FUNCS; f++) {
		struct pci_device *d = bus->devs[slot][f];
		if (!d)
			continue;
		pthread_mutex_lock(&d->lock);
		uint8_t h = pci_cfg_get8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
		if (n > 1)
			h |= 0x80;
		pci_cfg_set8(d, PCI_HEADER_TYPE, h);
		d->cfg_reset[PCI_HEADER_TYPE] = h;
		pthread_mutex_unlock(&d->lock);
	}
}

int pci_device_register(struct pci_bus *bus, struct pci_device *dev, int slot, int func,
			struct error *err)
{
	if (dev->bus)
		return err_setf(err, "%s: PCI device registered twice", dev->name);
	if (func < 0 || func >= PCI_MAX_FUNCS || slot >= PCI_MAX_SLOTS || (slot < 0 && func != 0))
		return err_setf(err, "%s: bad PCI address %d.%d", dev->name, slot, func);
	pthread_mutex_lock(&bus->lock);
	if (slot < 0) {
		for (int s = 1; s < PCI_MAX_SLOTS && slot < 0; s++) {
			bool empty = true;
			for (unsigned f = 0; f < PCI_MAX_FUNCS; f++)
				empty &= bus->devs[s][f] == NULL;
			if (empty)
				slot = s;
		}
		if (slot < 0) {
			pthread_mutex_unlock(&bus->lock);
			return err_setf(err, "%s: all 31 PCI slots are in use", dev->name);
		}
	}
	if (bus->devs[slot][func]) {
		pthread_mutex_unlock(&bus->lock);
		return err_setf(err, "%s: PCI address 00:%02x.%d is taken by %s", dev->name, slot, func,
				bus->devs[slot][func]->name);
	}
	if (assign_bars(bus, dev, err) < 0) {
		pthread_mutex_unlock(&bus->lock);
		return -1;
	}
	dev->vm = bus->vm;
	dev->slot = (uint8_t)slot;
	dev->func = (uint8_t)func;
	memcpy(dev->cfg_reset, dev->cfg, sizeof(dev->cfg));

	pthread_mutex_lock(&dev->lock);
	dev->bus = bus;
	if (pci_update_mappings(dev, true, err) < 0) {
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			bar_unmap(dev, i);
		dev->bus = NULL;
		pthread_mutex_unlock(&dev->lock);
		free_bars(bus, dev);
		pthread_mutex_unlock(&bus->lock);
		return err_prefix(err, "%s at 00:%02x.%d", dev->name, slot, func);
	}
	pthread_mutex_unlock(&dev->lock);
	bus->devs[slot][func] = dev;
	update_multifunction(bus, (unsigned)slot);
	pthread_mutex_unlock(&bus->lock);
	log_debug("pci: 00:%02x.%d %s [%04x:%04x]", slot, func, dev->name,
		  pci_cfg_get16(dev, PCI_VENDOR_ID), pci_cfg_get16(dev, PCI_DEVICE_ID));
	return 0;
}

void pci_device_unregister(struct pci_device *dev)
{
	struct pci_bus *bus = dev->bus;
	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	pthread_mutex_lock(&dev->lock);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		bar_unmap(dev, i);
	dev->bus = NULL;
	pthread_mutex_unlock(&dev->lock);
	if (bus->devs[dev->slot][dev->func] == dev)
		bus->devs[dev->slot][dev->func] = NULL;
	free_bars(bus, dev);
	update_multifunction(bus, dev->slot);
	pthread_mutex_unlock(&bus->lock);
}

void pci_device_reset(struct pci_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->cfg, dev->cfg_reset, sizeof(dev->cfg));
	pci_update_mappings(dev, false, NULL);
	if (dev->msix)
		pci_msix_reset(dev->msix);
	if (dev->ops && dev->ops->reset)
		dev->ops->reset(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* ---- the bus ------------------------------------------------------------------ */

/* The windows firmware places BARs in, as the layout (and ACPI) has them. */
static void bus_windows_init(struct pci_bus *bus, const struct vm *vm)
{
	bus->win[WIN_IO] = (struct pci_window){ .name = "io", .base = LAYOUT_PORT_PCI_IO_BASE,
						.end = LAYOUT_PORT_PCI_IO_END };
	bus->win[WIN_MMIO32] = (struct pci_window){ .name = "mmio32", .base = LAYOUT_MMIO32_BASE,
						    .end = LAYOUT_MMIO32_END };
	bus->win[WIN_MMIO64] = (struct pci_window){
		.name = "mmio64", .base = vm->layout.mmio64_base,
		.end = vm->layout.mmio64_base + vm->layout.mmio64_size };
}

struct pci_bus *pci_bus_create(struct vm *vm, struct error *err)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	if (!bus) {
		err_setf(err, "out of memory");
		return NULL;
	}
	bus->vm = vm;
	pthread_mutex_init(&bus->lock, NULL);
	bus_windows_init(bus, vm);
	if (pci_host_attach(bus, err) < 0) {
		pci_bus_destroy(bus);
		return NULL;
	}
	vm->pci = bus;
	return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	struct vm *vm = bus->vm;
	pci_host_detach(bus);
	for (unsigned i = 0; i < WIN_COUNT; i++)
		pci_window_release(&bus->win[i]);
	if (vm->pci == bus)
		vm->pci = NULL;
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}
