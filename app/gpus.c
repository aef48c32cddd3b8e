// SPDX-License-Identifier: GPL-2.0-only
#include "app/gpus.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vfio/host.h"
#include "vfio/names.h"
#include "vmm/config.h"

/* One card: the functions of a slot that holds a GPU. */
struct gpus_card {
	unsigned n;
	struct vfio_host_device fn[8];
	bool pass[8];              /* GPU or companion: goes into the profile lines */
};

static void gpus_print_function(FILE *out, struct vfio_names *names,
				const struct vfio_host_device *d)
{
	char cls[128], name[256], group[32];
	fprintf(out, "%s  %s: %s [%04x:%04x]\n", vfio_host_addr_fmt(&d->addr).s,
		vfio_names_class(names, d->class_code, cls, sizeof(cls)),
		vfio_names_device(names, d->vendor, d->device, name, sizeof(name)),
		d->vendor, d->device);
	if (d->iommu_group >= 0)
		snprintf(group, sizeof(group), "IOMMU group %d", d->iommu_group);
	else
		snprintf(group, sizeof(group), "no IOMMU group");
	fprintf(out, "              driver %s, %s%s\n", d->driver[0] ? d->driver : "none", group,
		d->boot_vga ? ", boot GPU" : "");
}

static int gpus_card_read(const char *sysfs, const struct vfio_host_addr *all, unsigned n_all,
			  const struct vfio_host_addr *slot, struct gpus_card *c)
{
	c->n = 0;
	for (unsigned i = 0; i < n_all && c->n < ARRAY_SIZE(c->fn); i++) {
		if (!vfio_host_same_slot(&all[i], slot) ||
		    vfio_host_device_read(sysfs, &all[i], &c->fn[c->n], NULL))
			continue;
		c->pass[c->n] = vfio_host_is_gpu(&c->fn[c->n]) ||
				vfio_host_is_gpu_companion(&c->fn[c->n]);
		c->n++;
	}
	return c->n ? 0 : -1;
}

static void gpus_group_verdict(FILE *out, const char *sysfs, struct vfio_names *names,
			       const struct vfio_host_addr *passed, unsigned n_passed, int id)
{
	struct vfio_host_group *g = malloc(sizeof(*g));
	unsigned off[VFIO_HOST_GROUP_MAX], n_off;
	struct error err;
	if (!g || vfio_host_group_read(sysfs, id, g, &err)) {
		fprintf(out, "  IOMMU group %d: %s\n", id, g ? err.msg : "out of memory");
	} else if (vfio_group_viable(g, passed, n_passed, off, &n_off)) {
		fprintf(out, "  IOMMU group %d: viable with the lines below\n", id);
	} else {
		fprintf(out, "  IOMMU group %d: not viable, it also holds:\n", id);
		for (unsigned i = 0; i < n_off; i++) {
			const struct vfio_host_device *m = &g->members[off[i]];
			char cls[128], name[256];
			fprintf(out, "    %s  %s: %s [%04x:%04x], driver %s\n",
				vfio_host_addr_fmt(&m->addr).s,
				vfio_names_class(names, m->class_code, cls, sizeof(cls)),
				vfio_names_device(names, m->vendor, m->device, name, sizeof(name)),
				m->vendor, m->device, m->driver);
		}
		fprintf(out, "    ('passvm check PROFILE' says what to do)\n");
	}
	free(g);
}

static void gpus_groups(FILE *out, const char *sysfs, struct vfio_names *names,
			const struct gpus_card *c)
{
	struct vfio_host_addr passed[8];
	unsigned n_passed = 0;
	int seen[8];
	unsigned n_seen = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (c->pass[i])
			passed[n_passed++] = c->fn[i].addr;
	for (unsigned i = 0; i < c->n; i++) {
		int id = c->fn[i].iommu_group;
		bool dup = false;
		for (unsigned k = 0; k < n_seen; k++)
			dup |= seen[k] == id;
		if (dup || !c->pass[i])
			continue;
		seen[n_seen++] = id;
		if (id < 0)
			fprintf(out, "  no IOMMU group: the IOMMU is off ('passvm check' says how to "
				"turn it on)\n");
		else
			gpus_group_verdict(out, sysfs, names, passed, n_passed, id);
	}
}

