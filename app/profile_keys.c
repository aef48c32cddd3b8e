// SPDX-License-Identifier: GPL-2.0-only
/*
 * The profile's vocabulary: every section and key, the setter that stores a
 * key's value in struct vm_config, and the checks that need several keys
 * (profile_finish). profiles/README.md documents the same table: change
 * both together.
 *
 * Setters only store what the line says: `auto` CPU values stay requests
 * (cfg->cpu_auto) that config_finalize() resolves against the host later,
 * after `passvm run` flags, so nothing here reads the host.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_internal.h"
#include "topology.h"
#include "vfio/host.h"

#define PROFILE_MAX_NAME 64
#define PROFILE_MAX_PIXELS 16384
#define PROFILE_MAX_LATENCY_MS CONFIG_MAX_AUDIO_LATENCY_MS
#define PROFILE_DEFAULT_WIDTH 1920
#define PROFILE_DEFAULT_HEIGHT 1080
#define PROFILE_DEFAULT_LATENCY_MS CONFIG_DEFAULT_AUDIO_LATENCY_MS
#define PROFILE_DEFAULT_GRAB "KEY_LEFTCTRL+KEY_RIGHTCTRL"
#define PROFILE_MAX_GRAB_KEYS 4

/* ---- value helpers ------------------------------------------------------------ */

int profile_parse_bool(const char *value, bool *out, struct error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(value, yes[i]) || !strcmp(value, no[i])) {
			*out = !strcmp(value, yes[i]);
			return 0;
		}
	}
	return err_setf(err, "use yes or no");
}

static int profile_uint(const char *value, unsigned min, unsigned max, unsigned *out)
{
	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static struct vm_config *C(struct profile_parser *p)
{
	return p->cfg;
}

/* Add what to write to a shared parser's explanation: "EXPLANATION; HINT". */
static int profile_hint(struct error *err, const char *hint)
{
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	return err_setf(err, "%.*s; %s", (int)(sizeof(old) - 64), old, hint);
}

/* A string the config keeps; err set when out of memory. */
static int profile_str(struct profile_parser *p, const char *value, const char **out,
		       struct error *err)
{
	char *s = config_strdup(p->cfg, value);
	if (!s)
		return err_setf(err, "out of memory");
	*out = s;
	return 0;
}

static int profile_path(struct profile_parser *p, const char *value, const char **out,
			struct error *err)
{
	const char *s = profile_path_value(p, value, err);
	if (!s)
		return -1;
	*out = s;
	return 0;
}

/* A CPU list or `auto` (then *is_auto, resolved by config_finalize). */
static int profile_cpus_or_auto(const char *value, struct cpuset_list *l, bool *is_auto,
				struct error *err)
{
	if (!strcmp(value, "auto")) {
		*is_auto = true;
		l->n = 0;
		return 0;
	}
	*is_auto = false;
	if (cpuset_parse(value, l, err))
		return profile_hint(err, "write host CPUs like 4-7,12-15, or auto");
	return 0;
}

/* ---- [machine] ------------------------------------------------------------------ */

static int set_name(struct profile_parser *p, const char *v, struct error *err)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return err_setf(err, "use letters, digits, '-', '_' and '.' (it names the "
					"VM's files, like /dev/shm/passvm-NAME)");
	if (n > PROFILE_MAX_NAME)
		return err_setf(err, "at most %d characters", PROFILE_MAX_NAME);
	return profile_str(p, v, &C(p)->name, err);
}

static int set_memory(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_memory(v, &C(p)->memory, err);
}

static int set_hugepages(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_hugepages(v, &C(p)->hugepages, err);
}

static int set_on_reset(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_on_reset(v, &C(p)->on_reset, err);
}

static int set_serial(struct profile_parser *p, const char *v, struct error *err)
{
	struct vm_config *c = C(p);
	if (!strcmp(v, "stdio")) {
		c->serial = SERIAL_STDIO;
	} else if (!strcmp(v, "none")) {
		c->serial = SERIAL_NONE;
	} else if (!strncmp(v, "file:", 5) && v[5]) {
		if (profile_path(p, v + 5, &c->serial_path, err))
			return -1;
		c->serial = SERIAL_FILE;
	} else {
		return err_setf(err, "use stdio, none or file:PATH");
	}
	return 0;
}

