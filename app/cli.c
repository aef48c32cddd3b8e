// SPDX-License-Identifier: GPL-2.0-only
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "topology.h"
#include "vfio/host.h"

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_CPUS, OPT_MEMORY, OPT_DISK, OPT_SERIAL,
	OPT_PIN_VCPUS, OPT_PIN_OTHER, OPT_HUGEPAGES, OPT_ON_RESET, OPT_NO_RNG, OPT_VERBOSE,
	OPT_AUDIO, OPT_AUDIO_TARGET, OPT_AUDIO_LATENCY, OPT_SCREAM_SIZE,
	OPT_HELP, OPT_TOPOLOGY, OPT_SHM, OPT_SHM_SIZE, OPT_VFIO, OPT_VIEW, OPT_NO_VIEW,
	OPT_VFIO_BACKEND, OPT_HYPERV, OPT_KVM_HIDDEN, OPT_HV_VENDOR_ID,
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
	{ "topology", required_argument, NULL, OPT_TOPOLOGY },
	{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
	{ "on-reset", required_argument, NULL, OPT_ON_RESET },
	{ "no-rng", no_argument, NULL, OPT_NO_RNG },
	{ "shm", required_argument, NULL, OPT_SHM },
	{ "shm-size", required_argument, NULL, OPT_SHM_SIZE },
	{ "view", no_argument, NULL, OPT_VIEW },
	{ "no-view", no_argument, NULL, OPT_NO_VIEW },
	{ "vfio", required_argument, NULL, OPT_VFIO },
	{ "vfio-backend", required_argument, NULL, OPT_VFIO_BACKEND },
	{ "hyperv", required_argument, NULL, OPT_HYPERV },
	{ "kvm-hidden", no_argument, NULL, OPT_KVM_HIDDEN },
	{ "hv-vendor-id", required_argument, NULL, OPT_HV_VENDOR_ID },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "audio-target", required_argument, NULL, OPT_AUDIO_TARGET },
	{ "audio-latency", required_argument, NULL, OPT_AUDIO_LATENCY },
	{ "scream-size", required_argument, NULL, OPT_SCREAM_SIZE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void cli_usage_run(FILE *out)
{
	fputs("usage: passvm run [PROFILE] [OPTIONS]\n"
	      "\n"
	      "Boot a guest on KVM. PROFILE is a name from `passvm list` or a path to an\n"
	      "INI file (profiles/README.md); the options below override its values.\n"
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
	      "  --topology S/C/T     guest sockets/cores/threads, e.g. 1/4/2 (product = --cpus)\n"
	      "  --on-reset reboot|exit  what a guest reset does (default reboot)\n"
	      "  --hyperv auto|on|off Hyper-V enlightenments (default auto: on for UEFI\n"
	      "                       guests, which are Windows ones, off for Linux)\n"
	      "  --kvm-hidden         no KVM CPUID leaves (drivers that refuse KVM)\n"
	      "  --hv-vendor-id ID    Hyper-V vendor id, up to 12 characters\n"
	      "  --no-rng             no virtio-rng device\n"
	      "  --shm PATH           ivshmem-plain device backed by PATH (/dev/shm or\n"
	      "                       hugetlbfs; created if missing, kept on exit) for the\n"
	      "                       display relay ([display] in a profile)\n"
	      "  --shm-size SIZE      its size, a power of two like 32M (default 32M)\n"
	      "  --view, --no-view    open (or not) the guest's screen in a window, a\n"
	      "                       `passvm view` child of this run ([display] viewer)\n"
	      "  --vfio DDDD:BB:SS.F  pass a host PCI function through (repeatable);\n"
	      "                       DDDD:BB:SS: every function of the slot (GPU + audio)\n"
	      "  --vfio-backend auto|iommufd|container  how passed-through devices reach\n"
	      "                       the IOMMU: iommufd + device cdevs (Linux 6.6+), or\n"
	      "                       VFIO's container + groups (default auto: iommufd\n"
	      "                       where the kernel offers it)\n"
	      "  --audio scream|virtio-snd|off  guest audio into PipeWire ([audio]):\n"
	      "                       scream: an ivshmem ring for Windows' Scream driver;\n"
	      "                       virtio-snd: a sound card for Linux's virtio_snd\n"
	      "  --audio-target NODE  the PipeWire node to play into (default: the\n"
	      "                       desktop's default output)\n"
	      "  --audio-latency MS   buffer in milliseconds (default 20)\n"
	      "  --scream-size SIZE   the Scream ring's ivshmem size, 1M-64M (default 2M;\n"
	      "                       Scream's UseIVSHMEM registry value, in MiB)\n"
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
	d->path = config_own(cfg, copy);
	if (!d->path)
		return err_setf(err, "out of memory");
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

/* The PROFILE argument, wherever it stands among the flags ("-": getopt
 * returns non-options as 1 instead of stopping or reordering argv). */
static int cli_find_profile(int argc, char **argv, const char **profile, struct error *err)
{
	optind = 0; /* reset getopt so the parser can run more than once (tests) */
	opterr = 0;
	*profile = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "-", cli_run_options, NULL)) != -1) {
		if (opt != 1)
			continue;
		if (*profile)
			return err_setf(err, "unexpected argument '%s' after the profile '%s' (one "
					"PROFILE at most; see passvm run --help)", optarg, *profile);
		*profile = optarg;
	}
	return 0;
}

