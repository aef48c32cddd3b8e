// SPDX-License-Identifier: GPL-2.0-only
/* Hyper-V enlightenments on KVM's Hyper-V emulation (see hyperv.h). */
#include "vmm/hyperv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* Hyper-V TLFS: CPUID leaf 0x40000003 (features) bits this file touches. */
#define HV_EAX_SYNIC          (1u << 2)   /* SynIC MSRs */
#define HV_EAX_SYNTIMER       (1u << 3)   /* synthetic timer MSRs */
#define HV_EDX_DEBUG_MSRS     (1u << 11)  /* synthetic debugger MSRs */
#define HV_EDX_STIMER_DIRECT  (1u << 19)  /* timers in direct mode */
#define HV_LEAF_FEATURES      0x40000003u
#define HV_LEAF_SYNDBG_FIRST  0x40000080u /* synthetic debugger leaves */
#define HV_STATUS_INVALID_HYPERCALL_CODE 2

static bool hyperv_leaf_is_hypervisor(uint32_t f)
{
	return f >= HYPERV_LEAF_BASE && f < HYPERV_KVM_MOVED + 0x100;
}

static int hyperv_append(struct kvm_cpuid_entry2 *e, uint32_t *nent, uint32_t room,
			 const struct kvm_cpuid_entry2 *add, struct error *err)
{
	if (*nent >= room)
		return err_setf(err, "CPUID table full (%u entries) adding leaf 0x%x", room,
				add->function);
	e[(*nent)++] = *add;
	return 0;
}

/* ebx, ecx, edx: 12 bytes of vendor id, zero-padded. */
static void hyperv_set_vendor(struct kvm_cpuid_entry2 *l, const char *id)
{
	char v[HYPERV_VENDOR_LEN] = { 0 };
	memcpy(v, id, strnlen(id, HYPERV_VENDOR_LEN));
	memcpy(&l->ebx, v, 4);
	memcpy(&l->ecx, v + 4, 4);
	memcpy(&l->edx, v + 8, 4);
}

static int hyperv_add_hv(struct kvm_cpuid_entry2 *e, uint32_t *nent, uint32_t room,
			 const struct kvm_cpuid_entry2 *hv, uint32_t nhv,
			 const struct hyperv_opts *o, struct error *err)
{
	uint32_t top = HYPERV_LEAF_BASE;
	for (uint32_t i = 0; i < nhv; i++) {
		struct kvm_cpuid_entry2 l = hv[i];
		if (l.function < HYPERV_LEAF_BASE || l.function >= HV_LEAF_SYNDBG_FIRST)
			continue; /* the synthetic debugger needs a VMM side: not offered */
		/* KVM says "Linux KVM Hv"; Hyper-V's own name is what guests (Linux's
		 * Hyper-V detection among them) look for. */
		if (l.function == HYPERV_LEAF_BASE)
			hyperv_set_vendor(&l, o->vendor_id ? o->vendor_id : HYPERV_VENDOR_DEFAULT);
		if (l.function == HV_LEAF_FEATURES) {
			l.edx &= ~HV_EDX_DEBUG_MSRS;
			if (!o->synic) {
				l.eax &= ~(HV_EAX_SYNIC | HV_EAX_SYNTIMER);
				l.edx &= ~HV_EDX_STIMER_DIRECT;
			}
		}
		if (l.function > top)
			top = l.function;
		if (hyperv_append(e, nent, room, &l, err))
			return -1;
	}
	/* The base leaf's eax: the highest Hyper-V leaf offered. */
	for (uint32_t i = 0; i < *nent; i++)
		if (e[i].function == HYPERV_LEAF_BASE)
			e[i].eax = top;
	return 0;
}

