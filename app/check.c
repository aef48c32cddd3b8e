// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm check`: the host checks (CPU, KVM, IOMMU, interrupt remapping,
 * VFIO modules) and the command itself; the profile's checks are in
 * check_profile.c and the devices' folders (vmm/options.h).
 */
#include "app/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/check_internal.h"
#include "app/profile.h"
#include "vfio/host.h"
#include "vfio/names.h"

/* ---- helpers shared by the check files ----------------------------------- */

void check_path(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

int check_read(const char *root, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	check_path(path, sizeof(path), root, rel);
	return read_small_file(path, buf, len);
}

bool check_exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	check_path(path, sizeof(path), root, rel);
	return !access(path, F_OK);
}

/* The kernel command line; "" when it cannot be read. */
void check_cmdline(const struct check_env *env, char *buf, size_t len)
{
	if (check_read(env->proc_root, "cmdline", buf, len) < 0)
		buf[0] = '\0';
}

/*
 * Does `key=` on the command line list `value` ("intel_iommu=on,sm_on" has
 * "on")? The kernel lets the last occurrence win, and so does this.
 */
bool check_cmdline_has(const char *cmdline, const char *key, const char *value)
{
	size_t klen = strlen(key);
	bool found = false;
	for (const char *p = cmdline; *p;) {
		size_t tok = strcspn(p, " \t\n");
		if (tok > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			found = false;
			const char *v = p + klen + 1, *end = p + tok;
			while (v < end) {
				size_t item = strcspn(v, ", \t\n");
				if (item == strlen(value) && !strncmp(v, value, item))
					found = true;
				v += item + 1;
			}
		}
		p += tok;
		p += strspn(p, " \t\n");
	}
	return found;
}

/* Is `word` a whole blank-separated word of `line` ("svm", not "svm_lock")? */
bool check_has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(line, word); p; p = strstr(p + 1, word)) {
		bool starts = p == line || p[-1] == ' ' || p[-1] == '\t';
		bool ends = !p[n] || p[n] == ' ' || p[n] == '\t' || p[n] == '\n';
		if (starts && ends)
			return true;
	}
	return false;
}

/* ---- CPU and KVM --------------------------------------------------------- */

enum check_cpu_vendor check_cpu_vendor(const struct check_env *env, bool *vmx, bool *svm)
{
	char path[PATH_MAX];
	enum check_cpu_vendor vendor = CHECK_CPU_OTHER;
	*vmx = *svm = false;
	check_path(path, sizeof(path), env->proc_root, "cpuinfo");
	FILE *f = fopen(path, "re");
	if (!f)
		return CHECK_CPU_UNKNOWN;
	char *line = NULL;
	size_t cap = 0;
	bool flags_seen = false;
	while (!flags_seen && getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "vendor_id", 9)) {
			if (strstr(line, "GenuineIntel"))
				vendor = CHECK_CPU_INTEL;
			else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
				vendor = CHECK_CPU_AMD;
		} else if (!strncmp(line, "flags", 5)) {
			/* The first CPU's flags speak for all: KVM needs it on every one. */
			flags_seen = true;
			*vmx = check_has_word(line, "vmx");
			*svm = check_has_word(line, "svm");
		}
	}
	free(line);
	fclose(f);
	return vendor;
}

static void check_cpu_virt(struct report *r, const struct check_env *env)
{
	bool vmx, svm;
	enum check_cpu_vendor v = check_cpu_vendor(env, &vmx, &svm);
	if (v == CHECK_CPU_UNKNOWN) {
		report_add(r, REPORT_WARN, "CPU virtualization", "cannot read %s/cpuinfo",
			   env->proc_root);
		return;
	}
	if (vmx || svm) {
		report_add(r, REPORT_OK, "CPU virtualization", "%s", vmx ? "Intel VT-x (vmx)" :
			   "AMD-V (svm)");
		return;
	}
	struct report_line *l = report_add(r, REPORT_FAIL, "CPU virtualization",
		"no vmx or svm flag in %s/cpuinfo: it is turned off in the firmware, or this host "
		"is itself a VM without nested virtualization", env->proc_root);
	report_fix(l, "enable %s in the firmware (BIOS/UEFI) setup and reboot",
		   v == CHECK_CPU_INTEL ? "Intel Virtualization Technology (VT-x)" :
		   v == CHECK_CPU_AMD ? "SVM Mode (AMD-V)" : "VT-x / AMD-V (SVM)");
}

