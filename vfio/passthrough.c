// SPDX-License-Identifier: GPL-2.0-only
#include "vfio/passthrough.h"

#include <stdlib.h>
#include <string.h>

#include "vfio/bind.h"
#include "vfio/host.h"

/* ---- the function list ------------------------------------------------------ */

static int pt_add(struct vfio_pt_list *l, const struct vfio_host_addr *a, const char *romfile,
		  struct error *err)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (vfio_host_addr_eq(&l->f[i].addr, a)) {
			if (romfile)
				l->f[i].romfile = romfile;
			return 0;
		}
	}
	if (l->n == VFIO_PT_MAX)
		return err_setf(err, "more than %d passthrough functions: passvm handles %d per VM",
				VFIO_PT_MAX, VFIO_PT_MAX);
	unsigned at = l->n++;
	while (at > 0 && vfio_host_addr_cmp(&l->f[at - 1].addr, a) > 0) {
		l->f[at] = l->f[at - 1];
		at--;
	}
	l->f[at] = (struct vfio_pt_function){ *a, romfile };
	return 0;
}

int vfio_pt_expand(const struct vm_config *cfg, struct vfio_pt_list *l, struct error *err)
{
	l->n = 0;
	for (unsigned i = 0; i < vfio_config(cfg)->n && i < VFIO_MAX_PASSTHROUGH; i++) {
		const struct passthrough_config *pc = &vfio_config(cfg)->devices[i];
		struct vfio_host_addr a = { pc->domain, pc->bus, pc->slot, pc->func };
		if (!pc->whole_slot) {
			if (pt_add(l, &a, pc->romfile, err))
				return -1;
			continue;
		}
		struct vfio_host_addr fns[8];
		unsigned n;
		if (vfio_host_slot_functions(cfg->sysfs_root, &a, fns, &n, err))
			return -1;
		/* A ROM belongs to the slot's first function (the GPU). */
		for (unsigned k = 0; k < n; k++)
			if (pt_add(l, &fns[k], k == 0 ? pc->romfile : NULL, err))
				return -1;
	}
	return 0;
}

/* ---- checks --------------------------------------------------------------------- */

static int pt_offenders(const struct vfio_host_group *g, const unsigned *off, unsigned n,
			const struct vfio_host_addr *who, struct error *err)
{
	char list[320] = "";
	size_t used = 0;
	for (unsigned i = 0; i < n && used < sizeof(list); i++) {
		const struct vfio_host_device *m = &g->members[off[i]];
		int w = snprintf(list + used, sizeof(list) - used, "%s%s (driver %s)", i ? ", " : "",
				 vfio_host_addr_fmt(&m->addr).s, m->driver[0] ? m->driver : "none");
		used += w > 0 ? (size_t)w : 0;
	}
	return err_setf(err, "%s cannot be passed through alone: its IOMMU group %d also holds %s, "
			"bound to a host driver; pass those to the VM too (--vfio) or unbind them; "
			"run 'passvm check' for the whole picture", vfio_host_addr_fmt(who).s, g->id,
			list);
}

static int pt_check_group(const char *sysfs, int id, const struct vfio_pt_list *l,
			  const struct vfio_host_addr *who, struct error *err)
{
	struct vfio_host_group *g = malloc(sizeof(*g));
	struct vfio_host_addr passed[VFIO_PT_MAX];
	unsigned off[VFIO_HOST_GROUP_MAX], n_off = 0;
	if (!g)
		return err_setf(err, "out of memory");
	for (unsigned i = 0; i < l->n; i++)
		passed[i] = l->f[i].addr;
	int rc = vfio_host_group_read(sysfs, id, g, err);
	if (!rc && !vfio_group_viable(g, passed, l->n, off, &n_off))
		rc = pt_offenders(g, off, n_off, who, err);
	free(g);
	return rc;
}

static int pt_check(const char *sysfs, const struct vfio_pt_list *l, struct error *err)
{
	int seen[VFIO_PT_MAX];
	unsigned n_seen = 0;
	for (unsigned i = 0; i < l->n; i++) {
		struct vfio_host_device d;
		const struct vfio_host_addr *a = &l->f[i].addr;
		if (vfio_host_device_read(sysfs, a, &d, err))
			return err_prefix(err, "--vfio/passthrough");
		if (d.iommu_group < 0)
			return err_setf(err, "%s is in no IOMMU group: the IOMMU is off (boot with "
					"intel_iommu=on or amd_iommu=on); run 'passvm check'",
					vfio_host_addr_fmt(a).s);
		bool done = false;
		for (unsigned k = 0; k < n_seen; k++)
			done |= seen[k] == d.iommu_group;
		if (done)
			continue;
		if (pt_check_group(sysfs, d.iommu_group, l, a, err))
			return -1;
		seen[n_seen++] = d.iommu_group;
	}
	return 0;
}

/* ---- bind and give back -------------------------------------------------------------- */

void vfio_pt_release(struct vfio_pt_session *s, FILE *log)
{
	for (unsigned i = s->n_bound; i-- > 0;) {
		struct error e;
		if (vfio_bind_restore(s->sysfs, s->state_dir, &s->bound[i], log, &e) < 0)
			log_warn("%s; run 'passvm restore' once that is fixed", e.msg);
	}
	s->n_bound = 0;
}

int vfio_pt_prepare(const struct vm_config *cfg, const char *state_dir,
		    struct vfio_pt_session *s, FILE *log, struct error *err)
{
	memset(s, 0, sizeof(*s));
	s->sysfs = cfg->sysfs_root;
	s->state_dir = state_dir;
	if (!vfio_config(cfg)->n)
		return 0;
	struct vfio_pt_list l;
	if (vfio_pt_expand(cfg, &l, err) || pt_check(s->sysfs, &l, err))
		return -1;
	/* Dead runs' devices first: their records know the drivers from before. */
	struct error e;
	if (vfio_bind_restore_all(s->sysfs, state_dir, log, &e) < 0)
		log_warn("leftover restore records: %s", e.msg);
	for (unsigned i = 0; i < l.n; i++) {
		bool changed = false;
		int rc = vfio_bind(s->sysfs, state_dir, &l.f[i].addr, &changed, err);
		if (changed)
			s->bound[s->n_bound++] = l.f[i].addr;
		if (rc) {
			vfio_pt_release(s, log);
			return -1;
		}
		if (changed && log)
			fprintf(log, "%s: bound to vfio-pci\n", vfio_host_addr_fmt(&l.f[i].addr).s);
	}
	return 0;
}