static int set_rng(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_parse_bool(v, &C(p)->rng, err);
}

static int set_vfio(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_vfio_backend(v, &C(p)->vfio_backend, err);
}

static const struct profile_key machine_keys[] = {
	{ "name", set_name, false, false },
	{ "memory", set_memory, false, false },
	{ "hugepages", set_hugepages, false, false },
	{ "on-reset", set_on_reset, false, false },
	{ "serial", set_serial, false, false },
	{ "rng", set_rng, false, false },
	{ "vfio", set_vfio, false, false },
};

/* ---- [cpu] ------------------------------------------------------------------------ */

static int set_vcpus(struct profile_parser *p, const char *v, struct error *err)
{
	if (profile_uint(v, 1, CONFIG_MAX_CPUS, &C(p)->cpus))
		return err_setf(err, "give a number of vCPUs from 1 to %d", CONFIG_MAX_CPUS);
	return 0;
}

static int set_pin(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_cpus_or_auto(v, &C(p)->pin_vcpus, &C(p)->cpu_auto.pin, err);
}

static int set_emulator_pin(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_cpus_or_auto(v, &C(p)->pin_other, &C(p)->cpu_auto.emulator_pin, err);
}

static int set_io_pin(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_cpus_or_auto(v, &C(p)->pin_io, &C(p)->cpu_auto.io_pin, err);
}

static int set_topology(struct profile_parser *p, const char *v, struct error *err)
{
	struct vm_config *c = C(p);
	c->cpu_auto.topology = !strcmp(v, "auto");
	if (c->cpu_auto.topology)
		return 0;
	if (topology_parse(v, &c->topology, err))
		return profile_hint(err, "or write auto");
	return 0;
}

static int set_hyperv(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_hyperv(v, &C(p)->hyperv.mode, err);
}

static int set_kvm_hidden(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_parse_bool(v, &C(p)->hyperv.kvm_hidden, err);
}

static int set_hv_vendor_id(struct profile_parser *p, const char *v, struct error *err)
{
	if (config_check_hv_vendor_id(v, err))
		return -1;
	return profile_str(p, v, &C(p)->hyperv.vendor_id, err);
}

static const struct profile_key cpu_keys[] = {
	{ "vcpus", set_vcpus, false, false },
	{ "pin", set_pin, false, false },
	{ "emulator-pin", set_emulator_pin, false, false },
	{ "io-pin", set_io_pin, false, false },
	{ "topology", set_topology, false, false },
	{ "hyperv", set_hyperv, false, false },
	{ "kvm-hidden", set_kvm_hidden, false, false },
	{ "hv-vendor-id", set_hv_vendor_id, false, false },
};

/* ---- [boot] ------------------------------------------------------------------------ */

static int set_kernel(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->kernel, err);
}

static int set_initrd(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->initrd, err);
}

/* Repeatable: lines join with a space, so a long command line fits
 * libinih's line length. */
static int set_cmdline(struct profile_parser *p, const char *v, struct error *err)
{
	struct vm_config *c = C(p);
	if (!c->cmdline)
		return profile_str(p, v, &c->cmdline, err);
	char *s;
	if (asprintf(&s, "%s %s", c->cmdline, v) < 0 || !config_own(c, s))
		return err_setf(err, "out of memory");
	c->cmdline = s;
	return 0;
}

static int set_firmware(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->firmware, err);
}

static int set_vars(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->firmware_vars, err);
}

static const struct profile_key boot_keys[] = {
	{ "kernel", set_kernel, false, false },
	{ "initrd", set_initrd, false, false },
	{ "cmdline", set_cmdline, true, false },
	{ "firmware", set_firmware, false, false },
	{ "vars", set_vars, false, false },
};

/* ---- [disk.NAME] -------------------------------------------------------------------- */

