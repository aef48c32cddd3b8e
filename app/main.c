// SPDX-License-Identifier: GPL-2.0-only
/* passvm: a KVM virtual machine monitor for GPU-passthrough gaming VMs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/check.h"
#include "app/cli.h"
#include "app/gpus.h"
#include "app/profile.h"
#include "app/view.h"
#include "app/viewer_child.h"
#include "display-shm/options.h"
#include "passvm-config.h"
#include "vfio/bind.h"
#include "vfio/passthrough.h"
#include "vmm/boot/firmware.h"
#include "vmm/vm.h"

static void usage(FILE *out)
{
	fputs("usage: passvm [--version] [--help] COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  run [PROFILE] [FLAGS]  boot a VM from a profile and/or flags (passvm run --help)\n"
	      "  list                   the profiles `run` and `check` find by name\n"
	      "  check [PROFILE]        what on this host blocks passthrough, and the fixes\n"
	      "  gpus                   the host's GPUs, their IOMMU groups and profile lines\n"
	      "  restore                give devices a dead passvm left on vfio-pci back to\n"
	      "                         their drivers\n"
	      "  view PROFILE|SHM-FILE  show the guest's screen (display-shm; passvm view --help)\n"
	      "  help                   show this text\n"
	      "  version                print the version\n",
	      out);
}

/*
 * Parts of a profile whose devices this build does not have yet: refuse the
 * run instead of booting a VM without what the user asked for.
 */
static int run_check_supported(const struct vm_config *cfg, struct error *err)
{
	const char *what = NULL;
	/* Firmware boot is being built (fw_cfg, flash, the LPC bridge and PM
	 * timer so far; not yet the MCH's PCIEXBAR/PAM/SMRAM, SMM, the ACPI
	 * table-loader, ramfb): development and the tests turn it on; for users
	 * it stays refused until OVMF boots an OS. */
	const char *dev = getenv("PASSVM_EXPERIMENTAL_FIRMWARE");
	if (cfg->firmware && !(dev && !strcmp(dev, "1")))
		what = "UEFI firmware boot ([boot] firmware)";
	if (!what)
		return 0;
	return err_setf(err, "%s: %s is not in this passvm build yet; `passvm check %s` reports "
			"on the host for it, but `run` cannot start it (remove that part of the "
			"profile to boot without it)", cfg->profile_path ? cfg->profile_path : "flags",
			what, cfg->profile_path ? cfg->profile_path : "PROFILE");
}

/*
 * Once per run, before the first boot: a VM's first run copies the
 * firmware's variable template to its own store (vmm/boot/firmware.h).
 */
static int run_prepare_vars(const struct vm_config *cfg, struct error *err)
{
	return cfg->fw ? firmware_vars_prepare(cfg->fw, cfg->firmware_vars, err) : 0;
}

