/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPUs: one thread each, running KVM_RUN and dispatching PIO/MMIO exits to
 * the VM's buses. A vCPU is kicked out of KVM_RUN with SIGUSR1 plus
 * kvm_run->immediate_exit, so a pending exit request is never lost.
 */
#ifndef PASSVM_VCPU_H
#define PASSVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;        /* index: vcpus[id], pin_vcpus order */
	uint32_t apic_id;   /* KVM vCPU id; topology_apic_id(id) */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	pid_t tid;          /* for pinning reports */
};

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct error *err);
/* Program CPUID (topology, APIC id), MSRs and reset register state. */
int vcpu_reset(struct vcpu *v, struct error *err);
int vcpu_start(struct vcpu *v, struct error *err);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
/* Print registers to `out`: used for triple faults and internal errors. */
void vcpu_dump_state(struct vcpu *v, char *out, size_t len);

#endif