/* --vfio: one more function (or slot) beside the profile's [passthrough.*]. */
static int cli_parse_vfio(const char *arg, struct vm_config *cfg, struct error *err)
{
	struct vfio_host_addr a;
	bool slot;
	if (vfio_host_addr_parse(arg, &a, &slot, err))
		return err_prefix(err, "--vfio %s", arg);
	if (cfg->nr_passthrough >= CONFIG_MAX_PASSTHROUGH)
		return err_setf(err, "--vfio %s: at most %d passthrough devices", arg,
				CONFIG_MAX_PASSTHROUGH);
	cfg->passthrough[cfg->nr_passthrough++] = (struct passthrough_config){
		.domain = a.domain, .bus = a.bus, .slot = a.slot, .func = a.func,
		.whole_slot = slot,
	};
	return 0;
}

/* --shm/--shm-size turn the display's shared memory on over a profile's. */
static int cli_parse_shm(bool path, const char *arg, struct vm_config *cfg, struct error *err)
{
	struct display_config *d = &cfg->display;
	d->enabled = true;
	if (path) {
		d->shm_path = arg;
		if (!d->shm_size)
			d->shm_size = 32 * MiB;
		return 0;
	}
	uint64_t size;
	if (parse_size(arg, &size) || size < MiB || (size & (size - 1)))
		return err_setf(err, "--shm-size %s: write a power of two like 32M, 64M or 128M",
				arg);
	d->shm_size = size;
	return 0;
}

/* --audio turns [audio] on (or off); the others set its values and turn it on. */
static int cli_parse_audio(int opt, const char *arg, struct audio_config *a, struct error *err)
{
	unsigned ms;
	switch (opt) {
	case OPT_AUDIO:
		if (!strcmp(arg, "off")) {
			a->enabled = false;
			return 0;
		}
		if (config_parse_audio_device(arg, &a->device, err))
			return err_prefix(err, "--audio %s", arg);
		break;
	case OPT_AUDIO_TARGET: a->target = arg; break;
	case OPT_AUDIO_LATENCY:
		if (cli_parse_uint("--audio-latency", arg, &ms, err))
			return -1;
		if (!ms || ms > CONFIG_MAX_AUDIO_LATENCY_MS)
			return err_setf(err, "--audio-latency %s: give milliseconds from 1 to %d",
					arg, CONFIG_MAX_AUDIO_LATENCY_MS);
		a->latency_ms = ms;
		break;
	case OPT_SCREAM_SIZE:
		if (config_parse_scream_size(arg, &a->scream_size, err))
			return err_prefix(err, "--scream-size %s", arg);
		break;
	}
	a->enabled = true;
	if (!a->latency_ms)
		a->latency_ms = CONFIG_DEFAULT_AUDIO_LATENCY_MS;
	if (!a->scream_size)
		a->scream_size = CONFIG_DEFAULT_SCREAM_SIZE;
	return 0;
}

