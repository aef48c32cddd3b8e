// SPDX-License-Identifier: GPL-2.0-only
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_CPUS, OPT_MEMORY, OPT_DISK, OPT_SERIAL,
	OPT_PIN_VCPUS, OPT_PIN_OTHER, OPT_HUGEPAGES, OPT_ON_RESET, OPT_NO_RNG, OPT_VERBOSE,
	OPT_HELP,
};

static const struct option cli_run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "pin-vcpus", required_argument, NULL, OPT_PIN_VCPUS },
	{ "pin-other", required_argument, NULL, OPT_PIN_OTHER },
	{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
	{ "on-reset", required_argument, NULL, OPT_ON_RESET },
	{ "no-rng", no_argument, NULL, OPT_NO_RNG },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void cli_usage_run(FILE *out)
{
	fputs("usage: passvm run [OPTIONS]\n"
	      "\n"
	      "Boot a guest on KVM.\n"
	      "\n"
	      "  --kernel FILE        bzImage or uncompressed vmlinux (PVH entry)\n"
	      "  --initrd FILE        initramfs\n"
	      "  --append STRING      kernel command line (default: console=ttyS0 ...)\n"
	      "  --cpus N             vCPUs (default 1)\n"
	      "  --memory SIZE        guest RAM, e.g. 512M or 8G (default 512M)\n"
	      "  --hugepages 2M|1G|off  back RAM with huge pages (default off)\n"
	      "  --disk FILE[,ro]     raw disk image as virtio-blk (repeatable)\n"
	      "  --serial stdio|file:PATH|none  where COM1 goes (default stdio)\n"
	      "  --pin-vcpus CPUS     pin vCPU i to the i-th host CPU of the list, e.g. 4-7\n"
	      "  --pin-other CPUS     pin the VMM's other threads to these host CPUs\n"
	      "  --on-reset reboot|exit  what a guest reset does (default reboot)\n"
	      "  --no-rng             no virtio-rng device\n"
	      "  --verbose            debug logging\n"
	      "\n"
	      "Exit status: 0 when the guest powers off, 1 on a guest fault (triple fault,\n"
	      "kernel panic, KVM error) or a setup error, 2 on a usage error, 128+N when\n"
	      "stopped by signal N.\n",
	      out);
}

static int cli_parse_disk(const char *arg, struct vm_config *cfg, struct error *err)
{
	if (cfg->nr_disks >= CONFIG_MAX_DISKS)
		return err_setf(err, "--disk: at most %d disks", CONFIG_MAX_DISKS);
	struct disk_config *d = &cfg->disks[cfg->nr_disks];
	char *copy = strdup(arg);
	if (!copy)
		return err_setf(err, "out of memory");
	char *comma = strchr(copy, ',');
	d->readonly = false;
	if (comma) {
		*comma = '\0';
		if (strcmp(comma + 1, "ro") && strcmp(comma + 1, "readonly")) {
			err_setf(err, "--disk %s: unknown option '%s' (only 'ro')", arg, comma + 1);
			free(copy);
			return -1;
		}
		d->readonly = true;
	}
	if (!*copy) {
		free(copy);
		return err_setf(err, "--disk needs a file name");
	}
	/* Lives as long as the config, i.e. the process. */
	d->path = copy;
	cfg->nr_disks++;
	return 0;
}

static int cli_parse_uint(const char *flag, const char *arg, unsigned *out, struct error *err)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v > 1000000)
		return err_setf(err, "%s %s: expected a number", flag, arg);
	*out = (unsigned)v;
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct error *err)
{
	optind = 0; /* reset getopt so the parser can run more than once (tests) */
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "+", cli_run_options, NULL)) != -1) {
		switch (opt) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_APPEND: cfg->cmdline = optarg; break;
		case OPT_CPUS:
			if (cli_parse_uint("--cpus", optarg, &cfg->cpus, err))
				return -1;
			if (!cfg->cpus)
				return err_setf(err, "--cpus 0: a VM needs at least one vCPU");
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &cfg->memory) || !cfg->memory)
				return err_setf(err, "--memory %s: expected a size like 512M or 4G", optarg);
			if (cfg->memory % (1 * MiB))
				return err_setf(err, "--memory %s: give a whole number of MiB", optarg);
			break;
		case OPT_DISK:
			if (cli_parse_disk(optarg, cfg, err))
				return -1;
			break;
		case OPT_SERIAL:
			if (!strcmp(optarg, "stdio"))
				cfg->serial = SERIAL_STDIO;
			else if (!strcmp(optarg, "none"))
				cfg->serial = SERIAL_NONE;
			else if (!strncmp(optarg, "file:", 5) && optarg[5]) {
				cfg->serial = SERIAL_FILE;
				cfg->serial_path = optarg + 5;
			} else
				return err_setf(err, "--serial %s: use stdio, none or file:PATH", optarg);
			break;
		case OPT_PIN_VCPUS:
			if (cpuset_parse(optarg, &cfg->pin_vcpus, err))
				return err_prefix(err, "--pin-vcpus");
			break;
		case OPT_PIN_OTHER:
			if (cpuset_parse(optarg, &cfg->pin_other, err))
				return err_prefix(err, "--pin-other");
			break;
		case OPT_HUGEPAGES:
			if (!strcmp(optarg, "2M") || !strcmp(optarg, "on"))
				cfg->hugepages = GMEM_HUGE_2M;
			else if (!strcmp(optarg, "1G"))
				cfg->hugepages = GMEM_HUGE_1G;
			else if (!strcmp(optarg, "off"))
				cfg->hugepages = GMEM_HUGE_NONE;
			else
				return err_setf(err, "--hugepages %s: use 2M, 1G or off", optarg);
			break;
		case OPT_ON_RESET:
			if (!strcmp(optarg, "reboot"))
				cfg->on_reset = RESET_REBOOT;
			else if (!strcmp(optarg, "exit"))
				cfg->on_reset = RESET_EXIT;
			else
				return err_setf(err, "--on-reset %s: use reboot or exit", optarg);
			break;
		case OPT_NO_RNG: cfg->rng = false; break;
		case OPT_VERBOSE: log_set_level(LOG_DEBUG); break;
		case OPT_HELP:
			cli_usage_run(stdout);
			return 1;
		case ':':
			return err_setf(err, "%s needs a value", argv[optind - 1]);
		default:
			return err_setf(err, "unknown option '%s' (see passvm run --help)",
					argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_setf(err, "unexpected argument '%s' (profiles come later; see passvm run "
				"--help)", argv[optind]);
	return 0;
}
