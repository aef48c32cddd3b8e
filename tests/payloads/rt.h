/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The payload runtime: freestanding helpers for tiny PVH guests that test
 * passvm from the inside (32-bit flat protected mode, paging off).
 *
 * Protocol with the host harness (tests/kvm/run-payload.sh), all on COM1:
 *   "PAYLOAD-START <name>"   rt_main() reached (the loader and entry work)
 *   "PAYLOAD-OK <name>"      main() returned 0; then ACPI power-off (exit 0)
 *   "PAYLOAD-FAIL <msg>"     a check failed; then a write to the debug-exit
 *                            port (0xf4, unclaimed today) and a deliberate
 *                            triple fault, so passvm exits non-zero even if
 *                            nobody reads the serial log
 *   "PAYLOAD-WARN <msg>"     something worth reporting that is not a failure
 *   "BENCH <key>=<value> ..."  benchmark figures (bench_exits)
 */
#ifndef PAYLOAD_RT_H
#define PAYLOAD_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- platform constants (mirror vmm/layout.h) ---------------------------- */

#define PORT_COM1 0x3F8
#define PORT_PM1A_CNT 0x604
#define PORT_RESET 0xCF9
#define PORT_DEBUG_EXIT 0xF4 /* proposed isa-debug-exit-like device */
#define PM1_SLP_TYP_S5 (5u << 10)
#define PM1_SLP_EN (1u << 13)
#define ECAM_BASE 0xB0000000u
#define MMIO32_BASE 0xC0000000u
#define MMIO32_END 0xFEC00000u
#define IOAPIC_BASE 0xFEC00000u
#define LAPIC_BASE 0xFEE00000u

/* ---- PVH start info ------------------------------------------------------ */

#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;   /* version >= 1 */
	uint32_t memmap_entries; /* version >= 1 */
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

extern uint32_t rt_entry_ebx, rt_entry_esi, rt_entry_esp, rt_entry_cr0, rt_entry_cr4;
extern uint32_t rt_entry_eflags;
extern uint16_t rt_entry_cs, rt_entry_ds, rt_entry_ss;
extern const struct hvm_start_info *rt_start_info;

/* Each payload defines this; returns 0 for PAYLOAD-OK. */
int main(const struct hvm_start_info *si);
extern const char payload_name[];

/* ---- port and memory-mapped I/O ----------------------------------------- */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Plain MOVs (what KVM's instruction emulator decodes best) on physical addresses. */
static inline uint8_t mmio_read8(uintptr_t a)
{
	uint8_t v;
	__asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}
static inline uint16_t mmio_read16(uintptr_t a)
{
	uint16_t v;
	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline uint32_t mmio_read32(uintptr_t a)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline void mmio_write8(uintptr_t a, uint8_t v) { __asm__ volatile("movb %0, (%1)" ::"q"(v), "r"(a) : "memory"); }
static inline void mmio_write16(uintptr_t a, uint16_t v) { __asm__ volatile("movw %0, (%1)" ::"r"(v), "r"(a) : "memory"); }
static inline void mmio_write32(uintptr_t a, uint32_t v) { __asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(a) : "memory"); }

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
/* Full fence for DMA-visible ring updates (x86: a locked op orders everything). */
static inline void mb(void) { __asm__ volatile("lock; addl $0, (%%esp)" ::: "memory", "cc"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
/* sti; hlt back to back: an interrupt pending at sti wakes the hlt. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
/* rdtsc ordered against earlier loads/stores (lfence; rdtsc). */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* 64-by-32 division without libgcc (no __udivdi3 in a -m32 -nostdlib link). */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* ---- console --------------------------------------------------------------- */

void serial_init(void);
void putc_serial(char c);
void puts_serial(const char *s);
/* printf subset: %s %c %d %u %x %X %p %llu %lld %llx, '0' flag, width, %.Ns. */
void pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vpr(const char *fmt, va_list ap);

/* ---- outcome --------------------------------------------------------------- */

/* Print "PAYLOAD-FAIL <msg>" and make passvm exit non-zero. */
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...);
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define CHECK(cond, ...)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(__VA_ARGS__);                                     \
	} while (0)
/* ACPI S5 via PM1a_CNT; fails (triple fault) if the VM keeps running. */
__attribute__((noreturn)) void poweroff(void);
/* Load a zero-limit IDT and raise #UD: #GP -> #DF -> shutdown. */
__attribute__((noreturn)) void triple_fault(void);

/* ---- interrupts ------------------------------------------------------------ */

struct rt_frame {
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

typedef void (*irq_handler_t)(struct rt_frame *f);
/* Route a vector to a handler (exceptions without one fail the payload). */
void irq_set_handler(uint8_t vector, irq_handler_t h);
extern volatile uint32_t irq_count[256];

/* ---- time -------------------------------------------------------------------- */

/* Busy-wait until cond() or `cycles` TSC ticks pass; true if cond() held. */
bool wait_until(bool (*cond)(void *), void *arg, uint64_t cycles);
/* A generous timeout for "should happen almost at once": ~2 s at 2-4 GHz. */
#define WAIT_LONG 6000000000ull

/* ---- strings ----------------------------------------------------------------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
/* Find "key=" in the kernel command line; returns the value or NULL. */
const char *cmdline_get(const char *key);
uint32_t parse_u32(const char *s, uint32_t dflt);

#endif