static int open_disk(struct profile_parser *p, const char *item, struct error *err)
{
	struct vm_config *c = C(p);
	if (c->nr_disks >= CONFIG_MAX_DISKS)
		return err_setf(err, "too many disks: a VM has at most %d ([disk.%s] would be "
				"disk %u)", CONFIG_MAX_DISKS, item, c->nr_disks + 1);
	p->item = (int)c->nr_disks++;
	p->disk_line[p->item] = p->lineno;
	c->disks[p->item] = (struct disk_config){ .path = NULL };
	return 0;
}

static int set_disk_path(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->disks[p->item].path, err);
}

static int set_disk_readonly(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_parse_bool(v, &C(p)->disks[p->item].readonly, err);
}

static const struct profile_key disk_keys[] = {
	{ "path", set_disk_path, false, false },
	{ "readonly", set_disk_readonly, false, false },
};

/* ---- [passthrough.NAME] ------------------------------------------------------------ */

static int open_passthrough(struct profile_parser *p, const char *item, struct error *err)
{
	struct vm_config *c = C(p);
	if (c->nr_passthrough >= CONFIG_MAX_PASSTHROUGH)
		return err_setf(err, "too many passthrough devices: a VM has at most %d "
				"([passthrough.%s] would be device %u)", CONFIG_MAX_PASSTHROUGH, item,
				c->nr_passthrough + 1);
	p->item = (int)c->nr_passthrough++;
	p->passthrough_line[p->item] = p->lineno;
	c->passthrough[p->item] = (struct passthrough_config){ .romfile = NULL };
	return 0;
}

static int set_pt_address(struct profile_parser *p, const char *v, struct error *err)
{
	struct passthrough_config *pt = &C(p)->passthrough[p->item];
	struct vfio_host_addr a;
	bool whole;
	if (vfio_host_addr_parse(v, &a, &whole, err))
		return profile_hint(err, "write an address as 'passvm gpus' or lspci -D shows it, "
				    "like 0000:01:00.0 (or 0000:01:00: the whole slot)");
	pt->domain = a.domain;
	pt->bus = a.bus;
	pt->slot = a.slot;
	pt->func = a.func;
	pt->whole_slot = whole;
	p->address_line[p->item] = p->lineno;
	return 0;
}

static int set_pt_romfile(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->passthrough[p->item].romfile, err);
}

static const struct profile_key passthrough_keys[] = {
	{ "address", set_pt_address, false, false },
	{ "romfile", set_pt_romfile, false, false },
};

/* ---- [display] -------------------------------------------------------------------- */

uint64_t profile_shm_size_for(unsigned width, unsigned height, bool hdr)
{
	uint64_t need = (uint64_t)width * height * (hdr ? 8 : 4) * 2 + 10 * MiB;
	uint64_t size = 1;
	while (size < need)
		size <<= 1;
	return size;
}

static int open_display(struct profile_parser *p, const char *item, struct error *err)
{
	C(p)->display.enabled = true;
	C(p)->display.viewer = true;
	return 0;
}

static int set_shm(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_path(p, v, &C(p)->display.shm_path, err);
}

static int set_shm_size(struct profile_parser *p, const char *v, struct error *err)
{
	uint64_t size;
	if (!strcmp(v, "auto")) {
		C(p)->display.shm_size = 0;   /* from the resolution, in profile_finish */
		return 0;
	}
	/* An IVSHMEM BAR is a power of two. */
	if (parse_size(v, &size) || size < MiB || (size & (size - 1)))
		return err_setf(err, "write a power of two like 32M, 64M or 128M, or auto");
	C(p)->display.shm_size = size;
	return 0;
}

static int profile_pixels(const char *v, unsigned *out, struct error *err)
{
	if (profile_uint(v, 1, PROFILE_MAX_PIXELS, out))
		return err_setf(err, "give a number of pixels from 1 to %d", PROFILE_MAX_PIXELS);
	return 0;
}

static int set_width(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_pixels(v, &C(p)->display.width, err);
}

static int set_height(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_pixels(v, &C(p)->display.height, err);
}

