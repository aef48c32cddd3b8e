// SPDX-License-Identifier: GPL-2.0-only
/*
 * The machine's own settings: [machine] (name, RAM), [cpu] (vCPUs, pinning,
 * topology, Hyper-V) and [boot] (kernel or firmware), with their `run`
 * flags. They are fields of struct vm_config, not a block of their own:
 * the whole machine reads them. Devices declare theirs in their folders.
 */
#include <ctype.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/boot/firmware.h"
#include "vmm/options.h"
#include "vmm/topology.h"

#define MACHINE_MAX_NAME 64

/* A CPU list or `auto` (then *is_auto, resolved by config_finalize). */
static int machine_cpus_or_auto(const char *value, struct cpuset_list *l, bool *is_auto,
				struct error *err)
{
	if (!strcmp(value, "auto")) {
		*is_auto = true;
		l->n = 0;
		return 0;
	}
	*is_auto = false;
	if (cpuset_parse(value, l, err))
		return vmm_option_hint(err, "write host CPUs like 4-7,12-15, or auto");
	return 0;
}

/* ---- [machine] ------------------------------------------------------------------ */

static int set_name(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return err_setf(err, "use letters, digits, '-', '_' and '.' (it names the "
					"VM's files, like /dev/shm/passvm-NAME)");
	if (n > MACHINE_MAX_NAME)
		return err_setf(err, "at most %d characters", MACHINE_MAX_NAME);
	return vmm_option_str(ctx, v, &ctx->cfg->name, err);
}

static int set_memory(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return config_parse_memory(v, &ctx->cfg->memory, err);
}

static int set_hugepages(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return config_parse_hugepages(v, &ctx->cfg->hugepages, err);
}

static int set_on_reset(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return config_parse_on_reset(v, &ctx->cfg->on_reset, err);
}

static const struct vmm_option machine_option_list[] = {
	{ .key = "name", .set = set_name },
	{ .key = "memory", .flag = "memory", .arg = "SIZE", .set = set_memory,
	  .help = "guest RAM, e.g. 512M or 8G (default 512M)" },
	{ .key = "hugepages", .flag = "hugepages", .arg = "2M|1G|off", .set = set_hugepages,
	  .help = "back RAM with huge pages (default off)" },
	{ .key = "on-reset", .flag = "on-reset", .arg = "reboot|exit", .set = set_on_reset,
	  .help = "what a guest reset does (default reboot)" },
};

VMM_OPTIONS(machine_options) = {
	.section = "machine", .order = 10,
	.options = machine_option_list, .nr_options = ARRAY_SIZE(machine_option_list),
};

/* ---- [cpu] ------------------------------------------------------------------------ */

static int set_vcpus(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (vmm_option_uint(v, 1, CONFIG_MAX_CPUS, &ctx->cfg->cpus))
		return err_setf(err, "give a number of vCPUs from 1 to %d", CONFIG_MAX_CPUS);
	return 0;
}

static int set_pin(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return machine_cpus_or_auto(v, &ctx->cfg->pin_vcpus, &ctx->cfg->cpu_auto.pin, err);
}

static int set_emulator_pin(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return machine_cpus_or_auto(v, &ctx->cfg->pin_other, &ctx->cfg->cpu_auto.emulator_pin,
				    err);
}

static int set_io_pin(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return machine_cpus_or_auto(v, &ctx->cfg->pin_io, &ctx->cfg->cpu_auto.io_pin, err);
}

static int set_topology(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vm_config *c = ctx->cfg;
	c->cpu_auto.topology = !strcmp(v, "auto");
	if (c->cpu_auto.topology)
		return 0;
	if (topology_parse(v, &c->topology, err))
		return vmm_option_hint(err, "or write auto");
	return 0;
}

static int set_hyperv(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return config_parse_hyperv(v, &ctx->cfg->hyperv.mode, err);
}

static int set_kvm_hidden(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_bool(v, &ctx->cfg->hyperv.kvm_hidden, err);
}

static int set_hv_vendor_id(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (config_check_hv_vendor_id(v, err))
		return -1;
	return vmm_option_str(ctx, v, &ctx->cfg->hyperv.vendor_id, err);
}

