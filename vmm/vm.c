// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM life cycle: open KVM, build the machine (irqchip, PIT, RAM, buses),
 * let every registered device type create its instances, run the vCPU
 * threads and the event loop until something asks the VM to stop, and tear
 * everything down in reverse.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "vmm/hyperv.h"
#include "vmm/topology.h"
#include "vmm/vcpu.h"

/* The linker collects every VMM_DEVICE() pointer into this section. */
extern const struct vmm_device_type *const __start_passvm_devices[];
extern const struct vmm_device_type *const __stop_passvm_devices[];

int vm_device_add(struct vm *vm, const char *name, void *state,
		  void (*destroy)(struct vm *, void *), struct error *err)
{
	struct vm_device *d = calloc(1, sizeof(*d));
	if (!d)
		return err_setf(err, "out of memory");
	*d = (struct vm_device){ .name = name, .state = state, .destroy = destroy,
				 .next = vm->devices };
	vm->devices = d;
	return 0;
}

void *vm_device_new(struct vm *vm, const char *name, size_t size,
		    void (*destroy)(struct vm *, void *), struct error *err)
{
	void *state = calloc(1, size);
	if (!state || vm_device_add(vm, name, state, destroy, err)) {
		free(state);
		err_setf(err, "out of memory");
		return NULL;
	}
	return state;
}

static int vm_open_kvm(struct vm *vm, struct error *err)
{
	const char *path = vm->cfg->kvm_path;
	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return err_setf(err, "%s does not exist: load the KVM module (modprobe kvm_intel "
					"or kvm_amd) and enable virtualization (VT-x/AMD-V) in the firmware",
					path);
		if (e == EACCES || e == EPERM)
			return err_setf(err, "no permission to open %s: add your user to the 'kvm' "
					"group (usermod -aG kvm $USER, then log in again) or run as root",
					path);
		return err_setf(err, "cannot open %s: %s", path, strerror(e));
	}
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api < 0)
		return err_setf(err, "%s is not a KVM device (%s): point passvm at /dev/kvm", path,
				strerror(errno));
	if (api != KVM_API_VERSION)
		return err_setf(err, "%s speaks KVM API %d, passvm needs %d", path, api, KVM_API_VERSION);
	static const struct { long cap; const char *name; } needed[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_SIGNAL_MSI" },
		{ KVM_CAP_PIT2, "PIT" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0)
			return err_setf(err, "%s lacks %s, which passvm needs: use a newer host kernel",
					path, needed[i].name);
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0)
		return err_setf(err, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	return 0;
}

static int vm_get_cpuid(struct vm *vm, struct error *err)
{
	for (int n = 128; n <= 4096; n *= 2) {
		/* Room for the Hyper-V leaves beyond what KVM fills in. */
		uint32_t room = (uint32_t)n + 64;
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + room * sizeof(struct kvm_cpuid_entry2));
		if (!c)
			return err_setf(err, "out of memory");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			struct cpu_topology t = topology_effective(&vm->cfg->topology,
								   vm->cfg->cpus);
			if (topology_cpuid_prepare(c->entries, &c->nent, (uint32_t)n, &t)) {
				free(c);
				continue; /* no room for the leaf: a larger table */
			}
			if (hyperv_vm_cpuid(vm, c, room, err)) {
				free(c);
				return -1;
			}
			vm->cpuid = c;
			vm->phys_bits = 36;
			for (uint32_t i = 0; i < c->nent; i++)
				if (c->entries[i].function == 0x80000008)
					vm->phys_bits = c->entries[i].eax & 0xff;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG)
			return err_setf(err, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
	}
	return err_setf(err, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

/* Topologies with gaps (3 cores use APIC ids 0-2 of 0-3) need vCPU ids above
 * the vCPU count: KVM takes them up to KVM_CAP_MAX_VCPU_ID - 1. */
static int vm_check_apic_ids(struct vm *vm, struct error *err)
{
	const struct vm_config *c = vm->cfg;
	struct cpu_topology t = topology_effective(&c->topology, c->cpus);
	uint32_t last = topology_apic_id(&t, c->cpus - 1);
	int max_id = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (max_id > 0 && last >= (unsigned)max_id)
		return err_setf(err, "topology %u/%u/%u (sockets/cores/threads) needs APIC ids up "
				"to %u, but this host's KVM allows vCPU ids below %d: use fewer "
				"sockets or a power-of-two count of cores", t.sockets, t.cores,
				t.threads, last, max_id);
	return 0;
}

static int vm_check_limits(struct vm *vm, struct error *err)
{
	const struct vm_config *c = vm->cfg;
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4;
	if (c->cpus == 0 || c->cpus > (unsigned)max || c->cpus > CONFIG_MAX_CPUS)
		return err_setf(err, "--cpus %u: this host's KVM allows 1 to %d vCPUs", c->cpus,
				MIN(max, CONFIG_MAX_CPUS));
	if (topology_check(&c->topology, c->cpus, err))
		return -1;
	if (vm_check_apic_ids(vm, err))
		return -1;
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit;
		if (c->memory > host)
			return err_setf(err, "--memory %llu MiB is more than the host's %llu MiB of RAM",
					(unsigned long long)(c->memory / MiB),
					(unsigned long long)(host / MiB));
	}
	if (c->memory < 16 * MiB)
		return err_setf(err, "--memory %llu MiB is too small: give at least 16M",
				(unsigned long long)(c->memory / MiB));
	cpu_set_t allowed;
	CPU_ZERO(&allowed);
	sched_getaffinity(0, sizeof(allowed), &allowed);
	const struct { const struct cpuset_list *l; const char *flag; } sets[] = {
		{ &c->pin_vcpus, "--pin-vcpus (profile: pin)" },
		{ &c->pin_other, "--pin-other (profile: emulator-pin)" },
		{ &c->pin_io, "io-pin" },
	};
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++)
		for (unsigned i = 0; i < sets[s].l->n; i++) {
			unsigned cpu = sets[s].l->cpus[i];
			if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
				return err_setf(err, "%s: host CPU %u is not available to passvm "
						"(this host has CPUs 0-%d)", sets[s].flag, cpu,
						get_nprocs() - 1);
		}
	return 0;
}

