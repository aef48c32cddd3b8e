// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI address-window allocator: the I/O, 32-bit and 64-bit windows the
 * VMM, acting as firmware, places BARs in (pci.c). Separate because it
 * knows nothing of PCI: a sorted list of taken ranges inside [base, end).
 */
#include "vmm/pci_internal.h"

#include <stdlib.h>
#include <string.h>

struct pci_alloc {
	uint64_t base, len;
};

int pci_window_alloc(struct pci_window *w, uint64_t size, uint64_t align, uint64_t *out)
{
	if (w->end <= w->base || size > w->end - w->base)
		return -1;
	uint64_t cand = ALIGN_UP(w->base, align);
	unsigned at = 0;
	for (; at < w->nr; at++) {
		const struct pci_alloc *r = &w->used[at];
		if (r->base + r->len <= cand)
			continue;
		if (cand + size <= r->base)
			break;
		cand = ALIGN_UP(r->base + r->len, align);
	}
	if (cand < w->base || cand > w->end || size > w->end - cand)
		return -1;
	if (w->nr == w->cap) {
		unsigned cap = w->cap ? w->cap * 2 : 16;
		struct pci_alloc *n = realloc(w->used, cap * sizeof(*n));
		if (!n)
			return -1;
		w->used = n;
		w->cap = cap;
	}
	memmove(&w->used[at + 1], &w->used[at], (w->nr - at) * sizeof(*w->used));
	w->used[at] = (struct pci_alloc){ cand, size };
	w->nr++;
	*out = cand;
	return 0;
}

void pci_window_free(struct pci_window *w, uint64_t base)
{
	for (unsigned i = 0; i < w->nr; i++) {
		if (w->used[i].base == base) {
			memmove(&w->used[i], &w->used[i + 1], (w->nr - i - 1) * sizeof(*w->used));
			w->nr--;
			return;
		}
	}
}

struct pci_window *pci_window_of(struct pci_window *win, unsigned nr, uint64_t addr)
{
	for (unsigned i = 0; i < nr; i++)
		if (addr >= win[i].base && addr < win[i].end)
			return &win[i];
	return NULL;
}

void pci_window_release(struct pci_window *w)
{
	free(w->used);
	w->used = NULL;
	w->nr = w->cap = 0;
}