static const struct vmm_option cpu_option_list[] = {
	{ .key = "vcpus", .flag = "cpus", .arg = "N", .set = set_vcpus,
	  .help = "vCPUs (default 1)" },
	{ .key = "pin", .flag = "pin-vcpus", .arg = "CPUS", .set = set_pin,
	  .help = "pin vCPU i to the i-th host CPU of the list, e.g. 4-7" },
	{ .key = "emulator-pin", .flag = "pin-other", .arg = "CPUS", .set = set_emulator_pin,
	  .help = "pin the VMM's other threads to these host CPUs" },
	{ .key = "io-pin", .set = set_io_pin },
	{ .key = "topology", .flag = "topology", .arg = "S/C/T", .set = set_topology,
	  .help = "guest sockets/cores/threads, e.g. 1/4/2 (product = --cpus)" },
	{ .key = "hyperv", .flag = "hyperv", .arg = "auto|on|off", .set = set_hyperv,
	  .help = "Hyper-V enlightenments (default auto: on for UEFI\n"
		  "guests, which are Windows ones, off for Linux)" },
	{ .key = "kvm-hidden", .flag = "kvm-hidden", .value = "yes", .set = set_kvm_hidden,
	  .help = "no KVM CPUID leaves (drivers that refuse KVM)" },
	{ .key = "hv-vendor-id", .flag = "hv-vendor-id", .arg = "ID", .set = set_hv_vendor_id,
	  .help = "Hyper-V vendor id, up to 12 characters" },
};

/* A topology and a vCPU count that disagree; without vcpus, the topology
 * says how many. */
static int cpu_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	struct vm_config *c = ctx->cfg;
	unsigned topo = vmm_option_line_of(ctx, -1, "topology");
	unsigned vcpus = vmm_option_line_of(ctx, -1, "vcpus");
	if (!topo || c->cpu_auto.topology)
		return 0;
	const struct cpu_topology *t = &c->topology;
	if (!vcpus) {
		c->cpus = t->sockets * t->cores * t->threads;
		return 0;
	}
	struct error e;
	if (!topology_check(t, c->cpus, &e))
		return 0;
	*line = topo;
	return err_setf(err, "topology %u/%u/%u is %u vCPUs, vcpus (line %u) is %u: make them "
			"agree, or write topology = auto", t->sockets, t->cores, t->threads,
			t->sockets * t->cores * t->threads, vcpus, c->cpus);
}

VMM_OPTIONS(cpu_options) = {
	.section = "cpu", .order = 20,
	.options = cpu_option_list, .nr_options = ARRAY_SIZE(cpu_option_list),
	.finish = cpu_finish,
};

/* ---- [boot] ------------------------------------------------------------------------ */

/* --kernel wins over a profile's firmware. */
static int set_kernel(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (ctx->flag) {
		ctx->cfg->firmware = NULL;
		ctx->cfg->firmware_vars = NULL;
	}
	return vmm_option_path(ctx, v, &ctx->cfg->kernel, err);
}

static int set_initrd(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_path(ctx, v, &ctx->cfg->initrd, err);
}

/* Repeatable in a profile: lines join with a space, so a long command line
 * fits libinih's line length. */
static int set_cmdline(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vm_config *c = ctx->cfg;
	if (!c->cmdline)
		return vmm_option_str(ctx, v, &c->cmdline, err);
	char *s;
	if (asprintf(&s, "%s %s", c->cmdline, v) < 0 || !config_own(c, s))
		return err_setf(err, "out of memory");
	c->cmdline = s;
	return 0;
}

/* --append replaces the profile's command line. */
static int set_append(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	ctx->cfg->cmdline = v;
	return 0;
}

/*
 * uefi and uefi-secure stay words until config_finalize() looks them up in
 * the firmware descriptors; anything else is a code image's path (./uefi
 * for a file of that name). --firmware wins over a profile's kernel.
 */
static int set_firmware(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vm_config *c = ctx->cfg;
	if (ctx->flag) {
		c->kernel = NULL;
		c->initrd = NULL;
		c->cmdline = NULL;
	}
	if (!strcmp(v, "uefi") || !strcmp(v, "uefi-secure"))
		return vmm_option_str(ctx, v, &c->firmware, err);
	if (!strncmp(v, "uefi", 4) && !strchr(v, '/'))
		return err_setf(err, "use uefi, uefi-secure (with Microsoft's keys, for Windows 11) "
				"or the path of a UEFI code image (./%s for a file of that name)", v);
	return vmm_option_path(ctx, v, &c->firmware, err);
}

static int set_vars(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_path(ctx, v, &ctx->cfg->firmware_vars, err);
}

static const struct vmm_option boot_option_list[] = {
	{ .key = "kernel", .flag = "kernel", .arg = "FILE", .set = set_kernel,
	  .help = "bzImage or uncompressed vmlinux (PVH entry)" },
	{ .key = "initrd", .flag = "initrd", .arg = "FILE", .set = set_initrd,
	  .help = "initramfs" },
	{ .key = "cmdline", .set = set_cmdline, .flags = VMM_OPT_REPEATABLE },
	{ .flag = "append", .arg = "STRING", .set = set_append,
	  .help = "kernel command line (default: console=ttyS0 ...)" },
	{ .key = "firmware", .flag = "firmware", .arg = "VALUE", .set = set_firmware,
	  .help = "UEFI instead of a kernel: uefi, uefi-secure (Secure\n"
		  "Boot, Microsoft's keys) or a code image's path" },
	{ .key = "vars", .set = set_vars },
};