static int vm_create_machine(struct vm *vm, struct error *err)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_setf(err, "KVM_CREATE_VM: %s", strerror(errno));
	/* Intel needs these two pages below 4 GiB; harmless elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return err_setf(err, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return err_setf(err, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_setf(err, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_setf(err, "KVM_CREATE_PIT2: %s", strerror(errno));
	return vm_irq_routing_init(vm, err);
}

static int vm_devices_cmp(const void *a, const void *b)
{
	const struct vmm_device_type *x = *(const struct vmm_device_type *const *)a;
	const struct vmm_device_type *y = *(const struct vmm_device_type *const *)b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int vm_init_devices(struct vm *vm, struct error *err)
{
	size_t n = (size_t)(__stop_passvm_devices - __start_passvm_devices);
	const struct vmm_device_type **types = calloc(n ? n : 1, sizeof(*types));
	if (!types)
		return err_setf(err, "out of memory");
	memcpy(types, __start_passvm_devices, n * sizeof(*types));
	qsort(types, n, sizeof(*types), vm_devices_cmp);
	int ret = 0;
	for (size_t i = 0; i < n && !ret; i++) {
		log_debug("init %s", types[i]->name);
		ret = types[i]->init(vm, err);
	}
	free(types);
	return ret;
}

static int vm_setup_signals(struct vm *vm, struct error *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked here, before any thread starts, so every thread inherits it
	 * and only the loop's signalfd sees these. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->signal_fd < 0)
		return err_setf(err, "signalfd: %s", strerror(errno));
	return 0;
}

static void vm_on_signal(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm->exit_signal = (int)si.ssi_signo;
	/* A signal read after the guest asked for a reset (both in one loop
	 * turn) wins over it: a reboot would lose the user's stop. */
	int reset = VM_EXIT_RESET;
	if (atomic_compare_exchange_strong(&vm->exit_reason, &reset, VM_EXIT_SIGNAL))
		return; /* the reset's requester may still write exit_detail: vm_run() redoes it */
	vm_request_exit(vm, VM_EXIT_SIGNAL, "stopped by signal %s", strsignal((int)si.ssi_signo));
}

/* The emulator's CPUs: emulator-pin and io-pin together. */
static void vm_emulator_set(const struct vm_config *cfg, cpu_set_t *set)
{
	CPU_ZERO(set);
	for (unsigned i = 0; i < cfg->pin_other.n; i++)
		CPU_SET(cfg->pin_other.cpus[i], set);
	for (unsigned i = 0; i < cfg->pin_io.n; i++)
		CPU_SET(cfg->pin_io.cpus[i], set);
}

