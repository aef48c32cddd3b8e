// SPDX-License-Identifier: GPL-2.0-only
/*
 * scream: plays like Scream's Windows driver in IVSHMEM mode
 * (audio/scream_wire.h). Finds the ivshmem device whose BAR2 is
 * `scream_size=` bytes, writes the header the way the driver does (zeroed,
 * filled, magic last), waits `lead_ms=` for the host to start following,
 * then writes `chunks=` chunks of 20 ms, 48 kHz, 16-bit stereo, one every
 * 20 ms of the PIT's time (the driver is paced by Windows' audio engine),
 * and `tail_ms=` later zeroes the header as the driver does on close.
 *
 * Frame f is scream_frame(f), so the host test (tests/kvm/audio-scream.sh)
 * finds exactly where the stream starts in what PipeWire recorded and
 * checks every sample after that. Chunks are due every 20 ms from the
 * first (the TSC is calibrated on the PIT), so a slow write is caught up.
 */
#include "pci.h"

const char payload_name[] = "scream";

#define SCREAM_MAGIC 0x11112014u
#define RATE 48000u
#define CHANNELS 2u
#define CHUNK_FRAMES (RATE / 50u)
#define CHUNK_BYTES (CHUNK_FRAMES * CHANNELS * 2u)
#define HEADER_BYTES 24u
#define PIT_HZ 1193182u

/* Frame f as one little-endian word: left in the low half. Cheap on
 * purpose (code runs slowly on some hosts' KVM) and unique for 65536
 * frames, so the host test can line the recording up with it. */
static uint32_t scream_frame(uint32_t f)
{
	return (uint16_t)(f * 7u) | (uint32_t)(uint16_t)(f * 13u + 1u) << 16;
}

/* Wait `ms` (up to 50) on PIT channel 2, mode 0, gate on, speaker off. */
static void pit_wait_ms(uint32_t ms)
{
	uint32_t count = PIT_HZ * ms / 1000u;
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02u) | 0x01u));
	outb(0x43, 0xb0); /* channel 2, lo/hi byte, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	uint64_t t0 = rdtsc();
	while (!(inb(0x61) & 0x20)) {
		cpu_relax();
		CHECK(rdtsc() - t0 < WAIT_LONG, "PIT channel 2 never fired");
	}
}

static void sleep_ms(uint32_t ms)
{
	for (; ms > 20; ms -= 20)
		pit_wait_ms(20);
	pit_wait_ms(ms);
}

int main(const struct hvm_start_info *si)
{
	(void)si;
	uint32_t size = parse_u32(cmdline_get("scream_size"), 2u << 20);
	uint32_t chunks = parse_u32(cmdline_get("chunks"), 75);
	uint32_t lead = parse_u32(cmdline_get("lead_ms"), 300);
	uint32_t tail = parse_u32(cmdline_get("tail_ms"), 400);
	int f = pci_find(0x1af4, 0x1110);
	CHECK(f >= 0, "no ivshmem device 1af4:1110");
	uint32_t bdf = (uint32_t)f;
	struct pci_bar shm;
	pci_bar_probe(bdf, 2, &shm);
	CHECK(shm.size == size, "BAR2 is 0x%llx bytes, want scream_size 0x%x", shm.size, size);
	pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_MEM);
	uintptr_t base = pci_bar_place_low(bdf, 2, &shm);

	uint32_t max_chunks = size / CHUNK_BYTES;
	for (uint32_t i = 0; i < HEADER_BYTES; i += 4)
		mmio_write32(base + i, 0);
	mmio_write8(base + 6, HEADER_BYTES);          /* offset */
	mmio_write16(base + 8, (uint16_t)max_chunks); /* max_chunks */
	mmio_write32(base + 12, CHUNK_BYTES);         /* chunk_size */
	mmio_write8(base + 16, 1);                    /* 48000 x 1 */
	mmio_write8(base + 17, 16);                   /* bits */
	mmio_write8(base + 18, CHANNELS);
	mmio_write16(base + 20, 0x3);                 /* FL FR */
	mb();
	mmio_write32(base, SCREAM_MAGIC);
	pr("scream: ring of %u chunks of %u bytes; playing %u chunks\n", max_chunks, CHUNK_BYTES,
	   chunks);
	sleep_ms(lead);
	uint64_t t0 = rdtsc();
	pit_wait_ms(20);
	uint64_t period = rdtsc() - t0; /* TSC ticks per chunk */
	uint16_t write_idx = 0;
	uint32_t frame = 0, late = 0;
	t0 = rdtsc();
	for (uint32_t c = 0; c < chunks; c++) {
		if (++write_idx >= max_chunks)
			write_idx = 0;
		uintptr_t slot = base + HEADER_BYTES + (uintptr_t)write_idx * CHUNK_BYTES;
		for (uint32_t i = 0; i < CHUNK_FRAMES; i++, frame++)
			mmio_write32(slot + 4 * i, scream_frame(frame));
		mb();
		mmio_write16(base + 4, write_idx);
		uint64_t due = t0 + (c + 1) * period;
		if (rdtsc() > due)
			late++;
		while (rdtsc() < due)
			cpu_relax();
	}
	sleep_ms(tail);
	mmio_write32(base, 0); /* the driver's close */
	pr("scream: %u frames played (%u chunks written late)\n", frame, late);
	return 0;
}