/* A VM boots a kernel or firmware; initrd, cmdline and vars go with one. */
static int boot_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	unsigned fw = vmm_option_line_of(ctx, -1, "firmware");
	unsigned kernel = vmm_option_line_of(ctx, -1, "kernel");
	unsigned vars = vmm_option_line_of(ctx, -1, "vars");
	if (fw && kernel) {
		*line = MAX(fw, kernel);
		return err_setf(err, "[boot] has both kernel (line %u) and firmware (line %u): a VM "
				"boots a Linux kernel or UEFI firmware; remove one", kernel, fw);
	}
	if (vars && !fw) {
		*line = vars;
		return err_setf(err, "vars is the UEFI variable store of a firmware: add firmware = "
				"uefi (or uefi-secure), or remove vars");
	}
	static const char *const kernel_only[] = { "initrd", "cmdline" };
	for (size_t i = 0; fw && i < ARRAY_SIZE(kernel_only); i++) {
		unsigned l = vmm_option_line_of(ctx, -1, kernel_only[i]);
		if (l) {
			*line = l;
			return err_setf(err, "%s goes with a kernel, but this VM boots firmware "
					"(line %u): remove it", kernel_only[i], fw);
		}
	}
	return 0;
}

/* "; Secure Boot, Microsoft's keys enrolled, needs SMM" */
static const char *boot_features(const struct firmware_info *fw, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", fw->secure_boot ? "Secure Boot" : "no Secure Boot",
		 fw->enrolled_keys ? ", Microsoft's keys enrolled" : "",
		 fw->requires_smm ? ", needs SMM" : "");
	return buf;
}

static void boot_check_vars(struct report *r, const struct vm_config *cfg)
{
	const struct firmware_info *fw = cfg->fw;
	struct error e;
	bool exists;
	if (firmware_vars_check(fw, cfg->firmware_vars, &exists, &e))
		return;   /* the firmware FAIL line says what is wrong with it */
	if (exists)
		report_add(r, REPORT_OK, "firmware vars", "%s exists, with the size it needs",
			   cfg->firmware_vars);
	else
		report_add(r, REPORT_OK, "firmware vars", "%s will be created from %s on the first run",
			   cfg->firmware_vars, fw->vars_template);
}

/* A Secure Boot build keeps its variables safe in SMM: KVM must emulate it. */
static void boot_check_smm(struct report *r, const struct check_env *env,
			   const struct firmware_info *fw)
{
	int fd = open(env->kvm_path, O_RDWR | O_CLOEXEC);
	if (!fw->requires_smm || fd < 0) {
		if (fd >= 0)
			close(fd);
		return;   /* not needed, or the KVM line says why there is no KVM */
	}
	bool smm = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0;
	close(fd);
	if (smm) {
		report_add(r, REPORT_OK, "SMM", "KVM emulates SMM, which %s requires", fw->code);
		return;
	}
	report_fix(report_add(r, REPORT_FAIL, "SMM", "%s requires SMM (requires-smm) but KVM on "
			      "%s has none (KVM_CAP_X86_SMM)", fw->code, env->kvm_path),
		   "use firmware = uefi (no Secure Boot, no SMM), or a host kernel whose KVM has "
		   "SMM (CONFIG_KVM_SMM=y)");
}

static void boot_check(struct report *r, const struct check_env *env, const struct vm_config *cfg)
{
	const struct firmware_info *fw = cfg->fw;
	char feat[96], size[32];
	if (!fw)
		return;   /* a kernel, or the firmware FAIL line says why there is none */
	const char *desc = strrchr(fw->descriptor, '/');
	report_add(r, REPORT_OK, "firmware", "%s%s%s, code %s (%s); %s",
		   fw->keyword ? fw->keyword : "", fw->keyword ? ": " : "",
		   desc ? desc + 1 : "no descriptor", fw->code,
		   report_size_text(fw->code_size, size, sizeof(size)),
		   boot_features(fw, feat, sizeof(feat)));
	boot_check_vars(r, cfg);
	boot_check_smm(r, env, fw);
}

VMM_OPTIONS(boot_options) = {
	.section = "boot", .order = 30,
	.options = boot_option_list, .nr_options = ARRAY_SIZE(boot_option_list),
	.finish = boot_finish, .check = boot_check,
};