/* Pin the calling thread to the emulator's CPUs (none given: left as is). */
static void vm_pin_self(const struct vm_config *cfg)
{
	if (!cfg->pin_other.n && !cfg->pin_io.n)
		return;
	cpu_set_t set;
	vm_emulator_set(cfg, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int vm_create(struct vm *vm, struct vm_config *cfg, struct error *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->signal_fd = vm->pin_fd = -1;
	vm->mem.fd = -1;
	vm->loop.epfd = vm->loop.stop_fd = -1;
	bus_init(&vm->pio, "I/O port");
	bus_init(&vm->mmio, "MMIO");

	if (vm_open_kvm(vm, err) || vm_check_limits(vm, err) || vm_get_cpuid(vm, err))
		goto fail;
	if (layout_compute(&vm->layout, cfg->memory, vm->phys_bits)) {
		err_setf(err, "--memory %llu MiB does not fit this CPU's %u-bit physical address space",
			 (unsigned long long)(cfg->memory / MiB), vm->phys_bits);
		goto fail;
	}
	if (evloop_init(&vm->loop, err) || vm_setup_signals(vm, err) ||
	    evloop_add(&vm->loop, vm->signal_fd, EPOLLIN, vm_on_signal, vm, err))
		goto fail;
	if (vm_create_machine(vm, err))
		goto fail;
	if (gmem_create(&vm->mem, &vm->layout, cfg->hugepages, cfg->sysfs_root, err) ||
	    gmem_register(&vm->mem, vm->vm_fd, err))
		goto fail;

	/* vCPUs exist before devices so device init can look at them (ACPI). */
	vm->nr_vcpus = cfg->cpus;
	vm->topology = topology_effective(&cfg->topology, cfg->cpus);
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		err_setf(err, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_create(vm, &vm->vcpus[i], i, err))
			goto fail;
	/* Devices may start threads (PipeWire's, for audio): they inherit this
	 * thread's CPUs, so it is on the emulator's set before they do. */
	vm_pin_self(cfg);
	if (vm_init_devices(vm, err))
		goto fail;
	/* Firmware starts where a CPU does after power-on: KVM's reset state,
	 * the reset vector at 0xFFFFFFF0 in the flash. */
	if (!vm->entry_set && !cfg->firmware) {
		err_setf(err, "nothing to boot: give --kernel FILE (a bzImage or a PVH vmlinux)");
		goto fail;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_reset(&vm->vcpus[i], err))
			goto fail;
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

void vm_request_exit(struct vm *vm, enum vm_exit_reason why, const char *fmt, ...)
{
	int expected = VM_EXIT_NONE;
	if (!atomic_compare_exchange_strong(&vm->exit_reason, &expected, (int)why))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->exit_detail, sizeof(vm->exit_detail), fmt, ap);
	va_end(ap);
	evloop_stop(&vm->loop);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

static bool vm_is_vcpu_thread(const struct vm *vm, pid_t tid)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].tid == tid)
			return true;
	return false;
}

/*
 * Threads the kernel starts in our process for the VM (Linux 6.13+:
 * "kvm-nx-lpage-recovery", at the first KVM_RUN) take the CPUs of the vCPU
 * that made them: an isolated vCPU core. They are the emulator's work, so
 * every thread that is not a vCPU goes on the emulator set, a moment after
 * the vCPUs started and then once a second for the first ten (the loop's
 * timer; the kernel starts its workers at the first KVM_RUN).
 */
static void vm_pin_strays(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (!vm->vcpus[i].tid)
			return; /* not all started yet: next time */
	if (!vm->pin_scans_left || !--vm->pin_scans_left) {
		struct itimerspec off = { 0 };
		timerfd_settime(fd, 0, &off, NULL); /* the last scan */
	}
	cpu_set_t want;
	vm_emulator_set(vm->cfg, &want);
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		cpu_set_t cur;
		if (tid <= 0 || vm_is_vcpu_thread(vm, tid) ||
		    sched_getaffinity(tid, sizeof(cur), &cur) || CPU_EQUAL(&cur, &want))
			continue;
		if (sched_setaffinity(tid, sizeof(want), &want) == 0)
			log_debug("thread %d moved onto the emulator's CPUs", (int)tid);
	}
	closedir(d);
}

static void vm_pin_strays_start(struct vm *vm)
{
	if (!vm->cfg->pin_other.n && !vm->cfg->pin_io.n)
		return;
	struct error err;
	vm->pin_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { .it_value = { 0, 100 * 1000 * 1000 }, .it_interval = { 1, 0 } };
	vm->pin_scans_left = 10;
	if (vm->pin_fd < 0 || timerfd_settime(vm->pin_fd, 0, &its, NULL) ||
	    evloop_add(&vm->loop, vm->pin_fd, EPOLLIN, vm_pin_strays, vm, &err))
		log_warn("cannot watch for threads to pin: %s", strerror(errno));
}

