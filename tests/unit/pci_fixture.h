/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the PCI/virtio unit tests: a `struct vm` without KVM (vm_fd -1,
 * so MSI-X routes/irqfds and ioeventfds are skipped and interrupts are
 * observed on the vectors' eventfds), with real guest RAM, buses, an event
 * loop (optionally run on a thread) and the PCI host bridge.
 */
#ifndef PASSVM_TEST_PCI_FIXTURE_H
#define PASSVM_TEST_PCI_FIXTURE_H

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/evloop.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/pci.h"
#include "vmm/virtio/rng.h"
#include "vmm/vm.h"

struct pci_fixture {
	struct vm vm;
	struct vm_config cfg;
	pthread_t loop_thread;
	bool loop_running;
};

static inline struct pci_fixture *pf_new(uint64_t ram)
{
	struct pci_fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct error err = { { 0 } };
	config_defaults(&f->cfg);
	f->cfg.memory = ram;
	virtio_rng_config(&f->cfg)->enabled = false;
	struct vm *vm = &f->vm;
	vm->cfg = &f->cfg;
	vm->kvm_fd = vm->vm_fd = vm->signal_fd = -1;
	vm->phys_bits = 40;
	assert_int_equal(layout_compute(&vm->layout, ram, vm->phys_bits), 0);
	assert_int_equal(gmem_create(&vm->mem, &vm->layout, GMEM_HUGE_NONE, NULL, &err), 0);
	assert_int_equal(bus_init(&vm->pio, "pio"), 0);
	assert_int_equal(bus_init(&vm->mmio, "mmio"), 0);
	assert_int_equal(evloop_init(&vm->loop, &err), 0);
	return f;
}

static inline struct pci_fixture *pf_new_with_bus(uint64_t ram)
{
	struct pci_fixture *f = pf_new(ram);
	struct error err = { { 0 } };
	struct pci_bus *bus = pci_bus_create(&f->vm, &err);
	if (!bus)
		fail_msg("pci_bus_create: %s", err.msg);
	assert_ptr_equal(f->vm.pci, bus);
	return f;
}

static inline void *pf_loop_main(void *arg)
{
	struct pci_fixture *f = arg;
	evloop_run(&f->vm.loop);
	return NULL;
}

static inline void pf_loop_start(struct pci_fixture *f)
{
	assert_int_equal(pthread_create(&f->loop_thread, NULL, pf_loop_main, f), 0);
	f->loop_running = true;
}

static inline void pf_loop_stop(struct pci_fixture *f)
{
	if (!f->loop_running)
		return;
	evloop_stop(&f->vm.loop);
	pthread_join(f->loop_thread, NULL);
	f->loop_running = false;
}

static inline void pf_free(struct pci_fixture *f)
{
	pf_loop_stop(f);
	if (f->vm.pci)
		pci_bus_destroy(f->vm.pci);
	evloop_destroy(&f->vm.loop);
	gmem_destroy(&f->vm.mem);
	bus_destroy(&f->vm.pio);
	bus_destroy(&f->vm.mmio);
	free(f);
}

/* ---- guest-style accesses -------------------------------------------------- */

static inline uint32_t pf_bdf_cf8(unsigned bus, unsigned dev, unsigned fn, uint32_t off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xFC) | ((off & 0xF00) << 16);
}

static inline uint32_t pf_cf8_read(struct pci_fixture *f, unsigned bus, unsigned dev, unsigned fn,
				   uint32_t off, uint32_t len)
{
	uint32_t a = pf_bdf_cf8(bus, dev, fn, off), v = 0;
	bus_access(&f->vm.pio, 0xCF8, &a, 4, true);
	bus_access(&f->vm.pio, 0xCFC + (off & 3), &v, len, false);
	return v;
}

static inline void pf_cf8_write(struct pci_fixture *f, unsigned bus, unsigned dev, unsigned fn,
				uint32_t off, uint32_t len, uint32_t v)
{
	uint32_t a = pf_bdf_cf8(bus, dev, fn, off);
	bus_access(&f->vm.pio, 0xCF8, &a, 4, true);
	bus_access(&f->vm.pio, 0xCFC + (off & 3), &v, len, true);
}

static inline uint64_t pf_ecam_addr(unsigned bus, unsigned dev, unsigned fn, uint32_t off)
{
	return LAYOUT_ECAM_BASE + ((uint64_t)bus << 20 | dev << 15 | fn << 12 | off);
}

static inline uint32_t pf_ecam_read(struct pci_fixture *f, unsigned dev, unsigned fn, uint32_t off,
				    uint32_t len)
{
	uint32_t v = 0;
	bus_access(&f->vm.mmio, pf_ecam_addr(0, dev, fn, off), &v, len, false);
	return v;
}

static inline void pf_ecam_write(struct pci_fixture *f, unsigned dev, unsigned fn, uint32_t off,
				 uint32_t len, uint32_t v)
{
	bus_access(&f->vm.mmio, pf_ecam_addr(0, dev, fn, off), &v, len, true);
}

static inline uint64_t pf_mmio_read(struct pci_fixture *f, uint64_t addr, uint32_t len)
{
	uint64_t v = 0;
	bus_access(&f->vm.mmio, addr, &v, len, false);
	return v;
}

static inline void pf_mmio_write(struct pci_fixture *f, uint64_t addr, uint32_t len, uint64_t v)
{
	bus_access(&f->vm.mmio, addr, &v, len, true);
}

/* Read an eventfd's count without blocking (0 when nothing was signalled). */
static inline uint64_t pf_eventfd_take(int fd)
{
	uint64_t c = 0;
	if (read(fd, &c, sizeof(c)) != sizeof(c))
		return 0;
	return c;
}

/* Wait up to ms for an eventfd; returns its count, 0 on timeout. */
static inline uint64_t pf_eventfd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1)
		return 0;
	return pf_eventfd_take(fd);
}

#endif
