// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_exits: the guest side of bench/ (see bench/README.md). Times N
 * exits of each kind with the TSC, the same loops bench/kvm_exit_raw runs
 * under a bare KVM_RUN loop, so passvm's per-exit overhead is
 * (passvm cycles - raw cycles) and the figure of merit is their ratio.
 *
 * Prints one line per kind:
 *   BENCH <kind> n=<N> reps=<R> min=<cycles/exit> median=<cycles/exit>
 * Command line: bench_n=<N> (default 200000), bench_reps=<R> (default 5).
 * Also "virtio_rng_request" (N/100 polled virtio-rng requests): the
 * notify -> ioeventfd -> event loop -> used ring path; no raw counterpart.
 */
#include "virtio.h"

const char payload_name[] = "bench_exits";

#define UNCLAIMED_PORT 0x0EF0
#define UNCLAIMED_MMIO 0xFEBF0000u

enum kind { PIO_OUT, PIO_IN, MMIO_WRITE, MMIO_READ, PIO_OUT_SCR, CPUID_EXIT, RNG_REQ, NKINDS };
static const char *const names[NKINDS] = {
	"pio_out", "pio_in", "mmio_write", "mmio_read", "pio_out_serial_scr", "cpuid_in_kernel",
	"virtio_rng_request",
};

/* virtio_rng_request: one polled 64-byte request (notify -> ioeventfd ->
 * passvm's event loop -> used ring), no interrupt. No raw counterpart. */
static struct vdev rng;
static struct vq rngq;
static bool rng_ready;
static uint8_t rng_buf[64];

static uint32_t rng_requests(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		vq_add(&rngq, (uint32_t)(uintptr_t)rng_buf, sizeof(rng_buf), true);
		vq_kick(&rngq);
		for (uint32_t spin = 0; !vq_has_used(&rngq); spin++) {
			CHECK(spin < 400000000u, "virtio-rng request %u never completed", i);
			cpu_relax();
		}
		uint32_t id, len;
		vq_get(&rngq, &id, &len);
	}
	return n;
}

/* The loops are asm so they match bench/kvm_exit_raw.c instruction for instruction. */
static uint64_t run(enum kind k, uint32_t n)
{
	uint64_t t0 = rdtsc_ordered();
	switch (k) {
	case PIO_OUT:
		__asm__ volatile("1: outb %%al, %%dx; decl %%ecx; jnz 1b"
				 : "+c"(n) : "a"(0), "d"(UNCLAIMED_PORT) : "memory");
		break;
	case PIO_IN:
		__asm__ volatile("1: inb %%dx, %%al; decl %%ecx; jnz 1b"
				 : "+c"(n) : "d"(UNCLAIMED_PORT) : "eax", "memory");
		break;
	case MMIO_WRITE:
		__asm__ volatile("1: movl %%eax, (%%ebx); decl %%ecx; jnz 1b"
				 : "+c"(n) : "a"(0), "b"(UNCLAIMED_MMIO) : "memory");
		break;
	case MMIO_READ:
		__asm__ volatile("1: movl (%%ebx), %%eax; decl %%ecx; jnz 1b"
				 : "+c"(n) : "b"(UNCLAIMED_MMIO) : "eax", "memory");
		break;
	case PIO_OUT_SCR:
		__asm__ volatile("1: outb %%al, %%dx; decl %%ecx; jnz 1b"
				 : "+c"(n) : "a"(0x5a), "d"(PORT_COM1 + 7) : "memory");
		break;
	case RNG_REQ:
		rng_requests(n);
		break;
	case CPUID_EXIT:
		__asm__ volatile("1: movl %%esi, %%ecx; xorl %%eax, %%eax; cpuid; decl %%esi; jnz 1b"
				 : "+S"(n) : : "eax", "ebx", "ecx", "edx", "memory");
		break;
	default:
		break;
	}
	return rdtsc_ordered() - t0;
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t n = parse_u32(cmdline_get("bench_n"), 200000);
	uint32_t reps = parse_u32(cmdline_get("bench_reps"), 5);
	if (!n)
		n = 1;
	if (reps < 1 || reps > 31)
		reps = 5;
	if (pci_find(VIRTIO_VENDOR, VIRTIO_PCI_DEVICE(VIRTIO_ID_RNG)) >= 0) {
		virtio_open(&rng, VIRTIO_ID_RNG, false);
		virtio_negotiate(&rng, 0);
		virtio_vq_setup(&rng, &rngq, 0, 8, VIRTIO_MSI_NO_VECTOR, 0);
		virtio_driver_ok(&rng);
		rng_ready = true;
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t c[31];
		uint32_t kn = n;
		if (k == RNG_REQ) {
			if (!rng_ready)
				continue;
			kn = n / 100 ? n / 100 : 1; /* ~100x slower than one exit */
		}
		run(k, kn < 1000 ? kn : 1000); /* warm up */
		for (uint32_t r = 0; r < reps; r++) {
			uint64_t v = udiv64(run(k, kn), kn, NULL);
			uint32_t j = r; /* insertion sort */
			while (j && c[j - 1] > v) {
				c[j] = c[j - 1];
				j--;
			}
			c[j] = v;
		}
		pr("BENCH %s n=%u reps=%u min=%llu median=%llu\n", names[k], kn, reps, c[0],
		   c[reps / 2]);
	}
	return 0;
}
