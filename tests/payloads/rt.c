// SPDX-License-Identifier: GPL-2.0-only
/* The payload runtime: console, outcome reporting, IDT, small libc bits. */
#include "rt.h"

const struct hvm_start_info *rt_start_info;
volatile uint32_t irq_count[256];
static irq_handler_t handlers[256];
static volatile int failing;

/* ---- strings ----------------------------------------------------------- */

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
	uint32_t qhi = hi / d, r = hi % d, qlo;
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((uint64_t)qhi << 32) | qlo;
}

/* ---- console ----------------------------------------------------------- */

void serial_init(void)
{
	outb(PORT_COM1 + 1, 0x00); /* IER: no interrupts */
}

void putc_serial(char c)
{
	/* Wait for THRE (LSR bit 5), bounded: a missing UART reads 0xff anyway. */
	for (unsigned i = 0; i < 1000000; i++)
		if (inb(PORT_COM1 + 5) & 0x20)
			break;
	outb(PORT_COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s++);
	}
}

static void put_num(uint64_t v, unsigned base, bool upper, int width, char pad, bool neg)
{
	char buf[24];
	int n = 0;
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		uint32_t r;
		v = udiv64(v, base, &r);
		buf[n++] = digits[r];
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width && n < (int)sizeof(buf))
		buf[n++] = pad;
	while (n)
		putc_serial(buf[--n]);
}

void vpr(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				putc_serial('\r');
			putc_serial(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		int prec = -1;
		if (*fmt == '.') {
			prec = 0;
			for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			s = s ? s : "(null)";
			int n = 0;
			while (s[n] && (prec < 0 || n < prec))
				n++;
			for (int i = n; i < width; i++)
				putc_serial(' ');
			for (int i = 0; i < n; i++)
				putc_serial(s[i]);
			break;
		}
		case 'c':
			putc_serial((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
			put_num(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, false, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 10, false,
				width, pad, false);
			break;
		case 'x':
		case 'X':
			put_num(longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 16,
				*fmt == 'X', width, pad, false);
			break;
		case 'p':
			puts_serial("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, false, 8, '0', false);
			break;
		case '%':
			putc_serial('%');
			break;
		default:
			putc_serial('%');
			putc_serial(*fmt);
			if (!*fmt)
				return;
		}
	}
}

void pr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpr(fmt, ap);
	va_end(ap);
}

/* ---- outcome ----------------------------------------------------------- */

void triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} null_idt = { 0, 0 };
	/* ud2, not int3: kvm_pvm cannot emulate INT n in a 32-bit guest
	 * (KVM_EXIT_INTERNAL_ERROR), while a hardware exception takes the
	 * real #UD -> #GP -> #DF -> shutdown path everywhere. */
	__asm__ volatile("cli; lidt %0; ud2" ::"m"(null_idt));
	for (;;)
		__asm__ volatile("cli; hlt");
}

void fail(const char *fmt, ...)
{
	if (failing++)
		triple_fault(); /* failed while failing: just stop */
	va_list ap;
	va_start(ap, fmt);
	puts_serial("PAYLOAD-FAIL ");
	vpr(fmt, ap);
	va_end(ap);
	puts_serial("\n");
	/* A debug-exit device (proposed) would end the VM with a non-zero code. */
	outb(PORT_DEBUG_EXIT, 1);
	triple_fault();
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	puts_serial("PAYLOAD-WARN ");
	vpr(fmt, ap);
	va_end(ap);
	puts_serial("\n");
}

void poweroff(void)
{
	outw(PORT_PM1A_CNT, PM1_SLP_TYP_S5 | PM1_SLP_EN);
	/* The VMM may need a moment to stop this vCPU; then it is a bug. */
	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < 400000000u && rdtsc() - t0 < WAIT_LONG; i++)
		cpu_relax();
	fail("still running ~2 s after the ACPI S5 write to PM1a_CNT (port 0x%x)",
	     PORT_PM1A_CNT);
}

bool wait_until(bool (*cond)(void *), void *arg, uint64_t cycles)
{
	/* RDTSC only every 256 polls: on kvm_pvm it is slow enough to delay
	 * the VMM's I/O thread several-fold when called in a tight loop. */
	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < 400000000u; i++) {
		if (cond(arg))
			return true;
		if (!(i & 255) && rdtsc() - t0 > cycles)
			break;
		cpu_relax();
	}
	return cond(arg);
}

/* ---- interrupts -------------------------------------------------------- */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type_attr;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const uint8_t rt_isr_stubs[];

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void irq_set_handler(uint8_t vector, irq_handler_t h)
{
	handlers[vector] = h;
}

void isr_dispatch(struct rt_frame *f);
void isr_dispatch(struct rt_frame *f)
{
	uint32_t v = f->vector & 0xff;
	irq_count[v]++;
	if (handlers[v]) {
		handlers[v](f);
		return;
	}
	if (v < 32) {
		uint32_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		fail("unexpected exception %u %s at eip=0x%08x err=0x%x cr2=0x%08x eflags=0x%x",
		     v, exc_names[v] ? exc_names[v] : "?", f->eip, f->error, cr2, f->eflags);
	}
	/* Unclaimed external vector: counted; the payload decides. */
}

static void idt_install(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t a = (uint32_t)(uintptr_t)(rt_isr_stubs + 16 * i);
		idt[i] = (struct idt_gate){ (uint16_t)a, 0x10, 0, 0x8E, (uint16_t)(a >> 16) };
	}
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} d = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(d));
}

/* ---- command line ------------------------------------------------------ */

const char *cmdline_get(const char *key)
{
	if (!rt_start_info || !rt_start_info->cmdline_paddr ||
	    rt_start_info->cmdline_paddr >= 0xFFFFFFFFull)
		return NULL;
	const char *s = (const char *)(uintptr_t)rt_start_info->cmdline_paddr;
	size_t kl = strlen(key);
	for (const char *p = s; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return p + kl + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

uint32_t parse_u32(const char *s, uint32_t dflt)
{
	if (!s || *s < '0' || *s > '9')
		return dflt;
	uint32_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return v;
}

/* ---- entry ------------------------------------------------------------- */

void rt_main(const struct hvm_start_info *si) __attribute__((noreturn));
void rt_main(const struct hvm_start_info *si)
{
	serial_init();
	idt_install();
	pr("PAYLOAD-START %s\n", payload_name);
	if (!si || si->magic != HVM_START_MAGIC)
		fail("bad PVH start info at ebx=0x%08x: magic 0x%08x, want 0x%08x",
		     (uint32_t)(uintptr_t)si, si ? si->magic : 0, HVM_START_MAGIC);
	rt_start_info = si;
	int rc = main(si);
	if (rc)
		fail("%s: main() returned %d", payload_name, rc);
	pr("PAYLOAD-OK %s\n", payload_name);
	poweroff();
}