enum vm_exit_reason vm_run(struct vm *vm, struct error *err)
{
	/* This thread runs the event loop, which is both the emulator's work and
	 * the devices' I/O (disk requests): it goes on the emulator and the I/O
	 * sets together (io-pin defaults to emulator-pin / --pin-other). Threads
	 * a device starts later inherit that. */
	vm_pin_self(vm->cfg);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i], err)) {
			vm_request_exit(vm, VM_EXIT_FAULT, "%s", err->msg);
			break;
		}
	}
	vm_pin_strays_start(vm);
	if (evloop_run(&vm->loop) < 0)
		vm_request_exit(vm, VM_EXIT_FAULT, "event loop failed: %s", strerror(errno));
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	enum vm_exit_reason why = (enum vm_exit_reason)atomic_load(&vm->exit_reason);
	if (why == VM_EXIT_SIGNAL) /* (also when it took a reset's place) */
		snprintf(vm->exit_detail, sizeof(vm->exit_detail), "stopped by signal %s",
			 strsignal(vm->exit_signal));
	return why;
}

int vm_exit_status(const struct vm *vm)
{
	switch ((enum vm_exit_reason)vm->exit_reason) {
	case VM_EXIT_POWEROFF:
	case VM_EXIT_RESET:
		return 0;
	case VM_EXIT_SIGNAL:
		return 128 + vm->exit_signal;
	default:
		return 1;
	}
}

void vm_destroy(struct vm *vm)
{
	/* vCPU threads are joined by vm_run(); devices may now go. */
	while (vm->devices) {
		struct vm_device *d = vm->devices;
		vm->devices = d->next;
		if (d->destroy)
			d->destroy(vm, d->state);
		free(d);
	}
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	if (vm->loop.epfd >= 0)
		evloop_destroy(&vm->loop);
	if (vm->signal_fd >= 0)
		close(vm->signal_fd);
	if (vm->pin_fd >= 0)
		close(vm->pin_fd);
	gmem_destroy(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->routing) {
		pthread_mutex_destroy(&vm->irq_lock);
		free(vm->routing);
	}
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = vm->signal_fd = vm->pin_fd = -1;
	vm->routing = NULL;
	vm->cpuid = NULL;
}

/* ---- device memslots ------------------------------------------------------ */

static int vm_memslot_alloc(struct vm *vm)
{
	for (unsigned i = GMEM_MAX_REGIONS; i < VM_MEMSLOT_MAX; i++) {
		uint64_t bit = 1ULL << (i % 64);
		uint64_t old = atomic_fetch_or(&vm->memslots[i / 64], bit);
		if (!(old & bit))
			return (int)i;
	}
	return -1;
}

static void vm_memslot_free(struct vm *vm, int slot)
{
	atomic_fetch_and(&vm->memslots[slot / 64], ~(1ULL << (slot % 64)));
}

static int vm_memslot_map_flags(struct vm *vm, uint64_t gpa, uint64_t size, void *host,
				uint32_t flags, struct error *err)
{
	int slot = vm_memslot_alloc(vm);
	if (slot < 0)
		return err_setf(err, "out of KVM memory slots (%d)", VM_MEMSLOT_MAX);
	struct kvm_userspace_memory_region kr = {
		.slot = (uint32_t)slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
		int e = errno;
		vm_memslot_free(vm, slot);
		return err_setf(err, "KVM_SET_USER_MEMORY_REGION (0x%llx bytes at 0x%llx): %s",
				(unsigned long long)size, (unsigned long long)gpa, strerror(e));
	}
	return slot;
}

int vm_memslot_map(struct vm *vm, uint64_t gpa, uint64_t size, void *host, struct error *err)
{
	return vm_memslot_map_flags(vm, gpa, size, host, 0, err);
}

int vm_memslot_map_ro(struct vm *vm, uint64_t gpa, uint64_t size, const void *host,
		      struct error *err)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
		return err_setf(err, "this KVM has no read-only memory slots (KVM_CAP_READONLY_MEM), "
				"which firmware flash needs: run a newer host kernel");
	return vm_memslot_map_flags(vm, gpa, size, (void *)host, KVM_MEM_READONLY, err);
}

void vm_memslot_unmap(struct vm *vm, int slot)
{
	if (slot < GMEM_MAX_REGIONS || slot >= VM_MEMSLOT_MAX)
		return;
	struct kvm_userspace_memory_region kr = { .slot = (uint32_t)slot, .memory_size = 0 };
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
		log_warn("KVM memslot %d not removed: %s", slot, strerror(errno));
	vm_memslot_free(vm, slot);
}