/* A function's section name in the profile lines: what it is to the card. */
static const char *gpus_role(const struct vfio_host_device *d)
{
	if (vfio_host_is_gpu(d))
		return "gpu";
	switch (d->class_code >> 8) {
	case 0x0403:
		return "gpu-audio";
	case 0x0c03:
		return "gpu-usb";
	default:
		return "gpu-ucsi";
	}
}

static bool gpus_role_repeats(const struct gpus_card *c, unsigned i)
{
	for (unsigned k = 0; k < c->n; k++)
		if (k != i && c->pass[k] && !strcmp(gpus_role(&c->fn[k]), gpus_role(&c->fn[i])))
			return true;
	return false;
}

/*
 * The [passthrough.NAME] sections of profiles/README.md, one per function.
 * Flush left: INI reads an indented line after a key as more of its value,
 * and the profile parser refuses that.
 */
static void gpus_profile_lines(FILE *out, const struct gpus_card *c)
{
	unsigned passed = 0;
	fprintf(out, "  profile lines:\n");
	for (unsigned i = 0; i < c->n; i++) {
		if (!c->pass[i])
			continue;
		passed++;
		if (gpus_role_repeats(c, i))
			fprintf(out, "[passthrough.%s-%u]\n", gpus_role(&c->fn[i]), c->fn[i].addr.func);
		else
			fprintf(out, "[passthrough.%s]\n", gpus_role(&c->fn[i]));
		fprintf(out, "address = %s\n", vfio_host_addr_fmt(&c->fn[i].addr).s);
	}
	if (passed > 1 && passed == c->n)
		fprintf(out, "; (or one section for every function of the slot: address = %s)\n",
			vfio_host_slot_fmt(&c->fn[0].addr).s);
}

static void gpus_print_card(FILE *out, const char *sysfs, struct vfio_names *names,
			    const struct gpus_card *c)
{
	for (unsigned i = 0; i < c->n; i++)
		gpus_print_function(out, names, &c->fn[i]);
	gpus_groups(out, sysfs, names, c);
	gpus_profile_lines(out, c);
}

/* all[] is sorted, so a card's functions are adjacent: one card per slot. */
static unsigned gpus_cards(FILE *out, const char *sysfs, struct vfio_names *names,
			   const struct vfio_host_addr *all, unsigned n, struct gpus_card *c)
{
	unsigned cards = 0;
	for (unsigned i = 0; i < n; i++) {
		struct vfio_host_device d;
		if (cards && vfio_host_same_slot(&c->fn[0].addr, &all[i]))
			continue;   /* this card was printed with its first GPU function */
		if (vfio_host_device_read(sysfs, &all[i], &d, NULL) || !vfio_host_is_gpu(&d) ||
		    gpus_card_read(sysfs, all, n, &all[i], c))
			continue;
		fprintf(out, "%s", cards++ ? "\n" : "");
		gpus_print_card(out, sysfs, names, c);
	}
	return cards;
}

int gpus_list(FILE *out, const char *sysfs, struct vfio_names *names, struct error *err)
{
	struct vfio_host_addr *all;
	unsigned n;
	if (vfio_host_scan(sysfs, &all, &n, err))
		return -1;
	struct gpus_card *c = malloc(sizeof(*c));
	if (!c) {
		free(all);
		return err_setf(err, "out of memory listing the GPUs");
	}
	if (!gpus_cards(out, sysfs, names, all, n, c))
		fprintf(out, "no GPU (PCI class 03) on this host\n");
	free(c);
	free(all);
	return 0;
}

int gpus_command(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fputs("usage: passvm gpus\n\nList the GPUs with their companion functions (HDMI "
		      "audio, USB-C), IOMMU groups,\ncurrent drivers and the profile lines that "
		      "pass each through.\n", help ? stdout : stderr);
		return help ? 0 : 2;
	}
	struct vm_config cfg;
	config_defaults(&cfg);
	struct vfio_names *names = vfio_names_open(cfg.sysfs_root, getenv("PASSVM_PCI_IDS"));
	struct error err = { "" };
	if (!vfio_names_have_db(names))
		printf("(no PCI name database at %s: install Debian's pci.ids package for names)\n\n",
		       vfio_names_db_path(names));
	int r = gpus_list(stdout, cfg.sysfs_root, names, &err);
	vfio_names_close(names);
	if (r)
		log_error("%s", err.msg);
	return r ? 1 : 0;
}