static int cli_apply_flag(int opt, int argc, char **argv, struct vm_config *cfg,
			  struct error *err)
{
	switch (opt) {
	case OPT_KERNEL:
		cfg->kernel = optarg;
		cfg->firmware = NULL; /* the flag wins over a profile's firmware */
		cfg->firmware_vars = NULL;
		break;
	case OPT_INITRD: cfg->initrd = optarg; break;
	case OPT_APPEND: cfg->cmdline = optarg; break;
	case OPT_CPUS:
		if (cli_parse_uint("--cpus", optarg, &cfg->cpus, err))
			return -1;
		if (!cfg->cpus)
			return err_setf(err, "--cpus 0: a VM needs at least one vCPU");
		break;
	case OPT_MEMORY:
		if (config_parse_memory(optarg, &cfg->memory, err))
			return err_prefix(err, "--memory %s", optarg);
		break;
	case OPT_DISK:
		return cli_parse_disk(optarg, cfg, err);
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
		cfg->cpu_auto.pin = false;
		if (cpuset_parse(optarg, &cfg->pin_vcpus, err))
			return err_prefix(err, "--pin-vcpus");
		break;
	case OPT_PIN_OTHER:
		cfg->cpu_auto.emulator_pin = false;
		if (cpuset_parse(optarg, &cfg->pin_other, err))
			return err_prefix(err, "--pin-other");
		break;
	case OPT_TOPOLOGY:
		cfg->cpu_auto.topology = false;
		if (topology_parse(optarg, &cfg->topology, err))
			return err_prefix(err, "--topology %s", optarg);
		break;
	case OPT_HUGEPAGES:
		if (config_parse_hugepages(optarg, &cfg->hugepages, err))
			return err_prefix(err, "--hugepages %s", optarg);
		break;
	case OPT_ON_RESET:
		if (config_parse_on_reset(optarg, &cfg->on_reset, err))
			return err_prefix(err, "--on-reset %s", optarg);
		break;
	case OPT_NO_RNG: cfg->rng = false; break;
	case OPT_SHM:
	case OPT_SHM_SIZE:
		return cli_parse_shm(opt == OPT_SHM, optarg, cfg, err);
	case OPT_VFIO:
		return cli_parse_vfio(optarg, cfg, err);
	case OPT_HYPERV:
		if (config_parse_hyperv(optarg, &cfg->hyperv.mode, err))
			return err_prefix(err, "--hyperv %s", optarg);
		break;
	case OPT_KVM_HIDDEN: cfg->hyperv.kvm_hidden = true; break;
	case OPT_HV_VENDOR_ID:
		if (config_check_hv_vendor_id(optarg, err))
			return err_prefix(err, "--hv-vendor-id %s", optarg);
		cfg->hyperv.vendor_id = optarg;
		break;
	case OPT_VFIO_BACKEND:
		if (config_parse_vfio_backend(optarg, &cfg->vfio_backend, err))
			return err_prefix(err, "--vfio-backend %s", optarg);
		break;
	case OPT_AUDIO:
	case OPT_AUDIO_TARGET:
	case OPT_AUDIO_LATENCY:
	case OPT_SCREAM_SIZE:
		return cli_parse_audio(opt, optarg, &cfg->audio, err);
	case OPT_VIEW: cfg->display.viewer = true; break;
	case OPT_NO_VIEW: cfg->display.viewer = false; break;
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
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct error *err)
{
	const char *profile;
	if (cli_find_profile(argc, argv, &profile, err))
		return -1;
	/* The profile first, so that every flag overrides it. */
	if (profile && profile_load(profile, cfg, err))
		return -1;
	optind = 0;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "-", cli_run_options, NULL)) != -1) {
		if (opt == 1)
			continue;
		int r = cli_apply_flag(opt, argc, argv, cfg, err);
		if (r)
			return r;
	}
	/* A profile's [display] turns the viewer on by default; --view alone
	 * has nothing to show. */
	if (cfg->display.viewer && !cfg->display.enabled)
		return err_setf(err, "--view: there is no display to view; add --shm PATH (or "
				"use a profile with a [display] section)");
	return 0;
}