int hyperv_cpuid_build(struct kvm_cpuid_entry2 *e, uint32_t *nent, uint32_t room,
		       const struct kvm_cpuid_entry2 *hv, uint32_t nhv,
		       const struct hyperv_opts *o, struct error *err)
{
	if (o->vendor_id && strlen(o->vendor_id) > HYPERV_VENDOR_LEN)
		return err_setf(err, "Hyper-V vendor id '%s' is longer than %d characters",
				o->vendor_id, HYPERV_VENDOR_LEN);
	/* Take KVM's leaves out (kept aside), then put back what is wanted. */
	struct kvm_cpuid_entry2 kvm[4];
	uint32_t nkvm = 0, out = 0;
	for (uint32_t i = 0; i < *nent; i++) {
		if (!hyperv_leaf_is_hypervisor(e[i].function)) {
			e[out++] = e[i];
			continue;
		}
		if (e[i].function - HYPERV_LEAF_BASE < 0x100 && nkvm < 4)
			kvm[nkvm++] = e[i];
	}
	*nent = out;
	if (o->on && !nhv)
		return err_setf(err, "KVM offers no Hyper-V emulation (KVM_GET_SUPPORTED_HV_CPUID "
				"lists nothing): turn hyperv off");
	if (o->on && hyperv_add_hv(e, nent, room, hv, nhv, o, err))
		return -1;
	if (o->kvm_hidden)
		return 0;
	uint32_t shift = o->on ? HYPERV_KVM_MOVED - HYPERV_LEAF_BASE : 0;
	for (uint32_t i = 0; i < nkvm; i++) {
		struct kvm_cpuid_entry2 l = kvm[i];
		l.function += shift;
		if (l.function == HYPERV_LEAF_BASE + shift)
			l.eax += shift; /* its highest leaf moves along */
		if (hyperv_append(e, nent, room, &l, err))
			return -1;
	}
	return 0;
}

/* KVM's Hyper-V CPUID: the system ioctl (Linux 5.11+). */
static int hyperv_kvm_leaves(struct vm *vm, struct kvm_cpuid2 **out, struct error *err)
{
	*out = NULL;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYS_HYPERV_CPUID) <= 0)
		return err_setf(err, "this KVM cannot list its Hyper-V features "
				"(KVM_CAP_SYS_HYPERV_CPUID, Linux 5.11+): turn hyperv off or "
				"update the host kernel");
	for (uint32_t n = 16; n <= 256; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return err_setf(err, "out of memory");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_HV_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG)
			return err_setf(err, "KVM_GET_SUPPORTED_HV_CPUID: %s", strerror(e));
	}
	return err_setf(err, "KVM_GET_SUPPORTED_HV_CPUID: too many entries");
}

int hyperv_vm_cpuid(struct vm *vm, struct kvm_cpuid2 *c, uint32_t room, struct error *err)
{
	const struct hyperv_config *h = &vm->cfg->hyperv;
	struct hyperv_opts o = {
		.on = h->mode == HYPERV_ON || (h->mode == HYPERV_AUTO && vm->cfg->firmware),
		.kvm_hidden = h->kvm_hidden, .vendor_id = h->vendor_id,
		.synic = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_SYNIC2) > 0,
	};
	struct kvm_cpuid2 *hv = NULL;
	if (o.on && hyperv_kvm_leaves(vm, &hv, err))
		return -1;
	vm->hyperv_synic = o.on && o.synic;
	int r = hyperv_cpuid_build(c->entries, &c->nent, room, hv ? hv->entries : NULL,
				   hv ? hv->nent : 0, &o, err);
	free(hv);
	return r;
}

int hyperv_vcpu_setup(struct vcpu *v, struct error *err)
{
	if (!v->vm->hyperv_synic)
		return 0;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HYPERV_SYNIC2 };
	if (ioctl(v->fd, KVM_ENABLE_CAP, &cap) < 0)
		return err_setf(err, "vCPU %u: cannot enable the Hyper-V SynIC: %s", v->id,
				strerror(errno));
	return 0;
}

void hyperv_handle_exit(struct vcpu *v, struct kvm_run *run)
{
	switch (run->hyperv.type) {
	case KVM_EXIT_HYPERV_HCALL:
		/* A hypercall KVM does not handle (VMBus messages and events). */
		log_debug("vCPU %u: Hyper-V hypercall 0x%llx not offered", v->id,
			  (unsigned long long)run->hyperv.u.hcall.input);
		run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_CODE;
		break;
	case KVM_EXIT_HYPERV_SYNIC:
		/* The guest set up its SynIC message/event pages: KVM keeps them;
		 * only a VMBus host would need to know. */
		break;
	default:
		log_debug("vCPU %u: Hyper-V exit type %u ignored", v->id, run->hyperv.type);
		break;
	}
}
