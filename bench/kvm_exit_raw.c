// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_exit_raw: the floor for passvm's exit cost. A bare KVM_RUN loop on a
 * guest in 32-bit flat protected mode (the mode passvm's PVH payloads run
 * in) that executes the same exit loops as tests/payloads/bench_exits.c,
 * timed with the guest TSC (and the host clock). The VMM side does the
 * least possible per exit: fill IN/MMIO-read data with ones and re-enter.
 *
 * Output, one line per kind (cycles are guest TSC cycles per exit):
 *   RAW <kind> n=<N> reps=<R> min=<c> median=<c> ns_min=<ns> ns_median=<ns>
 * and "RAW tsc_khz=<host TSC kHz>" so cycles convert to time.
 *
 * usage: kvm_exit_raw [-n N] [-r REPS] [-k KIND] [--no-irqchip]
 *   KIND: pio_out pio_in mmio_write mmio_read cpuid_in_kernel (default all)
 * Exits 77 (meson's "skipped") when /dev/kvm ($PASSVM_KVM_DEV) can't be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define GUEST_MEM (2u << 20)
#define CODE_GPA 0x1000u
#define RESULT_GPA 0x500u     /* end lo/hi, start lo/hi */
#define DONE_PORT 0x0501
#define UNCLAIMED_PORT 0x0EF0 /* same port and address as bench_exits */
#define UNCLAIMED_MMIO 0xFEBF0000u

/*
 * Guest code: position independent 32-bit blobs. Entry registers:
 * ecx = N, ebp = port, ebx = MMIO address. Each times its loop with
 * lfence;rdtsc, stores the TSC pair at RESULT_GPA and reports on DONE_PORT.
 */
#define BLOB(name, body)                                                        \
	".globl g_" #name ", g_" #name "_end\n"                                 \
	"g_" #name ":\n"                                                        \
	"  lfence; rdtsc; movl %eax, %esi; movl %edx, %edi\n"                  \
	"  movl %ebp, %edx; xorl %eax, %eax\n" body                            \
	"  lfence; rdtsc\n"                                                     \
	"  movl %eax, 0x500; movl %edx, 0x504; movl %esi, 0x508; movl %edi, 0x50c\n" \
	"  movw $0x501, %dx; outb %al, %dx\n"                                   \
	"  hlt\n"                                                               \
	"g_" #name "_end:\n"

__asm__(".pushsection .rodata.guest, \"a\"\n"
	".code32\n"
	BLOB(pio_out, "1: outb %al, %dx; decl %ecx; jnz 1b\n")
	BLOB(pio_in, "1: inb %dx, %al; decl %ecx; jnz 1b\n")
	BLOB(mmio_write, "1: movl %eax, (%ebx); decl %ecx; jnz 1b\n")
	BLOB(mmio_read, "1: movl (%ebx), %eax; decl %ecx; jnz 1b\n")
	BLOB(cpuid_in_kernel,
	     "  movl %ecx, %ebp\n"
	     "1: movl %ebp, %ecx; xorl %eax, %eax; cpuid; decl %ebp; jnz 1b\n")
	".code64\n"
	".popsection\n");

#define DECL(name) extern const uint8_t g_##name[], g_##name##_end[]
DECL(pio_out);
DECL(pio_in);
DECL(mmio_write);
DECL(mmio_read);
DECL(cpuid_in_kernel);

struct kind {
	const char *name;
	const uint8_t *code, *end;
	int exits_to_vmm; /* 0: handled in the kernel */
};
static const struct kind kinds[] = {
	{ "pio_out", g_pio_out, g_pio_out_end, 1 },
	{ "pio_in", g_pio_in, g_pio_in_end, 1 },
	{ "mmio_write", g_mmio_write, g_mmio_write_end, 1 },
	{ "mmio_read", g_mmio_read, g_mmio_read_end, 1 },
	{ "cpuid_in_kernel", g_cpuid_in_kernel, g_cpuid_in_kernel_end, 0 },
};

struct vmctx {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

static void die(const char *what)
{
	fprintf(stderr, "kvm_exit_raw: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void seg32(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

static void vm_setup(struct vmctx *c, const char *dev, int irqchip)
{
	c->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (c->kvm < 0) {
		fprintf(stderr, "kvm_exit_raw: SKIP: cannot open %s: %s\n", dev, strerror(errno));
		exit(77);
	}
	if (ioctl(c->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvm_exit_raw: %s: KVM API version is not %d\n", dev, KVM_API_VERSION);
		exit(1);
	}
	c->vm = ioctl(c->kvm, KVM_CREATE_VM, 0);
	if (c->vm < 0)
		die("KVM_CREATE_VM");
	ioctl(c->vm, KVM_SET_TSS_ADDR, 0xfeffd000ul); /* Intel wants it; others ignore */
	uint64_t idmap = 0xfeffc000;
	ioctl(c->vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (irqchip && ioctl(c->vm, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");

	c->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED)
		die("mmap guest memory");
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)c->mem,
	};
	if (ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");

	c->vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	if (c->vcpu < 0)
		die("KVM_CREATE_VCPU");
	int sz = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	c->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
	if (c->run == MAP_FAILED)
		die("mmap kvm_run");

	/* The host's CPUID, as a VMM would pass it (passvm does the same). */
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = 256;
	if (ioctl(c->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
		ioctl(c->vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);

	struct kvm_sregs s;
	if (ioctl(c->vcpu, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	seg32(&s.cs, 0x10, 0xb);
	seg32(&s.ds, 0x18, 0x3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x11; /* PE | ET, paging off */
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(c->vcpu, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS");
}

/* One timed run of `n` iterations; returns guest cycles, host ns via *ns. */
static uint64_t run_once(struct vmctx *c, const struct kind *k, uint32_t n, uint64_t *ns,
			 uint64_t *exits)
{
	struct kvm_regs regs = { 0 };
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	regs.rsp = 0x8000;
	regs.rcx = n;
	regs.rbp = UNCLAIMED_PORT;
	regs.rbx = UNCLAIMED_MMIO;
	if (ioctl(c->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	memset(c->mem + RESULT_GPA, 0, 16);
	uint64_t t0 = now_ns(), nexits = 0;
	for (;;) {
		if (ioctl(c->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		struct kvm_run *r = c->run;
		nexits++;
		if (r->exit_reason == KVM_EXIT_IO) {
			if (r->io.port == DONE_PORT)
				break;
			if (r->io.direction == KVM_EXIT_IO_IN)
				memset((uint8_t *)r + r->io.data_offset, 0xff,
				       (size_t)r->io.size * r->io.count);
		} else if (r->exit_reason == KVM_EXIT_MMIO) {
			if (!r->mmio.is_write)
				memset(r->mmio.data, 0xff, r->mmio.len);
		} else {
			fprintf(stderr, "kvm_exit_raw: %s: unexpected exit reason %u", k->name,
				r->exit_reason);
			if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				fprintf(stderr, " (internal error suberror %u)", r->internal.suberror);
			if (r->exit_reason == KVM_EXIT_FAIL_ENTRY)
				fprintf(stderr, " (hw reason 0x%llx)",
					(unsigned long long)r->fail_entry.hardware_entry_failure_reason);
			fprintf(stderr, "\n");
			exit(1);
		}
	}
	*ns = now_ns() - t0;
	*exits = nexits;
	uint32_t v[4];
	memcpy(v, c->mem + RESULT_GPA, sizeof(v));
	uint64_t end = (uint64_t)v[1] << 32 | v[0], start = (uint64_t)v[3] << 32 | v[2];
	return end - start;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t host_tsc_khz(void)
{
	uint64_t t0 = now_ns(), c0 = __rdtsc();
	struct timespec d = { 0, 100000000 };
	nanosleep(&d, NULL);
	uint64_t t1 = now_ns(), c1 = __rdtsc();
	return (c1 - c0) * 1000000ull / (t1 - t0);
}

int main(int argc, char **argv)
{
	uint32_t n = 200000, reps = 5;
	int irqchip = 1;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--no-irqchip"))
			irqchip = 0;
		else {
			fprintf(stderr, "usage: %s [-n N] [-r REPS] [-k KIND] [--no-irqchip]\n", argv[0]);
			return 2;
		}
	}
	if (!n || !reps || reps > 101) {
		fprintf(stderr, "kvm_exit_raw: need n >= 1 and 1 <= reps <= 101\n");
		return 2;
	}
	const char *dev = getenv("PASSVM_KVM_DEV");
	dev = dev && *dev ? dev : "/dev/kvm";

	struct vmctx c;
	vm_setup(&c, dev, irqchip);
	printf("RAW tsc_khz=%llu irqchip=%d\n", (unsigned long long)host_tsc_khz(), irqchip);
	int found = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		if (only && strcmp(only, k->name))
			continue;
		found = 1;
		memcpy(c.mem + CODE_GPA, k->code, (size_t)(k->end - k->code));
		uint64_t ns, exits, cyc[101], wall[101];
		run_once(&c, k, 1000, &ns, &exits); /* warm up */
		for (uint32_t r = 0; r < reps; r++) {
			cyc[r] = run_once(&c, k, n, &ns, &exits) / n;
			wall[r] = ns / n;
			if (k->exits_to_vmm && exits < n) {
				fprintf(stderr, "kvm_exit_raw: %s: %llu exits for %u iterations\n", k->name,
					(unsigned long long)exits, n);
				return 1;
			}
		}
		qsort(cyc, reps, sizeof(cyc[0]), cmp_u64);
		qsort(wall, reps, sizeof(wall[0]), cmp_u64);
		printf("RAW %s n=%u reps=%u min=%llu median=%llu ns_min=%llu ns_median=%llu\n", k->name,
		       n, reps, (unsigned long long)cyc[0], (unsigned long long)cyc[reps / 2],
		       (unsigned long long)wall[0], (unsigned long long)wall[reps / 2]);
		fflush(stdout);
	}
	if (!found) {
		fprintf(stderr, "kvm_exit_raw: unknown kind '%s'\n", only);
		return 2;
	}
	return 0;
}
