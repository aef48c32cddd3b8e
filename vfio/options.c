// SPDX-License-Identifier: GPL-2.0-only
/*
 * [passthrough.NAME] (address, romfile) and --vfio; [machine] vfio and
 * --vfio-backend. Addresses are parsed here, against nothing: whether the
 * device exists is `passvm check`'s question (check.c) and the run's.
 */
#include <string.h>

#include "vfio/options.h"
#include "vfio/pci_addr.h"

int vfio_backend_parse(const char *s, enum vfio_backend *out, struct error *err)
{
	if (!strcmp(s, "auto"))
		*out = VFIO_BACKEND_AUTO;
	else if (!strcmp(s, "iommufd"))
		*out = VFIO_BACKEND_IOMMUFD;
	else if (!strcmp(s, "container") || !strcmp(s, "group") || !strcmp(s, "type1"))
		*out = VFIO_BACKEND_CONTAINER;
	else
		return err_setf(err, "use auto, iommufd or container");
	return 0;
}

static struct vfio_config *vfio_ctx_config(struct vmm_option_ctx *ctx)
{
	return vfio_config(ctx->cfg);
}

static int vfio_set_backend(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vfio_backend_parse(v, &vfio_ctx_config(ctx)->backend, err);
}

static const struct vmm_option vfio_machine_option_list[] = {
	{ .key = "vfio", .flag = "vfio-backend", .arg = "auto|iommufd|container",
	  .set = vfio_set_backend,
	  .help = "how passed-through devices reach the IOMMU:\n"
		  "iommufd + device cdevs (Linux 6.6+), or VFIO's\n"
		  "container + groups (default auto: iommufd where\n"
		  "the kernel offers it)" },
};

/* The back end's key stands in [machine]; its value lives in vfio_config. */
VMM_OPTIONS(vfio_machine_options) = {
	.section = "machine", .order = 13,
	.options = vfio_machine_option_list, .nr_options = ARRAY_SIZE(vfio_machine_option_list),
};

static int vfio_open(struct vmm_option_ctx *ctx, const char *item, struct error *err)
{
	struct vfio_config *vc = ctx->part;
	if (vmm_option_new_item(ctx, &vc->n, VFIO_MAX_PASSTHROUGH, "passthrough devices", "device",
				item, err))
		return -1;
	vc->devices[ctx->item] = (struct passthrough_config){ .romfile = NULL };
	vc->line[ctx->item] = ctx->line;
	vc->address_line[ctx->item] = 0;
	return 0;
}

static int vfio_set_address(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vfio_config *vc = ctx->part;
	struct passthrough_config *pt = &vc->devices[ctx->item];
	struct vfio_host_addr a;
	bool whole;
	if (vfio_host_addr_parse(v, &a, &whole, err))
		return ctx->flag ? -1 :
			vmm_option_hint(err, "write an address as 'passvm gpus' or lspci -D shows "
					"it, like 0000:01:00.0 (or 0000:01:00: the whole slot)");
	pt->domain = a.domain;
	pt->bus = a.bus;
	pt->slot = a.slot;
	pt->func = a.func;
	pt->whole_slot = whole;
	vc->address_line[ctx->item] = ctx->flag ? 0 : ctx->line;
	return 0;
}

static int vfio_set_romfile(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct vfio_config *vc = ctx->part;
	return vmm_option_path(ctx, v, &vc->devices[ctx->item].romfile, err);
}

static const struct vmm_option vfio_option_list[] = {
	{ .key = "address", .set = vfio_set_address },
	{ .key = "romfile", .set = vfio_set_romfile },
	{ .flag = "vfio", .arg = "DDDD:BB:SS.F", .set = vfio_set_address,
	  .flags = VMM_OPT_NEW_ITEM | VMM_OPT_REPEATABLE,
	  .help = "pass a host PCI function through (repeatable);\n"
		  "DDDD:BB:SS: every function of the slot (GPU + audio)" },
};

static bool vfio_overlap(const struct passthrough_config *a, const struct passthrough_config *b)
{
	if (a->domain != b->domain || a->bus != b->bus || a->slot != b->slot)
		return false;
	return a->whole_slot || b->whole_slot || a->func == b->func;
}

static struct vfio_host_addr_str vfio_pt_name(const struct passthrough_config *pt)
{
	struct vfio_host_addr a = { pt->domain, pt->bus, pt->slot, pt->func };
	return pt->whole_slot ? vfio_host_slot_fmt(&a) : vfio_host_addr_fmt(&a);
}

/* Each section has an address, and no function is passed through twice. */
static int vfio_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	const struct vfio_config *vc = ctx->part;
	for (unsigned i = 0; i < vc->n; i++) {
		if (!vc->address_line[i] && vc->line[i]) {
			*line = vc->line[i];
			return err_setf(err, "this device has no address: add 'address = "
					"0000:01:00.0' ('passvm gpus' lists them)");
		}
		for (unsigned j = 0; j < i; j++) {
			if (!vfio_overlap(&vc->devices[i], &vc->devices[j]))
				continue;
			*line = vc->address_line[i];
			return err_setf(err, "%s is passed through already (line %u): list each "
					"device once", vfio_pt_name(&vc->devices[i]).s,
					vc->address_line[j]);
		}
	}
	return 0;
}

VMM_OPTIONS(vfio_passthrough_options) = {
	.section = "passthrough", .named = true, .item_example = "gpu", .order = 50,
	.size = sizeof(struct vfio_config),
	.options = vfio_option_list, .nr_options = ARRAY_SIZE(vfio_option_list),
	.open = vfio_open, .finish = vfio_finish, .check = vfio_check,
};
