// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X emulation for emulated and passthrough PCI devices: the capability,
 * the vector table and PBA inside a BAR, and delivery through KVM (irqfd on
 * a GSI route per vector, KVM_SIGNAL_MSI as the fallback). Separate from
 * the bus (pci.c) because it has its own lock, its own state per vector and
 * its own contract with KVM; the bus only routes BAR accesses, message
 * control writes and resets here (pci_internal.h).
 */
#include "vmm/pci_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/vm.h"

static bool msix_masked(const struct pci_msix *m, unsigned i)
{
	return !m->enabled || m->fmask || (m->v[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool vm_has_kvm(const struct pci_msix *m)
{
	return m->dev->vm && m->dev->vm->vm_fd >= 0;
}

/* Program the GSI route and irqfd for an unmasked vector (msix->lock held). */
static void msix_vector_arm(struct pci_msix *m, unsigned i)
{
	struct pci_msix_vector *v = &m->v[i];
	if (!vm_has_kvm(m) || v->direct)
		return;
	struct vm *vm = m->dev->vm;
	uint64_t addr = ((uint64_t)v->addr_hi << 32) | v->addr_lo;
	struct error e;
	if (v->gsi < 0) {
		int gsi = vm_msi_route_add(vm, addr, v->data, &e);
		if (gsi < 0)
			goto fail;
		v->gsi = gsi;
		v->route_stale = false;
	} else if (v->route_stale) {
		if (vm_msi_route_update(vm, (uint32_t)v->gsi, addr, v->data, &e) < 0)
			goto fail;
		v->route_stale = false;
	}
	if (!v->irqfd) {
		if (vm_irqfd(vm, (uint32_t)v->gsi, v->efd, -1, true, &e) < 0)
			goto fail;
		v->irqfd = true;
	}
	return;
fail:
	/* Still deliver, just slower: inject each message with KVM_SIGNAL_MSI. */
	log_warn("%s: MSI-X vector %u: %s; falling back to direct MSI injection",
		 m->dev->name, i, e.msg);
	v->direct = true;
}

static void msix_deliver(struct pci_msix *m, unsigned i)
{
	struct pci_msix_vector *v = &m->v[i];
	m->stats_delivered++;
	if (v->direct && vm_has_kvm(m)) {
		uint64_t addr = ((uint64_t)v->addr_hi << 32) | v->addr_lo;
		vm_signal_msi(m->dev->vm, addr, v->data);
		return;
	}
	uint64_t one = 1;
	if (write(v->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("%s: MSI-X vector %u eventfd: %s", m->dev->name, i, strerror(errno));
}

static void msix_pba_set(struct pci_msix *m, unsigned i, bool on)
{
	if (on)
		m->pba[i / 64] |= 1ULL << (i % 64);
	else
		m->pba[i / 64] &= ~(1ULL << (i % 64));
}

static bool msix_pba_get(const struct pci_msix *m, unsigned i)
{
	return m->pba[i / 64] & (1ULL << (i % 64));
}

/* The vector went from unmasked to masked (msix->lock held). Emulated devices
 * check the mask before signalling; an outside source does not, so its irqfd
 * goes until the vector is unmasked again. */
static void msix_vector_masked(struct pci_msix *m, unsigned i)
{
	struct pci_msix_vector *v = &m->v[i];
	if (!m->external || !v->irqfd || !vm_has_kvm(m))
		return;
	vm_irqfd(m->dev->vm, (uint32_t)v->gsi, v->efd, -1, false, NULL);
	v->irqfd = false;
}

/* An outside source's pending message waits in the eventfd. */
static bool msix_efd_pending(const struct pci_msix_vector *v)
{
	struct pollfd p = { .fd = v->efd, .events = POLLIN };
	return v->efd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The vector went from masked to unmasked (msix->lock held). */
static void msix_vector_unmasked(struct pci_msix *m, unsigned i)
{
	msix_vector_arm(m, i);
	if (msix_pba_get(m, i)) {
		msix_pba_set(m, i, false);
		msix_deliver(m, i);
	}
}

/* Message control was written (dev->lock held). */
void pci_msix_control_written(struct pci_msix *m)
{
	uint16_t ctl = pci_cfg_get16(m->dev, m->cap + PCI_MSIX_FLAGS);
	pthread_mutex_lock(&m->lock);
	bool was_off = !m->enabled || m->fmask;
	m->enabled = ctl & PCI_MSIX_FLAGS_ENABLE;
	m->fmask = ctl & PCI_MSIX_FLAGS_MASKALL;
	bool now_off = !m->enabled || m->fmask;
	for (unsigned i = 0; i < m->nr; i++) {
		bool vmask = m->v[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		if (was_off && !now_off && !vmask)
			msix_vector_unmasked(m, i);
		else if (!was_off && now_off && !vmask)
			msix_vector_masked(m, i);
	}
	pthread_mutex_unlock(&m->lock);
}

static void msix_table_write32(struct pci_msix *m, unsigned i, unsigned field, uint32_t val)
{
	struct pci_msix_vector *v = &m->v[i];
	bool was = msix_masked(m, i);
	switch (field) {
	case 0: v->addr_lo = val & ~3u; v->route_stale = true; break;
	case 1: v->addr_hi = val; v->route_stale = true; break;
	case 2: v->data = val; v->route_stale = true; break;
	default: v->ctrl = val & PCI_MSIX_ENTRY_CTRL_MASKBIT; break;
	}
	bool now = msix_masked(m, i);
	if (was && !now)
		msix_vector_unmasked(m, i);
	else if (!was && now)
		msix_vector_masked(m, i);
	else if (!now && field != 3 && v->gsi >= 0)
		msix_vector_arm(m, i); /* changed while live: update the route now */
}

/* Accesses to the table/PBA inside the BAR; returns true when handled. */
bool pci_msix_bar_access(struct pci_msix *m, unsigned bar, uint64_t off, void *data,
			 uint32_t len, bool is_write)
{
	if (bar != m->bar)
		return false;
	uint64_t tsize = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t psize = ALIGN_UP((uint64_t)m->nr, 64u) / 8;
	bool in_table = off >= m->table_off && off - m->table_off < tsize;
	bool in_pba = off >= m->pba_off && off - m->pba_off < psize;
	if (!in_table && !in_pba)
		return false;
	/* Only aligned dword/qword accesses are defined; the rest read ~0. */
	uint64_t rel = in_table ? off - m->table_off : off - m->pba_off;
	uint64_t size = in_table ? tsize : psize;
	if ((len != 4 && len != 8) || (rel & (len - 1)) || rel + len > size) {
		if (!is_write)
			memset(data, 0xff, len);
		return true;
	}
	pthread_mutex_lock(&m->lock);
	if (in_pba) {
		if (!is_write) {
			uint64_t q = m->pba[rel / 8];
			for (unsigned b = 0; m->external && b < 64 && (rel / 8) * 64 + b < m->nr; b++) {
				unsigned i = (unsigned)(rel / 8) * 64 + b;
				if (msix_masked(m, i) && msix_efd_pending(&m->v[i]))
					q |= 1ULL << b;
			}
			pci_val_to_data(data, len, len == 8 ? q : (uint32_t)(q >> (8 * (rel % 8))));
		}
	} else {
		for (uint32_t done = 0; done < len; done += 4) {
			uint64_t r = rel + done;
			unsigned i = (unsigned)(r / PCI_MSIX_ENTRY_SIZE), field = (unsigned)(r % 16) / 4;
			struct pci_msix_vector *v = &m->v[i];
			if (is_write) {
				msix_table_write32(m, i, field,
						   (uint32_t)pci_data_to_val((const uint8_t *)data + done, 4));
			} else {
				uint32_t words[4] = { v->addr_lo, v->addr_hi, v->data, v->ctrl };
				pci_val_to_data((uint8_t *)data + done, 4, words[field]);
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
	return true;
}

void pci_msix_reset(struct pci_msix *m)
{
	pthread_mutex_lock(&m->lock);
	m->enabled = m->fmask = false;
	for (unsigned i = 0; i < m->nr; i++) {
		struct pci_msix_vector *v = &m->v[i];
		v->addr_lo = v->addr_hi = v->data = 0;
		v->ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		v->route_stale = true;
	}
	memset(m->pba, 0, ALIGN_UP((size_t)m->nr, 64u) / 8);
	/* Drain eventfds so nothing stale is counted by a test or a late irqfd. */
	for (unsigned i = 0; i < m->nr; i++) {
		uint64_t c;
		if (read(m->v[i].efd, &c, sizeof(c)) < 0 && errno != EAGAIN)
			log_debug("%s: MSI-X drain: %s", m->dev->name, strerror(errno));
	}
	pthread_mutex_unlock(&m->lock);
}

static int msix_init(struct pci_msix *m, struct pci_device *dev, unsigned nr, unsigned bar,
		     uint32_t table_off, uint32_t pba_off, int at, struct error *err)
{
	memset(m, 0, sizeof(*m));
	m->dev = dev;
	if (nr == 0 || nr > 2048)
		return err_setf(err, "%s: MSI-X vector count %u must be 1..2048", dev->name, nr);
	if (bar >= PCI_NUM_BARS || !dev->bars[bar].size || pci_bar_is_io(&dev->bars[bar]))
		return err_setf(err, "%s: MSI-X BAR%u is not a memory BAR", dev->name, bar);
	uint64_t tsize = (uint64_t)nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t psize = ALIGN_UP((uint64_t)nr, 64u) / 8;
	uint64_t bsize = dev->bars[bar].size;
	if ((table_off | pba_off) & 7 || table_off > bsize || tsize > bsize - table_off ||
	    pba_off > bsize || psize > bsize - pba_off ||
	    (table_off < pba_off + psize && pba_off < table_off + tsize))
		return err_setf(err, "%s: MSI-X table/PBA do not fit BAR%u", dev->name, bar);
	if (dev->msix)
		return err_setf(err, "%s: MSI-X is already set up", dev->name);

	m->nr = nr;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	pthread_mutex_init(&m->lock, NULL);
	m->v = calloc(nr, sizeof(*m->v));
	m->pba = calloc(psize / 8, sizeof(uint64_t));
	if (!m->v || !m->pba) {
		pci_msix_destroy(m);
		return err_setf(err, "out of memory");
	}
	for (unsigned i = 0; i < nr; i++)
		m->v[i].efd = -1;
	for (unsigned i = 0; i < nr; i++) {
		m->v[i].gsi = -1;
		m->v[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->v[i].efd < 0) {
			int e = errno;
			pci_msix_destroy(m);
			return err_setf(err, "%s: cannot create MSI-X eventfd: %s", dev->name, strerror(e));
		}
	}
	int cap = at >= 0 ? at : pci_add_capability(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, err);
	if (cap < 0) {
		pci_msix_destroy(m);
		return -1;
	}
	m->cap = (uint8_t)cap;
	pci_cfg_set16(dev, (uint32_t)cap + PCI_MSIX_FLAGS, (uint16_t)(nr - 1));
	pci_cfg_set_wmask16(dev, (uint32_t)cap + PCI_MSIX_FLAGS,
			    PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_cfg_set32(dev, (uint32_t)cap + PCI_MSIX_TABLE, table_off | bar);
	pci_cfg_set32(dev, (uint32_t)cap + PCI_MSIX_PBA, pba_off | bar);
	dev->msix = m;
	return 0;
}

int pci_msix_init(struct pci_msix *m, struct pci_device *dev, unsigned nr, unsigned bar,
		  uint32_t table_off, uint32_t pba_off, struct error *err)
{
	return msix_init(m, dev, nr, bar, table_off, pba_off, -1, err);
}

int pci_msix_init_at(struct pci_msix *m, struct pci_device *dev, unsigned nr, unsigned bar,
		     uint32_t table_off, uint32_t pba_off, uint8_t cap, struct error *err)
{
	if (cap < PCI_STD_HEADER_SIZEOF || cap + PCI_CAP_MSIX_SIZEOF > (int)PCI_CFG_LEGACY_SIZE) {
		memset(m, 0, sizeof(*m));
		return err_setf(err, "%s: MSI-X capability offset 0x%x is out of range", dev->name, cap);
	}
	return msix_init(m, dev, nr, bar, table_off, pba_off, cap, err);
}

void pci_msix_destroy(struct pci_msix *m)
{
	if (m->dev && m->dev->msix == m)
		m->dev->msix = NULL;
	for (unsigned i = 0; m->v && i < m->nr; i++) {
		struct pci_msix_vector *v = &m->v[i];
		if (v->irqfd && vm_has_kvm(m))
			vm_irqfd(m->dev->vm, (uint32_t)v->gsi, v->efd, -1, false, NULL);
		if (v->efd >= 0)
			close(v->efd);
	}
	if (m->v || m->pba)
		pthread_mutex_destroy(&m->lock);
	free(m->v);
	free(m->pba);
	m->v = NULL;
	m->pba = NULL;
	m->nr = 0;
}

void pci_msix_notify(struct pci_device *dev, unsigned vector)
{
	struct pci_msix *m = dev->msix;
	if (!m || vector >= m->nr)
		return;
	pthread_mutex_lock(&m->lock);
	if (msix_masked(m, vector)) {
		msix_pba_set(m, vector, true);
		m->stats_pended++;
	} else {
		msix_deliver(m, vector);
	}
	pthread_mutex_unlock(&m->lock);
}

bool pci_msix_enabled(struct pci_device *dev)
{
	struct pci_msix *m = dev->msix;
	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	bool en = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return en;
}

int pci_msix_vector_fd(struct pci_device *dev, unsigned vector)
{
	struct pci_msix *m = dev->msix;
	return m && vector < m->nr ? m->v[vector].efd : -1;
}