static void check_kvm(struct report *r, const struct check_env *env)
{
	int fd = open(env->kvm_path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		report_add(r, REPORT_OK, "KVM", "%s is readable and writable", env->kvm_path);
		return;
	}
	int e = errno;
	struct report_line *l = report_add(r, REPORT_FAIL, "KVM", "cannot open %s: %s",
					   env->kvm_path, strerror(e));
	if (e == ENOENT)
		report_fix(l, "load KVM: 'modprobe kvm_intel' or 'modprobe kvm_amd' as root; if "
			   "that fails, virtualization is off in the firmware setup (see dmesg)");
	else if (e == EACCES || e == EPERM)
		report_fix(l, "add your user to the kvm group ('usermod -aG kvm $USER' as root), "
			   "then log in again");
}

/* ---- IOMMU --------------------------------------------------------------- */

const char *check_grub_hint(void)
{
	return "(Debian: GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then update-grub "
	       "and reboot)";
}

/* Which of the kernel's IOMMU switches the command line turns off, or NULL. */
static const char *check_iommu_turned_off(const char *cmdline)
{
	if (check_cmdline_has(cmdline, "intel_iommu", "off"))
		return "intel_iommu=off";
	if (check_cmdline_has(cmdline, "amd_iommu", "off"))
		return "amd_iommu=off";
	if (check_cmdline_has(cmdline, "iommu", "off"))
		return "iommu=off";
	return NULL;
}

/* No IOMMU unit came up: say why as precisely as the host lets us. */
static void check_iommu_missing(struct report *r, const struct check_env *env,
				enum check_cpu_vendor v, const char *cmdline)
{
	bool intel = v != CHECK_CPU_AMD;
	const char *table = intel ? "DMAR" : "IVRS";
	char rel[64];
	snprintf(rel, sizeof(rel), "firmware/acpi/tables/%s", table);
	const char *off = check_iommu_turned_off(cmdline);
	struct report_line *l;
	if (off) {
		l = report_add(r, REPORT_FAIL, "IOMMU", "turned off on the kernel command line (%s)",
			       off);
		report_fix(l, "remove %s from the kernel command line %s", off, check_grub_hint());
	} else if (v != CHECK_CPU_UNKNOWN && v != CHECK_CPU_OTHER &&
		   !check_exists(env->sysfs_root, rel)) {
		l = report_add(r, REPORT_FAIL, "IOMMU", "the firmware describes no IOMMU (no ACPI "
			       "%s table in %s/firmware/acpi/tables)", table, env->sysfs_root);
		report_fix(l, "enable %s in the firmware setup, then add %s to the kernel command "
			   "line %s", intel ? "VT-d" : "the IOMMU (AMD-Vi)",
			   intel ? "intel_iommu=on iommu=pt" : "iommu=pt", check_grub_hint());
	} else if (intel && !check_cmdline_has(cmdline, "intel_iommu", "on")) {
		l = report_add(r, REPORT_FAIL, "IOMMU", "none is active: %s/class/iommu is empty and "
			       "the kernel command line lacks intel_iommu=on", env->sysfs_root);
		report_fix(l, "add intel_iommu=on iommu=pt to the kernel command line %s; "
			   "VT-d must be enabled in the firmware setup", check_grub_hint());
	} else {
		l = report_add(r, REPORT_FAIL, "IOMMU", "none is active: %s/class/iommu is empty",
			       env->sysfs_root);
		report_fix(l, "enable %s in the firmware setup and check 'dmesg | grep -i %s' for "
			   "why the kernel did not start it", intel ? "VT-d" : "the IOMMU (AMD-Vi)",
			   intel ? "DMAR" : "AMD-Vi");
	}
}

/* Returns whether an IOMMU with groups is active (later checks need one). */
static bool check_iommu(struct report *r, const struct check_env *env)
{
	bool vmx, svm;
	enum check_cpu_vendor v = check_cpu_vendor(env, &vmx, &svm);
	char cmdline[4096], units[256];
	check_cmdline(env, cmdline, sizeof(cmdline));
	unsigned n = vfio_host_iommu_units(env->sysfs_root, units, sizeof(units));
	unsigned groups = vfio_host_iommu_group_count(env->sysfs_root);
	if (!n) {
		check_iommu_missing(r, env, v, cmdline);
		return false;
	}
	if (!groups) {
		struct report_line *l = report_add(r, REPORT_FAIL, "IOMMU",
			"%s present but no IOMMU groups in %s/kernel/iommu_groups: DMA remapping is "
			"off", units, env->sysfs_root);
		report_fix(l, "add %s to the kernel command line %s",
			   v == CHECK_CPU_AMD ? "iommu=pt" : "intel_iommu=on iommu=pt", check_grub_hint());
		return false;
	}
	report_add(r, REPORT_OK, "IOMMU", "on: %s, %u IOMMU groups", units, groups);
	return true;
}

