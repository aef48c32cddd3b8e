// SPDX-License-Identifier: GPL-2.0-only
/* passvm: a KVM virtual machine monitor for GPU-passthrough gaming VMs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "passvm-config.h"
#include "vm.h"

static void usage(FILE *out)
{
	fputs("usage: passvm [--version] [--help] COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  run      boot a VM (see passvm run --help)\n"
	      "  help     show this text\n"
	      "  version  print the version\n",
	      out);
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct error err = { "" };
	config_defaults(&cfg);
	int r = cli_parse_run(argc, argv, &cfg, &err);
	if (r)
		return r > 0 ? 0 : (log_error("%s", err.msg), 2);
	if (!cfg.kernel) {
		log_error("nothing to boot: give --kernel FILE (a bzImage or a PVH vmlinux)");
		return 2;
	}

	if (cfg.serial == SERIAL_FILE) {
		/* Once per run, not per boot: reboots append to the same log. */
		int fd = open(cfg.serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			log_error("--serial file:%s: cannot create it: %s", cfg.serial_path,
				  strerror(errno));
			return 2;
		}
		close(fd);
	}

	for (;;) {
		struct vm vm;
		if (vm_create(&vm, &cfg, &err)) {
			log_error("%s", err.msg);
			return 1;
		}
		enum vm_exit_reason why = vm_run(&vm, &err);
		int status = vm_exit_status(&vm);
		if (why == VM_EXIT_FAULT)
			log_error("%s", vm.exit_detail);
		else
			log_info("%s", vm.exit_detail);
		vm_destroy(&vm);
		if (why == VM_EXIT_RESET && cfg.on_reset == RESET_REBOOT) {
			log_info("rebooting");
			continue;
		}
		return status;
	}
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
	fprintf(stderr, "passvm: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
