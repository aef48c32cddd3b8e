/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hyper-V enlightenments: the guest sees a Microsoft hypervisor at CPUID
 * 0x40000000 (Hyper-V TLFS, "Hv#1" interface) with the features KVM's own
 * Hyper-V emulation offers (KVM_GET_SUPPORTED_HV_CPUID): reference time
 * counter and TSC page, synthetic interrupt controller (SynIC) and timers,
 * APIC access MSRs, PV TLB flush and IPIs, frequency MSRs, relaxed timing,
 * spinlock hints... Windows uses them to run as it does on Hyper-V: without
 * them a Windows guest burns its time on emulated timers and IPIs.
 *
 * KVM's own leaves move to 0x40000100 (Windows looks at 0x40000000 only;
 * QEMU does the same), or go away with kvm_hidden, for guest drivers that
 * refuse to run under KVM (NVIDIA's before 465: "Code 43"); a vendor id
 * other than "Microsoft Hv" hides the hypervisor's name from them as well.
 *
 * What KVM handles in the kernel needs no VMM code, except: SynIC needs
 * KVM_CAP_HYPERV_SYNIC2 on every vCPU (hyperv_vcpu_setup), and SynIC state
 * changes and hypercalls KVM leaves to the VMM come as KVM_EXIT_HYPERV
 * (hyperv_handle_exit: without VMBus there is nothing to do but answer).
 */
#ifndef PASSVM_HYPERV_H
#define PASSVM_HYPERV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "common/util.h"

struct vm;
struct vcpu;

#define HYPERV_LEAF_BASE   0x40000000u
#define HYPERV_KVM_MOVED   0x40000100u   /* KVM's leaves when Hyper-V takes the base */
#define HYPERV_VENDOR_LEN  12
#define HYPERV_VENDOR_DEFAULT "Microsoft Hv"

struct hyperv_opts {
	bool on;                  /* Hyper-V leaves at 0x40000000 */
	bool kvm_hidden;          /* no KVM leaves at all */
	const char *vendor_id;    /* NULL: "Microsoft Hv"; at most 12 characters */
	bool synic;               /* KVM can give every vCPU a SynIC (SYNIC2) */
};

/*
 * Rework the VM's CPUID table (e[0..*nent), room entries in all) from KVM's
 * supported list: drop its hypervisor leaves (0x40000000-0x400001FF); with
 * o->on put the Hyper-V leaves hv[0..nhv) at 0x40000000 (vendor id applied;
 * SynIC and its timers left out without o->synic; the synthetic debugger,
 * which needs VMM support, left out); unless o->kvm_hidden put KVM's leaves
 * back, at 0x40000100 with Hyper-V, else at 0x40000000. Pure (unit tests).
 */
int hyperv_cpuid_build(struct kvm_cpuid_entry2 *e, uint32_t *nent, uint32_t room,
		       const struct kvm_cpuid_entry2 *hv, uint32_t nhv,
		       const struct hyperv_opts *o, struct error *err);

/* For the VM's table (vm->cpuid): ask KVM, then hyperv_cpuid_build(). */
int hyperv_vm_cpuid(struct vm *vm, struct kvm_cpuid2 *c, uint32_t room, struct error *err);

/* Per vCPU, after its CPUID is set: SynIC when the guest sees it. */
int hyperv_vcpu_setup(struct vcpu *v, struct error *err);

/* KVM_EXIT_HYPERV: answer, so the vCPU goes on. */
void hyperv_handle_exit(struct vcpu *v, struct kvm_run *run);

#endif