/*
 * Interrupt remapping keeps a device from forging MSIs into other vectors;
 * vfio_iommu_type1 refuses to attach a group without it unless told
 * allow_unsafe_interrupts. Seen two ways: the kernel names the interrupt
 * chips stacked on the remapping domain "IR-..." in /proc/interrupts
 * (IR-PCI-MSI, IR-IO-APIC: remapping is on), and Intel units advertise the
 * hardware capability in ecap bit 3 (to tell "off" from "absent").
 */
static bool check_ir_active(const struct check_env *env)
{
	char path[PATH_MAX];
	check_path(path, sizeof(path), env->proc_root, "interrupts");
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool ir = false;
	while (!ir && getline(&line, &cap, f) > 0)
		ir = strstr(line, " IR-") != NULL;
	free(line);
	fclose(f);
	return ir;
}

/* -1: cannot tell (not Intel, unreadable), 0/1: dmar0 has IR in hardware. */
static int check_ir_hardware(const struct check_env *env)
{
	char buf[64];
	if (check_read(env->sysfs_root, "class/iommu/dmar0/intel-iommu/ecap", buf, sizeof(buf)) < 0)
		return -1;
	return (int)((strtoull(buf, NULL, 16) >> 3) & 1);
}

static void check_intremap(struct report *r, const struct check_env *env, bool iommu)
{
	if (!iommu) {
		report_add(r, REPORT_SKIP, "interrupt remapping", "needs an active IOMMU");
		return;
	}
	if (check_ir_active(env)) {
		report_add(r, REPORT_OK, "interrupt remapping", "on (IR- interrupt chips in %s/interrupts)",
			   env->proc_root);
		return;
	}
	char unsafe[8] = "";
	check_read(env->sysfs_root, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
		   unsafe, sizeof(unsafe));
	int hw = check_ir_hardware(env);
	const char *why = hw == 0 ? "the IOMMU hardware lacks it (dmar0 ecap bit 3 is clear)" :
			  hw == 1 ? "the hardware has it but the kernel did not turn it on" :
			  "no IR- interrupt chips in /proc/interrupts";
	if (unsafe[0] == 'Y' || unsafe[0] == '1') {
		struct report_line *l = report_add(r, REPORT_WARN, "interrupt remapping",
			"off (%s); vfio_iommu_type1 allow_unsafe_interrupts=Y lets VFIO run anyway, "
			"so a passed-through device could inject interrupts into the host", why);
		report_fix(l, "enable interrupt remapping (and x2APIC) in the firmware setup; "
			   "remove intremap=off from the kernel command line if it is there");
		return;
	}
	struct report_line *l = report_add(r, REPORT_FAIL, "interrupt remapping",
		"off (%s): VFIO refuses devices without it", why);
	report_fix(l, "enable interrupt remapping (and x2APIC) in the firmware setup and remove "
		   "intremap=off from the kernel command line; last resort, unsafe: 'options "
		   "vfio_iommu_type1 allow_unsafe_interrupts=1' in /etc/modprobe.d/vfio.conf");
}

/* ---- VFIO modules -------------------------------------------------------- */

/*
 * /sys/module/NAME exists for a loaded module and for a built-in one with
 * parameters, which vfio, vfio_pci and vfio_iommu_type1 all have. iommufd
 * (Linux 6.2+) can stand in for vfio_iommu_type1.
 */
static void check_vfio_modules(struct report *r, const struct check_env *env)
{
	static const char *const mods[] = { "vfio", "vfio_pci", "vfio_iommu_type1" };
	char missing[128] = "";
	size_t used = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(mods); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "module/%s", mods[i]);
		if (check_exists(env->sysfs_root, rel))
			continue;
		if (i == 2 && check_exists(env->sysfs_root, "module/iommufd"))
			continue;
		used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s",
					 used ? " " : "", mods[i]);
	}
	if (!used) {
		report_add(r, REPORT_OK, "VFIO modules", "vfio, vfio_pci and an IOMMU back end are loaded");
		return;
	}
	struct report_line *l = report_add(r, REPORT_WARN, "VFIO modules", "not loaded: %s",
					   missing);
	report_fix(l, "'modprobe vfio-pci' as root (it loads the rest); at every boot: "
		   "'echo vfio-pci > /etc/modules-load.d/vfio.conf'. If modprobe finds no such "
		   "module, this kernel was built without VFIO");
}