static int set_resolution(struct profile_parser *p, const char *v, struct error *err)
{
	char w[16], h[16];
	const char *x = strchr(v, 'x');
	if (!x || (size_t)(x - v) >= sizeof(w) || strlen(x + 1) >= sizeof(h))
		return err_setf(err, "write WIDTHxHEIGHT, like 2560x1440");
	memcpy(w, v, (size_t)(x - v));
	w[x - v] = '\0';
	strcpy(h, x + 1);
	struct display_config *d = &C(p)->display;
	if (profile_uint(w, 1, PROFILE_MAX_PIXELS, &d->width) ||
	    profile_uint(h, 1, PROFILE_MAX_PIXELS, &d->height))
		return err_setf(err, "write WIDTHxHEIGHT, like 2560x1440, each 1 to %d",
				PROFILE_MAX_PIXELS);
	return 0;
}

static int set_hdr(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_parse_bool(v, &C(p)->display.hdr, err);
}

static int set_viewer(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_parse_bool(v, &C(p)->display.viewer, err);
}

static const struct profile_key display_keys[] = {
	{ "shm", set_shm, false, false },
	{ "size", set_shm_size, false, false },
	{ "width", set_width, false, false },
	{ "height", set_height, false, false },
	{ "resolution", set_resolution, false, false },
	{ "hdr", set_hdr, false, false },
	{ "viewer", set_viewer, false, false },
};

/* ---- [input] ------------------------------------------------------------------------ */

static int set_input_device(struct profile_parser *p, const char *v, struct error *err)
{
	struct input_config *in = &C(p)->input;
	if (v[0] != '/')
		return err_setf(err, "give the device's full path, like "
				"/dev/input/by-id/usb-...-event-kbd (ls /dev/input/by-id)");
	for (unsigned i = 0; i < in->n; i++)
		if (!strcmp(in->devices[i], v))
			return err_setf(err, "listed already on line %u", p->input_line[i]);
	if (in->n >= CONFIG_MAX_INPUTS)
		return err_setf(err, "too many input devices: at most %d", CONFIG_MAX_INPUTS);
	if (profile_str(p, v, &in->devices[in->n], err))
		return -1;
	p->input_line[in->n++] = p->lineno;
	return 0;
}

