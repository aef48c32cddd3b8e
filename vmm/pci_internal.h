/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI internals shared by vmm/pci*.c; not for use outside them. Devices
 * keep to pci.h, which leaves struct pci_bus opaque.
 *
 * The bus (pci.c) owns the table of functions and BAR placement; it calls
 * into MSI-X emulation (pci_msix.c) for table/PBA accesses, message
 * control writes and reset, into the host bridge (pci_host.c) to create
 * and remove the config access mechanisms and 00:00.0, and into the
 * window allocator (pci_window.c) to place BARs.
 */
#ifndef PASSVM_PCI_INTERNAL_H
#define PASSVM_PCI_INTERNAL_H

#include "vmm/pci.h"

static inline bool pci_bar_is_io(const struct pci_bar *b)
{
	return b->flags & PCI_BAR_IO;
}

/* Little-endian access data <-> value, as config space and MSI-X tables are. */
static inline void pci_val_to_data(void *data, uint32_t len, uint64_t v)
{
	uint8_t *d = data;
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t pci_data_to_val(const void *data, uint32_t len)
{
	const uint8_t *d = data;
	uint64_t v = 0;
	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

/* ---- address windows (pci_window.c) --------------------------------------- */

enum { WIN_IO, WIN_MMIO32, WIN_MMIO64, WIN_COUNT };

struct pci_alloc;

struct pci_window {
	const char *name;
	uint64_t base, end;          /* [base, end) */
	struct pci_alloc *used;      /* sorted by base */
	unsigned nr, cap;
};

/* Take `size` bytes at an `align`-aligned address; -1 when there is no room. */
int pci_window_alloc(struct pci_window *w, uint64_t size, uint64_t align, uint64_t *out);
/* Give back the allocation that starts at base (none: nothing happens). */
void pci_window_free(struct pci_window *w, uint64_t base);
/* The window among win[0..nr) that holds addr, or NULL. */
struct pci_window *pci_window_of(struct pci_window *win, unsigned nr, uint64_t addr);
void pci_window_release(struct pci_window *w);

/* ---- host bridge and config access (pci_host.c) ---------------------------- */

struct pci_host {
	struct pci_device dev;       /* 00:00.0 */
	_Atomic uint32_t cf8;        /* CONFIG_ADDRESS */
	bool pio_cf8, pio_cfc, ecam; /* what is claimed, for detach */
	/* A range that sat inside 0xCF8-0xCFB before us (q35 reset control at
	 * 0xCF9): non-dword accesses there are forwarded to it. */
	bool has_chained;
	struct bus_range chained;
	uint64_t ecam_base, ecam_size; /* where the window decodes (ecam: it does) */
	bool ecam_warned;            /* a PCIEXBAR over something else: said once */
};

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;        /* registration + allocation */
	struct pci_device *devs[PCI_MAX_SLOTS][PCI_MAX_FUNCS];
	struct pci_host host;
	struct pci_window win[WIN_COUNT];
};

/* Claim 0xCF8-0xCFF and the ECAM window, register 00:00.0 (bus->vm and the
 * windows set up). A failure leaves what was done for pci_host_detach(). */
int pci_host_attach(struct pci_bus *bus, struct error *err);
/* Undo pci_host_attach, however far it got. */
void pci_host_detach(struct pci_bus *bus);

/* ---- MSI-X (pci_msix.c) ------------------------------------------------------ */

/* A guest access to BAR `bar` at off: true when it hit the table or PBA
 * and was handled (reads filled in). */
bool pci_msix_bar_access(struct pci_msix *m, unsigned bar, uint64_t off, void *data,
			 uint32_t len, bool is_write);
/* Message control was written (dev->lock held). */
void pci_msix_control_written(struct pci_msix *m);
/* Function-level reset: disabled, all vectors masked and cleared. */
void pci_msix_reset(struct pci_msix *m);

#endif