void check_host(struct report *r, const struct check_env *env)
{
	check_cpu_virt(r, env);
	check_kvm(r, env);
	bool iommu = check_iommu(r, env);
	check_intremap(r, env, iommu);
	check_vfio_modules(r, env);
}

/* ---- the command --------------------------------------------------------- */

void check_env_init(struct check_env *env, const struct vm_config *cfg)
{
	const char *proc = getenv("PASSVM_PROC_ROOT");
	env->sysfs_root = cfg->sysfs_root ? cfg->sysfs_root : "/sys";
	env->proc_root = proc && *proc ? proc : "/proc";
	env->kvm_path = cfg->kvm_path ? cfg->kvm_path : "/dev/kvm";
	struct rlimit rl;
	env->memlock_limit = UINT64_MAX;
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY)
		env->memlock_limit = rl.rlim_cur;
	env->names = NULL;
}

static void check_usage(FILE *out)
{
	fputs("usage: passvm check [PROFILE]\n"
	      "\n"
	      "Report what on this host stands in the way of GPU passthrough: CPU\n"
	      "virtualization, /dev/kvm, IOMMU, interrupt remapping, VFIO modules; with a\n"
	      "PROFILE (a name from profiles/ or a path) also its passthrough devices, huge\n"
	      "pages, CPU isolation, locked-memory limit, shared-memory space and UEFI\n"
	      "firmware (which one, its variable store, SMM).\n"
	      "Each line is OK, WARN or FAIL, with the fix below it.\n"
	      "Exit status: 0 when nothing FAILs (the profile can start), 1 otherwise.\n",
	      out);
}

static void check_summary(const struct report *r, const char *profile)
{
	unsigned fails = report_count(r, REPORT_FAIL), warns = report_count(r, REPORT_WARN);
	printf("\n%u OK, %u WARN, %u FAIL: ", report_count(r, REPORT_OK), warns, fails);
	if (profile)
		printf("%s %s\n", profile, fails ? "cannot start" :
		       warns ? "can start (read the warnings)" : "can start");
	else
		printf("%s\n", fails ? "this host cannot pass devices through yet" :
		       "this host is ready for passthrough");
}

/*
 * `auto` CPU values (pin = auto, topology = auto) resolved as `run` resolves
 * them, so the pinning checks judge the CPUs the VM would really get; when
 * they cannot be resolved (too few P-cores...), that is the profile's FAIL.
 * The firmware likewise (its message says the fix); [boot]'s own check
 * lines then describe what it found.
 */
static void check_finalize(struct report *r, struct vm_config *cfg)
{
	struct error err = { "" };
	if (config_finalize_cpus(cfg, &err))
		report_fix(report_add(r, REPORT_FAIL, "CPU settings", "%s", err.msg),
			   "change the profile's [cpu] section as the message says");
	if (config_finalize_firmware(cfg, &err))
		report_add(r, REPORT_FAIL, "firmware", "%s", err.msg);
}

int check_command(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		check_usage(stdout);
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		check_usage(stderr);
		return 2;
	}
	const char *profile = argc == 2 ? argv[1] : NULL;
	struct vm_config cfg;
	struct error err = { "" };
	config_defaults(&cfg);
	if (profile && profile_load(profile, &cfg, &err)) {
		log_error("%s", err.msg);
		config_release(&cfg);
		return 1;
	}
	struct check_env env;
	check_env_init(&env, &cfg);
	env.names = vfio_names_open(env.sysfs_root, getenv("PASSVM_PCI_IDS"));
	struct report r;
	report_init(&r);
	check_host(&r, &env);
	if (profile) {
		check_finalize(&r, &cfg);
		check_profile(&r, &env, &cfg);
	}
	printf("passvm check: %s%s\n\n", profile ? "profile " : "this host",
	       profile ? (cfg.name ? cfg.name : profile) : "");
	report_print(&r, stdout);
	check_summary(&r, profile ? (cfg.name ? cfg.name : profile) : NULL);
	int status = report_count(&r, REPORT_FAIL) ? 1 : 0;
	report_free(&r);
	vfio_names_close(env.names);
	config_release(&cfg);
	return status;
}
