// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU threads. Each runs KVM_RUN in a loop and hands PIO/MMIO exits to the
 * VM's buses; anything fatal (triple fault, internal error, failed entry)
 * stops the VM with the register state in the exit detail.
 */
#include "vmm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/hyperv.h"
#include "vmm/topology.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

/* Flat 32-bit GDT for the boot entry (selectors 0x10 code, 0x18 data), as
 * both the x86 boot protocol and PVH expect. */
static const uint64_t vcpu_boot_gdt[] = {
	0, 0,
	0x00cf9b000000ffffULL, /* 0x10: code, base 0, 4 GiB, 32-bit, accessed */
	0x00cf93000000ffffULL, /* 0x18: data, base 0, 4 GiB, writable, accessed */
};

/* The guest's view of its CPUs: topology.c fills every topology leaf, the
 * same way for the APIC ids the MADT lists. */
static int vcpu_set_cpuid(struct vcpu *v, struct error *err)
{
	const struct kvm_cpuid2 *base = v->vm->cpuid;
	size_t sz = sizeof(*base) + base->nent * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return err_setf(err, "out of memory");
	memcpy(c, base, sz);
	topology_cpuid(c->entries, c->nent, &v->vm->topology, v->id);
	int r = ioctl(v->fd, KVM_SET_CPUID2, c);
	int e = errno;
	free(c);
	if (r < 0)
		return err_setf(err, "vCPU %u: KVM_SET_CPUID2: %s", v->id, strerror(e));
	return 0;
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct error *err)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	/* KVM's vCPU id is the vCPU's initial APIC id. */
	v->apic_id = topology_apic_id(&vm->topology, id);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);
	if (v->fd < 0)
		return err_setf(err, "cannot create vCPU %u (APIC id %u): %s", id, v->apic_id,
				strerror(errno));
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return err_setf(err, "cannot map vCPU %u state: %s", id, strerror(errno));
	}
	if (vcpu_set_cpuid(v, err))
		return -1;
	return hyperv_vcpu_setup(v, err);
}

static void vcpu_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				   .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
}

int vcpu_reset(struct vcpu *v, struct error *err)
{
	struct vm *vm = v->vm;
	/* APs stay in KVM's wait-for-SIPI state; the guest starts them. With
	 * firmware (no kernel entry), vCPU 0 keeps KVM's reset state too. */
	if (v->id != 0 || !vm->entry_set)
		return 0;
	if (gmem_write(&vm->mem, LAYOUT_GDT_ADDR, vcpu_boot_gdt, sizeof(vcpu_boot_gdt)))
		return err_setf(err, "cannot write the boot GDT");
	struct kvm_sregs sregs;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_setf(err, "KVM_GET_SREGS: %s", strerror(errno));
	vcpu_flat_seg(&sregs.cs, 0x10, 0xb);
	vcpu_flat_seg(&sregs.ds, 0x18, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = LAYOUT_GDT_ADDR;
	sregs.gdt.limit = sizeof(vcpu_boot_gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11; /* PE | ET, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return err_setf(err, "KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs regs = {
		.rflags = 2,
		.rip = vm->entry.rip,
		.rsi = vm->entry.rsi,
		.rbx = vm->entry.rbx,
		.rsp = vm->entry.rsp,
	};
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return err_setf(err, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

void vcpu_dump_state(struct vcpu *v, char *out, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(out, len, "vCPU %u: registers unavailable: %s", v->id, strerror(errno));
		return;
	}
	snprintf(out, len,
		 "vCPU %u state:\n"
		 "  rip %016llx rsp %016llx rflags %08llx\n"
		 "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		 "  rsi %016llx rdi %016llx rbp %016llx\n"
		 "  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		 "  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		 "  cs %04x base %llx l %u db %u   ss %04x   ds %04x\n"
		 "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		 "  gdt %llx/%x idt %llx/%x",
		 v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		 r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cs.selector, s.cs.base,
		 s.cs.l, s.cs.db, s.ss.selector, s.ds.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		 s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	/* rep ins/outs: `count` items back to back in the shared page. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		if (!bus_access(&v->vm->pio, run->io.port, data, run->io.size, out))
			log_debug("vCPU %u: unclaimed %s port 0x%x/%u", v->id, out ? "out" : "in",
				  run->io.port, run->io.size);
		data += run->io.size;
	}
}

static void vcpu_fault(struct vcpu *v, const char *what)
{
	char regs[1536];
	vcpu_dump_state(v, regs, sizeof(regs));
	vm_request_exit(v->vm, VM_EXIT_FAULT, "%s\n%s", what, regs);
}

/* Returns false when the vCPU should stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[256];
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		if (!bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				run->mmio.is_write))
			log_debug("vCPU %u: unclaimed MMIO %s 0x%llx/%u", v->id,
				  run->mmio.is_write ? "write" : "read",
				  (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* only without in-kernel LAPIC; just re-enter */
		return true;
	case KVM_EXIT_HYPERV:
		hyperv_handle_exit(v, run);
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fault(v, "guest triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_exit(v->vm, VM_EXIT_RESET, "guest reset");
		else
			vm_request_exit(v->vm, VM_EXIT_POWEROFF, "guest powered off");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM could not enter the guest (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_fault(v, what);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u)",
			 run->internal.suberror);
		vcpu_fault(v, what);
		return false;
	default:
		snprintf(what, sizeof(what), "unhandled KVM exit reason %u", run->exit_reason);
		vcpu_fault(v, what);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	v->tid = (pid_t)syscall(SYS_gettid);
	char name[16];
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);

	const struct cpuset_list *pin = &vm->cfg->pin_vcpus;
	if (pin->n) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(pin->cpus[v->id % pin->n], &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			log_warn("vCPU %u: cannot pin to host CPU %u: %s", v->id,
				 pin->cpus[v->id % pin->n], strerror(errno));
	}
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	while (atomic_load(&vm->exit_reason) == VM_EXIT_NONE) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			char what[128];
			snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
			vcpu_fault(v, what);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

int vcpu_start(struct vcpu *v, struct error *err)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	/* The thread starts with the kick signal blocked and unblocks it itself,
	 * so a kick can never hit it before it can handle it. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return err_setf(err, "cannot start vCPU %u thread: %s", v->id, strerror(r));
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	if (v->fd >= 0 && v->vm)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