/* One KEY_ name from linux/input-event-codes.h: KEY_ and capitals, digits, '_'. */
static bool profile_key_token(const char *s, size_t n)
{
	if (n <= 4 || strncmp(s, "KEY_", 4))
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int set_grab_toggle(struct profile_parser *p, const char *v, struct error *err)
{
	unsigned keys = 0;
	for (const char *s = v;; keys++) {
		size_t n = strcspn(s, "+");
		if (!profile_key_token(s, n))
			return err_setf(err, "'%.*s' is not a key name: write KEY_ names joined by '+', "
					"like KEY_LEFTCTRL+KEY_RIGHTCTRL (names as in "
					"linux/input-event-codes.h)", (int)n, s);
		if (!s[n])
			break;
		s += n + 1;
	}
	if (keys + 1 > PROFILE_MAX_GRAB_KEYS)
		return err_setf(err, "at most %d keys", PROFILE_MAX_GRAB_KEYS);
	return profile_str(p, v, &C(p)->input.grab_toggle, err);
}

static const struct profile_key input_keys[] = {
	{ "device", set_input_device, true, false },
	{ "grab-toggle", set_grab_toggle, false, false },
};

/* ---- [audio] ------------------------------------------------------------------------ */

static int open_audio(struct profile_parser *p, const char *item, struct error *err)
{
	C(p)->audio.enabled = true;
	return 0;
}

static int set_audio_target(struct profile_parser *p, const char *v, struct error *err)
{
	return profile_str(p, v, &C(p)->audio.target, err);
}

static int set_audio_latency(struct profile_parser *p, const char *v, struct error *err)
{
	if (profile_uint(v, 1, PROFILE_MAX_LATENCY_MS, &C(p)->audio.latency_ms))
		return err_setf(err, "give milliseconds from 1 to %d, like 20", PROFILE_MAX_LATENCY_MS);
	return 0;
}

static int set_audio_device(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_audio_device(v, &C(p)->audio.device, err);
}

static int set_scream_size(struct profile_parser *p, const char *v, struct error *err)
{
	return config_parse_scream_size(v, &C(p)->audio.scream_size, err);
}

static const struct profile_key audio_keys[] = {
	{ "device", set_audio_device, false, false },
	{ "scream-size", set_scream_size, false, false },
	{ "target", set_audio_target, false, false },
	{ "latency", set_audio_latency, false, false },
};

/* ---- the table ------------------------------------------------------------------------ */

#define SECTION(n, is_named, k, o) \
	{ .name = n, .named = is_named, .keys = k, .nr_keys = ARRAY_SIZE(k), .open = o }

const struct profile_section profile_sections[] = {
	SECTION("machine", false, machine_keys, NULL),
	SECTION("cpu", false, cpu_keys, NULL),
	SECTION("boot", false, boot_keys, NULL),
	SECTION("disk", true, disk_keys, open_disk),
	SECTION("passthrough", true, passthrough_keys, open_passthrough),
	SECTION("display", false, display_keys, open_display),
	SECTION("input", false, input_keys, NULL),
	SECTION("audio", false, audio_keys, open_audio),
};
const size_t profile_nr_sections = ARRAY_SIZE(profile_sections);

/* ---- checks across keys ------------------------------------------------------------ */

static int finish_boot(struct profile_parser *p)
{
	unsigned fw = profile_line_of(p, "boot", "firmware");
	unsigned kernel = profile_line_of(p, "boot", "kernel");
	if (fw && kernel)
		return profile_fail(p, MAX(fw, kernel), "[boot] has both kernel (line %u) and "
				    "firmware (line %u): a VM boots a Linux kernel or UEFI firmware; "
				    "remove one", kernel, fw);
	unsigned vars = profile_line_of(p, "boot", "vars");
	if (vars && !fw)
		return profile_fail(p, vars, "vars is the UEFI variable store of a firmware: add "
				    "firmware = /usr/share/OVMF/OVMF_CODE_4M.fd, or remove vars");
	static const char *const kernel_only[] = { "initrd", "cmdline" };
	for (size_t i = 0; fw && i < ARRAY_SIZE(kernel_only); i++) {
		unsigned l = profile_line_of(p, "boot", kernel_only[i]);
		if (l)
			return profile_fail(p, l, "%s goes with a kernel, but this VM boots firmware "
					    "(line %u): remove it", kernel_only[i], fw);
	}
	return 0;
}

static int finish_cpu(struct profile_parser *p)
{
	struct vm_config *c = p->cfg;
	unsigned topo = profile_line_of(p, "cpu", "topology");
	unsigned vcpus = profile_line_of(p, "cpu", "vcpus");
	if (!topo || c->cpu_auto.topology)
		return 0;
	const struct cpu_topology *t = &c->topology;
	if (!vcpus) {     /* the topology says how many */
		c->cpus = t->sockets * t->cores * t->threads;
		return 0;
	}
	struct error e;
	if (topology_check(t, c->cpus, &e))
		return profile_fail(p, topo, "topology %u/%u/%u is %u vCPUs, vcpus (line %u) is %u: "
				    "make them agree, or write topology = auto", t->sockets, t->cores,
				    t->threads, t->sockets * t->cores * t->threads, vcpus, c->cpus);
	return 0;
}

static int finish_disks(struct profile_parser *p)
{
	for (unsigned i = 0; i < p->cfg->nr_disks; i++)
		if (!p->cfg->disks[i].path)
			return profile_fail(p, p->disk_line[i], "this disk has no path: add "
					    "'path = /var/lib/passvm/NAME.img' (an image file or a "
					    "block device)");
	return 0;
}

static bool pt_overlap(const struct passthrough_config *a, const struct passthrough_config *b)
{
	if (a->domain != b->domain || a->bus != b->bus || a->slot != b->slot)
		return false;
	return a->whole_slot || b->whole_slot || a->func == b->func;
}

static struct vfio_host_addr_str pt_name(const struct passthrough_config *pt)
{
	struct vfio_host_addr a = { pt->domain, pt->bus, pt->slot, pt->func };
	return pt->whole_slot ? vfio_host_slot_fmt(&a) : vfio_host_addr_fmt(&a);
}

static int finish_passthrough(struct profile_parser *p)
{
	const struct vm_config *c = p->cfg;
	for (unsigned i = 0; i < c->nr_passthrough; i++) {
		if (!p->address_line[i])
			return profile_fail(p, p->passthrough_line[i], "this device has no address: "
					    "add 'address = 0000:01:00.0' ('passvm gpus' lists them)");
		for (unsigned j = 0; j < i; j++)
			if (pt_overlap(&c->passthrough[i], &c->passthrough[j]))
				return profile_fail(p, p->address_line[i], "%s is passed through "
						    "already (line %u): list each device once",
						    pt_name(&c->passthrough[i]).s, p->address_line[j]);
	}
	return 0;
}

static int finish_display(struct profile_parser *p)
{
	struct vm_config *c = p->cfg;
	struct display_config *d = &c->display;
	if (!d->enabled)
		return 0;
	unsigned res = profile_line_of(p, "display", "resolution");
	unsigned w = profile_line_of(p, "display", "width");
	unsigned h = profile_line_of(p, "display", "height");
	if (res && (w || h))
		return profile_fail(p, MAX(res, MAX(w, h)), "give either resolution (line %u) or "
				    "width and height, not both", res);
	if (!w != !h)
		return profile_fail(p, w ? w : h, "give both width and height (or resolution = "
				    "2560x1440)");
	if (!res && !w) {
		d->width = PROFILE_DEFAULT_WIDTH;
		d->height = PROFILE_DEFAULT_HEIGHT;
	}
	uint64_t need = profile_shm_size_for(d->width, d->height, d->hdr);
	if (!d->shm_size) {
		d->shm_size = need;
	} else if (d->shm_size < need) {
		return profile_fail(p, profile_line_of(p, "display", "size"), "size %lluM is too small "
				    "for %ux%u%s: it needs %lluM (two frames of %u bytes a pixel + 10M, "
				    "rounded up to a power of two); write size = %lluM or size = auto",
				    (unsigned long long)(d->shm_size / MiB), d->width, d->height,
				    d->hdr ? " HDR" : "", (unsigned long long)(need / MiB),
				    d->hdr ? 8 : 4, (unsigned long long)(need / MiB));
	}
	if (!d->shm_path) {
		char *s;
		if (asprintf(&s, "/dev/shm/passvm-%s", c->name) < 0 || !config_own(c, s))
			return profile_fail(p, p->lineno, "out of memory");
		d->shm_path = s;
	}
	return 0;
}

static int finish_input(struct profile_parser *p)
{
	struct input_config *in = &p->cfg->input;
	unsigned sect = profile_line_of(p, "input", NULL);
	if (!sect)
		return 0;
	if (!in->n)
		return profile_fail(p, sect, "[input] lists no device: add 'device = "
				    "/dev/input/by-id/...-event-kbd' (one line per device)");
	if (!in->grab_toggle)
		in->grab_toggle = PROFILE_DEFAULT_GRAB;
	return 0;
}

static int finish_audio(struct profile_parser *p)
{
	struct audio_config *a = &p->cfg->audio;
	if (a->enabled && !a->latency_ms)
		a->latency_ms = PROFILE_DEFAULT_LATENCY_MS;
	if (a->enabled && !a->scream_size)
		a->scream_size = CONFIG_DEFAULT_SCREAM_SIZE;
	return 0;
}

int profile_finish(struct profile_parser *p)
{
	if (finish_boot(p) || finish_cpu(p) || finish_disks(p) || finish_passthrough(p) ||
	    finish_display(p) || finish_input(p) || finish_audio(p))
		return -1;
	return 0;
}