/* Once per run, not per boot: reboots append to the same log. */
static int run_open_serial_log(const struct vm_config *cfg)
{
	if (cfg->serial != SERIAL_FILE)
		return 0;
	int fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("serial file:%s: cannot create it: %s", cfg->serial_path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The viewer window once the first VM exists (its ivshmem device has created
 * the shm file). Not having one never stops the VM: one warning says why.
 */
static void run_start_viewer(const struct vm_config *cfg, struct viewer_child *viewer)
{
	const char *why = viewer_child_no_display();
	struct error err = { "" };
	if (why)
		log_warn("not opening the viewer window: %s; the VM runs without it (`passvm view "
			 "%s` shows it from a desktop session)", why, display_config(cfg)->shm_path);
	else if (viewer_child_start(viewer, NULL, display_config(cfg)->shm_path, &err))
		log_warn("not opening the viewer window: %s; the VM runs without it", err.msg);
	else
		log_info("viewer: pid %d shows %s", (int)viewer->pid, display_config(cfg)->shm_path);
}

static int run_boots(struct vm_config *cfg, struct viewer_child *viewer)
{
	struct error err = { "" };
	for (bool first = true;; first = false) {
		struct vm vm;
		if (vm_create(&vm, cfg, &err)) {
			log_error("%s", err.msg);
			return 1;
		}
		if (first && display_config(cfg)->enabled && display_config(cfg)->viewer)
			run_start_viewer(cfg, viewer);
		enum vm_exit_reason why = vm_run(&vm, &err);
		int status = vm_exit_status(&vm);
		if (why == VM_EXIT_FAULT)
			log_error("%s", vm.exit_detail);
		else
			log_info("%s", vm.exit_detail);
		vm_destroy(&vm);
		if (why == VM_EXIT_RESET && cfg->on_reset == RESET_REBOOT) {
			log_info("rebooting");
			continue;
		}
		return status;
	}
}

/* However the boots end (power-off, fault, signal, a reboot's setup error),
 * the viewer goes with them: stopped and reaped here. */
static int run_vm(struct vm_config *cfg)
{
	struct viewer_child viewer = { 0 };
	int status = run_boots(cfg, &viewer);
	viewer_child_stop(&viewer);
	return status;
}

/*
 * Devices bound to vfio-pci for the whole run (reboots included) and given
 * back however the VM ended; a kill -9 leaves records for `passvm restore`.
 */
static int run_passthrough(struct vm_config *cfg)
{
	struct vfio_pt_session pt;
	struct error err = { "" };
	if (vfio_pt_prepare(cfg, vfio_bind_state_dir(), &pt, stderr, &err)) {
		log_error("%s", err.msg);
		return 2;
	}
	int status = run_vm(cfg);
	vfio_pt_release(&pt, stderr);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct error err = { "" };
	config_defaults(&cfg);
	int status = 2;
	int r = cli_parse_run(argc, argv, &cfg, &err);
	if (r) {
		if (r > 0)
			status = 0;
		else
			log_error("%s", err.msg);
	} else if (!cfg.kernel && !cfg.firmware) {
		log_error("nothing to boot: give a PROFILE, --kernel FILE (a bzImage or a PVH "
			  "vmlinux) or --firmware uefi; see passvm run --help");
	} else if (config_finalize(&cfg, &err) || run_check_supported(&cfg, &err) ||
		   run_prepare_vars(&cfg, &err)) {
		log_error("%s", err.msg);
	} else if (!run_open_serial_log(&cfg)) {
		status = run_passthrough(&cfg);
	}
	config_release(&cfg);
	return status;
}

static int cmd_list(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: passvm list\n");
		return 2;
	}
	struct profile_entry *list;
	size_t n;
	struct error err = { "" };
	if (profile_list(&list, &n, &err)) {
		log_error("%s", err.msg);
		return 1;
	}
	const char *dirs[PROFILE_MAX_DIRS];
	unsigned nd = profile_dirs(dirs);
	if (!n) {
		printf("no profiles (NAME%s) in", PROFILE_EXT);
		for (unsigned i = 0; i < nd; i++)
			printf(" %s", dirs[i]);
		printf("\n");
	}
	for (size_t i = 0; i < n; i++)
		printf("%-24s %s\n", list[i].name, list[i].path);
	profile_list_free(list, n);
	return 0;
}

/*
 * Devices are bound to vfio-pci only after a restore record is written
 * (vfio/bind.h), so whatever happened to the passvm that took them, this
 * gives them back to the drivers they had.
 */
static int cmd_restore(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: passvm restore\n\nGive every device a passvm run left "
			"bound to vfio-pci (records in %s/vfio-bind) back to its driver.\n",
			vfio_bind_state_dir());
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	struct vm_config cfg;
	config_defaults(&cfg);
	struct error err = { "" };
	int n = vfio_bind_restore_all(cfg.sysfs_root, vfio_bind_state_dir(), stdout, &err);
	config_release(&cfg);
	if (n < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	if (n == 0)
		printf("nothing to restore: no records in %s/vfio-bind\n", vfio_bind_state_dir());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("passvm %s\n", PASSVM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return check_command(argc - 1, argv + 1);
	if (!strcmp(cmd, "gpus"))
		return gpus_command(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(cmd, "view"))
		return view_command(argc - 1, argv + 1);
	fprintf(stderr, "passvm: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
